"""Value-added (增值评价): school effects on attainment given prior attainment.

National policy asks for value-added evaluation (《深化新时代教育评价改革总体方案》, 2020) without an
official formula; the method used here is a random-intercept model of the outcome
on prior attainment (and optional student covariates), school effects as shrunken estimates (EBLUP)
with intervals, and the plain mean-residual version beside it.

Model (Raudenbush & Bryk 2002, *Hierarchical Linear Models*, 2nd ed., ch. 4–5; Goldstein 2011,
*Multilevel Statistical Models*, 4th ed., ch. 2)::

    y_ij = β0 + β1·prior_ij + Σ βk·x_kij + u_j + e_ij,   u_j ~ N(0, τ00),  e_ij ~ N(0, σ²)

fitted exactly (REML or ML) from per-school sufficient statistics with a one-dimensional optimisation
over ρ = τ00/(τ00 + σ²) — see :func:`lyganalysis.metrics.academic.fit_random_intercept`. Statsmodels'
iterative MixedLM is kept as an independent check (:func:`fit_random_intercept_statsmodels`), run with
several optimizers keeping the best likelihood (an iterative solver may stop short of the optimum while
reporting convergence).

Keywords follow the metrics convention: ``value=`` is the outcome, ``cluster=`` the school (clustering
factor); the old names ``outcome=`` and ``by=`` (and ``group=`` of the statsmodels check) keep working for
one release with a ``DeprecationWarning``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from lyganalysis.metrics.academic import (
    check_full_rank,
    cluster_keyword,
    column_list,
    fit_random_intercept,
    group_codes,
)

__all__ = ["value_added", "ValueAddedResult", "fit_random_intercept_statsmodels", "StatsmodelsFit"]


@dataclass(frozen=True)
class ValueAddedResult:
    """Result of :func:`value_added` (增值评价).

    Attributes
    ----------
    schools : DataFrame, one row per school
        See :meth:`to_frame`.
    method : {"reml", "ml"}
    outcome, prior : str
        Outcome (the ``value=`` column) and prior-attainment columns.
    covariates : tuple of str
        Further student covariates (besides ``prior``).
    by : tuple of str
        School key column(s) (the ``cluster=`` argument; also available as :attr:`cluster`).
    fixed_effects, fixed_effects_se : dict of str → float
        GLS coefficients (``"Intercept"``, ``prior``, covariates) and standard errors (model-based,
        τ00 and σ² treated as known).
    tau00, sigma2 : float
        Between-school and residual (within-school) variance, points², conditional on the covariates.
    icc : float
        τ00/(τ00 + σ²), the residual between-school share.
    loglik : float
        Maximised (restricted) log-likelihood with all constants (comparable with statsmodels ``llf``
        and lme4 ``logLik``).
    converged : bool
        The bounded 1-D optimiser met its tolerance (the grid scan guarantees the global optimum over
        ρ to grid resolution, so there is no false "converged" flag of an iterative solver).
    boundary : bool
        τ00 < 1e-6 σ²: no detectable between-school variance; all shrunken effects are then ≈ 0.
    optimizer : str
    n_obs, n_schools : int
        Rows and schools used in the fit.
    n_excluded : dict of str → int
        Rows left out, by reason: ``"absent"`` (marked absent), ``"missing_outcome"``,
        ``"missing_prior"``, ``"missing_covariate"`` (first matching reason counts). Never silent.
    n_schools_excluded : int
        Schools all of whose rows were left out (they have no row in ``schools``).
    confidence : float
        Level of the intervals.
    """

    schools: pd.DataFrame = field(repr=False)
    method: str
    outcome: str
    prior: str
    covariates: tuple
    by: tuple
    fixed_effects: dict
    fixed_effects_se: dict
    tau00: float
    sigma2: float
    icc: float
    loglik: float
    converged: bool
    boundary: bool
    optimizer: str
    n_obs: int
    n_schools: int
    n_excluded: dict
    n_schools_excluded: int
    confidence: float

    @property
    def cluster(self) -> tuple:
        """School key column(s) (the ``cluster=`` argument)."""
        return self.by

    @property
    def value(self) -> str:
        """The outcome column (the ``value=`` argument)."""
        return self.outcome

    @property
    def n_excluded_total(self) -> int:
        """Total rows left out of the fit."""
        return int(sum(self.n_excluded.values()))

    def to_frame(self) -> pd.DataFrame:
        """Per-school table (copy), one row per school, sorted by the school key.

        Columns: the ``by`` key(s); ``n`` (int64, students in the fit); ``raw_mean`` (mean outcome,
        points); ``mean_prior`` (mean prior score); ``mean_residual`` — the plain value-added: mean over
        the school's students of the residual from the pooled OLS regression of the outcome on prior
        (+ covariates), ignoring schools (no interval: its naive SE ignores clustering);
        ``raw_effect`` = ȳ_j − x̄_j'β̂ (unshrunken, with the mixed-model β̂); ``reliability`` =
        λ_j = τ00/(τ00 + σ²/n_j); ``effect`` = λ_j·raw_effect, the shrunken school effect (EBLUP,
        points); ``effect_se`` = sqrt of the comparative (prediction-error) variance
        Var(û_j − u_j) = τ00(1 − λ_j) + λ_j² x̄_j' Cov(β̂) x̄_j (Henderson 1975; Goldstein 2011 §2.3;
        Raudenbush & Bryk 2002 §3.7 — the posterior variance of u_j given the data with β integrated
        out under a flat prior, variance components plugged in); ``effect_se_beta_known`` =
        sqrt(τ00(1 − λ_j)), the conditional variance with β fixed at β̂ (what lme4's ``condVar``
        reports); ``effect_lower, effect_upper`` = effect ∓ z·effect_se at ``confidence``.
        The intervals do not include the uncertainty of τ00 and σ² (plug-in), so they are slightly
        narrow for few schools.
        """
        return self.schools.copy()

    def summary_frame(self) -> pd.DataFrame:
        """One-row DataFrame of the model-level scalars (fixed effects as ``beta_<name>``/``se_<name>``,
        exclusions as ``excluded_<reason>``)."""
        d = asdict(self)
        d.pop("schools")
        fe, se, ex = d.pop("fixed_effects"), d.pop("fixed_effects_se"), d.pop("n_excluded")
        d["covariates"] = ",".join(d["covariates"])
        d["by"] = ",".join(d["by"])
        for k, v in fe.items():
            d[f"beta_{k}"] = v
        for k, v in se.items():
            d[f"se_{k}"] = v
        for k, v in ex.items():
            d[f"excluded_{k}"] = v
        d["n_excluded_total"] = self.n_excluded_total
        return pd.DataFrame([d])


def _float_col(df: pd.DataFrame, col: str) -> np.ndarray:
    return pd.to_numeric(df[col], errors="raise").astype("float64").to_numpy(na_value=np.nan)


def value_added(scores: pd.DataFrame, *, value: str | None = None, prior: str = "prior_score",
                cluster: str | Sequence[str] | None = None, covariates: Sequence[str] = (),
                absent: str | None = "absent", min_groups: int = 5,
                method: Literal["reml", "ml"] = "reml", confidence: float = 0.95,
                single: Sequence[str] = ("exam", "subject"), outcome: str | None = None,
                by: str | Sequence[str] | None = None) -> ValueAddedResult:
    """增值评价: school value-added from a random-intercept model on prior attainment.

    Fits ``outcome ~ 1 + prior + covariates + (1 | school)`` exactly by REML (default) or ML from
    per-school sufficient statistics (counts, sums, X'X, X'y) with a one-dimensional optimisation over
    the variance ratio and β by GLS at each ratio (no iterative mixed-model solver). School effects are
    the empirical Bayes (EBLUP) shrunken residuals with intervals from the comparative variance; the
    plain mean OLS residual is given beside them (see :meth:`ValueAddedResult.to_frame`).

    Parameters
    ----------
    scores : DataFrame, one row per student (of ONE exam and subject)
        E.g. the ``scores`` table filtered to one exam and subject.
    value : str, default "score"
        The outcome column (this year's score).
    prior : str, default "prior_score"
        Prior attainment (same subject, previous year).
    cluster : str or sequence of str, default "school_id"
        The school key (clustering factor).
    covariates : sequence of str, default ()
        Further numeric (or boolean) student covariates, e.g. ``("migrant", "left_behind")``.
    absent : str or None, default "absent"
        Boolean column; absent rows are left out (and counted). None if there is no such column.
    min_groups : int, default 5
        Refuse with fewer schools (between-school variance is not estimable from 2–4 schools).
    method : {"reml", "ml"}, default "reml"
    confidence : float in (0, 1), default 0.95
    single : sequence of str, default ("exam", "subject")
        Columns that, when present, must hold a single value: value-added pooled over exams or subjects
        is meaningless. Pass ``()`` to skip the check.
    outcome, by : str, optional
        Deprecated old names of ``value`` and ``cluster`` (one release, ``DeprecationWarning``).

    Returns
    -------
    ValueAddedResult

    Raises
    ------
    ValueError
        Missing columns; the prior column missing or entirely empty (no prior scores: value-added cannot
        be computed); fewer than ``min_groups`` schools after exclusions; mixed exams or subjects;
        collinear or constant covariates; no within-school variation; bad ``method``/``confidence``;
        a keyword given under both its new and its old name.

    Notes
    -----
    Rows are left out, with a count per reason in ``n_excluded``, when absent, without an outcome,
    without a prior score or without a covariate value. Source of the model and the shrinkage:
    Raudenbush & Bryk (2002) ch. 3–5; comparative variance: Goldstein (2011) §2.3 and Henderson (1975).
    """
    if outcome is not None:
        if value is not None:
            raise ValueError("value_added: give the outcome once, as value= (outcome= is its old name)")
        warnings.warn("value_added(outcome=...) is deprecated: the outcome is now value=; outcome= will be "
                      "removed in the next release", DeprecationWarning, stacklevel=2)
        value = outcome
    outcome = "score" if value is None else value
    if cluster is None and by is None:
        cluster = "school_id"
    keys = column_list(cluster_keyword(cluster, by, function="value_added"))
    covariates = list(covariates)
    if method not in ("reml", "ml"):
        raise ValueError(f"method must be 'reml' or 'ml', got {method!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    if not keys:
        raise ValueError("cluster= must name the school column(s)")
    if prior not in scores.columns:
        raise ValueError(f"no prior scores: column {prior!r} is missing. Value-added needs prior attainment "
                         "(same subject, previous year); report attainment (三率一分) instead")
    cols = keys + [outcome] + covariates + ([absent] if absent else [])
    missing = [c for c in cols if c not in scores.columns]
    if missing:
        raise ValueError(f"value_added: missing column(s) {missing}")
    for c in single:
        if c in scores.columns and scores[c].nunique(dropna=False) > 1:
            raise ValueError(f"column {c!r} holds {scores[c].nunique(dropna=False)} values: fit value-added "
                             f"for one exam and subject at a time (filter the table, or pass single=())")
    pr = _float_col(scores, prior)
    if np.isnan(pr).all():
        raise ValueError(f"no prior scores: column {prior!r} is empty in all {len(scores)} row(s). Value-added "
                         "needs prior attainment; report attainment (三率一分) instead")
    y = _float_col(scores, outcome)
    drop = np.zeros(len(scores), dtype=bool)
    n_excluded: dict[str, int] = {}
    if absent:
        ab = scores[absent]
        if ab.isna().any():
            raise ValueError(f"column {absent!r} has {int(ab.isna().sum())} missing value(s)")
        m = ab.to_numpy(dtype=bool)
        n_excluded["absent"] = int(m.sum())
        drop |= m
    m = ~drop & np.isnan(y)
    n_excluded["missing_outcome"] = int(m.sum())
    drop |= m
    m = ~drop & np.isnan(pr)
    n_excluded["missing_prior"] = int(m.sum())
    drop |= m
    cov_arrays = {c: _float_col(scores, c) for c in covariates}
    m = ~drop & np.any([np.isnan(a) for a in cov_arrays.values()], axis=0) if covariates \
        else np.zeros(len(scores), dtype=bool)
    n_excluded["missing_covariate"] = int(m.sum())
    drop |= m
    keep = ~drop
    all_codes, J_all = group_codes(scores, keys)
    codes_kept, uniques = pd.factorize(all_codes[keep])
    J = len(uniques)
    n_schools_excluded = J_all - J
    N = int(keep.sum())
    if J < min_groups:
        raise ValueError(f"too few schools for value-added: {J} school(s) with usable rows (min_groups="
                         f"{min_groups}; {sum(n_excluded.values())} row(s) excluded). Between-school variance "
                         "cannot be estimated reliably; report attainment (三率一分) instead, or pass a smaller "
                         "min_groups deliberately")
    yk = y[keep]
    X = np.ones((N, 2 + len(covariates)))
    X[:, 1] = pr[keep]
    for i, c in enumerate(covariates, start=2):
        X[:, i] = cov_arrays[c][keep]
    names = ["Intercept", prior] + covariates
    check_full_rank(X, names[1:])
    n = np.bincount(codes_kept, minlength=J).astype("float64")
    ybar = np.bincount(codes_kept, weights=yk, minlength=J) / n
    if N - J <= 0 or float(np.sum((yk - ybar[codes_kept]) ** 2)) <= 0:
        raise ValueError("no within-school variation in the outcome: value-added is undefined")
    fit = fit_random_intercept(yk, X, codes_kept, J, reml=method == "reml")

    # plain version: pooled OLS residual, averaged per school
    xtx = X.T @ X
    beta_ols = np.linalg.solve(xtx, X.T @ yk)
    resid_ols = yk - X @ beta_ols
    mean_resid = np.bincount(codes_kept, weights=resid_ols, minlength=J) / n
    mean_prior = np.bincount(codes_kept, weights=X[:, 1], minlength=J) / n

    lam = fit.shrinkage
    effect = lam * fit.group_resid
    var_known = fit.tau00 * (1.0 - lam)
    quad = np.einsum("ij,jk,ik->i", fit.xbar_c, fit.cov_beta_c, fit.xbar_c)
    var_comp = var_known + lam ** 2 * quad
    zq = float(stats.norm.ppf(0.5 + confidence / 2))
    se = np.sqrt(np.maximum(var_comp, 0.0))

    _, first_pos = np.unique(codes_kept, return_index=True)  # first kept row of each school (codes 0..J-1)
    first = np.flatnonzero(keep)[first_pos]
    table = scores.iloc[first][keys].reset_index(drop=True)
    table["n"] = n.astype("int64")
    table["raw_mean"] = ybar
    table["mean_prior"] = mean_prior
    table["mean_residual"] = mean_resid
    table["raw_effect"] = fit.group_resid
    table["reliability"] = lam
    table["effect"] = effect
    table["effect_se"] = se
    table["effect_se_beta_known"] = np.sqrt(np.maximum(var_known, 0.0))
    table["effect_lower"] = effect - zq * se
    table["effect_upper"] = effect + zq * se
    table = table.sort_values(keys, kind="stable").reset_index(drop=True)
    se_beta = np.sqrt(np.diag(fit.cov_beta))
    return ValueAddedResult(
        schools=table, method=method, outcome=outcome, prior=prior, covariates=tuple(covariates),
        by=tuple(keys), fixed_effects={k: float(v) for k, v in zip(names, fit.beta)},
        fixed_effects_se={k: float(v) for k, v in zip(names, se_beta)}, tau00=fit.tau00, sigma2=fit.sigma2,
        icc=fit.icc, loglik=fit.loglik, converged=fit.converged, boundary=fit.boundary,
        optimizer=fit.optimizer, n_obs=N, n_schools=J, n_excluded=n_excluded,
        n_schools_excluded=int(n_schools_excluded), confidence=float(confidence))


# ---------------------------------------------------------------------------------------------
# Independent implementation: statsmodels MixedLM with several optimizers

@dataclass(frozen=True)
class StatsmodelsFit:
    """Best of several statsmodels MixedLM fits of the same random-intercept model.

    Attributes
    ----------
    optimizer : str
        The optimizer whose fit had the highest log-likelihood.
    loglik : float
        Its log-likelihood (``llf``; REML or ML as requested).
    fixed_effects : dict of str → float
    tau00, sigma2 : float
    converged : bool
        statsmodels' own flag for the best fit (not trusted alone: it can report convergence short of the
        optimum).
    boundary : bool
        τ00 < 1e-6 σ² (or statsmodels warned that the fit is on the boundary).
    attempts : DataFrame
        One row per optimizer: ``optimizer, loglik, converged, tau00, sigma2, warnings, error``.
    """

    optimizer: str
    loglik: float
    fixed_effects: dict
    tau00: float
    sigma2: float
    converged: bool
    boundary: bool
    attempts: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The per-optimizer attempts (copy)."""
        return self.attempts.copy()


