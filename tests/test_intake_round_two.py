"""Round two of real-world exports, each behaviour with an invented input made for it: formats
decided by content, invisible characters, implausible dates, private rejected-rows files, the
units table, the console fallback. (Cases with files of their own: test_cases_round_two.py.)"""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest

from lyganalysis import units
from lyganalysis.cli import main, setup_console
from lyganalysis.intake import REJECTED_FILE_NOTICE, validate_directory
from lyganalysis.io import read_file, sniff_format, visible

SCHOOLS_HEADER = ["学年", "学校标识码", "学校名称", "县区", "小学在校生数"]
ROWS = [["2023", "3207220101", "东海实验小学", "东海县", "812"], ["2023", "3207220102", "河口小学", "东海县", "95"]]


def _html_table(rows, *, hidden_row: int | None = None) -> str:
    out = ['<html><head><meta charset="gbk"></head><body><table border="1">']
    out.append("<tr>" + "".join(f"<th>{h}</th>" for h in SCHOOLS_HEADER) + "</tr>")
    for i, r in enumerate(rows):
        style = ' style="display:none"' if hidden_row == i else ""
        out.append(f"<tr{style}>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>")
    out.append("</table></body></html>")
    return "\n".join(out)


# --- formats decided by content -----------------------------------------------------------------


def test_html_table_named_xls_is_read_and_said_so(tmp_path):
    (tmp_path / "学籍导出.xls").write_bytes(_html_table(ROWS + [["2023", "3207220103", "隐藏小学", "东海县", "7"]],
                                                         hidden_row=2).encode("gbk"))
    report = validate_directory(tmp_path)
    [t] = report.tables
    assert (t.rows_read, t.rows_kept, t.rows_rejected) == (2, 2, 0)
    assert t.frame["students_primary"].tolist() == [812, 95]
    assert "HTML" in t.format and "named .xls, read by its content" in t.format
    assert any("row 4 is hidden (隐藏小学)" in p.message for p in t.warnings)
    assert report.exit_code == 0


def test_gbk_tab_text_named_xls_is_read(tmp_path):
    text = "\r\n".join("\t".join(r) for r in [SCHOOLS_HEADER, *ROWS]) + "\r\n"
    (tmp_path / "人事导出.xls").write_bytes(text.encode("gbk"))
    fmt = sniff_format(tmp_path / "人事导出.xls")
    assert (fmt.kind, fmt.encoding, fmt.delimiter, fmt.columns) == ("text", "gb18030", "\t", 5)
    report = validate_directory(tmp_path)
    [t] = report.tables
    assert t.rows_kept == 2 and t.frame["school_name"].tolist() == ["东海实验小学", "河口小学"]


def test_spreadsheetml_hidden_sheet_row_and_uncached_formula(tmp_path):
    ss = 'xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet" ' \
         'xmlns:x="urn:schemas-microsoft-com:office:excel"'

    def row(cells, hidden=False):
        h = ' ss:Hidden="1"' if hidden else ""
        return f"<Row{h}>" + "".join(f'<Cell><Data ss:Type="String">{c}</Data></Cell>' for c in cells) + "</Row>"

    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Workbook {ss}>'
            f'<Worksheet ss:Name="备份"><Table>{row(SCHOOLS_HEADER)}{row(ROWS[0])}</Table>'
            '<WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel"><Visible>SheetHidden</Visible></WorksheetOptions></Worksheet>'
            f'<Worksheet ss:Name="学校"><Table>{row(SCHOOLS_HEADER)}{row(ROWS[0])}{row(ROWS[1], hidden=True)}'
            '<Row><Cell><Data ss:Type="String">2023</Data></Cell><Cell><Data ss:Type="String">3207220104</Data></Cell>'
            '<Cell><Data ss:Type="String">北湖小学</Data></Cell><Cell><Data ss:Type="String">东海县</Data></Cell>'
            '<Cell ss:Formula="=R[-1]C+1"/></Row></Table></Worksheet></Workbook>')
    (tmp_path / "统计平台.xls").write_text(body, encoding="utf-8")
    fr = read_file(tmp_path / "统计平台.xls")
    assert fr.format.kind == "spreadsheetml"
    assert [s.name for s in fr.skipped_sheets] == ["备份"]
    [t] = fr.tables
    assert [h.source_row for h in t.hidden_rows] == [3]
    assert [(c.cell, c.raw) for c in t.cell_problems] == [("E4", "=R[-1]C+1")]
    report = validate_directory(tmp_path)
    [tr] = report.tables
    assert tr.rows_kept == 0 and tr.rows_rejected == 2 and report.exit_code != 0


