"""The equity section (教育公平) of a county report.

``build(ds, county=..., school_year=...)`` computes, for one county:

* achievement gaps of student groups — gender, 随迁 migrant, 留守 left-behind, and urban / town /
  rural schools — per grade × subject: difference in mean score with Welch interval, Hedges' g,
  Ho & Reardon's V, n per group; groups under ``min_cell_size`` withheld with their complement;
* urban / town / rural gaps in the seven 优质均衡 resource indicators (schools weighted by students);
* urban / town / rural gaps in staffing per school section (student–teacher ratio and backbone teachers
  per 100 students weighted by students; share of teachers above the required qualification and share
  aged 50+ weighted by teachers) and in results per school × grade × subject (mean score, pass and
  excellence rates weighted by test-takers; mean shrunken value-added effect weighted by the students
  in the fit) — town / rural − urban, or rural − town where the county has no urban school; locales
  with fewer than ``min_cell_size`` people withheld with a complementary count
  (:func:`lyganalysis.metrics.equity.locale_gap_table`);
* coverage against the city's targets (special education, kindergartens, migrant children), each
  with its numerator and denominator (:mod:`lyganalysis.metrics.coverage`);
* Theil T across the county's schools split into between-locale (urban / town / rural) and
  within-locale parts, for the resource indicators and the school mean scores;
* a composition table (locale × group, number of test-takers and mean score) with primary and
  secondary small-cell suppression (case C27).

Everything is computed at build time; ``html()`` and ``plot()`` only format and draw.
"""

from __future__ import annotations

import html as _html
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lyganalysis.jsonable import plain, records
from lyganalysis.metrics.balance import INDICATOR_KEYS, quality_balance_indicators, school_sections
from lyganalysis.metrics.coverage import coverage_table, reason_text
from lyganalysis.metrics.equity import achievement_gaps, inequality_table, locale_gap_table, urban_rural_gap
from lyganalysis.privacy import suppress_crosstab
from lyganalysis.standards import QUALITY_INDICATORS
from lyganalysis.summary import format_value

__all__ = ["EquitySection", "build", "TEXT", "html_table", "plain", "records", "staffing_frame", "staffing_gaps",
           "results_gaps", "STAFFING_MEASURES", "RESULT_MEASURES"]

esc = _html.escape

TEXT: dict[str, dict[str, str]] = {
    "gender": {"zh": "性别", "en": "Gender"}, "migrant": {"zh": "随迁子女", "en": "Migrant children"},
    "left_behind": {"zh": "留守儿童", "en": "Left-behind children"}, "locale": {"zh": "城乡", "en": "Locale"},
    "female": {"zh": "女", "en": "female"}, "male": {"zh": "男", "en": "male"},
    "True": {"zh": "是", "en": "yes"}, "False": {"zh": "否", "en": "no"},
    "urban": {"zh": "城区", "en": "urban"}, "town": {"zh": "镇区", "en": "town"}, "rural": {"zh": "乡村", "en": "rural"},
    "chinese": {"zh": "语文", "en": "Chinese"}, "math": {"zh": "数学", "en": "Mathematics"},
    "english": {"zh": "英语", "en": "English"},
    "primary": {"zh": "小学", "en": "Primary"}, "junior": {"zh": "初中", "en": "Junior"},
    "met": {"zh": "达标", "en": "met"}, "close": {"zh": "接近", "en": "close"}, "not_met": {"zh": "未达标", "en": "not met"},
    "not_measurable": {"zh": "无法测量", "en": "not measurable"}, "withheld": {"zh": "不予公布", "en": "withheld"},
    "mean_score": {"zh": "校均分", "en": "School mean score"},
    "student_teacher_ratio": {"zh": "生师比", "en": "Student–teacher ratio"},
    "share_above_required": {"zh": "高于规定学历教师占比", "en": "Teachers above the required qualification"},
    "backbone_per_100": {"zh": "每百名学生县级以上骨干教师数（L2）", "en": "Backbone teachers per 100 students (L2)"},
    "share_50_plus": {"zh": "50岁及以上教师占比", "en": "Teachers aged 50+"},
    "pass_rate": {"zh": "及格率", "en": "Pass rate"}, "excellence_rate": {"zh": "优秀率", "en": "Excellence rate"},
    "value_added": {"zh": "增值（收缩后的学校效应）", "en": "Value-added (shrunken school effect)"},
    "w_students": {"zh": "按学生数加权", "en": "weighted by students"},
    "w_teachers": {"zh": "按教师数加权", "en": "weighted by teachers"},
    "w_teacher_records": {"zh": "按有记录的教师数加权", "en": "weighted by teachers with records"},
    "w_takers": {"zh": "按参考人数加权", "en": "weighted by test-takers"},
    "w_va_students": {"zh": "按纳入模型的学生数加权", "en": "weighted by students in the fit"},
}

# measure → (weight column, people counted for suppression, weighting label, display kind)
STAFFING_MEASURES: dict[str, tuple[str, str, str, str]] = {
    "student_teacher_ratio": ("students", "students", "w_students", "ratio"),
    "share_above_required": ("teachers", "teachers", "w_teachers", "share"),
    "backbone_per_100": ("students", "students", "w_students", "per100"),
    "share_50_plus": ("teacher_records", "teacher_records", "w_teacher_records", "share"),
}
"""Staffing gaps by locale: the measure, its weight (students for per-student measures, teachers for shares
of teachers) and the count that decides small-group suppression."""

RESULT_MEASURES: dict[str, tuple[str, str, str, str]] = {
    "mean_score": ("n_takers", "n_takers", "w_takers", "score"),
    "pass_rate": ("n_takers", "n_takers", "w_takers", "share"),
    "excellence_rate": ("n_takers", "n_takers", "w_takers", "share"),
    "value_added": ("n", "n", "w_va_students", "effect_points"),
}
"""Result gaps by locale, per school × grade × subject."""


