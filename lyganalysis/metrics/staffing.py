"""Staffing: student–teacher ratios (生师比), staffing standards (编制标准) and shortfalls (缺编), and the
structure of the teaching force (教师队伍结构): age and retirements, qualification and title, subjects,
backbone teachers (骨干教师) and rotation (交流轮岗).

Sources: the 2014 unified urban–rural staffing standard and the 2001 standard (standards.STAFFING_2014,
standards.STAFFING_2001); the 优质均衡 indicators L1–L3 (教督〔2017〕6号, standards.QUALITY_INDICATORS); the rotation
rules (standards.ROTATION_TARGETS, standards.ROTATION_MIN_YEARS_IN_SCHOOL);
statutory retirement ages and the 2025 gradual reform ([U], see :mod:`lyganalysis.standards`). All
encoded in :mod:`lyganalysis.standards`. Results are full precision; round only for display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from lyganalysis.standards import staffing_standard

__all__ = ["student_teacher_ratio", "teacher_need", "teacher_shortfall", "TeacherShortfall",
           "teacher_age", "age_band_labels", "age_structure", "AgeStructure", "retirement_month", "retirements",
           "Retirements", "qualification_structure", "title_structure", "subject_structure",
           "missing_specialists", "backbone_concentration", "BackboneConcentration", "rotation_eligible",
           "rotation", "Rotation", "certified_rate", "training_completion_rate", "QUALIFICATIONS", "TITLES", "SUBJECTS", "BACKBONE_LEVELS", "AGE_GROUPS"]


def _keys(by) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    if name not in df.columns:
        raise ValueError(f"missing column {name!r}; available: {list(df.columns)}")
    s = df[name]
    if not pd.api.types.is_numeric_dtype(s):
        raise ValueError(f"column {name!r} must be numeric, got dtype {s.dtype}")
    s = s.astype("float64")
    if s.isna().any():
        raise ValueError(f"column {name!r} has {int(s.isna().sum())} missing value(s); fill or drop them "
                         "explicitly first")
    if (s < 0).any():
        raise ValueError(f"column {name!r} has {int((s < 0).sum())} negative value(s)")
    return s


def student_teacher_ratio(df: pd.DataFrame, *, students: str, teachers: str,
                          by: str | Sequence[str] | None = None,
                          method: Literal["pooled", "mean_of_schools"] = "pooled",
                          weight: str | None = None) -> float | pd.Series:
    """Student–teacher ratio (生师比), students per full-time teacher.

    Two different quantities, named by ``method``:

    * ``"pooled"`` (default): Σ students / Σ teachers — the ratio of the whole county (or group),
      as the staffing standard and statistical bulletins use it.
    * ``"mean_of_schools"``: the mean of the per-row ratios studentsᵢ / teachersᵢ, weighted by the
      column ``weight`` when given (e.g. ``weight=students`` for the enrolment-weighted mean).

    They differ (Stock & Watson's CASchools data: pooled 20.368, enrolment-weighted mean of district
    ratios 20.479), so reports must say which one they show.

    Parameters
    ----------
    df : DataFrame, one row per school (or district)
    students, teachers : str
        Column names (non-negative, no missing values).
    by : str or sequence of str, optional
        Group columns; the result is then a Series indexed by group.
    method : {"pooled", "mean_of_schools"}
    weight : str, optional
        Only with ``method="mean_of_schools"``.

    Returns
    -------
    float or Series (name ``"student_teacher_ratio"``)
        Students per teacher. NaN for a pooled group with no teachers.

    Raises
    ------
    ValueError
        Missing columns or values, negative values, unknown method, ``weight`` with the pooled method,
        rows with students but no teachers in ``mean_of_schools`` (their ratio is infinite).
    """
    keys = _keys(by)
    s = _col(df, students)
    t = _col(df, teachers)
    for k in keys:
        if k not in df.columns:
            raise ValueError(f"missing group column {k!r}")
    if method == "pooled":
        if weight is not None:
            raise ValueError("weight= applies to method='mean_of_schools' only; the pooled ratio "
                             "Σstudents/Σteachers is already enrolment-weighted")
        if not keys:
            tt = t.sum()
            return float(s.sum() / tt) if tt > 0 else float("nan")
        frame = pd.DataFrame({"s": s, "t": t}).join(df[keys])
        g = frame.groupby(keys, sort=True, dropna=False)[["s", "t"]].sum()
        out = g["s"] / g["t"].where(g["t"] > 0)
    elif method == "mean_of_schools":
        bad = (t == 0) & (s > 0)
        if bad.any():
            raise ValueError(f"{int(bad.sum())} row(s) have students but no teachers in {teachers!r}: their "
                             "ratio is infinite; drop or correct them, or use method='pooled'")
        ratio = s / t.where(t > 0)
        w = _col(df, weight) if weight is not None else pd.Series(1.0, index=df.index)
        w = w.where(ratio.notna(), 0.0)
        frame = pd.DataFrame({"wr": (w * ratio).fillna(0.0), "w": w})
        if not keys:
            sw = frame["w"].sum()
            if sw <= 0:
                raise ValueError("no row with teachers and positive weight: the mean ratio is undefined")
            return float(frame["wr"].sum() / sw)
        frame = frame.join(df[keys])
        g = frame.groupby(keys, sort=True, dropna=False)[["wr", "w"]].sum()
        out = g["wr"] / g["w"].where(g["w"] > 0)
    else:
        raise ValueError(f"method must be 'pooled' or 'mean_of_schools', got {method!r}")
    out.name = "student_teacher_ratio"
    return out


def _per_row(df: pd.DataFrame, arg, name: str, allowed=None) -> pd.Series:
    """A column if ``arg`` names one, else the constant ``arg`` broadcast."""
    if isinstance(arg, str) and arg in df.columns:
        s = df[arg]
        if s.isna().any():
            raise ValueError(f"column {arg!r} ({name}) has {int(s.isna().sum())} missing value(s)")
        return s
    if allowed is not None and arg not in allowed:
        raise ValueError(f"{name}={arg!r} is neither a column of the frame nor one of {sorted(allowed)}")
    return pd.Series([arg] * len(df), index=df.index, dtype=object)


def teacher_need(df: pd.DataFrame, *, students: str, stage: str, school_year: str | int,
                 locale: str | None = None) -> pd.Series:
    """Staff posts the staffing standard (编制标准) gives each row: students / students-per-staff.

    The standard is :func:`lyganalysis.standards.staffing_standard`: the 2014 unified standard
    (primary 1:19, junior 1:13.5, senior 1:12.5) for school years ≥ 2014, the 2001 table by locale
    (urban/town/rural) before (standards.STAFFING_2014, standards.STAFFING_2001, [S]); preschool 1:15.

    Parameters
    ----------
    df : DataFrame
    students : str
        Column of registered students of the stage.
    stage : str
        A column holding the stage per row (e.g. ``"stage"`` in school sections) or a constant stage
        ("primary", "junior", "senior", "preschool").
    school_year : str or int
        A column of school years, or one school year for all rows.
    locale : str, optional
        A column of locales (urban/town/rural) or a constant locale; needed before 2014 only.

    Returns
    -------
    Series (float64, name ``"teacher_need"``)
        Staff posts, full precision (not rounded). Note that the standard counts all staff (教职工):
        comparing it with full-time teachers (专任教师) overstates the shortfall.

    Raises
    ------
    ValueError
        Missing columns/values, unknown stage or locale, pre-2014 rows without a locale.
    """
    s = _col(df, students)
    st = _per_row(df, stage, "stage", {"primary", "junior", "senior", "preschool"})
    yr = _per_row(df, school_year, "school_year") if isinstance(school_year, str) else \
        pd.Series(int(school_year), index=df.index)
    if locale is None:
        loc = pd.Series([None] * len(df), index=df.index, dtype=object)
    else:
        loc = _per_row(df, locale, "locale", {"urban", "town", "rural"})
    combos = pd.DataFrame({"stage": st.astype(object), "year": yr.astype("int64"), "locale": loc.astype(object)})
    cache: dict = {}
    ratios = np.empty(len(df), dtype="float64")
    for i, (a, b, c) in enumerate(combos.itertuples(index=False, name=None)):
        key = (a, b, c)
        if key not in cache:
            cache[key] = staffing_standard(a, school_year=b, locale=c)
        ratios[i] = cache[key]
    return pd.Series(s.to_numpy() / ratios, index=df.index, name="teacher_need")


@dataclass(frozen=True)
class TeacherShortfall:
    """Teacher shortfall (缺编) per row and per group.

    Attributes
    ----------
    schools : DataFrame
        The input's identifying columns plus ``students, teachers, teacher_need, teacher_shortfall``
        (need − actual; positive = short, negative = surplus).
    totals : DataFrame
        Per group (``by``): ``students, teachers, teacher_need, teacher_shortfall`` (net: surpluses offset
        shortages), ``gross_shortfall`` (sum of the positive shortfalls only) and ``n_schools_short``.
    """

    schools: pd.DataFrame
    totals: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The per-group totals."""
        return self.totals


