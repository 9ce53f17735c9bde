"""What a file really is, decided from its content (never from its name).

Web systems (学籍, 人事, statistics platforms) save HTML tables or GBK tab-separated text under a
``.xls`` name; Excel's "Unicode 文本" is UTF-16 text named ``.txt``; a folder also holds Word
documents, PDFs and READMEs. :func:`sniff_format` looks at the first bytes (and, for ZIP and
OLE files, at the names inside) and says which reader fits, or that the file is not a table.
"""

from __future__ import annotations

import csv
import io as _stdio
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .text import decode_text, sniff_delimiter

__all__ = ["FileFormat", "sniff_format", "TABLE_KINDS"]

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: kinds a reader exists for
TABLE_KINDS = ("xlsx", "xls", "html", "spreadsheetml", "text")

_KIND_ZH = {
    "xlsx": "Excel工作簿(.xlsx)", "xls": "Excel 97–2003工作簿(.xls)", "html": "网页表格(HTML)",
    "spreadsheetml": "Excel 2003 XML表格", "text": "分隔符文本",
    "pdf": "PDF文档", "word": "Word文档", "powerpoint": "PowerPoint文档", "ods": "OpenDocument表格",
    "zip": "ZIP压缩包", "encrypted": "加密（有密码）的Office文件", "ole": "未知的Office文件", "image": "图片",
    "prose": "文字文档（不是表格）", "json": "JSON数据", "empty": "空文件", "binary": "未知的二进制文件",
    "corrupt_zip": "损坏的ZIP/xlsx文件",
}


@dataclass(frozen=True)
class FileFormat:
    """The result of :func:`sniff_format`.

    ``kind``: 'xlsx', 'xls', 'html', 'spreadsheetml' or 'text' (a reader exists: ``is_table``);
    'corrupt_zip' (named or looking like a workbook but unreadable: an error for the caller);
    otherwise a kind that is not a table ('pdf', 'word', 'powerpoint', 'ods', 'zip', 'encrypted',
    'ole', 'image', 'prose', 'json', 'empty', 'binary'). ``encoding``/``delimiter``/``columns``
    describe text files."""

    kind: str
    detail_en: str
    encoding: str | None = None
    delimiter: str | None = None
    columns: int | None = None

    @property
    def is_table(self) -> bool:
        return self.kind in TABLE_KINDS

    def describe(self) -> str:
        """Bilingual one-liner, e.g. '分隔符文本（utf-16，制表符分隔，6列） / UTF-16 tab-separated text, 6 columns'."""
        zh = _KIND_ZH.get(self.kind, self.kind)
        if self.kind == "text":
            sep = "制表符" if self.delimiter == "\t" else "逗号"
            zh += f"（{self.encoding}，{sep}分隔，{self.columns}列）"
        return f"{zh} / {self.detail_en}"


def _utf16_name(name: str) -> bytes:
    return name.encode("utf-16-le")


