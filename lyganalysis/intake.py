"""Intake of a folder of bureau exports: read (each file by its content: :func:`lyganalysis.io.read_file`),
map headers, clean, resolve reporting units (:mod:`lyganalysis.units`), reconcile totals, account
for every row, and report problems a clerk can act on. Rejected-rows files never hold raw ID
numbers or names.

Public entry points: :func:`validate_directory` (the CLI's ``lyganalysis validate DIR``),
:func:`read_raw` / :func:`read_dataset` (``lyganalysis report --raw DIR [--accept-rejected]``).
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from . import cleaning, ids
from .cleaning import ChangeLog
from .io import ReadError, ReadResult, read_file, visible
from .io.common import _first_text_cell
from .units import LOCAL_CODE_PATTERN, resolve_unit
from .writers import write_csv

if TYPE_CHECKING:
    from .datasets import Dataset

__all__ = [
    "HeaderMap",
    "ColumnMatch",
    "load_header_map",
    "IntakeProblem",
    "TableReport",
    "IntakeReport",
    "reconcile_totals",
    "clean_table",
    "validate_directory",
    "read_dataset",
    "IntakeError",
    "SORT_KEYS",
    "sort_canonical",
    "EXPORT_META_FILE",
    "RawIntake",
    "read_raw",
    "REJECTED_FILE_NOTICE",
    "PLAUSIBLE_TEACHER_AGE",
    "EARLIEST_ENTRY_YEAR",
]

_DEFAULT_MAP = Path(__file__).with_name("header_map.yaml")

# ---------------------------------------------------------------------------------------------
# Header mapping
# ---------------------------------------------------------------------------------------------


def _key(text: str) -> str:
    """Matching key of a header or label: NFKC, no spaces, no format characters (Cf), lower case."""
    text = unicodedata.normalize("NFKC", str(text))
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf").lower()


_UNIT_RE = re.compile(r"^(.*?)[(\[]([^()\[\]]+)[)\]]$")


@dataclass(frozen=True)
class ColumnMatch:
    header: str  # as read
    canonical: str | None  # None = unknown
    scale: int = 1  # from a bracketed unit, e.g. (万元) → 10000
    unit: str | None = None
    note: str = ""  # why it is unknown / how the stage was found
    dropped: bool = False  # read and dropped on purpose (姓名, 序号): never kept


@dataclass
class HeaderMap:
    columns: dict[str, str]  # key(variant) → canonical
    stage_columns: dict[str, str]  # key(variant) → base
    stages: dict[str, str]  # stage word → stage code
    units: dict[str, int]  # key(unit) → scale
    dropped: dict[str, str] = field(default_factory=dict)  # key(variant) → what it is (name, row_number)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # column → key(label) → code

    def value_code(self, column: str, raw: Any) -> str | None:
        """Canonical code of a Chinese value label (or of the code itself), else None."""
        labels = self.values.get(column, {})
        k = _key(raw)
        if k in labels:
            return labels[k]
        codes = set(labels.values())
        return k if k in codes else None

    def stage_of(self, text: str | None) -> str | None:
        """The one stage named in ``text`` (sheet or file name), else None."""
        if not text:
            return None
        found = {code for word, code in self.stages.items() if word in _key(text)}
        return found.pop() if len(found) == 1 else None

    def resolve(self, header: str, *, stage: str | None = None) -> ColumnMatch:
        key = _key(header)
        if key in self.dropped:
            return ColumnMatch(header, None, note=self.dropped[key], dropped=True)
        if key in self.columns:  # a listed variant wins, brackets and all: 所在县(市、区)
            return ColumnMatch(header, self.columns[key])
        scale, unit = 1, None
        m = _UNIT_RE.match(key)
        if m and m.group(2) in self.stages:  # 在校生数(小学): a stage in brackets, not a unit
            key, m = f"{m.group(1)}_{m.group(2)}", None
        if m and (m.group(1) in self.columns or self._stage_base(m.group(1))[0] is not None):
            unit = m.group(2)
            if unit not in self.units:
                return ColumnMatch(header, None, note=f"表头单位“{unit}”未知 / unknown unit '{unit}' in header")
            scale = self.units[unit]
            key = m.group(1)
        if key in self.columns:
            return ColumnMatch(header, self.columns[key], scale, unit)
        base, own_stage = self._stage_base(key)
        if base is not None:
            st = own_stage or stage
            if st is None:
                return ColumnMatch(
                    header,
                    None,
                    note=(
                        f"不知道“{header}”属于哪个学段，请改为如“小学{header}” / "
                        f"stage of '{header}' unknown: rename it e.g. '小学{header}' or name the sheet after the stage"
                    ),
                )
            return ColumnMatch(header, f"{base}_{st}", scale, unit, note="" if own_stage else f"stage from sheet: {st}")
        return ColumnMatch(header, None, note="未识别的列 / unknown column")

    def _stage_base(self, key: str) -> tuple[str | None, str | None]:
        if key in self.stage_columns:
            return self.stage_columns[key], None
        for word, code in sorted(self.stages.items(), key=lambda kv: -len(kv[0])):
            for rest in (
                key[len(word):].lstrip("_") if key.startswith(word) else None,
                key[: -len(word)].rstrip("_") if key.endswith(word) else None,
            ):
                if rest and rest in self.stage_columns:
                    return self.stage_columns[rest], code
        return None, None


def _merge_map(target: dict, data: Mapping) -> None:
    for column, labels in (data.get("values") or {}).items():
        slot = target["values"].setdefault(column, {})
        for label, code in (labels or {}).items():
            slot[_key(label)] = str(code)
    for section in ("columns", "stage_columns", "stages", "units", "dropped"):
        for name, values in (data.get(section) or {}).items():
            if section == "units":
                target[section][_key(name)] = int(values)
                continue
            for v in values if isinstance(values, list) else [values]:
                if section == "stages":
                    target[section][_key(v)] = name
                else:
                    target[section][_key(v)] = name


def load_header_map(path: str | Path | None = None, *, extra: str | Path | Mapping | None = None) -> HeaderMap:
    """Load the bundled mapping (or ``path``) and add a user's ``extra`` mapping (file or dict)."""
    target: dict[str, dict] = {"columns": {}, "stage_columns": {}, "stages": {}, "units": {}, "dropped": {}, "values": {}}
    with open(path or _DEFAULT_MAP, encoding="utf-8") as fh:
        _merge_map(target, yaml.safe_load(fh) or {})
    if extra is not None:
        if not isinstance(extra, Mapping):
            with open(extra, encoding="utf-8") as fh:
                extra = yaml.safe_load(fh) or {}
        _merge_map(target, extra)
    return HeaderMap(**target)


# ---------------------------------------------------------------------------------------------
# Report structures
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntakeProblem:
    file: str
    sheet: str | None
    row: int | None  # row number as the user sees it in Excel / a text editor
    column: str | None
    raw: str | None
    message: str  # Chinese first, then English
    action: str  # what to do
    severity: str = "error"  # "error" | "warning"

    def render(self) -> str:
        where = [self.file]
        if self.sheet:
            where.append(f"工作表 sheet “{self.sheet}”")
        if self.row is not None:
            where.append(f"第{self.row}行 row {self.row}")
        if self.column:
            where.append(f"列 column “{self.column}”")
        raw = f" 原值 value “{self.raw}”" if self.raw not in (None, "") else ""
        tag = "错误 ERROR" if self.severity == "error" else "警告 warning"
        act = f"\n      处理 what to do: {self.action}" if self.action else ""
        # invisible characters (direction marks, zero-width spaces) are shown as ⟨U+XXXX⟩
        return visible(f"  [{tag}] {', '.join(where)}:{raw} {self.message}") + act


