"""Report section "teachers" (教师队伍): a thin renderer of :class:`lyganalysis.analysis.staffing.StaffingResult`.

``render(result, language=..., school_href=...)`` fills ``templates/sections/staffing.html.j2`` (all words from
the ``stf_*`` catalogue entries, every number cell with a ``data-key``); ``figures(result, language=...)`` draws
the age pyramids (suppressed cells left out). Nothing is computed here.
"""

from __future__ import annotations

import markupsafe
import pandas as pd

from lyganalysis.metrics.staffing import QUALIFICATIONS, TITLES
from lyganalysis.report.html import render as _render
from lyganalysis.report.html import rows
from lyganalysis.report.text import t
from lyganalysis.standards import ROTATION_MIN_YEARS_IN_SCHOOL, ROTATION_MIN_YEARS_TO_RETIREMENT, SPECIALIST_SUBJECTS

__all__ = ["render", "render_school", "figures"]


def _c(name, key, kind, language, **extra):
    return {"name": name, "header": t(key, language), "kind": kind, **extra}


def _keyed(frame: pd.DataFrame | None, cols: list[str]) -> pd.DataFrame | None:
    if frame is None or frame.empty:
        return frame
    f = frame.copy()
    f["_k"] = f[cols].astype(str).agg(".".join, axis=1)
    return f


