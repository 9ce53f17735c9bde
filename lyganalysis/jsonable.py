"""Plain JSON values from pandas/numpy objects, for every ``to_dict()`` and metrics file.

One rule everywhere: missing values (None, NaN, NA, NaT) and non-finite floats become ``null``,
numpy scalars become Python numbers, tuples become lists, timestamps ISO strings; anything else
that is not a str or int is written as its ``str()``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def plain(v: Any) -> Any:
    """A JSON-able version of ``v`` (recursing into lists, tuples and dicts)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(float(v)) else None
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if isinstance(v, (str, int)):
        return v
    return str(v)


def records(df: pd.DataFrame | None, *, missing: Any = ()) -> list[dict] | None:
    """The rows of ``df`` as a list of JSON-able dicts; ``[]`` for an empty frame.

    ``missing`` is returned for ``df is None`` (default ``[]``; pass ``None`` to keep "no table"
    distinguishable from "no rows").
    """
    if df is None:
        return [] if missing == () else missing
    if len(df) == 0:
        return []
    return [{str(k): plain(v) for k, v in row.items()} for row in df.astype(object).to_dict(orient="records")]