def fit_random_intercept_statsmodels(df: pd.DataFrame, *, value: str | None = None, cluster: str | None = None,
                                     covariates: Sequence[str] = (), reml: bool = True,
                                     optimizers: Sequence[str] = ("lbfgs", "bfgs", "powell", "nm"),
                                     outcome: str | None = None, group: str | None = None,
                                     ) -> StatsmodelsFit:
    """Fit ``outcome ~ covariates + (1 | group)`` with statsmodels MixedLM, one fit per optimizer.

    Keeps the fit with the best log-likelihood, records every attempt's convergence flag and warnings
    (e.g. ``ConvergenceWarning``, boundary warnings) and any error. A reference for
    :func:`value_added` and for richer models: statsmodels may stop short of the optimum while reporting
    ``converged=True``, so several optimizers are compared.

    Parameters
    ----------
    df : DataFrame, one row per student (no missing values in the used columns)
    value, cluster : str
        Outcome and clustering-factor columns (``outcome=`` and ``group=`` are their deprecated old names).
    covariates : sequence of str
    reml : bool, default True
    optimizers : sequence of str
        Passed to ``MixedLM.fit(method=...)``.

    Returns
    -------
    StatsmodelsFit

    Raises
    ------
    ValueError
        Missing columns; every optimizer failed.
    """
    from statsmodels.regression.mixed_linear_model import MixedLM

    if outcome is not None:
        if value is not None:
            raise ValueError("give the outcome once, as value= (outcome= is its old name)")
        warnings.warn("fit_random_intercept_statsmodels(outcome=...) is deprecated: use value=",
                      DeprecationWarning, stacklevel=2)
        value = outcome
    if group is not None:
        if cluster is not None:
            raise ValueError("give the clustering factor once, as cluster= (group= is its old name)")
        warnings.warn("fit_random_intercept_statsmodels(group=...) is deprecated: use cluster=",
                      DeprecationWarning, stacklevel=2)
        cluster = group
    if value is None or cluster is None:
        raise ValueError("fit_random_intercept_statsmodels needs value= and cluster=")
    outcome, group = value, cluster
    covariates = list(covariates)
    missing = [c for c in [outcome, group] + covariates if c not in df.columns]
    if missing:
        raise ValueError(f"fit_random_intercept_statsmodels: missing column(s) {missing}")
    y = _float_col(df, outcome)
    names = ["Intercept"] + covariates
    X = pd.DataFrame(np.column_stack([np.ones(len(df))] + [_float_col(df, c) for c in covariates]), columns=names)
    model = MixedLM(pd.Series(y, name=outcome), X, groups=df[group].to_numpy())
    rows, best = [], None
    for opt in optimizers:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = model.fit(reml=reml, method=opt)
                err = ""
            except Exception as exc:  # a failing optimizer is recorded, the others still count
                res, err = None, f"{type(exc).__name__}: {exc}"
        msgs = "; ".join(sorted({f"{w.category.__name__}: {w.message}" for w in caught}))
        if res is None or not np.isfinite(res.llf):
            # e.g. HSB MathAch ~ SES (REML), method="lbfgs": llf = +inf, τ00 = 0 and converged=True
            flag = bool(res.converged) if res is not None else False
            rows.append(dict(optimizer=opt, loglik=np.nan, converged=flag, tau00=np.nan, sigma2=np.nan,
                             warnings=msgs, error=err or f"non-finite log-likelihood {res.llf} (statsmodels "
                             f"reported converged={flag}); attempt discarded"))
            continue
        rows.append(dict(optimizer=opt, loglik=float(res.llf), converged=bool(res.converged),
                         tau00=float(res.cov_re.iloc[0, 0]), sigma2=float(res.scale), warnings=msgs, error=""))
        if best is None or res.llf > best[1].llf:
            best = (opt, res, msgs)
    attempts = pd.DataFrame(rows)
    if best is None:
        raise ValueError(f"every optimizer failed: {attempts[['optimizer', 'error']].to_dict('records')}")
    opt, res, msgs = best
    tau, s2 = float(res.cov_re.iloc[0, 0]), float(res.scale)
    return StatsmodelsFit(optimizer=opt, loglik=float(res.llf),
                          fixed_effects={k: float(v) for k, v in zip(names, np.asarray(res.fe_params))},
                          tau00=tau, sigma2=s2, converged=bool(res.converged),
                          boundary=bool(tau < 1e-6 * s2 or "boundary" in msgs.lower()), attempts=attempts)
