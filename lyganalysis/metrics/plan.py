"""The least-cost plan that makes every school section pass the 优质均衡 resource rule (达标规划).

Two questions a county that fails the resource part of 优质均衡 asks:

* :func:`least_additions` — for each school, the least-cost whole additions that make each of its
  sections comply with the school rule (standards.SCHOOL_RULE: at least 6 of the 7 indicators of
  standards.QUALITY_INDICATORS at their threshold, the remaining one at ≥ 85 % of it), ignoring the
  county 差异系数; with a ``distance`` that orders schools by how far they are from passing.
* :func:`county_plan` — the least-cost additions for the whole county such that every section complies
  AND every indicator's 差异系数 per stage is within its limit (standards.QUALITY_CV_LIMITS); or, with a
  budget, the plan that makes the most sections comply within it.

:func:`apply_plan` returns the planned data (sections or the canonical schools table) so that the
product's own assessment (:func:`lyganalysis.metrics.balance.school_compliance`,
:func:`lyganalysis.metrics.balance.quality_balance_assessment`) can be re-run on it.

Model
-----
Additions (``ADDITION_KEYS``), each in its own unit:

========================================  ========  =======  ==========================================
kind                                      level     values   raises
========================================  ========  =======  ==========================================
``above_qualification_teachers``          section   whole    L1 (a new teacher above the qualification)
``pe_arts_teachers``                      section   whole    L3 and L1 (new hires hold the qualification)
``backbone_designations``                 section   whole    L2 (existing teachers designated, not hired)
``teaching_area_m2``                      school    m²       L4
``sports_area_m2``                        school    m²       L5
``equipment_value_yuan``                  school    yuan     L6
``multimedia_classrooms``                 school    whole    L7
========================================  ========  =======  ==========================================

Teachers belong to a section (stage); physical additions are made to the school and raise each of its
sections by the section's ``resource_share`` (the 1 : 1.1 : 1.32 split of
:func:`lyganalysis.metrics.balance.school_sections`, standards.STUDENT_WEIGHTS). Students do not change,
so every indicator stays linear in the additions. m² and yuan are continuous by default (``whole_units=``
makes them multiples of a step). Designations cannot exceed the section's teachers who are not yet
backbone teachers.

The school rule is modelled with one binary per section × indicator (met or only ≥ 85 %); the
差异系数 constraint CV ≤ c is the second-order cone ``‖D(x − X̄)‖₂ ≤ c·X̄`` (D = diag √(Pᵢ/P)), which
is convex. It is handled by outer approximation (Kelley's cutting planes): solve the mixed-integer
linear program (``scipy.optimize.milp``, HiGHS), add for each violated stage × indicator the tangent planes
of the convex terms at the current solution, repeat. The cone is disaggregated (lifted outer
approximation): with ``uᵢ = √(Pᵢ/P)(xᵢ − X̄)``, ``‖u‖ ≤ c·X̄ ⇔ Σᵢ yᵢ ≤ c²·X̄`` with ``yᵢ ≥ uᵢ²/X̄``, and
each two-variable term ``uᵢ²/X̄`` is approximated by its tangents, which converges in far fewer rounds
than cutting the whole cone at once. Every cut is valid for the true feasible set, so each solve aimed at
the true limits gives a lower bound on the least cost; once the CVs are within ``cv_margin`` of the limits,
the loop aims at ``c·(1 − cv_margin)`` until the integer solution's CVs are within the limits (the plan
returned). The optimality gap is ``(cost − best lower bound) / cost``.

References: Kelley (1960), the cutting-plane method for convex programs; Duran & Grossmann (1986),
outer approximation for mixed-integer nonlinear programs; Vielma, Ahmed & Nemhauser (2008), lifted
polyhedral approximations of second-order cones.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from lyganalysis.jsonable import plain, records
from lyganalysis.metrics.balance import (
    INDICATOR_KEYS,
    RATIO_TOL,
    STAGES,
    numeric_column,
    one_county_year,
    quality_balance_assessment,
    quality_balance_indicators,
    require_columns,
    school_compliance,
    threshold_table,
)
from lyganalysis.standards import (
    PLAN_UNIT_COSTS,
    QUALITY_CV_LIMITS,
    QUALITY_INDICATORS,
    SCHOOL_RULE,
)

__all__ = [
    "ADDITION_COLUMNS",
    "ADDITION_KEYS",
    "PlanResult",
    "apply_plan",
    "compliance_distance",
    "county_plan",
    "least_additions",
    "weighted_cv",
]

ADDITION_KEYS: tuple[str, ...] = tuple(PLAN_UNIT_COSTS)
"""The seven addition kinds, in the order of the indicators they serve (L1/L3, L3, L2, L4…L7)."""
ADDITION_COLUMNS: tuple[str, ...] = tuple(f"add_{k}" for k in ADDITION_KEYS)
_SECTION_KINDS = ("above_qualification_teachers", "pe_arts_teachers", "backbone_designations")
_SCHOOL_KINDS = ("teaching_area_m2", "sports_area_m2", "equipment_value_yuan", "multimedia_classrooms")
_CONTINUOUS_KINDS = ("teaching_area_m2", "sports_area_m2", "equipment_value_yuan")
# internal scale of continuous variables (amount = scale × variable), for conditioning only
_INTERNAL_SCALE = {"teaching_area_m2": 1.0, "sports_area_m2": 1.0, "equipment_value_yuan": 1000.0}
_CAP_KEYS = ("new_teachers",) + ADDITION_KEYS
_ROW_MARGIN = 1e-6  # relative margin on continuous compliance rows (solver tolerance), ~1 yuan per 10⁶
_ID = ["school_id", "school_name", "county", "county_code", "locale", "school_type", "school_year", "stage",
       "students"]
_K = len(INDICATOR_KEYS)


# ---------------------------------------------------------------------------------------------
# small formulas

def weighted_cv(values: Sequence[float], weights: Sequence[float] | None = None) -> float:
    """The 差异系数 of ``values``: enrolment-weighted population CV around the pooled mean.

    ``X̄ = Σ Pᵢ Xᵢ / P``, ``S = sqrt(Σ (Pᵢ/P)(Xᵢ − X̄)²)``, ``CV = S / X̄`` — the same formula as
    :func:`lyganalysis.metrics.balance.coefficient_of_variation` with ``weight=`` (standards.DOC_CV_GUIDANCE),
    on plain arrays; without ``weights`` the unweighted population CV. This is the function the planner
    uses inside its loop. NaN when the mean is 0.
    """
    x = np.asarray(values, dtype="float64")
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype="float64")
    if x.shape != w.shape or x.ndim != 1 or not len(x):
        raise ValueError("weighted_cv: values and weights must be 1-D arrays of the same non-zero length")
    if np.isnan(x).any() or np.isnan(w).any() or (w < 0).any() or not w.sum() > 0:
        raise ValueError("weighted_cv: values and weights must be non-missing, weights non-negative, not all 0")
    p = w / w.sum()
    mean = float(p @ x)
    if mean == 0:
        return float("nan")
    return float(math.sqrt(float(p @ (x - mean) ** 2)) / mean)


def compliance_distance(ratios: pd.DataFrame | np.ndarray) -> np.ndarray:
    """How far each section is from passing the school rule, in threshold units (0 = complies).

    With ``rᵢₖ`` the value / threshold of indicator k, the shortfall ``fₖ = max(0, 1 − rₖ)`` (0 when the
    indicator is met, with the same 1e-9 tolerance as :func:`~lyganalysis.metrics.balance.school_compliance`)
    and the rule's exemption (standards.SCHOOL_RULE: ``n − min_met`` indicators may stay below the
    threshold if at ≥ ``min_ratio_others``)::

        distance = Σₖ fₖ − (sum of the n − min_met largest min(fₖ, 1 − min_ratio_others))

    i.e. the total relative shortfall left after the least demanding choice of the exempt indicator(s):
    the sum, over indicators, of the fraction of the threshold still missing to the level the rule asks.
    A section 10 % short on L4 and 20 % short on L2 has distance 0.10 + (0.20 − 0.15) = 0.15. Independent
    of unit costs, so it orders schools by need rather than by price.

    Parameters
    ----------
    ratios : DataFrame or 2-D array, one row per section, one column per indicator (L1…L7 ratios)

    Returns
    -------
    ndarray of float64 (NaN in rows with a missing ratio)
    """
    r = np.asarray(ratios, dtype="float64")
    if r.ndim != 2:
        raise ValueError("compliance_distance: ratios must be a 2-D table (sections × indicators)")
    f = np.where(r >= 1 - RATIO_TOL, 0.0, 1.0 - r)
    f = np.maximum(f, 0.0)
    save = np.minimum(f, 1.0 - SCHOOL_RULE.min_ratio_others)
    n_exempt = r.shape[1] - SCHOOL_RULE.min_met
    top = np.sort(save, axis=1)[:, ::-1][:, :max(n_exempt, 0)].sum(axis=1)
    d = f.sum(axis=1) - top
    d = np.where(np.abs(d) < 1e-12, 0.0, d)
    return np.where(np.isnan(r).any(axis=1), np.nan, d)


# ---------------------------------------------------------------------------------------------
# data preparation

@dataclass
class _Data:
    frame: pd.DataFrame            # the input indicators (all rows, original order)
    valid: np.ndarray              # rows with students > 0
    rows: np.ndarray               # positions (in frame) of the valid rows
    school_keys: list              # (school_id, school_year) per school index
    g: np.ndarray                  # school index of each valid section
    stage: np.ndarray
    n: np.ndarray                  # students
    share: np.ndarray              # resource_share
    n0: np.ndarray                 # numerators before, sections × 7
    need: np.ndarray               # numerator at threshold, sections × 7
    designable: np.ndarray         # teachers who are not yet backbone teachers
    costs: dict
    scale: dict                    # amount per unit of the internal variable, per school kind
    integer: dict                  # whether the school kind's variable is integer
    caps: dict                     # school index → {cap key → value}
    before: pd.DataFrame           # school_compliance of the input


def _costs(costs: Mapping[str, float] | None) -> dict:
    out = {k: float(c.value) for k, c in PLAN_UNIT_COSTS.items()}
    for k, v in (costs or {}).items():
        if k not in out:
            raise ValueError(f"costs: unknown addition kind {k!r}; expected {list(ADDITION_KEYS)}")
        if not (isinstance(v, (int, float, np.integer, np.floating)) and math.isfinite(v) and v >= 0):
            raise ValueError(f"costs: the unit cost of {k!r} must be a finite number ≥ 0, got {v!r}")
        out[k] = float(v)
    return out


def _units(whole_units: Mapping[str, float] | None) -> tuple[dict, dict]:
    scale = dict(_INTERNAL_SCALE)
    integer = {k: False for k in _CONTINUOUS_KINDS}
    scale["multimedia_classrooms"] = 1.0
    integer["multimedia_classrooms"] = True
    for k, step in (whole_units or {}).items():
        if k not in _CONTINUOUS_KINDS:
            raise ValueError(f"whole_units: {k!r} is not a continuous addition; teachers and rooms are always "
                             f"whole. Expected keys among {list(_CONTINUOUS_KINDS)}")
        if not (isinstance(step, (int, float, np.integer, np.floating)) and math.isfinite(step) and step > 0):
            raise ValueError(f"whole_units: the step of {k!r} must be a positive number, got {step!r}")
        scale[k] = float(step)
        integer[k] = True
    return scale, integer


def _caps(caps, school_keys: list) -> dict:
    if caps is None:
        return {}
    if isinstance(caps, Mapping):
        caps = pd.DataFrame([{"school_id": sid, **dict(v)} for sid, v in caps.items()])
    if not isinstance(caps, pd.DataFrame):
        raise TypeError("caps must be a DataFrame with a school_id column or a mapping school_id → {kind: cap}")
    require_columns(caps, ["school_id"], "caps")
    unknown = [c for c in caps.columns if c not in ("school_id", "school_year", "school_name") + _CAP_KEYS]
    if unknown:
        raise ValueError(f"caps: unknown column(s) {unknown}; caps may name {list(_CAP_KEYS)} (maximum addition "
                         "per school; 0 = cannot grow, e.g. land that cannot grow → teaching_area_m2 = "
                         "sports_area_m2 = 0; new_teachers = the 编制 left for new hires of both kinds)")
    by_id: dict = {}
    for i, (sid, yr) in enumerate(school_keys):
        by_id.setdefault(str(sid), []).append((i, yr))
    out: dict = {}
    for row in caps.to_dict("records"):
        sid = str(row["school_id"])
        if sid not in by_id:
            raise ValueError(f"caps: school_id {sid!r} is not among the sections planned")
        targets = [i for i, yr in by_id[sid] if "school_year" not in row or pd.isna(row["school_year"])
                   or int(row["school_year"]) == int(yr)]
        for key in _CAP_KEYS:
            v = row.get(key)
            if v is None or pd.isna(v):
                continue
            if not float(v) >= 0:
                raise ValueError(f"caps: {key} of school {sid!r} must be ≥ 0 (or empty for no cap), got {v!r}")
            for i in targets:
                out.setdefault(i, {})[key] = float(v)
    return out


def _prepare(indicators: pd.DataFrame, *, costs, caps, whole_units, stage_thresholds, what: str) -> _Data:
    if not isinstance(indicators, pd.DataFrame):
        raise TypeError(f"{what}: indicators must be the DataFrame of quality_balance_indicators()")
    numerators = [ind.numerator for ind in QUALITY_INDICATORS.values()]
    require_columns(indicators, ["school_id", "school_year", "stage", "students", "teachers", "resource_share",
                                  *numerators, *INDICATOR_KEYS], what)
    if indicators.index.has_duplicates:
        raise ValueError(f"{what}: the indicators frame has a duplicated index; reset_index() it first")
    dup = indicators.duplicated(["school_id", "school_year", "stage"])
    if dup.any():
        raise ValueError(f"{what}: {int(dup.sum())} duplicated school_id × school_year × stage row(s), e.g. "
                         f"{indicators.loc[dup, 'school_id'].iloc[0]!r}")
    before = school_compliance(indicators, stage_thresholds=stage_thresholds)
    students = numeric_column(indicators, "students")
    valid = (students > 0).to_numpy()
    sub = indicators.loc[valid]
    check = numerators + ["teachers", "resource_share"]
    for c in check:
        bad = numeric_column(sub, c).isna()
        if bad.any():
            raise ValueError(f"{what}: column {c!r} is missing for {int(bad.sum())} section(s) with students "
                             f"(e.g. school {sub.loc[bad, 'school_id'].iloc[0]!r}); a plan needs every count. "
                             "Fill the school table or leave those schools out explicitly")
        if (numeric_column(sub, c) < 0).any():
            raise ValueError(f"{what}: column {c!r} has negative values")
    table = threshold_table(stage_thresholds)
    keys = list(zip(sub["school_id"].astype(str), sub["school_year"].astype("int64")))
    school_keys = list(dict.fromkeys(keys))
    index = {k: i for i, k in enumerate(school_keys)}
    g = np.array([index[k] for k in keys], dtype=int)
    n = numeric_column(sub, "students").to_numpy()
    stage = sub["stage"].astype(str).to_numpy()
    n0 = np.column_stack([numeric_column(sub, ind.numerator).to_numpy() for ind in QUALITY_INDICATORS.values()])
    thr = np.array([[table[s][k] for k in INDICATOR_KEYS] for s in stage]).reshape(len(sub), _K)
    per = np.array([QUALITY_INDICATORS[k].per_students for k in INDICATOR_KEYS], dtype="float64")
    need = thr * n[:, None] / per[None, :]
    designable = numeric_column(sub, "teachers").to_numpy() - numeric_column(sub, "backbone_teachers").to_numpy()
    if (designable < -1e-9).any():
        bad = sub["school_id"].to_numpy()[designable < -1e-9][0]
        raise ValueError(f"{what}: school {bad!r} has more backbone teachers than teachers")
    scale, integer = _units(whole_units)
    return _Data(frame=indicators, valid=valid, rows=np.flatnonzero(valid), school_keys=school_keys, g=g,
                 stage=stage, n=n, share=numeric_column(sub, "resource_share").to_numpy(), n0=n0, need=need,
                 designable=np.floor(np.maximum(designable, 0.0) + 1e-9), costs=_costs(costs), scale=scale,
                 integer=integer, caps=_caps(caps, school_keys), before=before)


# ---------------------------------------------------------------------------------------------
# the mixed-integer model

@contextlib.contextmanager
def _quiet_native_stdout():
    """Silence what the HiGHS library itself prints on the process's stdout (file descriptor 1) during a
    solve (e.g. "HighsMipSolverData::transformNewIntegerFeasibleSolution"), which would otherwise land in
    batch logs and notebooks. Python-level output is untouched; a no-op where stdout has no descriptor."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


