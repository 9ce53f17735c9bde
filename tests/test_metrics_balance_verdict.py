"""The official 资源配置 verdict (school rule AND 差异系数 rule, three states) and the least additions per school.

All inputs are invented. Hand-worked values are computed in the comments from the 2017 thresholds
(standards.QUALITY_INDICATORS) and the school rule (standards.SCHOOL_RULE: 6 of 7 at threshold, the 7th ≥ 85 %).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lyganalysis.metrics.balance import (
    INDICATOR_KEYS,
    QualityBalanceAssessment,
    least_to_comply,
    resource_verdict,
    school_compliance,
    section_compliance_state,
)
from lyganalysis.standards import QUALITY_CV_LIMITS, QUALITY_INDICATORS, SCHOOL_RULE


def _sections(ratios: list[dict], stage: str = "primary", students: int = 1000) -> pd.DataFrame:
    """Sections whose indicator values are ``ratio × threshold`` (missing keys: at threshold)."""
    rows = []
    for i, r in enumerate(ratios):
        row = {"school_id": f"S{i:02d}", "county": "甲县", "school_year": 2022, "stage": stage,
               "students": students}
        for k, ind in QUALITY_INDICATORS.items():
            ratio = r.get(k, 1.0)
            value = np.nan if ratio is None else ratio * ind.threshold(stage)
            row[k] = value
            row[ind.numerator] = value * students / ind.per_students
        rows.append(row)
    return pd.DataFrame(rows)


def _cvs(values: dict | None = None, stage: str = "primary") -> pd.DataFrame:
    values = values or {}
    return pd.DataFrame({"stage": stage, "indicator": list(INDICATOR_KEYS),
                         "coefficient_of_variation": [values.get(k, 0.20) for k in INDICATOR_KEYS]})


def _verdict(ratios, cvs=None, **kw):
    secs = _sections(ratios)
    return resource_verdict(school_compliance(secs), cvs if cvs is not None else _cvs(), **kw)


# ------------------------------------------------------------------ the two conditions

def test_cvs_all_pass_but_one_school_does_not_comply_fails():
    # S03: two indicators below threshold (L2 at 0.8, L5 at 0.9) → breaks "6 of 7"
    v = _verdict([{}, {}, {"L1": 0.9}, {"L2": 0.8, "L5": 0.9}])
    assert v.cv_verdict == "met" and v.school_rule == "not_met" and v.verdict == "not_met"
    s = v.stages["primary"]
    assert (s.n_sections, s.n_compliant, s.n_not_compliant, s.n_undecided) == (4, 3, 1, 0)
    assert s.compliant_share == pytest.approx(0.75)


def test_every_school_complies_but_one_cv_exceeds_fails():
    limit = QUALITY_CV_LIMITS["primary"].value
    v = _verdict([{}, {}, {}, {"L3": 0.86}], cvs=_cvs({"L2": 0.58}))
    assert v.school_rule == "met" and v.cv_verdict == "not_met" and v.verdict == "not_met"
    s = v.stages["primary"]
    assert s.cv_failing == ({"indicator": "L2", "cv": 0.58, "limit": limit},)
    # "4 sections assessed, 0 do not comply; L2 CV 0.58 > 0.50" is derivable from the fields
    f = v.failing_frame()
    assert list(f["indicator"]) == ["L2"] and f["excess"].iloc[0] == pytest.approx(0.58 - limit)


def test_both_conditions_met_only_together():
    assert _verdict([{}, {}, {"L7": 0.85}]).verdict == "met"
    assert _verdict([{}, {}, {"L7": 0.84}]).verdict == "not_met"  # the 7th below 85 %
    assert _verdict([{}, {}, {}], cvs=_cvs({"L6": 0.5000001})).verdict == "not_met"
    assert _verdict([{}, {}, {}], cvs=_cvs({"L6": 0.50})).verdict == "met"  # the limit itself is within


def test_passes_of_the_cv_assessment_is_the_cv_condition_only():
    a = QualityBalanceAssessment.from_cvs({"primary": {k: 0.2 for k in INDICATOR_KEYS}})
    assert a.passes is True and a.cv_passes is True and a.cv_passes_by_stage == {"primary": True}
    v = _verdict([{}, {}, {"L1": 0.5, "L2": 0.5}], cvs=a.table)
    assert v.cv_verdict == "met" and v.verdict == "not_met"


# ------------------------------------------------------------------ undecided, never met by default

def test_a_missing_indicator_makes_the_school_rule_undecided():
    v = _verdict([{}, {}, {"L4": None}])
    s = v.stages["primary"]
    assert v.school_rule == "undecided" and v.verdict == "undecided"
    assert s.n_undecided == 1 and s.reasons[0] == {"code": "missing_indicator",
                                                   "params": {"n_sections": 1, "indicators": ["L4"]}}


def test_a_missing_indicator_does_not_hide_a_known_failure():
    # S02 lacks L4 but already has two indicators below threshold: it cannot comply whatever L4 is
    state = section_compliance_state(school_compliance(_sections([{"L4": None, "L1": 0.9, "L2": 0.9},
                                                                  {"L4": None, "L1": 0.5},
                                                                  {"L4": None, "L1": 0.9}])))
    assert list(state) == ["not_met", "not_met", "undecided"]
    assert _verdict([{"L4": None}, {"L1": 0.5, "L2": 0.5}, {}]).verdict == "not_met"


def test_too_few_sections_for_a_cv_is_undecided():
    v = _verdict([{}, {}], min_sections_for_cv=3)
    s = v.stages["primary"]
    assert v.cv_verdict == "undecided" and v.verdict == "undecided" and v.school_rule == "met"
    assert {"code": "too_few_sections", "params": {"n_sections": 2, "min_sections": 3}} in s.reasons
    assert _verdict([{}, {}], min_sections_for_cv=2).verdict == "met"


def test_a_cv_not_computed_is_undecided_and_nothing_assessed_is_never_met():
    v = _verdict([{}, {}, {}], cvs=_cvs({"L5": float("nan")}))
    assert v.cv_verdict == "undecided" and v.stages["primary"].reasons[0]["code"] == "cv_not_computed"
    empty = _sections([{}]).assign(students=0)
    v0 = resource_verdict(school_compliance(empty), _cvs())
    assert v0.verdict == "undecided" and v0.stages == {} and v0.reasons[0]["code"] == "no_sections"


def test_stages_combine_and_bad_input_is_refused():
    p = _sections([{}, {}, {}])
    j = _sections([{}, {}, {"L1": 0.1, "L2": 0.1}], stage="junior").assign(
        school_id=lambda d: "J" + d["school_id"])
    comp = school_compliance(pd.concat([p, j], ignore_index=True))
    cvs = pd.concat([_cvs(), _cvs(stage="junior")], ignore_index=True)
    v = resource_verdict(comp, cvs)
    assert v.stages["primary"].verdict == "met" and v.stages["junior"].verdict == "not_met"
    assert v.verdict == "not_met" and v.n_sections == 6 and v.n_not_compliant == 1
    assert list(v.to_frame()["stage"]) == ["primary", "junior"]
    with pytest.raises(ValueError, match="min_sections_for_cv"):
        resource_verdict(comp, cvs, min_sections_for_cv=0)
    with pytest.raises(ValueError, match="one county-year"):
        resource_verdict(comp.assign(county=["甲县", "乙县"] * 3), cvs)
    with pytest.raises(ValueError, match="missing column"):
        resource_verdict(comp.drop(columns="compliant"), cvs)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from([0.5, 0.84, 0.85, 0.95, 1.0, 1.2]), min_size=7, max_size=7),
                min_size=1, max_size=6),
       st.lists(st.sampled_from([0.1, 0.45, 0.5, 0.51, 0.9]), min_size=7, max_size=7))
def test_met_exactly_when_every_school_complies_and_every_cv_is_within(ratio_rows, cv_values):
    ratios = [dict(zip(INDICATOR_KEYS, r)) for r in ratio_rows]
    cvs = _cvs(dict(zip(INDICATOR_KEYS, cv_values)))
    v = _verdict(ratios, cvs=cvs, min_sections_for_cv=1)
    all_comply = all(sum(x >= 1 for x in r) >= SCHOOL_RULE.min_met and min(r) >= SCHOOL_RULE.min_ratio_others
                     for r in ratio_rows)
    cv_ok = all(c <= QUALITY_CV_LIMITS["primary"].value for c in cv_values)
    assert (v.verdict == "met") == (all_comply and cv_ok)
    assert v.verdict in ("met", "not_met")  # nothing missing → decided


# ------------------------------------------------------------------ least additions under the school rule

def _least(ratios, students=1000, stage="primary"):
    secs = _sections(ratios, stage=stage, students=students)
    return least_to_comply(school_compliance(secs), secs)


def test_least_additions_hand_worked():
    # 1000 primary pupils. L1 = 3.9 per 100 (39 teachers; threshold 4.2 → 42; 85 % → 35.7): 3 short of the
    # threshold, none short of 85 %. L2 = 0.8 per 100 (8 teachers; threshold 1.0 → 10): 2 short.
    # Gaps to every threshold: L1 +3, L2 +2. Least under the rule: leave L1 at ≥ 85 %, add 2 backbone teachers.
    secs = _sections([{"L1": 3.9 / 4.2, "L2": 0.8}])
    secs["above_required_qualification"] = 39.0
    secs["backbone_teachers"] = 8.0
    secs["L1"], secs["L2"] = 3.9, 0.8
    out = least_to_comply(school_compliance(secs), secs).iloc[0]
    assert (out["gap_L1"], out["gap_L2"], out["n_gaps"]) == (3.0, 2.0, 2)
    assert out["add_L1"] == 0 and out["add_L2"] == 2 and out["n_additions"] == 1 and out["relaxed"] == "L1"
    assert all(out[f"add_{k}"] == 0 for k in ("L3", "L4", "L5", "L6", "L7"))
    assert out["distance"] == pytest.approx(1 - 0.8)  # L2 from 0.8 to 1; L1 already ≥ 0.85


def test_fewest_additions_before_smallest_distance():
    # L4 at 70 %, L5 at 90 % of threshold, 100 pupils. Relaxing L4: raise L4 to 85 % and L5 to 100 %
    # (2 additions, distance 0.15 + 0.10 = 0.25). Relaxing L5: raise L4 to 100 % only (1 addition, distance
    # 0.30). The rule prefers one addition: +135 m² teaching area (4.5 × 100 − 315).
    out = _least([{"L4": 0.70, "L5": 0.90}], students=100).iloc[0]
    assert out["relaxed"] == "L5" and out["n_additions"] == 1
    assert out["add_L4"] == pytest.approx(135.0) and out["add_L5"] == 0
    assert out["distance"] == pytest.approx(0.30)
    assert out["gap_L5"] == pytest.approx(0.10 * 7.5 * 100)


def test_whole_rooms_and_teachers_are_rounded_up_and_compliant_sections_need_nothing():
    # L7 at 0.5 of 2.3 per 100 with 100 pupils: 1.15 rooms. Left at 85 %: 1.955 − 1.15 = 0.805 → 1 room
    # (distance 0.35; raising it to 100 % would be 1.15 → 2 rooms, distance 0.5). Gap to threshold: 2 rooms.
    out = _least([{"L7": 0.5}], students=100).iloc[0]
    assert (out["relaxed"], out["add_L7"], out["gap_L7"]) == ("L7", 1.0, 2.0)
    assert out["distance"] == pytest.approx(0.35)
    # L3 at 0.5 of 0.9 per 100 with 1000 pupils: 4.5 teachers; 85 % → 7.65: 3.15 → 4 teachers
    assert _least([{"L3": 0.5}]).iloc[0]["add_L3"] == 4.0
    # equal distances (both gaps ≥ 15 points): the first indicator in L1…L7 order stays at 85 %
    tie = _least([{"L6": 0.5, "L7": 0.5}], students=100).iloc[0]
    assert tie["relaxed"] == "L6" and tie["add_L7"] == 2.0
    ok = _least([{}, {"L3": 0.9}])
    assert list(ok["n_additions"]) == [0, 0] and list(ok["distance"]) == [0.0, 0.0]
    assert ok["relaxed"].iloc[0] is None and ok["relaxed"].iloc[1] == "L3"


def test_missing_indicator_gives_no_additions():
    out = _least([{"L2": None, "L1": 0.5}]).iloc[0]
    assert all(pd.isna(out[f"add_{k}"]) for k in INDICATOR_KEYS) and pd.isna(out["distance"])
    with pytest.raises(ValueError, match="same rows"):
        secs = _sections([{}])
        least_to_comply(school_compliance(secs), secs.set_index(pd.Index([7])))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=1.3, allow_nan=False), min_size=7, max_size=7),
       st.sampled_from(["primary", "junior"]), st.integers(min_value=10, max_value=3000))
def test_the_additions_make_the_section_comply_and_never_exceed_the_gaps(ratios, stage, students):
    secs = _sections([dict(zip(INDICATOR_KEYS, ratios))], stage=stage, students=students)
    comp = school_compliance(secs)
    out = least_to_comply(comp, secs).iloc[0]
    after = secs.copy()
    for k, ind in QUALITY_INDICATORS.items():
        after[ind.numerator] = after[ind.numerator] + out[f"add_{k}"]
        after[k] = after[ind.numerator] * ind.per_students / students
        assert out[f"add_{k}"] <= out[f"gap_{k}"] + 1e-9
    assert bool(school_compliance(after)["compliant"].iloc[0]) is True
    assert out["n_additions"] <= out["n_gaps"]
    assert (out["distance"] == 0) == bool(comp["compliant"].iloc[0]) or math.isclose(out["distance"], 0, abs_tol=1e-9)
