"""The equity section (教育公平) of a county page: a thin renderer of :class:`lyganalysis.analysis.equity.EquityResult`.

``render(result, language=...)`` returns the section as HTML (template ``sections/equity.html.j2``, words from
the ``eq_*`` catalogue keys, numbers rounded only by :func:`lyganalysis.report.format.fmt`). Gaps are HTML tables
with interval marks (a line from the lower to the upper limit, a dot at the estimate, a mark at 0), so the page
stays searchable; long tables are folded. ``figures()`` returns no chart: everything is a table.

The row builders ``coverage_rows`` and ``inequality_rows`` are shared with the city overview page.
"""

from __future__ import annotations

from typing import Any

import markupsafe
import pandas as pd

from lyganalysis.report.format import fmt, is_missing
from lyganalysis.report.html import key_of
from lyganalysis.report.html import render as render_template
from lyganalysis.report.text import has, t

__all__ = ["render", "figures", "cell", "coverage_rows", "coverage_head", "inequality_rows", "inequality_head", "label",
           "MEASURE_KINDS", "not_computed_items"]

MEASURE_KINDS = {"student_teacher_ratio": "ratio", "share_above_required": "rate", "backbone_per_100": "value",
                 "share_50_plus": "rate", "mean_score": "score", "pass_rate": "rate", "excellence_rate": "rate",
                 "value_added": "value"}
"""Display kind of each staffing / result measure (shares in %, their differences in percentage points)."""


def label(code: Any, language: str, *prefixes: str) -> str:
    """Catalogue text of ``code`` under the first prefix that has it (e.g. ``subject_``), else the code."""
    if is_missing(code):
        return t("missing_group", language)
    c = str(int(code)) if isinstance(code, float) and code.is_integer() else str(code)
    for p in prefixes:
        if has(p + c, language):
            return t(p + c, language)
    return c


def _subject(code, lang):
    return label(code, lang, "subject_", "eq_subject_")


def _grade_subject(grade, subject, lang):
    if is_missing(grade):
        return _subject(subject, lang)
    return t("eq_grade_subject", lang, grade=int(grade), subject=_subject(subject, lang))


def cell(text, key=None, value=None, cls="", href=None, bar=None, interval=None) -> dict:
    """One table cell for the section templates: display ``text``, ``data-key``, ``data-value`` (a number, or a
    verdict code such as "met"), css class, link, inline bar ``[value, max]`` and interval mark
    ``[estimate, lo, hi, axis_lo, axis_hi]``."""
    v = None if value is None or is_missing(value) else (value if isinstance(value, str) else float(value))
    return {"text": text, "key": key, "value": v, "cls": cls, "href": href, "bar": bar, "interval": interval}


def _num(v, kind, lang, key):
    return cell(fmt(v, kind, lang), key, v if kind not in ("text", "verdict") else None, cls=kind)


def _ci(lo, hi, kind, lang):
    if is_missing(lo) or is_missing(hi):
        return "—"
    return f"[{fmt(lo, kind, lang)}, {fmt(hi, kind, lang)}]"


def _axis(frame: pd.DataFrame, lo: str, hi: str) -> tuple[float, float]:
    if frame is None or frame.empty:
        return -1.0, 1.0
    a = pd.concat([frame[lo], frame[hi]]).astype("float64")
    a = a[a.notna() & (a.abs() < float("inf"))]
    if a.empty:
        return -1.0, 1.0
    m = max(abs(float(a.min())), abs(float(a.max())), 1e-9)
    return -m, m


def _group(variable, code, lang):
    return label(code, lang, f"eq_grp_{variable}_", "locale_", "eq_grp_")


