"""2012 basic balance, standard selection, weighted vs unweighted, year-on-year."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lyganalysis.metrics.balance import (
    BASIC_KEYS,
    INDICATOR_KEYS,
    balance_assessment,
    basic_balance_assessment,
    basic_balance_indicators,
    coefficient_of_variation,
    cv_comparison,
    quality_balance_assessment,
    quality_balance_indicators,
    school_sections,
    select_standard,
    year_on_year,
)
from lyganalysis.standards import BASIC_INDICATORS, INTERMEDIATE_OR_HIGHER_TITLES

# references/reference_values.md#cv_books_example (《县域义务教育校际均衡指标计算方法（以生均图书册数为例）》)
GOLDEN_STUDENTS = [45, 37, 89, 76, 55]
GOLDEN_BOOKS = [279, 137, 935, 160, 402]


def _sections(students, **per_student):
    """Primary sections whose indicator numerators give the per-student values asked for (others constant)."""
    n = len(students)
    s = pd.Series(students, dtype="float64")
    base = dict(school_id=[f"32070700{i:02d}" for i in range(n)], school_name=[f"小学{i + 1}" for i in range(n)],
                county="赣榆区", county_code="320707", locale="town", school_type="primary", school_year=2022,
                stage="primary", students=list(students), teachers=s * 0.06, above_required_qualification=s * 0.05,
                backbone_teachers=s * 0.012, pe_arts_teachers=s * 0.01, teaching_area_m2=s * 5.0,
                sports_area_m2=s * 8.0, equipment_value_yuan=s * 2500.0, multimedia_classrooms=s * 0.025,
                computers=s * 0.15, books=s * 30.0, intermediate_title_teachers=s * 0.03)
    df = pd.DataFrame(base)
    for col, vals in per_student.items():
        df[col] = np.asarray(vals, dtype="float64")
    df["zero_students"] = df["students"].eq(0)
    return df


def test_golden_1_weighting_flips_the_verdict_through_the_assessment():
    # L4 (teaching area per student) carries the published books-per-student values; everything else is equal
    x = np.array(GOLDEN_BOOKS) / np.array(GOLDEN_STUDENTS)
    sec = _sections(GOLDEN_STUDENTS, teaching_area_m2=np.array(GOLDEN_BOOKS, dtype=float))
    ind = quality_balance_indicators(sec)
    assert ind["L4"].to_numpy() == pytest.approx(x)
    w = quality_balance_assessment(ind)
    u = quality_balance_assessment(ind, weighted=False)
    cvw = w.table.set_index("indicator").loc["L4", "coefficient_of_variation"]
    cvu = u.table.set_index("indicator").loc["L4", "coefficient_of_variation"]
    assert cvw == pytest.approx(0.5153, rel=1e-3) and cvu == pytest.approx(0.4888, rel=1e-3)
    assert not w.passes and u.passes and w.failing == (("primary", "L4"),)
    cmp = cv_comparison(ind, standard="quality_2017").set_index(["stage", "indicator"])
    row = cmp.loc[("primary", "L4")]
    assert row["cv_weighted"] == pytest.approx(0.5153, rel=1e-3)
    assert row["cv_unweighted"] == pytest.approx(0.4888, rel=1e-3)
    assert not row["passes_weighted"] and row["passes_unweighted"] and row["verdict_flips"]
    assert not cmp.loc[("primary", "L1"), "verdict_flips"]
    assert cmp.loc[("primary", "composite"), "cv_weighted"] == pytest.approx(cvw / 7, rel=1e-9)


def test_basic_indicators_hand_worked():
    sec = _sections([400], computers=[60.0], books=[12000.0], teachers=[24.0], intermediate_title_teachers=[10.0])
    row = basic_balance_indicators(sec).iloc[0]
    # B1 2000/400 = 5, B2 3200/400 = 8, B3 1e6/400 = 2500, B4 60·100/400 = 15, B5 30, B6 6, B7 5, B8 2.5
    assert [row[k] for k in BASIC_KEYS] == pytest.approx([5.0, 8.0, 2500.0, 15.0, 30.0, 6.0, 5.0, 2.5])
    no_titles = basic_balance_indicators(sec.drop(columns="intermediate_title_teachers"))
    assert no_titles["B8"].isna().all()


def test_basic_assessment_composite_rule_and_limits():
    # B5 books: published books example (weighted CV 0.5153); all else equal → composite = 0.5153 / 8
    sec = _sections(GOLDEN_STUDENTS, books=np.array(GOLDEN_BOOKS, dtype=float))
    ind = basic_balance_indicators(sec)
    a = basic_balance_assessment(ind)
    assert a.composite_cv["primary"] == pytest.approx(0.5152566 / 8, rel=1e-6)
    assert a.passes and a.complete and a.standard == "basic_2012"
    frame = a.to_frame()
    comp = frame[frame["indicator"] == "composite"].iloc[0]
    assert comp["limit"] == 0.65 and bool(comp["passes"])
    # a tight override limit makes it fail, and the failing indicator's schools are listed
    f = basic_balance_assessment(ind, limits={"primary": 0.05})
    assert not f.passes and f.failing == ("primary",)
    assert set(f.top_contributors["indicator"]) == {"B5"}
    assert f.top_contributors["variance_share"].is_monotonic_decreasing
    # no title records: 7 of 8, flagged as not the official composite
    partial = basic_balance_assessment(basic_balance_indicators(sec.drop(columns="intermediate_title_teachers")))
    assert partial.unavailable == ("B8",) and not partial.complete
    assert partial.composite_cv["primary"] == pytest.approx(0.5152566 / 7, rel=1e-6)
    assert any("7 of 8" in n for n in partial.notes)


def test_basic_composite_limit_junior_055():
    sec = _sections(GOLDEN_STUDENTS, books=np.array(GOLDEN_BOOKS, dtype=float)).assign(stage="junior")
    a = basic_balance_assessment(basic_balance_indicators(sec), limits={"junior": 0.06})
    assert a.limits == {"junior": 0.06} and not a.passes  # 0.0644 > 0.06
    assert basic_balance_assessment(basic_balance_indicators(sec)).limits == {"junior": 0.55}


def test_standard_selection_by_year_and_option():
    assert select_standard(2016) == "basic_2012"
    assert select_standard(2017) == "quality_2017"
    assert select_standard(2010, "quality_2017") == "quality_2017"
    with pytest.raises(ValueError, match="standard must be"):
        select_standard(2020, "2017")
    with pytest.raises(ValueError, match="needs a school year"):
        select_standard(None)
    ind = basic_balance_indicators(quality_balance_indicators(_sections([300, 500, 700])))
    assert balance_assessment(ind).standard == "quality_2017"  # school_year column 2022
    assert balance_assessment(ind.assign(school_year=2015)).standard == "basic_2012"
    assert balance_assessment(ind, standard="basic_2012").standard == "basic_2012"
    assert balance_assessment(ind, school_year=2013).standard == "basic_2012"


def test_title_counts_from_teachers_table():
    schools = pd.DataFrame([dict(
        school_year=2022, school_id="3207070001", school_name="学校01", county_code="320707", county="赣榆区",
        school_type="nine_year", central_school_id=pd.NA, locale_code="121", locale="town", ownership="public",
        students_primary=300, students_junior=200, students_senior=0, teachers_primary=4, teachers_junior=3,
        above_required_qualification_primary=4, above_required_qualification_junior=3,
        backbone_teachers_primary=1, backbone_teachers_junior=1, pe_arts_teachers_primary=1,
        pe_arts_teachers_junior=1, teaching_area_m2=3000.0, sports_area_m2=4000.0,
        equipment_value_yuan=1e6, multimedia_classrooms=10, computers=100, books=15000)])
    teachers = pd.DataFrame({"school_year": 2022, "school_id": "3207070001",
                             "stage": ["primary"] * 4 + ["junior"] * 3,
                             "title": ["senior_professor", "first", "second", "unrated", "senior", "third", "first"]})
    sec = school_sections(schools, teachers=teachers).set_index("stage")
    assert sec.loc["primary", "intermediate_title_teachers"] == 2.0  # 正高级 + 一级
    assert sec.loc["junior", "intermediate_title_teachers"] == 2.0   # 高级 + 一级
    assert set(INTERMEDIATE_OR_HIGHER_TITLES) == {"senior_professor", "senior", "first"}
    # computers and books apportioned 300 : 1.1·200
    assert sec.loc["primary", "computers"] == pytest.approx(100 * 300 / 520)
    assert sec.loc["junior", "books"] == pytest.approx(15000 * 220 / 520)
    # a stage with teachers but no records is unknown, not zero
    sec2 = school_sections(schools, teachers=teachers[teachers["stage"] == "primary"]).set_index("stage")
    assert np.isnan(sec2.loc["junior", "intermediate_title_teachers"])
    assert BASIC_INDICATORS["B8"].numerator == "intermediate_title_teachers"


def test_year_on_year_hand_worked():
    t21 = pd.DataFrame({"stage": ["primary", "junior"], "indicator": ["L1", "L1"], "cv": [0.30, 0.40]})
    t22 = pd.DataFrame({"stage": ["primary", "junior"], "indicator": ["L1", "L1"], "cv": [0.25, 0.46]})
    t23 = pd.DataFrame({"stage": ["primary"], "indicator": ["L1"], "cv": [0.20]})
    out = year_on_year({2022: t22, 2021: t21, 2023: t23}, on=["stage", "indicator"], value="cv")
    assert list(out["school_year"]) == [2021, 2021, 2022, 2022, 2023]
    y22 = out[out["school_year"] == 2022].set_index("stage")
    assert y22.loc["primary", "cv_change"] == pytest.approx(-0.05)
    assert y22.loc["junior", "cv_change"] == pytest.approx(0.06)
    assert out[out["school_year"] == 2021]["cv_change"].isna().all()
    assert out.iloc[-1]["previous_year"] == 2022 and out.iloc[-1]["cv_previous"] == pytest.approx(0.25)


@settings(max_examples=12, deadline=None)
@given(st.lists(st.tuples(st.integers(20, 2000), st.floats(0.5, 50.0)), min_size=2, max_size=12),
       st.floats(0.01, 100.0), st.randoms())
def test_property_basic_composite_scale_and_order_invariant(rows, scale, rnd):
    students = [r[0] for r in rows]
    books = [r[0] * r[1] for r in rows]
    ind = basic_balance_indicators(_sections(students, books=books))
    base = basic_balance_assessment(ind)
    scaled = basic_balance_assessment(basic_balance_indicators(_sections(students, books=[b * scale for b in books])))
    assert scaled.composite_cv["primary"] == pytest.approx(base.composite_cv["primary"], rel=1e-9, abs=1e-12)
    order = list(range(len(ind)))
    rnd.shuffle(order)
    shuffled = basic_balance_assessment(ind.iloc[order])
    assert shuffled.composite_cv["primary"] == pytest.approx(base.composite_cv["primary"], rel=1e-9, abs=1e-12)
    un = basic_balance_assessment(ind, weighted=False)
    assert un.table.set_index("indicator").loc["B5", "coefficient_of_variation"] == pytest.approx(
        coefficient_of_variation(ind, value="B5"), rel=1e-12)


@settings(max_examples=8, deadline=None)
@given(st.lists(st.integers(1, 3000), min_size=1, max_size=10))
def test_property_all_equal_schools_give_zero_cvs(students):
    ind = basic_balance_indicators(quality_balance_indicators(_sections(students)))
    for a in (quality_balance_assessment(ind), quality_balance_assessment(ind, weighted=False),
              basic_balance_assessment(ind), basic_balance_assessment(ind, weighted=False)):
        assert np.allclose(a.table["coefficient_of_variation"], 0.0, atol=1e-9)
    assert list(INDICATOR_KEYS) == [f"L{i}" for i in range(1, 8)]
