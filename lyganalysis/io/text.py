"""Delimited text: CSV and tab-separated text in UTF-8 (with or without BOM), UTF-16/32 with a
BOM, or GBK/GB18030, whatever the file is named (.csv, .txt, .xls from a web system …).

A quoted field may hold line breaks (Excel's Alt+Enter); every record carries the line a text
editor shows for its first line.
"""

from __future__ import annotations

import csv
import io as _stdio
from pathlib import Path

from .common import (
    ReadError,
    ReadResult,
    _first_text_cell,
    _frame,
    _make_unique,
    _split_rows,
    clean_header,
    special_row_kind,
)

__all__ = ["detect_encoding", "decode_text", "sniff_delimiter", "read_csv_text"]

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


def decode_text(raw: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode ``raw`` (encoding found by :func:`detect_encoding` unless given); return
    ``(text without BOM, encoding)``. Raises ``ValueError`` if nothing fits."""
    encoding = encoding or detect_encoding(raw)
    text = raw.decode(encoding, errors="strict")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, encoding


def sniff_delimiter(text: str) -> str:
    """Tab or comma: the one that splits the first lines (quotes respected) into the most
    consistent number of fields ≥ 2; ties go to the tab (Excel's "Unicode text" and most web
    exports), then the comma."""
    head = text[:20000]
    best, best_score = ",", (-1, -1)
    for delim in ("\t", ","):
        try:
            records = [r for r in csv.reader(_stdio.StringIO(head, newline=""), delimiter=delim) if any(c.strip() for c in r)][:20]
        except csv.Error:
            continue
        widths = [len(r) for r in records]
        if not widths:
            continue
        mode = max(set(widths), key=lambda w: (widths.count(w), w))
        score = (widths.count(mode) if mode >= 2 else 0, mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def read_csv_text(path: str | Path, *, encoding: str | None = None) -> ReadResult:
    """Read a CSV (or tab-separated) export as text, with the line numbers a text editor shows.

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
    try:
        text, encoding = decode_text(raw, encoding)
    except UnicodeDecodeError as exc:
        raise ReadError(
            path,
            f"cannot decode the file as {encoding}: byte {exc.start}",
            message_zh=f"文件无法按{encoding}解码（第{exc.start}字节）",
            action="请用Excel“另存为 CSV UTF-8”后重新提交 / save it again as 'CSV UTF-8' in Excel",
        ) from exc
    delimiter = sniff_delimiter(text)
    reader = csv.reader(_stdio.StringIO(text, newline=""), delimiter=delimiter, strict=True)

    notes: list[str] = [f"编码 encoding: {encoding}", "分隔符 delimiter: " + ("tab" if delimiter == "\t" else "comma")]
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

