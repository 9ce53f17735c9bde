"""Report section "resources" (资源配置): a thin renderer of :class:`lyganalysis.analysis.resources.ResourcesResult`.

``render(result, language=)`` gives the section's HTML (template ``sections/resources.html.j2``, words from the
``res_*`` catalogue keys), ``figures(result, language=)`` the figures that remain (the CV bar chart), and
:func:`export_tables` writes what a clerk pastes into the evaluation forms (CSV + Excel, Chinese headers).
Nothing is computed here: every number comes from the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import markupsafe
import pandas as pd

from lyganalysis.report.format import fmt, is_missing
from lyganalysis.report.html import render as render_template
from lyganalysis.report.html import rows
from lyganalysis.report.text import t
from lyganalysis.standards import QUALITY_CV_LIMITS, QUALITY_INDICATORS

__all__ = ["render", "figures", "export_tables", "export_plan", "plan_tables", "PLAN_FILE", "N_NEED_SHOWN"]

STAGES = ("primary", "junior")
N_NEED_SHOWN = 10
"""Schools in need listed openly at the top of the section (the rest are in a folded table)."""


def _kind(key: str) -> str:
    """Display kind of an indicator's resource amount: whole teachers/rooms, yuan, or m²."""
    ind = QUALITY_INDICATORS[key]
    if ind.countable:
        return "count"
    return "money" if ind.resource_unit == "yuan" else "value"


def _value_kind(key: str) -> str:
    return "money" if key in QUALITY_INDICATORS and QUALITY_INDICATORS[key].resource_unit == "yuan" else "value"


def _href(pattern: str | None, school_id: Any) -> str | None:
    return None if pattern is None else pattern.format(school_id=school_id)


def _adds(row: dict, prefix: str) -> list[dict]:
    out = []
    for k, ind in QUALITY_INDICATORS.items():
        v = row.get(f"{prefix}{k}")
        if v is not None and not is_missing(v) and v > 0:
            out.append({"key": k, "value": float(v), "kind": _kind(k), "unit": ind.resource_unit})
    return out


def _stages(result) -> list[dict]:
    out = []
    for st, s in (result.verdict.stages.items() if result.verdict is not None else ()):
        out.append({"stage": st, "verdict": s.verdict, "school_rule": s.school_rule, "cv_verdict": s.cv_verdict,
                    "n_sections": s.n_sections, "n_compliant": s.n_compliant,
                    "n_not_compliant": s.n_not_compliant, "n_undecided": s.n_undecided,
                    "compliant_share": s.compliant_share, "cv_failing": [_failing(f) for f in s.cv_failing],
                    "n_cv_indicators": s.n_cv_indicators, "limit": QUALITY_CV_LIMITS[st].value,
                    "reasons": [{"code": x["code"], "params": _params(x["params"])} for x in s.reasons]})
    return out


def _failing(f: dict) -> dict:
    """A CV over its limit with display text that shows the excess (4 decimals when 3 would hide it)."""
    text = fmt(f["cv"], "cv")
    if float(text) <= f["limit"]:
        text = f"{f['cv']:.4f}"
    return {**f, "cv_text": text, "limit_text": f"{f['limit']:.2f}"}


def _params(p: dict) -> dict:
    return {k: ("、".join(map(str, v)) if isinstance(v, (list, tuple)) else v) for k, v in p.items()}


def _need_rows(frame: pd.DataFrame, school_href: str | None) -> list[dict]:
    out = []
    for r in rows(frame):
        r["_href"] = _href(school_href, r["school_id"])
        r["adds"] = _adds(r, "add_")
        r["gaps"] = _adds(r, "gap_")
        out.append(r)
    return out


# display kind of each addition kind of the plan (whole teachers and rooms, m², yuan)
_PLAN_KIND = {"above_qualification_teachers": "count", "pe_arts_teachers": "count", "backbone_designations": "count",
              "teaching_area_m2": "value", "sports_area_m2": "value", "equipment_value_yuan": "money",
              "multimedia_classrooms": "count"}