@dataclass
class TableReport:
    file: str
    sheet: str | None
    encoding: str | None = None
    rows_read: int = 0
    rows_kept: int = 0
    rows_rejected: int = 0
    table: str | None = None  # schools / teachers / scores / unknown
    columns: dict[str, str] = field(default_factory=dict)  # header → canonical
    unknown_columns: list[str] = field(default_factory=list)
    problems: list[IntakeProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    frame: pd.DataFrame | None = None  # kept rows, canonical columns
    rejected: pd.DataFrame | None = None  # rejected rows, raw values + reason
    rejected_path: Path | None = None
    changes: pd.DataFrame | None = None
    raw_frame: pd.DataFrame | None = None  # every data row as read (text), for late rejections
    source_rows: list[int] = field(default_factory=list)  # raw_frame row i ↔ row source_rows[i]
    all_rows: pd.DataFrame | None = None  # canonical values of every row, kept or not (references)
    private_columns: dict[str, str] = field(default_factory=dict)  # header → "id" | "name": masked in every output
    format: str | None = None  # what the file really was (io.FileRead.describe())
    rejected_schools: pd.DataFrame | None = None  # school_year, school_id of each rejected row (where readable)

    @property
    def errors(self) -> list[IntakeProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[IntakeProblem]:
        return [p for p in self.problems if p.severity == "warning"]


@dataclass
class IntakeReport:
    """Everything :func:`validate_directory` did: one :class:`TableReport` per table read;
    ``not_read`` maps each file that was not read to why (not a table: a Word document, a PDF,
    a README …; a lock file); ``ignored`` lists the same names (kept for callers of old)."""

    directory: Path
    tables: list[TableReport] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    not_read: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[IntakeProblem]:
        return [p for t in self.tables for p in t.errors]

    @property
    def warnings(self) -> list[IntakeProblem]:
        return [p for t in self.tables for p in t.warnings]

    @property
    def ok(self) -> bool:
        return bool(self.tables) and not self.errors

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def table(self, file: str, sheet: str | None = None) -> TableReport:
        for t in self.tables:
            if t.file == file and (sheet is None or t.sheet == sheet):
                return t
        raise KeyError((file, sheet))

    def render(self) -> str:
        lines = [f"数据检查报告 / intake report: {self.directory}", ""]
        if not self.tables:
            lines.append(f"  [错误 ERROR] {NO_TABLES_MESSAGE}")
        for t in self.tables:
            name = t.file + (f" [{t.sheet}]" if t.sheet else "")
            enc = f" · 编码 encoding {t.encoding}" if t.encoding else ""
            kind = f" · 表 table {t.table}" if t.table else ""
            lines.append(
                f"{name}{enc}{kind}: 读取 read {t.rows_read} · 保留 kept {t.rows_kept} · 拒绝 rejected {t.rows_rejected}"
            )
            if t.format:
                lines.append(f"  · {t.format}")
            for note in t.notes:
                lines.append(f"  · {visible(note)}")
            if t.unknown_columns:
                lines.append("  · 未识别的列（未使用） unknown columns (not used): " + "、".join(t.unknown_columns))
            for p in t.problems:
                lines.append(p.render())
            if t.rejected_path is not None:
                lines.append(f"  · 被拒绝的行已写入 rejected rows written to {t.rejected_path}")
            lines.append("")
        for name in self.ignored:
            why = self.not_read.get(name)
            lines.append(f"未读取 not read: {name}" + (f" — {why}" if why else ""))
        n_err, n_warn = len(self.errors) + (0 if self.tables else 1), len(self.warnings)
        verdict = "通过 OK" if self.ok else "未通过 FAILED"
        lines.append(f"结果 result: {verdict} — {n_err} 个错误 error(s), {n_warn} 个警告 warning(s); exit code {self.exit_code}")
        return "\n".join(lines)


NO_TABLES_MESSAGE = "文件夹中没有可读取的表格文件 / no table files in the folder (see the files not read below)"

# ---------------------------------------------------------------------------------------------
# Totals reconciliation
# ---------------------------------------------------------------------------------------------

# Headers whose total row holds an average, a ratio or a maximum rather than a sum.
_NON_ADDITIVE = re.compile(r"比|率|平均|均|最大|最小|占|%|ratio|rate|mean|max|min|代码|标识码|学年|年度|序号|编号|号码|year|code|id", re.I)


def reconcile_totals(result: ReadResult) -> list[IntakeProblem]:
    """Check 合计/总计 rows against the sum of all data rows and 小计 rows against the data rows
    of their group (the rows since the previous 小计/合计; or, for a 小计 placed above its rows,
    the rows up to the next one). Only additive numeric columns are checked. A mismatch is an
    error naming both numbers; a column that cannot be checked is a warning."""
    problems: list[IntakeProblem] = []
    frame = result.frame
    file, sheet = result.path.name, result.sheet
    sums = [s for s in result.special_rows if s.kind in ("total", "subtotal")]
    if not sums:
        return problems
    if result.cell_problems:
        for s in sums:
            problems.append(IntakeProblem(
                file, sheet, s.source_row, None, None,
                f"“{s.label}”行无法核对：工作表中的公式没有保存的结果 / the {s.kind} row is not checkable: "
                "formulas of the sheet have no saved result",
                "让Excel重新计算并保存后重新提交 / let Excel recalculate, save and send the file again", "warning"))
        return problems
    hidden_parsed = [(h, {c: cleaning.parse_number(v) for c, v in h.values.items()}) for h in result.hidden_rows]
    parsed: dict[str, list[Any]] = {}
    for col in frame.columns:
        if _NON_ADDITIVE.search(col):
            continue
        parsed[col] = [cleaning.parse_number(v) for v in frame[col].tolist()]
    boundaries = [s.position for s in sums]
    for i, s in enumerate(sums):
        if s.kind == "total":
            lo, hi = 0, len(frame)
        else:
            prev = max((b for b in boundaries[:i]), default=0)
            lo, hi = prev, s.position
            if lo == hi:  # subtotal above its rows
                hi = next((b for b in boundaries[i + 1 :] if b > lo), len(frame))
        for col, values in parsed.items():
            target = cleaning.parse_number(s.values.get(col, ""))
            if target.value is None:
                continue
            group = values[lo:hi]
            if any(not v.ok or "approximate" in v.flags for v in group):
                problems.append(
                    IntakeProblem(
                        file, sheet, s.source_row, col, s.values.get(col),
                        f"“{s.label}”无法核对：该组有无法识别的值 / cannot check {s.kind}: some rows in its group are unreadable",
                        "先更正该组中被报告的值 / correct the reported values first",
                        "warning",
                    )
                )
                continue
            total = sum((Decimal(str(v.value)) for v in group if v.value is not None), Decimal(0))
            expected = Decimal(str(target.value))
            if abs(total - expected) > Decimal("0.005"):
                rows = [result.source_rows[j] for j in range(lo, hi)]
                span = f"{rows[0]}–{rows[-1]}" if rows else "—"
                hid = [(h, pv[col]) for h, pv in hidden_parsed if col in pv and lo <= h.position <= hi
                       and (s.kind == "total" or h.position < hi)]
                hid_sum = sum((Decimal(str(v.value)) for _, v in hid if v.value is not None), Decimal(0))
                if hid and abs(total + hid_sum - expected) <= Decimal("0.005"):
                    hrows = "、".join(str(h.source_row) for h, _ in hid)
                    problems.append(IntakeProblem(
                        file, sheet, s.source_row, col, s.values.get(col),
                        f"“{s.label}”为{_fmt(expected)}，可见行第{span}行之和为{_fmt(total)}，差额{_fmt(expected - total)}正是"
                        f"隐藏的第{hrows}行 / {s.kind} row says {_fmt(expected)}; the visible rows {span} sum to {_fmt(total)}; "
                        f"the difference {_fmt(expected - total)} is the hidden row(s) {hrows}",
                        "取消隐藏这些行（如属数据），或更正合计 / unhide those rows if they belong to the data, or correct the total"))
                    continue
                problems.append(
                    IntakeProblem(
                        file, sheet, s.source_row, col, s.values.get(col),
                        f"“{s.label}”为{_fmt(expected)}，但第{span}行之和为{_fmt(total)} / "
                        f"{s.kind} row says {_fmt(expected)} but rows {span} sum to {_fmt(total)}",
                        "核对各校数据与合计行，更正后重新导出 / check the school rows and the total, correct and re-export",
                    )
                )
    return problems


def _fmt(d: Decimal) -> str:
    return str(int(d)) if d == d.to_integral_value() else format(d.normalize(), "f")


# ---------------------------------------------------------------------------------------------
# Cleaning a table
# ---------------------------------------------------------------------------------------------

_INT_BASES = ("students", "teachers", "classes", "max_class_size", "above_required_qualification", "backbone_teachers", "pe_arts_teachers")
_COUNTY_FACT_COLUMNS = (
    "disabled_children_school_age", "disabled_placed_regular_class", "disabled_placed_special_school",
    "disabled_placed_home_teaching", "preschool_age_children", "migrant_children", "migrant_children_public",
)
_INT_COLUMNS = {"multimedia_classrooms", "computers", "books", "music_rooms", "art_rooms", "years_in_school", *_COUNTY_FACT_COLUMNS}
_FLOAT_COLUMNS = {"teaching_area_m2", "sports_area_m2", "equipment_value_yuan", "score", "full_marks", "prior_score"}
_UNITS_OK = {
    "students": {"人", "名"},
    "teachers": {"人", "名", "位"},
    "above_required_qualification": {"人", "名", "位"},
    "backbone_teachers": {"人", "名", "位"},
    "pe_arts_teachers": {"人", "名", "位"},
    "classes": {"班", "个"},
    "max_class_size": {"人", "名"},
    "teaching_area_m2": {"m2"},
    "sports_area_m2": {"m2"},
    "equipment_value_yuan": {"元"},
    "multimedia_classrooms": {"间", "个"},
    "computers": {"台"},
    "books": {"册", "本"},
    "music_rooms": {"间", "个"},
    "art_rooms": {"间", "个"},
    "score": {"分"},
    "full_marks": {"分"},
    "prior_score": {"分"},
    "years_in_school": {"年"},
    **{c: {"人", "名"} for c in _COUNTY_FACT_COLUMNS},
}
_FIX_NUMBER = "改为纯数字（不带单位、约数或文字） / write a plain number (no unit words, no 约, no text)"
# what to do, by the kind of problem (cleaning.Problem.reason); the default is _FIX_NUMBER
_ACTIONS = {
    "negative": "核对原始台账后填写正确的非负数（人数、面积、金额不能为负） / check the source records and enter the "
                "correct non-negative value (counts, areas and amounts cannot be negative)",
    "not_integer": "人数、班数等计数应为整数，请核对 / counts such as students or classes must be whole numbers: check it",
    "unit": "该列的单位应与表头一致，请去掉或改正单位 / use the unit the header names, or remove the unit word",
    "percent_in_count": "计数列请填写人数而非百分比 / enter the count, not a percentage",
    "ambiguous_proportion": "比例请写成 0–1 之间的小数或带 % / write the proportion as 0–1 or with %",
}
_YES = {"是", "1", "y", "yes", "true", "√", "✓"}
_NO = {"否", "0", "n", "no", "false", "×", "✗"}
_BOOL_COLUMNS = ("affordable_kindergarten", "quality_kindergarten", "rotated", "absent", "migrant", "left_behind")
_LABEL_COLUMNS = ("gender", "stage", "qualification", "title", "subject", "backbone_level")
#: columns that may not be blank in the row of a teachers / scores file
_REQUIRED_NONBLANK = {"stage", "qualification", "title", "subject", "backbone_level", "rotated", "exam",
                      "class_id", "grade", "full_marks", "school_year", "student_key", "teacher_key"}
_LABEL_ZH = {"gender": "性别", "stage": "学段", "qualification": "学历", "title": "职称", "subject": "学科",
             "backbone_level": "骨干级别"}


#: First line of every rejected-rows file.
REJECTED_FILE_NOTICE = ("# 隐私：本文件不含身份证号、学籍号和姓名的原文（已遮盖，只保留首尾各2位或姓氏），请按行号在原文件中查找 / "
                        "privacy: this file holds no raw ID numbers or student numbers or names (masked: first and last "
                        "2 characters or the family name only); find each row in the original file by its row number")
assert "," not in REJECTED_FILE_NOTICE  # one CSV cell without quotes
_ID_TOKEN = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15}|\d\.\d{6,}[eE]\+?\d{1,2})(?![0-9A-Za-z])")


def _mask(value: Any, kind: str) -> str:
    """Mask one private value: an ID/student number keeps its first and last 2 characters
    ('110101199003071233' → '11**************33'), a name its first character ('张三' → '张*')."""
    text = "" if value is None else str(value)
    core = text.strip()
    if not core:
        return text
    if kind == "name":
        return core[0] + "*" * (len(core) - 1)
    if len(core) <= 6:
        return "*" * len(core)
    return core[:2] + "*" * (len(core) - 4) + core[-2:]