def test_files_that_are_not_tables_are_listed_as_not_read(tmp_path):
    docx = tmp_path / "说明.docx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    (tmp_path / "通知.pdf").write_bytes(b"%PDF-1.4\n%...")
    (tmp_path / "README.md").write_text("# 数据说明\n\n这些文件来自教育局。请勿外传。\n", encoding="utf-8")
    (tmp_path / "报表.xlsx").write_bytes(b"%PDF-1.7 a pdf under a workbook name")
    (tmp_path / "good.csv").write_text("\n".join(",".join(r) for r in [SCHOOLS_HEADER, *ROWS]), encoding="utf-8")
    report = validate_directory(tmp_path)
    assert set(report.not_read) == {"说明.docx", "通知.pdf", "README.md", "报表.xlsx"}
    assert "Word" in report.not_read["说明.docx"] and "PDF" in report.not_read["通知.pdf"]
    assert "not a table" in report.not_read["README.md"]
    # a file named like a workbook that is not one is a warning, not silence
    pdf_as_xlsx = report.table("报表.xlsx")
    assert pdf_as_xlsx.warnings and pdf_as_xlsx.rows_read == 0
    assert report.table("good.csv").rows_kept == 2
    text = report.render()
    assert "未读取 not read: 说明.docx" in text and report.exit_code == 0


def test_corrupt_workbook_is_an_error_not_a_silent_skip(tmp_path):
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 truncated")
    report = validate_directory(tmp_path)
    [t] = report.tables
    assert t.errors and report.exit_code != 0


def test_empty_folder_error_count_matches_its_error_line(tmp_path):
    (tmp_path / "readme.txt").write_text("nothing here", encoding="utf-8")
    text = validate_directory(tmp_path).render()
    assert "[错误 ERROR]" in text and "1 个错误 error(s)" in text and "exit code 1" in text


# --- invisible formatting characters ------------------------------------------------------------


def test_format_characters_are_removed_from_codes_and_logged(tmp_path):
    rows = [["2023", "\u20663207220101\u2069", "东海\u200b实验小学", "东海县\u200e", "812"], ROWS[1]]
    (tmp_path / "s.csv").write_text("\n".join(",".join(r) for r in [SCHOOLS_HEADER, *rows]), encoding="utf-8")
    report = validate_directory(tmp_path)
    [t] = report.tables
    assert t.errors == []
    assert t.frame["school_id"].tolist() == ["3207220101", "3207220102"]
    assert t.frame["school_name"].iloc[0] == "东海实验小学" and t.frame["county"].iloc[0] == "东海县"
    rules = t.changes["rule"].tolist()
    assert any("U+2066" in r and "U+2069" in r for r in rules) and any("U+200B" in r for r in rules)
    assert any("invisible characters" in n for n in t.notes)


def test_format_characters_in_labels_and_keys(tmp_path):
    (tmp_path / "t.csv").write_text(
        "学年,学校标识码,身份证号,学段,学历,职称,学科,骨干级别,是否交流轮岗\n"
        f"2023,3207220101,\u200e{_id('11010119900307123')},小学\u200f,本科,一级,语文\u2066,无,否\n"
        f"2023,3207220101,{_id('11010119900307123')},小学,本科,一级,语文,无,否\n",
        encoding="utf-8")
    report = validate_directory(tmp_path, salt="s")
    [t] = report.tables
    # the same person twice: the invisible mark does not make a second key; labels are recognised
    assert any("duplicate" in p.message for p in t.errors) and t.rows_kept == 1
    assert t.frame["stage"].tolist() == ["primary"] and t.frame["subject"].tolist() == ["chinese"]
    changes = t.changes
    assert (changes["rule"].str.contains("U\\+200F")).any() and (changes["rule"].str.contains("U\\+2066")).any()
    assert "11010119900307" not in changes.to_csv()  # the ID column is logged masked


