"""Value cleaning: text cells from :mod:`lyganalysis.io` into typed values, every change logged.

Everything here is pure (frame/series in, new frame/series out). Nothing is silently coerced:
a value that cannot be parsed is recorded as a problem with its row and raw text, and a
placeholder such as '—' becomes *missing* (never 0) with the reason recorded.

Functions that take ``log=`` record into a :class:`ChangeLog`; when no log is passed and a value
fails, they raise :class:`CleaningError` instead, so a failure can never pass unseen.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

import pandas as pd

from .io.common import FORMAT_CHARS_RE, remove_format_chars, visible
from .units import reporting_units, resolve_unit

__all__ = [
    "ParsedValue",
    "Change",
    "Problem",
    "ChangeLog",
    "CleaningError",
    "CountyRef",
    "COUNTIES",
    "normalize_text",
    "format_chars_in",
    "visible",
    "parse_number",
    "clean_numeric",
    "normalize_county",
    "locale_from_code",
    "school_type_from_label",
    "parse_date",
    "clean_dates",
    "clean_text",
    "parse_year_month",
    "parse_school_year",
    "parse_grade",
    "ABSENT_WORDS",
]

# ---------------------------------------------------------------------------------------------
# Change log
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    column: str
    row: Hashable
    raw: Any
    clean: Any
    rule: str


@dataclass(frozen=True)
class Problem:
    column: str
    row: Hashable
    raw: Any
    reason: str  # short code, e.g. "unparseable", "placeholder", "approximate"
    message: str  # human text, Chinese first then English
    severity: str = "error"  # "error" | "warning"


@dataclass
class ChangeLog:
    """Every change a cleaning function made, and every value it could not clean."""

    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def record(self, column: str, row: Hashable, raw: Any, clean: Any, rule: str) -> None:
        self.changes.append(Change(column, row, raw, clean, rule))

    def problem(
        self, column: str, row: Hashable, raw: Any, reason: str, message: str, severity: str = "error"
    ) -> None:
        self.problems.append(Problem(column, row, raw, reason, message, severity))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [(c.column, c.row, str(c.raw), str(c.clean), c.rule) for c in self.changes],
            columns=["column", "row", "raw", "clean", "rule"],
        )

    def problems_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [(p.column, p.row, str(p.raw), p.reason, p.message, p.severity) for p in self.problems],
            columns=["column", "row", "raw", "reason", "message", "severity"],
        )


class CleaningError(ValueError):
    """Raised when values fail and no ChangeLog was given to hold the problems."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        lines = [f"{p.column} row {p.row}: '{visible(p.raw)}' — {visible(p.message)}" for p in self.problems[:10]]
        more = f"\n… and {len(self.problems) - 10} more" if len(self.problems) > 10 else ""
        super().__init__("\n".join(lines) + more)


# ---------------------------------------------------------------------------------------------
# Text normalisation
# ---------------------------------------------------------------------------------------------

def normalize_text(raw: Any) -> str:
    """NFKC, then remove every Unicode space (U+3000, U+00A0, U+2002–U+200A …) and every
    format character (Unicode category Cf: BOM, zero-width space and joiners, direction marks
    and isolates such as U+200E or U+2066, soft hyphen)."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or raw is pd.NA:
        return ""
    text = FORMAT_CHARS_RE.sub("", unicodedata.normalize("NFKC", str(raw)))
    return "".join(text.split())


def format_chars_in(raw: Any) -> tuple[str, ...]:
    """The Cf characters in ``raw`` as 'U+XXXX' names (empty when there are none)."""
    if raw is None or not isinstance(raw, str) or not FORMAT_CHARS_RE.search(raw):
        return ()
    return remove_format_chars(raw)[1]


def _strip_text(raw: Any) -> str:
    """NFKC, no Cf characters, trimmed surrounding spaces (inner spaces kept: used for names)."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or raw is pd.NA:
        return ""
    text = remove_format_chars(unicodedata.normalize("NFKC", str(raw)))[0]
    return re.sub(r"\s+", " ", text).strip()


