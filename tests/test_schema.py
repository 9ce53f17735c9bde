"""Tests of lyganalysis.schema: the contract's checks, error messages, and the data dictionary.

Small hand-made frames only (no demo generation here), so this file runs in about a second.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lyganalysis import schema
from lyganalysis.datasets import Dataset
from lyganalysis.schema import TableValidationError, validate_table, validate_tables

README = Path(__file__).resolve().parents[1] / "data" / "README.md"


def schools_frame(n: int = 3) -> pd.DataFrame:
    """n valid primary schools (2022), plus nothing else."""
    i = np.arange(n)
    ints = lambda v: pd.array([v] * n, dtype="Int64")  # noqa: E731
    df = pd.DataFrame({
        "school_year": np.full(n, 2022, dtype="int64"),
        "school_id": [f"21320600{k:02d}" for k in i],
        "school_name": [f"示例第{k + 1}小学" for k in i],
        "county_code": "320706", "county": "海州区", "school_type": "primary",
        "central_school_id": pd.Series([None] * n, dtype="str"),
        "locale_code": "111", "locale": "urban", "ownership": "public",
        "students_primary": ints(600), "students_junior": ints(0), "students_senior": ints(0),
        "students_preschool": ints(0), "students_special": ints(0),
        "classes_primary": ints(15), "classes_junior": ints(0), "classes_senior": ints(0),
        "classes_preschool": ints(0),
        "max_class_size_primary": ints(42), "max_class_size_junior": pd.array([pd.NA] * n, dtype="Int64"),
        "teachers_primary": ints(40), "teachers_junior": ints(0), "teachers_senior": ints(0),
        "teachers_preschool": ints(0), "teachers_special": ints(0),
        "above_required_qualification_primary": ints(39), "above_required_qualification_junior": ints(0),
        "backbone_teachers_primary": ints(6), "backbone_teachers_junior": ints(0),
        "pe_arts_teachers_primary": ints(6), "pe_arts_teachers_junior": ints(0),
        "teaching_area_m2": 3000.0, "sports_area_m2": 5000.0, "equipment_value_yuan": 1.5e6,
        "multimedia_classrooms": ints(16), "computers": ints(80), "books": ints(20000),
        "music_rooms": ints(2), "art_rooms": ints(2),
        "affordable_kindergarten": pd.array([pd.NA] * n, dtype="boolean"),
        "quality_kindergarten": pd.array([pd.NA] * n, dtype="boolean"),
    })
    for c in ("county_code", "county", "school_type", "locale_code", "locale", "ownership"):
        df[c] = df[c].astype("str")
    return df


def scores_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "school_year": np.array([2022, 2022], dtype="int64"), "exam": "2022-G6-unified",
        "student_key": ["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"],
        "school_id": ["2132060000", "2132060001"], "class_id": ["c1", "c2"],
        "grade": np.array([6, 6], dtype="int64"), "subject": "math",
        "score": [88.5, np.nan], "full_marks": 100.0, "absent": [False, True],
        "prior_score": [80.0, np.nan], "gender": ["female", "male"],
        "migrant": [False, True], "left_behind": [True, False],
    })


def teachers_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "school_year": np.array([2022], dtype="int64"), "teacher_key": ["0123456789abcdef"],
        "school_id": ["2132060000"], "stage": ["primary"], "birth_year": np.array([1980], dtype="int64"),
        "gender": ["female"], "qualification": ["bachelor"], "title": ["first"], "subject": ["math"],
        "backbone_level": ["county"], "years_in_school": np.array([7], dtype="int64"),
        "rotated": [False],
    })


def county_facts_frame() -> pd.DataFrame:
    ints = lambda v: pd.array([v], dtype="Int64")  # noqa: E731
    return pd.DataFrame({
        "school_year": np.array([2022], dtype="int64"), "county_code": ["320706"], "county": ["海州区"],
        "disabled_children_school_age": ints(100), "disabled_placed_regular_class": ints(70),
        "disabled_placed_special_school": ints(20), "disabled_placed_home_teaching": ints(8),
        "preschool_age_children": ints(5000), "migrant_children": ints(900),
        "migrant_children_public": ints(800),
    })


def make_ds(**tables) -> Dataset:
    base = {"schools": schools_frame(), "teachers": teachers_frame(), "scores": scores_frame(),
            "county_facts": county_facts_frame(), "school_results": None}
    base.update(tables)
    return Dataset(name="test", simulated=True, language="zh", description="test", **base)


# --------------------------------------------------------------------------------- valid frames
def test_hand_made_frames_are_valid():
    validate_tables(make_ds())


# --------------------------------------------------------------------------------- rejections
def test_rejects_negative_students_naming_the_column():
    df = schools_frame()
    df.loc[1, "students_primary"] = -5
    with pytest.raises(TableValidationError) as ei:
        validate_table("schools", df)
    msg = str(ei.value)
    assert "students_primary" in msg and "schools" in msg and "row 1" in msg and "-5" in msg
    f = ei.value.failures
    assert set(f.column) == {"students_primary"} and f.row.tolist() == [1]


def test_rejects_score_above_full_marks_naming_the_column():
    df = scores_frame()
    df.loc[0, "score"] = 101.0
    with pytest.raises(TableValidationError) as ei:
        validate_table("scores", df)
    msg = str(ei.value)
    assert "score_le_full_marks" in msg and "'score'" in msg and "row 0" in msg


def test_rejects_duplicate_school_naming_the_column():
    df = schools_frame()
    df.loc[2, "school_id"] = df.loc[0, "school_id"]
    with pytest.raises(TableValidationError) as ei:
        validate_table("schools", df)
    assert "school_id" in str(ei.value)
    assert {0, 2} <= set(ei.value.failures.row)


def test_lazy_validation_reports_every_failure_together():
    df = schools_frame()
    df.loc[0, "students_junior"] = -1
    df.loc[1, "locale_code"] = "999"
    df.loc[2, "school_type"] = "university"
    with pytest.raises(TableValidationError) as ei:
        validate_tables(make_ds(schools=df))
    msg = str(ei.value)
    for col in ("students_junior", "locale_code", "school_type"):
        assert col in msg


@pytest.mark.parametrize("column,value", [
    ("school_id", "123"),            # not 10 digits
    ("county_code", "3207"),         # not 6 digits
    ("locale", "rural"),             # contradicts locale_code 111
    ("backbone_teachers_primary", 99),  # more than teachers_primary
    ("central_school_id", "2132060002"),  # only teaching points have a central school
    ("affordable_kindergarten", True),    # only kindergartens carry the flag
    ("max_class_size_primary", 0),
])
def test_schools_checks(column, value):
    df = schools_frame()
    if column == "affordable_kindergarten":
        df[column] = pd.array([True, pd.NA, pd.NA], dtype="boolean")
    else:
        df.loc[0, column] = value
    with pytest.raises(TableValidationError) as ei:
        validate_table("schools", df)
    assert column in str(ei.value)


@pytest.mark.parametrize("column,value", [
    ("birth_year", 2010),         # 12 years old
    ("stage", "college"), ("qualification", "phd"), ("title", "master"), ("subject", "latin"),
    ("backbone_level", "national"), ("years_in_school", 40),
])
def test_teachers_checks(column, value):
    df = teachers_frame()
    df.loc[0, column] = value
    with pytest.raises(TableValidationError) as ei:
        validate_table("teachers", df)
    msg = str(ei.value)
    assert column in msg or "plausible_age" in msg or "years_in_school" in msg


def test_teachers_unique_key_per_year():
    df = pd.concat([teachers_frame(), teachers_frame()], ignore_index=True)
    with pytest.raises(TableValidationError, match="teacher_key"):
        validate_table("teachers", df)


def test_scores_absent_consistency_and_subjects():
    df = scores_frame()
    df.loc[1, "absent"] = False  # NA score but not absent
    with pytest.raises(TableValidationError, match="score_na_iff_absent"):
        validate_table("scores", df)
    df = scores_frame()
    df.loc[0, "subject"] = "physics"
    with pytest.raises(TableValidationError, match="subject"):
        validate_table("scores", df)


def test_county_facts_placements_cannot_exceed_children():
    df = county_facts_frame()
    df.loc[0, "disabled_placed_regular_class"] = 95
    with pytest.raises(TableValidationError, match="placements_le_disabled_children"):
        validate_table("county_facts", df)


def test_referential_checks():
    t = teachers_frame()
    t.loc[0, "school_id"] = "2132069999"
    sc = scores_frame()
    sc.loc[1, "school_year"] = 2021
    with pytest.raises(TableValidationError) as ei:
        validate_tables(make_ds(teachers=t, scores=sc))
    msg = str(ei.value)
    assert "'teachers'" in msg and "2132069999 × 2022" in msg
    assert "'scores'" in msg and "2132060001 × 2021" in msg


def test_central_school_must_exist():
    s = schools_frame()
    s.loc[2, "school_type"] = "teaching_point"
    s.loc[2, "central_school_id"] = "2132061234"
    with pytest.raises(TableValidationError, match="central_school_id"):
        validate_tables(make_ds(schools=s))
    s.loc[2, "central_school_id"] = "2132060000"
    validate_tables(make_ds(schools=s))


def test_profiles():
    s = schools_frame()
    s["school_id"] = ["75119", "61499", "61549"]
    s["teachers_primary"] = pd.array([10.9, 11.2, 20.0], dtype="Float64")
    for st in ("junior", "senior", "preschool", "special"):
        s[f"teachers_{st}"] = pd.array([0.0] * 3, dtype="Float64")
    for c in ("above_required_qualification_primary", "backbone_teachers_primary",
              "pe_arts_teachers_primary"):
        s[c] = pd.array([pd.NA] * 3, dtype="Int64")
    validate_table("schools", s, profile="caschools")
    with pytest.raises(TableValidationError):
        validate_table("schools", s, profile="default")
    with pytest.raises(ValueError):
        schema.schools_schema("nope")


def test_optional_extension_columns_are_checked_when_present():
    s = schools_frame()
    s["free_lunch_share"] = [0.2, 0.5, 1.5]
    with pytest.raises(TableValidationError, match="free_lunch_share"):
        validate_table("schools", s)


# --------------------------------------------------------------------------------- dictionary
def test_data_dictionary_covers_every_column():
    dd = schema.data_dictionary()
    assert list(dd.columns) == ["table", "column", "type", "unit", "chinese_header", "description"]
    for table, sch in schema.table_schemas().items():
        assert set(dd.loc[dd.table == table, "column"]) == set(sch.columns)
    assert (dd[["type", "unit", "chinese_header", "description"]] != "").all().all()
    row = dd[(dd.table == "schools") & (dd.column == "students_primary")].iloc[0]
    assert row.unit == "人" and "小学在校生数" in row.chinese_header
    # every column of the contract is present
    contract = {"schools": 42, "teachers": 12, "scores": 14, "county_facts": 10, "school_results": 5}
    required = dd[~dd.type.str.endswith("optional")]
    assert required.groupby("table").size().to_dict() == contract


def test_readme_data_dictionary_section_is_generated():
    text = README.read_text(encoding="utf-8")
    section = schema.extract_readme_section(text)
    assert section is not None, "data/README.md has no '## Data dictionary' section"
    assert section == schema.render_data_dictionary_markdown(), (
        "data/README.md is stale: run `python -m lyganalysis.schema --write-readme data/README.md`")


def test_write_data_dictionary_section_is_idempotent(tmp_path):
    p = tmp_path / "README.md"
    p.write_text("# Title\n\n## Data dictionary\n\nOLD-MARKER\n\n## After\n\nkeep me\n",
                 encoding="utf-8")
    schema.write_data_dictionary_section(p)
    once = p.read_text(encoding="utf-8")
    schema.write_data_dictionary_section(p)
    assert p.read_text(encoding="utf-8") == once
    assert "keep me" in once and "OLD-MARKER" not in once
    assert schema.extract_readme_section(once) == schema.render_data_dictionary_markdown()
