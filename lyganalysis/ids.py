"""Resident identity numbers (居民身份证号码, GB 11643-1999): validate, derive, pseudonymise.

* :func:`validate_id_number` — NFKC + trim + upper-case; 15-digit (old) numbers upgraded to 18;
  18 chars = 17 digits + [0-9X]; region, embedded birth date (valid, not in the future); ISO 7064
  MOD 11-2 check digit. Returns birth date and sex for valid numbers.
* :func:`looks_truncated` — numbers that went through an Excel numeric cell ('1.10101E+17',
  '...0', 15 significant digits + '000'): flagged for re-collection, never repaired.
* :func:`pseudonymize_ids` — salted HMAC-SHA256 of the normalised 18-digit form, so a person under
  a 15- and an 18-digit number gets one key.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = [
    "IdCheck",
    "validate_id_number",
    "check_digit",
    "upgrade_15_to_18",
    "looks_truncated",
    "check_id_series",
    "pseudonymize_ids",
    "pseudonymous_key",
    "pseudonymize_text",
    "to_15_digits",
    "ID_REASONS",
    "KEY_LENGTH",
]

#: Length (hex characters) of the pseudonymous keys made at intake: 64 bits, so that a million
#: people collide with probability ~3e-8. The demo data use the same length.
KEY_LENGTH = 16

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
# Province-level prefixes (GB/T 2260), plus 81/82/83 for HK/Macau/Taiwan residence permits.
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)

ID_REASONS = {
    "missing": ("身份证号为空", "ID number is blank", "补填身份证号 / fill in the ID number"),
    "truncated": (
        "身份证号被Excel按数字存储而截断",
        "ID number was stored as a number by Excel and lost digits",
        "把该列设为文本格式后从原始档案重新录入，不要手工补位 / set the column to Text and re-enter from the original record; do not repair by hand",
    ),
    "format": ("身份证号含非法字符", "ID number contains characters other than digits and a final X", "按身份证原件更正 / correct it from the ID card"),
    "length": ("身份证号位数不对", "ID number has the wrong length (18, or 15 for old numbers)", "按身份证原件更正 / correct it from the ID card"),
    "region": ("身份证号地区码无效", "ID number has an invalid region prefix", "按身份证原件更正 / correct it from the ID card"),
    "date": ("身份证号中的出生日期不存在", "the birth date inside the ID number is not a real date", "按身份证原件更正 / correct it from the ID card"),
    "future_date": ("身份证号中的出生日期晚于今天", "the birth date inside the ID number is in the future", "按身份证原件更正 / correct it from the ID card"),
    "check_digit": ("身份证号校验位错误（可能输错或调换了数字）", "check digit does not match (a digit is mistyped or swapped)", "按身份证原件更正 / correct it from the ID card"),
}


@dataclass(frozen=True)
class IdCheck:
    valid: bool
    normalized: str | None  # 18-character form when the structure is readable, else None
    reason: str | None  # one of ID_REASONS, None when valid
    birth_date: _dt.date | None = None
    sex: str | None = None  # "male" | "female"
    upgraded: bool = False  # True when a 15-digit number was upgraded

    @property
    def message(self) -> str:
        if self.reason is None:
            return ""
        zh, en, action = ID_REASONS[self.reason]
        return f"{zh} / {en} — {action}"


def check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for 17 digits."""
    if not re.fullmatch(r"\d{17}", first17):
        raise ValueError(f"need 17 digits, got {first17!r}")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS))
    return _CHECK_CHARS[total % 11]


def upgrade_15_to_18(number15: str) -> str:
    """Old 15-digit number → 18 digits: insert '19' before the 2-digit year, append check digit."""
    if not re.fullmatch(r"\d{15}", number15):
        raise ValueError(f"need 15 digits, got {number15!r}")
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_digit(first17)


def _norm(raw: Any) -> str:
    """NFKC, no format characters (Unicode category Cf: BOM, zero-width, direction marks such as
    U+200E/U+2066 pasted from web pages), trimmed, upper-cased."""
    text = unicodedata.normalize("NFKC", str(raw))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return text.strip().upper()


def looks_truncated(raw: Any) -> bool:
    """True if ``raw`` looks like an ID number that passed through an Excel/float numeric cell:
    a float, scientific notation ('1.10101199003071E+17'), a trailing '.0', or 18 digits whose
    last three are '000' after 15 significant digits (Excel keeps 15) and whose check digit
    fails. Such values are flagged for re-collection, never repaired."""
    if raw is None or raw is pd.NA:
        return False
    if isinstance(raw, float):
        return not math.isnan(raw) and abs(raw) >= 1e14
    text = _norm(raw)
    if not text:
        return False
    if re.fullmatch(r"[+-]?\d+(\.\d+)?E[+-]?\d+", text):
        return True
    if re.fullmatch(r"\d{15,18}\.0*", text):
        return True
    if re.fullmatch(r"\d{15}000", text):
        # 15 significant digits and zeros: what Excel leaves of an 18-digit number. A real ID can
        # end in '000' too (sequence x00, check digit 0), so a value whose check digit holds is
        # not flagged on its own; check_id_series flags it when its column shows truncation.
        return check_digit(text[:17]) != text[17]
    return False


