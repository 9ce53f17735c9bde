"""Academic quality: 三率一分 and the between-school share of variance (校际差异, 组内相关).

Sources: local teaching-research conventions for 三率一分, 标准分 and 比率分; Raudenbush & Bryk
(2002), *Hierarchical Linear Models*, ch. 4 (one-way random-effects ANOVA, Table 4.2) for the
random-intercept model; Bliese (2000) and Shrout & Fleiss (1979) for ICC(1)/ICC(2).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize

__all__ = ["three_rates_one_score", "standard_scores", "ratio_composite", "score_distribution",
           "intraclass_correlation", "ICCResult", "fit_random_intercept", "RandomInterceptFit", "group_codes",
           "check_full_rank", "column_list", "cluster_keyword"]


def column_list(by) -> list[str]:
    """Column name(s) as a list: None → [], a name → [name], a sequence → list (shared by the metrics)."""
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


_keys = column_list


def cluster_keyword(cluster, by, *, function: str, stacklevel: int = 3):
    """The clustering factor given as ``cluster=`` or, deprecated, as ``by=``.

    ``by=`` means "compute per group" everywhere in :mod:`lyganalysis.metrics`; for the clustering factor of
    a multilevel model the keyword is ``cluster=``. ``by=`` keeps working for one release with a
    :class:`DeprecationWarning`.

    Raises
    ------
    ValueError
        Both or neither given.
    """
    if by is not None:
        if cluster is not None:
            raise ValueError(f"{function}: give the clustering factor once, as cluster= (by= is its old name)")
        warnings.warn(f"{function}(by=...) is deprecated: the clustering factor is now cluster=; by= will be "
                      "removed in the next release", DeprecationWarning, stacklevel=stacklevel)
        return by
    if cluster is None:
        raise ValueError(f"{function}: cluster= must name the clustering factor (e.g. cluster='school_id')")
    return cluster


# ---------------------------------------------------------------------------------------------
# 三率一分

def three_rates_one_score(scores: pd.DataFrame, *, by: str | Sequence[str] = ("school_id", "subject"),
                          value: str = "score", full_marks: str = "full_marks", absent: str = "absent",
                          pass_cut: float = 0.6, excellent_cut: float = 0.85, low_cut: float = 0.4,
                          denominator: Literal["takers", "enrolled"] = "takers") -> pd.DataFrame:
    """三率一分: mean score (平均分), pass rate (及格率), excellence rate (优秀率), low-score rate (低分率).

    Cuts are shares of full marks (local teaching-research conventions; the low-score cut is unconfirmed [U]):
    pass = score ≥ ``pass_cut`` × full marks, excellent = score ≥ ``excellent_cut`` × full marks,
    low = score < ``low_cut`` × full marks.

    Absent students (缺考) are never counted as a score of 0: the mean is over test-takers. With
    ``denominator="enrolled"`` the rates divide by all listed students (takers + absent), so that
    keeping weak students away from the test does not pay (an absent student counts as neither pass
    nor excellent nor low); with ``"takers"`` (default) by test-takers only.

    Parameters
    ----------
    scores : DataFrame, one row per student × subject × exam (the ``scores`` table)
    by : str or sequence of str, default ("school_id", "subject")
    value, full_marks, absent : str
        Column names. ``absent`` is boolean; a row is absent when ``absent`` is True (its score is
        ignored).
    pass_cut, excellent_cut, low_cut : float in (0, 1]
    denominator : {"takers", "enrolled"}

    Returns
    -------
    DataFrame, one row per group
        ``by`` columns, ``n_takers, n_absent`` (int64), ``full_marks``, ``mean_score`` (points),
        ``pass_rate, excellence_rate, low_score_rate`` (proportions in [0, 1]; NaN for a group without
        takers or, with "enrolled", without students).

    Raises
    ------
    ValueError
        Missing columns; a non-absent row without a score; scores outside [0, full marks]; missing or
        non-positive full marks; full marks varying within a group (mixed exams: add ``exam`` to ``by``);
        cuts outside (0, 1]; unknown ``denominator``.
    """
    keys = _keys(by)
    missing = [c for c in keys + [value, full_marks, absent] if c not in scores.columns]
    if missing:
        raise ValueError(f"three_rates_one_score: missing column(s) {missing}")
    for name, cut in (("pass_cut", pass_cut), ("excellent_cut", excellent_cut), ("low_cut", low_cut)):
        if not 0 < cut <= 1:
            raise ValueError(f"{name} must be a share of full marks in (0, 1], got {cut!r}")
    if denominator not in ("takers", "enrolled"):
        raise ValueError(f"denominator must be 'takers' or 'enrolled', got {denominator!r}")
    ab = scores[absent]
    if ab.isna().any():
        raise ValueError(f"column {absent!r} has {int(ab.isna().sum())} missing value(s); it must say for "
                         "every row whether the student was absent")
    ab = ab.astype(bool)
    x = pd.to_numeric(scores[value], errors="raise").astype("float64")
    fm = pd.to_numeric(scores[full_marks], errors="raise").astype("float64")
    no_score = ~ab & x.isna()
    if no_score.any():
        raise ValueError(f"{int(no_score.sum())} row(s) are not marked absent in {absent!r} but have no score "
                         f"in {value!r}: mark them absent or supply the score")
    if fm.isna().any() or (fm <= 0).any():
        raise ValueError(f"column {full_marks!r} must be positive and present in every row")
    taker = ~ab
    out_of_range = taker & ((x < 0) | (x > fm))
    if out_of_range.any():
        raise ValueError(f"{int(out_of_range.sum())} score(s) in {value!r} lie outside [0, {full_marks}]")
    tol = 1e-9 * fm
    frame = scores[keys].copy() if keys else pd.DataFrame(index=scores.index)
    frame["_taker"] = taker.astype("int64")
    frame["_absent"] = ab.astype("int64")
    frame["_x"] = x.where(taker, 0.0)
    frame["_pass"] = (taker & (x >= pass_cut * fm - tol)).astype("int64")
    frame["_exc"] = (taker & (x >= excellent_cut * fm - tol)).astype("int64")
    frame["_low"] = (taker & (x < low_cut * fm - tol)).astype("int64")
    frame["_fm"] = fm
    if keys:
        g = frame.groupby(keys, sort=True, dropna=False)
        fm_var = g["_fm"].nunique()
        if (fm_var > 1).any():
            raise ValueError(f"full marks vary within {int((fm_var > 1).sum())} group(s): mean scores of mixed "
                             "exams are meaningless; add 'exam' (or the subject) to by=")
        agg = g[["_taker", "_absent", "_x", "_pass", "_exc", "_low"]].sum()
        agg["_fm"] = g["_fm"].first()
        agg = agg.reset_index()
    else:
        if frame["_fm"].nunique() > 1:
            raise ValueError("full marks vary: mean scores of mixed exams are meaningless; pass by=")
        agg = frame[["_taker", "_absent", "_x", "_pass", "_exc", "_low"]].sum().to_frame().T
        agg["_fm"] = frame["_fm"].iloc[0] if len(frame) else np.nan
    n_t = agg["_taker"].astype("float64")
    den = n_t if denominator == "takers" else n_t + agg["_absent"].astype("float64")
    den = den.where(den > 0)
    out = agg[keys].copy() if keys else pd.DataFrame(index=agg.index)
    out["n_takers"] = agg["_taker"].astype("int64")
    out["n_absent"] = agg["_absent"].astype("int64")
    out["full_marks"] = agg["_fm"].astype("float64")
    out["mean_score"] = agg["_x"].astype("float64") / n_t.where(n_t > 0)
    out["pass_rate"] = agg["_pass"].astype("float64") / den
    out["excellence_rate"] = agg["_exc"].astype("float64") / den
    out["low_score_rate"] = agg["_low"].astype("float64") / den
    return out


# ---------------------------------------------------------------------------------------------
# 标准分, 比率分, score distribution

def standard_scores(scores: pd.DataFrame, *, value: str = "score", by: str | Sequence[str] | None = ("grade", "subject"),
                    absent: str | None = "absent") -> pd.DataFrame:
    """标准分: Z = (x − mean)/sd and T = 50 + 10·Z within each ``by`` group (a local teaching-research convention).

    The mean and the **sample** standard deviation (ddof = 1) are taken over the test-takers of the
    group (rows with a score that are not marked absent). Absent (缺考) rows and rows without a score
    get NaN — an absent student has no standard score, never that of a zero.

    Parameters
    ----------
    scores : DataFrame, one row per student × subject × exam
    value : str, default "score"
    by : str or sequence of str or None, default ("grade", "subject")
        Reference groups. Scores of different exams must not share a reference: add ``"exam"`` (or
        ``"school_year"``) when the table holds more than one exam. None = one group.
    absent : str or None, default "absent"
        Boolean column of absent rows; None if the table has none.

    Returns
    -------
    DataFrame
        A copy of ``scores`` (same index and row order) with float columns ``z_score`` (unitless) and
        ``t_score`` (= 50 + 10 z). NaN where the group has fewer than two takers or no spread (sd = 0).

    Raises
    ------
    ValueError
        Missing columns; missing values in ``absent``.
    """
    keys = _keys(by)
    cols = keys + [value] + ([absent] if absent else [])
    missing = [c for c in cols if c not in scores.columns]
    if missing:
        raise ValueError(f"standard_scores: missing column(s) {missing}")
    x = pd.to_numeric(scores[value], errors="raise").astype("float64")
    if absent:
        ab = scores[absent]
        if ab.isna().any():
            raise ValueError(f"column {absent!r} has {int(ab.isna().sum())} missing value(s)")
        x = x.where(~ab.astype(bool))
    if keys:
        g = x.groupby([scores[k] for k in keys], dropna=False, sort=False)
        mean, sd = g.transform("mean"), g.transform("std")  # pandas std: ddof = 1
    else:
        mean = pd.Series(x.mean(), index=x.index)
        sd = pd.Series(x.std(ddof=1), index=x.index)
    z = (x - mean) / sd.where(sd > 0)
    out = scores.copy()
    out["z_score"] = z.astype("float64")
    out["t_score"] = 50.0 + 10.0 * out["z_score"]
    return out


def ratio_composite(school_table: pd.DataFrame, *, mean: str = "mean_score", pass_rate: str = "pass_rate",
                    excellence_rate: str = "excellence_rate", weights: Sequence[float] = (40, 30, 30),
                    by: str | Sequence[str] | None = "subject") -> pd.DataFrame:
    """比率分: weights · (school value / best school value) for mean, pass rate and excellence rate.

    With the default weights (a common local composite)::

        比率分 = 40·(mean / best mean) + 30·(pass rate / best pass rate) + 30·(excellence / best excellence)

    "best" is the maximum over the schools of the same ``by`` group (e.g. the same subject and exam), so
    the best school on every component scores sum(weights) = 100.

    Parameters
    ----------
    school_table : DataFrame, one row per school (× ``by``), e.g. from :func:`three_rates_one_score`
    mean, pass_rate, excellence_rate : str
        Column names; mean in points (≥ 0), rates as proportions in [0, 1].
    weights : three non-negative numbers, default (40, 30, 30)
    by : str or sequence of str or None, default "subject"
        Comparison groups (add ``"exam"`` when the table holds several exams). None = all rows.

    Returns
    -------
    DataFrame
        A copy of ``school_table`` with ``mean_ratio, pass_ratio, excellence_ratio`` (value / group best,
        in [0, 1]) and ``ratio_score`` (points, 0–sum(weights)). A ratio is NaN when the group best is 0
        (e.g. no excellent student in any school: the ratio is undefined, not a made-up 0 or 1); the
        composite is then NaN too, as it is for a school with a missing component.

    Raises
    ------
    ValueError
        Missing columns; negative means; rates outside [0, 1]; not three non-negative weights.
    """
    keys = _keys(by)
    cols = keys + [mean, pass_rate, excellence_rate]
    missing = [c for c in cols if c not in school_table.columns]
    if missing:
        raise ValueError(f"ratio_composite: missing column(s) {missing}")
    w = [float(v) for v in weights]
    if len(w) != 3 or any(not np.isfinite(v) or v < 0 for v in w):
        raise ValueError(f"weights must be three non-negative numbers, got {weights!r}")
    out = school_table.copy()
    for col, name in ((mean, "mean_ratio"), (pass_rate, "pass_ratio"), (excellence_rate, "excellence_ratio")):
        v = pd.to_numeric(out[col], errors="raise").astype("float64")
        if (v < 0).any():
            raise ValueError(f"column {col!r} has negative values")
        if col != mean and (v > 1).any():
            raise ValueError(f"column {col!r} must hold proportions in [0, 1] (not percentages)")
        best = v.groupby([out[k] for k in keys], dropna=False, sort=False).transform("max") if keys \
            else pd.Series(v.max(), index=v.index)
        out[name] = v / best.where(best > 0)
    out["ratio_score"] = w[0] * out["mean_ratio"] + w[1] * out["pass_ratio"] + w[2] * out["excellence_ratio"]
    return out


def score_distribution(scores: pd.DataFrame, *, value: str = "score", full_marks: str = "full_marks",
                       absent: str | None = "absent", by: str | Sequence[str] | None = ("school_id", "subject"),
                       cuts: Sequence[float] = (0.4, 0.6, 0.85)) -> pd.DataFrame:
    """Score distribution (分数段): counts and shares of test-takers in bands of full marks.

    Bands are half-open shares of full marks, ``[0, c1), [c1, c2), …, [ck, 1]`` — with the default cuts
    the bands are 低分 (< 40%), 40–60%, 及格 60–85% and 优秀 ≥ 85%, matching
    :func:`three_rates_one_score`. Absent rows are not counted.

    Parameters
    ----------
    scores : DataFrame, one row per student × subject × exam
    value, full_marks : str
    absent : str or None, default "absent"
    by : str or sequence of str or None, default ("school_id", "subject")
    cuts : increasing shares of full marks in (0, 1)

    Returns
    -------
    DataFrame, long format, one row per group × band
        ``by`` columns, ``band`` (label such as ``"[40%, 60%)"``), ``lower_share, upper_share``,
        ``n`` (int64 takers in the band), ``share`` (n / takers in the group, in [0, 1]).

    Raises
    ------
    ValueError
        Missing columns; cuts not increasing within (0, 1); scores outside [0, full marks].
    """
    keys = _keys(by)
    cols = keys + [value, full_marks] + ([absent] if absent else [])
    missing = [c for c in cols if c not in scores.columns]
    if missing:
        raise ValueError(f"score_distribution: missing column(s) {missing}")
    c = [float(v) for v in cuts]
    if not c or any(not 0 < v < 1 for v in c) or any(b <= a for a, b in zip(c, c[1:])):
        raise ValueError(f"cuts must be increasing shares of full marks in (0, 1), got {cuts!r}")
    x = pd.to_numeric(scores[value], errors="raise").astype("float64")
    fm = pd.to_numeric(scores[full_marks], errors="raise").astype("float64")
    keep = x.notna()
    if absent:
        keep &= ~scores[absent].fillna(False).astype(bool)
    share = (x / fm)[keep]
    if ((share < 0) | (share > 1 + 1e-12)).any():
        raise ValueError(f"score(s) in {value!r} lie outside [0, {full_marks}]")
    edges = [0.0] + c + [1.0]
    band_idx = np.searchsorted(np.asarray(c) - 1e-9, share.to_numpy(), side="right")
    labels = [f"[{edges[i]:.0%}, {edges[i + 1]:.0%}{']' if i == len(c) else ')'}" for i in range(len(c) + 1)]
    frame = scores.loc[keep, keys].copy() if keys else pd.DataFrame(index=share.index)
    frame["_band"] = band_idx
    nb = len(c) + 1
    if keys:
        counts = frame.groupby(keys + ["_band"], dropna=False, sort=True).size().unstack("_band")
        counts = counts.reindex(columns=range(nb), fill_value=0).fillna(0)
    else:
        counts = pd.DataFrame([np.bincount(band_idx, minlength=nb)], columns=range(nb))
    total = counts.sum(axis=1)
    rows = []
    for b in range(nb):
        part = counts.index.to_frame(index=False) if keys else pd.DataFrame(index=[0])
        part = part.assign(band=labels[b], lower_share=edges[b], upper_share=edges[b + 1],
                           n=counts[b].to_numpy().astype("int64"),
                           share=(counts[b] / total.where(total > 0)).to_numpy().astype("float64"),
                           _b=b)
        rows.append(part)
    out = pd.concat(rows, ignore_index=True).sort_values(keys + ["_b"] if keys else ["_b"], kind="stable")
    return out.drop(columns="_b").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Intraclass correlation

@dataclass(frozen=True)
class ICCResult:
    """Between-group share of variance (组内相关 / 校际差异) of a one-way random-intercept model.

    Attributes
    ----------
    method : {"anova", "reml", "ml"}
    icc : float
        τ00 / (τ00 + σ²). For "anova" equal to ``icc1``.
    icc1, icc2 : float
        ANOVA ICC(1) = (MSB − MSW) / (MSB + (n0 − 1) MSW) and ICC(2) = (MSB − MSW) / MSB (reliability of
        group means), n0 = (N − Σn_j²/N)/(J − 1). NaN for reml/ml.
    grand_mean : float
        γ00, the intercept (GLS estimate for reml/ml; the student-level mean for anova).
    tau00, sigma2 : float
        Between-group and within-group variance (method-of-moments estimates for anova:
        τ00 = (MSB − MSW)/n0, σ² = MSW; may be negative for anova).
    reliability : float
        Mean over groups of λ_j = τ00 / (τ00 + σ²/n_j) (reml/ml; NaN for anova, see ``icc2``).
    loglik : float
        Maximised (restricted) log-likelihood, full constants included (NaN for anova).
    boundary : bool
        τ00 < 1e-6 σ² (reml/ml) or MSB ≤ MSW (anova): no detectable between-group variance.
    n_groups, n_obs : int
    se_grand_mean : float
        Standard error of γ00 (reml/ml).
    fixed_effects : dict
        Coefficient of each fixed effect (``"Intercept"`` and any covariates; reml/ml).
    """

    method: str
    icc: float
    icc1: float
    icc2: float
    grand_mean: float
    tau00: float
    sigma2: float
    reliability: float
    loglik: float
    boundary: bool
    n_groups: int
    n_obs: int
    se_grand_mean: float = float("nan")
    fixed_effects: dict | None = None

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame of the scalar fields (fixed effects as ``beta_<name>`` columns)."""
        d = asdict(self)
        fe = d.pop("fixed_effects") or {}
        for k, v in fe.items():
            d[f"beta_{k}"] = v
        return pd.DataFrame([d])


