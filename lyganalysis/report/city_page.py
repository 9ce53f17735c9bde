"""The city overview page (全市概览): a renderer of :class:`lyganalysis.analysis.city.CityResults`.

``render(results, language=...)`` gives the page body (template ``city_page.html.j2``); ``page(results, ...)``
a standalone HTML document (one file, CJK font subset embedded). Sections: the counties side by side (each
county name links to its page ``<stem>.html``, stems from :func:`lyganalysis.report.slug.assign_filenames`),
the 2022 scorecard with the numbers behind each verdict (the resource verdict is the official combined one,
with both conditions), coverage, the between/within-county decomposition, the city staffing table and the
inspection readiness table (units as columns, items as rows by block, a short status code with the deciding
value; the units outside the national inspection marked). Every
number is an HTML table cell with a ``data-key``; rates carry an inline bar; no chart images.
"""

from __future__ import annotations

from typing import Any

import markupsafe

from lyganalysis.report.format import fmt, is_missing
from lyganalysis.report.html import key_of
from lyganalysis.report.html import render as render_template
from lyganalysis.report.sections.equity import (
    cell,
    coverage_head,
    coverage_rows,
    inequality_head,
    inequality_rows,
    not_computed_items,
)
from lyganalysis.report.slug import assign_filenames
from lyganalysis.report.text import has, t

__all__ = ["render", "page", "county_stems", "MAX_BYTES"]

MAX_BYTES = 1_500_000
"""Size budget of the city page (bytes)."""

_MARK = {"met": "✓", "close": "≈", "not_met": "✗", "not_measurable": "—", "withheld": "*", "undecided": "?"}
_CSS = """body{font-family:sans-serif;max-width:1260px;margin:auto;font-size:14px}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ddd;padding:2px 5px;vertical-align:top}
td.count,td.rate,td.score,td.signed,td.value,td.ratio,td.icc,td.cv{text-align:right;white-space:nowrap}
.lyg-muted{color:#666;font-size:90%}.lyg-banner{background:#fff3cd;padding:6px}
.lyg-bar{display:inline-block;width:50px;height:8px;background:#eee;margin-left:4px}
.lyg-bar span{display:block;height:100%;background:#4a7}
.lyg-city-not_met{color:#b00}.lyg-city-met{color:#070}
@media print{details{display:block}}"""


def county_stems(counties) -> dict[str, str]:
    """County → file-name stem of its page (:func:`lyganalysis.report.slug.assign_filenames`)."""
    return assign_filenames(counties)


def _unit(u: str, lang: str) -> str:
    return t("city_unit_city", lang) if u == "city" else str(u)


def _side_by_side(res, lang: str, hrefs: dict) -> dict:
    s = res.side_by_side
    counties = list(res.counties)
    head = [{"text": t("city_col_figure", lang), "href": None}] + \
        [{"text": c, "href": hrefs.get(c)} for c in counties]
    rows = []
    if len(s):
        for key in dict.fromkeys(s["key"]):
            fig_label = "figure_" + key.replace(".", "_")
            lab = fig_label if has(fig_label, lang) else f"city_fig_{key}"
            if not has(lab, lang):
                continue  # only labelled figures: no key name reaches the page
            sub = s[s["key"] == key].set_index("county")
            cells = [cell(t(lab, lang))]
            for c in counties:
                if c not in sub.index:
                    cells.append(cell("—"))
                    continue
                r = sub.loc[c]
                k = key_of("city", key, c)
                if r["code"]:
                    txt = fmt(r["code"], "verdict", lang) if r["kind"] == "verdict" else (
                        t(f"eq_verdict_{r['code']}", lang) if has(f"eq_verdict_{r['code']}", lang) else "—")
                    cells.append(cell(txt, k, r["code"], cls=f"verdict lyg-city-{r['code']}"))
                else:
                    kind = r["kind"] if r["kind"] in ("count", "ratio", "value", "money", "cv", "icc", "rate", "score",
                                                      "signed") else "value"
                    cells.append(cell(fmt(r["value"], kind, lang), k, r["value"], kind))
            rows.append(cells)
    return {"id": "side_by_side", "head": head, "rows": rows, "fold": None, "note": None, "heading": None,
            "empty": t("city_none", lang)}


def _target_text(target: str, v: Any, lang: str) -> str:
    if is_missing(v):
        return "—"
    if target == "new_teachers":
        return "≥ " + fmt(v, "count", lang)
    if target == "pe_hours_per_day":
        return f"≥ {fmt(v, 'value', lang)} h"
    return "≥ " + fmt(v, "rate", lang)