def lab(code: Any, lang: str) -> str:
    s = str(code)
    return TEXT[s][lang] if s in TEXT else s


def fmt(v: Any, kind: str) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, float) and math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if kind in ("count", "rate", "score", "ratio", "signed"):
        return format_value(v, kind)  # the report-wide display rule (lyganalysis.summary)
    if kind == "effect":
        return f"{float(v):+.2f}"
    if kind == "index":
        return f"{float(v):.4f}"
    return str(v)


def html_table(rows: list[list[tuple[str, str | None]]], head: list[str], *, cls: str = "") -> str:
    """Rows of (text, data-key or None) cells under a header; every text escaped."""
    th = "".join(f"<th>{esc(h)}</th>" for h in head)

    def td(text: str, key: str | None) -> str:
        attr = "" if key is None else ' data-key="' + esc(key) + '"'
        return f"<td{attr}>{esc(text)}</td>"

    body = "".join("<tr>" + "".join(td(t, k) for t, k in r) + "</tr>" for r in rows)
    c = f" class=\"{cls}\"" if cls else ""
    return f"<table{c}><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EquitySection:
    """The equity section of one county report (full-precision frames; rounding happens in ``html()``).

    Attributes
    ----------
    county, school_year, language, min_cell_size, dataset, simulated
    gaps : DataFrame
        :func:`lyganalysis.metrics.equity.achievement_gaps` for gender, migrant, left_behind and locale
        (reference: male, non-migrant, not left-behind, urban), per grade × subject.
    resource_gaps : DataFrame
        Town / rural − urban gaps in L1–L7 per stage (schools weighted by students; n = Kish
        effective number of schools): ``stage, indicator`` + :func:`group_gap` columns.
    coverage : DataFrame
        The county's rows of :func:`lyganalysis.metrics.coverage.coverage_table`.
    inequality : DataFrame
        ``stage, measure`` (L1–L7 or ``mean_score``), ``grade, subject`` (scores), Gini, Theil T,
        between- and within-locale parts, McLoone, range ratio.
    staffing_gaps : DataFrame
        ``stage, measure, weighting`` + :func:`lyganalysis.metrics.equity.locale_gap_table` columns, one row
        per stage × measure × non-reference locale (see :data:`STAFFING_MEASURES`).
    results_gaps : DataFrame
        ``grade, subject, measure, weighting`` + the same columns (see :data:`RESULT_MEASURES`).
    composition : dict
        ``{variable: SuppressedTable}`` — locale × group test-takers and mean score, first grade and
        subject, small cells withheld with secondary suppression.
    unavailable : list of dict
        ``{"item", "reason"}`` for what the data do not allow.
    """

    county: str
    school_year: int
    language: str
    min_cell_size: int
    dataset: str
    simulated: bool
    gaps: pd.DataFrame
    resource_gaps: pd.DataFrame
    coverage: pd.DataFrame
    inequality: pd.DataFrame
    composition: dict = field(default_factory=dict)
    unavailable: list = field(default_factory=list)
    staffing_gaps: pd.DataFrame = field(default_factory=pd.DataFrame)
    results_gaps: pd.DataFrame = field(default_factory=pd.DataFrame)

    # ------------------------------------------------------------------ export
    def to_dict(self) -> dict:
        """Plain JSON-able data for ``<county>.metrics.json`` (full precision; withheld values None)."""
        return {
            "section": "equity", "county": self.county, "school_year": self.school_year,
            "language": self.language, "min_cell_size": self.min_cell_size,
            "gaps": records(self.gaps), "resource_gaps": records(self.resource_gaps),
            "staffing_gaps": records(self.staffing_gaps), "results_gaps": records(self.results_gaps),
            "coverage": records(self.coverage), "inequality": records(self.inequality),
            "composition": {v: {"display": [{"row": str(i), **{"/".join(map(str, c)) if isinstance(c, tuple) else str(c): str(x)
                                                                for c, x in r.items()}}
                                            for i, r in st.display.iterrows()]}
                            for v, st in self.composition.items()},
            "unavailable": list(self.unavailable),
        }

    # ------------------------------------------------------------------ HTML
    def html(self) -> str:
        """The section as an HTML fragment (no heading: the report adds it)."""
        lang = self.language
        zh = lang == "zh"
        k = self.min_cell_size
        parts = []
        parts.append(f"<h3>{esc('学生群体的学业差距' if zh else 'Achievement gaps between student groups')}</h3>")
        parts.append(self._html_gaps())
        parts.append(f"<p class=\"lyg-muted\">{esc(_GAP_NOTE[lang].format(k=k))}</p>")
        parts.append(f"<h3>{esc('城乡学校资源差距（按学生数加权）' if zh else 'Urban–town–rural gaps in school resources (weighted by students)')}</h3>")
        parts.append(self._html_resource_gaps())
        parts.append(f"<h3>{esc('城乡学校师资差距' if zh else 'Urban–town–rural gaps in staffing')}</h3>")
        parts.append(self._html_locale_gaps(self.staffing_gaps, "staffing"))
        parts.append(f"<h3>{esc('城乡学校学业结果差距（按学校）' if zh else 'Urban–town–rural gaps in results (school level)')}</h3>")
        parts.append(self._html_locale_gaps(self.results_gaps, "results"))
        parts.append(f"<p class=\"lyg-muted\">{esc(_LOCALE_NOTE[lang].format(k=k))}</p>")
        parts.append(f"<h3>{esc('目标覆盖率' if zh else 'Coverage against the city targets')}</h3>")
        parts.append(html_coverage(self.coverage, lang, key_prefix="equity.coverage"))
        parts.append(f"<h3>{esc('泰尔指数：城乡之间与城乡内部' if zh else 'Theil index: between and within urban / town / rural')}</h3>")
        parts.append(html_inequality(self.inequality, lang, by_label="城乡" if zh else "locale",
                                     key_prefix="equity.theil"))
        if self.composition:
            parts.append(f"<h3>{esc('各类学生的分布（小组不予公布）' if zh else 'Where the groups are (small cells withheld)')}</h3>")
            for var, st in self.composition.items():
                parts.append(f"<p><b>{esc(lab(var, lang))}</b></p>" + _html_suppressed(st, lang))
            parts.append(f"<p class=\"lyg-muted\">{esc(_SUPP_NOTE[lang].format(k=k))}</p>")
        if self.unavailable:
            head = "以下内容数据不支持，未计算：" if zh else "Not computed, because the data do not allow it:"
            lis = "".join(f"<li>{esc(str(u['item']))}: {esc(str(u['reason']))}</li>" for u in self.unavailable)
            parts.append(f"<div class=\"lyg-muted\"><p>{esc(head)}</p><ul>{lis}</ul></div>")
        return "".join(parts)

    def _html_gaps(self) -> str:
        lang = self.language
        zh = lang == "zh"
        g = self.gaps
        if g.empty:
            return f"<p class=\"lyg-muted\">{esc('数据中没有学生成绩，未计算' if zh else 'no student scores; not computed')}</p>"
        head = (["年级", "科目", "分组", "组别", "参照组", "人数", "参照组人数", "平均分", "参照组平均分", "差值",
                 "95% 置信区间", "Hedges' g", "V"] if zh else
                ["Grade", "Subject", "Grouping", "Group", "Reference", "n", "n (reference)", "Mean",
                 "Mean (reference)", "Difference", "95% interval", "Hedges' g", "V"])
        rows = []
        for r in g.itertuples(index=False):
            key = f"equity.gap.{r.variable}.{r.grade}.{r.subject}.{r.group}"
            ci = "—" if r.suppressed or pd.isna(r.ci_low) else f"[{r.ci_low:+.1f}, {r.ci_high:+.1f}]"
            v = getattr(r, "v", float("nan"))
            rows.append([(str(r.grade), None), (lab(r.subject, lang), None), (lab(r.variable, lang), None),
                         (lab(r.group, lang), None), (lab(r.reference, lang), None),
                         (r.n_display, f"{key}.n"), (r.n_reference_display, f"{key}.n_reference"),
                         (fmt(r.mean, "score"), f"{key}.mean"), (fmt(r.mean_reference, "score"), f"{key}.mean_reference"),
                         (fmt(r.difference, "signed"), f"{key}.difference"), (ci, f"{key}.interval"),
                         (fmt(r.hedges_g, "effect"), f"{key}.hedges_g"), (fmt(v, "effect"), f"{key}.v")])
        return html_table(rows, head)

    def _html_resource_gaps(self) -> str:
        lang = self.language
        zh = lang == "zh"
        g = self.resource_gaps
        if g.empty:
            return f"<p class=\"lyg-muted\">{esc('无法计算（缺少城区学校或资源数据）' if zh else 'not computed (no urban schools or no resource data)')}</p>"
        head = (["学段", "指标", "组别", "学校数(有效)", "均值", "城区均值", "差值", "95% 置信区间", "Hedges' g"] if zh else
                ["Stage", "Indicator", "Group", "Schools (effective)", "Mean", "Urban mean", "Difference", "95% interval", "Hedges' g"])
        rows = []
        for r in g.itertuples(index=False):
            ind = QUALITY_INDICATORS[r.indicator]
            name = f"{r.indicator} {ind.name_zh if zh else ind.name_en}"
            key = f"equity.resource_gap.{r.stage}.{r.indicator}.{r.group}"
            ci = "—" if pd.isna(r.ci_low) else f"[{r.ci_low:+.2f}, {r.ci_high:+.2f}]"
            rows.append([(lab(r.stage, lang), None), (name, None), (lab(r.group, lang), None),
                         (fmt(r.n, "ratio"), f"{key}.n"), (fmt(r.mean, "score"), f"{key}.mean"),
                         (fmt(r.mean_reference, "score"), f"{key}.mean_reference"),
                         (f"{r.difference:+.2f}", f"{key}.difference"), (ci, f"{key}.interval"),
                         (fmt(r.hedges_g, "effect"), f"{key}.hedges_g")])
        return html_table(rows, head)

    def _html_locale_gaps(self, g: pd.DataFrame, what: str) -> str:
        lang = self.language
        zh = lang == "zh"
        if g is None or g.empty:
            return f"<p class=\"lyg-muted\">{esc('无法计算（城乡类别不足两类或缺少数据）' if zh else 'not computed (fewer than two locales, or no data)')}</p>"
        first = (["学段"] if zh else ["Stage"]) if what == "staffing" else (["年级", "科目"] if zh else ["Grade", "Subject"])
        head = first + (["指标", "加权", "组别", "参照组", "学校数", "参照组学校数", "人数", "参照组人数", "均值",
                         "参照组均值", "差值", "95% 置信区间", "Hedges' g"] if zh else
                        ["Measure", "Weighting", "Group", "Reference", "Schools", "Schools (reference)", "People",
                         "People (reference)", "Mean", "Mean (reference)", "Difference", "95% interval", "Hedges' g"])
        kinds = {**STAFFING_MEASURES, **RESULT_MEASURES}
        rows = []
        for r in g.itertuples(index=False):
            kind = kinds[r.measure][3]
            if what == "staffing":
                key = f"equity.staffing_gap.{r.stage}.{r.measure}.{r.group}"
                cells = [(lab(r.stage, lang), None)]
            else:
                key = f"equity.results_gap.{r.grade}.{r.subject}.{r.measure}.{r.group}"
                cells = [(str(r.grade), None), (lab(r.subject, lang), None)]
            ci = "—" if r.suppressed or pd.isna(r.ci_low) else \
                f"[{fmt_measure(r.ci_low, kind, signed=True)}, {fmt_measure(r.ci_high, kind, signed=True)}]"
            cells += [(lab(r.measure, lang), None), (lab(r.weighting, lang), None), (lab(r.group, lang), None),
                      (lab(r.reference, lang), None), (str(r.n_units), f"{key}.n_units"),
                      (str(r.n_units_reference), f"{key}.n_units_reference"),
                      (r.count_display, f"{key}.count"), (r.count_reference_display, f"{key}.count_reference"),
                      (fmt_measure(r.mean, kind), f"{key}.mean"),
                      (fmt_measure(r.mean_reference, kind), f"{key}.mean_reference"),
                      (fmt_measure(r.difference, kind, signed=True), f"{key}.difference"), (ci, f"{key}.interval"),
                      (fmt(r.hedges_g, "effect"), f"{key}.hedges_g")]
            rows.append(cells)
        return html_table(rows, head)

    # ------------------------------------------------------------------ figures
    def figure_names(self) -> list[str]:
        """Figures this section can draw with the data at hand."""
        names = []
        if not self.gaps.empty and self.gaps["hedges_g"].notna().any():
            names.append("gaps")
        if not self.coverage.empty and self.coverage["rate"].notna().any():
            names.append("coverage")
        if not self.inequality.empty:
            names.append("theil_locale")
        if not self.staffing_gaps.empty and self.staffing_gaps["hedges_g"].notna().any():
            names.append("staffing_gaps")
        return names

    def plot(self, name: str, *, ax=None, grade: Any = None, subject: str | None = None):
        """Draw figure ``name`` (see :meth:`figure_names`) on ``ax``; returns the axes.

        ``gaps``: Hedges' g with 95 % intervals per group (one grade × subject: the first by default);
        ``coverage``: coverage rates against their targets; ``theil_locale``: Theil T of each measure
        split into between-locale and within-locale parts; ``staffing_gaps``: Hedges' g of the staffing
        gaps by locale with 95 % intervals (standardized, so that ratios and shares share one axis;
        withheld rows are not drawn).
        """
        if name == "gaps":
            return plot_gaps(self.gaps, self.language, ax=ax, grade=grade, subject=subject)
        if name == "coverage":
            return plot_coverage(self.coverage, self.language, ax=ax)
        if name == "theil_locale":
            return plot_theil(self.inequality, self.language, ax=ax,
                              by_label="城乡" if self.language == "zh" else "locale")
        if name == "staffing_gaps":
            return plot_staffing_gaps(self.staffing_gaps, self.language, ax=ax)
        raise ValueError(f"unknown figure {name!r}; available: {self.figure_names()}")


