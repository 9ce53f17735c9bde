"""Staffing (教师队伍): 生师比, the staffing standard and shortfall (缺编), structure, specialists, backbone
teachers and rotation (交流轮岗) — one computation that the county page, the school pages, the metrics JSON and
the city overview all read.

:func:`analyse` computes one county or (``county=None``) every county in one grouped pass over the city's
schools and teachers (every metric is grouped by ``county``; nothing loops over the one-county path);
:func:`analyse_city` adds the city as one more unit and lays the key figures side by side (the city overview's
staffing table). Everything is full precision; words come from the report's catalogue (codes here).

Definitions (one per figure):

* student_teacher_ratio (生师比) is the **pooled** ratio Σ students / Σ full-time teachers of the schools table
  per stage (``ratios.student_teacher_ratio``); the mean of the school ratios is shown beside it under its own
  name (``mean_of_schools_ratio``).
* Teacher need = students / the staffing standard (standards.staffing_standard: the 2014 unified standard, the
  2001 table by locale before 2014); shortfall = need − teachers (net per county: surpluses offset shortages;
  ``gross_shortfall`` sums the short schools only). The standard counts all staff (教职工) while the data hold
  full-time teachers (专任教师), so the shortfall is overstated: the result carries the caveat code
  ``standard_counts_all_staff`` whenever a shortfall is shown.
* Retirements at the statutory ages of :class:`~lyganalysis.settings.Settings` (``retirement_age_male/female``),
  with and without the 2025 gradual reform (standards.RETIREMENT_REFORM_2025); the settings' flag
  ``gradual_retirement_reform`` chooses which scenario the key figures use.
* Rotation: eligible pool = ≥ standards.ROTATION_MIN_YEARS_IN_SCHOOL years in the same school and more than
  standards.ROTATION_MIN_YEARS_TO_RETIREMENT years to retirement, plus everyone rotated this year; rate =
  rotated / pool against standards.ROTATION_TARGETS (city 15 %).

Privacy: breakdowns of teachers (age bands, titles, qualifications, gender) of a group with fewer than
``Settings.min_cell_size`` teachers are withheld (NaN, ``suppressed`` = True), with complementary suppression
where a published total would give a withheld group back by subtraction; the age pyramid's band × gender cells
go through :func:`lyganalysis.privacy.suppress_small_cells`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lyganalysis.analysis.base import NotComputed, ResultMixin, not_computed
from lyganalysis.analysis.figures import Figure
from lyganalysis.metrics import staffing as S
from lyganalysis.privacy import suppress_group_stats, suppress_small_cells
from lyganalysis.settings import Settings, profile_of
from lyganalysis.standards import CITY_TARGETS_2022, ROTATION_TARGETS, SPECIALIST_SUBJECTS, staffing_standard

__all__ = ["StaffingResult", "CityStaffing", "analyse", "analyse_city", "staffing_targets", "staff_ratios", "STAGES", "CITY", "CAVEATS"]

SECTION = "staffing"
STAGES: tuple[str, ...] = ("primary", "junior")
"""Stages of the ratio, structure, specialist, backbone and rotation figures (compulsory education)."""
TEACHER_STAGES: tuple[str, ...] = ("primary", "junior", "senior", "preschool", "special")
AGE_STAGES: tuple[str, ...] = ("primary", "junior", "senior", "preschool")
CITY = "city"
"""Unit code of the city row in :class:`CityStaffing` (the report translates it)."""
CAVEATS = {"standard_counts_all_staff": "the staffing standard counts all staff (教职工); the data hold full-time "
                                        "teachers (专任教师): the shortfall is overstated",
           "staff_base_decides": "the county form gives all staff (教职工) per stage: the student–staff ratio decides "
                                 "against the staffing standard; the full-time-teacher shortfall is for comparison"}
_LOCALE_ORDER = {"all": 0, "urban": 1, "town": 2, "rural": 3}
_AGE_STATS = ["n_under_35", "n_35_49", "n_50_plus", "share_under_35", "share_35_49", "share_50_plus", "mean_age"]
_QUAL_STATS = ([f"n_{q}" for q in S.QUALIFICATIONS] + [f"share_{q}" for q in S.QUALIFICATIONS]
               + ["n_above_required", "share_above_required"])
_TITLE_STATS = ([f"n_{x}" for x in S.TITLES] + [f"share_{x}" for x in S.TITLES] + ["share_first_or_higher"])


# ==================================================================================================== results
@dataclass(frozen=True)
class StaffingResult(ResultMixin):
    """Staffing figures of one county (or of the city, ``county == "city"``), full precision, no text.

    Attributes
    ----------
    county, school_year, min_cell_size : what the result is of and the suppression threshold used
    standards_apply : bool
        The Chinese staffing standard and rotation targets apply (dataset profile).
    ratios : DataFrame
        Per stage (primary, junior; stages with students): ``students, teachers`` (schools table),
        ``student_teacher_ratio`` (pooled Σstudents/Σteachers), ``mean_of_schools_ratio`` (unweighted mean of
        the ratios of the schools with teachers), ``n_schools_without_teachers``, ``staffing_standard``
        (students per staff post), ``teacher_need``, ``teacher_shortfall`` (net), ``gross_shortfall``,
        ``n_schools_short`` (standard columns NaN when the standard does not apply).
    school_sections : DataFrame
        Per school × stage: ``school_id, school_name, locale, stage, students, teachers, teacher_need,
        teacher_shortfall``.
    shortfall_schools : DataFrame
        The school sections with a positive shortfall, largest first.
    schools : DataFrame
        One row per school with compulsory-stage students (the school pages read it): ``school_id,
        school_name, locale, school_type, students, teachers`` (schools table, primary + junior),
        ``student_teacher_ratio``, ``classes``, ``teacher_need, teacher_shortfall``, ``L3_gap_teachers,
        L2_gap_teachers`` (whole PE/arts and backbone teachers still needed for L3/L2), ``missing`` (codes of
        the specialist subjects with no teacher, comma-separated; "" = none), ``n_missing``,
        ``missing_<subject>`` (bool) for standards.SPECIALIST_SUBJECTS, ``needs_any``, and the school's
        structure (all its teachers): ``structure_teachers``, ``share_under_35, share_35_49, share_50_plus,
        mean_age, share_above_required, share_first_or_higher`` — NaN with ``structure_suppressed`` = True
        when the school has fewer than ``min_cell_size`` teachers (or complementary suppression applies).
    school_actions : DataFrame
        Per school (teachers-table counts, as the action list uses them): ``students, teachers,
        L3_gap_teachers, L2_gap_teachers, teacher_need, teacher_shortfall, classes, class_teacher_ratio,
        missing, n_missing, needs_any``; most missing specialists first.
    structure : DataFrame
        Per compulsory stage: ``teachers, share_under_35, share_35_49, share_50_plus,
        share_above_required_qualification`` (L1 definition), ``suppressed``.
    age, age_by_locale : DataFrame
        Per stage (and stage × locale): ``teachers, n_under_35, n_35_49, n_50_plus, mean_age, share_*``,
        ``suppressed``.
    pyramid : DataFrame
        Per stage × 5-year band × gender: ``teachers`` (true count) and ``teachers_shown`` (NaN where
        withheld by small-cell suppression; the report draws this column only).
    retirements, retirements_by_year : DataFrame
        ``scenario_key`` ("statutory" / "gradual_reform") × horizon (5, 10) totals, and per year.
    qualification, titles : DataFrame
        Per stage × locale (``locale == "all"``: the stage): counts and shares of each level, L1 share above the
        required qualification / share first grade or higher, ``suppressed``.
    subjects : DataFrame
        Per stage: subject teachers per 100 students (pooled), ``L3``, ``n_schools_L3_short``,
        ``n_schools_without_<subject>``.
    backbone_by_locale, backbone_inequality : DataFrame
        Backbone teachers (county level or above) by stage × locale, and Gini / CV of L2 across sections.
    rotation : DataFrame
        Per stage and ``stage == "all"``: pool, rotated, rate, targets, gaps, backbone share.
    rotation_flows : DataFrame or None
        Rotated teachers by origin × destination locale (None when the data do not allow it).
    rotation_excluded : dict
        ``n_unlinked`` (no row the year before) and ``n_outside`` (came from schools outside the county).
    rotation_definition : dict
        The pool rule used (years in school, years to retirement, ages, reform flag, stages).
    scalars : dict
        ``teachers, n_past_retirement_age, rotation_rate``, targets, ``n_schools_needing_teachers,
        n_schools_missing_specialist``, ``certified_rate`` and ``training_360_completion_rate``
        (:func:`lyganalysis.metrics.staffing.certified_rate` / ``training_completion_rate``; NaN when the
        teachers table has no ``certified`` / ``training_hours_5y`` column).
    caveats : tuple of str
        Codes the page must state; catalogue ``stf_caveat_<code>``: ``standard_counts_all_staff`` (the
        shortfall compares full-time teachers with a standard that counts all staff) or, when the county form
        gives 教职工数 for every stage shown, ``staff_base_decides`` (the student–staff ratio decides against
        the standard; the teacher-based shortfall is for comparison).
    unavailable : tuple of NotComputed
    staff_ratios : DataFrame
        The staffing ratio on both bases, per stage whose 教职工数 is in the county form (``ds.county_form``
        ``staff_primary`` / ``staff_junior``; empty otherwise or when the standard does not apply):
        ``stage, students`` (schools table), ``teachers`` (专任教师, schools table),
        ``student_teacher_ratio`` (Σstudents ÷ Σ专任教师), ``staff`` (教职工, form), ``student_staff_ratio``
        (Σstudents ÷ 教职工), ``staffing_standard`` (students per staff post), ``staff_need`` (students ÷
        standard), ``staff_shortfall`` (need − staff; negative = surplus), ``meets_standard``
        (student_staff_ratio ≤ standard), ``staff_source`` ("form").
    """

    county: str
    school_year: int
    min_cell_size: int
    standards_apply: bool
    ratios: pd.DataFrame
    school_sections: pd.DataFrame
    shortfall_schools: pd.DataFrame
    schools: pd.DataFrame
    school_actions: pd.DataFrame
    structure: pd.DataFrame
    age: pd.DataFrame
    age_by_locale: pd.DataFrame
    pyramid: pd.DataFrame
    retirements: pd.DataFrame
    retirements_by_year: pd.DataFrame
    qualification: pd.DataFrame
    titles: pd.DataFrame
    subjects: pd.DataFrame
    backbone_by_locale: pd.DataFrame
    backbone_inequality: pd.DataFrame
    rotation: pd.DataFrame
    rotation_flows: pd.DataFrame | None
    rotation_excluded: dict
    rotation_definition: dict
    scalars: dict
    settings: Settings = field(default_factory=Settings)
    caveats: tuple = ()
    unavailable: tuple = ()
    staff_ratios: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_frame(self) -> pd.DataFrame:
        """The per-stage ratios and shortfalls (the section's main table)."""
        return self.ratios

    @property
    def has_teacher_records(self) -> bool:
        """Whether structure figures exist (the data have a teachers table)."""
        return len(self.age) > 0

    def for_school(self, school_id: str) -> dict:
        """What a school page shows: the school's row (dict) and its sections (frame), or ``{}`` if absent.

        Keys: ``school`` (the row of :attr:`schools`: teachers, students, ratio, need, shortfall, missing
        specialists, and structure only when shown), ``sections`` (per stage), ``caveats``.
        """
        sid = str(school_id)
        row = self.schools[self.schools["school_id"].astype(str) == sid]
        if row.empty:
            return {}
        sec = self.school_sections[self.school_sections["school_id"].astype(str) == sid].reset_index(drop=True)
        # a school's shortfall compares its full-time teachers with the standard (the form's 教职工 are county totals)
        caveats = tuple("standard_counts_all_staff" if c == "staff_base_decides" else c for c in self.caveats)
        return {"school": row.iloc[0].to_dict(), "sections": sec, "caveats": caveats,
                "min_cell_size": self.min_cell_size}

    def figures(self) -> dict[str, Figure]:
        """Key figures (``staffing.*``), selectable by the headline, the index and the city table."""
        out: dict[str, Figure] = {}

        def add(key, value, kind, **params):
            out[key] = Figure(key=key, value=value, kind=kind, params=params)

        r = self.ratios.set_index("stage") if len(self.ratios) else None
        if r is not None:
            for st in r.index:
                add(f"staffing.student_teacher_ratio.{st}", float(r.loc[st, "student_teacher_ratio"]), "ratio",
                    stage=st, method="pooled")
            sr = self.staff_ratios.set_index("stage") if len(self.staff_ratios) else None
            if sr is not None:
                for st in sr.index:
                    add(f"staffing.student_staff_ratio.{st}", float(sr.loc[st, "student_staff_ratio"]), "ratio",
                        stage=st, method="pooled", base="staff",
                        staffing_standard=float(sr.loc[st, "staffing_standard"]))
                    add(f"staffing.staff_shortfall.{st}", float(sr.loc[st, "staff_shortfall"]), "count", stage=st,
                        base="staff")
            if self.standards_apply and r["teacher_shortfall"].notna().any():
                add("staffing.teacher_shortfall", float(r["teacher_shortfall"].sum()), "count",
                    caveat="standard_counts_all_staff")
                for st in r.index:
                    add(f"staffing.teacher_shortfall.{st}", float(r.loc[st, "teacher_shortfall"]), "count", stage=st,
                        staffing_standard=float(r.loc[st, "staffing_standard"]))
                    add(f"staffing.gross_shortfall.{st}", float(r.loc[st, "gross_shortfall"]), "count", stage=st)
        if self.has_teacher_records:
            sc = self.scalars
            if self.standards_apply and not pd.isna(sc.get("rotation_rate")):
                add("staffing.rotation_rate", float(sc["rotation_rate"]), "rate",
                    target=float(sc["rotation_target_city"]), limit=float(sc["rotation_target_city"]),
                    direction="min", standard="ROTATION_TARGETS.city_2022", finding_code="rotation_below_target",
                    kinds={"target": "rate", "limit": "rate", "value": "rate"})
                if not pd.isna(sc.get("rotated")):
                    add("staffing.rotation.rotated", sc["rotated"], "count")
                    add("staffing.rotation.eligible", sc["rotation_eligible"], "count")
            if len(self.schools) and "missing_music" in self.schools.columns:
                for s_ in SPECIALIST_SUBJECTS:
                    add(f"staffing.schools_missing_{s_}", int(self.schools[f"missing_{s_}"].sum()), "count",
                        subject=s_)
                add("staffing.schools_missing_specialist", int(sc["n_schools_missing_specialist"]), "count")
            add("staffing.schools_needing_teachers", int(sc["n_schools_needing_teachers"]), "count")
            scen = "gradual_reform" if self.settings.gradual_retirement_reform else "statutory"
            ret = self.retirements[self.retirements["scenario_key"] == scen].set_index("horizon")
            for h in ret.index:
                add(f"staffing.retirements_{int(h)}y", float(ret.loc[h, "retirements"]), "count",
                    scenario=scen, horizon=int(h))
                add(f"staffing.new_teachers_per_year_{int(h)}y", float(ret.loc[h, "new_teachers_per_year"]),
                    "count", scenario=scen, horizon=int(h))
            st = self.structure.set_index("stage")
            for s in st.index:
                add(f"staffing.share_50_plus.{s}", float(st.loc[s, "share_50_plus"]), "rate", stage=s)
        return out


@dataclass(frozen=True)
class CityStaffing(ResultMixin):
    """The city overview's staffing table: every county and the city side by side.

    Attributes
    ----------
    school_year : int
    table : DataFrame
        One row per county and a last row for the city (``unit`` = county name or :data:`CITY`, ``is_city``),
        the columns of the former city staffing summary (``teachers``, ``teachers_<stage>``, ``ratio_<st>``,
        ``standard_<st>``, ``teacher_need_<st>``, ``shortfall_<st>``, ``gross_shortfall_<st>``,
        ``n_schools_short_<st>``, ``staff_form_<st>`` and ``ratio_staff_<st>`` (教职工 from the county form and
        students per staff member; NaN without the form; the city's only when every county has them), ``n_50_plus``, ``share_50_plus[_<st>]``, ``retirements_<h>y[_reform]``,
        ``new_teachers_per_year_<h>y[_reform]``, ``share_above_required_<st|compulsory>``, ``L3_<st>``,
        ``n_schools_L3_short_<st>``, ``n_schools_specialist_checked``, ``n_schools_without_<subject>``,
        ``n_schools_missing_specialist``, backbone shares, ``gini_L2_<st>``, ``rotation_eligible, rotated,
        rotation_rate, rotation_gap_to_target, backbone_rotated, backbone_share_of_rotated``) and
        ``suppressed_<share column>`` flags (True: the unit or stage has fewer teachers than ``min_cell_size``,
        the share must not be shown; the values stay for the aggregate checks).
    targets : dict
        The standards and targets the table is read against.
    counties : dict of county → StaffingResult
    city : StaffingResult
    """

    school_year: int
    table: pd.DataFrame
    targets: dict
    counties: dict
    city: Any

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def figures(self) -> dict[str, Figure]:
        """The city's key figures (``staffing.*`` keys of the city unit)."""
        return self.city.figures() if self.city is not None else {}


# ==================================================================================================== helpers
def _sort(df: pd.DataFrame, keys: list[str], stages=STAGES + ("senior", "preschool", "special", "all")) -> pd.DataFrame:
    if df.empty:
        return df.reset_index(drop=True)
    so = {s: i for i, s in enumerate(stages)}
    key = {"stage": lambda s: s.map(so), "locale": lambda s: s.map(_LOCALE_ORDER)}
    return df.sort_values(keys, key=lambda s: key[s.name](s) if s.name in key else s, kind="stable").reset_index(
        drop=True)


def _withhold(df: pd.DataFrame, stats: list[str], k: int, *, total_keys: list[str] | None = None) -> pd.DataFrame:
    """Primary suppression of teacher breakdowns of groups with < k teachers (privacy.suppress_group_stats),
    then complementary suppression: within each set of groups summing to a published total (``total_keys``),
    never leave exactly one group withheld — the next smallest group is withheld too."""
    stats = [c for c in stats if c in df.columns]
    if df.empty:
        return df.assign(suppressed=pd.Series(dtype=bool))
    out = suppress_group_stats(df, n="teachers", statistics=stats, min_cell_size=k, flag="suppressed", mask_n=False)
    out.loc[out["teachers"] == 0, "suppressed"] = False
    if total_keys is not None:
        out = _complementary(out, total_keys, stats)
    return out


def _complementary(out: pd.DataFrame, total_keys: list[str], stats: list[str]) -> pd.DataFrame:
    out = out.copy()
    parts = [g.index for _, g in out.groupby(total_keys, sort=False)] if total_keys else [out.index]
    for idx in parts:
        sub = out.loc[idx]
        withheld = sub["suppressed"] & (sub["teachers"] > 0)
        if int(withheld.sum()) == 1:
            shown = sub[~sub["suppressed"] & (sub["teachers"] > 0)]
            if len(shown):
                j = shown["teachers"].astype("float64").idxmin()
                out.loc[j, "suppressed"] = True
                for c in stats:
                    out.loc[j, c] = np.nan
    return out


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="raise")


