"""Academic quality section of a county report (学业质量): a thin renderer of :class:`AcademicResult`.

Nothing is computed here: :func:`lyganalysis.analysis.academic.analyse` gives every number; this module picks
words from the catalogue (``lyganalysis/report/text/<language>/academic.yaml``, keys ``aca_*``), formats numbers
with :func:`lyganalysis.report.format.fmt` and renders ``templates/sections/academic.html.j2``.

data-key scheme (``<block>`` is ``<grade>.<subject>`` as in the result)::

    academic.county.<block>.<column>                      county 三率一分, ICC, change since last year
    academic.value_added_model.<block>.<column>           model-level value-added figures
    academic.schools.<block>.<school_id>.<column>         school league (mean, interval, rates, VA, change)
    academic.n_warnings                                   schools flagged by the early warning
    academic.warnings.<school_id>.<column>                the compact early-warning table
    academic.subjects.<grade>.<school_id>.<subject>       subject profile (mean T score)
"""

from __future__ import annotations

from typing import Any

import markupsafe
import numpy as np
import pandas as pd

from lyganalysis.report.format import fmt, is_missing
from lyganalysis.report.html import render as _render
from lyganalysis.report.text import has, t

__all__ = ["render", "render_school", "figures"]

_RULE_ORDER = ("value_added_below_zero", "mean_below_county", "pass_rate_drop")


def _subject(code: Any, lang: str) -> str:
    for key in (f"aca_subject_{code}", f"subject_{code}"):
        if has(key, lang):
            return t(key, lang)
    return str(code)


def _block_label(grade: Any, subject: Any, lang: str, exam: Any = None, block: str | None = None) -> str:
    subj = _subject(subject, lang)
    if is_missing(grade):
        return subj
    text = t("aca_block", lang, grade=int(grade), subject=subj)
    if block is not None and str(block).count(".") == 2 and not is_missing(exam):
        text = t("aca_block_exam", lang, block=text, exam=str(exam))
    return text


def _href(pattern: str | None, school_id: Any) -> str | None:
    return None if pattern is None else pattern.format(school_id=school_id)


def _records(frame: pd.DataFrame, *, key: str | None = None, href: str | None = None) -> list[dict]:
    """Rows as dicts for the templates: missing values as None, ``_key`` and ``_href`` (None: no link)."""
    out = []
    for r in frame.to_dict(orient="records"):
        r = {k: (None if is_missing(v) else v) for k, v in r.items()}
        if key is not None:
            r["_key"] = r.get(key)
        if "school_id" in r:
            r["_href"] = _href(href, r["school_id"])
        out.append(r)
    return out


def _axis(lo: pd.Series, hi: pd.Series, extra: list[float] = ()) -> tuple[float, float]:
    vals = pd.concat([lo, hi, pd.Series(list(extra), dtype="float64")]).astype("float64").dropna()
    if vals.empty:
        return 0.0, 1.0
    a, b = float(vals.min()), float(vals.max())
    pad = 0.04 * (b - a if b > a else 1.0)
    return a - pad, b + pad


def _warning_rows(result, lang: str, school_href: str | None) -> list[dict]:
    """One row per flagged school: per rule, how many grade × subjects it hits and the worst number."""
    ew = result.early_warning
    flagged = ew[ew["flagged"]]
    rows = []
    for r in result.warning_schools.to_dict(orient="records"):
        own = flagged[flagged["school_id"] == r["school_id"]]
        row = {"school_id": r["school_id"], "school_name": r["school_name"], "_key": r["school_id"],
               "_href": _href(school_href, r["school_id"]), "n_flags": r["n_flags"]}
        for rule, kind in (("value_added_below_zero", "signed"), ("mean_below_county", "ratio"),
                           ("pass_rate_drop", "rate")):
            hit = own[own["rule"] == rule]
            if hit.empty:
                row[rule] = ""
                continue
            worst = float(hit["value"].min())
            shown = -worst if rule != "value_added_below_zero" else worst
            row[rule] = t(f"aca_ew_cell_{rule}", lang, n=len(hit), worst=fmt(shown, kind, lang))
        rows.append(row)
    return rows


def _not_computed(result, lang: str) -> list[dict]:
    items = []
    for u in result.unavailable:
        p = dict(u.params)
        if "subject" in p:
            p["where"] = _block_label(p.get("grade"), p["subject"], lang)
        items.append({"section": u.section, "item": u.item, "reason": u.reason, "params": p})
    return items


