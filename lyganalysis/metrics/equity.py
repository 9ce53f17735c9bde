"""Equity gaps between groups (教育公平): mean differences with Welch intervals and Hedges' g (效应量).

Sources: Welch (1947) for the unequal-variance interval with Welch–Satterthwaite degrees of freedom;
Hedges & Olkin (1985), *Statistical Methods for Meta-Analysis*, ch. 5, for Hedges' g, its small-sample
correction J = 1 − 3/(4(n₁+n₂) − 9) and its large-sample standard error; Kish (1965) for the effective
sample size of weighted data; Ho & Reardon (2012), "Estimating achievement gaps from test scores
reported in ordinal 'proficiency' categories", *Journal of Educational and Behavioral Statistics*
37(4), 489–517, for the metric-free gap V = √2 Φ⁻¹(AUC) and its ordinal (binormal ROC) estimator;
Hanley & McNeil (1982), *Radiology* 143, 29–36, for the standard error of the AUC.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["group_gap", "urban_rural_gap", "locale_gap_table", "v_statistic", "ordinal_v", "achievement_gaps",
           "inequality_table", "DEFAULT_GAP_GROUPS", "LOCALES"]

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


def _group_keyword(func: str, group, by, *, required: bool = True):
    """The compared-groups column from ``group=`` or the deprecated ``by=`` (with a DeprecationWarning)."""
    import warnings

    if by is not None:
        if group is not None:
            raise ValueError(f"{func}: give the compared groups as group= only (by= is its deprecated old name)")
        warnings.warn(f"{func}(by=...) is deprecated: the compared groups are now group=...; by= will be removed "
                      "in the next release", DeprecationWarning, stacklevel=3)
        group = by
    if group is None and required:
        raise ValueError(f"{func}: name the column of the compared groups with group=")
    return group


def group_gap(df: pd.DataFrame, *, value: str, group: str | None = None, weight: str | None = None,
              reference=None, confidence: float = 0.95, groups: Sequence | None = None,
              v_statistic: bool = False, by: str | None = None) -> pd.DataFrame:
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
    group : str
        Column of the compared groups (e.g. ``"locale"``, ``"migrant"``).
    weight : str, optional
        Non-negative weights (rows with zero weight are left out).
    reference : optional
        Reference group; default: the first group (first category of a categorical, else sorted order).
    confidence : float, default 0.95
    groups : sequence, optional
        Groups to report and their order (default: all non-reference groups, sorted).
    v_statistic : bool, default False
        Also return Ho & Reardon's V (see :func:`v_statistic`): columns ``auc, v, v_ci_low,
        v_ci_high``. Unweighted only.
    by : str, optional
        Deprecated name of ``group`` (kept for one release; emits a ``DeprecationWarning``).

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
        groups; confidence outside (0, 1); ``v_statistic`` with ``weight``; no ``group`` (or both
        ``group`` and ``by``).
    """
    group = _group_keyword("group_gap", group, by)
    by = group
    if v_statistic and weight is not None:
        raise ValueError("group_gap: the V statistic is implemented for unweighted (student-level) data only")
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
            # Welch–Satterthwaite df, computed on the variance shares so tiny variances cannot underflow
            a, b = (v_g / n_g) / se2, (v_r / n_r) / se2
            dof = 1.0 / (a ** 2 / (n_g - 1) + b ** 2 / (n_r - 1))
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
        if v_statistic:
            xv = x.to_numpy()
            vr = _v_from_values(xv[(g == level).to_numpy()], xv[(g == reference).to_numpy()], confidence)
            rows[-1].update(vr)
    return pd.DataFrame(rows, columns=_COLUMNS + (_V_COLUMNS if v_statistic else []))


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
    return group_gap(df, value=value, group=locale, weight=weight, reference="urban", confidence=confidence,
                     groups=[v for v in ("town", "rural") if v in present])


LOCALES = ("urban", "town", "rural")
"""Locale codes (城区 / 镇区 / 乡村, 统计用城乡划分代码 11x / 12x / 2xx) in their reporting order."""

_LOCALE_GAP_COLUMNS = (["group", "reference", "n_units", "n_units_reference", "count", "count_reference"]
                       + _COLUMNS[2:] + ["suppressed", "count_display", "count_reference_display",
                                         "n_units_unclassified", "count_unclassified"])


