"""Shared pieces of the readers: errors, results, header and special-row helpers, and the
handling of invisible formatting characters (Unicode category Cf).

Rules every reader keeps:

* It never guesses. The file's format is decided from its content (:mod:`.sniff`), the
  encoding in a fixed order (BOM → strict UTF-8 → GB18030), and both are recorded; a line with
  the wrong number of fields stops the read with an error naming the file and line.
* It never converts. Every cell comes back as text (``str`` dtype, blanks as ``''``), so an ID
  number or a school code can never become a float. Cleaning is the next layer's job.
* It never loses a row. Every data row carries the row number the user sees in Excel or a text
  editor (``ReadResult.source_rows``); 合计/小计/其中/注/填表人 rows are kept aside in
  ``ReadResult.special_rows``; hidden rows are kept aside in ``ReadResult.hidden_rows``; a
  formula cell without a saved result is a ``ReadResult.cell_problems`` entry, never a blank.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

#: Name suffixes that usually hold tables. The format is still decided from the content.
SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls", ".txt", ".tsv", ".htm", ".html", ".xml")

# ---------------------------------------------------------------------------------------------
# Invisible formatting characters (Unicode category Cf)
# ---------------------------------------------------------------------------------------------


# Unicode category Cf lives in these blocks (Unicode 15); the class is built from the
# running Python's own Unicode database, so it follows its version.
_CF_RANGES = ((0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F),
              (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
              (0x2060, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD),
              (0x13430, 0x1345F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F))
FORMAT_CHARS_RE = re.compile("[" + "".join(
    re.escape(chr(c)) for a, b in _CF_RANGES for c in range(a, b + 1) if unicodedata.category(chr(c)) == "Cf") + "]")


def is_format_char(ch: str) -> bool:
    """True for a character of Unicode category Cf (format): BOM U+FEFF, zero-width space
    U+200B, joiners U+200C/U+200D, direction marks and isolates U+200E/F, U+202A–U+202E,
    U+2066–U+2069, word joiner U+2060, soft hyphen U+00AD, Arabic letter mark U+061C …"""
    return unicodedata.category(ch) == "Cf"


def remove_format_chars(text: str) -> tuple[str, tuple[str, ...]]:
    """Return ``(text without Cf characters, the removed characters as 'U+XXXX' names)``."""
    found = FORMAT_CHARS_RE.findall(text)
    if not found:
        return text, ()
    return FORMAT_CHARS_RE.sub("", text), tuple(f"U+{ord(ch):04X}" for ch in found)


def visible(text: Any) -> str:
    """Show invisible characters in a value meant for a message: every Cf character and every
    other control character except tab and line feed becomes ``⟨U+XXXX⟩`` (``'32\\u20660'`` →
    ``'32⟨U+2066⟩0'``). ``None`` → ``''``."""
    if text is None:
        return ""
    text = str(text)
    if not any(is_format_char(ch) or (unicodedata.category(ch) == "Cc" and ch not in "\t\n") for ch in text):
        return text
    return "".join(
        f"⟨U+{ord(ch):04X}⟩" if is_format_char(ch) or (unicodedata.category(ch) == "Cc" and ch not in "\t\n") else ch
        for ch in text
    )


# ---------------------------------------------------------------------------------------------
# Errors and results
# ---------------------------------------------------------------------------------------------


class ReadError(Exception):
    """A file could not be read as a table. Names the file, sheet and line/row where known.

    ``message_zh`` / ``message_en`` say what is wrong; ``action`` says what to do about it.
    ``data_lines`` (CSV only) is the number of data lines the file holds, so that a caller can
    account for rows that were not loaded. ``format`` is what the file really is, when known
    (a :class:`~lyganalysis.io.sniff.FileFormat`).
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
        format: Any = None,
    ) -> None:
        self.path = Path(path)
        self.message_en = message_en
        self.message_zh = message_zh or message_en
        self.line = line
        self.sheet = sheet
        self.action = action
        self.data_lines = data_lines
        self.format = format
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
class HiddenRow:
    """A row hidden in the workbook (hidden or filtered out): not read as data, reported."""

    source_row: int  # Excel row number (1-based)
    position: int  # number of data rows that precede this row in the sheet
    values: dict[str, str]  # column → raw cell text


@dataclass(frozen=True)
class CellProblem:
    """A cell whose content cannot be read as what it shows, e.g. a formula with no saved result.

    ``kind`` is ``"formula_no_result"``; ``cell`` the Excel reference ('F2'); ``row`` the Excel
    row; ``column`` the header of the cell's column ('' above the header); ``raw`` the formula
    ('=D2+E2')."""

    kind: str
    cell: str
    row: int
    column: str
    raw: str
    message_zh: str
    message_en: str
    action: str


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
    hidden_rows: tuple[HiddenRow, ...] = ()  # hidden rows below the header: not in ``frame``
    cell_problems: tuple[CellProblem, ...] = ()  # e.g. formulas without a saved result
    formula_cells: int = 0  # formula cells read as their saved results

    @property
    def location(self) -> str:
        return self.path.name + (f" [{self.sheet}]" if self.sheet else "")


# ---------------------------------------------------------------------------------------------
# Text helpers shared by the readers
# ---------------------------------------------------------------------------------------------

_CJK_RE = r"[\u2e80-\u9fff\uf900-\ufaff\U00020000-\U0003134f（）【】、：]"


def _remove_all_space(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace() and not is_format_char(ch))


def clean_header(value: Any) -> str:
    """Tidy a header cell: NFKC, no Cf characters (BOM, zero-width, direction marks), no line breaks, no stray spaces.

    Spaces next to a Chinese character are removed ('学  校' → '学校', '学生数\\n(人)' →
    '学生数(人)'); other runs of spaces become one ('school  id' → 'school id').
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = remove_format_chars(text)[0]
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
    hidden: set[int] | frozenset[int] = frozenset(),
    hidden_out: list[HiddenRow] | None = None,
) -> tuple[list[list[str]], list[int], list[SpecialRow], int]:
    """Separate data rows from special rows and blank rows. ``rows`` yields (source_row, cells).

    Rows whose source row is in ``hidden`` are not data: they are appended to ``hidden_out``."""
    data: list[list[str]] = []
    source: list[int] = []
    special: list[SpecialRow] = []
    blank = 0
    after_note = False
    for source_row, cells in rows:
        if not any(c.strip() for c in cells):
            blank += 1
            continue
        if source_row in hidden:
            if hidden_out is not None:
                hidden_out.append(HiddenRow(source_row, len(data), dict(zip(header, cells))))
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

