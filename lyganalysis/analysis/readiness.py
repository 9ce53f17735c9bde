"""Readiness for the national 优质均衡 inspection: every item met / not met / no data / evidence / declared.

:func:`readiness` is a pure function of a flat mapping of *figures* (key → number, bool or
:data:`NOT_APPLICABLE`), keyed as in :data:`FIGURES`. It decides each item of
:data:`lyganalysis.inspection.INSPECTION_ITEMS`:

* ``met`` / ``not_met`` — quantitative items whose figures are all present (the national threshold
  decides; the chosen profile's threshold, e.g. Jiangsu, is carried beside it);
* ``no_data`` — a figure is missing; ``missing`` names the figure keys and :data:`FIGURES` says which
  input (table column, form field, survey) would give each;
* ``evidence_required`` — documents and ratings (kind ``evidence``/``rating``): never ``met``;
* ``declared`` — veto items: what the county declared in the form (``declared_value``; ``True`` =
  the veto applies);
* ``not_applicable`` — every figure of the item is :data:`NOT_APPLICABLE` (e.g. no special school).

:func:`county_readiness` builds the figures of one county and school year from a Dataset (the
county form, the survey, county_facts, schools and teachers). Figures the topic analyses already
computed come in as ``table_figures`` (:func:`lyganalysis.analysis.topic_figures_for_readiness`)
and are not computed again; ``extra_figures`` win over every source.

Codes only: no display text (labels belong to the report layer).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from lyganalysis.inspection import (
    BLOCKS,
    INSPECTION_ITEMS,
    INSPECTION_UNITS,
    PROFILES,
    ROOM_AREA_EXEMPTIONS,
    InspectionItem,
)
from lyganalysis.standards import GOVERNMENT_GUARANTEE, QUALITY_INDICATORS

if TYPE_CHECKING:  # pragma: no cover
    from lyganalysis.datasets import Dataset
    from lyganalysis.metrics.survey import SatisfactionResult

__all__ = ["FIGURES", "NOT_APPLICABLE", "STATUSES", "SOURCES", "InspectionSettings", "CheckVerdict", "ItemVerdict",
           "ReadinessResult", "readiness", "figures_from_county_form", "figures_from_survey",
           "school_rule_figures", "teacher_figures", "county_readiness", "TABLE_FIGURE_GROUPS", "apply_l4_deduction",
           "apply_itinerant_teachers",
           "parse_room_areas"]

NOT_APPLICABLE = "not_applicable"
"""Figure value meaning "the condition does not apply to this county" (e.g. no junior schools)."""

STATUSES = ("met", "not_met", "no_data", "evidence_required", "declared", "not_applicable")

SOURCES = ("tables", "form", "survey", "county_facts", "extra")
"""Source codes of :attr:`ReadinessResult.sources`: the schools/teachers tables, the county form, the
survey, the county_facts table, figures supplied by the caller."""


def _fig(meaning: str, unit: str, source: str) -> tuple[str, str, str]:
    return (meaning, unit, source)


def _figures() -> dict[str, tuple[str, str, str]]:
    f: dict[str, tuple[str, str, str]] = {}
    for k, ind in QUALITY_INDICATORS.items():
        for st in ("primary", "junior"):
            f[f"cv_{k}_{st}"] = _fig(f"inter-school coefficient_of_variation (差异系数) of {k} ({ind.name_en}), {st}",
                                     "coefficient of variation", "tables: schools (balance.quality_balance_assessment)")
        f[f"schools_below_{k}"] = _fig(f"school sections below the {k} threshold", "sections",
                                       "tables: schools (balance.school_compliance)")
    f.update({
        "schools_assessed": _fig("school sections assessed by the school rule", "sections", "tables: schools"),
        "schools_not_meeting_school_rule": _fig("school sections failing the school rule (6 of 7, other ≥ 85 %)",
                                                "sections", "tables: schools (balance.school_compliance)"),
        "schools_short_of_music_rooms": _fig("compulsory schools with fewer music rooms than ceil(classes/12)",
                                             "schools", "tables: schools.music_rooms, classes_*"),
        "schools_short_of_art_rooms": _fig("compulsory schools with fewer art rooms than ceil(classes/12)",
                                           "schools", "tables: schools.art_rooms, classes_*"),
        "music_rooms_below_area": _fig("music rooms below 96 m² (after exemptions)", "rooms",
                                       "tables: schools.music_room_areas_m2"),
        "art_rooms_below_area": _fig("art rooms below 90 m² (after exemptions)", "rooms",
                                     "tables: schools.art_room_areas_m2"),
        "schools_over_size": _fig("compulsory schools over 2000 (through schools 2500) students, after exemptions",
                                  "schools", "tables: schools.students_*"),
        "schools_with_class_over_limit": _fig("schools whose largest class exceeds 45 (primary) / 50 (junior)",
                                              "schools", "tables: schools.max_class_size_*"),
        "small_schools": _fig("village schools and teaching points under 100 pupils", "schools", "form: 不足100名学生的村小学和教学点数"),
        "small_schools_underfunded": _fig("small schools not funded as 100 pupils", "schools",
                                          "form: 不足100名学生… − 其中按100名学生核定公用经费的"),
        "special_school_funding_per_pupil_yuan": _fig("special-school public funding per pupil", "yuan / pupil",
                                                      "form: 特殊教育学校生均公用经费"),
        "teacher_average_pay_yuan": _fig("teachers' average yearly pay", "yuan", "form: 教师年平均工资收入"),
        "civil_servant_average_pay_yuan": _fig("civil servants' average yearly pay", "yuan", "form: 当地公务员年平均工资收入"),
        "teacher_to_civil_servant_pay_ratio": _fig("teacher pay ÷ civil-servant pay", "ratio", "form: pay columns"),
        "training_360_completion_rate": _fig("share of teachers with ≥ 360 training hours in 5 years", "proportion",
                                             "tables: teachers.training_hours_5y, else form: 教师5年360学时培训完成率"),
        "staff_primary": _fig("all staff (教职工), primary", "persons", "form: 小学教职工数"),
        "staff_junior": _fig("all staff (教职工), junior", "persons", "form: 初中教职工数"),
        "rotation_rate": _fig("rotated ÷ eligible teachers this year", "proportion",
                              "tables: teachers.rotated (staffing.rotation)"),
        "rotation_backbone_share": _fig("backbone teachers ÷ rotated teachers", "proportion",
                                        "tables: teachers.rotated, backbone_level"),
        "certified_rate": _fig("certified full-time teachers ÷ full-time teachers", "proportion",
                               "tables: teachers.certified, else form: 专任教师持证上岗率"),
        "zoned_admission_primary_rate": _fig("primary zoned nearby admission", "proportion", "form: 小学就近划片入学比例"),
        "zoned_admission_junior_rate": _fig("junior zoned nearby admission", "proportion", "form: 初中就近划片入学比例"),
        "quota_allocation_share": _fig("quality senior-high places allocated to junior schools ÷ all places",
                                       "proportion", "form: 优质高中招生计划总数, 其中分配到初中学校的名额"),
        "quota_rural_share": _fig("allocated places to rural junior schools ÷ allocated places", "proportion",
                                  "form: 其中分配到农村初中的名额"),
        "migrant_public_place_rate": _fig("migrant children in public or purchased places ÷ migrant children",
                                          "proportion", "county_facts: migrant_children_public, migrant_children"),
        "migrant_purchased_places": _fig("government-purchased places taken by migrant children", "places",
                                         "form: 政府购买学位数"),
        "funding_quota_primary_yuan": _fig("per-pupil public-funding quota, primary", "yuan / pupil",
                                           "form: 小学生均公用经费基准定额"),
        "funding_quota_junior_yuan": _fig("per-pupil public-funding quota, junior", "yuan / pupil",
                                          "form: 初中生均公用经费基准定额"),
        "junior_retention_rate": _fig("3-year junior retention (巩固率) [U formula]", "proportion",
                                      "form: 巩固率 cohort columns"),
        "disabled_enrolment_rate": _fig("placed ÷ school-age disabled children", "proportion",
                                        "county_facts: disabled_* columns"),
        "training_budget_share_min": _fig("lowest school's training spend ÷ its public budget", "proportion",
                                          "form: 教师培训经费占学校公用经费预算比例"),
        "schools_missing_specialists": _fig("schools without a specialist teacher of a subject (proxy for Q7)",
                                            "schools", "tables: teachers.subject"),
        "monitoring_min_level": _fig("lowest national-monitoring level over the monitored subjects", "level 1–4",
                                     "form: 质量监测学业水平"),
        "monitoring_max_difference_rate": _fig("largest 校际差异率 over the monitored subjects", "rate",
                                               "form: 质量监测校际差异率"),
        "survey_satisfaction_rate": _fig("overall satisfaction (groups weighted as set)", "proportion", "survey"),
        "survey_ci_low": _fig("lower Wilson bound of the overall satisfaction", "proportion", "survey"),
        "survey_ci_high": _fig("upper Wilson bound of the overall satisfaction", "proportion", "survey"),
        "survey_min_group_rate": _fig("lowest respondent-group satisfaction", "proportion", "survey"),
        "survey_responses": _fig("answers to scale questions", "answers", "survey"),
        "survey_respondents": _fig("respondents", "persons", "survey"),
        "veto_exam_admission": _fig("declared: admission by examination", "yes/no", "form: 是否存在以考试方式招生"),
        "veto_school_choice": _fig("declared: school choice against the rules", "yes/no", "form: 是否存在违规择校"),
        "veto_key_schools_classes": _fig("declared: key schools or classes", "yes/no", "form: 是否设置重点校、重点班"),
        "veto_safety_incident": _fig("declared: serious safety incident", "yes/no", "form: 是否发生重大安全责任事故"),
        "veto_falsification": _fig("declared: large-scale cheating or falsified data", "yes/no",
                                   "form: 是否存在大面积考试舞弊或弄虚作假"),
    })
    return f


FIGURES: Mapping[str, tuple[str, str, str]] = MappingProxyType(_figures())
"""Figure key → (meaning, unit, source). Source names the input that gives the figure: ``tables: …``
(computed from schools/teachers), ``county_facts: …``, ``form: <Chinese header>`` (the county form,
:mod:`lyganalysis.forms.county_facts`) or ``survey``. Rates and shares are proportions in [0, 1]."""


@dataclass(frozen=True)
class InspectionSettings:
    """Settings of the readiness table. Every [U] reading is off by default.

    Attributes
    ----------
    profile : {"jiangsu", "national"}
        Profile whose thresholds are shown beside the national ones.
    decide_by : {"national", "jiangsu"}
        Profile whose thresholds decide (default national: the national inspection).
    inspection_units : tuple of str
        Units of the national inspection; other units get the table marked ``inspection_unit=False``.
    survey_top, survey_weights, survey_rule
        Satisfied = top ``survey_top`` options; group weights ("equal" or "answers"); S1 decided on the
        ``"overall"`` rate (default) or on ``"every_group"``.
    room_area_exemptions : tuple of str
        Keys of :data:`lyganalysis.inspection.ROOM_AREA_EXEMPTIONS` applied [U] (default none).
    school_size_exemptions : tuple of str
        Keys of :data:`lyganalysis.inspection.SCHOOL_SIZE_EXEMPTIONS` applied [U] (default none).
    l4_deduct_indoor_sports : bool
        L4 = teaching and auxiliary area − indoor sports area [U] (default False).
    count_itinerant_in_l3 : bool
        Count itinerant (走教) PE/arts teachers serving small rural schools and teaching points in their
        L3 (PE and arts teachers per 100 students) [U] (default False).
    """

    profile: str = "jiangsu"
    decide_by: str = "national"
    inspection_units: tuple[str, ...] = INSPECTION_UNITS
    survey_top: int = 2
    survey_weights: str = "equal"
    survey_rule: Literal["overall", "every_group"] = "overall"
    room_area_exemptions: tuple[str, ...] = ()
    school_size_exemptions: tuple[str, ...] = ()
    l4_deduct_indoor_sports: bool = False
    count_itinerant_in_l3: bool = False

    def __post_init__(self):
        for p in (self.profile, self.decide_by):
            if p not in PROFILES:
                raise ValueError(f"unknown profile {p!r}; expected one of {list(PROFILES)}")
        for k in self.room_area_exemptions:
            if k not in ROOM_AREA_EXEMPTIONS:
                raise ValueError(f"unknown room-area exemption {k!r}; expected one of {list(ROOM_AREA_EXEMPTIONS)}")
        from lyganalysis.inspection import SCHOOL_SIZE_EXEMPTIONS
        for k in self.school_size_exemptions:
            if k not in SCHOOL_SIZE_EXEMPTIONS:
                raise ValueError(f"unknown school-size exemption {k!r}; expected one of {list(SCHOOL_SIZE_EXEMPTIONS)}")
        if self.survey_rule not in ("overall", "every_group"):
            raise ValueError(f"survey_rule must be 'overall' or 'every_group', got {self.survey_rule!r}")


@dataclass(frozen=True)
class CheckVerdict:
    """One condition of an item: figure, value, thresholds and whether it holds (None = no data / n.a.)."""

    figure: str
    value: Any
    op: str
    threshold: float
    profile_threshold: float
    unit: str
    met: bool | None
    profile_met: bool | None


@dataclass(frozen=True)
class ItemVerdict:
    """The verdict on one item (codes only)."""

    key: str
    block: str
    number: int
    counted: bool
    kind: str
    status: str
    checks: tuple[CheckVerdict, ...]
    figures: Mapping[str, Any]
    missing: tuple[str, ...]
    missing_sources: tuple[str, ...]
    declared_value: bool | None
    certainty: str
    document: str
    clause: str

    @property
    def deciding(self) -> CheckVerdict | None:
        """The first failing check, else the first check with data, else the first check."""
        for c in self.checks:
            if c.met is False:
                return c
        for c in self.checks:
            if c.met is not None:
                return c
        return self.checks[0] if self.checks else None


@dataclass(frozen=True)
class ReadinessResult:
    """Readiness table of one unit: item verdicts, block statuses and the overall status.

    ``block_status``: block → ``met`` / ``not_met`` / ``incomplete`` (the veto block: ``clear`` /
    ``veto_applies`` / ``incomplete``). ``overall``: ``met`` (every block met and the veto list clear),
    ``not_met`` (a block not met or a veto applies) or ``incomplete``.
    """

    county: str | None
    school_year: int | None
    inspection_unit: bool
    profile: str
    decide_by: str
    items: tuple[ItemVerdict, ...]
    block_status: Mapping[str, str]
    overall: str
    figures: Mapping[str, Any]
    exemptions_applied: tuple[str, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)

    def item(self, key: str) -> ItemVerdict:
        for it in self.items:
            if it.key == key:
                return it
        raise KeyError(f"no item {key!r}; items: {[i.key for i in self.items]}")

    def item_sources(self, key: str) -> tuple[str, ...]:
        """Source codes of the figures item ``key`` shows with a value (:data:`SOURCES` order first):
        ``tables``, ``form``, ``survey``, ``county_facts``, ``extra``; () when none has a value."""
        it = self.item(key)
        found = {self.sources[k] for k in it.figures if k in self.sources}
        return tuple(x for x in SOURCES if x in found) + tuple(sorted(found - set(SOURCES)))

    def counts(self) -> dict[str, int]:
        """Number of items per status (all items)."""
        out = {s: 0 for s in STATUSES}
        for it in self.items:
            out[it.status] += 1
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per item: key, block, number, counted, kind, status, the deciding figure, value,
        op, threshold, profile_threshold, profile_met, unit, missing (comma-separated figure keys),
        declared_value, certainty, document, clause."""
        rows = []
        for it in self.items:
            d = it.deciding
            rows.append({
                "key": it.key, "block": it.block, "number": it.number, "counted": it.counted, "kind": it.kind,
                "status": it.status, "figure": d.figure if d else None,
                "value": d.value if d and d.value != NOT_APPLICABLE else None,
                "op": d.op if d else None, "threshold": d.threshold if d else np.nan,
                "profile_threshold": d.profile_threshold if d else np.nan,
                "profile_met": d.profile_met if d else None, "unit": d.unit if d else None,
                "n_checks": len(it.checks), "missing": ",".join(it.missing),
                "declared_value": it.declared_value, "certainty": it.certainty, "document": it.document,
                "clause": it.clause})
        return pd.DataFrame(rows)

    def checks_frame(self) -> pd.DataFrame:
        """One row per condition of every quantitative item."""
        rows = [{"key": it.key, **{k: getattr(c, k) for k in CheckVerdict.__dataclass_fields__}}
                for it in self.items for c in it.checks]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        """JSON-able dict (plain Python types)."""
        def py(v):
            if isinstance(v, (np.generic,)):
                return v.item()
            if isinstance(v, float) and math.isnan(v):
                return None
            if v is pd.NA:
                return None
            return v

        return {
            "county": self.county, "school_year": self.school_year, "inspection_unit": self.inspection_unit,
            "profile": self.profile, "decide_by": self.decide_by, "overall": self.overall,
            "block_status": dict(self.block_status), "counts": self.counts(),
            "exemptions_applied": list(self.exemptions_applied),
            "items": [{
                "key": it.key, "block": it.block, "number": it.number, "counted": it.counted, "kind": it.kind,
                "status": it.status, "missing": list(it.missing), "missing_sources": list(it.missing_sources),
                "declared_value": it.declared_value, "certainty": it.certainty,
                "figures": {k: py(v) for k, v in it.figures.items()},
                "checks": [{k: py(getattr(c, k)) for k in CheckVerdict.__dataclass_fields__} for c in it.checks],
            } for it in self.items],
            "sources": dict(self.sources),
        }


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA:
        return True
    try:
        return bool(isinstance(v, (float, np.floating)) and math.isnan(v))
    except TypeError:  # pragma: no cover
        return False


