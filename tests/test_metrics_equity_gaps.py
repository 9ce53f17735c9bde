"""Ho & Reardon's V, achievement gaps with small-cell suppression, inequality tables (metrics.equity)."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from lyganalysis.metrics.equity import achievement_gaps, group_gap, inequality_table, ordinal_v, v_statistic
from lyganalysis.metrics.inequality import theil_index


def test_v_hand_worked():
    # group [1, 2, 3] vs reference [0, 1, 2]: of 9 pairs the group wins 6 and ties 2 -> AUC = (6 + 1) / 9
    out = v_statistic([1, 2, 3], [0, 1, 2])
    assert out["auc"] == pytest.approx(7 / 9)
    assert out["v"] == pytest.approx(math.sqrt(2) * stats.norm.ppf(7 / 9))
    assert out["v"] == pytest.approx(1.0814628, abs=1e-6)


def test_v_antisymmetric_and_zero_for_identical_groups():
    a, b = [3.0, 5, 8, 9], [1.0, 4, 6]
    assert v_statistic(a, b)["v"] == pytest.approx(-v_statistic(b, a)["v"])
    assert v_statistic(a, a)["v"] == pytest.approx(0.0)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 100), min_size=2, max_size=30), st.lists(st.integers(0, 100), min_size=2, max_size=30))
def test_v_invariant_to_monotone_transformations(a, b):
    a, b = np.array(a, float), np.array(b, float)
    v = v_statistic(a, b)["v"]
    for f in (np.exp, lambda x: 3 * x + 7, np.sqrt):
        v2 = v_statistic(f(a / 10), f(b / 10))["v"]
        assert (v2 == v) if math.isinf(v) else v2 == pytest.approx(v)


def test_v_equals_standardized_difference_for_normal_groups():
    rng = np.random.default_rng(7)
    a, b = rng.normal(0.5, 1, 20000), rng.normal(0, 1, 20000)
    out = v_statistic(a, b)
    assert out["v"] == pytest.approx(0.5, abs=0.03)
    assert out["v_ci_low"] < 0.5 < out["v_ci_high"]


def test_ordinal_v_recovers_binormal_parameters():
    # reference N(0,1), group N(0.6, 1.3²), cut scores −0.5 and 0.5: exact category shares
    cuts = np.array([-0.5, 0.5])
    ref = np.diff(np.r_[0, stats.norm.cdf(cuts), 1]) * 10000
    grp = np.diff(np.r_[0, stats.norm.cdf((cuts - 0.6) / 1.3), 1]) * 10000
    out = ordinal_v(grp, ref)
    assert out["mu"] == pytest.approx(0.6, abs=1e-4)
    assert out["sigma"] == pytest.approx(1.3, abs=1e-4)
    assert out["v"] == pytest.approx(0.6 / math.sqrt((1 + 1.69) / 2), abs=1e-4)
    assert out["cut_scores"] == pytest.approx([-0.5, 0.5], abs=1e-4)


def test_ordinal_v_two_categories_hand_worked():
    # 50 % of the reference and 30 % of the group below one cut: cut = 0, μ = −Φ⁻¹(0.3) = 0.5244 (σ fixed at 1)
    out = ordinal_v([30, 70], [50, 50])
    assert out["v"] == pytest.approx(-stats.norm.ppf(0.3), abs=1e-5)
    with pytest.raises(ValueError):
        ordinal_v([30, 70], [50, 50], equal_variance=False)
    with pytest.raises(ValueError):
        ordinal_v([1, 2, 3], [1, 2])


def test_ordinal_v_larger_than_tie_split_v_on_coarse_data():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0.5, 1, 5000), rng.normal(0, 1, 5000)
    cuts = [-0.5, 0.5]
    ca, cb = np.digitize(a, cuts), np.digitize(b, cuts)
    coarse = v_statistic(ca, cb)["v"]
    ml = ordinal_v(np.bincount(ca, minlength=3), np.bincount(cb, minlength=3))["v"]
    assert coarse < ml
    assert ml == pytest.approx(0.5, abs=0.06)


def test_group_gap_v_option():
    df = pd.DataFrame({"x": [0, 1, 2, 1, 2, 3.0], "g": ["r", "r", "r", "a", "a", "a"]})
    out = group_gap(df, value="x", group="g", reference="r", v_statistic=True).iloc[0]
    assert out["auc"] == pytest.approx(7 / 9)
    assert "v" not in group_gap(df, value="x", group="g", reference="r").columns
    with pytest.raises(ValueError):
        group_gap(df.assign(w=1.0), value="x", group="g", weight="w", v_statistic=True)


def _scores(n_migrant=3):
    rng = np.random.default_rng(0)
    n = 60
    df = pd.DataFrame({"grade": 6, "subject": "math", "score": rng.normal(70, 10, n), "absent": False,
                       "gender": np.where(np.arange(n) % 2, "female", "male"),
                       "migrant": np.arange(n) < n_migrant, "left_behind": np.arange(n) % 3 == 0})
    df.loc[n - 1, "absent"] = True
    df.loc[n - 1, "score"] = np.nan
    return df


def test_achievement_gaps_suppresses_small_groups_and_their_complement():
    out = achievement_gaps(_scores(3), min_cell_size=5)
    mig = out[out["variable"] == "migrant"].iloc[0]
    assert mig["suppressed"]
    assert (mig["n_display"], mig["n_reference_display"]) == ("<5", "*")
    assert math.isnan(mig["n"]) and math.isnan(mig["n_reference"])  # n + n_ref = test-takers would reveal it
    for c in ("mean", "mean_reference", "difference", "ci_low", "hedges_g", "v"):
        assert math.isnan(mig[c])
    shown = out[~out["suppressed"]]
    assert (shown["n"] >= 5).all() and (shown["n_reference"] >= 5).all()
    g = out[out["variable"] == "gender"].iloc[0]
    assert g["n"] + g["n_reference"] == 59  # the absent student is left out


def test_achievement_gaps_user_named_group_and_reference():
    df = _scores(10)
    df["boarding"] = np.arange(len(df)) % 4 == 0
    out = achievement_gaps(df, groups={"boarding": False, "migrant": False}, v_statistic=False)
    assert set(out["variable"]) == {"boarding", "migrant"}
    assert "v" not in out.columns
    b = out[out["variable"] == "boarding"].iloc[0]
    ref = group_gap(df.dropna(subset=["score"]), value="score", group="boarding", reference=False).iloc[0]
    assert b["difference"] == pytest.approx(ref["difference"])


def _schools():
    return pd.DataFrame({"county": ["A", "A", "B", "B", "B"], "x": [1.0, 2, 3, 4, 10], "y": [5.0, 5, 5, 5, 5],
                         "w": [10, 20, 30, 5, 1]})


def test_inequality_table_zero_under_equality_and_additive():
    t = inequality_table(_schools(), values=["x", "y"], weight="w", group="county")
    y = t.set_index("measure").loc["y"]
    assert y["gini"] == 0 and y["theil"] == 0 and y["theil_between"] == 0
    x = t.set_index("measure").loc["x"]
    assert x["theil_between"] + x["theil_within"] == pytest.approx(x["theil"])
    assert x["theil"] == pytest.approx(theil_index(_schools(), value="x", weight="w"))


def test_inequality_table_invariant_to_scale_and_order():
    a = inequality_table(_schools(), values=["x"], weight="w", group="county")
    s = _schools().assign(x=lambda d: d.x * 1000).iloc[::-1]
    b = inequality_table(s, values=["x"], weight="w", group="county")
    for c in ("gini", "theil", "theil_between", "theil_within", "mcloone", "range_ratio"):
        assert b[c].iloc[0] == pytest.approx(a[c].iloc[0])


# ------------------------------------------------------------------ locale_gap_table (school-level locale gaps)
def _four_schools():
    # ratios 10, 20 (urban) and 10, 6 (rural); students 100, 200, 60, 30
    return pd.DataFrame({"locale": ["urban", "urban", "rural", "rural"], "students": [100, 200, 60, 30],
                         "teachers": [10, 10, 6, 5]}).assign(ratio=lambda d: d["students"] / d["teachers"])


def test_locale_gap_table_hand_worked():
    from lyganalysis.metrics.equity import locale_gap_table

    r = locale_gap_table(_four_schools(), value="ratio", weight="students").iloc[0]
    # urban: (100·10 + 200·20)/300 = 16.667; rural: (60·10 + 30·6)/90 = 8.667
    assert (r["group"], r["reference"]) == ("rural", "urban")
    assert r["mean_reference"] == pytest.approx(50 / 3) and r["mean"] == pytest.approx(26 / 3)
    assert r["difference"] == pytest.approx(-8.0)
    assert (r["n_units"], r["n_units_reference"], r["count"], r["count_reference"]) == (2, 2, 90.0, 300.0)
    assert r["n"] == pytest.approx(1.8) and r["n_reference"] == pytest.approx(1.8)  # Kish: 300²/(100²+200²)
    # reliability-weighted variances: urban 6666.67/133.33 = 50, rural 320/40 = 8
    assert r["sd_reference"] == pytest.approx(math.sqrt(50)) and r["sd"] == pytest.approx(math.sqrt(8))
    assert r["se"] == pytest.approx(math.sqrt(58 / 1.8))
    assert r["df"] == pytest.approx(0.8 * 3364 / 2564)  # Welch–Satterthwaite on Kish n
    # pooled variance (0.8·8 + 0.8·50)/1.6 = 29, J = 1 − 3/5.4
    assert r["hedges_g"] == pytest.approx((1 - 3 / 5.4) * -8 / math.sqrt(29))
    assert not r["suppressed"] and r["count_display"] == "90" and r["count_reference_display"] == "300"


def test_locale_gap_table_reference_town_without_urban_and_too_few_locales():
    from lyganalysis.metrics.equity import locale_gap_table

    d = _four_schools().assign(locale=["town", "town", "rural", "rural"])
    r = locale_gap_table(d, value="ratio", weight="students")
    assert list(r["group"]) == ["rural"] and list(r["reference"]) == ["town"]
    assert r["difference"].iloc[0] == pytest.approx(-8.0)
    assert locale_gap_table(d.assign(locale="rural"), value="ratio", weight="students").empty
    # rows with a missing value or zero weight are left out
    d2 = pd.concat([_four_schools(), pd.DataFrame({"locale": ["rural", "urban"], "students": [0, 50],
                                                   "teachers": [3, 0], "ratio": [5.0, float("nan")]})])
    r2 = locale_gap_table(d2, value="ratio", weight="students").iloc[0]
    assert (r2["n_units"], r2["n_units_reference"]) == (2, 2) and r2["difference"] == pytest.approx(-8.0)
    with pytest.raises(ValueError):
        locale_gap_table(d.assign(locale="city"), value="ratio")


def test_locale_gap_table_withholds_small_groups_with_a_complement():
    from lyganalysis.metrics.equity import locale_gap_table

    d = pd.DataFrame({"locale": ["urban"] * 3 + ["town"] * 2 + ["rural"] * 3,
                      "students": [100, 120, 80, 20, 30, 40, 30, 20], "x": [1.0, 2, 3, 4, 5, 6, 7, 8]})
    out = locale_gap_table(d, value="x", weight="students", min_cell_size=80).set_index("group")
    # town has 50 students (< 80): withheld, its reference count too ('*'), everywhere
    assert out.loc["town", "suppressed"] and math.isnan(out.loc["town", "difference"])
    assert out.loc["town", "count_display"] == "<80" and out.loc["town", "count_reference_display"] == "*"
    assert math.isnan(out.loc["town", "count"]) and math.isnan(out.loc["rural", "count_reference"])
    assert not out.loc["rural", "suppressed"] and out.loc["rural", "count_display"] == "90"
    assert out.loc["rural", "count_reference_display"] == "*" and not math.isnan(out.loc["rural", "difference"])
    # the reference alone is small: the smallest other locale's count is withheld with it
    d2 = d.assign(students=[10, 20, 10, 60, 70, 40, 30, 20])  # urban 40, town 130, rural 90
    out2 = locale_gap_table(d2, value="x", weight="students", min_cell_size=50).set_index("group")
    assert out2["suppressed"].all()
    assert out2.loc["rural", "count_display"] == "*" and out2.loc["town", "count_display"] == "130"
    assert set(out2["count_reference_display"]) == {"<50"}
    with pytest.raises(ValueError):
        locale_gap_table(d, value="x", min_cell_size=0)