def _with_all_locale(fn, tea, sch, year, keys):
    by_loc = fn(tea, school_year=year, by=[*keys, "stage", "locale"], schools=sch)
    by_st = fn(tea, school_year=year, by=[*keys, "stage"], schools=sch).assign(locale="all")
    out = pd.concat([by_st, by_loc], ignore_index=True)
    out = out[out["stage"].isin(STAGES)]
    return _sort(out, [*keys, "stage", "locale"])


def _pyramid_masked(pyr: pd.DataFrame, keys: list[str], k: int) -> pd.DataFrame:
    if pyr.empty:
        return pyr.assign(teachers_shown=pd.Series(dtype="float64"))
    cats = list(pyr["age_band"].cat.categories)
    parts = []
    for gk, g in pyr.groupby([*keys, "stage"], sort=False, observed=True):
        gk = gk if isinstance(gk, tuple) else (gk,)
        wide = g.pivot(index="age_band", columns="gender", values="teachers").reindex(columns=list(S.GENDERS),
                                                                                       fill_value=0)
        wide.index = wide.index.astype(str)
        st = suppress_small_cells(wide, count_columns=list(S.GENDERS), min_cell_size=k)
        m = st.masked.reset_index().melt(id_vars="age_band", var_name="gender", value_name="teachers_shown")
        for col, v in zip([*keys, "stage"], gk):
            m[col] = v
        parts.append(m)
    out = pd.concat(parts, ignore_index=True)
    out = pyr.assign(age_band=pyr["age_band"].astype(str)).merge(out, on=[*keys, "stage", "age_band", "gender"],
                                                                 how="left")
    out["teachers_shown"] = out["teachers_shown"].astype("Float64").astype("float64")
    out["age_band"] = pd.Categorical(out["age_band"], categories=cats, ordered=True)
    return out


