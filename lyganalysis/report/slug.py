"""Safe, unique file names for report outputs (case C20).

County names come from data and can contain path separators, stray spaces or
Windows-reserved names.  Every output file name in a batch goes through
:func:`safe_filename`, and :func:`assign_filenames` refuses a batch in which two
different counties would write to the same file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_INVALID = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
_WINDOWS_RESERVED = {
    "CON", "PRN", "AUX", "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


def normalize_name(name: str) -> str:
    """Return the county name as compared between jobs: NFKC, trimmed, inner runs of
    white space folded to one space."""
    text = unicodedata.normalize("NFKC", str(name))
    return re.sub(r"\s+", " ", text).strip()


def safe_filename(name: str) -> str:
    """Turn a county (or any) name into a file-name stem that is safe on Linux and Windows.

    NFKC-normalises and trims the name, replaces path separators and the characters
    Windows forbids (``\\ / : * ? " < > |`` and control characters) with ``_``, keeps
    Chinese characters, and prefixes Windows-reserved device names (``CON``, ``NUL``,
    ``COM1`` …) with ``_``.

    Raises
    ------
    ValueError
        If nothing usable is left (an empty or all-space name).
    """
    text = normalize_name(name)
    text = _INVALID.sub("_", text).strip(" .")
    if not text:
        raise ValueError(f"不能用作文件名 / cannot make a file name from {name!r}: it is empty after cleaning.")
    if text.split(".")[0].upper() in _WINDOWS_RESERVED:
        text = "_" + text
    return text


def assign_filenames(names: Iterable[str]) -> dict[str, str]:
    """Map each distinct county name to a unique file-name stem.

    Names that are the same after :func:`normalize_name` (e.g. ``' 河口乡 '`` and
    ``'河口乡'``) are the same county and share one entry, keyed by the normalised name.
    Two *different* names that would produce the same file name are refused.

    Returns
    -------
    dict
        normalised county name → file-name stem, in first-seen order.

    Raises
    ------
    ValueError
        If two different counties collide on one file name; the message names both.
    """
    out: dict[str, str] = {}
    owner: dict[str, str] = {}
    for raw in names:
        county = normalize_name(raw)
        if county in out:
            continue
        stem = safe_filename(county)
        key = stem.casefold()
        if key in owner:
            raise ValueError(
                f"两个县区会写到同一个文件 {stem!r}: {owner[key]!r} 与 {county!r}。请改名后再运行。 / "
                f"Counties {owner[key]!r} and {county!r} would both be written to {stem!r}; rename one."
            )
        owner[key] = county
        out[county] = stem
    return out