def _value_text(target: str, r: dict, lang: str) -> str:
    if r["verdict"] == "withheld":
        return "*"
    if is_missing(r["value"]):
        return ""
    return fmt(r["value"], "count" if target == "new_teachers" else "rate", lang)


def _verdict_text(code: str, lang: str) -> str:
    if not code:
        return "—"
    if code in ("met", "not_met", "undecided"):
        return f"{_MARK.get(code, '')} {fmt(code, 'verdict', lang)}"
    return f"{_MARK.get(code, '')} {t(f'eq_verdict_{code}', lang)}"


def _scorecard(res, lang: str, close_within: float, min_cell: int) -> list[dict]:
    sc = res.scorecard
    if sc is None or sc.empty:
        return []
    units = list(res.counties) + ["city"]
    head = [{"text": t("city_col_target", lang), "href": None}, {"text": t("city_col_target_value", lang), "href": None}] + \
        [{"text": _unit(u, lang), "href": None} for u in units]
    rows = []
    for target, g in sc.groupby("target", sort=False):
        g = g.set_index("unit")
        first = g.iloc[0]
        cells = [cell(t(f"city_t_{target}", lang)), cell(_target_text(target, first["target_value"], lang))]
        for u in units:
            if u not in g.index:
                cells.append(cell(""))
                continue
            r = g.loc[u].to_dict()
            k = key_of("city.scorecard", target, u)
            if r["resource_verdict"] != "" or target.endswith("recognition"):
                code = r["resource_verdict"] or "undecided"
                cells.append(cell(_verdict_text(code, lang), k, code, cls=f"verdict lyg-city-{code}"))
            else:
                value = "" if r["verdict"] == "withheld" else _value_text(target, r, lang)
                txt = f"{value} {_verdict_text(r['verdict'], lang)}".strip()
                cells.append(cell(txt, k, r["value"] if r["verdict"] != "withheld" else None,
                                   cls=f"verdict lyg-city-{r['verdict']}"))
        rows.append(cells)
    legend = t("city_scorecard_legend", lang, close_pp=100 * close_within)
    out = [{"id": "scorecard", "head": head, "rows": rows, "fold": None, "note": legend, "heading": None,
            "empty": t("city_none", lang)}]
    # what the resource verdict rests on: both conditions and their numbers
    v = res.verdicts
    if v is not None and len(v):
        params = [c for c in v.columns if "." in c and has(f"city_vparam_{c.split('.', 1)[1]}", lang)]
        vhead = [{"text": t(f"city_col_{c}", lang), "href": None} for c in
                 ("county", "resource_verdict", "school_rule", "cv_rule")] + \
            [{"text": f"{t('city_col_' + c.split('.', 1)[0], lang)}: {t('city_vparam_' + c.split('.', 1)[1], lang)}",
              "href": None} for c in params]
        vrows = []
        for r in v.to_dict(orient="records"):
            k = key_of("city.verdicts", r["county"])
            vrows.append([cell(r["county"])] +
                         [cell(_verdict_text(r[c], lang), f"{k}.{c}", cls=f"verdict lyg-city-{r[c]}")
                          for c in ("verdict", "school_rule", "cv_rule")] +
                         [cell(fmt(r[c], "count", lang), f"{k}.{c}", r[c], "count") for c in params])
        out.append({"id": "verdicts", "head": vhead, "rows": vrows, "fold": None, "heading": t("city_h_verdicts", lang),
                    "note": t("city_verdicts_note", lang), "empty": t("city_none", lang)})
    # the numbers behind every verdict
    dhead = [{"text": t(f"city_col_{c}", lang), "href": None} for c in
             ("target", "unit", "numerator", "denominator", "value", "target_value", "verdict", "note")]
    drows = []
    for r in sc.to_dict(orient="records"):
        k = key_of("city.scorecard_detail", r["target"], r["unit"])
        withheld = r["verdict"] == "withheld"
        notes = []
        for code in str(r["reason_code"] or "").split(";"):
            if not code:
                continue
            if has(f"city_reason_{code}", lang):
                notes.append(t(f"city_reason_{code}", lang, year=r["year"]))
            elif has(f"eq_reason_{code}", lang):
                notes.append(t(f"eq_reason_{code}", lang, n_unknown=r["n_unknown"], units_lacking=r["units_lacking"],
                               k_minus_1=min_cell - 1))
        drows.append([
            cell(t(f"city_t_{r['target']}", lang)), cell(_unit(r["unit"], lang)),
            cell("*" if withheld else fmt(r["numerator"], "count", lang), f"{k}.numerator",
                  None if withheld else r["numerator"], "count"),
            cell(fmt(r["denominator"], "count", lang), f"{k}.denominator", r["denominator"], "count"),
            cell(_value_text(r["target"], r, lang) or "—", f"{k}.value", None if withheld else r["value"], "rate"),
            cell(_target_text(r["target"], r["target_value"], lang)),
            cell(_verdict_text(r["resource_verdict"] or r["verdict"], lang), f"{k}.verdict"),
            cell("；".join(notes) if lang == "zh" else "; ".join(notes)),
        ])
    out.append({"id": "scorecard_detail", "head": dhead, "rows": drows, "heading": t("city_h_scorecard_details", lang),
                "fold": t("city_fold_rows", lang, n=len(drows)), "note": None, "empty": t("city_none", lang)})
    return out


