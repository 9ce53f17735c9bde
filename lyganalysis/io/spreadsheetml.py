"""Excel 2003 XML (SpreadsheetML), which some systems still export under a ``.xls`` name.

Worksheets, ``ss:Index`` gaps, ``ss:MergeAcross``/``ss:MergeDown``, hidden rows
(``ss:Hidden="1"``) and hidden sheets (``x:Visible`` SheetHidden/SheetVeryHidden) are honoured.
A cell with ``ss:Formula`` and no ``ss:Data`` has no saved result: a cell problem, never a blank.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from .common import ReadError
from .excel import FORMULA_ACTION, SkippedSheet, WorkbookRead
from .grid import Grid, column_letter, grid_to_result
from .text import decode_text

__all__ = ["read_spreadsheetml"]

SS = "urn:schemas-microsoft-com:office:spreadsheet"
X = "urn:schemas-microsoft-com:office:excel"


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def read_spreadsheetml(path: str | Path) -> WorkbookRead:
    """Read every visible worksheet of a SpreadsheetML file; hidden ones are listed as skipped.

    Raises
    ------
    ReadError
        If the XML cannot be parsed.
    """
    path = Path(path)
    try:
        text, encoding = decode_text(path.read_bytes())
        text = text.lstrip()
        if text.startswith("<?xml"):
            text = text[text.index("?>") + 2:]  # the declared encoding is already applied
        root = ET.fromstring(text)
    except (ValueError, UnicodeDecodeError, ET.ParseError) as exc:
        raise ReadError(path, f"cannot parse the Excel 2003 XML file: {exc}", message_zh="无法解析Excel 2003 XML表格",
                        action="用Excel打开后另存为 .xlsx 再提交 / open it in Excel and save it as .xlsx") from exc
    tables, skipped = [], []
    for ws in root.iter(_q(SS, "Worksheet")):
        name = ws.get(_q(SS, "Name"), "")
        opts = ws.find(_q(X, "WorksheetOptions"))
        vis = opts.findtext(_q(X, "Visible")) if opts is not None else None
        if vis in ("SheetHidden", "SheetVeryHidden"):
            skipped.append(SkippedSheet(name, "hidden" if vis == "SheetHidden" else "veryHidden"))
            continue
        table = ws.find(_q(SS, "Table"))
        if table is None:
            continue
        occupied: dict[tuple[int, int], str] = {}
        merges, hidden, bad = [], set(), {}
        n_formula = 0
        r = -1
        for row in table.iter(_q(SS, "Row")):
            idx = row.get(_q(SS, "Index"))
            r = int(idx) - 1 if idx else r + 1
            if row.get(_q(SS, "Hidden")) == "1":
                hidden.add(r)
            c = -1
            for cell in row.findall(_q(SS, "Cell")):
                cidx = cell.get(_q(SS, "Index"))
                c = int(cidx) - 1 if cidx else c + 1
                while (r, c) in occupied and not cidx:
                    c += 1
                data = cell.find(_q(SS, "Data"))
                value = "".join(data.itertext()) if data is not None else ""
                formula = cell.get(_q(SS, "Formula"))
                if formula:
                    if data is None:
                        ref = f"{column_letter(c)}{r + 1}"
                        bad[(r, c)] = (formula, f"{ref}：公式{formula}没有保存的计算结果（不是空值，本程序不计算公式）",
                                       f"{ref}: formula {formula} has no saved result (it is not a blank; formulas are never evaluated here)",
                                       FORMULA_ACTION)
                    else:
                        n_formula += 1
                across = int(cell.get(_q(SS, "MergeAcross"), 0) or 0)
                down = int(cell.get(_q(SS, "MergeDown"), 0) or 0)
                for dr in range(down + 1):
                    for dc in range(across + 1):
                        occupied[(r + dr, c + dc)] = value if (dr, dc) == (0, 0) else ""
                if across or down:
                    merges.append((r, r + down, c, c + across))
                c += across
        if not occupied:
            continue
        height = max(rr for rr, _ in occupied) + 1
        width = max(cc for _, cc in occupied) + 1
        cells = [[occupied.get((rr, cc), "") for cc in range(width)] for rr in range(height)]
        if not any(v.strip() for row in cells for v in row):
            continue
        tables.append(grid_to_result(Grid(name, cells, merges, hidden, bad, n_formula), path, encoding=encoding))
    return WorkbookRead(tuple(tables), tuple(skipped))
