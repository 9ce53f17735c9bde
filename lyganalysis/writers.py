"""The one writer for every CSV and spreadsheet the product writes.

Files written for people (tables a clerk pastes into the evaluation forms, rejected rows of an
intake run) are opened in Excel or WPS. Two things go wrong there with naive writers:

* a CSV written as plain UTF-8 opens with the Chinese garbled in Excel → CSVs are written as
  UTF-8 *with* a byte-order mark (``utf-8-sig``);
* a text cell that comes from the data and begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or
  carriage return) becomes a live formula when the file is opened ("CSV injection", OWASP) →
  in CSV such a cell is prefixed with a single quote ``'``; in .xlsx every text cell is stored
  with the *string* cell type, never as a formula.

Numbers stay numbers: only text cells are touched (a column of ``int``/``float`` is written as
it is, so ``-3`` stays the number −3).

Public functions: :func:`safe_text_cell`, :func:`write_csv`, :func:`write_xlsx`.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io as _stdio
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FORMULA_TRIGGERS", "NOTES_SHEET", "safe_text_cell", "write_csv", "write_xlsx"]

#: First characters that make a spreadsheet program read a text cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: Name of the sheet :func:`write_xlsx` writes the ``notes`` into.
NOTES_SHEET = "说明"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def safe_text_cell(value: Any) -> Any:
    """Return ``value`` made safe for a CSV cell: a ``str`` beginning with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return gets a leading ``'``; anything else is returned unchanged.

    Parameters
    ----------
    value
        One cell. Only ``str`` values are changed; numbers, booleans, dates and missing values
        are returned as they are (numbers stay numbers).

    Returns
    -------
    The value, or ``"'" + value`` for a text cell that a spreadsheet would run as a formula.

    Notes
    -----
    The rule follows the OWASP "CSV Injection" guidance: a single quote forces Excel, WPS and
    LibreOffice to show the cell as text.

    Examples
    --------
    >>> safe_text_cell("=SUM(A1:A3)")
    "'=SUM(A1:A3)"
    >>> safe_text_cell(-3)
    -3
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _is_text_column(s: pd.Series) -> bool:
    return s.dtype == object or isinstance(s.dtype, pd.StringDtype) or str(s.dtype) in ("str", "string")


def write_csv(frame: pd.DataFrame, path: str | Path, *, index: bool = False, preamble: Sequence[str] | None = None) -> Path:
    """Write ``frame`` as a CSV that Excel opens with the Chinese intact and no live formulas.

    UTF-8 with a byte-order mark; text cells (and column names) made safe with
    :func:`safe_text_cell`; numeric columns written unchanged; missing values as empty cells.
    The parent folder is created if needed.

    Parameters
    ----------
    frame
        Any table. It is not modified.
    path
        Target file (``.csv``).
    index
        Also write the index as the first column (default ``False``).
    preamble
        Lines written above the table (e.g. a privacy notice), each as one cell of its own row
        (made safe like the text cells). Readers skip them with ``skiprows=len(preamble)``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    TypeError
        If ``frame`` is not a DataFrame.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"write_csv needs a pandas DataFrame, got {type(frame).__name__}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = frame.copy()
    for c in out.columns:
        if _is_text_column(out[c]):
            out[c] = out[c].astype(object).map(safe_text_cell)
    out.columns = [safe_text_cell(c) if isinstance(c, str) else c for c in out.columns]
    if index:
        if _is_text_column(pd.Series(out.index)):
            out.index = pd.Index([safe_text_cell(v) for v in out.index], name=out.index.name)
    body = out.to_csv(index=index, lineterminator="\r\n")
    head = "".join(_csv_line(safe_text_cell(str(line))) for line in (preamble or ()))
    path.write_bytes(("\ufeff" + head + body).encode("utf-8"))
    return path


def _csv_line(cell: str) -> str:
    buf = _stdio.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow([cell])
    return buf.getvalue()


def _xlsx_value(value: Any) -> tuple[Any, bool]:
    """(value for openpyxl, is_text). Missing → (None, False)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None, False
    if isinstance(value, (bool, np.bool_)):
        return bool(value), False
    if isinstance(value, (int, np.integer)):
        return int(value), False
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return (None, False) if math.isnan(v) or math.isinf(v) else (v, False)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime(), False
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value, False
    if isinstance(value, str):
        return value, True
    return str(value), True