# ==================================================================================================== compute
def _compute(schools_all: pd.DataFrame, teachers_all: pd.DataFrame | None, year: int, settings: Settings,
             apply_cn: bool) -> dict[str, Any]:
    """Every staffing table for every ``county`` of ``schools_all`` at once (each grouped by county)."""
    K = ["county"]
    k = int(settings.min_cell_size)
    sch = schools_all[schools_all["school_year"] == year]
    out: dict[str, Any] = {}

    # ---- ratios and the staffing standard (schools table) -----------------------------------------------
    ratio_parts, sec_parts = [], []
    for st in STAGES:
        sc, tc = f"students_{st}", f"teachers_{st}"
        if sc not in sch.columns:
            continue
        sub = sch[_num(sch[sc]).fillna(0) > 0]
        if sub.empty:
            continue
        # a school whose teacher count is missing is left out of the ratio and the shortfall and counted —
        # never taken as 0 teachers (which would read as a shortfall of every post)
        unknown = _num(sub[tc]).isna()
        n_unknown = unknown.groupby(sub["county"]).sum().astype("int64")
        all_students = _num(sub[sc]).astype("float64").groupby(sub["county"]).sum()
        counties_st = list(dict.fromkeys(sub["county"]))
        sub = sub[~unknown]
        sub = sub.assign(**{sc: _num(sub[sc]).astype("float64"), tc: _num(sub[tc]).astype("float64")})
        if sub.empty:
            r = pd.DataFrame(index=pd.Index(counties_st, name="county"),
                             data={"students": all_students.reindex(counties_st).to_numpy(), "teachers": np.nan,
                                   "student_teacher_ratio": np.nan,
                                   "mean_of_schools_ratio": np.nan, "n_schools_without_teachers": 0,
                                   "staffing_standard": np.nan, "teacher_need": np.nan, "teacher_shortfall": np.nan,
                                   "gross_shortfall": np.nan, "n_schools_short": 0})
            r["n_schools_teachers_missing"] = n_unknown.reindex(r.index).fillna(0).astype("int64")
            ratio_parts.append(r.reset_index().assign(stage=st))
            continue
        r = sub.groupby(K, sort=False)[[sc, tc]].sum().rename(columns={sc: "students", tc: "teachers"})
        r["student_teacher_ratio"] = S.student_teacher_ratio(sub, students=sc, teachers=tc, by=K)
        has_t = sub[sub[tc] > 0]
        r["mean_of_schools_ratio"] = (S.student_teacher_ratio(has_t, students=sc, teachers=tc, by=K,
                                                              method="mean_of_schools")
                                      if len(has_t) else np.nan)
        r["n_schools_without_teachers"] = (sub[tc] == 0).groupby(sub["county"]).sum().astype("int64")
        sec = sub[["school_id", "school_name", "county", "locale"]].copy() if "locale" in sub.columns else \
            sub[["school_id", "school_name", "county"]].assign(locale=None)
        sec["stage"] = st
        sec["students"] = sub[sc].to_numpy()
        sec["teachers"] = sub[tc].to_numpy()
        sec["classes"] = _num(sub[f"classes_{st}"]).astype("float64").to_numpy() \
            if f"classes_{st}" in sub.columns else np.nan
        if apply_cn:
            locale = "locale" if year < 2014 else None
            sf = S.teacher_shortfall(sub, students=sc, teachers=tc, stage=st, school_year=year, locale=locale, by=K)
            tot = sf.totals.set_index("county")
            r["staffing_standard"] = staffing_standard(st, school_year=year) if year >= 2014 else np.nan
            for c in ("teacher_need", "teacher_shortfall", "gross_shortfall"):
                r[c] = tot[c].astype("float64")
            r["n_schools_short"] = tot["n_schools_short"].astype("int64")
            sec["teacher_need"] = sf.schools["teacher_need"].to_numpy()
            sec["teacher_shortfall"] = sf.schools["teacher_shortfall"].to_numpy()
        else:
            for c in ("staffing_standard", "teacher_need", "teacher_shortfall", "gross_shortfall", "n_schools_short"):
                r[c] = np.nan
            sec["teacher_need"] = np.nan
            sec["teacher_shortfall"] = np.nan
        r = r.reindex(pd.Index(counties_st, name="county"))  # a county whose counts are all missing keeps its row
        r["n_schools_teachers_missing"] = n_unknown.reindex(r.index).fillna(0).astype("int64")
        ratio_parts.append(r.reset_index().assign(stage=st))
        sec_parts.append(sec)
    rcols = ["county", "stage", "students", "teachers", "student_teacher_ratio", "mean_of_schools_ratio",
             "n_schools_without_teachers", "staffing_standard", "teacher_need", "teacher_shortfall",
             "gross_shortfall", "n_schools_short", "n_schools_teachers_missing"]
    ratios = pd.concat(ratio_parts, ignore_index=True)[rcols] if ratio_parts else pd.DataFrame(columns=rcols)
    out["ratios"] = _sort(ratios, ["county", "stage"])
    scols = ["school_id", "school_name", "county", "locale", "stage", "students", "teachers", "classes",
             "teacher_need", "teacher_shortfall"]
    sections = pd.concat(sec_parts, ignore_index=True)[scols] if sec_parts else pd.DataFrame(columns=scols)
    out["school_sections"] = sections
    keep = ["county", "stage", "school_id", "school_name", "locale", "students", "teachers", "teacher_need",
            "teacher_shortfall"]
    short = sections[sections["teacher_shortfall"] > 0][keep]
    out["shortfall_schools"] = short.sort_values("teacher_shortfall", ascending=False, kind="stable").reset_index(
        drop=True)

    # ---- per school (schools table): the school page's staffing -------------------------------------------
    if len(sections):
        g = sections.groupby("school_id", sort=False)
        per = g[["students", "teachers", "classes", "teacher_need", "teacher_shortfall"]].sum(min_count=1)
        info_cols = [c for c in ("school_name", "county", "locale", "school_type") if c in sch.columns]
        info = sch.drop_duplicates("school_id").set_index("school_id")[info_cols]
        schools_t = info.join(per, how="inner")
        schools_t["student_teacher_ratio"] = schools_t["students"] / schools_t["teachers"].where(
            schools_t["teachers"] > 0)
        schools_t = schools_t.reset_index()
    else:
        schools_t = pd.DataFrame(columns=["school_id", "school_name", "county", "locale", "students", "teachers",
                                          "classes", "teacher_need", "teacher_shortfall", "student_teacher_ratio"])

    has_teachers = teachers_all is not None and len(teachers_all) > 0
    out["has_teachers"] = has_teachers
    if not has_teachers:
        out["schools"] = schools_t
        return out

    ids = set(schools_all["school_id"])
    tea_all = teachers_all[teachers_all["school_id"].isin(ids)]
    tea = tea_all[tea_all["school_year"] == year]
    county_of = sch.drop_duplicates("school_id").set_index("school_id")["county"]
    out["n_teachers"] = tea["school_id"].map(county_of).value_counts()
    # certification and 360 training hours (optional teacher columns): one definition, the metric's
    tea_c = tea.assign(county=tea["school_id"].map(county_of))
    out["certified_rate"] = (S.certified_rate(tea_c, by="county") if "certified" in tea.columns
                             else pd.Series(dtype="float64"))
    out["training_360_completion_rate"] = (S.training_completion_rate(tea_c, by="county")
                                           if "training_hours_5y" in tea.columns else pd.Series(dtype="float64"))

    # ---- subjects, specialists, backbone per section -> actions per school --------------------------------
    subj = S.subject_structure(tea, sch, school_year=year, stages=STAGES)
    miss = S.missing_specialists(tea, sch, school_year=year, stages=STAGES)
    bb = S.backbone_concentration(tea, sch, school_year=year, stages=STAGES, by=K)
    per_sec = subj[["school_id", "stage", "students", "teachers", "L3_gap_teachers"]].merge(
        bb.schools[["school_id", "stage", "L2_gap_teachers"]], on=["school_id", "stage"], how="left")
    acts = per_sec.groupby("school_id", sort=False)[["students", "teachers", "L3_gap_teachers",
                                                     "L2_gap_teachers"]].sum()
    info = sch.drop_duplicates("school_id").set_index("school_id")[["school_name", "county", "locale",
                                                                     "school_type"]]
    shortcols = ["teacher_need", "teacher_shortfall", "classes"]
    per_short = sections.groupby("school_id")[shortcols].sum() if apply_cn else \
        sections.groupby("school_id")[["classes"]].sum().assign(teacher_need=np.nan, teacher_shortfall=np.nan)
    acts = info.join(acts, how="inner").join(per_short[shortcols])
    acts["class_teacher_ratio"] = acts["teachers"] / acts["classes"].where(acts["classes"] > 0)
    mi = miss.set_index("school_id")
    acts = acts.join(mi[["missing", "n_missing"]])
    acts["missing"] = [",".join(m) if isinstance(m, tuple) else "" for m in acts["missing"]]
    acts["n_missing"] = acts["n_missing"].fillna(0).astype("int64")
    for c in ("L3_gap_teachers", "L2_gap_teachers"):
        acts[c] = acts[c].fillna(0).astype("int64")
    acts["needs_any"] = (acts["teacher_shortfall"] > 0) | (acts["L3_gap_teachers"] > 0) | (acts["n_missing"] > 0)
    acts = acts.reset_index().sort_values(["county", "n_missing", "teacher_shortfall"],
                                          ascending=[True, False, False], kind="stable").reset_index(drop=True)
    out["school_actions"] = acts

    # the school page's row: schools-table counts + gaps, specialists, and the (suppressed) structure
    st_ = schools_t.merge(acts[["school_id", "L3_gap_teachers", "L2_gap_teachers", "missing", "n_missing",
                                "needs_any"]], on="school_id", how="left")
    st_["L3_gap_teachers"] = st_["L3_gap_teachers"].fillna(0).astype("int64")
    st_["L2_gap_teachers"] = st_["L2_gap_teachers"].fillna(0).astype("int64")
    st_["n_missing"] = st_["n_missing"].fillna(0).astype("int64")
    st_["missing"] = st_["missing"].fillna("").astype(str)
    st_["needs_any"] = st_["needs_any"].fillna(False).astype(bool)
    for s_ in SPECIALIST_SUBJECTS:
        st_[f"missing_{s_}"] = st_["missing"].map(lambda m, s_=s_: s_ in m.split(",")).astype(bool)
    tea_s = tea[tea["school_id"].isin(set(st_["school_id"]))]
    a_s = S.age_structure(tea_s, school_year=year, by=["school_id"]).shares
    q_s = S.qualification_structure(tea_s, school_year=year, by=["school_id"])
    t_s = S.title_structure(tea_s, school_year=year, by=["school_id"])
    struct = a_s[["school_id", "teachers", "share_under_35", "share_35_49", "share_50_plus", "mean_age"]].merge(
        q_s[["school_id", "share_above_required"]], on="school_id", how="left").merge(
        t_s[["school_id", "share_first_or_higher"]], on="school_id", how="left")
    struct = struct.merge(st_[["school_id", "county"]], on="school_id", how="left")
    sstats = ["share_under_35", "share_35_49", "share_50_plus", "mean_age", "share_above_required",
              "share_first_or_higher"]
    struct = _withhold(struct, sstats, k, total_keys=["county"])
    struct = struct.rename(columns={"teachers": "structure_teachers", "suppressed": "structure_suppressed"})
    st_ = st_.merge(struct.drop(columns="county"), on="school_id", how="left")
    st_["structure_teachers"] = st_["structure_teachers"].fillna(0).astype("int64")
    st_["structure_suppressed"] = st_["structure_suppressed"].fillna(False).astype(bool)
    out["schools"] = st_

    # ---- subject structure per county × stage --------------------------------------------------------------
    rows = []
    for (c, st), gs in subj.groupby(["county", "stage"], sort=False):
        r = {"county": c, "stage": st, "students": float(gs["students"].sum()), "teachers": int(gs["teachers"].sum())}
        for s_ in S.SUBJECTS:
            r[f"per_100_{s_}"] = float(gs[f"n_{s_}"].sum() * 100.0 / gs["students"].sum())
        r["L3"] = float(gs["pe_arts_teachers"].sum() * 100.0 / gs["students"].sum())
        r["n_schools_L3_short"] = int((~gs["L3_meets"]).sum())
        m = miss[miss["school_id"].isin(gs["school_id"])]
        for s_ in SPECIALIST_SUBJECTS:
            r[f"n_schools_without_{s_}"] = int((m[f"n_{s_}"] == 0).sum())
        rows.append(r)
    out["subjects"] = _sort(pd.DataFrame(rows), ["county", "stage"]) if rows else pd.DataFrame()
    out["missing"] = miss

    # ---- age, pyramid, retirements --------------------------------------------------------------------------
    ag = S.age_structure(tea, school_year=year, by=[*K, "stage"], schools=sch)
    age = ag.shares[ag.shares["stage"].isin(AGE_STAGES)]
    out["age_all_stages"] = ag.shares  # for the city table (every stage)
    # the county's all-stage age counts are published (city table): stages complement each other, special
    # schools included (their row is not shown, but it may be the one withheld group)
    every = _withhold(_sort(ag.shares[ag.shares["teachers"] > 0], [*K, "stage"]), _AGE_STATS, k, total_keys=K)
    out["age"] = every[every["stage"].isin(AGE_STAGES)].reset_index(drop=True)
    age_loc = S.age_structure(tea, school_year=year, by=[*K, "stage", "locale"], schools=sch).shares
    age_loc = age_loc[age_loc["stage"].isin(STAGES)]
    out["age_by_locale"] = _withhold(_sort(age_loc, [*K, "stage", "locale"]), _AGE_STATS, k,
                                     total_keys=[*K, "stage"])
    present = ag.shares[ag.shares["teachers"] > 0][[*K, "stage"]]
    pyr = ag.pyramid[ag.pyramid["stage"].isin(STAGES)].copy()
    pyr = pyr.merge(present, on=[*K, "stage"], how="inner")
    pyr["stage"] = pyr["stage"].astype(str)
    pyr["age_band"] = pd.Categorical(pyr["age_band"].astype(str), categories=list(ag.bands), ordered=True)
    out["pyramid"] = _pyramid_masked(pyr, K, k)
    ret_rows, by_year = [], []
    for key, reform in (("statutory", False), ("gradual_reform", True)):
        r = S.retirements(tea, school_year=year, gradual_reform=reform, by=K, schools=sch,
                          retirement_age=settings.retirement_ages)
        ret_rows.append(r.totals.assign(scenario_key=key))
        by_year.append(r.by_year.assign(scenario_key=key))
    out["retirements"] = pd.concat(ret_rows, ignore_index=True)
    out["retirements_by_year"] = pd.concat(by_year, ignore_index=True)

    # ---- qualification and title -----------------------------------------------------------------------------
    # stage × locale with the stage's own row (locale "all"): the locale rows of a stage add up to it
    for name, fn, stats in (("qualification", S.qualification_structure, _QUAL_STATS),
                            ("titles", S.title_structure, _TITLE_STATS)):
        f = _withhold(_with_all_locale(fn, tea, sch, year, K), stats, k)
        loc = f[f["locale"] != "all"]
        f = pd.concat([f[f["locale"] == "all"], _complementary(loc, [*K, "stage"], [c for c in stats if c in f])])
        out[name] = _sort(f, [*K, "stage", "locale"])
    q_st = S.qualification_structure(tea, school_year=year, by=[*K, "stage"], schools=sch)
    q_comp = S.qualification_structure(tea[tea["stage"].isin(STAGES)], school_year=year, by=K, schools=sch)
    out["qual_compulsory"] = q_comp
    out["qual_stage"] = q_st
    out["age_county"] = S.age_structure(tea, school_year=year, by=K, schools=sch).shares
    structure = age[age["stage"].isin(STAGES)][[*K, "stage", "teachers", "share_under_35", "share_35_49",
                                                 "share_50_plus"]].merge(
        q_st[[*K, "stage", "share_above_required"]], on=[*K, "stage"], how="left").rename(
        columns={"share_above_required": "share_above_required_qualification"})
    out["structure"] = _withhold(_sort(structure, [*K, "stage"]),
                                 ["share_under_35", "share_35_49", "share_50_plus",
                                  "share_above_required_qualification"], k)

    # ---- backbone --------------------------------------------------------------------------------------------
    out["backbone_by_locale"] = _sort(bb.by_locale, [*K, "stage", "locale"])
    out["backbone_inequality"] = bb.inequality
    out["backbone_schools"] = bb.schools

    # ---- rotation --------------------------------------------------------------------------------------------
    ages = settings.retirement_ages
    if settings.rotation_retirement_age is not None:
        ages = {g: float(settings.rotation_retirement_age) for g in ages}
    kw = dict(school_year=year, schools=schools_all, stages=STAGES, retirement_age=ages,
              gradual_reform=bool(settings.gradual_retirement_reform))
    if "rotated" in tea.columns:
        ro_st = S.rotation(tea_all, by=[*K, "stage"], **kw)
        ro_all = S.rotation(tea_all, by=K, **kw)
        out["rotation"] = _sort(pd.concat([ro_st.table, ro_all.table.assign(stage="all")], ignore_index=True),
                                [*K, "stage"])
        out["rotation_flows"] = ro_all.flows
        out["rotation_flows_reason"] = ro_all.flows_reason
        out["rotation_excluded"] = ro_all.flows_excluded
        out["rotation_definition"] = ro_all.definition
    else:
        out["rotation"] = pd.DataFrame()
        out["rotation_flows"] = None
        out["rotation_flows_reason"] = "no_rotation_status"
        out["rotation_excluded"] = None
        out["rotation_definition"] = {}
    return out


