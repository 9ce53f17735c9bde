"""The 差异系数计算表: terms, X̄, S, CV and composite; equals the library CV; written as text-safe .xlsx."""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest
from forms_demo import gy_inputs as _gy_inputs
from hypothesis import given, settings
from hypothesis import strategies as st

from lyganalysis.forms.cv_sheet import cv_calculation, cv_sheet, cv_sheet_tables, write_cv_sheet
from lyganalysis.metrics.balance import coefficient_of_variation, quality_balance_assessment
from lyganalysis.standards import QUALITY_INDICATORS

KEYS = tuple(QUALITY_INDICATORS)


@pytest.fixture(scope="module")
def gy_inputs():
    return _gy_inputs()
DANGEROUS = ["=1+1", "+86 518", "-2+3", "@SUM(A1)"]


def small_county(values=None, students=(100, 200, 100), names=None, stage="primary"):
    """Invented county: one section per row, every indicator = ``values`` (default 1, 2, 3)."""
    values = values or (1.0, 2.0, 3.0)
    n = len(students)
    df = pd.DataFrame({
        "school_id": [f"S{i}" for i in range(n)],
        "school_name": list(names) if names else [f"第{i + 1}小学" for i in range(n)],
        "county": "测试县", "school_year": 2022, "stage": stage, "students": list(students)})
    for k in KEYS:
        df[k] = [float(v) for v in values]
    return df


def test_golden_published_worked_example():
    # published county guidance worked example of 差异系数 (books per student, five primary schools):
    # X̄ = 1913/302 = 6.3344, S = 3.264, CV = 0.5153
    g = pd.DataFrame({"school_name": [f"小学{i}" for i in range(1, 6)], "students": [45, 37, 89, 76, 55],
                      "books": [279, 137, 935, 160, 402]})
    g["books_per_student"] = g["books"] / g["students"]
    terms, s = cv_calculation(g, value="books_per_student")
    assert s["students"] == 302
    assert s["mean"] == pytest.approx(1913 / 302, rel=1e-12)
    assert s["sd"] == pytest.approx(3.264, rel=1e-3)
    assert s["coefficient_of_variation"] == pytest.approx(0.5153, rel=1e-3)
    assert terms["weight_share"].sum() == pytest.approx(1.0, abs=1e-15)
    assert math.sqrt(terms["weighted_sq_dev"].sum()) == pytest.approx(s["sd"], rel=1e-15)


def test_hand_worked_small_county():
    # P = 400; Pᵢ/P = .25, .5, .25; X̄ = .25·1 + .5·2 + .25·3 = 2;
    # terms .25·1, 0, .25·1 → S² = .5, S = √.5, CV = √.5 / 2 = 0.353553…
    sheet = cv_sheet(small_county())
    t = sheet.terms[(sheet.terms["stage"] == "primary") & (sheet.terms["indicator"] == "L1")]
    assert t["weight_share"].tolist() == [0.25, 0.5, 0.25]
    assert t["weighted_sq_dev"].tolist() == pytest.approx([0.25, 0.0, 0.25], abs=1e-15)
    assert t["number"].tolist() == [1, 2, 3]
    row = sheet.summary.iloc[0]
    assert (row["students"], row["mean"]) == (400, pytest.approx(2.0))
    assert row["sd"] == pytest.approx(math.sqrt(0.5))
    assert row["coefficient_of_variation"] == pytest.approx(math.sqrt(0.5) / 2)
    assert bool(row["passes"]) is True and row["limit"] == 0.50  # 0.354 ≤ 0.50
    assert sheet.composite_cv["primary"] == pytest.approx(math.sqrt(0.5) / 2)
    frame = sheet.to_frame()
    assert frame["indicator"].tolist() == list(KEYS) + ["composite"]
    assert (sheet.county, sheet.school_year) == ("测试县", 2022)


def test_junior_limit_decides_and_zero_student_sections_are_left_out():
    # values 1, 3 with equal weights: X̄ = 2, S = 1, CV = 0.5 → over the junior limit 0.45
    df = small_county(values=(1.0, 3.0, 9.0), students=(50, 50, 0), stage="junior")
    df.loc[2, KEYS] = np.nan  # a section without students has no indicator values
    sheet = cv_sheet(df)
    assert sheet.excluded_zero_students == 1
    row = sheet.summary.iloc[0]
    assert row["n_sections"] == 2 and row["coefficient_of_variation"] == pytest.approx(0.5)
    assert row["limit"] == 0.45 and not bool(row["passes"])


def test_errors_are_explained():
    two = pd.concat([small_county(), small_county().assign(county="另一县")])
    with pytest.raises(ValueError, match="one county"):
        cv_sheet(two)
    bad = small_county()
    bad.loc[1, "L3"] = np.nan
    with pytest.raises(ValueError, match="L3.*第2小学"):
        cv_sheet(bad)
    with pytest.raises(ValueError, match="no school section with students"):
        cv_sheet(small_county(students=(0, 0, 0)))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3000), st.floats(0.01, 5000, allow_nan=False)), min_size=2, max_size=12))