# ---------------------------------------------------------------------------------------------- tables
def _gaps_table(g: pd.DataFrame, lang: str, conf: float) -> tuple[list, list]:
    head = [t(f"eq_col_{c}", lang, confidence=conf) for c in
            ("grade", "subject", "variable", "group", "reference", "n", "n_reference", "mean", "mean_reference",
             "difference", "interval", "hedges_g", "v")]
    lo, hi = _axis(g, "hedges_g_ci_low", "hedges_g_ci_high")
    rows = []
    for r in g.to_dict(orient="records"):
        k = key_of("equity.gaps", r["variable"], r["grade"], r["subject"], r["group"])
        sup = bool(r["suppressed"])
        rows.append([
            cell(label(r["grade"], lang)), cell(_subject(r["subject"], lang)),
            cell(label(r["variable"], lang, "eq_var_")), cell(_group(r["variable"], r["group"], lang)),
            cell(_group(r["variable"], r["reference"], lang)),
            cell(str(r["n_display"]) if sup else fmt(r["n"], "count", lang), f"{k}.n", None if sup else r["n"], "count"),
            cell(str(r["n_reference_display"]) if sup else fmt(r["n_reference"], "count", lang), f"{k}.n_reference",
                  None if sup else r["n_reference"], "count"),
            _num(r["mean"], "score", lang, f"{k}.mean"), _num(r["mean_reference"], "score", lang, f"{k}.mean_reference"),
            _num(r["difference"], "signed", lang, f"{k}.difference"),
            cell(_ci(r["ci_low"], r["ci_high"], "signed", lang), f"{k}.interval", cls="interval"),
            cell(fmt(r["hedges_g"], "value", lang), f"{k}.hedges_g", r["hedges_g"], "value",
                  interval=None if sup else [r["hedges_g"], r["hedges_g_ci_low"], r["hedges_g_ci_high"], lo, hi]),
            _num(r.get("v"), "value", lang, f"{k}.v"),
        ])
    return head, rows


def _headline_table(g: pd.DataFrame, lang: str, conf: float) -> tuple[list, list]:
    head = [t(f"eq_col_{c}", lang, confidence=conf) for c in
            ("subject", "group", "reference", "n", "n_reference", "mean", "mean_reference", "difference", "interval",
             "hedges_g")]
    lo, hi = _axis(g, "hedges_g_ci_low", "hedges_g_ci_high")
    rows = []
    for r in g.to_dict(orient="records"):
        k = key_of("equity.headline_gaps", r["contrast"], r["grade"], r["subject"], r["group"])
        rows.append([
            cell(_grade_subject(r["grade"], r["subject"], lang)), cell(_group(r["contrast"], r["group"], lang)),
            cell(_group(r["contrast"], r["reference"], lang)),
            _num(r["n"], "count", lang, f"{k}.n"), _num(r["n_reference"], "count", lang, f"{k}.n_reference"),
            _num(r["mean"], "score", lang, f"{k}.mean"), _num(r["mean_reference"], "score", lang, f"{k}.mean_reference"),
            _num(r["difference"], "signed", lang, f"{k}.difference"),
            cell(_ci(r["ci_low"], r["ci_high"], "signed", lang), f"{k}.interval", cls="interval"),
            cell(fmt(r["hedges_g"], "value", lang), f"{k}.hedges_g", r["hedges_g"], "value",
                  interval=[r["hedges_g"], r["hedges_g_ci_low"], r["hedges_g_ci_high"], lo, hi]),
        ])
    return head, rows