def _context(result, language: str, school_href: str | None) -> dict:
    lang = language
    p = result.parameters
    cr = result.county_results.copy()
    cr["label"] = [_block_label(g, s, lang, e, b) for g, s, e, b in
                   zip(cr["grade"], cr["subject"], cr["exam"], cr["block"])]
    prev = result.county_previous.set_index("block") if len(result.county_previous) else None
    if prev is not None:
        cr["mean_score_change"] = cr["mean_score"] - cr["block"].map(prev["mean_score"]).astype("float64")
        cr["pass_rate_change"] = cr["pass_rate"] - cr["block"].map(prev["pass_rate"]).astype("float64")
    else:
        cr["mean_score_change"] = np.nan
        cr["pass_rate_change"] = np.nan

    models = result.value_added_models
    done = models[models["status"] == "computed"].copy()
    if len(done):
        vs = result.value_added_schools
        done["n_below_zero"] = [int((vs.loc[vs["block"] == b, "effect_upper"] < 0).sum()) for b in done["block"]]
        done["label"] = [_block_label(g, s, lang, e, b) for g, s, e, b in
                         zip(done["grade"], done["subject"], done["exam"], done["block"])]

    leagues = []
    sch = result.schools
    for b in result.blocks.to_dict(orient="records"):
        part = sch[sch["block"] == b["block"]].sort_values("mean_score", ascending=False, kind="stable",
                                                           na_position="last")
        if part.empty:
            continue
        c = cr[cr["block"] == b["block"]]
        ref = None if c.empty or is_missing(c["mean_score"].iloc[0]) else float(c["mean_score"].iloc[0])
        lo, hi = _axis(part["ci_low"], part["ci_high"], [ref] if ref is not None else [])
        vlo, vhi = _axis(part["va_lower"], part["va_upper"], [0.0])
        leagues.append({"block": b["block"], "label": _block_label(b["grade"], b["subject"], lang, b["exam"],
                                                                    b["block"]),
                        "rows": _records(part, key="school_id", href=school_href), "axis": (lo, hi), "ref": ref,
                        "va_axis": (vlo, vhi), "has_va": bool(part["va_effect"].notna().any()),
                        "has_ci": bool(part["ci_low"].notna().any()),
                        "n_shown": int((~part["suppressed"]).sum()), "n_withheld": int(part["suppressed"].sum())})

    subjects = []
    s = result.subjects
    for grade, g in (s.groupby("grade", sort=True) if len(s) else []):
        subj_codes = list(dict.fromkeys(g["subject"]))
        wide = g.pivot_table(index="school_id", columns="subject", values="mean_t", aggfunc="first", dropna=False)
        wide = wide.reindex(columns=subj_codes)
        name_of = dict(zip(g["school_id"], g["school_name"]))
        wide["gap"] = wide.max(axis=1) - wide.min(axis=1)
        wide.loc[wide[subj_codes].isna().any(axis=1), "gap"] = np.nan
        wide["_avg"] = wide[subj_codes].mean(axis=1)
        wide = wide.sort_values("_avg", ascending=False, kind="stable", na_position="last").reset_index()
        wide.columns = [str(x) for x in wide.columns]
        wide["school_name"] = wide["school_id"].map(name_of)
        cols = [{"name": "school_name", "header": t("aca_col_school", lang), "link": "_href", "key": "name"}]
        cols += [{"name": x, "header": _subject(x, lang), "kind": "score"} for x in subj_codes]
        cols += [{"name": "gap", "header": t("aca_col_t_gap", lang), "kind": "score"}]
        subjects.append({"grade": int(grade), "label": t("aca_grade", lang, grade=int(grade)),
                         "rows": _records(wide, key="school_id", href=school_href), "columns": cols})

    school_means = None
    if result.source == "school_results" and len(sch):
        codes = list(dict.fromkeys(sch["subject"]))
        wide = sch.pivot_table(index="school_id", columns="subject", values="mean_score", aggfunc="first",
                               dropna=False).reindex(columns=codes)
        wide.columns = [f"mean_{c}" for c in wide.columns]
        first = sch.drop_duplicates("school_id").set_index("school_id")
        wide["school_name"] = first["school_name"]
        wide["n_students"] = first["n_students"]
        key_col = f"mean_{result.headline_block}" if f"mean_{result.headline_block}" in wide else wide.columns[0]
        wide = wide.sort_values(key_col, ascending=False, kind="stable", na_position="last").reset_index()
        cols = [{"name": "school_name", "header": t("aca_col_school", lang), "link": "_href", "key": "name"},
                {"name": "n_students", "header": t("aca_col_n_students", lang), "kind": "count"}]
        cols += [{"name": f"mean_{c}", "header": _subject(c, lang), "kind": "score", "key": c} for c in codes]
        school_means = {"rows": _records(wide, key="school_id", href=school_href), "columns": cols,
                        "n": int(len(wide))}

    ew = result.early_warning
    not_assessed = ew[ew["small"]].drop_duplicates("school_id") if len(ew) else ew
    return dict(
        r=result, language=lang, p=p, pct=f"{p['confidence']:.0%}", school_href=school_href,
        county_rows=_records(cr, key="block"), models=_records(done, key="block"), leagues=leagues,
        warnings=_warning_rows(result, lang, school_href), n_not_assessed=int(len(not_assessed)),
        not_assessed=", ".join(str(x) for x in not_assessed["school_name"]) if len(not_assessed) else "",
        subjects=subjects, unavailable=_not_computed(result, lang), school_means=school_means,
        has_previous=prev is not None and result.previous_year is not None,
        student_scores=result.source == "student_scores")