def locale_gap_table(df: pd.DataFrame, *, value: str, weight: str | None = None, locale: str = "locale",
                     count: str | None = None, min_cell_size: int = 1, confidence: float = 0.95) -> pd.DataFrame:
    """Urban / town / rural gaps of a school-level measure, with n per group and small groups withheld.

    The reference is urban (城区) when the frame has urban units, else town (镇区): a county without
    urban schools gets rural − town. Rows with a missing ``value`` or ``locale``, or a weight ≤ 0, are
    left out first. Each remaining locale is compared with the reference by :func:`group_gap`
    (weighted: n is Kish's effective number of units).

    Small-group suppression: a locale whose ``count`` (people: students, teachers or test-takers;
    default the ``weight`` column, else the number of units) is under ``min_cell_size`` is withheld —
    its count, and every statistic of a row where it is the group or the reference, become NaN. So
    that a withheld count cannot be recovered from a published total, a second count is withheld with
    it (the reference's, or, when the reference is the small one, the smallest other locale's), in
    every row. Numbers of units (schools) are shown throughout: they are public.

    Parameters
    ----------
    df : DataFrame, one row per unit (school or school section)
    value : str
        Numeric measure (NaN rows left out).
    weight : str, optional
        Non-negative weights (e.g. students); None: unweighted.
    locale : str, default "locale"
        Values in :data:`LOCALES`.
    count : str, optional
        People counted for suppression (default: ``weight``; unweighted: 1 per unit).
    min_cell_size : int, default 1
    confidence : float, default 0.95

    Returns
    -------
    DataFrame, one row per non-reference locale (town, rural order)
        ``group, reference, n_units, n_units_reference`` (units), ``count, count_reference`` (people, NaN
        when withheld), ``n, n_reference`` (Kish effective units when weighted), the :func:`group_gap`
        statistics, ``suppressed`` (bool) and ``count_display, count_reference_display`` (str: the
        count, ``"<k"`` or ``"*"``). ``n_units_unclassified, count_unclassified`` (same in every
        row): the units with a value but no locale (未分类), and their people (NaN when under
        ``min_cell_size``), which are not in any group: a table note must state them. Empty (same
        columns) with fewer than two locales.

    Raises
    ------
    ValueError
        Missing columns; locale codes other than urban/town/rural; ``min_cell_size`` < 1; as
        :func:`group_gap`.
    """
    if isinstance(min_cell_size, bool) or int(min_cell_size) < 1:
        raise ValueError(f"min_cell_size must be a positive integer, got {min_cell_size!r}")
    k = int(min_cell_size)
    need = [value, locale] + [c for c in (weight, count) if c is not None]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(f"locale_gap_table: missing column(s) {missing}")
    x = pd.to_numeric(df[value], errors="raise").to_numpy(dtype="float64", na_value=np.nan)
    loc = df[locale].astype(object).to_numpy()
    keep = ~np.isnan(x) & pd.notna(loc)
    w = None
    if weight is not None:
        w = pd.to_numeric(df[weight], errors="raise").to_numpy(dtype="float64", na_value=np.nan)
        keep &= w > 0
    c = (pd.to_numeric(df[count], errors="raise").to_numpy(dtype="float64", na_value=np.nan) if count is not None
         else w if w is not None else np.ones(len(df)))
    # units with a value but no locale are excluded from every group and counted (never silently)
    unclassified = ~np.isnan(x) & pd.isna(loc) & ((w > 0) if w is not None else True)
    n_unclassified = int(np.sum(unclassified))
    people_unclassified = float(np.nansum(c[unclassified])) if n_unclassified else 0.0
    if n_unclassified and people_unclassified < k:
        people_unclassified = float("nan")
    x, loc, c = x[keep], loc[keep], c[keep]
    present = set(loc.tolist())
    unknown = present - set(LOCALES)
    if unknown:
        raise ValueError(f"column {locale!r} has value(s) {sorted(map(str, unknown))}; expected {list(LOCALES)}")
    levels = [v for v in LOCALES if v in present]
    if len(levels) < 2:
        return pd.DataFrame(columns=_LOCALE_GAP_COLUMNS)
    reference, others = levels[0], levels[1:]
    code = {lv: i for i, lv in enumerate(LOCALES)}  # integer codes: much faster than pandas strings
    lean = pd.DataFrame({"x": x, "g": np.array([code[v] for v in loc], dtype="int64"),
                         **({"w": w[keep]} if w is not None else {})})
    out = group_gap(lean, value="x", group="g", weight="w" if w is not None else None, reference=code[reference],
                    confidence=confidence, groups=[code[v] for v in others])
    out["group"] = [LOCALES[i] for i in out["group"]]
    units = {lv: int(np.sum(loc == lv)) for lv in levels}
    people = {lv: float(np.nansum(c[loc == lv])) for lv in levels}
    small = {lv for lv in levels if people[lv] < k}
    hidden = set(small)
    if small:
        if reference not in small:
            hidden.add(reference)
        elif len(small) == 1:
            hidden.add(min(others, key=lambda lv: people[lv]))
    stat_cols = _COLUMNS[2:]
    rows = []
    for rec in out.to_dict(orient="records"):
        g = rec["group"]
        rec = {"group": g, "reference": reference, "n_units": int(units[g]), "n_units_reference": int(units[reference]),
               "count": float(people[g]), "count_reference": float(people[reference]),
               **{c: rec[c] for c in stat_cols}}
        rec["suppressed"] = bool(g in small or reference in small)
        if rec["suppressed"]:
            for c in stat_cols:
                rec[c] = float("nan")
        for col, lv in (("count", g), ("count_reference", reference)):
            if lv in hidden:
                rec[col] = float("nan")
                rec[f"{col}_display"] = f"<{k}" if lv in small else "*"
            else:
                rec[f"{col}_display"] = f"{people[lv]:,.0f}"
        rec["n_units_unclassified"], rec["count_unclassified"] = n_unclassified, people_unclassified
        rows.append(rec)
    return pd.DataFrame(rows, columns=_LOCALE_GAP_COLUMNS)


