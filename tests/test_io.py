"""Readers: encodings (C04, C05), field-count errors (C10), merged headers (C07), total rows (C08)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from lyganalysis.io import (
    ReadError,
    clean_header,
    detect_encoding,
    read_csv_text,
    read_excel_sheets,
    special_row_kind,
)

CASES = Path(__file__).parent / "cases"


def _no_replacement_chars(frame):
    for col in frame.columns:
        assert "\ufffd" not in col
        for v in frame[col]:
            assert "\ufffd" not in v


# --- C04: GB18030 with characters outside GBK -------------------------------------------------


def test_c04_gb18030_rare_characters_exact():
    r = read_csv_text(CASES / "C04-csv-gb18030-rare-chars" / "scores_gb18030.csv")
    assert r.encoding == "gb18030"
    assert len(r.frame) == 3
    assert r.frame["姓名"].tolist() == ["刘䶮", "王𠮷", "张堃"]
    assert [int(v) for v in r.frame["成绩"]] == [95, 88, 91]
    assert r.source_rows == (2, 3, 4)
    _no_replacement_chars(r.frame)


def test_gbk_file_is_read_as_gb18030(tmp_path):
    p = tmp_path / "gbk.csv"
    p.write_bytes("学校,人数\n城关一小,1200\n".encode("gbk"))
    r = read_csv_text(p)
    assert r.encoding == "gb18030"  # superset of GBK, never plain gbk
    assert r.frame["学校"].tolist() == ["城关一小"]


def test_undecodable_bytes_raise_read_error(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_bytes(b"a,b\n\xff\xff\xff\x30,1\n")
    with pytest.raises(ReadError) as exc:
        read_csv_text(p)
    assert "bad.csv" in str(exc.value)


# --- C05: UTF-8 must be tried before GB18030 ----------------------------------------------------


def test_c05_utf8_without_bom_is_not_mojibake():
    r = read_csv_text(CASES / "C05-csv-utf8-decoded-as-gb18030" / "schools_utf8_nobom.csv")
    assert r.encoding == "utf-8"
    assert list(r.frame.columns) == ["学校", "人数"]
    assert r.frame["学校"].tolist() == ["城关二小", "河口小学", "二中"]
    assert [int(v) for v in r.frame["人数"]] == [1200, 83, 1650]


@pytest.mark.parametrize(
    "encoding, expected",
    [("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("utf-8", "utf-8"), ("gb18030", "gb18030")],
)
def test_detect_encoding_order(encoding, expected):
    raw = "学校,人数\n城关二小,1200\n河口小学,83\n".encode(encoding)
    assert detect_encoding(raw) == expected


def test_utf8_bom_and_utf16_files_read(tmp_path):
    for enc in ("utf-8-sig", "utf-16"):
        p = tmp_path / f"{enc}.csv"
        p.write_bytes("\ufeff学校 ,人数\r\n城关二小,1200\r\n".encode(enc) if enc == "utf-16" else "学校 ,人数\r\n城关二小,1200\r\n".encode(enc))
        r = read_csv_text(p)
        assert list(r.frame.columns) == ["学校", "人数"], enc
        assert r.frame["人数"].tolist() == ["1200"]


# --- C10: an unquoted thousands separator must stop the read -----------------------------------


def test_c10_unquoted_thousands_names_line_4():
    with pytest.raises(ReadError) as exc:
        read_csv_text(CASES / "C10-numbers-with-units" / "unquoted_thousands.csv")
    err = exc.value
    assert err.line == 4
    assert "unquoted_thousands.csv" in str(err)
    assert "line 4 has 4 fields, 3 expected" in err.message_en
    assert err.data_lines == 3


def test_too_few_fields_is_an_error_too(tmp_path):
    p = tmp_path / "short.csv"
    p.write_text("学校,学生数,教师数\n城关一小,980,45\n城关二小,560\n", encoding="utf-8")
    with pytest.raises(ReadError) as exc:
        read_csv_text(p)
    assert exc.value.line == 3
    assert "2 fields, 3 expected" in exc.value.message_en


def test_csv_values_stay_text_and_blank_stays_blank():
    r = read_csv_text(CASES / "C11-id-number-float-precision" / "teachers.csv")
    assert all(str(t) == "str" for t in r.frame.dtypes)
    assert r.frame["身份证号"].tolist() == ["110101199003071233", "110101198511200025", ""]


def test_csv_title_line_and_quoted_newline_keep_line_numbers(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text('示例县学校统计表,,\n学校,"学生数\n(人)",教师数\n城关一小,980,45\n\n"城关\n二小",560,30\n合计,1540,75\n', encoding="utf-8")
    r = read_csv_text(p)
    assert list(r.frame.columns) == ["学校", "学生数(人)", "教师数"]
    assert r.header_rows == (2,)
    assert r.source_rows == (4, 6)  # the quoted name spans lines 6–7
    assert [s.kind for s in r.special_rows] == ["total"]
    assert r.special_rows[0].source_row == 8


def test_single_column_csv(tmp_path):
    p = tmp_path / "one.csv"
    p.write_text("county\n海州区\n连云区\n", encoding="utf-8")
    r = read_csv_text(p)
    assert r.frame["county"].tolist() == ["海州区", "连云区"]


# --- header cells -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("\ufeff学校名称", "学校名称"),
        (" 学 校 名 称 ", "学校名称"),
        ("学生数\n（人）", "学生数(人)"),
        ("学生数\r\n(人)", "学生数(人)"),
        ("专任教师数\u3000", "专任教师数"),
        ("school  id", "school id"),
        ("教学及辅助用房面积（平方米）", "教学及辅助用房面积(平方米)"),
    ],
)
def test_clean_header(raw, clean):
    assert clean_header(raw) == clean


# --- C07: merged title and two-row header -----------------------------------------------------


def test_c07_merged_two_row_header_flattened():
    [r] = read_excel_sheets(CASES / "C07-xlsx-merged-multirow-header" / "school_stats_merged.xlsx")
    assert list(r.frame.columns) == ["学校名称", "学生数_男", "学生数_女", "教师数_专任", "教师数_代课", "班级数"]
    assert r.header_rows == (2, 3)
    assert r.frame["学校名称"].tolist() == ["城关一小", "城关二小", "河口小学"]
    assert [int(v) for v in r.frame["学生数_男"]] == [612, 301, 45]
    assert r.source_rows == (4, 5, 6)
    assert [s.kind for s in r.special_rows] == ["total", "note"]
    assert not any("Unnamed" in c or "level_" in c for c in r.frame.columns)


def _write_xlsx(path, rows, merges=(), title="Sheet1"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    for m in merges:
        ws.merge_cells(m)
    wb.save(path)
    return path


def test_three_level_header_and_vertical_merge_in_data(tmp_path):
    p = _write_xlsx(
        tmp_path / "h.xlsx",
        [
            ["表一 学校情况", None, None, None],
            ["乡镇", "学校名称", "学生数", None],
            [None, None, "男", "女"],
            ["城关镇", "一小", 10, 11],
            [None, "二小", 20, 21],
        ],
        merges=["A1:D1", "A2:A3", "B2:B3", "C2:D2", "A4:A5"],
    )
    [r] = read_excel_sheets(p)
    assert list(r.frame.columns) == ["乡镇", "学校名称", "学生数_男", "学生数_女"]
    assert r.frame["乡镇"].tolist() == ["城关镇", "城关镇"]  # vertical merge expanded
    assert r.source_rows == (4, 5)


def test_excel_numeric_id_cell_is_not_turned_into_digits(tmp_path):
    p = _write_xlsx(tmp_path / "ids.xlsx", [["姓名", "身份证号", "学生数"], ["张三", 1.1010119900307123e17, 12.0], ["李四", "110101198511200025", 3.5]])
    [r] = read_excel_sheets(p)
    assert "e+" in r.frame["身份证号"].iloc[0]  # recognisable as truncated
    assert r.frame["身份证号"].iloc[1] == "110101198511200025"
    assert r.frame["学生数"].tolist() == ["12", "3.5"]


def test_several_sheets_one_result_each_and_empty_sheet_skipped(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "小学"
    ws.append(["学校名称", "学生数"])
    ws.append(["一小", 5])
    wb.create_sheet("空表")
    ws2 = wb.create_sheet("初中")
    ws2.append(["学校名称", "学生数"])
    ws2.append(["一中", 7])
    wb.save(tmp_path / "m.xlsx")
    results = read_excel_sheets(tmp_path / "m.xlsx")
    assert [r.sheet for r in results] == ["小学", "初中"]


def test_broken_workbook_raises_read_error(tmp_path):
    p = tmp_path / "broken.xlsx"
    p.write_bytes(b"PK\x03\x04 this is not a real zip")
    with pytest.raises(ReadError) as exc:
        read_excel_sheets(p)
    assert "broken.xlsx" in str(exc.value)


# --- C08: total / subtotal / note rows ----------------------------------------------------------


def test_c08_totals_notes_kept_aside():
    [r] = read_excel_sheets(CASES / "C08-xlsx-total-subtotal-note-rows" / "schools_with_totals.xlsx")
    assert len(r.frame) == 3
    assert sum(int(v) for v in r.frame["学生数"]) == 1880
    assert sum(int(v) for v in r.frame["专任教师数"]) == 93
    assert [(s.kind, s.source_row) for s in r.special_rows] == [
        ("subtotal", 4), ("subtotal", 6), ("total", 7), ("note", 8), ("footer", 9)
    ]
    assert r.special_rows[2].values["学生数"] == "1880"


@pytest.mark.parametrize(
    "text, kind",
    [
        ("合  计", "total"),
        ("合\u3000计", "total"),
        ("总计", "total"),
        ("全县总计", "total"),
        ("城关镇小计", "subtotal"),
        ("小计：城关镇", "subtotal"),
        ("其中：女", "of_which"),
        ("其中", "of_which"),
        ("注：教师数不含代课教师。", "note"),
        ("注1：数据截至9月", "note"),
        ("填表人：王某", "footer"),
        ("单位负责人：李某", "footer"),
        ("城关一小", None),
        ("注册中心小学", None),
    ],
)
def test_special_row_kinds(text, kind):
    got = special_row_kind(text)
    assert (got[0] if got else None) == kind


def test_c08_kind_with_zongji_and_qizhong_rows(tmp_path):
    p = _write_xlsx(
        tmp_path / "t.xlsx",
        [
            ["序号", "学校名称", "学生数"],
            [1, "城关一小", 1200],
            [None, "其中：女", 590],
            [2, "河口小学", 83],
            [None, "总　计", 1283],
            ["单位负责人：某某", None, None],
        ],
    )
    [r] = read_excel_sheets(p)
    assert r.frame["学校名称"].tolist() == ["城关一小", "河口小学"]
    assert [s.kind for s in r.special_rows] == ["of_which", "total", "footer"]
