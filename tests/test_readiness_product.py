"""Readiness in the product: one definition per figure (the topic results feed it), the rendered county
section (every item with a status and a source), the staffing ratio on both bases and the city table.

All data are the simulated demo (invented) or hand-made frames.
"""

import dataclasses
import re

import pandas as pd
import pytest

from lyganalysis.analysis import analyse_county, topic_figures_for_readiness
from lyganalysis.analysis import readiness as R
from lyganalysis.analysis.city import READINESS_COLUMNS, analyse_city
from lyganalysis.analysis.staffing import staff_ratios
from lyganalysis.datasets import load_dataset
from lyganalysis.inspection import INSPECTION_ITEMS
from lyganalysis.report import city_page
from lyganalysis.report.sections import readiness as readiness_section
from lyganalysis.report.sections import staffing as staffing_section

YEAR = 2022


@pytest.fixture(scope="module")
def demo(request):
    return load_dataset("lianyungang_demo", cache_dir=request.config.cache.mkdir("lyg_demo_cache"))


@pytest.fixture(scope="module")
def ganyu(demo):
    return analyse_county(demo, county="赣榆区", school_year=YEAR)


def _status_cells(html: str) -> dict[str, str]:
    cells = re.findall(r'data-key="readiness\.([A-Z]\d+)\.status" data-value="([a-z_]+)">([^<]*)</td>', html)
    return {k: (v, text) for k, v, text in cells}


# ------------------------------------------------------------------------------------------- done when
def test_ganyu_page_lists_every_item_with_a_status_and_no_data_only_for_qualitative(ganyu):
    html = str(readiness_section.render_section(ganyu.readiness, language="zh"))
    cells = _status_cells(html)
    # all 31 counted items of the four blocks (+ the school rule and the survey) and the veto items, each once
    assert set(cells) == set(INSPECTION_ITEMS)
    assert sum(1 for it in INSPECTION_ITEMS.values() if it.counted) == 31
    assert html.count('data-key="readiness.') and all(html.count(f'data-key="readiness.{k}.status"') == 1
                                                      for k in INSPECTION_ITEMS)
    labels = {"met": "达标", "not_met": "未达标", "no_data": "无数据", "evidence_required": "需提供佐证材料",
              "declared": "县区申报", "not_applicable": "不适用"}
    for key, (status, text) in cells.items():
        item = INSPECTION_ITEMS[key]
        assert text == labels[status], key
        assert status != "no_data", f"{key} shows no data although the demo form is filled"
        if item.kind in ("evidence", "rating"):
            assert status == "evidence_required", key
        elif item.kind == "veto":
            assert status == "declared", key
        else:
            assert status in ("met", "not_met", "not_applicable"), key


def test_ganyu_section_names_the_source_of_each_figure(ganyu):
    html = str(readiness_section.render_section(ganyu.readiness, language="zh"))
    src = dict(re.findall(r'data-key="readiness\.([A-Z]\d+)\.source" data-sources="([a-z_,]*)"', html))
    assert set(src) == set(INSPECTION_ITEMS)
    assert src["R1"] == "tables" and src["G4"] == "tables"
    assert src["G8"] == "form" and src["S1"] == "survey"
    assert src["G15"] == "form,county_facts"   # purchased places from the form, the rate from county_facts
    assert src["G1"] == ""                      # an evidence item shows no figure
    # the tables and the form both hold the certified share: the tables decide and the page says so
    assert ganyu.readiness.sources["certified_rate"] == "tables"
    assert "数据表" in html and "以数据表为准" in html


# ------------------------------------------------------------------------------------------- one definition
def test_topic_figures_are_the_topics_own_numbers(demo, ganyu):
    f = topic_figures_for_readiness(ganyu, demo)
    res, stf = ganyu.resources, ganyu.staffing
    assert f["schools_not_meeting_school_rule"] == res.verdict.n_not_compliant
    assert f["schools_assessed"] == res.verdict.n_sections
    cv = res.cv.set_index(["stage", "indicator"])["cv_weighted"]
    assert f["cv_L3_junior"] == cv[("junior", "L3")] and f["cv_L1_primary"] == cv[("primary", "L1")]
    assert f["schools_over_size"] == int((~res.school_size["within"]).sum())
    assert f["schools_short_of_music_rooms"] == int((res.rooms["music_ok"] == False).sum())  # noqa: E712
    rot = stf.rotation.set_index("stage").loc["all"]
    assert f["rotation_rate"] == rot["rotation_rate"] and f["rotation_backbone_share"] == rot["backbone_share_of_rotated"]
    assert f["certified_rate"] == stf.scalars["certified_rate"]
    assert f["training_360_completion_rate"] == stf.scalars["training_360_completion_rate"]
    assert f["schools_missing_specialists"] == stf.scalars["n_schools_missing_specialist"]