def teacher_shortfall(df: pd.DataFrame, *, students: str, teachers: str, stage: str,
                      school_year: str | int, locale: str | None = None,
                      by: str | Sequence[str] | None = "county") -> TeacherShortfall:
    """Teacher shortfall (缺编) = need under the staffing standard − actual teachers.

    Parameters
    ----------
    df : DataFrame, one row per school (or school section)
    students, teachers : str
        Columns of students and teachers of the stage.
    stage, school_year, locale
        As in :func:`teacher_need`.
    by : str or sequence of str or None, default "county"
        Columns to sum over; None gives one overall total.

    Returns
    -------
    TeacherShortfall
        ``schools`` per row and ``totals`` per group (see the class).

    Raises
    ------
    ValueError
        As :func:`teacher_need`; missing ``by`` columns.
    """
    keys = _keys(by)
    for k in keys:
        if k not in df.columns:
            raise ValueError(f"missing group column {k!r}")
    need = teacher_need(df, students=students, stage=stage, school_year=school_year, locale=locale)
    t = _col(df, teachers)
    id_cols = [c for c in ("school_id", "school_name", "county", "county_code", "school_year", "stage", "locale")
               if c in df.columns and c not in keys]
    per = df[keys + id_cols].copy()
    per["students"] = _col(df, students)
    per["teachers"] = t
    per["teacher_need"] = need
    per["teacher_shortfall"] = need - t
    per["_gross"] = per["teacher_shortfall"].clip(lower=0.0)
    per["_short"] = (per["teacher_shortfall"] > 0).astype("int64")
    cols = ["students", "teachers", "teacher_need", "teacher_shortfall", "_gross", "_short"]
    if keys:
        tot = per.groupby(keys, sort=True, dropna=False)[cols].sum().reset_index()
    else:
        tot = per[cols].sum().to_frame().T
    tot = tot.rename(columns={"_gross": "gross_shortfall", "_short": "n_schools_short"})
    tot["n_schools_short"] = tot["n_schools_short"].astype("int64")
    return TeacherShortfall(schools=per.drop(columns=["_gross", "_short"]), totals=tot)


# =============================================================================================
# Teacher workforce structure (教师队伍结构): age, retirements, qualification and title, subjects,
# backbone teachers (骨干教师), rotation (交流轮岗). All functions work on the teachers table
# (data/README.md) and, where school attributes are needed, the schools table.
# =============================================================================================

QUALIFICATIONS: tuple[str, ...] = ("postgraduate", "bachelor", "associate", "high_school_or_below")
"""学历 levels, highest first: 研究生 / 本科 / 专科 / 高中及以下."""
TITLES: tuple[str, ...] = ("senior_professor", "senior", "first", "second", "third", "unrated")
"""职称 levels, highest first: 正高级 / 高级 / 一级 / 二级 / 三级 / 未定级."""
SUBJECTS: tuple[str, ...] = ("chinese", "math", "english", "science", "moral_education", "pe", "music",
                             "fine_art", "it", "labour", "mental_health", "other")
BACKBONE_LEVELS: tuple[str, ...] = ("county", "city", "province")
"""骨干教师 levels counted by L2 (county level or above)."""
AGE_GROUPS: tuple[str, ...] = ("under_35", "35_49", "50_plus")
GENDERS: tuple[str, ...] = ("female", "male")
_SCHOOL_ATTRS = ("school_name", "county", "county_code", "locale", "school_type")
_SNAPSHOT_MONTH = 9  # the teachers table is an autumn (September) snapshot of the school year


def _year_rows(df: pd.DataFrame, school_year: int | None) -> pd.DataFrame:
    """Rows of one school year (all rows when the frame has no ``school_year`` column)."""
    if school_year is None or "school_year" not in df.columns:
        return df
    out = df[df["school_year"].astype("int64") == int(school_year)]
    return out


