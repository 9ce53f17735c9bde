"""``<county>.metrics.json``: every number a county page shows, from the very results object it shows.

The notebook writes the file from the :class:`~lyganalysis.analysis.CountyResults` it renders, so the page and
the JSON cannot disagree; the batch reads the headline back for ``index.html``. Numbers are at full
precision; rates and shares are proportions in [0, 1]; verdicts are codes ("met", "not_met", "undecided").
"""

from __future__ import annotations

import json
from pathlib import Path

from lyganalysis.jsonable import plain

__all__ = ["FORMAT", "metrics_document", "write_metrics", "read_headline"]

FORMAT = "lyganalysis-metrics/2"


def metrics_document(results) -> dict:
    """The metrics JSON document of ``results``: ``format``, ``headline``, ``figures`` and every topic."""
    from lyganalysis.analysis.headline import headline

    doc: dict = {"format": FORMAT}
    if hasattr(results, "figures"):  # a county (the city overview has no headline of its own)
        doc["headline"] = [f.to_dict() for f in headline(results)]
        doc["figures"] = {k: f.to_dict() for k, f in results.figures().items()}
    doc.update(results.to_dict())
    return plain(doc)


def write_metrics(path: str | Path, results) -> Path | None:
    """Write :func:`metrics_document` to ``path`` (written whole or not at all); nothing when ``path`` is empty."""
    if not path:
        return None
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(metrics_document(results), ensure_ascii=False, indent=1, allow_nan=False),
                   encoding="utf-8")
    tmp.replace(out)
    return out


def read_headline(path: str | Path) -> list[dict]:
    """The headline figures of a metrics file ([] when it does not exist): ``key, value, kind, params``."""
    p = Path(path)
    if not p.is_file():
        return []
    return json.loads(p.read_text(encoding="utf-8")).get("headline", [])
