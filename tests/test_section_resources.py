"""The resources section renderer: both languages, escaping, data-keys, no key names in the page, exports."""

from __future__ import annotations

import dataclasses
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import openpyxl  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from lyganalysis.analysis import resources as R  # noqa: E402
from lyganalysis.datasets import load_dataset  # noqa: E402
from lyganalysis.report.sections import resources as S  # noqa: E402
from lyganalysis.report.text import catalogue  # noqa: E402

COUNTY = "赣榆区"


@pytest.fixture(scope="module")
def ds(demo):
    return demo


@pytest.fixture(scope="module")
def res(ds):
    return R.analyse(ds, county=COUNTY, school_year=2022)


@pytest.fixture(scope="module")
def zh(res):
    return str(S.render(res, language="zh"))


@pytest.fixture(scope="module")
def en(res):
    return str(S.render(res, language="en"))


def _key_value(page: str, key: str) -> str:
    m = re.search(r'data-key="' + re.escape(key) + r'"[^>]*?data-value="([^"]*)"', page)
    assert m, f"no data-key {key!r} with a data-value"
    return m.group(1)


def test_the_verdict_comes_first_with_both_conditions_and_counts(res, zh, en):
    assert zh.index('data-key="resources.verdict"') < zh.index('data-key="resources.cv"')
    assert _key_value(zh, "resources.verdict") == "not_met"
    assert _key_value(zh, "resources.verdict.school_rule.primary") == "not_met"
    assert _key_value(zh, "resources.verdict.cv_rule.primary") == "met"
    assert _key_value(zh, "resources.n_sections.primary") == "71"
    assert _key_value(zh, "resources.n_not_compliant.primary") == "38"
    assert "评估 71 个学段，38 个未达标（达标 46.5%）" in zh
    assert "71 sections assessed, 38 do not comply (46.5% comply)" in en
    assert "资源配置：未达标（学校达标条件：未达标；差异系数条件：达标）" in zh


def test_a_failing_cv_is_named_with_its_value_and_limit(ds):
    r = R.analyse(ds, county="灌云县", school_year=2022)
    page = str(S.render(r, language="en"))
    f = r.verdict.stages["primary"].cv_failing[0]
    assert f"{f['indicator']} CV {f['cv']:.3f} &gt; 0.50" in page


def test_a_cv_just_over_the_limit_shows_the_excess(ds):
    r = R.analyse(ds, county="海州区", school_year=2022)
    f = r.verdict.stages["primary"].cv_failing[0]
    assert f"{f['cv']:.3f}" == "0.500" and f["cv"] > f["limit"]  # the demo has one: 0.5005 > 0.50
    assert f"{f['indicator']} CV {f['cv']:.4f} &gt; 0.50" in str(S.render(r, language="en"))


def test_undecided_stage_says_why(ds):
    r = R.analyse(ds, county="徐圩新区", school_year=2022)
    assert "Only 2 sections (fewer than 3)" in str(S.render(r, language="en"))
    assert "只有 2 个学段（少于 3 个）" in str(S.render(r, language="zh"))


def test_numbers_carry_data_keys_and_the_least_additions_are_shown(res, zh):
    row = res.cv[(res.cv["stage"] == "primary") & (res.cv["indicator"] == "L2")].iloc[0]
    assert f'data-key="resources.cv.primary.L2.cv_weighted" data-value="{row["cv_weighted"]}">{row["cv_weighted"]:.3f}<' in zh
    first = res.schools_in_need.iloc[0]
    for k in ("L1", "L2", "L3", "L4", "L5", "L6", "L7"):
        if first[f"add_{k}"] > 0:
            key = f"resources.need.{first['school_id']}.{first['stage']}.add_{k}"
            assert float(_key_value(zh, key)) == first[f"add_{k}"]
    assert f'href="schools/{first["school_id"]}.html"' in zh
    assert "示例" in zh and "<details" in zh


def test_both_languages_render_without_key_names(zh, en):
    for page in (zh, en):
        text = re.sub(r"<[^>]+>", " ", page)
        assert not re.search(r"\b(res|nc|stage|verdict)_[a-z]", text), re.findall(r"\b(?:res|nc)_\w+", text)[:5]
        assert "{" not in text and "}" not in text
    assert "学段" not in en and "School compliance" in en and "学校达标情况" in zh
    ours = ("res_", "nc_res_")
    assert {k for k in catalogue("zh") if k.startswith(ours)} == {k for k in catalogue("en") if k.startswith(ours)}