def group_codes(df: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, int]:
    """Integer group codes 0..J−1 of the rows of ``df`` by ``keys`` and the number of groups J.

    Raises
    ------
    ValueError
        A row with a missing group.
    """
    codes, uniques = pd.MultiIndex.from_frame(df[keys]).factorize() if len(keys) > 1 else \
        pd.factorize(df[keys[0]])
    if (codes < 0).any():
        raise ValueError(f"{int((codes < 0).sum())} row(s) have a missing group in {keys}")
    return codes, len(uniques)


def _profile(rho: float, n: np.ndarray, s: np.ndarray, xtx: np.ndarray, xty: np.ndarray,
             t: np.ndarray, yy: float, N: int, p: int, reml: bool):
    """Profile (restricted) log-likelihood at ρ = τ/(τ+σ²), i.e. λ = τ/σ² = ρ/(1−ρ).

    Only per-group sufficient statistics are used: n_j, s_j = X_j'1, t_j = Σy, plus Σ X'X, Σ X'y, Σy².
    With c_j = λ/(1+n_jλ): A = ΣX'X − Σ c_j s_j s_j', b = ΣX'y − Σ c_j s_j t_j, β = A⁻¹b,
    Q = Σy² − Σ c_j t_j² − b'β (= σ² × the GLS residual quadratic form), log|H| = Σ log(1+n_jλ).
    """
    lam = rho / (1.0 - rho)
    c = lam / (1.0 + n * lam)
    A = xtx - (s * c[:, None]).T @ s
    b = xty - (s * (c * t)[:, None]).sum(axis=0)
    beta = np.linalg.solve(A, b)
    Q = yy - np.sum(c * t * t) - b @ beta
    logdet_h = np.sum(np.log1p(n * lam))
    dof = N - p if reml else N
    sigma2 = Q / dof
    ll = -0.5 * (dof * math.log(2 * math.pi) + dof * math.log(sigma2) + logdet_h + dof)
    if reml:
        sign, logdet_a = np.linalg.slogdet(A)
        ll -= 0.5 * logdet_a
    return ll, sigma2, lam, beta, A


