"""The county-facts form (县区优质均衡填报表): write it as Chinese Excel, read the filled form back.

The 优质均衡 inspection (:data:`lyganalysis.inspection.INSPECTION_ITEMS`) needs county-level figures that
the school and teacher tables do not hold: all staff (教职工) by stage, teacher and civil-servant pay,
360-hour training completion, certified share, zoned-admission shares, the senior-high quota
allocation, special-school funding, the funding of schools under 100 pupils, the training-budget
share, the junior-retention (巩固率) cohort, the national-monitoring levels and 校际差异率 per
subject, government-purchased places for migrant children, the per-pupil funding quotas and the
veto items. :data:`FORM_FIELDS` lists them (key, Chinese header with unit, kind, item it decides).

Layout written by :func:`write_county_form`: sheet ``县区填报`` — row 1 Chinese headers with units,
one row per county and school year (县区, 县区代码, 学年 prefilled), Excel data validation on every
column (whole numbers ≥ 0, decimals ≥ 0, percentages 0–100, 是/否, Ⅰ–Ⅳ, the county list); sheet
``填表说明`` — one line per column (meaning, unit, allowed values, item).

:func:`read_county_form` reads it back: percentages become proportions in [0, 1], 是/否 booleans,
Ⅰ–Ⅳ levels 1–4; every bad cell is a :class:`FormProblem` with file, sheet, Excel row, column and
what to do, and its row is rejected (rows read = kept + rejected).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

__all__ = ["FORM_FIELDS", "FormField", "FormProblem", "CountyFormReading", "REPORTING_UNITS",
           "MONITORING_SUBJECTS", "DATA_SHEET", "INSTRUCTIONS_SHEET", "write_county_form",
           "read_county_form", "form_frame"]

DATA_SHEET = "县区填报"
INSTRUCTIONS_SHEET = "填表说明"


def _reporting_units() -> tuple[tuple[str, str], ...]:
    from lyganalysis.units import reporting_units

    order = ("海州区", "连云区", "赣榆区", "东海县", "灌云县", "灌南县", "开发区", "徐圩新区", "云台山景区", "市直")
    codes = reporting_units()
    return tuple((u, codes[u]) for u in order if u in codes) + tuple((u, c) for u, c in codes.items() if u not in order)


#: The bureau's reporting units (county, code) in force today, from the units table
#: (:func:`lyganalysis.units.reporting_units`): GB/T 2260 codes for the districts and counties, the NBS
#: code 320771 for 开发区, 320700 for 市直 and the project's local codes (LYGX72, LYGX73) for the two
#: zones without an official code.
REPORTING_UNITS: tuple[tuple[str, str], ...] = _reporting_units()

#: Subjects of the national compulsory-education quality monitoring (国家义务教育质量监测) in the form.
MONITORING_SUBJECTS: tuple[tuple[str, str], ...] = (
    ("chinese", "语文"), ("math", "数学"), ("science", "科学"), ("pe_health", "体育与健康"),
    ("arts", "艺术"), ("moral", "德育"))

Kind = Literal["int", "number", "share", "rate", "yesno", "level"]
_LEVELS = {"I": 1, "II": 2, "III": 3, "IV": 4, "1": 1, "2": 2, "3": 3, "4": 4, "一": 1, "二": 2, "三": 3, "四": 4}
_YES = {"是", "有", "yes", "y", "true", "1"}
_NO = {"否", "无", "没有", "no", "n", "false", "0"}


@dataclass(frozen=True)
class FormField:
    """One column of the form.

    ``kind``: ``int`` whole number ≥ 0; ``number`` decimal ≥ 0; ``share`` a percentage 0–100 in the
    form, a proportion in [0, 1] after reading; ``rate`` a decimal in [0, 1] (校际差异率);
    ``yesno`` 是/否 → bool; ``level`` Ⅰ–Ⅳ → 1–4. ``item``: the inspection item it serves.
    """

    key: str
    header: str
    kind: Kind
    meaning: str
    item: str


def _fields() -> tuple[FormField, ...]:
    f = [
        FormField("staff_primary", "小学教职工数（人）", "int", "小学阶段教职工总数（含专任教师及其他人员）", "G10"),
        FormField("staff_junior", "初中教职工数（人）", "int", "初中阶段教职工总数（含专任教师及其他人员）", "G10"),
        FormField("teacher_average_pay_yuan", "教师年平均工资收入（元）", "number", "义务教育教师年平均工资收入", "G8"),
        FormField("civil_servant_average_pay_yuan", "当地公务员年平均工资收入（元）", "number",
                  "本县区公务员年平均工资收入", "G8"),
        FormField("training_360_completion_rate", "教师5年360学时培训完成率（%）", "share",
                  "完成5年360学时培训的教师占应参训教师的百分比；教师表有培训学时时以教师表为准", "G9"),
        FormField("certified_rate", "专任教师持证上岗率（%）", "share",
                  "持有教师资格证的专任教师百分比；教师表有持证信息时以教师表为准", "G12"),
        FormField("zoned_admission_primary_rate", "小学就近划片入学比例（%）", "share",
                  "城区和镇区公办小学（不含寄宿制）就近划片入学学生百分比", "G13"),
        FormField("zoned_admission_junior_rate", "初中就近划片入学比例（%）", "share",
                  "城区和镇区公办初中（不含寄宿制）就近划片入学学生百分比", "G13"),
        FormField("quota_places_total", "优质高中招生计划总数（个）", "int", "优质普通高中年度招生计划数", "G14"),
        FormField("quota_places_allocated", "其中分配到初中学校的名额（个）", "int", "名额分配到校的招生计划数", "G14"),
        FormField("quota_places_rural", "其中分配到农村初中的名额（个）", "int", "分配名额中给农村初中的部分", "G14"),
        FormField("special_school_funding_per_pupil_yuan", "特殊教育学校生均公用经费（元/生）", "number",
                  "特殊教育学校生均公用经费（无特殊教育学校时留空）", "G7"),
        FormField("small_schools", "不足100名学生的村小学和教学点数（所）", "int", "在校生不足100人的村小和教学点数", "G6"),
        FormField("small_schools_funded_as_100", "其中按100名学生核定公用经费的（所）", "int",
                  "上述学校中按100人核定公用经费的学校数", "G6"),
        FormField("training_budget_share_min", "教师培训经费占学校公用经费预算比例（最低的学校，%）", "share",
                  "各校教师培训经费占年度公用经费预算总额比例中最低的一所学校的值", "Q4"),
        FormField("cohort_grade7_enrolled", "三年前初一在校生数（人）", "int", "本届初三学生在初一时的在校生数", "Q1"),
        FormField("cohort_graduates", "本届初中毕业生数（人）", "int", "本届初三毕业生数", "Q1"),
        FormField("cohort_transfers_in", "三年内转入人数（人）", "int", "本届学生三年内转入人数", "Q1"),
        FormField("cohort_transfers_out", "三年内转出人数（人）", "int", "本届学生三年内转出人数", "Q1"),
        FormField("cohort_deaths", "三年内死亡人数（人）", "int", "本届学生三年内死亡人数", "Q1"),
    ]
    for key, zh in MONITORING_SUBJECTS:
        f.append(FormField(f"monitoring_level_{key}", f"质量监测学业水平：{zh}（Ⅰ–Ⅳ）", "level",
                           f"国家义务教育质量监测{zh}学业水平等级（本轮未监测时留空）", "Q9"))
        f.append(FormField(f"monitoring_difference_rate_{key}", f"质量监测校际差异率：{zh}（0–1）", "rate",
                           f"国家义务教育质量监测{zh}校际差异率（小数，如0.12）", "Q9"))
    f += [
        FormField("migrant_purchased_places", "政府购买学位数（随迁子女，个）", "int",
                  "政府购买服务的民办学校学位中随迁子女就读数", "G15"),
        FormField("funding_quota_primary_yuan", "小学生均公用经费基准定额（元/生）", "number", "小学生均公用经费基准定额", "G2"),
        FormField("funding_quota_junior_yuan", "初中生均公用经费基准定额（元/生）", "number", "初中生均公用经费基准定额", "G2"),
        FormField("veto_exam_admission", "是否存在以考试方式招生（是/否）", "yesno", "一票否决项：以考试方式招生", "V1"),
        FormField("veto_school_choice", "是否存在违规择校（是/否）", "yesno", "一票否决项：违规择校", "V2"),
        FormField("veto_key_schools_classes", "是否设置重点校、重点班（是/否）", "yesno", "一票否决项：设置重点校、重点班", "V3"),
        FormField("veto_safety_incident", "是否发生重大安全责任事故（是/否）", "yesno", "一票否决项（据报道）：重大安全责任事故", "V5"),
        FormField("veto_falsification", "是否存在大面积考试舞弊或弄虚作假（是/否）", "yesno",
                  "一票否决项（据报道）：大面积考试舞弊或弄虚作假", "V6"),
    ]
    return tuple(f)


FORM_FIELDS: tuple[FormField, ...] = _fields()
"""Every figure column of the form, in column order (after 县区, 县区代码, 学年)."""

_KEY_HEADERS = (("county", "县区"), ("county_code", "县区代码"), ("school_year", "学年（如2022表示2022–2023学年）"))
_KIND_ALLOWED = {"int": "整数，≥0", "number": "数值，≥0", "share": "百分数 0–100（填95表示95%）",
                 "rate": "小数 0–1", "yesno": "是 / 否", "level": "Ⅰ、Ⅱ、Ⅲ、Ⅳ（或1–4）"}


@dataclass(frozen=True)
class FormProblem:
    """A problem found in the filled form: where (file, sheet, Excel row, column header), the value,
    what is wrong and what to do."""

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    message: str
    action: str
    severity: Literal["error", "warning"] = "error"

    def render(self) -> str:
        where = [self.file] + ([f"工作表“{self.sheet}”"] if self.sheet else [])
        if self.row is not None:
            where.append(f"第{self.row}行 row {self.row}")
        if self.column:
            where.append(f"列“{self.column}”")
        val = f" 原值“{self.value}”" if self.value not in (None, "") else ""
        return f"[{'错误' if self.severity == 'error' else '警告'}] {', '.join(where)}:{val} {self.message}；处理：{self.action}"


@dataclass(frozen=True)
class CountyFormReading:
    """What :func:`read_county_form` read. Unpacks as ``frame, problems = read_county_form(path)``.

    ``frame``: one row per county × school year kept (columns county, county_code, school_year and
    the keys of :data:`FORM_FIELDS`; shares as proportions). ``problems``: every :class:`FormProblem`.
    ``rows_read == rows_kept + rows_rejected``.
    """

    frame: pd.DataFrame
    problems: tuple[FormProblem, ...]
    rows_read: int
    rows_kept: int
    rows_rejected: int
    path: str = ""

    def __iter__(self) -> Iterator[Any]:
        return iter((self.frame, self.problems))

    @property
    def errors(self) -> tuple[FormProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


def _norm(text: Any) -> str:
    t = unicodedata.normalize("NFKC", str(text))
    return "".join(ch for ch in t if not ch.isspace()).lower()


def _excel_col(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i)


def _to_form_value(f: FormField, v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    if f.kind == "share":
        return float(v) * 100.0
    if f.kind == "yesno":
        return "是" if bool(v) else "否"
    if f.kind == "level":
        return ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ")[int(v) - 1]
    if f.kind == "int":
        return int(v)
    return float(v)


def write_county_form(path: str | Path, *, units: Sequence[tuple[str, str]] = REPORTING_UNITS,
                      school_years: Sequence[int] = (2022,), values: pd.DataFrame | None = None) -> Path:
    """Write the county-facts form as an Excel workbook.

    Parameters
    ----------
    path : str or Path
        Output ``.xlsx`` file (parent folders are created).
    units : sequence of (county, county_code)
        Rows to prefill (one per unit and school year); also the county list of the validation.
    school_years : sequence of int
        School years to prefill (2022 = 2022–23).
    values : DataFrame, optional
        Filled values (columns county, school_year and any keys of :data:`FORM_FIELDS`; shares as
        proportions), e.g. the demo's simulated form. Without it the figure cells are empty.

    Returns
    -------
    Path

    Raises
    ------
    ValueError
        No units or school years, or ``values`` without county and school_year.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    if not units or not school_years:
        raise ValueError("the form needs at least one county and one school year")
    lookup: dict[tuple[str, int], Mapping[str, Any]] = {}
    if values is not None:
        for c in ("county", "school_year"):
            if c not in values.columns:
                raise ValueError(f"values need a {c!r} column")
        for rec in values.to_dict("records"):
            lookup[(str(rec["county"]), int(rec["school_year"]))] = rec
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    headers = [h for _, h in _KEY_HEADERS] + [f.header for f in FORM_FIELDS]
    ws.append(headers)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for j, _ in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=j)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[_excel_col(j)].width = 14 if j > 3 else 12
    ws.row_dimensions[1].height = 60
    ws.freeze_panes = "D2"
    n = 0
    for county, code in units:
        for y in school_years:
            rec = lookup.get((county, int(y)), {})
            ws.append([county, code, int(y)] + [_to_form_value(f, rec.get(f.key)) for f in FORM_FIELDS])
            n += 1
    last = max(n + 1, 2) + 200  # room for rows the county adds
    # data validation per column
    dv_county = DataValidation(type="list", formula1='"' + ",".join(c for c, _ in units) + '"', allow_blank=False,
                               showErrorMessage=True, errorTitle="县区", error="请从下拉列表选择县区")
    dv_county.add(f"A2:A{last}")
    dv_year = DataValidation(type="whole", operator="between", formula1="2000", formula2="2100",
                             showErrorMessage=True, error="学年填四位年份，如2022")
    dv_year.add(f"C2:C{last}")
    ws.add_data_validation(dv_county)
    ws.add_data_validation(dv_year)
    by_kind: dict[str, DataValidation] = {
        "int": DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", showErrorMessage=True,
                              error="请填不小于0的整数"),
        "number": DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                                 showErrorMessage=True, error="请填不小于0的数值"),
        "share": DataValidation(type="decimal", operator="between", formula1="0", formula2="100",
                                showErrorMessage=True, error="请填0–100之间的百分数（95表示95%）"),
        "rate": DataValidation(type="decimal", operator="between", formula1="0", formula2="1",
                               showErrorMessage=True, error="请填0–1之间的小数"),
        "yesno": DataValidation(type="list", formula1='"是,否"', showErrorMessage=True, error="请选择“是”或“否”"),
        "level": DataValidation(type="list", formula1='"Ⅰ,Ⅱ,Ⅲ,Ⅳ"', showErrorMessage=True,
                                error="请选择Ⅰ、Ⅱ、Ⅲ或Ⅳ"),
    }
    for dv in by_kind.values():
        dv.allow_blank = True
        ws.add_data_validation(dv)
    for j, f in enumerate(FORM_FIELDS, start=4):
        col = _excel_col(j)
        by_kind[f.kind].add(f"{col}2:{col}{last}")
    # instructions
    wi = wb.create_sheet(INSTRUCTIONS_SHEET)
    wi.append(["县区优质均衡填报表 填表说明"])
    wi["A1"].font = Font(bold=True, size=14)
    wi.append(["每个县区、每个学年填一行。百分数填0–100的数（95表示95%）；校际差异率填小数；一票否决项填“是”或“否”。"
               "不掌握的数据请留空（报告中显示为“无数据”），不要填0。表格中已有的数据（如教师持证）以学校和教师表为准。"])
    wi.append([])
    wi.append(["列", "表头", "含义", "填写要求", "对应评估项目"])
    for c in "ABCDE":
        wi[f"{c}4"].font = bold
    for j, (_, h) in enumerate(_KEY_HEADERS, start=1):
        wi.append([_excel_col(j), h, "必填", "从下拉列表选择县区；县区代码；四位学年", ""])
    for j, f in enumerate(FORM_FIELDS, start=4):
        wi.append([_excel_col(j), f.header, f.meaning, _KIND_ALLOWED[f.kind], f.item])
    for c, w in zip("ABCDE", (6, 40, 60, 30, 12)):
        wi.column_dimensions[c].width = w
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    wb.save(p)
    return p