def _mask_ids_in_text(text: Any) -> Any:
    """Mask every ID-number-like token (15 or 18 digits, or an ID Excel turned into 1.1e+17)."""
    if not isinstance(text, str):
        return text
    return _ID_TOKEN.sub(lambda m: _mask(m.group(0), "id"), text)


def _mask_frame(frame: pd.DataFrame, private: Mapping[str, str]) -> pd.DataFrame:
    """A copy with private columns masked and ID-like tokens masked in every other text cell."""
    out = frame.copy()
    for c in out.columns:
        if c in private:
            out[c] = [_mask(v, private[c]) if isinstance(v, str) and v else v for v in out[c].tolist()]
        elif out[c].dtype == object or str(out[c].dtype) in ("str", "string"):
            out[c] = [_mask_ids_in_text(v) for v in out[c].tolist()]
    return out


def _with_format_chars(series: pd.Series) -> list[tuple[int, Any, tuple[str, ...]]]:
    """(position, raw, Cf characters as 'U+XXXX') of the cells holding invisible formatting
    characters; the check is done once per distinct value."""
    found = {v: cleaning.format_chars_in(v) for v in pd.unique(series.astype(object)) if isinstance(v, str)}
    found = {v: cf for v, cf in found.items() if cf}
    if not found:
        return []
    return [(pos, raw, found[raw]) for pos, raw in enumerate(series.tolist()) if isinstance(raw, str) and raw in found]


def _base(col: str) -> str:
    for b in _INT_BASES:
        if col.startswith(b + "_"):
            return b
    return col


def _guess_table(columns: set[str]) -> str:
    if "score" in columns:
        return "scores"
    if {"id_number", "teacher_key", "qualification", "title", "backbone_level"} & columns:
        return "teachers"
    if set(_COUNTY_FACT_COLUMNS) & columns:
        return "county_facts"
    if "school_id" in columns or "school_name" in columns:
        return "schools"
    return "unknown"


def _per_unique(series: pd.Series, fn) -> tuple[list[Any], list[str | None]]:
    """Apply ``fn(raw) -> value`` (raising ValueError on bad input) once per distinct value;
    return (values, error texts) per row."""
    raw_values = series.tolist()
    codes, uniques = pd.factorize(pd.Series(raw_values, dtype=object), use_na_sentinel=True)
    vals: list[Any] = []
    errs: list[str | None] = []
    for raw in list(uniques) + [""]:
        try:
            vals.append(fn(raw))
            errs.append(None)
        except ValueError as exc:
            vals.append(None)
            errs.append(str(exc))
    cl = codes.tolist()
    return [vals[c] for c in cl], [errs[c] for c in cl]


