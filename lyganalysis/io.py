"""Readers for the bureau's exports: CSV (UTF-8, UTF-8 with BOM, UTF-16, GBK/GB18030) and Excel
workbooks (.xlsx via openpyxl, legacy .xls via xlrd).

Rules these readers keep:

* They never guess. The encoding is found in a fixed order (BOM → strict UTF-8 → GB18030) and
  recorded; a line with the wrong number of fields stops the read with an error naming the file
  and line, it is never skipped or shifted.
* They never convert. Every cell comes back as text (``str`` dtype, blanks as ``''``), so an ID
  number or a school code can never become a float. Cleaning is the next layer's job.
* They never lose a row. Every data row carries the row number the user sees in Excel or a text
  editor (``ReadResult.source_rows``); 合计/小计/其中/注/填表人 rows are not dropped but kept aside
  in ``ReadResult.special_rows`` so totals can be reconciled.
"""

from __future__ import annotations

import csv
import datetime as _dt
import functools
import io as _stdio
import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd

__all__ = [
    "ReadError",
    "ReadResult",
    "SpecialRow",
    "detect_encoding",
    "read_csv_text",
    "read_excel_sheets",
    "read_table_file",
    "clean_header",
    "special_row_kind",
    "SUPPORTED_SUFFIXES",
]

SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".xls")

# ---------------------------------------------------------------------------------------------
# Errors and results
# ---------------------------------------------------------------------------------------------