_GAP_NOTE = {
    "zh": "差值 = 组别平均分 − 参照组平均分（缺考不计），Welch 95% 置信区间；Hedges' g 为标准化均差；"
          "V = √2·Φ⁻¹(AUC)（Ho & Reardon 2012），不受分数量表影响。人数少于 {k} 的组及其参照组人数不予公布（“<{k}”“*”），以免由总人数推算。",
    "en": "Difference = group mean − reference mean (absent students left out), Welch 95% interval; Hedges' g is the "
          "standardized mean difference; V = √2·Φ⁻¹(AUC) (Ho & Reardon 2012) does not depend on the score scale. "
          "Groups under {k} students are withheld together with the reference count ('<{k}', '*') so that they "
          "cannot be recovered from the number of test-takers.",
}
_LOCALE_NOTE = {
    "zh": "师资与学业结果的城乡差距以学校（学段）为单位：差值 = 组别均值 − 参照组均值，参照组为城区（县内无城区学校时为镇区）；"
          "生师比与每百名学生骨干教师数按学生数加权，高于规定学历教师占比按专任教师数加权，50岁及以上教师占比按有记录的教师数加权，"
          "平均分、及格率（≥60%满分）与优秀率（≥85%满分）按参考人数加权，增值为每个年级 × 科目单独拟合的随机截距模型中收缩后的学校效应"
          "（分），按纳入模型的学生数加权（学校少于 5 所时不拟合）。比例的差值以百分点计。“人数”为加权所用的人数（学生、教师或参考人数）。区间为 Welch 95% 置信区间（以 Kish 有效学校数计）；"
          "人数少于 {k} 的组不予公布，并隐藏一个互补人数（“*”）。",
    "en": "Staffing and result gaps by locale are computed over school sections: difference = group mean − reference "
          "mean, the reference being urban (town where the county has no urban school). Student–teacher ratio and "
          "backbone teachers per 100 students are weighted by students, the share above the required qualification "
          "by full-time teachers, the share aged 50+ by teachers with records; mean score, pass rate (≥ 60% of full "
          "marks) and excellence rate (≥ 85%) by test-takers; value-added is the shrunken school effect (points) of a "
          "random-intercept model fitted per grade × subject (not fitted with fewer than 5 schools), weighted by the "
          "students in the fit; 'People' counts whoever carries the weight (students, teachers or test-takers). "
          "Differences of shares are in percentage points. Welch 95% intervals on Kish's "
          "effective number of schools; groups of fewer than {k} people are withheld with one complementary count ('*').",
}
_SUPP_NOTE = {
    "zh": "人数少于 {k} 的格子显示“<{k}”，为防止由合计推算而一并隐藏的格子显示“*”；由少于 {k} 人计算的平均分显示“*”。",
    "en": "Cells under {k} show '<{k}'; cells withheld so that they cannot be recovered from the totals show '*'; "
          "means of fewer than {k} students show '*'.",
}