def clean_table(
    result: ReadResult,
    header_map: HeaderMap,
    *,
    salt: str | bytes | None = None,
) -> TableReport:
    """Map headers and clean one table read by :mod:`lyganalysis.io`; every row is kept or
    rejected with reasons, never lost.

    Besides the school columns, teachers' rosters (身份证号 → birth_year, gender and a salted
    ``teacher_key``; labels of 学段/学历/职称/学科/骨干 → codes; 来校时间 → years_in_school),
    score sheets (成绩 '缺考' → ``absent``; 学籍号/考号 → salted ``student_key``; a score above
    the full marks is an error) and county facts are understood. 姓名 and 序号 are read and
    dropped (noted). Without ``salt`` the keys are made with a throw-away random salt, good only
    for checks within this run (duplicates)."""
    file, sheet = result.path.name, result.sheet
    report = TableReport(file, sheet, result.encoding, rows_read=len(result.frame))
    report.notes.extend(n for n in result.notes if not n.startswith(("编码", "分隔符")))
    stage = header_map.stage_of(sheet) or header_map.stage_of(result.path.stem)
    frame = result.frame
    rows = list(result.source_rows)
    report.raw_frame = frame
    report.source_rows = rows
    key_salt: str | bytes = salt if salt is not None else secrets.token_hex(16)
    log = ChangeLog()
    row_errors: dict[int, list[str]] = {}
    out: dict[str, pd.Series] = {}
    aux: dict[str, pd.Series] = {}  # inputs of derived columns (never kept as such)
    used: dict[str, str] = {}

    def reject(pos: int, text: str) -> None:
        row_errors.setdefault(pos, []).append(text)

    def err(pos: int, text: str) -> None:
        """Reject row ``pos`` and report the problem; ``text`` is 'header: message — action'."""
        reject(pos, text)
        column, _, rest = text.partition(": ")
        message, _, action = rest.partition(" — ")
        raw = frame[column].iloc[pos] if column in frame.columns else None
        if column in report.private_columns and raw is not None:
            raw = _mask(raw, report.private_columns[column])
        report.problems.append(IntakeProblem(file, sheet, rows[pos], column, raw, message, action))

    def err_at(pos: int, header: str, message: str, action: str) -> None:
        err(pos, f"{header}: {message} — {action}")

    def warn_at(pos: int, header: str, message: str, action: str) -> None:
        raw = frame[header].iloc[pos] if header in frame.columns else None
        if header in report.private_columns and raw is not None:
            raw = _mask(raw, report.private_columns[header])
        report.problems.append(IntakeProblem(file, sheet, rows[pos], header, raw, message, action, "warning"))

    for header in frame.columns:
        match = header_map.resolve(header, stage=stage)
        if match.dropped and match.note == "name":
            report.private_columns[header] = "name"
        elif match.canonical in ("id_number", "student_number"):
            report.private_columns[header] = "id"
    for header in frame.columns:
        match = header_map.resolve(header, stage=stage)
        if match.dropped:
            what = "姓名（个人信息，不保留） / names (personal data, never kept)" if match.note == "name" else "序号 / row counter"
            report.notes.append(f"“{header}”列已读取并丢弃：{what} / column '{header}' read and dropped")
            continue
        if match.canonical is None:
            report.unknown_columns.append(header)
            if match.note.startswith("表头单位") or "stage" in match.note:
                report.problems.append(IntakeProblem(file, sheet, None, header, None, match.note, "在表头映射文件中补充 / add it to the header map", "warning"))
            continue
        if match.canonical in used:
            report.problems.append(
                IntakeProblem(
                    file, sheet, None, header, None,
                    f"“{header}”与“{used[match.canonical]}”都对应 {match.canonical}，未使用第二列 / "
                    f"both '{used[match.canonical]}' and '{header}' map to {match.canonical}; the second is not used",
                    "删除重复的列 / remove the duplicate column",
                )
            )
            report.unknown_columns.append(header)
            continue
        used[match.canonical] = header
        report.columns[header] = match.canonical
        col = match.canonical
        series = frame[header]
        base = _base(col)
        if col in (*_LABEL_COLUMNS, *_BOOL_COLUMNS, "school_type", "ownership", "locale_code", "county", "school_year",
                   "grade", "exam", "class_id"):
            for pos, raw, cf in _with_format_chars(series):
                log.record(header, rows[pos], raw, cleaning.normalize_text(raw), "invisible characters removed: " + " ".join(cf))
        if col in ("student_number", "id_number"):
            for pos, raw, cf in _with_format_chars(series):  # the key is made without them; logged masked
                log.record(header, rows[pos], _mask(raw, "id"), _mask(cleaning.normalize_text(raw), "id"),
                           "invisible characters removed: " + " ".join(cf))
        if col == "school_year":
            values, errors = _per_unique(series, cleaning.parse_school_year)
            for pos, e in enumerate(errors):
                if e is not None:
                    err_at(pos, header, e, "写成 2021（表示2021–2022学年） / write 2021 for the 2021–22 school year")
            out[col] = pd.Series(pd.array(values, dtype="Int64"), index=series.index)
        elif col == "score":
            # '缺考' in the score cell marks the paper as missed; the number itself is then missing
            absent_text, _ = _per_unique(series, lambda v: cleaning.normalize_text(v).lower() in cleaning.ABSENT_WORDS)
            for pos, a in enumerate(absent_text):
                if a:
                    log.record(header, rows[pos], series.iloc[pos], None, "缺考→absent")
            masked = pd.Series(["" if a else v for a, v in zip(absent_text, series.tolist())], index=series.index, dtype=object)
            out[col] = cleaning.clean_numeric(masked, column=header, kind="float", log=log, rows=rows, allowed_units=_UNITS_OK["score"], scale=match.scale)
            aux["absent_text"] = pd.Series(absent_text, index=series.index, dtype=bool)
        elif base in _INT_BASES or col in _INT_COLUMNS or col in _FLOAT_COLUMNS:
            kind = "float" if col in _FLOAT_COLUMNS else "int"
            out[col] = cleaning.clean_numeric(
                series, column=header, kind=kind, log=log, rows=rows, allowed_units=_UNITS_OK.get(base), scale=match.scale
            )
        elif col in ("school_id", "central_school_id", "county_code"):
            n = 10 if col != "county_code" else 6
            pattern = rf"\d{{{n}}}" if col != "county_code" else rf"\d{{6}}|{LOCAL_CODE_PATTERN}"
            values = []
            for pos, raw, cf in _with_format_chars(series):
                log.record(header, rows[pos], raw, cleaning.normalize_text(raw), "invisible characters removed: " + " ".join(cf))
            for pos, raw in enumerate(series.tolist()):
                text = cleaning.normalize_text(raw)
                if not text or text in cleaning.PLACEHOLDERS:
                    if col == "school_id" or col == "county_code":
                        err(pos, f"{header}: 为空 blank — 补填{n}位代码 / fill in the {n}-digit code")
                    values.append(None)
                elif not re.fullmatch(pattern, text):
                    err(pos, f"{header}: “{visible(raw)}”应为{n}位数字 / must be {n} digits (keep leading zeros; format the column as Text)")
                    values.append(None)
                else:
                    values.append(text)
            out[col] = pd.Series(values, index=series.index, dtype="str")
        elif col == "county":
            # the user's mapping (values: county: {"320772": 海州区}) first; then resolved in
            # _derive_columns: the unit depends on the school year and the table
            mapping = header_map.values.get("county", {})
            if mapping:
                mapped = []
                for pos, raw in enumerate(series.tolist()):
                    target = mapping.get(_key(raw))
                    if target is not None:
                        log.record(header, rows[pos], raw, target, "county mapped by the user's mapping file")
                    mapped.append(raw if target is None else target)
                series = pd.Series(mapped, index=series.index, dtype=object)
            aux["county_raw"] = series
        elif col == "locale_code":
            codes, locales = [], []
            for pos, raw in enumerate(series.tolist()):
                try:
                    locales.append(cleaning.locale_from_code(raw))
                    codes.append(cleaning.normalize_text(raw))
                except ValueError as exc:
                    err(pos, f"{header}: {exc}")
                    codes.append(None)
                    locales.append(None)
            out["locale_code"] = pd.Series(codes, index=series.index, dtype="str")
            out["locale"] = pd.Series(locales, index=series.index, dtype="str")
        elif col == "school_type":
            values = []
            for pos, raw in enumerate(series.tolist()):
                try:
                    values.append(cleaning.school_type_from_label(raw))
                except ValueError as exc:
                    err(pos, f"{header}: {exc}")
                    values.append(None)
            out[col] = pd.Series(values, index=series.index, dtype="str")
        elif col == "ownership":
            mapping = {"公办": "public", "民办": "private", "public": "public", "private": "private"}
            values = []
            for pos, raw in enumerate(series.tolist()):
                v = mapping.get(cleaning.normalize_text(raw).lower())
                if v is None:
                    err(pos, f"{header}: “{raw}”应为公办或民办 / must be 公办 or 民办")
                values.append(v)
            out[col] = pd.Series(values, index=series.index, dtype="str")
        elif col in _BOOL_COLUMNS:
            def yes_no(raw: Any) -> bool | None:
                t = cleaning.normalize_text(raw).lower()
                if t in _YES:
                    return True
                if t in _NO:
                    return False
                if t in cleaning.PLACEHOLDERS:
                    return None
                raise ValueError(f"“{raw}”应为是或否 / must be 是 or 否")
            values, errors = _per_unique(series, yes_no)
            for pos, e in enumerate(errors):
                if e is not None:
                    err_at(pos, header, e, "填写“是”或“否” / write 是 or 否")
                elif values[pos] is None and col in _REQUIRED_NONBLANK:
                    err_at(pos, header, "为空 / blank", "填写“是”或“否” / write 是 or 否")
            target = aux if col == "absent" else out
            target[col] = pd.Series(pd.array(values, dtype="boolean"), index=series.index)
        elif col in _LABEL_COLUMNS:
            def label(raw: Any, col: str = col) -> str | None:
                code = header_map.value_code(col, raw)  # before placeholders: 无 is a label here
                if code is None and cleaning.normalize_text(raw) in cleaning.PLACEHOLDERS:
                    return None
                if code is None:
                    known = "、".join(sorted({k for k in header_map.values.get(col, {})})[:12])
                    raise ValueError(f"未知的{_LABEL_ZH[col]}“{raw}” / unknown {col} {raw!r} (known: {known} …)")
                return code
            values, errors = _per_unique(series, label)
            for pos, e in enumerate(errors):
                if e is not None:
                    err_at(pos, header, e, "改为标准写法，或在表头映射文件的 values 中补充 / use a standard label or add it under 'values' in your mapping file")
                elif values[pos] is None and col in _REQUIRED_NONBLANK:
                    err_at(pos, header, "为空 / blank", "补填 / fill it in")
            (aux if col == "gender" else out)[col if col != "gender" else "gender_label"] = pd.Series(values, index=series.index, dtype="str")
        elif col == "grade":
            values, errors = _per_unique(series, cleaning.parse_grade)
            for pos, e in enumerate(errors):
                if e is not None:
                    err_at(pos, header, e, "写成数字年级，如 6 或 9 / write the grade as a number, e.g. 6 or 9")
            out[col] = pd.Series(pd.array(values, dtype="Int64"), index=series.index)
        elif col == "birth_month":
            values, errors = _per_unique(series, cleaning.parse_year_month)
            for pos, e in enumerate(errors):
                if e is not None:
                    err_at(pos, header, e, "写成 1985-03 的形式 / write it as 1985-03")
            aux["birth_month"] = pd.Series(values, index=series.index, dtype=object)
        elif col == "birth_date":
            aux[col] = cleaning.clean_dates(series, column=header, log=log, rows=rows)
        elif col == "entry_date":
            aux[col] = cleaning.clean_dates(series, column=header, log=log, rows=rows)
        elif col == "student_number":
            # 学籍号 / 考号: personal identifiers → salted key; the number itself is never kept
            out["student_key"] = ids.pseudonymize_text(series, salt=key_salt)
            for pos, k in enumerate(out["student_key"].isna().tolist()):
                if k:
                    err_at(pos, header, "为空 / blank", "补填学籍号 / fill in the student number")
        elif col == "id_number":
            checks = ids.check_id_series(series)
            truncated = [i for i, r in enumerate(checks["reason"].tolist()) if r == "truncated"]
            if truncated:
                report.notes.append(
                    f"{len(truncated)}个身份证号被Excel按数字存储并丢失位数，仅这些行被拒绝 / {len(truncated)} ID number(s) "
                    "were stored as numbers by Excel and lost digits: only those rows are rejected")
            for pos, (reason, _raw) in enumerate(zip(checks["reason"].tolist(), series.tolist())):
                if isinstance(reason, str):
                    zh, en, action = ids.ID_REASONS[reason]
                    err(pos, f"{header}: {zh} / {en} — {action}")
            aux["id_birth_date"] = pd.Series(checks["birth_date"].tolist(), index=series.index, dtype="object")
            aux["id_gender"] = checks["sex"]
            aux["id_key"] = ids.pseudonymize_ids(series, salt=key_salt)
            # the number itself is never kept
        else:
            out[col] = cleaning.clean_text(series, column=header, log=log, rows=rows)
            if col in _REQUIRED_NONBLANK:
                for pos, blank in enumerate(out[col].isna().tolist()):
                    if blank:
                        err_at(pos, header, "为空 / blank", "补填 / fill it in")

    report.table = _guess_table(set(used))
    _derive_columns(report, out, aux, used, err_at, warn_at, log, rows)

    pos_of = {r: i for i, r in enumerate(rows)}
    for p in log.problems:
        pos = pos_of.get(p.row)
        if p.severity == "error" and pos is not None:
            reject(pos, f"{p.column}: “{p.raw}” {p.message}")
        action = _ACTIONS.get(p.reason, _FIX_NUMBER) if p.severity == "error" else \
            "核实后填写确切数字 / confirm and write the exact number"
        if p.reason == "date":
            action = "写成 2021-09-01 的形式 / write the date as 2021-09-01"
        report.problems.append(
            IntakeProblem(file, sheet, p.row, p.column, None if p.raw is None else str(p.raw), p.message, action, p.severity)
        )

    # hidden rows: not read as data, each reported with its first (non-private) cell
    for h in result.hidden_rows:
        public = [v for k, v in h.values.items() if k not in report.private_columns]
        first = _first_text_cell(public) or next((v for v in public if v.strip()), "")
        report.problems.append(IntakeProblem(
            file, sheet, h.source_row, None, None,
            f"第{h.source_row}行被隐藏（{first}），未读取；如属数据请取消隐藏 / row {h.source_row} is hidden ({first}): "
            "not read; unhide it if it belongs to the data",
            "取消隐藏（或删除该行）后重新提交 / unhide the row (or delete it) and send the file again", "warning"))
    # formula cells without a saved result: errors by cell; nothing of the sheet is loaded
    if result.cell_problems:
        n_bad = len(result.cell_problems)
        for cp in result.cell_problems:
            report.problems.append(IntakeProblem(file, sheet, cp.row, cp.column or None, cp.raw,
                                                 f"{cp.message_zh} / {cp.message_en}", cp.action))
            pos = pos_of.get(cp.row)
            if pos is not None:
                reject(pos, f"{cp.column}: {cp.message_zh} / {cp.message_en}")
        for pos in range(len(frame)):
            if pos not in row_errors:
                reject(pos, f"工作表中有{n_bad}个公式没有保存的结果，整表未载入 / {n_bad} formula cell(s) of the sheet have no "
                            "saved result: nothing of the sheet is loaded")
        report.notes.append(f"{n_bad}个公式单元格没有保存的计算结果，整表未载入 / {n_bad} formula cell(s) without a saved result: "
                            "nothing of the sheet is loaded")
    if result.formula_cells:
        report.notes.append(f"{result.formula_cells}个公式单元格按Excel保存的计算结果读取（本程序不计算公式） / "
                            f"{result.formula_cells} formula cell(s) read as the results the spreadsheet saved (never evaluated here)")

    report.problems.extend(reconcile_totals(result))
    cf_cols: dict[str, int] = {}
    for c in log.changes:
        if "invisible" in c.rule:
            cf_cols[c.column] = cf_cols.get(c.column, 0) + 1
    for c, k in cf_cols.items():
        report.notes.append(f"“{c}”列有{k}个单元格含不可见字符（方向标记、零宽字符等），已删除并记入修改记录 / "
                            f"column '{c}': invisible characters (direction marks, zero-width spaces) removed from {k} cell(s), see the change log")

    clean = pd.DataFrame(out, index=frame.index)
    report.all_rows = clean
    bad = sorted(row_errors)
    keep_mask = [i not in row_errors for i in range(len(frame))]
    report.frame = clean.loc[keep_mask].reset_index(drop=True)
    if "source_row" not in report.frame.columns:
        report.frame.insert(0, "source_row", [r for r, k in zip(rows, keep_mask) if k])
    rejected = _mask_frame(frame.iloc[bad] if bad else frame.iloc[0:0], report.private_columns)
    rejected.insert(0, "原因 reason", [_mask_ids_in_text("; ".join(row_errors[i])) for i in bad])
    rejected.insert(0, "行号 row", [rows[i] for i in bad])
    rejected.insert(0, "工作表 sheet", sheet or "")
    rejected.insert(0, "文件 file", file)
    report.rejected = rejected.reset_index(drop=True)
    report.rows_kept = int(sum(keep_mask))
    report.rows_rejected = len(bad)
    report.changes = log.to_frame()
    return report


