"""结论与建议: the verdict per block, what it rests on, the most pressing findings and the action list.

Everything here is selected from a :class:`~lyganalysis.analysis.CountyResults` (no figure is computed again)
and returned as codes with parameters; the report translates and formats them.

**How findings are ranked** (:func:`findings`): every figure that misses a standard becomes a
:class:`Finding` with ``severity`` = how far it lies beyond its limit, relative to the limit —
``(value − limit) / limit`` for a maximum (a 差异系数 of 0.58 against 0.50 → 0.16), ``(limit − value) / limit``
for a minimum (46.5 % of sections complying where all must → 0.535; a teacher shortfall of 120 against a need
of 1,000 → 0.12). Findings are ordered by severity, largest first (ties: by key), and the first
:data:`N_TOP` are shown. Figures that meet their standard, or that have no standard, are never findings.

**How schools are ordered** (:func:`actions`): with the county's least-cost plan
(``results.resources.plan``, :func:`lyganalysis.metrics.plan.county_plan`), the schools the plan adds to, by how
far the school is from passing the school rule (its largest section ``distance``, in units of each threshold;
:func:`lyganalysis.metrics.plan.compliance_distance`), then by the school's cost, largest first; each with the
plan's additions (teachers by kind, m², equipment yuan, rooms: a combined school's physical additions once) and
its cost. Without a plan: non-compliant sections by ``distance``, largest first, each with the least additions
under the school rule (6 of 7 at threshold, the 7th ≥ 85 %; ``results.resources.schools_in_need``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from lyganalysis.analysis.base import ResultMixin, number_or_none

__all__ = ["N_TOP", "Finding", "Line", "Block", "Summary", "Action", "Actions", "findings", "actions",
           "plan_schools", "severity"]

N_TOP = 5
_STAGES = ("primary", "junior")
_INDICATORS = ("L1", "L2", "L3", "L4", "L5", "L6", "L7")
_INDICATOR_KIND = {"L1": "value", "L2": "value", "L3": "value", "L4": "value", "L5": "value", "L6": "money",
                   "L7": "value"}
_INDICATOR_UNIT_KIND = {"L1": "count", "L2": "count", "L3": "count", "L4": "count", "L5": "count",
                        "L6": "money", "L7": "count"}


def severity(value: float, limit: float, direction: str) -> float:
    """Relative distance of ``value`` beyond ``limit`` (0 when the standard is met).

    Raises
    ------
    ValueError
        ``direction`` is not "max" or "min", or ``limit`` is 0.
    """
    if direction not in ("max", "min"):
        raise ValueError(f"direction must be 'max' or 'min', got {direction!r}")
    if limit == 0:
        raise ValueError("a limit of 0 has no relative distance")
    d = (value - limit) if direction == "max" else (limit - value)
    return max(0.0, float(d) / abs(float(limit)))


@dataclass(frozen=True)
class Finding(ResultMixin):
    """A figure that misses its standard.

    Attributes
    ----------
    key : str        stable key (``resources.cv.primary.L2``)
    code : str       catalogue code of the sentence (``finding_<code>``)
    value, limit : float
    direction : {"max", "min"}
    severity : float relative distance beyond the limit (the ranking rule in the module docstring)
    standard : str   key of the standard in :mod:`lyganalysis.standards`
    params : dict    values the sentence needs, with ``kinds`` (param → display kind)
    """

    key: str
    code: str
    value: float
    limit: float
    direction: str
    severity: float
    standard: str
    params: dict = field(default_factory=dict)
    kinds: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Line(ResultMixin):
    """One line of a verdict card: a catalogue code with parameters and the status it reports."""

    key: str
    code: str
    status: str | None = None
    params: dict = field(default_factory=dict)
    kinds: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Block(ResultMixin):
    """The verdict of one block of the national evaluation (资源配置, 政府保障程度, 教育质量, 社会认可度)."""

    block: str
    status: str
    lines: tuple = ()


@dataclass(frozen=True)
class Summary(ResultMixin):
    """The first screen: verdict blocks, the top findings, all findings, and what the verdict rests on."""

    blocks: tuple
    top: tuple
    all: tuple
    basis: tuple

    def to_frame(self) -> pd.DataFrame:
        """All findings, most severe first."""
        return pd.DataFrame([{k: v for k, v in f.to_dict().items() if k not in ("params", "kinds")}
                             for f in self.all],
                            columns=["key", "code", "value", "limit", "direction", "severity", "standard"])


@dataclass(frozen=True)
class Action(ResultMixin):
    """What one school (plan) or school section (no plan) needs.

    Attributes
    ----------
    school_id, school_name : str
    stage : str
        The section's stage; for a plan row the first stage of the school (``stages`` lists them all).
    n_met : int
        Indicators met before (for a school: its section with the fewest).
    distance : float
        How far from passing the school rule (a school: its largest section distance).
    needs : tuple of dict
        ``{code, amount, kind}`` and ``item`` (a plan's addition kind, :data:`lyganalysis.metrics.plan.ADDITION_KEYS`)
        or ``indicator`` (L1…L7, without a plan); ``code`` is the catalogue key of the phrase, ``kind`` the
        display kind of ``amount``.
    cost : float or None
        Yuan, the school's share of the plan's cost (None without a plan).
    stages : tuple of str
    """

    school_id: str
    school_name: str
    stage: str
    n_met: int
    distance: float
    needs: tuple = ()
    cost: float | None = None
    stages: tuple = ()


@dataclass(frozen=True)
class Actions(ResultMixin):
    """The schools that need the most, ordered by distance from passing (top :data:`N_TOP`).

    Attributes
    ----------
    top : tuple of Action
    n_schools : int
        Schools the plan adds to (``source="plan"``) or non-compliant sections (``source="schools_in_need"``).
    source : {"plan", "schools_in_need", "none"}
    total_cost : float or None
        The whole plan's cost, yuan.
    totals : tuple of dict
        Per addition kind with a quantity: ``{item, code, amount, kind, cost}``.
    cvs_after : tuple of dict
        Per stage, the 差异系数 after the plan closest to its limit: ``{stage, indicator, cv, limit}``.
    all_compliant, cv_rule_met : bool or None
        Whether every section complies / every CV is within its limit after the plan.
    gap : float or None
        The plan's optimality gap (proportion of its cost).
    n_sections, n_compliant_after : int or None
        Assessed sections, and those that comply after the plan.
    """

    top: tuple
    n_schools: int
    source: str = "schools_in_need"
    total_cost: float | None = None
    totals: tuple = ()
    cvs_after: tuple = ()
    all_compliant: bool | None = None
    cv_rule_met: bool | None = None
    gap: float | None = None
    n_sections: int | None = None
    n_compliant_after: int | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per listed school: identifiers, ``cost`` and one ``add_<item or indicator>`` per need."""
        return pd.DataFrame([{**{k: v for k, v in a.to_dict().items() if k not in ("needs", "stages")},
                              **{f"add_{n.get('item') or n.get('indicator')}": n["amount"] for n in a.needs}}
                             for a in self.top])




def _resource_findings(res) -> list[Finding]:
    out: list[Finding] = []
    v = getattr(res, "verdict", None)
    if v is None:
        return out
    for st, s in v.stages.items():
        if s.n_sections and s.n_not_compliant:
            share = s.compliant_share
            out.append(Finding(
                key=f"resources.school_rule.{st}", code="sections_not_compliant", value=share, limit=1.0,
                direction="min", severity=severity(share, 1.0, "min"), standard="SCHOOL_RULE",
                params={"stage": st, "n_not_compliant": s.n_not_compliant, "n_sections": s.n_sections,
                        "share": share},
                kinds={"stage": "stage", "n_not_compliant": "count", "n_sections": "count", "share": "rate"}))
        for f in s.cv_failing:
            cv, limit = float(f["cv"]), float(f["limit"])
            out.append(Finding(
                key=f"resources.cv.{st}.{f['indicator']}", code="cv_over_limit", value=cv, limit=limit,
                direction="max", severity=severity(cv, limit, "max"), standard=f"QUALITY_CV_LIMITS.{st}",
                params={"stage": st, "indicator": f["indicator"], "cv": cv, "limit": limit},
                kinds={"stage": "stage", "indicator": "indicator", "cv": "cv", "limit": "cv"}))
    gs = getattr(res, "guarantee_summary", None)
    if isinstance(gs, pd.DataFrame) and len(gs) and {"item", "share_within"} <= set(gs.columns):
        for r in gs.to_dict(orient="records"):
            share = number_or_none(r.get("share_within"))
            if share is None or share >= 1.0:
                continue
            n = number_or_none(r.get("n_schools"))
            n_within = number_or_none(r.get("n_within"))
            out.append(Finding(
                key=f"resources.guarantee.{r['item']}", code=f"guarantee_{r['item']}", value=share, limit=1.0,
                direction="min", severity=severity(share, 1.0, "min"), standard="GOVERNMENT_GUARANTEE",
                params={"share": share, "n_over": (n - n_within) if n is not None and n_within is not None else None,
                        "n": n},
                kinds={"share": "rate", "n_over": "count", "n": "count"}))
    return out


def _figure_findings(results) -> list[Finding]:
    """Findings from key figures that carry their own ``limit`` and ``direction`` (staffing, academic, equity)."""
    out = []
    for key, fig in results.figures().items():
        if key.startswith("resources."):
            continue  # resources are read from the verdict above, not twice
        p = fig.params or {}
        limit, direction, value = number_or_none(p.get("limit")), p.get("direction"), number_or_none(fig.value)
        if limit is None or direction not in ("max", "min") or value is None or limit == 0:
            continue
        sev = severity(value, limit, direction)
        if sev <= 0:
            continue
        code = p.get("finding_code") or key.split(".")[0] + "_" + key.split(".")[1]
        params = {k: v for k, v in p.items() if k not in ("finding_code", "direction", "standard")}
        params.setdefault("value", value)
        kinds = {k: (fig.kind if k in ("value", "limit") else "text") for k in params}
        kinds.update(p.get("kinds") or {})
        params.pop("kinds", None)
        kinds.pop("kinds", None)
        out.append(Finding(key=key, code=code, value=value, limit=limit, direction=direction, severity=sev,
                           standard=str(p.get("standard", "")), params=params, kinds=kinds))
    return out


def _blocks(results) -> tuple[Block, ...]:
    blocks = []
    res = results.resources
    v = getattr(res, "verdict", None) if res is not None else None
    if v is not None:
        lines = []
        for st, s in v.stages.items():
            lines.append(Line(key=f"school_rule.{st}", code="line_school_rule", status=s.school_rule,
                              params={"stage": st, "n_sections": s.n_sections, "n_not_compliant": s.n_not_compliant,
                                      "share": s.compliant_share},
                              kinds={"stage": "stage", "n_sections": "count", "n_not_compliant": "count",
                                     "share": "rate"}))
            if s.cv_failing:
                worst = s.cv_failing[0]
                lines.append(Line(key=f"cv_rule.{st}", code="line_cv_rule_fail", status=s.cv_verdict,
                                  params={"stage": st, "n_failing": len(s.cv_failing), "indicator": worst["indicator"],
                                          "cv": worst["cv"], "limit": worst["limit"]},
                                  kinds={"stage": "stage", "n_failing": "count", "indicator": "indicator",
                                         "cv": "cv", "limit": "cv"}))
            else:
                lines.append(Line(key=f"cv_rule.{st}", code=f"line_cv_rule_{s.cv_verdict}", status=s.cv_verdict,
                                  params={"stage": st, "n": s.n_cv_indicators},
                                  kinds={"stage": "stage", "n": "count"}))
            for reason in s.reasons:
                lines.append(Line(key=f"reason.{st}.{reason['code']}", code=f"line_reason_{reason['code']}",
                                  status="undecided", params={"stage": st, **dict(reason["params"])},
                                  kinds={"stage": "stage"}))
        blocks.append(Block(block="resources", status=v.verdict, lines=tuple(lines)))
    elif res is not None and not getattr(res, "applies", True):
        blocks.append(Block(block="resources", status="undecided",
                            lines=(Line(key="not_applicable", code="line_standards_not_applicable"),)))
    readiness = getattr(results, "readiness", None)
    if readiness is not None:
        blocks.extend(_readiness_blocks(readiness))
    return tuple(blocks)


_READINESS_VERDICT = {"met": "met", "clear": "met", "not_met": "not_met", "veto_applies": "not_met"}


def _readiness_blocks(readiness) -> list[Block]:
    """政府保障程度, 教育质量, 社会认可度 and the veto list from the readiness table: status, counts, and the
    items not met (at most three per block, in item order)."""
    out = []
    for block in ("guarantee", "quality", "recognition", "veto"):
        items = [it for it in readiness.items if it.block == block]
        if not items:
            continue
        status = _READINESS_VERDICT.get(readiness.block_status.get(block, ""), "undecided")
        n_met = sum(it.status == "met" for it in items)
        failing = [it for it in items if it.status == "not_met" or (it.status == "declared" and it.declared_value)]
        lines = [Line(key="counts", code="line_readiness_counts",
                      params={"met": n_met, "not_met": len(failing), "other": len(items) - n_met - len(failing)},
                      kinds={"met": "count", "not_met": "count", "other": "count"})]
        for it in failing[:3]:
            d = it.deciding
            lines.append(Line(key=f"item.{it.key}", code="line_item_not_met", status="not_met",
                              params={"item": it.key, "value": None if d is None else d.value,
                                      "threshold": None if d is None else d.threshold,
                                      "unit": None if d is None else d.unit},
                              kinds={"item": "item", "value": "readiness_value", "threshold": "readiness_value"}))
        out.append(Block(block=block, status=status, lines=tuple(lines)))
    return out


def _basis(results) -> tuple[Line, ...]:
    lines = [Line(key="reference_date", code="basis_reference_date", params={"year": results.school_year})]
    nc = results.not_computed()
    lines.append(Line(key="not_computed", code="basis_not_computed", params={"n": len(nc)}, kinds={"n": "count"}))
    from lyganalysis.settings import Settings

    default = Settings().to_dict()
    changed = {k: v for k, v in results.settings.to_dict().items() if default.get(k) != v}
    lines.append(Line(key="settings", code="basis_settings_changed" if changed else "basis_settings_default",
                      params={"changed": ", ".join(f"{k}={v}" for k, v in changed.items())}))
    lines.append(Line(key="unconfirmed", code="basis_unconfirmed",
                      params={"teaching_point_rule": results.settings.teaching_point_rule,
                              "min_students": results.settings.teaching_point_min_students,
                              "low_cut": results.settings.low_cut,
                              "female_age": results.settings.retirement_age_female},
                      kinds={"low_cut": "rate", "min_students": "count", "female_age": "count"}))
    return tuple(lines)


def findings(results) -> Summary:
    """The summary of a county: verdict blocks, findings ranked by severity, and the basis of the verdict."""
    found: list[Finding] = []
    if results.resources is not None:
        found += _resource_findings(results.resources)
    found += _figure_findings(results)
    found.sort(key=lambda f: (-f.severity, f.key))
    return Summary(blocks=_blocks(results), top=tuple(found[:N_TOP]), all=tuple(found), basis=_basis(results))


# display kind of a plan addition: whole teachers and rooms, m², yuan
_PLAN_KIND = {"above_qualification_teachers": "count", "pe_arts_teachers": "count", "backbone_designations": "count",
              "teaching_area_m2": "value", "sports_area_m2": "value", "equipment_value_yuan": "money",
              "multimedia_classrooms": "count"}
_TEACHER_ITEMS = ("above_qualification_teachers", "pe_arts_teachers", "backbone_designations")


def plan_schools(plan) -> pd.DataFrame:
    """The plan's action list per school: teachers summed over the school's sections, physical additions
    (shared by a combined school's sections) once, the school's cost; schools farthest from passing first
    (largest section ``distance``), then the costliest, then by ``school_id``.

    Returns
    -------
    DataFrame: ``school_id, school_name, stages`` (tuple), ``n_met_before`` (fewest of its sections),
    ``distance``, ``cost`` (yuan), ``add_<kind>`` for each kind of :data:`lyganalysis.metrics.plan.ADDITION_KEYS`.
    """
    from lyganalysis.metrics.plan import ADDITION_KEYS

    a = plan.to_frame("actions")
    cols = ["school_id", "school_name", "stages", "n_met_before", "distance", "cost",
            *[f"add_{k}" for k in ADDITION_KEYS]]
    if a.empty:
        return pd.DataFrame(columns=cols)
    key = a["school_id"].astype(str)
    rows = []
    for sid, g in a.groupby(key, sort=False):
        row = {"school_id": sid, "school_name": str(g["school_name"].iloc[0]) if "school_name" in g else "",
               "stages": tuple(str(x) for x in g["stage"]), "n_met_before": int(g["n_met_before"].min()),
               "distance": float(g["school_distance"].max()), "cost": float(g["cost"].sum())}
        for k in ADDITION_KEYS:
            c = f"add_{k}"
            row[c] = float(g[c].sum()) if k in _TEACHER_ITEMS else float(g[c].iloc[0])
        rows.append(row)
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["distance", "cost", "school_id"], ascending=[False, False, True],
                           kind="stable").reset_index(drop=True)