def _part(frame: pd.DataFrame | None, county: str, *, drop: bool = True) -> pd.DataFrame | None:
    if frame is None:
        return None
    if "county" not in frame.columns:
        return frame.iloc[0:0] if len(frame) else frame
    sub = frame[frame["county"] == county]
    if drop:
        sub = sub.drop(columns="county")
    return sub.reset_index(drop=True)


def _result(c: dict, county: str, year: int, settings: Settings, apply_cn: bool) -> StaffingResult:
    k = int(settings.min_cell_size)
    unavailable: list[NotComputed] = []
    caveats: tuple = ("standard_counts_all_staff",) if apply_cn else ()
    if not apply_cn:
        unavailable.append(not_computed(SECTION, "staffing_standard", "stf_standards_not_applicable"))
    ratios = _part(c["ratios"], county)
    for row in ratios.to_dict(orient="records"):
        n_missing = int(row.get("n_schools_teachers_missing") or 0)
        if n_missing:
            unavailable.append(not_computed(SECTION, f"teachers_{row['stage']}", "stf_teacher_counts_missing",
                                            stage=row["stage"], n_schools=n_missing,
                                            all_missing=bool(pd.isna(row.get("teachers")))))
    sections = _part(c["school_sections"], county)
    short = _part(c["shortfall_schools"], county)
    schools = _part(c["schools"], county)
    empty = pd.DataFrame()
    if not c["has_teachers"]:
        unavailable.append(not_computed(SECTION, "teacher_structure", "stf_no_teacher_records"))
        return StaffingResult(
            county=county, school_year=year, min_cell_size=k, standards_apply=apply_cn, ratios=ratios,
            school_sections=sections, shortfall_schools=short, schools=schools, school_actions=empty,
            structure=empty, age=empty, age_by_locale=empty, pyramid=empty, retirements=empty,
            retirements_by_year=empty, qualification=empty, titles=empty, subjects=empty,
            backbone_by_locale=empty, backbone_inequality=empty, rotation=empty, rotation_flows=None,
            rotation_excluded={}, rotation_definition={}, scalars={}, settings=settings, caveats=caveats,
            unavailable=tuple(unavailable))
    acts = _part(c["school_actions"], county)
    retire = _part(c["retirements"], county)
    rot = _part(c["rotation"], county)
    flows = c["rotation_flows"]
    reason = c["rotation_flows_reason"]
    n_rotated = int(rot.loc[rot["stage"] == "all", "rotated"].sum()) if len(rot) else 0
    if len(rot) and n_rotated == 0:
        flows, reason = None, "no_rotation"  # as the one-county rule says: nothing rotated here
    if flows is not None:
        flows = _part(flows, county)
    excluded = {}
    if c["rotation_excluded"] is not None:
        ex = _part(c["rotation_excluded"], county)
        excluded = {"n_unlinked": int(ex["n_unlinked"].sum()) if len(ex) else 0,
                    "n_outside": int(ex["n_outside"].sum()) if len(ex) else 0,
                    "previous_school_year": year - 1}
    if flows is None:
        unavailable.append(not_computed(SECTION, "rotation_flows", f"stf_flows_{reason}", previous_school_year=year - 1))
    unavailable.append(not_computed(SECTION, "non_specialist_teaching", "stf_lessons_not_recorded"))
    unavailable.append(not_computed(SECTION, "rotation_strong_to_weak", "stf_no_strength_measure"))
    statutory5 = retire[(retire["scenario_key"] == "statutory") & (retire["horizon"] == 5)]
    rot_all = rot[rot["stage"] == "all"] if len(rot) else rot
    scalars = {
        "teachers": int(c["n_teachers"].get(county, 0)),
        "n_past_retirement_age": float(statutory5["n_past_retirement_age"].iloc[0]) if len(statutory5) else 0.0,
        "rotation_rate": float(rot_all["rotation_rate"].iloc[0]) if len(rot_all) else float("nan"),
        "rotated": float(rot_all["rotated"].iloc[0]) if len(rot_all) and "rotated" in rot_all else float("nan"),
        "rotation_eligible": float(rot_all["eligible"].iloc[0]) if len(rot_all) and "eligible" in rot_all
        else float("nan"),
        "rotation_target_city": ROTATION_TARGETS["city_2022"].value,
        "rotation_target_national": ROTATION_TARGETS["national"].value,
        "rotation_backbone_share_target": ROTATION_TARGETS["national_backbone_share"].value,
        "city_new_teachers_target": CITY_TARGETS_2022["new_teachers"].value,
        "n_schools_needing_teachers": int(acts["needs_any"].sum()),
        "n_schools_missing_specialist": int((acts["n_missing"] > 0).sum()),
        "n_schools_specialist_checked": int((c["missing"]["county"] == county).sum()),
        "certified_rate": float(c["certified_rate"].get(county, float("nan"))),
        "training_360_completion_rate": float(c["training_360_completion_rate"].get(county, float("nan"))),
    }
    # city-table figures (all stages; per stage unsuppressed here, flagged in the city table)
    a_all = c["age_all_stages"]
    a_all = a_all[a_all["county"] == county].set_index("stage")
    for st in TEACHER_STAGES:
        scalars[f"teachers_{st}"] = int(a_all["teachers"].get(st, 0))
    a_c = c["age_county"]
    a_c = a_c[a_c["county"] == county]
    scalars["n_50_plus_all"] = int(a_c["n_50_plus"].sum())
    scalars["share_50_plus_all"] = float(a_c["share_50_plus"].iloc[0]) if len(a_c) else float("nan")
    q_st = c["qual_stage"]
    q_st = q_st[q_st["county"] == county].set_index("stage")
    for st in STAGES:
        scalars[f"share_50_plus_{st}"] = float(a_all["share_50_plus"].get(st, float("nan")))
        scalars[f"share_above_required_{st}"] = float(q_st["share_above_required"].get(st, float("nan")))
    q_c = c["qual_compulsory"]
    q_c = q_c[q_c["county"] == county]
    scalars["share_above_required_compulsory"] = float(q_c["share_above_required"].iloc[0]) if len(q_c) \
        else float("nan")
    return StaffingResult(
        county=county, school_year=year, min_cell_size=k, standards_apply=apply_cn, ratios=ratios,
        school_sections=sections, shortfall_schools=short, schools=schools, school_actions=acts,
        structure=_part(c["structure"], county), age=_part(c["age"], county),
        age_by_locale=_part(c["age_by_locale"], county), pyramid=_part(c["pyramid"], county),
        retirements=retire, retirements_by_year=_part(c["retirements_by_year"], county),
        qualification=_part(c["qualification"], county), titles=_part(c["titles"], county),
        subjects=_part(c["subjects"], county), backbone_by_locale=_part(c["backbone_by_locale"], county),
        backbone_inequality=_part(c["backbone_inequality"], county), rotation=rot, rotation_flows=flows,
        rotation_excluded=excluded, rotation_definition=dict(c["rotation_definition"]), scalars=scalars,
        settings=settings, caveats=caveats, unavailable=tuple(unavailable))


