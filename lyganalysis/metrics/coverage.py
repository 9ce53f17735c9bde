"""Coverage against the city's targets (覆盖率与目标达成): special education, kindergartens, migrant children.

Every measure returns a :class:`Coverage`: numerator, denominator (each with its definition in
words, so a report can state what was divided by what), rate in [0, 1], the target, and a verdict
``met`` / ``close`` (within ``close_within`` proportion points below a minimum target, default 5
points) / ``not_met``; or ``not_measurable`` with the reason when the data cannot give the rate.

Definitions (``standards.CITY_TARGETS_2022`` and ``standards.PRESCHOOL_TARGETS_2020``; the city plan does not define the denominators — they are
marked [U] where this module has to choose):

* ``disabled_placement_rate`` 适龄残疾儿童少年义务教育入学安置率 (target 98 %, ``standards.CITY_TARGETS_2022``):
  (随班就读 regular class + 特殊教育学校 special school + 送教上门 home/institution teaching) /
  school-age disabled children (county_facts). [U] denominator: school-age disabled children as
  registered in county_facts.
* ``disabled_ordinary_school_share`` 普通学校就读残疾学生占比 (≥ 80 %, ``standards.CITY_TARGETS_2022``): disabled students in
  ordinary schools / placed disabled students. [U] numerator: regular class (随班就读) only by
  default; ``home_teaching_as_ordinary=True`` adds 送教上门 (home teaching is registered at an
  ordinary school in some counties). [U] denominator: all placed disabled students (``"placed"``,
  default) or only those taught in a school (``"in_school"``: regular class + special school).
  The plan asks for ≥ 80 % *of each stage*; the data have no stage split, so the rate is over all
  compulsory stages together.
* ``public_affordable_kindergarten_coverage`` 公办和普惠园覆盖率 (≥ 85 %, ``standards.CITY_TARGETS_2022``): children enrolled in
  public or recognised affordable (普惠) kindergartens / all children enrolled in kindergartens
  (``standards.PRESCHOOL_TARGETS_2020``: "share of enrolled children in public or recognised affordable private kindergartens").
* ``quality_kindergarten_coverage`` 省市优质园覆盖率 (90 %, ``standards.CITY_TARGETS_2022``): children enrolled in
  province/city quality-rated kindergartens / all enrolled children. [U] denominator: enrolled
  children (default) or ``denominator="age_population"`` (preschool-age children in county_facts).
* ``public_kindergarten_share`` 公办园在园幼儿占比 (≥ 50 %, ``standards.PRESCHOOL_TARGETS_2020``): children in public kindergartens /
  all enrolled children.
* ``migrant_public_school_share`` 随迁子女在公办学校就读比例 (≥ 85 %, 政府保障程度, ``standards.GOVERNMENT_GUARANTEE``): migrant
  children in public schools / migrant children (county_facts). Government-purchased places are
  not in the data, so the rate may understate the official one.

Small cells: :func:`coverage_table` withholds, per measure, a unit's numerator and rate when the
numerator, the denominator or their difference is 1..k−1 (they count people: disabled children,
children outside public kindergartens …), and then withholds a second unit (the smallest) so that a
withheld value cannot be recovered from the city total (case C27; checked with
:func:`lyganalysis.privacy.recoverable_cells`). The two disabled-children measures share a quantity
(placed children), so a unit withheld in one is withheld in both.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from lyganalysis.standards import CITY_TARGETS_2022, GOVERNMENT_GUARANTEE, PRESCHOOL_TARGETS_2020, Standard

__all__ = [
    "Coverage",
    "MEASURES",
    "coverage_table",
    "disabled_ordinary_school_share",
    "disabled_placement_rate",
    "migrant_public_school_share",
    "public_affordable_kindergarten_coverage",
    "public_kindergarten_share",
    "quality_kindergarten_coverage",
    "verdict",
    "REASON_CODES",
]

VERDICTS = ("met", "close", "not_met", "not_measurable", "withheld")

REASON_CODES = ("lacks_counts", "denominator_zero", "inconsistent", "no_stage_split", "unknown_flag",
                "city_partial", "withheld_small")
"""Codes of :attr:`Coverage.reason_code` (``;``-joined): the data lack the counts; the denominator is 0;
numerator outside 0..denominator; all compulsory stages together (no stage split); ``n_unknown``
kindergartens with an unknown flag; the city row sums only the units with data (``units_lacking``);
withheld as a small cell (or to protect one)."""


def _codes(*parts: str) -> str:
    return ";".join(p for p in parts if p)

TARGETS: dict[str, Standard] = {
    "disabled_placement_rate": CITY_TARGETS_2022["disabled_placement_rate"],
    "disabled_ordinary_school_share": CITY_TARGETS_2022["disabled_regular_school_share"],
    "public_affordable_kindergarten_coverage": CITY_TARGETS_2022["public_affordable_kindergarten_coverage_rate"],
    "quality_kindergarten_coverage": CITY_TARGETS_2022["quality_kindergarten_coverage_rate"],
    "public_kindergarten_share": PRESCHOOL_TARGETS_2020["public_share"],
    "migrant_public_school_share": GOVERNMENT_GUARANTEE["migrant_public_places"],
}
"""The standard each measure is compared with (lyganalysis.standards, with its source clause)."""

MEASURES = tuple(TARGETS)


@dataclass(frozen=True)
class Coverage:
    """One coverage figure and its verdict.

    Attributes
    ----------
    key, name_zh, name_en : str
    numerator, denominator : float or None
        Counts of people (None when the data lack them).
    numerator_definition, denominator_definition : str
        What was counted, in words (English; Chinese in ``*_zh``).
    rate : float
        numerator / denominator in [0, 1]; NaN when not measurable.
    target : float
        The target as a proportion; ``direction`` "min" (rate must be ≥ target).
    verdict : str
        One of ``met``, ``close``, ``not_met``, ``not_measurable``.
    gap : float
        rate − target (proportion points; negative = below the target).
    certainty : str
        "P"/"S"/"U" of the target (references/standards.md); ``definition_certainty`` "U" when a denominator or
        numerator had to be chosen.
    source : str
        Document and clause of the target.
    reason : str
        Why it is not measurable, or notes on the definition (English, for the metrics JSON of old).
    reason_code : str
        The same as codes for a report to translate, joined by ";" (see :data:`REASON_CODES`).
    n_unknown : int
        Kindergartens whose quality / affordable flag is unknown (counted as not flagged).
    """

    key: str
    name_zh: str
    name_en: str
    numerator: float | None
    denominator: float | None
    numerator_definition: str
    denominator_definition: str
    numerator_definition_zh: str
    denominator_definition_zh: str
    rate: float
    target: float
    direction: str
    verdict: str
    gap: float
    close_within: float
    certainty: str
    definition_certainty: str
    source: str
    reason: str = ""
    reason_code: str = ""
    n_unknown: int = 0

    def to_dict(self) -> dict:
        """Plain JSON-able dict (NaN → None)."""
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}


def verdict(rate: float, target: float, *, direction: str = "min", close_within: float = 0.05) -> str:
    """``met`` / ``close`` / ``not_met`` (or ``not_measurable`` for a missing rate).

    ``close``: misses the target by at most ``close_within`` proportion points (default 0.05 = 5
    percentage points). Rates are compared at full precision (no display rounding); a shortfall of
    1e-12 or less counts as met (floating-point noise).
    """
    if rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return "not_measurable"
    if close_within < 0:
        raise ValueError(f"close_within must be ≥ 0, got {close_within!r}")
    if direction not in ("min", "max"):
        raise ValueError(f"direction must be 'min' or 'max', got {direction!r}")
    short = (target - rate) if direction == "min" else (rate - target)
    if short <= 1e-12:
        return "met"
    if short <= close_within + 1e-12:
        return "close"
    return "not_met"


def _make(key: str, num, den, num_def: tuple[str, str], den_def: tuple[str, str], *, close_within: float,
          target: float | None, definition_certainty: str = "S", reason: str = "", reason_code: str = "",
          n_unknown: int = 0) -> Coverage:
    std = TARGETS[key]
    tgt = float(std.value if target is None else target)
    rate = float("nan")
    why = reason
    code = reason_code
    if num is None or den is None or pd.isna(num) or pd.isna(den):
        why = "; ".join(x for x in ("the data lack the counts for this measure", reason) if x)
        code = _codes("lacks_counts", reason_code)
        num = None if num is None or pd.isna(num) else float(num)
        den = None if den is None or pd.isna(den) else float(den)
    else:
        num, den = float(num), float(den)
        if den <= 0:
            if not why:
                why, code = "denominator is 0 (nobody to cover)", "denominator_zero"
        elif num < 0 or num > den:
            why = f"inconsistent data: numerator {num:g} outside 0..denominator {den:g}"
            code = "inconsistent"
        else:
            rate = num / den
    v = verdict(rate, tgt, direction=std.direction, close_within=close_within)
    return Coverage(key=key, name_zh=std.name_zh, name_en=std.name_en, numerator=num, denominator=den,
                    numerator_definition=num_def[0], numerator_definition_zh=num_def[1],
                    denominator_definition=den_def[0], denominator_definition_zh=den_def[1],
                    rate=rate, target=tgt, direction=std.direction, verdict=v,
                    gap=rate - tgt if rate == rate else float("nan"), close_within=float(close_within),
                    certainty=std.certainty, definition_certainty=definition_certainty,
                    source=f"{std.document}, {std.clause}", reason=why, reason_code=code, n_unknown=int(n_unknown))


def _total(s: pd.Series):
    """Sum of counts, None when any is missing: a missing count is never taken for 0."""
    return None if s.isna().any() else float(s.sum())


def _sum(df: pd.DataFrame | None, col: str):
    """Sum of a count column, None if the column is absent or any value is missing."""
    if df is None or col not in df.columns or len(df) == 0:
        return None
    s = pd.to_numeric(df[col], errors="raise")
    if s.isna().any():
        return None
    return float(s.sum())


# --------------------------------------------------------------------------------------------------
# special education

def disabled_placement_rate(county_facts: pd.DataFrame, *, close_within: float = 0.05,
                            target: float | None = None) -> Coverage:
    """适龄残疾儿童少年入学安置率: placed (all three modes) / school-age disabled children (rows summed)."""
    modes = ["disabled_placed_regular_class", "disabled_placed_special_school", "disabled_placed_home_teaching"]
    parts = [_sum(county_facts, c) for c in modes]
    num = None if any(p is None for p in parts) else sum(parts)
    den = _sum(county_facts, "disabled_children_school_age")
    return _make("disabled_placement_rate", num, den,
                 ("disabled children placed: regular class (随班就读) + special school + home/institution "
                  "teaching (送教上门)", "已安置残疾儿童：随班就读 + 特殊教育学校 + 送教上门"),
                 ("school-age disabled children (county_facts) [U]", "适龄残疾儿童少年数（县区统计）[U]"),
                 close_within=close_within, target=target, definition_certainty="U")


def disabled_ordinary_school_share(county_facts: pd.DataFrame, *, home_teaching_as_ordinary: bool = False,
                                   denominator: str = "placed", close_within: float = 0.05,
                                   target: float | None = None) -> Coverage:
    """普通学校就读残疾学生占比: regular class (+ home teaching if chosen) / placed (or in-school) students.

    Raises ValueError for an unknown ``denominator`` or for ``home_teaching_as_ordinary`` with
    ``denominator="in_school"`` (home-taught children would be in the numerator but not the denominator).
    """
    if denominator not in ("placed", "in_school"):
        raise ValueError(f"denominator must be 'placed' or 'in_school', got {denominator!r}")
    if home_teaching_as_ordinary and denominator == "in_school":
        raise ValueError("home_teaching_as_ordinary=True needs denominator='placed'")
    reg = _sum(county_facts, "disabled_placed_regular_class")
    spec = _sum(county_facts, "disabled_placed_special_school")
    home = _sum(county_facts, "disabled_placed_home_teaching")
    num = reg if not home_teaching_as_ordinary else (None if reg is None or home is None else reg + home)
    if denominator == "placed":
        den = None if None in (reg, spec, home) else reg + spec + home
        den_def = ("placed disabled students: regular class + special school + home teaching [U]",
                   "已安置残疾学生：随班就读 + 特殊教育学校 + 送教上门 [U]")
    else:
        den = None if None in (reg, spec) else reg + spec
        den_def = ("disabled students taught in a school: regular class + special school [U]",
                   "在校就读残疾学生：随班就读 + 特殊教育学校 [U]")
    num_def = (("regular class (随班就读) + home teaching (送教上门) [U]", "随班就读 + 送教上门 [U]")
               if home_teaching_as_ordinary else
               ("disabled students in regular classes of ordinary schools (随班就读) [U]", "普通学校随班就读残疾学生 [U]"))
    return _make("disabled_ordinary_school_share", num, den, num_def, den_def, close_within=close_within,
                 target=target, definition_certainty="U",
                 reason="all compulsory stages together: the data have no split by stage (the plan asks per stage)",
                 reason_code="no_stage_split")


# --------------------------------------------------------------------------------------------------
# kindergartens

def _kindergartens(schools: pd.DataFrame) -> pd.DataFrame:
    k = schools[schools["school_type"] == "kindergarten"]
    return k[~(pd.to_numeric(k["students_preschool"]) <= 0)]  # a missing enrolment stays (and blocks the sum)


def _flag(k: pd.DataFrame, col: str) -> pd.Series:
    """A boolean kindergarten flag; unknown (NA) counts as False."""
    return k[col].astype("boolean").fillna(False).astype(bool)


def _n_unknown(k: pd.DataFrame, col: str) -> int:
    return int(k[col].isna().sum()) if col in k.columns else 0


def _unknown_note(k: pd.DataFrame, col: str) -> str:
    n = int(k[col].isna().sum()) if col in k.columns else 0
    return f"{n} kindergarten(s) with unknown {col} counted as not {col.split('_')[0]}" if n else ""


def public_affordable_kindergarten_coverage(schools: pd.DataFrame, *, close_within: float = 0.05,
                                            target: float | None = None) -> Coverage:
    """公办和普惠园覆盖率: enrolled children in public or 普惠 kindergartens / all enrolled children."""
    k = _kindergartens(schools)
    n = pd.to_numeric(k["students_preschool"]).astype("float64")
    inside = (k["ownership"] == "public").to_numpy() | _flag(k, "affordable_kindergarten").to_numpy()
    return _make("public_affordable_kindergarten_coverage", _total(n[inside]), _total(n),
                 ("children enrolled in public or recognised affordable (普惠) kindergartens",
                  "公办园和普惠性民办园在园幼儿数"),
                 ("all children enrolled in kindergartens", "全部在园幼儿数"),
                 close_within=close_within, target=target, reason=_unknown_note(k, "affordable_kindergarten"),
                 reason_code="unknown_flag" if _n_unknown(k, "affordable_kindergarten") else "",
                 n_unknown=_n_unknown(k, "affordable_kindergarten"))


def quality_kindergarten_coverage(schools: pd.DataFrame, county_facts: pd.DataFrame | None = None, *,
                                  denominator: str = "enrolled", close_within: float = 0.05,
                                  target: float | None = None) -> Coverage:
    """省市优质园覆盖率: children in quality-rated kindergartens / enrolled children (or the age population)."""
    if denominator not in ("enrolled", "age_population"):
        raise ValueError(f"denominator must be 'enrolled' or 'age_population', got {denominator!r}")
    k = _kindergartens(schools)
    n = pd.to_numeric(k["students_preschool"]).astype("float64")
    num = _total(n[_flag(k, "quality_kindergarten").to_numpy()])
    if denominator == "enrolled":
        den, den_def = _total(n), ("all children enrolled in kindergartens [U]", "全部在园幼儿数 [U]")
    else:
        den = _sum(county_facts, "preschool_age_children")
        den_def = ("preschool-age children (county_facts) [U]", "学前三年适龄儿童数 [U]")
    return _make("quality_kindergarten_coverage", num, den,
                 ("children enrolled in province- or city-rated quality kindergartens (省市优质园)", "省市优质园在园幼儿数"),
                 den_def, close_within=close_within, target=target, definition_certainty="U",
                 reason=_unknown_note(k, "quality_kindergarten"),
                 reason_code="unknown_flag" if _n_unknown(k, "quality_kindergarten") else "",
                 n_unknown=_n_unknown(k, "quality_kindergarten"))


def public_kindergarten_share(schools: pd.DataFrame, *, close_within: float = 0.05,
                              target: float | None = None) -> Coverage:
    """公办园在园幼儿占比: children in public kindergartens / all enrolled children."""
    k = _kindergartens(schools)
    n = pd.to_numeric(k["students_preschool"]).astype("float64")
    return _make("public_kindergarten_share", _total(n[(k["ownership"] == "public").to_numpy()]), _total(n),
                 ("children enrolled in public kindergartens", "公办园在园幼儿数"),
                 ("all children enrolled in kindergartens", "全部在园幼儿数"), close_within=close_within, target=target)


# --------------------------------------------------------------------------------------------------
# migrant children

def migrant_public_school_share(county_facts: pd.DataFrame, *, close_within: float = 0.05,
                                target: float | None = None) -> Coverage:
    """随迁子女在公办学校就读比例: migrant children in public schools / migrant children."""
    return _make("migrant_public_school_share", _sum(county_facts, "migrant_children_public"),
                 _sum(county_facts, "migrant_children"),
                 ("migrant children (随迁子女) in public schools (government-purchased places not in the data)",
                  "在公办学校就读的随迁子女（数据不含政府购买学位）"),
                 ("migrant children of compulsory-school age", "义务教育阶段随迁子女数"),
                 close_within=close_within, target=target)


# --------------------------------------------------------------------------------------------------
# all units side by side, with small-cell suppression

def _measures(schools: pd.DataFrame, facts: pd.DataFrame | None, close_within: float, options: dict) -> list[Coverage]:
    return [
        disabled_placement_rate(facts, close_within=close_within),
        disabled_ordinary_school_share(facts, close_within=close_within,
                                       home_teaching_as_ordinary=options.get("home_teaching_as_ordinary", False),
                                       denominator=options.get("disabled_denominator", "placed")),
        public_affordable_kindergarten_coverage(schools, close_within=close_within),
        quality_kindergarten_coverage(schools, facts, close_within=close_within,
                                      denominator=options.get("quality_denominator", "enrolled")),
        public_kindergarten_share(schools, close_within=close_within),
        migrant_public_school_share(facts, close_within=close_within),
    ]


_JOINT = (("disabled_placement_rate", "disabled_ordinary_school_share"),)
"""Measures that share a count: placed disabled children are the first one's numerator and the second
one's denominator, so both are withheld together (the second one's denominator included)."""
_DISABLED_COLS = ["disabled_children_school_age", "disabled_placed_regular_class", "disabled_placed_special_school",
                  "disabled_placed_home_teaching"]
_MIGRANT_COLS = ["migrant_children", "migrant_children_public"]


def coverage_table(ds, *, school_year: int, min_cell_size: int = 5, close_within: float = 0.05,
                   city_label: str = "全市", **options) -> pd.DataFrame:
    """Every coverage measure for every reporting unit and for the city, small cells withheld.

    Parameters
    ----------
    ds : lyganalysis.datasets.Dataset
    school_year : int
    min_cell_size : int, default 5
    close_within : float, default 0.05
        Proportion points below the target that still count as ``close``.
    city_label : str, default "全市"
        Unit name of the city row.
    **options
        ``home_teaching_as_ordinary`` (bool), ``disabled_denominator`` ("placed" | "in_school"),
        ``quality_denominator`` ("enrolled" | "age_population"): see the module docstring.

    Returns
    -------
    DataFrame, one row per unit × measure
        ``unit, is_city`` then the :class:`Coverage` fields, ``suppressed`` (bool; numerator, rate
        and gap withheld as NaN, verdict ``withheld``), ``denominator_suppressed`` (a denominator
        of 1..k−1 is withheld too) and ``units_lacking`` (city row: the units without the counts,
        joined by ", "; code ``city_partial``).
    """
    k = int(min_cell_size)
    cols = [c for c in ("county", "school_type", "ownership", "affordable_kindergarten", "quality_kindergarten",
                        "students_preschool") if c in ds.schools.columns]
    sy = ds.schools["school_year"] == school_year
    units_with_schools = set(ds.schools.loc[sy, "county"])
    schools = ds.schools.loc[sy & (ds.schools["school_type"] == "kindergarten"), cols]
    facts = None if ds.county_facts is None else ds.county_facts[ds.county_facts["school_year"] == school_year]
    units = [u for u in ds.counties() if u in units_with_schools
             or (facts is not None and (facts["county"] == u).any())]
    rows = []
    for u in units:
        f = None if facts is None else facts[facts["county"] == u]
        for c in _measures(schools[schools["county"] == u], f, close_within, options):
            rows.append({"unit": u, "is_city": False, **asdict(c)})
    # city: sum over the units that have the counts, and say which ones do not
    city = _measures(schools, facts, close_within, options)
    lacking_by_measure: dict[int, str] = {}
    if facts is not None:
        for i, cols in ((0, _DISABLED_COLS), (1, _DISABLED_COLS), (5, _MIGRANT_COLS)):
            have = [c for c in cols if c in facts.columns]
            complete = facts.dropna(subset=have)
            lacking = sorted(set(facts["county"]) - set(complete["county"]))
            if lacking and len(complete):
                redo = _measures(schools, complete, close_within, options)[i]
                note = f"city total over units with data; without: {', '.join(lacking)}"
                city[i] = Coverage(**{**asdict(redo), "reason": "; ".join(x for x in (redo.reason, note) if x),
                                      "reason_code": _codes(redo.reason_code, "city_partial")})
                lacking_by_measure[i] = ", ".join(lacking)
    for i, c in enumerate(city):
        rows.append({"unit": city_label, "is_city": True, **asdict(c), "units_lacking": lacking_by_measure.get(i, "")})
    out = pd.DataFrame(rows)
    out["units_lacking"] = out["units_lacking"].fillna("").astype(str)
    out["suppressed"] = False
    out["denominator_suppressed"] = False

    def small(v):
        return v is not None and not pd.isna(v) and 0 < v < k

    # primary: numerator, denominator or complement 1..k−1
    primary: dict[str, set] = {}
    for key in MEASURES:
        sub = out[(out["key"] == key) & ~out["is_city"] & out["rate"].notna()]
        primary[key] = {r.unit for r in sub.itertuples()
                        if small(r.numerator) or small(r.denominator) or small(r.denominator - r.numerator)}
    for group in _JOINT:
        union = set().union(*(primary[g] for g in group))
        for g in group:
            primary[g] = set(union)
    # complementary: a second unit so that the city total does not reveal the withheld one
    for group in [*_JOINT, *[(m,) for m in MEASURES if not any(m in j for j in _JOINT)]]:
        withheld = set(primary[group[0]])
        if len(withheld) == 1:
            cand = out[(out["key"] == group[0]) & ~out["is_city"] & out["rate"].notna()
                       & ~out["unit"].isin(withheld)].sort_values("denominator", kind="stable")
            if len(cand):
                withheld.add(cand["unit"].iloc[0])
        for i, g in enumerate(group):
            m = (out["key"] == g) & out["unit"].isin(withheld)
            out.loc[m, "suppressed"] = True
            if i > 0:  # the shared count is this measure's denominator
                out.loc[m, "denominator"] = np.nan
                out.loc[m, "denominator_suppressed"] = True
    m = out["suppressed"]
    out.loc[m, ["numerator", "rate", "gap"]] = np.nan
    out.loc[m, "verdict"] = "withheld"
    out.loc[m, "reason"] = (f"withheld: a count of 1–{k - 1} children (or needed to protect one)"
                            + out.loc[m, "reason"].map(lambda r: f"; {r}" if r else ""))
    out.loc[m, "reason_code"] = out.loc[m, "reason_code"].map(lambda r: _codes("withheld_small", r))
    dm = out["denominator"].map(small).astype(bool)
    out.loc[dm, "denominator"] = np.nan
    out.loc[dm, "denominator_suppressed"] = True
    return out.reset_index(drop=True)