def _resource_table(g: pd.DataFrame, lang: str, conf: float) -> tuple[list, list]:
    head = [t(f"eq_col_{c}", lang, confidence=conf) for c in
            ("stage", "indicator", "group", "schools_effective", "mean", "mean_reference", "difference", "interval",
             "hedges_g")]
    lo, hi = _axis(g, "hedges_g_ci_low", "hedges_g_ci_high")
    rows = []
    for r in g.to_dict(orient="records"):
        k = key_of("equity.resource_gaps", r["stage"], r["indicator"], r["group"])
        rows.append([
            cell(label(r["stage"], lang, "stage_")), cell(label(r["indicator"], lang, "eq_ind_")),
            cell(label(r["group"], lang, "locale_")), _num(r["n"], "ratio", lang, f"{k}.n"),
            _num(r["mean"], "value", lang, f"{k}.mean"), _num(r["mean_reference"], "value", lang, f"{k}.mean_reference"),
            _num(r["difference"], "value", lang, f"{k}.difference"),
            cell(_ci(r["ci_low"], r["ci_high"], "value", lang), f"{k}.interval", cls="interval"),
            cell(fmt(r["hedges_g"], "value", lang), f"{k}.hedges_g", r["hedges_g"], "value",
                  interval=[r["hedges_g"], r["hedges_g_ci_low"], r["hedges_g_ci_high"], lo, hi]),
        ])
    return head, rows


def _locale_table(g: pd.DataFrame, lang: str, conf: float, what: str) -> tuple[list, list]:
    first = ["stage"] if what == "staffing_gaps" else ["grade", "subject"]
    head = [t(f"eq_col_{c}", lang, confidence=conf) for c in
            first + ["measure", "weighting", "group", "reference", "schools", "schools_reference", "n", "n_reference",
                     "mean", "mean_reference", "difference", "interval", "hedges_g"]]
    lo, hi = _axis(g, "hedges_g_ci_low", "hedges_g_ci_high")
    rows = []
    for r in g.to_dict(orient="records"):
        kind = MEASURE_KINDS.get(r["measure"], "value")
        if what == "staffing_gaps":
            k = key_of("equity.staffing_gaps", r["stage"], r["measure"], r["group"])
            cells = [cell(label(r["stage"], lang, "stage_"))]
        else:
            k = key_of("equity.results_gaps", r["grade"], r["subject"], r["measure"], r["group"])
            cells = [cell(label(r["grade"], lang)), cell(_subject(r["subject"], lang))]
        sup = bool(r["suppressed"])
        cells += [
            cell(label(r["measure"], lang, "eq_m_")), cell(label(r["weighting"], lang, "eq_w_")),
            cell(label(r["group"], lang, "locale_")), cell(label(r["reference"], lang, "locale_")),
            _num(r["n_units"], "count", lang, f"{k}.n_units"),
            _num(r["n_units_reference"], "count", lang, f"{k}.n_units_reference"),
            cell(r["count_display"] if is_missing(r["count"]) else fmt(r["count"], "count", lang), f"{k}.count",
                  r["count"], "count"),
            cell(r["count_reference_display"] if is_missing(r["count_reference"]) else
                  fmt(r["count_reference"], "count", lang), f"{k}.count_reference", r["count_reference"], "count"),
            _num(r["mean"], kind, lang, f"{k}.mean"), _num(r["mean_reference"], kind, lang, f"{k}.mean_reference"),
            _num(r["difference"], kind, lang, f"{k}.difference"),
            cell(_ci(r["ci_low"], r["ci_high"], kind, lang), f"{k}.interval", cls="interval"),
            cell(fmt(r["hedges_g"], "value", lang), f"{k}.hedges_g", r["hedges_g"], "value",
                  interval=None if sup else [r["hedges_g"], r["hedges_g_ci_low"], r["hedges_g_ci_high"], lo, hi]),
        ]
        rows.append(cells)
    return head, rows


def coverage_head(lang: str, *, unit_column: bool = False) -> list[str]:
    cols = (["unit"] if unit_column else []) + ["measure", "numerator", "denominator", "rate", "target", "verdict",
                                                "note"]
    return [t("eq_col_locale" if c == "unit" else f"eq_col_{c}", lang) if c != "unit" else t("city_col_unit", lang)
            for c in cols]


def _reason(row: dict, lang: str, k: int) -> str:
    parts = []
    for code in str(row.get("reason_code") or "").split(";"):
        if not code:
            continue
        parts.append(t(f"eq_reason_{code}", lang, n_unknown=row.get("n_unknown", 0),
                       units_lacking=row.get("units_lacking", ""), k_minus_1=k - 1))
    return "；".join(parts) if lang == "zh" else "; ".join(parts)


