"""Resource-balance report section on the demo data (issue 4)."""

from __future__ import annotations

import json
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import openpyxl  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from lyganalysis import plots  # noqa: E402
from lyganalysis.datasets import load_dataset  # noqa: E402
from lyganalysis.metrics.balance import (  # noqa: E402
    quality_balance_assessment,
    quality_balance_indicators,
    school_sections,
)
from lyganalysis.report.sections import resources  # noqa: E402

COUNTY = "赣榆区"


@pytest.fixture(scope="module")
def ds():
    return load_dataset("lianyungang_demo")


@pytest.fixture(scope="module")
def section(ds):
    start = time.process_time()  # CPU time: wall time varies with other jobs on a shared machine
    sec = resources.build(ds, county=COUNTY, school_year=2022)
    elapsed = time.process_time() - start
    assert elapsed < 3.0, f"build took {elapsed:.2f} s of CPU time"
    return sec


def test_build_matches_the_metric_functions(ds, section):
    schools = ds.schools[(ds.schools["county"] == COUNTY) & (ds.schools["school_year"] == 2022)]
    a = quality_balance_assessment(quality_balance_indicators(school_sections(schools)))
    assert section.standard == "quality_2017" and section.years == (2021, 2022)
    cv = section.cv.set_index(["stage", "indicator"])
    for r in a.table.itertuples():
        assert cv.loc[(r.stage, r.indicator), "cv_weighted"] == pytest.approx(r.coefficient_of_variation, rel=1e-12)
    assert section.assessment.passes == a.passes
    assert section.guarantee is not None and set(section.guarantee.summary["school_year"]) == {2022}
    assert section.monitoring is not None and 0 <= section.monitoring.share_of_schools <= 1
    assert set(section.year_on_year_cv["school_year"]) == {2021, 2022}
    assert len(section.schools_in_need) == int((~section.compliance["compliant"].dropna().astype(bool)).sum())


def test_to_dict_is_json_with_full_precision(section):
    d = json.loads(json.dumps(section.to_dict(), allow_nan=False))
    assert d["county"] == COUNTY and d["standard"] == "quality_2017"
    first = d["cv"][0]
    assert first["cv_weighted"] == section.cv["cv_weighted"].iloc[0]  # not rounded
    assert d["monitoring"]["points_are_example"] is True
    assert {"summary", "class_size_bands"} <= set(d["guarantee"])


def test_html_contains_the_numbers_with_data_keys(section):
    h = section.html()
    row = section.cv[(section.cv["stage"] == "primary") & (section.cv["indicator"] == "L2")].iloc[0]
    assert f'data-key="resources.cv.primary.L2.cv_weighted">{row["cv_weighted"]:.3f}<' in h
    assert f'data-key="resources.cv.primary.L2.cv_unweighted">{row["cv_unweighted"]:.3f}<' in h
    assert "差异系数（不加权）" in h and "示例" in h and "最大班额" in h and "年度变化" in h
    share = section.monitoring.share_of_schools
    assert f'data-key="resources.monitoring.share_of_schools">{100 * share:.1f}%<' in h
    need = section.schools_in_need.iloc[0]
    assert str(need["school_name"]) in h
    assert "学段" in h


def test_english_html(ds):
    sec = resources.build(ds, county=COUNTY, school_year=2022, language="en")
    h = sec.html()
    assert "CV (unweighted)" in h and "Schools most in need" in h and "example" in h
    assert "学段" not in h


def test_composite_passes_but_indicator_fails_note(section):
    # golden §2 situation forced on the demo: tighten the L2 limit through the assessment's table
    a = section.assessment
    from lyganalysis.metrics.balance import QualityBalanceAssessment

    cvs = {st: dict(zip(g["indicator"], g["coefficient_of_variation"])) for st, g in a.table.groupby("stage")}
    cvs["primary"]["L2"] = 0.501787
    forced = QualityBalanceAssessment.from_cvs(cvs)
    cv = section.cv.copy()
    m = (cv["stage"] == "primary") & (cv["indicator"] == "L2")
    cv.loc[m, ["cv_weighted", "passes_weighted", "verdict_flips"]] = [0.501787, False, True]
    sec = resources.ResourcesSection(**{**section.__dict__, "assessment": forced, "cv": cv})
    h = sec.html()
    assert "综合差异系数" in h and "L2 超过限值" in h and "该学段不达标" in h


def test_plots_return_their_axes_without_missing_glyphs(section):
    plots.setup_fonts()
    assert set(section.figure_names()) == {"cv_by_indicator", "compliance_heatmap", "cv_year_on_year"}
    for name in section.figure_names():
        fig, ax = plt.subplots()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = section.plot(name, ax=ax)
            fig.canvas.draw()
        assert out is ax
        plt.close(fig)
    with pytest.raises(ValueError, match="unknown"):
        section.plot("pie")


def test_export_tables_csv_and_excel(section, tmp_path):
    written = resources.export_tables(section, tmp_path)
    cv = pd.read_csv(written["差异系数"], encoding="utf-8-sig")
    assert {"学段", "指标", "差异系数（按在校生加权）", "差异系数（不加权）", "限值"} <= set(cv.columns)
    schools = pd.read_csv(written["学校指标"], encoding="utf-8-sig", dtype={"学校代码": str})
    assert "距达标还差" in schools.columns and "L5 差额（平方米）" in schools.columns
    need = section.schools_in_need.iloc[0]
    got = schools[(schools["学校代码"] == need["school_id"])]["距达标还差"].dropna()
    assert need["lacks_zh"] in set(got)
    wb = openpyxl.load_workbook(written["xlsx"], read_only=True)
    assert {"差异系数", "学校指标", "政府保障"} <= set(wb.sheetnames)


def test_basic_standard_for_early_years_and_caschools(ds):
    sec = resources.build(ds, county=COUNTY, school_year=2021, standard="basic_2012")
    assert sec.standard == "basic_2012" and sec.years == (2021,)
    assert set(sec.cv["indicator"]) == {f"B{i}" for i in range(1, 9)} | {"composite"}
    assert "8项指标综合差异系数" in sec.html()
    json.dumps(sec.to_dict(), allow_nan=False)
    ca = load_dataset("caschools")
    county = ca.counties()[0]
    s2 = resources.build(ca, county=county, school_year=ca.school_years()[-1])
    assert s2.standard == "none" and s2.figure_names() == [] and "未计算" in s2.html()
    json.dumps(s2.to_dict(), allow_nan=False)
