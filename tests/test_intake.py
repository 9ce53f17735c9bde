"""validate_directory: header mapping, totals reconciliation, row accounting, mixed bad folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from lyganalysis.intake import load_header_map, reconcile_totals, validate_directory
from lyganalysis.io import read_excel_sheets

CASES = Path(__file__).parent / "cases"


def _accounted(report):
    for t in report.tables:
        assert t.rows_read == t.rows_kept + t.rows_rejected, (t.file, t.sheet)
        if t.frame is not None:
            assert len(t.frame) == t.rows_kept
        if t.rejected is not None:
            assert len(t.rejected) == t.rows_rejected


# --- header map ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, canonical, scale",
    [
        ("学校标识码", "school_id", 1), ("学校代码", "school_id", 1), ("学校名称", "school_name", 1),
        ("小学在校生数", "students_primary", 1), ("在校生数_初中", "students_junior", 1),
        ("初中专任教师数", "teachers_junior", 1), ("小学专任教师", "teachers_primary", 1),
        ("教学及辅助用房面积(平方米)", "teaching_area_m2", 1), ("体育运动场馆面积", "sports_area_m2", 1),
        ("教学仪器设备值(万元)", "equipment_value_yuan", 10000), ("教学仪器设备资产值（元）", "equipment_value_yuan", 1),
        ("网络多媒体教室", "multimedia_classrooms", 1), ("计算机(台)", "computers", 1), ("图书（万册）", "books", 10000),
        ("县区", "county", 1), ("城乡分类代码", "locale_code", 1), ("身份证号", "id_number", 1),
        (" 学 校 名 称 ", "school_name", 1), ("SCHOOL_ID", "school_id", 1),
    ],
)
def test_header_variants(header, canonical, scale):
    m = load_header_map().resolve(header)
    assert (m.canonical, m.scale) == (canonical, scale)


def test_stage_from_sheet_name_and_unknown_stage_reported():
    hm = load_header_map()
    assert hm.resolve("学生数", stage=hm.stage_of("小学基本情况")).canonical == "students_primary"
    m = hm.resolve("学生数")
    assert m.canonical is None and "stage" in m.note
    assert hm.resolve("学生数_男").canonical is None
    assert hm.resolve("面积(公顷)").canonical is None


def test_user_mapping_extends_the_bundled_one(tmp_path):
    extra = tmp_path / "mine.yaml"
    extra.write_text("columns:\n  school_id: [单位代码]\nstage_columns:\n  students: [学籍人数]\n", encoding="utf-8")
    hm = load_header_map(extra=extra)
    assert hm.resolve("单位代码").canonical == "school_id"
    assert hm.resolve("小学学籍人数").canonical == "students_primary"
    assert hm.resolve("学校代码").canonical == "school_id"  # bundled entries still there


# --- C07 / C08 through intake -------------------------------------------------------------------


def test_c07_through_intake(tmp_path):
    shutil.copy(CASES / "C07-xlsx-merged-multirow-header" / "school_stats_merged.xlsx", tmp_path)
    report = validate_directory(tmp_path)
    [t] = report.tables
    assert (t.rows_read, t.rows_kept, t.rows_rejected) == (3, 3, 0)
    assert t.frame["teachers_primary"].tolist() == [52, 27, 8]  # 教师数_专任, stage from the sheet name
    assert set(t.unknown_columns) == {"学生数_男", "学生数_女", "教师数_代课"}  # reported, not dropped silently
    assert report.ok and report.exit_code == 0


def test_c08_totals_reconcile():
    [r] = read_excel_sheets(CASES / "C08-xlsx-total-subtotal-note-rows" / "schools_with_totals.xlsx")
    assert reconcile_totals(r) == []


def test_c08_total_mismatch_names_both_numbers(tmp_path):
    wb = openpyxl.load_workbook(CASES / "C08-xlsx-total-subtotal-note-rows" / "schools_with_totals.xlsx")
    ws = wb.active
    ws["C7"] = 1890  # 合计 wrong
    ws["D4"] = 84  # 城关镇小计 wrong
    wb.save(tmp_path / "t.xlsx")
    report = validate_directory(tmp_path)
    msgs = [(p.row, p.column, p.message) for p in report.errors]
    assert any(row == 7 and col == "学生数" and "1890" in m and "1880" in m for row, col, m in msgs)
    assert any(row == 4 and col == "专任教师数" and "84" in m and "83" in m for row, col, m in msgs)
    assert report.exit_code != 0
    _accounted(report)


# --- a mixed folder -----------------------------------------------------------------------------


GOOD = (
    "学校标识码,学校名称,县区,城乡分类代码,学校类型,小学在校生数,小学专任教师数,教学仪器设备值(万元)\n"
    "3207060001,城关一小,海州,111,小学,\"1,200\",60,35.5\n"
    "3207220002,河口小学,东海县,220,小学,83人,10,—\n"
    "合计,,,,,1283,70,\n"
)
BAD = (
    "学校标识码,学校名称,县区,城乡分类代码,小学在校生数,备注栏\n"
    "3207060003,城关二小,海州区,111,约600,\n"
    "320706004,城关三小,鼓楼区,113,12.5,\n"
    "3207060005,城关四小,新浦区,121,４５０,\n"
)


def _mixed_folder(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    (d / "good.csv").write_text(GOOD, encoding="utf-8")
    (d / "bad.csv").write_text(BAD, encoding="utf-8")
    (d / "broken.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    (d / "gbk.csv").write_bytes("学校代码,学校名称,小学学生数\n3207230001,灌云一小,900\n3207230002,灌云二小,abc\n".encode("gbk"))
    shutil.copy(CASES / "C10-numbers-with-units" / "unquoted_thousands.csv", d)
    (d / "readme.txt").write_text("not data", encoding="utf-8")
    (d / "~$good.xlsx").write_bytes(b"lock")
    return d


def test_mixed_folder_reports_every_problem_and_accounts_for_every_row(tmp_path):
    d = _mixed_folder(tmp_path)
    rej = tmp_path / "rejected"
    report = validate_directory(d, rejected_dir=rej)
    assert report.exit_code != 0 and not report.ok
    _accounted(report)
    files = {t.file for t in report.tables}
    assert files == {"good.csv", "bad.csv", "broken.xlsx", "gbk.csv", "unquoted_thousands.csv"}
    assert set(report.ignored) == {"readme.txt", "~$good.xlsx"}

    good = report.table("good.csv")
    assert (good.rows_read, good.rows_kept, good.rows_rejected) == (2, 2, 0)
    assert good.errors == []
    f = good.frame
    assert f["school_id"].tolist() == ["3207060001", "3207220002"]
    assert f["county"].tolist() == ["海州区", "东海县"] and f["county_code"].tolist() == ["320706", "320722"]
    assert f["locale"].tolist() == ["urban", "rural"]
    assert f["students_primary"].tolist() == [1200, 83]
    assert f["equipment_value_yuan"].iloc[0] == 355000.0 and pd.isna(f["equipment_value_yuan"].iloc[1])

    bad = report.table("bad.csv")
    assert (bad.rows_read, bad.rows_kept, bad.rows_rejected) == (3, 2, 1)
    by_row = {}
    for p in bad.problems:
        by_row.setdefault((p.row, p.column, p.severity), p)
    assert (2, "小学在校生数", "warning") in by_row  # 约600: kept as missing, flagged
    assert (3, "学校标识码", "error") in by_row
    assert (3, "县区", "error") in by_row and "鼓楼区" in by_row[(3, "县区", "error")].message
    assert (3, "城乡分类代码", "error") in by_row
    assert (3, "小学在校生数", "error") in by_row
    assert "备注栏" in bad.unknown_columns
    assert bad.frame["county"].tolist() == ["海州区", "海州区"]  # 新浦区 → 海州区
    assert bad.frame["students_primary"].tolist()[1] == 450

    gbk = report.table("gbk.csv")
    assert gbk.encoding == "gb18030"
    assert (gbk.rows_read, gbk.rows_kept, gbk.rows_rejected) == (2, 1, 1)
    assert [(p.row, p.column) for p in gbk.errors] == [(3, "小学学生数")]

    broken = report.table("broken.xlsx")
    assert broken.errors and broken.rows_kept == 0
    assert "broken.xlsx" in broken.errors[0].file

    unq = report.table("unquoted_thousands.csv")
    assert (unq.rows_read, unq.rows_kept, unq.rows_rejected) == (3, 0, 3)
    assert unq.errors[0].row == 4 and unq.frame is None

    # rejected rows written with reasons; opens in Excel (UTF-8 with BOM)
    written = {p.name for p in rej.iterdir()}
    assert written == {"bad.rejected.csv", "gbk.rejected.csv", "unquoted_thousands.rejected.csv"}
    assert (rej / "bad.rejected.csv").read_text(encoding="utf-8-sig").startswith("# 隐私")  # privacy notice first
    rejected = pd.read_csv(rej / "bad.rejected.csv", encoding="utf-8-sig", dtype=str, skiprows=1)
    assert rejected["行号 row"].tolist() == ["3"]
    assert "鼓楼区" in rejected["原因 reason"].iloc[0]
    assert rejected["学校标识码"].iloc[0] == "320706004"

    text = report.render()
    for needle in ("good.csv", "bad.csv", "broken.xlsx", "gbk.csv", "unquoted_thousands.csv",
                   "第3行 row 3", "读取 read 3 · 保留 kept 2 · 拒绝 rejected 1", "exit code 1", "gb18030"):
        assert needle in text, needle


def test_good_folder_passes(tmp_path):
    (tmp_path / "good.csv").write_text(GOOD, encoding="utf-8")
    report = validate_directory(tmp_path)
    assert report.ok and report.exit_code == 0
    assert "通过 OK" in report.render()


def test_empty_or_missing_folder_fails(tmp_path):
    assert validate_directory(tmp_path).exit_code != 0
    assert validate_directory(tmp_path / "nope").exit_code != 0


def test_c11_truncated_id_rejects_its_row_not_the_file(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["工号", "姓名", "身份证号"])
    ws.append(["T001", "张三", 1.10101199003071e17])  # what Excel keeps of 110101199003071233
    ws.append(["T002", "李四", "110101198511200025"])
    wb.save(tmp_path / "teachers.xlsx")
    report = validate_directory(tmp_path, salt="s", rejected_dir=tmp_path / "rej")
    [t] = report.tables
    assert (t.rows_read, t.rows_kept, t.rows_rejected) == (2, 1, 1)
    [e] = t.errors
    assert e.row == 2 and ("truncat" in e.message or "截断" in e.message or "lost digits" in e.message)
    assert report.exit_code != 0
    # neither the truncated number nor the name reaches the rejected-rows file or the console
    [written] = (tmp_path / "rej").iterdir()
    text = written.read_text(encoding="utf-8-sig")
    assert "张三" not in text and "199003071" not in text and "张*" in text
    assert "199003071" not in report.render()


def test_ids_become_keys_and_are_dropped(tmp_path):
    (tmp_path / "t.csv").write_text(
        "学校代码,身份证号\n3207060001,110101199003071233\n3207060001,110101900307123\n", encoding="utf-8"
    )
    report = validate_directory(tmp_path, salt="secret")
    [t] = report.tables
    assert "id_number" not in t.frame.columns
    assert t.frame["teacher_key"].nunique() == 1  # 15- and 18-digit forms: one person
    assert t.frame["gender"].tolist() == ["male", "male"]
    assert "110101" not in t.frame.to_csv()


def test_every_bureau_header_of_the_data_dictionary_is_recognised():
    """The usual Chinese headers documented in the data dictionary (schema.py) map onto their columns,
    including a stage written in brackets, e.g. '最大班额(小学)' (found by a new user's trial)."""
    import re

    from lyganalysis.intake import load_header_map
    from lyganalysis.schema import data_dictionary

    derived = {"locale", "teacher_key", "student_key", "birth_year"}  # derived at intake, not read
    hm = load_header_map()
    d = data_dictionary()
    unknown = []
    for r in d[d["table"].isin(["schools", "teachers", "scores", "county_facts"])].itertuples():
        if r.column in derived or r.column in {"grade_span", "expenditure_per_student_usd", "free_lunch_share",
                                               "calworks_share", "english_learner_share", "income_thousand_usd"}:
            continue  # CASchools extension columns have no bureau header
        for variant in str(r.chinese_header).split(" / "):
            # the dictionary's explanatory brackets (value lists, notes with a comma or space) are not part of a header
            variant = re.sub(r"(\s+[(（][^()（）]*[)）]|[(（][^()（）]*[,，/ ][^()（）]*[)）])\s*$", "", variant).strip()
            if not variant or variant == "—":
                continue
            stage = next((st for st in ("primary", "junior", "senior", "preschool", "special")
                          if r.column.endswith("_" + st)), None)  # as a sheet named after the stage gives it
            match = hm.resolve(variant, stage=stage)
            if match.canonical != r.column and not match.dropped:
                unknown.append((r.column, variant, match.canonical, match.note))
    assert not unknown, unknown