def coverage_rows(cov: pd.DataFrame, lang: str, *, key_prefix: str, min_cell_size: int,
                  unit_column: bool = False, unit_label=None) -> list[list[dict]]:
    """Coverage rows (measure with its definition, numerator, denominator, rate with a bar, target, verdict, note).

    ``unit_label(unit) -> text`` names the unit when ``unit_column``.
    """
    rows = []
    for r in cov.to_dict(orient="records"):
        key = key_of(key_prefix, r["unit"] if unit_column else None, r["key"])
        sup = bool(r["suppressed"])
        cells = [cell(unit_label(r["unit"]) if unit_label else str(r["unit"]))] if unit_column else []
        name = f"{t('eq_cov_' + r['key'], lang)}（{t('eq_cov_def_' + r['key'], lang)}）" if lang == "zh" else \
            f"{t('eq_cov_' + r['key'], lang)} ({t('eq_cov_def_' + r['key'], lang)})"
        rate_ok = not sup and not is_missing(r["rate"])
        cells += [
            cell(name),
            cell(t("eq_withheld", lang) if sup else fmt(r["numerator"], "count", lang), f"{key}.numerator",
                  None if sup else r["numerator"], "count"),
            cell(t("eq_withheld", lang) if r["denominator_suppressed"] else fmt(r["denominator"], "count", lang),
                  f"{key}.denominator", r["denominator"], "count"),
            cell(t("eq_withheld", lang) if sup else fmt(r["rate"], "rate", lang), f"{key}.rate",
                  r["rate"] if rate_ok else None, "rate", bar=[r["rate"], 1.0] if rate_ok else None),
            cell(("≥ " if r["direction"] == "min" else "≤ ") + fmt(r["target"], "rate", lang), f"{key}.target",
                  r["target"], "rate"),
            cell(t(f"eq_verdict_{r['verdict']}", lang), f"{key}.verdict", cls=f"verdict lyg-eq-{r['verdict']}"),
            cell(_reason(r, lang, min_cell_size)),
        ]
        rows.append(cells)
    return rows


def inequality_head(lang: str, *, between: str = "eq_col_between", within: str = "eq_col_within") -> list[str]:
    return [t(k, lang) for k in ("eq_col_stage", "eq_col_measure", "eq_col_schools", "eq_col_gini", "eq_col_theil",
                                 between, within, "eq_col_between_share", "eq_col_mcloone", "eq_col_range_ratio")]


def inequality_rows(ineq: pd.DataFrame, lang: str, *, key_prefix: str) -> list[list[dict]]:
    """Gini / Theil T with the between–within split (between share with a bar), McLoone, P95/P5."""
    rows = []
    for r in ineq.to_dict(orient="records"):
        m = str(r["measure"])
        is_ind = m.startswith("L") and has(f"eq_ind_{m}", lang)
        name = label(m, lang, "eq_ind_") if is_ind else \
            f"{t('eq_m_mean_score', lang)} {_grade_subject(r.get('grade'), r.get('subject'), lang)}"
        k = key_of(key_prefix, r.get("kind"), r.get("stage") if is_ind else None,
                   None if is_ind else r.get("grade"), None if is_ind else r.get("subject"), m)
        stage = r.get("stage")
        bs = r["between_share"]
        rows.append([
            cell("—" if is_missing(stage) else label(stage, lang, "stage_")), cell(name),
            _num(r["n_units"], "count", lang, f"{k}.n_units"), _num(r["gini"], "icc", lang, f"{k}.gini"),
            _num(r["theil"], "icc", lang, f"{k}.theil"), _num(r["theil_between"], "icc", lang, f"{k}.theil_between"),
            _num(r["theil_within"], "icc", lang, f"{k}.theil_within"),
            cell(fmt(bs, "rate", lang), f"{k}.between_share", bs, "rate",
                  bar=None if is_missing(bs) else [bs, 1.0]),
            _num(r.get("mcloone"), "icc", lang, f"{k}.mcloone"), _num(r.get("range_ratio"), "value", lang,
                                                                       f"{k}.range_ratio"),
        ])
    return rows


