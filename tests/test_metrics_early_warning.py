"""Quality early warning (质量预警): lyganalysis.metrics.early_warning — hand-worked cases."""

import numpy as np
import pandas as pd
import pytest

from lyganalysis.metrics.early_warning import DEFAULT_RULES, REASONS, early_warning


@pytest.fixture
def table():
    # school means 70, 80, 80, 90, 60 (n ≥ 20) and a small school at 40 (n = 5)
    return pd.DataFrame({
        "school_id": ["a", "b", "c", "d", "e", "tiny"],
        "n_takers": [40, 40, 40, 40, 40, 5],
        "mean_score": [70.0, 80.0, 80.0, 90.0, 60.0, 40.0],
        "pass_rate": [0.60, 0.80, 0.85, 0.95, 0.40, 0.0],
        "effect_upper": [-0.5, 1.0, 2.0, 3.0, -2.0, -9.0],
    })


def _get(out, school, rule):
    return out[(out.school_id == school) & (out.rule == rule)].iloc[0]


def test_mean_below_county_hand_worked(table):
    out = early_warning(table, rules=["mean_below_county"])
    # county mean = (40·(70+80+80+90+60) + 5·40)/205 = 15400/205; SD of the five eligible school means
    cm = 15400 / 205
    sd = np.std([70, 80, 80, 90, 60], ddof=1)  # 11.4018
    e = _get(out, "e", "mean_below_county")
    assert e.flagged and e.assessed
    assert e.value == pytest.approx((60 - cm) / sd) and e.threshold == -1.0
    assert e.reason == "flagged"
    assert e.observed == 60.0 and e.reference == pytest.approx(cm) and e.scale == pytest.approx(sd)
    a = _get(out, "a", "mean_below_county")
    assert not a.flagged and a.value == pytest.approx((70 - cm) / sd)  # −0.43 SD
    # k is a parameter
    assert _get(early_warning(table, rules=["mean_below_county"], k_sd=0.4), "a", "mean_below_county").flagged


def test_small_school_never_flagged(table):
    out = early_warning(table)
    tiny = out[out.school_id == "tiny"]
    assert len(tiny) == len(DEFAULT_RULES)
    assert not tiny.flagged.any() and not tiny.assessed.any()
    assert (tiny.reason == "too_small").all() and tiny.value.isna().all() and tiny.observed.isna().all()
    assert early_warning(table, min_n=5).query("school_id == 'tiny' and rule == 'value_added_below_zero'").flagged.all()


def test_value_added_rule(table):
    out = early_warning(table, rules=["value_added_below_zero"])
    assert set(out[out.flagged].school_id) == {"a", "e"}
    a = _get(out, "a", "value_added_below_zero")
    assert a.value == -0.5 and a.threshold == 0.0 and a.reason == "flagged" and a.observed == -0.5
    # without value-added results the rule is reported as not assessed, never silently dropped
    out = early_warning(table.drop(columns="effect_upper"), rules=["value_added_below_zero"])
    assert len(out) == 6 and not out.assessed.any()
    assert (out[out.school_id != "tiny"].reason == "no_value_added").all()
    # a school without an estimate (NaN) is not assessed either
    out = early_warning(table.assign(effect_upper=[np.nan, 1, 2, 3, -2, -9]), rules=["value_added_below_zero"])
    assert _get(out, "a", "value_added_below_zero").reason == "no_estimate"


def test_pass_rate_drop(table):
    prev = table.assign(pass_rate=[0.75, 0.85, 0.90, 0.90, 0.45, 0.5])[["school_id", "n_takers", "pass_rate"]]
    prev = prev[prev.school_id != "d"]
    out = early_warning(table, rules=["pass_rate_drop"], previous=prev)
    a = _get(out, "a", "pass_rate_drop")
    assert a.flagged and a.value == pytest.approx(-0.15) and a.threshold == pytest.approx(-0.10)
    assert a.observed == pytest.approx(0.60) and a.reference == pytest.approx(0.75)
    assert not _get(out, "b", "pass_rate_drop").flagged  # −5 points
    d = _get(out, "d", "pass_rate_drop")
    assert not d.assessed and d.reason == "not_in_previous"
    none = early_warning(table, rules=["pass_rate_drop"])
    assert not none.assessed.any() and (none[none.school_id != "tiny"].reason == "no_previous").all()
    # last year too small to judge
    small_prev = prev.assign(n_takers=[10, 40, 40, 40, 40])
    out = early_warning(table, rules=["pass_rate_drop"], previous=small_prev)
    assert _get(out, "a", "pass_rate_drop").reason == "previous_too_small"


def test_output_columns_and_errors(table):
    out = early_warning(table)
    assert list(out.columns) == ["school_id", "rule", "flagged", "assessed", "reason", "value", "threshold", "n",
                                 "observed", "reference", "scale"]
    assert len(out) == 6 * 3 and out.reason.isin(REASONS).all()
    # the rows come school by school, rules in the order given
    assert list(out.rule[:3]) == list(DEFAULT_RULES) and list(out.school_id[:3]) == ["a"] * 3
    # no text in any cell: reasons are codes the report translates
    assert not out[["school_id", "rule", "reason"]].apply(lambda c: c.str.contains(" ")).any().any()
    with pytest.raises(ValueError, match="unknown rule"):
        early_warning(table, rules=["rank_last"])
    with pytest.raises(ValueError, match="duplicate"):
        early_warning(pd.concat([table, table]))
    both = pd.concat([table.assign(subject="math"), table.assign(subject="chinese")])
    assert len(early_warning(both, by="subject")) == 36


def test_no_spread_between_schools():
    # three eligible schools with the same mean: the SD is 0, the rule cannot be applied
    t = pd.DataFrame({"school_id": list("abc"), "n_takers": [30, 30, 30], "mean_score": [70.0] * 3,
                      "pass_rate": [0.5] * 3})
    out = early_warning(t, rules=["mean_below_county"])
    assert (out.reason == "no_spread").all() and not out.assessed.any() and out.value.isna().all()


def test_confidence_keyword_is_deprecated(table):
    with pytest.warns(DeprecationWarning, match="confidence"):
        old = early_warning(table, confidence=0.9)
    pd.testing.assert_frame_equal(old, early_warning(table))
