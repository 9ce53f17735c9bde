"""The staffing analysis (lyganalysis.analysis.staffing): hand-worked cases on an invented two-county dataset,
privacy of teacher breakdowns, the grouped pass equals the one-county path, the store round trip."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from lyganalysis.analysis import staffing as A
from lyganalysis.analysis import store
from lyganalysis.datasets import Dataset
from lyganalysis.settings import Settings

YEAR = 2022


def _teachers(school_id, n, stage, *, start=0, ages=None, quals=None, subjects=None, rotated=(), year=YEAR):
    ages = ages or [40] * n
    quals = quals or ["bachelor"] * n
    subjects = subjects or ["chinese"] * n
    return pd.DataFrame({
        "school_year": year, "teacher_key": [f"{school_id}-{start + i}" for i in range(n)], "school_id": school_id,
        "stage": stage, "birth_year": [year - a for a in ages], "gender": ["female", "male"] * (n // 2) + ["female"] * (n % 2),
        "qualification": quals, "title": ["first"] * n, "subject": subjects,
        "backbone_level": ["county"] + ["none"] * (n - 1), "years_in_school": [8] * n,
        "rotated": [i in rotated for i in range(n)]})


@pytest.fixture(scope="module")
def mini():
    """Invented: county A (a1 urban 190 pupils / 8 teachers, a2 rural 95 / 6, a3 town teaching point 20 / 2),
    county B (b1 urban junior 270 pupils / 25 teachers)."""
    s = pd.DataFrame({
        "school_year": YEAR, "school_id": ["a1", "a2", "a3", "b1"], "school_name": ["A<1>&\"", "A2", "A3", "B1"],
        "county": ["A", "A", "A", "B"], "county_code": ["1", "1", "1", "2"],
        "locale": ["urban", "rural", "town", "urban"],
        "school_type": ["primary", "primary", "teaching_point", "junior"],
        "students_primary": [190, 95, 20, 0], "students_junior": [0, 0, 0, 270],
        "teachers_primary": [8, 6, 2, 0], "teachers_junior": [0, 0, 0, 25],
        "classes_primary": [6, 6, 2, 0], "classes_junior": [0, 0, 0, 6]})
    music = ["music", "pe", "fine_art", "it", "mental_health"]
    t = pd.concat([
        _teachers("a1", 8, "primary", ages=[30, 30, 52, 52, 40, 40, 40, 58], subjects=music + ["chinese"] * 3,
                  rotated=(1,)),
        _teachers("a2", 6, "primary", ages=[25, 36, 36, 50, 50, 50], quals=["associate"] + ["bachelor"] * 5),
        _teachers("a3", 2, "primary", ages=[24, 59]),
        _teachers("b1", 25, "junior", subjects=music + ["math"] * 20, quals=["associate"] * 5 + ["bachelor"] * 20),
    ], ignore_index=True)
    return Dataset(name="mini", schools=s, teachers=t, scores=None, county_facts=None, school_results=None,
                   simulated=True, language="zh", description="invented")


def test_hand_worked_ratios_and_shortfall(mini):
    r = A.analyse(mini, county="A", school_year=YEAR)
    p = r.ratios.set_index("stage").loc["primary"]
    # pooled: (190 + 95 + 20) / (8 + 6 + 2); mean of schools: (190/8 + 95/6 + 20/2) / 3
    assert p["student_teacher_ratio"] == pytest.approx(305 / 16, rel=1e-15)
    assert p["mean_of_schools_ratio"] == pytest.approx((190 / 8 + 95 / 6 + 10) / 3, rel=1e-15)
    # 2014 standard 1:19: need 305/19; a1 needs 10 (2 short), a2 5 (1 surplus), a3 20/19
    assert p["staffing_standard"] == 19
    assert p["teacher_need"] == pytest.approx(305 / 19, rel=1e-15)
    assert p["teacher_shortfall"] == pytest.approx(305 / 19 - 16, rel=1e-12)
    assert p["gross_shortfall"] == pytest.approx(2.0) and p["n_schools_short"] == 1
    assert r.shortfall_schools["school_id"].tolist() == ["a1"]
    b = A.analyse(mini, county="B", school_year=YEAR).ratios.set_index("stage").loc["junior"]
    assert b["student_teacher_ratio"] == pytest.approx(10.8) and b["teacher_shortfall"] == pytest.approx(-5.0)
    assert "standard_counts_all_staff" in r.caveats
    f = r.figures()
    assert f["staffing.student_teacher_ratio.primary"].value == pytest.approx(305 / 16)
    assert f["staffing.teacher_shortfall"].value == pytest.approx(305 / 19 - 16)
    assert f["staffing.teacher_shortfall.primary"].params["staffing_standard"] == 19


def test_school_rows_specialists_and_actions(mini):
    r = A.analyse(mini, county="A", school_year=YEAR)
    s = r.schools.set_index("school_id")
    assert s.loc["a1", "student_teacher_ratio"] == pytest.approx(190 / 8)
    assert s.loc["a1", "teacher_shortfall"] == pytest.approx(2.0)
    # a1 has all five specialists; a2 none; the teaching point a3 is not checked for specialists
    assert s.loc["a1", "missing"] == "" and s.loc["a1", "n_missing"] == 0
    assert s.loc["a2", "missing"].split(",") == ["music", "pe", "fine_art", "it", "mental_health"]
    assert s.loc["a3", "missing"] == "" and not s.loc["a3", "missing_music"]
    assert r.figures()["staffing.schools_missing_music"].value == 1
    one = r.for_school("a2")
    assert one["school"]["n_missing"] == 5 and len(one["sections"]) == 1
    assert r.for_school("nope") == {}


def test_teacher_breakdowns_of_small_groups_are_withheld(mini):
    r = A.analyse(mini, county="A", school_year=YEAR, settings=Settings(min_cell_size=5))
    s = r.schools.set_index("school_id")
    # a3 has 2 teachers: withheld; it is the only one, so a county total would give it back -> the smallest
    # shown school (a2, 6 teachers) is withheld too; a1 (8) is shown
    assert s.loc["a3", "structure_suppressed"] and math.isnan(s.loc["a3", "share_50_plus"])
    assert s.loc["a2", "structure_suppressed"] and math.isnan(s.loc["a2", "mean_age"])
    assert not s.loc["a1", "structure_suppressed"] and s.loc["a1", "share_50_plus"] == pytest.approx(3 / 8)
    # stage × locale: town (2) withheld, rural (6) withheld by complementary suppression, urban (8) shown
    al = r.age_by_locale.set_index("locale")
    assert al.loc["town", "suppressed"] and np.isnan(al.loc["town", "n_50_plus"])
    assert al.loc["rural", "suppressed"] and np.isnan(al.loc["rural", "share_under_35"])
    assert not al.loc["urban", "suppressed"] and al.loc["urban", "n_50_plus"] == 3
    q = r.qualification.set_index("locale")
    assert q.loc["town", "suppressed"] and np.isnan(q.loc["town", "n_bachelor"])
    assert q.loc["rural", "suppressed"] and not q.loc["all", "suppressed"]
    assert q.loc["all", "n_associate"] == 1
    t = r.titles.set_index("locale")
    assert t.loc["town", "suppressed"] and np.isnan(t.loc["town", "share_first"])
    # the group sizes stay (they are published elsewhere); only the make-up is withheld
    assert al.loc["town", "teachers"] == 2
    # with min_cell_size 1 nothing is withheld
    r1 = A.analyse(mini, county="A", school_year=YEAR, settings=Settings(min_cell_size=1))
    assert not r1.age_by_locale["suppressed"].any() and not r1.schools["structure_suppressed"].any()


def test_pyramid_cells_are_suppressed(mini):
    r = A.analyse(mini, county="B", school_year=YEAR, settings=Settings(min_cell_size=5))
    p = r.pyramid
    assert p["teachers"].sum() == 25
    shown = p[p["teachers_shown"].notna()]
    assert (shown["teachers_shown"] == 0).all() or (shown.loc[shown["teachers_shown"] > 0, "teachers_shown"] >= 5).all()
    assert p.loc[(p["teachers"] > 0) & (p["teachers"] < 5), "teachers_shown"].isna().all()


def test_rotation_pool_and_rate(mini):
    r = A.analyse(mini, county="A", school_year=YEAR)
    rot = r.rotation.set_index("stage").loc["all"]
    # pool: years_in_school 8 >= 6 and > 5 years to retirement; women retire at 55 (settings), men at 60.
    # A's teachers: a1 ages 30f,30m,52f,52m,40f,40m,40f,58m -> 52f (3 y left), 58m (2 y) out; a2 25f,36m,36f,50m,
    # 50f,50m -> 50f (5 y, not > 5) out; a3 24f, 59m -> 59m out. Pool = 16 - 4 = 12, plus the rotated one (in).
    assert rot["eligible"] == 12 and rot["rotated"] == 1
    assert rot["rotation_rate"] == pytest.approx(1 / 12)
    assert r.figures()["staffing.rotation_rate"].value == pytest.approx(1 / 12)
    # one retirement age for everyone (a setting) changes the pool: women at 60 -> 52f and 50f are back in
    r60 = A.analyse(mini, county="A", school_year=YEAR, settings=Settings(rotation_retirement_age=60))
    assert r60.rotation.set_index("stage").loc["all", "eligible"] == 14


def test_grouped_pass_equals_one_county_path(mini):
    every = A.analyse(mini, county=None, school_year=YEAR)
    assert list(every) == ["A", "B"]
    for c in ("A", "B"):
        assert every[c].to_dict() == A.analyse(mini, county=c, school_year=YEAR).to_dict()


def test_city_table_sums_counties(mini):
    city = A.analyse_city(mini, school_year=YEAR)
    t = city.table.set_index("unit")
    assert list(t.index) == ["A", "B", A.CITY]
    assert t.loc[A.CITY, "teachers"] == 41 == t.loc["A", "teachers"] + t.loc["B", "teachers"]
    assert t.loc[A.CITY, "ratio_primary"] == pytest.approx(305 / 16)
    assert t.loc["B", "shortfall_junior"] == pytest.approx(-5.0)
    assert t.loc[A.CITY, "rotated"] == 1
    again = A.analyse_city(mini, school_year=YEAR, results=city.counties)
    pd.testing.assert_frame_equal(again.table, city.table)
    assert city.figures()["staffing.student_teacher_ratio.primary"].value == pytest.approx(305 / 16)


def test_errors(mini):
    with pytest.raises(KeyError, match="not in the data"):
        A.analyse(mini, county="Z", school_year=YEAR)
    with pytest.raises(ValueError, match="no schools in school year 1999"):
        A.analyse(mini, county="A", school_year=1999)
    import dataclasses

    no_t = dataclasses.replace(mini, teachers=None)
    r = A.analyse(no_t, county="A", school_year=YEAR)
    assert {u.reason for u in r.unavailable} >= {"stf_no_teacher_records"}
    assert r.ratios.set_index("stage").loc["primary", "student_teacher_ratio"] == pytest.approx(305 / 16)
    with pytest.raises(ValueError, match="no teachers table"):
        A.analyse_city(no_t, school_year=YEAR)


def test_store_round_trip(mini, tmp_path):
    r = A.analyse(mini, county="A", school_year=YEAR)
    store.save(r, tmp_path / "s")
    back = store.load(tmp_path / "s")
    assert type(back) is A.StaffingResult
    assert back.to_dict() == r.to_dict()
    pd.testing.assert_frame_equal(back.schools, r.schools)


@pytest.mark.slow
def test_demo_grouped_equals_one_county_and_round_trips(demo, all_counties, tmp_path):
    every = all_counties("staffing", school_year=YEAR)  # the grouped pass, once per session (tests/conftest.py)
    one = A.analyse(demo, county="连云区", school_year=YEAR)
    import baseline as B  # the comparator of the baseline tests: numbers equal at rtol 1e-12 (sums differ in order)

    assert not B.compare(one.to_dict(), every["连云区"].to_dict(), path="staffing")
    store.save(every, tmp_path / "all")
    back = store.load(tmp_path / "all")
    assert back["赣榆区"].to_dict() == every["赣榆区"].to_dict()
    # the pooled ratio is Σstudents / Σteachers of the schools table
    s = demo.schools[(demo.schools.county == "赣榆区") & (demo.schools.school_year == YEAR)]
    sub = s[s["students_junior"].fillna(0) > 0]
    assert every["赣榆区"].ratios.set_index("stage").loc["junior", "student_teacher_ratio"] == pytest.approx(
        sub["students_junior"].sum() / sub["teachers_junior"].sum(), rel=1e-12)


@pytest.mark.slow
def test_gradual_reform_setting_chooses_the_key_scenario(mini):
    base = A.analyse(mini, county="A", school_year=YEAR)
    reform = A.analyse(mini, county="A", school_year=YEAR, settings=Settings(gradual_retirement_reform=True))
    ret = base.retirements.set_index(["scenario_key", "horizon"])
    assert base.figures()["staffing.retirements_10y"].value == ret.loc[("statutory", 10), "retirements"]
    assert reform.figures()["staffing.retirements_10y"].value == ret.loc[("gradual_reform", 10), "retirements"]
    # 10 years ahead: a3's 59-year-old man and a1's 58-year-old man, 52-year-old woman (55) retire at the
    # original ages; under the reform some of them later, never earlier
    assert reform.figures()["staffing.retirements_10y"].value <= base.figures()["staffing.retirements_10y"].value
    # other ages (a setting): women at 60 retire later than at 55
    later = A.analyse(mini, county="A", school_year=YEAR, settings=Settings(retirement_age_female=60))
    assert later.figures()["staffing.retirements_5y"].value < base.figures()["staffing.retirements_5y"].value




@hsettings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), min_size=1, max_size=4), min_size=1, max_size=4), st.integers(1, 8))
def test_property_no_single_withheld_group_under_a_total(groups, k):
    rows = [{"g": i, "teachers": n, "n_x": n // 2, "share_x": 0.5} for i, ns in enumerate(groups) for n in ns]
    out = A._withhold(pd.DataFrame(rows), ["n_x", "share_x"], k, total_keys=["g"])
    for _, sub in out.groupby("g"):
        withheld = sub["suppressed"] & (sub["teachers"] > 0)
        shown = ~sub["suppressed"] & (sub["teachers"] > 0)
        # primary rule, and never exactly one withheld group beside shown ones (it would follow from the total)
        assert (sub.loc[(sub["teachers"] > 0) & (sub["teachers"] < k), "suppressed"]).all()
        assert not (withheld.sum() == 1 and shown.sum() > 0)
        assert sub.loc[sub["suppressed"], "share_x"].isna().all()
        assert (sub.loc[~sub["suppressed"] & (sub["teachers"] > 0), "share_x"] == 0.5).all()