def _plan_context(plan, school_href: str | None) -> dict | None:
    """What the folded "plan" part shows: the per-school action list, totals by item, CVs after, method, gap,
    the unit costs used. Nothing computed: the plan's own tables, rearranged per school."""
    if plan is None:
        return None
    from lyganalysis.analysis.findings import plan_schools
    from lyganalysis.standards import PLAN_UNIT_COSTS

    schools = []
    for r in rows(plan_schools(plan), key="school_id"):
        r["_href"] = _href(school_href, r["school_id"])
        r["adds"] = [{"item": k, "value": float(r[f"add_{k}"]), "kind": kind}
                     for k, kind in _PLAN_KIND.items() if r[f"add_{k}"] > 0]
        schools.append(r)
    totals = [{**r, "kind": _PLAN_KIND.get(r["item"], "value")} for r in rows(plan.totals, key="item")]
    cvs = [{**r, "_key": f"{r['stage']}.{r['indicator']}", "mean_kind": "cv"} for r in rows(plan.cvs)]
    costs = [{"item": k, "value": float(plan.costs.get(k, c.value)), "default": float(c.value),
              "changed": float(plan.costs.get(k, c.value)) != float(c.value)} for k, c in PLAN_UNIT_COSTS.items()]
    budget_mode = plan.budget is not None
    return {"p": plan, "schools": schools, "totals": totals, "cvs": cvs, "costs": costs,
            "budget_mode": budget_mode, "n_schools": len(schools),
            "method": "budget" if budget_mode else "milp_cuts"}


def _context(result, language: str, school_href: str | None) -> dict:
    ctx: dict[str, Any] = {"language": language, "r": result, "verdict": result.verdict,
                           "stages": _stages(result),
                           "teaching_point_rule": result.settings.get("teaching_point_rule", "exclude"),
                           "verdict_reasons": [] if result.verdict is None else
                           [{"code": x["code"], "params": _params(x["params"])} for x in result.verdict.reasons]}
    need = result.schools_in_need
    ctx["n_need"] = len(need)
    ctx["need_top"] = _need_rows(need.head(N_NEED_SHOWN), school_href) if len(need) else []
    ctx["need_all"] = _need_rows(need, school_href) if len(need) else []
    ctx["plan"] = _plan_context(getattr(result, "plan", None), school_href)
    cv = result.cv
    cv_rows = []
    for r in rows(cv[cv["indicator"] != "composite"] if len(cv) else cv):
        for c in ("passes_weighted", "passes_unweighted", "verdict_flips"):
            r[c] = None if is_missing(r.get(c)) else bool(r[c])
        r["mean_kind"] = _value_kind(r["indicator"])
        cv_rows.append(r)
    ctx["cv_rows"] = cv_rows
    sep = "；" if language == "zh" else "; "
    ctx["composite"] = sep.join(t("res_composite_item", language, stage=t(f"stage_{st}", language),
                                  value=fmt(v, "cv", language)) for st, v in result.composite_cv.items())
    top = rows(result.top_contributors, key=None)
    for r in top:
        r["_key"] = f"{r['stage']}.{r['indicator']}.{r['rank']}"
        r["_href"] = _href(school_href, r["school_id"])
    ctx["top_rows"] = top
    ctx["share_rows"] = ([{**s, "_key": s["stage"]} for s in ctx["stages"]])
    blocks = []
    comp = result.compliance
    for st in STAGES:
        sub = comp[comp["stage"] == st] if len(comp) else comp
        if len(sub) == 0:
            continue
        sub = sub.sort_values(["n_met", "school_id"], kind="stable", na_position="first")
        rr = rows(sub)
        for r in rr:
            r["_href"] = _href(school_href, r["school_id"])
        blocks.append({"stage": st, "rows": rr,
                       "indicators": [{"key": k, "threshold": ind.threshold(st), "kind": _value_kind(k)}
                                      for k, ind in QUALITY_INDICATORS.items()]})
    ctx["compliance_blocks"] = blocks
    ctx["guarantee_rows"] = rows(result.guarantee_summary, key="item")
    bands = result.class_size_bands
    ctx["band_rows"] = [{**r, "_key": f"{r['stage']}.{r['band']}"} for r in rows(bands)]
    ycv = result.year_on_year_cv
    if len(ycv):
        ycv = ycv[(ycv["school_year"] == result.school_year) & (ycv["indicator"] != "composite")]
    ctx["yoy_cv_rows"] = [{**r, "_key": f"{r['stage']}.{r['indicator']}"} for r in rows(ycv)]
    ctx["previous_year"] = (int(ycv["previous_year"].dropna().iloc[0])
                            if len(ycv) and ycv["previous_year"].notna().any() else "")
    ysh = result.year_on_year_compliance
    if len(ysh):
        ysh = ysh[ysh["school_year"] == result.school_year].assign(
            share_change_pp=lambda d: 100 * d["share_change"])
    ctx["yoy_share_rows"] = [{**r, "_key": f"{r['measure']}.{r['stage']}"} for r in rows(ysh)]
    basic = result.cv_basic
    ctx["basic_rows"] = rows(basic[basic["indicator"] == "composite"], key="stage") if len(basic) else []
    ctx["overview_rows"] = rows(result.overview, key="stage")
    ctx["type_rows"] = rows(result.schools_by_type, key="school_type")
    ctx["other_rows"] = rows(result.other_resources, key="resource")
    return ctx