def html_coverage(cov: pd.DataFrame, lang: str, *, key_prefix: str, unit_column: bool = False) -> str:
    """Coverage rows as a table: measure, numerator and denominator with their definitions, rate, target, verdict."""
    zh = lang == "zh"
    if cov is None or cov.empty:
        return f"<p class=\"lyg-muted\">{esc('无数据' if zh else 'no data')}</p>"
    head = (["单位"] if unit_column and zh else ["Unit"] if unit_column else []) + (
        ["指标", "分子", "分子口径", "分母", "分母口径", "比率", "目标", "判定", "说明"] if zh else
        ["Measure", "Numerator", "Numerator definition", "Denominator", "Denominator definition", "Rate", "Target",
         "Verdict", "Note"])
    rows = []
    for r in cov.itertuples(index=False):
        key = f"{key_prefix}.{r.unit}.{r.key}" if unit_column else f"{key_prefix}.{r.key}"
        num = "*" if r.suppressed else fmt(r.numerator, "count")
        den = "*" if r.denominator_suppressed else fmt(r.denominator, "count")
        cells = [(str(r.unit), None)] if unit_column else []
        cells += [(r.name_zh if zh else r.name_en, None), (num, f"{key}.numerator"),
                  (r.numerator_definition_zh if zh else r.numerator_definition, None),
                  (den, f"{key}.denominator"), (r.denominator_definition_zh if zh else r.denominator_definition, None),
                  ("*" if r.suppressed else fmt(r.rate, "rate"), f"{key}.rate"),
                  (("≥ " if r.direction == "min" else "≤ ") + fmt(r.target, "rate"), f"{key}.target"),
                  (lab(r.verdict, lang), f"{key}.verdict"), (reason_text(r.reason, lang), None)]
        rows.append(cells)
    return html_table(rows, head)


