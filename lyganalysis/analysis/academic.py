"""Academic quality (学业质量): 三率一分, between-school variance, 增值评价, early warning, subject profile.

:func:`analyse` computes, for one county or every county in one grouped pass, everything the academic part
of a county report and of a school page shows, at full precision and as codes (no text, no language):

- ``county_results`` — the county's 三率一分 per grade × subject (block) with the between-school share of
  variance: ANOVA ICC(1), ICC(2) (reliability of school means) and the REML random-intercept ICC;
- ``schools`` — THE per-school table: 三率一分 per block × school with the sample SD and the interval of the
  school mean (t(n − 1) at ``Settings.confidence_level``, see :func:`school_table`), 比率分, the value-added
  effect with its interval, the early-warning mark and the change since the previous school year;
  statistics of schools with fewer than ``Settings.min_cell_size`` test-takers are withheld;
- ``value_added_models`` / ``value_added_schools`` — the random-intercept model per block (or its refusal
  as a code: too few schools, no prior scores) and the shrunken school effects with intervals;
- ``early_warning`` — the documented rules per block × school × rule with reason codes and their numbers;
  ``warning_schools`` — one row per school with the rules it hits;
- ``subjects`` — per grade × school × subject mean T score (subject profile);
- ``county_previous`` — the county's 三率一分 of the previous school year (same grade and subject).

Data with school-level results only (e.g. the Californian districts) give the enrolment-weighted county
mean per subject with its 差异系数 and the school means; the rest is "not computed" with a code.

Sources: three rates and one score, 标准分 and 比率分 — local teaching-research conventions (cut-offs in
:class:`~lyganalysis.settings.Settings`); ICC — Shrout & Fleiss (1979), Bliese (2000), Raudenbush & Bryk
(2002) ch. 4; value-added — Raudenbush & Bryk (2002) ch. 3–5, Goldstein (2011) ch. 2, and
《深化新时代教育评价改革总体方案》 (2020), which asks for value-added evaluation (探索增值评价).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lyganalysis.analysis.base import NotComputed, ResultMixin, not_computed, number_or_none
from lyganalysis.analysis.figures import Figure
from lyganalysis.metrics.academic import (
    intraclass_correlation,
    ratio_composite,
    standard_scores,
    three_rates_one_score,
)
from lyganalysis.metrics.balance import coefficient_of_variation
from lyganalysis.metrics.early_warning import RULES, early_warning
from lyganalysis.metrics.value_added import value_added
from lyganalysis.privacy import suppress_group_stats
from lyganalysis.settings import Settings, profile_of

__all__ = ["AcademicResult", "analyse", "school_table", "RULES"]

SECTION = "academic"
RATIO_WEIGHTS = (40, 30, 30)
_RATES = ["mean_score", "pass_rate", "excellence_rate", "low_score_rate"]
_SCHOOL_STATS = ["mean_score", "sd_score", "ci_low", "ci_high", "pass_rate", "excellence_rate", "low_score_rate"]
_VA_STATS = ["raw_mean", "mean_prior", "mean_residual", "raw_effect", "reliability", "effect", "effect_se",
             "effect_se_beta_known", "effect_lower", "effect_upper"]
_BLOCK = ["block", "exam", "grade", "subject"]
_SCORE_COLS = ["school_year", "exam", "grade", "subject", "school_id", "score", "full_marks", "absent",
               "prior_score"]


# ============================================================================================== result
@dataclass(frozen=True)
class AcademicResult(ResultMixin):
    """The academic-quality results of one county and school year (full precision, codes only).

    Attributes
    ----------
    county : str
    school_year : int
    previous_year : int or None
        The school year compared with (change since last year, "pass rate down" rule); None when the data
        hold no scores of ``school_year − 1`` for the county.
    source : {"student_scores", "school_results", "none"}
        What the figures rest on: student scores, school-level mean scores only, or nothing.
    min_cell_size, min_n_effective : int
        Suppression threshold, and the early-warning minimum school size actually used
        (max(``Settings.early_warning_min_n``, ``min_cell_size``): a withheld school is never assessed).
    confidence_level : float
    headline_block : str or None
        The block the headline figures come from (the profile's headline subject, else the first block).
    parameters : dict
        The conventions used (cut-offs, denominator, minimum schools, early-warning thresholds, weights).
    blocks : DataFrame
        ``block, exam, grade, subject``; ``block`` is ``"<grade>.<subject>"`` (``"<grade>.<exam>.<subject>"``
        when a grade has several exams in the year; the subject alone for school-level results).
    county_results : DataFrame
        Per block: ``n_schools, n_takers, n_absent, full_marks, mean_score, pass_rate, excellence_rate,
        low_score_rate`` (proportions in [0, 1]), ``icc1, icc2, icc_reml, icc_boundary``,
        ``coefficient_of_variation`` (school-level results: enrolment-weighted 差异系数 of school means).
    county_previous : DataFrame
        Per block: the previous year's ``n_takers, mean_score, pass_rate, excellence_rate, low_score_rate``
        (same grade and subject, the year's last exam of that grade).
    schools : DataFrame
        Per block × school (see :func:`school_table`): ``school_year, school_name, n_students, n_takers,
        n_absent, full_marks`` (counts of withheld schools missing, except a true 0), ``mean_score, sd_score, ci_low, ci_high`` (t interval), rates, ``mean_ratio,
        pass_ratio, excellence_ratio, ratio_score`` (比率分, among shown schools), ``va_effect, va_lower,
        va_upper``, ``suppressed``, ``flagged``, and the previous year's ``n_takers_previous,
        mean_score_previous, pass_rate_previous, excellence_rate_previous, low_score_rate_previous`` with
        ``mean_score_change, pass_rate_change`` (points; proportion points).
    value_added_models : DataFrame
        Per block: ``status`` ("computed" | "refused"), ``reason`` (refusal code, "" when computed),
        ``n_schools_usable, min_schools``, and for computed models ``n_schools, n_obs, beta_prior, se_prior,
        tau00, sigma2, icc_residual, boundary, converged, loglik, n_excluded, n_schools_excluded,
        excluded_<reason>``.
    value_added_schools : DataFrame
        Per block × school: :meth:`ValueAddedResult.to_frame` columns, ``school_name``, ``suppressed``.
    early_warning : DataFrame
        Per block × school × rule: ``flagged, assessed, small, reason`` (code), ``value, threshold, n,
        observed, reference, scale`` (see :mod:`lyganalysis.metrics.early_warning`); extra reason codes
        ``withheld`` (n < min_cell_size: no number shown), ``value_added_not_computed``.
    warning_schools : DataFrame
        One row per school with at least one flag: ``school_id, school_name, n_flags, n_blocks, rules``
        (the rule codes hit, comma-separated in :data:`RULES` order), ``blocks`` (comma-separated).
    subjects : DataFrame
        Per grade × school × subject: ``n, mean_score, mean_t`` (T = 50 + 10·Z within exam × subject over
        the county's test-takers), ``suppressed``.
    unavailable : tuple of NotComputed
    """

    county: str
    school_year: int
    previous_year: int | None
    source: str
    min_cell_size: int
    min_n_effective: int
    confidence_level: float
    headline_block: str | None
    parameters: dict
    blocks: pd.DataFrame
    county_results: pd.DataFrame
    county_previous: pd.DataFrame
    schools: pd.DataFrame
    value_added_models: pd.DataFrame
    value_added_schools: pd.DataFrame
    early_warning: pd.DataFrame
    warning_schools: pd.DataFrame
    subjects: pd.DataFrame
    unavailable: tuple = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """The per-school table (copy): one row per block × school."""
        return self.schools.copy()

    @property
    def n_warnings(self) -> int:
        """Number of schools flagged by at least one early-warning rule."""
        return int(len(self.warning_schools))

    def figures(self) -> dict[str, Figure]:
        """Key figures: ``academic.mean_score.<block>``, ``academic.icc.<block>`` (when computed),
        ``academic.n_warnings`` (student scores only), ``academic.headline_mean`` and
        ``academic.headline_icc`` (the headline block)."""
        out: dict[str, Figure] = {}
        cr = self.county_results
        for r in cr.to_dict(orient="records"):
            params = {"grade": _plain_grade(r.get("grade")), "subject": r["subject"], "exam": r.get("exam"),
                      "block": r["block"]}
            out[f"academic.mean_score.{r['block']}"] = Figure(f"academic.mean_score.{r['block']}",
                                                              number_or_none(r["mean_score"]), "score", params)
            if _finite(r.get("icc1")):
                out[f"academic.icc.{r['block']}"] = Figure(f"academic.icc.{r['block']}", float(r["icc1"]), "icc",
                                                           params)
            if r["block"] == self.headline_block:
                out["academic.headline_mean"] = Figure("academic.headline_mean", number_or_none(r["mean_score"]), "score",
                                                       params)
                if _finite(r.get("icc1")):
                    out["academic.headline_icc"] = Figure("academic.headline_icc", float(r["icc1"]), "icc", params)
        if self.source == "student_scores":
            out["academic.n_warnings"] = Figure("academic.n_warnings", self.n_warnings, "count", {})
        return out

    def for_school(self, school_id: str) -> dict[str, pd.DataFrame]:
        """What a school page shows for one school.

        Returns
        -------
        dict of DataFrames
            ``attainment``: the school's rows of :attr:`schools` with the county's figures beside them
            (``county_<stat>``) and the differences ``<stat>_vs_county``; ``value_added``: its rows of
            :attr:`value_added_schools`; ``warnings``: its flagged early-warning rows; ``subjects``: its
            subject profile. Empty frames when the school has no scores.

        Raises
        ------
        KeyError
            ``school_id`` has no row in this county's results and is not one of its schools.
        """
        sid = str(school_id)
        parts = self._by_school
        empty = {name: frame.iloc[0:0] for name, frame in self._school_frames().items()}
        got = {name: parts[name].get(sid, empty[name]) for name in empty}
        if got["attainment"].empty and got["early_warning"].empty:
            raise KeyError(f"school {sid!r} has no academic results in {self.county} {self.school_year}")
        ew = got["early_warning"]
        return {"attainment": got["attainment"].reset_index(drop=True),
                "value_added": got["value_added"].reset_index(drop=True),
                "warnings": ew[ew["flagged"]].reset_index(drop=True),
                "subjects": got["subjects"].reset_index(drop=True)}

    def _school_frames(self) -> dict[str, pd.DataFrame]:
        county = self.county_results[["block"] + [c for c in _RATES if c in self.county_results]]
        county = county.rename(columns={c: f"county_{c}" for c in _RATES})
        att = self.schools.merge(county, on="block", how="left")
        for c in _RATES:
            if c in att and f"county_{c}" in att:
                att[f"{c}_vs_county"] = att[c].astype("float64") - att[f"county_{c}"].astype("float64")
        return {"attainment": att, "value_added": self.value_added_schools, "early_warning": self.early_warning,
                "subjects": self.subjects}

    @cached_property
    def _by_school(self) -> dict[str, dict[str, pd.DataFrame]]:
        """The school-page frames split by school once (a county renders hundreds of school pages)."""
        return {name: {str(k): v for k, v in frame.groupby("school_id", sort=False, observed=True)}
                for name, frame in self._school_frames().items()}




def _finite(v: Any) -> bool:
    return number_or_none(v) is not None


def _plain_grade(g: Any) -> int | None:
    f = number_or_none(g)
    return None if f is None else int(f)


# ============================================================================================ helpers
def school_table(scores: pd.DataFrame, *, by: list[str], settings: Settings) -> pd.DataFrame:
    """三率一分 per group with the sample SD and the interval of the mean (one definition for every page).

    The interval of a school mean is ``mean ± t(1 − α/2, n − 1) · sd / √n`` at
    ``settings.confidence_level`` (Student's t with n − 1 degrees of freedom), not the normal 1.96:
    county schools are often small (a village school's grade may have 8 test-takers), where the normal
    interval is visibly too narrow (t(0.975, 7) = 2.36). For one test-taker the interval is undefined (NaN).

    Parameters
    ----------
    scores : DataFrame
        The ``scores`` table (one row per student × subject × exam).
    by : list of str
        Group columns, ending with the school key (e.g. ``[..., "exam", "grade", "subject", "school_id"]``).
    settings : Settings
        ``pass_cut, excellence_cut, low_cut, score_denominator, confidence_level``.

    Returns
    -------
    DataFrame
        ``by`` columns, ``n_takers`` (Int64), ``n_absent``, ``full_marks``, ``mean_score``, rates,
        ``sd_score``, ``ci_low``, ``ci_high`` (points).

    Raises
    ------
    ValueError
        As :func:`lyganalysis.metrics.academic.three_rates_one_score` (bad scores, mixed full marks).
    """
    tab = three_rates_one_score(scores, by=by, pass_cut=settings.pass_cut, excellent_cut=settings.excellence_cut,
                                low_cut=settings.low_cut, denominator=settings.score_denominator)
    taken = scores[~scores["absent"].astype(bool)]
    sd = taken.groupby(by, observed=True, sort=False)["score"].std(ddof=1).rename("sd_score").reset_index()
    tab = tab.merge(sd, on=by, how="left")
    n = tab["n_takers"].astype("float64")
    q = pd.Series(stats.t.ppf(0.5 + settings.confidence_level / 2, (n - 1).where(n > 1)), index=tab.index)
    half = q * tab["sd_score"] / np.sqrt(n.where(n > 0))
    tab["ci_low"] = tab["mean_score"] - half
    tab["ci_high"] = tab["mean_score"] + half
    tab["n_takers"] = tab["n_takers"].astype("Int64")
    return tab


def _school_names(schools: pd.DataFrame, school_year: int) -> pd.Series:
    """school_id → name (this year's name first, else the latest)."""
    s = schools.assign(_cur=(schools["school_year"] != school_year).astype(int))
    s = s.sort_values(["_cur", "school_year"], ascending=[True, False], kind="stable").drop_duplicates("school_id")
    return pd.Series(s["school_name"].astype(str).to_numpy(), index=s["school_id"].astype(str).to_numpy())


def _county_of(schools: pd.DataFrame, school_year: int) -> pd.Series:
    """school_id → county (this year's county first, else the latest year's)."""
    s = schools.assign(_cur=(schools["school_year"] != school_year).astype(int))
    s = s.sort_values(["_cur", "school_year"], ascending=[True, False], kind="stable").drop_duplicates("school_id")
    return pd.Series(s["county"].astype(str).to_numpy(), index=s["school_id"].astype(str).to_numpy())


def _parameters(settings: Settings, min_n_eff: int) -> dict:
    return {"pass_cut": settings.pass_cut, "excellent_cut": settings.excellence_cut, "low_cut": settings.low_cut,
            "denominator": settings.score_denominator, "confidence": settings.confidence_level,
            "min_schools": settings.value_added_min_schools, "icc_min_schools": settings.icc_min_schools,
            "k_sd": settings.early_warning_k_sd, "pass_drop": settings.early_warning_pass_drop,
            "min_n": settings.early_warning_min_n, "min_n_effective": min_n_eff, "value_added_method": "reml",
            "ratio_weights": list(RATIO_WEIGHTS)}


def _typed(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """An empty-safe frame with exactly ``columns`` (name → dtype) in that order."""
    out = pd.DataFrame(index=frame.index)
    for c, dt in columns.items():
        out[c] = frame[c] if c in frame.columns else pd.Series(pd.NA if dt in ("Int64", "boolean", "string")
                                                                else np.nan, index=frame.index)
        try:
            out[c] = out[c].astype(dt)
        except (TypeError, ValueError):
            pass
    return out.reset_index(drop=True)


_BLOCK_T = {"block": "string", "exam": "string", "grade": "Int64", "subject": "string"}
_COUNTY_T = {**_BLOCK_T, "n_schools": "Int64", "n_takers": "float64", "n_absent": "float64",
             "full_marks": "float64", "mean_score": "float64", "pass_rate": "float64", "excellence_rate": "float64",
             "low_score_rate": "float64", "icc1": "float64", "icc2": "float64", "icc_reml": "float64",
             "icc_boundary": "boolean", "coefficient_of_variation": "float64"}
_PREV_T = {"block": "string", "previous_exam": "string", "n_takers": "Int64", "mean_score": "float64",
           "pass_rate": "float64", "excellence_rate": "float64", "low_score_rate": "float64"}
_SCHOOLS_T = {**_BLOCK_T, "school_id": "string", "school_year": "Int64", "school_name": "string",
              "n_students": "Int64", "n_takers": "Int64", "n_absent": "Int64", "full_marks": "float64",
              "mean_score": "float64", "sd_score": "float64", "ci_low": "float64", "ci_high": "float64",
              "pass_rate": "float64", "excellence_rate": "float64", "low_score_rate": "float64",
              "mean_ratio": "float64", "pass_ratio": "float64", "excellence_ratio": "float64",
              "ratio_score": "float64", "va_effect": "float64", "va_lower": "float64", "va_upper": "float64",
              "suppressed": "bool", "flagged": "bool", "n_takers_previous": "Int64", "mean_score_previous": "float64",
              "pass_rate_previous": "float64", "excellence_rate_previous": "float64",
              "low_score_rate_previous": "float64", "mean_score_change": "float64", "pass_rate_change": "float64"}
_MODEL_T = {**_BLOCK_T, "status": "string", "reason": "string", "n_schools_usable": "Int64", "min_schools": "Int64",
            "n_schools": "Int64", "n_obs": "Int64", "beta_prior": "float64", "se_prior": "float64",
            "tau00": "float64", "sigma2": "float64", "icc_residual": "float64", "boundary": "boolean",
            "converged": "boolean", "loglik": "float64", "n_excluded": "Int64", "n_schools_excluded": "Int64",
            "excluded_absent": "Int64", "excluded_missing_outcome": "Int64", "excluded_missing_prior": "Int64",
            "excluded_missing_covariate": "Int64"}
_VA_T = {**_BLOCK_T, "school_id": "string", "school_name": "string", "n": "Int64",
         **{c: "float64" for c in _VA_STATS}, "suppressed": "bool"}
_EW_T = {**_BLOCK_T, "school_id": "string", "school_name": "string", "rule": "string", "flagged": "bool",
         "assessed": "bool", "small": "bool", "reason": "string", "value": "float64", "threshold": "float64",
         "n": "Int64", "observed": "float64", "reference": "float64", "scale": "float64"}
_WS_T = {"school_id": "string", "school_name": "string", "n_flags": "Int64", "n_blocks": "Int64", "rules": "string",
         "blocks": "string"}
_SUBJ_T = {"grade": "Int64", "school_id": "string", "school_name": "string", "exam": "string", "subject": "string",
           "n": "Int64", "mean_score": "float64", "mean_t": "float64", "suppressed": "bool"}


def _empty(types: dict[str, str]) -> pd.DataFrame:
    return _typed(pd.DataFrame(), types)


def _split(frame: pd.DataFrame, counties: list[str]) -> dict[str, pd.DataFrame]:
    """``frame`` (with a ``county`` column) split by county, every county present (empty frames too)."""
    if frame is None or frame.empty or "county" not in frame:
        return {c: frame.iloc[0:0] if frame is not None else None for c in counties}
    parts = {str(k): v for k, v in frame.groupby("county", sort=False, observed=True)}
    return {c: parts.get(c, frame.iloc[0:0]) for c in counties}


# ============================================================================================= analyse
def analyse(ds, *, county: str | None = None, school_year: int, settings: Settings | None = None):
    """Academic-quality results for one county, or for every county at once (``county=None``).

    Parameters
    ----------
    ds : lyganalysis.datasets.Dataset
        With a ``scores`` table (student × subject × exam; ``prior_score`` for value-added) or, failing that,
        ``school_results`` (school-level mean scores).
    county : str or None
        One county (returns an :class:`AcademicResult`) or None: every county with schools in
        ``school_year`` (returns ``dict[county, AcademicResult]``), computed in one grouped pass — 三率一分,
        intervals, 比率分, standard scores and early warning over all counties together, the models (ICC,
        value-added) per county × block.
    school_year : int
    settings : Settings, optional
        Cut-offs, suppression, confidence level, minimum schools, early-warning thresholds.

    Returns
    -------
    AcademicResult or dict of str → AcademicResult

    Raises
    ------
    KeyError
        ``county`` is not in the data.
    ValueError
        Bad scores (see :func:`lyganalysis.metrics.academic.three_rates_one_score`).
    """
    settings = settings or Settings()
    school_year = int(school_year)
    sch = ds.schools
    if county is not None:
        if county not in set(sch["county"]):
            raise KeyError(f"county {county!r} is not in the data; counties: {ds.counties()}")
        counties = [county]
    else:
        present = set(sch.loc[sch["school_year"] == school_year, "county"])
        counties = [c for c in ds.counties() if c in present]
    county_of = _county_of(sch, school_year)
    names = _school_names(sch, school_year)
    headline_subject = profile_of(ds).headline_subject
    k = int(settings.min_cell_size)
    min_n_eff = max(int(settings.early_warning_min_n), k)
    common = dict(school_year=school_year, min_cell_size=k, min_n_effective=min_n_eff,
                  confidence_level=float(settings.confidence_level), parameters=_parameters(settings, min_n_eff))

    out: dict[str, AcademicResult] = {}
    scores = ds.scores
    todo = list(counties)
    if scores is not None and len(scores):
        wanted_ids = set(county_of.index[county_of.isin(todo)])
        sc = scores[[c for c in _SCORE_COLS if c in scores.columns]]
        sc = sc[sc["school_year"].isin([school_year, school_year - 1]) & sc["school_id"].isin(wanted_ids)]
        sc = sc.assign(county=sc["school_id"].map(county_of))
        present_now = set(sc.loc[sc["school_year"] == school_year, "county"].unique())
        with_scores = [c for c in todo if c in present_now]
        if with_scores:
            out.update(_student_path(sc[sc["county"].isin(with_scores)], with_scores, names, settings,
                                     headline_subject, common))
        todo = [c for c in todo if c not in out]
    results = ds.school_results
    if todo and results is not None and len(results):
        r = results[(results["school_year"] == school_year)]
        r = r.assign(county=r["school_id"].astype(str).map(county_of))
        have_set = set(r["county"].unique())
        have = [c for c in todo if c in have_set]
        for c, part in _split(r[r["county"].isin(have)], have).items():
            out[c] = _results_path(c, part, names, settings, headline_subject, common)
        todo = [c for c in todo if c not in out]
    for c in todo:
        out[c] = _no_data(c, common)
    if county is not None:
        return out[county]
    return {c: out[c] for c in counties}


def _headline_block(county_results: pd.DataFrame, headline_subject: str | None) -> str | None:
    if county_results.empty:
        return None
    cr = county_results.sort_values(["grade", "subject"], kind="stable", na_position="first")
    if headline_subject is not None:
        hit = cr[cr["subject"] == headline_subject]
        if len(hit):
            return str(hit["block"].iloc[0])
    return str(cr["block"].iloc[0])


def _no_data(county: str, common: dict) -> AcademicResult:
    return AcademicResult(
        county=county, previous_year=None, source="none", headline_block=None, blocks=_empty(_BLOCK_T),
        county_results=_empty(_COUNTY_T), county_previous=_empty(_PREV_T), schools=_empty(_SCHOOLS_T),
        value_added_models=_empty(_MODEL_T), value_added_schools=_empty(_VA_T), early_warning=_empty(_EW_T),
        warning_schools=_empty(_WS_T), subjects=_empty(_SUBJ_T),
        unavailable=(not_computed(SECTION, "scores", "aca_no_scores", school_year=common["school_year"]),), **common)


# ------------------------------------------------------------------------------ school-level results
def _results_path(county: str, res: pd.DataFrame, names: pd.Series, settings: Settings,
                  headline_subject: str | None, common: dict) -> AcademicResult:
    """Only school-level mean scores: enrolment-weighted county mean and 差异系数 per subject."""
    rows = []
    for subject, sub in res.groupby("subject", sort=False):
        w = pd.to_numeric(sub["n_students"]).astype(float)
        rows.append({"block": str(subject), "exam": None, "grade": pd.NA, "subject": subject,
                     "n_schools": len(sub), "n_takers": float(w.sum()),
                     "mean_score": float(np.average(sub["mean_score"], weights=w)),
                     "coefficient_of_variation": coefficient_of_variation(sub, value="mean_score", weight="n_students")
                     if len(sub) >= 2 else np.nan})
    cr = _typed(pd.DataFrame(rows), _COUNTY_T)
    blocks = _typed(cr, _BLOCK_T)
    s = res.assign(block=res["subject"].astype(str), exam=None, grade=pd.NA,
                   school_name=res["school_id"].astype(str).map(names))
    s["n_students"] = pd.to_numeric(s["n_students"]).astype("Int64")
    s = suppress_group_stats(s, n="n_students", statistics=["mean_score"], min_cell_size=common["min_cell_size"])
    s = _typed(s, _SCHOOLS_T)
    return AcademicResult(
        county=county, previous_year=None, source="school_results",
        headline_block=_headline_block(cr, headline_subject), blocks=blocks, county_results=cr,
        county_previous=_empty(_PREV_T), schools=s, value_added_models=_empty(_MODEL_T),
        value_added_schools=_empty(_VA_T), early_warning=_empty(_EW_T), warning_schools=_empty(_WS_T),
        subjects=_empty(_SUBJ_T),
        unavailable=(not_computed(SECTION, "three_rates_and_icc", "aca_school_level_only"),), **common)


# ------------------------------------------------------------------------------------ student scores
def _student_path(sc: pd.DataFrame, counties: list[str], names: pd.Series, settings: Settings,
                  headline_subject: str | None, common: dict) -> dict[str, AcademicResult]:
    year = common["school_year"]
    k = common["min_cell_size"]
    min_n_eff = common["min_n_effective"]
    cur = sc[sc["school_year"] == year]
    prev = sc[sc["school_year"] == year - 1]
    nc: dict[str, list[NotComputed]] = {c: [] for c in counties}

    # blocks: county × exam × grade × subject
    blocks = (cur[["county", "exam", "grade", "subject"]].drop_duplicates()
              .sort_values(["county", "grade", "subject", "exam"], kind="stable").reset_index(drop=True))
    n_exams = blocks.groupby(["county", "grade"])["exam"].transform("nunique")
    blocks["block"] = [f"{int(g)}.{e}.{s}" if m > 1 else f"{int(g)}.{s}"
                       for e, g, s, m in zip(blocks["exam"], blocks["grade"], blocks["subject"], n_exams)]
    bkey = ["county", "exam", "grade", "subject"]

    # county 三率一分 (one grouped call) ---------------------------------------------------------------
    cty = three_rates_one_score(cur, by=bkey, pass_cut=settings.pass_cut, excellent_cut=settings.excellence_cut,
                                low_cut=settings.low_cut, denominator=settings.score_denominator)
    cty = cty.merge(blocks, on=bkey)

    # ICC per county × block ----------------------------------------------------------------------------
    taken = cur[~cur["absent"].astype(bool)]
    icc_rows = []
    bmap = {tuple(r[:4]): r[4] for r in blocks[bkey + ["block"]].itertuples(index=False)}
    for (c, exam, subject), sub in taken.groupby(["county", "exam", "subject"], sort=False, observed=True):
        grade = sub["grade"].iloc[0]
        block = bmap[(c, exam, grade, subject)]
        J = sub["school_id"].nunique()
        rec = {"county": c, "block": block, "n_schools": J, "icc1": np.nan, "icc2": np.nan, "icc_reml": np.nan,
               "icc_boundary": pd.NA}
        if J < settings.icc_min_schools:
            nc[c].append(not_computed(SECTION, f"icc.{block}", "aca_icc_too_few_schools", block=block,
                                      grade=int(grade), subject=subject, n_schools=J,
                                      min_schools=settings.icc_min_schools))
        else:
            try:
                a = intraclass_correlation(sub, value="score", cluster="school_id", method="anova",
                                           min_groups=settings.icc_min_schools)
                r = intraclass_correlation(sub, value="score", cluster="school_id", method="reml",
                                           min_groups=settings.icc_min_schools)
                rec.update(icc1=a.icc1, icc2=a.icc2, icc_reml=r.icc, icc_boundary=bool(r.boundary))
            except ValueError:
                nc[c].append(not_computed(SECTION, f"icc.{block}", "aca_icc_undefined", block=block,
                                          grade=int(grade), subject=subject))
        icc_rows.append(rec)
    icc = pd.DataFrame(icc_rows, columns=["county", "block", "n_schools", "icc1", "icc2", "icc_reml", "icc_boundary"])
    cty = cty.merge(icc, on=["county", "block"], how="left")
    # blocks where nobody sat the exam: no ICC row
    cty["n_schools"] = cty["n_schools"].fillna(0)
    cty = cty.sort_values(["county", "grade", "subject", "exam"], kind="stable")

    # previous year: county and school tables (same pass), matched by grade × subject --------------------
    both = school_table(sc, by=["county", "school_year", "exam", "grade", "subject", "school_id"], settings=settings)
    st_cur = both[both["school_year"] == year].drop(columns="school_year")
    st_prev = both[both["school_year"] == year - 1].drop(columns="school_year")
    last_exam = prev.groupby(["county", "grade"], observed=True)["exam"].max().rename("previous_exam").reset_index() \
        if len(prev) else pd.DataFrame(columns=["county", "grade", "previous_exam"])
    prev_sel = prev.merge(last_exam, left_on=["county", "grade", "exam"],
                          right_on=["county", "grade", "previous_exam"]) if len(prev) else prev.iloc[0:0]
    if len(prev_sel):
        cprev = three_rates_one_score(prev_sel, by=["county", "exam", "grade", "subject"],
                                      pass_cut=settings.pass_cut, excellent_cut=settings.excellence_cut,
                                      low_cut=settings.low_cut, denominator=settings.score_denominator)
        cprev = cprev.rename(columns={"exam": "previous_exam"}).merge(blocks, on=["county", "grade", "subject"])
    else:
        cprev = pd.DataFrame(columns=["county", "block", "previous_exam"])
    sprev = st_prev.merge(last_exam.rename(columns={"previous_exam": "exam"}), on=["county", "grade", "exam"])
    sprev = suppress_group_stats(sprev, n="n_takers", statistics=_SCHOOL_STATS, min_cell_size=k)

    # value-added per county × block ------------------------------------------------------------------
    model_rows, va_frames = [], []
    has_prior = "prior_score" in cur.columns
    for (c, exam, subject), sub in cur.groupby(["county", "exam", "subject"], sort=False, observed=True):
        grade = sub["grade"].iloc[0]
        block = bmap[(c, exam, grade, subject)]
        base = {"county": c, "block": block, "exam": exam, "grade": grade, "subject": subject,
                "min_schools": settings.value_added_min_schools}
        refusal, usable = None, 0
        if not has_prior or sub["prior_score"].isna().all():
            refusal = "no_prior_scores"
        else:
            ok = ~sub["absent"].astype(bool) & sub["score"].notna() & sub["prior_score"].notna()
            usable = int(sub.loc[ok, "school_id"].nunique())
            if usable < settings.value_added_min_schools:
                refusal = "too_few_schools"
        res = None
        if refusal is None:
            try:
                res = value_added(sub, value="score", prior="prior_score", cluster="school_id",
                                  min_groups=settings.value_added_min_schools,
                                  confidence=settings.confidence_level, single=())
            except ValueError:
                refusal = "model_undefined"
        if res is None:
            model_rows.append({**base, "status": "refused", "reason": refusal, "n_schools_usable": usable})
            nc[c].append(not_computed(SECTION, f"value_added.{block}", f"aca_va_{refusal}", block=block,
                                      grade=int(grade), subject=subject, n_schools=usable,
                                      min_schools=settings.value_added_min_schools))
            continue
        model_rows.append({**base, "status": "computed", "reason": "", "n_schools_usable": usable,
                           "n_schools": res.n_schools, "n_obs": res.n_obs,
                           "beta_prior": res.fixed_effects["prior_score"],
                           "se_prior": res.fixed_effects_se["prior_score"], "tau00": res.tau00, "sigma2": res.sigma2,
                           "icc_residual": res.icc, "boundary": res.boundary, "converged": res.converged,
                           "loglik": res.loglik, "n_excluded": res.n_excluded_total,
                           "n_schools_excluded": res.n_schools_excluded,
                           **{f"excluded_{kk}": v for kk, v in res.n_excluded.items()}})
        f = res.to_frame()
        for col, v in base.items():
            if col != "min_schools":
                f[col] = v
        va_frames.append(f)
    models = pd.DataFrame(model_rows)
    if va_frames:
        va = pd.concat(va_frames, ignore_index=True)
        va["n"] = va["n"].astype("Int64")
        va = suppress_group_stats(va, n="n", statistics=_VA_STATS, min_cell_size=k)
    else:
        va = pd.DataFrame(columns=["county", "block", "exam", "grade", "subject", "school_id", "n", *_VA_STATS,
                                   "suppressed"])
    va["school_name"] = va["school_id"].map(names)

    # the per-school table ------------------------------------------------------------------------------
    full = st_cur.merge(blocks, on=bkey)  # unsuppressed: only for the early-warning rules
    full["n_students"] = full["n_takers"].astype("float64") + full["n_absent"].astype("float64")
    lg = suppress_group_stats(full, n="n_takers", statistics=_SCHOOL_STATS, min_cell_size=k)
    lg = ratio_composite(lg, by=["county", "exam", "subject"], weights=RATIO_WEIGHTS)
    lg = lg.merge(va[["county", "block", "school_id", "effect", "effect_lower", "effect_upper"]]
                  .rename(columns={"effect": "va_effect", "effect_lower": "va_lower", "effect_upper": "va_upper"}),
                  on=["county", "block", "school_id"], how="left")
    pv = sprev[["county", "grade", "subject", "school_id", "n_takers", *_RATES]].rename(
        columns={"n_takers": "n_takers_previous", **{c: f"{c}_previous" for c in _RATES}})
    lg = lg.merge(pv, on=["county", "grade", "subject", "school_id"], how="left")
    lg["mean_score_change"] = lg["mean_score"] - lg["mean_score_previous"]
    lg["pass_rate_change"] = lg["pass_rate"] - lg["pass_rate_previous"]
    lg["school_year"] = year
    lg["school_name"] = lg["school_id"].map(names)
    # a withheld school shows no count either: listed students and absentees would give its takers away
    lg["n_students"] = lg["n_students"].mask(lg["suppressed"] & (lg["n_students"] > 0))
    lg["n_absent"] = lg["n_absent"].astype("Int64").mask(lg["suppressed"] & (lg["n_absent"] > 0))

    # early warning: all counties in one call per exam ----------------------------------------------------
    effects = va[["county", "exam", "subject", "school_id", "effect_upper"]]
    refused = set(map(tuple, models.loc[models["status"] != "computed", ["county", "exam", "subject"]]
                      .itertuples(index=False))) if len(models) else set()
    prev_keys = set(map(tuple, sprev[["county", "grade"]].drop_duplicates().itertuples(index=False)))
    pt = st_prev.merge(last_exam.rename(columns={"previous_exam": "exam"}), on=["county", "grade", "exam"])
    pt = pt[["school_id", "county", "grade", "subject", "n_takers", "pass_rate"]]
    ew_frames = []
    for exam, this in full.groupby("exam", sort=False):
        this = this.merge(effects[effects["exam"] == exam].drop(columns="exam"), on=["county", "subject", "school_id"],
                          how="left")
        w = early_warning(this, min_n=min_n_eff, previous=pt, school="school_id", by=["county", "grade", "subject"],
                          n="n_takers", mean="mean_score", pass_rate="pass_rate", effect_upper="effect_upper",
                          k_sd=settings.early_warning_k_sd, pass_drop=settings.early_warning_pass_drop)
        w["exam"] = exam
        ew_frames.append(w)
    ew = pd.concat(ew_frames, ignore_index=True).merge(blocks, on=bkey)
    nvals = ew["n"].astype("float64")
    ew["small"] = ~(nvals >= min_n_eff)
    no_prev = np.array([(c, g) not in prev_keys for c, g in zip(ew["county"], ew["grade"])], dtype=bool)
    m = (ew["rule"] == "pass_rate_drop").to_numpy() & no_prev
    ew.loc[m, "reason"] = "no_previous"
    if refused:
        ref = np.array([(c, e, s) in refused for c, e, s in zip(ew["county"], ew["exam"], ew["subject"])], dtype=bool)
        m = (ew["rule"] == "value_added_below_zero").to_numpy() & ref & ~ew["small"].to_numpy()
        ew.loc[m, "reason"] = "value_added_not_computed"
    tiny = ~(nvals >= k)
    ew.loc[tiny, "reason"] = "withheld"
    for col in ("value", "observed", "reference", "scale"):
        ew.loc[tiny, col] = np.nan
    ew["n"] = ew["n"].mask(tiny)
    ew["school_name"] = ew["school_id"].map(names)
    ew = ew.sort_values(["county", "grade", "subject", "exam", "school_id"], kind="stable")
    flagged = ew[ew["flagged"]]
    fkeys = set(zip(flagged["county"], flagged["block"], flagged["school_id"]))
    lg["flagged"] = [(c, b, s) in fkeys for c, b, s in zip(lg["county"], lg["block"], lg["school_id"])]
    lg = lg.sort_values(["county", "grade", "subject", "exam", "school_id"], kind="stable")
    order = {r: i for i, r in enumerate(RULES)}
    if len(flagged):
        ws = flagged.groupby(["county", "school_id"], sort=False).agg(
            n_flags=("rule", "size"), n_blocks=("block", "nunique"),
            rules=("rule", lambda s: ",".join(sorted(set(s), key=order.get))),
            blocks=("block", lambda s: ",".join(dict.fromkeys(s)))).reset_index()
        ws["school_name"] = ws["school_id"].map(names)
        ws = ws.sort_values(["county", "n_flags", "school_id"], ascending=[True, False, True], kind="stable")
    else:
        ws = pd.DataFrame(columns=["county", *_WS_T])

    # subject profile: T scores within county × exam × subject -----------------------------------------------
    z = standard_scores(cur[["county", "exam", "grade", "subject", "school_id", "score", "absent"]],
                        by=["county", "exam", "subject"])
    z = z[~z["absent"].astype(bool)]
    subj = (z.groupby(["county", "exam", "grade", "school_id", "subject"], observed=True, sort=True)
            .agg(n=("t_score", "count"), mean_score=("score", "mean"), mean_t=("t_score", "mean")).reset_index())
    subj["n"] = subj["n"].astype("Int64")
    subj = suppress_group_stats(subj, n="n", statistics=["mean_score", "mean_t"], min_cell_size=k)
    subj["school_name"] = subj["school_id"].map(names)
    subj = subj.sort_values(["county", "grade", "school_id", "exam", "subject"], kind="stable")

    # split by county ---------------------------------------------------------------------------------
    parts = {name: _split(frame, counties) for name, frame in
             {"blocks": blocks, "cty": cty, "cprev": cprev, "lg": lg, "models": models, "va": va, "ew": ew,
              "ws": ws, "subj": subj, "prev": prev[["county"]]}.items()}
    out = {}
    for c in counties:
        cr = _typed(parts["cty"][c], _COUNTY_T)
        prev_c = parts["prev"][c]
        previous_year = year - 1 if len(prev_c) else None
        items = list(nc[c])
        if previous_year is None:
            items.append(not_computed(SECTION, "pass_rate_drop", "aca_no_previous_year", previous_year=year - 1))
        out[c] = AcademicResult(
            county=c, previous_year=previous_year, source="student_scores",
            headline_block=_headline_block(cr, headline_subject),
            blocks=_typed(parts["blocks"][c], _BLOCK_T), county_results=cr,
            county_previous=_typed(parts["cprev"][c], _PREV_T), schools=_typed(parts["lg"][c], _SCHOOLS_T),
            value_added_models=_typed(parts["models"][c], _MODEL_T),
            value_added_schools=_typed(parts["va"][c], _VA_T), early_warning=_typed(parts["ew"][c], _EW_T),
            warning_schools=_typed(parts["ws"][c], _WS_T), subjects=_typed(parts["subj"][c], _SUBJ_T),
            unavailable=tuple(items), **common)
    return out
