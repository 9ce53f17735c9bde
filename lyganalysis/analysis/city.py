"""City overview (全市概览): every county side by side, between/within-county inequality, the 2022 scorecard.

``analyse_city(ds, school_year=..., settings=..., counties_results=...)`` returns :class:`CityResults`. It
reads the per-county results (:func:`lyganalysis.analysis.compute_all`) and SELECTS their figures by key — the
side-by-side table, the official resource verdict behind the recognition targets (``resources.verdict`` and its
two conditions), the rotation counts (``staffing.rotation.*``) — and never recomputes a county figure. It
computes only what is city-level:

* the Theil T (泰尔指数) of school resources (优质均衡 L1–L7 per stage, schools weighted by students) and of
  school mean scores (weighted by test-takers) split into between-county (县区之间) and within-county
  (县区内部) parts, with Gini, McLoone and P95/P5, over all schools of the city;
* the city-wide coverage table (every unit and the city row; its small-cell suppression looks at every unit at
  once, so it is one computation: the county rows equal those of each county's equity results);
* the city totals (schools, students) and the new teachers of the year (teacher keys new to the city's
  records: a move between counties is not a new teacher, so this is a city figure);
* the scorecard against the 2022 work-plan targets (:data:`lyganalysis.standards.CITY_TARGETS_2022`): met /
  close / not met with the numbers behind each verdict, or not measurable with a reason code.

The city staffing summary is the staffing topic's: ``lyganalysis.analysis.staffing.city_table(ds, *,
school_year, settings, counties_results)`` (one row per county and one for the city), shown as it is.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lyganalysis.analysis.base import NotComputed, ResultMixin, not_computed
from lyganalysis.analysis.equity import COVERAGE_COLUMNS, school_scores, score_inequality
from lyganalysis.metrics.balance import INDICATOR_KEYS, quality_balance_indicators, school_sections
from lyganalysis.metrics.coverage import coverage_table, verdict
from lyganalysis.metrics.equity import inequality_table
from lyganalysis.settings import Settings, profile_of
from lyganalysis.standards import CITY_TARGETS_2022

__all__ = ["CityResults", "analyse_city", "READINESS_COLUMNS", "SCORECARD_TARGETS", "RECOGNITION_TARGETS", "CITY_UNIT", "NEEDED_KEYS"]

CITY_UNIT = "city"
"""Unit code of the city row (tables hold codes; the page says 全市 / City)."""

SCORECARD_TARGETS = (
    "monitoring_point_school_share", "quality_kindergarten_coverage_rate", "public_affordable_kindergarten_coverage_rate",
    "disabled_placement_rate", "disabled_regular_school_share", "rotation_rate", "new_teachers", "pe_hours_per_day",
    "ganyu_national_recognition", "development_zone_provincial_recognition",
)
"""The 2022 work-plan targets in the plan's order (the first eight are in standards.CITY_TARGETS_2022)."""

COVERAGE_OF_TARGET = {
    "quality_kindergarten_coverage_rate": "quality_kindergarten_coverage",
    "public_affordable_kindergarten_coverage_rate": "public_affordable_kindergarten_coverage",
    "disabled_placement_rate": "disabled_placement_rate",
    "disabled_regular_school_share": "disabled_ordinary_school_share",
}
"""Scorecard target → coverage measure (lyganalysis.metrics.coverage)."""

RECOGNITION_TARGETS = {"ganyu_national_recognition": "赣榆区", "development_zone_provincial_recognition": "开发区"}
"""The 2022 work plan's two recognition targets and the county each names (national 优质均衡 recognition of
赣榆区, provincial recognition of 开发区). Recognition is an administrative decision: the scorecard shows the
county's official resource verdict beside it, never a verdict of its own."""

NEEDED_KEYS = {
    "resources.verdict": "combined official resource verdict (met / not_met / undecided)",
    "resources.verdict.school_rule": "every assessed section complies with the school rule",
    "resources.verdict.cv_rule": "every indicator's 差异系数 within its limit",
    "staffing.rotation.rotated": "teachers rotated this year (count)",
    "staffing.rotation.eligible": "teachers eligible for rotation (count)",
}
"""Figures the city overview selects from the county results (other topics provide them)."""

SIDE_BY_SIDE_COLUMNS = ["county", "key", "value", "code", "kind"]

READINESS_COLUMNS = ["unit", "inspection_unit", "block", "number", "key", "status", "figure", "value", "op",
                     "threshold", "profile_threshold", "value_unit", "declared_value", "sources"]
"""Columns of :attr:`CityResults.readiness`."""