def _is_missing(raw: Any) -> bool:
    if raw is None or raw is pd.NA:
        return True
    try:
        return bool(isinstance(raw, float) and math.isnan(raw))
    except TypeError:
        return False


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedValue:
    value: int | float | None  # None = missing
    unit: str | None = None  # unit word found and stripped ('人', '元', 'm2', '%' …)
    flags: tuple[str, ...] = ()  # e.g. ('multiplier:万',), ('placeholder',), ('approximate',)
    reason: str | None = None  # why the value is missing / failed; None when parsed cleanly
    raw: Any = None

    @property
    def ok(self) -> bool:
        """False only for values that could not be parsed (placeholders and blanks are ok)."""
        return "unparseable" not in self.flags

    @property
    def missing(self) -> bool:
        return self.value is None


PLACEHOLDERS = frozenset({"", "-", "--", "—", "——", "–", "―", "─", "/", "\\", "无", "N/A", "n/a", "NA", "null", "NULL"})
_APPROX_PREFIX = ("约", "大约", "大概", "近", "~", "≈", "∼")
_APPROX_SUFFIX = ("左右", "余", "多", "以上", "以下", "+")
_MULTIPLIERS = {"千": 10**3, "万": 10**4, "亿": 10**8, "百万": 10**6, "千万": 10**7}
# unit words, longest first; values are the unit recorded (after NFKC: ㎡/m² → m2)
_UNITS = (
    ("平方米", "m2"),
    ("平米", "m2"),
    ("m2", "m2"),
    ("m^2", "m2"),
    ("人次", "人次"),
    ("元", "元"),
    ("人", "人"),
    ("所", "所"),
    ("个", "个"),
    ("名", "名"),
    ("班", "班"),
    ("间", "间"),
    ("分", "分"),
    ("台", "台"),
    ("册", "册"),
    ("本", "本"),
    ("套", "套"),
    ("岁", "岁"),
    ("位", "位"),
)
_EXCEL_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#ERROR"})
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def _fail(raw: Any, reason: str, *, unit: str | None = None) -> ParsedValue:
    return ParsedValue(None, unit, ("unparseable",), reason, raw)


