"""The equity section (教育公平) of a county report.

``build(ds, county=..., school_year=...)`` computes, for one county:

* achievement gaps of student groups — gender, 随迁 migrant, 留守 left-behind, and urban / town /
  rural schools — per grade × subject: difference in mean score with Welch interval, Hedges' g,
  Ho & Reardon's V, n per group; groups under ``min_cell_size`` withheld with their complement;
* urban / town / rural gaps in the seven 优质均衡 resource indicators (schools weighted by students);
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

from lyganalysis.metrics.balance import INDICATOR_KEYS, quality_balance_indicators, school_sections
from lyganalysis.metrics.coverage import coverage_table
from lyganalysis.metrics.equity import achievement_gaps, inequality_table, urban_rural_gap
from lyganalysis.privacy import suppress_crosstab
from lyganalysis.standards import QUALITY_INDICATORS

__all__ = ["EquitySection", "build", "TEXT", "html_table", "plain", "records"]

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
}


def lab(code: Any, lang: str) -> str:
    s = str(code)
    return TEXT[s][lang] if s in TEXT else s


def plain(v: Any) -> Any:
    """A JSON-able scalar: NaN/inf/NA → None, numpy → Python."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    return v if isinstance(v, (str, int)) else str(v)


def records(df: pd.DataFrame | None) -> list[dict]:
    if df is None or df.empty:
        return []
    return [{str(k): plain(v) for k, v in r.items()} for r in df.astype(object).to_dict(orient="records")]


def fmt(v: Any, kind: str) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, float) and math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if kind == "count":
        return f"{int(round(float(v))):,}"
    if kind == "rate":
        return f"{100 * float(v):.1f}%"
    if kind in ("score", "ratio"):
        return f"{float(v):.1f}"
    if kind == "signed":
        return f"{float(v):+.1f}"
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

    # ------------------------------------------------------------------ export
    def to_dict(self) -> dict:
        """Plain JSON-able data for ``<county>.metrics.json`` (full precision; withheld values None)."""
        return {
            "section": "equity", "county": self.county, "school_year": self.school_year,
            "language": self.language, "min_cell_size": self.min_cell_size,
            "gaps": records(self.gaps), "resource_gaps": records(self.resource_gaps),
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
        return names

    def plot(self, name: str, *, ax=None, grade: Any = None, subject: str | None = None):
        """Draw figure ``name`` (see :meth:`figure_names`) on ``ax``; returns the axes.

        ``gaps``: Hedges' g with 95 % intervals per group (one grade × subject: the first by default);
        ``coverage``: coverage rates against their targets; ``theil_locale``: Theil T of each measure
        split into between-locale and within-locale parts.
        """
        if name == "gaps":
            return plot_gaps(self.gaps, self.language, ax=ax, grade=grade, subject=subject)
        if name == "coverage":
            return plot_coverage(self.coverage, self.language, ax=ax)
        if name == "theil_locale":
            return plot_theil(self.inequality, self.language, ax=ax,
                              by_label="城乡" if self.language == "zh" else "locale")
        raise ValueError(f"unknown figure {name!r}; available: {self.figure_names()}")


_GAP_NOTE = {
    "zh": "差值 = 组别平均分 − 参照组平均分（缺考不计），Welch 95% 置信区间；Hedges' g 为标准化均差；"
          "V = √2·Φ⁻¹(AUC)（Ho & Reardon 2012），不受分数量表影响。人数少于 {k} 的组及其参照组人数不予公布（“<{k}”“*”），以免由总人数推算。",
    "en": "Difference = group mean − reference mean (absent students left out), Welch 95% interval; Hedges' g is the "
          "standardized mean difference; V = √2·Φ⁻¹(AUC) (Ho & Reardon 2012) does not depend on the score scale. "
          "Groups under {k} students are withheld together with the reference count ('<{k}', '*') so that they "
          "cannot be recovered from the number of test-takers.",
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
                  (lab(r.verdict, lang), f"{key}.verdict"), (str(r.reason or ""), None)]
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
            name = f"{lab('mean_score', lang)} {r.get('grade', '')}{'年级' if zh else ''} {lab(r.get('subject', ''), lang)}"
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


def plot_theil(ineq: pd.DataFrame, lang: str, *, ax=None, by_label: str = "locale", stage: str | None = None):
    """Theil T per measure split into between-group and within-group parts (grouped bars)."""
    from lyganalysis import plots

    d = ineq.copy()
    if stage is not None and "stage" in d:
        d = d[d["stage"] == stage]
    d["label"] = [(f"{lab(s, lang)} {m}" if m in QUALITY_INDICATORS else
                   f"{r_g}{'年级' if lang == 'zh' else ''}{lab(r_s, lang)}")
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
    composition: dict = {}
    sch_scores = pd.DataFrame()
    if scores is not None and len(scores):
        keep = [c for c in ("school_id", "grade", "subject", "score", "absent", "gender", "migrant", "left_behind")
                if c in scores.columns]
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
    if not sch_scores.empty:
        ineq_parts.append(score_inequality(sch_scores, by="locale"))
    inequality = pd.concat([p for p in ineq_parts if len(p)], ignore_index=True) if any(len(p) for p in ineq_parts) \
        else pd.DataFrame()

    cov = coverage_table(ds, school_year=school_year, min_cell_size=k)
    cov = cov[cov["unit"] == county].reset_index(drop=True)

    return EquitySection(county=county, school_year=int(school_year), language=language, min_cell_size=k,
                         dataset=ds.name, simulated=bool(ds.simulated), gaps=gaps,
                         resource_gaps=pd.concat(rgaps, ignore_index=True) if rgaps else pd.DataFrame(),
                         coverage=cov, inequality=inequality, composition=composition, unavailable=unavailable)


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
