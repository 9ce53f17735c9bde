"""A page for every school, rendered from templates in the parent process (no notebook per school).

``write_school_pages(results, schools, out_dir, language=)`` writes ``<out_dir>/<school_id>.html`` for every
school of a county from the same :class:`~lyganalysis.analysis.CountyResults` the county page shows: each topic's
``for_school(school_id)`` tables (its seven indicators against the standard with what it needs, its staffing and
missing specialists, 三率一分 with the county comparison, value-added with its interval, its warnings, the
change since last year). School pages share one stylesheet and script in ``<out_dir>/../assets/`` (and the
embedded-font stylesheet when given), so each page stays small.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from lyganalysis.report.format import is_missing
from lyganalysis.report.html import render
from lyganalysis.report.text import has, t

__all__ = ["write_school_pages", "write_assets", "column_kind"]

_TOPICS = ("resources", "staffing", "academic")  # equity rows are county contrasts, not a school's


def column_kind(name: str, values: pd.Series | None = None) -> str:
    """Display kind of a result column, from its name (the suffix conventions of CONTRIBUTING.md, "Names")."""
    n = name.lower()
    if n.endswith(("_rate", "_share")) or n.startswith(("share_", "rate_")):
        return "rate"
    if n in ("cv", "coefficient_of_variation") or n.startswith("cv_") or n.endswith("_cv"):
        return "cv"
    if "icc" in n:
        return "icc"
    if n.startswith(("n_", "students", "teachers", "classes")) or n.endswith(("_count", "_students", "_teachers")):
        return "count"
    if n.endswith(("_ratio", "_score")) or n in ("mean_score", "effect", "ci_low", "ci_high"):
        return "score"
    if values is not None and len(values) and pd.api.types.is_bool_dtype(values):
        return "text"
    if values is not None and len(values) and pd.api.types.is_numeric_dtype(values):
        return "value"
    return "text"


def _header(col: str, lang: str) -> str:
    for k in (f"col_{col}", f"stage_{col}"):
        if has(k, lang):
            return t(k, lang)
    return col


def _part(topic: str, result: Any, school_id: str, lang: str) -> dict | None:
    """One topic's block of a school page: the section module's own ``render_school`` when it has one, else
    the topic's ``for_school`` tables rendered generically; None when the school has nothing there."""
    import importlib

    if result is None:
        return None
    mod = importlib.import_module(f"lyganalysis.report.sections.{topic}")
    try:
        if hasattr(mod, "render_school"):
            html = mod.render_school(result, school_id, language=lang)
            return {"topic": topic, "html": html, "tables": []} if str(html).strip() else None
        tables = _tables(result, school_id, lang)
    except KeyError:  # the school has no results in this topic (e.g. no tested grade)
        return None
    return {"topic": topic, "html": None, "tables": tables} if tables else None


def _tables(result: Any, school_id: str, lang: str) -> list[dict]:
    if result is None or not hasattr(result, "for_school"):
        return []
    parts = result.for_school(school_id) or {}
    out = []
    for name, frame in parts.items():
        if not isinstance(frame, pd.DataFrame) or frame.empty:
            continue
        frame = frame.drop(columns=[c for c in ("county", "school_year", "school_id", "school_name") if c in frame])
        cols = [{"name": c, "header": _header(c, lang), "kind": column_kind(c, frame[c])} for c in frame.columns
                if not c.startswith("_")]
        for c in cols:
            if c["name"] in ("stage", "locale", "subject") and c["kind"] == "text":
                c["kind"], c["prefix"] = "label", f"{c['name']}_"
        rows = [{k: (None if is_missing(v) else v) for k, v in r.items()} for r in frame.to_dict(orient="records")]
        out.append({"name": name, "caption": t(f"school_table_{name}", lang) if has(f"school_table_{name}", lang) else name,
                    "columns": cols, "rows": rows})
    return out


def write_assets(out_dir: str | Path, *, font_css: str = "") -> Path:
    """Write the shared stylesheet and script for school pages into ``out_dir`` (``style.css``, ``script.js``)."""
    from lyganalysis.report.export import asset

    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    (d / "style.css").write_text(asset("style.css"), encoding="utf-8")
    (d / "script.js").write_text(asset("script.js"), encoding="utf-8")
    if font_css:
        (d / "font.css").write_text(font_css, encoding="utf-8")
    return d


def write_school_pages(results, schools: pd.DataFrame, out_dir: str | Path, *, language: str = "zh",
                       county_href: str = "../index.html", assets_href: str = "../../assets",
                       with_font: bool = False) -> dict[str, Path]:
    """Write one page per school of ``results.county``; return ``{school_id: path}``.

    Parameters
    ----------
    results : CountyResults
    schools : DataFrame
        The schools table (``school_id``, ``school_name``, ``school_type``, ``locale``, ``county``,
        ``school_year``); the county's schools of ``results.school_year`` get a page.
    out_dir : path
        Folder of the pages (``reports/<county>/schools`` or equivalent).
    county_href, assets_href : str
        Links from a school page to its county page and to the shared assets folder.
    """
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    sub = schools[(schools["county"] == results.county) & (schools["school_year"] == results.school_year)]
    written: dict[str, Path] = {}
    for row in sub.sort_values("school_id").to_dict(orient="records"):
        sid = str(row["school_id"])
        parts = [_part(tp, getattr(results, tp, None), sid, language) for tp in _TOPICS]
        html = render("school/page.html.j2", language=language, r=results, school=row,
                      parts=[p for p in parts if p], county_href=county_href, assets_href=assets_href,
                      with_font=with_font)
        p = d / f"{sid}.html"
        tmp = p.with_name(p.name + ".tmp")
        tmp.write_text(str(html), encoding="utf-8")
        tmp.replace(p)
        written[sid] = p
    return written