def render(result, *, language: str, school_href: str | None = "schools/{school_id}.html") -> markupsafe.Markup:
    """The academic section as HTML (h3 sub-headings; the page supplies the h2).

    Parameters
    ----------
    result : lyganalysis.analysis.academic.AcademicResult
    language : {"zh", "en"}
    school_href : str or None
        Pattern of a school page's address (``{school_id}`` filled in); None: school names are not links.

    Raises
    ------
    lyganalysis.report.text.CatalogueError
        Unknown language.
    """
    return _render("sections/academic.html.j2", **_context(result, language, school_href))


def render_school(result, school_id: str, *, language: str) -> markupsafe.Markup:
    """The academic part of one school's page: its 三率一分 against the county with the interval of its
    mean, its value-added with the interval, the change since last year and its warnings with the numbers.

    Parameters
    ----------
    result : lyganalysis.analysis.academic.AcademicResult
        The county's result (the school's figures are :meth:`AcademicResult.for_school`).
    school_id : str
    language : {"zh", "en"}

    Raises
    ------
    KeyError
        The school has no academic results in this county (render nothing for it instead).
    """
    lang = language
    page = result.for_school(school_id)
    att = page["attainment"].copy()
    att["label"] = [_block_label(g, s, lang, e, b) for g, s, e, b in
                    zip(att["grade"], att["subject"], att["exam"], att["block"])]
    va_axis = _axis(att["va_lower"], att["va_upper"], [0.0])
    warnings = []
    for f in page["warnings"].to_dict(orient="records"):
        rule = f["rule"]
        if rule == "value_added_below_zero":
            numbers = t("aca_school_num_value_added_below_zero", lang, upper=fmt(f["observed"], "signed", lang))
        elif rule == "mean_below_county":
            numbers = t("aca_school_num_mean_below_county", lang, mean=fmt(f["observed"], "score", lang),
                        county=fmt(f["reference"], "score", lang), sd=fmt(-f["value"], "ratio", lang))
        else:
            numbers = t("aca_school_num_pass_rate_drop", lang, before=fmt(f["reference"], "rate", lang),
                        now=fmt(f["observed"], "rate", lang))
        warnings.append({"block": f["block"], "rule": rule, "text": t(
            "aca_school_warning", lang, where=_block_label(f["grade"], f["subject"], lang, f["exam"], f["block"]),
            rule=t(f"aca_rule_{rule}", lang), numbers=numbers)})
    ew = result.early_warning
    small = bool(len(ew) and ew.loc[ew["school_id"] == str(school_id), "small"].all())
    return _render("sections/academic_school.html.j2", language=lang, school_id=str(school_id),
                   rows=_records(att), va_axis=va_axis, warnings=warnings, pct=f"{result.confidence_level:.0%}",
                   has_previous=result.previous_year is not None, previous_year=result.previous_year,
                   any_withheld=bool(att["suppressed"].any()), k_min=result.min_cell_size,
                   min_n=result.min_n_effective,
                   no_warning_key="aca_school_not_assessed" if small else "aca_school_no_warning")


def figures(result, *, language: str) -> list[tuple[str, Any]]:
    """The section's remaining figures (80 dpi; the caller shows and closes them).

    One figure: the county's pass, excellence and low-score rates per grade × subject (bars), when student
    scores exist. Per-school charts are HTML tables with interval marks in :func:`render`.
    """
    if result.source != "student_scores" or result.county_results.empty:
        return []
    import matplotlib.pyplot as plt

    from lyganalysis import plots

    plots.setup_fonts()
    cr = result.county_results
    long = []
    for r in cr.to_dict(orient="records"):
        label = _block_label(r["grade"], r["subject"], language, r["exam"], r["block"])
        for col in ("pass_rate", "excellence_rate", "low_score_rate"):
            if not is_missing(r[col]):
                long.append({"label": label, "rate": t(f"aca_col_{col}", language), "value": 100 * float(r[col])})
    if not long:
        return []
    fig, ax = plt.subplots(figsize=(7.5, 3.2), dpi=80)
    plots.bars_by_group(pd.DataFrame(long), value="value", label="label", by="rate", ax=ax,
                        title=t("aca_fig_rates_title", language), ylabel=t("aca_fig_rates_ylabel", language),
                        annotate=False)
    return [("academic.county_rates", fig)]