class ReadError(Exception):
    """A file could not be read as a table. Names the file, sheet and line/row where known.

    ``message_zh`` / ``message_en`` say what is wrong; ``action`` says what to do about it.
    ``data_lines`` (CSV only) is the number of data lines the file holds, so that a caller can
    account for rows that were not loaded.
    """

    def __init__(
        self,
        path: str | Path,
        message_en: str,
        *,
        message_zh: str = "",
        line: int | None = None,
        sheet: str | None = None,
        action: str = "",
        data_lines: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.message_en = message_en
        self.message_zh = message_zh or message_en
        self.line = line
        self.sheet = sheet
        self.action = action
        self.data_lines = data_lines
        where = self.path.name
        if sheet is not None:
            where += f" [{sheet}]"
        if line is not None:
            where += f" line {line}"
        super().__init__(f"{where}: {self.message_zh} / {message_en}" + (f" — {action}" if action else ""))


@dataclass(frozen=True)
class SpecialRow:
    """A non-data row found among the data: total, subtotal, of-which, note or footer."""

    kind: str  # "total" | "subtotal" | "of_which" | "note" | "footer"
    label: str  # the text that identified it (first text cell, whitespace removed)
    source_row: int  # row number as the user sees it (1-based)
    position: int  # number of data rows that precede this row in the sheet
    values: dict[str, str]  # column → raw cell text


@dataclass(frozen=True)
class ReadResult:
    frame: pd.DataFrame  # every column dtype str, blank cells as ''
    path: Path
    sheet: str | None  # None for CSV
    encoding: str | None  # None for Excel
    header_rows: tuple[int, ...]  # 1-based row numbers of the header row(s)
    source_rows: tuple[int, ...]  # frame row i ↔ row/line source_rows[i] in the file
    notes: tuple[str, ...] = ()
    special_rows: tuple[SpecialRow, ...] = ()
    skipped_blank_rows: int = 0

    @property
    def location(self) -> str:
        return self.path.name + (f" [{self.sheet}]" if self.sheet else "")


# ---------------------------------------------------------------------------------------------
# Text helpers shared by both readers
# ---------------------------------------------------------------------------------------------

# Characters that Unicode does not call whitespace but that behave like it in pasted cells.
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060\u00ad"
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
_CJK_RE = r"[\u2e80-\u9fff\uf900-\ufaff\U00020000-\U0003134f（）【】、：]"


def _remove_all_space(text: str) -> str:
    text = _INVISIBLE_RE.sub("", text)
    return "".join(ch for ch in text if not ch.isspace())


def clean_header(value: Any) -> str:
    """Tidy a header cell: NFKC, no BOM/zero-width characters, no line breaks, no stray spaces.

    Spaces next to a Chinese character are removed ('学  校' → '学校', '学生数\\n(人)' →
    '学生数(人)'); other runs of spaces become one ('school  id' → 'school id').
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = _INVISIBLE_RE.sub("", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(rf"(?<={_CJK_RE}) (?=\S)|(?<=\S) (?={_CJK_RE})", "", text)
    text = re.sub(rf"(?<={_CJK_RE}) |(?<=\() | (?=\))", "", text)
    return text


_SPECIAL_KEYWORDS: tuple[tuple[str, str], ...] = (
    # order matters: longer / more specific first
    ("单位负责人", "footer"),
    ("填表人", "footer"),
    ("填报人", "footer"),
    ("审核人", "footer"),
    ("制表人", "footer"),
    ("小计", "subtotal"),
    ("合计", "total"),
    ("总计", "total"),
    ("其中", "of_which"),
    ("注", "note"),
    ("备注", "note"),
    ("说明", "note"),
)


@functools.lru_cache(maxsize=65536)
def special_row_kind(first_text: str) -> tuple[str, str] | None:
    """Return (kind, label) if ``first_text`` marks a total/subtotal/of-which/note/footer row.

    All whitespace (incl. U+3000) is removed first, then the keyword must be a prefix or a suffix:
    '合  计', '城关镇小计', '其中：女', '注：…', '填表人：…'. '注' only counts as a prefix, since a
    name may end in it.
    """
    label = _remove_all_space(unicodedata.normalize("NFKC", first_text))
    if not label:
        return None
    core = label.rstrip(":：")
    for word, kind in _SPECIAL_KEYWORDS:
        if kind == "note":
            if label == word or label.startswith(word + ":") or label.startswith(word + "："):
                return kind, label
            if word != "注" and core == word:
                return kind, label
            if word == "注" and re.match(r"^注\d*[:：.、]", label):
                return kind, label
            continue
        if core.startswith(word) or core.endswith(word):
            return kind, label
    return None


_NUMBER_LIKE = re.compile(r"^[+\-]?[\d,.\s]+%?$")


def _first_text_cell(cells: Sequence[str]) -> str:
    """First non-empty cell that is not just a number (a 序号 column is skipped)."""
    for cell in cells:
        c = cell.strip()
        if c and not _NUMBER_LIKE.match(unicodedata.normalize("NFKC", c)):
            return c
    return ""


def _make_unique(names: list[str], notes: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        if not name:
            name = f"列{i + 1}"
            notes.append(f"第{i + 1}列表头为空，命名为“{name}” / column {i + 1} has an empty header, named '{name}'")
        if name in seen:
            seen[name] += 1
            new = f"{name}_{seen[name]}"
            notes.append(f"表头“{name}”重复，第二个改名为“{new}” / duplicate header '{name}' renamed '{new}'")
            name = new
        else:
            seen[name] = 1
        out.append(name)
    return out


def _split_rows(
    header: list[str],
    rows: Iterable[tuple[int, list[str]]],
    notes: list[str],
) -> tuple[list[list[str]], list[int], list[SpecialRow], int]:
    """Separate data rows from special rows and blank rows. ``rows`` yields (source_row, cells)."""
    data: list[list[str]] = []
    source: list[int] = []
    special: list[SpecialRow] = []
    blank = 0
    after_note = False
    for source_row, cells in rows:
        if not any(c.strip() for c in cells):
            blank += 1
            continue
        kind = special_row_kind(_first_text_cell(cells))
        if kind is None and after_note:
            nonempty = {c.strip() for c in cells if c.strip()}
            if len(nonempty) <= 1:
                kind = ("note", _remove_all_space(next(iter(nonempty))))
        if kind is not None:
            special.append(
                SpecialRow(
                    kind=kind[0],
                    label=kind[1],
                    source_row=source_row,
                    position=len(data),
                    values=dict(zip(header, cells)),
                )
            )
            after_note = after_note or kind[0] in ("note", "footer")
            continue
        data.append(cells)
        source.append(source_row)
    if blank:
        notes.append(f"跳过{blank}个空行 / skipped {blank} blank row(s)")
    if special:
        counts: dict[str, int] = {}
        for s in special:
            counts[s.kind] = counts.get(s.kind, 0) + 1
        desc = ", ".join(f"{k} {v}" for k, v in counts.items())
        notes.append(f"合计/小计/注等非数据行已单独存放 / non-data rows kept aside: {desc}")
    return data, source, special, blank


def _frame(header: list[str], data: list[list[str]]) -> pd.DataFrame:
    columns = {name: [row[i] for row in data] for i, name in enumerate(header)}
    return pd.DataFrame(columns, columns=header, dtype=str)


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


def detect_encoding(raw: bytes) -> str:
    """Return the encoding of ``raw``: BOM → strict UTF-8 → GB18030. Never plain GBK.

    GB18030 is a superset of GBK/GB2312 (it has 䶮 and 𠮷, which GBK lacks), and it is tried only
    after strict UTF-8 fails, because GB18030 decodes most UTF-8 byte pairs without error into
    mojibake. Raises ``UnicodeDecodeError`` (wrapped as ``ValueError``) if nothing fits.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if raw.startswith(b"\xff\xfe\x00\x00") or raw.startswith(b"\x00\x00\xfe\xff"):
        return "utf-32"
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff"):
        return "utf-16"
    try:
        raw.decode("utf-8", errors="strict")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("gb18030", errors="strict")
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"neither UTF-8 nor GB18030 (byte {exc.start}: {raw[exc.start:exc.start + 4]!r})"
        ) from exc