def _staffing(res, lang: str) -> dict:
    st = res.staffing
    base = {"id": "staffing", "fold": None, "note": None, "heading": None, "empty": t("city_no_staffing", lang)}
    if st is None or st.empty or "unit" not in st.columns:
        return {**base, "head": [], "rows": []}
    units = list(st["unit"])
    head = [{"text": t("city_col_figure", lang), "href": None}] + [{"text": _unit(u, lang), "href": None} for u in units]
    by = st.set_index("unit")
    rows = []
    for col in st.columns:
        if col in ("unit", "is_city") or not has(f"city_stf_{col}", lang):
            continue
        kind = "rate" if ("share" in col or col.endswith("_rate")) else "ratio" if col.startswith("ratio_") else \
            "cv" if col.endswith("_ratio") else "count"
        cells = [cell(t(f"city_stf_{col}", lang))]
        for u in units:
            v = by.at[u, col]
            cells.append(cell(fmt(v, kind, lang), key_of("city.staffing", col, u), v, kind,
                               bar=[v, 1.0] if kind == "rate" and not is_missing(v) else None))
        rows.append(cells)
    return {**base, "head": head, "rows": rows}


_RDY_CLS = {"met": "lyg-city-met", "not_met": "lyg-city-not_met", "no_data": "lyg-city-close",
            "evidence_required": "lyg-city-not_measurable", "declared": "lyg-city-not_measurable",
            "not_applicable": "lyg-city-not_measurable"}
_BLOCK_CLS = {"met": "lyg-city-met", "clear": "lyg-city-met", "not_met": "lyg-city-not_met",
              "veto_applies": "lyg-city-not_met", "incomplete": "lyg-city-close"}


def _readiness(res, lang: str, hrefs: dict) -> dict:
    """The readiness table: items as rows grouped by block, units as columns, each cell a short status code
    with the deciding value (read from :attr:`CityResults.readiness`)."""
    from lyganalysis.inspection import BLOCKS, INSPECTION_ITEMS
    from lyganalysis.report.sections.readiness import value_kind

    rd = getattr(res, "readiness", None)
    base = {"id": "readiness", "fold": None, "heading": None, "empty": t("city_rdy_none", lang),
            "note": t("city_rdy_legend", lang)}
    if rd is None or rd.empty:
        return {**base, "head": [], "rows": []}
    units = [u for u in res.counties if u in set(rd["unit"])]
    inspection = rd.drop_duplicates("unit").set_index("unit")["inspection_unit"].to_dict()
    head = [{"text": t("city_rdy_col_item", lang), "href": None}] + [
        {"text": u if inspection.get(u, True) else f"{u} {t('city_rdy_not_unit_mark', lang)}", "href": hrefs.get(u)}
        for u in units]
    by = rd.set_index(["unit", "key"])
    bl = res.readiness_blocks.set_index(["unit", "block"]) if len(res.readiness_blocks) else None
    rows = []
    for block in (*BLOCKS, "overall"):
        if bl is not None:
            label = t("city_rdy_overall", lang) if block == "overall" else t(f"block_{block}", lang)
            cells = [cell(label, cls="lyg-city-block")]
            for u in units:
                st = bl["status"].get((u, block)) if (u, block) in bl.index else None
                cells.append(cell(t(f"rdy_block_{st}", lang) if st else "—", key_of("city.readiness.block", block, u),
                                  st, cls=f"verdict {_BLOCK_CLS.get(st, '')}"))
            rows.append(cells)
        if block == "overall":
            continue
        keys = list(dict.fromkeys(rd.loc[rd["block"] == block, "key"]))
        for key in keys:
            item = INSPECTION_ITEMS.get(key)
            wording = (item.name_zh if lang == "zh" else item.name_en) if item else key
            cells = [cell(f"{key} {wording}")]
            for u in units:
                if (u, key) not in by.index:
                    cells.append(cell("—"))
                    continue
                r = by.loc[(u, key)]
                st = r["status"]
                code = t(f"city_rdy_code_{st}", lang)
                cls = _RDY_CLS.get(st, "")
                if st == "declared":
                    dv = r["declared_value"]
                    yes = dv is not None and not is_missing(dv) and bool(dv)
                    code = t("city_rdy_declared_yes" if yes else "city_rdy_declared_no", lang)
                    cls = "lyg-city-not_met" if yes else cls
                    txt = code
                elif is_missing(r["value"]):
                    txt = code
                else:
                    txt = f"{code} {fmt(r['value'], value_kind(r['value_unit']), lang)}"
                cells.append(cell(txt, key_of("city.readiness", key, u), st, cls=f"verdict {cls}"))
            rows.append(cells)
    return {**base, "head": head, "rows": rows}