def _require(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; available: {list(df.columns)}")


def _attach_school(teachers: pd.DataFrame, schools: pd.DataFrame | None, cols: Sequence[str],
                   school_year: int | None, what: str) -> pd.DataFrame:
    """``teachers`` with the school columns ``cols`` (e.g. locale) joined on school_id (and year)."""
    need = [c for c in cols if c not in teachers.columns]
    if not need:
        return teachers
    if schools is None:
        raise ValueError(f"{what}: column(s) {need} are not in the teachers table; pass schools= to join "
                         "them on school_id")
    _require(schools, ["school_id", *need], what)
    s = _year_rows(schools, school_year)[["school_id", *need]].drop_duplicates("school_id")
    out = teachers.merge(s, on="school_id", how="left", validate="many_to_one")
    bad = out[need[0]].isna()
    if bad.any():
        raise ValueError(f"{what}: {int(bad.sum())} teacher row(s) have a school_id not in the schools table "
                         f"of school year {school_year}")
    return out


def teacher_age(teachers: pd.DataFrame, *, school_year: int) -> pd.Series:
    """Age in completed years reached during the calendar year ``school_year`` (= school_year − birth_year).

    Without birth months this is the age at the end of the autumn term; it is the convention of the
    county summary (lyganalysis.summary) as well.
    """
    _require(teachers, ["birth_year"], "teacher_age")
    return (int(school_year) - teachers["birth_year"].astype("int64")).rename("age")


def _age_band(age: pd.Series, width: int, low: int, high: int) -> pd.Series:
    lo = (age.clip(lower=low, upper=high) // width * width).astype("int64")
    labels = {b: (f"{b}–{b + width - 1}" if b < high else f"{high}+") for b in range(low, high + 1, width)}
    labels[low] = f"<{low + width}"
    return lo.map(labels)


def age_band_labels(*, band_width: int = 5, low: int = 20, high: int = 60) -> list[str]:
    """Pyramid band labels from youngest to oldest (``"<25", "25–29", …, "55–59", "60+"``)."""
    out = []
    for b in range(low, high + 1, band_width):
        out.append(f"<{low + band_width}" if b == low else (f"{high}+" if b >= high else f"{b}–{b + band_width - 1}"))
    return out


@dataclass(frozen=True)
class AgeStructure:
    """Age structure of full-time teachers.

    Attributes
    ----------
    shares : DataFrame
        Per group: ``teachers, n_under_35, n_35_49, n_50_plus, share_under_35, share_35_49,
        share_50_plus, mean_age``.
    pyramid : DataFrame
        Long: group columns, ``age_band`` (ordered, youngest first), ``gender``, ``teachers`` (every band ×
        gender present, zeros included).
    bands : tuple of str
        Band labels, youngest first.
    """

    shares: pd.DataFrame
    pyramid: pd.DataFrame
    bands: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """The per-group shares."""
        return self.shares


def age_structure(teachers: pd.DataFrame, *, school_year: int, by: str | Sequence[str] | None = ("stage",),
                  schools: pd.DataFrame | None = None, band_width: int = 5) -> AgeStructure:
    """Age structure (年龄结构): shares under 35, 35–49, 50 and over, and a 5-year × gender pyramid.

    Parameters
    ----------
    teachers : DataFrame
        The teachers table (rows of other school years are ignored).
    school_year : int
        The school year; age = ``school_year − birth_year`` (:func:`teacher_age`).
    by : str or sequence of str or None, default ("stage",)
        Group columns; school columns (``locale``, ``county``, ``school_type``) are joined from ``schools``.
    schools : DataFrame, optional
        Needed when ``by`` names a school column.
    band_width : int, default 5
        Pyramid band width in years (bands from "<25" to "60+").

    Returns
    -------
    AgeStructure

    Notes
    -----
    The cut-offs 35 and 50 follow the usual reporting of teacher age structure in Chinese education
    statistics (青年教师 under 35; 50+ near retirement). Full precision; round for display only.
    """
    keys = _keys(by)
    t = _year_rows(teachers, school_year)
    _require(t, ["birth_year", "gender"], "age_structure")
    t = _attach_school(t, schools, [k for k in keys if k in _SCHOOL_ATTRS], school_year, "age_structure")
    _require(t, keys, "age_structure")
    age = teacher_age(t, school_year=school_year)
    frame = t[keys].copy() if keys else pd.DataFrame(index=t.index)
    frame["age"] = age.to_numpy()
    frame["n_under_35"] = (age < 35).astype("int64").to_numpy()
    frame["n_35_49"] = ((age >= 35) & (age < 50)).astype("int64").to_numpy()
    frame["n_50_plus"] = (age >= 50).astype("int64").to_numpy()
    frame["teachers"] = 1
    cnt = ["teachers", "n_under_35", "n_35_49", "n_50_plus"]
    if keys:
        g = frame.groupby(keys, sort=True, dropna=False)
        shares = g[cnt].sum()
        shares["mean_age"] = g["age"].mean().astype("float64")
        shares = shares.reset_index()
    else:
        shares = frame[cnt].sum().to_frame().T
        shares["mean_age"] = float(frame["age"].mean()) if len(frame) else float("nan")
    for c in cnt:
        shares[c] = shares[c].astype("int64")
    for grp in AGE_GROUPS:
        shares[f"share_{grp}"] = shares[f"n_{grp}"] / shares["teachers"].where(shares["teachers"] > 0)
    bands = tuple(age_band_labels(band_width=band_width))
    frame["age_band"] = _age_band(age, band_width, 20, 60).to_numpy()
    frame["gender"] = t["gender"].to_numpy()
    levels = [frame[k].drop_duplicates().sort_values().tolist() for k in keys]
    full = pd.MultiIndex.from_product([*levels, list(bands), list(GENDERS)], names=[*keys, "age_band", "gender"])
    pyr = frame.groupby([*keys, "age_band", "gender"], sort=False)["teachers"].sum().reindex(full, fill_value=0)
    pyr = pyr.astype("int64").reset_index()
    pyr["age_band"] = pd.Categorical(pyr["age_band"], categories=list(bands), ordered=True)
    return AgeStructure(shares=shares, pyramid=pyr, bands=bands)


def _reform_delay(orig_month: np.ndarray, rule) -> np.ndarray:
    start = rule.start_year * 12
    since = orig_month - start
    delay = np.minimum(rule.max_delay_months, since // rule.step_months + 1)
    return np.where(since >= 0, delay, 0)


def retirement_month(birth_year, gender, *, birth_month, retirement_age: Mapping[str, float],
                     gradual_reform: bool = False) -> np.ndarray:
    """Month index (year·12 + month − 1) of statutory retirement.

    Parameters
    ----------
    birth_year, gender : array-like
    birth_month : int or array-like (1–12)
    retirement_age : mapping gender → age in years (original statutory age)
    gradual_reform : bool
        Apply :data:`lyganalysis.standards.RETIREMENT_REFORM_2025` for the original age (60, 55 or 50).

    Raises
    ------
    ValueError
        A gender without an age, or a reform asked for an original age without a schedule.
    """
    from lyganalysis.standards import RETIREMENT_REFORM_2025

    by = np.asarray(birth_year, dtype="int64")
    g = np.asarray(gender, dtype=object)
    unknown = sorted(set(g.tolist()) - set(retirement_age))
    if unknown:
        raise ValueError(f"no retirement age for gender(s) {unknown}; retirement_age has {sorted(retirement_age)}")
    age = np.array([retirement_age[x] for x in g.tolist()], dtype="float64")
    bm = np.asarray(birth_month, dtype="int64")
    orig = by * 12 + (bm - 1) + np.round(age * 12).astype("int64")
    if not gradual_reform:
        return orig
    out = orig.copy()
    for a in np.unique(age):
        rule = RETIREMENT_REFORM_2025.get(int(a)) if float(a).is_integer() else None
        if rule is None:
            raise ValueError(f"gradual_reform=True has no schedule for original retirement age {a:g}; "
                             f"schedules exist for {sorted(RETIREMENT_REFORM_2025)}")
        m = age == a
        out[m] = orig[m] + _reform_delay(orig[m], rule)
    return out


@dataclass(frozen=True)
class Retirements:
    """Retirements (退休) over the coming school years and the replacement need.

    Attributes
    ----------
    by_year : DataFrame
        Group columns, ``year`` (1 = the reporting school year), ``school_year`` (in which they retire),
        ``retirements`` (expected count; fractional under the uniform birth-month assumption),
        ``new_teachers_needed`` (retirements + other_attrition × headcount).
    totals : DataFrame
        Group columns, ``horizon`` (years), ``headcount``, ``retirements``, ``share_of_headcount``,
        ``n_past_retirement_age`` (already past the age at the snapshot, counted in year 1),
        ``new_teachers_per_year`` (mean yearly need over the horizon to keep the headcount).
    assumptions : dict
        Ages, reform flag, birth-month rule, attrition.
    """

    by_year: pd.DataFrame
    totals: pd.DataFrame
    assumptions: dict

    def to_frame(self) -> pd.DataFrame:
        """The totals per group and horizon."""
        return self.totals


def retirements(teachers: pd.DataFrame, *, school_year: int, horizon: int | Sequence[int] = (5, 10),
                retirement_age: Mapping[str, float] | None = None, gradual_reform: bool = False,
                by: str | Sequence[str] | None = None, schools: pd.DataFrame | None = None,
                birth_month: int | Literal["uniform"] = "uniform",
                other_attrition: float = 0.0) -> Retirements:
    """Retirements in the next years at statutory ages, and the new teachers that implies.

    Year k (k = 1, 2, …) is the school year ``school_year + k − 1``: September of that year to August of
    the next. The teachers table is taken as a September snapshot of ``school_year``.

    Parameters
    ----------
    teachers : DataFrame
        The teachers table (other school years are ignored).
    school_year : int
    horizon : int or sequence of int, default (5, 10)
        Horizons (years) of the totals; ``by_year`` covers the longest.
    retirement_age : mapping gender → years, default {"male": 60, "female": 55}
        Original statutory ages (:data:`lyganalysis.standards.STATUTORY_RETIREMENT_AGE`; women's 55 is [U]).
    gradual_reform : bool, default False
        Apply the 2025 gradual reform (:data:`lyganalysis.standards.RETIREMENT_REFORM_2025`, [U]): for an
        original retirement month on or after Jan 2025, +1 month per started 4 months (original age 60
        or 55; +1 per 2 months for 50), at most +36 months (60 → 63, 55 → 58; 50 → 55 at most +60).
    by : str or sequence of str, optional
        Group columns (``stage``, ``gender``; school columns via ``schools``).
    schools : DataFrame, optional
    birth_month : int (1–12) or "uniform", default "uniform"
        The data have birth years only. "uniform": each teacher is spread over the 12 months of the
        birth year (expected counts, 1/12 per month); an int assumes that month for everyone.
    other_attrition : float, default 0
        Other leavers per year as a share of the headcount (added to the replacement need).

    Returns
    -------
    Retirements

    Raises
    ------
    ValueError
        Bad horizon, birth month or attrition; see :func:`retirement_month`.

    Notes
    -----
    Keeping the headcount constant needs one new teacher per leaver, so ``new_teachers_needed`` =
    retirements + other_attrition × headcount. Sources: standards.py ``STATUTORY_RETIREMENT_AGE`` and
    ``RETIREMENT_REFORM_2025`` (both flagged there).
    """
    ages = dict(retirement_age) if retirement_age is not None else {"male": 60, "female": 55}
    hs = sorted({int(h) for h in ([horizon] if isinstance(horizon, (int, np.integer)) else horizon)})
    if not hs or hs[0] < 1:
        raise ValueError(f"horizon must be positive whole years, got {horizon!r}")
    if not 0.0 <= float(other_attrition) < 1.0:
        raise ValueError(f"other_attrition must be a share in [0, 1), got {other_attrition!r}")
    keys = _keys(by)
    t = _year_rows(teachers, school_year)
    _require(t, ["birth_year", "gender"], "retirements")
    t = _attach_school(t, schools, [k for k in keys if k in _SCHOOL_ATTRS], school_year, "retirements")
    _require(t, keys, "retirements")
    if birth_month == "uniform":
        months = np.arange(1, 13)
        weight = 1.0 / 12.0
    else:
        if not isinstance(birth_month, (int, np.integer)) or not 1 <= int(birth_month) <= 12:
            raise ValueError(f"birth_month must be 1–12 or 'uniform', got {birth_month!r}")
        months = np.array([int(birth_month)])
        weight = 1.0
    n = len(t)
    snapshot = int(school_year) * 12 + (_SNAPSHOT_MONTH - 1)
    rep = len(months)
    by_arr = np.repeat(t["birth_year"].to_numpy(dtype="int64"), rep)
    g_arr = np.repeat(t["gender"].astype(object).to_numpy(), rep)
    bm = np.tile(months, n)
    rm = retirement_month(by_arr, g_arr, birth_month=bm, retirement_age=ages, gradual_reform=gradual_reform)
    past = rm < snapshot
    k = np.where(past, 0, (rm - snapshot) // 12)  # 0-based year index
    long = pd.DataFrame({"k": k, "w": weight, "past": past.astype("float64") * weight})
    for key in keys:
        long[key] = np.repeat(t[key].to_numpy(), rep)
    H = hs[-1]
    long = long[long["k"] < H]
    levels = [t[key].drop_duplicates().sort_values().tolist() for key in keys]
    full = pd.MultiIndex.from_product([*levels, list(range(H))], names=[*keys, "k"])
    per = long.groupby([*keys, "k"], sort=True)["w"].sum().reindex(full, fill_value=0.0).reset_index()
    per = per.rename(columns={"w": "retirements"})
    if keys:
        head = t.groupby(keys, sort=True).size().rename("headcount").reset_index()
        pasts = long.groupby(keys, sort=True)["past"].sum().rename("n_past_retirement_age").reset_index()
        per = per.merge(head, on=keys, how="left")
    else:
        head = pd.DataFrame({"headcount": [n]})
        pasts = pd.DataFrame({"n_past_retirement_age": [float(long["past"].sum())]})
        per["headcount"] = n
    per["headcount"] = per["headcount"].fillna(0).astype("int64")
    per["year"] = per["k"] + 1
    per["school_year"] = int(school_year) + per["k"]
    per["new_teachers_needed"] = per["retirements"] + float(other_attrition) * per["headcount"]
    by_year = per[[*keys, "year", "school_year", "retirements", "new_teachers_needed"]]
    rows = []
    for h in hs:
        sub = per[per["k"] < h]
        agg = sub.groupby(keys, sort=True)[["retirements", "new_teachers_needed"]].sum().reset_index() if keys \
            else sub[["retirements", "new_teachers_needed"]].sum().to_frame().T
        agg = agg.merge(head, on=keys, how="left") if keys else agg.assign(headcount=n)
        agg = agg.merge(pasts, on=keys, how="left") if keys else agg.assign(
            n_past_retirement_age=float(pasts["n_past_retirement_age"].iloc[0]))
        agg["horizon"] = h
        rows.append(agg)
    tot = pd.concat(rows, ignore_index=True)
    tot["n_past_retirement_age"] = tot["n_past_retirement_age"].fillna(0.0)
    tot["share_of_headcount"] = tot["retirements"] / tot["headcount"].where(tot["headcount"] > 0)
    tot["new_teachers_per_year"] = tot["new_teachers_needed"] / tot["horizon"]
    tot = tot[[*keys, "horizon", "headcount", "retirements", "share_of_headcount", "n_past_retirement_age",
               "new_teachers_per_year"]]
    return Retirements(by_year=by_year.reset_index(drop=True), totals=tot.reset_index(drop=True),
                       assumptions={"retirement_age": ages, "gradual_reform": bool(gradual_reform),
                                    "birth_month": birth_month, "other_attrition": float(other_attrition),
                                    "snapshot": f"{int(school_year)}-{_SNAPSHOT_MONTH:02d}"})


def _category_structure(teachers: pd.DataFrame, column: str, levels: Sequence[str], keys: list[str]) -> pd.DataFrame:
    _require(teachers, [column, *keys], f"{column} structure")
    unknown = sorted(set(teachers[column].dropna().astype(str)) - set(levels))
    if unknown:
        raise ValueError(f"column {column!r} has unknown code(s) {unknown}; expected {list(levels)}")
    if teachers[column].isna().any():
        raise ValueError(f"column {column!r} has {int(teachers[column].isna().sum())} missing value(s)")
    dummies = pd.DataFrame({f"n_{lv}": (teachers[column] == lv).astype("int64").to_numpy() for lv in levels},
                           index=teachers.index)
    dummies["teachers"] = 1
    if keys:
        out = dummies.join(teachers[keys]).groupby(keys, sort=True, dropna=False).sum().reset_index()
    else:
        out = dummies.sum().to_frame().T
    out = out[[*keys, "teachers", *[f"n_{lv}" for lv in levels]]]
    for lv in levels:
        out[f"share_{lv}"] = out[f"n_{lv}"] / out["teachers"].where(out["teachers"] > 0)
    return out


def qualification_structure(teachers: pd.DataFrame, *, school_year: int | None = None,
                            by: str | Sequence[str] | None = ("stage",),
                            schools: pd.DataFrame | None = None) -> pd.DataFrame:
    """Qualification structure (学历结构: 研究生 / 本科 / 专科 / 高中及以下) and the L1 share.

    Parameters
    ----------
    teachers : DataFrame
    school_year : int, optional
        Keep only this school year (recommended: the teachers table holds several).
    by : str or sequence, default ("stage",)
        Group columns; school columns (``locale`` …) are joined from ``schools``.
    schools : DataFrame, optional

    Returns
    -------
    DataFrame
        Group columns, ``teachers``, ``n_<level>`` and ``share_<level>`` for each of
        :data:`QUALIFICATIONS` in order, ``n_above_required`` and ``share_above_required``: teachers above the
        required qualification (L1: primary associate degree or higher, junior bachelor or higher,
        standards.REQUIRED_QUALIFICATION_ABOVE [S]); NaN for stages without an L1 definition (senior, preschool, special) and for
        groups that mix stages unless ``stage`` is a group column — then it is counted per teacher's stage.
    """
    from lyganalysis.standards import ABOVE_REQUIRED_QUALIFICATIONS

    keys = _keys(by)
    t = _year_rows(teachers, school_year)
    t = _attach_school(t, schools, [k for k in keys if k in _SCHOOL_ATTRS], school_year, "qualification_structure")
    out = _category_structure(t, "qualification", QUALIFICATIONS, keys)
    _require(t, ["stage"], "qualification_structure")
    st = t["stage"].astype(object)
    defined = st.isin(list(ABOVE_REQUIRED_QUALIFICATIONS))
    above = pd.Series(False, index=t.index)
    for stage, quals in ABOVE_REQUIRED_QUALIFICATIONS.items():
        m = st == stage
        above[m] = t.loc[m, "qualification"].isin(list(quals))
    f = pd.DataFrame({"a": above.astype("int64"), "d": defined.astype("int64")}, index=t.index)
    if keys:
        agg = f.join(t[keys]).groupby(keys, sort=True, dropna=False).sum().reset_index()
        out = out.merge(agg, on=keys, how="left")
    else:
        out["a"], out["d"] = int(f["a"].sum()), int(f["d"].sum())
    ok = out["d"] == out["teachers"]  # only groups whose teachers all have an L1 definition
    out["n_above_required"] = out["a"].astype("float64").where(ok)
    out["share_above_required"] = out["n_above_required"] / out["teachers"].where(out["teachers"] > 0)
    return out.drop(columns=["a", "d"])


def title_structure(teachers: pd.DataFrame, *, school_year: int | None = None,
                    by: str | Sequence[str] | None = ("stage",),
                    schools: pd.DataFrame | None = None) -> pd.DataFrame:
    """Professional-title structure (职称结构: 正高级 / 高级 / 一级 / 二级 / 三级 / 未定级).

    Returns group columns, ``teachers``, ``n_<title>`` and ``share_<title>`` for each of :data:`TITLES`, and
    ``share_first_or_higher`` (正高级 + 高级 + 一级, the "intermediate or higher" titles of the 2012 basic
    balance indicator 8, standards.INTERMEDIATE_OR_HIGHER_TITLES). Parameters as :func:`qualification_structure`.
    """
    keys = _keys(by)
    t = _year_rows(teachers, school_year)
    t = _attach_school(t, schools, [k for k in keys if k in _SCHOOL_ATTRS], school_year, "title_structure")
    out = _category_structure(t, "title", TITLES, keys)
    out["share_first_or_higher"] = out[["share_senior_professor", "share_senior", "share_first"]].sum(axis=1)
    out.loc[out["teachers"] == 0, "share_first_or_higher"] = np.nan
    return out


def _sections(schools: pd.DataFrame, school_year: int, stages: Sequence[str]) -> pd.DataFrame:
    """One row per school × stage with students of that stage > 0 (or teachers listed for it)."""
    s = _year_rows(schools, school_year)
    parts = []
    for st in stages:
        _require(s, ["school_id", f"students_{st}"], "school sections")
        cols = ["school_id", *[c for c in _SCHOOL_ATTRS if c in s.columns]]
        p = s[cols].copy()
        p["stage"] = st
        p["students"] = pd.to_numeric(s[f"students_{st}"]).fillna(0).astype("float64").to_numpy()
        p["classes"] = pd.to_numeric(s[f"classes_{st}"]).fillna(0).astype("float64").to_numpy() \
            if f"classes_{st}" in s.columns else np.nan
        parts.append(p[p["students"] > 0])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def subject_structure(teachers: pd.DataFrame, schools: pd.DataFrame, *, school_year: int,
                      stages: Sequence[str] = ("primary", "junior"),
                      subjects: Sequence[str] = SUBJECTS) -> pd.DataFrame:
    """Teachers per subject per 100 students, per school section, with L3.

    Parameters
    ----------
    teachers, schools : DataFrame
        canonical tables (data/README.md) (other school years ignored).
    school_year : int
    stages : sequence, default ("primary", "junior")
        Stages (sections with students > 0 of the stage).
    subjects : sequence, default all subject codes

    Returns
    -------
    DataFrame
        One row per school × stage: ``school_id``, school columns, ``stage, students, classes, teachers``,
        ``n_<subject>`` and ``per_100_<subject>`` (teachers per 100 students), ``pe_arts_teachers`` (PE + music
        + fine art), ``L3`` (pe_arts_teachers per 100 students), ``L3_threshold`` (0.9, standards.QUALITY_INDICATORS [S]),
        ``L3_meets``, ``L3_gap_teachers`` (whole teachers still needed to reach the threshold: ⌈0.9 ×
        students / 100 − pe_arts_teachers⌉, 0 when met).

    Notes
    -----
    Sections are the school's registered students of the stage; teachers are those whose ``stage`` is that
    stage in the teachers table (a nine-year school's PE teacher counts in the section he or she is listed in).
    """
    from lyganalysis.standards import PE_ARTS_SUBJECTS, quality_threshold

    t = _year_rows(teachers, school_year)
    _require(t, ["school_id", "stage", "subject"], "subject_structure")
    sec = _sections(schools, school_year, stages)
    cnt = (t[t["stage"].isin(list(stages))].groupby(["school_id", "stage", "subject"]).size()
           .unstack("subject", fill_value=0))
    cnt = cnt.reindex(columns=list(dict.fromkeys([*subjects, *PE_ARTS_SUBJECTS])), fill_value=0)
    cnt.columns = [f"n_{c}" for c in cnt.columns]
    tot = t[t["stage"].isin(list(stages))].groupby(["school_id", "stage"]).size().rename("teachers")
    out = sec.merge(cnt.join(tot).reset_index(), on=["school_id", "stage"], how="left")
    ncols = [c for c in out.columns if c.startswith("n_")] + ["teachers"]
    out[ncols] = out[ncols].fillna(0).astype("int64")
    per = 100.0 / out["students"]
    for s in subjects:
        out[f"per_100_{s}"] = out[f"n_{s}"] * per
    out["pe_arts_teachers"] = out[[f"n_{s}" for s in PE_ARTS_SUBJECTS]].sum(axis=1).astype("int64")
    out["L3"] = out["pe_arts_teachers"] * per
    out["L3_threshold"] = out["stage"].map(lambda st: quality_threshold("L3", st)).astype("float64")
    out["L3_meets"] = out["L3"] >= out["L3_threshold"] - 1e-12
    need = out["L3_threshold"] * out["students"] / 100.0 - out["pe_arts_teachers"]
    out["L3_gap_teachers"] = np.ceil(need.clip(lower=0) - 1e-9).clip(lower=0).astype("int64")
    drop = [f"n_{s}" for s in PE_ARTS_SUBJECTS if s not in subjects]
    return out.drop(columns=drop)


def missing_specialists(teachers: pd.DataFrame, schools: pd.DataFrame, *, school_year: int,
                        subjects: Sequence[str] | None = None, stages: Sequence[str] = ("primary", "junior"),
                        exclude_types: Sequence[str] = ("teaching_point",)) -> pd.DataFrame:
    """Schools with no specialist teacher of a subject (no music, PE, fine-art, IT or mental-health teacher).

    Parameters
    ----------
    teachers, schools : DataFrame
    school_year : int
    subjects : sequence, default :data:`lyganalysis.standards.SPECIALIST_SUBJECTS`
    stages : sequence, default ("primary", "junior")
        A school is looked at when it has students in one of these stages; its teachers of these stages
        are pooled (a nine-year school with one music teacher has one).
    exclude_types : sequence, default ("teaching_point",)
        School types left out (teaching points rely on their central school's specialists).

    Returns
    -------
    DataFrame
        One row per school: ``school_id``, school columns, ``students`` (of the stages), ``teachers``,
        ``n_<subject>`` for each subject, ``missing`` (tuple of subject codes with no teacher, in the order of
        ``subjects``) and ``n_missing``. All schools are returned; filter ``n_missing > 0``.

    Notes
    -----
    "Every school has at least one specialist of each subject" is an analysis convention [U] (standards.py
    ``SPECIALIST_SUBJECTS``). Whether a subject is *taught* mainly by non-specialists cannot be told from
    the teachers table (it records each teacher's own subject, not the lessons taught).
    """
    from lyganalysis.standards import SPECIALIST_SUBJECTS

    subjects = tuple(subjects) if subjects is not None else SPECIALIST_SUBJECTS
    t = _year_rows(teachers, school_year)
    _require(t, ["school_id", "stage", "subject"], "missing_specialists")
    sec = _sections(schools, school_year, stages)
    if "school_type" in sec.columns and exclude_types:
        sec = sec[~sec["school_type"].isin(list(exclude_types))]
    attrs = [c for c in _SCHOOL_ATTRS if c in sec.columns]
    per = sec.groupby("school_id", sort=False).agg(students=("students", "sum"))
    info = sec.drop_duplicates("school_id").set_index("school_id")[attrs]
    tt = t[t["stage"].isin(list(stages)) & t["school_id"].isin(per.index)]
    cnt = tt.groupby(["school_id", "subject"]).size().unstack("subject", fill_value=0)
    cnt = cnt.reindex(index=per.index, columns=list(subjects), fill_value=0).fillna(0).astype("int64")
    cnt.columns = [f"n_{s}" for s in subjects]
    out = info.join(per).join(tt.groupby("school_id").size().rename("teachers")).join(cnt)
    out["teachers"] = out["teachers"].fillna(0).astype("int64")
    n = out[[f"n_{s}" for s in subjects]].to_numpy()
    out["missing"] = [tuple(s for s, v in zip(subjects, row) if v == 0) for row in n]
    out["n_missing"] = (n == 0).sum(axis=1).astype("int64")
    return out.reset_index()


@dataclass(frozen=True)
class BackboneConcentration:
    """Where the backbone teachers (骨干教师, county level or above) are.

    Attributes
    ----------
    schools : DataFrame
        Per school section: ``school_id``, school columns, ``stage, students, teachers, backbone_teachers,
        L2`` (per 100 students), ``L2_threshold`` (1.0), ``L2_meets``, ``L2_gap_teachers``.
    by_locale : DataFrame
        Per ``stage`` (and ``"all"`` for the stages pooled) × ``locale``: ``students, teachers,
        backbone_teachers, student_share, backbone_share`` (of the stage's totals), ``concentration_ratio``
        (backbone_share / student_share; 1 = in proportion to students) and ``L2`` (pooled).
    inequality : DataFrame
        Per stage: ``n_schools, gini_coefficient`` (of L2 across sections, weighted by students) and
        ``coefficient_of_variation`` (the official enrolment-weighted 差异系数 of L2).
    """

    schools: pd.DataFrame
    by_locale: pd.DataFrame
    inequality: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The urban/rural concentration table."""
        return self.by_locale


def backbone_concentration(teachers: pd.DataFrame, schools: pd.DataFrame, *, school_year: int,
                           stages: Sequence[str] = ("primary", "junior"),
                           levels: Sequence[str] = BACKBONE_LEVELS,
                           by: str | Sequence[str] | None = None) -> BackboneConcentration:
    """L2 per school and the concentration of backbone teachers (骨干教师) in urban versus rural schools.

    Parameters
    ----------
    teachers, schools : DataFrame
    school_year : int
    stages : sequence, default ("primary", "junior")
    levels : sequence, default ("county", "city", "province")
        ``backbone_level`` codes counted (L2: county level or above, standards.QUALITY_INDICATORS [S]).
    by : str or sequence of str, optional
        School columns (e.g. ``"county"``) to compute ``by_locale`` and ``inequality`` per group (shares are
        then of the group's totals). Default: all schools together.

    Returns
    -------
    BackboneConcentration
        ``by_locale`` and ``inequality`` start with the ``by`` columns when given; ``inequality`` also has
        ``n_schools_L2_short`` (sections below the L2 threshold).

    Raises
    ------
    ValueError
        Missing columns (``by`` columns must be in the schools table).

    Notes
    -----
    Gini: :func:`lyganalysis.metrics.inequality.gini_coefficient` (population-weighted, Cowell 2011);
    CV: :func:`lyganalysis.metrics.balance.coefficient_of_variation` with ``weight="students"``
    (standards.DOC_CV_GUIDANCE). Both need a positive mean: a stage with no backbone teacher gets NaN.
    """
    from lyganalysis.metrics.balance import coefficient_of_variation
    from lyganalysis.metrics.inequality import gini_coefficient
    from lyganalysis.standards import quality_threshold

    keys = _keys(by)
    t = _year_rows(teachers, school_year)
    _require(t, ["school_id", "stage", "backbone_level"], "backbone_concentration")
    sec = _sections(schools, school_year, stages)
    _require(sec, keys, "backbone_concentration (by= columns of the schools table)")
    tt = t[t["stage"].isin(list(stages))]
    g = pd.DataFrame({"school_id": tt["school_id"], "stage": tt["stage"], "teachers": 1,
                      "backbone_teachers": tt["backbone_level"].isin(list(levels)).astype("int64")})
    agg = g.groupby(["school_id", "stage"])[["teachers", "backbone_teachers"]].sum().reset_index()
    s = sec.merge(agg, on=["school_id", "stage"], how="left")
    s[["teachers", "backbone_teachers"]] = s[["teachers", "backbone_teachers"]].fillna(0).astype("int64")
    s["L2"] = s["backbone_teachers"] * 100.0 / s["students"]
    s["L2_threshold"] = s["stage"].map(lambda st: quality_threshold("L2", st)).astype("float64")
    s["L2_meets"] = s["L2"] >= s["L2_threshold"] - 1e-12
    need = s["L2_threshold"] * s["students"] / 100.0 - s["backbone_teachers"]
    s["L2_gap_teachers"] = np.ceil(need.clip(lower=0) - 1e-9).clip(lower=0).astype("int64")
    cnt = ["students", "teachers", "backbone_teachers"]
    both = pd.concat([s, s.assign(stage="all")], ignore_index=True)
    order = {st: i for i, st in enumerate([*stages, "all"])}
    bl_cols = [*keys, "stage", "locale", "students", "teachers", "backbone_teachers", "student_share",
               "backbone_share", "L2"]
    if "locale" in both.columns and len(both):
        tot = both.groupby([*keys, "stage"], sort=False)[cnt].sum().add_prefix("tot_")
        bl = both.groupby([*keys, "stage", "locale"], sort=False, dropna=False)[cnt].sum().join(
            tot, on=[*keys, "stage"])  # 未分类 (missing locale) is its own row, never dropped
        bl = bl.reset_index()
        bl["student_share"] = bl["students"] / bl["tot_students"]
        bl["backbone_share"] = bl["backbone_teachers"] / bl["tot_backbone_teachers"].where(
            bl["tot_backbone_teachers"] > 0)
        bl["L2"] = bl["backbone_teachers"] * 100.0 / bl["students"]
        bl["students"] = bl["students"].astype("float64")
        bl["_o"] = bl["stage"].map(order)
        bl = bl.sort_values([*keys, "_o", "locale"], kind="stable")[bl_cols].reset_index(drop=True)
    else:
        bl = pd.DataFrame(columns=bl_cols)
    ineq = []
    for gk, sub in s.groupby([*keys, "stage"], sort=False):
        gk = gk if isinstance(gk, tuple) else (gk,)
        tot_ = sub[cnt].sum()
        pos = tot_["backbone_teachers"] > 0
        ineq.append({**dict(zip([*keys, "stage"], gk)), "n_schools": int(len(sub)),
                     "L2_pooled": float(tot_["backbone_teachers"] * 100.0 / tot_["students"]),
                     "gini_coefficient": gini_coefficient(sub, value="L2", weight="students") if pos else float("nan"),
                     "coefficient_of_variation": coefficient_of_variation(sub, value="L2", weight="students")
                     if pos else float("nan"),
                     "n_schools_L2_short": int((~sub["L2_meets"]).sum())})
    ineq = pd.DataFrame(ineq, columns=[*keys, "stage", "n_schools", "L2_pooled", "gini_coefficient",
                                       "coefficient_of_variation", "n_schools_L2_short"])
    if len(ineq):
        ineq = ineq.assign(_o=ineq["stage"].map(order)).sort_values([*keys, "_o"], kind="stable")
        ineq = ineq.drop(columns="_o").reset_index(drop=True)
    bl["concentration_ratio"] = bl["backbone_share"] / bl["student_share"].where(bl["student_share"] > 0)
    return BackboneConcentration(schools=s, by_locale=bl, inequality=ineq)


@dataclass(frozen=True)
class Rotation:
    """Teacher rotation (交流轮岗) against the targets.

    Attributes
    ----------
    table : DataFrame
        Per group: ``teachers, eligible, rotated, rotation_rate`` (rotated / eligible), ``target_city``
        (0.15), ``target_national`` (0.10), ``meets_city``, ``meets_national``, ``gap_to_city`` (whole
        teachers still to rotate for 15 %), ``share_of_all_teachers`` (rotated / teachers, Jiangsu 15 % of
        full-time teachers), ``backbone_teachers, backbone_rotated, backbone_share_of_rotated`` (against 0.20),
        ``meets_backbone_share``, ``backbone_rotation_rate`` (backbone rotated / backbone teachers, Jiangsu
        15 %), ``rotated_outside_age_rule`` (rotated teachers with ≤ 5 years to retirement).
    flows : DataFrame or None
        Rotated teachers by origin × destination locale (``origin_locale, destination_locale, teachers``),
        when the previous school year's teachers are in the data and keys link them; otherwise None.
    flows_note : str
        Why flows are unavailable, or how they were derived.
    definition : dict
        The eligibility rule used.
    """

    table: pd.DataFrame
    flows: pd.DataFrame | None
    flows_note: str
    definition: dict
    flows_reason: str = ""
    flows_excluded: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        """The per-group rotation table."""
        return self.table


def rotation_eligible(teachers: pd.DataFrame, *, school_year: int, min_years_in_school: int | None = None,
                      min_years_to_retirement: float | None = None,
                      retirement_age: Mapping[str, float] | None = None, gradual_reform: bool = False,
                      birth_month: int = 7) -> pd.Series:
    """Whether each teacher is in the rotation pool (≥ 6 years in the same school and > 5 years to retirement).

    Years to retirement = (statutory retirement month − September of ``school_year``) / 12, with birth month
    ``birth_month`` (default 7, mid-year; the data have birth years only). Defaults from
    :data:`lyganalysis.standards.ROTATION_MIN_YEARS_IN_SCHOOL` and ``ROTATION_MIN_YEARS_TO_RETIREMENT``
    ([S]). Teachers who rotated this year have their years in school restarted, so they are
    not eligible by this rule; :func:`rotation` adds them to the pool.
    """
    from lyganalysis.standards import ROTATION_MIN_YEARS_IN_SCHOOL, ROTATION_MIN_YEARS_TO_RETIREMENT

    y_min = ROTATION_MIN_YEARS_IN_SCHOOL if min_years_in_school is None else min_years_in_school
    r_min = ROTATION_MIN_YEARS_TO_RETIREMENT if min_years_to_retirement is None else min_years_to_retirement
    ages = dict(retirement_age) if retirement_age is not None else {"male": 60, "female": 55}
    _require(teachers, ["years_in_school", "birth_year", "gender"], "rotation_eligible")
    rm = retirement_month(teachers["birth_year"].to_numpy(), teachers["gender"].astype(object).to_numpy(),
                          birth_month=birth_month, retirement_age=ages, gradual_reform=gradual_reform)
    ytr = (rm - (int(school_year) * 12 + _SNAPSHOT_MONTH - 1)) / 12.0
    ok = (teachers["years_in_school"].astype("int64").to_numpy() >= y_min) & (ytr > r_min)
    return pd.Series(ok, index=teachers.index, name="rotation_eligible")


def rotation(teachers: pd.DataFrame, *, school_year: int, by: str | Sequence[str] | None = None,
             schools: pd.DataFrame | None = None, stages: Sequence[str] = ("primary", "junior"),
             min_years_in_school: int | None = None, min_years_to_retirement: float | None = None,
             retirement_age: Mapping[str, float] | None = None, gradual_reform: bool = False,
             backbone_levels: Sequence[str] = BACKBONE_LEVELS) -> Rotation:
    """Rotation rate of eligible teachers against 15 % (city/Jiangsu) and 10 % (national); backbone share.

    Parameters
    ----------
    teachers : DataFrame
        The teachers table; ``rotated`` = moved into this school by rotation this school year.
    school_year : int
    by : str or sequence, optional
        Group columns (e.g. ``stage``; school columns joined from ``schools``).
    schools : DataFrame, optional
        For school columns in ``by`` and for the origin/destination locales of the flows.
    stages : sequence, default ("primary", "junior")
        Rotation (义务教育教师交流轮岗) concerns compulsory education.
    min_years_in_school, min_years_to_retirement, retirement_age, gradual_reform
        The eligible pool (:func:`rotation_eligible`); defaults ≥ 6 years and > 5 years (standards.ROTATION_MIN_YEARS_IN_SCHOOL,
        standards.ROTATION_MIN_YEARS_TO_RETIREMENT [S]).
    backbone_levels : sequence
        Levels counted as backbone teachers.

    Returns
    -------
    Rotation

    Notes
    -----
    Pool = teachers meeting the rule who did not rotate + all teachers who rotated this year (their years in
    school restarted when they moved; they were in the pool before). Targets: :data:`ROTATION_TARGETS`
    (city_2022 15 % of eligible [P], national 10 % [S], backbone ≥ 20 % of rotated [S], Jiangsu 15 % of
    full-time and of backbone teachers [P]). Flows: the teachers table has no origin school; when the
    previous school year is present, a rotated teacher's origin is the school of his or her row of that year
    (same ``teacher_key``). Nothing is imputed for rotated teachers without such a row.
    """
    from lyganalysis.standards import ROTATION_TARGETS

    keys = _keys(by)
    t = _year_rows(teachers, school_year)
    _require(t, ["rotated", "stage", "backbone_level"], "rotation")
    t = t[t["stage"].isin(list(stages))]
    t = _attach_school(t, schools, [k for k in keys if k in _SCHOOL_ATTRS], school_year, "rotation")
    _require(t, keys, "rotation")
    rot = t["rotated"].astype(bool).to_numpy()
    elig_rule = rotation_eligible(t, school_year=school_year, min_years_in_school=min_years_in_school,
                                  min_years_to_retirement=min_years_to_retirement,
                                  retirement_age=retirement_age, gradual_reform=gradual_reform).to_numpy()
    age_ok = rotation_eligible(t.assign(years_in_school=10 ** 6), school_year=school_year,
                               min_years_in_school=0, min_years_to_retirement=min_years_to_retirement,
                               retirement_age=retirement_age, gradual_reform=gradual_reform).to_numpy()
    bb = t["backbone_level"].isin(list(backbone_levels)).to_numpy()
    f = pd.DataFrame({"teachers": 1, "eligible": (elig_rule & ~rot) | rot, "rotated": rot,
                      "backbone_teachers": bb, "backbone_rotated": bb & rot,
                      "rotated_outside_age_rule": rot & ~age_ok}, index=t.index).astype("int64")
    if keys:
        tab = f.join(t[keys]).groupby(keys, sort=True, dropna=False).sum().reset_index()
    else:
        tab = f.sum().to_frame().T.astype("int64")
    city = ROTATION_TARGETS["city_2022"].value
    nat = ROTATION_TARGETS["national"].value
    bshare = ROTATION_TARGETS["national_backbone_share"].value
    tab["rotation_rate"] = tab["rotated"] / tab["eligible"].where(tab["eligible"] > 0)
    tab["target_city"] = city
    tab["target_national"] = nat
    tab["meets_city"] = tab["rotation_rate"] >= city
    tab["meets_national"] = tab["rotation_rate"] >= nat
    tab["gap_to_city"] = np.ceil((city * tab["eligible"] - tab["rotated"]).clip(lower=0) - 1e-9).clip(lower=0).astype("int64")
    tab["share_of_all_teachers"] = tab["rotated"] / tab["teachers"].where(tab["teachers"] > 0)
    tab["backbone_share_of_rotated"] = tab["backbone_rotated"] / tab["rotated"].where(tab["rotated"] > 0)
    tab["target_backbone_share"] = bshare
    tab["meets_backbone_share"] = tab["backbone_share_of_rotated"] >= bshare
    tab["backbone_rotation_rate"] = tab["backbone_rotated"] / tab["backbone_teachers"].where(tab["backbone_teachers"] > 0)
    definition = {"min_years_in_school": min_years_in_school, "min_years_to_retirement": min_years_to_retirement,
                  "retirement_age": dict(retirement_age) if retirement_age else {"male": 60, "female": 55},
                  "gradual_reform": bool(gradual_reform), "stages": list(stages),
                  "pool": "rule-eligible non-rotated + all rotated this year"}
    from lyganalysis.standards import ROTATION_MIN_YEARS_IN_SCHOOL, ROTATION_MIN_YEARS_TO_RETIREMENT
    if definition["min_years_in_school"] is None:
        definition["min_years_in_school"] = ROTATION_MIN_YEARS_IN_SCHOOL
    if definition["min_years_to_retirement"] is None:
        definition["min_years_to_retirement"] = ROTATION_MIN_YEARS_TO_RETIREMENT
    skeys = [k for k in keys if k in _SCHOOL_ATTRS]
    flows, note, reason, excluded = _rotation_flows(teachers, t[rot], schools, int(school_year), skeys)
    return Rotation(table=tab, flows=flows, flows_note=note, definition=definition, flows_reason=reason,
                    flows_excluded=excluded)


def _rotation_flows(all_teachers: pd.DataFrame, rotated: pd.DataFrame, schools: pd.DataFrame | None,
                    school_year: int, keys: Sequence[str] = ()) -> tuple[pd.DataFrame | None, str, str,
                                                                      pd.DataFrame | None]:
    """Flows by origin × destination locale (per school group ``keys``, e.g. county: an origin school outside
    the destination's group counts as outside these data). Returns flows, note, reason code, exclusions."""
    keys = list(keys)
    if rotated.empty:
        return None, "no teacher rotated in this school year", "no_rotation", None
    if "school_year" not in all_teachers.columns or "teacher_key" not in all_teachers.columns:
        return None, ("the teachers table records no origin school, and no earlier school year is present to "
                      "find it: the direction of flows is unavailable"), "no_previous_year", None
    prev = all_teachers[all_teachers["school_year"].astype("int64") == school_year - 1]
    if prev.empty:
        return None, (f"the teachers table records no origin school, and school year {school_year - 1} is not in "
                      "the data to find it: the direction of flows is unavailable"), "no_previous_year", None
    if schools is None or "locale" not in schools.columns:
        return None, "flows need the schools table (locale of the origin and destination schools)", \
            "no_locale", None
    origin = prev[["teacher_key", "school_id"]].drop_duplicates("teacher_key").rename(
        columns={"school_id": "origin_school_id"})
    r = rotated[["teacher_key", "school_id", *keys]].merge(origin, on="teacher_key", how="left")
    r["_unlinked"] = r["origin_school_id"].isna()
    other = [k for k in keys if k != "locale"]
    loc_prev = _year_rows(schools, school_year - 1)[["school_id", "locale", *other]].drop_duplicates("school_id")
    loc_cur = _year_rows(schools, school_year)[["school_id", "locale"]].drop_duplicates("school_id")
    r = r.merge(loc_prev.rename(columns={"school_id": "origin_school_id", "locale": "origin_locale",
                                         **{k: f"_origin_{k}" for k in other}}),
                on="origin_school_id", how="left")
    r = r.merge(loc_cur.rename(columns={"locale": "destination_locale"}), on="school_id", how="left")
    same = pd.Series(True, index=r.index)
    for k in other:
        same &= r[f"_origin_{k}"] == r[k]
    r["_outside"] = ~r["_unlinked"] & (r["origin_locale"].isna() | r["destination_locale"].isna() | ~same)
    ok = r[~r["_unlinked"] & ~r["_outside"]]
    flows = ok.groupby([*keys, "origin_locale", "destination_locale"]).size().rename("teachers").reset_index()
    if keys:
        excluded = r.groupby(keys, sort=True)[["_unlinked", "_outside"]].sum().astype("int64").reset_index()
    else:
        excluded = pd.DataFrame({"_unlinked": [int(r["_unlinked"].sum())], "_outside": [int(r["_outside"].sum())]})
    excluded = excluded.rename(columns={"_unlinked": "n_unlinked", "_outside": "n_outside"})
    n_unlinked, n_outside = int(r["_unlinked"].sum()), int(r["_outside"].sum())
    note = (f"origin = the teacher's school in school year {school_year - 1} (same teacher_key); "
            f"{n_unlinked} rotated teacher(s) have no row that year and {n_outside} came from schools outside "
            "these data: not counted")
    return flows, note, "linked_previous_year", excluded


# ---------------------------------------------------------------------------------------------
# Certification and training hours (政府保障程度)

def _share_by(flags: pd.Series, keys: list[str], frame: pd.DataFrame, name: str) -> pd.Series | float:
    """Mean of a boolean series, NA left out of the denominator; per group when ``keys`` are given."""
    ok = flags.notna()
    if not keys:
        return float(flags[ok].astype(bool).mean()) if ok.any() else float("nan")
    g = flags[ok].astype(bool).groupby([frame.loc[ok, k] for k in keys], sort=True)
    return g.mean().astype("float64").rename(name)


def certified_rate(teachers: pd.DataFrame, *, certified: str = "certified",
                   by: str | Sequence[str] | None = None) -> pd.Series | float:
    """Share of teachers holding a teacher qualification certificate (持证上岗率), in [0, 1].

    Parameters
    ----------
    teachers : DataFrame
        One row per teacher; ``certified`` boolean (NA = not recorded, left out of the denominator).
    certified : str
        Column name.
    by : str or sequence, optional
        Group columns: returns a Series indexed by the groups; otherwise a float.

    Returns
    -------
    float or Series
        NaN (or a missing group) when no teacher has the flag recorded.

    Raises
    ------
    ValueError
        A named column is absent.

    Notes
    -----
    The 2017 evaluation asks that every full-time teacher be certified (教督〔2017〕6号, 政府保障程度;
    standards.GOVERNMENT_GUARANTEE).
    """
    keys = _keys(by)
    _require(teachers, [certified, *keys], "certified_rate")
    return _share_by(teachers[certified].astype("boolean"), keys, teachers, "certified_rate")


def training_completion_rate(teachers: pd.DataFrame, *, hours: str = "training_hours_5y",
                             required_hours: float | None = None,
                             by: str | Sequence[str] | None = None) -> pd.Series | float:
    """Share of teachers with at least ``required_hours`` training hours in five years, in [0, 1].

    Parameters
    ----------
    teachers : DataFrame
        One row per teacher; ``hours`` = training hours over the last five years (NA left out).
    hours : str
        Column name.
    required_hours : float, optional
        Default standards.GOVERNMENT_GUARANTEE["training_hours"] (360 学时 in five years).
    by : str or sequence, optional
        Group columns (Series by group); otherwise a float.

    Returns
    -------
    float or Series
        NaN when no teacher has hours recorded.

    Raises
    ------
    ValueError
        A named column is absent, or negative hours.
    """
    from lyganalysis.standards import GOVERNMENT_GUARANTEE

    keys = _keys(by)
    _require(teachers, [hours, *keys], "training_completion_rate")
    req = float(GOVERNMENT_GUARANTEE["training_hours"].value if required_hours is None else required_hours)
    h = pd.to_numeric(teachers[hours]).astype("Float64")
    if (h < 0).any():
        raise ValueError(f"training_completion_rate: column {hours!r} has negative hours")
    return _share_by((h >= req).astype("boolean").where(h.notna(), pd.NA), keys, teachers,
                     "training_360_completion_rate")