def _sniff_delimiter(first_line: str) -> str:
    if first_line.count("\t") > first_line.count(",") and first_line.count("\t") > 0:
        return "\t"
    return ","


def read_csv_text(path: str | Path, *, encoding: str | None = None) -> ReadResult:
    """Read a CSV (or tab-separated) export as text, with the row numbers a text editor shows.

    Title lines above the header (one non-empty field) are skipped and noted. A data line with a
    different number of fields than the header stops the read with a :class:`ReadError` naming
    the line, except note/footer lines (注/填表人), which may be shorter.
    """
    path = Path(path)
    raw = path.read_bytes()
    if encoding is None:
        try:
            encoding = detect_encoding(raw)
        except ValueError as exc:
            raise ReadError(
                path,
                f"cannot decode the file: {exc}",
                message_zh="文件编码无法识别（既不是UTF-8也不是GB18030）",
                action="请用Excel“另存为 CSV UTF-8”后重新提交 / save it again as 'CSV UTF-8' in Excel",
            ) from exc
    text = raw.decode(encoding, errors="strict")
    if text.startswith("\ufeff"):
        text = text[1:]
    delimiter = _sniff_delimiter(text.split("\n", 1)[0])
    reader = csv.reader(_stdio.StringIO(text, newline=""), delimiter=delimiter, strict=True)

    notes: list[str] = [f"编码 encoding: {encoding}"]
    header: list[str] | None = None
    header_line = 0
    width = 0
    records: list[tuple[int, list[str]]] = []
    last_line = 0
    bad: tuple[int, int] | None = None
    data_lines = 0
    n_bad = 0
    parsed: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            parsed.append((last_line + 1, cells))
            last_line = reader.line_num
    except csv.Error as exc:
        raise ReadError(
            path,
            f"malformed CSV near line {reader.line_num}: {exc}",
            message_zh=f"CSV格式错误（第{reader.line_num}行附近）",
            line=reader.line_num,
            action="检查该行的引号是否成对 / check the quotes on that line",
        ) from exc
    multi = [i for i, (_, cells) in enumerate(parsed) if sum(1 for c in cells if c.strip()) >= 2]
    first_multi = multi[0] if multi else None
    for i, (start_line, cells) in enumerate(parsed):
        if header is None:
            is_title = first_multi is not None and i < first_multi
            if not any(c.strip() for c in cells) or is_title:
                if any(c.strip() for c in cells):
                    notes.append(f"第{start_line}行为标题，已跳过 / line {start_line} is a title, skipped")
                continue
            header = [clean_header(c) for c in cells]
            header_line = start_line
            width = len(cells)
            # trailing empty header cells whose columns stay empty are dropped later
            continue
        if not any(c.strip() for c in cells):
            records.append((start_line, [""] * width))
            continue
        data_lines += 1
        if len(cells) != width:
            kind = special_row_kind(_first_text_cell(cells))
            if kind is not None and kind[0] in ("note", "footer"):
                text_cells = [c for c in cells if c.strip()]
                records.append((start_line, ([" ".join(text_cells)] + [""] * width)[:width]))
                continue
            if bad is None:
                bad = (start_line, len(cells))
            continue
        records.append((start_line, cells))
    if header is None:
        raise ReadError(
            path,
            "no header row found",
            message_zh="找不到表头行",
            action="第一行应为列名 / the first row should hold the column names",
            data_lines=0,
        )
    if bad is not None:
        line, n = bad
        raise ReadError(
            path,
            f"line {line} has {n} fields, {width} expected (header on line {header_line})"
            + (f"; {n_bad - 1} more line(s) like it" if n_bad > 1 else "")
            + "; an unquoted thousands separator such as 1,234 splits a number into two fields",
            message_zh=f"第{line}行有{n}个字段，应为{width}个" + (f"（另有{n_bad - 1}行同样问题）" if n_bad > 1 else ""),
            line=line,
            action=(
                "在Excel中把数字设为不带千位分隔符的常规格式后重新导出，或给含逗号的值加引号 / "
                "re-export with numbers in General format (no thousands separator) or quote the value"
            ),
            data_lines=data_lines,
        )

    # drop trailing unnamed columns that are empty everywhere (Excel's trailing commas)
    while header and header[-1] == "" and all(r[1][len(header) - 1].strip() == "" for r in records):
        header.pop()
        records = [(n, cells[: len(header)]) for n, cells in records]
    header = _make_unique(header, notes)
    data, source, special, blank = _split_rows(header, records, notes)
    return ReadResult(
        frame=_frame(header, data),
        path=path,
        sheet=None,
        encoding=encoding,
        header_rows=(header_line,),
        source_rows=tuple(source),
        notes=tuple(notes),
        special_rows=tuple(special),
        skipped_blank_rows=blank,
    )


