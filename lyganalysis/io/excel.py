"""Excel workbooks: .xlsx/.xlsm (Office Open XML, read with openpyxl) and legacy .xls (BIFF in an
OLE compound file, read with xlrd).

* Hidden and very-hidden sheets are not read; they are listed (:class:`SkippedSheet`).
* Hidden rows (hidden by hand or filtered out) are not read as data; they are kept aside in
  ``ReadResult.hidden_rows`` so the caller can report them by sheet, row and first cell.
* A formula is never evaluated here. A formula cell is read as the result the spreadsheet
  program saved with it; a formula cell *without* a saved result (files written by scripts or
  "fill in the template" tools) is a :class:`~lyganalysis.io.common.CellProblem`, never a blank.
"""

from __future__ import annotations

import io as _stdio
import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from .common import ReadError, ReadResult
from .grid import Grid, cell_text, column_letter, grid_to_result

__all__ = ["SkippedSheet", "WorkbookRead", "read_excel_sheets", "read_workbook", "xlsx_formulas_without_results"]

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HAS_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_STATE_ZH = {"hidden": "隐藏", "veryHidden": "深度隐藏"}
FORMULA_ACTION = ("用Excel或WPS打开该文件，让它重新计算后保存再提交（或把公式“粘贴为数值”） / "
                  "open the file in Excel or WPS, let it recalculate, save and send it again (or paste the values)")


@dataclass(frozen=True)
class SkippedSheet:
    """A sheet that was not read: ``state`` is 'hidden' or 'veryHidden' (or 'chartsheet')."""

    name: str
    state: str

    def describe(self) -> str:
        zh = _STATE_ZH.get(self.state, self.state)
        return f"工作表“{self.name}”为{zh}状态，未读取 / sheet '{self.name}' is {self.state}: not read"