def intraclass_correlation(df: pd.DataFrame, *, value: str, cluster: str | Sequence[str] | None = None,
                           method: Literal["anova", "reml", "ml"] = "anova", min_groups: int = 5,
                           covariates: Sequence[str] | None = None,
                           by: str | Sequence[str] | None = None) -> ICCResult:
    """Intraclass correlation: the share of variance between groups (校际差异, e.g. schools).

    ``method="anova"``: one-way ANOVA (method of moments) with the unbalanced-design group size
    n0 = (N − Σn_j²/N)/(J − 1): ICC(1) = (MSB − MSW)/(MSB + (n0 − 1)MSW), ICC(2) = (MSB − MSW)/MSB.

    ``method="reml"`` / ``"ml"``: the one-way random-intercept model y_ij = γ00 + u_j + e_ij,
    u_j ~ N(0, τ00), e_ij ~ N(0, σ²) (Raudenbush & Bryk 2002, ch. 4), optionally with fixed
    ``covariates`` (then τ00, σ² and the ICC are conditional on them). Fitted exactly from per-group
    sufficient statistics by maximising the profile (restricted) likelihood over the single parameter
    ρ = τ00/(τ00 + σ²) ∈ [0, 1): a grid, then ``scipy.optimize.minimize_scalar`` (bounded) around the
    best grid point, the boundary ρ = 0 always included. No iterative mixed-model solver is used, so
    there is no false "converged" flag of an iterative solver.

    Parameters
    ----------
    df : DataFrame, one row per student
    value : str
        Outcome column (no missing values).
    cluster : str or sequence of str
        The clustering factor (group column(s)), e.g. ``"school_id"``.
    method : {"anova", "reml", "ml"}, default "anova"
    min_groups : int, default 5
        Refuse to fit with fewer groups: between-group variance is not estimable from 2–4 schools.
        Lower it only deliberately.
    covariates : sequence of str, optional
        Fixed-effect covariates (reml/ml only).
    by : str or sequence of str, optional
        Deprecated old name of ``cluster`` (works for one release with a ``DeprecationWarning``).

    Returns
    -------
    ICCResult

    Raises
    ------
    ValueError
        Fewer than ``min_groups`` groups (message: too few groups for a multilevel model; use school
        fixed effects or cluster-robust SEs instead); missing columns or values; no within-group
        variation; unknown method; covariates with "anova"; collinear covariates; both ``cluster`` and
        ``by`` given, or neither.
    """
    keys = column_list(cluster_keyword(cluster, by, function="intraclass_correlation"))
    covariates = list(covariates or [])
    if method not in ("anova", "reml", "ml"):
        raise ValueError(f"method must be 'anova', 'reml' or 'ml', got {method!r}")
    if covariates and method == "anova":
        raise ValueError("covariates are supported by method='reml' or 'ml' only")
    missing = [c for c in [value] + keys + covariates if c not in df.columns]
    if missing:
        raise ValueError(f"intraclass_correlation: missing column(s) {missing}")
    if not keys:
        raise ValueError("cluster= must name the group column(s)")
    y = pd.to_numeric(df[value], errors="raise").astype("float64").to_numpy(na_value=np.nan)
    if np.isnan(y).any():
        raise ValueError(f"column {value!r} has {int(np.isnan(y).sum())} missing value(s); drop absent "
                         "students explicitly before fitting")
    codes, J = group_codes(df, keys)
    N = len(y)
    if J < min_groups:
        raise ValueError(f"too few groups for a multilevel model: {J} group(s) in {keys}, fewer than "
                         f"min_groups={min_groups}. Between-group variance cannot be estimated reliably; "
                         "report group means with school fixed effects or cluster-robust standard errors "
                         "instead, or pass a smaller min_groups deliberately")
    if J < 2:
        raise ValueError("at least 2 groups are needed")
    n = np.bincount(codes, minlength=J).astype("float64")
    t = np.bincount(codes, weights=y, minlength=J)
    ybar = t / n
    ssw = float(np.sum((y - ybar[codes]) ** 2))
    if N - J <= 0 or ssw <= 0:
        raise ValueError("no within-group variation (each group has one value or all values are equal "
                         "within groups): the ICC is undefined")

    if method == "anova":
        gm = float(y.mean())
        ssb = float(np.sum(n * (ybar - gm) ** 2))
        msb, msw = ssb / (J - 1), ssw / (N - J)
        n0 = (N - np.sum(n ** 2) / N) / (J - 1)
        icc1 = (msb - msw) / (msb + (n0 - 1) * msw)
        icc2 = (msb - msw) / msb if msb > 0 else float("nan")
        return ICCResult(method="anova", icc=float(icc1), icc1=float(icc1), icc2=float(icc2), grand_mean=gm,
                         tau00=float((msb - msw) / n0), sigma2=float(msw), reliability=float("nan"),
                         loglik=float("nan"), boundary=bool(msb <= msw), n_groups=J, n_obs=N)

    X = _design(df, covariates, N)
    names = ["Intercept"] + covariates
    fit = fit_random_intercept(y, X, codes, J, reml=method == "reml")
    return ICCResult(method=method, icc=fit.icc, icc1=float("nan"), icc2=float("nan"),
                     grand_mean=float(fit.beta[0]), tau00=fit.tau00, sigma2=fit.sigma2,
                     reliability=float(np.mean(fit.shrinkage)), loglik=fit.loglik, boundary=fit.boundary,
                     n_groups=J, n_obs=N, se_grand_mean=float(math.sqrt(fit.cov_beta[0, 0])),
                     fixed_effects={k: float(v) for k, v in zip(names, fit.beta)})