def _stage_label(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    f = frame.copy()
    f["stage_text"] = [t("stf_stage_all", language) if s == "all" else t(f"stage_{s}", language) for s in f["stage"]]
    return f


def _locale_label(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    f = frame.copy()
    f["locale_text"] = [t("stf_all_locales", language) if x == "all" else
                        (t(f"locale_{x}", language) if x in ("urban", "town", "rural") else str(x)) for x in f["locale"]]
    return f


def render(result, *, language: str, school_href: str | None = "schools/{school_id}.html") -> markupsafe.Markup:
    """The section's HTML in ``language`` ("zh" / "en").

    Parameters
    ----------
    result : StaffingResult
    language : {"zh", "en"}
    school_href : str or None
        Pattern of a school page link (``{school_id}`` is filled); None: school names are not linked.

    Returns
    -------
    markupsafe.Markup
    """
    L = language
    r = result
    sc = r.scalars or {}
    ctx: dict = {"r": r, "language": L, "has_teachers": r.has_teacher_records}
    stage_col = {"name": "stage_text", "header": t("stf_stage", L), "kind": "text", "key": "stage"}
    loc_col = {"name": "locale_text", "header": t("stf_locale", L), "kind": "text", "key": "locale"}

    ratios = _stage_label(r.ratios, L) if len(r.ratios) else r.ratios
    ctx["ratio_rows"] = rows(_keyed(ratios, ["stage"]), key="_k")
    cols = [stage_col, _c("students", "stf_students", "count", L), _c("teachers", "stf_teachers", "count", L),
            _c("student_teacher_ratio", "stf_ratio_pooled", "ratio", L),
            _c("mean_of_schools_ratio", "stf_ratio_mean", "ratio", L)]
    if r.standards_apply:
        cols += [_c("staffing_standard", "stf_standard", "ratio", L), _c("teacher_need", "stf_need", "count", L),
                 _c("teacher_shortfall", "stf_shortfall", "count", L),
                 _c("gross_shortfall", "stf_gross_shortfall", "count", L),
                 _c("n_schools_short", "stf_n_short", "count", L)]
    ctx["ratio_cols"] = cols
    std = r.ratios.set_index("stage")["staffing_standard"] if len(r.ratios) else pd.Series(dtype="float64")
    if r.standards_apply and {"primary", "junior"} <= set(std.dropna().index):
        ctx["ratio_note"] = t("stf_ratio_note", L, staffing_standard_primary=float(std["primary"]),
                              staffing_standard_junior=float(std["junior"]))
    else:  # one stage only, a pre-2014 year (standard by locale) or no Chinese standard
        ctx["ratio_note"] = t("stf_ratio_note_pooled", L)
    sr = getattr(r, "staff_ratios", None)
    ctx["staff_rows"], ctx["staff_cols"] = [], []
    if sr is not None and len(sr):
        sr = _stage_label(sr, L).assign(meets_text=[t("stf_staff_meets" if ok else "stf_staff_not_meets", L)
                                                    for ok in sr["meets_standard"]])
        ctx["staff_rows"] = rows(_keyed(sr, ["stage"]), key="_k")
        ctx["staff_cols"] = [stage_col, _c("teachers", "stf_teachers", "count", L),
                             _c("student_teacher_ratio", "stf_base_teachers", "ratio", L),
                             _c("staff", "stf_staff", "count", L),
                             _c("student_staff_ratio", "stf_base_staff", "ratio", L),
                             _c("staffing_standard", "stf_standard", "ratio", L),
                             _c("staff_need", "stf_need", "count", L),
                             _c("staff_shortfall", "stf_staff_shortfall", "count", L),
                             {"name": "meets_text", "header": t("stf_staff_verdict", L), "kind": "text",
                              "key": "meets"}]
    if not r.has_teacher_records:
        return _render("sections/staffing.html.j2", **ctx)

    acts = r.school_actions[r.school_actions["needs_any"]].copy()
    sep = "、" if L == "zh" else ", "
    acts["missing_text"] = [sep.join(t(f"stf_subject_{s}", L) for s in m.split(",") if s) or "—"
                            for m in acts["missing"]]
    acts["locale_text"] = [t(f"locale_{x}", L) if x in ("urban", "town", "rural") else str(x) for x in acts["locale"]]
    link = ("school_id", school_href) if school_href else None
    ctx["action_rows"] = rows(acts, key="school_id", link=link)
    name_col = {"name": "school_name", "header": t("stf_school", L), "kind": "text", "key": "school_name"}
    if link:
        name_col["link"] = "_href"
    ctx["action_cols"] = [name_col, loc_col, _c("students", "stf_students", "count", L),
                          _c("teachers", "stf_teachers", "count", L)]
    if r.standards_apply:
        ctx["action_cols"].append(_c("teacher_shortfall", "stf_shortfall", "ratio", L))
    ctx["action_cols"] += [_c("L3_gap_teachers", "stf_l3_gap", "count", L),
                           _c("L2_gap_teachers", "stf_l2_gap", "count", L),
                           {"name": "missing_text", "header": t("stf_missing", L), "kind": "text", "key": "missing"}]

    age_stats = [_c("teachers", "stf_teachers", "count", L), _c("share_under_35", "stf_under_35", "rate", L),
                 _c("share_35_49", "stf_35_49", "rate", L), _c("share_50_plus", "stf_50_plus", "rate", L),
                 _c("mean_age", "stf_mean_age", "ratio", L)]
    ctx["age_rows"] = rows(_keyed(_stage_label(r.age, L), ["stage"]), key="_k")
    ctx["age_cols"] = [stage_col, *age_stats]
    al = _locale_label(_stage_label(r.age_by_locale, L), L)
    ctx["age_loc_rows"] = rows(_keyed(al, ["stage", "locale"]), key="_k")
    ctx["age_loc_cols"] = [stage_col, loc_col, *age_stats]

    ret = r.retirements.copy()
    ages = r.settings.retirement_ages
    ret["scenario_text"] = [t(f"stf_scenario_{s}", L, male=ages["male"], female=ages["female"])
                            for s in ret["scenario_key"]]
    ctx["retire_rows"] = rows(_keyed(ret, ["scenario_key", "horizon"]), key="_k")
    ctx["retire_cols"] = [{"name": "scenario_text", "header": t("stf_scenario", L), "kind": "text", "key": "scenario"},
                          _c("horizon", "stf_horizon", "count", L), _c("headcount", "stf_teachers", "count", L),
                          _c("retirements", "stf_retirements", "count", L),
                          _c("share_of_headcount", "stf_share_of_headcount", "rate", L),
                          _c("new_teachers_per_year", "stf_new_per_year", "count", L)]
    from lyganalysis.report.format import fmt

    ctx["past"] = fmt(sc.get("n_past_retirement_age"), "count", L)

    q = _locale_label(_stage_label(r.qualification, L), L)
    ctx["qual_rows"] = rows(_keyed(q, ["stage", "locale"]), key="_k")
    ctx["qual_cols"] = [stage_col, loc_col, _c("teachers", "stf_teachers", "count", L),
                        *[_c(f"share_{x}", f"stf_qual_{x}", "rate", L) for x in QUALIFICATIONS],
                        _c("share_above_required", "stf_above_required", "rate", L)]
    ti = _locale_label(_stage_label(r.titles, L), L)
    ctx["title_rows"] = rows(_keyed(ti, ["stage", "locale"]), key="_k")
    ctx["title_cols"] = [stage_col, loc_col, _c("teachers", "stf_teachers", "count", L),
                         *[_c(f"share_{x}", f"stf_title_{x}", "rate", L) for x in TITLES],
                         _c("share_first_or_higher", "stf_first_or_higher", "rate", L)]

    su = _stage_label(r.subjects, L) if len(r.subjects) else r.subjects
    ctx["subject_rows"] = rows(_keyed(su, ["stage"]), key="_k")
    ctx["subject_cols"] = [stage_col, _c("students", "stf_students", "count", L),
                           *[_c(f"per_100_{s}", f"stf_subject_{s}", "value", L) for s in SPECIALIST_SUBJECTS],
                           _c("L3", "stf_l3", "value", L), _c("n_schools_L3_short", "stf_n_l3_short", "count", L),
                           *[{"name": f"n_schools_without_{s}", "kind": "count",
                              "header": t("stf_without", L, subject=t(f"stf_subject_{s}", L))}
                             for s in SPECIALIST_SUBJECTS]]

    bl = _locale_label(_stage_label(r.backbone_by_locale, L), L)
    ctx["backbone_rows"] = rows(_keyed(bl, ["stage", "locale"]), key="_k")
    ctx["backbone_cols"] = [stage_col, loc_col, _c("students", "stf_students", "count", L),
                            _c("backbone_teachers", "stf_backbone_teachers", "count", L),
                            _c("student_share", "stf_student_share", "rate", L),
                            _c("backbone_share", "stf_backbone_share", "rate", L),
                            _c("concentration_ratio", "stf_concentration", "value", L), _c("L2", "stf_l2", "value", L)]
    bi = _stage_label(r.backbone_inequality, L) if len(r.backbone_inequality) else r.backbone_inequality
    ctx["ineq_rows"] = rows(_keyed(bi, ["stage"]), key="_k")
    ctx["ineq_cols"] = [stage_col, _c("L2_pooled", "stf_l2", "value", L), _c("gini_coefficient", "stf_gini", "cv", L),
                        _c("coefficient_of_variation", "stf_cv", "cv", L),
                        _c("n_schools_L2_short", "stf_n_l2_short", "count", L)]

    if len(r.rotation) and r.standards_apply:
        ro = _stage_label(r.rotation, L)
        ctx["rotation_rows"] = rows(_keyed(ro, ["stage"]), key="_k")
        d = r.rotation_definition
        ctx["rotation_rule"] = t("stf_rotation_rule", L,
                                 years=d.get("min_years_in_school", ROTATION_MIN_YEARS_IN_SCHOOL),
                                 to_retirement=d.get("min_years_to_retirement", ROTATION_MIN_YEARS_TO_RETIREMENT),
                                 target_city=sc["rotation_target_city"], target_national=sc["rotation_target_national"],
                                 backbone_target=sc["rotation_backbone_share_target"])
    else:
        ctx["rotation_rows"] = []
        ctx["rotation_rule"] = ""
    ctx["rotation_cols"] = [stage_col, _c("eligible", "stf_eligible", "count", L), _c("rotated", "stf_rotated", "count", L),
                            _c("rotation_rate", "stf_rotation_rate", "rate", L),
                            _c("gap_to_city", "stf_gap_to_city", "count", L),
                            _c("backbone_share_of_rotated", "stf_backbone_share_of_rotated", "rate", L)]
    fl = r.rotation_flows
    if fl is not None and len(fl):
        fl = fl.copy()
        fl["origin_text"] = [t(f"locale_{x}", L) for x in fl["origin_locale"]]
        fl["destination_text"] = [t(f"locale_{x}", L) for x in fl["destination_locale"]]
        ctx["flow_rows"] = rows(_keyed(fl, ["origin_locale", "destination_locale"]), key="_k")
    else:
        ctx["flow_rows"] = []
    ctx["flow_cols"] = [{"name": "origin_text", "header": t("stf_origin", L), "kind": "text", "key": "origin"},
                        {"name": "destination_text", "header": t("stf_destination", L), "kind": "text",
                         "key": "destination"}, _c("teachers", "stf_teachers", "count", L)]
    return _render("sections/staffing.html.j2", **ctx)


def figures(result, *, language: str) -> list:
    """``[(name, matplotlib Figure)]``: the age pyramid of each compulsory stage (cells withheld by small-cell
    suppression are not drawn). The caller shows and closes the figures."""
    import matplotlib.pyplot as plt

    from lyganalysis import plots

    out = []
    pyr = result.pyramid
    if pyr is None or len(pyr) == 0:
        return out
    for stage in [s for s in ("primary", "junior") if (pyr["stage"] == s).any()]:
        fig, ax = plt.subplots(figsize=(5.5, 3.6), dpi=80)
        plots.age_pyramid(pyr[pyr["stage"] == stage], ax=ax,
                          labels={"male": t("stf_male", language), "female": t("stf_female", language)},
                          title=t("stf_fig_pyramid", language, stage=t(f"stage_{stage}", language)),
                          xlabel=t("stf_fig_pyramid_x", language), ylabel=t("stf_fig_age", language))
        out.append((f"pyramid_{stage}", fig))
    return out


def render_school(result, school_id: str, *, language: str) -> markupsafe.Markup:
    """The staffing block of one school's page: its teachers, students, ratio, need and shortfall per stage, its
    PE/arts and backbone gaps, the specialist subjects it has no teacher of, and its age / qualification / title
    make-up only when it has at least ``min_cell_size`` teachers.

    Raises
    ------
    KeyError
        ``school_id`` is not a school of ``result`` (no compulsory-stage students in the data).
    """
    L = language
    one = result.for_school(school_id)
    if not one:
        raise KeyError(f"school {school_id!r} has no staffing row in the {result.county} results "
                       "(no primary or junior students in the schools table)")
    s = dict(one["school"])
    sections = _stage_label(one["sections"], L) if len(one["sections"]) else one["sections"]
    cols = [{"name": "stage_text", "header": t("stf_stage", L), "kind": "text", "key": "stage"},
            _c("students", "stf_students", "count", L), _c("teachers", "stf_teachers", "count", L),
            _c("student_teacher_ratio", "stf_ratio_pooled", "ratio", L)]
    if result.standards_apply:
        cols += [_c("teacher_need", "stf_need", "value", L), _c("teacher_shortfall", "stf_shortfall", "value", L)]
    if len(sections):
        sections = sections.assign(student_teacher_ratio=sections["students"]
                                   / sections["teachers"].where(sections["teachers"] > 0))
    sep = "、" if L == "zh" else ", "
    missing_text = sep.join(t(f"stf_subject_{x}", L) for x in str(s.get("missing", "")).split(",") if x) or "—"
    struct = pd.DataFrame([{**s, "_key": "structure"}])
    structure_cols = [_c("structure_teachers", "stf_teachers", "count", L),
                      _c("share_under_35", "stf_under_35", "rate", L), _c("share_35_49", "stf_35_49", "rate", L),
                      _c("share_50_plus", "stf_50_plus", "rate", L), _c("mean_age", "stf_mean_age", "ratio", L),
                      _c("share_above_required", "stf_above_required", "rate", L),
                      _c("share_first_or_higher", "stf_first_or_higher", "rate", L)]
    return _render("sections/staffing_school.html.j2", r=result, s=s, language=L, missing_text=missing_text,
                   caveats=one["caveats"],
                   section_rows=rows(_keyed(sections, ["stage"]), key="_k"), section_cols=cols,
                   structure_rows=rows(struct, key="_key") if result.has_teacher_records else [],
                   structure_cols=structure_cols)
