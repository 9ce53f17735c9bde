"""Reporting units (县区) as data: codes, names, aliases and the dates each pair was valid.

The table is ``lyganalysis/data/admin_units.csv``, one row per (unit, period):

``unit``
    The reporting unit the row belongs to (the name used in reports).
``name`` / ``code``
    The official name and code in force in that period. ``code_kind`` says what the code is:
    ``gb2260`` (administrative division code, GB/T 2260 / 民政部), ``nbs_zone`` (a functional
    zone's code in the NBS 统计用区划代码 list, not an administrative code), ``city`` (the
    city's own code, used for city-run schools 市直) or ``local`` (this project's code for a unit
    with no official code).
``valid_from`` / ``valid_to``
    First and last day of validity (blank: before the earliest data / still valid).
``reporting``
    ``yes`` for the bureau's reporting units; ``no`` for an official unit that is not one (its
    code is recognised so that it is refused with its official name, never given to another).
``successor`` / ``change``
    Where the unit went when it ended: ``rename`` (same territory: figures stay comparable),
    ``merged`` (its whole territory went into the successor) or ``boundary`` (the territory
    changed: figures before and after are not comparable).

Local codes have the form ``LYGX`` + two digits (LYG = 连云港, X = not an official code), so
they can never be mistaken for an official six-digit code: 徐圩新区 ``LYGX72`` and 云台山景区
``LYGX73`` (the digits are the serials of the earlier placeholders 320772/320773, kept so that school
identifiers built from them do not change; 320772 itself is the NBS code of 连云港高新技术产业开发区).

A school year takes the unit in force on 1 September of its first calendar year
(:data:`SCHOOL_YEAR_REFERENCE`). The 2014 changes (撤销赣榆县设立赣榆区; 撤销新浦区、海州区，
设立新的海州区) took effect with the city's implementing notice of 7 July 2014 (based on the
State Council's approval 国务院关于同意江苏省调整连云港市部分行政区划的批复), so school year
2013 uses the old units and 2014 the new ones.
"""

from __future__ import annotations

import datetime as _dt
import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "UnitPeriod",
    "UnitResolution",
    "Comparability",
    "UnitError",
    "SCHOOL_YEAR_REFERENCE",
    "UNITS_FILE",
    "LOCAL_CODE_PATTERN",
    "load_units",
    "units_frame",
    "reporting_units",
    "resolve_unit",
    "comparability",
]

UNITS_FILE = Path(__file__).parent / "data" / "admin_units.csv"
#: (month, day) of the reference date of a school year: the unit in force on 1 September.
SCHOOL_YEAR_REFERENCE = (9, 1)
#: Regular expression of this project's local codes (outside every official code range).
LOCAL_CODE_PATTERN = r"LYGX\d{2}"

# simplified → traditional for the characters of the fixed unit names (贛榆區 → 赣榆区)
_TRAD = str.maketrans("区县东连云赣开发经济术产业乡镇风胜台园门", "區縣東連雲贛開發經濟術產業鄉鎮風勝臺園門")


class UnitError(ValueError):
    """A county name or code that cannot be mapped onto a reporting unit; the message names the
    value and, for a known official unit that is not a reporting unit, its official name."""