def validate_id_number(raw: Any, *, today: _dt.date | None = None) -> IdCheck:
    """Check one 身份证号 (GB 11643-1999). See the module docstring for the steps.

    Reasons, in the order checked: missing, truncated, format, length, region, date,
    future_date, check_digit. 15-digit numbers (all digits) are upgraded and then checked like
    18-digit ones (their check digit is computed, so only date/region can fail).
    """
    today = today or _dt.date.today()
    if raw is None or raw is pd.NA or (isinstance(raw, float) and math.isnan(raw)):
        return IdCheck(False, None, "missing")
    if looks_truncated(raw):
        return IdCheck(False, None, "truncated")
    text = _norm(raw)
    if not text:
        return IdCheck(False, None, "missing")
    if not re.fullmatch(r"[0-9X]+", text):
        return IdCheck(False, None, "format")
    upgraded = False
    if len(text) == 15:
        if not text.isdigit():
            return IdCheck(False, None, "format")
        text = upgrade_15_to_18(text)
        upgraded = True
    if len(text) != 18:
        return IdCheck(False, None, "length")
    if not re.fullmatch(r"\d{17}[0-9X]", text):
        return IdCheck(False, None, "format")
    if text[:2] not in _PROVINCES:
        return IdCheck(False, text, "region", upgraded=upgraded)
    try:
        birth = _dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return IdCheck(False, text, "date", upgraded=upgraded)
    if birth.year < 1900:
        return IdCheck(False, text, "date", upgraded=upgraded)
    if birth > today:
        return IdCheck(False, text, "future_date", upgraded=upgraded)
    if check_digit(text[:17]) != text[17]:
        return IdCheck(False, text, "check_digit", upgraded=upgraded)
    sex = "male" if int(text[16]) % 2 == 1 else "female"
    return IdCheck(True, text, None, birth, sex, upgraded)


def check_id_series(series: pd.Series, *, today: _dt.date | None = None) -> pd.DataFrame:
    """Validate a column; returns a frame (same index) with valid, normalized, reason,
    birth_date, sex, upgraded. Blank cells ('' or NA) get reason 'missing'."""
    values = [None if isinstance(raw, str) and not raw.strip() else raw for raw in series.tolist()]
    # Column evidence: once a column shows Excel truncation, every '…000' value in it is suspect,
    # even one whose check digit happens to hold (1 in 11 truncated numbers do).
    column_truncated = sum(1 for v in values if looks_truncated(v)) >= 1
    rows = []
    for raw in values:
        c = validate_id_number(raw, today=today)
        if column_truncated and c.valid and c.normalized and c.normalized.endswith("000") and not c.upgraded:
            c = IdCheck(False, None, "truncated")
        rows.append((c.valid, c.normalized, c.reason, c.birth_date, c.sex, c.upgraded))
    frame = pd.DataFrame(rows, columns=["valid", "normalized", "reason", "birth_date", "sex", "upgraded"], index=series.index)
    frame["valid"] = frame["valid"].astype(bool)
    frame["normalized"] = frame["normalized"].astype("str")
    frame["reason"] = frame["reason"].astype("str")
    frame["sex"] = frame["sex"].astype("str")
    return frame


def _salt_bytes(salt: str | bytes) -> bytes:
    if isinstance(salt, str):
        salt = salt.encode("utf-8")
    if not isinstance(salt, bytes) or not salt.strip():
        raise ValueError("salt must be a non-empty, non-blank str or bytes: unsalted hashes of ID numbers can be "
                         "reversed by trying all numbers")
    return salt


def pseudonymous_key(normalized: str, *, salt: str | bytes, length: int = KEY_LENGTH) -> str:
    """HMAC-SHA256(salt, ``normalized``) as ``length`` hex characters.

    ``normalized`` must already be the canonical form (for ID numbers: the 18-character form
    returned by :func:`validate_id_number`), so that equal inputs give equal keys.
    """
    return hmac.new(_salt_bytes(salt), normalized.encode("utf-8"), hashlib.sha256).hexdigest()[:length]


def to_15_digits(number18: str) -> str:
    """The old 15-digit form of an 18-digit number of someone born 1900–1999 (drop '19' and the
    check digit); :func:`upgrade_15_to_18` inverts it. Used to write realistic demo exports."""
    if not re.fullmatch(r"\d{6}19\d{9}[\dX]", number18):
        raise ValueError(f"only 18-digit numbers with a 19xx birth year have a 15-digit form: {number18!r}")
    return number18[:6] + number18[8:17]


def pseudonymize_text(series: pd.Series, *, salt: str | bytes, length: int = KEY_LENGTH) -> pd.Series:
    """Salted keys for other personal identifiers (学籍号, 考号): HMAC-SHA256 of the NFKC,
    whitespace-free, upper-cased text. Blank cells get NA."""
    salt_b = _salt_bytes(salt)
    cache: dict[Any, str | None] = {}
    out = []
    for raw in series.tolist():
        if raw not in cache:
            text = "" if raw is None or raw is pd.NA or (isinstance(raw, float) and math.isnan(raw)) else _norm(raw)
            text = "".join(text.split())
            cache[raw] = pseudonymous_key(text, salt=salt_b, length=length) if text else None
        out.append(cache[raw])
    return pd.Series(out, index=series.index, name=series.name, dtype="str")


def pseudonymize_ids(series: pd.Series, *, salt: str | bytes, length: int = KEY_LENGTH, today: _dt.date | None = None) -> pd.Series:
    """Salted keys for ID numbers: HMAC-SHA256(salt, normalised 18-digit form), first ``length``
    hex characters. Invalid, truncated or blank numbers get NA (they must be re-collected, not
    keyed). A person's 15- and 18-digit numbers give the same key. Keep the salt secret and the
    same across years so keys can be linked."""
    salt = _salt_bytes(salt)
    checks = check_id_series(series, today=today)
    keys = [
        pseudonymous_key(n, salt=salt, length=length) if ok else None
        for ok, n in zip(checks["valid"], checks["normalized"])
    ]
    return pd.Series(keys, index=series.index, name=series.name, dtype="str")