def render(result, *, language: str, school_href: str | None = "schools/{school_id}.html") -> markupsafe.Markup:
    """The resources section of a county page, as HTML.

    Parameters
    ----------
    result : lyganalysis.analysis.resources.ResourcesResult
    language : {"zh", "en"}
    school_href : str or None
        Pattern of a school page's relative address (``{school_id}`` is filled in); None: no links.

    Returns
    -------
    markupsafe.Markup
        The ``<section>`` fragment: the verdict per stage with both conditions and their counts first, then
        the schools in need (least additions under the school rule), the CV table, school compliance (folded
        per-school tables with bars against the standard), government-guarantee checks, monitoring points
        (EXAMPLE list), year-on-year change, the 2012 composite, the county overview (folded) and what the
        data did not allow.
    """
    return render_template("sections/resources.html.j2", **_context(result, language, school_href))


def figures(result, *, language: str) -> list[tuple[str, Any]]:
    """The figures of the section: ``[("cv_by_indicator", matplotlib Figure)]`` (empty without a CV table).

    The caller shows and closes them (80 dpi)."""
    import matplotlib.pyplot as plt

    from lyganalysis import plots

    cv = result.cv
    if not len(cv) or result.standard != "quality_2017":
        return []
    df = cv[cv["indicator"] != "composite"].copy()
    df["label"] = [t(f"res_ind_{k}", language) for k in df["indicator"]]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(df) + 1.2), dpi=80)
    plots.bar_against_limit(df, value="cv_weighted", label="label", hue="stage", limit="limit",
                            labels={s: t(f"stage_{s}", language) for s in STAGES}, hue_order=list(STAGES), ax=ax,
                            limit_label=t("res_fig_cv_limit", language), over_label=t("res_fig_cv_over", language),
                            title=t("res_fig_cv", language), fmt="{:.3f}")
    return [("cv_by_indicator", fig)]


# ---------------------------------------------------------------------------------------------
# export for the evaluation forms

_STAGE_ZH = {"primary": "小学", "junior": "初中"}
_UNIT_ZH = {"teachers": "人", "m²": "平方米", "yuan": "元", "rooms": "间"}
_STATE_ZH = {"met": "达标", "not_met": "未达标", "undecided": "无法判定"}