def not_computed_items(items, lang: str) -> list[dict]:
    """Not-computed records with their subject codes translated (for the ``not_computed`` macro)."""
    out = []
    for u in items or ():
        params = dict(u.params)
        if "subject" in params:
            params["subject"] = _subject(params["subject"], lang)
        out.append({"section": u.section, "item": u.item, "reason": u.reason, "params": params})
    return out


# ---------------------------------------------------------------------------------------------- section
def _headline(result, lang: str, conf: float) -> tuple[str | None, str | None]:
    figs = result.figures()
    f = figs.get("equity.urban_rural_gap")
    if f is not None:
        p = f.params
        return t("eq_headline_locale", lang, grade_subject=_grade_subject(p["grade"], p["subject"], lang),
                 group=label(p["group"], lang, "locale_"), reference=label(p["reference"], lang, "locale_"),
                 difference=fmt(f.value, "signed", lang), ci_low=fmt(p["ci_low"], "signed", lang),
                 ci_high=fmt(p["ci_high"], "signed", lang), hedges_g=fmt(p["hedges_g"], "value", lang),
                 confidence=conf), f.key
    f = figs.get("equity.poverty_gap")
    if f is not None:
        p = f.params
        return t("eq_headline_poverty", lang, subject=_grade_subject(p["grade"], p["subject"], lang),
                 difference=fmt(f.value, "signed", lang), ci_low=fmt(p["ci_low"], "signed", lang),
                 ci_high=fmt(p["ci_high"], "signed", lang), confidence=conf), f.key
    return None, None


def _composition_rows(comp: pd.DataFrame, lang: str, k: int) -> tuple[list, list]:
    head = [t("eq_col_variable", lang), t("eq_col_locale", lang), t("eq_col_group", lang), t("eq_col_n", lang),
            t("eq_col_mean", lang)]
    rows = []
    for r in comp.to_dict(orient="records"):
        key = key_of("equity.composition", r["variable"], r["locale"], r["group"])
        n_text = {"primary": f"<{k}", "secondary": "*"}.get(r["n_state"]) or fmt(r["n"], "count", lang)
        loc = t("eq_grp_total", lang) if r["locale"] == "total" else label(r["locale"], lang, "locale_")
        grp = t("eq_grp_total", lang) if r["group"] == "total" else _group(r["variable"], r["group"], lang)
        rows.append([cell(label(r["variable"], lang, "eq_var_")), cell(loc), cell(grp),
                     cell(n_text, f"{key}.n", None if r["n_state"] != "shown" else r["n"], "count"),
                     _num(r["mean_score"], "score", lang, f"{key}.mean_score")])
    return head, rows


