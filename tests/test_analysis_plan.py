"""The least-cost plan in the product: computed once in the resources analysis, stored, shown as the county
page's action list and in the resources section, exported as 达标方案.xlsx, and the submission forms written
from the results.

The demo data are simulated (lianyungang_demo); no real personal data."""

from __future__ import annotations

import dataclasses
import json
import re

import docx
import openpyxl
import pandas as pd
import pytest

from lyganalysis.analysis import analyse_county, store
from lyganalysis.analysis import resources as R
from lyganalysis.analysis.findings import actions, plan_schools
from lyganalysis.datasets import load_dataset
from lyganalysis.metrics.plan import PlanResult, apply_plan
from lyganalysis.settings import Settings
from lyganalysis.standards import PLAN_UNIT_COSTS

COUNTY, YEAR = "赣榆区", 2022


@pytest.fixture(scope="module")
def ds():
    return load_dataset("lianyungang_demo")


@pytest.fixture(scope="module")
def results(ds):
    return analyse_county(ds, county=COUNTY, school_year=YEAR)


@pytest.fixture(scope="module")
def plan(results):
    return results.resources.plan


def test_the_resources_result_holds_the_county_plan(results, plan):
    res = results.resources
    assert isinstance(plan, PlanResult) and plan.county == COUNTY and plan.school_year == YEAR
    assert plan.status == "optimal" and plan.all_compliant and plan.cv_rule_met and plan.budget is None
    # the same sections the verdict assessed, at the default unit costs
    assert plan.n_sections == res.verdict.n_sections == len(res.compliance)
    assert plan.n_compliant_before == sum(s.n_compliant for s in res.verdict.stages.values())
    assert plan.costs == {k: c.value for k, c in PLAN_UNIT_COSTS.items()}
    # the county fails on the school rule only: the plan must reach every non-compliant section
    changed = plan.sections.loc[plan.sections["changed"]]
    assert set(zip(res.schools_in_need["school_id"], res.schools_in_need["stage"])) <= \
        set(zip(changed["school_id"], changed["stage"]))
    f = results.figures()["resources.plan.total_cost"]
    assert f.value == pytest.approx(plan.total_cost) and f.params["all_compliant"] is True


def test_the_ganyu_plan_applied_to_the_demo_tables_passes_the_assessment(ds, plan):
    planned = dataclasses.replace(ds, schools=apply_plan(ds.schools, plan))
    after = R.analyse(planned, county=COUNTY, school_year=YEAR)
    v = after.verdict
    assert (v.verdict, v.school_rule, v.cv_verdict) == ("met", "met", "met")
    assert len(after.compliance) == plan.n_sections and after.compliance["compliant"].astype(bool).all()
    cv = after.cv[after.cv["indicator"] != "composite"]
    assert len(cv) == 14 and (cv["cv_weighted"] <= cv["limit"]).all()
    # the planned CVs are the ones the plan reported
    got = cv.set_index(["stage", "indicator"])["cv_weighted"]
    want = plan.cvs.set_index(["stage", "indicator"])["cv_after"]
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False, rtol=1e-9)
    assert after.plan.total_cost == 0  # nothing left to add


def test_plan_costs_per_school_add_up_to_the_total(plan):
    schools = plan_schools(plan)
    assert schools["cost"].sum() == pytest.approx(plan.total_cost, rel=1e-12)
    totals = plan.totals.set_index("item")
    for k in ("above_qualification_teachers", "pe_arts_teachers", "backbone_designations"):
        assert schools[f"add_{k}"].sum() == pytest.approx(totals.loc[k, "quantity"])  # teachers: by section, summed
    for k in ("teaching_area_m2", "sports_area_m2", "multimedia_classrooms"):
        assert schools[f"add_{k}"].sum() == pytest.approx(totals.loc[k, "quantity"])  # physical: once per school
    d = schools["distance"].to_numpy()
    assert (d[:-1] >= d[1:]).all()  # farthest from passing first