# ---------------------------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    """Render an Excel cell value as the text the user sees, without losing digits.

    Integral floats lose their '.0'; floats of 1e15 or more keep scientific notation ('e+') so
    an ID number Excel stored as a number is recognisable as truncated and never used.
    Dates become ISO text.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        if abs(value) >= 1e15:
            return repr(value) if "e" in repr(value) else f"{value:.15e}"
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, _dt.datetime):
        if value.time() == _dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return str(value)


@dataclass
class _Grid:
    """A sheet as a rectangle of cell texts plus its merged ranges (0-based, inclusive)."""

    name: str
    cells: list[list[str]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, r1, c0, c1

    def expand_merges(self) -> None:
        for r0, r1, c0, c1 in self.merges:
            value = self.cells[r0][c0]
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    self.cells[r][c] = value


def _anchors(grid: _Grid, r: int) -> tuple[int, int]:
    """(number of distinct non-empty cells/merged ranges, columns they cover) in row r."""
    covered: set[int] = set()
    anchors = 0
    in_merge: dict[int, tuple[int, int, int, int]] = {}
    for m in grid.merges:
        if m[0] <= r <= m[1]:
            for c in range(m[2], m[3] + 1):
                in_merge[c] = m
    seen: set[tuple[int, int, int, int]] = set()
    for c, text in enumerate(grid.cells[r]):
        if not text.strip():
            continue
        m = in_merge.get(c)
        if m is not None:
            if m in seen:
                covered.add(c)
                continue
            seen.add(m)
        anchors += 1
        covered.add(c)
    return anchors, len(covered)


def _find_header(grid: _Grid) -> tuple[int, int]:
    """Return (first, last) 0-based header rows, after merged title rows."""
    n = len(grid.cells)
    width = 0
    for r in range(min(n, 30)):
        width = max(width, _anchors(grid, r)[1])
    top = None
    for r in range(min(n, 30)):
        anchors, covered = _anchors(grid, r)
        if anchors >= 2 and covered >= max(2, math.ceil(0.5 * width)):
            top = r
            break
    if top is None and width == 1:
        top = next((r for r in range(n) if any(c.strip() for c in grid.cells[r])), None)
    if top is None:
        raise ValueError("no header row found in the first 30 rows")
    texts = [c for c in grid.cells[top] if c.strip()]
    numeric = sum(1 for c in texts if _NUMBER_LIKE.match(unicodedata.normalize("NFKC", c.strip())))
    if numeric > len(texts) / 2:
        raise ValueError(f"row {top + 1} looks like data, not a header (mostly numbers)")
    bottom = top
    while bottom + 1 < n and bottom - top < 3:
        nxt = bottom + 1
        vertical = any(m[0] <= bottom < m[1] and m[0] >= top for m in grid.merges)
        horizontal = [m for m in grid.merges if m[0] <= bottom <= m[1] and m[0] >= top and m[3] > m[2]]
        spans_filled = any(
            any(grid.cells[nxt][c].strip() for c in range(m[2], m[3] + 1)) and m[1] < nxt
            for m in horizontal
        )
        if vertical or spans_filled:
            bottom = nxt
        else:
            break
    return top, bottom


def _flatten_header(grid: _Grid, top: int, bottom: int) -> list[str]:
    names = []
    for c in range(len(grid.cells[top])):
        parts: list[str] = []
        for r in range(top, bottom + 1):
            label = clean_header(grid.cells[r][c])
            if label and (not parts or parts[-1] != label):
                parts.append(label)
        names.append("_".join(parts))
    return names


def _grid_to_result(grid: _Grid, path: Path) -> ReadResult:
    notes: list[str] = []
    if not grid.cells:
        return ReadResult(_frame([], []), path, grid.name, None, (), (), ("空表 / empty sheet",))
    raw_first = [list(row) for row in grid.cells]  # before expansion, for title notes
    grid.expand_merges()
    try:
        top, bottom = _find_header(grid)
    except ValueError as exc:
        raise ReadError(
            path,
            str(exc),
            message_zh="找不到表头行",
            sheet=grid.name,
            action="确认表头（列名）在数据上方 / make sure the column names sit above the data",
        ) from exc
    for r in range(top):
        title = " ".join(c for c in raw_first[r] if c.strip())
        if title:
            notes.append(f"第{r + 1}行为标题，已跳过 / row {r + 1} is a title, skipped: {title}")
    header = _flatten_header(grid, top, bottom)
    width = len(header)
    # drop trailing columns with neither header nor data
    while header and header[-1] == "" and all(
        not row[len(header) - 1].strip() for row in grid.cells[bottom + 1 :]
    ):
        header.pop()
    header = _make_unique(header, notes)
    rows = ((r + 1, row[: len(header)]) for r, row in enumerate(grid.cells) if r > bottom)
    data, source, special, blank = _split_rows(header, rows, notes)
    del width
    return ReadResult(
        frame=_frame(header, data),
        path=path,
        sheet=grid.name,
        encoding=None,
        header_rows=tuple(range(top + 1, bottom + 2)),
        source_rows=tuple(source),
        notes=tuple(notes),
        special_rows=tuple(special),
        skipped_blank_rows=blank,
    )


def _xlsx_grids(path: Path) -> list[_Grid]:
    import openpyxl

    wb = openpyxl.load_workbook(path, data_only=True)
    grids = []
    try:
        for ws in wb.worksheets:
            max_r, max_c = ws.max_row, ws.max_column
            cells = [["" for _ in range(max_c)] for _ in range(max_r)]
            for row in ws.iter_rows(min_row=1, max_row=max_r, max_col=max_c):
                for cell in row:
                    if cell.value is not None:
                        cells[cell.row - 1][cell.column - 1] = _cell_text(cell.value)
            merges = [
                (m.min_row - 1, m.max_row - 1, m.min_col - 1, m.max_col - 1) for m in ws.merged_cells.ranges
            ]
            if max_r == 1 and max_c == 1 and not cells[0][0]:
                cells = []
            grids.append(_Grid(ws.title, cells, merges))
    finally:
        wb.close()
    return grids


def _xls_grids(path: Path) -> list[_Grid]:
    import xlrd

    # xlrd prints format warnings to stdout by default; keep them out of the CLI's output
    book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True, logfile=_stdio.StringIO())
    grids = []
    try:
        for sheet in book.sheets():
            cells = []
            for r in range(sheet.nrows):
                row = []
                for c in range(sheet.ncols):
                    cell = sheet.cell(r, c)
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        value: Any = xlrd.xldate_as_datetime(cell.value, book.datemode)
                    elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                        value = bool(cell.value)
                    elif cell.ctype == xlrd.XL_CELL_ERROR:
                        value = xlrd.error_text_from_code.get(cell.value, "#ERROR")
                    elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        value = None
                    else:
                        value = cell.value
                    row.append(_cell_text(value))
                cells.append(row)
            merges = [(r0, r1 - 1, c0, c1 - 1) for r0, r1, c0, c1 in sheet.merged_cells]
            grids.append(_Grid(sheet.name, cells, merges))
    finally:
        book.release_resources()
    return grids


