"""Missing is never zero, at the report level: a county whose schools have no teacher counts gets no staffing
ratio or shortfall (not a shortfall of every post), says so, and the rest of its report is still produced."""

import dataclasses

import pandas as pd
import pytest

from lyganalysis.analysis import analyse_county
from lyganalysis.datasets import load_dataset
from lyganalysis.report.county_page import CountyPage


@pytest.fixture(scope="module")
def results():
    ds = load_dataset("lianyungang_demo")
    schools = ds.schools.copy()
    in_county = schools["county"] == "连云区"
    for c in [c for c in schools.columns if c.startswith("teachers_")]:
        schools.loc[in_county, c] = pd.NA
    return analyse_county(dataclasses.replace(ds, schools=schools), county="连云区", school_year=2022)


def test_no_teacher_counts_gives_no_ratio_and_no_shortfall(results):
    figures = results.figures()
    assert pd.isna(figures["staffing.student_teacher_ratio.primary"].value)
    assert "staffing.teacher_shortfall" not in figures or pd.isna(figures["staffing.teacher_shortfall"].value)
    ratios = results.staffing.ratios
    assert ratios["teacher_shortfall"].isna().all() and ratios["teachers"].isna().all()
    assert (ratios["students"] > 0).all(), "the students are known and kept"
    missing = [n for n in results.not_computed() if n.reason == "stf_teacher_counts_missing"]
    assert {n.params["stage"] for n in missing} == {"primary", "junior"}
    assert all(n.params["n_schools"] > 0 for n in missing)


def test_the_report_is_still_produced_and_says_what_is_missing(results):
    page = CountyPage(results, language="zh")
    html = str(page.summary()) + "".join(str(s.html) for s in page.sections())
    assert "缺少专任教师数" in html and "资源配置" in html
    assert results.resources.verdict is not None  # the other topics are unaffected