def _design(df: pd.DataFrame, covariates: Sequence[str], N: int) -> np.ndarray:
    """N × (1 + k) design matrix [1, covariates] as float64; raises on missing values or collinearity."""
    covariates = list(covariates)
    X = np.ones((N, 1 + len(covariates)))
    for i, c in enumerate(covariates, start=1):
        col = pd.to_numeric(df[c], errors="raise").astype("float64").to_numpy(na_value=np.nan)
        if np.isnan(col).any():
            raise ValueError(f"covariate {c!r} has {int(np.isnan(col).sum())} missing value(s)")
        X[:, i] = col
    check_full_rank(X, covariates)
    return X


def check_full_rank(X: np.ndarray, covariates: Sequence[str]) -> None:
    """Raise ValueError when the covariate columns X[:, 1:] are constant or collinear (with the intercept).

    Uses the correlation matrix of the centred columns (cheap for millions of rows, scale-free)."""
    if X.shape[1] < 2:
        return
    mu = X[:, 1:].mean(axis=0)
    zz = X[:, 1:].T @ X[:, 1:] - X.shape[0] * np.outer(mu, mu)
    d = np.sqrt(np.clip(np.diag(zz), 0, None))
    if (d <= 1e-12 * (1 + np.abs(mu)) * math.sqrt(X.shape[0])).any() or \
            np.linalg.matrix_rank(zz / np.outer(d, d), tol=1e-10) < X.shape[1] - 1:
        raise ValueError(f"covariates {list(covariates)} are constant or collinear with each other or the "
                         "intercept")