@dataclass(frozen=True)
class WorkbookRead:
    """Every visible, non-empty sheet of a workbook, plus the sheets that were not read."""

    tables: tuple[ReadResult, ...]
    skipped_sheets: tuple[SkippedSheet, ...] = ()


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → path of its worksheet part inside the package."""
    wb_path = "xl/workbook.xml"
    rels_path = "xl/_rels/workbook.xml.rels"
    wb = ET.fromstring(zf.read(wb_path))
    rels = ET.fromstring(zf.read(rels_path)) if rels_path in zf.namelist() else None
    targets: dict[str, str] = {}
    if rels is not None:
        for rel in rels.iter(f"{{{_NS_PKG_REL}}}Relationship"):
            target = rel.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            targets[rel.get("Id", "")] = target
    out = {}
    for sheet in wb.iter(f"{{{_NS_MAIN}}}sheet"):
        rid = sheet.get(f"{{{_NS_REL}}}id", "")
        if rid in targets:
            out[sheet.get("name", "")] = targets[rid]
    return out


def _ref_to_rc(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)", ref)
    if not m:
        raise ValueError(ref)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


def xlsx_formulas_without_results(path: str | Path) -> dict[str, dict[tuple[int, int], str]]:
    """Formula cells that hold no saved result, per sheet name: (row, col) 0-based → formula.

    Reads the worksheet XML directly: a ``<c>`` element with an ``<f>`` child and no ``<v>``
    child, or an empty ``<v/>`` on a cell not of text type, has no cached value (Excel saves an
    empty text result as ``t="str"`` with an empty ``<v>``, which is fine).
    Shared formulas are translated to the cell they stand in (openpyxl's Translator), so the
    message shows '=D3+E3', not the master cell's formula. Sheets without any formula are
    skipped after a byte search.
    """
    from openpyxl.formula.translate import Translator

    out: dict[str, dict[tuple[int, int], str]] = {}
    with zipfile.ZipFile(path) as zf:
        for name, part in _sheet_parts(zf).items():
            try:
                data = zf.read(part)
            except KeyError:
                continue
            if not _HAS_FORMULA.search(data):
                continue
            shared: dict[str, tuple[str, str]] = {}  # si → (master formula, master ref)
            bad: dict[tuple[int, int], str] = {}
            for _, el in ET.iterparse(_stdio.BytesIO(data)):
                if el.tag != f"{{{_NS_MAIN}}}c":
                    continue
                f = el.find(f"{{{_NS_MAIN}}}f")
                if f is None:
                    el.clear()
                    continue
                ref = el.get("r", "")
                text = f.text or ""
                if f.get("t") == "shared":
                    si = f.get("si", "")
                    if text:
                        shared[si] = ("=" + text, ref)
                        formula = "=" + text
                    elif si in shared:
                        master, mref = shared[si]
                        try:
                            formula = Translator(master, origin=mref).translate_formula(ref)
                        except Exception:  # an unusual formula: show the master's
                            formula = master
                    else:
                        formula = "=?"
                else:
                    formula = "=" + text if text else "=?"
                v = el.find(f"{{{_NS_MAIN}}}v")
                # no <v>, or an empty <v/> on a cell that is not of text type (openpyxl writes
                # <v/> for formulas it never computed; Excel writes t="str" + <v></v> for "")
                no_result = v is None or (not (v.text or "") and el.get("t") not in ("str", "inlineStr", "s"))
                if no_result and el.find(f"{{{_NS_MAIN}}}is") is None:
                    try:
                        bad[_ref_to_rc(ref)] = formula
                    except ValueError:
                        pass
                el.clear()
            if bad:
                out[name] = bad
    return out


def _count_formulas(path: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    with zipfile.ZipFile(path) as zf:
        for name, part in _sheet_parts(zf).items():
            try:
                data = zf.read(part)
            except KeyError:
                continue
            n = len(re.findall(rb"<(?:\w+:)?f[\s>/]", data))
            if n:
                counts[name] = n
    return counts


def _xlsx_grids(path: Path) -> tuple[list[Grid], list[SkippedSheet]]:
    import openpyxl

    wb = openpyxl.load_workbook(path, data_only=True)
    grids: list[Grid] = []
    skipped: list[SkippedSheet] = []
    try:
        visible = []
        for ws in wb.worksheets:
            if ws.sheet_state != "visible":
                skipped.append(SkippedSheet(ws.title, ws.sheet_state))
                continue
            visible.append(ws)
        for cs in getattr(wb, "chartsheets", []):
            skipped.append(SkippedSheet(cs.title, "chartsheet"))
        uncached = xlsx_formulas_without_results(path) if visible else {}
        counts = _count_formulas(path) if visible else {}
        for ws in visible:
            max_r, max_c = ws.max_row, ws.max_column
            cells = [["" for _ in range(max_c)] for _ in range(max_r)]
            for row in ws.iter_rows(min_row=1, max_row=max_r, max_col=max_c):
                for cell in row:
                    if cell.value is not None:
                        cells[cell.row - 1][cell.column - 1] = cell_text(cell.value)
            merges = [
                (m.min_row - 1, m.max_row - 1, m.min_col - 1, m.max_col - 1) for m in ws.merged_cells.ranges
            ]
            hidden = {r - 1 for r, dim in ws.row_dimensions.items() if dim.hidden and r <= max_r}
            if max_r == 1 and max_c == 1 and not cells[0][0]:
                cells = []
            bad = {}
            for (r, c), formula in uncached.get(ws.title, {}).items():
                ref = f"{column_letter(c)}{r + 1}"
                bad[(r, c)] = (
                    formula,
                    f"{ref}：公式{formula}没有保存的计算结果（不是空值，本程序不计算公式）",
                    f"{ref}: formula {formula} has no saved result (it is not a blank; formulas are never evaluated here)",
                    FORMULA_ACTION,
                )
            n_formula = counts.get(ws.title, 0) - len(bad)
            grids.append(Grid(ws.title, cells, merges, hidden, bad, max(n_formula, 0)))
    finally:
        wb.close()
    return grids, skipped


def _xls_grids(path: Path) -> tuple[list[Grid], list[SkippedSheet]]:
    import xlrd

    # xlrd prints format warnings to stdout by default; keep them out of the CLI's output
    book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True, logfile=_stdio.StringIO())
    grids: list[Grid] = []
    skipped: list[SkippedSheet] = []
    try:
        for i in range(book.nsheets):
            sheet = book.sheet_by_index(i)
            if sheet.visibility:
                skipped.append(SkippedSheet(sheet.name, "hidden" if sheet.visibility == 1 else "veryHidden"))
                continue
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
                    row.append(cell_text(value))
                cells.append(row)
            merges = [(r0, r1 - 1, c0, c1 - 1) for r0, r1, c0, c1 in sheet.merged_cells]
            hidden = {r for r, info in sheet.rowinfo_map.items() if getattr(info, "hidden", 0) and r < sheet.nrows}
            grids.append(Grid(sheet.name, cells, merges, hidden))
    finally:
        book.release_resources()
    return grids, skipped


def read_workbook(path: str | Path, *, kind: str | None = None) -> WorkbookRead:
    """Read every visible sheet of an .xlsx/.xlsm/.xls workbook.

    ``kind`` is 'xlsx' or 'xls' as found by :func:`lyganalysis.io.sniff.sniff_format` (default:
    from the content's first bytes). Merged cells are expanded; title rows above the header are
    skipped; a header of several rows is flattened ('学生数' over '男' → '学生数_男'); 合计/小计/
    注… rows are kept aside in ``special_rows``; hidden rows in ``hidden_rows``; formula cells
    without a saved result in ``cell_problems``. Hidden sheets are listed in ``skipped_sheets``.

    Raises
    ------
    ReadError
        If the workbook cannot be opened (corrupt, encrypted, not a workbook).
    """
    path = Path(path)
    if kind is None:
        with open(path, "rb") as fh:
            kind = "xls" if fh.read(8) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" else "xlsx"
    try:
        grids, skipped = _xls_grids(path) if kind == "xls" else _xlsx_grids(path)
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
        results.append(grid_to_result(grid, path))
    return WorkbookRead(tuple(results), tuple(skipped))


def read_excel_sheets(path: str | Path) -> list[ReadResult]:
    """Read every visible sheet of a workbook; one :class:`ReadResult` per non-empty sheet.

    See :func:`read_workbook`, which also lists the hidden sheets that were not read.
    """
    return list(read_workbook(path).tables)
