"""Value cleaning: C09 (full-width digits, spaces), C10 (units, scales, placeholders), counties,
locale codes, school types, dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lyganalysis.cleaning import (
    ChangeLog,
    CleaningError,
    clean_dates,
    clean_numeric,
    locale_from_code,
    normalize_county,
    parse_date,
    parse_number,
    school_type_from_label,
)
from lyganalysis.io import read_csv_text

CASES = Path(__file__).parent / "cases"


# --- C09 --------------------------------------------------------------------------------------


def test_c09_fullwidth_digits_and_spaces():
    r = read_csv_text(CASES / "C09-fullwidth-digits-and-spaces" / "enrollment.csv")
    log = ChangeLog()
    students = clean_numeric(r.frame["学生数"], column="学生数", log=log, rows=r.source_rows)
    teachers = clean_numeric(r.frame["教师数"], column="教师数", log=log, rows=r.source_rows)
    assert students.tolist() == [1234, 567, 1234]
    assert teachers.tolist() == [85, 42, 60]
    assert int(students.sum()) == 3035 and int(teachers.sum()) == 187
    assert str(students.dtype) == "Int64" and str(teachers.dtype) == "Int64"
    assert log.problems == []
    assert {(c.row, c.raw) for c in log.changes} >= {(2, "１２３４"), (4, "1,234"), (3, "\u300042")}


@pytest.mark.parametrize("space", ["\u3000", "\u00a0", "\u2002", "\u2003", "\u2009", "\u200b", "\ufeff", " "])
def test_c09_kind_every_unicode_space(space):
    assert parse_number(f"{space}1{space}234{space}").value == 1234
    assert parse_number(f"1，234{space}人").value == 1234


def test_c09_failure_is_reported_with_row_and_raw_never_silent():
    s = pd.Series(["12", "十二", "3"])
    log = ChangeLog()
    out = clean_numeric(s, column="学生数", log=log, rows=[5, 6, 7])
    assert out.isna().tolist() == [False, True, False]
    [p] = log.errors
    assert (p.column, p.row, p.raw, p.reason) == ("学生数", 6, "十二", "unparseable")
    with pytest.raises(CleaningError) as exc:  # no log given → it raises instead
        clean_numeric(s, column="学生数")
    assert "十二" in str(exc.value)


# --- C10 --------------------------------------------------------------------------------------


def test_c10_values_with_units_exact():
    r = read_csv_text(CASES / "C10-numbers-with-units" / "values_with_units.csv")
    got = [parse_number(v) for v in r.frame["原始值"]]
    values = [g.value for g in got]
    assert values == [1234, 258000, 320000000, 12000, 0.952, 85, None, None, None]
    # the expected column of the case, read with the same parser
    expected = [parse_number(v).value for v in r.frame["期望数值"]]
    assert values == expected
    assert [g.unit for g in got[:6]] == ["人", None, None, "人", "%", "分"]
    assert got[6].reason == "placeholder" and got[7].reason == "placeholder"
    approx = got[8]
    assert approx.flags == ("approximate",) and approx.raw == "约45"
    log = ChangeLog()
    clean_numeric(r.frame["原始值"].iloc[[8]], column="班额", log=log, rows=[10])
    [w] = log.warnings
    assert (w.row, w.raw, w.reason) == (10, "约45", "approximate")


@pytest.mark.parametrize(
    "raw, value, unit",
    [
        ("1.5亿", 150000000, None),
        ("2亿元", 200000000, "元"),
        ("3.5万元", 35000, "元"),
        ("12千", 12000, None),
        ("1,100.9亿", 110090000000, None),
        ("1,100万", 11000000, None),
        ("120㎡", 120, "m2"),
        ("120 m²", 120, "m2"),
        ("1,250.5平方米", 1250.5, "m2"),
        ("35所", 35, "所"),
        ("24班", 24, "班"),
        ("6间", 6, "间"),
        ("12名", 12, "名"),
        ("8个", 8, "个"),
        ("９５．２％", 0.952, "%"),
        ("100%", 1, "%"),
        ("-3", -3, None),
    ],
)
def test_c10_kind_units_and_multipliers(raw, value, unit):
    pv = parse_number(raw)
    assert pv.value == value and pv.unit == unit


@pytest.mark.parametrize("raw", ["—", "-", "－", "/", "无", "", "  ", "——", None, float("nan")])
def test_c10_placeholders_are_missing_never_zero(raw):
    pv = parse_number(raw)
    assert pv.value is None and pv.ok
    assert pv.reason in ("placeholder", "blank")
    out = clean_numeric(pd.Series([raw, "5"], dtype=object), column="x", log=ChangeLog())
    assert out.isna().tolist() == [True, False]


@pytest.mark.parametrize("raw", ["12,34", "1.2.3", "abc", "#DIV/0!", "1.1E+17", "3。5", "45‰"])
def test_unparseable_values_are_flagged(raw):
    pv = parse_number(raw)
    assert not pv.ok and pv.value is None and pv.reason


def test_integer_column_rejects_fractions_percent_negative_and_wrong_unit():
    log = ChangeLog()
    out = clean_numeric(
        pd.Series(["12.5", "50%", "-3", "20台", "7人"]), column="学生数", log=log, rows=[2, 3, 4, 5, 6],
        allowed_units={"人", "名"},
    )
    assert out.tolist()[:4] == [pd.NA] * 4 and out.iloc[4] == 7
    assert [p.reason for p in log.errors] == ["not_integer", "percent_in_count", "negative", "unit"]


def test_float_column_with_scale_from_header():
    out = clean_numeric(pd.Series(["12.5", "3"]), column="教学仪器设备值(万元)", kind="float", scale=10000, log=ChangeLog())
    assert out.tolist() == [125000.0, 30000.0]


def test_proportion_column():
    log = ChangeLog()
    out = clean_numeric(pd.Series(["95.2%", "0.9", "95.2"]), column="升学率", kind="proportion", log=log)
    assert out.tolist()[:2] == [0.952, 0.9] and pd.isna(out.iloc[2])
    assert log.errors[0].reason == "ambiguous_proportion"


# property: formatted integers round-trip through every separator / width / space variation
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@settings(max_examples=50, deadline=None)
@given(
    n=st.integers(min_value=0, max_value=10**12),
    sep=st.sampled_from(["", ",", "，"]),
    fullwidth=st.booleans(),
    pad=st.sampled_from(["", " ", "\u3000", "\u00a0", "\u2002", "\u200b"]),
    unit=st.sampled_from(["", "人", "个", "元", "名"]),
)
def test_property_formatted_integers_round_trip(n, sep, fullwidth, pad, unit):
    text = f"{n:,}".replace(",", sep) if sep else str(n)
    if fullwidth:
        text = text.translate(_FULLWIDTH)
    pv = parse_number(f"{pad}{text}{unit}{pad}")
    assert pv.value == n and isinstance(pv.value, int)


@settings(max_examples=50, deadline=None)
@given(n=st.integers(min_value=1, max_value=99999), d=st.integers(min_value=0, max_value=9))
def test_property_wan_multiplier_exact(n, d):
    assert parse_number(f"{n}.{d}万").value == n * 10000 + d * 1000


# --- counties -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, county, code",
    [
        ("海州", "海州区", "320706"),
        ("海州区", "海州区", "320706"),
        ("Haizhou", "海州区", "320706"),
        ("Haizhou District", "海州区", "320706"),
        ("新浦区", "海州区", "320706"),
        ("320705", "海州区", "320706"),
        ("连云港市海州区", "海州区", "320706"),
        ("赣榆县", "赣榆区", "320707"),
        (320721, "赣榆区", "320707"),
        ("赣榆", "赣榆区", "320707"),
        ("连云区", "连云区", "320703"),
        ("东海县", "东海县", "320722"),
        ("灌云", "灌云县", "320723"),
        ("灌南县", "灌南县", "320724"),
        ("开发区", "开发区", "320771"),
        ("经济技术开发区", "开发区", "320771"),
        ("市开发区", "开发区", "320771"),
        ("连云港经济技术开发区", "开发区", "320771"),
        ("徐圩", "徐圩新区", "LYGX72"),
        ("云台山", "云台山景区", "LYGX73"),
        ("云台山风景名胜区", "云台山景区", "LYGX73"),
        ("市直", "市直", "320700"),
        ("市属", "市直", "320700"),
        ("３２０７２２", "东海县", "320722"),
        (" 东海县\u3000", "东海县", "320722"),
    ],
)
def test_normalize_county(raw, county, code):
    assert normalize_county(raw) == (county, code)


@pytest.mark.parametrize("raw", ["鼓楼区", "320102", "", None, "海"])
def test_unknown_county_names_the_value(raw):
    with pytest.raises(ValueError) as exc:
        normalize_county(raw)
    if raw:
        assert str(raw) in str(exc.value)


# --- locale codes and school types ------------------------------------------------------------


@pytest.mark.parametrize(
    "code, locale",
    [("111", "urban"), (112, "urban"), ("121", "town"), ("122", "town"), ("123", "town"), ("210", "rural"), (220, "rural"), ("２２０", "rural")],
)
def test_locale_from_code(code, locale):
    assert locale_from_code(code) == locale


@pytest.mark.parametrize("code", ["113", "130", "200", "230", "11", "1111", "", "abc", 99])
def test_invalid_locale_code(code):
    with pytest.raises(ValueError) as exc:
        locale_from_code(code)
    assert str(code) in str(exc.value)


@pytest.mark.parametrize(
    "label, code",
    [
        ("小学", "primary"), ("初级中学", "junior"), ("初中", "junior"), ("九年一贯制学校", "nine_year"),
        ("十二年一贯制学校", "twelve_year"), ("完全中学", "complete_middle"), ("高级中学", "senior"),
        ("幼儿园", "kindergarten"), ("特殊教育学校", "special"), ("教学点", "teaching_point"),
        (" 小学 ", "primary"), ("nine_year", "nine_year"), ("312", "nine_year"),
    ],
)
def test_school_type_from_label(label, code):
    assert school_type_from_label(label) == code


def test_unknown_school_type():
    with pytest.raises(ValueError, match="职业高中"):
        school_type_from_label("职业高中")


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [44440, "44440", 44440.0, 20210901, "20210901", "2021.09.01", "2021.9.1", "2021-9-1", "2021/09/01",
     "2021年9月1日", "２０２１年９月１日", "2021-09-01 00:00:00", dt.datetime(2021, 9, 1, 8, 30), dt.date(2021, 9, 1)],
)
def test_parse_date_forms(raw):
    assert parse_date(raw) == dt.date(2021, 9, 1)


@pytest.mark.parametrize("raw", ["2021-02-30", "20211301", "2021年9月", "21-9-1", "九月一日", "abc", "", 30])
def test_bad_dates_raise_with_raw_value(raw):
    with pytest.raises(ValueError) as exc:
        parse_date(raw)
    if raw != "":
        assert str(raw) in str(exc.value)


def test_clean_dates_logs_problems():
    log = ChangeLog()
    out = clean_dates(pd.Series(["2021.09.01", "2021-02-30", "—"]), column="入职日期", log=log, rows=[2, 3, 4])
    assert out.tolist() == [dt.date(2021, 9, 1), None, None]
    [p] = log.errors
    assert p.row == 3 and p.raw == "2021-02-30"
    assert log.to_frame()["rule"].tolist() == ["date"]
