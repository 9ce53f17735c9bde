"""``index.html`` from a template: every county of a batch with its status, verdict and headline figures.

Entries come from the batch (status, page, error) and from each county's metrics JSON (the headline figures as
``key, value, kind``); labels and formatting are chosen here, in the page's language. A link is shown only when
its file exists beside the index, so the index never points at a page that is not on disk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from lyganalysis import __version__
from lyganalysis.report.html import render
from lyganalysis.report.text import has, t

__all__ = ["render_index", "figure_label"]


def figure_label(key: str, language: str, params: Mapping | None = None) -> str:
    """The label of a headline figure (catalogue ``figure_<key>``), or the key itself when it has none."""
    k = "figure_" + key.replace(".", "_")
    return t(k, language, **dict(params or {})) if has(k, language) else key


def render_index(path: str | Path, entries: Sequence[Mapping[str, Any]], *, dataset_label: str,
                 language: str = "zh", simulated: bool = False, source_note: str | None = None,
                 links: Sequence[tuple[str, str]] = (), font_css: str = "") -> str:
    """The HTML of the index page (see the module docstring); ``entries`` as in ``write_index``."""
    from lyganalysis.report.export import asset

    base = Path(path).parent

    def on_disk(href: str | None) -> bool:
        return bool(href) and (base / href).is_file()

    columns: list[dict] = []
    seen = set()
    for e in entries:
        for h in e.get("headline") or []:
            if h["key"] not in seen:
                seen.add(h["key"])
                columns.append({"key": h["key"], "header": figure_label(h["key"], language)})
    rows = []
    for e in entries:
        status = str(e.get("status", "failed"))
        code = f"status_{status}"
        rows.append({
            "county": e["county"], "status": status,
            "status_text": t(code if has(code, language) else "status_failed", language),
            # a pending county links to its earlier run's page while that page is still there
            "href": e.get("html") if status in ("ok", "pending") and on_disk(e.get("html")) else None,
            "bundle": e.get("bundle") if on_disk(e.get("bundle")) else None,
            "figures": {h["key"]: {"key": h["key"], "value": h.get("value", h.get("display")),
                                   "kind": h.get("kind", "text")} for h in (e.get("headline") or [])},
            "error": "" if status in ("ok", "pending", "skipped") else
            f"{e.get('error_type') or ''}: {e.get('message') or ''}".strip(": "),
        })
    n_failed = sum(1 for r in rows if r["status"] not in ("ok", "pending", "skipped"))
    return str(render(
        "index.html.j2", language=language, title=t("index_title", language, dataset=dataset_label),
        simulated=simulated, source_note=source_note, n_failed=n_failed,
        links=[(label, href) for label, href in links if on_disk(href)], columns=columns, entries=rows,
        when=datetime.now().strftime("%Y-%m-%d %H:%M"), version=__version__, css=asset("style.css"),
        js=asset("script.js"), font_css=font_css))
