"""The conventions a report depends on that are choices, not standards: one settings object.

Every analysis function takes one :class:`Settings` (passed down explicitly, never read from a global)
and one :class:`DatasetProfile` (which standards apply to a dataset, what its headline outcome is,
which group contrasts it supports).  Thresholds that *are* standards live in
:mod:`lyganalysis.standards` with their document and clause; the values here are conventions of
county teaching-research offices or of this project, each with a default that is stated in the report
and recorded in the batch manifest.

>>> s = Settings(min_cell_size=10)
>>> s.min_cell_size, s.confidence_level
(10, 0.95)
>>> Settings.from_dict(s.to_dict()) == s
True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from lyganalysis.standards import PLAN_UNIT_COSTS, SMALL_TEACHING_POINT_STUDENTS

__all__ = ["Settings", "DatasetProfile", "CN_PROFILE", "profile_of"]


@dataclass(frozen=True)
class Settings:
    """Conventions used by the analysis layer (all have defaults; change them with keywords).

    Attributes
    ----------
    min_cell_size : int, default 5
        Small-cell suppression (小单元格抑制): statistics of a group with fewer students — or, for
        teacher breakdowns, fewer teachers — are withheld.
    confidence_level : float, default 0.95
        Level of every interval the reports show (school means: t(n − 1) interval; gaps: Welch; value-added:
        comparative-variance interval of the shrunken effect).
    weighted_cv : bool, default True
        The 差异系数 decides on the enrolment-weighted CV (official method); the unweighted CV is always shown
        beside it.
    balance_standard : {"auto", "quality_2017", "basic_2012"}
        Which resource rule applies: "auto" uses the 2012 basic-balance rule before
        :data:`lyganalysis.standards.QUALITY_BALANCE_FROM_YEAR` and the 2017 rule from then on.
    teaching_point_rule : {"exclude", "merge", "keep"}, default "exclude"
        Teaching points (教学点) under ``teaching_point_min_students`` pupils: left out of the 优质均衡
        assessment (default, the reading of the 2017 scope), merged into their central school, or kept.
    teaching_point_min_students : int
        Default :data:`lyganalysis.standards.SMALL_TEACHING_POINT_STUDENTS` (50).
    min_sections_for_cv : int, default 3
        A stage with fewer assessed school sections gets the verdict "cannot decide": a CV over one or two
        schools says little about balance across a county.
    class_size_rule : {"quality_2017", "jiangsu"}
        Class-size limits for the government-guarantee checks.
    pass_cut, excellence_cut, low_cut : float
        三率一分 cut-offs as shares of full marks (pass ≥ 0.60, excellent ≥ 0.85, low < 0.40 by default;
        local conventions).
    score_denominator : {"takers", "enrolled"}
        Whether pass/excellence/low rates divide by test-takers or by all listed students.
    icc_min_schools : int, default 5
        Fewer schools: no between-school variance share is computed.
    value_added_min_schools : int, default 5
        Fewer schools: no value-added model is fitted.
    early_warning_min_n : int, default 20
        Schools with fewer test-takers are not assessed by the early-warning rules.
    early_warning_k_sd : float, default 1.0
        "Mean well below the county": more than ``k_sd`` school-level SDs below the county mean.
    early_warning_pass_drop : float, default 0.10
        "Pass rate down": a drop of more than this many proportion points on the previous year.
    retirement_age_male, retirement_age_female : float
        Original statutory retirement ages (60 / 55; women's 55 is unconfirmed for teachers — a choice).
    gradual_retirement_reform : bool, default False
        Apply the 2025 gradual retirement reform to retirement projections.
    rotation_retirement_age : float or None, default None
        Age used for "more than 5 years to retirement" in the rotation-eligible pool; None (default): the
        statutory ages by gender above (``retirement_age_male`` / ``retirement_age_female``), with the gradual
        reform when ``gradual_retirement_reform`` is set.
    close_within : float, default 0.05
        City scorecard: a rate this many proportion points below its target is "close".
    with_plan : bool, default True
        Compute each county's least-cost plan (达标方案, :func:`lyganalysis.metrics.plan.county_plan`) in the
        resources analysis: the additions per school that make every section meet the school rule and every
        差异系数 fall within its limit. It is the costliest part of the resources pass (a mixed-integer program
        per county, well under a second for most counties, a few seconds for the largest), so it can be
        switched off; the batch leaves it on.
    plan_budget : float or None, default None
        A budget cap for the plan, in yuan. None: the least-cost plan that meets both conditions. A number:
        the plan that makes the most sections comply within the budget (the 差异系数 limits are then not
        imposed; the plan reports whether they hold).
    plan_costs : dict or None, default None
        Unit costs of the plan, addition kind → yuan per unit, overriding the defaults of
        standards.PLAN_UNIT_COSTS (which are project assumptions, not published figures). Keys: the kinds of
        :data:`lyganalysis.metrics.plan.ADDITION_KEYS`.
    plan_mip_rel_gap : float, default 0.001
        Relative optimality tolerance of each mixed-integer solve of the plan (``mip_rel_gap`` of
        :func:`lyganalysis.metrics.plan.county_plan`). 0.001 of a county's cost is about the price of one
        teacher in a large county; on the demo data it solves the largest county about three times faster than
        0.0001, for a cost higher by less than one part in a million. The plan reports its proven gap either way.
    """

    min_cell_size: int = 5
    confidence_level: float = 0.95
    weighted_cv: bool = True
    balance_standard: Literal["auto", "quality_2017", "basic_2012"] = "auto"
    teaching_point_rule: Literal["exclude", "merge", "keep"] = "exclude"
    teaching_point_min_students: int = SMALL_TEACHING_POINT_STUDENTS
    min_sections_for_cv: int = 3
    class_size_rule: Literal["quality_2017", "jiangsu"] = "quality_2017"
    # academic
    pass_cut: float = 0.60
    excellence_cut: float = 0.85
    low_cut: float = 0.40
    score_denominator: Literal["takers", "enrolled"] = "takers"
    icc_min_schools: int = 5
    value_added_min_schools: int = 5
    early_warning_min_n: int = 20
    early_warning_k_sd: float = 1.0
    early_warning_pass_drop: float = 0.10
    # staffing
    retirement_age_male: float = 60
    retirement_age_female: float = 55
    gradual_retirement_reform: bool = False
    rotation_retirement_age: float | None = None
    # city scorecard
    close_within: float = 0.05
    # least-cost plan (达标方案)
    with_plan: bool = True
    plan_budget: float | None = None
    plan_costs: dict | None = None
    plan_mip_rel_gap: float = 1e-3

    def __post_init__(self) -> None:
        if int(self.min_cell_size) < 1:
            raise ValueError(f"min_cell_size must be at least 1, got {self.min_cell_size!r}")
        if not 0 < float(self.confidence_level) < 1:
            raise ValueError(f"confidence_level must lie strictly between 0 and 1, got {self.confidence_level!r}")
        for name in ("pass_cut", "excellence_cut", "low_cut", "early_warning_pass_drop", "close_within"):
            v = float(getattr(self, name))
            if not 0 <= v <= 1:
                raise ValueError(f"{name} is a share of full marks or a proportion in [0, 1], got {v!r}")
        choices = {"balance_standard": ("auto", "quality_2017", "basic_2012"),
                   "teaching_point_rule": ("exclude", "merge", "keep"),
                   "class_size_rule": ("quality_2017", "jiangsu"),
                   "score_denominator": ("takers", "enrolled")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if self.plan_budget is not None and not (isinstance(self.plan_budget, (int, float))
                                                 and not isinstance(self.plan_budget, bool)
                                                 and 0 <= float(self.plan_budget) < float("inf")):
            raise ValueError(f"plan_budget is a sum in yuan ≥ 0 (or None for no cap), got {self.plan_budget!r}")
        if not 0 <= float(self.plan_mip_rel_gap) < 1:
            raise ValueError(f"plan_mip_rel_gap is a relative tolerance in [0, 1), got {self.plan_mip_rel_gap!r}")
        if self.plan_costs is not None:
            if not isinstance(self.plan_costs, dict):
                raise ValueError(f"plan_costs must be a dict addition kind → yuan per unit, got {self.plan_costs!r}")
            unknown = sorted(set(self.plan_costs) - set(PLAN_UNIT_COSTS))
            if unknown:
                raise ValueError(f"plan_costs: unknown addition kind(s) {unknown}; kinds: {list(PLAN_UNIT_COSTS)}")
            for k, v in self.plan_costs.items():
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= float(v) < float("inf"):
                    raise ValueError(f"plan_costs: the unit cost of {k!r} must be a number ≥ 0 (yuan), got {v!r}")

    @property
    def retirement_ages(self) -> dict[str, float]:
        """Gender → original statutory retirement age, as the staffing metrics take it."""
        return {"male": float(self.retirement_age_male), "female": float(self.retirement_age_female)}

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able mapping (for the manifest and the metrics JSON)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Settings:
        """Inverse of :meth:`to_dict`; unknown keys raise ``ValueError`` naming them."""
        data = dict(data or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown settings {unknown}; known settings: {sorted(known)}")
        return cls(**data)


@dataclass(frozen=True)
class DatasetProfile:
    """What a dataset supports, so that analyses never test a dataset's name.

    Attributes
    ----------
    standards : {"cn", "none"}
        "cn": the Chinese national 优质均衡 standards, the staffing standard and Lianyungang's 2022 targets
        apply; "none": they do not (e.g. Californian districts) and are shown as not applicable.
    headline_subject : str or None
        Subject code of the headline outcome (None: the first grade × subject in the data).
    group_contrasts : tuple of str
        Contrasts the equity analysis computes: "locale" (urban/town/rural), "poverty" (high- vs
        low-poverty units by the free-lunch share), student groups such as "gender", "migrant", "left_behind".
    city_targets : bool
        Whether the city scorecard (the 2022 work-plan targets) applies.
    """

    standards: Literal["cn", "none"] = "cn"
    headline_subject: str | None = None
    group_contrasts: tuple[str, ...] = ("locale", "gender", "migrant", "left_behind")
    city_targets: bool = True

    def __post_init__(self) -> None:
        if self.standards not in ("cn", "none"):
            raise ValueError(f"standards must be 'cn' or 'none', got {self.standards!r}")

    @property
    def chinese_standards(self) -> bool:
        """True when the Chinese national standards apply."""
        return self.standards == "cn"

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["group_contrasts"] = list(self.group_contrasts)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> DatasetProfile:
        data = dict(data or {})
        if "group_contrasts" in data:
            data["group_contrasts"] = tuple(data["group_contrasts"])
        return cls(**data)


CN_PROFILE = DatasetProfile()


def profile_of(ds: Any) -> DatasetProfile:
    """The profile a dataset carries (``ds.profile``), or the Chinese profile when it has none."""
    p = getattr(ds, "profile", None)
    if p is None:
        return CN_PROFILE
    if isinstance(p, dict):
        return DatasetProfile.from_dict(p)
    return p

