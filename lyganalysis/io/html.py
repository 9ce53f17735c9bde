"""HTML tables, as web systems (学籍, 人事, statistics platforms) export them under a ``.xls`` name.

Each ``<table>`` becomes one grid (``colspan``/``rowspan`` become merged ranges; ``<br>`` a line
break inside the cell; rows with ``display:none`` are hidden rows), read like an Excel sheet.
Uses the standard library's :class:`html.parser.HTMLParser`; nothing is fetched or executed.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from .common import ReadError, ReadResult
from .grid import Grid, grid_to_result
from .text import decode_text

__all__ = ["read_html_tables"]

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none", re.I)


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[tuple[str, int, int]]]] = []  # table → rows → (text, colspan, rowspan)
        self.hidden: list[set[int]] = []
        self._stack: list[tuple[list, set]] = []
        self._row: list | None = None
        self._cell: list[str] | None = None
        self._span = (1, 1)
        self._skip = 0  # inside <script>/<style>

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "table":
            self._stack.append(([], set()))
        elif tag == "tr" and self._stack:
            rows, hidden = self._stack[-1]
            self._row = []
            rows.append(self._row)
            if _HIDDEN_STYLE.search(a.get("style") or "") or "hidden" in a:
                hidden.add(len(rows) - 1)
        elif tag in ("td", "th") and self._row is not None:
            def span(v):
                try:
                    return max(1, int(str(v).strip()))
                except (TypeError, ValueError):
                    return 1
            self._cell = []
            self._span = (span(a.get("colspan", 1)), span(a.get("rowspan", 1)))
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            text = "".join(self._cell)
            text = "\n".join(re.sub(r"[ \t\r\f]+", " ", part).strip() for part in text.split("\n")).strip("\n")
            self._row.append((text, *self._span))
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table" and self._stack:
            rows, hidden = self._stack.pop()
            self.tables.append(rows)
            self.hidden.append(hidden)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None and not self._skip:
            self._cell.append(data.replace("\n", " "))


def _to_grid(name: str | None, rows: list[list[tuple[str, int, int]]], hidden: set[int]) -> Grid:
    occupied: dict[tuple[int, int], str] = {}
    merges = []
    width = 0
    for r, row in enumerate(rows):
        c = 0
        for text, colspan, rowspan in row:
            while (r, c) in occupied:
                c += 1
            for dr in range(rowspan):
                for dc in range(colspan):
                    occupied[(r + dr, c + dc)] = text if (dr, dc) == (0, 0) else ""
            if colspan > 1 or rowspan > 1:
                merges.append((r, r + rowspan - 1, c, c + colspan - 1))
            c += colspan
            width = max(width, c)
    height = max([r for r, _ in occupied] + [len(rows) - 1]) + 1 if rows else 0
    cells = [[occupied.get((r, c), "") for c in range(width)] for r in range(height)]
    return Grid(name, cells, merges, set(hidden))


def read_html_tables(path: str | Path) -> list[ReadResult]:
    """Read every non-empty ``<table>`` of an HTML file (any name, e.g. an '.xls' from a web
    system). One table → ``sheet`` None; several → sheets named '表格1', '表格2' …

    Raises
    ------
    ReadError
        If the file cannot be decoded or holds no table with data.
    """
    path = Path(path)
    try:
        text, encoding = decode_text(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReadError(path, f"cannot decode the HTML file: {exc}", message_zh="网页文件编码无法识别",
                        action="在导出系统中选择“导出为Excel(.xlsx)”或CSV / export it as .xlsx or CSV instead") from exc
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    tables = [(rows, hid) for rows, hid in zip(parser.tables, parser.hidden) if any(t.strip() for row in rows for t, *_ in row)]
    if not tables:
        raise ReadError(path, "the HTML file holds no table with data", message_zh="网页文件中没有含数据的表格",
                        action="在导出系统中选择“导出为Excel(.xlsx)”或CSV / export it as .xlsx or CSV instead")
    results = []
    for i, (rows, hid) in enumerate(tables, start=1):
        name = None if len(tables) == 1 else f"表格{i}"
        results.append(grid_to_result(_to_grid(name, rows, hid), path, encoding=encoding))
    return results