def analyse(ds, *, county: str | None = None, school_year: int, settings: Settings | None = None
            ) -> StaffingResult | dict[str, StaffingResult]:
    """Staffing figures of one county, or of every county at once.

    Parameters
    ----------
    ds : lyganalysis.datasets.Dataset
        A schools table (``students_<stage>``, ``teachers_<stage>``, ``classes_<stage>``) and, for the structure
        figures, a teachers table (data/README.md).
    county : str, optional
        One county (``schools.county``); None: every county with schools in ``school_year``, computed in one
        grouped pass.
    school_year : int
    settings : Settings, optional
        ``min_cell_size``, retirement ages and reform flag, rotation retirement age.

    Returns
    -------
    StaffingResult, or dict county → StaffingResult for ``county=None``.

    Raises
    ------
    KeyError
        ``county`` is not in the data.
    ValueError
        The county (or the data) has no school in ``school_year``; bad values in the tables (from the metrics).
    """
    settings = settings or Settings()
    year = int(school_year)
    apply_cn = profile_of(ds).chinese_standards
    schools = ds.schools
    if county is not None:
        if county not in set(schools["county"]):
            raise KeyError(f"county {county!r} is not in the data; counties: {ds.counties()}")
        schools = schools[schools["county"] == county]
    if not (schools["school_year"] == year).any():
        where = county or "the data"
        raise ValueError(f"{where}: 数据中没有 {year} 学年的学校 / no schools in school year {year}")
    c = _compute(schools, ds.teachers, year, settings, apply_cn)
    present = [u for u in ds.counties() if u in set(schools.loc[schools["school_year"] == year, "county"])]
    res = {u: _with_staff(_result(c, u, year, settings, apply_cn), getattr(ds, "county_form", None))
           for u in present}
    return res[county] if county is not None else res


