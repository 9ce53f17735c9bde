"""Government-guarantee checks the school table allows, and Jiangsu school-running-standard monitoring.

Sources
-------
* 县域义务教育优质均衡发展督导评估办法 (教督〔2017〕6号), 政府保障程度 (``standards.GOVERNMENT_GUARANTEE``, [S]):
  school size ≤ 2000 (nine-/twelve-year through schools ≤ 2500 in the compulsory part); **every** class
  ≤ 45 (primary) / ≤ 50 (junior); one music room and one art room per 12 classes (⌈classes / 12⌉), music
  room ≥ 96 m², art room ≥ 90 m².
* MoE class-size bands 46–55 偏大班额, 56–65 大班额, ≥ 66 超大班额; Jiangsu primary ≤ 40, junior ≤ 45
  (``standards.CLASS_SIZE_LIMITS``, [S]).
* Jiangsu school-running standard monitoring, "监测点90%达标的学校占比达70%" (``standards.MONITORING_POINT_SCHOOL_SHARE_CUT``, ``standards.CITY_TARGETS_2022``, [U]):
  the point list is input data.

What the canonical ``schools`` table cannot say (and the functions report as unavailable):
the size of every class (it has only the largest class per stage, ``max_class_size_*``), so the number
of classes in each band needs per-class data; and the floor area of music and art rooms.
"""

from __future__ import annotations

import importlib.resources
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from lyganalysis.standards import (
    CITY_TARGETS_2022,
    CLASS_SIZE_BANDS,
    CLASS_SIZE_LIMITS,
    GOVERNMENT_GUARANTEE,
    MONITORING_POINT_SCHOOL_SHARE_CUT,
)

__all__ = [
    "COMPULSORY_TYPES",
    "school_size_check",
    "class_size_check",
    "class_size_band_counts",
    "music_art_rooms_check",
    "guarantee_checks",
    "GuaranteeChecks",
    "monitoring_compliance",
    "MonitoringResult",
    "example_monitoring_points",
    "example_monitoring_values",
    "EXAMPLE_POINTS_FILE",
]

STAGES = ("primary", "junior")
#: School types with a compulsory part (the 优质均衡 evaluation covers these).
COMPULSORY_TYPES = ("primary", "junior", "nine_year", "twelve_year", "complete_middle", "teaching_point")
THROUGH_TYPES = ("nine_year", "twelve_year")
_ID = ["school_year", "school_id", "school_name", "county", "school_type"]
#: The example monitoring-point file shipped with the package (NOT the official Jiangsu list).
EXAMPLE_POINTS_FILE = "monitoring_points_example.csv"


def _require(df: pd.DataFrame, cols, what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}")


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="raise").astype("float64")


def _compulsory(schools: pd.DataFrame) -> pd.DataFrame:
    return schools.loc[schools["school_type"].isin(list(COMPULSORY_TYPES))]


def _ids(df: pd.DataFrame) -> pd.DataFrame:
    return df[[c for c in _ID if c in df.columns]].copy()


# ---------------------------------------------------------------------------------------------
# School size

def school_size_check(schools: pd.DataFrame, *, limit: float | None = None,
                      through_limit: float | None = None) -> pd.DataFrame:
    """School size against 2000 (through schools 2500), compulsory part (政府保障程度, ``standards.GOVERNMENT_GUARANTEE``).

    Size is the compulsory part (primary + junior students) for every school type: the 2017 text limits
    primary and junior schools to 2000 and nine-/twelve-year through schools to 2500 in the compulsory
    part; for a complete middle school (完全中学) the junior part is counted.

    Parameters
    ----------
    schools : DataFrame
        Canonical ``schools`` table; only compulsory school types are checked.
    limit, through_limit : float, optional
        Override 2000 / 2500.

    Returns
    -------
    DataFrame, one row per school
        ``school_year, school_id, school_name, county, school_type, students`` (compulsory part),
        ``limit``, ``within`` (bool), ``excess`` (students over the limit, 0 when within).
    """
    _require(schools, _ID + ["students_primary", "students_junior"], "school_size_check")
    lim = float(limit if limit is not None else GOVERNMENT_GUARANTEE["school_size"].value)
    tlim = float(through_limit if through_limit is not None else GOVERNMENT_GUARANTEE["through_school_size"].value)
    sch = _compulsory(schools)
    out = _ids(sch)
    n = _num(sch["students_primary"]).fillna(0) + _num(sch["students_junior"]).fillna(0)
    out["students"] = n
    out["limit"] = np.where(sch["school_type"].isin(list(THROUGH_TYPES)), tlim, lim)
    out["within"] = (n <= out["limit"]).astype(bool)
    out["excess"] = (n - out["limit"]).clip(lower=0.0)
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Class size

