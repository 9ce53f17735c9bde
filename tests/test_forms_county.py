"""The county-facts form: written, filled with openpyxl, read back with errors by cell."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from lyganalysis.cli import main
from lyganalysis.forms.county_facts import (
    DATA_SHEET,
    FORM_FIELDS,
    INSTRUCTIONS_SHEET,
    read_county_form,
    write_county_form,
)

UNITS = (("赣榆区", "320707"), ("连云区", "320703"))
HEAD = {f.key: f.header for f in FORM_FIELDS}


def _col(ws, header):
    for c in ws[1]:
        if c.value == header:
            return c.column
    raise KeyError(header)


@pytest.fixture
def blank(tmp_path):
    return write_county_form(tmp_path / "form.xlsx", units=UNITS, school_years=(2022,))


def _fill(path, cells):
    """cells: {(excel_row, field key or header): value}."""
    wb = openpyxl.load_workbook(path)
    ws = wb[DATA_SHEET]
    for (r, key), v in cells.items():
        ws.cell(row=r, column=_col(ws, HEAD.get(key, key)), value=v)
    wb.save(path)
    return path


def test_layout_headers_validation_and_instructions(blank):
    wb = openpyxl.load_workbook(blank)
    assert wb.sheetnames == [DATA_SHEET, INSTRUCTIONS_SHEET]
    ws = wb[DATA_SHEET]
    headers = [c.value for c in ws[1]]
    assert headers[:2] == ["县区", "县区代码"] and headers[2].startswith("学年")
    assert headers[3:] == [f.header for f in FORM_FIELDS]
    assert all("（" in h for h in headers[3:])  # every figure header carries its unit or allowed values
    assert [ws.cell(row=r, column=1).value for r in (2, 3)] == ["赣榆区", "连云区"]
    dvs = ws.data_validations.dataValidation
    kinds = {(dv.type, dv.formula1, dv.formula2) for dv in dvs}
    assert ("decimal", "0", "100") in kinds and ("list", '"是,否"', None) in kinds and ("whole", "0", None) in kinds
    col = openpyxl.utils.get_column_letter(_col(ws, HEAD["certified_rate"]))
    share_dv = next(dv for dv in dvs if dv.formula2 == "100")
    assert any(str(rng).startswith(f"{col}2") for rng in share_dv.sqref.ranges) or f"{col}2" in str(share_dv.sqref)
    wi = wb[INSTRUCTIONS_SHEET]
    text = " ".join(str(c.value) for row in wi.iter_rows() for c in row if c.value)
    assert all(f.header in text for f in FORM_FIELDS)


def test_blank_form_reads_as_all_na(blank):
    frame, problems = read_county_form(blank)
    assert problems == () and len(frame) == 2
    assert frame[[f.key for f in FORM_FIELDS]].isna().all().all()
    assert frame["county_code"].tolist() == ["320707", "320703"]


def test_round_trip_filled_values(blank):
    _fill(blank, {(2, "certified_rate"): 99.5, (2, "zoned_admission_junior_rate"): "96%",
                  (2, "staff_primary"): 4321, (2, "veto_school_choice"): "否", (2, "veto_exam_admission"): "是",
                  (2, "monitoring_level_math"): "Ⅲ", (2, "monitoring_level_science"): 4,
                  (2, "monitoring_difference_rate_math"): 0.12, (2, "teacher_average_pay_yuan"): "118,000",
                  (3, "special_school_funding_per_pupil_yuan"): 6500})
    reading = read_county_form(blank)
    assert reading.rows_read == 2 and reading.rows_kept == 2 and reading.rows_rejected == 0
    f = reading.frame.set_index("county")
    assert f.loc["赣榆区", "certified_rate"] == pytest.approx(0.995)
    assert f.loc["赣榆区", "zoned_admission_junior_rate"] == pytest.approx(0.96)
    assert f.loc["赣榆区", "staff_primary"] == 4321 and str(f["staff_primary"].dtype) == "Int64"
    assert f.loc["赣榆区", "veto_school_choice"] is False or not f.loc["赣榆区", "veto_school_choice"]
    assert bool(f.loc["赣榆区", "veto_exam_admission"]) and str(f["veto_exam_admission"].dtype) == "boolean"
    assert f.loc["赣榆区", "monitoring_level_math"] == 3 and f.loc["赣榆区", "monitoring_level_science"] == 4
    assert f.loc["赣榆区", "teacher_average_pay_yuan"] == 118000.0
    assert f.loc["连云区", "special_school_funding_per_pupil_yuan"] == 6500.0
    assert pd.isna(f.loc["连云区", "certified_rate"])


def test_percent_formatted_cell_holds_a_proportion(blank):
    wb = openpyxl.load_workbook(blank)
    ws = wb[DATA_SHEET]
    c = ws.cell(row=2, column=_col(ws, HEAD["certified_rate"]), value=0.98)
    c.number_format = "0%"
    wb.save(blank)
    frame, problems = read_county_form(blank)
    assert problems == () and frame.loc[0, "certified_rate"] == pytest.approx(0.98)


def test_write_values_round_trip(tmp_path):
    vals = pd.DataFrame([{"county": "赣榆区", "school_year": 2022, "certified_rate": 0.97, "small_schools": 4,
                          "veto_key_schools_classes": True, "monitoring_level_arts": 2}])
    p = write_county_form(tmp_path / "v.xlsx", units=UNITS, values=vals)
    frame, problems = read_county_form(p)
    r = frame.set_index("county").loc["赣榆区"]
    assert problems == ()
    assert r["certified_rate"] == pytest.approx(0.97) and r["small_schools"] == 4
    assert bool(r["veto_key_schools_classes"]) and r["monitoring_level_arts"] == 2


def test_bad_entries_give_errors_by_cell(blank):
    _fill(blank, {(2, "staff_junior"): "约两千", (3, "certified_rate"): 120})
    wb = openpyxl.load_workbook(blank)
    ws = wb[DATA_SHEET]
    ws.append([None, None, 2022, 5])  # row 4: missing county
    ws.append(["花果山区", None, 2022])  # row 5: unknown county
    ws.append(["连云区", "320707", 2021])  # row 6: code of another county
    wb.save(blank)
    reading = read_county_form(blank)
    assert reading.rows_read == 5 and reading.rows_kept == 0 and reading.rows_rejected == 5
    by = {(p.row, p.column): p for p in reading.errors}
    p = by[(2, HEAD["staff_junior"])]
    assert p.file == "form.xlsx" and p.sheet == DATA_SHEET and "text in a number cell" in p.message
    assert p.value == "约两千" and p.action
    assert "above 100" in by[(3, HEAD["certified_rate"])].message
    assert "county missing" in by[(4, "县区")].message
    assert "unknown county" in by[(5, "县区")].message and "赣榆区" in by[(5, "县区")].action
    assert "does not match" in by[(6, "县区代码")].message
    assert "第2行" in p.render()
    assert len(reading.frame) == 0


def test_duplicates_consistency_and_other_kinds(blank):
    _fill(blank, {(2, "quota_places_total"): 100, (2, "quota_places_allocated"): 120,
                  (3, "veto_safety_incident"): "也许", (3, "monitoring_level_math"): "Ⅴ",
                  (3, "monitoring_difference_rate_math"): 12, (3, "small_schools"): 2.5})
    wb = openpyxl.load_workbook(blank)
    ws = wb[DATA_SHEET]
    ws.append(["赣榆区", "320707", 2023])
    ws.append(["赣榆区", "320707", 2023])  # duplicate of row 4
    wb.save(blank)
    r = read_county_form(blank)
    msgs = {(p.row, p.column): p.message for p in r.errors}
    assert "allocated > total" in msgs[(2, HEAD["quota_places_allocated"])]
    assert "not yes or no" in msgs[(3, HEAD["veto_safety_incident"])]
    assert "level" in msgs[(3, HEAD["monitoring_level_math"])]
    assert "rate above 1" in msgs[(3, HEAD["monitoring_difference_rate_math"])]
    assert "whole number" in msgs[(3, HEAD["small_schools"])]
    assert "duplicate" in msgs[(5, "县区")]
    assert r.rows_read == 4 and r.rows_kept == 1 and r.frame["school_year"].tolist() == [2023]


def test_unknown_header_is_a_warning_and_missing_key_column_an_error(blank):
    wb = openpyxl.load_workbook(blank)
    ws = wb[DATA_SHEET]
    ws.cell(row=1, column=ws.max_column + 1, value="备注")
    wb.save(blank)
    r = read_county_form(blank)
    assert r.errors == () and any(p.severity == "warning" and p.column == "备注" for p in r.problems)
    ws.cell(row=1, column=1, value="地区")
    wb.save(blank)
    with pytest.raises(ValueError, match="县区"):
        read_county_form(blank)
    with pytest.raises(FileNotFoundError):
        read_county_form(blank.parent / "none.xlsx")


def test_cli_writes_the_form(tmp_path, capsys):
    out = tmp_path / "f.xlsx"
    assert main(["form", "county-facts", "--out", str(out)]) == 0
    frame, problems = read_county_form(out)
    assert len(frame) == 10 and problems == ()
    assert "county form" in capsys.readouterr().out
    # --filled alone fills the only filled form shipped, the simulated demo's (as its help says)
    assert main(["form", "county-facts", "--out", str(out), "--filled"]) == 0
    filled, problems = read_county_form(out)
    assert problems == () and filled.drop(columns=["county", "county_code", "school_year"]).notna().any().any()


def test_cli_demo_form_round_trips(tmp_path):
    from lyganalysis.datasets import load_dataset

    out = tmp_path / "demo.xlsx"
    assert main(["form", "county-facts", "--out", str(out), "--dataset", "lianyungang_demo", "--filled"]) == 0
    frame, problems = read_county_form(out)
    demo = load_dataset("lianyungang_demo").county_form
    assert problems == ()
    pd.testing.assert_frame_equal(frame, demo, check_exact=False, rtol=1e-12)
