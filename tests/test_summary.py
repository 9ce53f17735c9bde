"""The county summary that feeds both the report page and <county>.metrics.json."""

import json

import numpy as np
import pandas as pd
import pytest

from lyganalysis.datasets import load_dataset
from lyganalysis.metrics.balance import coefficient_of_variation, quality_balance_indicators, school_sections
from lyganalysis.report import render
from lyganalysis.summary import county_summary, format_value


@pytest.fixture(scope="module")
def demo():
    return load_dataset("lianyungang_demo")


@pytest.fixture(scope="module")
def cas():
    return load_dataset("caschools")


def test_format_value_rounds_only_for_display():
    assert format_value(0.51534, "cv") == "0.515"
    assert format_value(0.4267, "rate") == "42.7%"
    assert format_value(12345.6, "count") == "12,346"
    assert format_value(-3.44, "signed") == "-3.4"
    assert format_value(float("nan"), "ratio") == "—"
    assert format_value(True, "verdict", "zh") == "达标" and format_value(False, "verdict", "en") == "fails"
    with pytest.raises(ValueError):
        format_value(1, "nonsense")


def test_demo_summary_matches_the_metrics_called_directly(demo):
    s = county_summary(demo, county="灌云县", school_year=2022)
    # the enrolment-weighted 差异系数 of L5 (sports area per student), primary sections, by hand from the metrics
    schools = demo.schools[(demo.schools["county"] == "灌云县") & (demo.schools["school_year"] == 2022)]
    ind = quality_balance_indicators(school_sections(schools))
    prim = ind[(ind["stage"] == "primary") & (ind["students"] > 0)]
    expected = coefficient_of_variation(prim, value="L5", weight="students")
    table = s.assessment.table.set_index(["stage", "indicator"])
    assert table.loc[("primary", "L5"), "coefficient_of_variation"] == pytest.approx(expected, rel=1e-12)
    # independent plain-numpy check of the same number (standards.md §2 formula)
    w = prim["students"].to_numpy(float)
    x = prim["L5"].to_numpy(float)
    m = np.sum(w * x) / w.sum()
    assert expected == pytest.approx(np.sqrt(np.sum(w / w.sum() * (x - m) ** 2)) / m, rel=1e-12)
    # pooled 生师比
    st = s.staffing.set_index("stage")
    sub = schools[schools["students_primary"] > 0]
    assert st.loc["primary", "student_teacher_ratio"] == pytest.approx(
        sub["students_primary"].sum() / sub["teachers_primary"].sum(), rel=1e-12)
    json.dumps(s.to_dict(), ensure_ascii=False)  # JSON-able


def test_small_groups_are_withheld_in_the_school_table(demo):
    s = county_summary(demo, county="云台山景区", school_year=2022, min_cell_size=30)
    small = s.academic_schools[s.academic_schools["suppressed"]]
    assert small["mean_score"].isna().all() and small["pass_rate"].isna().all()
    assert (s.academic_schools.loc[~s.academic_schools["suppressed"], "n_takers"] >= 30).all()


def test_tiny_county_says_why_figures_are_missing(demo):
    s = county_summary(demo, county="徐圩新区", school_year=2022)
    items = {u["item"] for u in s.unavailable}
    assert any(i.startswith("icc_") for i in items)
    assert all(u["reason_zh"] and u["reason"] for u in s.unavailable)
    assert s.academic_county["icc"].isna().all()


def test_caschools_uses_no_chinese_standard(cas):
    s = county_summary(cas, county="Los Angeles", school_year=1999)
    assert s.language == "en"
    assert s.assessment is None and s.compliance is None
    assert s.staffing["staffing_standard"].isna().all()
    la = cas.schools[cas.schools["county"] == "Los Angeles"]
    assert s.staffing.loc[0, "student_teacher_ratio"] == pytest.approx(
        la["students_primary"].sum() / la["teachers_primary"].sum(), rel=1e-12)
    keys = [h["key"] for h in s.headline()]
    assert "quality_balance_verdict" not in keys and "mean_score_first" in keys
    assert {u["item"] for u in s.unavailable} >= {"quality_balance", "staffing_standard"}


def test_render_english_and_chinese_sections(demo):
    for lang in ("zh", "en"):
        s = county_summary(demo, county="赣榆区", school_year=2022, language=lang)
        page = render.overview(s) + render.resources(s) + render.staffing(s) + render.academic(s) + render.equity(s)
        assert 'data-key="student_teacher_ratio_primary"' in page
        assert ("生师比" in page) == (lang == "zh")


def test_wrong_county_in_notebook_stops_it(demo):
    s = county_summary(demo, county="赣榆区", school_year=2022)
    with pytest.raises(RuntimeError, match="赣榆区"):
        render.check_parameters(s, county="海州区", school_year=2022)