def _derive_columns(report: TableReport, out: dict, aux: dict, used: dict, err_at, warn_at=None, log=None, rows=None) -> None:
    """Columns made from several inputs, with their cross-checks (each failure rejects the row):
    county_code from the county name (must agree with a 区划代码 column); birth_year, gender and
    the key from the ID number (must agree with 性别 / 出生年月 columns); years_in_school from
    来校时间 and the school year; absent from '缺考' (score NA exactly when absent; score ≤ full
    marks)."""
    n = len(report.raw_frame) if report.raw_frame is not None else 0
    hdr = {c: h for h, c in report.columns.items()}
    row_years = [None if y is None or pd.isna(y) else int(y) for y in out["school_year"].tolist()] if "school_year" in out else [None] * n
    level = "county" if report.table == "county_facts" else "school"
    cache: dict[tuple[Any, int | None], Any] = {}

    def unit(raw: Any, sy: int | None) -> Any:
        key = (raw, sy)
        if key not in cache:
            try:
                cache[key] = resolve_unit(raw, school_year=sy, level=level)
            except ValueError as exc:
                cache[key] = exc
        return cache[key]

    unit_notes: dict[str, int] = {}
    unit_action = ("改为报告单位的名称或代码（见 lyganalysis/data/admin_units.csv），或在表头映射文件的 values: county: 中映射 / "
                   "use the name or code of a reporting unit, or map the value under 'values: county:' in your mapping file")
    # county and county code: the unit in force in the row's school year (lyganalysis.units)
    if "county_raw" in aux:
        raw_c = aux["county_raw"].tolist()
        counties, codes = [], []
        for pos, (raw, sy) in enumerate(zip(raw_c, row_years)):
            res = unit(raw, sy)
            if isinstance(res, Exception):
                err_at(pos, hdr["county"], visible(res), unit_action)
                counties.append(None)
                codes.append(None)
                continue
            if res.note and log is not None:
                log.record(hdr["county"], rows[pos], raw, res.county, res.note)
                unit_notes[res.note] = unit_notes.get(res.note, 0) + 1
            counties.append(res.county)
            codes.append(res.county_code)
        if "county_code" in out:
            given = out["county_code"].tolist()
            for pos, (a, b, c, sy) in enumerate(zip(given, codes, counties, row_years)):
                if not isinstance(a, str) or not isinstance(b, str):
                    continue
                if a == b:
                    continue
                rc = unit(a, sy)
                if isinstance(rc, Exception):
                    err_at(pos, hdr["county_code"], f"县区代码{a}：{visible(rc)} / county code {a}: see the message", unit_action)
                    codes[pos] = None
                elif rc.county != c:
                    err_at(pos, hdr["county_code"],
                           f"县区代码{a}是{rc.period.name}的代码（{rc.period.years()}），与县区“{visible(raw_c[pos])}”（{c}）不一致 / "
                           f"county code {a} is the code of {rc.period.name}, not of {c}",
                           "核对县区名称与代码 / check the county name and code")
                    codes[pos] = None
        out["county"] = pd.Series(counties, dtype="str")
        out["county_code"] = pd.Series(codes, dtype="str")
        for note, k in unit_notes.items():
            report.notes.append(f"{note}（{k}行 / {k} row(s)）")
    elif "county_code" in out:
        counties, codes = [], []
        for pos, (a, sy) in enumerate(zip(out["county_code"].tolist(), row_years)):
            if not isinstance(a, str):
                counties.append(None)
                codes.append(None)
                continue
            rc = unit(a, sy)
            if isinstance(rc, Exception):
                err_at(pos, hdr["county_code"], visible(rc), unit_action)
                counties.append(None)
                codes.append(None)
            else:
                counties.append(rc.county)
                codes.append(rc.county_code)
        out["county"] = pd.Series(counties, dtype="str")
        out["county_code"] = pd.Series(codes, dtype="str")
    # identity number → birth year, gender, key
    if "id_key" in aux:
        key_col = "student_key" if report.table == "scores" else "teacher_key"
        out[key_col] = aux["id_key"]
        births = aux["id_birth_date"].tolist()
        out["birth_year"] = pd.Series(pd.array([b.year if b is not None and not pd.isna(b) else None for b in births], dtype="Int64"))
        id_gender = aux["id_gender"]
        if "gender_label" in aux:
            for pos, (a, b) in enumerate(zip(aux["gender_label"].tolist(), id_gender.tolist())):
                if isinstance(a, str) and isinstance(b, str) and a != b:
                    err_at(pos, hdr["gender"], f"性别与身份证号不符（身份证号第17位表示{'男' if b == 'male' else '女'}） / gender does not match the ID number ({b})",
                           "按身份证原件核对性别和身份证号 / check both against the ID card")
        out["gender"] = id_gender
        if "birth_month" in aux:
            for pos, (ym, b) in enumerate(zip(aux["birth_month"].tolist(), births)):
                if ym is not None and b is not None and not pd.isna(b) and (b.year, b.month) != tuple(ym):
                    err_at(pos, hdr["birth_month"], f"出生年月{ym[0]}-{ym[1]:02d}与身份证号中的出生日期{b.isoformat()}不符 / year-month does not match the ID number's birth date",
                           "按身份证原件核对 / check against the ID card")
        if "birth_date" in aux:
            for pos, (d, b) in enumerate(zip(aux["birth_date"].tolist(), births)):
                if d is not None and b is not None and not pd.isna(b) and d != b:
                    err_at(pos, hdr["birth_date"], f"出生日期{d}与身份证号中的{b}不符 / birth date does not match the ID number",
                           "按身份证原件核对 / check against the ID card")
    else:
        if "gender_label" in aux:
            out["gender"] = aux["gender_label"]
        if "birth_date" in aux:
            out["birth_year"] = pd.Series(pd.array([d.year if d is not None else None for d in aux["birth_date"].tolist()], dtype="Int64"))
        elif "birth_month" in aux:
            out["birth_year"] = pd.Series(pd.array([ym[0] if ym is not None else None for ym in aux["birth_month"].tolist()], dtype="Int64"))
    # plausibility (warnings, the value is kept): teachers aged 18–70 on 1 September of the
    # school year; entry dates from 1950 (an entry after the school year began is an error below)
    if warn_at is not None:
        _date_plausibility(report, aux, hdr, row_years, warn_at)
    # entry date → years in school (arrival in August or later counts for that autumn's school year)
    if "entry_date" in aux:
        if "school_year" not in out:
            for pos in range(n):
                err_at(pos, hdr["entry_date"], "有来校时间但没有学年列，无法计算本校任教年限 / entry date given but no school-year column",
                       "增加“学年”列 / add a 学年 column")
        else:
            years = []
            for pos, (d, sy) in enumerate(zip(aux["entry_date"].tolist(), out["school_year"].tolist())):
                if d is None or sy is None or pd.isna(sy):
                    years.append(None)
                    continue
                arrival = d.year if d.month >= 8 else d.year - 1
                y = int(sy) - arrival
                if y < 0:
                    err_at(pos, hdr["entry_date"], f"来校时间{d.isoformat()}晚于{sy}学年开学 / entry date after the start of school year {sy}",
                           "核对来校时间与学年 / check the entry date and the school year")
                    y = None
                years.append(y)
            derived = pd.Series(pd.array(years, dtype="Int64"))
            if "years_in_school" in out:
                for pos, (a, b) in enumerate(zip(out["years_in_school"].tolist(), derived.tolist())):
                    if not pd.isna(a) and not pd.isna(b) and a != b:
                        err_at(pos, hdr["years_in_school"], f"本校任教年限{a}与来校时间推算的{b}年不符 / years in school {a} ≠ {b} from the entry date",
                               "核对来校时间 / check the entry date")
            else:
                out["years_in_school"] = derived
    # scores: absent, score NA exactly when absent, score ≤ full marks
    if "score" in out:
        score = out["score"].tolist()
        absent_text = aux.get("absent_text", pd.Series([False] * n)).tolist()
        absent_col = aux["absent"].tolist() if "absent" in aux else [None] * n
        absent = []
        for pos, (sc, at, ac) in enumerate(zip(score, absent_text, absent_col)):
            a = bool(at) or (ac is True)
            has_score = not pd.isna(sc)
            if has_score and a:
                err_at(pos, hdr.get("absent", hdr["score"]), "有成绩却标记为缺考 / marked absent but has a score",
                       "核对是否缺考 / check whether the student sat the paper")
            elif not has_score and not a and not at:
                raw = report.raw_frame[hdr["score"]].iloc[pos] if report.raw_frame is not None else ""
                if cleaning.parse_number(raw).ok:  # unreadable values are reported already
                    err_at(pos, hdr["score"], "成绩为空但未标记缺考 / score blank but not marked 缺考",
                           "填写成绩，缺考的写“缺考” / write the score, or 缺考 if the student missed the paper")
            absent.append(a)
        out["absent"] = pd.Series(absent, dtype=bool)
        if "full_marks" in out:
            for pos, (sc, fm) in enumerate(zip(score, out["full_marks"].tolist())):
                if not pd.isna(sc) and not pd.isna(fm) and sc > fm:
                    err_at(pos, hdr["score"], f"成绩{sc:g}超过满分{fm:g} / score {sc:g} exceeds the full marks {fm:g}",
                           "核对成绩或满分 / check the score and the full marks")
            if "prior_score" in out:
                for pos, (ps, fm) in enumerate(zip(out["prior_score"].tolist(), out["full_marks"].tolist())):
                    if not pd.isna(ps) and not pd.isna(fm) and ps > fm:
                        err_at(pos, hdr["prior_score"], f"上次成绩{ps:g}超过满分{fm:g} / prior score {ps:g} exceeds the full marks {fm:g}",
                               "核对上次成绩 / check the prior score")


#: Plausible ages of a teacher on 1 September of the school year, and the earliest plausible
#: entry date (来校时间); values outside are warnings, never changed.
PLAUSIBLE_TEACHER_AGE = (18, 70)
EARLIEST_ENTRY_YEAR = 1950


