"""The forms a county submits: from a dataset in one call, or from the analysis results a report holds.

:func:`county_inputs` computes, for one county and school year, the plain inputs of the three forms
(the indicators of every school section, the 差异系数 sheet, the school compliance, the readiness
verdicts and the survey satisfaction); :func:`county_forms` writes 差异系数计算表.xlsx, 学校指标表.xlsx
and 自评报告.docx from them (the CLI ``lyganalysis form``).

:func:`inputs_from_results` takes the same inputs from a :class:`lyganalysis.analysis.CountyResults`
(nothing recomputed from the data: the sections, their indicators and compliance, the verdict, the plan and
the readiness are the ones the county page shows) and :func:`forms_from_results` writes the three forms from
them (the batch); the school form then carries the plan's additions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from lyganalysis.forms.cv_sheet import CVSheet, cv_sheet, write_cv_sheet
from lyganalysis.forms.school_form import write_school_form
from lyganalysis.forms.self_evaluation import resource_verdict, write_self_evaluation

if TYPE_CHECKING:  # pragma: no cover
    from lyganalysis.analysis.readiness import InspectionSettings, ReadinessResult
    from lyganalysis.datasets import Dataset

__all__ = ["FORM_FILES", "CountyInputs", "county_inputs", "county_forms", "inputs_from_results",
           "forms_from_results"]

FORM_FILES: Mapping[str, str] = {"cv_sheet": "差异系数计算表.xlsx", "school_form": "学校指标表.xlsx",
                                 "self_evaluation": "自评报告.docx"}
"""Form name → file name written by :func:`county_forms`."""


@dataclass(frozen=True)
class CountyInputs:
    """Inputs of the three forms for one county-year (see :func:`county_inputs`)."""

    county: str
    school_year: int
    indicators: pd.DataFrame
    cv: CVSheet
    compliance: pd.DataFrame
    readiness: ReadinessResult
    resource: Mapping[str, Any]
    satisfaction: pd.DataFrame | None

    def to_frame(self) -> pd.DataFrame:
        """The CV summary (:meth:`CVSheet.to_frame`)."""
        return self.cv.to_frame()


def county_inputs(ds: Dataset, county: str, school_year: int | None = None, *,
                  settings: InspectionSettings | None = None) -> CountyInputs:
    """Compute the inputs of the forms of one county and school year from a dataset.

    Sections: ``balance.school_sections(schools, teachers=teachers)`` of the county-year (default rules),
    indicators by ``balance.quality_balance_indicators``, compliance by ``balance.school_compliance``,
    the 差异系数 sheet by :func:`lyganalysis.forms.cv_sheet.cv_sheet`, readiness by
    :func:`lyganalysis.analysis.readiness.county_readiness` and satisfaction by
    :func:`lyganalysis.metrics.survey.satisfaction` with the settings' options (when the dataset has a survey
    of the county-year).

    Parameters
    ----------
    ds : Dataset
    county : str
    school_year : int, optional
        Default: the latest school year of the dataset.
    settings : InspectionSettings, optional

    Raises
    ------
    KeyError
        ``county`` not in the dataset.
    ValueError
        No school of the county in ``school_year``.
    """
    from lyganalysis.analysis.readiness import InspectionSettings, county_readiness
    from lyganalysis.metrics import balance

    settings = settings or InspectionSettings()
    if county not in set(ds.schools["county"]):
        raise KeyError(f"county {county!r} not in dataset {ds.name!r}; counties: {ds.counties()}")
    year = int(school_year) if school_year is not None else max(ds.school_years())
    sch = ds.schools[(ds.schools["county"] == county) & (ds.schools["school_year"] == year)]
    if sch.empty:
        raise ValueError(f"no school of {county} in school year {year}; years in the data: {ds.school_years()}")
    teachers = None
    if ds.teachers is not None:
        teachers = ds.teachers[(ds.teachers["school_year"] == year) & ds.teachers["school_id"].isin(sch["school_id"])]
    ind = balance.quality_balance_indicators(balance.school_sections(sch, teachers=teachers))
    sheet = cv_sheet(ind)
    comp = balance.school_compliance(ind)
    ready = county_readiness(ds, county, year, settings=settings)
    sat = None
    survey = getattr(ds, "survey", None)
    if survey is not None:
        sub = survey[(survey["county"] == county) & (survey["school_year"] == year)]
        if len(sub):
            from lyganalysis.metrics.survey import satisfaction

            sat = satisfaction(sub, top=settings.survey_top, weights=settings.survey_weights).to_frame()
    return CountyInputs(county=county, school_year=year, indicators=ind, cv=sheet, compliance=comp,
                        readiness=ready, resource=resource_verdict(comp, sheet.to_frame()), satisfaction=sat)


def county_forms(ds: Dataset, county: str, school_year: int | None, out_dir: str | Path, *,
                 settings: InspectionSettings | None = None,
                 layouts: Mapping[str, str | Path] | None = None) -> dict[str, Path]:
    """Write the three forms of one county and school year into ``out_dir``.

    Files (:data:`FORM_FILES`): 差异系数计算表.xlsx, 学校指标表.xlsx, 自评报告.docx.

    Parameters
    ----------
    ds, county, school_year, settings
        As :func:`county_inputs`.
    out_dir : path
        Created if needed.
    layouts : mapping form name → layout file, optional
        Replacement layouts (keys of :data:`FORM_FILES`).

    Returns
    -------
    dict form name → Path
    """
    layouts = dict(layouts or {})
    unknown = set(layouts) - set(FORM_FILES)
    if unknown:
        raise ValueError(f"layouts: unknown form(s) {sorted(unknown)}; expected {list(FORM_FILES)}")
    return _write(county_inputs(ds, county, school_year, settings=settings), out_dir, layouts)


def _plan_columns(compliance: pd.DataFrame, plan) -> pd.DataFrame:
    """``compliance`` with the plan's ``add_<kind>`` columns and ``plan_cost`` per section (0 where the plan adds
    nothing; physical additions of a combined school repeated on each of its sections)."""
    from lyganalysis.metrics.plan import ADDITION_COLUMNS

    t = plan.sections[["school_id", "stage", *ADDITION_COLUMNS, "cost"]].rename(columns={"cost": "plan_cost"})
    t = t.assign(school_id=t["school_id"].astype(str), stage=t["stage"].astype(str))
    out = compliance.assign(_sid=compliance["school_id"].astype(str), _st=compliance["stage"].astype(str))
    out = out.merge(t.rename(columns={"school_id": "_sid", "stage": "_st"}), on=["_sid", "_st"], how="left",
                    validate="one_to_one")
    cols = [*ADDITION_COLUMNS, "plan_cost"]
    out[cols] = out[cols].fillna(0.0)
    return out.drop(columns=["_sid", "_st"])


def _resource_mapping(verdict, compliance: pd.DataFrame, cv_summary: pd.DataFrame) -> dict:
    """The verdict the page shows as the self-evaluation's mapping; from the tables when it is undecided."""
    if verdict is None or any(x not in ("met", "not_met") for x in (verdict.verdict, verdict.school_rule,
                                                                        verdict.cv_verdict)):
        return resource_verdict(compliance, cv_summary)
    out: dict[str, Any] = {st: {"n_sections": int(s.n_sections), "n_not_compliant": int(s.n_not_compliant),
                                "cv_failing": tuple(f["indicator"] for f in s.cv_failing)}
                           for st, s in verdict.stages.items()}
    out.update(verdict=verdict.verdict, school_rule=verdict.school_rule, cv_verdict=verdict.cv_verdict)
    return out


