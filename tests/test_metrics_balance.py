"""差异系数 and 优质均衡 indicators (lyganalysis.metrics.balance)."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lyganalysis.metrics.balance import (
    INDICATOR_KEYS,
    QualityBalanceAssessment,
    coefficient_of_variation,
    quality_balance_assessment,
    quality_balance_indicators,
    school_compliance,
    school_sections,
)

# ---------------------------------------------------------------------------------------------
# references/reference_values.md#cv_books_example: five-school books example (《县域义务教育校际均衡指标计算方法（以生均图书册数为例）》)

@pytest.fixture
def five_schools():
    df = pd.DataFrame({"school": ["小学1", "小学2", "小学3", "小学4", "小学5"],
                       "students": [45, 37, 89, 76, 55], "books": [279, 137, 935, 160, 402]})
    df["books_per_student"] = df["books"] / df["students"]
    return df


def test_golden_1_weighted_cv_books_example(five_schools):
    cv = coefficient_of_variation(five_schools, value="books_per_student", weight="students")
    assert cv == pytest.approx(0.5153, rel=1e-3)
    assert cv > 0.50  # fails the primary limit when weighted


def test_golden_1_unweighted_cv_books_example(five_schools):
    assert coefficient_of_variation(five_schools, value="books_per_student") == pytest.approx(0.4888, rel=1e-3)
    assert coefficient_of_variation(five_schools, value="books_per_student", ddof=1) == pytest.approx(0.5465, rel=1e-3)


def test_golden_1_weighted_mean_is_county_total_over_students(five_schools):
    # X̄ = 1913 / 302 = 6.3344, S = 3.264 (document values)
    x = five_schools["books_per_student"]
    p = five_schools["students"]
    mean = (p * x).sum() / p.sum()
    assert mean == pytest.approx(1913 / 302, rel=1e-12)
    sd = math.sqrt((p / p.sum() * (x - mean) ** 2).sum())
    assert sd == pytest.approx(3.264, rel=1e-3)
    assert coefficient_of_variation(five_schools, value="books_per_student", weight="students") == pytest.approx(
        sd / mean, rel=1e-12)


def test_cv_by_group_returns_series(five_schools):
    df = pd.concat([five_schools.assign(county="A"), five_schools.assign(county="B")], ignore_index=True)
    out = coefficient_of_variation(df, value="books_per_student", weight="students", by="county")
    assert isinstance(out, pd.Series) and list(out.index) == ["A", "B"]
    assert out.to_numpy() == pytest.approx([0.5152566298844764] * 2, rel=1e-12)


def test_cv_nan_raises_with_column_and_count(five_schools):
    df = five_schools.copy()
    df.loc[[1, 3], "books_per_student"] = np.nan
    with pytest.raises(ValueError, match=r"'books_per_student' has 2 missing"):
        coefficient_of_variation(df, value="books_per_student", weight="students")
    with pytest.raises(ValueError, match=r"'books_per_student' has 2 missing"):
        coefficient_of_variation(df, value="books_per_student")


def test_cv_zero_weight_rows_carry_no_weight(five_schools):
    base = coefficient_of_variation(five_schools, value="books_per_student", weight="students")
    extra = pd.DataFrame({"school": ["空校"], "students": [0], "books": [0], "books_per_student": [np.nan]})
    df = pd.concat([five_schools, extra.assign(books_per_student=99.0)], ignore_index=True)
    assert coefficient_of_variation(df, value="books_per_student", weight="students") == pytest.approx(base)
    df = pd.concat([five_schools, extra], ignore_index=True)  # NaN value with zero weight is fine
    assert coefficient_of_variation(df, value="books_per_student", weight="students") == pytest.approx(base)


def test_cv_bad_arguments(five_schools):
    with pytest.raises(ValueError, match="population-type"):
        coefficient_of_variation(five_schools, value="books_per_student", weight="students", ddof=1)
    with pytest.raises(ValueError, match="negative"):
        coefficient_of_variation(five_schools.assign(students=-1), value="books_per_student", weight="students")
    with pytest.raises(ValueError, match="all weights"):
        coefficient_of_variation(five_schools.assign(students=0), value="books_per_student", weight="students")
    with pytest.raises(ValueError, match="missing column"):
        coefficient_of_variation(five_schools, value="nope")


values_st = st.lists(st.floats(0.1, 1e4), min_size=2, max_size=20)


@settings(max_examples=50, deadline=None)
@given(values_st, st.floats(0.01, 1e3), st.randoms())
def test_property_cv_scale_and_order_invariant(values, scale, rnd):
    w = [float(i % 7 + 1) for i in range(len(values))]
    df = pd.DataFrame({"x": values, "w": w})
    base_w = coefficient_of_variation(df, value="x", weight="w")
    base_u = coefficient_of_variation(df, value="x")
    scaled = df.assign(x=df["x"] * scale)
    assert coefficient_of_variation(scaled, value="x", weight="w") == pytest.approx(base_w, rel=1e-9, abs=1e-12)
    assert coefficient_of_variation(scaled, value="x") == pytest.approx(base_u, rel=1e-9, abs=1e-12)
    order = list(range(len(df)))
    rnd.shuffle(order)
    shuffled = df.iloc[order]
    assert coefficient_of_variation(shuffled, value="x", weight="w") == pytest.approx(base_w, rel=1e-9, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.1, 1e4), st.lists(st.integers(1, 500), min_size=1, max_size=10))
def test_property_cv_zero_when_all_equal(value, weights):
    df = pd.DataFrame({"x": [value] * len(weights), "w": weights})
    assert coefficient_of_variation(df, value="x", weight="w") == pytest.approx(0.0, abs=1e-12)
    assert coefficient_of_variation(df, value="x") == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(values_st, st.floats(0.5, 1000))
def test_property_equal_weights_equal_unweighted_population_cv(values, w):
    df = pd.DataFrame({"x": values, "w": w})
    expected = np.std(values) / np.mean(values)
    assert coefficient_of_variation(df, value="x", weight="w") == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert coefficient_of_variation(df, value="x") == pytest.approx(expected, rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------------------------------------
# references/reference_values.md#composite_cv_district_table: a district's 2023 published primary table (seven CVs, composite 0.367503)

PUBLISHED_MEANS = [5.515273, 0.887611, 0.879277, 4.563288, 7.925946, 2496.674864, 2.784743]
PUBLISHED_SDS = [1.643162, 0.445392, 0.353427, 1.316139, 2.975795, 780.914372, 1.097759]
PUBLISHED_CVS = [0.297929, 0.501787, 0.401952, 0.288419, 0.37545, 0.312782, 0.394205]


def test_golden_2_sd_over_mean_reproduces_published_cvs():
    for m, s, cv in zip(PUBLISHED_MEANS, PUBLISHED_SDS, PUBLISHED_CVS):
        assert s / m == pytest.approx(cv, abs=5e-7)


def test_golden_2_composite_and_l2_fail_while_composite_passes():
    a = QualityBalanceAssessment.from_cvs({"primary": dict(zip(INDICATOR_KEYS, PUBLISHED_CVS))})
    assert a.composite_cv["primary"] == pytest.approx(0.367503, abs=5e-7)
    assert a.composite_cv["primary"] <= 0.50
    assert a.failing == (("primary", "L2"),)
    assert a.passes is False and a.passes_by_stage == {"primary": False}
    assert any("L2" in n and "composite" in n for n in a.notes)
    frame = a.to_frame()
    assert list(frame["indicator"]) == [*INDICATOR_KEYS, "composite"]
    assert not frame.loc[frame["indicator"] == "L2", "passes"].item()
    assert frame.loc[frame["indicator"] == "L1", "passes"].item()


# ---------------------------------------------------------------------------------------------
# school_sections: hand-worked splits

def _school(sid, typ, p=0, j=0, s=0, **kw):
    row = dict(school_year=2022, school_id=sid, school_name=f"学校{sid[-2:]}", county_code="320707",
               county="赣榆区", school_type=typ, central_school_id=kw.pop("central", pd.NA), locale_code="121",
               locale="town", ownership="public", students_primary=p, students_junior=j, students_senior=s,
               students_preschool=0, students_special=0)
    for stage, n in (("primary", p), ("junior", j)):
        row[f"teachers_{stage}"] = n // 15
        row[f"above_required_qualification_{stage}"] = n // 20
        row[f"backbone_teachers_{stage}"] = n // 100
        row[f"pe_arts_teachers_{stage}"] = n // 100
    total = p + j + s
    row.update(teaching_area_m2=6.0 * total, sports_area_m2=9.0 * total, equipment_value_yuan=2600.0 * total,
               multimedia_classrooms=total // 40)
    row.update(kw)
    return row


def _frame(rows):
    df = pd.DataFrame(rows)
    for c in df.columns:
        if c.startswith(("students_", "teachers_", "above_", "backbone_", "pe_arts_", "multimedia")):
            df[c] = df[c].astype("Int64")
    df["school_id"] = df["school_id"].astype("string")
    return df


def test_nine_year_split_hand_worked():
    # A = 600 primary, B = 300 junior: primary share 600/(600+1.1·300) = 600/930, junior 330/930
    df = _frame([_school("3207070001", "nine_year", 600, 300, teaching_area_m2=9300.0)])
    sec = school_sections(df)
    assert list(sec["stage"]) == ["primary", "junior"]
    assert sec["resource_share"].tolist() == pytest.approx([600 / 930, 330 / 930], rel=1e-12)
    assert sec["teaching_area_m2"].tolist() == pytest.approx([6000.0, 3300.0], rel=1e-12)
    assert sec["students"].tolist() == [600, 300]
    assert sec["teachers"].tolist() == [40.0, 20.0]  # each section's own counts
    for c in ("school_id", "school_name", "county", "county_code", "locale", "school_type", "school_year"):
        assert c in sec.columns


def test_twelve_year_and_complete_middle_splits():
    df = _frame([_school("3207070002", "twelve_year", 100, 200, 300, sports_area_m2=1000.0),
                 _school("3207070003", "complete_middle", 0, 500, 400, sports_area_m2=1000.0)])
    sec = school_sections(df).set_index(["school_id", "stage"])
    d = 100 + 1.1 * 200 + 1.32 * 300
    assert sec.loc[("3207070002", "primary"), "sports_area_m2"] == pytest.approx(1000 * 100 / d)
    assert sec.loc[("3207070002", "junior"), "sports_area_m2"] == pytest.approx(1000 * 220 / d)
    # complete middle school: junior share B/(B + 1.2C) as the standard writes it
    assert sec.loc[("3207070003", "junior"), "sports_area_m2"] == pytest.approx(1000 * 500 / (500 + 1.2 * 400))
    assert ("3207070003", "primary") not in sec.index


def test_sections_exclusions_zero_students_and_teaching_points():
    df = _frame([
        _school("3207070010", "primary", 800),
        _school("3207070011", "teaching_point", 30, central="3207070010"),
        _school("3207070012", "teaching_point", 60, central="3207070010"),
        _school("3207070013", "kindergarten"),
        _school("3207070014", "senior", 0, 0, 900),
        _school("3207070015", "special"),
        _school("3207070016", "junior", 0, 0),
    ])
    sec = school_sections(df)
    assert set(sec["school_id"]) == {"3207070010", "3207070012", "3207070016"}
    assert sec.set_index("school_id").loc["3207070016", "zero_students"]
    assert not sec.set_index("school_id").loc["3207070010", "zero_students"]
    kept = school_sections(df, small_teaching_point_rule="keep")
    assert "3207070011" in set(kept["school_id"])
    merged = school_sections(df, small_teaching_point_rule="merge").set_index("school_id")
    assert "3207070011" not in merged.index
    assert merged.loc["3207070010", "students"] == 830
    assert merged.loc["3207070010", "teaching_area_m2"] == pytest.approx(6.0 * 830)
    assert merged.loc["3207070010", "teachers"] == 800 // 15 + 30 // 15
    assert merged.loc["3207070010", "merged_teaching_points"] == 1
    with pytest.raises(ValueError, match="small_teaching_point_rule"):
        school_sections(df, small_teaching_point_rule="drop")


def test_merge_without_central_school_raises():
    df = _frame([_school("3207070011", "teaching_point", 30, central="3207079999")])
    with pytest.raises(ValueError, match="central school"):
        school_sections(df, small_teaching_point_rule="merge")


def test_sections_missing_students_raise():
    df = _frame([_school("3207070010", "primary", 800)])
    df.loc[0, "students_primary"] = pd.NA
    with pytest.raises(ValueError, match="students_primary"):
        school_sections(df)


# ---------------------------------------------------------------------------------------------
# indicators and compliance: hand-worked

def _one_section(stage="primary", students=400, **counts):
    base = dict(school_id="3207070020", school_name="学校20", county="赣榆区", county_code="320707",
                locale="rural", school_type="primary", school_year=2022, stage=stage, students=students,
                teachers=25.0, above_required_qualification=20.0, backbone_teachers=4.0, pe_arts_teachers=4.0,
                teaching_area_m2=2000.0, sports_area_m2=3000.0, equipment_value_yuan=900000.0,
                multimedia_classrooms=10.0, zero_students=students == 0)
    base.update(counts)
    return pd.DataFrame([base])


def test_indicators_hand_worked():
    ind = quality_balance_indicators(_one_section())
    row = ind.iloc[0]
    assert row["L1"] == pytest.approx(5.0) and row["L2"] == pytest.approx(1.0) and row["L3"] == pytest.approx(1.0)
    assert row["L4"] == pytest.approx(5.0) and row["L5"] == pytest.approx(7.5)
    assert row["L6"] == pytest.approx(2250.0) and row["L7"] == pytest.approx(2.5)
    zero = quality_balance_indicators(_one_section(students=0))
    assert zero[list(INDICATOR_KEYS)].isna().all(axis=None)


def test_compliance_shortfalls_in_resource_units():
    # 400 primary pupils: sports 2800 m² (7.0 < 7.5 → lacks 200 m²), backbone 3 (0.75 < 1.0 → lacks 1 person),
    # multimedia 8 rooms (2.0 < 2.3 → lacks ceil(9.2 − 8) = 2 rooms)
    sec = _one_section(sports_area_m2=2800.0, backbone_teachers=3.0, multimedia_classrooms=8.0)
    comp = school_compliance(quality_balance_indicators(sec)).iloc[0]
    assert comp["L5_shortfall"] == pytest.approx(200.0)
    assert comp["L2_shortfall"] == 1.0
    assert comp["L7_shortfall"] == 2.0
    assert comp["L1_shortfall"] == 0.0 and bool(comp["L1_met"])
    assert comp["L5_ratio"] == pytest.approx(7.0 / 7.5)
    assert comp["n_met"] == 4 and not comp["compliant"]


def test_compliance_school_rule_six_of_seven_and_85_percent():
    ok = school_compliance(quality_balance_indicators(_one_section(sports_area_m2=2600.0))).iloc[0]
    # L5 = 6.5 / 7.5 = 0.867 ≥ 0.85, the other six met
    assert ok["n_met"] == 6 and ok["compliant"]
    bad = school_compliance(quality_balance_indicators(_one_section(sports_area_m2=2500.0))).iloc[0]
    # L5 = 6.25 / 7.5 = 0.833 < 0.85
    assert bad["n_met"] == 6 and not bad["compliant"]
    exact = school_compliance(quality_balance_indicators(_one_section(above_required_qualification=42.0,
                                                                      students=1000))).iloc[0]
    assert bool(exact["L1_met"])  # 4.2 exactly meets 4.2 despite floating point
    zero = school_compliance(quality_balance_indicators(_one_section(students=0))).iloc[0]
    assert pd.isna(zero["compliant"]) and pd.isna(zero["n_met"])


def test_compliance_threshold_override():
    sec = quality_balance_indicators(_one_section())
    comp = school_compliance(sec, stage_thresholds={"primary": {"L2": 2.0}}).iloc[0]
    assert comp["L2_threshold"] == 2.0 and not comp["L2_met"] and comp["L2_shortfall"] == 4.0
    with pytest.raises(ValueError, match="unknown indicator"):
        school_compliance(sec, stage_thresholds={"primary": {"L9": 2.0}})


# ---------------------------------------------------------------------------------------------
# county assessment on sections

def _county_sections():
    rng = np.random.default_rng(7)
    rows = []
    for i in range(12):
        n = int(rng.integers(200, 1500))
        rows.append(_one_section(students=n, above_required_qualification=float(round(n * 0.06)),
                                 backbone_teachers=float(round(n * rng.uniform(0.002, 0.03))),
                                 pe_arts_teachers=float(round(n * 0.011)), teaching_area_m2=n * 5.0,
                                 sports_area_m2=n * 8.0 * rng.uniform(0.9, 1.1), equipment_value_yuan=n * 2500.0,
                                 multimedia_classrooms=float(round(n * 0.025))).assign(
            school_id=f"32070700{i:02d}"))
    rows.append(_one_section(students=0).assign(school_id="3207070099"))
    return quality_balance_indicators(pd.concat(rows, ignore_index=True))


def test_assessment_on_sections():
    ind = _county_sections()
    a = quality_balance_assessment(ind)
    sub = ind[ind["students"] > 0]
    for k in INDICATOR_KEYS:
        expected = coefficient_of_variation(sub, value=k, weight="students")
        got = a.table.set_index("indicator").loc[k, "coefficient_of_variation"]
        assert got == pytest.approx(expected, rel=1e-12)
    assert a.composite_cv["primary"] == pytest.approx(a.table["coefficient_of_variation"].mean())
    assert ("primary", "L2") in a.failing and not a.passes
    top = a.top_contributors[a.top_contributors["indicator"] == "L2"]
    assert len(top) == 5 and top["variance_share"].is_monotonic_decreasing
    # the top contributor has the largest weighted squared deviation
    x, w = sub["L2"], sub["students"]
    m = (x * w).sum() / w.sum()
    assert top.iloc[0]["school_id"] == sub.loc[(w * (x - m) ** 2).idxmax(), "school_id"]
    unweighted = quality_balance_assessment(ind, weighted=False)
    assert unweighted.table.set_index("indicator").loc["L2", "coefficient_of_variation"] == pytest.approx(
        coefficient_of_variation(sub, value="L2"))
    assert a.county == "赣榆区" and a.school_year == 2022


def test_assessment_refuses_several_counties():
    ind = _county_sections()
    ind.loc[0, "county"] = "东海县"
    with pytest.raises(ValueError, match="one county-year"):
        quality_balance_assessment(ind)


def test_full_pipeline_from_schools_table():
    df = _frame([_school(f"32070700{i:02d}", t, p, j) for i, (t, p, j) in enumerate(
        [("primary", 800, 0), ("primary", 450, 0), ("nine_year", 600, 300), ("junior", 0, 700),
         ("junior", 0, 350), ("teaching_point", 20, 0)])])
    ind = quality_balance_indicators(school_sections(df))
    a = quality_balance_assessment(ind)
    assert set(a.composite_cv) == {"primary", "junior"}
    assert len(a.to_frame()) == 16
    comp = school_compliance(ind)
    assert len(comp) == len(ind)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(min_value=0.01, max_value=1e4, allow_nan=False),
                          st.integers(min_value=0, max_value=3000)), min_size=2, max_size=30),
       st.booleans())
def test_one_group_equals_the_grouped_path(rows, weighted):
    # the ungrouped 差异系数 works on plain arrays; it must agree with the grouped (per-county) path
    df = pd.DataFrame(rows, columns=["x", "students"]).assign(g="a")
    if weighted and not (df["students"] > 0).any():
        df.loc[0, "students"] = 1
    w = "students" if weighted else None
    one = coefficient_of_variation(df, value="x", weight=w)
    grouped = coefficient_of_variation(df, value="x", weight=w, by="g").iloc[0]
    assert one == pytest.approx(grouped, rel=1e-12, nan_ok=True)