@dataclass(frozen=True)
class CityResults(ResultMixin):
    """Everything the city overview shows (full precision, codes, no text).

    Attributes
    ----------
    school_year, dataset, simulated, description
    counties : tuple of str
        Counties in the data's order (county code).
    side_by_side : DataFrame
        Long: ``county, key, value`` (numeric figures, NaN otherwise), ``code`` (verdicts and other codes, ""
        otherwise), ``kind`` — every key figure of every county, selected from its results.
    verdicts : DataFrame
        One row per county: ``county, verdict, school_rule, cv_rule`` (codes; "" when the county results have
        no resource verdict) and the numeric parameters of the two conditions as ``school_rule.<name>`` /
        ``cv_rule.<name>`` columns (the numbers behind each verdict).
    decomposition : DataFrame
        ``kind`` ("resource" | "score"), ``stage, measure, grade, subject, n_units, n_missing, population, mean,
        gini, theil, theil_between, theil_within, between_share, mcloone, range_ratio`` (between = between
        counties).
    coverage : DataFrame
        Coverage of every unit and the city (unit :data:`CITY_UNIT`), columns of
        :data:`lyganalysis.analysis.equity.COVERAGE_COLUMNS`.
    scorecard : DataFrame
        One row per target × unit: ``target, unit, is_city, value, numerator, denominator, target_value,
        direction, verdict`` (met / close / not_met / not_measurable / withheld), ``reason_code``, ``year``,
        ``certainty``, ``resource_verdict``, ``school_rule``, ``cv_rule`` (codes, recognition rows only),
        ``n_unknown``, ``units_lacking`` (parameters of the coverage reason codes).
    totals : DataFrame
        One row per county and one for the city: ``unit, is_city, schools, students_primary, students_junior``.
    staffing : DataFrame
        The staffing topic's city table (empty when not available: see ``unavailable``).
    readiness : DataFrame
        The inspection readiness table, long: one row per unit × item (:data:`READINESS_COLUMNS`):
        ``unit, inspection_unit`` (False: a functional zone or 市直, not a unit of the national inspection),
        ``block, number, key, status`` (met / not_met / no_data / evidence_required / declared /
        not_applicable), the deciding check ``figure, value, op, threshold, profile_threshold, value_unit``,
        ``declared_value``, ``sources`` (source codes of the item's figures, comma-separated). Read from each
        county's ``readiness`` (:meth:`lyganalysis.analysis.readiness.ReadinessResult.to_frame`), never
        recomputed; empty when no county has one.
    readiness_blocks : DataFrame
        ``unit, inspection_unit, block, status`` per unit and block, plus ``block == "overall"``.
    min_cell_size, close_within : the settings the tables were computed with (for the page's notes)
    targets_apply : bool
        Whether the city's 2022 targets apply (the profile's ``city_targets``): no scorecard or coverage otherwise.
    unavailable : tuple of NotComputed
    """

    school_year: int
    dataset: str
    simulated: bool
    description: str
    counties: tuple
    side_by_side: pd.DataFrame
    verdicts: pd.DataFrame
    decomposition: pd.DataFrame
    coverage: pd.DataFrame
    scorecard: pd.DataFrame
    totals: pd.DataFrame
    staffing: pd.DataFrame
    readiness: pd.DataFrame = field(default_factory=pd.DataFrame)
    readiness_blocks: pd.DataFrame = field(default_factory=pd.DataFrame)
    min_cell_size: int = 5
    close_within: float = 0.05
    targets_apply: bool = True
    unavailable: tuple = ()
    #: Counties that have a page in this batch (the overview links only those; empty: all counties).
    reported: tuple = ()

    def to_frame(self) -> pd.DataFrame:
        """Counties side by side: one row per county, one column per numeric key figure."""
        s = self.side_by_side
        if s.empty:
            return pd.DataFrame(index=pd.Index(list(self.counties), name="county"))
        num = s[s["code"] == ""]
        wide = num.pivot(index="county", columns="key", values="value")
        wide = wide.reindex(index=list(self.counties), columns=list(dict.fromkeys(num["key"])))
        wide.index.name = "county"
        return wide


# ---------------------------------------------------------------------------------------------- pieces
def _side_by_side(counties_results: dict) -> pd.DataFrame:
    rows = []
    for c, res in counties_results.items():
        for key, f in res.figures().items():
            v = f.value
            numeric = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
            rows.append({"county": c, "key": key, "value": float(v) if numeric else np.nan,
                         "code": "" if numeric else ("" if v is None else str(v)), "kind": f.kind})
    out = pd.DataFrame(rows, columns=SIDE_BY_SIDE_COLUMNS)
    out["value"] = out["value"].astype("float64")
    return out