def _plan_actions(plan, n: int) -> Actions:
    from lyganalysis.metrics.plan import ADDITION_KEYS

    schools = plan_schools(plan)
    top = []
    for r in schools.head(n).to_dict(orient="records"):
        needs = tuple({"item": k, "code": f"plan_add_{k}", "amount": float(r[f"add_{k}"]), "kind": _PLAN_KIND[k]}
                      for k in ADDITION_KEYS if r[f"add_{k}"] > 0)
        top.append(Action(school_id=r["school_id"], school_name=r["school_name"], stage=r["stages"][0],
                          n_met=r["n_met_before"], distance=r["distance"], needs=needs, cost=r["cost"],
                          stages=r["stages"]))
    totals = tuple({"item": t["item"], "code": f"plan_add_{t['item']}", "amount": float(t["quantity"]),
                    "kind": _PLAN_KIND[t["item"]], "cost": float(t["cost"])}
                   for t in plan.totals.to_dict(orient="records")
                   if t["item"] in _PLAN_KIND and number_or_none(t["quantity"]) and t["quantity"] > 0)
    cvs = []
    for st, g in plan.cvs.groupby("stage", sort=False):
        g = g.assign(_r=g["cv_after"] / g["limit"]).sort_values("_r", ascending=False, kind="stable")
        w = g.iloc[0]
        cvs.append({"stage": str(st), "indicator": str(w["indicator"]), "cv": float(w["cv_after"]),
                    "limit": float(w["limit"])})
    return Actions(top=tuple(top), n_schools=int(len(schools)), source="plan", total_cost=float(plan.total_cost),
                   totals=totals, cvs_after=tuple(cvs), all_compliant=bool(plan.all_compliant),
                   cv_rule_met=bool(plan.cv_rule_met), gap=float(plan.gap), n_sections=int(plan.n_sections),
                   n_compliant_after=int(plan.n_compliant_after))