def inputs_from_results(results, *, survey: pd.DataFrame | None = None,
                        settings: InspectionSettings | None = None) -> CountyInputs:
    """The inputs of the three forms from a county's analysis results (nothing recomputed from the data).

    Sections and indicators: ``results.resources.compliance`` (the assessed sections with students, their
    L1…L7 values, thresholds and compliance, as the verdict used them); the 差异系数 sheet is the terms of those
    values (:func:`lyganalysis.forms.cv_sheet.cv_sheet`); with a plan (``results.resources.plan``) the
    compliance carries its ``add_<kind>`` columns and ``plan_cost``; the verdict is the page's
    (``results.resources.verdict``); readiness is ``results.readiness``.

    Parameters
    ----------
    results : lyganalysis.analysis.CountyResults
    survey : DataFrame, optional
        The long survey table (``ds.survey``): the satisfaction table of the self-evaluation is computed from
        its rows of the county-year (the results hold only its figures); None: the clerk's placeholder.
    settings : InspectionSettings, optional
        ``survey_top`` and ``survey_weights`` for the satisfaction table.

    Raises
    ------
    ValueError
        The results have no resources verdict under the 2017 rule (the Chinese standards do not apply, an
        indicator is missing) or no readiness.
    """
    from lyganalysis.analysis.readiness import InspectionSettings

    settings = settings or InspectionSettings()
    res = results.resources
    if res is None or not getattr(res, "applies", False) or res.standard != "quality_2017" or not len(res.compliance):
        raise ValueError(f"{results.county}: the forms need the 2017 resource assessment, which these results do "
                         "not hold (the Chinese standards do not apply, or the school year is before 2017)")
    if results.readiness is None:
        raise ValueError(f"{results.county}: the results hold no readiness table; compute them with "
                         "lyganalysis.analysis.analyse_county")
    comp = res.compliance
    sheet = cv_sheet(comp)
    if res.plan is not None:
        comp = _plan_columns(comp, res.plan)
    sat = None
    if survey is not None:
        sub = survey[(survey["county"] == results.county) & (survey["school_year"] == int(results.school_year))]
        if len(sub):
            from lyganalysis.metrics.survey import satisfaction

            sat = satisfaction(sub, top=settings.survey_top, weights=settings.survey_weights).to_frame()
    return CountyInputs(county=results.county, school_year=int(results.school_year), indicators=res.compliance,
                        cv=sheet, compliance=comp, readiness=results.readiness,
                        resource=_resource_mapping(res.verdict, res.compliance, sheet.to_frame()), satisfaction=sat)


