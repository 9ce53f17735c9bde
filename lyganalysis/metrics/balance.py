"""Inter-school balance: 差异系数 (coefficient of variation) and the 优质均衡 resource indicators.

Sources
-------
* 县域义务教育优质均衡发展督导评估办法 (教督〔2017〕6号): seven resource-allocation indicators,
  per-school thresholds, the school rule and the per-indicator CV limits (``standards.QUALITY_INDICATORS``, ``standards.SCHOOL_RULE``, ``standards.QUALITY_CV_LIMITS``).
* The official enrolment-weighted population 差异系数 and the splitting of combined schools by
  student weights 1 : 1.1 : 1.32 (``standards.STUDENT_WEIGHTS``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from lyganalysis.standards import (
    BASIC_BALANCE_COMPOSITE_LIMITS,
    BASIC_INDICATORS,
    INTERMEDIATE_OR_HIGHER_TITLES,
    QUALITY_BALANCE_FROM_YEAR,
    QUALITY_CV_LIMITS,
    QUALITY_INDICATORS,
    SCHOOL_RULE,
    SMALL_TEACHING_POINT_STUDENTS,
    STUDENT_WEIGHTS,
)

__all__ = [
    "coefficient_of_variation",
    "school_sections",
    "quality_balance_indicators",
    "school_compliance",
    "quality_balance_assessment",
    "QualityBalanceAssessment",
    "INDICATOR_KEYS",
    "BASIC_KEYS",
    "basic_balance_indicators",
    "basic_balance_assessment",
    "BasicBalanceAssessment",
    "balance_assessment",
    "select_standard",
    "cv_comparison",
    "compare_assessments",
    "year_on_year",
    "VERDICT_CODES",
    "StageResourceVerdict",
    "ResourceVerdict",
    "resource_verdict",
    "section_compliance_state",
    "least_to_comply",
]

INDICATOR_KEYS: tuple[str, ...] = tuple(QUALITY_INDICATORS)
BASIC_KEYS: tuple[str, ...] = tuple(BASIC_INDICATORS)
STAGES = ("primary", "junior")
_ID_COLUMNS = ["school_id", "school_name", "county", "county_code", "locale", "school_type", "school_year"]
_SECTION_COUNTS = ["students", "teachers", "above_required_qualification", "backbone_teachers", "pe_arts_teachers"]
_PHYSICAL = ["teaching_area_m2", "sports_area_m2", "equipment_value_yuan", "multimedia_classrooms"]
# whole-school resources of the 2012 indicators, apportioned like _PHYSICAL when the table has them
_OPTIONAL_PHYSICAL = ["computers", "books"]
# stages a school type has (sections exist for these even with 0 students; other stages only if students > 0)
_TYPE_STAGES = {
    "primary": ("primary",), "junior": ("junior",), "nine_year": ("primary", "junior"),
    "twelve_year": ("primary", "junior"), "complete_middle": ("junior",), "teaching_point": ("primary",),
    "senior": (), "kindergarten": (), "special": (),
}
_RATIO_TOL = 1e-9  # a ratio ≥ 1 − 1e-9 counts as meeting the threshold (floating-point noise only)


def _key_list(by) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _require_columns(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; available: {list(df.columns)}")


def _numeric(df: pd.DataFrame, column: str) -> pd.Series:
    s = df[column]
    if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
        raise ValueError(f"column {column!r} must be numeric, got dtype {s.dtype}")
    return s.astype("float64")


# ---------------------------------------------------------------------------------------------
# 差异系数

def coefficient_of_variation(df: pd.DataFrame, *, value: str, weight: str | None = None,
                             by: str | Sequence[str] | None = None, ddof: int = 0) -> float | pd.Series:
    """Inter-school coefficient of variation (差异系数) of ``value``.

    With ``weight`` (the official method; use ``weight="students"``), the enrolment-weighted
    population CV around the weighted (county) mean (``standards.DOC_CV_GUIDANCE``)::

        X̄ = Σ Pᵢ Xᵢ / P,   S = sqrt( Σ (Pᵢ/P) (Xᵢ − X̄)² ),   CV = S / X̄

    Without ``weight``, the unweighted CV ``sd(X; ddof) / mean(X)``; ``ddof=0`` (default) is the
    population version, ``ddof=1`` the sample version. Some published systems use the unweighted CV,
    and the choice can flip a pass/fail verdict (references/reference_values.md#cv_books_example).

    Parameters
    ----------
    df : DataFrame, one row per school (or school section)
    value : str
        Column of per-student (or per-100-student) values Xᵢ.
    weight : str, optional
        Column of non-negative weights Pᵢ (registered students). Rows with zero weight carry no
        weight and may have a missing value.
    by : str or sequence of str, optional
        Group columns; the result is then a Series indexed by group.
    ddof : {0, 1}, default 0
        Only for the unweighted CV. The weighted 差异系数 is population-type by definition.

    Returns
    -------
    float or Series (name ``"coefficient_of_variation"``)
        Dimensionless. NaN where the mean is 0 or a group has no positive weight.

    Raises
    ------
    ValueError
        Missing columns; missing values (NaN) in rows that carry weight — the message names the column
        and the number of rows (rows are never dropped silently); negative or missing weights;
        all weights zero (ungrouped); ``ddof`` with ``weight``.
    """
    keys = _key_list(by)
    _require_columns(df, [value] + ([weight] if weight else []) + keys, "coefficient_of_variation")
    if ddof not in (0, 1):
        raise ValueError(f"ddof must be 0 or 1, got {ddof!r}")
    x = _numeric(df, value)
    if weight is None:
        w = pd.Series(1.0, index=df.index)
    else:
        if ddof != 0:
            raise ValueError("the weighted 差异系数 is population-type (no n−1); ddof applies only to the "
                             "unweighted CV (weight=None). For frequency-weighted sample SDs see "
                             "lyganalysis.metrics.descriptive.weighted_sd")
        w = _numeric(df, weight)
        if w.isna().any():
            raise ValueError(f"weight column {weight!r} has {int(w.isna().sum())} missing value(s)")
        if (w < 0).any():
            raise ValueError(f"weight column {weight!r} has {int((w < 0).sum())} negative value(s)")
    carries = w > 0
    bad = x.isna() & carries
    if bad.any():
        extra = " with positive weight" if weight else ""
        raise ValueError(f"column {value!r} has {int(bad.sum())} missing value(s) (NaN){extra}; fill or drop "
                         "them explicitly before computing the 差异系数")
    if weight is not None and not keys and not carries.any():
        raise ValueError(f"all weights in {weight!r} are zero: the 差异系数 is undefined")
    if not keys:  # one group: plain arrays (the same arithmetic as the grouped path, without a frame)
        wz = np.where(carries.to_numpy(), w.to_numpy(dtype="float64"), 0.0)
        xz = np.where(carries.to_numpy(), x.to_numpy(dtype="float64", na_value=np.nan), 0.0)
        sw = wz.sum()
        mean = (wz * xz).sum() / sw
        ss = float(np.sum(wz * (xz - mean) ** 2))
        denom = sw - ddof if weight is None else sw
        if denom <= 0:
            raise ValueError(f"{int(sw)} value(s) are too few for the sample (ddof=1) CV")
        if mean == 0:
            return float("nan")
        return float(math.sqrt(ss / denom) / mean)
    frame = pd.DataFrame({"w": w.where(carries, 0.0), "x": x.where(carries, 0.0)}, index=df.index)
    frame["wx"] = frame["w"] * frame["x"]
    if keys:
        for k in keys:
            frame[k] = df[k]
        frame["pos"] = (frame["w"] > 0).astype("int64")
        grouped = frame.groupby(keys, sort=True, dropna=False)
        sw = grouped["w"].sum()
        mean = grouped["wx"].sum() / sw.where(sw > 0)
        row_mean = grouped["wx"].transform("sum") / grouped["w"].transform("sum")
        frame["dev2"] = frame["w"] * (frame["x"] - row_mean.fillna(0.0)) ** 2
        ss = frame.groupby(keys, sort=True, dropna=False)["dev2"].sum()
        n = grouped["pos"].sum()
        denom = sw - ddof if weight is None else sw
        sd = np.sqrt(ss / denom.where(denom > 0))
        cv = sd / mean.where(mean != 0)
        if weight is None and ddof:
            cv = cv.where(n > ddof)
        cv.name = "coefficient_of_variation"
        return cv


# ---------------------------------------------------------------------------------------------
# School sections (combined schools split into primary and junior "schools")

def school_sections(schools: pd.DataFrame, *, exclude_types: Sequence[str] = ("special",),
                    small_teaching_point_rule: Literal["exclude", "merge", "keep"] = "exclude",
                    min_teaching_point_students: int = SMALL_TEACHING_POINT_STUDENTS,
                    teachers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Split schools into primary and junior sections for the 优质均衡 indicators.

    Each section has its own students and teacher counts; whole-school physical resources
    (teaching area, sports area, equipment value, multimedia classrooms) are apportioned by the student
    weights primary : junior : senior = 1 : 1.1 : 1.32 (``standards.STUDENT_WEIGHTS``, [S])::

        share(stage) = w_stage · N_stage / Σ_t w_t · N_t

    which gives A/(A+1.1B) and 1.1B/(A+1.1B) for a nine-year school, A/(A+1.1B+1.32C) and
    1.1B/(A+1.1B+1.32C) for a twelve-year school, and B/(B+1.2C) for the junior part of a complete
    middle school (1.32/1.1 = 1.2, as the standard writes it).

    Parameters
    ----------
    schools : DataFrame
        The canonical ``schools`` table (data/README.md).
    exclude_types : sequence of str, default ("special",)
        School types left out (special schools are outside the 优质均衡 CV, ``standards.QUALITY_INDICATORS``).
    small_teaching_point_rule : {"exclude", "merge", "keep"}, default "exclude"
        Teaching points (教学点) with fewer than ``min_teaching_point_students`` pupils:
        ``"exclude"`` drops them (Hebei rules, [S]); ``"merge"`` adds their counts and resources to the
        primary section of their central school (``central_school_id``, same school year; [U]);
        ``"keep"`` keeps them as sections of their own.
    min_teaching_point_students : int, default 50
    teachers : DataFrame, optional
        The canonical ``teachers`` table. When given, each section gets
        ``intermediate_title_teachers``: its teachers (same school, year and stage) whose ``title`` is in
        :data:`lyganalysis.standards.INTERMEDIATE_OR_HIGHER_TITLES` (中级及以上, for the 2012 indicator B8).
        NaN where the section has full-time teachers but no teacher records (records incomplete).

    Returns
    -------
    DataFrame, one row per school × school_year × stage (``"primary"`` or ``"junior"``)
        ``school_id, school_name, county, county_code, locale, school_type, school_year, stage,
        students`` (int64), ``teachers, above_required_qualification, backbone_teachers,
        pe_arts_teachers`` (float64, the section's own counts; NaN where missing),
        ``resource_share`` (float64, the share of the school's physical resources),
        ``teaching_area_m2, sports_area_m2, equipment_value_yuan, multimedia_classrooms``
        (float64, apportioned), ``computers, books`` (float64, apportioned; only when the input has
        them), ``intermediate_title_teachers`` (float64; only with ``teachers``),
        ``merged_teaching_points`` (int64, teaching points merged in),
        ``zero_students`` (bool; such sections carry no weight and get NaN indicators).
        ``central_school_id`` is carried along when the input has it.
        Kindergartens and senior-only schools produce no section; a school of another type gets a
        section for each stage its type has, and for any other compulsory stage with students > 0.

    Raises
    ------
    ValueError
        Missing columns, missing student counts, an unknown ``small_teaching_point_rule``, or (merge)
        a small teaching point whose central school has no primary section in the same year.
    """
    if small_teaching_point_rule not in ("exclude", "merge", "keep"):
        raise ValueError("small_teaching_point_rule must be 'exclude', 'merge' or 'keep', "
                         f"got {small_teaching_point_rule!r}")
    stage_cols = {s: {c: f"{c}_{s}" for c in _SECTION_COUNTS} for s in STAGES}
    student_cols = ["students_primary", "students_junior", "students_senior"]
    needed = _ID_COLUMNS + student_cols + [c for s in STAGES for c in stage_cols[s].values()] + _PHYSICAL
    _require_columns(schools, needed, "school_sections")
    unknown = set(schools["school_type"].dropna().unique()) - set(_TYPE_STAGES)
    if unknown:
        raise ValueError(f"unknown school_type value(s) {sorted(unknown)}; expected {sorted(_TYPE_STAGES)}")
    sch = schools.loc[~schools["school_type"].isin(list(exclude_types))
                      & ~schools["school_type"].isin(["kindergarten"])]
    n_students = {}
    for c in student_cols:
        s = sch[c]
        if s.isna().any():
            raise ValueError(f"column {c!r} has {int(s.isna().sum())} missing value(s) among the schools "
                             "to split; student counts are needed to apportion resources (use 0 where the "
                             "stage is absent)")
        n_students[c] = s.astype("float64")
    weighted_total = sum(STUDENT_WEIGHTS[c.removeprefix("students_")] * n_students[c] for c in student_cols)

    parts = []
    for stage in STAGES:
        has_stage = sch["school_type"].map(lambda t, st=stage: st in _TYPE_STAGES.get(t, ())).astype(bool)
        has_stage = has_stage | ((n_students[f"students_{stage}"] > 0)
                                 & ~sch["school_type"].isin(["kindergarten", "special"]))
        sub = sch.loc[has_stage]
        if sub.empty:
            continue
        out = sub[_ID_COLUMNS].copy()
        if "central_school_id" in sub.columns:
            out["central_school_id"] = sub["central_school_id"]
        out["stage"] = stage
        out["students"] = sub[f"students_{stage}"].astype("int64")
        for c in _SECTION_COUNTS[1:]:
            out[c] = sub[stage_cols[stage][c]].astype("float64")
        tot = weighted_total.loc[sub.index]
        share = (STUDENT_WEIGHTS[stage] * n_students[f"students_{stage}"].loc[sub.index]) / tot.where(tot > 0)
        out["resource_share"] = share.astype("float64")
        for c in _PHYSICAL + [c for c in _OPTIONAL_PHYSICAL if c in sub.columns]:
            out[c] = _numeric(sub, c) * out["resource_share"]
        parts.append(out)
    if parts:
        sections = pd.concat(parts, ignore_index=False)
    else:
        sections = pd.DataFrame(columns=_ID_COLUMNS + ["stage", "students"] + _SECTION_COUNTS[1:]
                                + ["resource_share"] + _PHYSICAL)
    sections["merged_teaching_points"] = 0
    if teachers is not None and len(sections):
        sections["intermediate_title_teachers"] = _title_counts(sections, teachers)

    is_tp = sections["school_type"].eq("teaching_point")
    small_tp = is_tp & (sections["students"] < min_teaching_point_students)
    if small_teaching_point_rule == "exclude":
        sections = sections.loc[~small_tp]
    elif small_teaching_point_rule == "merge" and small_tp.any():
        _require_columns(schools, ["central_school_id"], "school_sections(small_teaching_point_rule='merge')")
        tps = sections.loc[small_tp]
        if tps["central_school_id"].isna().any():
            bad = tps.loc[tps["central_school_id"].isna(), "school_id"].tolist()
            raise ValueError(f"teaching point(s) {bad} have no central_school_id to merge into")
        rest = sections.loc[~small_tp].reset_index(drop=True)
        add_cols = ["students"] + _SECTION_COUNTS[1:] + _PHYSICAL + [
            c for c in _OPTIONAL_PHYSICAL + ["intermediate_title_teachers"] if c in sections.columns]
        agg = tps.groupby(["central_school_id", "school_year"])[add_cols].sum(min_count=1)
        agg["merged_teaching_points"] = tps.groupby(["central_school_id", "school_year"]).size()
        target = rest.loc[rest["stage"].eq("primary")].set_index(["school_id", "school_year"]).index
        missing = [k for k in agg.index if k not in set(target)]
        if missing:
            raise ValueError(f"cannot merge teaching points: central school(s) {missing} (school_id, "
                             "school_year) have no primary section")
        key = pd.MultiIndex.from_frame(rest[["school_id", "school_year"]])
        prim = rest["stage"].eq("primary").to_numpy()
        for c in add_cols + ["merged_teaching_points"]:
            addition = agg[c].reindex(key).to_numpy(dtype="float64", na_value=np.nan)
            addition = np.where(prim & ~np.isnan(addition), addition, 0.0)
            if c == "students" or c == "merged_teaching_points":
                rest[c] = (rest[c].to_numpy() + addition).astype("int64")
            else:
                rest[c] = rest[c].to_numpy() + addition
        sections = rest
    sections = sections.reset_index(drop=True)
    sections["zero_students"] = sections["students"].eq(0).astype(bool)
    order = sections["stage"].map({st: i for i, st in enumerate(STAGES)})
    return (sections.assign(_order=order)
            .sort_values(["school_year", "county_code", "school_id", "_order"], kind="stable")
            .drop(columns="_order").reset_index(drop=True))


def _title_counts(sections: pd.DataFrame, teachers: pd.DataFrame) -> pd.Series:
    """Teachers with intermediate-or-higher titles per section (NaN where records are missing)."""
    _require_columns(teachers, ["school_year", "school_id", "stage", "title"], "school_sections(teachers=)")
    t = teachers.loc[teachers["stage"].isin(list(STAGES)), ["school_year", "school_id", "stage", "title"]]
    t = t.assign(school_id=t["school_id"].astype("string"), school_year=t["school_year"].astype("int64"),
                 high=t["title"].isin(list(INTERMEDIATE_OR_HIGHER_TITLES)).astype("int64"))
    g = t.groupby(["school_year", "school_id", "stage"])["high"].agg(["sum", "size"])
    key = pd.MultiIndex.from_arrays([sections["school_year"].astype("int64"),
                                     sections["school_id"].astype("string"), sections["stage"]])
    high = g["sum"].reindex(key).to_numpy(dtype="float64", na_value=np.nan)
    n_rec = g["size"].reindex(key).to_numpy(dtype="float64", na_value=np.nan)
    n_teach = sections["teachers"].to_numpy(dtype="float64", na_value=np.nan)
    years_with_records = set(t["school_year"].unique())
    has_year = sections["school_year"].astype("int64").isin(years_with_records).to_numpy()
    # no record for a section: 0 if it has no teachers either, otherwise unknown
    high = np.where(np.isnan(n_rec), np.where(has_year & (n_teach == 0), 0.0, np.nan), high)
    return pd.Series(high, index=sections.index, dtype="float64")


def quality_balance_indicators(sections: pd.DataFrame) -> pd.DataFrame:
    """Add the seven 优质均衡 resource indicators L1…L7 to school sections.

    L1 above-qualification teachers, L2 backbone teachers, L3 PE/arts teachers and L7 multimedia
    classrooms per 100 students; L4 teaching area (m²), L5 sports area (m²) and L6 equipment value
    (yuan) per student (教督〔2017〕6号, ``standards.QUALITY_INDICATORS``; definitions in
    :data:`lyganalysis.standards.QUALITY_INDICATORS`).

    Parameters
    ----------
    sections : DataFrame
        Output of :func:`school_sections` (needs ``students`` and the numerator columns).

    Returns
    -------
    DataFrame
        A copy of ``sections`` with float64 columns ``L1`` … ``L7``; NaN for sections with 0 students.
    """
    needed = ["students"] + [ind.numerator for ind in QUALITY_INDICATORS.values()]
    _require_columns(sections, needed, "quality_balance_indicators")
    out = sections.copy()
    students = _numeric(out, "students")
    denom = students.where(students > 0)
    for key, ind in QUALITY_INDICATORS.items():
        out[key] = _numeric(out, ind.numerator) * ind.per_students / denom
    return out


def _thresholds(stage_thresholds: Mapping[str, Mapping[str, float]] | None) -> dict[str, dict[str, float]]:
    table = {st: {k: ind.threshold(st) for k, ind in QUALITY_INDICATORS.items()} for st in STAGES}
    for st, over in (stage_thresholds or {}).items():
        if st not in table:
            raise ValueError(f"stage_thresholds: unknown stage {st!r}; expected {STAGES}")
        for k, v in over.items():
            if k not in table[st]:
                raise ValueError(f"stage_thresholds: unknown indicator {k!r}; expected {INDICATOR_KEYS}")
            if not v > 0:
                raise ValueError(f"stage_thresholds: threshold for {st}/{k} must be positive, got {v!r}")
            table[st][k] = float(v)
    return table


def school_compliance(indicators: pd.DataFrame, *,
                      stage_thresholds: Mapping[str, Mapping[str, float]] | None = None) -> pd.DataFrame:
    """Per-section compliance with the 优质均衡 thresholds (校际达标) and what is lacking.

    School rule (教督〔2017〕6号, ``standards.SCHOOL_RULE``): a school complies when at least 6 of the 7
    indicators reach their thresholds and the remaining one reaches at least 85 % of its threshold.

    Parameters
    ----------
    indicators : DataFrame
        Output of :func:`quality_balance_indicators`.
    stage_thresholds : mapping stage → {indicator key → threshold}, optional
        Overrides of the default thresholds (partial overrides allowed).

    Returns
    -------
    DataFrame, one row per section
        Identifier columns (``school_id, school_name, county, county_code, locale, school_type,
        school_year, stage, students`` where present), then for each ``k`` in L1…L7:
        ``{k}`` (value), ``{k}_threshold``, ``{k}_ratio`` (value / threshold), ``{k}_met`` (boolean),
        ``{k}_shortfall`` — what the section lacks to reach the threshold in the indicator's own
        resource unit (teachers for L1–L3 and rooms for L7 as whole numbers rounded up, m² for L4–L5,
        yuan for L6; 0 when met); then ``n_met`` (Int64) and ``compliant`` (boolean).
        Sections with 0 students have NA in all of these.

    Raises
    ------
    ValueError
        Missing columns or a stage other than primary/junior.
    """
    _require_columns(indicators, ["stage", "students", *INDICATOR_KEYS], "school_compliance")
    bad_stage = set(indicators["stage"].unique()) - set(STAGES)
    if bad_stage:
        raise ValueError(f"school_compliance: stage must be primary or junior, found {sorted(bad_stage)}")
    table = _thresholds(stage_thresholds)
    id_cols = [c for c in _ID_COLUMNS + ["stage", "students"] if c in indicators.columns]
    out = indicators[id_cols].copy()
    students = _numeric(indicators, "students")
    valid = students > 0
    ratios = {}
    met = {}
    for key, ind in QUALITY_INDICATORS.items():
        thr = indicators["stage"].map(lambda s, k=key: table[s][k]).astype("float64")
        val = _numeric(indicators, key)
        ratio = val / thr
        m = ratio >= 1 - _RATIO_TOL
        need = thr * students / ind.per_students - _numeric(indicators, ind.numerator)
        if ind.countable:
            need = np.ceil(need - 1e-9)
        need = need.where(~m, 0.0).clip(lower=0.0)
        out[key] = val
        out[f"{key}_threshold"] = thr
        out[f"{key}_ratio"] = ratio
        out[f"{key}_met"] = pd.array(np.where(valid & val.notna(), m, pd.NA), dtype="boolean")
        out[f"{key}_shortfall"] = need.where(valid)
        ratios[key] = ratio
        met[key] = out[f"{key}_met"]
    met_frame = pd.DataFrame(met)
    ratio_frame = pd.DataFrame(ratios)
    complete = valid & ratio_frame.notna().all(axis=1)
    n_met = met_frame.fillna(False).astype(int).sum(axis=1)
    others_ok = (ratio_frame.where(~met_frame.fillna(False).astype(bool)).min(axis=1)
                 .fillna(np.inf) >= SCHOOL_RULE.min_ratio_others - _RATIO_TOL)
    compliant = (n_met >= SCHOOL_RULE.min_met) & others_ok
    out["n_met"] = pd.array(np.where(complete, n_met, pd.NA), dtype="Int64")
    out["compliant"] = pd.array(np.where(complete, compliant, pd.NA), dtype="boolean")
    return out


# ---------------------------------------------------------------------------------------------
# County assessment

@dataclass(frozen=True)
class QualityBalanceAssessment:
    """County 优质均衡 resource-allocation assessment by 差异系数 (教督〔2017〕6号, ``standards.QUALITY_CV_LIMITS``).

    Attributes
    ----------
    table : DataFrame
        One row per stage × indicator: ``stage, indicator, name_zh, name_en, n_sections, mean, sd,
        coefficient_of_variation, limit, passes``.
    composite_cv : dict stage → float
        综合差异系数 = plain mean of the 7 CVs (informational under the 2017 rule).
    passes_by_stage : dict stage → bool
        Every indicator of the stage within its limit (the 差异系数 condition only; also
        :attr:`cv_passes_by_stage`).
    passes : bool
        The 差异系数 condition only: every indicator of every assessed stage within its limit (also
        :attr:`cv_passes`). This is **not** the county's 资源配置 verdict: the 2017 rule also requires every
        assessed school to meet the school rule (standards.SCHOOL_RULE). The official verdict is
        :func:`resource_verdict` (a :class:`ResourceVerdict`, which keeps this CV-only verdict as
        ``cv_verdict``).
    failing : tuple of (stage, indicator)
        Indicators over their limit.
    top_contributors : DataFrame
        For each failing indicator, the sections with the largest weighted squared deviations:
        ``stage, indicator, rank, school_id, school_name, students, value, deviation,
        variance_share`` (share of the indicator's variance S² due to the section).
    weighted : bool
        Enrolment-weighted (official) or unweighted population CVs.
    county, school_year : optional
    notes : tuple of str
        E.g. "composite within the limit but an indicator over it".
    standard : str
        ``"quality_2017"`` (this rule).
    """

    table: pd.DataFrame
    composite_cv: dict
    passes_by_stage: dict
    passes: bool
    failing: tuple
    top_contributors: pd.DataFrame
    weighted: bool = True
    county: str | None = None
    school_year: int | None = None
    notes: tuple = field(default_factory=tuple)
    standard: str = "quality_2017"

    @property
    def cv_passes(self) -> bool:
        """The CV-only verdict (same as :attr:`passes`): every indicator's 差异系数 within its limit."""
        return bool(self.passes)

    @property
    def cv_passes_by_stage(self) -> dict:
        """The CV-only verdict per stage (same as :attr:`passes_by_stage`)."""
        return dict(self.passes_by_stage)

    def to_frame(self) -> pd.DataFrame:
        """Per stage × indicator table plus one ``indicator="composite"`` row per stage
        (its ``limit`` and ``passes`` are NA: the composite is informational)."""
        comp = pd.DataFrame({
            "stage": list(self.composite_cv),
            "indicator": "composite",
            "name_zh": "综合差异系数",
            "name_en": "composite CV (mean of the 7 CVs)",
            "coefficient_of_variation": list(self.composite_cv.values()),
        })
        out = pd.concat([self.table, comp], ignore_index=True)
        out["passes"] = out["passes"].astype("boolean")
        return out

    @classmethod
    def from_cvs(cls, cvs: Mapping[str, Mapping[str, float]], *, limits: Mapping[str, float] | None = None,
                 weighted: bool = True, **kwargs) -> QualityBalanceAssessment:
        """Build the verdict from already computed CVs, e.g. a published county table.

        Parameters
        ----------
        cvs : mapping stage → {indicator key "L1"… → CV}
        limits : mapping stage → limit, optional (default 0.50 primary, 0.45 junior)
        """
        lim = {st: QUALITY_CV_LIMITS[st].value for st in STAGES}
        lim.update(limits or {})
        rows = []
        for st, by_key in cvs.items():
            if st not in lim:
                raise ValueError(f"unknown stage {st!r}; expected {STAGES}")
            for k, cv in by_key.items():
                if k not in QUALITY_INDICATORS:
                    raise ValueError(f"unknown indicator {k!r}; expected {INDICATOR_KEYS}")
                ind = QUALITY_INDICATORS[k]
                rows.append({"stage": st, "indicator": k, "name_zh": ind.name_zh, "name_en": ind.name_en,
                             "coefficient_of_variation": float(cv), "limit": float(lim[st]),
                             "passes": bool(cv <= lim[st]) if not math.isnan(cv) else False})
        table = pd.DataFrame(rows)
        for c in ("n_sections", "mean", "sd"):
            if c not in table:
                table[c] = np.nan
        table = table[["stage", "indicator", "name_zh", "name_en", "n_sections", "mean", "sd",
                       "coefficient_of_variation", "limit", "passes"]]
        composite = {st: float(g["coefficient_of_variation"].mean()) for st, g in table.groupby("stage", sort=False)}
        passes_by_stage = {st: bool(g["passes"].all()) for st, g in table.groupby("stage", sort=False)}
        failing = tuple((r.stage, r.indicator) for r in table.itertuples() if not r.passes)
        notes = []
        for st in composite:
            bad = [k for s, k in failing if s == st]
            if bad and composite[st] <= lim[st]:
                notes.append(f"{st}: composite CV {composite[st]:.4f} is within {lim[st]:g}, but "
                             f"{', '.join(bad)} exceed it; under the 2017 rule every indicator must be within "
                             "the limit, so the stage fails (综合差异系数达标但单项指标超标，不达标)")
        kwargs.setdefault("top_contributors", pd.DataFrame(columns=[
            "stage", "indicator", "rank", "school_id", "school_name", "students", "value", "deviation",
            "variance_share"]))
        return cls(table=table, composite_cv=composite, passes_by_stage=passes_by_stage,
                   passes=all(passes_by_stage.values()) if passes_by_stage else False,
                   failing=failing, weighted=weighted, notes=tuple(notes), **kwargs)


def quality_balance_assessment(indicators: pd.DataFrame, *, weighted: bool = True,
                               limits: Mapping[str, float] | None = None,
                               n_top: int = 5) -> QualityBalanceAssessment:
    """Assess one county-year against the 优质均衡 差异系数 limits (教督〔2017〕6号).

    For each stage present and each indicator L1…L7 the CV across sections is computed —
    enrolment-weighted population CV (official, ``standards.DOC_CV_GUIDANCE``) or, with ``weighted=False``, the
    unweighted population CV. The county passes when every indicator of every stage is within its
    limit (0.50 primary, 0.45 junior); the composite (mean of the 7 CVs) is reported but does not
    decide the verdict.

    Parameters
    ----------
    indicators : DataFrame
        Output of :func:`quality_balance_indicators` for ONE county and ONE school year.
        Sections with 0 students are left out (they carry no weight and have no indicator).
    weighted : bool, default True
    limits : mapping stage → float, optional
        Override the CV limits.
    n_top : int, default 5
        Number of sections listed per failing indicator in ``top_contributors``.

    Returns
    -------
    QualityBalanceAssessment

    Raises
    ------
    ValueError
        Several counties or school years in ``indicators``; missing columns; missing indicator values
        in sections with students (named by :func:`coefficient_of_variation`); no section with students.
    """
    _require_columns(indicators, ["stage", "students", *INDICATOR_KEYS], "quality_balance_assessment")
    county, year = _one_county_year(indicators, "quality_balance_assessment")
    data = indicators.loc[_numeric(indicators, "students") > 0]
    if data.empty:
        raise ValueError("no section with students: nothing to assess")
    cvs, extra, contributors = {}, [], []
    for st in [s for s in STAGES if (data["stage"] == s).any()]:
        sub = data.loc[data["stage"] == st]
        cvs[st] = {}
        w = _numeric(sub, "students") if weighted else pd.Series(1.0, index=sub.index)
        for k in INDICATOR_KEYS:
            cv = coefficient_of_variation(sub, value=k, weight="students" if weighted else None)
            cvs[st][k] = cv
            x = _numeric(sub, k)
            wv, xv = w.to_numpy(dtype="float64"), x.to_numpy(dtype="float64")
            mean = float(np.sum(wv * xv) / wv.sum())
            vt = (wv / wv.sum()) * (xv - mean) ** 2
            extra.append({"stage": st, "indicator": k, "n_sections": len(sub), "mean": mean,
                          "sd": float(np.sqrt(vt.sum()))})
            lim = (limits or {}).get(st, QUALITY_CV_LIMITS[st].value)
            if not cv <= lim and vt.sum() > 0:
                var_terms = pd.Series(vt, index=sub.index)
                top = var_terms.sort_values(ascending=False, kind="stable").head(n_top)
                c = sub.loc[top.index, [col for col in ("school_id", "school_name", "students")
                                        if col in sub.columns]].copy()
                c.insert(0, "rank", range(1, len(c) + 1))
                c.insert(0, "indicator", k)
                c.insert(0, "stage", st)
                c["value"] = x.loc[top.index]
                c["deviation"] = x.loc[top.index] - mean
                c["variance_share"] = top / var_terms.sum()
                contributors.append(c)
    top_frame = (pd.concat(contributors, ignore_index=True) if contributors else
                 pd.DataFrame(columns=["stage", "indicator", "rank", "school_id", "school_name", "students",
                                       "value", "deviation", "variance_share"]))
    result = QualityBalanceAssessment.from_cvs(cvs, limits=limits, weighted=weighted,
                                               top_contributors=top_frame, county=county, school_year=year)
    stats = pd.DataFrame(extra).set_index(["stage", "indicator"])
    table = result.table.drop(columns=["n_sections", "mean", "sd"]).join(stats, on=["stage", "indicator"])
    table = table[["stage", "indicator", "name_zh", "name_en", "n_sections", "mean", "sd",
                   "coefficient_of_variation", "limit", "passes"]]
    object.__setattr__(result, "table", table)
    return result


# ---------------------------------------------------------------------------------------------
# 2012 basic balance (县域义务教育均衡发展督导评估暂行办法, 教督〔2012〕3号)

def basic_balance_indicators(sections: pd.DataFrame) -> pd.DataFrame:
    """Add the eight 2012 basic-balance indicators B1…B8 to school sections.

    B1 teaching area, B2 sports area (m²), B3 equipment value (yuan), B5 books per student; B4 computers,
    B6 full-time teachers (师生比), B7 above-qualification teachers and B8 teachers with
    intermediate-or-higher titles per 100 students (教督〔2012〕3号, ``standards.BASIC_INDICATORS``; definitions in
    :data:`lyganalysis.standards.BASIC_INDICATORS`).

    Parameters
    ----------
    sections : DataFrame
        Output of :func:`school_sections`. ``computers`` and ``books`` are there when the schools table
        has them; ``intermediate_title_teachers`` only when :func:`school_sections` got ``teachers=``.

    Returns
    -------
    DataFrame
        A copy with float64 columns ``B1`` … ``B8``: NaN for sections with 0 students, and NaN in every
        row for an indicator whose numerator column is absent (the assessment then reports it as
        unavailable instead of guessing).
    """
    _require_columns(sections, ["students"], "basic_balance_indicators")
    out = sections.copy()
    denom = _numeric(out, "students").where(_numeric(out, "students") > 0)
    for key, ind in BASIC_INDICATORS.items():
        if ind.numerator in out.columns:
            out[key] = _numeric(out, ind.numerator) * ind.per_students / denom
        else:
            out[key] = np.nan
    return out


def _one_county_year(indicators: pd.DataFrame, what: str) -> tuple[str | None, int | None]:
    county = year = None
    for col in ("county", "school_year"):
        if col in indicators.columns:
            vals = indicators[col].dropna().unique()
            if len(vals) > 1:
                raise ValueError(f"{what} assesses one county-year; {col!r} has "
                                 f"{len(vals)} values {sorted(map(str, vals))[:5]}: filter first")
            if len(vals) == 1:
                if col == "county":
                    county = str(vals[0])
                else:
                    year = int(vals[0])
    return county, year


def _contributors(sub: pd.DataFrame, key: str, w: pd.Series, n_top: int, stage: str) -> pd.DataFrame | None:
    x = _numeric(sub, key)
    mean = float(np.sum(w * x) / w.sum())
    var_terms = (w / w.sum()) * (x - mean) ** 2
    if not var_terms.sum() > 0:
        return None
    top = var_terms.sort_values(ascending=False, kind="stable").head(n_top)
    c = sub.loc[top.index, [col for col in ("school_id", "school_name", "students") if col in sub.columns]].copy()
    c.insert(0, "rank", range(1, len(c) + 1))
    c.insert(0, "indicator", key)
    c.insert(0, "stage", stage)
    c["value"] = x.loc[top.index]
    c["deviation"] = x.loc[top.index] - mean
    c["variance_share"] = top / var_terms.sum()
    return c


_CONTRIB_COLUMNS = ["stage", "indicator", "rank", "school_id", "school_name", "students", "value", "deviation",
                    "variance_share"]


@dataclass(frozen=True)
class BasicBalanceAssessment:
    """County basic-balance assessment (2012, 教督〔2012〕3号, ``standards.BASIC_BALANCE_COMPOSITE_LIMITS``).

    The 2012 rule tests the **composite** 差异系数 (plain mean of the eight per-indicator CVs):
    ≤ 0.65 primary, ≤ 0.55 junior. Individual CVs are reported but do not decide.

    Attributes
    ----------
    table : DataFrame
        One row per stage × indicator: ``stage, indicator, name_zh, name_en, n_sections, mean, sd,
        coefficient_of_variation``.
    composite_cv : dict stage → float
        Mean of the available CVs of the stage.
    limits : dict stage → float
    passes_by_stage : dict stage → bool
    passes : bool
        Every assessed stage's composite within its limit.
    failing : tuple of str
        Stages whose composite exceeds the limit.
    unavailable : tuple of str
        Indicators the data do not allow (numerator missing for a section with students); the composite
        is then over fewer than 8 CVs and is NOT the official figure (``complete`` is False).
    complete : bool
    top_contributors : DataFrame
        For a failing stage, per indicator whose own CV exceeds the stage limit, the sections with the
        largest weighted squared deviations (columns as in :class:`QualityBalanceAssessment`).
    weighted : bool
    county, school_year, notes, standard (``"basic_2012"``)
    """

    table: pd.DataFrame
    composite_cv: dict
    limits: dict
    passes_by_stage: dict
    passes: bool
    failing: tuple
    unavailable: tuple
    complete: bool
    top_contributors: pd.DataFrame
    weighted: bool = True
    county: str | None = None
    school_year: int | None = None
    notes: tuple = field(default_factory=tuple)
    standard: str = "basic_2012"

    def to_frame(self) -> pd.DataFrame:
        """Per stage × indicator table plus one ``indicator="composite"`` row per stage carrying
        ``limit`` and ``passes`` (under the 2012 rule only the composite decides)."""
        comp = pd.DataFrame({
            "stage": list(self.composite_cv), "indicator": "composite", "name_zh": "综合差异系数",
            "name_en": "composite CV (mean of the 8 CVs)",
            "coefficient_of_variation": list(self.composite_cv.values()),
            "limit": [self.limits[s] for s in self.composite_cv],
            "passes": [self.passes_by_stage[s] for s in self.composite_cv]})
        base = self.table.assign(limit=np.nan, passes=pd.NA)
        out = pd.concat([base, comp], ignore_index=True)
        out["passes"] = out["passes"].astype("boolean")
        return out


def basic_balance_assessment(indicators: pd.DataFrame, *, weighted: bool = True,
                             limits: Mapping[str, float] | None = None,
                             n_top: int = 5) -> BasicBalanceAssessment:
    """Assess one county-year under the 2012 basic-balance rule (教督〔2012〕3号, ``standards.BASIC_BALANCE_COMPOSITE_LIMITS``).

    Per stage, the CV of each of B1…B8 across sections (enrolment-weighted population CV by default,
    ``weighted=False`` for the unweighted population CV); the stage passes when the composite (plain
    mean of the CVs) is ≤ 0.65 (primary) / ≤ 0.55 (junior).

    Parameters
    ----------
    indicators : DataFrame
        Output of :func:`basic_balance_indicators` for ONE county and ONE school year.
    weighted : bool, default True
    limits : mapping stage → float, optional
        Override the composite limits.
    n_top : int, default 5

    Returns
    -------
    BasicBalanceAssessment

    Raises
    ------
    ValueError
        Several counties or years; missing B columns; no section with students; no indicator available.
    """
    _require_columns(indicators, ["stage", "students", *BASIC_KEYS], "basic_balance_assessment")
    county, year = _one_county_year(indicators, "basic_balance_assessment")
    data = indicators.loc[_numeric(indicators, "students") > 0]
    if data.empty:
        raise ValueError("no section with students: nothing to assess")
    unavailable = tuple(k for k in BASIC_KEYS if data[k].isna().any())
    keys = [k for k in BASIC_KEYS if k not in unavailable]
    if not keys:
        raise ValueError("none of the eight 2012 indicators is available for every section with students")
    lim = {st: BASIC_BALANCE_COMPOSITE_LIMITS[st].value for st in STAGES}
    lim.update(limits or {})
    rows, contributors, composite, passes_by_stage, notes = [], [], {}, {}, []
    for st in [s for s in STAGES if (data["stage"] == s).any()]:
        sub = data.loc[data["stage"] == st]
        w = _numeric(sub, "students") if weighted else pd.Series(1.0, index=sub.index)
        cvs = {}
        for k in keys:
            cv = coefficient_of_variation(sub, value=k, weight="students" if weighted else None)
            x = _numeric(sub, k)
            mean = float(np.sum(w * x) / w.sum())
            sd = float(np.sqrt(np.sum((w / w.sum()) * (x - mean) ** 2)))
            ind = BASIC_INDICATORS[k]
            rows.append({"stage": st, "indicator": k, "name_zh": ind.name_zh, "name_en": ind.name_en,
                         "n_sections": len(sub), "mean": mean, "sd": sd, "coefficient_of_variation": cv})
            cvs[k] = cv
        composite[st] = float(np.mean(list(cvs.values())))
        passes_by_stage[st] = bool(composite[st] <= lim[st])
        if not passes_by_stage[st]:
            for k, cv in sorted(cvs.items(), key=lambda kv: -kv[1]):
                if cv > lim[st]:
                    c = _contributors(sub, k, w, n_top, st)
                    if c is not None:
                        contributors.append(c)
    if unavailable:
        notes.append(f"composite over {len(keys)} of 8 indicators; {', '.join(unavailable)} not available in the "
                     "data, so this is not the official 2012 composite (8项指标不全，综合差异系数仅供参考)")
    failing = tuple(st for st, ok in passes_by_stage.items() if not ok)
    top = pd.concat(contributors, ignore_index=True) if contributors else pd.DataFrame(columns=_CONTRIB_COLUMNS)
    return BasicBalanceAssessment(
        table=pd.DataFrame(rows, columns=["stage", "indicator", "name_zh", "name_en", "n_sections", "mean", "sd",
                                          "coefficient_of_variation"]),
        composite_cv=composite, limits={st: float(lim[st]) for st in composite}, passes_by_stage=passes_by_stage,
        passes=bool(passes_by_stage) and all(passes_by_stage.values()), failing=failing, unavailable=unavailable,
        complete=not unavailable, top_contributors=top, weighted=weighted, county=county, school_year=year,
        notes=tuple(notes))


def select_standard(school_year: int | None, standard: str = "auto") -> str:
    """Which rule applies: ``"quality_2017"`` or ``"basic_2012"``.

    ``standard="auto"`` picks by school year: years ≥ :data:`lyganalysis.standards.QUALITY_BALANCE_FROM_YEAR`
    (2017) use the 2017 优质均衡 rule, earlier years the 2012 basic-balance rule. Any other value is
    returned after validation. ValueError for an unknown standard or ``"auto"`` without a year.
    """
    if standard in ("quality_2017", "basic_2012"):
        return standard
    if standard != "auto":
        raise ValueError(f"standard must be 'auto', 'quality_2017' or 'basic_2012', got {standard!r}")
    if school_year is None:
        raise ValueError("standard='auto' needs a school year (argument or a single school_year column value)")
    return "quality_2017" if int(school_year) >= QUALITY_BALANCE_FROM_YEAR else "basic_2012"


def balance_assessment(indicators: pd.DataFrame, *, school_year: int | None = None,
                       standard: Literal["auto", "quality_2017", "basic_2012"] = "auto",
                       weighted: bool = True, limits: Mapping[str, float] | None = None,
                       n_top: int = 5) -> QualityBalanceAssessment | BasicBalanceAssessment:
    """Assess one county-year under the rule that applies to it.

    Parameters
    ----------
    indicators : DataFrame
        Sections with ``L1``…``L7`` (:func:`quality_balance_indicators`) and/or ``B1``…``B8``
        (:func:`basic_balance_indicators`) for one county and one school year.
    school_year : int, optional
        Defaults to the single value of the ``school_year`` column.
    standard : {"auto", "quality_2017", "basic_2012"}
        ``"auto"``: by school year (< 2017 → 2012 basic balance), see :func:`select_standard`.
    weighted : bool, default True
        Enrolment-weighted (official) or unweighted population CVs.
    limits, n_top
        Passed on to :func:`quality_balance_assessment` / :func:`basic_balance_assessment`.

    Returns
    -------
    QualityBalanceAssessment or BasicBalanceAssessment (``.standard`` says which)
    """
    if school_year is None:
        _, school_year = _one_county_year(indicators, "balance_assessment")
    rule = select_standard(school_year, standard)
    if rule == "quality_2017":
        return quality_balance_assessment(indicators, weighted=weighted, limits=limits, n_top=n_top)
    return basic_balance_assessment(indicators, weighted=weighted, limits=limits, n_top=n_top)


def cv_comparison(indicators: pd.DataFrame, *, standard: Literal["auto", "quality_2017", "basic_2012"] = "auto",
                  school_year: int | None = None,
                  limits: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Enrolment-weighted and unweighted CVs side by side, with where the choice flips the verdict.

    Returns
    -------
    DataFrame, one row per stage × indicator plus one ``"composite"`` row per stage:
        ``stage, indicator, name_zh, name_en, mean`` (weighted county value), ``cv_weighted,
        cv_unweighted, limit, passes_weighted, passes_unweighted, verdict_flips``. Under the 2017 rule
        ``limit`` applies to each indicator (composite rows: limit NA); under the 2012 rule to the
        composite only (indicator rows: NA).
    """
    wt = balance_assessment(indicators, school_year=school_year, standard=standard, weighted=True, limits=limits)
    uw = balance_assessment(indicators, school_year=school_year, standard=standard, weighted=False, limits=limits)
    return compare_assessments(wt, uw)


def compare_assessments(wt: QualityBalanceAssessment | BasicBalanceAssessment,
                        uw: QualityBalanceAssessment | BasicBalanceAssessment) -> pd.DataFrame:
    """The :func:`cv_comparison` table from an already computed weighted and unweighted assessment
    (same data, same standard)."""
    if wt.standard != uw.standard or not wt.weighted or uw.weighted:
        raise ValueError("compare_assessments needs a weighted and an unweighted assessment of the same standard")
    a, b = wt.to_frame(), uw.to_frame()
    if list(zip(a["stage"], a["indicator"])) != list(zip(b["stage"], b["indicator"])):
        raise ValueError("compare_assessments: the two assessments cover different stages or indicators")
    out = a[["stage", "indicator", "name_zh", "name_en", "mean", "coefficient_of_variation", "limit",
             "passes"]].rename(columns={"coefficient_of_variation": "cv_weighted", "passes": "passes_weighted"})
    out["cv_unweighted"] = b["coefficient_of_variation"].to_numpy()
    out["passes_unweighted"] = b["passes"].to_numpy()
    out["passes_weighted"] = out["passes_weighted"].astype("boolean")
    out["passes_unweighted"] = out["passes_unweighted"].astype("boolean")
    out["verdict_flips"] = (out["passes_weighted"] != out["passes_unweighted"]).astype("boolean")
    out["standard"] = wt.standard
    return out[["standard", "stage", "indicator", "name_zh", "name_en", "mean", "cv_weighted", "cv_unweighted",
                "limit", "passes_weighted", "passes_unweighted", "verdict_flips"]]


def year_on_year(tables: Mapping[int, pd.DataFrame], *, on: Sequence[str],
                 value: str | Sequence[str]) -> pd.DataFrame:
    """Change of ``value`` between consecutive school years given.

    Parameters
    ----------
    tables : mapping school_year → DataFrame
        One table per year with the ``on`` key columns and the value column(s), e.g. the
        ``to_frame()`` of each year's assessment.
    on : sequence of str
        Key columns identifying the same row across years (e.g. ``["stage", "indicator"]``).
    value : str or sequence of str

    Returns
    -------
    DataFrame
        ``on…, school_year, previous_year`` and for each value column ``v``: ``v``, ``v_previous``,
        ``v_change`` (this year − previous year given). The first year has NaN changes. Keys present in one
        year only get NaN for the other.
    """
    values = [value] if isinstance(value, str) else list(value)
    on = list(on)
    years = sorted(int(y) for y in tables)
    frames = []
    for y in years:
        t = tables[y]
        _require_columns(t, on + values, f"year_on_year (school year {y})")
        f = t[on + values].copy()
        f["school_year"] = y
        frames.append(f)
    cols = on + ["school_year", "previous_year"] + [c for v in values for c in (v, f"{v}_previous", f"{v}_change")]
    if not frames:
        return pd.DataFrame(columns=cols)
    long = pd.concat(frames, ignore_index=True)
    prev_of = {y: (years[i - 1] if i else None) for i, y in enumerate(years)}
    long["previous_year"] = long["school_year"].map(prev_of).astype("Int64")
    prev = long[on + ["school_year"] + values].rename(columns={"school_year": "previous_year",
                                                               **{v: f"{v}_previous" for v in values}})
    prev["previous_year"] = prev["previous_year"].astype("Int64")
    out = long.merge(prev, on=on + ["previous_year"], how="left")
    for v in values:
        cur = pd.to_numeric(out[v], errors="coerce").astype("float64")
        pre = pd.to_numeric(out[f"{v}_previous"], errors="coerce").astype("float64")
        out[f"{v}_change"] = cur - pre
    # rows keep the order of the input tables within each year
    return out[cols].sort_values("school_year", kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# The official 资源配置 verdict: school rule AND 差异系数 rule, in three states

#: The three states of a verdict: condition met, not met, or the data do not allow a decision.
VERDICT_CODES: tuple[str, ...] = ("met", "not_met", "undecided")


def _all_of(states) -> str:
    """Three-valued AND (Kleene): any "not_met" decides; else any "undecided"; else "met".

    An empty collection is "undecided" (nothing assessed is never "met")."""
    states = list(states)
    if not states:
        return "undecided"
    if "not_met" in states:
        return "not_met"
    if "undecided" in states:
        return "undecided"
    return "met"


def section_compliance_state(compliance: pd.DataFrame) -> pd.Series:
    """Per section: "met" / "not_met" / "undecided" under the school rule, tolerating missing indicators.

    A section with all seven indicators is "met" when :func:`school_compliance` says ``compliant``.
    With one or more indicators missing it is still "not_met" when the known ones already break the rule
    (more than ``n_indicators − min_met`` indicators known to be below their threshold, or one known to be
    below ``min_ratio_others`` × threshold; standards.SCHOOL_RULE), and "undecided" otherwise.

    Parameters
    ----------
    compliance : DataFrame
        Output of :func:`school_compliance` (needs ``L1_ratio`` … ``L7_ratio`` and ``compliant``).

    Returns
    -------
    Series of str (same index), one of :data:`VERDICT_CODES`.
    """
    _require_columns(compliance, [f"{k}_ratio" for k in INDICATOR_KEYS] + ["compliant"], "section_compliance_state")
    ratios = pd.DataFrame({k: _numeric(compliance, f"{k}_ratio") for k in INDICATOR_KEYS})
    known_below = (ratios < 1 - _RATIO_TOL).sum(axis=1)
    known_far = (ratios < SCHOOL_RULE.min_ratio_others - _RATIO_TOL).any(axis=1)
    broken = (known_below > SCHOOL_RULE.n_indicators - SCHOOL_RULE.min_met) | known_far
    comp = compliance["compliant"].astype("boolean")
    out = np.where(comp.notna(), np.where(comp.fillna(False), "met", "not_met"),
                   np.where(broken, "not_met", "undecided"))
    return pd.Series(out, index=compliance.index, dtype="object")


@dataclass(frozen=True)
class StageResourceVerdict:
    """The 资源配置 verdict of one stage of one county (教督〔2017〕6号; standards.SCHOOL_RULE,
    standards.QUALITY_CV_LIMITS).

    Attributes
    ----------
    stage : str
        "primary" or "junior".
    verdict : str
        "met" when ``school_rule`` and ``cv_verdict`` are both "met"; "not_met" when either is "not_met";
        otherwise "undecided" (:data:`VERDICT_CODES`).
    school_rule : str
        Every assessed section meets the school rule (≥ min_met of n_indicators at threshold, the others
        ≥ min_ratio_others of it).
    cv_verdict : str
        Every indicator's 差异系数 within the stage's limit (the CV-only verdict).
    n_sections : int
        Sections assessed (in the 2017 scope, with pupils).
    n_compliant, n_not_compliant, n_undecided : int
        Sections meeting, not meeting, or not decidable under the school rule (missing indicators).
    compliant_share : float
        ``n_compliant / n_sections`` in [0, 1] (NaN without sections).
    cv_failing : tuple of dict
        ``{"indicator", "cv", "limit"}`` for every indicator whose CV exceeds its limit (largest excess first).
    n_cv_indicators : int
        Indicators with a computed CV.
    reasons : tuple of dict
        Why a condition is "undecided": ``{"code": ..., "params": {...}}`` with codes
        ``"missing_indicator"`` (params ``n_sections``, ``indicators``), ``"too_few_sections"`` (params
        ``n_sections``, ``min_sections``), ``"cv_not_computed"`` (params ``indicators``).
    """

    stage: str
    verdict: str
    school_rule: str
    cv_verdict: str
    n_sections: int
    n_compliant: int
    n_not_compliant: int
    n_undecided: int
    compliant_share: float
    cv_failing: tuple = ()
    n_cv_indicators: int = 0
    reasons: tuple = ()

    def to_frame(self) -> pd.DataFrame:
        """The indicators over their CV limit: ``indicator, cv, limit``."""
        return pd.DataFrame([dict(f) for f in self.cv_failing], columns=["indicator", "cv", "limit"])

    def to_dict(self) -> dict:
        """Plain JSON-able data (codes, counts, the failing indicators and the reasons)."""
        return {"stage": self.stage, "verdict": self.verdict, "school_rule": self.school_rule,
                "cv_verdict": self.cv_verdict, "n_sections": self.n_sections, "n_compliant": self.n_compliant,
                "n_not_compliant": self.n_not_compliant, "n_undecided": self.n_undecided,
                "compliant_share": self.compliant_share, "cv_failing": [dict(f) for f in self.cv_failing],
                "n_cv_indicators": self.n_cv_indicators,
                "reasons": [{"code": r["code"], "params": dict(r["params"])} for r in self.reasons]}


@dataclass(frozen=True)
class ResourceVerdict:
    """The county's official 资源配置 verdict (教督〔2017〕6号), per stage and overall.

    The condition is met when, in every assessed stage, every assessed section meets the school rule
    (standards.SCHOOL_RULE) AND every indicator's 差异系数 is within its limit (standards.QUALITY_CV_LIMITS).
    Three states (:data:`VERDICT_CODES`), combined by three-valued AND; never "met" by default (no
    stage assessed → "undecided").

    Attributes
    ----------
    verdict : str
        Overall: both conditions in every stage.
    school_rule : str
        Overall school-rule condition.
    cv_verdict : str
        Overall CV-only verdict (what ``QualityBalanceAssessment.passes`` decided alone).
    stages : dict stage → StageResourceVerdict
    weighted : bool
        Whether the CVs deciding are enrolment-weighted (official).
    min_sections_for_cv : int
    reasons : tuple of dict
        Overall reasons (e.g. ``{"code": "no_sections", "params": {}}``).
    """

    verdict: str
    school_rule: str
    cv_verdict: str
    stages: dict
    weighted: bool = True
    min_sections_for_cv: int = 3
    reasons: tuple = ()

    @property
    def n_sections(self) -> int:
        """Sections assessed, all stages."""
        return int(sum(v.n_sections for v in self.stages.values()))

    @property
    def n_not_compliant(self) -> int:
        """Sections not meeting the school rule, all stages."""
        return int(sum(v.n_not_compliant for v in self.stages.values()))

    def to_dict(self) -> dict:
        """Plain JSON-able data: overall codes and counts, and each stage's :meth:`StageResourceVerdict.to_dict`."""
        return {"verdict": self.verdict, "school_rule": self.school_rule, "cv_verdict": self.cv_verdict,
                "weighted": self.weighted, "min_sections_for_cv": self.min_sections_for_cv,
                "n_sections": self.n_sections, "n_not_compliant": self.n_not_compliant,
                "stages": {k: v.to_dict() for k, v in self.stages.items()},
                "reasons": [{"code": r["code"], "params": dict(r["params"])} for r in self.reasons]}

    def to_frame(self) -> pd.DataFrame:
        """One row per stage: ``stage, verdict, school_rule, cv_verdict, n_sections, n_compliant,
        n_not_compliant, n_undecided, compliant_share, n_cv_indicators_failing``."""
        cols = ["stage", "verdict", "school_rule", "cv_verdict", "n_sections", "n_compliant", "n_not_compliant",
                "n_undecided", "compliant_share", "n_cv_indicators_failing"]
        rows = [{**{c: getattr(v, c) for c in cols[:-1]}, "n_cv_indicators_failing": len(v.cv_failing)}
                for v in self.stages.values()]
        return pd.DataFrame(rows, columns=cols)

    def failing_frame(self) -> pd.DataFrame:
        """Indicators over their CV limit: ``stage, indicator, cv, limit, excess`` (cv − limit)."""
        rows = [{"stage": st, **f, "excess": f["cv"] - f["limit"]}
                for st, v in self.stages.items() for f in v.cv_failing]
        return pd.DataFrame(rows, columns=["stage", "indicator", "cv", "limit", "excess"])


def resource_verdict(compliance: pd.DataFrame, cvs: pd.DataFrame, *, min_sections_for_cv: int = 3,
                     limits: Mapping[str, float] | None = None, weighted: bool = True) -> ResourceVerdict:
    """The official 资源配置 verdict of ONE county-year: school rule AND 差异系数 rule, per stage.

    Parameters
    ----------
    compliance : DataFrame
        :func:`school_compliance` of the assessed sections (the 2017 scope: special schools out, small
        teaching points out by the caller's rule). Sections with 0 students are left out here.
    cvs : DataFrame
        One row per stage × indicator: ``stage, indicator, coefficient_of_variation`` (NaN: not
        computed). Rows of other indicators (e.g. ``"composite"``) are ignored.
    min_sections_for_cv : int, default 3
        A stage with fewer assessed sections gets the CV condition "undecided" (code
        ``too_few_sections``): a CV over one or two schools says little about balance.
    limits : mapping stage → float, optional
        Override standards.QUALITY_CV_LIMITS.
    weighted : bool, default True
        Recorded: whether ``cvs`` are the enrolment-weighted CVs (the official method).

    Returns
    -------
    ResourceVerdict

    Raises
    ------
    ValueError
        Missing columns, several counties or school years in ``compliance``, a stage other than primary or
        junior, or ``min_sections_for_cv`` < 1.

    Examples
    --------
    A stage with every section compliant but one CV over its limit fails on the CV rule only; the
    verdict says which condition fails and by how much (``stages[...].cv_failing``).
    """
    if int(min_sections_for_cv) < 1:
        raise ValueError(f"min_sections_for_cv must be at least 1, got {min_sections_for_cv!r}")
    _require_columns(compliance, ["stage", "students", "compliant"] + [f"{k}_ratio" for k in INDICATOR_KEYS],
                     "resource_verdict(compliance)")
    _require_columns(cvs, ["stage", "indicator", "coefficient_of_variation"], "resource_verdict(cvs)")
    _one_county_year(compliance, "resource_verdict")
    bad = set(compliance["stage"].unique()) - set(STAGES)
    if bad:
        raise ValueError(f"resource_verdict: stage must be primary or junior, found {sorted(map(str, bad))}")
    lim = {st: QUALITY_CV_LIMITS[st].value for st in STAGES}
    lim.update({k: float(v) for k, v in (limits or {}).items()})
    assessed = compliance.loc[_numeric(compliance, "students") > 0]
    state = section_compliance_state(assessed)
    cv_rows = cvs.loc[cvs["indicator"].isin(INDICATOR_KEYS)]
    stages = {}
    for st in STAGES:
        mask = (assessed["stage"] == st).to_numpy()
        n = int(mask.sum())
        if n == 0:
            continue
        s = state[mask]
        reasons = []
        n_und = int((s == "undecided").sum())
        if n_und:
            sub = assessed.loc[mask]
            missing = [k for k in INDICATOR_KEYS if sub[f"{k}_ratio"].isna().any()]
            reasons.append({"code": "missing_indicator", "params": {"n_sections": n_und, "indicators": missing}})
        school = _all_of(s.tolist())
        c = cv_rows.loc[cv_rows["stage"] == st]
        cv_by = {k: float(v) for k, v in zip(c["indicator"], _numeric(c, "coefficient_of_variation"))}
        failing = sorted(({"indicator": k, "cv": v, "limit": float(lim[st])}
                          for k, v in cv_by.items() if not math.isnan(v) and v > lim[st]),
                         key=lambda f: -(f["cv"] - f["limit"]))
        not_computed = [k for k in INDICATOR_KEYS if math.isnan(cv_by.get(k, float("nan")))]
        if n < int(min_sections_for_cv):
            cv_state = "undecided"
            reasons.append({"code": "too_few_sections", "params": {"n_sections": n,
                                                                   "min_sections": int(min_sections_for_cv)}})
        elif failing:
            cv_state = "not_met"
        elif not_computed:
            cv_state = "undecided"
            reasons.append({"code": "cv_not_computed", "params": {"indicators": not_computed}})
        else:
            cv_state = "met"
        stages[st] = StageResourceVerdict(
            stage=st, verdict=_all_of([school, cv_state]), school_rule=school, cv_verdict=cv_state,
            n_sections=n, n_compliant=int((s == "met").sum()), n_not_compliant=int((s == "not_met").sum()),
            n_undecided=n_und, compliant_share=float((s == "met").mean()), cv_failing=tuple(failing),
            n_cv_indicators=len(INDICATOR_KEYS) - len(not_computed), reasons=tuple(reasons))
    reasons = () if stages else ({"code": "no_sections", "params": {}},)
    return ResourceVerdict(
        verdict=_all_of(v.verdict for v in stages.values()),
        school_rule=_all_of(v.school_rule for v in stages.values()),
        cv_verdict=_all_of(v.cv_verdict for v in stages.values()),
        stages=stages, weighted=bool(weighted), min_sections_for_cv=int(min_sections_for_cv), reasons=reasons)


# ---------------------------------------------------------------------------------------------
# What a section needs to comply: the gaps to every threshold and the least additions under the rule

def least_to_comply(compliance: pd.DataFrame, sections: pd.DataFrame) -> pd.DataFrame:
    """Per section, the least additions that meet the school rule, and the gaps to every threshold.

    School rule (standards.SCHOOL_RULE): ≥ ``min_met`` of the 7 indicators at their thresholds and the
    other(s) ≥ ``min_ratio_others`` (85 %) of theirs. With ``min_met = n − 1`` there are seven ways to
    comply: for each indicator j, raise j to 85 % of its threshold and every other indicator to 100 %.
    For each way the additions are computed in the indicator's resource unit (teachers, m², yuan, rooms;
    whole teachers and rooms rounded up), and the way chosen is the one with

    1. the fewest indicators needing an addition (each one is a separate hiring or purchase), then
    2. the smallest ``distance`` (below), then
    3. the first indicator in L1…L7 order (distances tie often: relaxing any indicator at least 15 points
       below its threshold saves the same 0.15; the choice between such indicators is then by order — a
       planner with costs decides better).

    ``distance`` = Σ over indicators of the shortfall of value ÷ threshold below its target (1, or 0.85
    for the relaxed indicator) under the chosen way: how far the section is from passing in units of
    the threshold (0 when compliant). The gaps to all seven thresholds (the reading "reach every
    threshold") are given beside, as ``gap_<L>``.

    Parameters
    ----------
    compliance : DataFrame
        :func:`school_compliance` of the sections (``L*_threshold``, ``L*_ratio``, ``L*_shortfall``).
    sections : DataFrame
        The same rows (same index) with ``students`` and the numerator columns of
        :data:`lyganalysis.standards.QUALITY_INDICATORS`.

    Returns
    -------
    DataFrame (same index)
        ``gap_L1`` … ``gap_L7`` (old reading: shortfall to every threshold), ``n_gaps``;
        ``add_L1`` … ``add_L7`` (least additions under the school rule), ``n_additions``,
        ``relaxed`` (the indicator allowed to stay at ≥ 85 %), ``distance``. NA where an indicator is
        missing or the section has no pupils.

    Raises
    ------
    ValueError
        Missing columns, a rule other than "all but one at threshold", or indices that differ.
    """
    if SCHOOL_RULE.min_met != SCHOOL_RULE.n_indicators - 1 or SCHOOL_RULE.n_indicators != len(INDICATOR_KEYS):
        raise ValueError("least_to_comply implements the rule 'all but one indicator at threshold'")
    _require_columns(compliance, [f"{k}_{c}" for k in INDICATOR_KEYS for c in ("threshold", "ratio", "shortfall")],
                     "least_to_comply(compliance)")
    _require_columns(sections, ["students"] + [ind.numerator for ind in QUALITY_INDICATORS.values()],
                     "least_to_comply(sections)")
    if not compliance.index.equals(sections.index):
        raise ValueError("least_to_comply: compliance and sections must have the same rows (index)")
    students = _numeric(sections, "students")
    valid = (students > 0).to_numpy()
    ratios = np.column_stack([_numeric(compliance, f"{k}_ratio").to_numpy() for k in INDICATOR_KEYS])
    complete = valid & ~np.isnan(ratios).any(axis=1)
    n_rows, n_ind = ratios.shape
    floor = SCHOOL_RULE.min_ratio_others

    def need(k: str, target: float) -> np.ndarray:
        ind = QUALITY_INDICATORS[k]
        thr = _numeric(compliance, f"{k}_threshold").to_numpy()
        have = _numeric(sections, ind.numerator).to_numpy()
        r = _numeric(compliance, f"{k}_ratio").to_numpy()
        amount = target * thr * students.to_numpy() / ind.per_students - have
        if ind.countable:
            amount = np.ceil(amount - 1e-9)
        return np.where(r >= target - _RATIO_TOL, 0.0, np.maximum(amount, 0.0))

    full = np.column_stack([need(k, 1.0) for k in INDICATOR_KEYS])
    part = np.column_stack([need(k, floor) for k in INDICATOR_KEYS])
    gap_full = np.maximum(1.0 - ratios, 0.0) * (ratios < 1 - _RATIO_TOL)
    gap_part = np.maximum(floor - ratios, 0.0) * (ratios < floor - _RATIO_TOL)
    # option j: indicator j at the floor, the others at 100 %
    n_add = np.empty((n_rows, n_ind))
    dist = np.empty((n_rows, n_ind))
    for j in range(n_ind):
        adds = full.copy()
        adds[:, j] = part[:, j]
        n_add[:, j] = (adds > 0).sum(axis=1)
        g = gap_full.copy()
        g[:, j] = gap_part[:, j]
        dist[:, j] = g.sum(axis=1)
    # lexicographic choice: fewest additions, then smallest distance, then first indicator
    order_key = n_add * 1e6 + np.nan_to_num(dist, nan=0.0)
    best = np.argmin(np.where(np.isnan(order_key), np.inf, order_key), axis=1)
    rows = np.arange(n_rows)
    out = pd.DataFrame(index=compliance.index)
    for k in INDICATOR_KEYS:
        out[f"gap_{k}"] = _numeric(compliance, f"{k}_shortfall").where(complete)
    out["n_gaps"] = pd.array(np.where(complete, (full > 0).sum(axis=1), pd.NA), dtype="Int64")
    for i, k in enumerate(INDICATOR_KEYS):
        v = np.where(best == i, part[:, i], full[:, i])
        out[f"add_{k}"] = pd.Series(np.where(complete, v, np.nan), index=compliance.index, dtype="float64")
    out["n_additions"] = pd.array(np.where(complete, n_add[rows, best], pd.NA), dtype="Int64")
    relaxed = np.array(INDICATOR_KEYS, dtype=object)[best]
    # "relaxed" names the indicator left below its threshold (None when every indicator reaches it)
    below = ratios[rows, best] < 1 - _RATIO_TOL
    out["relaxed"] = pd.Series(np.where(complete & below, relaxed, None), index=compliance.index, dtype="object")
    out["distance"] = pd.Series(np.where(complete, dist[rows, best], np.nan), index=compliance.index,
                                dtype="float64")
    return out


# ---------------------------------------------------------------------------------------------
# helpers shared with lyganalysis.metrics.plan (public names: no module imports another's private ones)

#: Tolerance of the threshold comparisons (a ratio ≥ 1 − RATIO_TOL counts as met).
RATIO_TOL = _RATIO_TOL
require_columns = _require_columns
numeric_column = _numeric
one_county_year = _one_county_year
threshold_table = _thresholds
