"""Privacy scan of everything a batch writes: no ID number, personal name or student/teacher key may leave.

:func:`scan_outputs` reads every output file below a folder — HTML pages, metrics JSON, CSV and text tables,
Excel workbooks and Word documents (their XML parts), zip bundles (their members) — and reports each
occurrence of

- a Chinese resident ID number (身份证号): 18 characters whose GB 11643 MOD 11-2 check digit is right, or a
  15-digit first-generation number whose birth date is a real date;
- a personal name from the inputs (``names``: e.g. the 姓名 column intake saw before dropping it);
- a pseudonymous student or teacher key (``keys``: the ``student_key`` / ``teacher_key`` values).

The batch calls :func:`check_outputs`, which raises :class:`PrivacyLeak` listing what was found (masked: the
message never repeats a full ID number or key), so that a leaking batch fails instead of being mailed.
"""

from __future__ import annotations

import hashlib
import html
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pandas as pd

__all__ = ["Finding", "PrivacyLeak", "scan_text", "scan_outputs", "check_outputs", "keys_of"]

_TEXT_SUFFIXES = {".html", ".htm", ".json", ".csv", ".txt", ".md", ".tsv", ".xml", ".js", ".css"}
_ZIP_SUFFIXES = {".xlsx", ".docx", ".zip", ".xlsm", ".pptx"}
# a run of digits inside a decimal number ("13.815894760711402") or a base64 blob (+, /) is not an ID number
_ID18 = re.compile(r"(?<![0-9A-Za-z.+/])(\d{17}[\dXx])(?![0-9A-Za-z.+/])")
_ID15 = re.compile(r"(?<![0-9A-Za-z.+/])(\d{15})(?![0-9A-Za-z.+/])")
# both in one pass over the text: a bounded run of 15 digits, or of 17 digits and a check character
_ID = re.compile(r"(?<![0-9A-Za-z.+/])(\d{15}(?:\d\d[\dXx])?)(?![0-9A-Za-z.+/])")
# inline figures and fonts: binary data, not text a reader sees; not read (a page is mostly these)
_DATA_URI = re.compile(r"(data:[\w.+-]+/[\w.+-]+;base64,)[A-Za-z0-9+/=]+")
_KEY = re.compile(r"(?<![0-9a-fA-F])([0-9a-f]{12,64})(?![0-9a-fA-F])")
_CJK_RUN = re.compile(r"[\u3400-\u9fff·]{2,}")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


@dataclass(frozen=True)
class Finding:
    """One occurrence of personal data in an output file.

    Attributes
    ----------
    path : str
        File (``bundle.zip!member`` for a zip member).
    kind : {"id_number", "name", "key"}
    masked : str
        The value with all but its first and last characters hidden.
    """

    path: str
    kind: str
    masked: str


class PrivacyLeak(RuntimeError):
    """Outputs contain personal data; the message lists where (values masked)."""


