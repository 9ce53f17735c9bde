"""Teacher workforce structure (lyganalysis.metrics.staffing): hand-worked cases and properties."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lyganalysis.metrics import staffing as S
from lyganalysis.standards import RETIREMENT_REFORM_2025, STATUTORY_RETIREMENT_AGE


def _t(rows, year=2022):
    """Teachers frame from dicts with defaults."""
    base = {"school_year": year, "school_id": "S1", "stage": "primary", "birth_year": 1990, "gender": "female",
            "qualification": "bachelor", "title": "second", "subject": "chinese", "backbone_level": "none",
            "years_in_school": 1, "rotated": False}
    out = pd.DataFrame([{**base, **r} for r in rows])
    out["teacher_key"] = [f"k{i:03d}" for i in range(len(out))]
    return out


def _s(rows, year=2022):
    base = {"school_year": year, "school_id": "S1", "school_name": "一小", "county": "测试县", "county_code": "320799",
            "locale": "urban", "school_type": "primary", "students_primary": 0, "students_junior": 0,
            "classes_primary": 0, "classes_junior": 0}
    return pd.DataFrame([{**base, **r} for r in rows])


# ---------------------------------------------------------------------------------------------- age
def test_age_structure_hand_worked():
    t = _t([{"birth_year": 1990, "gender": "male"}, {"birth_year": 1987}, {"birth_year": 1973},
            {"birth_year": 1972, "gender": "male"}, {"birth_year": 1960, "stage": "junior"}])
    a = S.age_structure(t, school_year=2022, by="stage")
    p = a.shares.set_index("stage").loc["primary"]
    # ages 32, 35, 49, 50
    assert (p["teachers"], p["n_under_35"], p["n_35_49"], p["n_50_plus"]) == (4, 1, 2, 1)
    assert p["share_35_49"] == 0.5 and p["mean_age"] == pytest.approx((32 + 35 + 49 + 50) / 4)
    pyr = a.pyramid.set_index(["stage", "age_band", "gender"])["teachers"]
    assert pyr[("primary", "30–34", "male")] == 1 and pyr[("primary", "50–54", "male")] == 1
    assert pyr[("junior", "60+", "female")] == 1
    assert a.bands[0] == "<25" and a.bands[-1] == "60+"
    assert int(a.pyramid["teachers"].sum()) == 5
    # ignoring other years; locale joined from schools
    t2 = pd.concat([t, _t([{"birth_year": 1950}], year=2021)], ignore_index=True)
    sch = _s([{"locale": "rural"}])
    b = S.age_structure(t2, school_year=2022, by=["locale"], schools=sch)
    assert b.shares["teachers"].tolist() == [5] and b.shares["locale"].tolist() == ["rural"]
    with pytest.raises(ValueError, match="schools="):
        S.age_structure(t, school_year=2022, by="locale")


# ---------------------------------------------------------------------------------------------- retirements
def test_retirement_month_reform_table():
    m = lambda y, mo: y * 12 + mo - 1  # noqa: E731
    ages = {"male": 60, "female": 55}
    rm = lambda by, g, bm: int(S.retirement_month([by], [g], birth_month=bm, retirement_age=ages,  # noqa: E731
                                                  gradual_reform=True)[0])
    assert rm(1964, "male", 12) == m(2024, 12)          # original month before 2025: unchanged
    assert rm(1965, "male", 1) == m(2025, 2)            # 60 years 1 month
    assert rm(1965, "male", 4) == m(2025, 5)            # Jan–Apr 2025: +1
    assert rm(1965, "male", 5) == m(2025, 7)            # May 2025: +2
    assert rm(1976, "male", 5) == m(2036, 5) + 35
    assert rm(1976, "male", 9) == m(2039, 9)            # 63
    assert rm(1990, "male", 1) == m(2053, 1)            # capped at 63
    assert rm(1970, "female", 1) == m(2025, 2)          # 55 years 1 month
    assert rm(1985, "female", 6) == m(2043, 6)          # 58
    w50 = S.retirement_month([1975], ["female"], birth_month=[3], retirement_age={"female": 50}, gradual_reform=True)
    assert int(w50[0]) == m(2025, 3) + 2                # every 2 months: Mar 2025 → +2
    assert RETIREMENT_REFORM_2025[60].certainty == "U" and STATUTORY_RETIREMENT_AGE["female"].certainty == "U"
    with pytest.raises(ValueError, match="no schedule"):
        S.retirement_month([1970], ["male"], birth_month=1, retirement_age={"male": 62}, gradual_reform=True)
    with pytest.raises(ValueError, match="no retirement age"):
        S.retirement_month([1970], ["x"], birth_month=1, retirement_age={"male": 60})


def test_retirements_hand_worked_fixed_month():
    # snapshot Sept 2022; birth month July
    t = _t([{"birth_year": 1963, "gender": "male"},    # 2023-07 → year 1
            {"birth_year": 1964, "gender": "male"},    # 2024-07 → year 2
            {"birth_year": 1968, "gender": "female"},  # 2023-07 → year 1
            {"birth_year": 1966, "gender": "female"},  # 2021-07 → past, year 1
            {"birth_year": 1962, "gender": "male"},    # 2022-07 → past, year 1
            {"birth_year": 1972, "gender": "female"},  # 2027-07 → year 5
            {"birth_year": 1990, "gender": "male"}])   # 2050 → none
    r = S.retirements(t, school_year=2022, birth_month=7)
    y = r.by_year.set_index("year")["retirements"]
    assert y[1] == 4 and y[2] == 1 and y[5] == 1 and y[3] == 0 and len(y) == 10
    assert r.by_year["school_year"].tolist()[:2] == [2022, 2023]
    tot = r.totals.set_index("horizon")
    assert tot.loc[5, "retirements"] == 6 and tot.loc[10, "retirements"] == 6
    assert tot.loc[5, "n_past_retirement_age"] == 2
    assert tot.loc[5, "share_of_headcount"] == pytest.approx(6 / 7)
    assert tot.loc[5, "new_teachers_per_year"] == pytest.approx(6 / 5)
    # other attrition adds a share of the headcount per year
    r2 = S.retirements(t, school_year=2022, birth_month=7, other_attrition=0.1, horizon=5)
    assert r2.totals["new_teachers_per_year"].iloc[0] == pytest.approx(6 / 5 + 0.7)
    # reform: the 1972 woman (orig. 2027-07, 30 months after Jan 2025 → +8 months) retires 2028-03 → year 6
    r3 = S.retirements(t, school_year=2022, birth_month=7, gradual_reform=True)
    assert r3.totals.set_index("horizon").loc[5, "retirements"] == 5
    # a man born 1964 (orig 2024-07): unchanged by the reform
    assert r3.by_year.set_index("year")["retirements"][2] == 1


def test_retirements_uniform_birth_month():
    t = _t([{"birth_year": 1963, "gender": "male"}])   # months Jan–Dec 2023: Jan–Aug in year 1, Sep–Dec year 2
    r = S.retirements(t, school_year=2022)
    y = r.by_year.set_index("year")["retirements"]
    assert y[1] == pytest.approx(8 / 12) and y[2] == pytest.approx(4 / 12)
    by = S.retirements(_t([{"birth_year": 1963, "gender": "male", "stage": "junior"}, {"birth_year": 1990}]),
                       school_year=2022, by="stage", horizon=5)
    assert set(by.totals["stage"]) == {"junior", "primary"}
    with pytest.raises(ValueError, match="birth_month"):
        S.retirements(t, school_year=2022, birth_month=13)
    with pytest.raises(ValueError, match="horizon"):
        S.retirements(t, school_year=2022, horizon=0)


_people = st.lists(st.tuples(st.integers(1955, 2001), st.sampled_from(["male", "female"])), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None)
@given(_people)
def test_property_retirements(people):
    t = _t([{"birth_year": b, "gender": g} for b, g in people])
    base = S.retirements(t, school_year=2022).totals.set_index("horizon")
    reform = S.retirements(t, school_year=2022, gradual_reform=True).totals.set_index("horizon")
    n = len(people)
    # expected counts are sums of 1/12 weights: allow float rounding (3 × 12 × 1/12 = 3.0000000000000004)
    assert base.loc[5, "retirements"] <= base.loc[10, "retirements"] + 1e-9
    assert base.loc[10, "retirements"] <= n * (1 + 1e-12)
    # the reform only delays: never more retirements within a horizon
    for h in (5, 10):
        assert reform.loc[h, "retirements"] <= base.loc[h, "retirements"] + 1e-9
    a = S.age_structure(t, school_year=2022, by=None).shares.iloc[0]
    assert a["share_under_35"] + a["share_35_49"] + a["share_50_plus"] == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------- qualification / title
def test_qualification_and_title_structure():
    t = _t([{"qualification": "associate"}, {"qualification": "high_school_or_below", "title": "unrated"},
            {"stage": "junior", "qualification": "associate", "title": "senior"},
            {"stage": "junior", "qualification": "bachelor", "title": "senior_professor"},
            {"stage": "preschool", "qualification": "postgraduate"}])
    q = S.qualification_structure(t, school_year=2022).set_index("stage")
    assert q.loc["primary", "share_above_required"] == 0.5       # associate counts for primary
    assert q.loc["junior", "share_above_required"] == 0.5        # associate does not for junior
    assert math.isnan(q.loc["preschool", "share_above_required"])
    assert q.loc["junior", "n_associate"] == 1 and q.loc["preschool", "share_postgraduate"] == 1.0
    whole = S.qualification_structure(t, school_year=2022, by=None)
    assert math.isnan(whole["share_above_required"].iloc[0])     # preschool has no L1 definition
    ti = S.title_structure(t, school_year=2022).set_index("stage")
    assert ti.loc["junior", "share_first_or_higher"] == 1.0 and ti.loc["primary", "share_unrated"] == 0.5
    with pytest.raises(ValueError, match="unknown code"):
        S.qualification_structure(_t([{"qualification": "phd"}]))


# ---------------------------------------------------------------------------------------------- subjects
def test_subject_structure_and_missing_specialists():
    sch = _s([{"school_id": "S1", "students_primary": 200}, {"school_id": "S2", "students_primary": 300, "locale": "rural"},
              {"school_id": "TP", "school_type": "teaching_point", "students_primary": 20}])
    t = _t([{"school_id": "S1", "subject": "pe"}, {"school_id": "S1", "subject": "fine_art"},
            {"school_id": "S1", "subject": "it"}, {"school_id": "S1", "subject": "mental_health"},
            {"school_id": "S1", "subject": "music"},
            {"school_id": "S2", "subject": "pe"}, {"school_id": "S2", "subject": "music"},
            {"school_id": "S2", "subject": "chinese"}, {"school_id": "TP", "subject": "chinese"}])
    ss = S.subject_structure(t, sch, school_year=2022).set_index("school_id")
    assert ss.loc["S1", "L3"] == pytest.approx(1.5) and ss.loc["S1", "L3_meets"] and ss.loc["S1", "L3_gap_teachers"] == 0
    # S2: 2 PE/arts teachers for 300 students; 0.9/100 needs 2.7 → 1 more
    assert ss.loc["S2", "L3"] == pytest.approx(2 / 3) and ss.loc["S2", "L3_gap_teachers"] == 1
    assert ss.loc["S2", "per_100_chinese"] == pytest.approx(1 / 3) and ss.loc["S2", "teachers"] == 3
    ms = S.missing_specialists(t, sch, school_year=2022).set_index("school_id")
    assert "TP" not in ms.index                                  # teaching points excluded by default
    assert ms.loc["S1", "missing"] == () and ms.loc["S1", "n_missing"] == 0
    assert ms.loc["S2", "missing"] == ("fine_art", "it", "mental_health")
    assert "TP" in S.missing_specialists(t, sch, school_year=2022, exclude_types=()).school_id.tolist()


# ---------------------------------------------------------------------------------------------- backbone
def test_backbone_concentration_hand_worked():
    sch = _s([{"school_id": "U", "students_primary": 300}, {"school_id": "R", "students_primary": 100, "locale": "rural"}])
    t = _t([{"school_id": "U", "backbone_level": lv} for lv in ("county", "city", "province", "county", "city", "county")]
           + [{"school_id": "U"}, {"school_id": "R"}, {"school_id": "R", "backbone_level": "none"}])
    b = S.backbone_concentration(t, sch, school_year=2022)
    s = b.schools.set_index("school_id")
    assert s.loc["U", "L2"] == 2.0 and s.loc["R", "L2"] == 0.0 and s.loc["R", "L2_gap_teachers"] == 1
    loc = b.by_locale[b.by_locale["stage"] == "all"].set_index("locale")
    assert loc.loc["urban", "backbone_share"] == 1.0 and loc.loc["urban", "student_share"] == 0.75
    assert loc.loc["urban", "concentration_ratio"] == pytest.approx(4 / 3)
    ineq = b.inequality.set_index("stage").loc["primary"]
    # Gini: 2·300·100·|2−0| / (2·400²·1.5) = 0.25; weighted CV: sd = sqrt(.75·.25 + .25·2.25) = .866, mean 1.5
    assert ineq["gini_coefficient"] == pytest.approx(0.25)
    assert ineq["coefficient_of_variation"] == pytest.approx(math.sqrt(0.75) / 1.5)
    assert ineq["L2_pooled"] == pytest.approx(1.5)


# ---------------------------------------------------------------------------------------------- rotation
def test_rotation_eligibility_boundaries():
    t = _t([{"birth_year": 1967, "gender": "male", "years_in_school": 10},    # 2027-07: 4.83 y → no
            {"birth_year": 1968, "gender": "male", "years_in_school": 10},    # 5.83 y → yes
            {"birth_year": 1973, "gender": "female", "years_in_school": 6},   # 55 in 2028-07 → yes
            {"birth_year": 1972, "gender": "female", "years_in_school": 6},   # → no
            {"birth_year": 1990, "years_in_school": 5}])                      # 5 years in school → no
    assert S.rotation_eligible(t, school_year=2022).tolist() == [False, True, True, False, False]
    assert S.rotation_eligible(t, school_year=2022, min_years_in_school=5).tolist()[-1]
    # reform: the 1967 man retires at 60y+… → 2027-07 + 31 months → eligible
    assert S.rotation_eligible(t, school_year=2022, gradual_reform=True).tolist()[0]


def test_rotation_hand_worked_and_flows():
    rows = ([{"years_in_school": 8, "school_id": "U"}] * 4                               # eligible
            + [{"years_in_school": 0, "rotated": True, "backbone_level": "city", "school_id": "R"},
               {"years_in_school": 0, "rotated": True, "school_id": "R"}]                # rotated
            + [{"years_in_school": 3}] * 3 + [{"years_in_school": 9, "birth_year": 1963, "gender": "male"}]
            + [{"years_in_school": 9, "stage": "senior", "rotated": True}])               # other stage: ignored
    t = _t(rows)
    r = S.rotation(t, school_year=2022)
    row = r.table.iloc[0]
    assert (row["teachers"], row["eligible"], row["rotated"]) == (10, 6, 2)
    assert row["rotation_rate"] == pytest.approx(1 / 3) and row["meets_city"] and row["meets_national"]
    assert row["backbone_share_of_rotated"] == 0.5 and row["meets_backbone_share"]
    assert row["gap_to_city"] == 0 and row["share_of_all_teachers"] == pytest.approx(0.2)
    assert r.flows is None and "unavailable" in r.flows_note
    # a county with 40 eligible and 2 rotated needs ceil(0.15·42 − 2) = 5 more
    big = _t([{"years_in_school": 8}] * 40 + [{"rotated": True, "years_in_school": 0}] * 2)
    assert S.rotation(big, school_year=2022).table["gap_to_city"].iloc[0] == 5
    # flows from the previous year's rows (same teacher_key)
    prev = t.copy()
    prev["school_year"] = 2021
    prev.loc[prev["rotated"], "school_id"] = "U"
    both = pd.concat([prev, t], ignore_index=True)
    sch = pd.concat([_s([{"school_id": "U"}, {"school_id": "R", "locale": "rural"}, {"school_id": "S1", "locale": "town"}],
                        year=y) for y in (2021, 2022)])
    f = S.rotation(both, school_year=2022, schools=sch)
    assert f.flows.to_dict("records") == [{"origin_locale": "urban", "destination_locale": "rural", "teachers": 2}]
    by = S.rotation(both, school_year=2022, schools=sch, by="locale").table.set_index("locale")
    assert by.loc["rural", "rotated"] == 2 and by.loc["urban", "rotated"] == 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.booleans(), st.integers(1960, 2000)), min_size=1, max_size=40))
def test_property_rotation_rate_bounded(rows):
    t = _t([{"years_in_school": y, "rotated": r, "birth_year": b} for y, r, b in rows])
    tab = S.rotation(t, school_year=2022).table.iloc[0]
    assert tab["rotated"] <= tab["eligible"] <= tab["teachers"]
    if tab["eligible"]:
        assert 0.0 <= tab["rotation_rate"] <= 1.0
        assert tab["rotated"] + tab["gap_to_city"] >= 0.15 * tab["eligible"] - 1e-9


# ---------------------------------------------------------------------------------------------- by= per group
def test_backbone_concentration_by_county_equals_each_county_alone():
    sch = _s([{"school_id": "U", "students_primary": 300}, {"school_id": "R", "students_primary": 100, "locale": "rural"},
              {"school_id": "X", "students_primary": 200, "county": "乙县"},
              {"school_id": "Y", "students_primary": 50, "county": "乙县", "locale": "rural"}])
    t = _t([{"school_id": "U", "backbone_level": "county"}] * 6 + [{"school_id": "R"}, {"school_id": "R"}]
           + [{"school_id": "X", "backbone_level": "city"}] * 2 + [{"school_id": "Y", "backbone_level": "county"}])
    by = S.backbone_concentration(t, sch, school_year=2022, by="county")
    assert list(by.inequality.columns[:2]) == ["county", "stage"]
    for county in ("测试县", "乙县"):
        alone = S.backbone_concentration(t, sch[sch["county"] == county], school_year=2022)
        part = by.by_locale[by.by_locale["county"] == county].drop(columns="county").reset_index(drop=True)
        pd.testing.assert_frame_equal(part, alone.by_locale.reset_index(drop=True), check_dtype=False)
        ip = by.inequality[by.inequality["county"] == county].drop(columns="county").reset_index(drop=True)
        pd.testing.assert_frame_equal(ip, alone.inequality.reset_index(drop=True), check_dtype=False)
    # 乙县: X has L2 = 1.0 (2/200·100), Y 2.0 (1/50·100); urban share of backbone 2/3 of students' 0.8
    loc = by.by_locale[(by.by_locale["county"] == "乙县") & (by.by_locale["stage"] == "all")].set_index("locale")
    assert loc.loc["urban", "backbone_share"] == pytest.approx(2 / 3)
    assert loc.loc["urban", "concentration_ratio"] == pytest.approx((2 / 3) / 0.8)
    assert by.inequality.set_index("county").loc["测试县", "n_schools_L2_short"] == 1  # R: 0 < 1 per 100
    assert by.to_frame() is by.by_locale


def test_rotation_flows_per_county_keep_origins_inside_the_county():
    # two teachers rotate into R (county A): one from U (county A), one from X (county B)
    cur = _t([{"school_id": "R", "rotated": True}, {"school_id": "R", "rotated": True},
              {"school_id": "U", "years_in_school": 8}, {"school_id": "X", "years_in_school": 8}])
    prev = cur.copy()
    prev["school_year"] = 2021
    prev.loc[[0, 1], "school_id"] = ["U", "X"]
    both = pd.concat([prev, cur], ignore_index=True)
    sch = pd.concat([_s([{"school_id": "U", "county": "A"}, {"school_id": "R", "county": "A", "locale": "rural"},
                         {"school_id": "X", "county": "B"}], year=y) for y in (2021, 2022)])
    city = S.rotation(both, school_year=2022, schools=sch)
    assert city.flows["teachers"].sum() == 2 and city.flows_reason == "linked_previous_year"
    per = S.rotation(both, school_year=2022, schools=sch, by="county")
    assert per.flows.to_dict("records") == [{"county": "A", "origin_locale": "urban", "destination_locale": "rural",
                                              "teachers": 1}]
    ex = per.flows_excluded.set_index("county")
    assert (ex.loc["A", "n_unlinked"], ex.loc["A", "n_outside"]) == (0, 1)
    assert per.to_frame().set_index("county").loc["A", "rotated"] == 2


def test_every_result_class_has_to_frame():
    t = _t([{"birth_year": 1970, "years_in_school": 8}, {"birth_year": 1990, "rotated": True}])
    sch = _s([{"school_id": "S1", "students_primary": 100}])
    a = S.age_structure(t, school_year=2022, by=None)
    assert a.to_frame() is a.shares
    r = S.retirements(t, school_year=2022)
    assert r.to_frame() is r.totals and set(r.to_frame()["horizon"]) == {5, 10}
    b = S.backbone_concentration(t, sch, school_year=2022)
    assert b.to_frame() is b.by_locale
    ro = S.rotation(t, school_year=2022)
    assert ro.to_frame() is ro.table and ro.to_frame()["rotated"].iloc[0] == 1
    sf = S.teacher_shortfall(sch.assign(teachers_primary=5), students="students_primary", teachers="teachers_primary",
                             stage="primary", school_year=2022, by=None)
    assert sf.to_frame() is sf.totals
