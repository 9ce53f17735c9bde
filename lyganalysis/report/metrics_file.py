"""``<county>.metrics.json``: the numbers a report shows, written by the report notebook itself.

The notebook writes the file from the very objects it renders, so the page and the JSON cannot
disagree; the batch reads the headline back for ``index.html``.
"""

from __future__ import annotations

import json
from pathlib import Path

from lyganalysis.jsonable import plain


def write_metrics(path: str | Path, summary, **sections) -> Path | None:
    """Write ``summary.to_dict()`` plus each ``section.to_dict()`` under its keyword to ``path``.

    Does nothing when ``path`` is empty (a researcher running the notebook by hand).
    """
    if not path:
        return None
    doc = summary.to_dict()
    for key, section in sections.items():
        doc[key] = section.to_dict()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(plain(doc), ensure_ascii=False, indent=1, allow_nan=False), encoding="utf-8")
    return out


def read_headline(path: str | Path) -> list[dict]:
    """The headline figures of a metrics file ([] when it does not exist)."""
    p = Path(path)
    if not p.is_file():
        return []
    return json.loads(p.read_text(encoding="utf-8")).get("headline", [])