@dataclass(frozen=True)
class UnitPeriod:
    """One row of the units table: a (name, code) pair of a reporting unit and its validity."""

    unit: str
    name: str
    code: str
    code_kind: str
    valid_from: _dt.date | None
    valid_to: _dt.date | None
    reporting: bool
    successor: str | None
    change: str | None
    aliases: tuple[str, ...]
    note: str

    def valid_on(self, day: _dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    def years(self) -> str:
        a = self.valid_from.isoformat() if self.valid_from else "…"
        b = self.valid_to.isoformat() if self.valid_to else "…"
        return f"{a}–{b}"


@dataclass(frozen=True)
class UnitResolution:
    """Result of :func:`resolve_unit`: the reporting unit ``county`` with ``county_code``, the
    period matched, and a bilingual ``note`` when the value was mapped (an old name, a rename, a
    traditional-character form), else ``None``."""

    county: str
    county_code: str
    period: UnitPeriod
    note: str | None = None


@dataclass(frozen=True)
class Comparability:
    """Whether figures of a unit in two school years describe the same territory."""

    comparable: bool
    reason_zh: str = ""
    reason_en: str = ""

    @property
    def label(self) -> str:
        return "" if self.comparable else f"不可比：{self.reason_zh} / not comparable: {self.reason_en}"


def _date(text: Any) -> _dt.date | None:
    if text is None or (isinstance(text, float) and pd.isna(text)) or str(text).strip() == "":
        return None
    return _dt.date.fromisoformat(str(text).strip())


def _key(text: Any) -> str:
    t = unicodedata.normalize("NFKC", str(text))
    t = "".join(ch for ch in t if not ch.isspace() and unicodedata.category(ch) != "Cf")
    return t.lower().replace("-", "").replace("_", "")


@functools.lru_cache(maxsize=4)
def load_units(path: str | Path | None = None) -> tuple[UnitPeriod, ...]:
    """Load the units table (default :data:`UNITS_FILE`).

    Raises
    ------
    ValueError
        If a code appears for two units in overlapping periods, or a date is not ISO.
    """
    df = pd.read_csv(path or UNITS_FILE, dtype=str, keep_default_na=False, encoding="utf-8")
    out = []
    for r in df.itertuples(index=False):
        out.append(UnitPeriod(
            unit=r.unit, name=r.name, code=r.code, code_kind=r.code_kind, valid_from=_date(r.valid_from),
            valid_to=_date(r.valid_to), reporting=r.reporting.strip().lower() == "yes",
            successor=r.successor or None, change=r.change or None,
            aliases=tuple(a for a in r.aliases.split("|") if a), note=r.note))
    for i, a in enumerate(out):
        for b in out[i + 1:]:
            if a.code == b.code and a.unit != b.unit:
                lo = max(a.valid_from or _dt.date.min, b.valid_from or _dt.date.min)
                hi = min(a.valid_to or _dt.date.max, b.valid_to or _dt.date.max)
                if lo <= hi:
                    raise ValueError(f"units table: code {a.code} belongs to {a.unit} and {b.unit} at the same time")
    return tuple(out)


def units_frame() -> pd.DataFrame:
    """The units table as a DataFrame (one row per unit and period), for documentation."""
    return pd.DataFrame([{**p.__dict__, "aliases": "|".join(p.aliases)} for p in load_units()])


def reporting_units(school_year: int | None = None) -> dict[str, str]:
    """Reporting unit → code in force in ``school_year`` (default: today's units), in table order."""
    day = _reference_day(school_year)
    return {p.unit: _identity_code(p) for p in load_units() if p.reporting and p.valid_on(day)}


def _reference_day(school_year: int | None) -> _dt.date:
    if school_year is None:
        return _dt.date.max
    return _dt.date(int(school_year), *SCHOOL_YEAR_REFERENCE)


def _identity_code(q: UnitPeriod) -> str:
    """The one code of a reporting unit: a renamed unit keeps the code of its latest period."""
    units = load_units()
    if any(o.unit == q.unit and o.change == "rename" for o in units):
        latest = [o for o in units if o.unit == q.unit and o.valid_to is None]
        return latest[0].code if latest else q.code
    return q.code


def _candidates(key: str) -> list[UnitPeriod]:
    found = []
    for p in load_units():
        names = {p.code, p.unit, *p.aliases}
        if p.code_kind != "city":  # '连云港市' alone is not taken for 市直
            names.add(p.name)
        keys = {_key(n) for n in names} | {_key(n.translate(_TRAD)) for n in names}
        if key in keys:
            found.append(p)
    return found


def resolve_unit(value: Any, *, school_year: int | None = None, level: str = "school") -> UnitResolution:
    """Map a county name, alias or code onto the reporting unit in force in ``school_year``.

    Parameters
    ----------
    value
        What the file says: 海州区, 海州, Haizhou, 320706, 贛榆區 (traditional characters of the
        fixed unit names), a '连云港市'/'江苏省' prefix is ignored.
    school_year
        The school year of the row (the unit in force on 1 September); ``None``: today's units.
    level
        ``"school"`` for a row about one school (a school in an abolished unit whose whole
        territory went into the successor, or in a renamed unit, is mapped to the successor, with
        a note) or ``"county"`` for a county-level figure (only a pure rename is mapped: the
        figure of an abolished unit belongs to that unit, and in a year after its end it is an
        error).

    Returns
    -------
    UnitResolution

    Raises
    ------
    UnitError
        Unknown value; an official unit that is not a reporting unit (e.g. '320772 =
        连云港高新技术产业开发区: not a reporting unit; map it in the configuration'); a unit
        that did not exist in ``school_year`` and cannot be mapped.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == "":
        raise UnitError("县区为空 / county is missing")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    key = _key(value)
    for prefix in ("江苏省", "江苏", "连云港市", "连云港"):
        if key.startswith(prefix) and key != prefix and _candidates(key[len(prefix):]):
            key = key[len(prefix):]
            break
    cands = _candidates(key)
    if not cands:
        raise UnitError(f"未知县区“{value}” / unknown county {value!r}: use one of " + "、".join(reporting_units()))
    day = _reference_day(school_year)
    nonreporting = [p for p in cands if not p.reporting]
    if nonreporting and all(not p.reporting for p in cands):
        p = nonreporting[0]
        raise UnitError(
            f"{p.code} = {p.name}：不是本系统的报告单位，请在配置中把它的学校映射到某个报告单位 / "
            f"{p.code} = {p.name}: not a reporting unit; map it in the configuration "
            f"(mapping file: values: county: {{'{value}': <reporting unit>}})")
    cands = [p for p in cands if p.reporting]
    units = load_units()
    code_of = _identity_code

    in_force = [p for p in cands if p.valid_on(day)]
    if not in_force:
        # a renamed unit under another of its names (赣榆区 written for 2013): the period in force
        in_force = [o for p in cands for o in units if o.unit == p.unit and o.valid_on(day)
                    and (o.change == "rename" or p.change == "rename")]
    if in_force:
        p = in_force[0]
        note = None
        vk = _key(value)
        own = {_key(p.unit), _key(code_of(p))} | {_key(a) for a in p.aliases}
        if p.code_kind != "city":
            own.add(_key(p.name))
        if vk in {_key(p.name.translate(_TRAD)), _key(p.unit.translate(_TRAD))} and vk not in own:
            note = f"“{value}”为繁体写法，按{p.unit}处理 / '{value}' is the traditional-character form of {p.unit}"
        elif vk not in own or (p.change == "rename" and vk in {_key(p.name), _key(p.code)}):
            old = next((o for o in cands if o.valid_to is not None), p)
            note = (f"“{value}”（{old.name} {old.code}，有效期{old.years()}）更名为{p.unit}，按{p.unit}（{code_of(p)}）处理 / "
                    f"'{value}' ({old.name} {old.code}, valid {old.years()}) was renamed {p.unit}: read as {p.unit} ({code_of(p)})")
        return UnitResolution(p.unit, code_of(p), p, note)
    # not in force in that year: follow successors
    p = cands[0]
    chain = p
    seen = set()
    while chain.successor and id(chain) not in seen:
        seen.add(id(chain))
        if level == "county" and chain.change != "rename":
            break
        nxt = [q for q in units if q.unit == chain.successor and q.reporting
               and (q.valid_from is None or chain.valid_to is None or q.valid_from > chain.valid_to)]
        if not nxt:
            break
        chain = next((q for q in nxt if q.valid_on(day)), nxt[-1])
        if chain.valid_on(day):
            kind = {"rename": "更名", "merged": "并入", "boundary": "区划调整"}.get(p.change or "", "调整")
            return UnitResolution(
                chain.unit, code_of(chain), chain,
                f"“{value}”（{p.name} {p.code}，有效期{p.years()}）已{kind}为{chain.unit}（{code_of(chain)}） / "
                f"'{value}' ({p.name} {p.code}, valid {p.years()}) is now {chain.unit} ({code_of(chain)})")
    when = f"{school_year}学年" if school_year is not None else "现在"
    raise UnitError(
        f"{p.name}（{p.code}）只在{p.years()}有效，{when}已不存在 / {p.name} ({p.code}) was valid {p.years()} only: "
        f"it did not exist in school year {school_year}" + ("" if level == "school" else
                                                             "; county figures of a later year cannot be given to it"))


def comparability(county: str, year_a: int, year_b: int) -> Comparability:
    """Whether the figures of ``county`` in school years ``year_a`` and ``year_b`` cover the same
    territory: false when a boundary change (or a merger into the unit) lies between them.

    A pure rename (赣榆县 → 赣榆区) keeps them comparable. Unknown counties are comparable
    (nothing is known against it).
    """
    lo, hi = sorted((int(year_a), int(year_b)))
    d_lo, d_hi = _reference_day(lo), _reference_day(hi)
    for p in load_units():
        if p.valid_to is None or not (d_lo <= p.valid_to < d_hi):
            continue
        touches = p.unit == county or p.successor == county
        if touches and p.change in ("boundary", "merged"):  # a rename keeps the territory
            year = p.valid_to.year
            return Comparability(False, f"{year}年区划调整", f"boundary change {year}")
    return Comparability(True)