def _write(inp: CountyInputs, out_dir: str | Path, layouts: Mapping[str, str | Path] | None) -> dict[str, Path]:
    layouts = dict(layouts or {})
    unknown = set(layouts) - set(FORM_FILES)
    if unknown:
        raise ValueError(f"layouts: unknown form(s) {sorted(unknown)}; expected {list(FORM_FILES)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return {
        "cv_sheet": write_cv_sheet(inp.cv, out / FORM_FILES["cv_sheet"], layout=layouts.get("cv_sheet")),
        "school_form": write_school_form(inp.compliance, out / FORM_FILES["school_form"],
                                         layout=layouts.get("school_form")),
        "self_evaluation": write_self_evaluation(
            out / FORM_FILES["self_evaluation"], readiness=inp.readiness, resource=inp.resource,
            cv_summary=inp.cv.to_frame(), compliance=inp.compliance, satisfaction=inp.satisfaction,
            county=inp.county, school_year=inp.school_year, layout=layouts.get("self_evaluation")),
    }


def forms_from_results(results, out_dir: str | Path, *, survey: pd.DataFrame | None = None,
                       settings: InspectionSettings | None = None,
                       layouts: Mapping[str, str | Path] | None = None) -> dict[str, Path]:
    """Write the three forms (:data:`FORM_FILES`) of a county from its analysis results into ``out_dir``.

    Parameters
    ----------
    results : lyganalysis.analysis.CountyResults
    out_dir : path
        Created if needed.
    survey, settings
        As :func:`inputs_from_results`.
    layouts : mapping form name → layout file, optional
        Replacement layouts (keys of :data:`FORM_FILES`).

    Returns
    -------
    dict form name → Path

    Raises
    ------
    ValueError
        As :func:`inputs_from_results`; unknown layout keys.
    """
    return _write(inputs_from_results(results, survey=survey, settings=settings), out_dir, layouts)
