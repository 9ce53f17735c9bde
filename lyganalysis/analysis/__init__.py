"""The analysis layer: a report's figures for one county or all counties, as frozen results (no text).

Between :mod:`lyganalysis.metrics` (numbers from DataFrames) and :mod:`lyganalysis.report` (words and pages).
One function per topic, each with the same signature::

    analyse(ds, *, county=None | "赣榆区", school_year=2022, settings=Settings()) -> Result | dict[county, Result]

``county=None`` computes every county at once (grouped, not looped, where the metric allows) and returns a
dict keyed by county. Results hold numbers at full precision and codes, never display text or a language;
every table is a DataFrame attribute and ``to_frame()`` gives the main one, ``to_dict()`` the whole.
:func:`analyse_county` and :func:`compute_all` assemble the topics into :class:`CountyResults`, which the
county page, its metrics JSON, the index headline and the city overview all read: a figure is computed in
exactly one place.

Topics (the registry :data:`TOPICS`): ``resources`` (资源配置: 差异系数, school rule, the official verdict,
the least additions per school, government-guarantee checks), ``staffing`` (生师比, shortfall, structure,
rotation), ``academic`` (三率一分, between-school variance, 增值评价, early warning), ``equity`` (gaps,
inequality indices, coverage).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from lyganalysis.analysis.base import NotComputed, ResultMixin, not_computed, to_plain
from lyganalysis.settings import DatasetProfile, Settings, profile_of

__all__ = ["TOPICS", "CountyResults", "analyse_county", "compute_all", "load_or_compute", "topic", "NotComputed",
           "not_computed", "to_plain"]

TOPICS: tuple[str, ...] = ("resources", "staffing", "academic", "equity")


def topic(name: str):
    """The module of topic ``name`` (each has ``analyse(ds, *, county, school_year, settings)``)."""
    if name not in TOPICS:
        raise ValueError(f"unknown analysis topic {name!r}; topics: {TOPICS}")
    return importlib.import_module(f"lyganalysis.analysis.{name}")


@dataclass(frozen=True)
class CountyResults(ResultMixin):
    """Every result of one county report.

    Attributes
    ----------
    county, county_code, school_year : what the results are of
    dataset, simulated, description : where the data come from
    settings : Settings
    profile : DatasetProfile
    resources, staffing, academic, equity : topic results (``None`` when a topic has no data at all)
    readiness : ReadinessResult or None
        Every item of the national 优质均衡 evaluation (:mod:`lyganalysis.analysis.readiness`), fed with the
        figures the topics computed (None where the Chinese standards do not apply).
    """

    county: str
    county_code: str | None
    school_year: int
    dataset: str
    simulated: bool
    description: str
    settings: Settings
    profile: DatasetProfile
    resources: Any = None
    staffing: Any = None
    academic: Any = None
    equity: Any = None
    readiness: Any = None
    extra: dict = field(default_factory=dict)

    def topic(self, name: str) -> Any:
        """The result of topic ``name``."""
        return getattr(self, name)

    def figures(self) -> dict[str, Any]:
        """Every key figure of every topic, flat: ``{key: Figure}`` (the headline selects from these)."""
        out: dict[str, Any] = {}
        for name in TOPICS:
            r = getattr(self, name)
            if r is not None and hasattr(r, "figures"):
                out.update(r.figures())
        return out

    def not_computed(self) -> list[NotComputed]:
        """Everything the data did not allow, across topics."""
        out: list[NotComputed] = []
        for name in TOPICS:
            r = getattr(self, name)
            out.extend(getattr(r, "unavailable", ()) or ())
        return out

    def to_frame(self) -> pd.DataFrame:
        """The key figures as a frame: ``key, value, kind``."""
        rows = [{"key": k, "value": f.value, "kind": f.kind} for k, f in self.figures().items()]
        return pd.DataFrame(rows, columns=["key", "value", "kind"])


def _meta(ds, county: str, school_year: int) -> dict:
    sub = ds.schools[(ds.schools["county"] == county)]
    code = str(sub["county_code"].iloc[0]) if len(sub) and "county_code" in sub else None
    return dict(county=county, county_code=code, school_year=int(school_year), dataset=ds.name,
                simulated=bool(ds.simulated), description=getattr(ds, "description", ""))


def analyse_county(ds, *, county: str, school_year: int, settings: Settings | None = None) -> CountyResults:
    """All topics for one county and school year.

    Raises
    ------
    KeyError
        ``county`` is not in the data.
    ValueError
        The county has no school in ``school_year``.
    """
    settings = settings or Settings()
    if county not in set(ds.schools["county"]):
        raise KeyError(f"county {county!r} is not in the data; counties: {ds.counties()}")
    if not ((ds.schools["county"] == county) & (ds.schools["school_year"] == school_year)).any():
        raise ValueError(f"{county}: 数据中没有 {school_year} 学年的学校 / no schools in school year {school_year}")
    parts = {name: topic(name).analyse(ds, county=county, school_year=school_year, settings=settings)
             for name in TOPICS}
    return _with_readiness(ds, CountyResults(**_meta(ds, county, school_year), settings=settings,
                                             profile=profile_of(ds), **parts))


def compute_all(ds, *, school_year: int, settings: Settings | None = None,
                counties: list[str] | None = None) -> dict[str, CountyResults]:
    """All topics for every county (or ``counties``) in one pass per topic."""
    settings = settings or Settings()
    present = set(ds.schools.loc[ds.schools["school_year"] == school_year, "county"])
    wanted = [c for c in (counties or ds.counties()) if c in present]
    if counties is not None and 3 * len(wanted) < len(present):
        # a few counties of many (a `--county` run, a sample): the one-county path of each topic (tested equal to
        # the grouped pass) costs less than computing every county and keeping a few
        per_topic = {name: {c: topic(name).analyse(ds, county=c, school_year=school_year, settings=settings)
                            for c in wanted} for name in TOPICS}
    else:
        per_topic = {name: topic(name).analyse(ds, county=None, school_year=school_year, settings=settings)
                     for name in TOPICS}
    out = {}
    for c in wanted:
        out[c] = _with_readiness(ds, CountyResults(**_meta(ds, c, school_year), settings=settings,
                                                   profile=profile_of(ds),
                                                   **{name: per_topic[name].get(c) for name in TOPICS}))
    return out


def topic_figures_for_readiness(results: CountyResults, ds=None, settings=None) -> dict[str, Any]:
    """Figures the topic analyses computed that decide inspection items, keyed as
    :data:`lyganalysis.analysis.readiness.FIGURES` names them (so each figure has one definition).

    Parameters
    ----------
    results : CountyResults
    ds : Dataset, optional
        The data the results were computed from; needed for the G3–G5 figures (room areas and the
        exemptions read school columns the topic frames do not carry). Without it those figures are left
        to :func:`lyganalysis.analysis.readiness.county_readiness`.
    settings : InspectionSettings, optional
        With ``l4_deduct_indoor_sports`` or ``count_itinerant_in_l3`` set, the resource figures are left
        out (the topic computes the indicators without those readings).

    Returns
    -------
    dict
        From ``resources``: the CVs deciding the verdict (``cv_<L>_<stage>``, enrolment-weighted when
        ``Settings.weighted_cv``; :data:`~lyganalysis.analysis.readiness.NOT_APPLICABLE` for a stage
        without sections), ``schools_assessed``, ``schools_not_meeting_school_rule``,
        ``schools_below_<L>`` (the verdict and the compliance table), and the G3–G5 counts from its
        ``school_size`` / ``class_size`` / ``rooms`` checks with ``exemptions_applied``. From
        ``staffing``: ``rotation_rate``, ``rotation_backbone_share`` (the rotation table's ``all``
        row), ``certified_rate`` and ``training_360_completion_rate`` when the teachers table has them,
        ``schools_missing_specialists``.
    """
    from lyganalysis.analysis.readiness import NOT_APPLICABLE, InspectionSettings, school_rule_figures
    from lyganalysis.standards import QUALITY_INDICATORS

    isettings = settings or InspectionSettings()
    out: dict[str, Any] = {}
    res = results.resources
    v = getattr(res, "verdict", None) if res is not None else None
    cv = getattr(res, "cv", None)
    own_readings = isettings.l4_deduct_indoor_sports or isettings.count_itinerant_in_l3
    if v is not None and not own_readings and isinstance(cv, pd.DataFrame) and len(cv) \
            and {"stage", "indicator", "cv_weighted", "cv_unweighted"} <= set(cv.columns):
        col = "cv_weighted" if results.settings.weighted_cv else "cv_unweighted"
        stages = set(cv["stage"])
        for st in ("primary", "junior"):
            for k in QUALITY_INDICATORS:
                out[f"cv_{k}_{st}"] = NOT_APPLICABLE if st not in stages else float("nan")
        for r in cv[cv["indicator"].isin(list(QUALITY_INDICATORS))].itertuples():
            out[f"cv_{r.indicator}_{r.stage}"] = float(getattr(r, col))
        out["schools_assessed"] = int(v.n_sections)
        out["schools_not_meeting_school_rule"] = int(v.n_not_compliant)
        comp = res.compliance
        for k in QUALITY_INDICATORS:
            out[f"schools_below_{k}"] = int((comp[f"{k}_met"] == False).sum()) if f"{k}_met" in comp else None  # noqa: E712
    frames = {name: getattr(res, name, None) for name in ("school_size", "class_size", "rooms")} if res is not None else {}
    if ds is not None and all(isinstance(f, pd.DataFrame) and len(f.columns) for f in frames.values()):
        sch = ds.schools[(ds.schools["county"] == results.county) & (ds.schools["school_year"] == results.school_year)]
        out.update(school_rule_figures(sch, settings=isettings, checks=frames))
    stf = results.staffing
    if stf is not None and getattr(stf, "has_teacher_records", False):
        rot = stf.rotation
        if stf.standards_apply and len(rot) and "all" in set(rot["stage"]):
            a = rot[rot["stage"] == "all"].iloc[0]
            out["rotation_rate"] = float(a["rotation_rate"])
            out["rotation_backbone_share"] = float(a["backbone_share_of_rotated"])
        for k in ("certified_rate", "training_360_completion_rate"):
            if k in stf.scalars:
                out[k] = stf.scalars[k]
        if "n_schools_missing_specialist" in stf.scalars:
            out["schools_missing_specialists"] = int(stf.scalars["n_schools_missing_specialist"])
    return out


def _with_readiness(ds, results: CountyResults, settings=None) -> CountyResults:
    """``results`` with ``readiness`` filled (:func:`lyganalysis.analysis.readiness.county_readiness`), fed
    with the topic figures (:func:`topic_figures_for_readiness`) so no figure is computed twice."""
    if not results.profile.chinese_standards:
        return results
    import dataclasses

    from lyganalysis.analysis.readiness import county_readiness

    r = county_readiness(ds, results.county, results.school_year, settings=settings,
                         table_figures=topic_figures_for_readiness(results, ds, settings))
    return dataclasses.replace(results, readiness=r)


def load_or_compute(*, county: str, school_year: int, data_source: str = "lianyungang_demo",
                    results_dir: str = "", settings: Settings | None = None) -> CountyResults:
    """The results of one county: loaded from the batch's store, or computed here when there is none.

    Parameters
    ----------
    county, school_year : what to show
    data_source : str
        Dataset name (``lianyungang_demo``, ``caschools``) or a processed folder; used when computing.
    results_dir : str
        A county store written by ``lyganalysis report`` (empty: compute from ``data_source``).
    settings : Settings, optional
        Used when computing (a store carries the settings it was computed with).

    Raises
    ------
    ValueError
        The store holds another county or school year than asked for.
    """
    if results_dir:
        from lyganalysis.analysis import store

        r = store.load(results_dir)
        if r.county != county or int(r.school_year) != int(school_year):
            raise ValueError(f"the results store {results_dir} holds {r.county} {r.school_year}, "
                             f"not {county} {school_year}: run the batch again")
        return r
    from lyganalysis.datasets import load_dataset

    return analyse_county(load_dataset(data_source), county=county, school_year=school_year, settings=settings)