def test_messages_show_invisible_characters(tmp_path):
    rows = [["2023", "32072201\u200b0", "东海实验小学", "东海县", "812"]]
    (tmp_path / "s.csv").write_text("\n".join(",".join(r) for r in [SCHOOLS_HEADER, *rows]), encoding="utf-8")
    report = validate_directory(tmp_path)
    text = report.render()
    assert "32072201⟨U+200B⟩0" in text and "\u200b" not in text
    assert visible("a\u2066b") == "a⟨U+2066⟩b" and visible("学校\n") == "学校\n"


# --- implausible dates ----------------------------------------------------------------------------


def _id(first17: str) -> str:
    from lyganalysis.ids import check_digit

    return first17 + check_digit(first17)


def test_implausible_entry_and_birth_dates_are_warnings_with_the_range(tmp_path):
    (tmp_path / "t.csv").write_text(
        "学年,学校标识码,身份证号,学段,学历,职称,学科,骨干级别,是否交流轮岗,来校时间\n"
        f"2023,3207220101,{_id('11010119500101123')},小学,本科,一级,语文,无,否,1930-09-01\n"  # age 73, entry 1930
        f"2023,3207220101,{_id('11010119900307123')},小学,本科,一级,数学,无,否,2015-09-01\n",
        encoding="utf-8")
    report = validate_directory(tmp_path, salt="s")
    [t] = report.tables
    warns = {(p.row, p.column): p for p in t.warnings}
    assert "1950" in warns[(2, "来校时间")].message and "plausible range" in warns[(2, "来校时间")].message
    age = warns[(2, "身份证号")]
    assert "73" in age.message and "18–70" in age.message
    assert "1950010112" not in age.render()  # the ID number shown only masked
    assert (3, "来校时间") not in warns and t.rows_kept == 2


# --- privacy of the rejected-rows files ---------------------------------------------------------


def test_rejected_rows_file_holds_no_ids_or_names_and_says_so(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "t.csv").write_text(
        "学年,学校标识码,姓名,身份证号,学段,学历,职称,学科,骨干级别,是否交流轮岗,备注\n"
        "2023,3207220101,王小明,110101199003071234,小学,本科,一级,语文,无,否,曾用证件号110101198511200025\n"
        "2023,3207220101,李四,110101199003071233,小学,本科,一级,语文,无,否,\n",
        encoding="utf-8")
    report = validate_directory(d, salt="s", rejected_dir=tmp_path / "rej")
    [t] = report.tables
    assert t.rows_rejected == 1  # wrong check digit
    [f] = (tmp_path / "rej").iterdir()
    text = f.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == REJECTED_FILE_NOTICE
    for secret in ("王小明", "110101199003071234", "110101198511200025"):
        assert secret not in text
    frame = pd.read_csv(f, encoding="utf-8-sig", dtype=str, skiprows=1)
    assert frame["姓名"].tolist() == ["王**"] and frame["身份证号"].tolist() == ["11**************34"]
    assert frame["行号 row"].tolist() == ["2"]
    assert "110101199003071234" not in report.render()


def test_raw_lines_of_a_broken_file_with_names_are_left_out(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "t.csv").write_text("学校标识码,姓名,身份证号\n3207220101,王小明,110101199003071233,多余\n", encoding="utf-8")
    report = validate_directory(d, rejected_dir=tmp_path / "rej")
    [f] = (tmp_path / "rej").iterdir()
    text = f.read_text(encoding="utf-8-sig")
    assert "王小明" not in text and "110101199003071233" not in text and report.exit_code != 0


