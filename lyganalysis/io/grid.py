"""Sheets as grids of cell texts (Excel, HTML tables, SpreadsheetML): merged cells, title rows,
multi-row headers, hidden rows and cell problems, turned into a :class:`ReadResult`."""

from __future__ import annotations

import datetime as _dt
import math
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .common import (
    _NUMBER_LIKE,
    CellProblem,
    HiddenRow,
    ReadError,
    ReadResult,
    _frame,
    _make_unique,
    _split_rows,
    clean_header,
)

__all__ = ["Grid", "cell_text", "grid_to_result", "column_letter"]


def column_letter(c: int) -> str:
    """0-based column index → Excel letters (0 → 'A', 26 → 'AA')."""
    out = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        out = chr(65 + rem) + out
    return out

def cell_text(value: Any) -> str:
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
class Grid:
    """A sheet as a rectangle of cell texts plus its merged ranges (0-based, inclusive), its
    hidden rows (0-based) and the cells that could not be read (formula without a result:
    (row, col) 0-based → (formula, message_zh, message_en, action))."""

    name: str | None
    cells: list[list[str]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, r1, c0, c1
    hidden_rows: set[int] = field(default_factory=set)
    bad_cells: dict[tuple[int, int], tuple[str, str, str, str]] = field(default_factory=dict)
    formula_cells: int = 0

    def expand_merges(self) -> None:
        for r0, r1, c0, c1 in self.merges:
            value = self.cells[r0][c0]
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    self.cells[r][c] = value


def _anchors(grid: Grid, r: int) -> tuple[int, int]:
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


def _find_header(grid: Grid) -> tuple[int, int]:
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


def _flatten_header(grid: Grid, top: int, bottom: int) -> list[str]:
    names = []
    for c in range(len(grid.cells[top])):
        parts: list[str] = []
        for r in range(top, bottom + 1):
            label = clean_header(grid.cells[r][c])
            if label and (not parts or parts[-1] != label):
                parts.append(label)
        names.append("_".join(parts))
    return names


def grid_to_result(grid: Grid, path: Path, *, encoding: str | None = None) -> ReadResult:
    """Find the header, flatten it, and split the rows below into data, special and hidden rows."""
    notes: list[str] = []
    if not grid.cells:
        return ReadResult(_frame([], []), path, grid.name, encoding, (), (), ("空表 / empty sheet",))
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
    hidden: list[HiddenRow] = []
    data, source, special, blank = _split_rows(
        header, rows, notes, hidden={r + 1 for r in grid.hidden_rows if r > bottom}, hidden_out=hidden)
    del width
    problems = []
    for (r, c), (formula, zh, en, action) in sorted(grid.bad_cells.items()):
        column = header[c] if r > bottom and c < len(header) else ""
        problems.append(CellProblem("formula_no_result", f"{column_letter(c)}{r + 1}", r + 1, column, formula, zh, en, action))
    return ReadResult(
        frame=_frame(header, data),
        path=path,
        sheet=grid.name,
        encoding=encoding,
        header_rows=tuple(range(top + 1, bottom + 2)),
        source_rows=tuple(source),
        notes=tuple(notes),
        special_rows=tuple(special),
        skipped_blank_rows=blank,
        hidden_rows=tuple(hidden),
        cell_problems=tuple(problems),
        formula_cells=grid.formula_cells,
    )

