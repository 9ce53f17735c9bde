"""``<county>.metrics.json``: the numbers a report shows, written by the report notebook itself.

The notebook writes the file from the very objects it renders, so the page and the JSON cannot
disagree; the batch reads the headline back for ``index.html``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


def _clean(obj: Any) -> Any:
    """Plain JSON values: NaN/NA → null, numpy scalars → Python numbers."""
    import numpy as np
    import pandas as pd

    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if obj is None or obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return None if math.isnan(obj) or math.isinf(obj) else float(obj)
    if isinstance(obj, (str,)):
        return obj
    return str(obj)


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
    out.write_text(json.dumps(_clean(doc), ensure_ascii=False, indent=1, allow_nan=False), encoding="utf-8")
    return out


def read_headline(path: str | Path) -> list[dict]:
    """The headline figures of a metrics file ([] when it does not exist)."""
    p = Path(path)
    if not p.is_file():
        return []
    return json.loads(p.read_text(encoding="utf-8")).get("headline", [])