def test_given_table_figures_are_not_computed_again(demo, ganyu, monkeypatch):
    given = topic_figures_for_readiness(ganyu, demo)

    def boom(*a, **k):
        raise AssertionError("computed again although the topic results gave it")

    monkeypatch.setattr(R, "_resource_figures", boom)
    monkeypatch.setattr(R, "school_rule_figures", boom)
    monkeypatch.setattr(R, "teacher_figures", boom)
    monkeypatch.setattr("lyganalysis.metrics.staffing.rotation", boom)
    r = R.county_readiness(demo, "赣榆区", YEAR, table_figures=given)
    assert [i.status for i in r.items] == [i.status for i in ganyu.readiness.items]
    assert r.sources["cv_L2_primary"] == "tables" and r.sources["rotation_rate"] == "tables"


def test_table_path_agrees_with_the_topic_path(demo, ganyu):
    # callers without topic results compute the figures from the tables: same statuses on the demo
    alone = R.county_readiness(demo, "赣榆区", YEAR)
    assert [(i.key, i.status) for i in alone.items] == [(i.key, i.status) for i in ganyu.readiness.items]
    for k in ("cv_L1_primary", "schools_not_meeting_school_rule", "schools_with_class_over_limit", "rotation_rate",
              "certified_rate"):
        assert alone.figures[k] == pytest.approx(ganyu.readiness.figures[k], rel=1e-12), k


def test_school_rule_figures_use_given_checks_with_national_class_limits():
    # hand-worked: one primary school whose largest class is 46 (national limit 45), frames given as the
    # topic would pass them (class_size computed with the Jiangsu limit 40: the national limit still decides)
    schools = pd.DataFrame({"school_id": ["a", "b"], "school_type": ["primary", "primary"], "locale": ["urban"] * 2,
                            "max_class_size_primary": [46, 42], "max_class_size_junior": [pd.NA, pd.NA]})
    checks = {"rooms": pd.DataFrame({"school_id": ["a", "b"], "music_ok": [False, True], "art_ok": [True, True]}),
              "school_size": pd.DataFrame({"school_id": ["a", "b"], "within": [True, False]}),
              "class_size": pd.DataFrame({"school_id": ["a", "b"], "stage": ["primary", "primary"],
                                          "max_class_size": [46.0, 42.0], "limit": [40.0, 40.0],
                                          "within": [False, False]})}
    f = R.school_rule_figures(schools, checks=checks)
    assert f["schools_with_class_over_limit"] == 1          # 46 > 45; 42 is within the national limit
    assert f["schools_short_of_music_rooms"] == 1 and f["schools_short_of_art_rooms"] == 0
    assert f["schools_over_size"] == 1 and f["exemptions_applied"] == ()


# ------------------------------------------------------------------------------------------- staffing bases
def test_staff_ratios_hand_worked():
    ratios = pd.DataFrame({"stage": ["primary", "junior"], "students": [190.0, 135.0], "teachers": [8.0, 9.0]})
    f = staff_ratios(ratios, {"staff_primary": 12, "staff_junior": None}, school_year=YEAR).set_index("stage")
    assert list(f.index) == ["primary"]                     # no staff figure for junior: left out
    p = f.loc["primary"]
    assert p["student_teacher_ratio"] == pytest.approx(190 / 8)
    assert p["student_staff_ratio"] == pytest.approx(190 / 12)
    assert p["staffing_standard"] == 19                     # 2014 unified standard, primary 1:19
    assert p["staff_need"] == pytest.approx(10.0) and p["staff_shortfall"] == pytest.approx(-2.0)
    assert bool(p["meets_standard"]) and p["staff_source"] == "form"
    with pytest.raises(ValueError, match="教职工"):
        staff_ratios(ratios, {"staff_primary": 0}, school_year=YEAR)
    assert staff_ratios(ratios, None, school_year=YEAR).empty


def test_ganyu_staffing_shows_both_bases_and_says_which_decides(demo, ganyu):
    s = ganyu.staffing
    form = demo.county_form
    row = form[(form["county"] == "赣榆区") & (form["school_year"] == YEAR)].iloc[0]
    sr = s.staff_ratios.set_index("stage")
    assert sr.loc["primary", "staff"] == row["staff_primary"] and sr.loc["junior", "staff"] == row["staff_junior"]
    assert sr.loc["junior", "student_teacher_ratio"] == pytest.approx(
        s.ratios.set_index("stage").loc["junior", "student_teacher_ratio"])
    assert s.caveats == ("staff_base_decides",)
    html = str(staffing_section.render(s, language="zh", school_href=None))
    assert 'data-key="staffing.staff_ratios"' in html
    assert "生师比（学生/专任教师）" in html and "生教职工比（学生/教职工）" in html
    assert 'data-key="staffing.caveat.staff_base_decides"' in html
    assert 'staffing.caveat.standard_counts_all_staff' not in html
    # a school's shortfall still compares full-time teachers with the standard
    sid = s.schools["school_id"].iloc[0]
    assert s.for_school(sid)["caveats"] == ("standard_counts_all_staff",)