def parse_number(raw: Any) -> ParsedValue:
    """Parse one cell as a number, the way a bureau clerk wrote it.

    NFKC (full-width digits), every Unicode space removed, thousands separators (',' '，'),
    multipliers 千/万/亿, trailing unit words recorded and stripped (人 所 个 名 班 间 元 万元 分
    m² 平方米 ㎡ …), '%' divided by 100. Placeholders (— - － / 无 blank) → missing with reason
    'placeholder'/'blank', never 0. '约45' → missing with flag 'approximate' (raw kept).
    Anything else → missing with flag 'unparseable' and a reason. Exact decimal arithmetic:
    '3.2亿' is exactly 320000000. Integral results come back as ``int``.
    """
    if _is_missing(raw):
        return ParsedValue(None, None, ("blank",), "blank", raw)
    if isinstance(raw, bool):
        return _fail(raw, "boolean is not a number")
    if isinstance(raw, int):
        return ParsedValue(raw, None, (), None, raw)
    if isinstance(raw, float):
        if math.isinf(raw):
            return _fail(raw, "infinite")
        return ParsedValue(int(raw) if raw.is_integer() else raw, None, (), None, raw)
    if isinstance(raw, Decimal):
        raw = str(raw)
    text = normalize_text(raw).replace("−", "-").replace("﹣", "-")
    if text in PLACEHOLDERS or re.fullmatch(r"[-—–―─]+", text or "-"):
        return ParsedValue(None, None, ("placeholder",) if text else ("blank",), "placeholder" if text else "blank", raw)
    if text.upper() in _EXCEL_ERRORS:
        return _fail(raw, f"Excel error value {text}")
    for p in _APPROX_PREFIX:
        if text.startswith(p) and len(text) > len(p):
            inner = parse_number(text[len(p):])
            if inner.value is not None:
                return ParsedValue(None, inner.unit, ("approximate",), f"approximate value {raw!s}", raw)
    for s in _APPROX_SUFFIX:
        if text.endswith(s) and len(text) > len(s):
            inner = parse_number(text[: -len(s)])
            if inner.value is not None:
                return ParsedValue(None, inner.unit, ("approximate",), f"approximate value {raw!s}", raw)

    flags: list[str] = []
    unit = None
    body = text
    for word, code in _UNITS:
        if body.endswith(word) and len(body) > len(word):
            unit = code
            body = body[: -len(word)]
            break
    percent = False
    if body.endswith("%"):
        percent = True
        body = body[:-1]
        unit = "%" if unit is None else unit
    elif body.endswith("‰"):
        return _fail(raw, "per-mille sign ‰ is not supported")
    scale = 1
    for word in ("千万", "百万", "万", "亿", "千"):
        if body.endswith(word) and len(body) > len(word):
            scale = _MULTIPLIERS[word]
            body = body[: -len(word)]
            flags.append(f"multiplier:{word}")
            if unit is None:
                unit = None
            elif unit == "元":
                unit = "元"
            break
    if "," in body:
        if not _GROUPED.match(body):
            return _fail(raw, "thousands separator in the wrong place", unit=unit)
        body = body.replace(",", "")
        flags.append("thousands_separator")
    if not _PLAIN.match(body):
        if re.fullmatch(r"[+-]?\d+(\.\d*)?[eE][+-]?\d+", body):
            return _fail(raw, "scientific notation: Excel may have dropped digits", unit=unit)
        return _fail(raw, "not a number", unit=unit)
    try:
        number = Decimal(body) * scale
    except InvalidOperation:  # pragma: no cover - regex guards this
        return _fail(raw, "not a number", unit=unit)
    if percent:
        number = number / 100
        flags.append("percent")
    if unit is not None and unit != "%":
        flags.append(f"unit:{unit}")
    value: int | float = int(number) if number == number.to_integral_value() else float(number)
    return ParsedValue(value, unit, tuple(flags), None, raw)


_PROBLEM_TEXT = {
    "approximate": ("约数，需填写确切数字", "approximate value: give the exact number"),
    "not_integer": ("应为整数", "must be a whole number"),
    "unit": ("单位与该列不符", "unit does not fit this column"),
    "percent_in_count": ("计数列不应为百分数", "a count cannot be a percentage"),
    "ambiguous_proportion": ("比例应写为0–1的小数或带%", "write proportions as 0–1 or with %"),
    "negative": ("不能为负数", "cannot be negative"),
}


