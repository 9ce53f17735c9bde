"""The 学校指标表: per section value, threshold, met, ratio, n_met, compliant, what it lacks (invented data)."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lyganalysis.forms.school_form import lacks_text, school_form_tables, write_school_form
from lyganalysis.metrics.balance import quality_balance_indicators, school_compliance


def sections(names=("甲小学", "乙小学")):
    """Two invented primary sections of 100 students.

    甲: every indicator at or above the primary threshold → 7 met, compliant.
    乙: backbone teachers 0 (L2 = 0 < 1.0, lacks 1 teacher) and 2 multimedia rooms (L7 = 2.0 < 2.3,
    lacks ⌈2.3 − 2⌉ = 1 room) → 5 of 7 met → not compliant.
    """
    return pd.DataFrame({
        "school_id": ["P1", "P2"], "school_name": list(names), "county": "测试县", "county_code": "000000",
        "locale": ["urban", "rural"], "school_type": "primary", "school_year": 2022, "stage": "primary",
        "students": [100, 100], "above_required_qualification": [5.0, 5.0], "backbone_teachers": [1.0, 0.0],
        "pe_arts_teachers": [1.0, 1.0], "teaching_area_m2": [450.0, 500.0], "sports_area_m2": [800.0, 800.0],
        "equipment_value_yuan": [200000.0, 250000.0], "multimedia_classrooms": [3.0, 2.0]})


@pytest.fixture
def compliance():
    return school_compliance(quality_balance_indicators(sections()))


def test_hand_worked_form(compliance):
    tabs = school_form_tables(compliance)
    assert list(tabs) == ["小学"]
    t = tabs["小学"]
    assert t["学校名称"].tolist() == ["甲小学", "乙小学"]
    assert t["城乡类别"].tolist() == ["城区", "乡村"]
    assert t["L2 每百名学生拥有县级以上骨干教师数（人/百名学生）"].tolist() == [1.0, 0.0]
    assert t["L2 标准值（人/百名学生）"].tolist() == [1.0, 1.0]
    assert t["L2 是否达标"].tolist() == ["是", "否"]
    assert t["L7 达成度（实际/标准）"].tolist() == pytest.approx([3 / 2.3, 2 / 2.3])
    assert t["达标指标数（项）"].tolist() == [7, 5]
    assert t["是否达到校际达标要求"].tolist() == ["是", "否"]
    assert t["未达标指标及欠缺"].tolist() == ["无", "L2欠1人；L7欠1间"]
    assert not any(c.endswith("需增加（人）") for c in t.columns)  # no plan given


def test_plan_additions_are_shown_when_present(compliance):
    comp = compliance.assign(add_L2=[0, 1], add_L4=[0.0, 12.5])
    t = school_form_tables(comp)["小学"]
    assert t["L2 需增加（人）"].tolist() == [0, 1]
    assert t["L4 需增加（平方米）"].tolist() == [0.0, 12.5]


def test_lacks_text_of_a_row(compliance):
    assert lacks_text(compliance.iloc[1].to_dict()) == "L2欠1人；L7欠1间"


def test_written_form_keeps_formula_like_text_as_text(tmp_path):
    names = ("=HYPERLINK(\"http://x\")", "@SUM(A1)")
    comp = school_compliance(quality_balance_indicators(sections(names)))
    comp["school_id"] = ["+86 518", "-1"]
    path = write_school_form(comp, tmp_path / "sf.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["小学", "说明"]
    ws = wb["小学"]
    cells = {c.value: c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)}
    for text in (*names, "+86 518", "-1"):
        assert cells[text].data_type == "s"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    header = [c.value for c in ws[1]]
    assert header[0] == "学校代码" and "L6 生均教学仪器设备值（元/生）" in header
    ratio = ws.cell(row=3, column=header.index("L7 达成度（实际/标准）") + 1)
    assert ratio.value == pytest.approx(2 / 2.3, rel=1e-12) and ratio.number_format == "0.000"


def test_replacement_layout_and_errors(tmp_path, compliance):
    lay = tmp_path / "school_form.yaml"
    lay.write_text("stage_sheets:\n  primary: 小学学校\n  junior: 初中学校\ncolumns:\n  school_name: 单位名称\n",
                   encoding="utf-8")
    t = school_form_tables(compliance, layout=lay)
    assert list(t) == ["小学学校"] and "单位名称" in t["小学学校"].columns
    with pytest.raises(ValueError, match="school_compliance"):
        school_form_tables(compliance.drop(columns=["L3_ratio"]))


def test_demo_county_form_has_every_section(tmp_path):
    from forms_demo import gy_inputs

    inp = gy_inputs()
    tabs = school_form_tables(inp.compliance)
    assert sum(len(t) for t in tabs.values()) == len(inp.compliance)
    lacking = tabs["小学"]["未达标指标及欠缺"]
    assert ((lacking == "无") == (tabs["小学"]["达标指标数（项）"] == 7)).all()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 2000), st.lists(st.floats(0.0, 3.0), min_size=7, max_size=7)),
                min_size=1, max_size=6))
def test_form_lists_exactly_the_indicators_not_met(rows):
    # each section's resources = threshold × factor × students (factor 0 … 3 per indicator)
    from lyganalysis.standards import QUALITY_INDICATORS

    recs = []
    for i, (n, factors) in enumerate(rows):
        rec = {"school_id": f"S{i}", "school_name": f"第{i}校", "stage": "primary", "students": n}
        for ind, f in zip(QUALITY_INDICATORS.values(), factors):
            rec[ind.numerator] = ind.primary * f * n / ind.per_students
        recs.append(rec)
    comp = school_compliance(quality_balance_indicators(pd.DataFrame(recs)))
    t = school_form_tables(comp)["小学"]
    for r in range(len(t)):
        not_met = [k for k in QUALITY_INDICATORS if t.iloc[r][f"{k} 是否达标"] == "否"]
        lacks = t.iloc[r]["未达标指标及欠缺"]
        assert (lacks == "无") == (not not_met)
        if not_met:
            assert [p[:2] for p in lacks.split("；")] == not_met
        assert t.iloc[r]["达标指标数（项）"] == 7 - len(not_met)
