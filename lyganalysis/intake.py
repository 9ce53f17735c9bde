"""Intake of a folder of bureau exports: read, map headers, clean, reconcile totals, account for
every row, and report problems a clerk can act on.

Public entry point: :func:`validate_directory` (wired into the CLI as ``lyganalysis validate DIR``).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

import pandas as pd
import yaml

from . import cleaning, ids
from .cleaning import ChangeLog
from .io import ReadError, ReadResult, SUPPORTED_SUFFIXES, read_table_file

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
]

_DEFAULT_MAP = Path(__file__).with_name("header_map.yaml")

# ---------------------------------------------------------------------------------------------
# Header mapping
# ---------------------------------------------------------------------------------------------


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text))
    return "".join(ch for ch in text if not ch.isspace() and ch not in "\ufeff\u200b").lower()


_UNIT_RE = re.compile(r"^(.*?)[(\[]([^()\[\]]+)[)\]]$")


@dataclass(frozen=True)
class ColumnMatch:
    header: str  # as read
    canonical: str | None  # None = unknown
    scale: int = 1  # from a bracketed unit, e.g. (万元) → 10000
    unit: str | None = None
    note: str = ""  # why it is unknown / how the stage was found


@dataclass
class HeaderMap:
    columns: dict[str, str]  # key(variant) → canonical
    stage_columns: dict[str, str]  # key(variant) → base
    stages: dict[str, str]  # stage word → stage code
    units: dict[str, int]  # key(unit) → scale

    def stage_of(self, text: str | None) -> str | None:
        """The one stage named in ``text`` (sheet or file name), else None."""
        if not text:
            return None
        found = {code for word, code in self.stages.items() if word in _key(text)}
        return found.pop() if len(found) == 1 else None

    def resolve(self, header: str, *, stage: str | None = None) -> ColumnMatch:
        key = _key(header)
        scale, unit = 1, None
        m = _UNIT_RE.match(key)
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
    for section in ("columns", "stage_columns", "stages", "units"):
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
    target: dict[str, dict] = {"columns": {}, "stage_columns": {}, "stages": {}, "units": {}}
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
        return f"  [{tag}] {', '.join(where)}:{raw} {self.message}{act}"


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

    @property
    def errors(self) -> list[IntakeProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[IntakeProblem]:
        return [p for p in self.problems if p.severity == "warning"]


@dataclass
class IntakeReport:
    directory: Path
    tables: list[TableReport] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

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
            lines.append("  [错误 ERROR] 文件夹中没有 .csv/.xlsx/.xls 文件 / no .csv, .xlsx or .xls files in the folder")
        for t in self.tables:
            name = t.file + (f" [{t.sheet}]" if t.sheet else "")
            enc = f" · 编码 encoding {t.encoding}" if t.encoding else ""
            kind = f" · 表 table {t.table}" if t.table else ""
            lines.append(
                f"{name}{enc}{kind}: 读取 read {t.rows_read} · 保留 kept {t.rows_kept} · 拒绝 rejected {t.rows_rejected}"
            )
            for note in t.notes:
                lines.append(f"  · {note}")
            if t.unknown_columns:
                lines.append("  · 未识别的列（未使用） unknown columns (not used): " + "、".join(t.unknown_columns))
            for p in t.problems:
                lines.append(p.render())
            if t.rejected_path is not None:
                lines.append(f"  · 被拒绝的行已写入 rejected rows written to {t.rejected_path}")
            lines.append("")
        for name in self.ignored:
            lines.append(f"已忽略 ignored: {name}")
        n_err, n_warn = len(self.errors), len(self.warnings)
        verdict = "通过 OK" if self.ok else "未通过 FAILED"
        lines.append(f"结果 result: {verdict} — {n_err} 个错误 error(s), {n_warn} 个警告 warning(s); exit code {self.exit_code}")
        return "\n".join(lines)


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
_INT_COLUMNS = {"multimedia_classrooms", "computers", "books", "music_rooms", "art_rooms", "school_year"}
_FLOAT_COLUMNS = {"teaching_area_m2", "sports_area_m2", "equipment_value_yuan"}
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
}
_FIX_NUMBER = "改为纯数字（不带单位、约数或文字） / write a plain number (no unit words, no 约, no text)"
_YES = {"是", "1", "y", "yes", "true", "√"}
_NO = {"否", "0", "n", "no", "false", "×"}


def _base(col: str) -> str:
    for b in _INT_BASES:
        if col.startswith(b + "_"):
            return b
    return col


def _guess_table(columns: set[str]) -> str:
    if "score" in columns:
        return "scores"
    if "id_number" in columns or {"birth_year", "title", "qualification"} & columns:
        return "teachers"
    if "school_id" in columns or "school_name" in columns:
        return "schools"
    return "unknown"


def clean_table(
    result: ReadResult,
    header_map: HeaderMap,
    *,
    salt: str | bytes | None = None,
) -> TableReport:
    """Map headers and clean one table read by :mod:`lyganalysis.io`; every row is kept or
    rejected with reasons, never lost."""
    file, sheet = result.path.name, result.sheet
    report = TableReport(file, sheet, result.encoding, rows_read=len(result.frame))
    report.notes.extend(n for n in result.notes if not n.startswith("编码"))
    stage = header_map.stage_of(sheet) or header_map.stage_of(result.path.stem)
    frame = result.frame
    rows = list(result.source_rows)
    log = ChangeLog()
    row_errors: dict[int, list[str]] = {}
    out: dict[str, pd.Series] = {}
    used: dict[str, str] = {}

    def reject(pos: int, text: str) -> None:
        row_errors.setdefault(pos, []).append(text)

    def err(pos: int, text: str) -> None:
        """Reject row ``pos`` and report the problem; ``text`` is 'header: message — action'."""
        reject(pos, text)
        column, _, rest = text.partition(": ")
        message, _, action = rest.partition(" — ")
        raw = frame[column].iloc[pos] if column in frame.columns else None
        report.problems.append(IntakeProblem(file, sheet, rows[pos], column, raw, message, action))

    for header in frame.columns:
        match = header_map.resolve(header, stage=stage)
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
        if base in _INT_BASES or col in _INT_COLUMNS or col in _FLOAT_COLUMNS:
            kind = "float" if col in _FLOAT_COLUMNS else "int"
            out[col] = cleaning.clean_numeric(
                series, column=header, kind=kind, log=log, rows=rows, allowed_units=_UNITS_OK.get(base), scale=match.scale
            )
        elif col in ("school_id", "central_school_id", "county_code"):
            n = 10 if col != "county_code" else 6
            values = []
            for pos, raw in enumerate(series.tolist()):
                text = cleaning.normalize_text(raw)
                if not text or text in cleaning.PLACEHOLDERS:
                    if col == "school_id":
                        err(pos, f"{header}: 为空 blank — 补填{n}位代码 / fill in the {n}-digit code")
                    values.append(None)
                elif not re.fullmatch(rf"\d{{{n}}}", text):
                    err(pos, f"{header}: “{raw}”应为{n}位数字 / must be {n} digits (keep leading zeros; format the column as Text)")
                    values.append(None)
                else:
                    values.append(text)
            out[col] = pd.Series(values, index=series.index, dtype="str")
        elif col == "county":
            names, codes = [], []
            for pos, raw in enumerate(series.tolist()):
                try:
                    ref = cleaning.normalize_county(raw)
                except ValueError as exc:
                    err(pos, f"{header}: {exc}")
                    ref = (None, None)
                names.append(ref[0])
                codes.append(ref[1])
            out["county"] = pd.Series(names, index=series.index, dtype="str")
            if "county_code" not in used:
                out["county_code"] = pd.Series(codes, index=series.index, dtype="str")
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
        elif col in ("affordable_kindergarten", "quality_kindergarten"):
            values = []
            for pos, raw in enumerate(series.tolist()):
                t = cleaning.normalize_text(raw).lower()
                if t in _YES:
                    values.append(True)
                elif t in _NO:
                    values.append(False)
                elif t in cleaning.PLACEHOLDERS:
                    values.append(None)
                else:
                    err(pos, f"{header}: “{raw}”应为是或否 / must be 是 or 否")
                    values.append(None)
            out[col] = pd.Series(pd.array(values, dtype="boolean"), index=series.index)
        elif col == "birth_date":
            out[col] = cleaning.clean_dates(series, column=header, log=log, rows=rows)
        elif col == "id_number":
            checks = ids.check_id_series(series)
            truncated = [i for i, r in enumerate(checks["reason"].tolist()) if r == "truncated"]
            if truncated:
                report.problems.append(
                    IntakeProblem(
                        file, sheet, rows[truncated[0]], header, str(series.iloc[truncated[0]]),
                        f"身份证号被Excel按数字存储，已丢失位数（共{len(truncated)}个），整个文件未载入 / "
                        f"{len(truncated)} ID number(s) were stored as numbers and lost digits; the file is not loaded",
                        ids.ID_REASONS["truncated"][2],
                    )
                )
                for pos in range(len(frame)):
                    reject(pos, "文件未载入：身份证号列被截断 / file not loaded: ID column truncated by Excel")
            for pos, (reason, raw) in enumerate(zip(checks["reason"].tolist(), series.tolist())):
                if isinstance(reason, str) and reason != "truncated":
                    zh, en, action = ids.ID_REASONS[reason]
                    err(pos, f"{header}: {zh} / {en} — {action}")
            out["birth_date"] = pd.Series(checks["birth_date"].tolist(), index=series.index, dtype="object")
            out["gender"] = checks["sex"]
            if salt is not None:
                key = "student_key" if "score" in used else "teacher_key"
                out[key] = ids.pseudonymize_ids(series, salt=salt)
            # the number itself is never kept
        else:
            out[col] = cleaning.clean_text(series, column=header, log=log, rows=rows)

    report.table = _guess_table(set(used))
    pos_of = {r: i for i, r in enumerate(rows)}
    for p in log.problems:
        pos = pos_of.get(p.row)
        if p.severity == "error" and pos is not None:
            reject(pos, f"{p.column}: “{p.raw}” {p.message}")
        action = _FIX_NUMBER if p.severity == "error" else "核实后填写确切数字 / confirm and write the exact number"
        if p.reason == "date":
            action = "写成 2021-09-01 的形式 / write the date as 2021-09-01"
        report.problems.append(
            IntakeProblem(file, sheet, p.row, p.column, None if p.raw is None else str(p.raw), p.message, action, p.severity)
        )

    report.problems.extend(reconcile_totals(result))

    clean = pd.DataFrame(out, index=frame.index)
    bad = sorted(row_errors)
    keep_mask = [i not in row_errors for i in range(len(frame))]
    report.frame = clean.loc[keep_mask].reset_index(drop=True)
    if "source_row" not in report.frame.columns:
        report.frame.insert(0, "source_row", [r for r, k in zip(rows, keep_mask) if k])
    rejected = frame.iloc[bad].copy() if bad else frame.iloc[0:0].copy()
    rejected.insert(0, "原因 reason", ["; ".join(row_errors[i]) for i in bad])
    rejected.insert(0, "行号 row", [rows[i] for i in bad])
    rejected.insert(0, "工作表 sheet", sheet or "")
    rejected.insert(0, "文件 file", file)
    report.rejected = rejected.reset_index(drop=True)
    report.rows_kept = int(sum(keep_mask))
    report.rows_rejected = len(bad)
    report.changes = log.to_frame()
    return report


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


def _raw_rejects(path: Path, exc: ReadError) -> pd.DataFrame | None:
    """For a CSV that failed on its structure, the raw lines, so they can be written out."""
    if path.suffix.lower() != ".csv" or not exc.data_lines:
        return None
    from .io import detect_encoding

    raw = path.read_bytes()
    try:
        text = raw.decode(detect_encoding(raw))
    except (ValueError, UnicodeDecodeError):
        return None
    lines = text.lstrip("\ufeff").splitlines()
    rows = [(i + 1, line) for i, line in enumerate(lines) if line.strip()][1:]
    return pd.DataFrame(
        {
            "文件 file": path.name,
            "工作表 sheet": "",
            "行号 row": [n for n, _ in rows],
            "原因 reason": f"文件未载入 / file not loaded: {exc.message_en}",
            "原始行 raw line": [line for _, line in rows],
        }
    )


def validate_directory(
    path: str | Path,
    *,
    rejected_dir: str | Path | None = None,
    header_map: str | Path | Mapping | HeaderMap | None = None,
    salt: str | bytes | None = None,
) -> IntakeReport:
    """Read every .csv/.xlsx/.xls file in ``path`` (not recursive), map headers, clean values,
    reconcile totals and account for every row. A broken file becomes an error entry (never a
    crash, never a half-load). Rejected rows, with the reason for each, are written as CSV
    (UTF-8 with BOM, opens in Excel) into ``rejected_dir`` when given. ``header_map`` extends
    the bundled mapping. ``salt`` turns ID numbers into pseudonymous keys (else they are only
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
        if file.name.startswith(("~$", ".")) or file.suffix.lower() not in SUPPORTED_SUFFIXES:
            report.ignored.append(file.name)
            continue
        tables: list[TableReport]
        try:
            results = read_table_file(file)
            tables = [clean_table(r, hm, salt=salt) for r in results]
            if not tables:
                t = TableReport(file.name, None)
                t.problems.append(IntakeProblem(file.name, None, None, None, None, "文件没有数据 / the file holds no data", "检查是否导出了正确的表 / check the export", "warning"))
                tables = [t]
        except ReadError as exc:
            t = _file_error(file, exc)
            t.rejected = _raw_rejects(file, exc)
            tables = [t]
        except Exception as exc:  # never crash on one file
            t = TableReport(file.name, None)
            t.problems.append(
                IntakeProblem(file.name, None, None, None, None, f"读取时出现意外错误 / unexpected error while reading: {type(exc).__name__}: {exc}",
                              "请把该文件发给维护者 / send the file to the maintainers")
            )
            tables = [t]
        # file-level errors from a sheet (e.g. truncated IDs) already rejected every row
        for t in tables:
            if out_dir is not None and t.rejected is not None and len(t.rejected):
                out_dir.mkdir(parents=True, exist_ok=True)
                stem = file.stem + (f"__{_safe(t.sheet)}" if t.sheet else "")
                target = out_dir / f"{stem}.rejected.csv"
                t.rejected.to_csv(target, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_NONNUMERIC)
                t.rejected_path = target
        report.tables.extend(tables)
    return report


def _safe(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "_", name)