def _number(key: str, v: Any) -> float:
    if isinstance(v, (bool, np.bool_)):
        raise ValueError(f"figure {key!r} must be a number, got the boolean {v!r}")
    try:
        return float(v)
    except (TypeError, ValueError):
        raise ValueError(f"figure {key!r} must be a number (or None / {NOT_APPLICABLE!r}), got {v!r}") from None


def _verdict(item: InspectionItem, figures: Mapping[str, Any], settings: InspectionSettings) -> ItemVerdict:
    shown = {k: figures.get(k) for k in item.shown}
    base = dict(key=item.key, block=item.block, number=item.number, counted=item.counted, kind=item.kind,
                certainty=item.certainty, document=item.document, clause=item.clause)
    if item.kind in ("evidence", "rating"):
        return ItemVerdict(status="evidence_required", checks=(), figures=shown, missing=(), missing_sources=(),
                           declared_value=None, **base)
    if item.declared:
        v = figures.get(item.declared)
        if _missing(v):
            return ItemVerdict(status="no_data", checks=(), figures=shown, missing=(item.declared,),
                               missing_sources=(FIGURES[item.declared][2],), declared_value=None, **base)
        if not isinstance(v, (bool, np.bool_)):
            raise ValueError(f"figure {item.declared!r} must be True (the veto applies) or False, got {v!r}")
        return ItemVerdict(status="declared", checks=(), figures={item.declared: bool(v), **shown}, missing=(),
                           missing_sources=(), declared_value=bool(v), **base)
    checks, missing, used = [], [], dict(shown)
    for c in item.checks:
        v = figures.get(c.figure)
        used[c.figure] = v
        thr, pthr = c.threshold(settings.decide_by), c.threshold(settings.profile)
        if _missing(v):
            missing.append(c.figure)
            checks.append(CheckVerdict(c.figure, None, c.op, thr, pthr, c.unit, None, None))
        elif v == NOT_APPLICABLE:
            checks.append(CheckVerdict(c.figure, NOT_APPLICABLE, c.op, thr, pthr, c.unit, None, None))
        else:
            x = _number(c.figure, v)
            checks.append(CheckVerdict(c.figure, x, c.op, thr, pthr, c.unit, c.passes(x, settings.decide_by),
                                       c.passes(x, settings.profile)))
    if any(c.met is False for c in checks):
        status = "not_met"
    elif missing:
        status = "no_data"
    elif all(c.value == NOT_APPLICABLE for c in checks):
        status = "not_applicable"
    else:
        status = "met"
    return ItemVerdict(status=status, checks=tuple(checks), figures=used, missing=tuple(missing),
                       missing_sources=tuple(FIGURES.get(k, ("", "", "extra figure"))[2] for k in missing),
                       declared_value=None, **base)