def _profile_grid(rho: np.ndarray, n: np.ndarray, s: np.ndarray, xtx: np.ndarray, xty: np.ndarray,
                  t: np.ndarray, yy: float, N: int, p: int, reml: bool) -> np.ndarray:
    """:func:`_profile`'s log-likelihood at every ρ of a grid at once (same formulas, arrays over the grid)."""
    lam = rho / (1.0 - rho)
    c = lam[:, None] / (1.0 + n[None, :] * lam[:, None])  # (G, J)
    A = xtx[None, :, :] - np.einsum("gj,jk,jl->gkl", c, s, s)
    b = xty[None, :] - (c * t[None, :]) @ s
    beta = np.linalg.solve(A, b[:, :, None])[:, :, 0]
    Q = yy - (c * (t * t)[None, :]).sum(axis=1) - (b * beta).sum(axis=1)
    logdet_h = np.log1p(n[None, :] * lam[:, None]).sum(axis=1)
    dof = N - p if reml else N
    with np.errstate(invalid="ignore", divide="ignore"):
        ll = -0.5 * (dof * math.log(2 * math.pi) + dof * np.log(Q / dof) + logdet_h + dof)
        if reml:
            ll = ll - 0.5 * np.linalg.slogdet(A)[1]
    return np.where(np.isfinite(ll), ll, -np.inf)