def _check_sheet_name(name: Any) -> str:
    if not isinstance(name, str) or not name or len(name) > 31 or _BAD_SHEET_CHARS.search(name):
        raise ValueError(
            f"工作表名“{name}”无效：1–31个字符，不能含 [ ] : * ? / \\ / invalid sheet name {name!r}: "
            "Excel needs 1–31 characters without [ ] : * ? / \\"
        )
    return name


def write_xlsx(
    sheets: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    notes: Mapping[str, str] | None = None,
    number_formats: Mapping[str, Mapping[str, str]] | None = None,
    column_widths: Mapping[str, Mapping[str, float]] | None = None,
) -> Path:
    """Write one or more tables as an .xlsx workbook (openpyxl), one sheet per table.

    Column names form the first row, which is frozen. Text cells are stored with the string cell
    type, so a value such as ``=1+1`` or ``@cmd`` is shown as text and never run as a formula;
    numbers, booleans and dates keep their types; missing values are empty cells. The index is
    not written (reset it first if it holds data).

    Parameters
    ----------
    sheets
        Sheet name → table, in the order the sheets should appear. Sheet names must be valid
        Excel names (1–31 characters, none of ``[]:*?/\\``).
    path
        Target file (``.xlsx``); the parent folder is created if needed.
    notes
        Optional notes, title → text, written as a last sheet named :data:`NOTES_SHEET` (说明)
        with the columns 项目 and 说明 (e.g. ``{"差异系数": "按在校生加权"}``). A workbook
        with no tables but notes holds only that sheet.
    number_formats
        Optional display formats of numeric cells: sheet name → {column name → Excel number
        format}, e.g. ``{"小学": {"差异系数": "0.0000"}}``. Only how the number is shown changes;
        the cell keeps the full-precision value. Text, boolean and empty cells are left alone.
    column_widths
        Optional column widths: sheet name → {column name → width in characters}.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        If there is nothing to write (no sheets and no notes), a sheet name is invalid, a
        table is named like the notes sheet while notes are given, or ``number_formats`` /
        ``column_widths`` name a sheet or column that is not written.
    TypeError
        If a sheet's value is not a DataFrame.
    """
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    path = Path(path)
    if not sheets and not notes:
        raise ValueError(f"{path.name}: 没有要写入的表 / nothing to write (no sheets and no notes)")
    if notes and NOTES_SHEET in sheets:
        raise ValueError(f"{path.name}: 表名“{NOTES_SHEET}”留给说明页 / sheet name {NOTES_SHEET!r} is reserved for the notes")
    all_sheets: dict[str, pd.DataFrame] = {}
    for name, df in sheets.items():
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"sheet {name!r}: write_xlsx needs pandas DataFrames, got {type(df).__name__}")
        all_sheets[_check_sheet_name(name)] = df
    if notes:
        all_sheets[NOTES_SHEET] = pd.DataFrame({"项目": list(notes.keys()), "说明": list(notes.values())}, dtype=object)
    for what, spec in (("number_formats", number_formats), ("column_widths", column_widths)):
        for sheet, cols in (spec or {}).items():
            if sheet not in all_sheets:
                raise ValueError(f"{path.name}: {what} names sheet {sheet!r}, which is not written; "
                                 f"sheets: {list(all_sheets)}")
            unknown = [c for c in cols if c not in [str(x) for x in all_sheets[sheet].columns]]
            if unknown:
                raise ValueError(f"{path.name}: {what} for sheet {sheet!r} names column(s) {unknown}, "
                                 f"which the table does not have")
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    wb.remove(wb.active)
    for name, df in all_sheets.items():
        ws = wb.create_sheet(title=name)
        header = [str(c) for c in df.columns]
        for c, text in enumerate(header, start=1):
            cell = ws.cell(row=1, column=c, value=text)
            cell.data_type = "s"
        columns = [df[c].tolist() for c in df.columns] if df.shape[1] else []
        formats = {header.index(k) + 1: f for k, f in ((number_formats or {}).get(name) or {}).items()}
        for r in range(len(df)):
            for c, col in enumerate(columns, start=1):
                value, is_text = _xlsx_value(col[r])
                if value is None:
                    continue
                cell = ws.cell(row=r + 2, column=c, value=value)
                if is_text:
                    cell.data_type = "s"  # never 'f' (formula), whatever the text begins with
                elif c in formats and isinstance(value, (int, float)) and not isinstance(value, bool):
                    cell.number_format = formats[c]
        for k, width in ((column_widths or {}).get(name) or {}).items():
            ws.column_dimensions[get_column_letter(header.index(k) + 1)].width = float(width)
        ws.freeze_panes = "A2"
    wb.save(path)
    return path