def export_tables(result, path: str | Path) -> dict[str, Path]:
    """Write the tables a clerk pastes into the evaluation forms, with Chinese headers, from ``result``.

    Writes into directory ``path`` (created if needed): ``县域判定.csv`` (the verdict per stage with both
    conditions and the counts), ``差异系数.csv`` (per-indicator CVs weighted and unweighted, limits and
    verdicts), ``学校指标.csv`` (per school section: the indicator values, thresholds met, the gaps to every
    threshold and the least additions under the school rule, in each indicator's own unit),
    ``政府保障.csv`` (government-guarantee checks per school), and all of them as sheets of
    ``资源配置均衡.xlsx``. CSVs are UTF-8 with BOM (Excel opens them with the Chinese intact). Full precision.
    Written with pandas (``to_csv`` / ``to_excel`` with openpyxl); no cell is a formula: text cells that begin
    with ``=``, ``+``, ``-`` or ``@`` are prefixed with an apostrophe.

    Returns
    -------
    dict name → Path of each file written (``"xlsx"`` for the workbook).
    """
    out_dir = Path(path)
    out_dir.mkdir(parents=True, exist_ok=True)
    sheets: dict[str, pd.DataFrame] = {}
    if result.verdict is not None:
        v = result.verdict.to_frame()
        v["stage"] = v["stage"].map(_STAGE_ZH)
        for c in ("verdict", "school_rule", "cv_verdict"):
            v[c] = v[c].map(_STATE_ZH)
        failing = result.verdict.failing_frame()
        v["超限指标"] = [
            "；".join(f"{r.indicator} {r.cv:.3f} > {r.limit:.2f}" for r in failing[failing["stage"] == st].itertuples())
            for st in result.verdict.stages]
        sheets["县域判定"] = v.rename(columns={
            "stage": "学段", "verdict": "资源配置判定", "school_rule": "学校达标条件", "cv_verdict": "差异系数条件",
            "n_sections": "参评学段数", "n_compliant": "达标学段数", "n_not_compliant": "未达标学段数",
            "n_undecided": "无法判定学段数", "compliant_share": "达标比例", "n_cv_indicators_failing": "超限指标数"})
    if len(result.cv):
        cv = result.cv.copy()
        cv["stage"] = cv["stage"].map(_STAGE_ZH)
        cv.insert(3, "name", [t(f"res_ind_{k}", "zh") for k in cv["indicator"]])
        sheets["差异系数"] = cv.rename(columns={
            "standard": "评估办法", "stage": "学段", "indicator": "指标代码", "name": "指标", "n_sections": "学段数",
            "mean": "县域均值", "sd": "标准差", "cv_weighted": "差异系数（按在校生加权）",
            "cv_unweighted": "差异系数（不加权）", "limit": "限值", "passes_weighted": "达标（加权）",
            "passes_unweighted": "达标（不加权）", "verdict_flips": "加权与否结论不同"})
    if len(result.compliance):
        c = result.compliance.copy()
        need = result.schools_in_need
        if len(need):
            extra = [f"{p}{k}" for p in ("gap_", "add_") for k in QUALITY_INDICATORS] + ["distance"]
            c = c.merge(need[["school_id", "stage", *extra]], on=["school_id", "stage"], how="left")
        cols = {"school_id": "学校代码", "school_name": "学校名称", "school_type": "学校类型", "stage": "学段",
                "students": "在校生数"}
        for k, ind in QUALITY_INDICATORS.items():
            cols.update({k: f"{k} {ind.name_zh}", f"{k}_threshold": f"{k} 标准值", f"{k}_met": f"{k} 是否达标"})
        cols.update({"n_met": "达标指标数", "state": "学校是否达标"})
        for k, ind in QUALITY_INDICATORS.items():
            cols[f"gap_{k}"] = f"{k} 补齐标准差额（{_UNIT_ZH.get(ind.resource_unit, ind.resource_unit)}）"
        for k, ind in QUALITY_INDICATORS.items():
            cols[f"add_{k}"] = f"{k} 按学校标准最少补充（{_UNIT_ZH.get(ind.resource_unit, ind.resource_unit)}）"
        cols["distance"] = "距达标"
        c = c[[k for k in cols if k in c.columns]].rename(columns=cols)
        c["学段"] = c["学段"].map(_STAGE_ZH)
        c["学校是否达标"] = c["学校是否达标"].map(_STATE_ZH)
        sheets["学校指标"] = c
    if len(result.school_size):
        size = result.school_size[["school_id", "school_name", "school_type", "students", "limit", "within",
                                   "excess"]].rename(columns={
            "school_id": "学校代码", "school_name": "学校名称", "school_type": "学校类型",
            "students": "义务段在校生数", "limit": "规模上限", "within": "规模达标", "excess": "超出人数"})
        cs = result.class_size
        cls = cs.pivot_table(index="school_id", columns="stage", values="max_class_size", aggfunc="first")
        cls.columns = [f"{_STAGE_ZH.get(s, s)}最大班额" for s in cls.columns]
        ok = cs.assign(within=cs["within"].astype("float64")).pivot_table(
            index="school_id", columns="stage", values="within", aggfunc="first")
        ok.columns = [f"{_STAGE_ZH.get(s, s)}班额达标" for s in ok.columns]
        rooms = result.rooms.set_index("school_id")[["classes", "rooms_required", "music_rooms", "art_rooms",
                                                     "music_shortfall", "art_shortfall"]].rename(columns={
            "classes": "义务段班级数", "rooms_required": "应配音乐/美术教室（各）", "music_rooms": "音乐教室",
            "art_rooms": "美术教室", "music_shortfall": "音乐教室缺口", "art_shortfall": "美术教室缺口"})
        sheets["政府保障"] = (size.set_index("学校代码").join(cls).join(ok.astype("boolean")).join(rooms)
                          .reset_index().rename(columns={"index": "学校代码"}))
    from lyganalysis.writers import write_csv, write_xlsx

    written: dict[str, Path] = {name: write_csv(df, out_dir / f"{name}.csv") for name, df in sheets.items()}
    written["xlsx"] = write_xlsx(sheets, out_dir / "资源配置均衡.xlsx",
                                 notes=None if sheets else {"说明": "数据不支持资源配置均衡评估"})
    plan = getattr(result, "plan", None)
    if plan is not None:
        written["plan"] = export_plan(plan, out_dir / PLAN_FILE)
    return written


