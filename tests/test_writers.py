"""The one writer for CSV and .xlsx: Excel-safe text, numbers kept as numbers (invented data)."""

from __future__ import annotations

import csv

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lyganalysis.writers import FORMULA_TRIGGERS, NOTES_SHEET, safe_text_cell, write_csv, write_xlsx

DANGEROUS = ["=1+1", "+86 518", "-2+3", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_safe_text_cell_prefixes_formula_triggers(text):
    assert safe_text_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["东海县实验小学", "3207220101", "", " =x", -3, 2.5, None, True])
def test_safe_text_cell_leaves_other_values(value):
    assert safe_text_cell(value) == value or (value is None and safe_text_cell(value) is None)


@settings(max_examples=50)
@given(st.text(max_size=20))
def test_safe_text_cell_property(text):
    out = safe_text_cell(text)
    if text[:1] in FORMULA_TRIGGERS and text:
        assert out == "'" + text
    else:
        assert out == text
    assert out[:1] not in ("=", "+", "-", "@", "\t", "\r") or out == ""


def _frame():
    return pd.DataFrame({
        "学校名称": ["=HYPERLINK(\"x\")", "@东海", "-5", "青石镇小学"],
        "在校生数": [610, -2, 89, 274],
        "面积": [1.5, None, 3.25, 0.0],
        "人数": pd.array([1, None, 3, 4], dtype="Int64"),
    })


def test_write_csv_bom_prefix_numbers(tmp_path):
    p = write_csv(_frame(), tmp_path / "sub" / "t.csv")
    raw = p.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["学校名称", "在校生数", "面积", "人数"]
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"x\")", "'@东海", "'-5", "青石镇小学"]
    # numbers stay numbers: a negative number is not prefixed
    assert [r[1] for r in rows[1:]] == ["610", "-2", "89", "274"]
    assert [r[2] for r in rows[1:]] == ["1.5", "", "3.25", "0.0"]
    assert [r[3] for r in rows[1:]] == ["1", "", "3", "4"]


def test_write_csv_does_not_modify_input(tmp_path):
    f = _frame()
    before = f.copy()
    write_csv(f, tmp_path / "t.csv")
    pd.testing.assert_frame_equal(f, before)


def test_write_csv_rejects_non_frame(tmp_path):
    with pytest.raises(TypeError, match="DataFrame"):
        write_csv([1, 2], tmp_path / "t.csv")


def test_write_xlsx_text_never_formula(tmp_path):
    p = write_xlsx({"学校": _frame()}, tmp_path / "t.xlsx", notes={"学校": "在校生数为人数"})
    wb = openpyxl.load_workbook(p)  # data_only=False: a formula would come back as data_type 'f'
    assert wb.sheetnames == ["学校", NOTES_SHEET]
    ws = wb["学校"]
    assert ws.freeze_panes == "A2"
    col_a = [(c.value, c.data_type) for c in ws["A"]]
    assert col_a == [("学校名称", "s"), ("=HYPERLINK(\"x\")", "s"), ("@东海", "s"), ("-5", "s"), ("青石镇小学", "s")]
    assert [c.value for c in ws["B"]][1:] == [610, -2, 89, 274]
    assert all(c.data_type == "n" for c in ws["B"][1:])
    assert [c.value for c in ws["C"]][1:] == [1.5, None, 3.25, 0]
    assert [c.value for c in ws["D"]][1:] == [1, None, 3, 4]
    notes = wb[NOTES_SHEET]
    assert [[c.value for c in row] for row in notes.iter_rows()] == [["项目", "说明"], ["学校", "在校生数为人数"]]


def test_write_xlsx_only_notes_and_errors(tmp_path):
    p = write_xlsx({}, tmp_path / "n.xlsx", notes={"说明": "数据不支持该评估"})
    assert openpyxl.load_workbook(p).sheetnames == [NOTES_SHEET]
    with pytest.raises(ValueError, match="nothing to write"):
        write_xlsx({}, tmp_path / "e.xlsx")
    with pytest.raises(ValueError, match="invalid sheet name"):
        write_xlsx({"a/b": _frame()}, tmp_path / "e.xlsx")
    with pytest.raises(ValueError, match="invalid sheet name"):
        write_xlsx({"x" * 32: _frame()}, tmp_path / "e.xlsx")
    with pytest.raises(ValueError, match="reserved"):
        write_xlsx({NOTES_SHEET: _frame()}, tmp_path / "e.xlsx", notes={"a": "b"})
    with pytest.raises(TypeError):
        write_xlsx({"a": [1]}, tmp_path / "e.xlsx")


def test_xlsx_number_formats_and_widths_change_display_only(tmp_path):
    frame = pd.DataFrame({"学校": ["=1+1", "乙"], "差异系数": [0.123456789, 0.5], "达标": [True, False]})
    path = write_xlsx({"表": frame}, tmp_path / "f.xlsx", number_formats={"表": {"差异系数": "0.0000", "学校": "0.00"}},
                      column_widths={"表": {"学校": 30}})
    ws = openpyxl.load_workbook(path)["表"]
    assert ws["B2"].value == 0.123456789 and ws["B2"].number_format == "0.0000"  # full precision kept
    assert ws["A2"].data_type == "s" and ws["A2"].number_format == "General"  # text untouched
    assert ws["C2"].number_format == "General"
    assert ws.column_dimensions["A"].width == 30
    with pytest.raises(ValueError, match="column"):
        write_xlsx({"表": frame}, tmp_path / "g.xlsx", number_formats={"表": {"无此列": "0.00"}})
    with pytest.raises(ValueError, match="sheet"):
        write_xlsx({"表": frame}, tmp_path / "g.xlsx", column_widths={"别的表": {"学校": 10}})