def read_excel_sheets(path: str | Path) -> list[ReadResult]:
    """Read every sheet of an .xlsx/.xls workbook; one :class:`ReadResult` per non-empty sheet.

    Merged cells are expanded before parsing; title rows above the header are skipped; a header
    of several rows is flattened ('学生数' over '男' → '学生数_男'); 合计/小计/注… rows are kept
    aside in ``special_rows``. Cell values are rendered as text (see :func:`_cell_text`).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        grids = _xls_grids(path) if suffix == ".xls" else _xlsx_grids(path)
    except ReadError:
        raise
    except Exception as exc:  # corrupt zip, wrong format, password-protected …
        raise ReadError(
            path,
            f"cannot open the workbook ({type(exc).__name__}: {exc})",
            message_zh="无法打开工作簿（文件损坏、加密或格式不符）",
            action="用Excel打开确认能正常显示，另存为 .xlsx 后重新提交 / open it in Excel and save again as .xlsx",
        ) from exc
    results = []
    for grid in grids:
        if not any(any(c.strip() for c in row) for row in grid.cells):
            continue
        results.append(_grid_to_result(grid, path))
    return results


def read_table_file(path: str | Path) -> list[ReadResult]:
    """Read a .csv/.xlsx/.xls file into one ReadResult per table (CSV: one; Excel: per sheet)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [read_csv_text(path)]
    if suffix in (".xlsx", ".xls", ".xlsm"):
        return read_excel_sheets(path)
    raise ReadError(path, f"unsupported file type {suffix!r}", message_zh=f"不支持的文件类型 {suffix}")
