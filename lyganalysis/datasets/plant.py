"""Plant a known truth in a dataset, deterministically, to test that the analyses find it.

Each function takes a :class:`~lyganalysis.datasets.Dataset` and returns a NEW dataset (the input is not
changed) in which one fact is known exactly:

* :func:`plant_subject_shortage` — a school has no teacher of a subject;
* :func:`plant_age_bulge` — a county's share of teachers aged 50 and over is exactly a given value;
* :func:`plant_backbone_concentration` — exactly a given share of a county's backbone teachers work in
  urban schools.

Only the rows of one school year are changed (default: the latest year). The schools table's counts that
are derived from the teachers table (``teachers_*``, ``above_required_qualification_*``,
``backbone_teachers_*``, ``pe_arts_teachers_*``) are recomputed for that year by
:func:`rederive_school_counts`, so the two tables stay consistent. No random numbers are used: choices
are made in the order of ``teacher_key``. Rows of other school years are not adjusted (a planted dataset
is for analyses of the planted year).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from lyganalysis.datasets import Dataset

__all__ = ["rederive_school_counts", "plant_subject_shortage", "plant_age_bulge", "plant_backbone_concentration"]

_STAGES = ("primary", "junior", "senior", "preschool", "special")
_ABOVE = {"primary": ("postgraduate", "bachelor", "associate"), "junior": ("postgraduate", "bachelor")}
_BACKBONE = ("county", "city", "province")
_PE_ARTS = ("pe", "music", "fine_art")


def _year(ds: Dataset, school_year: int | None) -> int:
    if ds.teachers is None:
        raise ValueError(f"dataset {ds.name!r} has no teachers table: nothing to plant")
    years = sorted(int(y) for y in ds.teachers["school_year"].unique())
    if school_year is None:
        return years[-1]
    if int(school_year) not in years:
        raise ValueError(f"school year {school_year} is not in the teachers table; years: {years}")
    return int(school_year)


def rederive_school_counts(schools: pd.DataFrame, teachers: pd.DataFrame, *, school_year: int) -> pd.DataFrame:
    """The schools table with its teacher-derived counts recomputed from ``teachers`` for ``school_year``.

    Columns (where present): ``teachers_<stage>`` for every stage, and for primary and junior
    ``above_required_qualification_*`` (L1 definition), ``backbone_teachers_*`` (county level or above) and
    ``pe_arts_teachers_*`` (PE + music + fine art). Rows of other years are returned unchanged.
    """
    out = schools.copy()
    m = out["school_year"].astype("int64") == int(school_year)
    t = teachers[teachers["school_year"].astype("int64") == int(school_year)]
    f = pd.DataFrame({"school_id": t["school_id"], "stage": t["stage"], "n": 1,
                      "bb": t["backbone_level"].isin(_BACKBONE), "pe": t["subject"].isin(_PE_ARTS)})
    f["above"] = False
    for st, q in _ABOVE.items():
        sel = t["stage"] == st
        f.loc[sel, "above"] = t.loc[sel, "qualification"].isin(q)
    g = f.groupby(["school_id", "stage"])[["n", "above", "bb", "pe"]].sum()
    ids = out.loc[m, "school_id"]
    for st in _STAGES:
        gg = g.reindex(pd.MultiIndex.from_arrays([ids, [st] * len(ids)]), fill_value=0)
        for col, src in ((f"teachers_{st}", "n"), (f"above_required_qualification_{st}", "above"),
                         (f"backbone_teachers_{st}", "bb"), (f"pe_arts_teachers_{st}", "pe")):
            if col in out.columns:
                out.loc[m, col] = pd.array(gg[src].to_numpy().astype(np.int64), dtype="Int64")
    return out


def _replace(ds: Dataset, teachers: pd.DataFrame, year: int, what: str) -> Dataset:
    schools = rederive_school_counts(ds.schools, teachers, school_year=year)
    return dataclasses.replace(ds, teachers=teachers, schools=schools,
                               description=ds.description + f" [planted: {what}]")


def plant_subject_shortage(ds: Dataset, school_id: str, subject: str, *, school_year: int | None = None,
                           stages: Sequence[str] | None = None) -> Dataset:
    """Remove every teacher of ``subject`` from school ``school_id`` (all stages, or ``stages``).

    The truth: the school has no ``subject`` teacher in ``school_year``; its ``teachers_*`` counts drop by
    the number removed (the school may now also be short of staff).

    Raises
    ------
    ValueError
        Unknown school or year; the school has no teacher of the subject to remove (nothing would be planted).
    """
    year = _year(ds, school_year)
    t = ds.teachers
    if school_id not in set(ds.schools.loc[ds.schools["school_year"] == year, "school_id"]):
        raise ValueError(f"school {school_id!r} is not in the schools table of {year}")
    sel = (t["school_year"] == year) & (t["school_id"] == school_id) & (t["subject"] == subject)
    if stages is not None:
        sel &= t["stage"].isin(list(stages))
    if not sel.any():
        raise ValueError(f"school {school_id} has no {subject} teacher in {year}: nothing to plant")
    return _replace(ds, t.loc[~sel].reset_index(drop=True), year, f"no {subject} teacher in {school_id}")


def _county_rows(ds: Dataset, county: str, year: int, stages: Sequence[str] | None) -> pd.Series:
    ids = set(ds.schools.loc[(ds.schools["county"] == county) & (ds.schools["school_year"] == year), "school_id"])
    if not ids:
        raise ValueError(f"county {county!r} has no schools in {year}")
    t = ds.teachers
    sel = (t["school_year"] == year) & t["school_id"].isin(ids)
    if stages is not None:
        sel &= t["stage"].isin(list(stages))
    return sel


def plant_age_bulge(ds: Dataset, county: str, share_50_plus: float, *, school_year: int | None = None,
                    stages: Sequence[str] | None = None, old_age: int = 52, young_age: int = 45) -> Dataset:
    """Make exactly ``round(share_50_plus × n)`` of the county's n teachers aged 50 or over.

    The first m teachers by ``teacher_key`` who are not yet 50 are made ``old_age`` (birth year moved);
    if too many are already 50+, the surplus (last by key) are made ``young_age``. Age = school_year −
    birth_year, as in :func:`lyganalysis.metrics.staffing.teacher_age`. The truth:
    ``age_structure(...).shares`` of the county (or of ``stages``) has ``n_50_plus == m``.

    Raises
    ------
    ValueError
        Share outside [0, 1], or ages not on the right side of 50.
    """
    if not 0.0 <= share_50_plus <= 1.0:
        raise ValueError(f"share_50_plus must be in [0, 1], got {share_50_plus!r}")
    if old_age < 50 or young_age >= 50:
        raise ValueError("old_age must be ≥ 50 and young_age < 50")
    year = _year(ds, school_year)
    sel = _county_rows(ds, county, year, stages)
    t = ds.teachers.copy()
    sub = t.loc[sel].sort_values("teacher_key", kind="stable")
    n = len(sub)
    m = int(math.floor(share_50_plus * n + 0.5))
    age = year - sub["birth_year"].astype("int64")
    old = sub.index[age >= 50]
    if len(old) > m:
        to_young = old[m:]  # keep the first m by key
        t.loc[to_young, "birth_year"] = year - young_age
    elif len(old) < m:
        young = sub.index[age < 50][: m - len(old)]
        t.loc[young, "birth_year"] = year - old_age
    t["birth_year"] = t["birth_year"].astype("int64")
    return _replace(ds, t, year, f"{m} of {n} teachers in {county} aged 50+")


def plant_backbone_concentration(ds: Dataset, county: str, urban_share: float, *, school_year: int | None = None,
                                 stages: Sequence[str] = ("primary", "junior"), new_level: str = "county") -> Dataset:
    """Put exactly ``round(urban_share × B)`` of the county's B backbone teachers in urban schools.

    B (backbone teachers of ``stages`` in the county) is kept. Surplus backbone teachers on one side
    (urban or non-urban; last by ``teacher_key``) lose the status, and as many non-backbone teachers of
    the other side (first by key) get ``new_level``. The truth: ``backbone_concentration(...).by_locale``
    row (stage "all", locale "urban") has ``backbone_teachers == round(urban_share × B)`` and backbone_share
    equal to that over B; ``backbone_teachers_*`` in the schools table agree.

    Raises
    ------
    ValueError
        Share outside [0, 1]; not enough teachers on a side to take the status.
    """
    if not 0.0 <= urban_share <= 1.0:
        raise ValueError(f"urban_share must be in [0, 1], got {urban_share!r}")
    year = _year(ds, school_year)
    sel = _county_rows(ds, county, year, stages)
    sch = ds.schools[ds.schools["school_year"] == year].drop_duplicates("school_id").set_index("school_id")["locale"]
    t = ds.teachers.copy()
    sub = t.loc[sel].sort_values("teacher_key", kind="stable")
    urban = sub["school_id"].map(sch).eq("urban").to_numpy()
    bb = sub["backbone_level"].isin(_BACKBONE).to_numpy()
    B = int(bb.sum())
    m = int(math.floor(urban_share * B + 0.5))
    have = int((bb & urban).sum())
    idx = sub.index.to_numpy()
    if have > m:  # move m - have from urban to non-urban
        lose, gain = idx[bb & urban][m:], idx[~bb & ~urban]
    else:
        lose, gain = idx[bb & ~urban][(B - m):], idx[~bb & urban]
    k = len(lose)
    if len(gain) < k:
        raise ValueError(f"only {len(gain)} teachers can take the backbone status, {k} needed")
    t.loc[lose, "backbone_level"] = "none"
    t.loc[gain[:k], "backbone_level"] = new_level
    return _replace(ds, t, year, f"{m} of {B} backbone teachers of {county} in urban schools")