def _verdicts(counties_results: dict) -> pd.DataFrame:
    rows = []
    for c, res in counties_results.items():
        f = res.figures()
        row: dict[str, Any] = {"county": c}
        for col, key in (("verdict", "resources.verdict"), ("school_rule", "resources.verdict.school_rule"),
                         ("cv_rule", "resources.verdict.cv_rule")):
            fig = f.get(key)
            row[col] = "" if fig is None or fig.value is None else str(fig.value)
            if fig is not None and col != "verdict":
                for p, v in (fig.params or {}).items():
                    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                        row[f"{col}.{p}"] = float(v)
        rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        out = pd.DataFrame(columns=["county", "verdict", "school_rule", "cv_rule"])
    return out


def _readiness(counties_results: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The readiness tables, selected from each county's ``readiness`` result (nothing recomputed)."""
    items, blocks = [], []
    for c, res in counties_results.items():
        r = getattr(res, "readiness", None)
        if r is None:
            continue
        f = r.to_frame()
        srcs = [",".join(r.item_sources(it.key)) for it in r.items]
        items.append(pd.DataFrame({
            "unit": c, "inspection_unit": bool(r.inspection_unit), "block": f["block"], "number": f["number"],
            "key": f["key"], "status": f["status"], "figure": f["figure"], "value": f["value"], "op": f["op"],
            "threshold": f["threshold"], "profile_threshold": f["profile_threshold"],
            "value_unit": f["unit"], "declared_value": f["declared_value"], "sources": srcs}))
        for b, st in r.block_status.items():
            blocks.append({"unit": c, "inspection_unit": bool(r.inspection_unit), "block": b, "status": st})
        blocks.append({"unit": c, "inspection_unit": bool(r.inspection_unit), "block": "overall", "status": r.overall})
    if not items:
        return pd.DataFrame(columns=READINESS_COLUMNS), pd.DataFrame(columns=["unit", "inspection_unit", "block",
                                                                              "status"])
    out = pd.concat(items, ignore_index=True)[READINESS_COLUMNS]
    out["value"] = pd.to_numeric(out["value"], errors="coerce").astype("float64")
    return out, pd.DataFrame(blocks)


def _decomposition(ds, schools: pd.DataFrame, school_year: int, settings: Settings) -> pd.DataFrame:
    parts = []
    sections = school_sections(schools, small_teaching_point_rule=settings.teaching_point_rule,
                               min_teaching_point_students=settings.teaching_point_min_students)
    if len(sections):
        ind = quality_balance_indicators(sections)
        ind = ind[pd.to_numeric(ind["students"]) > 0]
        r = inequality_table(ind, values=list(INDICATOR_KEYS), weight="students", group="county", stage="stage")
        if len(r):
            r.insert(0, "kind", "resource")
            parts.append(r)
    if ds.scores is not None and len(ds.scores):
        sc = ds.scores.loc[ds.scores["school_year"] == school_year, ["school_id", "grade", "subject", "score", "absent"]]
        if len(sc):
            s = score_inequality(school_scores(sc, schools), group="county")
            if len(s):
                s.insert(0, "kind", "score")
                parts.append(s)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if "grade" in out:
        out["grade"] = out["grade"].astype("float64")
    return out


def _figure(res, key: str):
    return None if res is None else res.figures().get(key)


def _row(target: str, unit: str, is_city: bool, **kw) -> dict:
    std = CITY_TARGETS_2022.get(target)
    base = {"target": target, "unit": unit, "is_city": is_city, "value": np.nan, "numerator": np.nan,
            "denominator": np.nan, "target_value": float(std.value) if std else np.nan,
            "direction": std.direction if std else "", "verdict": "not_measurable", "reason_code": "", "year": 0,
            "certainty": std.certainty if std else "P", "resource_verdict": "", "school_rule": "", "cv_rule": "",
            "n_unknown": 0, "units_lacking": ""}
    base.update(kw)
    return base


def _scorecard(ds, cov: pd.DataFrame, counties_results: dict, counties: list, verdicts: pd.DataFrame, *,
               school_year: int, settings: Settings) -> pd.DataFrame:
    units = [(c, False) for c in counties] + [(CITY_UNIT, True)]
    cw = settings.close_within
    rows = []
    for target in SCORECARD_TARGETS:
        if target in COVERAGE_OF_TARGET:
            sub = cov[cov["key"] == COVERAGE_OF_TARGET[target]].set_index("unit")
            for u, is_city in units:
                if u not in sub.index:
                    rows.append(_row(target, u, is_city, reason_code="sc_no_data_unit"))
                    continue
                r = sub.loc[u]
                rows.append(_row(target, u, is_city, value=r["rate"], numerator=r["numerator"],
                                 denominator=r["denominator"], target_value=r["target"], verdict=r["verdict"],
                                 reason_code=r["reason_code"], n_unknown=int(r["n_unknown"]),
                                 units_lacking=str(r["units_lacking"])))
        elif target == "rotation_rate":
            std = CITY_TARGETS_2022[target]
            tot_r = tot_e = 0.0
            have = 0
            per = {}
            for c in counties:
                res = counties_results.get(c)
                fr, fe = _figure(res, "staffing.rotation.rotated"), _figure(res, "staffing.rotation.eligible")
                if fr is None or fe is None or fr.value is None or fe.value is None:
                    per[c] = None
                    continue
                per[c] = (float(fr.value), float(fe.value))
                tot_r += per[c][0]
                tot_e += per[c][1]
                have += 1
            for u, is_city in units:
                num_den = ((tot_r, tot_e) if have else None) if is_city else per.get(u)
                if num_den is None:
                    rows.append(_row(target, u, is_city, reason_code="sc_no_rotation_status"))
                    continue
                num, den = num_den
                rate = num / den if den > 0 else np.nan
                code = "" if rate == rate else "sc_no_eligible"
                if is_city and have < len(counties):
                    code = "sc_city_partial"
                rows.append(_row(target, u, is_city, value=rate, numerator=num, denominator=den,
                                 verdict=verdict(rate, std.value, close_within=cw), reason_code=code))
        elif target == "new_teachers":
            std = CITY_TARGETS_2022[target]
            prev = school_year - 1
            for u, is_city in units:
                if not is_city:
                    rows.append(_row(target, u, is_city, reason_code="sc_city_wide_only"))
                    continue
                tt = ds.teachers
                if tt is None or prev not in set(tt["school_year"]):
                    rows.append(_row(target, u, is_city, reason_code="sc_no_teachers_prev_year", year=prev))
                    continue
                new = set(tt.loc[tt["school_year"] == school_year, "teacher_key"]) - \
                    set(tt.loc[tt["school_year"] == prev, "teacher_key"])
                n = float(len(new))
                rows.append(_row(target, u, is_city, value=n, numerator=n,
                                 verdict=verdict(n, std.value, close_within=cw * std.value),
                                 reason_code="sc_new_teachers_approx"))
        elif target == "monitoring_point_school_share":
            for u, is_city in units:
                rows.append(_row(target, u, is_city, reason_code="sc_no_monitoring_points"))
        elif target == "pe_hours_per_day":
            for u, is_city in units:
                rows.append(_row(target, u, is_city, reason_code="sc_no_timetables"))
        elif target in RECOGNITION_TARGETS:
            unit = RECOGNITION_TARGETS[target]
            v = verdicts.set_index("county") if len(verdicts) else None
            kw: dict[str, Any] = {}
            if v is not None and unit in v.index:
                kw = {"resource_verdict": v.loc[unit, "verdict"], "school_rule": v.loc[unit, "school_rule"],
                      "cv_rule": v.loc[unit, "cv_rule"]}
            rows.append(_row(target, unit, False, target_value=np.nan, reason_code="sc_recognition_administrative",
                             **kw))
    out = pd.DataFrame(rows)
    for c in ("value", "numerator", "denominator", "target_value"):
        out[c] = out[c].astype("float64")
    out["year"] = out["year"].astype("int64")
    out["n_unknown"] = out["n_unknown"].astype("int64")
    return out


def _totals(schools: pd.DataFrame, counties: list) -> pd.DataFrame:
    cols = [c for c in ("students_primary", "students_junior") if c in schools.columns]
    g = schools.groupby("county", sort=False)
    per = pd.DataFrame({"schools": g["school_id"].nunique()})
    for c in cols:
        per[c] = g[c].apply(lambda s: pd.to_numeric(s).fillna(0).sum()).astype("float64")
    per = per.reindex(counties)
    city = {"schools": int(schools["school_id"].nunique()),
            **{c: float(pd.to_numeric(schools[c]).fillna(0).sum()) for c in cols}}
    out = pd.concat([per.reset_index().rename(columns={"county": "unit"}).assign(is_city=False),
                     pd.DataFrame([{"unit": CITY_UNIT, "is_city": True, **city}])], ignore_index=True)
    out["schools"] = out["schools"].fillna(0).astype("int64")
    return out[["unit", "is_city", "schools", *cols]]


def _staffing_table(ds, school_year: int, settings: Settings, counties_results: dict,
                    unavailable: list) -> pd.DataFrame:
    try:
        mod = importlib.import_module("lyganalysis.analysis.staffing")
    except ImportError:
        mod = None
    fn = getattr(mod, "city_table", None)
    if fn is None:
        unavailable.append(not_computed("city", "staffing", "city_no_staffing_table"))
        return pd.DataFrame()
    if ds.teachers is None or ds.teachers.empty:
        unavailable.append(not_computed("city", "staffing", "city_no_teacher_records"))
        return pd.DataFrame()
    return fn(ds, school_year=school_year, settings=settings, counties_results=counties_results)


# ---------------------------------------------------------------------------------------------- main
def analyse_city(ds, *, school_year: int, settings: Settings | None = None,
                 counties_results: dict | None = None) -> CityResults:
    """The city overview of ``school_year`` (see the module docstring).

    Parameters
    ----------
    ds : lyganalysis.datasets.Dataset
    school_year : int
    settings : Settings, optional
        ``min_cell_size`` and ``close_within`` (a rate this many proportion points below its target is
        "close"; for the new-teacher count, that share of the target).
    counties_results : dict of county → CountyResults, optional
        The per-county results (:func:`lyganalysis.analysis.compute_all`); computed here when None. Anything
        with a ``figures()`` method returning ``{key: Figure}`` (and an ``equity`` result) works.

    Raises
    ------
    ValueError
        No school in ``school_year``.
    """
    settings = settings or Settings()
    schools = ds.schools[ds.schools["school_year"] == school_year]
    if schools.empty:
        raise ValueError(f"数据中没有 {school_year} 学年的学校 / no schools in school year {school_year}")
    if counties_results is None:
        from lyganalysis.analysis import compute_all

        counties_results = compute_all(ds, school_year=school_year, settings=settings)
    counties = [c for c in ds.counties() if (schools["county"] == c).any()]
    unavailable: list[NotComputed] = []
    missing = [c for c in counties if c not in counties_results]
    for c in missing:
        unavailable.append(not_computed("city", f"county.{c}", "city_county_missing", county=c))

    side = _side_by_side({c: counties_results[c] for c in counties if c in counties_results})
    verdicts = _verdicts({c: counties_results[c] for c in counties if c in counties_results})
    if len(verdicts) and (verdicts["verdict"] == "").all():
        unavailable.append(not_computed("city", "resources.verdict", "city_no_resource_verdict"))
    decomposition = _decomposition(ds, schools, school_year, settings)
    cov_all = coverage_table(ds, school_year=school_year, min_cell_size=settings.min_cell_size,
                             close_within=settings.close_within, city_label=CITY_UNIT)
    # county rows: selected from each county's equity results where present (the same computation)
    parts = []
    for c in counties:
        eq = getattr(counties_results.get(c), "equity", None)
        parts.append(eq.coverage if eq is not None and len(eq.coverage) else
                     cov_all.loc[cov_all["unit"] == c, COVERAGE_COLUMNS])
    parts.append(cov_all.loc[cov_all["is_city"], COVERAGE_COLUMNS])
    cov = pd.concat([p for p in parts if len(p)], ignore_index=True)
    profile = profile_of(ds)
    if profile.city_targets:
        scorecard = _scorecard(ds, cov, counties_results, counties, verdicts, school_year=school_year,
                               settings=settings)
    else:
        scorecard = pd.DataFrame()
        unavailable.append(not_computed("city", "scorecard", "city_targets_not_applicable"))
    staffing = _staffing_table(ds, school_year, settings, counties_results, unavailable)
    ready, ready_blocks = _readiness({c: counties_results[c] for c in counties if c in counties_results})
    if ready.empty:
        unavailable.append(not_computed("city", "readiness", "city_no_readiness"))
    return CityResults(school_year=int(school_year), dataset=ds.name, simulated=bool(ds.simulated),
                       description=getattr(ds, "description", ""), counties=tuple(counties), side_by_side=side,
                       verdicts=verdicts, decomposition=decomposition, coverage=cov, scorecard=scorecard,
                       totals=_totals(schools, counties), staffing=staffing, readiness=ready,
                       readiness_blocks=ready_blocks,
                       min_cell_size=int(settings.min_cell_size), close_within=float(settings.close_within),
                       targets_apply=bool(profile.city_targets),
                       unavailable=tuple(unavailable))
