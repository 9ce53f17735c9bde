"""The forms a county submits, computed from a dataset in one call.

:func:`county_inputs` computes, for one county and school year, the plain inputs of the three forms
(the indicators of every school section, the 差异系数 sheet, the school compliance, the readiness
verdicts and the survey satisfaction); :func:`county_forms` writes 差异系数计算表.xlsx, 学校指标表.xlsx
and 自评报告.docx from them. Callers that already hold these results (the analysis layer) call
:func:`lyganalysis.forms.cv_sheet.write_cv_sheet`, :func:`lyganalysis.forms.school_form.write_school_form`
and :func:`lyganalysis.forms.self_evaluation.write_self_evaluation` directly.
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

__all__ = ["FORM_FILES", "CountyInputs", "county_inputs", "county_forms"]

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
    inp = county_inputs(ds, county, school_year, settings=settings)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return {
        "cv_sheet": write_cv_sheet(inp.cv, out / FORM_FILES["cv_sheet"], layout=layouts.get("cv_sheet")),
        "school_form": write_school_form(inp.compliance, out / FORM_FILES["school_form"],
                                         layout=layouts.get("school_form")),
        "self_evaluation": write_self_evaluation(
            out / FORM_FILES["self_evaluation"], readiness=inp.readiness, resource=inp.resource,
            cv_summary=inp.cv.to_frame(), compliance=inp.compliance, satisfaction=inp.satisfaction,
            county=county, school_year=inp.school_year, layout=layouts.get("self_evaluation")),
    }
