"""The 差异系数计算表: every term of the inter-school coefficient of variation, per stage and indicator.

For one county and school year, each stage (小学 / 初中) and each resource indicator L1–L7 gets a block
with one row per assessed school section (students Pᵢ > 0)::

    Pᵢ,  Xᵢ,  Pᵢ/P,  (Pᵢ/P)(Xᵢ − X̄)²

and under it X̄ = ΣPᵢXᵢ/P, S = sqrt(Σ(Pᵢ/P)(Xᵢ − X̄)²), CV = S/X̄, the limit and the verdict; each
stage ends with the composite (综合差异系数, the mean of the seven CVs, informational). The method
is the enrolment-weighted population 差异系数 of :data:`lyganalysis.standards.DOC_CV_GUIDANCE`, equal
to :func:`lyganalysis.metrics.balance.coefficient_of_variation` with ``weight="students"``; the limits
are :data:`lyganalysis.standards.QUALITY_CV_LIMITS` (every indicator must be within, 教督〔2017〕6号).

Public functions: :func:`cv_calculation` (one block), :func:`cv_sheet` (all blocks, a :class:`CVSheet`),
:func:`cv_sheet_tables` (the display tables) and :func:`write_cv_sheet` (the .xlsx, through
:func:`lyganalysis.writers.write_xlsx`). The layout (sheet names, headers, row labels, units) is read
from ``layouts/cv_sheet.yaml``; ``layout=`` takes a replacement file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lyganalysis.forms._layout import load_layout
from lyganalysis.standards import QUALITY_CV_LIMITS, QUALITY_INDICATORS
from lyganalysis.writers import write_xlsx

__all__ = ["CVSheet", "cv_calculation", "cv_sheet", "cv_sheet_tables", "write_cv_sheet"]

STAGES = ("primary", "junior")
_TERM_COLUMNS = ["stage", "indicator", "number", "school_id", "school_name", "students", "value", "weight_share",
                 "weighted_sq_dev"]
_SUMMARY_COLUMNS = ["stage", "indicator", "name_zh", "n_sections", "students", "mean", "sd",
                    "coefficient_of_variation", "limit", "passes"]


def _as_float(df: pd.DataFrame, column: str) -> pd.Series:
    s = df[column]
    if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
        raise ValueError(f"差异系数计算表: column {column!r} must be numeric, got dtype {s.dtype}")
    return s.astype("float64")


def cv_calculation(df: pd.DataFrame, *, value: str, weight: str = "students") -> tuple[pd.DataFrame, dict]:
    """The terms of one enrolment-weighted 差异系数 (one stage, one indicator).

    Parameters
    ----------
    df : DataFrame, one row per school (section)
        Needs ``value`` (Xᵢ, per student or per 100 students) and ``weight`` (Pᵢ, registered students).
        Rows with zero weight are left out (they carry no weight). ``school_id`` and ``school_name``
        are carried along when present.
    value, weight : str
        Column names.

    Returns
    -------
    (terms, summary)
        ``terms``: one row per row with positive weight, in input order: ``school_id``, ``school_name``
        (when present), ``students`` (Pᵢ), ``value`` (Xᵢ), ``weight_share`` (Pᵢ/P),
        ``weighted_sq_dev`` ((Pᵢ/P)(Xᵢ − X̄)², in the squared unit of X).
        ``summary``: ``n_sections``, ``students`` (P), ``mean`` (X̄ = ΣPᵢXᵢ/P), ``sd``
        (S = sqrt(Σ(Pᵢ/P)(Xᵢ − X̄)²)), ``coefficient_of_variation`` (S/X̄; NaN when X̄ = 0).

    Raises
    ------
    ValueError
        Missing or non-numeric columns; negative or missing weights; a missing Xᵢ in a row with
        positive weight (named by school); no row with positive weight.

    Notes
    -----
    Source: :data:`lyganalysis.standards.DOC_CV_GUIDANCE` (按在校生数加权); equal to
    ``balance.coefficient_of_variation(df, value=value, weight=weight)``.
    """
    for c in (value, weight):
        if c not in df.columns:
            raise ValueError(f"差异系数计算表: missing column {c!r}; available: {list(df.columns)}")
    w = _as_float(df, weight)
    if w.isna().any() or (w < 0).any():
        raise ValueError(f"差异系数计算表: weight column {weight!r} has {int((w.isna() | (w < 0)).sum())} "
                         "missing or negative value(s); student counts must be whole numbers ≥ 0")
    x = _as_float(df, value)
    keep = w > 0
    bad = keep & x.isna()
    if bad.any():
        who = (df.loc[bad, "school_name"] if "school_name" in df.columns else df.index[bad]).tolist()[:5]
        raise ValueError(f"差异系数计算表: column {value!r} is missing for {int(bad.sum())} school section(s) "
                         f"with students, e.g. {who}; fill the resource figures of these schools first")
    if not keep.any():
        raise ValueError(f"差异系数计算表: no school with students (column {weight!r}); the 差异系数 is undefined")
    sub = df.loc[keep]
    p = w[keep]
    xi = x[keep]
    total = float(p.sum())
    share = p / total
    mean = float((share * xi).sum())
    term = share * (xi - mean) ** 2
    sd = math.sqrt(float(term.sum()))
    terms = pd.DataFrame(index=sub.index)
    for c in ("school_id", "school_name"):
        if c in sub.columns:
            terms[c] = sub[c].astype(object)
    terms["students"] = p.astype("int64") if bool((p == np.floor(p)).all()) else p
    terms["value"] = xi
    terms["weight_share"] = share
    terms["weighted_sq_dev"] = term
    summary = {"n_sections": int(len(sub)), "students": int(total) if total.is_integer() else total, "mean": mean, "sd": sd,
               "coefficient_of_variation": sd / mean if mean != 0 else float("nan")}
    return terms.reset_index(drop=True), summary


@dataclass(frozen=True)
class CVSheet:
    """The 差异系数 calculation of one county and school year.

    Attributes
    ----------
    terms : DataFrame
        One row per stage × indicator × assessed section: ``stage, indicator, number`` (1, 2, … within
        the block), ``school_id, school_name, students, value, weight_share, weighted_sq_dev``.
    summary : DataFrame
        One row per stage × indicator: ``stage, indicator, name_zh, n_sections, students`` (P),
        ``mean`` (X̄), ``sd`` (S), ``coefficient_of_variation``, ``limit``, ``passes``.
    composite_cv : dict stage → float
        Mean of the seven CVs of the stage (informational).
    county, school_year : optional
    excluded_zero_students : int
        Sections with 0 students left out.
    """

    terms: pd.DataFrame
    summary: pd.DataFrame
    composite_cv: Mapping[str, float]
    county: str | None = None
    school_year: int | None = None
    excluded_zero_students: int = 0

    def to_frame(self) -> pd.DataFrame:
        """The summary plus one ``indicator="composite"`` row per stage (limit and passes NA), in the
        columns of :meth:`lyganalysis.metrics.balance.QualityBalanceAssessment.to_frame`."""
        comp = pd.DataFrame({"stage": list(self.composite_cv), "indicator": "composite", "name_zh": "综合差异系数",
                             "coefficient_of_variation": list(self.composite_cv.values())})
        out = pd.concat([self.summary, comp], ignore_index=True)
        out["passes"] = out["passes"].astype("boolean")
        return out


def _one_value(df: pd.DataFrame, column: str) -> Any:
    if column not in df.columns:
        return None
    vals = df[column].dropna().unique()
    if len(vals) > 1:
        raise ValueError(f"差异系数计算表 is for one county and one school year; the indicators hold "
                         f"{len(vals)} values of {column!r}: {sorted(map(str, vals))[:6]} — filter first")
    return vals[0].item() if len(vals) and hasattr(vals[0], "item") else (vals[0] if len(vals) else None)


def cv_sheet(indicators: pd.DataFrame, *, keys: Sequence[str] = tuple(QUALITY_INDICATORS),
             limits: Mapping[str, float] | None = None) -> CVSheet:
    """Every term of the 差异系数 of each stage and indicator of one county and school year.

    Parameters
    ----------
    indicators : DataFrame
        Output of ``balance.quality_balance_indicators(balance.school_sections(schools, ...))`` for ONE
        county and ONE school year: ``stage`` (primary/junior), ``students``, the indicator columns
        ``keys``; ``school_id``, ``school_name``, ``county``, ``school_year`` when present. Sections
        with 0 students are left out (counted in ``excluded_zero_students``).
    keys : sequence of str, default L1…L7
        Indicator columns.
    limits : mapping stage → float, optional
        CV limits (default :data:`lyganalysis.standards.QUALITY_CV_LIMITS`: 0.50 primary, 0.45 junior).

    Returns
    -------
    CVSheet

    Raises
    ------
    ValueError
        Several counties or years; missing columns; a stage other than primary/junior; a missing
        indicator value in a section with students; no section with students.
    """
    for c in ("stage", "students", *keys):
        if c not in indicators.columns:
            raise ValueError(f"差异系数计算表: missing column {c!r}; pass the output of "
                             "balance.quality_balance_indicators")
    bad = set(indicators["stage"].unique()) - set(STAGES)
    if bad:
        raise ValueError(f"差异系数计算表: stage must be primary or junior, found {sorted(map(str, bad))}")
    county, year = _one_value(indicators, "county"), _one_value(indicators, "school_year")
    students = _as_float(indicators, "students")
    data = indicators.loc[students > 0]
    if data.empty:
        raise ValueError("差异系数计算表: no school section with students; nothing to compute")
    lim = {st: QUALITY_CV_LIMITS[st].value for st in STAGES}
    lim.update(limits or {})
    term_parts, rows, composite = [], [], {}
    for st in [s for s in STAGES if (data["stage"] == s).any()]:
        sub = data.loc[data["stage"] == st]
        cvs = []
        for k in keys:
            terms, summ = cv_calculation(sub, value=k)
            terms.insert(0, "number", range(1, len(terms) + 1))
            terms.insert(0, "indicator", k)
            terms.insert(0, "stage", st)
            term_parts.append(terms)
            cv = summ["coefficient_of_variation"]
            cvs.append(cv)
            name = QUALITY_INDICATORS[k].name_zh if k in QUALITY_INDICATORS else k
            rows.append({"stage": st, "indicator": k, "name_zh": name, **summ, "limit": float(lim[st]),
                         "passes": bool(cv <= lim[st])})
        composite[st] = float(np.mean(cvs))
    terms = pd.concat(term_parts, ignore_index=True)
    terms = terms[[c for c in _TERM_COLUMNS if c in terms.columns]]
    summary = pd.DataFrame(rows)[_SUMMARY_COLUMNS]
    return CVSheet(terms=terms, summary=summary, composite_cv=composite, county=county,
                   school_year=None if year is None else int(year),
                   excluded_zero_students=int((students <= 0).sum()))


def cv_sheet_tables(sheet: CVSheet, *, layout: str | Path | Mapping | None = None) -> dict[str, pd.DataFrame]:
    """The display tables of the calculation sheet: a summary sheet and one sheet per stage.

    Each stage table stacks, per indicator, the section rows and the summary rows (合计, X̄, S, CV,
    limit, verdict; labels in the school-name column, values in the Xᵢ column) followed by an empty
    row; the stage ends with the composite row. Headers, labels, units and sheet names come from the
    layout (``layouts/cv_sheet.yaml`` or the replacement ``layout``). Values at full precision.

    Returns
    -------
    dict sheet name → DataFrame (object columns, Chinese headers)
    """
    lay = load_layout("cv_sheet", layout)
    col, lab, units = lay["columns"], lay["rows"], lay["units"]
    verdict = lay["verdict"]
    out: dict[str, pd.DataFrame] = {}
    sc = lay["summary_columns"]
    summ = sheet.summary
    out[lay["summary_sheet"]] = pd.DataFrame({
        sc["stage"]: [lay["stage_sheets"][s] for s in summ["stage"]],
        sc["indicator"]: summ["indicator"].tolist(),
        sc["name"]: summ["name_zh"].tolist(),
        sc["unit"]: [units.get(k, "") for k in summ["indicator"]],
        sc["n_sections"]: summ["n_sections"].tolist(),
        sc["students"]: summ["students"].tolist(),
        sc["mean"]: summ["mean"].tolist(),
        sc["sd"]: summ["sd"].tolist(),
        sc["cv"]: summ["coefficient_of_variation"].tolist(),
        sc["limit"]: summ["limit"].tolist(),
        sc["verdict"]: [verdict["pass"] if p else verdict["fail"] for p in summ["passes"]],
    }, dtype=object)
    keys = ["indicator", "number", "school_id", "school_name", "students", "value", "unit", "weight_share",
            "weighted_sq_dev"]
    for st in summ["stage"].unique():
        rows: list[list[Any]] = []
        for r in summ.loc[summ["stage"] == st].itertuples(index=False):
            head = f"{r.indicator} {r.name_zh}"
            unit = units.get(r.indicator, "")
            t = sheet.terms.loc[(sheet.terms["stage"] == st) & (sheet.terms["indicator"] == r.indicator)]
            for tr in t.itertuples(index=False):
                rows.append([head, tr.number, getattr(tr, "school_id", None), getattr(tr, "school_name", None),
                             tr.students, tr.value, unit, tr.weight_share, tr.weighted_sq_dev])
            rows.append([head, None, None, lab["total"], r.students, None, None, float(t["weight_share"].sum()),
                         float(t["weighted_sq_dev"].sum())])
            for key, v in (("mean", r.mean), ("sd", r.sd), ("cv", r.coefficient_of_variation),
                           ("limit", r.limit)):
                rows.append([head, None, None, lab[key], None, v, unit if key in ("mean", "sd") else None,
                             None, None])
            rows.append([head, None, None, lab["verdict"], None, verdict["pass"] if r.passes else verdict["fail"],
                         None, None, None])
            rows.append([None] * len(keys))
        rows.append([None, None, None, lay["composite"], None, sheet.composite_cv[st], None, None, None])
        out[lay["stage_sheets"][st]] = pd.DataFrame(rows, columns=[col[k] for k in keys], dtype=object)
    return out


def write_cv_sheet(sheet: CVSheet, path: str | Path, *, layout: str | Path | Mapping | None = None) -> Path:
    """Write the 差异系数计算表 as .xlsx (a summary sheet, one sheet per stage, a notes sheet).

    Written with :func:`lyganalysis.writers.write_xlsx`: text cells are never formulas. The notes
    sheet (说明) holds the title, the method and the layout's notes.

    Returns
    -------
    Path
    """
    lay = load_layout("cv_sheet", layout)
    notes = {"表名": lay["title"].format(county=sheet.county or "", school_year=sheet.school_year or "")}
    notes.update({str(k): str(v) for k, v in (lay.get("notes") or {}).items()})
    if sheet.excluded_zero_students:
        notes["未计入"] = f"在校生数为0的学校（学段）{sheet.excluded_zero_students}个，不计入差异系数。"
    tables = cv_sheet_tables(sheet, layout=lay)
    formats, widths = {}, {}
    for name in tables:
        if name == lay["summary_sheet"]:
            spec = {lay["summary_columns"][k]: f for k, f in (lay.get("summary_number_formats") or {}).items()}
            formats[name] = spec
        else:
            formats[name] = {lay["columns"][k]: f for k, f in (lay.get("number_formats") or {}).items()}
            widths[name] = {lay["columns"][k]: w for k, w in (lay.get("column_widths") or {}).items()}
    return write_xlsx(tables, path, notes=notes, number_formats=formats, column_widths=widths)
