"""Survey satisfaction (lyganalysis.metrics.survey)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from lyganalysis.metrics.survey import satisfaction, satisfied, wilson_interval


def _table(spec):
    """spec: {group: [answers per respondent (lists)]} → long table."""
    rows, rid = [], 0
    for g, people in spec.items():
        for answers in people:
            rid += 1
            for q, a in enumerate(answers, start=1):
                rows.append({"respondent": rid, "respondent_group": g, "item": f"{q}、q", "answer": a})
    return pd.DataFrame(rows)


def test_wilson_matches_statsmodels():
    # independent implementation: statsmodels proportion_confint(method="wilson")
    for k, n in [(0, 10), (3, 10), (10, 10), (85, 100), (412, 480)]:
        lo, hi = wilson_interval(k, n)
        elo, ehi = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert lo == pytest.approx(elo, abs=1e-12) and hi == pytest.approx(ehi, abs=1e-12)


def test_wilson_published_values():
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Stat Med
    # 17:857–872, Table I, method 3 (Wilson score, no continuity correction), 4 decimals
    published = {(81, 263): (0.2553, 0.3662), (15, 148): (0.0624, 0.1605), (0, 20): (0.0, 0.1611),
                 (1, 29): (0.0061, 0.1718)}
    for (k, n), (elo, ehi) in published.items():
        lo, hi = wilson_interval(k, n)
        assert (round(lo, 4), round(hi, 4)) == (elo, ehi), (k, n)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
       st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_property(kn, conf):
    k, n = kn
    lo, hi = wilson_interval(k, n, confidence=conf)
    elo, ehi = proportion_confint(k, n, alpha=1 - conf, method="wilson")
    assert 0 <= lo <= k / n <= hi <= 1
    assert lo == pytest.approx(elo, abs=1e-9) and hi == pytest.approx(ehi, abs=1e-9)


def test_wilson_errors():
    with pytest.raises(ValueError, match="positive"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="must lie"):
        wilson_interval(5, 3)
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 3, confidence=1.5)


def test_satisfied_top_two_and_errors():
    s = pd.Series(["非常满意", "比较满意", "一般", "不太满意", "很不满意"])
    assert satisfied(s).tolist() == [True, True, False, False, False]
    assert satisfied(s, top=1).tolist() == [True, False, False, False, False]
    assert satisfied(s, top=3).sum() == 3
    with pytest.raises(ValueError, match="not options"):
        satisfied(pd.Series(["满意", "一般"]))
    with pytest.raises(ValueError, match="top must be"):
        satisfied(s, top=5)


def test_satisfaction_hand_worked_equal_and_pooled_weights():
    # students: 9 of 10 answers satisfied (5 respondents × 2); parents: 6 of 10
    top, low = "非常满意", "一般"
    spec = {"学生": [[top, top]] * 4 + [[top, low]], "家长": [[top, top]] * 3 + [[low, low]] * 2}
    df = _table(spec)
    r = satisfaction(df)
    g = r.groups.set_index("group")
    assert g.loc["学生", "satisfaction_rate"] == pytest.approx(0.9)
    assert g.loc["家长", "satisfaction_rate"] == pytest.approx(0.6)
    assert g.loc["学生", "respondents"] == 5 and g.loc["家长", "answers"] == 10
    assert r.overall_rate == pytest.approx(0.75)  # (0.9 + 0.6) / 2
    assert not r.meets_target and r.min_group_rate == pytest.approx(0.6)
    assert bool(g.loc["学生", "meets_target"]) and not bool(g.loc["家长", "meets_target"])
    lo, hi = proportion_confint(9, 10, method="wilson")
    assert g.loc["学生", "ci_low"] == pytest.approx(lo) and g.loc["学生", "ci_high"] == pytest.approx(hi)
    # pooled: 15 / 20
    rp = satisfaction(df, weights="answers")
    assert rp.overall_rate == pytest.approx(0.75)
    # unequal sizes make the two weightings differ: add 10 satisfied students
    df2 = _table({"学生": [[top, top]] * 9 + [[top, low]], "家长": spec["家长"]})
    assert satisfaction(df2).overall_rate == pytest.approx((19 / 20 + 0.6) / 2)
    assert satisfaction(df2, weights="answers").overall_rate == pytest.approx(25 / 30)
    assert satisfaction(df2, weights={"学生": 1, "家长": 3}).overall_rate == pytest.approx(0.25 * 0.95 + 0.75 * 0.6)
    f = r.to_frame()
    assert f["group"].tolist()[-1] == "overall" and len(f) == 3


def test_overall_interval_reduces_to_wilson_for_one_group():
    df = _table({"教师": [["非常满意"]] * 17 + [["很不满意"]] * 3})
    r = satisfaction(df)
    lo, hi = proportion_confint(17, 20, method="wilson")
    assert r.overall_ci_low == pytest.approx(lo) and r.overall_ci_high == pytest.approx(hi)
    assert r.meets_target  # 0.85 ≥ 0.85


def test_overall_interval_all_satisfied_uses_total_answers():
    df = _table({"a": [["非常满意"]] * 5, "b": [["比较满意"]] * 5})
    r = satisfaction(df)
    assert r.overall_rate == 1.0
    assert r.overall_ci_low == pytest.approx(proportion_confint(10, 10, method="wilson")[0])


def test_satisfaction_errors():
    with pytest.raises(ValueError, match="no column"):
        satisfaction(pd.DataFrame({"answer": ["一般"]}))
    with pytest.raises(ValueError, match="empty"):
        satisfaction(pd.DataFrame(columns=["answer", "respondent_group", "respondent"]))
    df = _table({"a": [["非常满意"]], "b": [["一般"]]})
    with pytest.raises(ValueError, match="no weight"):
        satisfaction(df, weights={"a": 1})
    with pytest.raises(ValueError, match="weights must be"):
        satisfaction(df, weights="people")
    df.loc[0, "respondent_group"] = None
    with pytest.raises(ValueError, match="no respondent group"):
        satisfaction(df)
