"""Inequality indices across schools, weighted by students (校际不均衡指数: 基尼系数、泰尔指数等).

Every function takes a DataFrame with one row per unit (usually a school) and the names of a value
column (e.g. ``equipment_value_per_student``) and, optionally, a weight column (e.g. the school's
registered students). Weights are *population* weights: a school with weight ``w`` counts as ``w``
students who all have the school's value. With integer weights every index therefore equals the
unweighted index of the expanded data ``np.repeat(values, weights)`` (the tests check this);
with ``weight=None`` every row counts once.

Conventions shared by all functions
-----------------------------------
* Values must be finite and non-negative (resources, ratios, scores). Missing values (NaN/NA) raise
  a ``ValueError`` naming the column and the count — nothing is dropped silently, not even rows
  with zero weight.
* Weights must be finite and non-negative; rows with weight 0 carry no weight (they do not enter
  means, medians, percentiles or group tables). All-zero weights raise.
* An empty frame, or a (weighted) mean of zero, raises ``ValueError``.
* Results are full-precision Python floats; round only for display.

Sources
-------
* Cowell, F. A. (2011). *Measuring Inequality*, 3rd ed. Oxford University Press — Gini as the
  mean absolute difference over twice the mean (ch. 2 and Technical Appendix A.2), Theil T / GE(1)
  and its between/within decomposition (ch. 3, A.2, A.7).
* Theil, H. (1967). *Economics and Information Theory*. North-Holland — the Theil index and its
  decomposition.
* Berne, R. & Stiefel, L. (1984). *The Measurement of Equity in School Finance*. Johns Hopkins
  University Press — the McLoone index and the (federal) range ratio in school finance.
* Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages. *The American
  Statistician* 50(4), 361–365 — definitions 1 (inverse empirical CDF) and 2 (with averaging at
  discontinuities) used for the weighted percentiles and the weighted median.
* Reference implementation used in the tests (not imported here): PySAL ``inequality``
  (``inequality.gini.Gini``, ``inequality.theil.Theil``, ``inequality.theil.TheilD``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import xlogy

__all__ = [
    "gini_coefficient",
    "theil_index",
    "TheilDecomposition",
    "mcloone_index",
    "range_ratio",
]

_GROUP_COLUMNS = ["n", "population", "population_share", "income_share", "mean", "theil_index",
                  "within_contribution", "between_contribution", "contribution"]


# --------------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------------

def _column_as_float(df: pd.DataFrame, column: str, func: str, role: str) -> np.ndarray:
    try:
        s = pd.to_numeric(df[column], errors="raise")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{func}: {role} column {column!r} is not numeric ({exc})") from exc
    return s.astype("float64").to_numpy(na_value=np.nan)


def _prepare(df: pd.DataFrame, value: str, weight: str | None, func: str,
             extra: Sequence[str] = ()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate and return ``(x, w, keep)``: values and weights of the rows with positive weight and
    the boolean mask (over all rows of ``df``) selecting them."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{func}: expected a pandas DataFrame, got {type(df).__name__}")
    needed = [value] + ([weight] if weight is not None else []) + list(extra)
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"{func}: missing column(s) {missing}")
    if len(df) == 0:
        raise ValueError(f"{func}: the frame is empty; an inequality index needs at least one row")
    x = _column_as_float(df, value, func, "value")
    if weight is None:
        w = np.ones(x.size)
    else:
        w = _column_as_float(df, weight, func, "weight")
        if np.isnan(w).any():
            raise ValueError(f"{func}: weight column {weight!r} has {int(np.isnan(w).sum())} missing "
                             "value(s); fill or drop them explicitly first")
        if not np.isfinite(w).all():
            raise ValueError(f"{func}: weight column {weight!r} has infinite value(s)")
        if (w < 0).any():
            raise ValueError(f"{func}: weight column {weight!r} has {int((w < 0).sum())} negative "
                             "value(s); weights must be ≥ 0")
    nan = np.isnan(x)
    if nan.any():
        zero_w = int((nan & (w == 0)).sum())
        note = f" ({zero_w} of them in rows with weight 0)" if zero_w else ""
        raise ValueError(f"{func}: value column {value!r} has {int(nan.sum())} missing value(s){note}; "
                         "drop or fill them explicitly first (nothing is dropped silently)")
    if not np.isfinite(x).all():
        raise ValueError(f"{func}: value column {value!r} has {int((~np.isfinite(x)).sum())} "
                         "infinite value(s)")
    if (x < 0).any():
        raise ValueError(f"{func}: value column {value!r} has {int((x < 0).sum())} negative value(s); "
                         "inequality indices here are defined for non-negative values only")
    keep = w > 0
    if not keep.any():
        raise ValueError(f"{func}: all weights in {weight!r} are zero; the index is undefined")
    return x[keep], w[keep], keep


def _weighted_mean(x: np.ndarray, w: np.ndarray, value: str, func: str) -> float:
    mu = float(np.sum(w * x) / np.sum(w))
    if mu == 0:
        raise ValueError(f"{func}: the (weighted) mean of {value!r} is zero; the index is undefined "
                         "(all values with positive weight are 0)")
    return mu


def _sorted(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    return xs, ws, np.cumsum(ws)


def _weighted_quantile_type1(xs: np.ndarray, cw: np.ndarray, p: float) -> float:
    """Smallest sorted value whose cumulative weight share reaches ``p`` (Hyndman & Fan type 1)."""
    if p <= 0:
        return float(xs[0])
    idx = int(np.searchsorted(cw / cw[-1], p, side="left"))
    return float(xs[min(idx, xs.size - 1)])


def _weighted_median(xs: np.ndarray, cw: np.ndarray) -> float:
    """Weighted median with averaging at discontinuities (Hyndman & Fan type 2).

    lower = smallest value with cumulative weight ≥ W/2, upper = smallest value with cumulative
    weight > W/2; median = (lower + upper)/2. For integer weights this is ``np.median`` of the
    expanded data; for unit weights the ordinary median.
    """
    half = cw[-1] / 2.0
    lo = int(np.searchsorted(cw, half, side="left"))
    hi = int(np.searchsorted(cw, half, side="right"))
    n = xs.size
    return float((xs[min(lo, n - 1)] + xs[min(hi, n - 1)]) / 2.0)


# --------------------------------------------------------------------------------------------------
# Gini
# --------------------------------------------------------------------------------------------------

def gini_coefficient(df: pd.DataFrame, *, value: str, weight: str | None = None) -> float:
    """Gini coefficient (基尼系数) of ``value`` across rows, weighted by ``weight``.

    Population-weighted Gini: the mean absolute difference between two randomly drawn students
    over twice the mean (Cowell 2011, *Measuring Inequality*, 3rd ed., ch. 2 and Technical
    Appendix A.2)::

        G = Σ_i Σ_j w_i w_j |x_i − x_j| / (2 W² μ),   W = Σ w_i,   μ = Σ w_i x_i / W.

    It is computed in O(n log n) from the rows sorted by value, with cumulative weights
    C_i = w_1 + … + w_i (C_0 = 0)::

        G = Σ_i w_i x_i (C_{i−1} + C_i − W) / (W · Σ_i w_i x_i),

    which for unit weights is the familiar (2 Σ i·x_(i))/(n Σ x) − (n + 1)/n, the definition of
    PySAL ``inequality.gini.Gini``. No small-sample correction n/(n − 1) is applied (some software
    does), so with n rows G ≤ 1 − 1/n < 1 (weighted: G ≤ 1 − min share of weight).
    0 = complete equality; exactly 0.0 is returned when all values with positive weight are equal,
    and a result below 0 by floating-point rounding (≈ −1e-17, nearly equal values) is returned as 0.

    Parameters
    ----------
    df : DataFrame, shape (n_rows, ...)
        One row per unit (e.g. school).
    value : str
        Column of finite, non-negative values (e.g. yuan of equipment per student).
    weight : str, optional
        Column of non-negative population weights (e.g. registered students). ``None``: every row
        counts once. Rows with weight 0 carry no weight.

    Returns
    -------
    float
        G in [0, 1), unitless.

    Raises
    ------
    ValueError
        Missing columns; empty frame; missing (NaN/NA), infinite or negative values (the message
        names the column and the count); missing, infinite or negative weights; all weights zero;
        a weighted mean of zero.
    """
    func = "gini_coefficient"
    x, w, _ = _prepare(df, value, weight, func)
    _weighted_mean(x, w, value, func)
    if np.all(x == x[0]):
        return 0.0
    xs, ws, cw = _sorted(x, w)
    total_w = cw[-1]
    wx = ws * xs
    num = np.sum(wx * ((cw - ws) + cw - total_w))
    # G ≥ 0 mathematically; for nearly equal values rounding can give ≈ −1e-17, returned as 0.
    return max(0.0, float(num / (total_w * np.sum(wx))))


# --------------------------------------------------------------------------------------------------
# Theil
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class TheilDecomposition:
    """Between/within-group decomposition of Theil's T (泰尔指数的组间 / 组内分解).

    T = T_between + T_within with (Cowell 2011, A.7; Theil 1967)::

        T_between (组间) = Σ_g S_g ln(μ_g / μ)          = Σ_g S_g ln(S_g / P_g)
        T_within  (组内) = Σ_g S_g T_g

    where P_g = W_g / W is the group's population share (share of students), S_g = Σ_{i∈g} w_i x_i /
    Σ_i w_i x_i its income share (share of the total resource — Theil's "income"), μ_g its weighted
    mean and T_g the Theil T within the group.

    Attributes
    ----------
    total : float
        Theil T of all rows, computed as ``between + within`` so that the parts add up exactly in
        floating point; it equals :func:`theil_index` without ``by`` to rounding (≈1e-15, tested).
    between, within : float
        组间 and 组内 components (≥ 0).
    groups : DataFrame, one row per group with positive weight
        The ``by`` column(s), then ``n`` (rows with positive weight), ``population`` (Σ w; rows when
        unweighted), ``population_share`` P_g, ``income_share`` S_g, ``mean`` μ_g (units of the
        value), ``theil_index`` T_g (NaN for a group whose values are all 0: its mean is 0, but its
        contributions are 0), ``within_contribution`` S_g T_g, ``between_contribution``
        S_g ln(μ_g/μ) (negative for groups below the overall mean) and ``contribution`` (their sum).
        The contribution columns sum to ``within``, ``between`` and ``total``.
    by : list of str
        The grouping column(s).
    """

    total: float
    between: float
    within: float
    groups: pd.DataFrame
    by: list[str]

    @property
    def between_share(self) -> float:
        """Share of the total due to differences between groups (组间占比); NaN when total is 0."""
        return self.between / self.total if self.total > 0 else float("nan")

    @property
    def within_share(self) -> float:
        """Share of the total due to differences within groups (组内占比); NaN when total is 0."""
        return self.within / self.total if self.total > 0 else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """The decomposition as a three-row DataFrame.

        Returns
        -------
        DataFrame, shape (3, 3)
            ``component`` ∈ {"between", "within", "total"}, ``theil_index`` (the component's value)
            and ``share`` (of the total; NaN when the total is 0).
        """
        shares = [self.between_share, self.within_share, 1.0 if self.total > 0 else float("nan")]
        return pd.DataFrame({"component": ["between", "within", "total"],
                             "theil_index": [self.between, self.within, self.total],
                             "share": shares})


def _theil(x: np.ndarray, w: np.ndarray, mu: float) -> float:
    r = x / mu
    # T ≥ 0 mathematically; for nearly equal values rounding can give ≈ −1e-17, returned as 0.
    return max(0.0, float(np.sum(w * xlogy(r, r)) / np.sum(w)))


def theil_index(df: pd.DataFrame, *, value: str, weight: str | None = None,
                group: str | Sequence[str] | None = None,
                by: str | Sequence[str] | None = None) -> float | TheilDecomposition:
    """Theil's T index (泰尔指数, GE(1)) of ``value`` across rows, weighted by ``weight``.

    With population shares p_i = w_i / W, income shares s_i = w_i x_i / Σ_j w_j x_j and the weighted
    mean μ (Theil 1967; Cowell 2011, *Measuring Inequality*, 3rd ed., ch. 3 and A.2)::

        T = Σ_i s_i ln(x_i / μ) = Σ_i p_i (x_i/μ) ln(x_i/μ).

    Zero values: the term (x/μ) ln(x/μ) is taken as its limit 0 (the convention 0·ln 0 = 0), so
    rows with value 0 enter the mean but add nothing to the sum. PySAL ``inequality.theil.Theil``
    instead adds the smallest positive float to zeros, which differs from this by < 1e-300.
    0 = complete equality; the maximum is ln W (all of the resource in one student). Exactly 0.0 is
    returned when all values with positive weight are equal, and a result below 0 by floating-point
    rounding (≈ −1e-17) is returned as 0 (also for the group indices and ``between``).

    With ``group``, returns the additive decomposition into between-group (组间) and within-group
    (组内) parts, see :class:`TheilDecomposition` — e.g. ``group="county"`` for the city,
    ``group="locale"`` (urban / town / rural) within a county.

    Parameters
    ----------
    df : DataFrame, shape (n_rows, ...)
        One row per unit (e.g. school).
    value : str
        Column of finite, non-negative values.
    weight : str, optional
        Column of non-negative population weights (e.g. students); ``None``: each row counts once.
        Rows with weight 0 carry no weight (and a group with only such rows does not appear).
    group : str or sequence of str, optional
        Column(s) of the groups of the decomposition; no missing values. Groups appear in sorted order
        (categories in their category order; unobserved categories are left out).
    by : str or sequence of str, optional
        Deprecated name of ``group`` (kept for one release; emits a ``DeprecationWarning``).

    Returns
    -------
    float
        T ≥ 0 (unitless), when ``group`` is None.
    TheilDecomposition
        When ``group`` is given.

    Raises
    ------
    ValueError
        Missing columns; empty frame; missing (NaN/NA), infinite or negative values in ``value``
        (the message names the column and the count); missing, infinite or negative weights; all
        weights zero; a weighted mean of zero; missing values in a ``group`` column; both ``group``
        and ``by``.
    """
    func = "theil_index"
    if by is not None:
        import warnings

        if group is not None:
            raise ValueError("theil_index: give the groups as group= only (by= is its deprecated old name)")
        warnings.warn("theil_index(by=...) is deprecated: the groups of the decomposition are now group=...; "
                      "by= will be removed in the next release", DeprecationWarning, stacklevel=2)
    else:
        by = group
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    x, w, keep = _prepare(df, value, weight, func, extra=keys)
    mu = _weighted_mean(x, w, value, func)
    if by is None:
        if np.all(x == x[0]):
            return 0.0
        return _theil(x, w, mu)

    for k in keys:
        n_na = int(df[k].isna().sum())
        if n_na:
            raise ValueError(f"{func}: group column {k!r} has {n_na} missing value(s); "
                             "fill or drop them explicitly first")
    frame = df.loc[keep, keys].copy()
    frame["_x"] = x
    frame["_w"] = w
    frame["_wx"] = w * x
    total_w = float(np.sum(w))
    total_wx = float(np.sum(w * x))
    rows = []
    for key, g in frame.groupby(keys if len(keys) > 1 else keys[0], sort=True, observed=True):
        gx, gw = g["_x"].to_numpy(), g["_w"].to_numpy()
        w_g = float(gw.sum())
        wx_g = float(g["_wx"].sum())
        p_g = w_g / total_w
        s_g = wx_g / total_wx
        mu_g = wx_g / w_g
        if mu_g > 0:
            t_g = 0.0 if np.all(gx == gx[0]) else _theil(gx, gw, mu_g)
            within_c = s_g * t_g
            between_c = s_g * np.log(mu_g / mu)
        else:  # all values 0 in this group: S_g = 0, contributions are 0 (0·ln 0 = 0)
            t_g, within_c, between_c = float("nan"), 0.0, 0.0
        key = key if isinstance(key, tuple) else (key,)
        rows.append(list(key) + [len(g), w_g, p_g, s_g, mu_g, t_g, within_c, between_c,
                                 within_c + between_c])
    groups = pd.DataFrame(rows, columns=keys + _GROUP_COLUMNS)
    for k in keys:  # keep the group columns' dtypes (e.g. categorical, string)
        groups[k] = groups[k].astype(df[k].dtype)
    # between ≥ 0 mathematically (a Kullback–Leibler divergence of S_g from P_g); rounding noise → 0
    between = max(0.0, float(groups["between_contribution"].sum()))
    within = float(groups["within_contribution"].sum())
    return TheilDecomposition(total=between + within, between=between, within=within,
                              groups=groups, by=keys)


# --------------------------------------------------------------------------------------------------
# McLoone and range ratio (school-finance equity measures)
# --------------------------------------------------------------------------------------------------

def mcloone_index(df: pd.DataFrame, *, value: str, weight: str | None = None) -> float:
    """McLoone index (麦克卢恩指数): how close the lower half comes to the median.

    The sum of the values at or below the median divided by the sum they would have if all were
    at the median (Berne & Stiefel 1984, *The Measurement of Equity in School Finance*)::

        McLoone = Σ_{x_i ≤ m} w_i x_i / (m · Σ_{x_i ≤ m} w_i).

    1 = everyone in the lower half is at the median (equity in the lower half); smaller values mean
    the lower half falls short. In [0, 1].

    Which median: the weighted median m of the student population with averaging at
    discontinuities (Hyndman & Fan 1996, definition 2): with the rows sorted by value and cumulative
    weights C, lower = smallest value with C ≥ W/2, upper = smallest value with C > W/2,
    m = (lower + upper)/2. For integer weights this is ``np.median`` of the expanded data, for
    unweighted data the ordinary median.

    Ties with the median: rows whose value equals the median are *included* in the lower group
    (they contribute a ratio of exactly 1). The literature often says "below the median"; the
    conventions differ only when values tie with the median, and including them makes the index 1
    (not 0/0) under complete equality.

    Parameters
    ----------
    df : DataFrame, shape (n_rows, ...)
    value : str
        Column of finite, non-negative values.
    weight : str, optional
        Column of non-negative population weights; ``None``: each row counts once.

    Returns
    -------
    float
        McLoone index in [0, 1], unitless.

    Raises
    ------
    ValueError
        As for :func:`gini_coefficient`; also when the (weighted) median is 0.
    """
    func = "mcloone_index"
    x, w, _ = _prepare(df, value, weight, func)
    _weighted_mean(x, w, value, func)
    xs, ws, cw = _sorted(x, w)
    m = _weighted_median(xs, cw)
    if m == 0:
        raise ValueError(f"{func}: the (weighted) median of {value!r} is 0; the McLoone index is "
                         "undefined")
    low = xs <= m
    return float(np.sum(ws[low] * xs[low]) / (m * np.sum(ws[low])))


def range_ratio(df: pd.DataFrame, *, value: str, weight: str | None = None,
                upper: float = 0.95, lower: float = 0.05) -> float:
    """Percentile range ratio (百分位数比), by default the 95th over the 5th percentile.

    Ratio of the value of the student at the ``upper`` percentile to that of the student at the
    ``lower`` percentile (Berne & Stiefel 1984; the federal range ratio of US school finance is
    this ratio minus 1). 1 = equality; larger = wider spread.

    Weighted percentiles: the inverse of the weighted empirical distribution function
    (Hyndman & Fan 1996, definition 1; ``numpy.quantile(method="inverted_cdf", weights=...)``):
    Q(p) = the smallest value x_(k) whose cumulative weight share C_k / W reaches p (Q(0) is the
    minimum). With integer weights this equals the same percentile of the expanded data
    ``np.repeat(values, weights)``; no interpolation, so Q(p) is always an observed value.

    Parameters
    ----------
    df : DataFrame, shape (n_rows, ...)
    value : str
        Column of finite, non-negative values.
    weight : str, optional
        Column of non-negative population weights; ``None``: each row counts once.
    upper, lower : float, default 0.95 and 0.05
        Percentiles as fractions, 0 ≤ lower < upper ≤ 1.

    Returns
    -------
    float
        Q(upper) / Q(lower) ≥ 1, unitless.

    Raises
    ------
    ValueError
        As for :func:`gini_coefficient`; percentiles outside 0 ≤ lower < upper ≤ 1; a lower
        percentile value of 0 (the ratio would be infinite).
    """
    func = "range_ratio"
    if not (0 <= lower < upper <= 1):
        raise ValueError(f"{func}: need 0 ≤ lower < upper ≤ 1, got lower={lower!r}, upper={upper!r}")
    x, w, _ = _prepare(df, value, weight, func)
    _weighted_mean(x, w, value, func)
    xs, _, cw = _sorted(x, w)
    q_hi = _weighted_quantile_type1(xs, cw, upper)
    q_lo = _weighted_quantile_type1(xs, cw, lower)
    if q_lo == 0:
        raise ValueError(f"{func}: the {lower:.0%} percentile of {value!r} is 0; the ratio "
                         f"{upper:.0%}/{lower:.0%} is undefined (infinite)")
    return float(q_hi / q_lo)
