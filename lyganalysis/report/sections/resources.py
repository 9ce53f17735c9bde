"""Report section "resource balance" (资源配置均衡): 优质均衡 / 基本均衡 差异系数, school compliance with what
each school lacks, government-guarantee checks, monitoring-point compliance and year-on-year change.

``build(ds, county=, school_year=)`` computes everything once (full precision); ``to_dict()`` goes into the
county's metrics JSON, ``html()`` into the page, ``plot(name, ax=)`` draws the figures and
:func:`export_tables` writes what a clerk pastes into the evaluation forms (CSV + Excel, Chinese headers).

Standards: 教督〔2017〕6号 (school years ≥ 2017) and 教督〔2012〕3号 (earlier years), standards.md §1–§3 and §6.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lyganalysis.labels import t
from lyganalysis.metrics.balance import (
    BASIC_KEYS,
    INDICATOR_KEYS,
    balance_assessment,
    basic_balance_indicators,
    compare_assessments,
    quality_balance_indicators,
    school_compliance,
    school_sections,
    select_standard,
    year_on_year,
)
from lyganalysis.metrics.guarantee import (
    GuaranteeChecks,
    MonitoringResult,
    example_monitoring_points,
    example_monitoring_values,
    guarantee_checks,
    monitoring_compliance,
)
from lyganalysis.standards import (
    BASIC_BALANCE_COMPOSITE_LIMITS,
    BASIC_INDICATORS,
    DOC_BASIC_2012,
    DOC_QUALITY_2017,
    QUALITY_CV_LIMITS,
    QUALITY_INDICATORS,
)
from lyganalysis.summary import format_value
from lyganalysis.jsonable import plain as _plain
from lyganalysis.jsonable import records as _records

__all__ = ["ResourcesSection", "build", "export_tables", "FIGURES"]

esc = html.escape
STAGES = ("primary", "junior")
FIGURES = ("cv_by_indicator", "compliance_heatmap", "cv_year_on_year")
_UNITS_ZH = {"teachers": "人", "m²": "平方米", "yuan": "元", "rooms": "间"}
_NEEDED = ["school_year", "school_id", "school_name", "county", "school_type", "students_primary", "students_junior",
           "students_senior"]


def _zh(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _stage(code: Any, lang: str) -> str:
    return t(str(code), lang) if str(code) in STAGES else str(code)


def _name(key: str, lang: str) -> str:
    if key in QUALITY_INDICATORS:
        ind = QUALITY_INDICATORS[key]
    elif key in BASIC_INDICATORS:
        ind = BASIC_INDICATORS[key]
    elif key == "composite":
        return _zh(lang, "综合差异系数", "Composite CV")
    else:
        return key
    return ind.name_zh if lang == "zh" else ind.name_en


@dataclass(frozen=True)
class ResourcesSection:
    """The resource-balance section of one county report (all frames at full precision).

    Attributes
    ----------
    county, county_code, school_year, language, min_cell_size, dataset, simulated
    standard : str
        Rule applied to ``school_year``: ``"quality_2017"`` or ``"basic_2012"`` (or ``"none"``).
    years : tuple of int
        School years used for the year-on-year change (those in the data up to ``school_year``).
    cv : DataFrame
        :func:`lyganalysis.metrics.balance.cv_comparison` under ``standard`` (weighted and unweighted CVs,
        limit, verdicts, ``verdict_flips``), one row per stage × indicator plus composite rows.
    cv_basic : DataFrame
        The 2012 eight-indicator comparison (informational when ``standard`` is 2017; empty when unavailable).
    assessment, assessment_unweighted
        Assessment objects of ``standard`` (None when unavailable).
    compliance : DataFrame or None
        2017 per-section compliance (values, ratios, shortfalls, ``n_met``, ``compliant``).
    schools_in_need : DataFrame
        Non-compliant sections, fewest indicators met first, with shortfall amounts and a ``lacks`` text.
    guarantee : GuaranteeChecks or None
        Government-guarantee checks for ``school_year``.
    monitoring : MonitoringResult or None
        Monitoring-point compliance with the EXAMPLE point list (``monitoring_points``), not the official one.
    year_on_year_cv, year_on_year_compliance : DataFrame
        Change of the per-indicator CVs and of compliance shares between the years given.
    unavailable : list of dict
        ``{"section", "item", "reason"}``.
    """

    county: str
    county_code: str | None
    school_year: int
    language: str
    min_cell_size: int
    dataset: str
    simulated: bool
    standard: str
    years: tuple
    cv: pd.DataFrame
    cv_basic: pd.DataFrame
    assessment: Any
    assessment_unweighted: Any
    compliance: pd.DataFrame | None
    schools_in_need: pd.DataFrame
    guarantee: GuaranteeChecks | None
    monitoring: MonitoringResult | None
    monitoring_points: pd.DataFrame
    year_on_year_cv: pd.DataFrame
    year_on_year_compliance: pd.DataFrame
    unavailable: list = field(default_factory=list)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict:
        """Everything as plain JSON-able data (full precision)."""
        a = self.assessment
        g = self.guarantee
        m = self.monitoring
        return {
            "county": self.county, "county_code": self.county_code, "school_year": self.school_year,
            "language": self.language, "min_cell_size": self.min_cell_size, "dataset": self.dataset,
            "simulated": self.simulated, "standard": self.standard, "years": list(self.years),
            "verdict": None if a is None else {
                "passes": bool(a.passes), "passes_unweighted": bool(self.assessment_unweighted.passes),
                "passes_by_stage": {k: bool(v) for k, v in a.passes_by_stage.items()},
                "composite_cv": {k: _plain(v) for k, v in a.composite_cv.items()},
                "failing": [list(f) if isinstance(f, tuple) else f for f in a.failing],
                "notes": list(a.notes)},
            "cv": _records(self.cv),
            "cv_basic_2012": _records(self.cv_basic),
            "top_contributors": [] if a is None else _records(a.top_contributors),
            "school_compliance": _records(self.compliance),
            "schools_in_need": _records(self.schools_in_need),
            "guarantee": None if g is None else {
                "class_size_rule": g.class_size_rule, "summary": _records(g.summary),
                "class_size_bands": _records(g.bands), "school_size": _records(g.school_size),
                "class_size": _records(g.class_size), "rooms": _records(g.rooms), "unavailable": list(g.unavailable)},
            "monitoring": None if m is None else {
                "points_are_example": True, "points": _records(self.monitoring_points),
                "share_of_schools": m.share_of_schools, "target": m.target, "meets_target": m.meets_target,
                "school_cut": m.school_cut, "missing": m.missing, "schools": _records(m.schools)},
            "year_on_year_cv": _records(self.year_on_year_cv),
            "year_on_year_compliance": _records(self.year_on_year_compliance),
            "unavailable": list(self.unavailable),
        }

    # ------------------------------------------------------------------ figures
    def figure_names(self) -> list[str]:
        """Figures this section can draw with its data."""
        names = []
        if len(self.cv):
            names.append("cv_by_indicator")
        if self.compliance is not None and len(self.compliance.dropna(subset=["compliant"])):
            names.append("compliance_heatmap")
        if len(self.year_on_year_cv) and self.year_on_year_cv["cv_weighted_change"].notna().any():
            names.append("cv_year_on_year")
        return names

    def plot(self, name: str, *, ax=None, max_rows: int = 40):
        """Draw figure ``name`` (see :meth:`figure_names`) with :mod:`lyganalysis.plots`; returns the axes."""
        from lyganalysis import plots

        lang = self.language
        if name not in self.figure_names():
            raise ValueError(f"unknown or unavailable figure {name!r}; available: {self.figure_names()}")
        stage_labels = {s: t(s, lang) for s in STAGES}
        if name == "cv_by_indicator":
            df = self.cv[self.cv["indicator"] != "composite"].copy()
            if self.standard == "basic_2012":  # the 2012 limit applies to the composite: draw it for reference
                df["limit"] = df["stage"].map({s: BASIC_BALANCE_COMPOSITE_LIMITS[s].value for s in STAGES})
            df["label"] = [f"{k} {_short(k, lang)}" for k in df["indicator"]]
            return plots.bar_against_limit(
                df, value="cv_weighted", label="label", hue="stage", limit="limit", labels=stage_labels,
                hue_order=list(STAGES), ax=ax,
                limit_label=_zh(lang, "限值（小学0.50/初中0.45）" if self.standard == "quality_2017"
                                else "综合限值（小学0.65/初中0.55）",
                                "Limit (primary 0.50 / junior 0.45)" if self.standard == "quality_2017"
                                else "Composite limit (primary 0.65 / junior 0.55)"),
                over_label=_zh(lang, "超过限值", "Over the limit"),
                title=_zh(lang, f"{self.county} {self.school_year}学年 各指标校际差异系数（按在校生加权）",
                          f"{self.county} {self.school_year}: inter-school CV per indicator (enrolment-weighted)"),
                xlabel=t("coefficient_of_variation", lang), fmt="{:.3f}")
        if name == "compliance_heatmap":
            c = self.compliance.dropna(subset=["compliant"]).copy()
            c["min_ratio"] = c[[f"{k}_ratio" for k in INDICATOR_KEYS]].min(axis=1)
            c = c.sort_values(["n_met", "min_ratio"], kind="stable").head(max_rows)
            c["row"] = [f"{n}（{_stage(s, lang)}）" if lang == "zh" else f"{n} ({_stage(s, lang)})"
                        for n, s in zip(c["school_name"], c["stage"])]
            long = c.melt(id_vars=["row"], value_vars=[f"{k}_ratio" for k in INDICATOR_KEYS],
                          var_name="indicator", value_name="ratio")
            long["indicator"] = long["indicator"].str.removesuffix("_ratio")
            return plots.compliance_heatmap(
                long, row="row", column="indicator", value="ratio", ax=ax, span=1.0, annotate=False,
                title=_zh(lang, f"各校指标值与标准之比（最需改进的 {len(c)} 个学段）",
                          f"Value / standard per school ({len(c)} sections furthest from compliance)"),
                colorbar_label=_zh(lang, "指标值 ÷ 标准值（1 = 恰好达标）", "value ÷ standard (1 = at the standard)"))
        # cv_year_on_year
        y = self.year_on_year_cv[self.year_on_year_cv["indicator"] != "composite"].copy()
        y["label"] = [f"{_stage(s, lang)} {k}" for s, k in zip(y["stage"], y["indicator"])]
        y["year"] = [f"{v}学年" if lang == "zh" else str(v) for v in y["school_year"]]
        ax = plots.bars_by_group(
            y, value="cv_weighted", label="label", by="year", ax=ax, annotate=False,
            title=_zh(lang, "各指标差异系数的年度变化（按在校生加权）", "Per-indicator CV by school year (enrolment-weighted)"),
            ylabel=t("coefficient_of_variation", lang))
        ax.tick_params(axis="x", labelrotation=60)
        return ax

    # ------------------------------------------------------------------ HTML
    def html(self) -> str:
        """The section as an HTML fragment in ``language``; numbers carry ``data-key`` attributes."""
        lang = self.language
        p: list[str] = []
        if self.standard == "none":
            p.append(_unavailable_html(self.unavailable, lang))
            return "".join(p)
        doc = DOC_QUALITY_2017 if self.standard == "quality_2017" else DOC_BASIC_2012
        if self.standard == "quality_2017":
            rule = _zh(lang, "每项指标的校际差异系数均须不超过限值（小学0.50、初中0.45）；综合差异系数仅供参考。",
                       "Every indicator's inter-school CV must be within the limit (primary 0.50, junior 0.45); "
                       "the composite CV is informational.")
        else:
            rule = _zh(lang, "8项指标综合差异系数（各项差异系数的平均值）小学不超过0.65、初中不超过0.55。",
                       "The composite CV (mean of the 8 CVs) must be within 0.65 (primary) / 0.55 (junior).")
        p.append(f"<p>{esc(_zh(lang, '评估依据：', 'Standard: '))}{esc(doc)}。{esc(rule)} "
                 f"{esc(_zh(lang, '差异系数按在校生数加权（官方算法）；同时列出不加权结果，两者结论不同时标出。', 'CVs are enrolment-weighted (the official method); unweighted CVs are shown alongside and differing verdicts are marked.'))}</p>")
        a = self.assessment
        if a is not None:
            p.append(_cv_table(self.cv, lang, "resources.cv"))
            verdict_cls = "lyg-verdict-pass" if a.passes else "lyg-verdict-fail"
            comp = "，".join(f"{_stage(s, lang)} <span data-key=\"resources.composite_cv.{s}\">"
                            f"{esc(format_value(v, 'cv', lang))}</span>" for s, v in a.composite_cv.items())
            p.append(f"<p>{esc(t('composite_cv', lang))}：{comp}。{esc(_zh(lang, '县域判定', 'County verdict'))}："
                     f"<span class=\"{verdict_cls}\" data-key=\"resources.verdict\">"
                     f"{esc(format_value(a.passes, 'verdict', lang))}</span>"
                     f"{esc(_zh(lang, '（不加权：', ' (unweighted: '))}"
                     f"<span data-key=\"resources.verdict_unweighted\">"
                     f"{esc(format_value(self.assessment_unweighted.passes, 'verdict', lang))}</span>）</p>")
            for note in _notes(self, lang):
                p.append(f"<p class=\"lyg-verdict-fail\">{esc(note)}</p>")
            if len(a.top_contributors):
                p.append("<h3>" + esc(_zh(lang, "超限指标中差异贡献最大的学校", "Schools contributing most to an over-limit indicator")) + "</h3>")
                tc = a.top_contributors.copy()
                tc["stage_label"] = [_stage(s, lang) for s in tc["stage"]]
                p.append(_table(tc, [("stage_label", t("stage", lang), "raw"), ("indicator", t("indicator", lang), "raw"),
                                     ("school_name", t("school", lang), "raw"), ("students", t("students", lang), "count"),
                                     ("value", t("value", lang), "num"),
                                     ("variance_share", _zh(lang, "占方差比例", "Share of variance"), "rate")],
                                lang, "resources.top", ("stage", "indicator", "school_id")))
        if self.standard == "quality_2017" and len(self.cv_basic):
            p.append("<h3>" + esc(_zh(lang, "参考：2012年基本均衡8项指标综合差异系数", "For reference: 2012 basic-balance composite CV (8 indicators)")) + "</h3>")
            comp = self.cv_basic[self.cv_basic["indicator"] == "composite"].copy()
            comp["stage_label"] = [_stage(s, lang) for s in comp["stage"]]
            p.append(_table(comp, [("stage_label", t("stage", lang), "raw"),
                                   ("cv_weighted", _zh(lang, "综合差异系数（加权）", "Composite CV (weighted)"), "cv"),
                                   ("cv_unweighted", _zh(lang, "综合差异系数（不加权）", "Composite CV (unweighted)"), "cv"),
                                   ("limit", t("cv_limit", lang), "cv"),
                                   ("passes_weighted", t("passes", lang), "verdict")],
                            lang, "resources.cv_basic", ("stage",)))
        if self.compliance is not None and len(self.compliance):
            p.append("<h3>" + esc(_zh(lang, "学校达标情况（7项指标中至少6项达标，其余不低于85%）",
                                      "School compliance (≥ 6 of 7 indicators met, the other ≥ 85%)")) + "</h3>")
            p.append(_table(_compliance_shares(self.compliance, lang),
                            [("stage_label", t("stage", lang), "raw"), ("n", _zh(lang, "学校数", "Schools"), "count"),
                             ("compliant", _zh(lang, "达标学校", "Compliant"), "count"),
                             ("share", t("compliant_share", lang), "rate")], lang, "resources.compliance", ("stage",)))
            p.append(_in_need_html(self.schools_in_need, lang))
        g = self.guarantee
        if g is not None:
            p.append("<h3>" + esc(_zh(lang, "政府保障程度中数据可核查的项目", "Government-guarantee items the data allow")) + "</h3>")
            s = g.summary.copy()
            s["name"] = s["name_zh"] if lang == "zh" else s["name_en"]
            p.append(_table(s, [("name", _zh(lang, "项目", "Item"), "raw"), ("n_schools", _zh(lang, "学校数", "Schools"), "count"),
                                ("n_within", _zh(lang, "达标学校", "Compliant"), "count"),
                                ("share_within", _zh(lang, "达标比例", "Share compliant"), "rate"),
                                ("all_within", _zh(lang, "全部达标", "All comply"), "verdict")],
                            lang, "resources.guarantee", ("item",)))
            limits_txt = (_zh(lang, "班额限值：小学45人、初中50人（优质均衡）", "Class-size limits: primary 45, junior 50 (2017 rule)")
                          if g.class_size_rule == "quality_2017" else
                          _zh(lang, "班额限值：小学40人、初中45人（江苏标准）", "Class-size limits: primary 40, junior 45 (Jiangsu)"))
            p.append(f"<p class=\"lyg-muted\">{esc(limits_txt)}</p>")
            p.append("<h3>" + esc(_zh(lang, "最大班额所在分档（学校数）", "Schools by the band of their largest class")) + "</h3>")
            b = g.bands.copy()
            b["stage_label"] = [_stage(x, lang) for x in b["stage"]]
            b["band_label"] = b["name_zh"] if lang == "zh" else b["name_en"]
            p.append(_table(b, [("stage_label", t("stage", lang), "raw"), ("band_label", _zh(lang, "班额分档", "Band"), "raw"),
                                ("n_schools", _zh(lang, "学校数", "Schools"), "count"),
                                ("share_of_schools", _zh(lang, "占比", "Share"), "rate")],
                            lang, "resources.class_size_bands", ("stage", "band")))
            p.append(f"<p class=\"lyg-muted\">{esc(_zh(lang, '数据只记录各校各学段的最大班额：表中是最大班额落在各档的学校数；各档的班级数需要逐班数据。', 'The data record only the largest class of each school stage: the table counts schools by the band of their largest class; the number of classes in each band needs per-class data.'))}</p>")
        m = self.monitoring
        if m is not None:
            p.append("<h3>" + esc(_zh(lang, "办学标准监测点达标（示例监测点）", "School-running standard monitoring points (example list)")) + "</h3>")
            cls = "lyg-verdict-pass" if m.meets_target else "lyg-verdict-fail"
            p.append(f"<p>{esc(_zh(lang, '监测点达标率不低于90%的学校占比：', 'Share of schools meeting ≥ 90% of the points: '))}"
                     f"<span class=\"{cls}\" data-key=\"resources.monitoring.share_of_schools\">"
                     f"{esc(format_value(m.share_of_schools, 'rate', lang))}</span>"
                     f"{esc(_zh(lang, f'（市目标 {m.target:.0%}；{len(m.schools)} 所学校）', f' (city target {m.target:.0%}; {len(m.schools)} schools)'))}</p>")
            p.append(f"<p class=\"lyg-muted\">{esc(_zh(lang, '注意：江苏省办学标准的官方监测点清单未取得；此处使用程序自带的示例清单（优质均衡7项指标、江苏班额标准、音乐美术教室配备），仅演示计算方法，不是官方结果。请以省定监测点清单替换。', 'Note: the official Jiangsu monitoring-point list was not available; this uses the example list shipped with the package (the seven indicators, Jiangsu class-size norms, music and art rooms). It demonstrates the method and is not an official result; replace it with the provincial list.'))}</p>")
        if len(self.years) > 1 and len(self.year_on_year_cv):
            p.append("<h3>" + esc(_zh(lang, "年度变化", "Year-on-year change")) + "</h3>")
            y = self.year_on_year_cv[(self.year_on_year_cv["school_year"] == self.school_year)].copy()
            y["stage_label"] = [_stage(s, lang) for s in y["stage"]]
            y["name"] = [_name(k, lang) for k in y["indicator"]]
            p.append(_table(y, [("stage_label", t("stage", lang), "raw"), ("indicator", "", "raw"), ("name", t("indicator", lang), "raw"),
                                ("cv_weighted_previous", _zh(lang, f"{int(y['previous_year'].dropna().iloc[0]) if y['previous_year'].notna().any() else ''}学年差异系数", "CV, previous year"), "cv"),
                                ("cv_weighted", _zh(lang, f"{self.school_year}学年差异系数", f"CV, {self.school_year}"), "cv"),
                                ("cv_weighted_change", _zh(lang, "变化", "Change"), "cv_signed")],
                            lang, "resources.yoy_cv", ("stage", "indicator")))
            yc = self.year_on_year_compliance[self.year_on_year_compliance["school_year"] == self.school_year].copy()
            if len(yc):
                yc["label"] = [_measure_label(mm, s, lang) for mm, s in zip(yc["measure"], yc["stage"])]
                p.append(_table(yc, [("label", _zh(lang, "项目", "Item"), "raw"),
                                     ("share_previous", _zh(lang, "上年", "Previous year"), "rate"),
                                     ("share", _zh(lang, "本年", "This year"), "rate"),
                                     ("share_change", _zh(lang, "变化（百分点）", "Change (pp)"), "pp")],
                                lang, "resources.yoy_share", ("measure", "stage")))
        p.append(_unavailable_html(self.unavailable, lang))
        return "".join(p)


# ---------------------------------------------------------------------------------------------
# HTML helpers

def _fmt(v: Any, kind: str, lang: str) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if kind == "num":
        v = float(v)
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}"
    if kind == "cv_signed":
        return f"{float(v):+.3f}"
    if kind == "pp":
        return f"{100 * float(v):+.1f}"
    if kind == "raw":
        return str(v)
    return format_value(v, kind, lang)


def _table(df: pd.DataFrame, columns: list[tuple[str, str, str]], lang: str, key_prefix: str,
           key_cols: tuple[str, ...]) -> str:
    if df is None or len(df) == 0:
        return f"<p class=\"lyg-muted\">{esc(t('unavailable', lang))}</p>"
    columns = [c for c in columns if c[0] in df.columns]
    head = "".join(f"<th>{esc(h)}</th>" for _, h, _ in columns)
    rows = []
    for r in df.to_dict(orient="records"):
        cells = []
        for col, _, kind in columns:
            txt = _fmt(r.get(col), kind, lang)
            attr = ""
            if kind != "raw":
                key = ".".join([key_prefix, *[str(r.get(k)) for k in key_cols], col])
                attr = f" data-key=\"{esc(key)}\""
            cells.append(f"<td{attr}>{esc(txt)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _short(key: str, lang: str) -> str:
    short = {"L1": ("高学历教师", "above-qualif."), "L2": ("骨干教师", "backbone"), "L3": ("体艺教师", "PE/arts"),
             "L4": ("教学用房", "teaching area"), "L5": ("体育场馆", "sports area"), "L6": ("仪器设备", "equipment"),
             "L7": ("多媒体教室", "multimedia"), "B1": ("教学用房", "teaching area"), "B2": ("体育场馆", "sports area"),
             "B3": ("仪器设备", "equipment"), "B4": ("计算机", "computers"), "B5": ("图书", "books"),
             "B6": ("师生比", "teachers"), "B7": ("高学历教师", "above-qualif."), "B8": ("中级职称教师", "mid titles")}
    zh, en = short.get(key, (key, key))
    return zh if lang == "zh" else en


def _cv_table(cv: pd.DataFrame, lang: str, prefix: str) -> str:
    df = cv.copy()
    df["stage_label"] = [_stage(s, lang) for s in df["stage"]]
    df["name"] = [_name(k, lang) for k in df["indicator"]]
    df["flip"] = [(_zh(lang, "结论不同", "verdict differs") if f is True else "") for f in df["verdict_flips"].astype(object)]
    return _table(df, [("stage_label", t("stage", lang), "raw"), ("indicator", "", "raw"), ("name", t("indicator", lang), "raw"),
                       ("mean", _zh(lang, "县域均值", "County value"), "num"),
                       ("cv_weighted", _zh(lang, "差异系数（加权）", "CV (weighted)"), "cv"),
                       ("cv_unweighted", _zh(lang, "差异系数（不加权）", "CV (unweighted)"), "cv"),
                       ("limit", t("cv_limit", lang), "cv"),
                       ("passes_weighted", t("passes", lang), "verdict"),
                       ("passes_unweighted", _zh(lang, "达标（不加权）", "Within limit (unweighted)"), "verdict"),
                       ("flip", "", "raw")], lang, prefix, ("stage", "indicator"))


def _notes(sec: ResourcesSection, lang: str) -> list[str]:
    a = sec.assessment
    notes = []
    if sec.standard == "quality_2017":
        for st, comp in a.composite_cv.items():
            bad = [k for s, k in a.failing if s == st]
            lim = QUALITY_CV_LIMITS[st].value
            if bad and comp <= lim:
                notes.append(_zh(lang, f"{_stage(st, lang)}：综合差异系数 {comp:.3f} 未超过 {lim:g}，但 {'、'.join(bad)} 超过限值；"
                                 "按2017年办法每项指标都须达标，因此该学段不达标。",
                                 f"{_stage(st, lang)}: the composite CV {comp:.3f} is within {lim:g}, but {', '.join(bad)} "
                                 "exceed it; under the 2017 rule every indicator must be within the limit, so the stage fails."))
    else:
        if not a.complete:
            notes.append(_zh(lang, f"8项指标不全（缺 {'、'.join(a.unavailable)}），综合差异系数仅供参考。",
                             f"Not all 8 indicators are available (missing {', '.join(a.unavailable)}); the composite is indicative only."))
    flips = sec.cv[sec.cv["verdict_flips"].fillna(False).astype(bool)]
    if len(flips):
        items = "、".join(f"{_stage(s, lang)}{k}" for s, k in zip(flips["stage"], flips["indicator"])) if lang == "zh" \
            else ", ".join(f"{_stage(s, lang)} {k}" for s, k in zip(flips["stage"], flips["indicator"]))
        notes.append(_zh(lang, f"加权与不加权差异系数结论不同的指标：{items}。官方按在校生加权。",
                         f"Indicators whose verdict depends on weighting: {items}. The official method is enrolment-weighted."))
    return notes


def _compliance_shares(compliance: pd.DataFrame, lang: str) -> pd.DataFrame:
    c = compliance.dropna(subset=["compliant"])
    rows = []
    for st in STAGES:
        g = c[c["stage"] == st]
        if len(g):
            rows.append({"stage": st, "stage_label": _stage(st, lang), "n": len(g),
                         "compliant": int(g["compliant"].astype(bool).sum()),
                         "share": float(g["compliant"].astype(bool).mean())})
    return pd.DataFrame(rows)


def _lacks_text(r: dict, lang: str) -> str:
    items = []
    for k, ind in QUALITY_INDICATORS.items():
        need = r.get(f"{k}_shortfall")
        if need is not None and not pd.isna(need) and need > 0:
            amount = f"{need:,.0f}" if ind.countable or need >= 100 else f"{need:,.1f}"
            unit = _UNITS_ZH.get(ind.resource_unit, ind.resource_unit) if lang == "zh" else ind.resource_unit
            items.append(f"{k} {_name(k, lang)} +{amount} {unit}")
    return ("；" if lang == "zh" else "; ").join(items)


def _in_need_html(need: pd.DataFrame, lang: str, n: int = 15) -> str:
    if need is None or need.empty:
        return f"<p>{esc(_zh(lang, '所有学校均达标。', 'Every school complies.'))}</p>"
    d = need.head(n).copy()
    d["stage_label"] = [_stage(s, lang) for s in d["stage"]]
    d["lacks_text"] = [_lacks_text(r, lang) for r in d.to_dict(orient="records")]
    title = _zh(lang, f"最需改进的学校（前 {len(d)} 所，共 {len(need)} 所未达标）及距标准的差额",
                f"Schools most in need (top {len(d)} of {len(need)} not complying) and what each lacks")
    return "<h3>" + esc(title) + "</h3>" + _table(
        d, [("school_name", t("school", lang), "raw"), ("stage_label", t("stage", lang), "raw"),
            ("students", t("students", lang), "count"), ("n_met", t("n_met", lang), "count"),
            ("lacks_text", t("lacks", lang), "raw")], lang, "resources.in_need", ("school_id", "stage")) + \
        _shortfall_cells(d)


def _shortfall_cells(d: pd.DataFrame) -> str:
    """Machine-readable shortfall amounts (hidden list; the table above shows them as text)."""
    items = []
    for r in d.to_dict(orient="records"):
        for k in INDICATOR_KEYS:
            v = r.get(f"{k}_shortfall")
            if v is not None and not pd.isna(v) and v > 0:
                items.append(f"<li data-key=\"resources.in_need.{esc(str(r['school_id']))}.{r['stage']}.{k}_shortfall\" "
                             f"data-value=\"{float(v)!r}\">{esc(f'{float(v):.6g}')}</li>")
    return f"<ul hidden>{''.join(items)}</ul>" if items else ""


def _measure_label(measure: str, stage: Any, lang: str) -> str:
    names = {"compliant_school_share": ("学校达标占比", "Share of compliant schools"),
             "monitoring_share": ("监测点90%达标学校占比（示例监测点）", "Schools meeting ≥ 90% of points (example list)"),
             "school_size": ("学校规模达标比例", "School size within limit"),
             "class_size_primary": ("小学班额达标比例", "Primary classes within limit"),
             "class_size_junior": ("初中班额达标比例", "Junior classes within limit"),
             "music_rooms": ("音乐教室配备达标比例", "Music rooms sufficient"),
             "art_rooms": ("美术教室配备达标比例", "Art rooms sufficient")}
    zh, en = names.get(measure, (measure, measure))
    base = zh if lang == "zh" else en
    if stage in STAGES:
        return f"{_stage(stage, lang)}{base}" if lang == "zh" else f"{base}, {_stage(stage, lang).lower()}"
    return base


def _unavailable_html(items: list[dict], lang: str) -> str:
    if not items:
        return ""
    head = _zh(lang, "以下内容数据不支持，未计算：", "Not computed, because the data do not allow it:")
    lis = "".join(f"<li>{esc(str(u['item']))}: {esc(str(u.get('reason_zh') if lang == 'zh' and u.get('reason_zh') else u['reason']))}</li>"
                  for u in items)
    return f"<div class=\"lyg-muted\"><p>{esc(head)}</p><ul>{lis}</ul></div>"


# ---------------------------------------------------------------------------------------------
# build

def _year_parts(schools_y: pd.DataFrame, teachers_y: pd.DataFrame | None, standard: str, year: int,
                unavailable: list | None):
    """Indicators, cv tables, assessments and compliance for one county-year."""
    sections = school_sections(schools_y, teachers=teachers_y)
    ind = basic_balance_indicators(quality_balance_indicators(sections))
    with_students = ind[pd.to_numeric(ind["students"]) > 0]
    out = {"indicators": ind, "cv": None, "cv_basic": None, "a": None, "au": None, "compliance": None}
    if with_students.empty:
        if unavailable is not None:
            unavailable.append({"section": "resources", "item": "balance", "reason": "no compulsory-school section with students"})
        return out
    missing_l = [k for k in INDICATOR_KEYS if with_students[k].isna().any()]
    if not missing_l:
        out["compliance"] = school_compliance(ind)
    elif unavailable is not None:
        for k in missing_l:
            unavailable.append({"section": "resources", "item": k,
                                "reason": f"{QUALITY_INDICATORS[k].numerator} missing for some schools"})
    missing_b = [k for k in BASIC_KEYS if with_students[k].isna().any()]
    if unavailable is not None and missing_b:  # (unavailable is None for earlier years: basic only when needed)
        for k in missing_b:
            unavailable.append({"section": "resources", "item": f"{k} (2012)",
                                "reason": f"{BASIC_INDICATORS[k].numerator} missing for some schools"
                                          + ("; teacher title records are needed" if k == "B8" else "")})
    if len(missing_b) < len(BASIC_KEYS) and (standard == "basic_2012" or unavailable is not None):
        ba, bu = (balance_assessment(ind, standard="basic_2012", weighted=w) for w in (True, False))
        out["cv_basic"] = compare_assessments(ba, bu)
        if standard == "basic_2012":
            out["cv"], out["a"], out["au"] = out["cv_basic"], ba, bu
    if standard == "quality_2017" and not missing_l:
        out["a"], out["au"] = (balance_assessment(ind, standard=standard, weighted=w) for w in (True, False))
        out["cv"] = compare_assessments(out["a"], out["au"])
    return out


def _schools_in_need(compliance: pd.DataFrame | None) -> pd.DataFrame:
    if compliance is None or compliance.empty:
        return pd.DataFrame()
    bad = compliance[compliance["compliant"].fillna(True).astype(bool) == False].copy()  # noqa: E712
    if bad.empty:
        return bad
    bad["min_ratio"] = bad[[f"{k}_ratio" for k in INDICATOR_KEYS]].min(axis=1)
    bad = bad.sort_values(["n_met", "min_ratio"], kind="stable").reset_index(drop=True)
    bad["lacks_zh"] = [_lacks_text(r, "zh") for r in bad.to_dict(orient="records")]
    bad["lacks_en"] = [_lacks_text(r, "en") for r in bad.to_dict(orient="records")]
    return bad


def build(ds, *, county: str, school_year: int, language: str = "zh", min_cell_size: int = 5,
          standard: str = "auto", class_size_rule: str = "quality_2017",
          monitoring_points: pd.DataFrame | None = None) -> ResourcesSection:
    """Compute the resource-balance section for one county and school year.

    Parameters
    ----------
    ds : lyganalysis.datasets.Dataset
    county : str
    school_year : int
    language : {"zh", "en"}
    min_cell_size : int, default 5
        Recorded for the report. Every figure of this section is institutional (school resources, counts
        of teachers per school); teacher titles (B8) enter only the county-level CV and are never shown per
        school, so nothing here needs small-cell suppression.
    standard : {"auto", "quality_2017", "basic_2012"}
        Rule for ``school_year`` (auto: < 2017 → 2012 basic balance).
    class_size_rule : {"quality_2017", "jiangsu"}
    monitoring_points : DataFrame, optional
        Monitoring-point list; default the shipped EXAMPLE list (not the official one).

    Returns
    -------
    ResourcesSection
    """
    if language not in ("zh", "en"):
        raise ValueError(f"language must be 'zh' or 'en', got {language!r}")
    school_year = int(school_year)
    unavailable: list[dict] = []
    schools = ds.schools
    sub = schools[schools["county"] == county]
    county_code = str(sub["county_code"].iloc[0]) if len(sub) and "county_code" in sub else None
    common = dict(county=county, county_code=county_code, school_year=school_year, language=language,
                  min_cell_size=int(min_cell_size), dataset=getattr(ds, "name", ""),
                  simulated=bool(getattr(ds, "simulated", False)))
    empty = pd.DataFrame()
    missing_cols = [c for c in _NEEDED if c not in schools.columns]
    if getattr(ds, "name", "") == "caschools" or missing_cols or sub.empty \
            or not (sub["school_year"] == school_year).any():
        reason = ("Chinese 优质均衡 standards do not apply to these data." if not missing_cols
                  and getattr(ds, "name", "") == "caschools" else
                  f"the schools table lacks {missing_cols}" if missing_cols else
                  f"no schools of {county} in school year {school_year}")
        unavailable.append({"section": "resources", "item": "resource_balance", "reason": reason})
        return ResourcesSection(**common, standard="none", years=(), cv=empty, cv_basic=empty, assessment=None,
                                assessment_unweighted=None, compliance=None, schools_in_need=empty, guarantee=None,
                                monitoring=None, monitoring_points=empty, year_on_year_cv=empty,
                                year_on_year_compliance=empty, unavailable=unavailable)
    rule = select_standard(school_year, standard)
    teachers = ds.teachers
    years = tuple(sorted(int(y) for y in sub["school_year"].unique() if int(y) <= school_year))
    if teachers is not None:
        teachers = teachers[teachers["school_id"].isin(set(sub["school_id"]))]
    per_year, cv_tables, share_rows = {}, {}, []
    gchecks = None
    try:
        gchecks_all = guarantee_checks(sub[sub["school_year"].isin(years)], class_size_rule=class_size_rule)
    except ValueError as exc:
        gchecks_all = None
        unavailable.append({"section": "resources", "item": "government_guarantee", "reason": str(exc)})
    points = monitoring_points if monitoring_points is not None else example_monitoring_points()
    monitoring = None
    for y in years:
        sy = sub[sub["school_year"] == y]
        ty = teachers[teachers["school_year"] == y] if teachers is not None else None
        parts = _year_parts(sy, ty, rule, y, unavailable if y == school_year else None)
        per_year[y] = parts
        if parts["cv"] is not None:
            cv_tables[y] = parts["cv"]
        if parts["compliance"] is not None:
            for st, g in parts["compliance"].dropna(subset=["compliant"]).groupby("stage"):
                share_rows.append({"school_year": y, "measure": "compliant_school_share", "stage": st,
                                   "share": float(g["compliant"].astype(bool).mean())})
            try:
                mon = monitoring_compliance(example_monitoring_values(parts["indicators"], sy)
                                            if monitoring_points is None else _values_for(points, parts, sy), points)
                share_rows.append({"school_year": y, "measure": "monitoring_share", "stage": "all",
                                   "share": mon.share_of_schools})
                if y == school_year:
                    monitoring = mon
            except ValueError as exc:
                if y == school_year:
                    unavailable.append({"section": "resources", "item": "monitoring_points", "reason": str(exc)})
    if gchecks_all is not None:
        for r in gchecks_all.summary.itertuples():
            share_rows.append({"school_year": int(r.school_year), "measure": r.item, "stage": "all",
                               "share": r.share_within})
        g = gchecks_all

        def cur(df):
            return df[df["school_year"] == school_year].reset_index(drop=True)
        gchecks = GuaranteeChecks(school_size=cur(g.school_size), class_size=cur(g.class_size), bands=cur(g.bands),
                                  rooms=cur(g.rooms), summary=cur(g.summary), unavailable=g.unavailable,
                                  class_size_rule=g.class_size_rule)
        for u in g.unavailable:
            unavailable.append({"section": "resources", **u})
    cur_parts = per_year.get(school_year, {})
    if cur_parts.get("a") is None:
        unavailable.append({"section": "resources", "item": rule,
                            "reason": "the indicators of this standard are not all available"})
    yoy_cv = (year_on_year(cv_tables, on=["stage", "indicator"], value=["cv_weighted", "cv_unweighted"])
              if len(cv_tables) > 1 else pd.DataFrame())
    shares = pd.DataFrame(share_rows, columns=["school_year", "measure", "stage", "share"])
    yoy_share = year_on_year({y: g for y, g in shares.groupby("school_year")}, on=["measure", "stage"],
                             value="share") if shares["school_year"].nunique() > 1 else pd.DataFrame()
    if len(years) < 2:
        unavailable.append({"section": "resources", "item": "year_on_year",
                            "reason": "only one school year in the data up to this year"})
    compliance = cur_parts.get("compliance")
    cv_basic = cur_parts.get("cv_basic")
    return ResourcesSection(
        **common, standard=rule, years=years, cv=cur_parts.get("cv") if cur_parts.get("cv") is not None else empty,
        cv_basic=cv_basic if cv_basic is not None else empty, assessment=cur_parts.get("a"),
        assessment_unweighted=cur_parts.get("au"), compliance=compliance,
        schools_in_need=_schools_in_need(compliance), guarantee=gchecks, monitoring=monitoring,
        monitoring_points=points, year_on_year_cv=yoy_cv, year_on_year_compliance=yoy_share,
        unavailable=unavailable)


def _values_for(points: pd.DataFrame, parts: dict, schools_y: pd.DataFrame) -> pd.DataFrame:
    """Values for a user-supplied point list: the example values restricted to the points it names."""
    vals = example_monitoring_values(parts["indicators"], schools_y)
    return vals[vals["point"].isin(set(points["point"]))]


# ---------------------------------------------------------------------------------------------
# export for the evaluation forms

def export_tables(section: ResourcesSection, path: str | Path) -> dict[str, Path]:
    """Write the tables a clerk pastes into the evaluation forms, with Chinese headers.

    Writes into directory ``path`` (created if needed): ``差异系数.csv`` (per-indicator CVs, weighted and
    unweighted, limits and verdicts), ``学校指标.csv`` (per school section: the indicator values, thresholds
    met, and what each lacks in the indicator's own unit), ``政府保障.csv`` (guarantee checks per school),
    and all of them as sheets of ``资源配置均衡.xlsx`` (openpyxl). CSVs are UTF-8 with BOM so Excel opens them
    with the Chinese intact. Full precision (no rounding).

    Returns
    -------
    dict name → Path of each file written.
    """
    out_dir = Path(path)
    out_dir.mkdir(parents=True, exist_ok=True)
    sheets: dict[str, pd.DataFrame] = {}
    stage_zh = {"primary": "小学", "junior": "初中"}
    if len(section.cv):
        cv = section.cv.copy()
        cv["stage"] = cv["stage"].map(stage_zh)
        sheets["差异系数"] = cv.rename(columns={
            "standard": "评估办法", "stage": "学段", "indicator": "指标代码", "name_zh": "指标", "mean": "县域均值",
            "cv_weighted": "差异系数（按在校生加权）", "cv_unweighted": "差异系数（不加权）", "limit": "限值",
            "passes_weighted": "达标（加权）", "passes_unweighted": "达标（不加权）",
            "verdict_flips": "加权与否结论不同"}).drop(columns=["name_en"])
    if section.compliance is not None and len(section.compliance):
        c = section.compliance.copy()
        need = section.schools_in_need
        lacks = dict(zip(zip(need.get("school_id", []), need.get("stage", [])), need.get("lacks_zh", [])))
        c["lacks"] = [lacks.get((s, st), "") for s, st in zip(c["school_id"], c["stage"])]
        cols = {"school_id": "学校代码", "school_name": "学校名称", "school_type": "学校类型", "stage": "学段",
                "students": "在校生数"}
        for k, ind in QUALITY_INDICATORS.items():
            unit = _UNITS_ZH.get(ind.resource_unit, ind.resource_unit)
            cols.update({k: f"{k} {ind.name_zh}", f"{k}_threshold": f"{k} 标准值", f"{k}_met": f"{k} 是否达标",
                         f"{k}_shortfall": f"{k} 差额（{unit}）"})
        cols.update({"n_met": "达标指标数", "compliant": "学校是否达标", "lacks": "距达标还差"})
        c = c[[k for k in cols if k in c.columns]].rename(columns=cols)
        c["学段"] = c["学段"].map(stage_zh)
        sheets["学校指标"] = c
    g = section.guarantee
    if g is not None:
        size = g.school_size[["school_id", "school_name", "school_type", "students", "limit", "within", "excess"]].rename(
            columns={"school_id": "学校代码", "school_name": "学校名称", "school_type": "学校类型",
                     "students": "义务段在校生数", "limit": "规模上限", "within": "规模达标", "excess": "超出人数"})
        cls = g.class_size.pivot_table(index="school_id", columns="stage", values="max_class_size", aggfunc="first")
        cls.columns = [f"{stage_zh.get(s, s)}最大班额" for s in cls.columns]
        ok = g.class_size.assign(within=g.class_size["within"].astype("float64")).pivot_table(
            index="school_id", columns="stage", values="within", aggfunc="first")
        ok.columns = [f"{stage_zh.get(s, s)}班额达标" for s in ok.columns]
        rooms = g.rooms.set_index("school_id")[["classes", "rooms_required", "music_rooms", "art_rooms",
                                                "music_shortfall", "art_shortfall"]].rename(columns={
            "classes": "义务段班级数", "rooms_required": "应配音乐/美术教室（各）", "music_rooms": "音乐教室",
            "art_rooms": "美术教室", "music_shortfall": "音乐教室缺口", "art_shortfall": "美术教室缺口"})
        sheets["政府保障"] = (size.set_index("学校代码").join(cls).join(ok.astype("boolean")).join(rooms)
                          .reset_index().rename(columns={"index": "学校代码"}))
    from lyganalysis.writers import write_csv, write_xlsx

    written: dict[str, Path] = {name: write_csv(df, out_dir / f"{name}.csv") for name, df in sheets.items()}
    written["xlsx"] = write_xlsx(sheets, out_dir / "资源配置均衡.xlsx",
                                 notes=None if sheets else {"说明": "数据不支持资源配置均衡评估"})
    return written
