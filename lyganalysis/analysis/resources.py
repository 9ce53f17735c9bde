"""Resources (资源配置): county overview, 差异系数, the school rule, the official verdict, what each school
needs to comply, government-guarantee checks, monitoring points and the change on the previous year.

``analyse(ds, county=None | "赣榆区", school_year=2022, settings=Settings())`` computes one
:class:`ResourcesResult` per county (all counties in one pass: the school sections, indicators, school
compliance, least additions and government-guarantee checks are computed once for the whole table; the
差异系数 are computed per county-year, which is what they are).

The official verdict (教督〔2017〕6号): a county's 资源配置 condition is met when, per stage, every assessed
section meets the school rule (standards.SCHOOL_RULE) AND every indicator's 差异系数 is within its limit
(standards.QUALITY_CV_LIMITS): :func:`lyganalysis.metrics.balance.resource_verdict`. Assessed sections are
those in the 2017 scope (special schools out; teaching points under ``Settings.teaching_point_min_students``
pupils handled by ``Settings.teaching_point_rule``) with pupils.

No display text and no language here: codes and numbers at full precision; words come from the report's
catalogue (keys ``res_*``, reasons ``nc_res_*``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lyganalysis.analysis.base import NotComputed, ResultMixin, not_computed
from lyganalysis.analysis.figures import Figure
from lyganalysis.metrics.balance import (
    BASIC_KEYS,
    INDICATOR_KEYS,
    ResourceVerdict,
    balance_assessment,
    basic_balance_indicators,
    coefficient_of_variation,
    compare_assessments,
    least_to_comply,
    quality_balance_indicators,
    resource_verdict,
    school_compliance,
    school_sections,
    section_compliance_state,
    select_standard,
    year_on_year,
)
from lyganalysis.metrics.guarantee import (
    example_monitoring_points,
    example_monitoring_values,
    guarantee_checks,
    monitoring_compliance,
)
from lyganalysis.settings import Settings, profile_of
from lyganalysis.standards import QUALITY_CV_LIMITS, QUALITY_INDICATORS

__all__ = ["ResourcesResult", "analyse", "section_indicators", "verdicts_frame", "STAGES"]

STAGES = ("primary", "junior")
SECTION = "resources"
_OVERVIEW_STAGES = ("preschool", "primary", "junior", "senior")
# per-student resources shown beside the 优质均衡 indicators when the data have them (CV informational)
_OTHER_RESOURCES = {
    "computers_per_100_students": ("computers", 100.0),
    "books_per_student": ("books", 1.0),
    "expenditure_per_student_usd": (None, None),
}
_TEXT_COLUMNS = ["name_zh", "name_en"]
_NEEDED = ["school_year", "school_id", "school_name", "county", "school_type", "students_primary",
           "students_junior", "students_senior"]


def _empty() -> pd.DataFrame:
    return pd.DataFrame()


@dataclass(frozen=True)
class ResourcesResult(ResultMixin):
    """The resources topic of one county and school year (frames at full precision, no display text).

    Attributes
    ----------
    county, school_year : what the result is of
    applies : bool
        Whether the Chinese standards apply (``DatasetProfile.chinese_standards``); if not, only the
        overview tables and ``other_resources`` are filled.
    standard : str
        "quality_2017", "basic_2012" or "none" (:func:`lyganalysis.metrics.balance.select_standard`).
    years : tuple of int
        School years of the county up to ``school_year`` (for the change on the previous year).
    overview : DataFrame
        Per stage (preschool, primary, junior, senior with pupils): ``stage, n_schools, students, teachers``.
    schools_by_type : DataFrame
        ``school_type, n_schools`` (most first).
    other_resources : DataFrame
        Enrolment-weighted CV of other per-student resources in the data (informational):
        ``stage, resource, mean, coefficient_of_variation, n_schools, n_missing``.
    verdict : ResourceVerdict or None
        The official verdict (CVs enrolment-weighted when ``Settings.weighted_cv``); None under the 2012
        rule or when the standards do not apply.
    verdict_unweighted : ResourceVerdict or None
        The same with unweighted CVs (shown beside; does not decide).
    basic_cv_verdict : str or None
        Under the 2012 rule: the composite-CV verdict ("met"/"not_met"); None otherwise.
    cv : DataFrame
        One row per stage × indicator plus one ``indicator="composite"`` row per stage: ``standard, stage,
        indicator, n_sections, mean, sd, cv_weighted, cv_unweighted, limit, passes_weighted,
        passes_unweighted, verdict_flips``. Empty when an indicator is missing (see ``verdict``).
    composite_cv : dict stage → float
        综合差异系数 (mean of the CVs; informational under the 2017 rule).
    cv_basic : DataFrame
        The 2012 eight-indicator comparison, same columns (informational from 2017 on).
    top_contributors : DataFrame
        For an indicator over its limit, the sections contributing most to its variance.
    compliance : DataFrame
        Per assessed section (:func:`lyganalysis.metrics.balance.school_compliance`) plus ``state``
        ("met"/"not_met"/"undecided" under the school rule).
    schools_in_need : DataFrame
        Sections that do not comply, furthest from passing first: the compliance columns, ``min_ratio``,
        ``gap_<L>`` (shortfall to every threshold, the old reading), ``n_gaps``, ``add_<L>`` (the least
        additions under the school rule, in the indicator's resource unit: teachers, m², yuan, rooms),
        ``n_additions``, ``relaxed``, ``distance`` (see :func:`lyganalysis.metrics.balance.least_to_comply`).
    plan : PlanResult or None
        The county's least-cost plan (达标方案, :func:`lyganalysis.metrics.plan.county_plan`): the additions per
        school (teachers by kind, m², equipment yuan, rooms) after which every section meets the school rule
        and every 差异系数 is within its limit, at the unit costs ``Settings.plan_costs`` (default
        standards.PLAN_UNIT_COSTS, assumptions [U]), within ``Settings.plan_budget`` when one is set. Same
        sections, CV weighting and limits as ``verdict``. None when ``Settings.with_plan`` is off, under the
        2012 rule, when an indicator is missing, or when no plan could be computed (then ``unavailable``
        says why).
    guarantee_summary, class_size_bands, school_size, class_size, rooms : DataFrame
        Government-guarantee checks of ``school_year`` (:func:`lyganalysis.metrics.guarantee.guarantee_checks`).
    class_size_rule : str
    monitoring : MonitoringResult or None
        Monitoring-point compliance with ``monitoring_points`` (an EXAMPLE list unless given).
    monitoring_points : DataFrame
    monitoring_points_are_example : bool
    year_on_year_cv, year_on_year_compliance : DataFrame
    settings : dict
        The settings used (``Settings.to_dict()``).
    unavailable : tuple of NotComputed
    """

    county: str
    school_year: int
    applies: bool
    standard: str
    years: tuple
    overview: pd.DataFrame
    schools_by_type: pd.DataFrame
    other_resources: pd.DataFrame
    verdict: ResourceVerdict | None = None
    verdict_unweighted: ResourceVerdict | None = None
    basic_cv_verdict: Any = None
    cv: pd.DataFrame = field(default_factory=_empty)
    composite_cv: dict = field(default_factory=dict)
    cv_basic: pd.DataFrame = field(default_factory=_empty)
    top_contributors: pd.DataFrame = field(default_factory=_empty)
    compliance: pd.DataFrame = field(default_factory=_empty)
    schools_in_need: pd.DataFrame = field(default_factory=_empty)
    plan: Any = None
    guarantee_summary: pd.DataFrame = field(default_factory=_empty)
    class_size_bands: pd.DataFrame = field(default_factory=_empty)
    school_size: pd.DataFrame = field(default_factory=_empty)
    class_size: pd.DataFrame = field(default_factory=_empty)
    rooms: pd.DataFrame = field(default_factory=_empty)
    class_size_rule: str = "quality_2017"
    monitoring: Any = None
    monitoring_points: pd.DataFrame = field(default_factory=_empty)
    monitoring_points_are_example: bool = True
    year_on_year_cv: pd.DataFrame = field(default_factory=_empty)
    year_on_year_compliance: pd.DataFrame = field(default_factory=_empty)
    settings: dict = field(default_factory=dict)
    unavailable: tuple = ()

    # ------------------------------------------------------------------ access
    def to_frame(self) -> pd.DataFrame:
        """The main table: the verdict per stage (empty when no verdict applies)."""
        if self.verdict is None:
            return pd.DataFrame(columns=["stage", "verdict", "school_rule", "cv_verdict", "n_sections",
                                         "n_compliant", "n_not_compliant", "n_undecided", "compliant_share",
                                         "n_cv_indicators_failing"])
        return self.verdict.to_frame()

    def for_school(self, school_id: str) -> dict[str, pd.DataFrame]:
        """What a school page needs for one school: its sections' indicators against the standard
        (``compliance``), what they need (``in_need``), its government-guarantee rows (``school_size``,
        ``class_size``, ``rooms``) and its monitoring-point row (``monitoring``). Frames may be empty."""
        sid = str(school_id)

        def rows(df: pd.DataFrame | None) -> pd.DataFrame:
            if df is None or len(df) == 0 or "school_id" not in df.columns:
                return pd.DataFrame()
            return df[df["school_id"].astype(str) == sid].reset_index(drop=True)

        mon = self.monitoring.schools if self.monitoring is not None else None
        return {"compliance": rows(self.compliance), "in_need": rows(self.schools_in_need),
                "school_size": rows(self.school_size), "class_size": rows(self.class_size),
                "rooms": rows(self.rooms), "monitoring": rows(mon)}

    def figures(self) -> dict[str, Figure]:
        """Key figures: ``resources.verdict`` (the official verdict of the rule that applies: under the 2017 rule
        both conditions; before 2017 the 2012 composite-CV rule, ``params["standard"]`` says which)
        (+ ``.school_rule``, ``.cv_rule``, per stage ``.<stage>``),
        ``resources.compliant_share[.<stage>]``, ``resources.n_sections.<stage>``,
        ``resources.n_not_compliant.<stage>``, ``resources.cv_indicators_failing.<stage>``,
        ``resources.composite_cv.<stage>``, ``resources.cv.<stage>.<L>``, ``resources.students_compulsory``,
        ``resources.monitoring_share``, and with a plan ``resources.plan.total_cost`` (yuan; ``params``: the
        gap, the schools and sections changed, whether both conditions hold after it)."""
        out: dict[str, Figure] = {}

        def add(key: str, value: Any, kind: str, **params: Any) -> None:
            out[key] = Figure(key=key, value=value, kind=kind, params=params)

        ov = self.overview
        if len(ov):
            add("resources.students_compulsory", float(ov.loc[ov["stage"].isin(STAGES), "students"].sum()), "count")
        v = self.verdict
        if v is not None:
            add("resources.verdict", v.verdict, "verdict", n_sections=v.n_sections,
                n_not_compliant=v.n_not_compliant, standard="quality_2017")
            add("resources.verdict.school_rule", v.school_rule, "verdict", n_sections=v.n_sections,
                n_not_compliant=v.n_not_compliant)
            add("resources.verdict.cv_rule", v.cv_verdict, "verdict",
                failing=[{"stage": st, **f} for st, s in v.stages.items() for f in s.cv_failing])
            n = sum(s.n_sections for s in v.stages.values())
            if n:
                add("resources.compliant_share", sum(s.n_compliant for s in v.stages.values()) / n, "rate",
                    n_sections=n)
            for st, s in v.stages.items():
                p = dict(stage=st, n_sections=s.n_sections, n_not_compliant=s.n_not_compliant)
                add(f"resources.verdict.{st}", s.verdict, "verdict", **p)
                add(f"resources.verdict.school_rule.{st}", s.school_rule, "verdict", **p)
                add(f"resources.verdict.cv_rule.{st}", s.cv_verdict, "verdict", stage=st,
                    failing=[dict(f) for f in s.cv_failing])
                add(f"resources.compliant_share.{st}", s.compliant_share, "rate", **p)
                add(f"resources.n_sections.{st}", s.n_sections, "count", stage=st)
                add(f"resources.n_not_compliant.{st}", s.n_not_compliant, "count", stage=st)
                add(f"resources.cv_indicators_failing.{st}", len(s.cv_failing), "count", stage=st,
                    indicators=[f["indicator"] for f in s.cv_failing])
        elif self.basic_cv_verdict is not None:  # before 2017: the 2012 composite-CV rule is the verdict
            add("resources.verdict", self.basic_cv_verdict, "verdict", standard="basic_2012")
            add("resources.verdict.basic_2012", self.basic_cv_verdict, "verdict", standard="basic_2012")
        for st, c in self.composite_cv.items():
            add(f"resources.composite_cv.{st}", c, "cv", stage=st)
        if len(self.cv):
            for r in self.cv[self.cv["indicator"] != "composite"].itertuples():
                add(f"resources.cv.{r.stage}.{r.indicator}", r.cv_weighted, "cv", stage=r.stage,
                    indicator=r.indicator, limit=None if pd.isna(r.limit) else float(r.limit))
        p = self.plan
        if p is not None:
            changed = p.sections.loc[p.sections["changed"]]
            add("resources.plan.total_cost", float(p.total_cost), "money", gap=float(p.gap), status=p.status,
                n_schools=int(changed["school_id"].nunique()), n_sections=int(p.n_sections_changed),
                all_compliant=bool(p.all_compliant), cv_rule_met=bool(p.cv_rule_met),
                budget=None if p.budget is None else float(p.budget))
        if self.monitoring is not None:
            add("resources.monitoring_share", self.monitoring.share_of_schools, "rate",
                target=self.monitoring.target, example=bool(self.monitoring_points_are_example))
        return out


# ---------------------------------------------------------------------------------------------
# helpers

def _overview(schools: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Students, schools and teachers per stage (schools counted once per stage they teach); schools by type."""
    rows = []
    for stage in _OVERVIEW_STAGES:
        sc, tc = f"students_{stage}", f"teachers_{stage}"
        if sc not in schools:
            continue
        s = pd.to_numeric(schools[sc], errors="raise").fillna(0)
        has = s > 0
        if not has.any():
            continue
        teachers = (pd.to_numeric(schools[tc], errors="raise") if tc in schools
                    else pd.Series(np.nan, index=schools.index))
        rows.append({"stage": stage, "n_schools": int(has.sum()), "students": float(s.sum()),
                     "teachers": float(teachers[has].sum()) if teachers[has].notna().any() else np.nan})
    by_type = (schools.groupby("school_type", observed=True).size().rename("n_schools").reset_index()
               .sort_values("n_schools", ascending=False, kind="stable").reset_index(drop=True))
    by_type["school_type"] = by_type["school_type"].astype(str)
    return pd.DataFrame(rows, columns=["stage", "n_schools", "students", "teachers"]), by_type


def _other_resources(schools: pd.DataFrame) -> pd.DataFrame:
    rows = []
    frame = schools.copy()
    frame["students_compulsory"] = sum(pd.to_numeric(frame.get(f"students_{s}", 0)).fillna(0) for s in STAGES)
    frame = frame[frame["students_compulsory"] > 0]
    for name, (col, per) in _OTHER_RESOURCES.items():
        if col is None:
            if name not in frame or frame[name].isna().all():
                continue
            values = pd.to_numeric(frame[name])
        else:
            if col not in frame or frame[col].isna().all():
                continue
            values = pd.to_numeric(frame[col]) * per / frame["students_compulsory"]
        sub = pd.DataFrame({"value": values, "students": frame["students_compulsory"]}).dropna()
        if len(sub) < 2:
            continue
        rows.append({"stage": "compulsory", "resource": name,
                     "mean": float(np.average(sub["value"], weights=sub["students"])),
                     "coefficient_of_variation": coefficient_of_variation(sub, value="value", weight="students"),
                     "n_schools": len(sub), "n_missing": int(len(frame) - len(sub))})
    return pd.DataFrame(rows, columns=["stage", "resource", "mean", "coefficient_of_variation", "n_schools",
                                       "n_missing"])


def _strip(df: pd.DataFrame | None) -> pd.DataFrame:
    """Drop display-text columns of metrics tables (the catalogue names indicators and items by code)."""
    if df is None:
        return pd.DataFrame()
    return df.drop(columns=[c for c in _TEXT_COLUMNS + ["source_note"] if c in df.columns]).reset_index(drop=True)


def _cv_table(a, au) -> pd.DataFrame:
    cv = compare_assessments(a, au)
    if hasattr(a, "table") and {"n_sections", "sd"} <= set(a.table.columns):
        stats = a.table.set_index(["stage", "indicator"])[["n_sections", "sd"]]
        cv = cv.join(stats, on=["stage", "indicator"])
        cv["n_sections"] = cv["n_sections"].astype("Float64")
    cols = ["standard", "stage", "indicator", "n_sections", "mean", "sd", "cv_weighted", "cv_unweighted", "limit",
            "passes_weighted", "passes_unweighted", "verdict_flips"]
    cv["limit"] = pd.to_numeric(cv["limit"], errors="coerce").astype("float64")
    return _strip(cv[[c for c in cols if c in cv.columns]])


def _partial_cvs(with_students: pd.DataFrame, weighted: bool) -> pd.DataFrame:
    """CVs of the indicators available for every section of a stage (NaN for the others)."""
    rows = []
    for st in STAGES:
        sub = with_students[with_students["stage"] == st]
        if sub.empty:
            continue
        for k in INDICATOR_KEYS:
            cv = (coefficient_of_variation(sub, value=k, weight="students" if weighted else None)
                  if sub[k].notna().all() else np.nan)
            rows.append({"stage": st, "indicator": k, "coefficient_of_variation": cv})
    return pd.DataFrame(rows, columns=["stage", "indicator", "coefficient_of_variation"])


def _partial_cv_table(with_students: pd.DataFrame, tw: pd.DataFrame, tu: pd.DataFrame) -> pd.DataFrame:
    """The CV table when an indicator is missing: the available indicators' CVs (NaN for the missing one),
    no composite rows (a mean over fewer than seven CVs is not the composite)."""
    rows = []
    for (st, k, cw), cu in zip(tw.itertuples(index=False), tu["coefficient_of_variation"]):
        sub = with_students[with_students["stage"] == st]
        lim = QUALITY_CV_LIMITS[st].value
        x = pd.to_numeric(sub[k]).to_numpy(dtype="float64")
        w = pd.to_numeric(sub["students"]).to_numpy(dtype="float64")
        ok = not np.isnan(x).any()
        mean = float(np.sum(w * x) / w.sum()) if ok else np.nan
        sd = float(np.sqrt(np.sum((w / w.sum()) * (x - mean) ** 2))) if ok else np.nan
        pw = pd.NA if pd.isna(cw) else bool(cw <= lim)
        pu = pd.NA if pd.isna(cu) else bool(cu <= lim)
        rows.append({"standard": "quality_2017", "stage": st, "indicator": k, "n_sections": float(len(sub)),
                     "mean": mean, "sd": sd, "cv_weighted": cw, "cv_unweighted": cu, "limit": lim,
                     "passes_weighted": pw, "passes_unweighted": pu,
                     "verdict_flips": pd.NA if pd.isna(cw) or pd.isna(cu) else pw != pu})
    out = pd.DataFrame(rows)
    out["n_sections"] = out["n_sections"].astype("Float64")
    for c in ("passes_weighted", "passes_unweighted", "verdict_flips"):
        out[c] = out[c].astype("boolean")
    return out


def _in_need(compliance: pd.DataFrame, least: pd.DataFrame) -> pd.DataFrame:
    bad = compliance[compliance["state"] == "not_met"]
    if bad.empty:
        return bad.assign(min_ratio=pd.Series(dtype="float64")).reset_index(drop=True)
    out = bad.join(least)
    out["min_ratio"] = out[[f"{k}_ratio" for k in INDICATOR_KEYS]].min(axis=1)
    out = out.sort_values(["distance", "n_met", "school_id", "stage"], ascending=[False, True, True, True],
                          kind="stable", na_position="last")
    return out.reset_index(drop=True)


def _plan(ind_y: pd.DataFrame, settings: Settings):
    """The county plan of one county-year's sections (the indicators the verdict used).

    The solver's wall time (``solve_seconds``) is not kept (NaN): results, their store and the metrics JSON
    must be the same on every run of the same data."""
    import dataclasses

    from lyganalysis.metrics.plan import county_plan

    plan = county_plan(ind_y.reset_index(drop=True), costs=settings.plan_costs, budget=settings.plan_budget,
                       weighted=settings.weighted_cv, mip_rel_gap=settings.plan_mip_rel_gap)
    return dataclasses.replace(plan, solve_seconds=float("nan"))


def section_indicators(ds, *, school_year: int, settings: Settings | None = None) -> pd.DataFrame:
    """The assessed school sections of every county with their 优质均衡 indicators, in one pass.

    For the city overview (inequality between and within counties): the same sections and values the
    county verdicts use (2017 scope, ``Settings.teaching_point_rule``, sections with pupils).

    Returns
    -------
    DataFrame, one row per section: ``county, county_code, school_id, school_name, school_type, locale,
    school_year, stage, students, L1`` … ``L7``.
    """
    settings = settings or Settings()
    sch = ds.schools[ds.schools["school_year"] == int(school_year)]
    sections = school_sections(sch, small_teaching_point_rule=settings.teaching_point_rule,
                               min_teaching_point_students=settings.teaching_point_min_students)
    ind = quality_balance_indicators(sections) if len(sections) else sections
    ind = ind[pd.to_numeric(ind["students"]) > 0]
    cols = ["county", "county_code", "school_id", "school_name", "school_type", "locale", "school_year", "stage",
            "students", *INDICATOR_KEYS]
    return ind[[c for c in cols if c in ind.columns]].reset_index(drop=True)


def verdicts_frame(results: dict) -> pd.DataFrame:
    """The verdict of every county, one row per county × stage (for the index and the city scorecard).

    Parameters
    ----------
    results : dict county → ResourcesResult (what ``analyse(ds, county=None, …)`` returns)

    Returns
    -------
    DataFrame
        ``county, stage, verdict, school_rule, cv_verdict, n_sections, n_compliant, n_not_compliant,
        n_undecided, compliant_share, n_cv_indicators_failing`` plus the county's overall ``county_verdict``,
        ``county_school_rule``, ``county_cv_verdict`` (codes). Counties without a 2017 verdict have one row
        with ``stage`` None and the codes None.
    """
    parts = []
    for c, r in results.items():
        f = r.to_frame()
        if not len(f):
            f = pd.DataFrame([{"stage": None}])
        f.insert(0, "county", c)
        v = r.verdict
        f["county_verdict"] = v.verdict if v is not None else None
        f["county_school_rule"] = v.school_rule if v is not None else None
        f["county_cv_verdict"] = v.cv_verdict if v is not None else None
        parts.append(f)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


# ---------------------------------------------------------------------------------------------
# main entry

def analyse(ds, *, county: str | None = None, school_year: int, settings: Settings | None = None,
            monitoring_points: pd.DataFrame | None = None):
    """The resources topic for one county (``ResourcesResult``) or every county (``dict[county, result]``).

    Parameters
    ----------
    ds : lyganalysis.datasets.Dataset
    county : str, optional
        None: every county with schools in ``school_year``.
    school_year : int
    settings : Settings, optional
        Uses ``weighted_cv``, ``balance_standard``, ``teaching_point_rule``, ``teaching_point_min_students``,
        ``min_sections_for_cv``, ``class_size_rule``, and for the plan ``with_plan``, ``plan_costs``,
        ``plan_budget``, ``plan_mip_rel_gap``.
    monitoring_points : DataFrame, optional
        The monitoring-point list (default: the EXAMPLE list shipped with the package, not the official one).

    Raises
    ------
    KeyError
        ``county`` not in the data.
    """
    settings = settings or Settings()
    school_year = int(school_year)
    schools_all = ds.schools
    if county is not None and county not in set(schools_all["county"]):
        raise KeyError(f"county {county!r} is not in the data; counties: {ds.counties()}")
    wanted = [county] if county is not None else [
        c for c in ds.counties() if ((schools_all["county"] == c) & (schools_all["school_year"] == school_year)).any()]
    profile = profile_of(ds)
    cur = schools_all[schools_all["school_year"] == school_year]
    results: dict[str, ResourcesResult] = {}
    missing_cols = [c for c in _NEEDED if c not in schools_all.columns]
    applies = profile.chinese_standards and not missing_cols
    base = {}
    for c in wanted:
        sub = cur[cur["county"] == c]
        overview, by_type = _overview(sub)
        base[c] = dict(county=c, school_year=school_year, overview=overview, schools_by_type=by_type,
                       other_resources=_other_resources(sub), settings=settings.to_dict())
    if not applies:
        for c in wanted:
            reason = ("standards_not_applicable" if not profile.chinese_standards else "missing_columns")
            u = not_computed(SECTION, "resource_balance", f"res_{reason}", columns=missing_cols)
            results[c] = ResourcesResult(**base[c], applies=False, standard="none", years=(), unavailable=(u,))
        return results if county is None else results[county]

    rule = select_standard(school_year, settings.balance_standard)
    years_all = sorted(int(y) for y in schools_all["school_year"].unique() if int(y) <= school_year)
    sch = schools_all[schools_all["county"].isin(wanted) & schools_all["school_year"].isin(years_all)]
    teachers = ds.teachers
    if teachers is not None:
        teachers = teachers[teachers["school_id"].isin(set(sch["school_id"]))]
    # --- one pass over every county and year: sections, indicators, compliance, least additions
    sections = school_sections(sch, teachers=teachers, small_teaching_point_rule=settings.teaching_point_rule,
                               min_teaching_point_students=settings.teaching_point_min_students)
    ind = basic_balance_indicators(quality_balance_indicators(sections))
    comp_all = school_compliance(ind)
    comp_all["state"] = section_compliance_state(comp_all)
    least_all = least_to_comply(comp_all, ind)
    points = monitoring_points if monitoring_points is not None else example_monitoring_points()
    by_cy = {k: g for k, g in ind.groupby(["county", "school_year"], sort=False)}

    for c in wanted:
        unavailable: list[NotComputed] = []
        csch = sch[sch["county"] == c]
        years = tuple(sorted(int(y) for y in csch["school_year"].unique()))
        try:
            g = guarantee_checks(csch, class_size_rule=settings.class_size_rule)
        except ValueError as exc:
            g = None
            unavailable.append(not_computed(SECTION, "government_guarantee", "res_guarantee_unavailable",
                                            error=str(exc)))
        cv_tables, share_rows = {}, []
        cur_parts: dict[str, Any] = {}
        missing_now = False
        monitoring = None
        for y in years:
            is_cur = y == school_year
            ind_y = by_cy.get((c, y))
            if ind_y is None or ind_y.empty:
                if is_cur:
                    unavailable.append(not_computed(SECTION, "balance", "res_no_sections"))
                continue
            with_students = ind_y[pd.to_numeric(ind_y["students"]) > 0]
            if with_students.empty:
                if is_cur:
                    unavailable.append(not_computed(SECTION, "balance", "res_no_sections"))
                continue
            missing_l = [k for k in INDICATOR_KEYS if with_students[k].isna().any()]
            missing_b = [k for k in BASIC_KEYS if with_students[k].isna().any()]
            comp_y = comp_all.loc[ind_y.index]
            comp_y = comp_y[pd.to_numeric(comp_y["students"]) > 0]
            parts: dict[str, Any] = {"compliance": comp_y, "least": least_all.loc[comp_y.index]}
            if is_cur:
                for k in missing_l:
                    unavailable.append(not_computed(SECTION, k, "res_missing_indicator",
                                                    column=QUALITY_INDICATORS[k].numerator,
                                                    n_sections=int(with_students[k].isna().sum())))
                for k in missing_b:
                    unavailable.append(not_computed(SECTION, f"{k}_2012", "res_missing_indicator_2012", indicator=k,
                                                    n_sections=int(with_students[k].isna().sum())))
            if len(missing_b) < len(BASIC_KEYS) and (rule == "basic_2012" or is_cur):
                ba, bu = (balance_assessment(ind_y, standard="basic_2012", weighted=w) for w in (True, False))
                parts["cv_basic"] = _cv_table(ba, bu)
                if rule == "basic_2012":
                    parts["cv"], parts["a"] = parts["cv_basic"], ba
            if rule == "quality_2017":
                if not missing_l:
                    a, au = (balance_assessment(ind_y, standard=rule, weighted=w) for w in (True, False))
                    parts["cv"], parts["a"] = _cv_table(a, au), a
                    tw = a.table[["stage", "indicator", "coefficient_of_variation"]]
                    tu = au.table[["stage", "indicator", "coefficient_of_variation"]]
                else:
                    tw, tu = _partial_cvs(with_students, True), _partial_cvs(with_students, False)
                    parts["cv"] = _partial_cv_table(with_students, tw, tu)
                if is_cur and not missing_l and settings.with_plan:
                    try:
                        parts["plan"] = _plan(ind_y, settings)
                    except (ValueError, RuntimeError) as exc:
                        unavailable.append(not_computed(SECTION, "plan", "res_plan_unavailable", error=str(exc)))
                if is_cur:
                    main, other = (tw, tu) if settings.weighted_cv else (tu, tw)
                    parts["verdict"] = resource_verdict(comp_y, main, min_sections_for_cv=settings.min_sections_for_cv,
                                                        weighted=settings.weighted_cv)
                    parts["verdict_unweighted"] = resource_verdict(
                        comp_y, other, min_sections_for_cv=settings.min_sections_for_cv,
                        weighted=not settings.weighted_cv)
            if parts.get("cv") is not None:
                cv_tables[y] = parts["cv"]
            decided = comp_y.dropna(subset=["compliant"])
            if not missing_l:
                for st, gg in decided.groupby("stage"):
                    share_rows.append({"school_year": y, "measure": "compliant_school_share", "stage": st,
                                       "share": float(gg["compliant"].astype(bool).mean())})
                sy = csch[csch["school_year"] == y]
                try:
                    vals = example_monitoring_values(ind_y, sy)
                    if monitoring_points is not None:
                        vals = vals[vals["point"].isin(set(points["point"]))]
                    mon = monitoring_compliance(vals, points)
                    share_rows.append({"school_year": y, "measure": "monitoring_share", "stage": "all",
                                       "share": mon.share_of_schools})
                    if is_cur:
                        monitoring = mon
                except ValueError as exc:
                    if is_cur:
                        unavailable.append(not_computed(SECTION, "monitoring_points", "res_monitoring_unavailable",
                                                        error=str(exc)))
            if is_cur:
                cur_parts = parts
                missing_now = bool(missing_l)
        guarantee = {}
        if g is not None:
            for r in g.summary.itertuples():
                share_rows.append({"school_year": int(r.school_year), "measure": r.item, "stage": "all",
                                   "share": r.share_within})

            def now(df: pd.DataFrame) -> pd.DataFrame:
                return _strip(df[df["school_year"] == school_year])
            guarantee = dict(guarantee_summary=now(g.summary), class_size_bands=now(g.bands),
                             school_size=now(g.school_size), class_size=now(g.class_size), rooms=now(g.rooms))
            for u in g.unavailable:
                unavailable.append(not_computed(SECTION, u["item"], f"res_{u['item']}"))
        if cur_parts and (cur_parts.get("cv") is None or (rule == "quality_2017" and missing_now)):
            unavailable.append(not_computed(SECTION, rule, "res_standard_not_computed", standard=rule))
        yoy_cv = (year_on_year(cv_tables, on=["stage", "indicator"], value=["cv_weighted", "cv_unweighted"])
                  if len(cv_tables) > 1 else pd.DataFrame())
        shares = pd.DataFrame(share_rows, columns=["school_year", "measure", "stage", "share"])
        yoy_share = (year_on_year({y: gg for y, gg in shares.groupby("school_year")}, on=["measure", "stage"],
                                  value="share") if shares["school_year"].nunique() > 1 else pd.DataFrame())
        if len(years) < 2:
            unavailable.append(not_computed(SECTION, "year_on_year", "res_no_previous_year"))
        comp = cur_parts.get("compliance")
        comp = comp.reset_index(drop=True) if comp is not None else pd.DataFrame()
        need = (_in_need(cur_parts["compliance"], cur_parts["least"]) if cur_parts.get("compliance") is not None
                else pd.DataFrame())
        a = cur_parts.get("a")
        basic_verdict = None
        if rule == "basic_2012" and a is not None:
            basic_verdict = "met" if a.passes else "not_met"
        results[c] = ResourcesResult(
            **base[c], applies=True, standard=rule, years=years,
            verdict=cur_parts.get("verdict"), verdict_unweighted=cur_parts.get("verdict_unweighted"),
            basic_cv_verdict=basic_verdict,
            cv=cur_parts.get("cv", pd.DataFrame()),
            composite_cv={k: float(v) for k, v in a.composite_cv.items()} if a is not None else {},
            cv_basic=cur_parts.get("cv_basic", pd.DataFrame()),
            top_contributors=_strip(a.top_contributors) if a is not None else pd.DataFrame(),
            compliance=comp, schools_in_need=need, plan=cur_parts.get("plan"), **guarantee, class_size_rule=settings.class_size_rule,
            monitoring=monitoring, monitoring_points=_strip(points),
            monitoring_points_are_example=monitoring_points is None,
            year_on_year_cv=yoy_cv, year_on_year_compliance=yoy_share, unavailable=tuple(unavailable))
    return results if county is None else results[county]
