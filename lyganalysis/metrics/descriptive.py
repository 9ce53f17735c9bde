"""Weighted descriptive statistics (加权平均数、加权标准差).

Weights are never silently ignored: functions that take weights either use them or raise.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["weighted_mean", "weighted_sd", "as_weights"]


def _as_float_array(x, name: str) -> np.ndarray:
    if isinstance(x, (pd.Series, pd.Index)):
        arr = pd.to_numeric(x, errors="raise").astype("float64").to_numpy(na_value=np.nan)
    else:
        arr = np.asarray(x, dtype="float64")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def as_weights(values, weights) -> tuple[np.ndarray, np.ndarray]:
    """Check and return ``(values, weights)`` as float arrays.

    Raises
    ------
    ValueError
        Different lengths; missing values or weights; negative or non-finite weights;
        weights that are all zero.
    """
    x = _as_float_array(values, "values")
    w = _as_float_array(weights, "weights")
    if x.shape != w.shape:
        raise ValueError(f"values and weights differ in length ({x.size} vs {w.size})")
    if np.isnan(w).any():
        raise ValueError(f"{int(np.isnan(w).sum())} weight(s) are missing (NaN)")
    if not np.isfinite(w).all():
        raise ValueError("weights must be finite")
    if (w < 0).any():
        raise ValueError(f"{int((w < 0).sum())} weight(s) are negative; weights must be ≥ 0")
    if not (w > 0).any():
        raise ValueError("all weights are zero: a weighted statistic is undefined")
    if np.isnan(x[w > 0]).any():
        raise ValueError(f"{int(np.isnan(x[w > 0]).sum())} value(s) with positive weight are missing (NaN)")
    return x, w


def weighted_mean(values, weights) -> float:
    """Weighted mean Σ wᵢxᵢ / Σ wᵢ (加权平均数).

    Parameters
    ----------
    values, weights : array-like, shape (n,)
        Values and non-negative weights. Values with zero weight may be missing.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        See :func:`as_weights` (negative, missing or all-zero weights, missing values with weight).
    """
    x, w = as_weights(values, weights)
    keep = w > 0
    return float(np.sum(w[keep] * x[keep]) / np.sum(w[keep]))


def weighted_sd(values, weights, *, weight_type: Literal["frequency", "reliability"] = "frequency",
                ddof: int = 1) -> float:
    """Weighted standard deviation (加权标准差) with an explicit weight type.

    With ``m = Σwx/Σw`` and ``SS = Σ w (x − m)²``:

    * ``weight_type="frequency"`` (counts, e.g. class sizes as the number of students each class
      mean stands for): ``var = SS / (Σw − ddof)``. With ``ddof=1`` this equals the sample SD of the
      values repeated ``w`` times (``np.repeat``); ``ddof=0`` gives the population (biased) SD.
    * ``weight_type="reliability"`` (analytic weights, only relative size matters):
      ``ddof=1`` → ``var = SS / (V1 − V2/V1)`` with ``V1 = Σw``, ``V2 = Σw²`` (unbiased);
      ``ddof=0`` → ``var = SS / V1``. Invariant under rescaling the weights.

    Parameters
    ----------
    values, weights : array-like, shape (n,)
    weight_type : {"frequency", "reliability"}, default "frequency"
        Documented default: class or school sizes are frequency weights.
    ddof : {0, 1}, default 1

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Negative, missing or all-zero weights; unknown ``weight_type``; ``ddof`` not 0/1;
        frequency weights with ``Σw ≤ ddof`` (e.g. weights normalised to sum 1 with ``ddof=1``:
        frequency weights must be counts, use ``weight_type="reliability"`` for normalised ones);
        reliability weights with a single positive weight and ``ddof=1``.
        The unweighted SD is never returned in place of the weighted one.

    Notes
    -----
    Source: shared case C25 (weighted SD, ddof and weight types); numpy PR #4960 and the
    ``numpy.cov`` documentation for ``fweights`` / ``aweights``.
    """
    if weight_type not in ("frequency", "reliability"):
        raise ValueError(f"weight_type must be 'frequency' or 'reliability', got {weight_type!r}")
    if ddof not in (0, 1):
        raise ValueError(f"ddof must be 0 or 1, got {ddof!r}")
    x, w = as_weights(values, weights)
    keep = w > 0
    x, w = x[keep], w[keep]
    v1 = w.sum()
    m = np.sum(w * x) / v1
    ss = np.sum(w * (x - m) ** 2)
    if weight_type == "frequency":
        denom = v1 - ddof
        if denom <= 0:
            raise ValueError(
                f"frequency weights sum to {v1:g}, not more than ddof={ddof}: frequency weights must be "
                "counts (e.g. students per class), not weights normalised to sum 1; use "
                "weight_type='reliability' for normalised weights")
    else:
        if ddof == 0:
            denom = v1
        else:
            denom = v1 - np.sum(w ** 2) / v1
            if denom <= 0:
                raise ValueError("the unbiased reliability-weighted SD needs at least two positive weights")
    return float(np.sqrt(ss / denom))