def test_without_staff_in_the_form_the_old_caveat_stays(demo):
    bare = dataclasses.replace(demo, county_form=demo.county_form.assign(staff_primary=pd.NA, staff_junior=pd.NA))
    from lyganalysis.analysis import staffing

    s = staffing.analyse(bare, county="连云区", school_year=YEAR)
    assert s.staff_ratios.empty and s.caveats == ("standard_counts_all_staff",)


# ------------------------------------------------------------------------------------------- city
def test_city_readiness_table_is_read_from_the_counties(demo, ganyu):
    kfq = analyse_county(demo, county="开发区", school_year=YEAR)
    city = analyse_city(demo, school_year=YEAR, counties_results={"赣榆区": ganyu, "开发区": kfq})
    t = city.readiness
    assert list(t.columns) == READINESS_COLUMNS
    assert len(t) == 2 * len(INSPECTION_ITEMS)
    for unit, res in (("赣榆区", ganyu), ("开发区", kfq)):
        sub = t[t["unit"] == unit].set_index("key")
        assert {k: sub.loc[k, "status"] for k in sub.index} == {i.key: i.status for i in res.readiness.items}
    assert t.loc[t["unit"] == "开发区", "inspection_unit"].eq(False).all()
    assert t.loc[t["unit"] == "赣榆区", "inspection_unit"].eq(True).all()
    g = t[(t["unit"] == "赣榆区") & (t["key"] == "G13")].iloc[0]
    assert g["status"] == "not_met" and g["value"] == pytest.approx(ganyu.readiness.item("G13").deciding.value)
    b = city.readiness_blocks.set_index(["unit", "block"])["status"]
    assert b[("赣榆区", "overall")] == ganyu.readiness.overall
    import json

    from lyganalysis.report.metrics_file import metrics_document

    d = json.loads(json.dumps(metrics_document(city), ensure_ascii=False, allow_nan=False))
    assert len(d["readiness"]) == len(t) and {r["unit"] for r in d["readiness"]} == {"赣榆区", "开发区"}
    g13 = [r for r in d["readiness"] if r["unit"] == "赣榆区" and r["key"] == "G13"][0]
    assert g13["status"] == "not_met" and g13["sources"] == "form"
    assert {r["block"] for r in d["readiness_blocks"]} >= {"resources", "veto", "overall"}
    # the city staffing table carries the all-staff ratio read from the counties' staffing results
    st = city.staffing.set_index("unit")
    gp = ganyu.staffing.staff_ratios.set_index("stage").loc["primary"]
    kp = kfq.staffing.staff_ratios.set_index("stage").loc["primary"]
    assert st.loc["赣榆区", "ratio_staff_primary"] == pytest.approx(gp["student_staff_ratio"])
    assert st.loc["city", "ratio_staff_primary"] == pytest.approx(
        (gp["students"] + kp["students"]) / (gp["staff"] + kp["staff"]))
    html = str(city_page.render(city, language="zh"))
    assert "小学生教职工比" in html
    assert 'data-key="city.readiness"' in html and "（非评估单位）" in html
    assert html.count("（非评估单位）") == 1 + 1            # the 开发区 column head and the legend


# ------------------------------------------------------------------------------------------- metrics
def test_certified_and_training_rates_hand_worked():
    from lyganalysis.metrics import staffing as S

    t = pd.DataFrame({"county": ["A", "A", "A", "B", "B"],
                      "certified": pd.array([True, False, None, True, True], dtype="boolean"),
                      "training_hours_5y": [360.0, 359.5, None, 400.0, 0.0]})
    # A: 1 certified of 2 recorded (the NA teacher is left out); B: 2 of 2
    assert S.certified_rate(t) == pytest.approx(3 / 4)
    assert S.certified_rate(t, by="county").to_dict() == {"A": 0.5, "B": 1.0}
    # 360 hours exactly counts (≥ 360); 359.5 does not
    assert S.training_completion_rate(t) == pytest.approx(2 / 4)
    assert S.training_completion_rate(t, by="county").to_dict() == {"A": 0.5, "B": 0.5}
    assert S.training_completion_rate(t, required_hours=0) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="negative"):
        S.training_completion_rate(t.assign(training_hours_5y=[-1.0, 1, 1, 1, 1]))
    with pytest.raises(ValueError, match="missing column"):
        S.certified_rate(t.drop(columns="certified"))