def _limits(rule: str) -> dict[str, float]:
    if rule == "quality_2017":
        return {"primary": CLASS_SIZE_LIMITS["quality_primary"].value, "junior": CLASS_SIZE_LIMITS["quality_junior"].value}
    if rule == "jiangsu":
        return {"primary": CLASS_SIZE_LIMITS["jiangsu_primary"].value, "junior": CLASS_SIZE_LIMITS["jiangsu_junior"].value}
    raise ValueError(f"class-size rule must be 'quality_2017' (45/50) or 'jiangsu' (40/45), got {rule!r}")


def _band(size: float) -> str | None:
    if size is None or (isinstance(size, float) and math.isnan(size)):
        return None
    for b in CLASS_SIZE_BANDS:
        if size >= b.lower and (b.upper is None or size <= b.upper):
            return b.key
    for b in CLASS_SIZE_BANDS:  # non-integer sizes between bands go to the band above
        if size < b.lower:
            return b.key
    return CLASS_SIZE_BANDS[-1].key


def class_size_check(schools: pd.DataFrame, *, rule: Literal["quality_2017", "jiangsu"] = "quality_2017",
                     limits: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Every class within the limit, judged from the largest class of each school stage.

    "Every class ≤ 45 (primary) / ≤ 50 (junior)" (教督〔2017〕6号, 政府保障程度) holds exactly when the
    largest class (``max_class_size_*``) is within it, so the table's maximum is enough for this check.
    ``rule="jiangsu"`` uses the Jiangsu norms 40 / 45 instead.

    Parameters
    ----------
    schools : DataFrame
        Canonical ``schools`` table (``classes_*``, ``max_class_size_*``, ``students_*``).
    rule : {"quality_2017", "jiangsu"}
    limits : mapping stage → float, optional
        Overrides of the rule's limits.

    Returns
    -------
    DataFrame, one row per school × stage with classes > 0
        ``school_year, school_id, school_name, county, school_type, stage, students, classes,
        mean_class_size`` (students / classes), ``max_class_size``, ``limit``, ``within`` (boolean; NA when
        the largest class is not recorded), ``excess`` (largest class − limit, ≥ 0), ``band`` (MoE band of
        the largest class: normal, moderately_large_class, large_class, super_large_class).
    """
    lim = _limits(rule)
    lim.update({k: float(v) for k, v in (limits or {}).items()})
    cols = _ID + [f"{c}_{s}" for s in STAGES for c in ("students", "classes", "max_class_size")]
    _require(schools, cols, "class_size_check")
    sch = _compulsory(schools)
    parts = []
    for st in STAGES:
        classes = _num(sch[f"classes_{st}"]).fillna(0)
        sub = sch.loc[classes > 0]
        out = _ids(sub)
        out["stage"] = st
        out["students"] = _num(sub[f"students_{st}"])
        out["classes"] = _num(sub[f"classes_{st}"])
        out["mean_class_size"] = out["students"] / out["classes"]
        mx = _num(sub[f"max_class_size_{st}"])
        out["max_class_size"] = mx
        out["limit"] = lim[st]
        out["within"] = pd.array(np.where(mx.notna(), mx <= lim[st], pd.NA), dtype="boolean")
        out["excess"] = (mx - lim[st]).clip(lower=0.0)
        out["band"] = pd.Series([_band(v) for v in mx], index=sub.index, dtype="object")
        parts.append(out)
    res = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=_ID + ["stage", "students", "classes", "mean_class_size", "max_class_size", "limit", "within",
                       "excess", "band"])
    return res.sort_values(["school_year", "school_id", "stage"], kind="stable").reset_index(drop=True)


def class_size_band_counts(check: pd.DataFrame) -> pd.DataFrame:
    """Schools whose largest class falls in each MoE band, per school year and stage.

    This is what the canonical table allows: it has only the largest class of each school stage, so a
    school in band "large_class" has at least one class of 56–65 and none larger. The number of
    **classes** in each band (the official 大班额 statistic) needs per-class data.

    Parameters
    ----------
    check : DataFrame
        Output of :func:`class_size_check`.

    Returns
    -------
    DataFrame
        ``school_year, stage, band, name_zh, name_en, lower, upper, n_schools, share_of_schools`` (of
        schools of that stage with a recorded largest class), and ``n_not_recorded`` (schools with classes
        but no largest-class value).
    """
    _require(check, ["school_year", "stage", "band", "max_class_size"], "class_size_band_counts")
    rows = []
    for (y, st), g in check.groupby(["school_year", "stage"], sort=True):
        recorded = g["max_class_size"].notna()
        n = int(recorded.sum())
        for b in CLASS_SIZE_BANDS:
            k = int((g["band"] == b.key).sum())
            rows.append({"school_year": y, "stage": st, "band": b.key, "name_zh": b.name_zh, "name_en": b.name_en,
                         "lower": b.lower, "upper": b.upper, "n_schools": k,
                         "share_of_schools": k / n if n else np.nan, "n_not_recorded": int((~recorded).sum())})
    return pd.DataFrame(rows, columns=["school_year", "stage", "band", "name_zh", "name_en", "lower", "upper",
                                       "n_schools", "share_of_schools", "n_not_recorded"])


# ---------------------------------------------------------------------------------------------
# Music and art rooms

def music_art_rooms_check(schools: pd.DataFrame, *, classes_per_room: int | None = None) -> pd.DataFrame:
    """One music room and one art room per 12 classes: rooms needed = ⌈classes / 12⌉ (``standards.GOVERNMENT_GUARANTEE``).

    Classes are the compulsory classes (primary + junior); the rooms are whole-school counts. The rule's
    floor areas (music ≥ 96 m², art ≥ 90 m²) cannot be checked: room areas are not in the data.

    Returns
    -------
    DataFrame, one row per compulsory school with classes > 0
        ``school_year, school_id, school_name, county, school_type, classes, rooms_required, music_rooms,
        art_rooms, music_shortfall, art_shortfall`` (rooms lacking, ≥ 0), ``music_ok, art_ok, within``
        (both; boolean, NA when a room count is missing), ``music_ratio, art_ratio`` (present / required).
    """
    per = int(classes_per_room or GOVERNMENT_GUARANTEE["classes_per_music_art_room"].value)
    _require(schools, _ID + ["classes_primary", "classes_junior", "music_rooms", "art_rooms"],
             "music_art_rooms_check")
    sch = _compulsory(schools)
    classes = _num(sch["classes_primary"]).fillna(0) + _num(sch["classes_junior"]).fillna(0)
    sch = sch.loc[classes > 0]
    classes = classes.loc[sch.index]
    out = _ids(sch)
    out["classes"] = classes
    out["rooms_required"] = np.ceil(classes / per)
    for room in ("music", "art"):
        have = _num(sch[f"{room}_rooms"])
        out[f"{room}_rooms"] = have
        out[f"{room}_shortfall"] = (out["rooms_required"] - have).clip(lower=0.0)
        out[f"{room}_ok"] = pd.array(np.where(have.notna(), have >= out["rooms_required"], pd.NA), dtype="boolean")
        out[f"{room}_ratio"] = have / out["rooms_required"]
    out["within"] = out["music_ok"] & out["art_ok"]
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# All checks together

@dataclass(frozen=True)
class GuaranteeChecks:
    """The government-guarantee items the data allow, for one table (usually one county-year).

    Attributes
    ----------
    school_size, class_size, rooms : DataFrame
        Outputs of :func:`school_size_check`, :func:`class_size_check`, :func:`music_art_rooms_check`.
    bands : DataFrame
        :func:`class_size_band_counts` of ``class_size``.
    summary : DataFrame
        One row per item × school year: ``school_year, item, name_zh, name_en, n_schools, n_within,
        share_within, all_within`` (the 2017 rule requires every school / class to comply).
    unavailable : list of dict
        ``{"item", "reason", "reason_zh"}`` for the items the data cannot answer.
    class_size_rule : str
    """

    school_size: pd.DataFrame
    class_size: pd.DataFrame
    bands: pd.DataFrame
    rooms: pd.DataFrame
    summary: pd.DataFrame
    unavailable: list = field(default_factory=list)
    class_size_rule: str = "quality_2017"

    def to_frame(self) -> pd.DataFrame:
        """The summary table (one row per item × school year)."""
        return self.summary.copy()


_ITEM_NAMES = {
    "school_size": ("学校规模（≤2000人，一贯制学校义务段≤2500人）", "School size (≤ 2000; through schools ≤ 2500)"),
    "class_size_primary": ("小学所有班级班额达标", "Every primary class within the limit"),
    "class_size_junior": ("初中所有班级班额达标", "Every junior class within the limit"),
    "music_rooms": ("每12个班1间音乐专用教室", "One music room per 12 classes"),
    "art_rooms": ("每12个班1间美术专用教室", "One art room per 12 classes"),
}


def guarantee_checks(schools: pd.DataFrame, *, class_size_rule: Literal["quality_2017", "jiangsu"] = "quality_2017",
                     class_size_limits: Mapping[str, float] | None = None) -> GuaranteeChecks:
    """Run every government-guarantee check the ``schools`` table allows (see the module docstring).

    Parameters
    ----------
    schools : DataFrame
        Canonical ``schools`` table (any number of school years; summaries are per year).
    class_size_rule : {"quality_2017", "jiangsu"}
        45 / 50 (national 优质均衡) or 40 / 45 (Jiangsu).
    class_size_limits : mapping stage → float, optional

    Returns
    -------
    GuaranteeChecks
    """
    size = school_size_check(schools)
    cls = class_size_check(schools, rule=class_size_rule, limits=class_size_limits)
    rooms = music_art_rooms_check(schools)
    bands = class_size_band_counts(cls)
    rows = []

    def add(item, frame, ok_col):
        for y, g in frame.groupby("school_year", sort=True):
            ok = g[ok_col].dropna().astype(bool)
            zh, en = _ITEM_NAMES[item]
            rows.append({"school_year": y, "item": item, "name_zh": zh, "name_en": en, "n_schools": len(ok),
                         "n_within": int(ok.sum()), "share_within": float(ok.mean()) if len(ok) else np.nan,
                         "all_within": bool(ok.all()) if len(ok) else None,
                         "n_not_recorded": int(len(g) - len(ok))})

    add("school_size", size, "within")
    for st in STAGES:
        add(f"class_size_{st}", cls.loc[cls["stage"] == st], "within")
    add("music_rooms", rooms, "music_ok")
    add("art_rooms", rooms, "art_ok")
    summary = pd.DataFrame(rows, columns=["school_year", "item", "name_zh", "name_en", "n_schools", "n_within",
                                          "share_within", "all_within", "n_not_recorded"])
    unavailable = [
        {"item": "class_size_band_class_counts",
         "reason": "counts of classes per band need per-class data; only each school's largest class is recorded",
         "reason_zh": "班额分档的班级数需要逐班数据：数据只有各校各学段的最大班额，只能统计最大班额落在各档的学校数"},
        {"item": "music_art_room_area",
         "reason": "music room ≥ 96 m² and art room ≥ 90 m² cannot be checked: room areas are not in the data",
         "reason_zh": "音乐教室≥96㎡、美术教室≥90㎡无法核查：数据中没有专用教室面积"},
    ]
    return GuaranteeChecks(school_size=size, class_size=cls, bands=bands, rooms=rooms, summary=summary,
                           unavailable=unavailable, class_size_rule=class_size_rule)


# ---------------------------------------------------------------------------------------------
# Jiangsu school-running-standard monitoring (``standards.MONITORING_POINT_SCHOOL_SHARE_CUT``, [U])

@dataclass(frozen=True)
class MonitoringResult:
    """Monitoring-point compliance (监测点达标).

    Attributes
    ----------
    detail : DataFrame
        One row per school × point (× stage): ``school_id, [stage,] point, value, threshold, direction,
        met`` (boolean; NA when the value is missing).
    schools : DataFrame
        One row per school: ``school_id, n_points, n_assessed, n_met, n_missing, share_met,
        meets_cut`` (share_met ≥ ``school_cut``).
    share_of_schools : float
        Share of schools with ``meets_cut`` (监测点90%达标的学校占比).
    target : float
        The city's target (0.70).
    meets_target : bool
    school_cut : float
    missing : str
        How missing values were treated.
    """

    detail: pd.DataFrame
    schools: pd.DataFrame
    share_of_schools: float
    target: float
    meets_target: bool
    school_cut: float
    missing: str

    def to_frame(self) -> pd.DataFrame:
        """The per-school table (points met, share met, whether the school reaches the cut)."""
        return self.schools.copy()


def monitoring_compliance(values: pd.DataFrame, points: pd.DataFrame, *, school_cut: float | None = None,
                          target: float | None = None, missing: Literal["not_met", "exclude"] = "not_met",
                          school_key: str = "school_id") -> MonitoringResult:
    """Share of monitoring points each school meets, and the share of schools meeting ≥ 90 % of them.

    Reading [U] of the city plan's "监测点90%达标的学校占比达70%" (``standards.MONITORING_POINT_SCHOOL_SHARE_CUT``): a school counts
    when it meets at least ``school_cut`` (0.90) of the points that apply to it; the county target is
    ≥ ``target`` (0.70) of schools counting. The official Jiangsu point list was not found, so the
    points are input data.

    Parameters
    ----------
    values : DataFrame
        Long format: ``school_id, point, value`` and optionally ``stage`` (a school with two stages has
        one value per stage for stage-specific points).
    points : DataFrame
        ``point, threshold, direction`` (``"min"``: value ≥ threshold; ``"max"``: value ≤ threshold) and
        optionally ``stage`` (blank / NA = applies whatever the stage). A point applies to a school when
        the school has a value row for it; see ``missing`` for value rows with NA values.
    school_cut : float, default 0.90
    target : float, default 0.70
    missing : {"not_met", "exclude"}, default "not_met"
        A point whose value is NA: counted as not met (conservative: no evidence, no credit) or left out
        of the school's denominator.

    Returns
    -------
    MonitoringResult

    Raises
    ------
    ValueError
        Missing columns, an unknown direction, duplicated points, values for points not in ``points``,
        or no school.
    """
    cut = float(school_cut if school_cut is not None else MONITORING_POINT_SCHOOL_SHARE_CUT.value)
    tgt = float(target if target is not None else CITY_TARGETS_2022["monitoring_point_school_share"].value)
    if missing not in ("not_met", "exclude"):
        raise ValueError(f"missing must be 'not_met' or 'exclude', got {missing!r}")
    _require(values, [school_key, "point", "value"], "monitoring_compliance(values)")
    _require(points, ["point", "threshold", "direction"], "monitoring_compliance(points)")
    pts = points.copy()
    if "stage" not in pts.columns:
        pts["stage"] = pd.NA
    pts["stage"] = pts["stage"].astype("object").where(pts["stage"].notna() & (pts["stage"].astype(str) != ""), None)
    bad_dir = set(pts["direction"]) - {"min", "max"}
    if bad_dir:
        raise ValueError(f"direction must be 'min' or 'max', found {sorted(map(str, bad_dir))}")
    if pts.duplicated(["point", "stage"]).any():
        raise ValueError("points: duplicated (point, stage) rows "
                         f"{pts.loc[pts.duplicated(['point', 'stage']), 'point'].tolist()}")
    val = values.copy()
    if "stage" not in val.columns:
        val["stage"] = None
    staged = pts.loc[pts["stage"].notna()]
    general = pts.loc[pts["stage"].isna()].drop(columns="stage")
    a = val.merge(staged[["point", "stage", "threshold", "direction"]], on=["point", "stage"], how="inner")
    b = val.loc[val["point"].isin(general["point"])].merge(general[["point", "threshold", "direction"]],
                                                          on="point", how="inner")
    unknown = set(val["point"]) - set(pts["point"])
    if unknown:
        raise ValueError(f"values for point(s) not in the point list: {sorted(map(str, unknown))[:10]}")
    detail = pd.concat([a, b], ignore_index=True)
    if detail.empty:
        raise ValueError("no value matches a monitoring point (check point names and stages)")
    v = pd.to_numeric(detail["value"], errors="raise").astype("float64")
    thr = pd.to_numeric(detail["threshold"], errors="raise").astype("float64")
    met = np.where(detail["direction"] == "min", v >= thr - 1e-9 * np.abs(thr), v <= thr + 1e-9 * np.abs(thr))
    detail["value"] = v
    detail["met"] = pd.array(np.where(v.notna(), met, pd.NA), dtype="boolean")
    g = detail.groupby(school_key, sort=True)
    per = pd.DataFrame({"n_points": g.size(), "n_assessed": g["met"].count(),
                        "n_met": g["met"].sum().astype("int64")})
    per["n_missing"] = per["n_points"] - per["n_assessed"]
    denom = per["n_points"] if missing == "not_met" else per["n_assessed"]
    per["share_met"] = per["n_met"] / denom.where(denom > 0)
    per["meets_cut"] = (per["share_met"] >= cut - 1e-12).astype(bool)
    per = per.reset_index()
    share = float(per["meets_cut"].mean())
    cols = [school_key] + (["stage"] if detail["stage"].notna().any() else []) + [
        "point", "value", "threshold", "direction", "met"]
    return MonitoringResult(detail=detail[cols].sort_values([school_key, "point"], kind="stable").reset_index(drop=True),
                            schools=per, share_of_schools=share, target=tgt, meets_target=bool(share >= tgt - 1e-12),
                            school_cut=cut, missing=missing)


def example_monitoring_points() -> pd.DataFrame:
    """The example point list shipped with the package (``lyganalysis/data/monitoring_points_example.csv``).

    **An example, not the official Jiangsu list**: points built from indicators the demo data have (the
    seven 优质均衡 indicators with their thresholds, the Jiangsu class-size norms on the largest class,
    music and art rooms per 12 classes). Replace it with the province's list when available.
    """
    ref = importlib.resources.files("lyganalysis") / "data" / EXAMPLE_POINTS_FILE
    with importlib.resources.as_file(ref) as p:
        df = pd.read_csv(Path(p), dtype={"point": "string", "stage": "string"}, keep_default_na=True)
    df["stage"] = df["stage"].astype("object").where(df["stage"].notna(), None)
    return df


def example_monitoring_values(indicators: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """Values for :func:`example_monitoring_points` from the demo-style tables.

    Parameters
    ----------
    indicators : DataFrame
        :func:`lyganalysis.metrics.balance.quality_balance_indicators` output (one school year); sections
        with 0 students are left out.
    schools : DataFrame
        The same year's ``schools`` table (largest class, music and art rooms).

    Returns
    -------
    DataFrame ``school_id, stage, point, value`` (long).
    """
    ind = indicators.loc[pd.to_numeric(indicators["students"]) > 0]
    keys = [f"L{i}" for i in range(1, 8)]
    a = ind.melt(id_vars=["school_id", "stage"], value_vars=keys, var_name="point", value_name="value")
    ids = set(ind["school_id"])
    sch = schools.loc[schools["school_id"].isin(ids)]
    parts = [a]
    for st in STAGES:
        col = f"max_class_size_{st}"
        sub = sch.loc[_num(sch[f"classes_{st}"]).fillna(0) > 0]
        sub = sub.loc[sub["school_id"].isin(set(ind.loc[ind["stage"] == st, "school_id"]))]
        parts.append(pd.DataFrame({"school_id": sub["school_id"], "stage": st, "point": "max_class_size",
                                   "value": _num(sub[col])}))
    rooms = music_art_rooms_check(sch)
    for room in ("music", "art"):
        parts.append(pd.DataFrame({"school_id": rooms["school_id"], "stage": None, "point": f"{room}_room_ratio",
                                   "value": rooms[f"{room}_ratio"]}))
    out = pd.concat(parts, ignore_index=True)
    out["stage"] = out["stage"].astype("object").where(out["stage"].notna(), None)
    return out