def render(result, *, language: str, school_href: str | None = "schools/{school_id}.html",
           confidence: float = 0.95) -> markupsafe.Markup:
    """The equity section of one county as HTML (no page heading: the page adds it).

    Parameters
    ----------
    result : EquityResult
    language : {"zh", "en"}
    school_href : str or None
        Pattern of a school page link (``{school_id}``); None: school names are not linked.
    confidence : float
        The level the intervals were computed at (``Settings.confidence_level``), for the column headings.
    """
    lang = language
    k = int(result.min_cell_size)
    headline, headline_key = _headline(result, lang, confidence)
    locale = None
    lm = result.locale_missing
    if lm is not None and len(lm):
        miss = lm.set_index("what")["n_missing"]
        nol = result.schools_without_locale
        locale = {"schools": fmt(miss.get("schools", 0), "count", lang),
                  "students": fmt(miss.get("students", 0), "count", lang),
                  "takers": fmt(miss.get("test_takers", 0), "count", lang),
                  "head": [t("eq_col_school", lang), t("eq_col_students", lang)],
                  "rows": [[cell(r["school_name"], href=school_href.format(school_id=r["school_id"])
                                  if school_href else None),
                            _num(r["students"], "count", lang, key_of("equity.schools_without_locale",
                                                                      r["school_id"], "students"))]
                           for r in nol.to_dict(orient="records")]}
        if float(miss.sum()) == 0:
            locale["schools"] = 0
    empty = t("eq_not_computed_table", lang)
    tables = []
    if result.headline_gaps is not None and len(result.headline_gaps) and \
            (result.headline_gaps["contrast"] != "locale").any():
        hg = result.headline_gaps[result.headline_gaps["contrast"] != "locale"]
        head, rows = _headline_table(hg, lang, confidence)
        tables.append({"id": "headline_gaps", "heading": t("eq_h_poverty_gaps", lang), "fold": None, "head": head,
                       "rows": rows, "empty": empty, "note": None})
    if "locale" in result.contrasts or any(c in result.contrasts for c in ("gender", "migrant", "left_behind")):
        head, rows = _gaps_table(result.gaps, lang, confidence) if len(result.gaps) else ([], [])
        tables.append({"id": "gaps", "heading": t("eq_h_gaps", lang), "head": head, "rows": rows, "empty": empty,
                       "fold": t("eq_gaps_fold", lang, n=len(rows)) if len(rows) > 12 else None,
                       "note": t("eq_gaps_note", lang, k=k, confidence=confidence)})
    if "locale" in result.contrasts:
        for tid, frame, builder in (("resource_gaps", result.resource_gaps, _resource_table),
                                    ("staffing_gaps", result.staffing_gaps, None),
                                    ("results_gaps", result.results_gaps, None)):
            if frame is not None and len(frame):
                head, rows = builder(frame, lang, confidence) if builder else _locale_table(frame, lang, confidence, tid)
            else:
                head, rows = [], []
            tables.append({"id": tid, "heading": t(f"eq_h_{tid}", lang), "head": head, "rows": rows, "empty": empty,
                           "fold": t("eq_fold_rows", lang, n=len(rows)) if len(rows) > 12 else None,
                           "note": t("eq_locale_note", lang, k=k, confidence=confidence)
                           if tid == "results_gaps" else None})
        ineq = result.inequality
        tables.append({"id": "inequality", "heading": t("eq_h_inequality", lang), "head": inequality_head(lang),
                       "rows": inequality_rows(ineq, lang, key_prefix="equity.inequality") if len(ineq) else [],
                       "fold": t("eq_fold_rows", lang, n=len(ineq)) if len(ineq) > 12 else None,
                       "empty": empty, "note": t("eq_inequality_note", lang)})
        if len(result.composition):
            head, rows = _composition_rows(result.composition, lang, k)
            tables.append({"id": "composition", "heading": t("eq_h_composition", lang), "head": head, "rows": rows,
                           "fold": t("eq_fold_rows", lang, n=len(rows)), "empty": empty,
                           "note": t("eq_composition_note", lang, k=k)})
    if result.targets_apply and len(result.coverage):
        tables.append({"id": "coverage", "heading": t("eq_h_coverage", lang), "head": coverage_head(lang),
                       "rows": coverage_rows(result.coverage, lang, key_prefix="equity.coverage", min_cell_size=k),
                       "fold": None, "empty": empty, "note": None})
    return render_template("sections/equity.html.j2", language=lang, headline=headline, headline_key=headline_key,
                           locale=locale, tables=tables, not_computed=not_computed_items(result.unavailable, lang))


def figures(result, *, language: str) -> list:
    """The section's charts: none — gaps, coverage and the Theil split are HTML tables with bars and interval
    marks (searchable text, a small page)."""
    return []