def _items_for(settings: InspectionSettings) -> list[InspectionItem]:
    items = list(INSPECTION_ITEMS.values())
    if settings.survey_rule == "every_group":
        from lyganalysis.inspection import ItemCheck

        extra = ItemCheck("survey_min_group_rate", "ge", 0.85, "proportion satisfied", "各类调查对象中最低满意度",
                          "lowest group satisfaction")
        items = [replace(it, checks=it.checks + (extra,)) if it.key in ("S1", "V4") else it for it in items]
    return items


def readiness(figures: Mapping[str, Any], *, profile: str = "jiangsu", units: Sequence[str] | None = None,
              settings: InspectionSettings | None = None) -> ReadinessResult:
    """Decide every inspection item from a flat mapping of figures.

    Parameters
    ----------
    figures : mapping
        Figure key (:data:`FIGURES`) → value: a number (shares as proportions in [0, 1]), a bool for
        the veto flags, ``None``/NaN for "no data" or :data:`NOT_APPLICABLE`. Optional keys
        ``county`` and ``school_year`` name the unit. Unknown keys are kept but unused.
    profile : str
        Profile shown beside the national thresholds (``"jiangsu"``; overrides ``settings.profile``
        when settings are not given).
    units : sequence of str, optional
        Units of the national inspection (default :data:`lyganalysis.inspection.INSPECTION_UNITS`).
    settings : InspectionSettings, optional
        All settings; ``profile`` and ``units`` are used only when this is None.

    Returns
    -------
    ReadinessResult

    Raises
    ------
    ValueError
        A figure of the wrong type (text where a number is needed, a non-bool veto flag), an unknown profile.

    Notes
    -----
    Items and thresholds: :data:`lyganalysis.inspection.INSPECTION_ITEMS` (教督〔2017〕6号). A county
    passes only when all four blocks pass and no veto applies.
    """
    if settings is None:
        settings = InspectionSettings(profile=profile, inspection_units=tuple(units or INSPECTION_UNITS))
    verdicts = tuple(_verdict(it, figures, settings) for it in _items_for(settings))
    block_status: dict[str, str] = {}
    for b in BLOCKS:
        st = [v.status for v in verdicts if v.block == b]
        if b == "veto":
            applies = any(v.declared_value is True for v in verdicts if v.block == b) or "not_met" in st
            clear = all(s in ("met", "not_applicable") or (s == "declared") for s in st) and not applies
            block_status[b] = "veto_applies" if applies else ("clear" if clear else "incomplete")
        elif "not_met" in st:
            block_status[b] = "not_met"
        elif all(s in ("met", "not_applicable") for s in st):
            block_status[b] = "met"
        else:
            block_status[b] = "incomplete"
    vals = list(block_status.values())
    if "not_met" in vals or "veto_applies" in vals:
        overall = "not_met"
    elif all(v in ("met", "clear") for v in vals):
        overall = "met"
    else:
        overall = "incomplete"
    county = figures.get("county")
    year = figures.get("school_year")
    return ReadinessResult(
        county=None if county is None else str(county), school_year=None if year is None else int(year),
        inspection_unit=county is None or str(county) in settings.inspection_units, profile=settings.profile,
        decide_by=settings.decide_by, items=verdicts, block_status=MappingProxyType(block_status), overall=overall,
        figures=MappingProxyType(dict(figures)),
        exemptions_applied=tuple(figures.get("exemptions_applied", ()) or ()),
        sources=MappingProxyType(dict(figures.get("figure_sources", {}) or {})))