_STAFF_FIELDS = {"primary": "staff_primary", "junior": "staff_junior"}
_STAFF_CAVEAT = "staff_base_decides"


def staff_ratios(ratios: pd.DataFrame, form_row: dict | pd.Series | None, *, school_year: int) -> pd.DataFrame:
    """The staffing ratio on both bases per stage: students per 专任教师 and per 教职工 (all staff).

    The 2014 staffing standard (standards.STAFFING_2014: students per staff post) counts all staff, so
    it is compared with the student–staff ratio; the student–teacher ratio (生师比) is shown beside it.

    Parameters
    ----------
    ratios : DataFrame
        :attr:`StaffingResult.ratios` (``stage, students, teachers, student_teacher_ratio``).
    form_row : mapping or None
        One row of the county form with ``staff_primary`` / ``staff_junior`` (教职工数 in persons);
        a stage whose figure is empty is left out.
    school_year : int
        Year of the standard (:func:`lyganalysis.standards.staffing_standard`; ≥ 2014, the unified
        standard; earlier years depend on the locale and give an empty frame).

    Returns
    -------
    DataFrame
        Columns as :attr:`StaffingResult.staff_ratios`; empty when no stage has staff.

    Raises
    ------
    ValueError
        A staff figure that is negative, or zero for a stage with students.
    """
    cols = ["stage", "students", "teachers", "student_teacher_ratio", "staff", "student_staff_ratio",
            "staffing_standard", "staff_need", "staff_shortfall", "meets_standard", "staff_source"]
    if form_row is None or len(ratios) == 0 or int(school_year) < 2014:
        return pd.DataFrame(columns=cols)
    rows = []
    for r in ratios.itertuples(index=False):
        key = _STAFF_FIELDS.get(r.stage)
        v = form_row.get(key) if key else None
        if v is None or pd.isna(v):
            continue
        staff = float(v)
        if staff < 0 or (staff == 0 and float(r.students) > 0):
            raise ValueError(f"county form: {key} = {v!r} for a stage with {int(r.students)} students; "
                             "enter the number of all staff (教职工数) of the stage")
        rows.append({"stage": r.stage, "students": float(r.students), "teachers": float(r.teachers),
                     "staff": staff})
    if not rows:
        return pd.DataFrame(columns=cols)
    f = pd.DataFrame(rows)
    # one row per stage: the pooled ratio is the row's own quotient (NaN where the teacher counts are missing)
    f["student_teacher_ratio"] = f["students"] / f["teachers"].where(f["teachers"] > 0)
    f["student_staff_ratio"] = S.student_teacher_ratio(f, students="students", teachers="staff", by="stage"
                                                       ).reindex(f["stage"]).to_numpy()
    f["staffing_standard"] = [float(staffing_standard(st, school_year=int(school_year))) for st in f["stage"]]
    f["staff_need"] = S.teacher_need(f, students="students", stage="stage", school_year=int(school_year)).to_numpy()
    f["staff_shortfall"] = f["staff_need"] - f["staff"]
    f["meets_standard"] = f["student_staff_ratio"] <= f["staffing_standard"]
    f["staff_source"] = "form"
    return f[cols]