@dataclass(frozen=True)
class RandomInterceptFit:
    """Result of :func:`fit_random_intercept` (all arrays in the original units).

    ``beta``/``cov_beta``: GLS fixed effects and their covariance σ²A⁻¹ (Intercept first);
    ``group_resid``: ȳ_j − x̄_j'β̂ (the raw, unshrunken school residual); ``shrinkage``: λ_j =
    τ00/(τ00 + σ²/n_j); ``xbar_c``: x̄_j − x̄ (per-group covariate means, centred, with a leading 1)
    for prediction-variance terms, used with ``cov_beta_c`` (covariance in the centred parametrisation).
    """

    rho: float
    tau00: float
    sigma2: float
    icc: float
    loglik: float
    beta: np.ndarray
    cov_beta: np.ndarray
    cov_beta_c: np.ndarray
    n: np.ndarray
    group_resid: np.ndarray
    shrinkage: np.ndarray
    xbar_c: np.ndarray
    boundary: bool
    converged: bool
    optimizer: str
    n_evaluations: int

    def to_frame(self) -> pd.DataFrame:
        """Per-group table: ``group`` (code 0..J−1), ``n``, ``group_resid`` (raw residual), ``shrinkage`` (λ_j)."""
        return pd.DataFrame({"group": np.arange(len(self.n)), "n": self.n, "group_resid": self.group_resid,
                             "shrinkage": self.shrinkage})


