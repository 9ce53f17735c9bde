"""The demo's inspection inputs: optional columns and tables, existing columns unchanged."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from lyganalysis import schema
from lyganalysis.datasets import load_dataset, read_processed, synthetic, write_processed
from lyganalysis.metrics.survey import satisfaction

NEW_SCHOOL_COLS = ["indoor_sports_area_m2", "built_year", "central_city", "boarding", "itinerant_pe_arts_teachers",
                   "migrant_students", "music_room_areas_m2", "art_room_areas_m2"]
NEW_TEACHER_COLS = ["certified", "training_hours_5y"]


@pytest.fixture(scope="module")
def base():
    return synthetic.make_demo_data(seed=2022)


def test_existing_columns_identical(base, demo):
    """Every column of the generator's tables keeps exactly its values in the loaded demo."""
    for t in ("schools", "teachers", "scores", "county_facts"):
        old, new = getattr(base, t), getattr(demo, t)
        pd.testing.assert_frame_equal(old, new[old.columns])
    assert [c for c in demo.schools.columns if c not in base.schools.columns] == NEW_SCHOOL_COLS
    assert [c for c in demo.teachers.columns if c not in base.teachers.columns] == NEW_TEACHER_COLS


def test_demo_is_valid_and_deterministic(demo):
    schema.validate_tables(demo)
    again = load_dataset("lianyungang_demo")
    pd.testing.assert_frame_equal(demo.schools, again.schools)
    pd.testing.assert_frame_equal(demo.county_form, again.county_form)
    pd.testing.assert_frame_equal(demo.survey, again.survey)


def test_new_columns_are_optional_in_the_schema(base):
    schema.validate_tables(base)  # without the new columns
    cols = schema.schools_schema().columns
    assert all(not cols[c].required for c in NEW_SCHOOL_COLS)
    assert all(not schema.teachers_schema().columns[c].required for c in NEW_TEACHER_COLS)
    bad = base.schools.assign(music_room_areas_m2="96 m2")
    with pytest.raises(schema.TableValidationError, match="music_room_areas_m2"):
        schema.validate_table("schools", bad)


def test_room_areas_follow_room_counts_and_persist(demo):
    s = demo.schools.dropna(subset=["music_room_areas_m2"])
    n = s["music_room_areas_m2"].map(lambda t: 0 if t == "" else len(t.split(";")))
    assert (n == s["music_rooms"].astype(int)).all()
    b = demo.schools.dropna(subset=["built_year"]).groupby("school_id")["built_year"].nunique()
    assert (b == 1).all()


def test_processed_round_trip_and_for_county(demo, tmp_path):
    write_processed(demo, tmp_path)
    back = read_processed(tmp_path)
    pd.testing.assert_frame_equal(back.county_form, demo.county_form)
    pd.testing.assert_frame_equal(back.survey, demo.survey)
    pd.testing.assert_frame_equal(back.schools, demo.schools)
    one = demo.for_county("赣榆区")
    assert set(one.county_form["county"]) == {"赣榆区"} and set(one.survey["county"]) == {"赣榆区"}
    # datasets without the inspection tables still work
    plain = dataclasses.replace(demo, county_form=None, survey=None)
    assert "survey" not in plain.tables() and plain.for_county("赣榆区").survey is None


def test_demo_form_and_survey_shape(demo):
    f = demo.county_form
    assert len(f) == len(demo.counties()) * len(demo.school_years())
    assert not f.duplicated(["county", "school_year"]).any()
    sv = demo.survey
    assert set(sv["school_year"]) == {2022}
    gy = satisfaction(sv[sv.county == "赣榆区"])
    g = gy.groups.set_index("group")
    assert g.loc["家长", "satisfaction_rate"] < 0.85 <= gy.overall_rate  # one group under 85 %
    assert satisfaction(sv[sv.county == "灌南县"]).overall_rate < 0.85