# ---------------------------------------------------------------------------------------------
# Figures from the inputs

def _get(row: Mapping[str, Any], key: str) -> Any:
    v = row.get(key) if hasattr(row, "get") else None
    return None if _missing(v) else v


def figures_from_county_form(form_row: Mapping[str, Any] | pd.Series) -> dict[str, Any]:
    """Figures from one row of the county form (:func:`lyganalysis.forms.county_facts.read_county_form`).

    Copies the form's figures (shares already proportions) and derives:
    ``teacher_to_civil_servant_pay_ratio`` = teacher pay ÷ civil-servant pay;
    ``quota_allocation_share`` = allocated ÷ total places; ``quota_rural_share`` = rural ÷ allocated;
    ``small_schools_underfunded`` = small schools − those funded as 100;
    ``junior_retention_rate`` = (毕业 − 三年转入 + 三年转出) ÷ (初一在校 − 死亡) (reported formula [U]);
    ``monitoring_min_level`` / ``monitoring_max_difference_rate`` over the subjects filled in.
    A figure whose inputs are empty is left out (no data).
    """
    from lyganalysis.forms.county_facts import FORM_FIELDS, MONITORING_SUBJECTS

    row = dict(form_row) if not isinstance(form_row, dict) else form_row
    out: dict[str, Any] = {}
    for k in ("county", "school_year"):
        if _get(row, k) is not None:
            out[k] = row[k]
    for f in FORM_FIELDS:
        v = _get(row, f.key)
        if v is None:
            continue
        out[f.key] = bool(v) if f.kind == "yesno" else (int(v) if f.kind in ("int", "level") else float(v))
    t, c = out.get("teacher_average_pay_yuan"), out.get("civil_servant_average_pay_yuan")
    if t is not None and c:
        out["teacher_to_civil_servant_pay_ratio"] = t / c
    tot, alloc, rural = (out.get(k) for k in ("quota_places_total", "quota_places_allocated", "quota_places_rural"))
    if tot and alloc is not None:
        out["quota_allocation_share"] = alloc / tot
    if alloc and rural is not None:
        out["quota_rural_share"] = rural / alloc
    small, funded = out.get("small_schools"), out.get("small_schools_funded_as_100")
    if small is not None and funded is not None:
        out["small_schools_underfunded"] = small - funded
    elif small == 0:
        out["small_schools_underfunded"] = 0
    g7, grad, tin, tout, dead = (out.get(k) for k in ("cohort_grade7_enrolled", "cohort_graduates",
                                                      "cohort_transfers_in", "cohort_transfers_out", "cohort_deaths"))
    if None not in (g7, grad, tin, tout, dead) and g7 - dead > 0:
        out["junior_retention_rate"] = (grad - tin + tout) / (g7 - dead)
    levels = [out[f"monitoring_level_{k}"] for k, _ in MONITORING_SUBJECTS if f"monitoring_level_{k}" in out]
    rates = [out[f"monitoring_difference_rate_{k}"] for k, _ in MONITORING_SUBJECTS
             if f"monitoring_difference_rate_{k}" in out]
    if levels:
        out["monitoring_min_level"] = min(levels)
    if rates:
        out["monitoring_max_difference_rate"] = max(rates)
    return out