def test_the_action_list_on_the_page_is_the_plans_top_schools(results, plan):
    from lyganalysis.report.county_page import CountyPage

    acts = actions(results)
    top = plan_schools(plan).head(5)
    assert acts.source == "plan" and acts.n_schools == plan.sections.loc[plan.sections["changed"], "school_id"].nunique()
    assert [a.school_id for a in acts.top] == top["school_id"].tolist()
    # independently, from the plan's section table: schools farthest from passing first, then the costliest
    ch = plan.sections.loc[plan.sections["changed"]].drop_duplicates("school_id")
    ch = ch.sort_values(["school_distance", "school_cost", "school_id"], ascending=[False, False, True])
    assert top["school_id"].tolist() == ch["school_id"].head(5).tolist()
    assert [a.cost for a in acts.top] == pytest.approx(top["cost"].tolist())
    assert acts.total_cost == pytest.approx(plan.total_cost)
    page = str(CountyPage(results, language="zh", school_href=None).summary())
    shown = re.findall(r'data-key="summary\.actions\.([^".]+)\.name"', page)
    assert shown == top["school_id"].tolist()
    costs = [float(x) for x in re.findall(r'data-key="summary\.actions\.[^".]+\.cost" data-value="([^"]+)"', page)]
    assert costs == pytest.approx(top["cost"].tolist())
    line = re.search(r'data-key="summary\.plan\.totals" data-value="([^"]+)">([^<]+)<', page)
    assert float(line.group(1)) == pytest.approx(plan.total_cost) and f"{plan.total_cost:,.0f}" in line.group(2)
    en = str(CountyPage(results, language="en", school_href=None).summary())
    assert "Plan total" in en and "方案合计" not in en


def test_without_a_plan_the_action_list_falls_back_to_schools_in_need(ds):
    r = R.analyse(ds, county=COUNTY, school_year=YEAR, settings=Settings(with_plan=False))
    assert r.plan is None and "resources.plan.total_cost" not in r.figures()
    acts = actions(type("Results", (), {"resources": r})())
    need = r.schools_in_need
    assert acts.source == "schools_in_need" and acts.n_schools == len(need)
    assert [(a.school_id, a.stage) for a in acts.top] == list(zip(need["school_id"].head(5), need["stage"].head(5)))


def test_the_resources_section_shows_the_plan(results, plan):
    from lyganalysis.report.sections import resources as S

    html = str(S.render(results.resources, language="zh", school_href=None))
    m = re.search(r'data-key="resources\.plan\.total_cost" data-value="([^"]+)"', html)
    assert m and float(m.group(1)) == pytest.approx(plan.total_cost)
    ids = re.findall(r'data-key="resources\.plan\.schools\.([^".]+)\.cost"', html)
    assert ids == plan_schools(plan)["school_id"].tolist()
    for k, c in PLAN_UNIT_COSTS.items():  # the unit costs used, marked as assumptions
        assert re.search(rf'data-key="resources\.plan\.costs\.{k}" data-value="{c.value}">[^<]*\[U\]</li>', html)
    assert 'data-key="resources.plan.gap"' in html and "scipy.optimize.milp" in html
    assert "Plan to comply" in str(S.render(results.resources, language="en", school_href=None))


def test_a_store_round_trip_keeps_the_plan(results, plan, tmp_path):
    store.save(results, tmp_path / "s")
    back = store.load(tmp_path / "s")
    p = back.resources.plan
    assert isinstance(p, PlanResult)
    for part in ("sections", "totals", "cvs"):
        pd.testing.assert_frame_equal(getattr(p, part), getattr(plan, part))
    assert json.dumps(p.to_dict(), sort_keys=True) == json.dumps(plan.to_dict(), sort_keys=True)
    assert [a.school_id for a in actions(back).top] == [a.school_id for a in actions(results).top]


def test_the_metrics_json_holds_the_plan_as_plain_data(results, plan):
    from lyganalysis.report.metrics_file import metrics_document

    doc = json.loads(json.dumps(metrics_document(results), allow_nan=False))
    p = doc["resources"]["plan"]
    assert p["total_cost"] == pytest.approx(plan.total_cost) and p["status"] == "optimal"
    assert len(p["actions"]) == int(plan.sections["changed"].sum())
    assert {t["item"] for t in p["totals"]} == {*PLAN_UNIT_COSTS, "total"} and len(p["cvs"]) == 14
    assert p["solve_seconds"] is None  # a wall time is not kept: the same data give the same file