def fit_random_intercept(y: np.ndarray, X: np.ndarray, codes: np.ndarray, J: int, *,
                         reml: bool) -> RandomInterceptFit:
    """Exact REML/ML fit of y = Xβ + u_j + e from per-group sufficient statistics.

    y and the covariate columns are centred first (a unimodular reparametrisation: the likelihood is
    unchanged) to avoid cancellation; then only n_j, Σ_j y, Σ_j x (J × p), X'X, X'y and y'y enter.
    The profile likelihood over ρ = τ00/(τ00 + σ²) ∈ [0, 1) is scanned on a grid (ρ = 0 included),
    then refined by bounded Brent (``scipy.optimize.minimize_scalar``) between the neighbours of the
    best grid point; β is GLS and σ² is profiled out in closed form at every ρ.
    """
    N, p = X.shape
    y_shift = float(y.mean())
    x_shift = X[:, 1:].mean(axis=0)
    yc = y - y_shift
    Xc = X.copy()
    Xc[:, 1:] -= x_shift
    n = np.bincount(codes, minlength=J).astype("float64")
    t = np.bincount(codes, weights=yc, minlength=J)
    s = np.empty((J, p))
    s[:, 0] = n
    for k in range(1, p):
        s[:, k] = np.bincount(codes, weights=Xc[:, k], minlength=J)
    xtx, xty, yy = Xc.T @ Xc, Xc.T @ yc, float(yc @ yc)
    del Xc, yc
    args = (n, s, xtx, xty, t, yy, N, p, reml)
    n_eval = 0

    def negll(rho):
        nonlocal n_eval
        n_eval += 1
        return -_profile(rho, *args)[0]

    upper = 1.0 - 1e-10
    grid = np.concatenate([[0.0], np.linspace(1e-4, 0.999, 200)])
    vals = -_profile_grid(grid, *args)
    n_eval += len(grid)
    i = int(np.argmin(vals))
    lo = grid[max(i - 1, 0)]
    hi = grid[i + 1] if i + 1 < len(grid) else upper
    best_rho, best_val = float(grid[i]), float(vals[i])
    res = optimize.minimize_scalar(negll, bounds=(lo, hi), method="bounded",
                                   options={"xatol": 1e-12, "maxiter": 500})
    converged = bool(res.success)
    if res.fun < best_val:
        best_rho, best_val = float(res.x), float(res.fun)
    ll, sigma2, lam, beta_c, A = _profile(best_rho, *args)
    tau = lam * sigma2
    cov_c = sigma2 * np.linalg.inv(A)
    back = np.concatenate([[1.0], -x_shift])  # original intercept = β0 − Σ βk x̄k + ȳ
    beta = beta_c.copy()
    beta[0] = float(back @ beta_c) + y_shift
    T = np.eye(p)
    T[0, 1:] = -x_shift
    cov = T @ cov_c @ T.T
    xbar_c = s / n[:, None]
    resid = t / n - xbar_c @ beta_c
    shrink = tau / (tau + sigma2 / n) if tau > 0 else np.zeros(J)
    return RandomInterceptFit(rho=best_rho, tau00=float(tau), sigma2=float(sigma2),
                              icc=float(tau / (tau + sigma2)), loglik=float(ll), beta=beta, cov_beta=cov,
                              cov_beta_c=cov_c, n=n, group_resid=resid, shrinkage=shrink, xbar_c=xbar_c,
                              boundary=bool(tau < 1e-6 * sigma2), converged=converged,
                              optimizer="profile grid (201 points over rho) + bounded Brent",
                              n_evaluations=n_eval)