# --------------------------------------------------------------------------------------------------
# Ho & Reardon's V: a gap measure that does not depend on the score scale
# --------------------------------------------------------------------------------------------------

_V_COLUMNS = ["auc", "v", "v_ci_low", "v_ci_high"]


def _v_from_values(x: np.ndarray, ref: np.ndarray, confidence: float) -> dict:
    n1, n0 = x.size, ref.size
    if n1 == 0 or n0 == 0:
        return dict.fromkeys(_V_COLUMNS, float("nan"))
    ranks = stats.rankdata(np.concatenate([x, ref]))  # mid-ranks: ties count one half
    u = float(ranks[:n1].sum() - n1 * (n1 + 1) / 2)
    auc = u / (n1 * n0)
    # Hanley & McNeil (1982) standard error of the AUC, interval transformed to the V scale
    q1, q2 = auc / (2 - auc), 2 * auc ** 2 / (1 + auc)
    var = (auc * (1 - auc) + (n1 - 1) * (q1 - auc ** 2) + (n0 - 1) * (q2 - auc ** 2)) / (n1 * n0)
    z = stats.norm.ppf(0.5 + confidence / 2)
    half = z * math.sqrt(max(var, 0.0))
    eps = 1e-12

    def to_v(a: float) -> float:
        if a >= 1 - eps:
            return math.inf
        if a <= eps:
            return -math.inf
        return math.sqrt(2) * float(stats.norm.ppf(a))

    return {"auc": auc, "v": math.sqrt(2) * float(stats.norm.ppf(auc)) if 0 < auc < 1 else
            (math.inf if auc == 1 else -math.inf),
            "v_ci_low": to_v(auc - half) if n1 > 1 and n0 > 1 else float("nan"),
            "v_ci_high": to_v(auc + half) if n1 > 1 and n0 > 1 else float("nan")}