def _mask(value: str) -> str:
    if len(value) <= 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def _valid_id18(s: str) -> bool:
    body, check = s[:17], s[17].upper()
    if _CHECK[sum(int(c) * w for c, w in zip(body, _WEIGHTS)) % 11] != check:
        return False
    return _real_date(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def _real_date(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return 1900 <= y <= 2100


def _valid_id15(s: str) -> bool:
    return _real_date(1900 + int(s[6:8]), int(s[8:10]), int(s[10:12]))


def scan_text(text: str, *, keys: set[str] | frozenset[str] = frozenset(),
              names: set[str] | frozenset[str] = frozenset(), path: str = "") -> list[Finding]:
    """Personal data in one text (see the module docstring for what counts)."""
    text = html.unescape(_DATA_URI.sub(r"\1", text))
    out: list[Finding] = []
    ids = [m.group(1) for m in _ID.finditer(text)]
    for s in ids:  # the 18-character numbers first, then the 15-digit ones, as separate passes would report them
        if len(s) == 18 and _valid_id18(s):
            out.append(Finding(path, "id_number", _mask(s)))
    for s in ids:
        if len(s) == 15 and _valid_id15(s):
            out.append(Finding(path, "id_number", _mask(s)))
    if keys:
        for m in _KEY.finditer(text):
            if m.group(1) in keys:
                out.append(Finding(path, "key", _mask(m.group(1))))
    if names:
        lengths = sorted({len(n) for n in names})
        for run in _CJK_RUN.finditer(text):
            s = run.group(0)
            for i in range(len(s)):
                for n in lengths:
                    piece = s[i:i + n]
                    if len(piece) == n and piece in names:
                        out.append(Finding(path, "name", _mask(piece)))
        ascii_names = {n for n in names if n.isascii()}
        for n in ascii_names:
            if re.search(rf"\b{re.escape(n)}\b", text):
                out.append(Finding(path, "name", _mask(n)))
    return out


def _texts(path: Path) -> Iterable[tuple[str, str]]:
    suffix = path.suffix.lower()
    if suffix in _TEXT_SUFFIXES:
        yield str(path), path.read_text(encoding="utf-8", errors="replace")
    elif suffix in _ZIP_SUFFIXES:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if info.is_dir():
                    continue
                data = z.read(info)
                name = f"{path}!{info.filename}"
                inner = Path(info.filename).suffix.lower()
                if inner in _ZIP_SUFFIXES:
                    tmp = path.with_name(f".scan-{Path(info.filename).name}")
                    tmp.write_bytes(data)
                    try:
                        for p, t in _texts(tmp):
                            yield name + p[len(str(tmp)):], t
                    finally:
                        tmp.unlink()
                elif inner in _TEXT_SUFFIXES or inner in ("", ".rels"):
                    yield name, data.decode("utf-8", errors="replace")
    elif suffix == ".parquet":
        frame = pd.read_parquet(path)
        yield str(path), frame.astype(str).to_csv(index=False)


def scan_outputs(folder: str | Path, *, keys: Iterable[str] = (), names: Iterable[str] = (),
                 skip: Iterable[str] = ()) -> list[Finding]:
    """Every :class:`Finding` in the files below ``folder``.

    ``skip``: glob patterns (relative to ``folder``) of files not to read, e.g. the executed notebooks kept as
    logs. PNG images and fonts are not read.
    """
    root = Path(folder)
    key_set, name_set = frozenset(k for k in keys if k), frozenset(n for n in names if n and len(n) >= 2)
    skipped = list(skip)
    out: list[Finding] = []
    seen: dict[bytes, list[Finding]] = {}  # a text read before (a page and its copy in a bundle): same findings
    for p in sorted(root.rglob("*")):
        if not p.is_file() or any(p.relative_to(root).match(g) for g in skipped):
            continue
        for where, text in _texts(p):
            digest = hashlib.blake2b(text.encode("utf-8", errors="surrogatepass"), digest_size=20).digest()
            if digest not in seen:
                seen[digest] = scan_text(text, keys=key_set, names=name_set, path="")
            out.extend(replace(f, path=where) for f in seen[digest])
    return out


def keys_of(ds) -> set[str]:
    """The pseudonymous student and teacher keys of a dataset (what must never reach an output)."""
    keys: set[str] = set()
    for table, col in (("scores", "student_key"), ("teachers", "teacher_key")):
        df = getattr(ds, table, None)
        if df is not None and col in df:
            keys.update(str(k) for k in df[col].dropna().unique())
    return keys


def check_outputs(folder: str | Path, *, keys: Iterable[str] = (), names: Iterable[str] = (),
                  skip: Iterable[str] = ()) -> None:
    """Raise :class:`PrivacyLeak` if :func:`scan_outputs` finds anything.

    Raises
    ------
    PrivacyLeak
        With one line per finding (file, kind, masked value) — at most 20 lines, then a count.
    """
    found = scan_outputs(folder, keys=keys, names=names, skip=skip)
    if found:
        lines = [f"- {f.path}: {f.kind} {f.masked}" for f in found[:20]]
        more = f"\n… and {len(found) - 20} more" if len(found) > 20 else ""
        raise PrivacyLeak("输出中发现个人信息，批处理已停止；请勿发送这些文件。/ Personal data found in the outputs; "
                          "the batch is stopped — do not send these files:\n" + "\n".join(lines) + more)