PLAN_FILE = "达标方案.xlsx"
"""File name of the plan workbook written by :func:`export_plan` (and by :func:`export_tables` with a plan)."""
_PLAN_ITEM_ZH = {"above_qualification_teachers": "新聘高于规定学历教师（人）", "pe_arts_teachers": "新聘体育艺术教师（人）",
                 "backbone_designations": "认定骨干教师（人）", "teaching_area_m2": "教学及辅助用房（平方米）",
                 "sports_area_m2": "体育运动场馆（平方米）", "equipment_value_yuan": "教学仪器设备（元）",
                 "multimedia_classrooms": "网络多媒体教室（间）"}


def plan_tables(plan) -> dict[str, pd.DataFrame]:
    """The plan as tables with Chinese headers: ``学校方案`` (per school: stages, additions by kind, cost;
    farthest from passing first), ``学段方案`` (per section with any addition), ``方案合计`` (per item: quantity,
    unit cost, cost; a total row), ``方案差异系数`` (per stage × indicator: CV before and after, limit, verdict)
    and ``单价假设`` (the unit costs used, each an assumption [U]). Full precision; nothing computed here."""
    from lyganalysis.analysis.findings import plan_schools
    from lyganalysis.metrics.plan import ADDITION_KEYS
    from lyganalysis.standards import PLAN_UNIT_COSTS

    ps = plan_schools(plan)
    schools = pd.DataFrame({
        "学校代码": ps["school_id"], "学校名称": ps["school_name"],
        "学段": ["、".join(_STAGE_ZH.get(x, x) for x in st) for st in ps["stages"]],
        "达标指标数（方案前，最少的学段）": ps["n_met_before"], "距达标": ps["distance"],
        **{_PLAN_ITEM_ZH[k]: ps[f"add_{k}"] for k in ADDITION_KEYS}, "费用（元）": ps["cost"]})
    a = plan.to_frame("actions")
    sections = pd.DataFrame({
        "学校代码": a["school_id"], "学校名称": a.get("school_name"), "学段": a["stage"].map(_STAGE_ZH),
        "在校生数": a["students"], **{_PLAN_ITEM_ZH[k]: a[f"add_{k}"] for k in ADDITION_KEYS},
        "费用（元，含分摊的校舍设备费用）": a["cost"], "方案前达标指标数": a["n_met_before"],
        "方案后达标指标数": a["n_met_after"],
        "方案前是否达标": a["compliant_before"].map({True: "是", False: "否"}),
        "方案后是否达标": a["compliant_after"].map({True: "是", False: "否"}), "距达标": a["distance"],
        "校舍设备各学段共享": a["shared_physical"].map({True: "是", False: "否"})})
    tot = plan.totals
    totals = pd.DataFrame({
        "项目": [("合计" if i == "total" else _PLAN_ITEM_ZH.get(i, i)) for i in tot["item"]],
        "数量": tot["quantity"], "单价（元）": tot["unit_cost"], "费用（元）": tot["cost"]})
    cv = plan.cvs
    cvs = pd.DataFrame({
        "学段": cv["stage"].map(_STAGE_ZH), "指标代码": cv["indicator"], "指标": cv["name_zh"],
        "方案前差异系数": cv["cv_before"], "方案后差异系数": cv["cv_after"], "限值": cv["limit"],
        "方案后是否达标": cv["passes_after"].map({True: "达标", False: "未达标"})})
    costs = pd.DataFrame([{"项目": c.name_zh, "单价（元）": float(plan.costs.get(k, c.value)),
                           "计价单位": "元/" + t(f"res_plan_unit_{k}", "zh"), "默认单价（元）": float(c.value),
                           "依据": t(f"res_plan_basis_{k}", "zh"), "性质": "假设 [U]，非公布标准"}
                          for k, c in PLAN_UNIT_COSTS.items()])
    return {"学校方案": schools, "学段方案": sections, "方案合计": totals, "方案差异系数": cvs, "单价假设": costs}


