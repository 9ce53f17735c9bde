"""Weighted mean and SD — case C25 (tests/cases/C25-weighted-sd-ddof)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lyganalysis.metrics.descriptive import weighted_mean, weighted_sd

CASE = Path(__file__).parent / "cases" / "C25-weighted-sd-ddof" / "class_means.csv"


@pytest.fixture
def classes():
    df = pd.read_csv(CASE)
    return df["平均分"], df["人数"]


def test_c25_expected_values(classes):
    # Source: case C25 expected.md (cross-checked there with statsmodels DescrStatsW and np.repeat).
    x, w = classes
    assert weighted_mean(x, w) == pytest.approx(82.95, abs=5e-7)
    assert weighted_sd(x, w, weight_type="frequency", ddof=0) == pytest.approx(4.893618, abs=5e-7)
    assert weighted_sd(x, w, weight_type="frequency", ddof=1) == pytest.approx(4.918271, abs=5e-7)
    assert weighted_sd(x, w, weight_type="reliability", ddof=1) == pytest.approx(5.956323, abs=5e-7)
    # the default is frequency weights, ddof=1
    assert weighted_sd(x, w) == pytest.approx(4.918271, abs=5e-7)
    # never the unweighted SDs (7.675719 / 6.647368)
    assert weighted_sd(x, w) != pytest.approx(7.675719, abs=1e-3)


def test_c25_frequency_ddof1_equals_expanded_students(classes):
    x, w = classes
    assert weighted_sd(x, w) == pytest.approx(np.std(np.repeat(x, w), ddof=1), rel=1e-12)


def test_c25_normalised_weights_raise_not_inf(classes):
    x, w = classes
    with pytest.raises(ValueError, match="normalised"):
        weighted_sd(x, w / w.sum(), weight_type="frequency", ddof=1)
    # reliability weights are scale-free
    assert weighted_sd(x, w / w.sum(), weight_type="reliability") == pytest.approx(5.956323, abs=5e-7)


def test_bad_weights_raise():
    with pytest.raises(ValueError, match="negative"):
        weighted_sd([1.0, 2.0], [1.0, -1.0])
    with pytest.raises(ValueError, match="all weights are zero"):
        weighted_sd([1.0, 2.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="all weights are zero"):
        weighted_mean([1.0, 2.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="length"):
        weighted_mean([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="missing"):
        weighted_mean([1.0, np.nan], [1.0, 1.0])
    with pytest.raises(ValueError, match="weight_type"):
        weighted_sd([1.0, 2.0], [1.0, 1.0], weight_type="analytic")


def test_zero_weight_rows_carry_no_weight():
    assert weighted_mean([1.0, np.nan, 3.0], [1, 0, 1]) == 2.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e3, 1e3), st.integers(1, 20)), min_size=2, max_size=15))
def test_property_frequency_sd_equals_repeat(pairs):
    x = np.array([p[0] for p in pairs])
    w = np.array([p[1] for p in pairs])
    expected = np.std(np.repeat(x, w), ddof=1)
    assert weighted_sd(x, w) == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert weighted_mean(x, w) == pytest.approx(np.repeat(x, w).mean(), rel=1e-9, abs=1e-9)