def clean_numeric(
    series: pd.Series,
    *,
    column: str,
    kind: str = "int",
    log: ChangeLog | None = None,
    rows: Sequence[Hashable] | None = None,
    allowed_units: set[str] | frozenset[str] | None = None,
    scale: int | float = 1,
    allow_negative: bool = False,
) -> pd.Series:
    """Clean a column of numeric text. ``kind``: "int" (→ Int64), "float" or "proportion" (0–1).

    Each distinct raw value is parsed once with :func:`parse_number`, so the work is per unique
    value. ``rows`` are the row numbers used in the log (default: the series index). ``scale``
    multiplies every value (e.g. 10000 for a header that says （万元）). Unparseable values,
    approximate values, non-integers in an integer column, units that do not fit
    (``allowed_units``) and negatives are recorded as problems; the value becomes missing.
    """
    if kind not in ("int", "float", "proportion"):
        raise ValueError(f"kind must be int, float or proportion, not {kind!r}")
    own_log = log is None
    log = log if log is not None else ChangeLog()
    row_ids = list(rows) if rows is not None else list(series.index)
    # work per distinct raw value (a score column of 600,000 rows has a few hundred), then
    # spread the results back; problems and changes are still logged for every row
    raw_values = series.tolist()
    codes, uniques = pd.factorize(pd.Series(raw_values, dtype=object), use_na_sentinel=True)
    uniq = list(uniques) + [None]  # code -1 (missing) → the last slot
    results: list[tuple[Any, tuple[str, str] | None, str | None, bool]] = []  # value, problem, rule, approx
    for raw in uniq:
        pv = parse_number(raw)
        value = pv.value
        problem: tuple[str, str] | None = None
        rule: str | None = None
        approx = False
        if not pv.ok:
            problem = ("unparseable", f"无法识别为数字（{pv.reason}） / cannot read as a number ({pv.reason})")
        elif "approximate" in pv.flags:
            approx = True
            rule = "approximate→missing"
        elif value is None:
            if pv.reason == "placeholder":
                rule = "placeholder→missing"
        else:
            if scale != 1:
                d = Decimal(str(value)) * Decimal(str(scale))
                value = int(d) if d == d.to_integral_value() else float(d)
            if allowed_units is not None and pv.unit not in (None, "%") and pv.unit not in allowed_units:
                problem = ("unit", f"{_PROBLEM_TEXT['unit'][0]}（{pv.unit}） / {_PROBLEM_TEXT['unit'][1]} ({pv.unit})")
            elif kind == "int" and "percent" in pv.flags:
                problem = ("percent_in_count", " / ".join(_PROBLEM_TEXT["percent_in_count"]))
            elif kind == "int" and not float(value).is_integer():
                problem = ("not_integer", " / ".join(_PROBLEM_TEXT["not_integer"]))
            elif kind == "proportion" and "percent" not in pv.flags and not (0 <= value <= 1):
                problem = ("ambiguous_proportion", " / ".join(_PROBLEM_TEXT["ambiguous_proportion"]))
            elif not allow_negative and value < 0:
                problem = ("negative", " / ".join(_PROBLEM_TEXT["negative"]))
            elif pv.flags or scale != 1 or not isinstance(raw, (int, float)) and str(raw) != str(value):
                rule = ",".join(pv.flags) or ("scale" if scale != 1 else "text→number")
        if problem is not None:
            value = None
        results.append((value, problem, rule, approx))
    flagged = [i for i, r in enumerate(results) if r[1] is not None or r[2] is not None]
    if flagged:
        flagged_set = set(flagged)
        for pos, code in enumerate(codes.tolist()):
            if code in flagged_set or (code == -1 and len(uniq) - 1 in flagged_set):
                value, problem, rule, approx = results[code]
                row, raw = row_ids[pos], raw_values[pos]
                if approx:
                    zh, en = _PROBLEM_TEXT["approximate"]
                    log.problem(column, row, raw, "approximate", f"{zh} / {en}", severity="warning")
                if problem is not None:
                    log.problem(column, row, raw, problem[0], problem[1])
                elif rule is not None:
                    log.record(column, row, raw, value, rule)
    values_u = [r[0] for r in results]
    out = [values_u[c] for c in codes.tolist()]
    if own_log and log.errors:
        raise CleaningError(log.errors)
    if kind == "int":
        return pd.Series(pd.array([None if v is None else int(v) for v in out], dtype="Int64"), index=series.index, name=series.name)
    return pd.Series([math.nan if v is None else float(v) for v in out], index=series.index, name=series.name, dtype="float64")


