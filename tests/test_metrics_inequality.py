"""Inequality indices (lyganalysis.metrics.inequality): Gini, Theil T (+ decomposition), McLoone, range ratio.

Reference implementation: PySAL ``inequality`` 1.1.x (installed in the venv for the tests only; the
library does not import it). Its definitions, read from ``.venv/lib/python3.11/site-packages/
inequality/``:

* ``inequality.gini.Gini(x).g`` = (Σ 2i·x_(i) − nΣx − Σx) / (nΣx) — the plain (population) Gini, the
  mean absolute difference over twice the mean, no n/(n−1) correction.
* ``inequality.theil.Theil(y).T`` = Σ s_i ln(n s_i), s_i = y_i/Σy, with zeros replaced by the smallest
  positive float (so 0·ln 0 → ≈ 0, as our convention).
* ``inequality.theil.TheilD(y, partition)``: ``bg`` = Σ_g S_g ln(S_g n/n_g), ``wg`` = T − bg.

These are equal-weight (one row = one unit) definitions; the weighted versions are checked against
expansion (integer weights → ``np.repeat``) and hand-worked cases.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from inequality.gini import Gini
from inequality.theil import Theil, TheilD

from lyganalysis.metrics.inequality import (
    TheilDecomposition,
    gini_coefficient,
    mcloone_index,
    range_ratio,
    theil_index,
)

INDICES = [gini_coefficient, theil_index, mcloone_index, range_ratio]


def _frame(values, weights=None, groups=None) -> pd.DataFrame:
    d = {"x": np.asarray(values, dtype="float64")}
    if weights is not None:
        d["w"] = np.asarray(weights)
    if groups is not None:
        d["g"] = list(groups)
    return pd.DataFrame(d)


@pytest.fixture(scope="module")
def schools() -> pd.DataFrame:
    """Simulated school-level data: skewed per-student resources, students, county and locale."""
    rng = np.random.default_rng(20220901)
    n = 240
    df = pd.DataFrame({
        "county": rng.choice(["海州区", "连云区", "赣榆区", "东海县"], size=n),
        "locale": rng.choice(["urban", "town", "rural"], size=n, p=[0.3, 0.3, 0.4]),
        "students": rng.integers(0, 1500, size=n),
        "equipment_value_per_student": rng.lognormal(mean=7.5, sigma=0.6, size=n),
    })
    df.loc[[3, 77, 150], "equipment_value_per_student"] = 0.0  # zeros are allowed
    df["students"] = df["students"].astype("Int64")
    return df


# --------------------------------------------------------------------------------------------------
# hand-worked cases
# --------------------------------------------------------------------------------------------------

def test_hand_worked_equal_weights():
    # values [1, 2, 3, 4], weights [1, 1, 1, 1]; mean μ = 2.5.
    # Gini: Σ_i Σ_j |x_i − x_j| = 2·(1+2+3 + 1+2 + 1) = 20; G = 20 / (2 · 4² · 2.5) = 20/80 = 0.25.
    # Theil: x/μ = 0.4, 0.8, 1.2, 1.6; T = ¼ Σ (x/μ) ln(x/μ)
    #        = ¼ (0.4 ln 0.4 + 0.8 ln 0.8 + 1.2 ln 1.2 + 1.6 ln 1.6) = ¼ · 0.4257608… = 0.1064402…
    # McLoone: median 2.5; values ≤ median: 1, 2 → (1+2)/(2.5·2) = 0.6.
    # Range ratio: cumulative shares .25 .5 .75 1 → Q(.95) = 4, Q(.05) = 1 → 4.
    df = _frame([1, 2, 3, 4], [1, 1, 1, 1])
    theil_hand = 0.25 * (0.4 * math.log(0.4) + 0.8 * math.log(0.8) + 1.2 * math.log(1.2)
                         + 1.6 * math.log(1.6))
    for weight in (None, "w"):
        assert gini_coefficient(df, value="x", weight=weight) == pytest.approx(0.25, abs=1e-15)
        assert theil_index(df, value="x", weight=weight) == pytest.approx(theil_hand, abs=1e-15)
        assert theil_hand == pytest.approx(0.1064402, abs=1e-7)
        assert mcloone_index(df, value="x", weight=weight) == pytest.approx(0.6, abs=1e-15)
        assert range_ratio(df, value="x", weight=weight) == 4.0


def test_hand_worked_weighted():
    # values [1, 3], weights [3, 1] = students [1, 1, 1, 3]; μ = 6/4 = 1.5.
    # Gini: only the 3·1 pairs (1, 3) differ, both orders: Σ w_i w_j |x_i − x_j| = 2·3·2 = 12;
    #       G = 12 / (2 · 4² · 1.5) = 12/48 = 0.25.
    # Theil: x/μ = 2/3 and 2; T = ¾·(2/3) ln(2/3) + ¼·2 ln 2 = ½ ln(2/3) + ½ ln 2 = ½ ln(4/3) = 0.1438410…
    # McLoone: weighted median of [1, 1, 1, 3] = 1; values ≤ 1: three students at 1 → 3/(1·3) = 1.
    # Range ratio: cumulative shares .75, 1 → Q(.95) = 3, Q(.05) = 1 → 3.
    df = _frame([1, 3], [3, 1])
    assert gini_coefficient(df, value="x", weight="w") == pytest.approx(0.25, abs=1e-15)
    assert theil_index(df, value="x", weight="w") == pytest.approx(0.5 * math.log(4 / 3), abs=1e-15)
    assert mcloone_index(df, value="x", weight="w") == pytest.approx(1.0, abs=1e-15)
    assert range_ratio(df, value="x", weight="w") == 3.0
    # the weights matter: unweighted [1, 3] has G = 2·2/(2·4·2) = 0.25 too, but T = ½(½ ln ½ + 3/2 ln 3/2)
    assert theil_index(df, value="x") == pytest.approx(
        0.5 * (0.5 * math.log(0.5) + 1.5 * math.log(1.5)), abs=1e-15)


def test_hand_worked_decomposition():
    # A = [1, 2], B = [3, 4], unweighted; μ = 2.5, P_A = P_B = ½, S_A = 3/10, S_B = 7/10,
    # μ_A = 1.5, μ_B = 3.5.
    # between = S_A ln(μ_A/μ) + S_B ln(μ_B/μ) = 0.3 ln 0.6 + 0.7 ln 1.4
    # T_A = ½ (⅔ ln ⅔ + 4/3 ln 4/3),  T_B = ½ (6/7 ln 6/7 + 8/7 ln 8/7);  within = 0.3 T_A + 0.7 T_B
    df = _frame([1, 2, 3, 4], groups=["A", "A", "B", "B"])
    d = theil_index(df, value="x", group="g")
    assert isinstance(d, TheilDecomposition)
    between = 0.3 * math.log(0.6) + 0.7 * math.log(1.4)
    t_a = 0.5 * (2 / 3 * math.log(2 / 3) + 4 / 3 * math.log(4 / 3))
    t_b = 0.5 * (6 / 7 * math.log(6 / 7) + 8 / 7 * math.log(8 / 7))
    assert d.between == pytest.approx(between, abs=1e-15)
    assert d.within == pytest.approx(0.3 * t_a + 0.7 * t_b, abs=1e-15)
    assert d.total == pytest.approx(theil_index(df, value="x"), abs=1e-15)
    g = d.groups.set_index("g")
    assert g.loc["A", "population_share"] == 0.5
    assert g.loc["B", "income_share"] == pytest.approx(0.7, abs=1e-15)
    assert g.loc["A", "mean"] == 1.5
    assert g.loc["B", "theil_index"] == pytest.approx(t_b, abs=1e-15)
    assert g["contribution"].sum() == pytest.approx(d.total, abs=1e-15)
    f = d.to_frame()
    assert f["component"].tolist() == ["between", "within", "total"]
    assert f["share"].iloc[0] + f["share"].iloc[1] == pytest.approx(1.0, abs=1e-15)


# --------------------------------------------------------------------------------------------------
# reference implementation (PySAL inequality), equal weights
# --------------------------------------------------------------------------------------------------

def test_gini_matches_pysal(schools):
    x = schools["equipment_value_per_student"].to_numpy()
    ref = Gini(x).g  # inequality.gini.Gini, see module docstring
    assert gini_coefficient(schools, value="equipment_value_per_student") == pytest.approx(ref, rel=1e-12)
    # an explicit column of equal weights gives the same
    df = schools.assign(one=7)
    assert gini_coefficient(df, value="equipment_value_per_student", weight="one") == pytest.approx(
        ref, rel=1e-12)


def test_theil_matches_pysal(schools):
    x = schools["equipment_value_per_student"].to_numpy()
    ref = float(Theil(x).T)  # inequality.theil.Theil (zeros → tiny; differs from 0·ln 0 by < 1e-300)
    assert theil_index(schools, value="equipment_value_per_student") == pytest.approx(ref, rel=1e-12)


@pytest.mark.parametrize("by", ["county", "locale"])
def test_theil_decomposition_matches_pysal(schools, by):
    x = schools["equipment_value_per_student"].to_numpy()
    ref = TheilD(x, schools[by].to_numpy())  # inequality.theil.TheilD: bg, wg = T − bg
    d = theil_index(schools, value="equipment_value_per_student", group=by)
    assert d.between == pytest.approx(float(np.ravel(ref.bg)[0]), rel=1e-12)
    assert d.within == pytest.approx(float(np.ravel(ref.wg)[0]), rel=1e-12)
    assert d.total == pytest.approx(float(np.ravel(ref.T)[0]), rel=1e-12)


def test_library_does_not_import_pysal():
    import lyganalysis.metrics.inequality as mod

    src = Path(mod.__file__).read_text(encoding="utf-8")
    assert "import inequality" not in src and "from inequality" not in src


# --------------------------------------------------------------------------------------------------
# weighted versions: expansion (integer weights → np.repeat)
# --------------------------------------------------------------------------------------------------

def _expanded(df, value, weight):
    return pd.DataFrame({value: np.repeat(df[value].to_numpy(dtype="float64"),
                                          df[weight].to_numpy(dtype="int64"))})


@pytest.mark.parametrize("func", INDICES)
def test_weighted_equals_expanded(schools, func):
    v, w = "equipment_value_per_student", "students"
    expanded = _expanded(schools, v, w)
    assert func(schools, value=v, weight=w) == pytest.approx(func(expanded, value=v), rel=1e-10)


def test_weighted_gini_against_pairwise_definition(schools):
    # Direct O(n²) double sum Σ Σ w_i w_j |x_i − x_j| / (2 W² μ) (Cowell 2011, A.2)
    x = schools["equipment_value_per_student"].to_numpy()
    w = schools["students"].to_numpy(dtype="float64")
    mu = np.sum(w * x) / np.sum(w)
    ref = np.sum(np.outer(w, w) * np.abs(x[:, None] - x[None, :])) / (2 * np.sum(w) ** 2 * mu)
    assert gini_coefficient(schools, value="equipment_value_per_student",
                            weight="students") == pytest.approx(ref, rel=1e-12)


def test_weighted_decomposition_equals_expanded(schools):
    v, w = "equipment_value_per_student", "students"
    expanded = pd.DataFrame({v: np.repeat(schools[v].to_numpy(), schools[w].to_numpy(dtype="int64")),
                             "county": np.repeat(schools["county"].to_numpy(),
                                                 schools[w].to_numpy(dtype="int64"))})
    d = theil_index(schools, value=v, weight=w, group="county")
    e = theil_index(expanded, value=v, group="county")
    assert d.between == pytest.approx(e.between, rel=1e-10)
    assert d.within == pytest.approx(e.within, rel=1e-10)
    pd.testing.assert_series_equal(d.groups["population"], e.groups["population"], check_dtype=False)
    ref = TheilD(expanded[v].to_numpy(), expanded["county"].to_numpy())
    assert d.between == pytest.approx(float(np.ravel(ref.bg)[0]), rel=1e-10)


def test_weighted_percentiles_match_numpy(schools):
    v, w = "equipment_value_per_student", "students"
    x = schools[v].to_numpy()
    wt = schools[w].to_numpy(dtype="float64")
    q = np.quantile(x, [0.9, 0.1], method="inverted_cdf", weights=wt)
    assert range_ratio(schools, value=v, weight=w, upper=0.9, lower=0.1) == pytest.approx(
        q[0] / q[1], rel=1e-15)
    e = np.repeat(x, schools[w].to_numpy(dtype="int64"))
    qe = np.quantile(e, [0.95, 0.05], method="inverted_cdf")
    assert range_ratio(schools, value=v, weight=w) == pytest.approx(qe[0] / qe[1], rel=1e-15)


def test_weighted_median_matches_expanded_median():
    # McLoone's median: np.median of the expanded data (even total weight → average of the middle two)
    df = _frame([10, 20, 30, 40], [2, 2, 3, 1])  # expanded: 10 10 20 20 | 30 30 30 40 → median 25
    # values ≤ 25: 10, 10, 20, 20 → 60 / (25 · 4) = 0.6
    assert mcloone_index(df, value="x", weight="w") == pytest.approx(0.6, abs=1e-15)
    df = _frame([10, 20, 30], [2, 3, 2])  # expanded 10 10 20 20 20 30 30 → median 20
    # values ≤ 20: 2·10 + 3·20 = 80 over 20 · 5 = 100 → 0.8
    assert mcloone_index(df, value="x", weight="w") == pytest.approx(0.8, abs=1e-15)


@pytest.mark.parametrize("func", INDICES)
def test_zero_weight_rows_carry_no_weight(schools, func):
    v, w = "equipment_value_per_student", "students"
    extra = pd.DataFrame({"county": ["海州区"] * 3, "locale": ["urban"] * 3,
                          "students": pd.array([0, 0, 0], dtype="Int64"),
                          v: [1e9, 0.0, 5.0]})
    more = pd.concat([schools, extra], ignore_index=True)
    assert func(more, value=v, weight=w) == pytest.approx(func(schools, value=v, weight=w), rel=1e-12)


def test_group_with_only_zero_weight_rows_is_left_out():
    df = _frame([1, 2, 3, 4, 9], [1, 1, 1, 1, 0], groups=["A", "A", "B", "B", "C"])
    d = theil_index(df, value="x", weight="w", group="g")
    assert d.groups["g"].tolist() == ["A", "B"]


def test_group_of_zeros_contributes_nothing():
    df = _frame([0, 0, 3, 5], groups=["A", "A", "B", "B"])
    d = theil_index(df, value="x", group="g")
    a = d.groups.set_index("g").loc["A"]
    assert a["income_share"] == 0 and np.isnan(a["theil_index"])
    assert a["within_contribution"] == 0 and a["between_contribution"] == 0
    assert d.total == pytest.approx(theil_index(df, value="x"), abs=1e-15)


def test_decomposition_by_two_columns_and_categorical(schools):
    v, w = "equipment_value_per_student", "students"
    d = theil_index(schools, value=v, weight=w, group=["county", "locale"])
    assert list(d.groups.columns[:2]) == ["county", "locale"]
    assert d.total == pytest.approx(theil_index(schools, value=v, weight=w), rel=1e-12)
    cat = schools.assign(locale=pd.Categorical(schools["locale"],
                                               categories=["urban", "town", "rural", "unused"]))
    dc = theil_index(cat, value=v, weight=w, group="locale")
    assert dc.groups["locale"].astype(str).tolist() == ["urban", "town", "rural"]
    assert dc.between_share + dc.within_share == pytest.approx(1.0, abs=1e-15)


# --------------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("func", INDICES)
def test_nan_values_raise_with_column_and_count(func):
    df = pd.DataFrame({"teaching_area_per_student": pd.array([1.0, None, 3.0, None], dtype="Float64"),
                       "students": [10, 0, 30, 5]})
    with pytest.raises(ValueError, match=r"'teaching_area_per_student' has 2 missing.*1 of them"):
        func(df, value="teaching_area_per_student", weight="students")


@pytest.mark.parametrize("func", INDICES)
def test_negative_values_raise_naming_column(func):
    with pytest.raises(ValueError, match=r"'x' has 1 negative"):
        func(_frame([1.0, -2.0, 3.0]), value="x")


@pytest.mark.parametrize("func", INDICES)
def test_empty_all_zero_and_bad_weights_raise(func):
    with pytest.raises(ValueError, match="empty"):
        func(_frame([]), value="x")
    with pytest.raises(ValueError, match="mean of 'x' is zero"):
        func(_frame([0.0, 0.0]), value="x")
    with pytest.raises(ValueError, match="negative"):
        func(_frame([1.0, 2.0], [1, -1]), value="x", weight="w")
    with pytest.raises(ValueError, match="all weights"):
        func(_frame([1.0, 2.0], [0, 0]), value="x", weight="w")
    with pytest.raises(ValueError, match="'w' has 1 missing"):
        func(_frame([1.0, 2.0], [1.0, np.nan]), value="x", weight="w")
    with pytest.raises(ValueError, match="missing column"):
        func(_frame([1.0, 2.0]), value="nope")


def test_nearly_equal_values_never_give_negative_indices():
    # 0.3 and the next float above it: the exact indices are ~1e-33, rounding used to give ≈ −1e-17
    rng = np.random.default_rng(7)
    for _ in range(100):
        n = int(rng.integers(2, 30))
        x = np.full(n, 0.3)
        x[rng.integers(0, n)] = np.nextafter(0.3, 1.0)
        df = _frame(x, rng.integers(1, 50, n), rng.choice(["A", "B"], n))
        assert 0.0 <= gini_coefficient(df, value="x", weight="w") < 1e-15
        assert 0.0 <= theil_index(df, value="x", weight="w") < 1e-15
        d = theil_index(df, value="x", weight="w", group="g")
        assert d.between >= 0.0 and d.within >= 0.0 and (d.groups["theil_index"] >= 0).all()


def test_other_errors():
    with pytest.raises(ValueError, match="group column 'g' has 1 missing"):
        theil_index(_frame([1, 2, 3], groups=["A", None, "B"]), value="x", group="g")
    with pytest.raises(ValueError, match="5% percentile of 'x' is 0"):
        range_ratio(_frame([0, 1, 2, 3]), value="x")
    with pytest.raises(ValueError, match="lower < upper"):
        range_ratio(_frame([1, 2]), value="x", upper=0.05, lower=0.95)
    with pytest.raises(ValueError, match="median of 'x' is 0"):
        mcloone_index(_frame([0, 0, 0, 5]), value="x")


# --------------------------------------------------------------------------------------------------
# property tests
# --------------------------------------------------------------------------------------------------

_values = st.lists(st.one_of(st.just(0.0), st.floats(0.01, 1e4, allow_nan=False)), min_size=1, max_size=40)


@st.composite
def _data(draw):
    xs = draw(_values)
    ws = draw(st.lists(st.integers(0, 50), min_size=len(xs), max_size=len(xs)))
    groups = draw(st.lists(st.sampled_from(["A", "B", "C"]), min_size=len(xs), max_size=len(xs)))
    w = np.asarray(ws, dtype="float64")
    x = np.asarray(xs)
    assume(w.sum() > 0 and np.sum(w * x) > 0)
    return _frame(xs, ws, groups)


def _positive_lower(df, weight):
    """McLoone and the range ratio need a positive median / 5th percentile."""
    try:
        mcloone_index(df, value="x", weight=weight)
        range_ratio(df, value="x", weight=weight)
    except ValueError:
        return False
    return True


@settings(max_examples=50, deadline=None)
@given(c=st.floats(0.01, 1e6), n=st.integers(1, 30), data=st.data())
def test_property_equality(c, n, data):
    ws = data.draw(st.lists(st.integers(1, 100), min_size=n, max_size=n))
    df = _frame([c] * n, ws)
    for weight in (None, "w"):
        assert gini_coefficient(df, value="x", weight=weight) == 0.0
        assert theil_index(df, value="x", weight=weight) == 0.0
        assert mcloone_index(df, value="x", weight=weight) == pytest.approx(1.0, abs=1e-12)
        assert range_ratio(df, value="x", weight=weight) == 1.0
        d = theil_index(df.assign(g=["A", "B"] * (n // 2) + ["A"] * (n % 2)), value="x",
                        weight=weight, group="g")
        assert d.total == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(df=_data(), k=st.floats(1e-3, 1e3), seed=st.integers(0, 2**32 - 1))
def test_property_scale_and_order_invariance(df, k, seed):
    perm = np.random.default_rng(seed).permutation(len(df))
    scaled = df.assign(x=df["x"] * k)
    shuffled = df.iloc[perm].reset_index(drop=True)
    funcs = [gini_coefficient, theil_index]
    if _positive_lower(df, "w"):
        funcs += [mcloone_index, range_ratio]
    for func in funcs:
        base = func(df, value="x", weight="w")
        assert func(scaled, value="x", weight="w") == pytest.approx(base, rel=1e-9, abs=1e-12)
        assert func(shuffled, value="x", weight="w") == pytest.approx(base, rel=1e-9, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(df=_data())
def test_property_theil_decomposition_adds_up(df):
    for weight in (None, "w"):
        d = theil_index(df, value="x", weight=weight, group="g")
        assert d.between + d.within == d.total  # exactly, by construction
        assert d.total == pytest.approx(theil_index(df, value="x", weight=weight), rel=1e-9, abs=1e-12)
        assert d.between >= 0.0 and d.within >= 0.0
        assert d.groups["population_share"].sum() == pytest.approx(1.0, abs=1e-12)
        assert d.groups["income_share"].sum() == pytest.approx(1.0, abs=1e-12)
        assert d.groups["contribution"].sum() == pytest.approx(d.total, rel=1e-9, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(df=_data())
def test_property_gini_in_unit_interval_and_expansion(df):
    for weight in (None, "w"):
        g = gini_coefficient(df, value="x", weight=weight)
        assert 0.0 <= g < 1.0
    expanded = _expanded(df, "x", "w")
    assert gini_coefficient(df, value="x", weight="w") == pytest.approx(
        gini_coefficient(expanded, value="x"), rel=1e-9, abs=1e-12)
    assert theil_index(df, value="x", weight="w") == pytest.approx(
        theil_index(expanded, value="x"), rel=1e-9, abs=1e-12)
    if _positive_lower(df, "w"):
        for func in (mcloone_index, range_ratio):
            assert func(df, value="x", weight="w") == pytest.approx(func(expanded, value="x"),
                                                                    rel=1e-9, abs=1e-12)


def test_theil_group_keyword_and_deprecated_by():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 6.0], "g": ["a", "a", "b", "b"]})
    new = theil_index(df, value="x", group="g")
    with pytest.warns(DeprecationWarning, match="group="):
        old = theil_index(df, value="x", by="g")
    assert (new.total, new.between, new.within) == (old.total, old.between, old.within)
    with pytest.raises(ValueError, match="group= only"):
        theil_index(df, value="x", group="g", by="g")