def _date_plausibility(report: TableReport, aux: dict, hdr: dict, row_years: list, warn_at) -> None:
    import datetime as _dt

    lo, hi = PLAUSIBLE_TEACHER_AGE
    if report.table == "teachers":
        if "id_birth_date" in aux:
            births, header, what = aux["id_birth_date"].tolist(), hdr.get("id_number"), "身份证号中的出生日期"
        elif "birth_date" in aux:
            births, header, what = aux["birth_date"].tolist(), hdr.get("birth_date"), "出生日期"
        elif "birth_month" in aux:
            births = [None if ym is None else _dt.date(ym[0], ym[1], 1) for ym in aux["birth_month"].tolist()]
            header, what = hdr.get("birth_month"), "出生年月"
        else:
            births, header, what = [], None, ""
        for pos, (b, sy) in enumerate(zip(births, row_years)):
            if b is None or sy is None or (not isinstance(b, _dt.date)):
                continue
            age = sy - b.year - (1 if (b.month, b.day) > (9, 1) else 0)
            if not lo <= age <= hi:
                warn_at(pos, header,
                        f"{what}表明{sy}学年（9月1日）年龄为{age}岁，超出合理范围{lo}–{hi}岁 / the birth date gives an age of {age} "
                        f"on 1 September {sy}, outside the plausible {lo}–{hi}",
                        "核对出生日期（或身份证号） / check the birth date (or the ID number)")
    if "entry_date" in aux:
        for pos, (d, sy) in enumerate(zip(aux["entry_date"].tolist(), row_years)):
            if d is not None and d.year < EARLIEST_ENTRY_YEAR:
                upto = f"{sy}学年" if sy is not None else "学年"
                warn_at(pos, hdr["entry_date"],
                        f"来校时间{d.isoformat()}不合理，合理范围为{EARLIEST_ENTRY_YEAR}年至{upto} / implausible entry date "
                        f"{d.isoformat()}: the plausible range is {EARLIEST_ENTRY_YEAR} to the school year" + (f" {sy}" if sy else ""),
                        "核对来校时间（Excel常把空日期显示为1900年） / check the entry date (Excel shows an empty date as 1900)")


def _file_error(path: Path, exc: ReadError) -> TableReport:
    t = TableReport(path.name, exc.sheet)
    t.problems.append(
        IntakeProblem(path.name, exc.sheet, exc.line, None, None, f"{exc.message_zh} / {exc.message_en}", exc.action)
    )
    if exc.data_lines:
        # the file holds rows that were not loaded: account for them as rejected
        t.rows_read = t.rows_rejected = exc.data_lines
        t.notes.append(f"整个文件未载入，{exc.data_lines}行均计为拒绝 / file not loaded: all {exc.data_lines} data line(s) counted as rejected")
    t.frame = None
    t.rejected = None
    return t


def _raw_rejects(path: Path, exc: ReadError, header_map: HeaderMap | None = None) -> pd.DataFrame | None:
    """For a delimited-text file that failed on its structure, the raw lines (ID-like numbers
    masked; left out entirely when the header names a name or ID column), so they can be
    written out."""
    fmt = getattr(exc, "format", None)
    if (fmt is not None and fmt.kind != "text") or (fmt is None and path.suffix.lower() != ".csv") or not exc.data_lines:
        return None
    from .io import decode_text

    try:
        text, _ = decode_text(path.read_bytes(), getattr(fmt, "encoding", None))
    except (ValueError, UnicodeDecodeError):
        return None
    lines = text.splitlines()
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip()]
    header, rows = (numbered[0][1] if numbered else ""), numbered[1:]
    private = False
    if header_map is not None:
        for cell in re.split(r"[,\t]", header):
            m = header_map.resolve(cell.strip().strip('"'))
            if (m.dropped and m.note == "name") or m.canonical in ("id_number", "student_number"):
                private = True
    raw_col = ["（含姓名或证件号，已略去） / (holds names or ID numbers: left out)" if private else _mask_ids_in_text(line)
               for _, line in rows]
    return pd.DataFrame(
        {
            "文件 file": path.name,
            "工作表 sheet": "",
            "行号 row": [n for n, _ in rows],
            "原因 reason": f"文件未载入 / file not loaded: {exc.message_en}",
            "原始行 raw line": raw_col,
        }
    )


# ---------------------------------------------------------------------------------------------
# Checks across files: references to schools, duplicates
# ---------------------------------------------------------------------------------------------

_UNIQUE_KEYS = {
    "schools": ("school_id", "school_year"),
    "teachers": ("teacher_key", "school_year"),
    "scores": ("school_year", "exam", "student_key", "subject"),
    "county_facts": ("county_code", "school_year"),
}


def _reject_late(t: TableReport, reasons: dict[int, str], problems: list[IntakeProblem]) -> None:
    """Move kept rows (by source row) to the rejected rows, with their reasons and problems."""
    if not reasons or t.frame is None:
        return
    t.problems.extend(problems)
    drop = t.frame["source_row"].isin(list(reasons)).to_numpy()
    moved = t.frame.loc[drop, "source_row"].tolist()
    t.frame = t.frame.loc[~drop].reset_index(drop=True)
    pos = {r: i for i, r in enumerate(t.source_rows)}
    raw = _mask_frame(t.raw_frame.iloc[[pos[r] for r in moved]], t.private_columns) if t.raw_frame is not None \
        else pd.DataFrame(index=range(len(moved)))
    raw.insert(0, "原因 reason", [_mask_ids_in_text(reasons[r]) for r in moved])
    raw.insert(0, "行号 row", moved)
    raw.insert(0, "工作表 sheet", t.sheet or "")
    raw.insert(0, "文件 file", t.file)
    t.rejected = pd.concat([t.rejected, raw.reset_index(drop=True)], ignore_index=True) if t.rejected is not None else raw.reset_index(drop=True)
    t.rows_kept -= len(moved)
    t.rows_rejected += len(moved)


def _cross_checks(tables: list[TableReport]) -> None:
    """Teachers and scores must point to a school of the same school year in the folder's
    schools tables; no school, teacher, score or county may appear twice. Offending rows are
    rejected with an error naming file, sheet, row and column."""
    by_kind: dict[str, list[TableReport]] = {}
    for t in tables:
        if t.frame is not None and t.table:
            by_kind.setdefault(t.table, []).append(t)
    known: pd.MultiIndex | None = None
    known_ids: set[str] = set()
    if by_kind.get("schools"):
        # every school row read counts as known, also one rejected for another value: its
        # teachers and pupils are not at fault (the school's own error is reported)
        every = [t.all_rows if t.all_rows is not None else t.frame for t in by_kind["schools"]]
        parts = [f[["school_id", "school_year"]].dropna() for f in every if {"school_id", "school_year"} <= set(f.columns)]
        if parts:
            both = pd.concat(parts, ignore_index=True)
            known = pd.MultiIndex.from_frame(both.astype(object))
        known_ids = {s for f in every if "school_id" in f.columns for s in f["school_id"].dropna()}
    for kind in ("teachers", "scores"):
        for t in by_kind.get(kind, []):
            if "school_id" not in t.frame.columns:
                continue
            hdr = next((h for h, c in t.columns.items() if c == "school_id"), "school_id")
            if not by_kind.get("schools"):
                t.problems.append(IntakeProblem(
                    t.file, t.sheet, None, hdr, None,
                    "文件夹中没有学校基本情况表，无法核对学校标识码 / no schools table in the folder: school references not checked",
                    "把学校基本情况表放进同一文件夹 / put the schools export in the same folder", "warning"))
                continue
            if known is not None and "school_year" in t.frame.columns:
                pairs = pd.MultiIndex.from_frame(t.frame[["school_id", "school_year"]].astype(object))
                bad = ~pairs.isin(known)
            else:
                bad = ~t.frame["school_id"].isin(known_ids).to_numpy()
            if not bad.any():
                continue
            reasons, problems = {}, []
            sub = t.frame.loc[bad]
            for r, sid, sy in zip(sub["source_row"], sub["school_id"], sub.get("school_year", pd.Series([None] * len(sub)))):
                msg = (f"学校标识码{sid}不在{sy}学年的学校基本情况表中 / school {sid} is not among the schools of school year {sy}")
                reasons[int(r)] = msg
                problems.append(IntakeProblem(t.file, t.sheet, int(r), hdr, str(sid), msg,
                                              "核对学校标识码，或补交该校的学校基本情况表 / check the school code, or add the school to the schools export"))
            _reject_late(t, reasons, problems)
    for kind, keys in _UNIQUE_KEYS.items():
        parts = []
        for i, t in enumerate(by_kind.get(kind, [])):
            if set(keys) <= set(t.frame.columns):
                f = t.frame[list(keys) + ["source_row"]].copy()
                f["tidx"] = i
                parts.append(f)
        if not parts:
            continue
        allf = pd.concat(parts, ignore_index=True)
        dup = allf.duplicated(list(keys), keep="first") & allf[list(keys)].notna().all(axis=1)
        if not dup.any():
            continue
        first = allf.loc[~allf.duplicated(list(keys), keep="first")].set_index(list(keys))
        per_table: dict[int, tuple[dict, list]] = {}
        for row in allf.loc[dup].itertuples(index=False):
            key = tuple(getattr(row, k) for k in keys)
            f0 = first.loc[key]
            t0 = by_kind[kind][int(f0["tidx"])]
            t = by_kind[kind][int(row.tidx)]
            where = f"{t0.file}" + (f" [{t0.sheet}]" if t0.sheet else "") + f" 第{int(f0['source_row'])}行"
            label = " × ".join(str(v) for v in key)
            msg = f"重复：{label} 已在 {where} 出现 / duplicate: {label} already in {where} row {int(f0['source_row'])}"
            hdr = next((h for h, c in t.columns.items() if c == keys[0]), keys[0])
            reasons, problems = per_table.setdefault(id(t), ({}, []))
            reasons[int(row.source_row)] = msg
            problems.append(IntakeProblem(t.file, t.sheet, int(row.source_row), hdr, None, msg,
                                          "删除重复的行 / remove the duplicate row"))
        for t in by_kind[kind]:
            if id(t) in per_table:
                _reject_late(t, *per_table[id(t)])


_TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm", ".xls")