def _text_format(raw: bytes) -> FileFormat:
    try:  # the whole file: a GB18030 byte after the first megabyte must not pass as UTF-8
        text, encoding = decode_text(raw)
    except (ValueError, UnicodeDecodeError):
        return FileFormat("binary", "binary data, not text and not a known document")
    if "\x00" in text[:4096]:
        return FileFormat("binary", "binary data, not text and not a known document")
    head = text.lstrip()[:4096]
    low = head.lower()
    if low.startswith("<?xml") or low.startswith("<workbook") or low.startswith("<ss:workbook"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in text[:20000]:
            return FileFormat("spreadsheetml", "Excel 2003 XML spreadsheet (SpreadsheetML)", encoding)
    if re.search(r"<\s*(table|html|!doctype\s+html)\b", low) or ("<table" in text[:200000].lower() and low.startswith("<")):
        return FileFormat("html", f"HTML table(s) ({encoding})", encoding)
    if low.startswith(("{", "[")):
        return FileFormat("json", "JSON data, not a table", encoding)
    delim = sniff_delimiter(text)
    try:
        records = [r for r in csv.reader(_stdio.StringIO(text[:50000], newline=""), delimiter=delim)
                   if any(c.strip() for c in r)][:30]
    except csv.Error:
        records = []
    widths = [len(r) for r in records]
    if widths:
        mode = max(set(widths), key=lambda w: (widths.count(w), w))
        same = [r for r in records if len(r) == mode]
        header_ok = bool(same) and all(len(c.strip()) <= 60 for c in same[0])
        multi = [r for r in records if len(r) >= 2]
        # a header and rows of the same width; or a header-like first line and rows of another
        # width (a broken table: the reader then names the bad line)
        broken = (len(multi) >= 2 and len(multi) >= 0.8 * len(records)
                  and all(len(c.strip()) <= 60 for c in multi[0]))
        if broken and not (mode >= 2 and len(same) >= 2):
            mode = len(multi[0])
        if (mode >= 2 and len(same) >= 2 and len(same) >= 0.5 * len(records) and header_ok) or broken:
            sep = "tab" if delim == "\t" else "comma"
            name = {"utf-8-sig": "UTF-8 (BOM)", "utf-8": "UTF-8", "utf-16": "UTF-16", "utf-32": "UTF-32",
                    "gb18030": "GB18030/GBK"}.get(encoding, encoding)
            return FileFormat("text", f"{name} {sep}-separated text, {mode} columns", encoding, delim, mode)
    return FileFormat("prose", "plain text that is not a table", encoding)


def sniff_format(path: str | Path) -> FileFormat:
    """Decide what ``path`` holds from its content.

    * ``D0 CF 11 E0`` (OLE compound file): a workbook if it holds a 'Workbook' or 'Book'
      stream (.xls), an encrypted OOXML file ('EncryptedPackage'), a Word or PowerPoint file,
      or an unknown Office file.
    * ``PK\\x03\\x04`` (ZIP): .xlsx/.xlsm if it holds ``xl/workbook.xml``; Word, PowerPoint, OpenDocument
      or a plain archive otherwise; a broken ZIP is 'corrupt_zip'.
    * ``%PDF``, PNG/JPEG/GIF signatures: documents, not tables.
    * Text in any supported encoding (BOM → UTF-8 → GB18030, UTF-16/32 with a BOM):
      SpreadsheetML (Excel 2003 XML), HTML with ``<table>``, JSON, delimited text (tab or
      comma, a header and at least one row of the same width), or prose.

    Returns
    -------
    FileFormat
    """
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(8)
    size = path.stat().st_size
    if size == 0:
        return FileFormat("empty", "empty file")
    if head.startswith(OLE_MAGIC):
        raw = path.read_bytes()
        if _utf16_name("EncryptedPackage") in raw:
            return FileFormat("encrypted", "password-protected (encrypted) Office file")
        if _utf16_name("Workbook") in raw or _utf16_name("Book\x00") in raw or _utf16_name("BOOK") in raw:
            return FileFormat("xls", "Excel 97–2003 workbook (BIFF)")
        if _utf16_name("WordDocument") in raw:
            return FileFormat("word", "Word document (.doc), not a table")
        if _utf16_name("PowerPoint Document") in raw:
            return FileFormat("powerpoint", "PowerPoint file, not a table")
        return FileFormat("ole", "Office compound file without a workbook stream")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
                mimetype = zf.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
        except (zipfile.BadZipFile, OSError, KeyError) as exc:
            return FileFormat("corrupt_zip", f"broken ZIP container ({exc})")
        if "xl/workbook.xml" in names:
            return FileFormat("xlsx", "Excel workbook (Office Open XML)")
        if "word/document.xml" in names:
            return FileFormat("word", "Word document (.docx), not a table")
        if any(n.startswith("ppt/") for n in names):
            return FileFormat("powerpoint", "PowerPoint file, not a table")
        if "spreadsheet" in mimetype:
            return FileFormat("ods", "OpenDocument spreadsheet (.ods): save it as .xlsx")
        return FileFormat("zip", "ZIP archive: unpack it into the folder")
    if head.startswith(b"%PDF"):
        return FileFormat("pdf", "PDF document, not a table")
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")):
        return FileFormat("image", "image, not a table")
    return _text_format(path.read_bytes())