def test_the_plan_workbook_holds_the_plan_and_no_formula(results, plan, tmp_path):
    from lyganalysis.report.sections import resources as S

    written = S.export_tables(results.resources, tmp_path)
    wb = openpyxl.load_workbook(written["plan"])
    assert wb.sheetnames == ["学校方案", "学段方案", "方案合计", "方案差异系数", "单价假设", "说明"]
    ws = wb["学校方案"]
    head = [c.value for c in ws[1]]
    cost = head.index("费用（元）")
    assert sum(r[cost] for r in ws.iter_rows(min_row=2, values_only=True)) == pytest.approx(plan.total_cost)
    sections = plan.sections.copy()
    first = sections.index[sections["changed"]][0]
    sections.loc[first, "school_name"] = "=HYPERLINK(\"http://x\")"
    path = S.export_plan(dataclasses.replace(plan, sections=sections), tmp_path / "p.xlsx")
    cells = [c for row in openpyxl.load_workbook(path)["学段方案"].iter_rows() for c in row]
    bad = [c for c in cells if c.value == "=HYPERLINK(\"http://x\")"]
    assert bad and all(c.data_type == "s" for c in bad)  # stored as text, never a formula


def test_the_forms_from_the_results(results, plan, ds, tmp_path):
    from lyganalysis.forms.submission import FORM_FILES, forms_from_results

    written = forms_from_results(results, tmp_path, survey=ds.survey)
    assert {k: p.name for k, p in written.items()} == dict(FORM_FILES)
    doc = docx.Document(written["self_evaluation"])  # python-docx reads it back
    heads = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    blocks = ["一、资源配置", "二、政府保障程度", "三、教育质量", "四、社会认可度"]
    assert [h for h in heads if h in blocks] == blocks
    cells = [c.text for t in doc.tables for r in t.rows[1:] for c in r.cells]
    assert cells and all(c.strip() for c in cells)
    verdict_rows = [[c.text for c in r.cells] for r in doc.tables[0].rows[1:]]
    assert verdict_rows[0][-1] == "未达标" and verdict_rows[1][-1] == "达标"  # the page's verdict: school rule fails
    n = results.resources.verdict.stages
    assert f"参评{n['primary'].n_sections}所，未达标{n['primary'].n_not_compliant}所" in verdict_rows[0][1]
    # the school form carries the plan's additions; they add up to the plan per kind (teachers per section)
    wb = openpyxl.load_workbook(written["school_form"])
    total_teachers = 0.0
    for name in ("小学", "初中"):
        rows = list(wb[name].iter_rows(values_only=True))
        head = list(rows[0])
        col = head.index("方案：新聘体育艺术专任教师（人）")
        total_teachers += sum(r[col] or 0 for r in rows[1:])
    assert total_teachers == pytest.approx(float(plan.sections["add_pe_arts_teachers"].sum()))
    # the CV sheet is the terms of the values the verdict used
    cvwb = openpyxl.load_workbook(written["cv_sheet"])
    summary = list(cvwb[cvwb.sheetnames[0]].iter_rows(values_only=True))
    cv_col = [i for i, h in enumerate(summary[0]) if "差异系数" in str(h)][0]
    got = sorted(round(float(r[cv_col]), 12) for r in summary[1:])
    want = sorted(round(float(x), 12) for x in results.resources.cv.query("indicator != 'composite'")["cv_weighted"])
    assert got == want


def test_plan_settings_are_validated():
    with pytest.raises(ValueError, match="plan_costs: unknown"):
        Settings(plan_costs={"teachers": 1.0})
    with pytest.raises(ValueError, match="plan_budget"):
        Settings(plan_budget=-1.0)
    with pytest.raises(ValueError, match="plan_mip_rel_gap"):
        Settings(plan_mip_rel_gap=1.5)
    s = Settings(plan_costs={"sports_area_m2": 800.0}, plan_budget=1e6)
    assert Settings.from_dict(s.to_dict()) == s


def test_unit_costs_and_a_budget_from_the_settings(ds, plan):
    dear = R.analyse(ds, county=COUNTY, school_year=YEAR, settings=Settings(plan_costs={"pe_arts_teachers": 240_000.0}))
    assert dear.plan.costs["pe_arts_teachers"] == 240_000.0 and dear.plan.total_cost > plan.total_cost
    budget = 1_000_000.0
    cap = R.analyse(ds, county=COUNTY, school_year=YEAR, settings=Settings(plan_budget=budget))
    p = cap.plan
    assert p.status == "budget" and p.budget == budget and p.total_cost <= budget
    assert plan.n_compliant_before < p.n_compliant_after < plan.n_sections
    acts = actions(type("Results", (), {"resources": cap})())
    assert acts.source == "plan" and acts.all_compliant is False


def test_no_plan_where_the_chinese_standards_do_not_apply():
    ca = load_dataset("caschools")
    county = ca.counties()[0]
    r = R.analyse(ca, county=county, school_year=max(ca.school_years()))
    assert r.plan is None and not r.applies
    assert actions(type("Results", (), {"resources": r})()).top == ()