def export_plan(plan, path: str | Path) -> Path:
    """Write the county's least-cost plan (:class:`lyganalysis.metrics.plan.PlanResult`) as an .xlsx: the
    sheets of :func:`plan_tables` and a notes sheet (the method, the optimality gap, the status, whether both
    conditions hold after the plan). Written with :func:`lyganalysis.writers.write_xlsx` (text cells never
    formulas).

    Returns
    -------
    Path
    """
    from lyganalysis.writers import write_xlsx

    gap = f"{plan.gap:.2%}"
    notes = {
        "表名": f"{plan.county or ''} {plan.school_year or ''}学年 资源配置达标方案（最少费用）",
        "方法": ("混合整数线性规划（scipy.optimize.milp，HiGHS），外层循环对差异系数约束添加切平面；"
               if plan.budget is None else "预算内最多学段达标的混合整数线性规划（不强制差异系数限值）；")
              + f"求解 {plan.iterations} 轮，切平面 {plan.n_cuts} 个，状态 {plan.status}。",
        "最优性差距": f"{gap}（费用 {plan.total_cost:,.0f} 元，已证明的下界 {plan.lower_bound:,.0f} 元）",
        "方案后": (f"参评学段 {plan.n_sections} 个，方案前达标 {plan.n_compliant_before} 个，方案后达标 "
                f"{plan.n_compliant_after} 个；差异系数条件{'达标' if plan.cv_rule_met else '未达标'}。"),
        "单价": "单价是假设 [U]（见“单价假设”），不是公布的标准或实际价格；按本地单价替换后重新计算。",
        "共享": "校舍、场地、设备和多媒体教室补给学校，一贯制、完全中学各学段共享（学段方案中各学段重复列出，只计一次）。",
    }
    if plan.budget is not None:
        notes["预算"] = f"{plan.budget:,.0f} 元"
    return write_xlsx(plan_tables(plan), path, notes=notes,
                      column_widths={"学校方案": {"学校名称": 28}, "学段方案": {"学校名称": 28}, "单价假设": {"依据": 60}})