def test_sheet_cv_equals_library_cv(rows):
    students = [r[0] for r in rows]
    df = small_county(values=[r[1] for r in rows], students=students)
    df["L5"] = df["L5"] * np.linspace(1, 2, len(df))
    sheet = cv_sheet(df)
    for r in sheet.summary.itertuples(index=False):
        lib = coefficient_of_variation(df, value=r.indicator, weight="students")
        assert abs(r.coefficient_of_variation - lib) <= 1e-12 * max(1.0, abs(lib))


def test_demo_county_equals_library_assessment(gy_inputs):
    sheet, ind = gy_inputs.cv, gy_inputs.indicators
    a = quality_balance_assessment(ind).to_frame()
    merged = sheet.to_frame().merge(a, on=["stage", "indicator"], suffixes=("", "_lib"))
    assert len(merged) == 16
    assert np.max(np.abs(merged["coefficient_of_variation"] - merged["coefficient_of_variation_lib"])) <= 1e-12
    for st_ in ("primary", "junior"):
        sub = ind[(ind["stage"] == st_) & (ind["students"] > 0)]
        for k in KEYS:
            lib = coefficient_of_variation(sub, value=k, weight="students")
            got = sheet.summary.set_index(["stage", "indicator"]).loc[(st_, k), "coefficient_of_variation"]
            assert abs(got - lib) <= 1e-12


def test_xlsx_layout_and_values(tmp_path):
    sheet = cv_sheet(small_county())
    path = write_cv_sheet(sheet, tmp_path / "cv.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["汇总", "小学", "说明"]
    ws = wb["小学"]
    header = [c.value for c in ws[1]]
    assert header[:6] == ["指标", "序号", "学校代码", "学校名称", "在校生数 Pᵢ（人）", "指标值 Xᵢ"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    cv_row = next(r for r in rows if r[3] == "差异系数 CV = S/X̄")
    assert cv_row[0].startswith("L1") and cv_row[5] == pytest.approx(math.sqrt(0.5) / 2, rel=1e-12)
    assert rows[-1][3].startswith("综合差异系数") and rows[-1][5] == pytest.approx(math.sqrt(0.5) / 2)
    share = ws.cell(row=2, column=header.index("权重 Pᵢ/P") + 1)
    assert share.value == 0.25 and share.number_format == "0.000000"  # display format only
    summary = [[c.value for c in r] for r in wb["汇总"].iter_rows(min_row=2)]
    assert [r[-1] for r in summary] == ["达标"] * 7


def test_text_cells_that_look_like_formulas_stay_text(tmp_path):
    df = small_county(students=(100, 200, 100, 50), values=(1.0, 2.0, 3.0, 4.0), names=DANGEROUS)
    df["school_id"] = ["=A1", "+1", "-1", "@x"]
    path = write_cv_sheet(cv_sheet(df), tmp_path / "cv.xlsx")
    ws = openpyxl.load_workbook(path)["小学"]
    seen = set()
    for row in ws.iter_rows(min_row=2):
        for c in row:
            if isinstance(c.value, str) and c.value[:1] in "=+-@":
                assert c.data_type == "s", (c.coordinate, c.value, c.data_type)
                seen.add(c.value)
    assert set(DANGEROUS) | {"=A1", "+1", "-1", "@x"} <= seen
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_replacement_layout_changes_sheets_and_headers(tmp_path):
    lay = tmp_path / "cv_sheet.yaml"
    lay.write_text("stage_sheets:\n  primary: 小学部\n  junior: 初中部\ncolumns:\n  students: 学生数（人）\n"
                   "summary_sheet: 总表\n", encoding="utf-8")
    tabs = cv_sheet_tables(cv_sheet(small_county()), layout=lay)
    assert list(tabs) == ["总表", "小学部"]
    assert "学生数（人）" in tabs["小学部"].columns and "学校名称" in tabs["小学部"].columns
    with pytest.raises(FileNotFoundError):
        cv_sheet_tables(cv_sheet(small_county()), layout=tmp_path / "missing.yaml")


def test_demo_workbook_cv_cells_read_back_equal_the_library(tmp_path, gy_inputs):
    path = write_cv_sheet(gy_inputs.cv, tmp_path / "差异系数计算表.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["汇总", "小学", "初中", "说明"]
    ind = gy_inputs.indicators
    for stage, name in (("primary", "小学"), ("junior", "初中")):
        rows = [[c.value for c in r] for r in wb[name].iter_rows(min_row=2)]
        got = {r[0].split()[0]: r[5] for r in rows if r[3] == "差异系数 CV = S/X̄"}
        sub = ind[(ind["stage"] == stage) & (ind["students"] > 0)]
        assert list(got) == list(KEYS)
        for k, v in got.items():
            assert abs(v - coefficient_of_variation(sub, value=k, weight="students")) <= 1e-12
        n_rows = sum(1 for r in rows if r[0] == f"L1 {QUALITY_INDICATORS['L1'].name_zh}" and r[1] is not None)
        assert n_rows == len(sub)  # every assessed section has its row
