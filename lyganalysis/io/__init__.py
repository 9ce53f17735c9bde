"""Readers for the bureau's exports. A new input format is a reader chosen by the file's first
bytes (:func:`~lyganalysis.io.sniff.sniff_format`), never by its name:

=================  ==========================================================================
kind               reader
=================  ==========================================================================
``xlsx``           :mod:`.excel` (openpyxl; hidden sheets/rows, formulas without results)
``xls``            :mod:`.excel` (xlrd; BIFF inside an OLE compound file)
``html``           :mod:`.html` (web systems' "Excel" exports that are HTML tables)
``spreadsheetml``  :mod:`.spreadsheetml` (Excel 2003 XML)
``text``           :mod:`.text` (CSV / tab-separated in UTF-8, UTF-16 with BOM, GB18030 …)
=================  ==========================================================================

Files that are not tables (Word, PDF, a README, images, archives) are recognised as such and
listed by the caller as not read. See :mod:`.common` for the rules every reader keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .common import (
    SUPPORTED_SUFFIXES,
    CellProblem,
    HiddenRow,
    ReadError,
    ReadResult,
    SpecialRow,
    clean_header,
    is_format_char,
    remove_format_chars,
    special_row_kind,
    visible,
)
from .excel import SkippedSheet, WorkbookRead, read_excel_sheets, read_workbook
from .html import read_html_tables
from .sniff import FileFormat, sniff_format
from .spreadsheetml import read_spreadsheetml
from .text import decode_text, detect_encoding, read_csv_text, sniff_delimiter

__all__ = [
    "ReadError",
    "ReadResult",
    "SpecialRow",
    "HiddenRow",
    "CellProblem",
    "SkippedSheet",
    "WorkbookRead",
    "FileFormat",
    "FileRead",
    "sniff_format",
    "read_file",
    "detect_encoding",
    "decode_text",
    "sniff_delimiter",
    "read_csv_text",
    "read_excel_sheets",
    "read_workbook",
    "read_html_tables",
    "read_spreadsheetml",
    "clean_header",
    "special_row_kind",
    "is_format_char",
    "remove_format_chars",
    "visible",
    "SUPPORTED_SUFFIXES",
]

_SUFFIX_KIND = {".csv": "text", ".tsv": "text", ".txt": "text", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls",
                ".htm": "html", ".html": "html", ".xml": "spreadsheetml"}


@dataclass(frozen=True)
class FileRead:
    """One file as read: what it really is, its tables, and what was not read.

    ``format`` is the sniffed :class:`FileFormat`; ``tables`` one :class:`ReadResult` per table
    (empty for a file that is not a table); ``skipped_sheets`` the hidden sheets not read;
    ``name_mismatch`` is True when the name's suffix promises another format than the content
    (e.g. an HTML table named .xls)."""

    path: Path
    format: FileFormat
    tables: tuple[ReadResult, ...] = ()
    skipped_sheets: tuple[SkippedSheet, ...] = ()

    @property
    def name_mismatch(self) -> bool:
        expected = _SUFFIX_KIND.get(self.path.suffix.lower())
        return expected is not None and expected != self.format.kind

    def describe(self) -> str:
        """'格式 format: …' line for the intake report, saying what the file really was."""
        text = f"格式 format: {self.format.describe()}"
        if self.name_mismatch:
            text += f"（文件名为{self.path.suffix}，按内容读取 / named {self.path.suffix}, read by its content）"
        return text


def read_file(path: str | Path) -> FileRead:
    """Sniff ``path`` and read it with the reader its content calls for.

    Returns
    -------
    FileRead
        With no tables when the file is not a table (``format.is_table`` False).

    Raises
    ------
    ReadError
        If the file claims to be a table (a workbook container, HTML, SpreadsheetML or
        delimited text) but cannot be read, or is a spreadsheet we cannot read (an encrypted
        workbook, an .ods file); ``ReadError.format`` says what it looked like.
    """
    path = Path(path)
    fmt = sniff_format(path)
    try:
        if fmt.kind in ("xlsx", "xls"):
            wb = read_workbook(path, kind=fmt.kind)
            return FileRead(path, fmt, wb.tables, wb.skipped_sheets)
        if fmt.kind == "spreadsheetml":
            wb = read_spreadsheetml(path)
            return FileRead(path, fmt, wb.tables, wb.skipped_sheets)
        if fmt.kind == "html":
            return FileRead(path, fmt, tuple(read_html_tables(path)))
        if fmt.kind == "text":
            return FileRead(path, fmt, (read_csv_text(path, encoding=fmt.encoding),))
    except ReadError as exc:
        exc.format = fmt
        raise
    if fmt.kind == "corrupt_zip":
        raise ReadError(
            path, f"cannot open the workbook ({fmt.detail_en})", message_zh="无法打开工作簿（文件损坏、加密或格式不符）",
            action="用Excel打开确认能正常显示，另存为 .xlsx 后重新提交 / open it in Excel and save again as .xlsx",
            format=fmt)
    if fmt.kind == "encrypted":
        raise ReadError(
            path, "the workbook is password-protected (encrypted): it cannot be read", message_zh="工作簿设有密码（已加密），无法读取",
            action="在Excel中取消密码（文件→信息→保护工作簿）后另存再提交 / remove the password in Excel and save it again",
            format=fmt)
    if fmt.kind == "ods":
        raise ReadError(
            path, "OpenDocument spreadsheet (.ods) is not read", message_zh="不读取OpenDocument表格(.ods)",
            action="用WPS或Excel另存为 .xlsx 后重新提交 / save it as .xlsx in WPS or Excel", format=fmt)
    return FileRead(path, fmt)