def actions(results, n: int = N_TOP) -> Actions:
    """The ``n`` schools that need the most, with what they need (the ordering rule in the module docstring).

    From the county's plan (``results.resources.plan``) when there is one: schools with their additions and
    cost, and the plan's totals and CVs after it; otherwise the non-compliant sections with their least
    additions (``results.resources.schools_in_need``)."""
    res = results.resources
    plan = getattr(res, "plan", None) if res is not None else None
    if plan is not None:
        return _plan_actions(plan, n)
    need = getattr(res, "schools_in_need", None) if res is not None else None
    if not isinstance(need, pd.DataFrame) or need.empty:
        return Actions(top=(), n_schools=0)
    frame = need.sort_values(["distance", "school_id"], ascending=[False, True], kind="stable") \
        if "distance" in need else need
    top = []
    for r in frame.head(n).to_dict(orient="records"):
        needs = tuple({"indicator": k, "code": f"need_{k}", "amount": float(r[f"add_{k}"]),
                       "kind": _INDICATOR_UNIT_KIND[k]}
                      for k in _INDICATORS if number_or_none(r.get(f"add_{k}")) and number_or_none(r.get(f"add_{k}")) > 0)
        top.append(Action(school_id=str(r["school_id"]), school_name=str(r.get("school_name", "")),
                          stage=str(r.get("stage", "")), n_met=int(r.get("n_met") or 0),
                          distance=float(r.get("distance") or 0.0), needs=needs,
                          stages=(str(r.get("stage", "")),)))
    return Actions(top=tuple(top), n_schools=int(len(frame)))