class _Model:
    """MILP over a subset of schools: variables, the numerator map and the fixed rows."""

    def __init__(self, d: _Data, schools: Sequence[int], *, budget_mode: bool = False):
        self.d = d
        self.schools = np.asarray(schools, dtype=int)
        self.sec = np.flatnonzero(np.isin(d.g, self.schools))
        m, q = len(self.sec), len(self.schools)
        self.m, self.q = m, q
        loc = {s: j for j, s in enumerate(self.schools)}
        self.gl = np.array([loc[s] for s in d.g[self.sec]], dtype=int)
        off = {}
        pos = 0
        for k in _SECTION_KINDS:
            off[k] = pos
            pos += m
        for k in _SCHOOL_KINDS:
            off[k] = pos
            pos += q
        self.off_z = pos
        pos += m * _K
        self.off_c = pos if budget_mode else None
        pos += m if budget_mode else 0
        # CV epigraph variables (used only for pairs that get cuts): y[i, k] ≥ uᵢ²/X̄ and X̄[stage, k]
        self.off_y = pos
        pos += m * _K
        self.off_x = pos
        pos += len(STAGES) * _K
        self.nvar = pos
        self.off = off
        self.budget_mode = budget_mode
        # cost, integrality, bounds
        cost = np.zeros(pos)
        integ = np.ones(pos)
        lb = np.zeros(pos)
        ub = np.full(pos, np.inf)
        for k in _SECTION_KINDS:
            cost[off[k]:off[k] + m] = d.costs[k]
        for k in _SCHOOL_KINDS:
            cost[off[k]:off[k] + q] = d.costs[k] * d.scale[k]
            integ[off[k]:off[k] + q] = 1.0 if d.integer[k] else 0.0
        ub[off["backbone_designations"]:off["backbone_designations"] + m] = d.designable[self.sec]
        ub[self.off_z:self.off_z + m * _K] = 1.0
        integ[self.off_y:] = 0.0
        if budget_mode:
            ub[self.off_c:self.off_c + m] = 1.0
        for j, s in enumerate(self.schools):
            for key, cap in d.caps.get(int(s), {}).items():
                if key in _SCHOOL_KINDS:
                    ub[off[key] + j] = cap / d.scale[key]
                    if d.integer[key]:
                        ub[off[key] + j] = math.floor(ub[off[key] + j] + 1e-9)
        self.cost, self.integ, self.lb, self.ub = cost, integ, lb, ub
        # numerator change per unit of each variable, one sparse matrix per indicator (sections × vars)
        r = d.share[self.sec]
        ar = np.arange(m)
        hq, hpe, bb = (off[k] + ar for k in _SECTION_KINDS)
        def mat(cols, vals):
            rows = np.concatenate([ar] * len(cols))
            return sparse.csr_matrix((np.concatenate(vals), (rows, np.concatenate(cols))), shape=(m, pos))
        ones = np.ones(m)
        school_col = {k: off[k] + self.gl for k in _SCHOOL_KINDS}
        self.B = [
            mat([hq, hpe], [ones, ones]),                                                    # L1
            mat([bb], [ones]),                                                               # L2
            mat([hpe], [ones]),                                                              # L3
            mat([school_col["teaching_area_m2"]], [r * d.scale["teaching_area_m2"]]),        # L4
            mat([school_col["sports_area_m2"]], [r * d.scale["sports_area_m2"]]),            # L5
            mat([school_col["equipment_value_yuan"]], [r * d.scale["equipment_value_yuan"]]),  # L6
            mat([school_col["multimedia_classrooms"]], [r]),                                 # L7
        ]
        self._fixed = self._fixed_rows()

    def _fixed_rows(self):
        d, m = self.d, self.m
        sec = self.sec
        blocks, lo, hi = [], [], []
        n0, need = d.n0[sec], d.need[sec]
        low = SCHOOL_RULE.min_ratio_others
        r = d.share[sec]
        for k in range(_K):
            d85 = np.maximum(0.0, low * need[:, k] - n0[:, k])
            d100 = np.maximum(0.0, need[:, k] - n0[:, k])
            exact = np.full(m, k in (0, 1, 2)) | ((k == 6) & (r == 1.0))
            # rows whose variables are whole with unit coefficients: whole requirements, no margin
            d85i, d100i = np.ceil(d85 - 1e-9), np.ceil(d100 - 1e-9)
            scale_row = np.where(exact, 1.0, 1.0 / need[:, k])
            d85 = np.where(exact, d85i, np.where(d85 > 0, d85 * (1 + _ROW_MARGIN), 0.0))
            d100 = np.where(exact, d100i, np.where(d100 > 0, d100 * (1 + _ROW_MARGIN), 0.0))
            Bk = sparse.diags(scale_row) @ self.B[k]
            z_cols = self.off_z + np.arange(m) * _K + k
            # already at the threshold: "met" costs nothing, fix the binary (fewer branches)
            self.lb[z_cols[d100 <= 0]] = 1.0
            Z = sparse.csr_matrix((-(d100 - d85) * scale_row, (np.arange(m), z_cols)), shape=(m, self.nvar))
            row = Bk + Z
            if self.budget_mode:
                C = sparse.csr_matrix((-d85 * scale_row, (np.arange(m), self.off_c + np.arange(m))),
                                      shape=(m, self.nvar))
                row = row + C
                lo.append(np.zeros(m))
            else:
                lo.append(d85 * scale_row)
            blocks.append(row)
            hi.append(np.full(m, np.inf))
        # at least min_met indicators met
        zc = self.off_z + (np.arange(m)[:, None] * _K + np.arange(_K)[None, :]).ravel()
        Z = sparse.csr_matrix((np.ones(m * _K), (np.repeat(np.arange(m), _K), zc)), shape=(m, self.nvar))
        if self.budget_mode:
            Z = Z + sparse.csr_matrix((np.full(m, -float(SCHOOL_RULE.min_met)),
                                       (np.arange(m), self.off_c + np.arange(m))), shape=(m, self.nvar))
            lo.append(np.zeros(m))
        else:
            lo.append(np.full(m, float(SCHOOL_RULE.min_met)))
        blocks.append(Z)
        hi.append(np.full(m, np.inf))
        # per-school caps on section-level additions (summed over the school's sections)
        for j, s in enumerate(self.schools):
            for key, cap in d.caps.get(int(s), {}).items():
                kinds = (("above_qualification_teachers", "pe_arts_teachers") if key == "new_teachers"
                         else (key,) if key in _SECTION_KINDS else ())
                if not kinds:
                    continue
                mine = np.flatnonzero(self.gl == j)
                cols = np.concatenate([self.off[kk] + mine for kk in kinds])
                blocks.append(sparse.csr_matrix((np.ones(len(cols)), (np.zeros(len(cols), int), cols)),
                                                shape=(1, self.nvar)))
                lo.append(np.array([-np.inf]))
                hi.append(np.array([cap]))
        return sparse.vstack(blocks).tocsr(), np.concatenate(lo), np.concatenate(hi)

    # --- values and CVs at a point
    def values(self, v: np.ndarray) -> np.ndarray:
        """Indicator values (sections × 7) at variables ``v``."""
        d = self.d
        per = np.array([QUALITY_INDICATORS[k].per_students for k in INDICATOR_KEYS], dtype="float64")
        num = d.n0[self.sec] + np.column_stack([self.B[k] @ v for k in range(_K)])
        return num * per[None, :] / d.n[self.sec][:, None]

    # --- the 差异系数 constraint, disaggregated: ‖u‖² ≤ c²X̄² ⇔ Σᵢ uᵢ²/X̄ ≤ c²X̄ (X̄ > 0), with
    # uᵢ = √wᵢ (xᵢ − X̄); each convex term uᵢ²/X̄ is bounded below by its tangent planes (outer approximation)
    def _pair(self, st: str, k: int, weights: np.ndarray):
        idx = np.flatnonzero(self.d.stage[self.sec] == st)
        w = weights[idx] / weights[idx].sum()
        per = QUALITY_INDICATORS[INDICATOR_KEYS[k]].per_students
        nn = self.d.n[self.sec][idx]
        alpha = per * self.d.n0[self.sec][idx, k] / nn
        beta = (sparse.diags(per / nn) @ self.B[k][idx]).tocsr()
        return idx, w, alpha, beta, self.off_x + STAGES.index(st) * _K + k

    def cv_define(self, st: str, k: int, weights: np.ndarray):
        """Rows defining X̄[st, k] = Σ wᵢ xᵢ (equality), as (matrix, lo, hi)."""
        _idx, w, alpha, beta, xcol = self._pair(st, k, weights)
        unit = sparse.csr_matrix(([1.0], ([0], [xcol])), shape=(1, self.nvar))
        c = float(w @ alpha)
        return (unit - sparse.csr_matrix(w) @ beta).tocsr(), np.array([c]), np.array([c])

    def cv_aggregate(self, st: str, k: int, weights: np.ndarray, limit: float):
        """Σᵢ yᵢ − limit² X̄ ≤ 0."""
        idx, _w, _alpha, _beta, xcol = self._pair(st, k, weights)
        cols = np.concatenate([self.off_y + idx * _K + k, [xcol]])
        vals = np.concatenate([np.ones(len(idx)), [-limit ** 2]])
        row = sparse.csr_matrix((vals, (np.zeros(len(cols), int), cols)), shape=(1, self.nvar))
        return row, np.array([-np.inf]), np.array([0.0])

    def cv_tangents(self, st: str, k: int, v0: np.ndarray, weights: np.ndarray):
        """Tangent planes of yᵢ ≥ uᵢ²/X̄ at v0: (2u₀/X₀)uᵢ − (u₀/X₀)² X̄ − yᵢ ≤ 0, one row per section."""
        idx, w, alpha, beta, xcol = self._pair(st, k, weights)
        x0 = alpha + beta @ v0
        X0 = float(w @ x0)
        if not X0 > 0:
            return None
        sw = np.sqrt(w)
        u0 = sw * (x0 - X0)
        g = 2 * u0 / X0
        h = (u0 / X0) ** 2
        n_i = len(idx)
        # uᵢ = √wᵢ (αᵢ + βᵢ v − X̄)
        B = sparse.diags(g * sw) @ beta
        rest = sparse.csr_matrix((np.concatenate([-(g * sw) - h, -np.ones(n_i)]),
                                  (np.concatenate([np.arange(n_i)] * 2),
                                   np.concatenate([np.full(n_i, xcol), self.off_y + idx * _K + k]))),
                                 shape=(n_i, self.nvar))
        rows = (B + rest).tocsr()
        return rows, np.full(n_i, -np.inf), -(g * sw * alpha)

    def solve(self, extra=(), *, objective=None, extra_bounds=None, mip_rel_gap=1e-6, time_limit=None):
        """Solve with the fixed rows plus ``extra`` blocks (matrix, lo, hi)."""
        A, lo, hi = self._fixed
        mats, los, his = [A], [lo], [hi]
        for row, low, u in list(extra) + list(extra_bounds or ()):
            mats.append(sparse.csr_matrix(row))
            los.append(np.atleast_1d(np.asarray(low, dtype="float64")))
            his.append(np.atleast_1d(np.asarray(u, dtype="float64")))
        A = sparse.vstack(mats).tocsr()
        opts = {"mip_rel_gap": mip_rel_gap, "disp": False}
        if time_limit is not None:
            opts["time_limit"] = float(time_limit)
        with _quiet_native_stdout():
            res = milp(self.cost if objective is None else objective, integrality=self.integ,
                       bounds=Bounds(self.lb, self.ub),
                       constraints=LinearConstraint(A, np.concatenate(los), np.concatenate(his)), options=opts)
        return res

    def clean(self, x: np.ndarray) -> np.ndarray:
        v = np.where(self.integ > 0, np.round(x), x)
        return np.maximum(v, 0.0)

    def additions(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(section additions m × 3, school additions q × 4) in the kinds' own units."""
        sec = np.column_stack([v[self.off[k]:self.off[k] + self.m] for k in _SECTION_KINDS])
        sch = np.column_stack([v[self.off[k]:self.off[k] + self.q] * self.d.scale[k] for k in _SCHOOL_KINDS])
        return sec, sch


# ---------------------------------------------------------------------------------------------
# frames

def _addition_frame(d: _Data, sec_add: np.ndarray, sch_add: np.ndarray) -> pd.DataFrame:
    """Per input row: the 7 addition columns (school-level amounts repeated on each of its sections)."""
    n_rows = len(d.frame)
    out = np.zeros((n_rows, len(ADDITION_KEYS)))
    out[d.rows, :3] = sec_add
    out[d.rows, 3:] = sch_add[d.g]
    # zero-student sections of a planned school carry its physical additions too (share 0)
    pos = {k: i for i, k in enumerate(d.school_keys)}
    keys = list(zip(d.frame["school_id"].astype(str), d.frame["school_year"].astype("int64")))
    for r in np.flatnonzero(~d.valid):
        if keys[r] in pos:
            out[r, 3:] = sch_add[pos[keys[r]]]
    return pd.DataFrame(out, columns=list(ADDITION_COLUMNS), index=d.frame.index)


def _attributed_cost(d: _Data, adds: pd.DataFrame) -> np.ndarray:
    """Cost per row: own teachers, plus the school's physical cost split by resource_share over the school's
    sections with students (the senior part's share is carried by the compulsory sections)."""
    c = np.array([d.costs[k] for k in ADDITION_KEYS])
    teacher = adds[list(ADDITION_COLUMNS[:3])].to_numpy() @ c[:3]
    physical = adds[list(ADDITION_COLUMNS[3:])].to_numpy() @ c[3:]
    share = np.zeros(len(d.frame))
    share[d.rows] = d.share
    key = pd.Series(list(zip(d.frame["school_id"].astype(str), d.frame["school_year"].astype("int64"))),
                    index=d.frame.index)
    tot = pd.Series(share, index=d.frame.index).groupby(key).transform("sum").to_numpy()
    frac = np.where(tot > 0, share / np.where(tot > 0, tot, 1.0), 0.0)
    return teacher + physical * frac


def _section_table(d: _Data, adds: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    f = d.frame
    ids = [c for c in _ID if c in f.columns]
    out = f[ids].copy()
    out["resource_share"] = numeric_column(f, "resource_share")
    n_sections = pd.Series(list(zip(f["school_id"].astype(str), f["school_year"])), index=f.index)
    n_sections = n_sections.map(n_sections.value_counts())
    out["shared_physical"] = (n_sections > 1).to_numpy()
    for c in ADDITION_COLUMNS:
        out[c] = adds[c].to_numpy()
    out["cost"] = _attributed_cost(d, adds)
    out["n_met_before"] = d.before["n_met"].to_numpy()
    out["n_met_after"] = after["n_met"].to_numpy()
    out["compliant_before"] = d.before["compliant"].to_numpy()
    out["compliant_after"] = after["compliant"].to_numpy()
    ratios = d.before[[f"{k}_ratio" for k in INDICATOR_KEYS]].to_numpy(dtype="float64", na_value=np.nan)
    out["distance"] = compliance_distance(ratios)
    met = np.column_stack([after[f"{k}_met"].eq(False).fillna(False).to_numpy(dtype=bool)
                           for k in INDICATOR_KEYS])
    unmet = [",".join(k for k, m in zip(INDICATOR_KEYS, row) if m) for row in met]
    out["unmet_after"] = pd.array(unmet, dtype="string")
    out["changed"] = (adds[list(ADDITION_COLUMNS)].to_numpy() > 0).any(axis=1)
    key = [f["school_id"].astype(str), f["school_year"]]
    out["school_distance"] = out["distance"].groupby(key).transform("max")
    out["school_cost"] = out["cost"].groupby(key).transform("sum")
    return out


def _sort(t: pd.DataFrame) -> pd.DataFrame:
    """Schools farthest from passing first (their largest section distance, then their cost); a school's
    sections stay together in the input order."""
    return t.sort_values(["school_distance", "school_cost"], ascending=False, kind="stable", na_position="last")


# ---------------------------------------------------------------------------------------------
# least additions per school

def least_additions(indicators: pd.DataFrame, *, costs: Mapping[str, float] | None = None,
                    caps: pd.DataFrame | Mapping | None = None,
                    whole_units: Mapping[str, float] | None = None,
                    stage_thresholds: Mapping[str, Mapping[str, float]] | None = None) -> pd.DataFrame:
    """The least-cost whole additions that make each school section comply with the school rule.

    For each school, a small mixed-integer program (``scipy.optimize.milp``, solved to optimality) finds
    the cheapest additions (kinds in :data:`ADDITION_KEYS`, see the module docstring) after which each of
    its sections meets standards.SCHOOL_RULE — at least ``min_met`` (6) of the 7 indicators of
    standards.QUALITY_INDICATORS at their thresholds and the remaining one at ≥ ``min_ratio_others`` (85 %)
    of its threshold (教督〔2017〕6号) — not the gaps to all seven. Sections of one school are solved
    together, since a physical addition to a combined school (nine-year, twelve-year, complete middle) raises
    each section by its ``resource_share`` (1 : 1.1 : 1.32, standards.STUDENT_WEIGHTS). The county
    差异系数 is not considered here: see :func:`county_plan`.

    Parameters
    ----------
    indicators : DataFrame
        Output of :func:`lyganalysis.metrics.balance.quality_balance_indicators` (one row per section; any
        number of counties and years).
    costs : mapping addition kind → yuan per unit, optional
        Overrides of the default unit costs standards.PLAN_UNIT_COSTS (assumptions [U]).
    caps : DataFrame or mapping, optional
        Per-school maximum additions: a DataFrame with ``school_id`` (optionally ``school_year``) and
        columns among ``new_teachers`` (编制 left for new hires of both kinds, whole school) and the
        addition kinds (school totals); NaN = no cap, 0 = cannot grow (land that cannot grow:
        ``teaching_area_m2 = sports_area_m2 = 0``). Or a mapping school_id → {column → cap}.
    whole_units : mapping, optional
        Steps for the continuous kinds, e.g. ``{"teaching_area_m2": 1, "equipment_value_yuan": 100}``:
        additions become whole multiples of the step. Default: m² and yuan continuous; teachers,
        designations and rooms are always whole.
    stage_thresholds : mapping stage → {indicator → threshold}, optional
        As in :func:`~lyganalysis.metrics.balance.school_compliance`.

    Returns
    -------
    DataFrame, one row per input section, schools farthest from passing first (``school_distance``, then
    ``school_cost``), a school's sections together
        Identifier columns (``school_id, school_name, county, county_code, locale, school_type,
        school_year, stage, students`` where present), ``resource_share``, ``shared_physical`` (the school
        has several sections: its physical columns repeat the school's addition on each section row —
        count them once per school), the addition columns ``add_<kind>`` (teachers for the section;
        m², yuan and rooms for the school), ``cost`` (yuan: the section's teachers plus its share of the
        school's physical cost, split by ``resource_share`` over the school's compulsory sections — a senior
        part's share is carried by them, since the whole addition is paid — so that costs add up), ``n_met_before``, ``n_met_after`` (Int64),
        ``compliant_before``, ``compliant_after`` (boolean), ``distance`` (float, see
        :func:`compliance_distance`), ``school_distance`` (the largest distance of the school's sections),
        ``school_cost`` (the school's total), ``unmet_after`` (indicators still below threshold after),
        ``changed`` (bool), ``feasible`` (bool: False when caps make compliance impossible; additions are
        then 0 and ``compliant_after`` False). Sections with 0 students have NA results and no additions.

    Raises
    ------
    ValueError
        Missing columns; missing counts in sections with students (a plan needs every count); duplicated
        sections; unknown cost, cap or unit keys; negative costs or caps.
    """
    d = _prepare(indicators, costs=costs, caps=caps, whole_units=whole_units,
                 stage_thresholds=stage_thresholds, what="least_additions")
    sec_add = np.zeros((len(d.g), 3))
    sch_add = np.zeros((len(d.school_keys), 4))
    feasible = np.ones(len(d.school_keys), dtype=bool)
    compliant_before = d.before["compliant"].to_numpy(dtype=object)[d.rows]
    for s in range(len(d.school_keys)):
        mine = np.flatnonzero(d.g == s)
        if all(compliant_before[i] is True for i in mine):
            continue
        model = _Model(d, [s])
        res = model.solve(mip_rel_gap=0.0)
        if res.x is None:
            feasible[s] = False
            continue
        a, b = model.additions(model.clean(res.x))
        sec_add[model.sec] = a
        sch_add[s] = b[0]
    adds = _addition_frame(d, sec_add, sch_add)
    after = school_compliance(_apply_to_sections(d.frame, adds), stage_thresholds=stage_thresholds)
    out = _section_table(d, adds, after)
    feas_row = np.ones(len(d.frame), dtype=bool)
    feas_row[d.rows] = feasible[d.g]
    out["feasible"] = feas_row
    return _sort(out)


# ---------------------------------------------------------------------------------------------
# county plan

@dataclass(frozen=True)
class PlanResult:
    """A county's least-cost plan for 优质均衡 resource compliance (see :func:`county_plan`).

    Attributes
    ----------
    sections : DataFrame
        Every section, columns as :func:`least_additions` (without ``feasible``), in the same order.
    totals : DataFrame
        One row per addition kind and a ``"total"`` row: ``item, name_zh, name_en, unit, quantity``
        (physical additions counted once per school), ``unit_cost, cost`` (yuan).
    cvs : DataFrame
        Per stage × indicator: ``stage, indicator, name_zh, cv_before, cv_after, limit, passes_before,
        passes_after`` (the product's own :func:`~lyganalysis.metrics.balance.quality_balance_assessment`
        on the data before and after the plan).
    total_cost, lower_bound, gap : float
        Cost of the plan (yuan), a proven lower bound on the least possible cost under the same rules, and
        ``(total_cost − lower_bound) / total_cost`` (0 when both are 0).
    method : str
    status : str
        ``"optimal"`` (within ``gap``), ``"budget"`` (budget mode) or ``"iteration_limit"`` (the CV loop did
        not reach the limits: the plan then fails ``cv_rule_met``).
    iterations, n_cuts : int
        Rounds of the cutting-plane loop (MILP solves) and CV cuts added.
    cv_rule_met, all_compliant : bool
    n_sections, n_compliant_before, n_compliant_after, n_sections_changed : int
        Sections with students; compliant before / after; sections with any addition.
    budget : float or None
    costs : dict
        Unit costs used (yuan per unit).
    whole_units : dict
    weighted : bool
    solve_seconds : float
        Wall time of the solves (informational).
    county, school_year, notes
    """

    sections: pd.DataFrame
    totals: pd.DataFrame
    cvs: pd.DataFrame
    total_cost: float
    lower_bound: float
    gap: float
    method: str
    status: str
    iterations: int
    n_cuts: int
    cv_rule_met: bool
    all_compliant: bool
    n_sections: int
    n_compliant_before: int
    n_compliant_after: int
    n_sections_changed: int
    budget: float | None
    costs: dict
    whole_units: dict
    weighted: bool
    solve_seconds: float
    county: str | None = None
    school_year: int | None = None
    notes: tuple = field(default_factory=tuple)

    def to_frame(self, part: str = "actions") -> pd.DataFrame:
        """``"actions"`` (default): the per-school action list — sections with any addition, farthest from
        passing first: ``school_id, school_name, stage, students, add_…, cost, n_met_before, n_met_after,
        compliant_before, compliant_after, distance, shared_physical``; ``"sections"``: every section;
        ``"totals"``; ``"cvs"``."""
        if part == "actions":
            cols = [c for c in ["school_id", "school_name", "school_type", "stage", "students"]
                    if c in self.sections.columns]
            cols += list(ADDITION_COLUMNS) + ["cost", "n_met_before", "n_met_after", "compliant_before",
                                              "compliant_after", "distance", "school_distance", "shared_physical"]
            return self.sections.loc[self.sections["changed"], cols].reset_index(drop=True)
        if part == "sections":
            return self.sections.reset_index(drop=True)
        if part == "totals":
            return self.totals.copy()
        if part == "cvs":
            return self.cvs.copy()
        raise ValueError(f"part must be 'actions', 'sections', 'totals' or 'cvs', got {part!r}")

    def to_dict(self) -> dict:
        """JSON-ready summary: the scalars, the action list, the totals and the CVs."""
        scalars = {k: plain(getattr(self, k)) for k in (
            "county", "school_year", "method", "status", "total_cost", "lower_bound", "gap", "iterations",
            "n_cuts", "cv_rule_met", "all_compliant", "n_sections", "n_compliant_before", "n_compliant_after",
            "n_sections_changed", "budget", "costs", "whole_units", "weighted", "solve_seconds", "notes")}
        return {**scalars, "actions": records(self.to_frame("actions")), "totals": records(self.totals),
                "cvs": records(self.cvs)}


def _weights(m: _Model, weighted: bool) -> np.ndarray:
    return m.d.n[m.sec].astype("float64") if weighted else np.ones(m.m)


def _cv_table(m: _Model, v: np.ndarray, weights: np.ndarray) -> dict:
    x = m.values(v)
    out = {}
    for st in STAGES:
        idx = np.flatnonzero(m.d.stage[m.sec] == st)
        if not len(idx):
            continue
        for k in range(_K):
            out[(st, k)] = weighted_cv(x[idx, k], weights[idx])
    return out


def county_plan(indicators: pd.DataFrame, *, costs: Mapping[str, float] | None = None,
                cv_limits: Mapping[str, float] | None = None, budget: float | None = None,
                caps: pd.DataFrame | Mapping | None = None, weighted: bool = True,
                whole_units: Mapping[str, float] | None = None,
                stage_thresholds: Mapping[str, Mapping[str, float]] | None = None,
                cv_margin: float = 1e-3, mip_rel_gap: float = 1e-4, max_iterations: int = 200,
                time_limit: float | None = None) -> PlanResult:
    """Least-cost additions such that every section complies and every 差异系数 is within its limit.

    Decision: the additions of :data:`ADDITION_KEYS` per section (teachers) and per school (m², yuan,
    rooms; shared by a combined school's sections by ``resource_share``). Constraints: every section with
    students meets standards.SCHOOL_RULE (≥ 6 of 7 indicators at threshold, the 7th at ≥ 85 %; 教督〔2017〕6号),
    and for each stage the 差异系数 of each indicator (enrolment-weighted population CV, standards.DOC_CV_GUIDANCE)
    is ≤ its limit (standards.QUALITY_CV_LIMITS). Objective: total cost at the unit costs
    (standards.PLAN_UNIT_COSTS, assumptions [U], or ``costs=``).

    Method: mixed-integer linear program (``scipy.optimize.milp``, HiGHS branch and bound) inside an outer
    loop of supporting-hyperplane cuts on the convex CV constraint (outer approximation / Kelley); see the
    module docstring. The lower bound is the MILP dual bound with every cut taken at the true limit.

    With ``budget``: the plan that makes the most sections comply at a cost ≤ budget (the cheapest among
    those), the CV limits are not imposed and ``cv_rule_met`` reports whether they hold after the plan.

    Parameters
    ----------
    indicators : DataFrame
        Output of :func:`lyganalysis.metrics.balance.quality_balance_indicators` for ONE county and ONE
        school year.
    costs, caps, whole_units, stage_thresholds
        As in :func:`least_additions`.
    cv_limits : mapping stage → float, optional
        Override the CV limits (default standards.QUALITY_CV_LIMITS: 0.50 primary, 0.45 junior).
    budget : float, optional
        Yuan. Switches to the budget mode above.
    weighted : bool, default True
        Enrolment-weighted (official) or unweighted CVs.
    cv_margin : float, default 1e-3
        The loop first aims at the true limits (each solve then gives a valid lower bound) until every CV is
        within ``limit · (1 + cv_margin)``, then at ``limit · (1 − cv_margin)`` until every CV is ≤ its
        limit; larger values converge in fewer rounds at a slightly higher cost (the gap includes it).
    mip_rel_gap : float, default 1e-4
        Relative optimality tolerance of each MILP solve (1e-4 of a county's cost is below the price of one
        teacher or room; the reported ``gap`` includes it).
    max_iterations : int, default 200
    time_limit : float, optional
        Seconds per MILP solve.

    Returns
    -------
    PlanResult

    Raises
    ------
    ValueError
        As :func:`least_additions`; several counties or years; a non-positive limit or negative budget; no
        plan exists under the caps (the message names the schools that cannot comply, or says the CV limits
        cannot be met).
    RuntimeError
        ``time_limit`` reached before any plan was found; or the planned data do not pass the product's own
        assessment (a defect of this module, not of the data).
    """
    county, year = one_county_year(indicators, "county_plan")
    limits = {st: QUALITY_CV_LIMITS[st].value for st in STAGES}
    for st, v in (cv_limits or {}).items():
        if st not in limits:
            raise ValueError(f"cv_limits: unknown stage {st!r}; expected {STAGES}")
        if not (isinstance(v, (int, float, np.integer, np.floating)) and v > 0):
            raise ValueError(f"cv_limits: the limit for {st} must be a positive number, got {v!r}")
        limits[st] = float(v)
    if budget is not None and not (isinstance(budget, (int, float, np.integer, np.floating)) and budget >= 0):
        raise ValueError(f"budget must be a number ≥ 0 (yuan), got {budget!r}")
    if not 0 <= cv_margin < 0.5:
        raise ValueError(f"cv_margin must be in [0, 0.5), got {cv_margin!r}")
    d = _prepare(indicators, costs=costs, caps=caps, whole_units=whole_units,
                 stage_thresholds=stage_thresholds, what="county_plan")
    if not len(d.g):
        raise ValueError("county_plan: no section with students: nothing to plan")
    t0 = time.perf_counter()
    notes = []
    if budget is not None:
        model = _Model(d, range(len(d.school_keys)), budget_mode=True)
        cost_row = (sparse.csr_matrix(model.cost), -np.inf, float(budget) * (1 + 1e-12))
        count = np.zeros(model.nvar)
        count[model.off_c:model.off_c + model.m] = -1.0
        res = model.solve(objective=count, extra_bounds=[cost_row], mip_rel_gap=0.0, time_limit=time_limit)
        if res.x is None:
            raise RuntimeError(f"county_plan: the budget problem could not be solved ({res.message})")
        best = round(-res.fun)
        count_row = (sparse.csr_matrix(-count), best - 0.5, np.inf)
        res = model.solve(extra_bounds=[cost_row, count_row], mip_rel_gap=mip_rel_gap, time_limit=time_limit)
        if res.x is None:
            raise RuntimeError(f"county_plan: the budget problem could not be solved ({res.message})")
        v = model.clean(res.x)
        lower = float(res.mip_dual_bound) if res.mip_dual_bound is not None else float(res.fun)
        iterations, n_cuts, status = 2, 0, "budget"
        method = ("two mixed-integer linear programs (scipy.optimize.milp, HiGHS): the most compliant sections "
                  "within the budget, then the cheapest plan with that many; CV limits not imposed")
    else:
        model = _Model(d, range(len(d.school_keys)))
        weights = _weights(model, weighted)
        target = {st: limits[st] * (1 - cv_margin) for st in limits}
        active: list = []       # (stage, k) pairs with CV rows
        tangents: list = []     # tangent blocks
        status = "iteration_limit"
        v = None
        iterations = n_cuts = 0

        def rows(limit_of):
            out = []
            for st, k in active:
                out.append(model.cv_define(st, k, weights))
                out.append(model.cv_aggregate(st, k, weights, limit_of[st]))
            return out + tangents

        # phase 1 aims at the true limits: every solve's dual bound is a valid lower bound; it ends with a
        # feasible plan, or once every CV is within (1 + cv_margin) of its limit. Phase 2 then aims at
        # limit·(1 − cv_margin) with the same cuts until the plan's CVs are within the true limits.
        lower = -np.inf
        phase, aim = 1, limits
        for iterations in range(1, max_iterations + 1):  # noqa: B007 - the count is reported after the loop
            res = model.solve(rows(aim), mip_rel_gap=mip_rel_gap, time_limit=time_limit)
            if res.x is None:
                if phase == 2 and res.status != 2:
                    break
                if res.status == 1:
                    raise RuntimeError(f"county_plan: the MILP solve stopped at its limit before finding any plan "
                                       f"(time_limit={time_limit!r}); raise time_limit or leave it unset")
                _raise_infeasible(d, caps=caps, whole_units=whole_units, costs=costs,
                                  stage_thresholds=stage_thresholds, cuts=bool(active), message=res.message)
            if phase == 1:
                bound = res.mip_dual_bound if res.mip_dual_bound is not None else res.fun
                lower = max(lower, float(bound))
            v = model.clean(res.x)
            cvs = _cv_table(model, v, weights)
            bad = [(st, k) for (st, k), cv in cvs.items() if not cv <= limits[st] * (1 - 1e-9)]
            if not bad:
                status = "optimal"
                break
            if phase == 1 and all(cvs[p] <= limits[p[0]] * (1 + cv_margin) for p in bad):
                phase, aim = 2, target
            for st, k in bad:
                t = model.cv_tangents(st, k, v, weights)
                if t is None:
                    continue
                if (st, k) not in active:
                    active.append((st, k))
                tangents.append(t)
                n_cuts += t[0].shape[0]
        method = ("mixed-integer linear program (scipy.optimize.milp, HiGHS branch and bound) inside an outer "
                  "loop of tangent-plane cuts on the convex 差异系数 constraint "
                  "(lifted outer approximation of the cone)")
        if status != "optimal":
            notes.append(f"the CV loop stopped after {max_iterations} rounds with CVs above their limits")
    seconds = time.perf_counter() - t0
    sec_add, sch_add = model.additions(v)
    adds = _addition_frame(d, sec_add, sch_add)
    planned = _apply_to_sections(d.frame, adds)
    after = school_compliance(planned, stage_thresholds=stage_thresholds)
    table = _section_table(d, adds, after)
    total = float(model.cost @ v)
    lower = min(lower, total) if math.isfinite(lower) else lower
    gap = 0.0 if total <= 0 else max(0.0, (total - lower) / total)
    cv_frame = _cv_frame(d.frame, planned, limits, weighted)
    cv_ok = bool(cv_frame["passes_after"].all())
    valid = d.valid
    comp_after = after["compliant"].to_numpy(dtype=object)[valid]
    all_ok = bool(all(c is True for c in comp_after))
    if budget is None and status == "optimal" and not (all_ok and cv_ok):
        raise RuntimeError("county_plan: the planned data fail the product's own assessment "
                           f"(all compliant: {all_ok}, CVs within limits: {cv_ok}); this is a defect of "
                           "lyganalysis.metrics.plan, please report it with the input")
    return PlanResult(
        sections=_sort(table), totals=_totals(d, adds), cvs=cv_frame, total_cost=total, lower_bound=lower,
        gap=float(gap), method=method, status=status, iterations=int(iterations), n_cuts=int(n_cuts),
        cv_rule_met=cv_ok, all_compliant=all_ok, n_sections=int(valid.sum()),
        n_compliant_before=int(sum(c is True for c in d.before["compliant"].to_numpy(dtype=object)[valid])),
        n_compliant_after=int(sum(c is True for c in comp_after)),
        n_sections_changed=int(table.loc[valid, "changed"].sum()), budget=None if budget is None else float(budget),
        costs=dict(d.costs), whole_units=dict(whole_units or {}), weighted=weighted, solve_seconds=seconds,
        county=county, school_year=year, notes=tuple(notes))


def _raise_infeasible(d, *, caps, whole_units, costs, stage_thresholds, cuts, message):
    if not cuts:
        la = least_additions(d.frame, costs=costs, caps=caps, whole_units=whole_units,
                             stage_thresholds=stage_thresholds)
        bad = la.loc[~la["feasible"], "school_id"].astype(str).unique().tolist()
        if bad:
            raise ValueError(f"county_plan: no plan exists: under the caps, school(s) {bad[:10]} cannot meet the "
                             "school rule (raise or remove their caps)")
    raise ValueError("county_plan: no plan exists: under the caps the 差异系数 limits cannot be met together "
                     f"with the school rule ({message})")


def _cv_frame(before: pd.DataFrame, after: pd.DataFrame, limits: dict, weighted: bool) -> pd.DataFrame:
    a = quality_balance_assessment(before, weighted=weighted, limits=limits).table
    b = quality_balance_assessment(after, weighted=weighted, limits=limits).table
    out = a[["stage", "indicator", "name_zh"]].copy()
    out["cv_before"] = a["coefficient_of_variation"].to_numpy()
    out["cv_after"] = b["coefficient_of_variation"].to_numpy()
    out["limit"] = a["limit"].to_numpy()
    out["passes_before"] = a["passes"].astype(bool).to_numpy()
    out["passes_after"] = b["passes"].astype(bool).to_numpy()
    return out.reset_index(drop=True)


def _totals(d: _Data, adds: pd.DataFrame) -> pd.DataFrame:
    f = d.frame
    key = pd.Series(list(zip(f["school_id"].astype(str), f["school_year"])), index=f.index)
    first = ~key.duplicated()
    rows = []
    for k, col in zip(ADDITION_KEYS, ADDITION_COLUMNS):
        qty = float(adds[col].sum()) if k in _SECTION_KINDS else float(adds.loc[first, col].sum())
        uc = PLAN_UNIT_COSTS[k]
        rows.append({"item": k, "name_zh": uc.name_zh, "name_en": uc.name_en, "unit": uc.unit,
                     "quantity": qty, "unit_cost": d.costs[k], "cost": qty * d.costs[k]})
    out = pd.DataFrame(rows)
    total = pd.DataFrame([{"item": "total", "name_zh": "合计", "name_en": "total", "unit": "yuan",
                           "quantity": np.nan, "unit_cost": np.nan, "cost": float(out["cost"].sum())}])
    return pd.concat([out, total], ignore_index=True)


# ---------------------------------------------------------------------------------------------
# applying a plan

def _plan_frame(plan) -> pd.DataFrame:
    if isinstance(plan, PlanResult):
        t = plan.sections
    elif isinstance(plan, pd.DataFrame):
        t = plan
    else:
        raise TypeError("plan must be a PlanResult or the DataFrame of least_additions()")
    require_columns(t, ["school_id", "school_year", "stage", *ADDITION_COLUMNS], "apply_plan(plan)")
    t = t.assign(school_id=t["school_id"].astype(str), school_year=t["school_year"].astype("int64"))
    for c in ADDITION_COLUMNS:
        x = numeric_column(t, c)
        if x.isna().any() or (x < 0).any():
            raise ValueError(f"apply_plan: plan column {c!r} has missing or negative values")
    phys = t.groupby(["school_id", "school_year"])[list(ADDITION_COLUMNS[3:])]
    if ((phys.max() - phys.min()).abs() > 1e-9).any().any():
        raise ValueError("apply_plan: the sections of one school carry different physical additions; physical "
                         "additions are made to the school and must repeat on each of its section rows")
    return t


def _apply_to_sections(sections: pd.DataFrame, adds: pd.DataFrame) -> pd.DataFrame:
    out = sections.copy()
    share = numeric_column(out, "resource_share").fillna(0.0)
    a = {k: adds[f"add_{k}"].to_numpy() for k in ADDITION_KEYS}
    out["teachers"] = numeric_column(out, "teachers") + a["above_qualification_teachers"] + a["pe_arts_teachers"]
    out["above_required_qualification"] = (numeric_column(out, "above_required_qualification")
                                           + a["above_qualification_teachers"] + a["pe_arts_teachers"])
    out["pe_arts_teachers"] = numeric_column(out, "pe_arts_teachers") + a["pe_arts_teachers"]
    out["backbone_teachers"] = numeric_column(out, "backbone_teachers") + a["backbone_designations"]
    for k in _SCHOOL_KINDS:
        out[k] = numeric_column(out, k) + share.to_numpy() * a[k]
    return quality_balance_indicators(out)


def apply_plan(schools_or_indicators: pd.DataFrame, plan: PlanResult | pd.DataFrame) -> pd.DataFrame:
    """The data after the plan, for re-running the product's own assessment on it.

    Parameters
    ----------
    schools_or_indicators : DataFrame
        Either sections (output of :func:`~lyganalysis.metrics.balance.school_sections` or
        :func:`~lyganalysis.metrics.balance.quality_balance_indicators`, recognised by a ``stage`` column),
        or the canonical ``schools`` table (data/README.md; recognised by ``students_primary``).
    plan : PlanResult or DataFrame
        A :func:`county_plan` result or the frame of :func:`least_additions` (or any frame with
        ``school_id, school_year, stage`` and the ``add_…`` columns, physical additions repeated on each
        section row of a school).

    Returns
    -------
    DataFrame
        Sections input: a copy with the section counts raised by the new teachers (``teachers``,
        ``above_required_qualification`` by both hire kinds, ``pe_arts_teachers``, ``backbone_teachers`` by
        designations), each physical column raised by ``resource_share`` × the school's addition, and L1…L7
        recomputed. Schools input: a copy with ``teachers_<stage>``, ``above_required_qualification_<stage>``,
        ``pe_arts_teachers_<stage>``, ``backbone_teachers_<stage>`` and the whole-school physical columns
        raised; pass it to ``school_sections`` again. Rows without a plan row are unchanged.

    Raises
    ------
    ValueError
        Neither kind of table; plan rows that match no section / school; missing or negative additions;
        sections of one school with different physical additions; fractional teacher or room additions for a
        schools table with whole-number columns.
    """
    t = _plan_frame(plan)
    data = schools_or_indicators
    if not isinstance(data, pd.DataFrame):
        raise TypeError("apply_plan: the data must be a sections or schools DataFrame")
    if "stage" in data.columns:
        require_columns(data, ["school_id", "school_year", "stage", "resource_share"], "apply_plan(sections)")
        key = pd.MultiIndex.from_arrays([data["school_id"].astype(str), data["school_year"].astype("int64"),
                                         data["stage"].astype(str)])
        pkey = pd.MultiIndex.from_arrays([t["school_id"], t["school_year"], t["stage"].astype(str)])
        missing = pkey.difference(key)
        if len(missing):
            raise ValueError(f"apply_plan: {len(missing)} plan row(s) match no section, e.g. {list(missing[:3])}")
        lookup = t.set_index(pkey)[list(ADDITION_COLUMNS)]
        adds = lookup.reindex(key).fillna(0.0)
        # physical additions reach zero-student sections of a planned school too (share 0 → no change)
        school = t.groupby(["school_id", "school_year"])[list(ADDITION_COLUMNS[3:])].first()
        skey = pd.MultiIndex.from_arrays([data["school_id"].astype(str), data["school_year"].astype("int64")])
        adds[list(ADDITION_COLUMNS[3:])] = school.reindex(skey).fillna(0.0).to_numpy()
        adds.index = data.index
        return _apply_to_sections(data, adds)
    if "students_primary" not in data.columns:
        raise ValueError("apply_plan: expected sections (a 'stage' column) or the schools table "
                         "('students_primary' …); got neither")
    require_columns(data, ["school_id", "school_year"], "apply_plan(schools)")
    out = data.copy()
    skey = pd.MultiIndex.from_arrays([out["school_id"].astype(str), out["school_year"].astype("int64")])
    pkey = pd.MultiIndex.from_arrays([t["school_id"], t["school_year"]])
    missing = pkey.unique().difference(skey)
    if len(missing):
        raise ValueError(f"apply_plan: {len(missing)} planned school(s) are not in the schools table, "
                         f"e.g. {list(missing[:3])}")

    def add(col: str, values: np.ndarray):
        require_columns(out, [col], "apply_plan(schools)")
        cur = out[col]
        if pd.api.types.is_integer_dtype(cur.dtype):
            if not np.allclose(values, np.round(values)):
                raise ValueError(f"apply_plan: column {col!r} holds whole numbers but the plan adds fractions")
            out[col] = cur + pd.array(np.round(values).astype("int64"), dtype=cur.dtype)
        else:
            out[col] = cur.astype("float64") + values

    for st in STAGES:
        ts = t.loc[t["stage"].astype(str) == st].groupby(["school_id", "school_year"])[
            list(ADDITION_COLUMNS[:3])].sum()
        a = ts.reindex(skey).fillna(0.0)
        hq = a["add_above_qualification_teachers"].to_numpy()
        hp = a["add_pe_arts_teachers"].to_numpy()
        bb = a["add_backbone_designations"].to_numpy()
        if not (hq.any() or hp.any() or bb.any()):
            continue
        add(f"teachers_{st}", hq + hp)
        add(f"above_required_qualification_{st}", hq + hp)
        add(f"pe_arts_teachers_{st}", hp)
        add(f"backbone_teachers_{st}", bb)
    school = t.groupby(["school_id", "school_year"])[list(ADDITION_COLUMNS[3:])].first().reindex(skey).fillna(0.0)
    for k in _SCHOOL_KINDS:
        vals = school[f"add_{k}"].to_numpy()
        if vals.any():
            add(k, vals)
    return out
