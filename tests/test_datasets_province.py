"""The simulated province (demo-data --scale province): built with the demo's own generator, the demo
itself untouched.  Small sizes here; the full province is measured in benchmarks/batch.py."""

import pytest

from lyganalysis.datasets import synthetic
from lyganalysis.datasets.province import make_province_data, province_counties
from lyganalysis.schema import validate_tables


@pytest.fixture(scope="module")
def small():
    return make_province_data(n_counties=12, scale=0.3, score_fraction=0.5)


def test_province_is_valid_simulated_and_has_its_counties(small):
    validate_tables(small)
    assert small.simulated and small.name == "lianyungang_province"
    assert len(small.counties()) == 12
    assert small.schools["county_code"].str.fullmatch(r"3299\d\d").all()
    # counties 9–11 are a second simulated city built on the first three templates
    assert small.counties()[9].startswith("乙市") and small.counties()[9].endswith(synthetic.COUNTIES[0].name)


def test_generator_state_is_restored_so_the_demo_is_unchanged(small):
    assert len(synthetic.COUNTIES) == 10 and synthetic.COUNTIES[-1].name == "市直"
    assert synthetic.CALIBRATION["primary_students"] == 330_000
    assert synthetic._scores_year.__module__ == "lyganalysis.datasets.synthetic"
    assert synthetic._scores_year.__name__ == "_scores_year"


def test_schools_keep_the_demo_sizes_and_scores_are_a_sample_of_each_class(small):
    demo = synthetic.make_demo_data()
    s = small.schools[small.schools.school_year == 2022]
    d = demo.schools[demo.schools.school_year == 2022]
    for typ, col in (("primary", "students_primary"), ("junior", "students_junior")):
        ratio = s.loc[s.school_type == typ, col].mean() / d.loc[d.school_type == typ, col].mean()
        assert 0.75 < ratio < 1.33, (typ, ratio)  # same per-school scale as the demo
    # score rows: half of each school's grade-6 cohort (0.155 of its pupils, ± 6 %), three subjects
    sc = small.scores[(small.scores.school_year == 2022) & (small.scores.grade == 6)]
    students = sc.groupby("school_id")["student_key"].nunique()
    pupils = s.set_index("school_id").loc[students.index, "students_primary"].astype(float)
    ratio = (students / (pupils * 0.155)).median()
    assert 0.4 < ratio < 0.6
    assert sc.groupby("school_id")["class_id"].nunique().min() >= 1


def test_province_counties_need_a_sensible_count():
    with pytest.raises(ValueError, match="between 1 and 100"):
        province_counties(101)
    specs = province_counties(100)
    assert len({s.name for s in specs}) == 100 and len({s.code for s in specs}) == 100
    assert sum(s.primary_share for s in specs) == pytest.approx(1.0)