def _with_staff(r: StaffingResult, form: pd.DataFrame | None) -> StaffingResult:
    """``r`` with :attr:`StaffingResult.staff_ratios` from the county form and the caveat that says which base
    decides."""
    if form is None or not r.standards_apply or not len(r.ratios):
        return r
    row = form[(form["county"] == r.county) & (form["school_year"] == int(r.school_year))]
    if row.empty:
        return r
    sr = staff_ratios(r.ratios, row.iloc[0].to_dict(), school_year=r.school_year)
    if sr.empty:
        return r
    caveats = tuple(r.caveats)
    if set(sr["stage"]) >= set(r.ratios["stage"]):
        caveats = tuple(_STAFF_CAVEAT if c == "standard_counts_all_staff" else c for c in caveats)
    return dataclasses.replace(r, staff_ratios=sr, caveats=caveats)


def analyse_city(ds, *, school_year: int, settings: Settings | None = None,
                 counties: list[str] | None = None, results: dict | None = None) -> CityStaffing:
    """The city overview's staffing: every county and the city (one more unit of the same computation).

    Parameters
    ----------
    ds : Dataset
        With a teachers table.
    school_year : int
    settings : Settings, optional
    counties : list, optional
        Units and their order (default: the counties with schools in ``school_year``).
    results : dict county → StaffingResult, optional
        The counties' results when already computed (e.g. the batch's parent pass, same settings and year);
        computed here otherwise. The city unit is always computed here.

    Returns
    -------
    CityStaffing
        ``table`` replaces the former city staffing summary (same columns and values; the city row's ``unit``
        is the code :data:`CITY`).

    Raises
    ------
    ValueError
        No teachers table, or no school in ``school_year``.
    """
    settings = settings or Settings()
    year = int(school_year)
    if ds.teachers is None or ds.teachers.empty:
        raise ValueError(f"dataset {ds.name!r} has no teachers table: the city staffing summary needs one")
    per = results if results is not None else analyse(ds, county=None, school_year=year, settings=settings)
    if counties is None:
        counties = list(per)
    city_ds = _as_city(ds)
    city = analyse(city_ds, county=CITY, school_year=year, settings=settings)
    units = [*counties, CITY]
    res = {**{u: per[u] for u in counties if u in per}, CITY: city}
    rows = [_city_row(res.get(u), u, u == CITY, year, settings) for u in units]
    table = pd.DataFrame(rows)
    for st in STAGES:  # the city's all-staff ratio: only when every county has its staff in the form
        sc_, rc_ = f"staff_form_{st}", f"ratio_staff_{st}"
        if sc_ in table.columns:
            county_rows = table[~table["is_city"]]
            if len(county_rows) and county_rows[sc_].notna().all():
                staff = float(county_rows[sc_].sum())
                table.loc[table["is_city"], sc_] = staff
                table.loc[table["is_city"], rc_] = float(county_rows[f"students_{st}"].sum()) / staff \
                    if staff > 0 else np.nan
    count_cols = [c for c in table.columns if c.startswith(("teachers", "n_", "rotation_eligible", "backbone_teachers"))
                  or c in ("rotated", "rotation_gap_to_target", "backbone_rotated")]
    for col in count_cols:
        table[col] = table[col].fillna(0).round().astype("int64")
    k = int(settings.min_cell_size)
    if "teachers" in table.columns:
        table["suppressed_share_50_plus"] = table["teachers"] < k
        for st in STAGES:
            table[f"suppressed_share_50_plus_{st}"] = table[f"teachers_{st}"] < k
            table[f"suppressed_share_above_required_{st}"] = table[f"teachers_{st}"] < k
        # a withheld stage could be got back from the compulsory share and the other stage's
        table["suppressed_share_above_required_compulsory"] = table[
            [f"suppressed_share_above_required_{st}" for st in STAGES]].any(axis=1)
    return CityStaffing(school_year=year, table=table, targets=staffing_targets(year),
                        counties={u: per[u] for u in counties if u in per}, city=city)


