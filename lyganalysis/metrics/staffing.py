"""Staffing: student–teacher ratios (生师比), staffing standards (编制标准) and shortfalls (缺编).

Sources: the 2014 unified urban–rural staffing standard and the 2001 standard (standards.md §4),
encoded in :mod:`lyganalysis.standards`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
import pandas as pd

from lyganalysis.standards import staffing_standard

__all__ = ["student_teacher_ratio", "teacher_need", "teacher_shortfall", "TeacherShortfall"]


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

    They differ (golden_values.md §4, CASchools: pooled 20.368, enrolment-weighted mean of district
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
    (urban/town/rural) before (standards.md §4, [S]); preschool 1:15.

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