def html_inequality(ineq: pd.DataFrame, lang: str, *, by_label: str, key_prefix: str) -> str:
    """Gini / Theil / between–within table."""
    zh = lang == "zh"
    if ineq is None or ineq.empty:
        return f"<p class=\"lyg-muted\">{esc('无法计算' if zh else 'not computed')}</p>"
    head = (["学段", "指标", "学校数", "基尼系数", "泰尔指数", f"{by_label}之间", f"{by_label}内部", f"{by_label}之间占比",
             "McLoone", "P95/P5"] if zh else
            ["Stage", "Measure", "Schools", "Gini", "Theil T", f"Between {by_label}", f"Within {by_label}",
             f"Between share", "McLoone", "P95/P5"])
    rows = []
    for r in ineq.to_dict(orient="records"):
        m = str(r["measure"])
        if m in QUALITY_INDICATORS:
            name = f"{m} {QUALITY_INDICATORS[m].name_zh if zh else QUALITY_INDICATORS[m].name_en}"
        else:
            name = f"{lab('mean_score', lang)} {_grade_text(r.get('grade'))}{'年级' if zh else ''} {lab(r.get('subject', ''), lang)}"
        stage = r.get("stage")
        sid = f"{stage}.{m}" if m in QUALITY_INDICATORS else f"{r.get('grade')}.{r.get('subject')}.{m}"
        key = f"{key_prefix}.{sid}"
        rows.append([(lab(stage, lang) if stage is not None and not pd.isna(stage) else "—", None), (name, None),
                     (fmt(r["n_units"], "count"), f"{key}.n_units"), (fmt(r["gini"], "index"), f"{key}.gini"),
                     (fmt(r["theil"], "index"), f"{key}.theil"), (fmt(r["theil_between"], "index"), f"{key}.theil_between"),
                     (fmt(r["theil_within"], "index"), f"{key}.theil_within"),
                     (fmt(r["between_share"], "rate"), f"{key}.between_share"),
                     (fmt(r.get("mcloone"), "index"), f"{key}.mcloone"), (fmt(r.get("range_ratio"), "ratio"), f"{key}.range_ratio")])
    return html_table(rows, head)


def _html_suppressed(st, lang: str) -> str:
    d = st.display
    head = [""] + [" ".join(lab(x, lang) for x in (c if isinstance(c, tuple) else (c,))) for c in d.columns]
    head = [h.replace("n ", "人数 " if lang == "zh" else "n ").replace("mean_score", "平均分" if lang == "zh" else "mean")
            for h in head]
    rows = [[(lab(i, lang), None)] + [(str(v), None) for v in r] for i, r in d.iterrows()]
    return html_table(rows, head)


def fmt_measure(v: Any, kind: str, *, signed: bool = False) -> str:
    """A staffing / result value for display: shares in % (differences in percentage points)."""
    if v is None or v is pd.NA or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    v = float(v)
    sign = "+" if signed else ""
    if kind == "share":
        return f"{100 * v:{sign}.1f}" + (" pp" if signed else "%")
    if kind in ("per100", "effect_points"):
        return f"{v:{sign}.2f}"
    return f"{v:{sign}.1f}"


# ------------------------------------------------------------------------------------------------ plots
def _labels_gap(df: pd.DataFrame, lang: str) -> list[str]:
    return [f"{lab(r.variable, lang)}: {lab(r.group, lang)}−{lab(r.reference, lang)}" for r in df.itertuples()]