def test_school_names_are_escaped_and_links_can_be_off(res):
    bad = 'A<b>&"学校'
    need = res.schools_in_need.copy()
    need.loc[0, "school_name"] = bad
    comp = res.compliance.copy()
    comp.loc[comp["school_id"] == need.loc[0, "school_id"], "school_name"] = bad
    page = str(S.render(dataclasses.replace(res, schools_in_need=need, compliance=comp), language="zh",
                        school_href=None))
    assert bad not in page and "A&lt;b&gt;&amp;&#34;学校" in page
    assert "schools/" not in page


def test_caschools_says_standards_do_not_apply():
    ca = load_dataset("caschools")
    r = R.analyse(ca, county="Los Angeles", school_year=ca.school_years()[-1])
    page = str(S.render(r, language="en"))
    assert "do not apply" in page and 'data-key="resources.verdict"' not in page
    assert 'data-key="resources.overview.primary.students"' in page
    assert S.figures(r, language="en") == []


def test_figures_are_small(res):
    figs = S.figures(res, language="zh")
    assert [n for n, _ in figs] == ["cv_by_indicator"]
    for _, fig in figs:
        assert fig.dpi <= 100
        plt.close(fig)


def test_export_tables_csv_and_excel(res, tmp_path):
    written = S.export_tables(res, tmp_path)
    v = pd.read_csv(written["县域判定"], encoding="utf-8-sig")
    assert list(v["未达标学段数"]) == [38, 24] and set(v["资源配置判定"]) == {"未达标"}
    cv = pd.read_csv(written["差异系数"], encoding="utf-8-sig")
    assert {"学段", "指标", "差异系数（按在校生加权）", "差异系数（不加权）", "限值"} <= set(cv.columns)
    schools = pd.read_csv(written["学校指标"], encoding="utf-8-sig", dtype={"学校代码": str})
    assert "L5 补齐标准差额（平方米）" in schools.columns and "L2 按学校标准最少补充（人）" in schools.columns
    first = res.schools_in_need.iloc[0]
    got = schools[(schools["学校代码"] == first["school_id"])]
    assert got["L2 按学校标准最少补充（人）"].max() == res.schools_in_need[
        res.schools_in_need["school_id"] == first["school_id"]]["add_L2"].max()
    wb = openpyxl.load_workbook(written["xlsx"], read_only=True)
    assert {"县域判定", "差异系数", "学校指标", "政府保障"} <= set(wb.sheetnames)


def test_export_never_writes_a_formula(res, tmp_path):
    comp = res.compliance.copy()
    comp.loc[0, "school_name"] = "=HYPERLINK(\"http://x\")"
    written = S.export_tables(dataclasses.replace(res, compliance=comp), tmp_path)
    wb = openpyxl.load_workbook(written["xlsx"])
    ws = wb["学校指标"]
    cells = [c for row in ws.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells), "no cell is a formula"
    tricky = [c for c in cells if c.value == "=HYPERLINK(\"http://x\")"]
    assert tricky and all(c.data_type == "s" for c in tricky), "the text is kept, typed as text"


def test_before_2017_the_2012_composite_rule_decides(ds):
    from lyganalysis.settings import Settings

    r = R.analyse(ds, county=COUNTY, school_year=2021, settings=Settings(balance_standard="basic_2012"))
    assert r.standard == "basic_2012" and r.verdict is None and r.basic_cv_verdict == "met"
    comp = r.cv_basic[r.cv_basic["indicator"] == "composite"]
    assert (comp["cv_weighted"] <= comp["limit"]).all()  # the 2012 rule: composite within 0.65 / 0.55
    assert r.figures()["resources.verdict"].params == {"standard": "basic_2012"}
    page = str(S.render(r, language="zh"))
    assert _key_value(page, "resources.verdict") == "met" and "以综合差异系数判定" in page
    assert 'data-key="resources.need' not in page and "不作判定" not in page