def clean_text(series: pd.Series, *, column: str, log: ChangeLog | None = None, rows: Sequence[Hashable] | None = None) -> pd.Series:
    """NFKC + trimmed text; blanks and placeholders become missing (NA). Each change is logged
    (the work is done once per distinct value)."""
    row_ids = list(rows) if rows is not None else list(series.index)
    raw_values = series.tolist()
    codes, uniques = pd.factorize(pd.Series(raw_values, dtype=object), use_na_sentinel=True)
    clean_u: list[Any] = []
    for raw in list(uniques) + [None]:
        text = _strip_text(raw)
        if normalize_text(text) in PLACEHOLDERS:
            text = None
        clean_u.append(text)
    out = [clean_u[c] for c in codes.tolist()]
    if log is not None:
        changed = {i for i, (raw, text) in enumerate(zip(list(uniques), clean_u)) if text != raw
                   and not (text is None and (raw == "" or _is_missing(raw)))}
        if changed:
            rules = {}
            for i in changed:
                cf = format_chars_in(list(uniques)[i])
                rules[i] = "text" if not cf else "text; invisible characters removed: " + " ".join(cf)
            for pos, code in enumerate(codes.tolist()):
                if code in changed:
                    log.record(column, row_ids[pos], raw_values[pos], out[pos], rules[code])
    return pd.Series(out, index=series.index, name=series.name, dtype="str")


# ---------------------------------------------------------------------------------------------
# Counties (reporting units)
# ---------------------------------------------------------------------------------------------


class CountyRef(NamedTuple):
    county: str
    county_code: str


#: Today's reporting units → code, from the units table (:mod:`lyganalysis.units`): GB/T 2260
#: codes for the six districts/counties, the NBS statistical code 320771 of 连云港经济技术开发区,
#: 320700 (the city's own code) for 市直, and local codes LYGX72/LYGX73 for 徐圩新区 and
#: 云台山景区, which have no official code.
COUNTIES: dict[str, str] = reporting_units()


def normalize_county(name_or_code: Any, *, school_year: int | None = None, level: str = "school") -> CountyRef:
    """Map a county name, alias or code onto the reporting unit ``(county, county_code)`` in
    force in ``school_year`` (see :func:`lyganalysis.units.resolve_unit`).

    Accepts 海州 / 海州区 / Haizhou, the functional zones (开发区 / 经济技术开发区 / 市开发区,
    徐圩, 云台山 / 云台山风景名胜区) and 市直 / 市属; official codes valid in that year (also
    320705 新浦区 and 320721 赣榆县 before their 2014 changes); the traditional-character forms
    of the unit names; a '连云港市' / '江苏省' prefix is ignored. A school in an abolished unit is
    given to its successor (新浦区 → 海州区, 赣榆县 → 赣榆区); a county-level figure only across
    a rename. Unknown values, and official units that are not reporting units (320772 =
    连云港高新技术产业开发区), → ``ValueError`` naming the value (and the unit).
    """
    if _is_missing(name_or_code):
        raise ValueError("county is missing / 县区为空")
    res = resolve_unit(name_or_code, school_year=school_year, level=level)
    return CountyRef(res.county, res.county_code)


# ---------------------------------------------------------------------------------------------
# Urban–rural classification, school types
# ---------------------------------------------------------------------------------------------

# 统计用城乡划分代码 (National Bureau of Statistics): 111 主城区, 112 城乡结合区, 121 镇中心区,
# 122 镇乡结合区, 123 特殊区域, 210 乡中心区, 220 村庄.
LOCALE_CODES = {"111": "urban", "112": "urban", "121": "town", "122": "town", "123": "town", "210": "rural", "220": "rural"}


def locale_from_code(code: Any) -> str:
    """统计用城乡划分代码 → 'urban' (11x) / 'town' (12x) / 'rural' (2xx). Invalid → ValueError."""
    if isinstance(code, float) and code.is_integer():
        code = int(code)
    text = normalize_text(code)
    locale = LOCALE_CODES.get(text)
    if locale is None:
        raise ValueError(
            f"城乡分类代码“{code}”无效，应为111、112、121、122、123、210或220 / "
            f"invalid urban-rural code {code!r}: expected one of {', '.join(LOCALE_CODES)}"
        )
    return locale