def plot_gaps(gaps: pd.DataFrame, lang: str, *, ax=None, grade: Any = None, subject: str | None = None):
    """Hedges' g with intervals for one grade × subject (withheld groups are not drawn)."""
    from lyganalysis import plots

    g = gaps
    if g.empty:
        raise ValueError("no gaps to plot")
    if grade is None or subject is None:
        first = g.sort_values(["grade", "subject"]).iloc[0]
        grade = first["grade"] if grade is None else grade
        subject = first["subject"] if subject is None else subject
    g = g[(g["grade"] == grade) & (g["subject"] == subject)].copy()
    g["label"] = _labels_gap(g, lang)
    title = (f"{grade}年级{lab(subject, lang)}：各组与参照组的标准化差距（95% 区间）" if lang == "zh"
             else f"Grade {grade} {lab(subject, lang)}: standardized gaps (95% intervals)")
    return plots.dot_interval(g, estimate="hedges_g", lower="hedges_g_ci_low", upper="hedges_g_ci_high",
                              label="label", ax=ax, reference=0.0, title=title,
                              xlabel="Hedges' g（组别 − 参照组）" if lang == "zh" else "Hedges' g (group − reference)")


def plot_staffing_gaps(sg: pd.DataFrame, lang: str, *, ax=None):
    """Hedges' g of the staffing gaps by locale (stage × measure × group) with 95 % intervals; reference 0."""
    from lyganalysis import plots

    if sg is None or sg.empty:
        raise ValueError("no staffing gaps to plot")
    g = sg[sg["hedges_g"].notna()].copy()
    g["label"] = [f"{lab(r.stage, lang)} {lab(r.measure, lang)}: {lab(r.group, lang)}−{lab(r.reference, lang)}"
                  for r in g.itertuples()]
    return plots.dot_interval(g, estimate="hedges_g", lower="hedges_g_ci_low", upper="hedges_g_ci_high",
                              label="label", ax=ax, reference=0.0, sort=False,
                              title="城乡学校师资差距（标准化，95% 区间）" if lang == "zh"
                              else "Staffing gaps by locale (standardized, 95% intervals)",
                              xlabel="Hedges' g（组别 − 参照组）" if lang == "zh" else "Hedges' g (group − reference)")


def plot_coverage(cov: pd.DataFrame, lang: str, *, ax=None, unit: str | None = None):
    """Coverage rates (bars) against each target (marks); withheld and unmeasurable rates are not drawn."""
    from lyganalysis import plots

    c = cov if unit is None else cov[cov["unit"] == unit]
    c = c.copy()
    c["name"] = c["name_zh"] if lang == "zh" else c["name_en"]
    c["rate_pct"] = 100 * c["rate"].astype("float64")
    c["target_pct"] = 100 * c["target"].astype("float64")
    return plots.bar_against_limit(
        c, value="rate_pct", label="name", limit="target_pct", limit_label="目标" if lang == "zh" else "target",
        ax=ax, xlabel="%", fmt="{:.1f}",
        title="目标覆盖率（虚线为目标）" if lang == "zh" else "Coverage against the targets (dashed: target)")


def _grade_text(g) -> str:
    """A grade as people write it: 6, not 6.0 (grades arrive as floats after merges)."""
    try:
        return "" if g is None or pd.isna(g) else str(int(g))
    except (TypeError, ValueError):
        return str(g)


def plot_theil(ineq: pd.DataFrame, lang: str, *, ax=None, by_label: str = "locale", stage: str | None = None):
    """Theil T per measure split into between-group and within-group parts (grouped bars)."""
    from lyganalysis import plots

    d = ineq.copy()
    if stage is not None and "stage" in d:
        d = d[d["stage"] == stage]
    d["label"] = [(f"{lab(s, lang)} {m}" if m in QUALITY_INDICATORS else
                   f"{_grade_text(r_g)}{'年级' if lang == 'zh' else ''}{lab(r_s, lang)}")
                  for s, m, r_g, r_s in zip(d.get("stage", [None] * len(d)), d["measure"],
                                            d.get("grade", [""] * len(d)), d.get("subject", [""] * len(d)))]
    long = pd.concat([d.assign(part=f"{by_label}之间" if lang == "zh" else f"between {by_label}", value=d["theil_between"]),
                      d.assign(part=f"{by_label}内部" if lang == "zh" else f"within {by_label}", value=d["theil_within"])])
    return plots.bar_against_limit(long, value="value", label="label", hue="part", ax=ax, fmt="{:.3f}",
                                   annotate=False, xlabel="泰尔指数 T" if lang == "zh" else "Theil T",
                                   title="泰尔指数的组间与组内部分" if lang == "zh" else "Theil T: between and within")


# ------------------------------------------------------------------------------------------------ build
def _year(df, year):
    return None if df is None else df[df["school_year"] == year]


