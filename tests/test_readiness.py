"""Readiness verdicts (lyganalysis.analysis.readiness) on hand-made figures and on the demo."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from lyganalysis.analysis.readiness import (
    FIGURES,
    NOT_APPLICABLE,
    InspectionSettings,
    apply_l4_deduction,
    county_readiness,
    figures_from_county_form,
    figures_from_survey,
    parse_room_areas,
    readiness,
    school_rule_figures,
    teacher_figures,
)
from lyganalysis.inspection import INSPECTION_ITEMS
from lyganalysis.metrics.survey import satisfaction


def _passing() -> dict:
    """A hand-made county that meets every quantitative item."""
    f = {"county": "赣榆区", "school_year": 2022}
    for i in range(1, 8):
        f[f"cv_L{i}_primary"] = 0.30
        f[f"cv_L{i}_junior"] = 0.30
    f.update(schools_not_meeting_school_rule=0, schools_short_of_music_rooms=0, schools_short_of_art_rooms=0,
             music_rooms_below_area=0, art_rooms_below_area=0, schools_over_size=0, schools_with_class_over_limit=0,
             small_schools_underfunded=0, special_school_funding_per_pupil_yuan=6500.0,
             teacher_to_civil_servant_pay_ratio=1.02, training_360_completion_rate=1.0, rotation_rate=0.16,
             rotation_backbone_share=0.25, certified_rate=1.0, zoned_admission_primary_rate=1.0,
             zoned_admission_junior_rate=0.97, quota_allocation_share=0.72, migrant_public_place_rate=0.93,
             junior_retention_rate=0.995, disabled_enrolment_rate=0.985, training_budget_share_min=0.06,
             monitoring_min_level=3, monitoring_max_difference_rate=0.12, survey_satisfaction_rate=0.9,
             veto_exam_admission=False, veto_school_choice=False, veto_key_schools_classes=False,
             veto_safety_incident=False, veto_falsification=False)
    return f


def test_all_quantitative_items_met_and_evidence_never_met():
    r = readiness(_passing())
    f = r.to_frame().set_index("key")
    for key, it in INSPECTION_ITEMS.items():
        if it.kind in ("evidence", "rating"):
            assert f.loc[key, "status"] == "evidence_required"
        elif it.declared:
            assert f.loc[key, "status"] == "declared" and f.loc[key, "declared_value"] is False
        else:
            assert f.loc[key, "status"] == "met", key
    # 8 evidence/rating items → blocks guarantee and quality are incomplete, not met
    assert r.counts()["evidence_required"] == 8
    assert r.block_status["resources"] == "met" and r.block_status["guarantee"] == "incomplete"
    assert r.block_status["veto"] == "clear" and r.overall == "incomplete"
    assert r.inspection_unit and r.county == "赣榆区" and r.school_year == 2022


def test_one_failure_decides_and_numbers_are_kept():
    f = _passing() | {"zoned_admission_junior_rate": 0.93, "cv_L5_junior": 0.47}
    r = readiness(f)
    g13 = r.item("G13")
    assert g13.status == "not_met"
    assert g13.deciding.figure == "zoned_admission_junior_rate" and g13.deciding.value == 0.93
    assert g13.deciding.threshold == 0.95 and g13.deciding.met is False
    assert r.item("R5").status == "not_met" and r.item("R5").deciding.threshold == 0.45
    assert r.block_status["guarantee"] == "not_met" and r.overall == "not_met"


def test_no_data_names_the_missing_inputs_and_their_source():
    f = _passing()
    del f["zoned_admission_primary_rate"]
    f["certified_rate"] = None
    f["junior_retention_rate"] = float("nan")
    r = readiness(f)
    g13 = r.item("G13")
    assert g13.status == "no_data" and g13.missing == ("zoned_admission_primary_rate",)
    assert g13.missing_sources == (FIGURES["zoned_admission_primary_rate"][2],)
    assert g13.missing_sources[0].startswith("form:")
    assert r.item("G12").status == "no_data" and r.item("Q1").status == "no_data"
    # a failing check wins over a missing one
    f["zoned_admission_junior_rate"] = 0.5
    assert readiness(f).item("G13").status == "not_met"


def test_profile_value_shown_beside_and_decide_by_setting():
    f = _passing() | {"rotation_rate": 0.12, "quota_allocation_share": 0.6}
    r = readiness(f)
    c = r.item("G11").checks[0]
    assert (c.threshold, c.profile_threshold, c.met, c.profile_met) == (0.10, 0.15, True, False)
    assert r.item("G11").status == "met" and r.item("G14").status == "met"
    rj = readiness(f, settings=InspectionSettings(decide_by="jiangsu"))
    assert rj.item("G11").status == "not_met" and rj.item("G14").status == "not_met"
    rn = readiness(f, profile="national")
    assert rn.item("G11").checks[0].profile_threshold == 0.10
    with pytest.raises(ValueError, match="unknown profile"):
        InspectionSettings(profile="mars")


def test_declared_veto_and_survey_veto():
    f = _passing() | {"veto_school_choice": True}
    r = readiness(f)
    assert r.item("V2").status == "declared" and r.item("V2").declared_value is True
    assert r.block_status["veto"] == "veto_applies" and r.overall == "not_met"
    f = _passing() | {"survey_satisfaction_rate": 0.84}
    r = readiness(f)
    assert r.item("S1").status == "not_met" and r.item("V4").status == "not_met"
    assert r.block_status["veto"] == "veto_applies"
    del f["veto_exam_admission"]
    assert readiness(f).item("V1").status == "no_data"
    with pytest.raises(ValueError, match="True"):
        readiness(_passing() | {"veto_exam_admission": "否"})


def test_survey_rule_every_group():
    f = _passing() | {"survey_min_group_rate": 0.81}
    assert readiness(f).item("S1").status == "met"
    assert readiness(f, settings=InspectionSettings(survey_rule="every_group")).item("S1").status == "not_met"


def test_not_applicable_and_type_errors():
    f = _passing() | {"special_school_funding_per_pupil_yuan": NOT_APPLICABLE,
                      "cv_L1_junior": NOT_APPLICABLE}
    r = readiness(f)
    assert r.item("G7").status == "not_applicable" and r.item("R1").status == "met"
    assert r.block_status["guarantee"] == "incomplete"
    with pytest.raises(ValueError, match="must be a number"):
        readiness(_passing() | {"rotation_rate": "高"})


def test_non_inspection_unit_is_marked():
    r = readiness(_passing() | {"county": "开发区"})
    assert not r.inspection_unit
    assert readiness(_passing() | {"county": "开发区"}, units=["开发区"]).inspection_unit


def test_to_frame_and_json():
    r = readiness(_passing())
    f = r.to_frame()
    assert len(f) == len(INSPECTION_ITEMS) and set(f["status"]) <= {"met", "evidence_required", "declared"}
    assert {"key", "block", "status", "value", "threshold", "profile_threshold", "missing"} <= set(f.columns)
    d = r.to_dict()
    json.dumps(d)
    assert d["counts"]["met"] == sum(1 for i in d["items"] if i["status"] == "met")
    assert len(r.checks_frame()) == sum(len(it.checks) for it in INSPECTION_ITEMS.values())


def test_figures_from_county_form_hand_worked():
    row = {"county": "灌南县", "school_year": 2022, "cohort_grade7_enrolled": 1000, "cohort_graduates": 950,
           "cohort_transfers_in": 20, "cohort_transfers_out": 30, "cohort_deaths": 2,
           "quota_places_total": 800, "quota_places_allocated": 440, "quota_places_rural": 220,
           "teacher_average_pay_yuan": 100_000.0, "civil_servant_average_pay_yuan": 110_000.0,
           "small_schools": 5, "small_schools_funded_as_100": 4, "monitoring_level_math": 3,
           "monitoring_level_chinese": 4, "monitoring_difference_rate_math": 0.16,
           "monitoring_difference_rate_chinese": 0.09, "certified_rate": None, "veto_school_choice": False}
    f = figures_from_county_form(row)
    assert f["junior_retention_rate"] == pytest.approx((950 - 20 + 30) / (1000 - 2))  # 0.96192…
    assert f["quota_allocation_share"] == pytest.approx(0.55) and f["quota_rural_share"] == pytest.approx(0.5)
    assert f["teacher_to_civil_servant_pay_ratio"] == pytest.approx(10 / 11)
    assert f["small_schools_underfunded"] == 1
    assert f["monitoring_min_level"] == 3 and f["monitoring_max_difference_rate"] == pytest.approx(0.16)
    assert "certified_rate" not in f and f["veto_school_choice"] is False
    r = readiness(_passing() | f)
    assert r.item("G8").status == "not_met" and r.item("G6").status == "not_met"
    assert r.item("Q9").status == "not_met" and r.item("Q1").status == "met"


def test_figures_from_survey():
    df = pd.DataFrame({"respondent": [1, 2, 3, 4], "respondent_group": ["学生", "学生", "家长", "家长"],
                       "answer": ["非常满意", "比较满意", "一般", "非常满意"]})
    f = figures_from_survey(satisfaction(df))
    assert f["survey_satisfaction_rate"] == pytest.approx(0.75) and f["survey_min_group_rate"] == 0.5
    assert f["survey_responses"] == 4 and f["survey_respondents"] == 4


def _schools():
    base = dict(school_year=2022, county="X", school_type="primary", locale="urban", classes_primary=24,
                classes_junior=0, music_rooms=2, art_rooms=2, students_primary=1000, students_junior=0,
                max_class_size_primary=44, max_class_size_junior=pd.NA, built_year=2018,
                music_room_areas_m2="96;100", art_room_areas_m2="90;95", migrant_students=0)
    rows = [dict(base, school_id="1", school_name="a"),
            dict(base, school_id="2", school_name="b", music_rooms=1, built_year=2012, music_room_areas_m2="80",
                 art_room_areas_m2="70;91"),
            dict(base, school_id="3", school_name="c", students_primary=2100, max_class_size_primary=52,
                 built_year=2005),
            dict(base, school_id="4", school_name="d", locale="rural", max_class_size_primary=25,
                 music_room_areas_m2="60;100", art_room_areas_m2="62;90", students_primary=1500,
                 migrant_students=800, school_type="nine_year", students_junior=1200, classes_junior=0)]
    df = pd.DataFrame(rows)
    for c in ("max_class_size_primary", "max_class_size_junior", "built_year", "migrant_students"):
        df[c] = df[c].astype("Int64")
    return df


def test_school_rule_figures_and_exemptions():
    s = _schools()
    f = school_rule_figures(s)
    # rooms needed ceil(24/12) = 2: school 2 has 1 music room
    assert f["schools_short_of_music_rooms"] == 1 and f["schools_short_of_art_rooms"] == 0
    # music < 96: 80 (b), 60 (d); art < 90: 70 (b), 62 (d)
    assert f["music_rooms_below_area"] == 2 and f["art_rooms_below_area"] == 2
    # c: 2100 > 2000; d (nine-year): 2700 > 2500
    assert f["schools_over_size"] == 2 and f["schools_with_class_over_limit"] == 1
    assert f["exemptions_applied"] == ()
    g = school_rule_figures(s, settings=InspectionSettings(room_area_exemptions=("built_before_2016", "small_rural"),
                                                           school_size_exemptions=("built_before_2010",
                                                                                   "migrant_majority")))
    # b built 2012 → 73 / 67: 80 ≥ 73 and 70 ≥ 67; d rural, largest class 25 → 54 / 61: 60 and 62 pass
    assert g["music_rooms_below_area"] == 0 and g["art_rooms_below_area"] == 0
    # c built 2005 exempt; d has 800 / 2700 migrant pupils (< 50 %) → still over
    assert g["schools_over_size"] == 1
    assert set(g["exemptions_applied"]) == {"built_before_2016:2", "built_before_2016:3", "small_rural:4",
                                            "built_before_2010:3"}


def test_teacher_figures_and_room_parsing_and_l4():
    t = pd.DataFrame({"certified": pd.array([True, True, False, None], dtype="boolean"),
                      "training_hours_5y": [360.0, 400.0, 359.5, np.nan]})
    f = teacher_figures(t)
    assert f["certified_rate"] == pytest.approx(2 / 3) and f["training_360_completion_rate"] == pytest.approx(2 / 3)
    assert teacher_figures(pd.DataFrame({"x": [1]})) == {}
    assert parse_room_areas("96;88.5") == [96.0, 88.5] and parse_room_areas(None) == []
    with pytest.raises(ValueError, match="room areas"):
        parse_room_areas("96 m2")
    s = pd.DataFrame({"school_id": ["1", "2"], "teaching_area_m2": [5000.0, 3000.0],
                      "indoor_sports_area_m2": [800.0, np.nan]})
    assert apply_l4_deduction(s)["teaching_area_m2"].tolist() == [4200.0, 3000.0]
    with pytest.raises(ValueError, match="exceeds"):
        apply_l4_deduction(s.assign(indoor_sports_area_m2=[6000.0, 0.0]))
    with pytest.raises(ValueError, match="indoor_sports_area_m2"):
        apply_l4_deduction(s.drop(columns="indoor_sports_area_m2"))


def test_ganyu_demo_every_item_has_a_status_and_no_data_only_for_qualitative(demo):
    r = county_readiness(demo, "赣榆区", 2022)
    f = r.to_frame()
    assert len(f) == len(INSPECTION_ITEMS) and f["status"].notna().all()
    assert (f["status"] == "no_data").sum() == 0
    assert set(f.loc[f["status"] == "evidence_required", "kind"]) <= {"evidence", "rating"}
    assert r.sources["zoned_admission_junior_rate"] == "form"
    assert r.sources["certified_rate"] == "tables"  # the tables decide over the form
    assert r.sources["survey_satisfaction_rate"] == "survey"
    assert r.item("G13").status == "not_met" and r.item("Q9").status == "not_met"
    assert r.item("S1").status == "met"


def test_demo_fails_at_least_one_item_in_every_block(demo):
    failing = set()
    for c in demo.counties():
        r = county_readiness(demo, c, 2022)
        failing |= {b for b, s in r.block_status.items() if s in ("not_met", "veto_applies")}
    assert failing == {"resources", "guarantee", "quality", "recognition", "veto"}


def test_county_readiness_extra_figures_win_and_units(demo):
    r = county_readiness(demo, "开发区", 2022, extra_figures={"rotation_rate": 0.01, "exemptions_applied": ["x:1"]})
    assert not r.inspection_unit and r.item("G11").status == "not_met" and r.sources["rotation_rate"] == "extra"
    assert "x:1" in r.exemptions_applied
    with pytest.raises(KeyError):
        county_readiness(demo, "花果山区", 2022)


def test_county_readiness_l4_setting_changes_only_l4(demo):
    a = county_readiness(demo, "赣榆区", 2022)
    b = county_readiness(demo, "赣榆区", 2022, settings=InspectionSettings(l4_deduct_indoor_sports=True))
    assert a.figures["cv_L4_primary"] != b.figures["cv_L4_primary"]
    assert a.figures["cv_L5_primary"] == b.figures["cv_L5_primary"]


def test_itinerant_teacher_setting(demo):
    from lyganalysis.analysis.readiness import apply_itinerant_teachers

    s = demo.schools[demo.schools.school_year == 2022]
    t = apply_itinerant_teachers(s)
    tp = s["school_type"].isin(["primary", "teaching_point"])
    added = (t["pe_arts_teachers_primary"] - s["pe_arts_teachers_primary"])
    assert (added[~tp] == 0).all() and added[tp].sum() == s.loc[tp, "itinerant_pe_arts_teachers"].sum() > 0
    a = county_readiness(demo, "灌云县", 2022)
    b = county_readiness(demo, "灌云县", 2022, settings=InspectionSettings(count_itinerant_in_l3=True))
    assert a.figures["cv_L3_primary"] != b.figures["cv_L3_primary"]
    assert a.figures["cv_L5_primary"] == b.figures["cv_L5_primary"]



_QUANT = [(it.key, c) for it in INSPECTION_ITEMS.values() for c in it.checks]


@hsettings(max_examples=40, deadline=None)
@given(st.sampled_from(_QUANT), st.floats(0, 10_000, allow_nan=False), st.floats(0, 10_000, allow_nan=False))
def test_verdict_is_monotone_in_each_figure(kc, x, y):
    """Moving a figure towards its threshold's good side never turns 'met' into 'not_met'."""
    key, c = kc
    lo, hi = min(x, y), max(x, y)
    worse, better = (lo, hi) if c.op == "ge" else (hi, lo)
    s_worse = readiness(_passing() | {c.figure: worse}).item(key).status
    s_better = readiness(_passing() | {c.figure: better}).item(key).status
    assert not (s_worse == "met" and s_better == "not_met")
    assert s_better in ("met", "not_met") and s_worse in ("met", "not_met")
    # the verdict is exactly the comparison with the national threshold
    assert (readiness(_passing() | {c.figure: better}).item(key).status == "met") == all(
        cc.passes(float((_passing() | {c.figure: better})[cc.figure])) for cc in INSPECTION_ITEMS[key].checks)