_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def _parse(f: FormField, raw: Any, number_format: str) -> tuple[Any, str | None, str | None]:
    """(value, error message, what to do) for one cell; value None = empty."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None, None
    if f.kind == "yesno":
        k = _norm(raw)
        if k in _YES:
            return True, None, None
        if k in _NO:
            return False, None, None
        return None, "不是“是”或“否” / not yes or no", "填“是”或“否”"
    if f.kind == "level":
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and float(raw).is_integer():
            k = str(int(raw))
        else:
            k = unicodedata.normalize("NFKC", str(raw)).strip().upper().removeprefix("水平").removesuffix("级")
        if k in _LEVELS:
            return _LEVELS[k], None, None
        return None, "不是学业水平等级Ⅰ–Ⅳ / not a level I–IV", "填Ⅰ、Ⅱ、Ⅲ或Ⅳ（或1–4），本轮未监测留空"
    pct_cell = "%" in (number_format or "")
    if isinstance(raw, bool):
        return None, "应为数字 / not a number", "填数字"
    if isinstance(raw, (int, float)):
        x = float(raw)
        if f.kind == "share" and pct_cell:
            x *= 100.0  # a cell formatted as percent holds the proportion
    else:
        t = unicodedata.normalize("NFKC", str(raw)).strip().replace(",", "")
        is_pct = t.endswith("%")
        t = t.rstrip("%").strip()
        if not _NUM_RE.match(t):
            return None, "文字出现在数字列 / text in a number cell", "改为数字（不要写单位或文字），不掌握请留空"
        x = float(t)
        if is_pct and f.kind != "share":
            return None, "此列不是百分数 / this column is not a percentage", f"按表头单位填写：{_KIND_ALLOWED[f.kind]}"
    if x < 0:
        return None, "不能为负数 / negative", "填不小于0的数"
    if f.kind == "int":
        if not x.is_integer():
            return None, "应为整数 / not a whole number", "填整数"
        return int(x), None, None
    if f.kind == "share":
        if x > 100:
            return None, "百分数超过100% / share above 100 %", "填0–100之间的百分数（95表示95%）"
        return x / 100.0, None, None
    if f.kind == "rate" and x > 1:
        return None, "校际差异率应在0–1之间 / rate above 1", "填小数，如0.12（不是12）"
    return x, None, None


def read_county_form(path: str | Path, *, units: Sequence[tuple[str, str]] = REPORTING_UNITS) -> CountyFormReading:
    """Read a filled county-facts form.

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` written by :func:`write_county_form` and filled in.
    units : sequence of (county, county_code)
        Known counties; a row naming another county (or none) is rejected.

    Returns
    -------
    CountyFormReading
        ``frame, problems = read_county_form(path)`` also works. Frame dtypes: ``county``,
        ``county_code`` str; ``school_year`` int64; int fields and levels Int64; numbers, shares
        (proportions in [0, 1]) and rates float64; yes/no boolean. Empty cells are NA.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        The file has no sheet ``县区填报`` or no 县区 / 学年 header.

    Notes
    -----
    Row-level checks besides the cells: a known county; the code, when filled, matches the county;
    a four-digit school year; one row per county × school year; allocated ≤ total quota places;
    funded-as-100 ≤ small schools. Every problem rejects its row (nothing is half-read).
    """
    from openpyxl import load_workbook

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"county form {p} not found")
    wb = load_workbook(p, data_only=True)
    if DATA_SHEET not in wb.sheetnames:
        raise ValueError(f"{p.name}: no sheet “{DATA_SHEET}” (sheets: {wb.sheetnames}); use the form written by "
                         "`lyganalysis form county-facts`")
    ws = wb[DATA_SHEET]
    header_cells = next(ws.iter_rows(min_row=1, max_row=1), ())
    by_header = {_norm(h): k for k, h in _KEY_HEADERS}
    by_header.update({_norm(f.header): f.key for f in FORM_FIELDS})
    by_header[_norm("学年")] = "school_year"
    fields = {f.key: f for f in FORM_FIELDS}
    cols: dict[int, str] = {}
    problems: list[FormProblem] = []
    for j, c in enumerate(header_cells, start=1):
        if c.value is None:
            continue
        key = by_header.get(_norm(c.value))
        if key is None:
            problems.append(FormProblem(p.name, DATA_SHEET, 1, str(c.value), None, "未识别的列，已忽略 / unknown column, ignored",
                                        "使用 `lyganalysis form county-facts` 生成的表头", "warning"))
        else:
            cols[j] = key
    headers = {k: h for k, h in _KEY_HEADERS} | {f.key: f.header for f in FORM_FIELDS}
    for need in ("county", "school_year"):
        if need not in cols.values():
            raise ValueError(f"{p.name}, sheet “{DATA_SHEET}”: no column “{headers[need]}”; use the form written by "
                             "`lyganalysis form county-facts`")
    codes = dict(units)
    rows: list[dict] = []
    seen: dict[tuple[str, int], int] = {}
    rows_read = 0
    for r, cells in enumerate(ws.iter_rows(min_row=2), start=2):
        vals = {cols[j]: cell for j, cell in enumerate(cells, start=1) if j in cols}
        if all(c.value is None or (isinstance(c.value, str) and not c.value.strip()) for c in vals.values()):
            continue
        rows_read += 1
        rec: dict[str, Any] = {}
        bad: list[FormProblem] = []

        def err(col: str, raw: Any, msg: str, action: str, bad: list[FormProblem] = bad, r: int = r) -> None:
            bad.append(FormProblem(p.name, DATA_SHEET, r, headers[col], None if raw is None else str(raw), msg, action))

        cv = vals["county"].value
        county = None if cv is None else unicodedata.normalize("NFKC", str(cv)).strip()
        if not county:
            err("county", cv, "缺少县区 / county missing", "从下拉列表选择县区")
        elif county not in codes:
            err("county", cv, "未知县区 / unknown county", "从下拉列表选择：" + "、".join(codes))
        code_cell = vals.get("county_code")
        code = None if code_cell is None or code_cell.value is None else str(code_cell.value).strip().removesuffix(".0")
        if county in codes:
            if code and code != codes[county]:
                err("county_code", code, f"县区代码与县区不符（{county}应为{codes[county]}） / code does not match the county",
                    f"改为{codes[county]}或留空")
            code = codes[county]
        yv = vals["school_year"].value
        try:
            year = int(float(str(yv).strip())) if yv is not None else None
        except ValueError:
            year = None
        if year is None or not 2000 <= year <= 2100:
            err("school_year", yv, "学年缺失或不是四位年份 / school year missing or not a year", "填四位年份，如2022")
        for key, cell in vals.items():
            if key in ("county", "county_code", "school_year"):
                continue
            f = fields[key]
            v, msg, action = _parse(f, cell.value, cell.number_format)
            if msg:
                err(key, cell.value, msg, action)
            rec[key] = v
        if rec.get("quota_places_allocated") is not None and rec.get("quota_places_total") is not None \
                and rec["quota_places_allocated"] > rec["quota_places_total"]:
            err("quota_places_allocated", rec["quota_places_allocated"], "分配名额多于招生计划总数 / allocated > total",
                "核对名额分配数与招生计划总数")
        if rec.get("quota_places_rural") is not None and rec.get("quota_places_allocated") is not None \
                and rec["quota_places_rural"] > rec["quota_places_allocated"]:
            err("quota_places_rural", rec["quota_places_rural"], "农村初中名额多于分配名额 / rural > allocated",
                "核对农村初中名额")
        if rec.get("small_schools_funded_as_100") is not None and rec.get("small_schools") is not None \
                and rec["small_schools_funded_as_100"] > rec["small_schools"]:
            err("small_schools_funded_as_100", rec["small_schools_funded_as_100"],
                "多于不足100人的学校数 / more than the small schools", "核对两列学校数")
        if county in codes and year is not None and not bad:
            if (county, year) in seen:
                err("county", county, f"与第{seen[(county, year)]}行重复（同一县区、学年） / duplicate county × year",
                    "每个县区每个学年只填一行")
            else:
                seen[(county, year)] = r
        if bad:
            problems.extend(bad)
            continue
        rec.update(county=county, county_code=code, school_year=year)
        rows.append(rec)
    frame = form_frame(rows)
    return CountyFormReading(frame, tuple(problems), rows_read, len(rows), rows_read - len(rows), str(p))


def form_frame(rows: list[dict]) -> pd.DataFrame:
    """The form's table from records (county, county_code, school_year and field keys; shares as
    proportions) in the dtypes :func:`read_county_form` returns; absent keys become NA."""
    keys = ["county", "county_code", "school_year"] + [f.key for f in FORM_FIELDS]
    df = pd.DataFrame(rows, columns=keys)
    out = {"county": df["county"].astype("str"), "county_code": df["county_code"].astype("str"),
           "school_year": df["school_year"].astype("int64")}
    for f in FORM_FIELDS:
        s = df[f.key].astype("object")
        if f.kind in ("int", "level"):
            out[f.key] = pd.array([None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else int(v)
                                   for v in s], dtype="Int64")
        elif f.kind == "yesno":
            out[f.key] = pd.array([None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else bool(v)
                                   for v in s], dtype="boolean")
        else:
            out[f.key] = pd.to_numeric(s, errors="raise").astype("float64")
    return pd.DataFrame(out)