def school_scores(scores: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """Mean score and test-takers per school × grade × subject, with the school's county and locale."""
    taken = scores[~scores["absent"].astype(bool) & scores["score"].notna()]
    out = (taken.groupby(["school_id", "grade", "subject"], sort=True)["score"].agg(["mean", "size"])
           .rename(columns={"mean": "mean_score", "size": "n_takers"}).reset_index())
    info = schools[["school_id", "county", "locale"]].drop_duplicates("school_id")
    return out.merge(info, on="school_id", how="left")


def score_inequality(sch: pd.DataFrame, *, by: str) -> pd.DataFrame:
    """Theil decomposition of school mean scores (weighted by test-takers) per grade × subject."""
    parts = []
    for (grade, subject), sub in sch.groupby(["grade", "subject"], sort=True):
        sub = sub.dropna(subset=[by])
        if sub[by].nunique() < 1 or len(sub) < 2:
            continue
        t = inequality_table(sub, values=["mean_score"], weight="n_takers", by=by)
        if len(t):
            t.insert(0, "subject", subject)
            t.insert(0, "grade", grade)
            parts.append(t)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def staffing_frame(sections: pd.DataFrame, teachers: pd.DataFrame | None, *, school_year: int) -> pd.DataFrame:
    """Staffing measures per school section (primary / junior) with the school's locale.

    ``sections``: :func:`lyganalysis.metrics.balance.school_sections` of one county and year (counts from the
    schools table, as L1/L2). Returns ``school_id, stage, locale, students, teachers, teacher_records`` and
    ``student_teacher_ratio`` (students / full-time teachers; NaN without teachers), ``share_above_required``
    (teachers above the required qualification / teachers), ``backbone_per_100`` (county-level or higher
    backbone teachers per 100 students, = L2), ``share_50_plus`` (teachers aged 50+ in the calendar year
    ``school_year`` / teacher records of the section, from the ``teachers`` table; NaN without records).
    Sections without students are left out.
    """
    from lyganalysis.metrics.staffing import age_structure

    sec = sections[pd.to_numeric(sections["students"]) > 0]
    out = sec[["school_id", "stage", "locale"]].copy()
    students = pd.to_numeric(sec["students"]).astype("float64")
    teachers_n = pd.to_numeric(sec["teachers"]).astype("float64")
    out["students"] = students
    out["teachers"] = teachers_n
    t_pos = teachers_n.where(teachers_n > 0)
    out["student_teacher_ratio"] = students / t_pos
    out["share_above_required"] = pd.to_numeric(sec["above_required_qualification"]).astype("float64") / t_pos
    out["backbone_per_100"] = pd.to_numeric(sec["backbone_teachers"]).astype("float64") * 100.0 / students
    out["teacher_records"] = 0.0
    out["share_50_plus"] = float("nan")
    if teachers is not None and len(teachers):
        t = teachers[(teachers["school_year"] == school_year) & teachers["school_id"].isin(out["school_id"])
                     & teachers["stage"].isin(list(out["stage"].unique()))]
        if len(t):
            sh = age_structure(t, school_year=school_year, by=["school_id", "stage"]).shares
            sh = sh[["school_id", "stage", "teachers", "share_50_plus"]].rename(columns={"teachers": "_rec",
                                                                                        "share_50_plus": "_s50"})
            out = out.merge(sh, on=["school_id", "stage"], how="left")
            out["teacher_records"] = out["_rec"].astype("float64").fillna(0.0)
            out["share_50_plus"] = out["_s50"].astype("float64")
            out = out.drop(columns=["_rec", "_s50"])
    return out.reset_index(drop=True)


def _gap_rows(frame: pd.DataFrame, measures: dict, keys: dict, k: int) -> list[pd.DataFrame]:
    rows = []
    for measure, (weight, count, weighting, _) in measures.items():
        if measure not in frame.columns:
            continue
        g = locale_gap_table(frame, value=measure, weight=weight, count=count, min_cell_size=k)
        if len(g):
            g.insert(0, "weighting", weighting)
            g.insert(0, "measure", measure)
            for i, (c, v) in enumerate(keys.items()):
                g.insert(i, c, v)
            rows.append(g)
    return rows


def staffing_gaps(frame: pd.DataFrame, *, min_cell_size: int = 5) -> pd.DataFrame:
    """Locale gaps of :data:`STAFFING_MEASURES` per stage (input: :func:`staffing_frame`)."""
    parts = []
    for stage, sub in frame.groupby("stage", sort=False):
        parts += _gap_rows(sub, STAFFING_MEASURES, {"stage": stage}, int(min_cell_size))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def results_gaps(scores: pd.DataFrame, schools: pd.DataFrame, *, min_cell_size: int = 5,
                 min_schools_value_added: int = 5) -> tuple[pd.DataFrame, list[dict]]:
    """Locale gaps of :data:`RESULT_MEASURES` per grade × subject, at school level.

    ``scores``: one county and year. 三率一分 per school (takers only; cuts 60 % / 85 % of full marks) and,
    where prior scores exist, value-added per grade × subject (one exam; the latest when several): the
    shrunken school effects of :func:`lyganalysis.metrics.value_added.value_added`. Returns the gaps and a
    list of ``{"item", "reason"}`` for the value-added fits that were refused (e.g. fewer than
    ``min_schools_value_added`` schools) — never silent.
    """
    from lyganalysis.metrics.academic import three_rates_one_score
    from lyganalysis.metrics.value_added import value_added

    k = int(min_cell_size)
    loc = schools[["school_id", "locale"]].drop_duplicates("school_id")
    notes: list[dict] = []
    parts = []
    if "exam" in scores.columns:  # one exam per grade × subject: the latest
        n_exams = scores.groupby(["grade", "subject"])["exam"].nunique()
        for (grade, subject), n in n_exams[n_exams > 1].items():
            notes.append({"item": f"results_gaps G{grade} {subject}", "reason": f"{n} exams; only the latest is used"})
        if (n_exams > 1).any():
            latest = scores.groupby(["grade", "subject"])["exam"].transform("max")
            scores = scores[scores["exam"] == latest]
    three = three_rates_one_score(scores, by=["grade", "subject", "school_id"]).merge(loc, on="school_id", how="left")
    three = three[three["n_takers"] > 0]
    has_prior = "prior_score" in scores.columns
    for (grade, subject), sub in scores.groupby(["grade", "subject"], sort=True):
        frame = three[(three["grade"] == grade) & (three["subject"] == subject)]
        if has_prior and sub["prior_score"].notna().any():
            try:
                va = value_added(sub, by="school_id", min_groups=min_schools_value_added).to_frame()
                frame = frame.merge(va[["school_id", "n", "effect"]].rename(columns={"effect": "value_added"}),
                                    on="school_id", how="left")
                frame["n"] = frame["n"].fillna(0).astype("float64")
            except ValueError as e:
                notes.append({"item": f"value_added G{grade} {subject}", "reason": str(e)})
        else:
            notes.append({"item": f"value_added G{grade} {subject}", "reason": "no prior scores"})
        parts += _gap_rows(frame, RESULT_MEASURES, {"grade": grade, "subject": subject}, k)
    return (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()), notes


def build(ds, *, county: str, school_year: int, language: str = "zh", min_cell_size: int = 5) -> EquitySection:
    """Compute the equity section of ``county`` for ``school_year`` (see the module docstring).

    Raises
    ------
    KeyError
        ``county`` not in the data.
    ValueError
        No school of the county in ``school_year``; ``language`` not "zh"/"en".
    """
    if language not in ("zh", "en"):
        raise ValueError(f"language must be 'zh' or 'en', got {language!r}")
    if county not in ds.counties():
        raise KeyError(f"{county!r} is not a reporting unit of {ds.name} ({ds.counties()})")
    k = int(min_cell_size)
    schools = ds.schools[(ds.schools["school_year"] == school_year) & (ds.schools["county"] == county)]
    if schools.empty:
        raise ValueError(f"{county}: no schools in school year {school_year}")
    unavailable: list[dict] = []

    # achievement gaps, student level (locale as a user-named group)
    scores = ds.scores
    gaps = pd.DataFrame()
    res_gaps = pd.DataFrame()
    composition: dict = {}
    sch_scores = pd.DataFrame()
    if scores is not None and len(scores):
        keep = [c for c in ("school_id", "exam", "grade", "subject", "score", "full_marks", "absent", "prior_score",
                            "gender", "migrant", "left_behind") if c in scores.columns]
        scores = scores.loc[(scores["school_year"] == school_year) & scores["school_id"].isin(schools["school_id"]), keep]
    if scores is None or scores.empty:
        unavailable.append({"item": "achievement_gaps", "reason": "no student scores"})
    else:
        loc = schools[["school_id", "locale"]].drop_duplicates("school_id")
        sc = scores.merge(loc, on="school_id", how="left")
        groups = {g: r for g, r in {"gender": "male", "migrant": False, "left_behind": False}.items() if g in sc.columns}
        if (sc["locale"] == "urban").any():
            groups["locale"] = "urban"
        else:
            unavailable.append({"item": "urban_rural_score_gap", "reason": "no urban schools in this county"})
        gaps = achievement_gaps(sc, groups=groups, min_cell_size=k)
        composition = _composition(sc, k, language)
        sch_scores = school_scores(scores, schools)
        if "full_marks" in scores.columns:
            res_gaps, notes = results_gaps(scores, schools, min_cell_size=k)
            unavailable += notes
        else:
            unavailable.append({"item": "results_gaps", "reason": "no full marks in the scores table"})

    # resources by locale
    sections = school_sections(schools)
    ind = quality_balance_indicators(sections) if len(sections) else sections
    rgaps = []
    ineq_parts = []
    if len(ind):
        ind = ind[pd.to_numeric(ind["students"]) > 0]
        for stage, sub in ind.groupby("stage", sort=False):
            if (sub["locale"] == "urban").any() and sub["locale"].nunique() > 1:
                for key in INDICATOR_KEYS:
                    s2 = sub.dropna(subset=[key])
                    if s2["locale"].nunique() > 1 and (s2["locale"] == "urban").any():
                        gg = urban_rural_gap(s2, value=key, weight="students")
                        gg.insert(0, "indicator", key)
                        gg.insert(0, "stage", stage)
                        rgaps.append(gg)
        ineq_parts.append(inequality_table(ind, values=list(INDICATOR_KEYS), weight="students", by="locale", stage="stage"))
    else:
        unavailable.append({"item": "resource_gaps", "reason": "no compulsory-school sections"})
    staff = pd.DataFrame()
    if len(sections):
        staff = staffing_gaps(staffing_frame(sections, ds.teachers, school_year=school_year), min_cell_size=k)
        if not (sections["locale"] == "urban").any():
            unavailable.append({"item": "staffing_gaps_urban", "reason": "no urban schools in this county: "
                                "gaps are rural − town"})
    if ds.teachers is None:
        unavailable.append({"item": "share_50_plus", "reason": "no teacher records"})
    if not sch_scores.empty:
        ineq_parts.append(score_inequality(sch_scores, by="locale"))
    inequality = pd.concat([p for p in ineq_parts if len(p)], ignore_index=True) if any(len(p) for p in ineq_parts) \
        else pd.DataFrame()

    cov = coverage_table(ds, school_year=school_year, min_cell_size=k)
    cov = cov[cov["unit"] == county].reset_index(drop=True)

    return EquitySection(county=county, school_year=int(school_year), language=language, min_cell_size=k,
                         dataset=ds.name, simulated=bool(ds.simulated), gaps=gaps,
                         resource_gaps=pd.concat(rgaps, ignore_index=True) if rgaps else pd.DataFrame(),
                         coverage=cov, inequality=inequality, composition=composition, unavailable=unavailable,
                         staffing_gaps=staff, results_gaps=res_gaps)


def _composition(sc: pd.DataFrame, k: int, lang: str) -> dict:
    """Locale × group test-takers and mean score for the first grade × subject, suppressed (C27)."""
    taken = sc[~sc["absent"].astype(bool) & sc["score"].notna() & sc["locale"].notna()]
    if taken.empty:
        return {}
    grade = sorted(taken["grade"].unique())[0]
    subject = sorted(taken["subject"].unique())[0]
    sub = taken[(taken["grade"] == grade) & (taken["subject"] == subject)]
    out = {}
    for var in ("migrant", "left_behind"):
        if var not in sub.columns:
            continue
        long = (sub.groupby(["locale", var], sort=True)["score"].agg(["size", "mean"])
                .rename(columns={"size": "n", "mean": "mean_score"}).reset_index())
        long[var] = long[var].astype(str)
        out[var] = suppress_crosstab(long, row="locale", column=var, count="n", statistics=["mean_score"],
                                     min_cell_size=k, total_label="合计" if lang == "zh" else "Total")
    return out