def validate_directory(
    path: str | Path,
    *,
    rejected_dir: str | Path | None = None,
    header_map: str | Path | Mapping | HeaderMap | None = None,
    salt: str | bytes | None = None,
) -> IntakeReport:
    """Read every file in ``path`` (not recursive) whose content is a table, whatever its name
    (:func:`lyganalysis.io.read_file`: workbooks, HTML tables saved as .xls, Excel 2003 XML,
    delimited text in any supported encoding, also .txt); map headers, clean values, reconcile
    totals and account for every row.

    What each file really was is stated in its table's report. Files that are not tables (Word,
    PDF, a README, images) are listed in ``IntakeReport.not_read`` (a warning when the name
    promised a table). Hidden sheets are not read and are listed (warning); hidden rows are not
    read and are reported (warning, by sheet, row and first cell). A broken file becomes an error
    entry (never a crash, never a half-load). Rejected rows, with the reason for each, are
    written as CSV (UTF-8 with BOM; ID numbers and names masked, see
    :data:`REJECTED_FILE_NOTICE`) into ``rejected_dir`` when given. ``header_map`` extends the
    bundled mapping. ``salt`` turns ID numbers into pseudonymous keys (else they are only
    checked); the numbers themselves are never kept."""
    directory = Path(path)
    hm = header_map if isinstance(header_map, HeaderMap) else load_header_map(extra=header_map)
    report = IntakeReport(directory)
    if not directory.is_dir():
        t = TableReport(directory.name, None)
        t.problems.append(IntakeProblem(str(directory), None, None, None, None, "文件夹不存在 / folder does not exist", "检查路径 / check the path"))
        report.tables.append(t)
        return report
    out_dir = Path(rejected_dir) if rejected_dir is not None else None
    for file in sorted(directory.iterdir()):
        if file.is_dir():
            continue
        if file.name.startswith("~$"):
            report.ignored.append(file.name)
            report.not_read[file.name] = "Office临时锁定文件 / Office lock file"
            continue
        if file.name.startswith("."):
            report.ignored.append(file.name)
            report.not_read[file.name] = "隐藏文件 / hidden file"
            continue
        if file.name == EXPORT_META_FILE:
            report.ignored.append(file.name)
            report.not_read[file.name] = "导出说明（由 read_dataset 读取） / description of the export (read by read_dataset)"
            continue
        tables: list[TableReport]
        try:
            fr = read_file(file)
            if not fr.format.is_table:
                report.ignored.append(file.name)
                report.not_read[file.name] = f"不是表格 / not a table: {fr.format.describe()}"
                if file.suffix.lower() in _TABLE_SUFFIXES:
                    t = TableReport(file.name, None, format=fr.describe())
                    t.problems.append(IntakeProblem(
                        file.name, None, None, None, None,
                        f"文件名像表格，但内容不是表格，未读取 / named like a table but it is not one: not read ({fr.format.describe()})",
                        "确认是否放错了文件，或导出为 .xlsx / CSV / check the file, or export the data as .xlsx or CSV", "warning"))
                    report.tables.append(t)
                continue
            tables = [clean_table(r, hm, salt=salt) for r in fr.tables]
            for t in tables:
                t.format = fr.describe()
            if not tables:
                t = TableReport(file.name, None, format=fr.describe())
                t.problems.append(IntakeProblem(file.name, None, None, None, None, "文件没有数据 / the file holds no data", "检查是否导出了正确的表 / check the export", "warning"))
                tables = [t]
            for sk in fr.skipped_sheets:
                tables[0].problems.append(IntakeProblem(
                    file.name, sk.name, None, None, None, sk.describe(),
                    "如该表属于数据，请取消隐藏后重新提交 / unhide it if it belongs to the data", "warning"))
        except ReadError as exc:
            t = _file_error(file, exc)
            if exc.format is not None:
                t.format = f"格式 format: {exc.format.describe()}"
            t.rejected = _raw_rejects(file, exc, hm)
            tables = [t]
        except Exception as exc:  # never crash on one file
            t = TableReport(file.name, None)
            t.problems.append(
                IntakeProblem(file.name, None, None, None, None, f"读取时出现意外错误 / unexpected error while reading: {type(exc).__name__}: {exc}",
                              "请把该文件发给维护者 / send the file to the maintainers")
            )
            tables = [t]
        report.tables.extend(tables)
    _cross_checks(report.tables)
    for t in report.tables:
        if out_dir is not None and t.rejected is not None and len(t.rejected) and t.rejected_path is None:
            out_dir.mkdir(parents=True, exist_ok=True)
            stem = Path(t.file).stem + (f"__{_safe(t.sheet)}" if t.sheet else "")
            target = out_dir / f"{stem}.rejected.csv"
            t.rejected_path = write_csv(t.rejected, target, preamble=[REJECTED_FILE_NOTICE])
    return report


def _safe(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "_", name)


# ---------------------------------------------------------------------------------------------
# A folder of raw exports → a validated Dataset
# ---------------------------------------------------------------------------------------------

#: Name of the small JSON file :func:`lyganalysis.datasets.raw_export.write_raw_exports` puts
#: next to the exports: dataset name, simulated flag, description, and whether the keys were made
#: with the (public) demo salt.
EXPORT_META_FILE = "lyganalysis_export.json"
#: Environment variable holding the secret salt for real data.
SALT_ENV = "LYGANALYSIS_SALT"
#: The documented row order of the tables :func:`read_dataset` returns.
SORT_KEYS: dict[str, list[str]] = {
    "schools": ["school_year", "school_id"],
    "teachers": ["school_year", "teacher_key"],
    "scores": ["school_year", "exam", "student_key", "subject"],
    "county_facts": ["school_year", "county_code"],
}
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


class IntakeError(ValueError):
    """The folder could not be loaded: ``problems`` lists every problem (file, sheet, row,
    column, what to do); ``report`` is the full :class:`IntakeReport` when there is one.
    Nothing is loaded when this is raised."""

    MAX_LISTED = 200

    def __init__(self, directory: str | Path, problems: list[IntakeProblem], report: IntakeReport | None = None,
                 *, hint: str = ""):
        self.directory = Path(directory)
        self.problems = list(problems)
        self.report = report
        self.hint = hint
        lines = [p.render() for p in self.problems[: self.MAX_LISTED]]
        more = len(self.problems) - self.MAX_LISTED
        if more > 0:
            lines.append(f"  … 另有{more}个问题 / and {more} more: 运行 run `lyganalysis validate {self.directory} --rejected DIR` 查看全部 / to see all")
        super().__init__(
            f"数据未载入：{self.directory} 中有{len(self.problems)}个问题 / nothing loaded: "
            f"{len(self.problems)} problem(s) in {self.directory}\n" + "\n".join(lines) + (f"\n{hint}" if hint else "")
        )