def _as_city(ds):
    """The same data with every school in one unit, :data:`CITY` (the city row is one more group)."""
    sch = ds.schools.assign(county=CITY)
    return dataclasses.replace(ds, schools=sch)


def staffing_targets(school_year: int) -> dict:
    """The standards and targets the city staffing table is read against."""
    year = int(school_year)
    out = {f"staffing_standard_{st}": (staffing_standard(st, school_year=year) if year >= 2014 else None)
           for st in STAGES}
    out.update({"rotation_rate": ROTATION_TARGETS["city_2022"].value,
                "rotation_rate_national": ROTATION_TARGETS["national"].value,
                "backbone_share_of_rotated": ROTATION_TARGETS["national_backbone_share"].value,
                "new_teachers_per_year_city": CITY_TARGETS_2022["new_teachers"].value,
                "urban_concentration_ratio": 1.0})
    return out


def _city_row(r: StaffingResult | None, unit: str, is_city: bool, year: int, settings: Settings) -> dict:
    row: dict[str, Any] = {"unit": unit, "is_city": is_city}
    nan = float("nan")
    if r is None or not r.has_teacher_records:
        return row
    row["teachers"] = r.scalars["teachers"]
    for st in TEACHER_STAGES:
        row[f"teachers_{st}"] = int(r.scalars.get(f"teachers_{st}", 0))
    ratios = r.ratios.set_index("stage")
    for st in STAGES:
        std = staffing_standard(st, school_year=year) if year >= 2014 else nan
        if st in ratios.index:
            x = ratios.loc[st]
            row.update({f"students_{st}": float(x["students"]), f"ratio_{st}": float(x["student_teacher_ratio"]),
                        f"standard_{st}": std, f"teacher_need_{st}": float(x["teacher_need"]),
                        f"shortfall_{st}": float(x["teacher_shortfall"]),
                        f"gross_shortfall_{st}": float(x["gross_shortfall"]),
                        f"n_schools_short_{st}": float(x["n_schools_short"])})
        else:
            row.update({f"students_{st}": 0.0, f"ratio_{st}": nan, f"standard_{st}": std,
                        f"teacher_need_{st}": 0.0, f"shortfall_{st}": 0.0, f"gross_shortfall_{st}": 0.0,
                        f"n_schools_short_{st}": 0.0})
    sr = r.staff_ratios.set_index("stage") if len(r.staff_ratios) else None
    for st in STAGES:  # the ratio on the all-staff base (county form), NaN without it
        have = sr is not None and st in sr.index
        row[f"staff_form_{st}"] = float(sr.loc[st, "staff"]) if have else nan
        row[f"ratio_staff_{st}"] = float(sr.loc[st, "student_staff_ratio"]) if have else nan
    sc = r.scalars
    row["n_50_plus"] = sc["n_50_plus_all"]
    row["share_50_plus"] = sc["share_50_plus_all"]
    for st in STAGES:
        row[f"share_50_plus_{st}"] = sc.get(f"share_50_plus_{st}", nan)
    ret = r.retirements.set_index(["scenario_key", "horizon"])
    for suffix, key in (("", "statutory"), ("_reform", "gradual_reform")):
        for h in (5, 10):
            row[f"retirements_{h}y{suffix}"] = float(ret.loc[(key, h), "retirements"])
            row[f"new_teachers_per_year_{h}y{suffix}"] = float(ret.loc[(key, h), "new_teachers_per_year"])
    for st in STAGES:
        row[f"share_above_required_{st}"] = sc.get(f"share_above_required_{st}", nan)
    row["share_above_required_compulsory"] = sc.get("share_above_required_compulsory", nan)
    subj = r.subjects.set_index("stage") if len(r.subjects) else pd.DataFrame()
    for st in STAGES:
        row[f"L3_{st}"] = float(subj.loc[st, "L3"]) if st in subj.index else nan
        row[f"n_schools_L3_short_{st}"] = int(subj.loc[st, "n_schools_L3_short"]) if st in subj.index else 0
    row["n_schools_specialist_checked"] = sc["n_schools_specialist_checked"]
    for s_ in SPECIALIST_SUBJECTS:
        row[f"n_schools_without_{s_}"] = int(r.schools[f"missing_{s_}"].sum()) if len(r.schools) else 0
    row["n_schools_missing_specialist"] = sc["n_schools_missing_specialist"]
    bl = r.backbone_by_locale
    allrows = bl[bl["stage"] == "all"].set_index("locale")
    row["backbone_teachers"] = int(allrows["backbone_teachers"].sum()) if len(allrows) else 0
    for loc in ("urban", "rural"):
        if loc in allrows.index:
            row[f"{loc}_student_share"] = float(allrows.loc[loc, "student_share"])
            row[f"{loc}_backbone_share"] = float(allrows.loc[loc, "backbone_share"])
        else:
            row[f"{loc}_student_share"] = 0.0
            row[f"{loc}_backbone_share"] = nan if not row["backbone_teachers"] else 0.0
        if loc == "urban":
            row["urban_concentration_ratio"] = float(allrows.loc[loc, "concentration_ratio"]) \
                if loc in allrows.index else nan
    ineq = r.backbone_inequality.set_index("stage")
    for st in STAGES:
        row[f"gini_L2_{st}"] = float(ineq.loc[st, "gini_coefficient"]) if st in ineq.index else nan
    rot = r.rotation.set_index("stage").loc["all"] if len(r.rotation) else None
    for src, name, fill in (("eligible", "rotation_eligible", 0), ("rotated", "rotated", 0),
                            ("rotation_rate", "rotation_rate", nan), ("gap_to_city", "rotation_gap_to_target", 0),
                            ("backbone_rotated", "backbone_rotated", 0),
                            ("backbone_share_of_rotated", "backbone_share_of_rotated", nan)):
        row[name] = float(rot[src]) if rot is not None else fill
    return row


def city_table(ds, *, school_year: int, settings: Settings | None = None,
               counties_results: dict | None = None) -> pd.DataFrame:
    """The city overview's staffing table (:attr:`CityStaffing.table`), reusing the counties' staffing results
    from ``counties_results`` (county → CountyResults or StaffingResult) when given."""
    results = None
    if counties_results:
        results = {c: getattr(r, "staffing", r) for c, r in counties_results.items()}
        results = {c: r for c, r in results.items() if isinstance(r, StaffingResult)}
    return analyse_city(ds, school_year=school_year, settings=settings, counties=list(counties_results or []) or None,
                        results=results or None).table