SCHOOL_TYPES = ("primary", "junior", "nine_year", "twelve_year", "complete_middle", "senior", "kindergarten", "special", "teaching_point")
_SCHOOL_TYPE_LABELS = {
    "小学": "primary",
    "完全小学": "primary",
    "中心小学": "primary",
    "初级中学": "junior",
    "初中": "junior",
    "九年一贯制学校": "nine_year",
    "九年一贯制": "nine_year",
    "九年制学校": "nine_year",
    "十二年一贯制学校": "twelve_year",
    "十二年一贯制": "twelve_year",
    "完全中学": "complete_middle",
    "完中": "complete_middle",
    "高级中学": "senior",
    "高中": "senior",
    "普通高中": "senior",
    "幼儿园": "kindergarten",
    "特殊教育学校": "special",
    "特教学校": "special",
    "特殊教育": "special",
    "教学点": "teaching_point",
    "小学教学点": "teaching_point",
    # 教育统计 学校(机构)类别代码
    "111": "kindergarten",
    "211": "primary",
    "218": "teaching_point",
    "311": "junior",
    "312": "nine_year",
    "341": "complete_middle",
    "342": "senior",
    "345": "twelve_year",
}


def school_type_from_label(label: Any) -> str:
    """Chinese school-type label (小学, 初中, 九年一贯制学校 …), statistics code or English code →
    one of :data:`SCHOOL_TYPES`. Unknown → ValueError naming the value."""
    text = normalize_text(label)
    if text.lower() in SCHOOL_TYPES:
        return text.lower()
    code = _SCHOOL_TYPE_LABELS.get(text)
    if code is None:
        raise ValueError(f"未知学校类型“{label}” / unknown school type {label!r}")
    return code


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------

_EXCEL_EPOCH = _dt.date(1899, 12, 30)
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
)


def parse_date(raw: Any) -> _dt.date:
    """Excel serial (1899-12-30 origin), YYYYMMDD number, 2021.09.01, 2021-9-1, 2021/9/1,
    2021年9月1日 (and date/datetime objects) → ``datetime.date``. Anything else → ValueError
    naming the raw value (a month without a day, two-digit years … are not guessed)."""
    if isinstance(raw, _dt.datetime):
        return raw.date()
    if isinstance(raw, _dt.date):
        return raw
    if isinstance(raw, pd.Timestamp):
        return raw.date()
    if _is_missing(raw):
        raise ValueError("date is missing / 日期为空")
    text = normalize_text(raw)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        text = str(int(raw)) if float(raw).is_integer() else repr(float(raw))
    try:
        if re.fullmatch(r"\d{8}", text):
            return _dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if re.fullmatch(r"\d{1,5}(\.\d+)?", text):
            serial = float(text)
            if serial < 61:
                raise ValueError("serial before 1900-03-01 is ambiguous (Excel's 1900 leap-year bug)")
            return _EXCEL_EPOCH + _dt.timedelta(days=int(serial))
        spaced = re.sub(r"\s+", " ", _strip_text(raw))
        for pattern in _DATE_PATTERNS:
            m = pattern.match(spaced) or pattern.match(text)
            if m:
                return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError as exc:
        raise ValueError(f"无效日期“{raw}” / invalid date {raw!r}: {exc}") from exc
    raise ValueError(f"无法识别的日期“{raw}” / unrecognised date {raw!r}: write it as 2021-09-01")


def clean_dates(
    series: pd.Series, *, column: str, log: ChangeLog | None = None, rows: Sequence[Hashable] | None = None
) -> pd.Series:
    """Parse a column of dates; blanks/placeholders → missing; failures recorded as problems."""
    own_log = log is None
    log = log if log is not None else ChangeLog()
    row_ids = list(rows) if rows is not None else list(series.index)
    out: list[Any] = []
    for row, raw in zip(row_ids, series.tolist()):
        if normalize_text(raw) in PLACEHOLDERS:
            out.append(None)
            continue
        try:
            value = parse_date(raw)
        except ValueError as exc:
            log.problem(column, row, raw, "date", str(exc))
            value = None
        else:
            if str(raw) != value.isoformat():
                log.record(column, row, raw, value, "date")
        out.append(value)
    if own_log and log.errors:
        raise CleaningError(log.errors)
    return pd.Series(out, index=series.index, name=series.name, dtype="object")


