"""Academic quality: 三率一分 and the between-school share of variance (校际差异, 组内相关).

Sources: local teaching-research conventions for 三率一分 (standards.md §7); Raudenbush & Bryk
(2002), *Hierarchical Linear Models*, ch. 4 (one-way random-effects ANOVA, Table 4.2) for the
random-intercept model; Bliese (2000) and Shrout & Fleiss (1979) for ICC(1)/ICC(2).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal, Sequence

import numpy as np
import pandas as pd
from scipy import optimize

__all__ = ["three_rates_one_score", "intraclass_correlation", "ICCResult"]


def _keys(by) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


# ---------------------------------------------------------------------------------------------
# 三率一分

def three_rates_one_score(scores: pd.DataFrame, *, by: str | Sequence[str] = ("school_id", "subject"),
                          value: str = "score", full_marks: str = "full_marks", absent: str = "absent",
                          pass_cut: float = 0.6, excellent_cut: float = 0.85, low_cut: float = 0.4,
                          denominator: Literal["takers", "enrolled"] = "takers") -> pd.DataFrame:
    """三率一分: mean score (平均分), pass rate (及格率), excellence rate (优秀率), low-score rate (低分率).

    Cuts are shares of full marks (standards.md §7, local conventions [S]; low-score cut [U]):
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


def _group_codes(df: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, int]:
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


def intraclass_correlation(df: pd.DataFrame, *, value: str, by: str | Sequence[str],
                           method: Literal["anova", "reml", "ml"] = "anova", min_groups: int = 5,
                           covariates: Sequence[str] | None = None) -> ICCResult:
    """Intraclass correlation: the share of variance between groups (校际差异, e.g. schools).

    ``method="anova"``: one-way ANOVA (method of moments) with the unbalanced-design group size
    n0 = (N − Σn_j²/N)/(J − 1): ICC(1) = (MSB − MSW)/(MSB + (n0 − 1)MSW), ICC(2) = (MSB − MSW)/MSB.

    ``method="reml"`` / ``"ml"``: the one-way random-intercept model y_ij = γ00 + u_j + e_ij,
    u_j ~ N(0, τ00), e_ij ~ N(0, σ²) (Raudenbush & Bryk 2002, ch. 4), optionally with fixed
    ``covariates`` (then τ00, σ² and the ICC are conditional on them). Fitted exactly from per-group
    sufficient statistics by maximising the profile (restricted) likelihood over the single parameter
    ρ = τ00/(τ00 + σ²) ∈ [0, 1): a grid, then ``scipy.optimize.minimize_scalar`` (bounded) around the
    best grid point, the boundary ρ = 0 always included. No iterative mixed-model solver is used, so
    there is no false "converged" flag (golden_values.md §5, case C24).

    Parameters
    ----------
    df : DataFrame, one row per student
    value : str
        Outcome column (no missing values).
    by : str or sequence of str
        Group column(s), e.g. ``"school_id"``.
    method : {"anova", "reml", "ml"}, default "anova"
    min_groups : int, default 5
        Refuse to fit with fewer groups: between-group variance is not estimable from 2–4 schools
        (case C24). Lower it only deliberately.
    covariates : sequence of str, optional
        Fixed-effect covariates (reml/ml only).

    Returns
    -------
    ICCResult

    Raises
    ------
    ValueError
        Fewer than ``min_groups`` groups (message: too few groups for a multilevel model; use school
        fixed effects or cluster-robust SEs instead); missing columns or values; no within-group
        variation; unknown method; covariates with "anova"; collinear covariates.
    """
    keys = _keys(by)
    covariates = list(covariates or [])
    if method not in ("anova", "reml", "ml"):
        raise ValueError(f"method must be 'anova', 'reml' or 'ml', got {method!r}")
    if covariates and method == "anova":
        raise ValueError("covariates are supported by method='reml' or 'ml' only")
    missing = [c for c in [value] + keys + covariates if c not in df.columns]
    if missing:
        raise ValueError(f"intraclass_correlation: missing column(s) {missing}")
    if not keys:
        raise ValueError("by= must name the group column(s)")
    y = pd.to_numeric(df[value], errors="raise").astype("float64").to_numpy(na_value=np.nan)
    if np.isnan(y).any():
        raise ValueError(f"column {value!r} has {int(np.isnan(y).sum())} missing value(s); drop absent "
                         "students explicitly before fitting")
    codes, J = _group_codes(df, keys)
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

    X = np.ones((N, 1 + len(covariates)))
    names = ["Intercept"] + covariates
    for i, c in enumerate(covariates, start=1):
        col = pd.to_numeric(df[c], errors="raise").astype("float64").to_numpy(na_value=np.nan)
        if np.isnan(col).any():
            raise ValueError(f"covariate {c!r} has {int(np.isnan(col).sum())} missing value(s)")
        X[:, i] = col
    p = X.shape[1]
    if np.linalg.matrix_rank(X) < p:
        raise ValueError(f"covariates {covariates} are collinear with each other or the intercept")
    # centre y and the covariates (a unimodular reparametrisation: the likelihood is unchanged) to avoid
    # cancellation in the sufficient statistics; the intercept is transformed back below
    y_shift = float(y.mean())
    x_shift = X[:, 1:].mean(axis=0)
    y = y - y_shift
    X[:, 1:] -= x_shift
    t = np.bincount(codes, weights=y, minlength=J)
    s = np.zeros((J, p))
    for k in range(p):
        s[:, k] = np.bincount(codes, weights=X[:, k], minlength=J)
    xtx, xty, yy = X.T @ X, X.T @ y, float(y @ y)
    reml = method == "reml"
    args = (n, s, xtx, xty, t, yy, N, p, reml)

    def negll(rho):
        return -_profile(rho, *args)[0]

    upper = 1.0 - 1e-10
    grid = np.concatenate([[0.0], np.linspace(1e-4, 0.999, 200)])
    vals = np.array([negll(r) for r in grid])
    i = int(np.argmin(vals))
    lo = grid[max(i - 1, 0)]
    hi = grid[i + 1] if i + 1 < len(grid) else upper
    best_rho, best_val = grid[i], vals[i]
    if hi > lo:
        res = optimize.minimize_scalar(negll, bounds=(lo, hi), method="bounded",
                                       options={"xatol": 1e-12, "maxiter": 500})
        if res.fun < best_val:
            best_rho, best_val = float(res.x), float(res.fun)
    ll, sigma2, lam, beta, A = _profile(best_rho, *args)
    tau = lam * sigma2
    icc = tau / (tau + sigma2)
    reliability = float(np.mean(tau / (tau + sigma2 / n)))
    cov_beta = sigma2 * np.linalg.inv(A)
    back = np.concatenate([[1.0], -x_shift])  # original intercept = β0 − Σ βk x̄k + ȳ
    beta = beta.copy()
    beta[0] = float(back @ beta) + y_shift
    cov_beta[0, 0] = float(back @ cov_beta @ back)
    return ICCResult(method=method, icc=float(icc), icc1=float("nan"), icc2=float("nan"),
                     grand_mean=float(beta[0]), tau00=float(tau), sigma2=float(sigma2),
                     reliability=reliability, loglik=float(ll), boundary=bool(tau < 1e-6 * sigma2),
                     n_groups=J, n_obs=N, se_grand_mean=float(math.sqrt(cov_beta[0, 0])),
                     fixed_effects={k: float(v) for k, v in zip(names, beta)})
