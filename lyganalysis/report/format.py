"""Display formatting: the only place where numbers are rounded for a reader.

``fmt(value, kind, language)`` turns a full-precision value into the text a page shows. Kinds:

=========  ==========================================================
count      whole number with thousands separators
ratio      1 decimal (student–teacher ratio, per-100 values)
value      up to 2 decimals, trailing zeros kept (m², yuan per student, indicator values)
money      whole yuan with thousands separators
cv         3 decimals (差异系数)
icc        3 decimals
rate       a proportion in [0, 1] as a percentage with 1 decimal
score      1 decimal
signed     1 decimal with its sign
verdict    met / not met / cannot decide (a three-state code or a bool)
text       as is
=========  ==========================================================

Missing values show as "—"; a value that rounds to zero never shows as "-0.0".
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["fmt", "is_missing", "KINDS"]

KINDS = ("count", "ratio", "value", "money", "cv", "icc", "rate", "score", "signed", "verdict", "text")


def is_missing(value: Any) -> bool:
    """True for None, NaN, pd.NA and NaT."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return isinstance(value, float) and math.isnan(value) or bool(pd.isna(value)) is True
    except (TypeError, ValueError):
        return False


def fmt(value: Any, kind: str, language: str = "zh") -> str:
    """Format ``value`` for display (see the module docstring for the kinds).

    Raises
    ------
    ValueError
        Unknown ``kind``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown display kind {kind!r}; use one of {KINDS}")
    if kind == "text":
        return "—" if is_missing(value) else str(value)
    if is_missing(value):
        return "—"
    if kind == "verdict":
        from lyganalysis.report.text import t

        code = value if isinstance(value, str) else ("met" if bool(value) else "not_met")
        return t(f"verdict_{code}", language)
    v = float(value)
    if kind in ("ratio", "score", "signed") and abs(v) < 0.05:
        v = 0.0
    if kind == "value" and abs(v) < 0.005:
        v = 0.0
    if kind == "count":
        return f"{int(round(v)):,}"
    if kind == "money":
        return f"{int(round(v)):,}"
    if kind in ("ratio", "score"):
        return f"{v:.1f}"
    if kind == "value":
        return f"{v:,.2f}"
    if kind in ("cv", "icc"):
        return f"{v:.3f}"
    if kind == "rate":
        r = 100 * v
        return f"{0.0 if abs(r) < 0.05 else r:.1f}%"
    if kind == "signed":
        return f"{v:+.1f}" if v != 0 else "0.0"
    raise ValueError(f"unknown display kind {kind!r}")