# ---------------------------------------------------------------------------------------------
# Year-month, school year, grade
# ---------------------------------------------------------------------------------------------

_YM_RE = re.compile(r"^(\d{4})(?:[-./]|年)(\d{1,2})月?(?:(?:[-./]|月)(\d{1,2})日?)?$")


def parse_year_month(raw: Any) -> tuple[int, int]:
    """出生年月 → (year, month): 1985.03, 1985-3, 1985/03, 1985年3月, 198503, 1985-03-12.

    '1985.1' is refused: Excel shows 1985.10 (October) as 1985.1, so it may be January or
    October (ValueError, the clerk must check). Anything else → ValueError naming the value."""
    if _is_missing(raw):
        raise ValueError("出生年月为空 / year-month is missing")
    text = normalize_text(raw)
    if re.fullmatch(r"\d{4}\.1", text):
        raise ValueError(
            f"出生年月“{raw}”有歧义：可能是1月也可能是10月（Excel把1985.10显示为1985.1） / "
            f"ambiguous year-month {raw!r}: January or October? write 1985-10 or 1985-01"
        )
    m = re.fullmatch(r"(\d{4})(\d{2})", text) or _YM_RE.match(text)
    if not m:
        raise ValueError(f"无法识别的出生年月“{raw}” / unrecognised year-month {raw!r}: write it as 1985-03")
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12 or year < 1900:
        raise ValueError(f"无效的出生年月“{raw}” / invalid year-month {raw!r}")
    return year, month


def parse_school_year(raw: Any) -> int:
    """学年 → the autumn year: 2021, 2021学年, 2021-2022, 2021—2022学年(度), 2021-22 → 2021.

    A span whose second year is not the first + 1 → ValueError (never guessed)."""
    if _is_missing(raw):
        raise ValueError("学年为空 / school year is missing")
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and float(raw).is_integer():
        raw = str(int(raw))
    text = normalize_text(raw).replace("—", "-").replace("–", "-").replace("～", "-").replace("~", "-").replace("至", "-")
    text = re.sub(r"(学年度|学年|年度|年)$", "", text)
    m = re.fullmatch(r"(\d{4})(?:-(\d{4}|\d{2}))?", text)
    if not m:
        raise ValueError(f"无法识别的学年“{raw}” / unrecognised school year {raw!r}: write 2021 for 2021–22")
    first = int(m.group(1))
    if m.group(2):
        second = int(m.group(2)) if len(m.group(2)) == 4 else first // 100 * 100 + int(m.group(2))
        if second != first + 1:
            raise ValueError(f"学年“{raw}”前后年份不相邻 / school year {raw!r}: the two years must be consecutive")
    return first


_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "十一": 11, "十二": 12}


def parse_grade(raw: Any) -> int:
    """年级 → 1–12: 6, 6年级, 六年级, 初一…初三 (7–9), 高一…高三 (10–12), 七年级 …"""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and float(raw).is_integer():
        raw = str(int(raw))
    text = normalize_text(raw)
    text = re.sub(r"年级$", "", text)
    if text.isdigit():
        g = int(text)
    elif text in _CN_NUM:
        g = _CN_NUM[text]
    elif len(text) == 2 and text[0] in "初高" and text[1] in "一二三":
        g = _CN_NUM[text[1]] + (6 if text[0] == "初" else 9)
    else:
        raise ValueError(f"无法识别的年级“{raw}” / unrecognised grade {raw!r}: write 6 or 六年级")
    if not 1 <= g <= 12:
        raise ValueError(f"年级“{raw}”超出1–12 / grade {raw!r} outside 1–12")
    return g


#: Words that mark a paper as missed when they stand in the score cell.
ABSENT_WORDS = frozenset({"缺考", "缺", "缺席", "未考", "缺考(病假)", "缺考(事假)", "absent"})