def render(results, *, language: str, county_href: str | None = "{stem}.html") -> markupsafe.Markup:
    """The city overview body as HTML.

    Parameters
    ----------
    results : CityResults
    language : {"zh", "en"}
    county_href : str or None
        Link of a county's page, formatted with ``stem`` (None: no links).
    """
    lang = language
    stems = county_stems(results.counties)
    linked = set(getattr(results, "reported", ()) or results.counties)  # only counties with a page in this batch
    hrefs = {c: county_href.format(stem=stems[c]) for c in results.counties if c in linked} if county_href else {}
    tot = results.totals
    city = tot[tot["is_city"]].iloc[0] if len(tot) else None
    totals = "" if city is None else t(
        "city_totals", lang, n_counties=len(results.counties), schools=fmt(city["schools"], "count", lang),
        students=fmt(city.get("students_primary", 0) + city.get("students_junior", 0), "count", lang),
        primary=fmt(city.get("students_primary", 0), "count", lang),
        junior=fmt(city.get("students_junior", 0), "count", lang))
    dec = results.decomposition
    k = int(results.min_cell_size)
    cov_rows = coverage_rows(results.coverage, lang, key_prefix="city.coverage", min_cell_size=k, unit_column=True,
                             unit_label=lambda u: _unit(u, lang)) if len(results.coverage) else []
    blocks = [
        {"id": "side_by_side", "heading": t("city_h_side_by_side", lang), "intro": None,
         "tables": [_side_by_side(results, lang, hrefs)]},
        {"id": "scorecard", "heading": t("city_h_scorecard", lang), "intro": None,
         "tables": _scorecard(results, lang, results.close_within, k)},
        {"id": "coverage", "heading": t("city_h_coverage", lang), "intro": None,
         "tables": [{"id": "coverage", "head": [{"text": h, "href": None} for h in coverage_head(lang, unit_column=True)],
                     "rows": cov_rows, "fold": t("city_fold_rows", lang, n=len(cov_rows)), "note": None,
                     "heading": None, "empty": t("city_none", lang)}]},
        {"id": "decomposition", "heading": t("city_h_decomposition", lang), "intro": None,
         "tables": [{"id": "decomposition",
                     "head": [{"text": h, "href": None} for h in
                              inequality_head(lang, between="city_col_between", within="city_col_within")],
                     "rows": inequality_rows(dec, lang, key_prefix="city.theil") if len(dec) else [],
                     "fold": None, "note": t("city_decomposition_note", lang), "heading": None,
                     "empty": t("city_none", lang)}]},
        {"id": "staffing", "heading": t("city_h_staffing", lang), "intro": None, "tables": [_staffing(results, lang)]},
        {"id": "readiness", "heading": t("city_h_readiness", lang), "intro": t("city_rdy_intro", lang),
         "tables": [_readiness(results, lang, hrefs)]},
    ]
    if not results.targets_apply:
        blocks = [b for b in blocks if b["id"] not in ("scorecard", "coverage")]
    blocks = [b for b in blocks if b["tables"]]
    return render_template(
        "city_page.html.j2", language=lang, title=t("city_title", lang, school_year=results.school_year),
        banner=t("city_simulated_banner", lang) if results.simulated else None,
        source=None if results.simulated or not results.description else t("city_real_data", lang,
                                                                           source=results.description),
        totals=totals, blocks=blocks, not_computed=not_computed_items(results.unavailable, lang))


def page(results, *, language: str, county_href: str | None = "{stem}.html", stylesheet: str | None = None,
         embed_fonts: bool = True) -> str:
    """A standalone HTML document of the city overview (UTF-8; the CJK font subset embedded unless
    ``embed_fonts=False``). ``stylesheet``: CSS text replacing the minimal built-in one."""
    from lyganalysis.report.fonts import embed_font

    body = render(results, language=language, county_href=county_href)
    css = markupsafe.Markup(stylesheet if stylesheet is not None else _CSS)
    doc = str(render_template("city_document.html.j2", language=language, body=body, css=css,
                              title=t("city_title", language, school_year=results.school_year)))
    return embed_font(doc) if embed_fonts else doc