def v_statistic(values, reference, *, confidence: float = 0.95) -> dict:
    """Ho & Reardon's V: the metric-free achievement gap between two groups (V 统计量).

    V = √2 · Φ⁻¹(AUC), AUC = P(X > Y) + ½ P(X = Y) for X drawn from ``values`` (the group) and Y
    from ``reference`` (Ho & Reardon 2012, eq. 2). V is invariant to any strictly increasing
    transformation of the score scale; when both groups are normal (on some common monotone scale)
    it equals the standardized mean difference with the pooled SD √((σ₁² + σ₀²)/2). Positive V: the
    group scores higher than the reference.

    With coarse (ordinal) scores the tie-splitting AUC here shrinks V towards 0; use
    :func:`ordinal_v` for scores reported in a few proficiency categories.

    Parameters
    ----------
    values, reference : array-like of numbers
        Scores of the group and of the reference group (no missing values).
    confidence : float, default 0.95
        For the interval: Hanley & McNeil's (1982) standard error of the AUC, interval
        AUC ± z·SE transformed to the V scale (approximate).

    Returns
    -------
    dict
        ``auc`` (in [0, 1]), ``v`` (±inf when one group lies entirely above the other),
        ``v_ci_low``, ``v_ci_high`` (NaN when a group has fewer than 2 values).

    Raises
    ------
    ValueError
        Missing values, an empty group, or confidence outside (0, 1).
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    x = np.asarray(values, dtype="float64").ravel()
    y = np.asarray(reference, dtype="float64").ravel()
    if x.size == 0 or y.size == 0:
        raise ValueError("v_statistic: both groups need at least one value")
    if np.isnan(x).any() or np.isnan(y).any():
        raise ValueError("v_statistic: missing values; drop them explicitly first")
    return _v_from_values(x, y, confidence)


def ordinal_v(counts, reference_counts, *, equal_variance: bool | None = None) -> dict:
    """V from scores reported only in ordered categories (Ho & Reardon 2012, binormal ROC estimator).

    Assumes a monotone transformation of the scale under which the reference group is N(0, 1) and the
    group N(μ, σ²) ("respective normality"); the K − 1 cut scores, μ and σ are fitted by maximum
    likelihood from the two rows of category counts. V = μ / √((1 + σ²)/2) = √2 Φ⁻¹(AUC) of the
    fitted binormal ROC curve.

    Parameters
    ----------
    counts, reference_counts : sequence of non-negative numbers, length K ≥ 2
        Counts (or proportions) of the group and of the reference group in categories ordered from
        lowest to highest.
    equal_variance : bool, optional
        Fix σ = 1. Default: True when K < 3 (σ is not identified with two categories), else False.

    Returns
    -------
    dict
        ``v``, ``mu``, ``sigma``, ``cut_scores`` (list, on the reference group's scale), ``auc``,
        ``converged``.

    Raises
    ------
    ValueError
        Lengths differ, K < 2, negative counts, an empty group, or ``equal_variance=False`` with K < 3.
    """
    from scipy import optimize

    a = np.asarray(counts, dtype="float64").ravel()
    b = np.asarray(reference_counts, dtype="float64").ravel()
    if a.shape != b.shape or a.size < 2:
        raise ValueError("ordinal_v: both count vectors need the same length K ≥ 2")
    if (a < 0).any() or (b < 0).any() or np.isnan(a).any() or np.isnan(b).any():
        raise ValueError("ordinal_v: counts must be non-negative numbers")
    if a.sum() == 0 or b.sum() == 0:
        raise ValueError("ordinal_v: both groups need a positive total")
    k = a.size
    if equal_variance is None:
        equal_variance = k < 3
    if not equal_variance and k < 3:
        raise ValueError("ordinal_v: σ is not identified with fewer than 3 categories; use equal_variance=True")

    def unpack(theta):
        c = np.concatenate([[theta[0]], theta[0] + np.cumsum(np.exp(theta[1:k - 1]))])
        mu = theta[k - 1]
        sigma = 1.0 if equal_variance else float(np.exp(theta[k]))
        return c, mu, sigma

    def probs(c, loc, scale):
        cdf = np.concatenate([[0.0], stats.norm.cdf((c - loc) / scale), [1.0]])
        return np.clip(np.diff(cdf), 1e-300, None)

    def nll(theta):
        c, mu, sigma = unpack(theta)
        return -(np.sum(b * np.log(probs(c, 0.0, 1.0))) + np.sum(a * np.log(probs(c, mu, sigma))))

    # start: cut scores from the reference group's cumulative shares
    cum = np.clip(np.cumsum(b)[:-1] / b.sum(), 0.01, 0.99)
    c0 = np.maximum.accumulate(stats.norm.ppf(cum) + np.arange(k - 1) * 1e-3)
    theta0 = np.concatenate([[c0[0]], np.log(np.maximum(np.diff(c0), 1e-3)), [0.0]] + ([] if equal_variance else [[0.0]]))
    res = optimize.minimize(nll, theta0, method="BFGS", options={"gtol": 1e-6 * max(1.0, a.sum() + b.sum()), "maxiter": 2000})
    c, mu, sigma = unpack(res.x)
    v = float(mu / math.sqrt((1 + sigma ** 2) / 2))
    return {"v": v, "mu": float(mu), "sigma": float(sigma), "cut_scores": [float(x) for x in c],
            "auc": float(stats.norm.cdf(v / math.sqrt(2))), "converged": bool(res.success)}


# --------------------------------------------------------------------------------------------------
# Achievement gaps of student groups, with small-cell suppression
# --------------------------------------------------------------------------------------------------

DEFAULT_GAP_GROUPS: dict = {"gender": "male", "migrant": False, "left_behind": False}
"""Group columns of ``scores`` and their reference groups: female − male, 随迁 − non-migrant, 留守 − others."""

_GAP_STATS = ["mean", "mean_reference", "sd", "sd_reference", "difference", "se", "df", "ci_low", "ci_high",
              "hedges_g", "hedges_g_ci_low", "hedges_g_ci_high"]


def achievement_gaps(scores: pd.DataFrame, *, groups: Sequence[str] | dict | None = None,
                     by: Sequence[str] = ("grade", "subject"), value: str = "score",
                     v_statistic: bool = True, min_cell_size: int = 5,
                     confidence: float = 0.95) -> pd.DataFrame:
    """Achievement gaps of student groups (gender, 随迁 migrant, 留守 left-behind, …) per grade × subject.

    For every group column and every ``by`` cell, :func:`group_gap` of ``value`` (standardized mean
    difference with Welch interval, Hedges' g) and optionally Ho & Reardon's V. Absent students and
    missing scores are left out (they are not zeros).

    Small-cell suppression (case C27): when a group or its reference has fewer than ``min_cell_size``
    students, every statistic of the row is withheld (NaN) and so are **both** counts — the group's
    count as the primary cell, the reference's as the complementary cell, because the two add up to
    the number of test-takers published elsewhere in the report (withholding one alone would let it
    be recovered by subtraction). ``n_display`` / ``n_reference_display`` carry "<k" / "*".

    Parameters
    ----------
    scores : DataFrame
        Student-level rows (the ``scores`` table, optionally with extra columns).
    groups : sequence of column names or dict {column: reference}, optional
        Default :data:`DEFAULT_GAP_GROUPS`. Any user-named group works: add a column (e.g. a boolean
        ``boarding``) and name it; the reference defaults to False for booleans, else the first
        sorted value.
    by : sequence of column names, default ("grade", "subject")
    value : str, default "score"
    v_statistic : bool, default True
    min_cell_size : int, default 5
    confidence : float, default 0.95

    Returns
    -------
    DataFrame
        ``variable`` (the group column), the ``by`` columns, then the :func:`group_gap` columns
        (``group, reference, n, n_reference, mean … hedges_g_ci_high`` and with ``v_statistic``
        ``auc, v, v_ci_low, v_ci_high``), ``suppressed`` (bool), ``n_display``,
        ``n_reference_display`` (str), ``n_missing_group`` (test-takers of the cell whose group value
        is missing: they are in no group, and a table note must state them). Cells where a group is
        absent are left out.

    Raises
    ------
    ValueError
        Missing columns; ``min_cell_size`` < 1.
    """
    if groups is None:
        groups = dict(DEFAULT_GAP_GROUPS)
    elif not isinstance(groups, dict):
        groups = {g: DEFAULT_GAP_GROUPS.get(g) for g in groups}
    if isinstance(min_cell_size, bool) or int(min_cell_size) < 1:
        raise ValueError(f"min_cell_size must be a positive integer, got {min_cell_size!r}")
    k = int(min_cell_size)
    by = list(by)
    needed = [value, *by, *groups]
    missing = [c for c in needed if c not in scores.columns]
    if missing:
        raise ValueError(f"achievement_gaps: missing column(s) {missing}")
    data = scores
    if "absent" in data.columns:
        data = data[~data["absent"].astype(bool)]
    data = data[data[value].notna()]
    stat_cols = _GAP_STATS + (_V_COLUMNS if v_statistic else [])
    columns = ["variable", *by, "group", "reference", "n", "n_reference", *stat_cols,
               "suppressed", "n_display", "n_reference_display", "n_missing_group"]
    rows = []
    for variable, ref in groups.items():
        sub_all = data[data[variable].notna()]
        # test-takers whose group is not recorded: in no group, counted per cell (never dropped silently)
        miss = data[data[variable].isna()]
        n_miss = (miss.groupby(by, sort=True).size().to_dict() if by else {(): len(miss)}) if len(miss) else {}
        cells = sub_all.groupby(by, sort=True) if by else [((), sub_all)]
        for key, sub in cells:
            key = key if isinstance(key, tuple) else (key,)
            levels = list(pd.unique(sub[variable]))
            if len(levels) < 2:
                continue
            reference = ref
            if reference is None:
                reference = False if pd.api.types.is_bool_dtype(sub[variable].dtype) else \
                    sorted(levels, key=lambda v: (str(type(v)), v))[0]
            if reference not in levels:
                continue
            out = group_gap(sub, value=value, group=variable, reference=reference, confidence=confidence,
                            v_statistic=v_statistic)
            for rec in out.to_dict(orient="records"):
                rec = {"variable": variable, **dict(zip(by, key)), **rec}
                n, nr = rec["n"], rec["n_reference"]
                small, small_ref = n < k, nr < k
                rec["suppressed"] = bool(small or small_ref)
                if rec["suppressed"]:
                    for c in stat_cols:
                        rec[c] = float("nan")
                    rec["n_display"] = f"<{k}" if small else "*"
                    rec["n_reference_display"] = f"<{k}" if small_ref else "*"
                    rec["n"], rec["n_reference"] = float("nan"), float("nan")
                else:
                    rec["n_display"], rec["n_reference_display"] = f"{int(n)}", f"{int(nr)}"
                rec["n_missing_group"] = int(n_miss.get(key if len(key) > 1 else key[0], 0)) if by else int(n_miss.get((), 0))
                rows.append(rec)
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------------------------------
# Inequality indices of several measures at once, with the between/within decomposition
# --------------------------------------------------------------------------------------------------

def inequality_table(df: pd.DataFrame, *, values: Sequence[str], weight: str | None, group: str | None = None,
                     stage: str | None = None, options: Sequence[str] = ("mcloone", "range_ratio"),
                     min_units: int = 2, by: str | None = None) -> pd.DataFrame:
    """Gini, Theil T and the Theil between/within-``by`` decomposition for several measures.

    Wraps :mod:`lyganalysis.metrics.inequality` (population-weighted, e.g. schools weighted by
    students). Use ``by="county"`` for the city (组间 = between counties, 组内 = within counties) and
    ``by="locale"`` within a county (urban / town / rural).

    Parameters
    ----------
    df : DataFrame
        One row per unit (school, or school section).
    values : sequence of str
        Measures (columns); rows with a missing value of a measure are left out for that measure and
        counted in ``n_missing``.
    weight : str or None
        Population weight (students).
    group : str or None
        Groups of the decomposition (None: no decomposition). ``by=`` is its deprecated old name
        (kept for one release, with a ``DeprecationWarning``).
    stage : str, optional
        Column to split by first (e.g. ``"stage"``: primary and junior separately).
    options : sequence, default ("mcloone", "range_ratio")
        Extra indices: ``"mcloone"`` (McLoone index) and ``"range_ratio"`` (95th / 5th percentile).
    min_units : int, default 2
        Measures with fewer units are skipped.

    Returns
    -------
    DataFrame
        ``stage`` (when given), ``measure, n_units, n_missing, population, mean, gini, theil,
        theil_between, theil_within, between_share`` and the optional columns. Full precision.
    """
    from lyganalysis.metrics.inequality import gini_coefficient, mcloone_index, range_ratio, theil_index

    by = _group_keyword("inequality_table", group, by, required=False)
    parts = df.groupby(stage, sort=False) if stage else [(None, df)]
    rows = []
    for st, sub in parts:
        for measure in values:
            keep = sub[sub[measure].notna()]
            if weight is not None:
                keep = keep[pd.to_numeric(keep[weight]).fillna(0) > 0]
            if len(keep) < min_units:
                continue
            w = None if weight is None else pd.to_numeric(keep[weight]).astype("float64")
            x = pd.to_numeric(keep[measure]).astype("float64")
            rec = {"stage": st, "measure": measure, "n_units": int(len(keep)), "n_missing": int(len(sub) - len(keep)),
                   "population": float(w.sum()) if w is not None else float(len(keep)),
                   "mean": float(np.average(x, weights=w)),
                   "gini": gini_coefficient(keep, value=measure, weight=weight),
                   "theil": float("nan"), "theil_between": float("nan"), "theil_within": float("nan"),
                   "between_share": float("nan")}
            if by is not None:
                d = theil_index(keep, value=measure, weight=weight, group=by)
                rec.update(theil=d.total, theil_between=d.between, theil_within=d.within,
                           between_share=d.between_share)
            else:
                rec["theil"] = theil_index(keep, value=measure, weight=weight)
            for name, func in (("mcloone", mcloone_index), ("range_ratio", range_ratio)):
                if name in options:
                    try:
                        rec[name] = float(func(keep, value=measure, weight=weight))
                    except ValueError:  # e.g. a zero lower percentile or median: undefined
                        rec[name] = float("nan")
            rows.append(rec)
    out = pd.DataFrame(rows)
    if not stage and len(out):
        out = out.drop(columns="stage")
    return out