_KIND = {"L1": "value", "L2": "value", "L3": "value", "L4": "value", "L5": "value", "L6": "money", "L7": "value"}
_ADD_KIND = {"L1": "count", "L2": "count", "L3": "count", "L4": "count", "L5": "count", "L6": "money", "L7": "count"}


def render_school(result, school_id: str, *, language: str):
    """The resources block of a school page: each section's seven indicators against the standard, what it
    needs to comply (least additions under the school rule), and its government-guarantee checks."""
    import math

    import markupsafe

    parts = result.for_school(school_id)
    comp, need = parts.get("compliance"), parts.get("in_need")
    if comp is None or comp.empty:
        return markupsafe.Markup("")
    adds = {}
    if need is not None and len(need):
        for r in need.to_dict(orient="records"):
            adds[r["stage"]] = r
    sections = []
    for r in comp.to_dict(orient="records"):
        a = adds.get(r["stage"], {})
        inds = []
        for k in QUALITY_INDICATORS:
            add = a.get(f"add_{k}")
            add = None if add is None or (isinstance(add, float) and math.isnan(add)) or add <= 0 else float(add)
            inds.append({"key": k, "value": r.get(k), "threshold": r.get(f"{k}_threshold"), "ratio": r.get(f"{k}_ratio"),
                         "met": bool(r.get(f"{k}_met")), "kind": _KIND[k], "add": add, "add_kind": _ADD_KIND[k]})
        sections.append({"stage": r["stage"], "state": str(r.get("state") or ("compliant" if r.get("compliant") else
                                                                                "not_compliant")),
                         "n_met": int(r.get("n_met") or 0), "students": r.get("students"), "indicators": inds})
    checks = []
    size = parts.get("school_size")
    if size is not None and len(size):
        s0 = size.iloc[0]
        checks.append({"key": "size", "ok": bool(s0["within"]), "params": {"n": fmt(s0["students"], "count", language),
                                                                          "limit": fmt(s0["limit"], "count", language)}})
    cls = parts.get("class_size")
    if cls is not None and len(cls):
        for r in cls.to_dict(orient="records"):
            if r.get("max_class_size") is None or (isinstance(r["max_class_size"], float) and math.isnan(r["max_class_size"])):
                continue
            checks.append({"key": f"class_{r['stage']}", "ok": bool(r["within"]),
                           "params": {"max": fmt(r["max_class_size"], "count", language),
                                      "limit": fmt(r["limit"], "count", language)}})
    rooms = parts.get("rooms")
    if rooms is not None and len(rooms):
        r = rooms.iloc[0]
        checks.append({"key": "rooms", "ok": bool(r["within"]),
                       "params": {"music": fmt(r["music_rooms"], "count", language),
                                  "art": fmt(r["art_rooms"], "count", language),
                                  "required": fmt(r["rooms_required"], "count", language)}})
    return render_template("sections/resources_school.html.j2", language=language, sections=sections, checks=checks)