def sort_canonical(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Sort a canonical table by :data:`SORT_KEYS` (stable) and reset the index."""
    keys = [k for k in SORT_KEYS.get(table, []) if k in frame.columns]
    if not keys:
        return frame.reset_index(drop=True)
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def _resolve_salt(directory: Path, salt: str | bytes | None, meta: dict) -> str | bytes:
    if salt is not None:
        if not salt:
            raise ValueError("salt must not be empty / 盐值不能为空")
        return salt
    if meta.get("demo_salt"):
        from lyganalysis.datasets.synthetic import DEMO_SALT

        return DEMO_SALT
    import os

    env = os.environ.get(SALT_ENV)
    if env:
        return env
    raise IntakeError(directory, [IntakeProblem(
        str(directory), None, None, None, None,
        "需要一个保密的盐值来生成化名编号 / a secret salt is needed to make the pseudonymous keys",
        f"传入 salt=...，或设置环境变量 {SALT_ENV}；各年份请用同一个盐值 / pass salt=... or set {SALT_ENV}; use the same salt every year")])


def _canonical_dtype(frame: pd.DataFrame, table: str, column: str, schema_col: Any) -> pd.Series:
    s = frame[column]
    dtype = str(schema_col.dtype) if schema_col.dtype is not None else None
    if column in ("rotated", "absent", "migrant", "left_behind"):
        b = s.astype("boolean")
        return b.astype(bool) if not b.isna().any() else b
    if dtype == "int64":
        return s.astype("Int64").astype("int64")
    if dtype == "Int64":
        return s.astype("Int64")
    if dtype in ("float64",):
        return s.astype("float64")
    if dtype == "boolean":
        return s.astype("boolean")
    return s.astype("str")


@dataclass(frozen=True)
class RawIntake:
    """What :func:`read_raw` returns: the validated ``dataset``, the full intake ``report``, and
    ``rejected_rows`` — one row per rejected data row that was accepted with
    ``accept_rejected=True`` (columns ``table``, ``file``, ``sheet``, ``row``, ``school_year``,
    ``school_id``, ``county``; school and county are missing when the row does not say them
    readably). No ID number, name or key is in it."""

    dataset: Dataset
    report: IntakeReport
    rejected_rows: pd.DataFrame

    @property
    def rejected_by_school(self) -> pd.DataFrame:
        """Rejected rows counted per county, school year, school and table (``rows_rejected``);
        rows without a readable school appear with a missing ``school_id`` (never dropped)."""
        cols = ["county", "school_year", "school_id", "table"]
        if not len(self.rejected_rows):
            return pd.DataFrame(columns=[*cols, "rows_rejected"])
        return (self.rejected_rows.groupby(cols, dropna=False).size().rename("rows_rejected").reset_index())

    def rejected_for_county(self, county: str) -> pd.DataFrame:
        """:attr:`rejected_by_school` of one county (what each of its report pages must state)."""
        r = self.rejected_by_school
        return r[r["county"] == county].reset_index(drop=True)


def read_dataset(
    directory: str | Path,
    *,
    salt: str | bytes | None = None,
    header_map: str | Path | Mapping | HeaderMap | None = None,
    name: str | None = None,
    language: str = "zh",
    accept_rejected: bool = False,
) -> Dataset:
    """Read a folder of bureau exports into a validated :class:`~lyganalysis.datasets.Dataset`:
    ``read_raw(...).dataset`` (see :func:`read_raw`, which also returns the rejected rows per
    school)."""
    return read_raw(directory, salt=salt, header_map=header_map, name=name, language=language,
                    accept_rejected=accept_rejected).dataset


def read_raw(
    directory: str | Path,
    *,
    salt: str | bytes | None = None,
    header_map: str | Path | Mapping | HeaderMap | None = None,
    name: str | None = None,
    language: str = "zh",
    accept_rejected: bool = False,
) -> RawIntake:
    """Read a folder of bureau exports into a validated :class:`~lyganalysis.datasets.Dataset`.

    Every table file (any name: see :func:`validate_directory`) is read with
    :func:`validate_directory`'s machinery (headers mapped, values cleaned, totals reconciled, ID
    numbers checked, references and duplicates checked across files); each table is recognised
    by its columns (schools, teachers, scores, county_facts). ID numbers become ``birth_year``,
    ``gender`` and the salted ``teacher_key`` (or ``student_key``) and are dropped; 姓名 is
    dropped; no ID number remains anywhere in the result (checked). The tables are converted to
    the contract's dtypes, sorted by :data:`SORT_KEYS` and validated with
    :func:`lyganalysis.schema.validate_tables`.

    Parameters
    ----------
    directory
        Folder of exports (not recursive).
    salt
        Secret salt of the pseudonymous keys; keep it and use the same every year. Default: the
        environment variable ``LYGANALYSIS_SALT``, or — only for folders written by
        :func:`~lyganalysis.datasets.raw_export.write_raw_exports` from the simulated demo — the
        public demo salt (so that the demo round-trips exactly).
    header_map
        The user's mapping file (or dict / HeaderMap) extending the bundled header and value map.
    name, language
        Dataset name (default: from the export's ``lyganalysis_export.json``, else the folder
        name) and report language.
    accept_rejected
        ``False`` (default): any rejected row refuses the whole folder. ``True``: rows rejected
        one by one (bad values, truncated ID numbers, formulas without results …) are left out
        and listed in ``RawIntake.rejected_rows`` / ``rejected_by_school``, so every report page
        can state them; problems that are not about single rows (a file that cannot be read, a
        totals mismatch, a missing required column, a broken data contract) still refuse.

    Returns
    -------
    RawIntake

    Raises
    ------
    IntakeError
        If any row is rejected (unless ``accept_rejected``), any file cannot be read or
        recognised, a table misses required columns, or the tables break the data contract;
        lists every problem with file, sheet, row and column. Nothing is half-loaded.
    """
    import json

    from lyganalysis import schema
    from lyganalysis.datasets import Dataset

    directory = Path(directory)
    meta: dict = {}
    mp = directory / EXPORT_META_FILE
    if mp.is_file():
        meta = json.loads(mp.read_text(encoding="utf-8"))
    key_salt = _resolve_salt(directory, salt, meta)
    report = validate_directory(directory, header_map=header_map, salt=key_salt)
    if accept_rejected:
        _cascade_rejections(report)
    problems = []
    for t in report.tables:
        rejected_rows = set(t.rejected["行号 row"].tolist()) if t.frame is not None and t.rejected is not None and len(t.rejected) else set()
        for p in t.errors:
            if accept_rejected and p.row is not None and p.row in rejected_rows:
                continue  # a rejected row, accepted: counted in RawIntake.rejected_rows
            problems.append(p)
    if not report.tables:
        problems.append(IntakeProblem(str(directory), None, None, None, None, NO_TABLES_MESSAGE, "检查路径 / check the folder"))
    for t in report.tables:
        if t.frame is not None and t.table == "unknown" and t.rows_read:
            problems.append(IntakeProblem(t.file, t.sheet, None, None, None,
                                          "无法判断这是哪种表（学校、教师、成绩或县区情况） / cannot tell which table this is "
                                          f"(recognised columns: {', '.join(t.columns.values()) or 'none'})",
                                          "检查表头，或在表头映射文件中补充 / check the headers or extend the mapping file"))
    schemas = schema.table_schemas()
    frames: dict[str, list[pd.DataFrame]] = {}
    for t in report.tables:
        if t.frame is None or t.table not in SORT_KEYS or not len(t.frame):
            continue
        required = [c for c, col in schemas[t.table].columns.items() if col.required]
        missing = [c for c in required if c not in t.frame.columns]
        if missing:
            problems.append(IntakeProblem(t.file, t.sheet, None, None, None,
                                          f"缺少必需的列 / missing required column(s): {', '.join(missing)}",
                                          "补充这些列后重新导出（列名见 data/README.md 数据字典） / add them (see the data dictionary)"))
            continue
        f = t.frame.copy()
        f["_file"], f["_sheet"] = t.file, t.sheet or ""
        frames.setdefault(t.table, []).append(f)
    if "schools" not in frames and not problems:
        problems.append(IntakeProblem(str(directory), None, None, None, None,
                                      "没有学校基本情况表 / no schools table in the folder", "加入学校基本情况表 / add the schools export"))
    if problems:
        n_rej = sum(t.rows_rejected for t in report.tables if t.frame is not None)
        hint = ("" if accept_rejected or not n_rej else
                f"{n_rej}行被拒绝；如要用其余数据出报告（每页注明各校被拒绝的行数），请加 --accept-rejected / "
                f"{n_rej} row(s) rejected; to report on the other rows (every page then states the rejected rows per "
                "school) add --accept-rejected (accept_rejected=True)")
        raise IntakeError(directory, problems, report, hint=hint)
    rejected_rows = _rejected_rows(report) if accept_rejected else _rejected_rows(IntakeReport(directory))
    for t in report.tables:
        for p in t.warnings:
            logging.getLogger(__name__).warning(p.render())

    tables: dict[str, pd.DataFrame | None] = {}
    where: dict[str, pd.DataFrame] = {}
    for table, parts in frames.items():
        f = pd.concat(parts, ignore_index=True)
        cols = schemas[table].columns
        extra = [c for c in f.columns if c not in cols and c not in ("source_row", "_file", "_sheet")]
        if extra:
            logging.getLogger(__name__).warning("%s: columns not part of the contract, not kept: %s", table, ", ".join(extra))
        out = pd.DataFrame({c: _canonical_dtype(f, table, c, col) for c, col in cols.items() if c in f.columns})
        out[["_file", "_sheet", "_row"]] = f[["_file", "_sheet", "source_row"]].to_numpy()
        out = sort_canonical(out, table)
        where[table] = out[["_file", "_sheet", "_row"]]
        tables[table] = out.drop(columns=["_file", "_sheet", "_row"])
    # no ID number may remain anywhere
    for table, f in tables.items():
        for c in f.columns:
            if f[c].dtype == object or str(f[c].dtype) in ("str", "string"):
                u = pd.Series(f[c].dropna().unique(), dtype=object).astype(str)
                hit = u[u.str.contains(_ID_LIKE)]
                if len(hit):
                    raise IntakeError(directory, [IntakeProblem(table, None, None, c, None,
                                                                "结果中出现疑似身份证号 / an ID-like number remains in the result",
                                                                "请把该列映射为身份证号，或删除 / map that column as the ID number or remove it")])
    ds = Dataset(
        name=name or meta.get("name") or directory.name,
        schools=tables["schools"], teachers=tables.get("teachers"), scores=tables.get("scores"),
        county_facts=tables.get("county_facts"), school_results=None,
        simulated=bool(meta.get("simulated", False)), language=meta.get("language", language),
        description=meta.get("description") or f"read from raw exports in {directory}",
    )
    try:
        schema.validate_tables(ds)
    except schema.TableValidationError as exc:
        located = []
        for r in exc.failures.itertuples(index=False):
            w = where.get(r.table)
            if w is not None and isinstance(r.row, (int, np.integer)) and 0 <= int(r.row) < len(w):
                file, sheet, row = w.iloc[int(r.row)].tolist()
                located.append(IntakeProblem(file, sheet or None, int(row), r.column, str(r.value),
                                             f"不符合数据约定：{r.check} / breaks the data contract: {r.check}",
                                             "核对该值 / check the value"))
            else:
                located.append(IntakeProblem(r.table, None, None, r.column, str(r.value),
                                             f"不符合数据约定：{r.check} / breaks the data contract: {r.check}", "核对该值 / check the value"))
        raise IntakeError(directory, located or [IntakeProblem(str(directory), None, None, None, None, str(exc), "")], report) from exc
    if len(rejected_rows):
        # county of teachers' and pupils' rejected rows from the schools table
        sch = ds.schools[["school_id", "school_year", "county"]].drop_duplicates(["school_id", "school_year"])
        look = {(a, int(b)): c for a, b, c in sch.itertuples(index=False)}
        look_id = dict(zip(sch["school_id"], sch["county"]))
        rejected_rows["county"] = [
            c if isinstance(c, str) else look.get((sid, int(sy)) if not pd.isna(sy) else None, look_id.get(sid))
            for c, sid, sy in zip(rejected_rows["county"], rejected_rows["school_id"], rejected_rows["school_year"])]
    return RawIntake(ds, report, rejected_rows)


def _cascade_rejections(report: IntakeReport) -> None:
    """With rejected rows accepted: rows that depend on a rejected school row are rejected too
    (teachers and scores of that school and year; teaching points whose central school's row was
    rejected), each with an error naming the reason, so that nothing refers to a missing school."""
    for _ in range(3):  # a central school rejected → its teaching points → their teachers
        kept: set[tuple[str, int]] = set()
        for t in report.tables:
            if t.table == "schools" and t.frame is not None and {"school_id", "school_year"} <= set(t.frame.columns):
                kept |= {(a, int(b)) for a, b in zip(t.frame["school_id"], t.frame["school_year"]) if isinstance(a, str) and not pd.isna(b)}
        if not kept:
            return
        changed = False
        for t in report.tables:
            if t.frame is None or not len(t.frame) or "school_year" not in t.frame.columns:
                continue
            col = "central_school_id" if t.table == "schools" else "school_id" if t.table in ("teachers", "scores") else None
            if col is None or col not in t.frame.columns:
                continue
            hdr = next((h for h, c in t.columns.items() if c == col), col)
            reasons, problems = {}, []
            for r, sid, sy in zip(t.frame["source_row"], t.frame[col], t.frame["school_year"]):
                if not isinstance(sid, str) or pd.isna(sy) or (sid, int(sy)) in kept:
                    continue
                msg = (f"学校{sid}的学校基本情况行被拒绝，本行随之拒绝 / the row of school {sid} in the schools table was "
                       "rejected, so this row is rejected too")
                reasons[int(r)] = msg
                problems.append(IntakeProblem(t.file, t.sheet, int(r), hdr, sid, msg, "先更正该校的学校基本情况行 / correct the school's row first"))
            if reasons:
                _reject_late(t, reasons, problems)
                changed = True
        if not changed:
            return


def _rejected_rows(report: IntakeReport) -> pd.DataFrame:
    """One row per rejected data row of the tables read: table, file, sheet, row, and — where the
    row says them readably — school_year, school_id and county."""
    recs = []
    for t in report.tables:
        if t.frame is None or t.rejected is None or not len(t.rejected):
            continue
        pos_of = {r: i for i, r in enumerate(t.source_rows)}
        allr = t.all_rows
        for r in t.rejected["行号 row"].tolist():
            pos = pos_of.get(r)
            rec = {"table": t.table, "file": t.file, "sheet": t.sheet or "", "row": int(r),
                   "school_year": None, "school_id": None, "county": None}
            if pos is not None and allr is not None:
                for c in ("school_year", "school_id", "county"):
                    if c in allr.columns:
                        v = allr[c].iloc[pos]
                        rec[c] = None if v is None or (not isinstance(v, str) and pd.isna(v)) else (int(v) if c == "school_year" else v)
            recs.append(rec)
    out = pd.DataFrame(recs, columns=["table", "file", "sheet", "row", "school_year", "school_id", "county"])
    out["school_year"] = out["school_year"].astype("Int64")
    return out

