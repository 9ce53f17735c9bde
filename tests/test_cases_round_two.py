"""Bureau exports as they really arrive, round two: cases C29, C30, C32, C34, C39 (tests/cases/,
copied from the shared case collection; expected values from each case's expected.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from lyganalysis import cleaning, units
from lyganalysis.intake import validate_directory
from lyganalysis.io import read_file
from lyganalysis.metrics.balance import coefficient_of_variation
from lyganalysis.metrics.equity import locale_gap_table

CASES = Path(__file__).parent / "cases"
C29 = CASES / "C29-xlsx-formulas-no-cached-values"
C30 = CASES / "C30-xlsx-hidden-sheet-and-rows"
C32 = CASES / "C32-csv-utf16-tab-multiline"
C34 = CASES / "C34-county-codes-renames-merger"
C39 = CASES / "C39-groupby-nan-keys-and-empty-sums"


def _folder(tmp_path: Path, *files: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir(exist_ok=True)
    for f in files:
        shutil.copy(f, d)
    return d


def _accounted(report):
    for t in report.tables:
        assert t.rows_read == t.rows_kept + t.rows_rejected, (t.file, t.sheet)


# --- C29: formulas without saved results --------------------------------------------------------


def test_c29_uncached_formulas_are_errors_by_cell_and_nothing_is_loaded(tmp_path):
    report = validate_directory(_folder(tmp_path, C29 / "schools_formulas_uncached.xlsx"), rejected_dir=tmp_path / "rej")
    [t] = report.tables
    assert (t.rows_read, t.rows_kept, t.rows_rejected) == (3, 0, 3)
    cells = {p.message.split("：")[0] for p in t.errors}
    assert cells == {"F2", "F3", "F4", "D5", "E5", "F5", "G5"}
    f2 = next(p for p in t.errors if p.message.startswith("F2"))
    assert (f2.file, f2.sheet, f2.row, f2.raw) == ("schools_formulas_uncached.xlsx", "学校基本情况", 2, "=D2+E2")
    assert "F2: formula =D2+E2 has no saved result" in f2.message and "Excel" in f2.action
    # the 合计 row is reported as not checkable, never skipped silently
    assert any(p.row == 5 and "not checkable" in p.message for p in t.warnings)
    assert report.exit_code != 0
    # never evaluated: no 610 anywhere in what was kept
    assert t.frame is None or len(t.frame) == 0
    _accounted(report)


def test_c29_cached_control_is_read_normally(tmp_path):
    report = validate_directory(_folder(tmp_path, C29 / "schools_formulas_cached.xlsx"))
    [t] = report.tables
    assert report.ok and t.errors == []
    assert t.frame["students_primary"].tolist() == [610, 274, 89]
    assert int(t.frame["students_primary"].sum()) == 973  # = 合计 (reconciled: no totals problem)
    assert int(t.frame["teachers_primary"].sum()) == 65
    assert any("7个公式单元格" in n for n in t.notes)


def test_c29_reader_lists_the_cells_not_blanks():
    [t] = read_file(C29 / "schools_formulas_uncached.xlsx").tables
    assert [(c.cell, c.raw) for c in t.cell_problems] == [
        ("F2", "=D2+E2"), ("F3", "=D3+E3"), ("F4", "=D4+E4"),
        ("D5", "=SUM(D2:D4)"), ("E5", "=SUM(E2:E4)"), ("F5", "=SUM(F2:F4)"), ("G5", "=SUM(G2:G4)")]


def test_formula_with_saved_empty_text_result_is_not_an_error(tmp_path):
    """Excel saves a formula whose result is "" as t="str" with an empty <v>: that is a result."""
    from lyganalysis.io.excel import xlsx_formulas_without_results

    src = tmp_path / "a.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["学校标识码", "备注"])
    wb.active.append(["3207220101", '=IF(1=1,"","x")'])
    wb.save(src)
    import zipfile

    out = tmp_path / "b.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<c r="B2"><f>', b'<c r="B2" t="str"><f>')
            zout.writestr(item, data)
    assert xlsx_formulas_without_results(src) == {"Sheet": {(1, 1): '=IF(1=1,"","x")'}}
    assert xlsx_formulas_without_results(out) == {}


# --- C30: hidden sheet and hidden row -----------------------------------------------------------


def test_c30_hidden_sheet_and_row_are_not_read_and_are_reported(tmp_path):
    report = validate_directory(_folder(tmp_path, C30 / "schools_hidden_sheet_rows.xlsx"))
    [t] = report.tables  # 1 table: the hidden backup sheet is not loaded
    assert t.sheet == "学校基本情况"
    assert t.frame["students_primary"].tolist() == [610, 274, 89] and int(t.frame["students_primary"].sum()) == 973
    assert t.frame["teachers_primary"].tolist() == [37, 19, 9] and int(t.frame["teachers_primary"].sum()) == 65
    assert t.errors == []  # no duplicates, totals reconcile
    warn = [p.render() for p in t.warnings]
    assert any("学校基本情况(备份)" in w and "hidden: not read" in w for w in warn)
    assert any("row 4 is hidden (青石镇西营小学): not read" in w for w in warn)
    assert report.exit_code == 0


def test_c30_total_that_counts_the_hidden_row_is_explained(tmp_path):
    wb = openpyxl.load_workbook(C30 / "schools_hidden_sheet_rows.xlsx")
    ws = wb["学校基本情况"]
    total_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "合计" or ws.cell(r, 2).value == "合计"
                     or ws.cell(r, 3).value == "合计")
    col = next(c for c in range(1, ws.max_column + 1) if ws.cell(1, c).value == "小学在校生数")
    ws.cell(total_row, col).value = 1008  # 973 visible + 35 hidden
    d = tmp_path / "in"
    d.mkdir()
    wb.save(d / "t.xlsx")
    report = validate_directory(d)
    [t] = report.tables
    [e] = t.errors
    assert "1008" in e.message and "973" in e.message and "hidden row(s) 4" in e.message


# --- C32: Excel "Unicode text" ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["schools_unicode_text.txt", "schools_unicode_text_renamed.csv"])
def test_c32_utf16_tab_text_is_read_whatever_its_name(tmp_path, name):
    report = validate_directory(_folder(tmp_path, C32 / name))
    [t] = report.tables
    assert (t.rows_read, t.rows_kept, t.rows_rejected) == (3, 3, 0)
    assert t.frame["school_id"].tolist() == ["3207230201", "3207230202", "3207230203"]
    s = t.frame["students_primary"]
    assert s.iloc[:2].tolist() == [436, 158] and pd.isna(s.iloc[2])
    [w] = t.warnings
    assert (w.row, w.column, w.raw) == (5, "小学在校生数", "约23")  # the line a text editor shows
    assert "UTF-16 tab-separated text, 6 columns" in t.format
    assert report.ok and name not in report.ignored


def test_c32_multiline_cell_is_one_value():
    fr = read_file(C32 / "schools_unicode_text.txt")
    [t] = fr.tables
    assert fr.format.kind == "text" and fr.format.encoding == "utf-16" and fr.format.delimiter == "\t"
    assert t.frame["备注"].iloc[1] == "2023年9月起\n低年级并入中心小学"
    assert t.source_rows == (2, 3, 5)


# --- C34: county codes across the 2014 changes ------------------------------------------------


def test_c34_historic_pairs_valid_for_their_years(tmp_path):
    report = validate_directory(_folder(tmp_path, C34 / "county_facts_2013_2023.csv"))
    [t] = report.tables
    assert (t.rows_read, t.rows_kept, t.rows_rejected) == (7, 7, 0) and t.errors == []
    f = t.frame.set_index(["school_year", "county"])
    # the boundary change: 2013 rows stay as reported, never summed into a 2013 海州区 of 69/42
    assert f.loc[(2013, "新浦区"), "disabled_children_school_age"] == 41
    assert f.loc[(2013, "新浦区"), "county_code"] == "320705"
    assert f.loc[(2013, "海州区"), "disabled_children_school_age"] == 28
    assert f.loc[(2013, "海州区"), "disabled_placed_regular_class"] == 17
    # the pure rename: one unit, comparable
    assert f.loc[(2013, "赣榆区"), "disabled_children_school_age"] == 52
    assert f.loc[(2023, "赣榆区"), "disabled_children_school_age"] == 60
    assert (f.loc[(2013, "赣榆区"), "disabled_placed_regular_class"], f.loc[(2023, "赣榆区"), "disabled_placed_regular_class"]) == (30, 39)
    assert units.comparability("赣榆区", 2013, 2023).comparable
    hz = units.comparability("海州区", 2013, 2023)
    assert not hz.comparable and hz.label == "不可比：2014年区划调整 / not comparable: boundary change 2014"
    assert units.comparability("海州区", 2015, 2023).comparable


def test_c34_nbs_code_of_another_zone_is_refused_with_its_name(tmp_path):
    report = validate_directory(_folder(tmp_path, C34 / "schools_county_as_code.csv"))
    [t] = report.tables
    [e] = t.errors
    assert e.row == 2 and "320772 = 连云港高新技术产业开发区: not a reporting unit; map it in the configuration" in e.message
    assert "徐圩新区" not in set(t.frame["county"])
    assert t.frame["county"].tolist() == ["赣榆区", "赣榆区"] and t.frame["county_code"].tolist() == ["320707", "320707"]
    assert any("贛榆區" in n and "traditional" in n for n in t.notes)  # mapped, and said so
    assert any("赣榆县" in n and "renamed" in n for n in t.notes)


def test_c34_local_codes_lie_outside_the_official_ranges():
    table = units.units_frame()
    local = table[table["code_kind"] == "local"]
    assert set(local["unit"]) == {"徐圩新区", "云台山景区"}
    assert not local["code"].str.fullmatch(r"\d{6}").any()
    assert cleaning.COUNTIES["徐圩新区"] == "LYGX72" and cleaning.COUNTIES["开发区"] == "320771"
    # no code belongs to two units at the same time (checked by load_units), and 320772 is no reporting unit
    assert "320772" not in set(cleaning.COUNTIES.values())


# --- C39: missing is never zero ---------------------------------------------------------------


def _c39_frame():
    df = pd.read_csv(C39 / "schools_locale_sports.csv", dtype={"城乡分类代码": str})
    df["locale"] = [None if pd.isna(c) else cleaning.locale_from_code(c) for c in df["城乡分类代码"]]
    return df.rename(columns={"小学在校生数": "students", "语文平均分": "language", "体育运动场馆面积(平方米)": "sports"})


def test_c39_blank_locale_is_an_error_naming_the_row(tmp_path):
    report = validate_directory(_folder(tmp_path, C39 / "schools_locale_sports.csv"))
    [t] = report.tables
    [e] = t.errors
    assert (e.row, e.column) == (5, "城乡分类代码")
    assert t.rows_rejected == 1 and report.exit_code != 0


def test_c39_locale_gap_states_the_unclassified_school():
    df = _c39_frame()
    ql = df[df["学区"] == "青龙片区"]
    out = locale_gap_table(ql, value="language", weight="students")
    [row] = out.to_dict(orient="records")
    # expected.md reference values, weighted by pupils, unclassified school excluded and stated
    assert (row["group"], row["reference"]) == ("rural", "urban")
    assert row["count"] == 120 and row["count_reference"] == 1400
    assert row["difference"] == pytest.approx(-10.714286, abs=1e-6)
    assert (row["n_units_unclassified"], row["count_unclassified"]) == (1, 90)
    # totals reconcile: urban + rural + unclassified = all pupils of 青龙片区
    assert row["count"] + row["count_reference"] + row["count_unclassified"] == 1610


def test_c39_unreported_sports_area_is_not_computed_never_zero():
    df = _c39_frame()
    bm = df[df["学区"] == "白马片区"].assign(L5=lambda d: d["sports"] / d["students"])
    with pytest.raises(ValueError, match="missing"):
        coefficient_of_variation(bm, value="L5", weight="students")
    ql = df[df["学区"] == "青龙片区"]
    assert ql["sports"].sum(min_count=1) / ql["students"].sum() == pytest.approx(9.752, abs=5e-4)
    assert np.isnan(bm["sports"].sum(min_count=1))


def test_missing_enrolment_makes_coverage_not_measurable_never_zero():
    """A kindergarten without its enrolment count: the coverage is not computed (hand-worked)."""
    from lyganalysis.metrics.coverage import public_kindergarten_share

    k = pd.DataFrame({"school_type": ["kindergarten"] * 3, "ownership": ["public", "private", "public"],
                      "students_preschool": [100.0, 50.0, np.nan]})
    c = public_kindergarten_share(k)
    assert c.verdict == "not_measurable" and np.isnan(c.rate) and c.denominator is None
    full = public_kindergarten_share(k.iloc[:2])
    assert full.rate == pytest.approx(100 / 150)


def test_c34_zone_school_can_be_mapped_in_the_users_configuration(tmp_path):
    report = validate_directory(_folder(tmp_path, C34 / "schools_county_as_code.csv"),
                                header_map={"values": {"county": {"320772": "海州区"}}})
    [t] = report.tables
    assert t.errors == [] and t.frame["county"].tolist() == ["海州区", "赣榆区", "赣榆区"]
    assert "county mapped by the user's mapping file" in set(t.changes["rule"])


def test_backbone_by_locale_keeps_the_unclassified_school():
    """A school without 城乡分类 is its own row of the by-locale table; shares add up (hand-worked)."""
    from lyganalysis.metrics.staffing import backbone_concentration

    schools = pd.DataFrame({"school_year": [2023] * 3, "school_id": ["3207220101", "3207220102", "3207220103"],
                            "school_name": ["甲", "乙", "丙"], "locale": ["urban", "rural", None],
                            "students_primary": [800, 200, 90]})
    teachers = pd.DataFrame({"school_year": [2023] * 4, "school_id": ["3207220101", "3207220101", "3207220102", "3207220103"],
                             "stage": ["primary"] * 4, "backbone_level": ["county", "none", "city", "none"]})
    bl = backbone_concentration(teachers, schools, school_year=2023, stages=("primary",)).by_locale
    prim = bl[bl["stage"] == "primary"]
    assert len(prim) == 3 and prim["locale"].isna().sum() == 1
    assert prim["students"].sum() == 1090 and prim["student_share"].sum() == pytest.approx(1.0)
    assert float(prim.loc[prim["locale"].isna(), "students"].iloc[0]) == 90


def test_achievement_gaps_count_pupils_without_a_group():
    """Pupils whose gender is not recorded are in no group and are counted (hand-worked)."""
    from lyganalysis.metrics.equity import achievement_gaps

    rng = np.random.default_rng(7)
    n = 40
    sc = pd.DataFrame({"grade": 6, "subject": "math", "score": rng.normal(70, 10, n).round(1),
                       "gender": ["female"] * 18 + ["male"] * 18 + [None] * 4})
    out = achievement_gaps(sc, groups={"gender": "male"}, v_statistic=False)
    [row] = out.to_dict(orient="records")
    assert (row["n"], row["n_reference"], row["n_missing_group"]) == (18, 18, 4)
    assert row["n"] + row["n_reference"] + row["n_missing_group"] == n