def figures_from_survey(survey_result: SatisfactionResult) -> dict[str, Any]:
    """Figures from :func:`lyganalysis.metrics.survey.satisfaction`: overall rate and Wilson bounds, the
    lowest group rate, answers and respondents."""
    return {"survey_satisfaction_rate": survey_result.overall_rate,
            "survey_ci_low": survey_result.overall_ci_low, "survey_ci_high": survey_result.overall_ci_high,
            "survey_min_group_rate": survey_result.min_group_rate, "survey_responses": survey_result.answers,
            "survey_respondents": survey_result.respondents}


def parse_room_areas(text: Any) -> list[float]:
    """Room areas from a ``music_room_areas_m2`` / ``art_room_areas_m2`` cell: ``"96;88.5"`` → [96.0, 88.5].

    Empty → []. Raises ValueError on anything else than numbers separated by ``;``.
    """
    if _missing(text) or str(text).strip() == "":
        return []
    try:
        return [float(x) for x in str(text).replace("；", ";").split(";") if x.strip()]
    except ValueError:
        raise ValueError(f"room areas must be numbers in m² separated by ';' (e.g. '96;90'), got {text!r}") from None


def apply_l4_deduction(schools: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``schools`` with ``teaching_area_m2`` reduced by ``indoor_sports_area_m2`` (L4 reading [U]).

    Rows without an indoor sports area keep their teaching area. Raises ValueError when the column is
    absent or the deduction would make an area negative.
    """
    if "indoor_sports_area_m2" not in schools.columns:
        raise ValueError("the L4 deduction needs the schools column 'indoor_sports_area_m2'")
    ind = pd.to_numeric(schools["indoor_sports_area_m2"]).fillna(0.0).astype(float)
    area = schools["teaching_area_m2"].astype(float) - ind
    if (area < 0).any():
        ids = schools.loc[area < 0, "school_id"].tolist()[:5]
        raise ValueError(f"indoor sports area exceeds the teaching area for schools {ids}")
    return schools.assign(teaching_area_m2=area)


def apply_itinerant_teachers(schools: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``schools`` with ``itinerant_pe_arts_teachers`` added to ``pe_arts_teachers_primary`` and
    ``teachers_primary`` of primary schools and teaching points (L3 reading [U]; only for computing L3).

    Raises ValueError when the column is absent.
    """
    if "itinerant_pe_arts_teachers" not in schools.columns:
        raise ValueError("counting itinerant teachers needs the schools column 'itinerant_pe_arts_teachers'")
    add = schools["itinerant_pe_arts_teachers"].astype("Int64").fillna(0)
    add = add.where(schools["school_type"].isin(["primary", "teaching_point"]), 0)
    return schools.assign(pe_arts_teachers_primary=schools["pe_arts_teachers_primary"] + add,
                          teachers_primary=schools["teachers_primary"] + add)


_COMPULSORY = ("primary", "junior", "nine_year", "twelve_year", "complete_middle", "teaching_point")


def school_rule_figures(schools: pd.DataFrame, *, settings: InspectionSettings | None = None,
                        checks: Mapping[str, pd.DataFrame] | None = None) -> dict[str, Any]:
    """G3, G4 and G5 figures of one county-year from the schools table, with the exemptions set.

    Parameters
    ----------
    schools : DataFrame
        The county-year's rows of the canonical ``schools`` table (room areas, built year, locale and
        migrant pupils for the exemptions).
    settings : InspectionSettings, optional
        ``room_area_exemptions`` and ``school_size_exemptions`` ([U], off by default).
    checks : mapping, optional
        The government-guarantee checks already computed for these schools
        (:func:`lyganalysis.metrics.guarantee.guarantee_checks`; e.g. the resources topic's
        ``school_size``, ``class_size`` and ``rooms`` frames). Each one given is used instead of
        running the check again; the class-size count always compares ``max_class_size`` with the
        national limits (standards.CLASS_SIZE_LIMITS ``quality_primary`` / ``quality_junior``), whatever
        limits the frame was computed with.

    Returns
    -------
    dict
        ``schools_short_of_music_rooms``, ``schools_short_of_art_rooms`` (schools with ``music_ok`` /
        ``art_ok`` False), ``music_rooms_below_area`` and ``art_rooms_below_area`` (only when the
        room-area columns exist), ``schools_over_size`` (after exemptions),
        ``schools_with_class_over_limit`` (schools with a stage whose largest class exceeds the
        limit), and ``exemptions_applied`` (codes ``"<exemption>:<school_id>"``, one per school an
        exemption changed).
    """
    from lyganalysis.metrics import guarantee
    from lyganalysis.standards import CLASS_SIZE_LIMITS

    settings = settings or InspectionSettings()
    checks = checks or {}
    out: dict[str, Any] = {}
    applied: list[str] = []
    rooms = checks.get("rooms")
    if rooms is None:
        rooms = guarantee.music_art_rooms_check(schools)
    out["schools_short_of_music_rooms"] = int((rooms["music_ok"] == False).sum())  # noqa: E712
    out["schools_short_of_art_rooms"] = int((rooms["art_ok"] == False).sum())  # noqa: E712
    comp = schools[schools["school_type"].isin(_COMPULSORY)]
    music_min = GOVERNMENT_GUARANTEE["music_room_area"].value
    art_min = GOVERNMENT_GUARANTEE["art_room_area"].value
    if {"music_room_areas_m2", "art_room_areas_m2"} <= set(comp.columns):
        below = {"music": 0, "art": 0}
        for r in comp.itertuples(index=False):
            lim = {"music": music_min, "art": art_min}
            for key in settings.room_area_exemptions:
                ex = ROOM_AREA_EXEMPTIONS[key]
                hit = False
                if key == "built_before_2016" and "built_year" in comp.columns and not _missing(r.built_year):
                    hit = int(r.built_year) < 2016
                if key == "small_rural":
                    largest = max([int(x) for x in (r.max_class_size_primary, r.max_class_size_junior)
                                   if not _missing(x)] or [0])
                    hit = r.locale == "rural" and largest < 30
                if hit:
                    new = {"music": min(lim["music"], ex.music_m2), "art": min(lim["art"], ex.art_m2)}
                    if new != lim:
                        lim = new
                        applied.append(f"{key}:{r.school_id}")
            for room in ("music", "art"):
                areas = parse_room_areas(getattr(r, f"{room}_room_areas_m2"))
                below[room] += sum(a < lim[room] for a in areas)
        out["music_rooms_below_area"] = below["music"]
        out["art_rooms_below_area"] = below["art"]
    size = checks.get("school_size")
    if size is None:
        size = guarantee.school_size_check(schools)
    over = size[~size["within"].astype(bool)]
    n_over = len(over)
    if settings.school_size_exemptions and n_over:
        meta = schools.set_index("school_id")
        for sid in over["school_id"]:
            r = meta.loc[sid]
            if isinstance(r, pd.DataFrame):
                r = r.iloc[0]
            hit = None
            if "built_before_2010" in settings.school_size_exemptions and "built_year" in meta.columns \
                    and not _missing(r["built_year"]) and int(r["built_year"]) < 2010:
                hit = "built_before_2010"
            if hit is None and "migrant_majority" in settings.school_size_exemptions and "migrant_students" in meta.columns \
                    and not _missing(r["migrant_students"]):
                comp_n = float(r["students_primary"]) + float(r["students_junior"])
                if comp_n > 0 and float(r["migrant_students"]) / comp_n > 0.5:
                    hit = "migrant_majority"
            if hit:
                n_over -= 1
                applied.append(f"{hit}:{sid}")
    out["schools_over_size"] = int(n_over)
    cls = checks.get("class_size")
    if cls is None:
        cls = guarantee.class_size_check(schools, rule="quality_2017")
    national = {"primary": CLASS_SIZE_LIMITS["quality_primary"].value, "junior": CLASS_SIZE_LIMITS["quality_junior"].value}
    lim = cls["stage"].map(national).astype(float)
    over_cls = (pd.to_numeric(cls["max_class_size"]).astype("Float64") > lim).fillna(False).astype(bool)
    out["schools_with_class_over_limit"] = int(cls.loc[over_cls, "school_id"].nunique())
    out["exemptions_applied"] = tuple(applied)
    return out


def teacher_figures(teachers: pd.DataFrame) -> dict[str, Any]:
    """``certified_rate`` and ``training_360_completion_rate`` of one county-year's teachers, when the
    optional columns ``certified`` and ``training_hours_5y`` are present (and not all NA).

    The definitions are :func:`lyganalysis.metrics.staffing.certified_rate` and
    :func:`lyganalysis.metrics.staffing.training_completion_rate` (teachers with NA left out of the
    denominator); returns {} for absent columns.
    """
    from lyganalysis.metrics import staffing

    out: dict[str, Any] = {}
    if "certified" in teachers.columns:
        v = staffing.certified_rate(teachers)
        if not math.isnan(v):
            out["certified_rate"] = v
    if "training_hours_5y" in teachers.columns:
        v = staffing.training_completion_rate(teachers)
        if not math.isnan(v):
            out["training_360_completion_rate"] = v
    return out


def _resource_figures(schools: pd.DataFrame, settings: InspectionSettings) -> dict[str, Any]:
    from lyganalysis.metrics import balance

    if settings.l4_deduct_indoor_sports:
        schools = apply_l4_deduction(schools)
    if settings.count_itinerant_in_l3:
        schools = apply_itinerant_teachers(schools)
    ind = balance.quality_balance_indicators(balance.school_sections(schools))
    if not len(ind):
        return {}
    out: dict[str, Any] = {}
    a = balance.quality_balance_assessment(ind)
    stages = set(a.table["stage"])
    for k in QUALITY_INDICATORS:
        for st in ("primary", "junior"):
            if st not in stages:
                out[f"cv_{k}_{st}"] = NOT_APPLICABLE
    for r in a.table.itertuples(index=False):
        out[f"cv_{r.indicator}_{r.stage}"] = float(r.coefficient_of_variation)
    comp = balance.school_compliance(ind)
    out["schools_assessed"] = int(len(comp))
    out["schools_not_meeting_school_rule"] = int((~comp["compliant"].astype(bool)).sum())
    for k in QUALITY_INDICATORS:
        out[f"schools_below_{k}"] = int((~comp[f"{k}_met"].astype(bool)).sum())
    return out


#: Figure groups of the table path of :func:`county_readiness`: a group whose figures are all in
#: ``table_figures`` is not computed again (each figure has one definition, the topic analysis's).
TABLE_FIGURE_GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "resources": tuple(f"cv_{k}_{st}" for st in ("primary", "junior") for k in QUALITY_INDICATORS)
    + ("schools_assessed", "schools_not_meeting_school_rule") + tuple(f"schools_below_{k}" for k in QUALITY_INDICATORS),
    "guarantee": ("schools_short_of_music_rooms", "schools_short_of_art_rooms", "schools_over_size",
                  "schools_with_class_over_limit"),
    "room_areas": ("music_rooms_below_area", "art_rooms_below_area"),
    "rotation": ("rotation_rate", "rotation_backbone_share"),
    "certified": ("certified_rate",),
    "training": ("training_360_completion_rate",),
})


