"""Equity gaps between groups (教育公平): mean differences with Welch intervals and Hedges' g (效应量).

Sources: Welch (1947) for the unequal-variance interval with Welch–Satterthwaite degrees of freedom;
Hedges & Olkin (1985), *Statistical Methods for Meta-Analysis*, ch. 5, for Hedges' g, its small-sample
correction J = 1 − 3/(4(n₁+n₂) − 9) and its large-sample standard error; Kish (1965) for the effective
sample size of weighted data.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["group_gap", "urban_rural_gap"]

_COLUMNS = ["group", "reference", "n", "n_reference", "mean", "mean_reference", "sd", "sd_reference",
            "difference", "se", "df", "ci_low", "ci_high", "hedges_g", "hedges_g_ci_low", "hedges_g_ci_high"]


def _summary(x: np.ndarray, w: np.ndarray | None) -> tuple[float, float, float]:
    """(n or Kish effective n, mean, unbiased variance) of one group."""
    if w is None:
        n = x.size
        var = float(np.var(x, ddof=1)) if n > 1 else float("nan")
        return float(n), float(x.mean()), var
    keep = w > 0
    x, w = x[keep], w[keep]
    v1, v2 = w.sum(), np.sum(w ** 2)
    m = float(np.sum(w * x) / v1)
    n_eff = float(v1 ** 2 / v2)
    denom = v1 - v2 / v1
    var = float(np.sum(w * (x - m) ** 2) / denom) if denom > 0 else float("nan")
    return n_eff, m, var


def group_gap(df: pd.DataFrame, *, value: str, by: str, weight: str | None = None,
              reference=None, confidence: float = 0.95, groups: Sequence | None = None) -> pd.DataFrame:
    """Gap in the mean of ``value`` between each group and a reference group (差距与效应量).

    Works on student-level rows (e.g. scores by ``migrant``) or school-level rows (e.g. resources by
    ``locale``, weighted by students).

    For group g versus reference r: difference = mean_g − mean_r; Welch standard error
    sqrt(s_g²/n_g + s_r²/n_r), Welch–Satterthwaite df, t interval. Hedges' g =
    J · difference / s_pooled, s_pooled² = ((n_g−1)s_g² + (n_r−1)s_r²)/(n_g+n_r−2),
    J = 1 − 3/(4(n_g+n_r) − 9); normal interval with
    SE(g) = sqrt((n_g+n_r)/(n_g n_r) + g²/(2(n_g+n_r))) (Hedges & Olkin 1985).

    With ``weight``, means are weighted, variances are unbiased reliability-weighted variances and n
    is Kish's effective sample size (Σw)²/Σw² — weights describe importance (e.g. students per school),
    not independent replicate observations, so the school-level precision is not overstated.

    Parameters
    ----------
    df : DataFrame
    value : str
        Numeric outcome (no missing values).
    by : str
        Group column (e.g. ``"locale"``, ``"migrant"``).
    weight : str, optional
        Non-negative weights (rows with zero weight are left out).
    reference : optional
        Reference group; default: the first group (first category of a categorical, else sorted order).
    confidence : float, default 0.95
    groups : sequence, optional
        Groups to report and their order (default: all non-reference groups, sorted).

    Returns
    -------
    DataFrame, one row per non-reference group
        ``group, reference, n, n_reference`` (observations, or Kish effective n when weighted),
        ``mean, mean_reference, sd, sd_reference, difference`` (group − reference, units of ``value``),
        ``se, df, ci_low, ci_high`` (Welch), ``hedges_g, hedges_g_ci_low, hedges_g_ci_high``.
        Groups with fewer than 2 observations get NaN spreads and intervals.

    Raises
    ------
    ValueError
        Missing columns or values; negative weights; a reference group that is absent; fewer than two
        groups; confidence outside (0, 1).
    """
    missing = [c for c in [value, by] + ([weight] if weight else []) if c not in df.columns]
    if missing:
        raise ValueError(f"group_gap: missing column(s) {missing}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    x = pd.to_numeric(df[value], errors="raise").astype("float64")
    if x.isna().any():
        raise ValueError(f"column {value!r} has {int(x.isna().sum())} missing value(s); drop or fill them "
                         "explicitly first")
    g = df[by]
    if g.isna().any():
        raise ValueError(f"group column {by!r} has {int(g.isna().sum())} missing value(s)")
    w = None
    if weight is not None:
        w = pd.to_numeric(df[weight], errors="raise").astype("float64")
        if w.isna().any() or (w < 0).any():
            raise ValueError(f"weight column {weight!r} must be non-negative without missing values")
    if isinstance(g.dtype, pd.CategoricalDtype):
        levels = [c for c in g.cat.categories if (g == c).any()]
    else:
        levels = sorted(g.unique().tolist(), key=lambda v: (str(type(v)), v))
    if len(levels) < 2:
        raise ValueError(f"group_gap needs at least two groups in {by!r}, found {levels}")
    if reference is None:
        reference = levels[0]
    if reference not in levels:
        raise ValueError(f"reference group {reference!r} not found in {by!r} (groups: {levels})")
    others = [v for v in (groups if groups is not None else levels) if v != reference]
    absent = [v for v in others if v not in levels]
    if absent:
        raise ValueError(f"group(s) {absent} not found in {by!r} (groups: {levels})")

    def summ(level):
        mask = (g == level).to_numpy()
        return _summary(x.to_numpy()[mask], None if w is None else w.to_numpy()[mask])

    n_r, m_r, v_r = summ(reference)
    rows = []
    z = stats.norm.ppf(0.5 + confidence / 2)
    for level in others:
        n_g, m_g, v_g = summ(level)
        diff = m_g - m_r
        se2 = v_g / n_g + v_r / n_r
        se = math.sqrt(se2) if se2 == se2 else float("nan")
        if se > 0:
            dof = se2 ** 2 / ((v_g / n_g) ** 2 / (n_g - 1) + (v_r / n_r) ** 2 / (n_r - 1))
            half = stats.t.ppf(0.5 + confidence / 2, dof) * se
        else:
            dof, half = float("nan"), float("nan")
        pooled = ((n_g - 1) * v_g + (n_r - 1) * v_r) / (n_g + n_r - 2) if n_g + n_r > 2 else float("nan")
        if pooled == pooled and pooled > 0:
            J = 1 - 3 / (4 * (n_g + n_r) - 9)
            hg = J * diff / math.sqrt(pooled)
            se_g = math.sqrt((n_g + n_r) / (n_g * n_r) + hg ** 2 / (2 * (n_g + n_r)))
        else:
            hg, se_g = float("nan"), float("nan")
        rows.append({"group": level, "reference": reference, "n": n_g, "n_reference": n_r, "mean": m_g,
                     "mean_reference": m_r, "sd": math.sqrt(v_g) if v_g == v_g else float("nan"),
                     "sd_reference": math.sqrt(v_r) if v_r == v_r else float("nan"), "difference": diff,
                     "se": se, "df": dof, "ci_low": diff - half, "ci_high": diff + half, "hedges_g": hg,
                     "hedges_g_ci_low": hg - z * se_g, "hedges_g_ci_high": hg + z * se_g})
    return pd.DataFrame(rows, columns=_COLUMNS)


def urban_rural_gap(df: pd.DataFrame, *, value: str, locale: str = "locale", weight: str | None = None,
                    confidence: float = 0.95) -> pd.DataFrame:
    """Urban–town–rural gap (城乡差距): :func:`group_gap` with reference ``"urban"`` (城区).

    Rows for ``"town"`` (镇区) and ``"rural"`` (乡村), in that order, where present. Locale follows the
    统计用城乡划分代码 (11x urban, 12x town, 2xx rural).

    Raises
    ------
    ValueError
        Locale values other than urban/town/rural; no urban rows; as :func:`group_gap`.
    """
    if locale not in df.columns:
        raise ValueError(f"urban_rural_gap: missing column {locale!r}")
    present = set(df[locale].dropna().unique())
    unknown = present - {"urban", "town", "rural"}
    if unknown:
        raise ValueError(f"column {locale!r} has value(s) {sorted(map(str, unknown))}; expected urban, town, rural")
    return group_gap(df, value=value, by=locale, weight=weight, reference="urban", confidence=confidence,
                     groups=[v for v in ("town", "rural") if v in present])
