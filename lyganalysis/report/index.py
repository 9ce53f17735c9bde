"""``index.html``: every county of a batch with its status, verdict and headline figures, and a link.

The page is rendered from a template by :func:`lyganalysis.report.index_page.render_index` (labels from the
catalogue, status names ``status_<status>``); this module writes it atomically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lyganalysis.report.index_page import render_index

__all__ = ["write_index"]


def write_index(path: str | Path, entries: Sequence[Mapping[str, Any]], *, dataset_label: str,
                language: str = "zh", simulated: bool = False, source_note: str | None = None,
                links: Sequence[tuple[str, str]] = (), embed_cjk_font: bool = True) -> Path:
    """Write the batch's index page.

    Parameters
    ----------
    path : path
        Output ``index.html``.
    entries : sequence of mappings
        One per county, in display order: ``county``, ``status`` (a batch status or ``"pending"``), ``html``
        (relative link or None), ``bundle`` (relative link of the county's zip or None), ``error_type``,
        ``message`` and ``headline`` (the metrics JSON's ``key, value, kind`` figures). A link is shown only
        when its file exists beside the index, so the index never points at a page that is not on disk.
    dataset_label : str
        Shown in the title.
    simulated : bool
        Adds the 模拟数据 banner.
    links : sequence of (label, href)
        Extra links (city overview, manifest); dropped when the file is not on disk.
    embed_cjk_font : bool
        Inline a subset of the CJK font (the final index); the in-progress index a batch rewrites after every
        county skips it.

    The page is written to a temporary name and renamed over ``path``.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    page = render_index(out, entries, dataset_label=dataset_label, language=language, simulated=simulated,
                        source_note=source_note, links=links)
    if embed_cjk_font:
        from lyganalysis.report.fonts import embed_font

        page = embed_font(page)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out