def county_readiness(ds: Dataset, county: str, school_year: int, extra_figures: Mapping[str, Any] | None = None,
                     settings: InspectionSettings | None = None,
                     table_figures: Mapping[str, Any] | None = None) -> ReadinessResult:
    """Readiness of one county and school year from a Dataset.

    Figures, later sources winning: the county form (``ds.county_form``), county_facts (migrant and
    disabled rates), the survey (``ds.survey``, satisfaction with the settings' top options and weights),
    the tables (resource CVs and the school rule, G3–G5 with the exemptions set; rotation, certified,
    360 hours: the tables decide over the form), and ``extra_figures``. The result's ``sources`` says
    which source gave each figure (``form``, ``county_facts``, ``survey``, ``tables``, ``extra``).

    Parameters
    ----------
    ds : Dataset
    county : str
    school_year : int
    extra_figures : mapping, optional
        Figures that win over every source (source ``extra``); ``exemptions_applied`` is appended.
    settings : InspectionSettings, optional
    table_figures : mapping, optional
        Figures already computed from the schools and teachers tables, e.g. by the topic analyses
        (:func:`lyganalysis.analysis.topic_figures_for_readiness`); source ``tables``. A group of
        :data:`TABLE_FIGURE_GROUPS` whose figures are all given is not computed here again; the
        others are computed from ``ds`` (the path for callers without topic results).
        ``exemptions_applied`` in it is carried into the result.

    Raises
    ------
    KeyError
        ``county`` is not in the dataset.
    """
    settings = settings or InspectionSettings()
    if county not in set(ds.schools["county"]):
        raise KeyError(f"county {county!r} not in dataset {ds.name!r}; counties: {ds.counties()}")
    figs: dict[str, Any] = {"county": county, "school_year": int(school_year)}
    src: dict[str, str] = {}
    given = dict(table_figures or {})

    def has(group: str) -> bool:
        return all(k in given for k in TABLE_FIGURE_GROUPS[group])

    def put(d: Mapping[str, Any], source: str) -> None:
        for k, v in d.items():
            if k in ("county", "school_year", "exemptions_applied", "figure_sources") or _missing(v):
                continue
            figs[k] = v
            src[k] = source

    form = getattr(ds, "county_form", None)
    if form is not None:
        row = form[(form["county"] == county) & (form["school_year"] == int(school_year))]
        if len(row):
            put(figures_from_county_form(row.iloc[0].to_dict()), "form")
    cf = ds.county_facts
    if cf is not None:
        row = cf[(cf["county"] == county) & (cf["school_year"] == int(school_year))]
        if len(row):
            r = row.iloc[0]
            if not _missing(r.get("migrant_children")) and int(r["migrant_children"]) > 0 \
                    and not _missing(r.get("migrant_children_public")):
                put({"migrant_public_place_rate": int(r["migrant_children_public"]) / int(r["migrant_children"])},
                    "county_facts")
            placed = [r.get(c) for c in ("disabled_placed_regular_class", "disabled_placed_special_school",
                                         "disabled_placed_home_teaching")]
            if not _missing(r.get("disabled_children_school_age")) and int(r["disabled_children_school_age"]) > 0 \
                    and not any(_missing(p) for p in placed):
                put({"disabled_enrolment_rate": sum(int(p) for p in placed) / int(r["disabled_children_school_age"])},
                    "county_facts")
    survey = getattr(ds, "survey", None)
    if survey is not None:
        sub = survey[(survey["county"] == county) & (survey["school_year"] == int(school_year))]
        if len(sub):
            from lyganalysis.metrics.survey import satisfaction

            put(figures_from_survey(satisfaction(sub, top=settings.survey_top, weights=settings.survey_weights)),
                "survey")
    sch = ds.schools[(ds.schools["county"] == county) & (ds.schools["school_year"] == int(school_year))]
    applied: tuple[str, ...] = tuple(given.get("exemptions_applied", ()) or ())
    if len(sch):
        if not has("resources"):
            put(_resource_figures(sch, settings), "tables")
        rooms_ok = has("room_areas") or not {"music_room_areas_m2", "art_room_areas_m2"} <= set(sch.columns)
        if not (has("guarantee") and rooms_ok):
            rf = school_rule_figures(sch, settings=settings)
            applied = rf["exemptions_applied"]
            put(rf, "tables")
        if not (sch["school_type"] == "special").any() and "special_school_funding_per_pupil_yuan" not in figs:
            figs["special_school_funding_per_pupil_yuan"] = NOT_APPLICABLE
            src["special_school_funding_per_pupil_yuan"] = "tables"
    need_teachers = not (has("rotation") and has("certified") and has("training"))
    if ds.teachers is not None and len(sch) and need_teachers:
        t = ds.teachers[(ds.teachers["school_year"] == int(school_year)) & ds.teachers["school_id"].isin(sch["school_id"])]
        if len(t):
            from lyganalysis.metrics import staffing

            if not has("rotation"):
                rot = staffing.rotation(t, school_year=int(school_year)).table
                if len(rot):
                    put({"rotation_rate": float(rot["rotation_rate"].iloc[0]),
                         "rotation_backbone_share": float(rot["backbone_share_of_rotated"].iloc[0])}, "tables")
            tf = teacher_figures(t)
            put({k: v for k, v in tf.items() if k not in given}, "tables")
    put(given, "tables")
    if extra_figures:
        put(extra_figures, "extra")
        if "exemptions_applied" in extra_figures:
            applied = tuple(applied) + tuple(extra_figures["exemptions_applied"])
    figs["exemptions_applied"] = applied
    figs["figure_sources"] = src
    return readiness(figs, settings=settings)