# --- units table ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value, year, county, code", [
    ("新浦区", 2013, "新浦区", "320705"),
    ("320705", 2013, "新浦区", "320705"),
    ("新浦区", 2020, "海州区", "320706"),  # a school in the abolished unit: its successor
    ("赣榆县", 2013, "赣榆区", "320707"),  # a rename keeps one identity
    ("320721", 2022, "赣榆区", "320707"),
    ("贛榆區", 2022, "赣榆区", "320707"),
    ("徐圩", None, "徐圩新区", "LYGX72"),
    ("LYGX73", None, "云台山景区", "LYGX73"),
    ("320771", None, "开发区", "320771"),
    ("320700", None, "市直", "320700"),
])
def test_resolve_unit(value, year, county, code):
    r = units.resolve_unit(value, school_year=year)
    assert (r.county, r.county_code) == (county, code)


def test_unit_errors_name_the_value_or_the_official_unit():
    with pytest.raises(units.UnitError, match="连云港高新技术产业开发区"):
        units.resolve_unit("320772")
    with pytest.raises(units.UnitError, match="鼓楼区"):
        units.resolve_unit("鼓楼区")
    # a county-level figure cannot be given to the successor of a unit with a boundary change
    with pytest.raises(units.UnitError, match="2014-07-06"):
        units.resolve_unit("新浦区", school_year=2020, level="county")


def test_school_year_takes_the_unit_in_force_on_1_september():
    assert units.resolve_unit("海州区", school_year=2013).period.valid_to.isoformat() == "2014-07-06"
    assert units.resolve_unit("海州区", school_year=2014).period.valid_from.isoformat() == "2014-07-07"
    assert "新浦区" in units.reporting_units(2013) and "新浦区" not in units.reporting_units(2014)


# --- console --------------------------------------------------------------------------------------


def test_console_never_dies_on_a_legacy_code_page():
    class Tty(io.TextIOWrapper):
        def isatty(self):
            return True

    raw = io.BytesIO()
    legacy = Tty(raw, encoding="cp437")  # a Windows console with a legacy code page
    setup_console(legacy)
    legacy.write("海州区\u2066 ok")
    legacy.flush()
    assert raw.getvalue() == b"<U+6D77><U+5DDE><U+533A><U+2066> ok"
    piped = io.BytesIO()
    pipe = io.TextIOWrapper(piped, encoding="cp1252")  # redirected output: UTF-8
    setup_console(pipe)
    pipe.write("海州区")
    pipe.flush()
    assert piped.getvalue() == "海州区".encode()


def test_validate_exits_non_zero_when_rows_are_rejected(tmp_path, capsys):
    d = tmp_path / "in"
    d.mkdir()
    (d / "s.csv").write_text("\n".join(",".join(r) for r in [SCHOOLS_HEADER, ROWS[0], ["2023", "12", "x", "东海县", "1"]]),
                             encoding="utf-8")
    assert main(["validate", str(d), "--rejected", str(tmp_path / "rej")]) == 1
    out = capsys.readouterr().out
    assert "读取 read 2 · 保留 kept 1 · 拒绝 rejected 1" in out


def test_accept_rejected_needs_raw(capsys):
    assert main(["report", "--accept-rejected"]) == 2
    assert "--raw" in capsys.readouterr().err


_ALL_NAMES = sorted({n for p in units.load_units() for n in (p.unit, p.name, p.code, *p.aliases)})


def _settings():
    from hypothesis import settings

    return settings(max_examples=50, deadline=None)


def test_property_every_name_resolves_to_a_unit_in_force_or_is_refused():
    from hypothesis import given
    from hypothesis import strategies as st

    @_settings()
    @given(st.sampled_from(_ALL_NAMES), st.integers(2005, 2030), st.sampled_from(["school", "county"]))
    def check(name, year, level):
        try:
            r = units.resolve_unit(name, school_year=year, level=level)
        except units.UnitError as exc:
            assert str(exc)  # a message for a person
            return
        in_force = units.reporting_units(year)
        assert in_force.get(r.county) == r.county_code  # the unit and its one code, in force that year
        assert r.county_code != "320772"  # never a zone that is not a reporting unit

    check()


def test_encrypted_workbook_is_an_error(tmp_path):
    # an OLE compound file holding an 'EncryptedPackage' stream: how Office saves a workbook with a password
    (tmp_path / "加密.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64 + "EncryptedPackage".encode("utf-16-le"))
    report = validate_directory(tmp_path)
    [t] = report.tables
    assert t.errors and "password" in t.errors[0].message and report.exit_code != 0
