"""The 学校指标表 (school indicator form): the seven resource indicators of every school section.

Per section (combined schools split into 小学 and 初中 sections): for each indicator L1–L7 of
:data:`lyganalysis.standards.QUALITY_INDICATORS` the value, the threshold, met or not and the ratio
value ÷ threshold; then the number of indicators met, whether the section meets the school rule
(:data:`lyganalysis.standards.SCHOOL_RULE`: ≥ 6 of 7 met, the other ≥ 85 % of its threshold,
教督〔2017〕6号) and what it lacks (the shortfall to each threshold, in the indicator's resource unit).
When the frame holds additions (columns ``add_L1`` … ``add_L7``, in the resource unit), they are shown
too; so are the least-cost plan's additions by kind (``add_<kind>`` for the kinds of
:data:`lyganalysis.metrics.plan.ADDITION_KEYS`, and ``plan_cost``; headers ``plan_columns`` of the layout).

Input: the output of :func:`lyganalysis.metrics.balance.school_compliance`. Layout (sheet names,
headers, names, units, wording) from ``layouts/school_form.yaml``; ``layout=`` takes a replacement.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from lyganalysis.forms._layout import load_layout
from lyganalysis.standards import QUALITY_INDICATORS
from lyganalysis.writers import write_xlsx

__all__ = ["school_form_tables", "write_school_form", "lacks_text"]

_KEYS = tuple(QUALITY_INDICATORS)


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _amount(key: str, v: float) -> str:
    if QUALITY_INDICATORS[key].countable:
        return str(int(round(v)))
    return f"{v:,.1f}" if QUALITY_INDICATORS[key].resource_unit == "m²" else f"{v:,.0f}"


def lacks_text(row: Mapping[str, Any], *, layout: str | Path | Mapping | None = None) -> str:
    """What one section lacks, e.g. ``"L2每百名学生拥有县级以上骨干教师数欠2人"``, joined by ``；``.

    ``row`` holds ``{k}_met`` and ``{k}_shortfall`` for k in L1…L7 (a row of
    :func:`lyganalysis.metrics.balance.school_compliance`). ``nothing_lacking`` of the layout when every
    indicator is met; ``""`` for a section without students (all NA).
    """
    return _lacks(row, load_layout("school_form", layout))


def _lacks(row: Mapping[str, Any], lay: Mapping[str, Any]) -> str:
    parts, seen = [], False
    for k in _KEYS:
        met, short = row.get(f"{k}_met"), row.get(f"{k}_shortfall")
        if _missing(met):
            continue
        seen = True
        if not bool(met) and not _missing(short) and float(short) > 0:
            parts.append(lay["lack_item"].format(key=k, name=lay["names"][k], amount=_amount(k, float(short)),
                                                 resource_unit=lay["resource_units"][k]))
    if not seen:
        return ""
    return "；".join(parts) if parts else lay["nothing_lacking"]


def school_form_tables(compliance: pd.DataFrame, *,
                       layout: str | Path | Mapping | None = None) -> dict[str, pd.DataFrame]:
    """The school indicator form as display tables, one per stage (Chinese headers with units).

    Parameters
    ----------
    compliance : DataFrame
        Output of :func:`lyganalysis.metrics.balance.school_compliance` (one row per section; needs
        ``stage``, ``students``, and for k in L1…L7 ``{k}, {k}_threshold, {k}_ratio, {k}_met,
        {k}_shortfall``, then ``n_met`` and ``compliant``). Optional ``add_L1`` … ``add_L7`` (additions in
        the resource unit: teachers, m², yuan, rooms) are shown after the indicators, then the plan's
        ``add_<kind>`` and ``plan_cost`` columns when present (:func:`lyganalysis.forms.submission.inputs_from_results`).
    layout : path or mapping, optional
        Replacement of ``layouts/school_form.yaml``.

    Returns
    -------
    dict sheet name (小学 / 初中) → DataFrame, one row per section, values at full precision;
    met/compliant as 是/否; a section without students has empty indicator cells.

    Raises
    ------
    ValueError
        Missing columns or a stage other than primary/junior.
    """
    lay = load_layout("school_form", layout)
    need = ["stage", "students", "n_met", "compliant"] + [f"{k}{s}" for k in _KEYS
                                                          for s in ("", "_threshold", "_ratio", "_met", "_shortfall")]
    missing = [c for c in need if c not in compliance.columns]
    if missing:
        raise ValueError(f"学校指标表: missing column(s) {missing}; pass the output of balance.school_compliance")
    bad = set(compliance["stage"].unique()) - set(lay["stage_sheets"])
    if bad:
        raise ValueError(f"学校指标表: stage must be one of {list(lay['stage_sheets'])}, found {sorted(map(str, bad))}")
    col, ic = lay["columns"], lay["indicator_columns"]
    yes, no = lay["yes_text"], lay["no_text"]

    def yn(v):
        return None if _missing(v) else (yes if bool(v) else no)

    out: dict[str, pd.DataFrame] = {}
    for st, sheet in lay["stage_sheets"].items():
        sub = compliance.loc[compliance["stage"] == st]
        if sub.empty:
            continue
        t: dict[str, list] = {}
        for c in ("school_id", "school_name"):
            if c in sub.columns:
                t[col[c]] = sub[c].astype(object).tolist()
        if "school_type" in sub.columns:
            t[col["school_type"]] = [lay["school_types"].get(v, v) for v in sub["school_type"]]
        if "locale" in sub.columns:
            t[col["locale"]] = [lay["locales"].get(v, v) for v in sub["locale"]]
        t[col["students"]] = sub["students"].tolist()
        for k in _KEYS:
            fmt = dict(key=k, name=lay["names"][k], unit=lay["units"][k], resource_unit=lay["resource_units"][k])
            t[ic["value"].format(**fmt)] = sub[k].tolist()
            t[ic["threshold"].format(**fmt)] = sub[f"{k}_threshold"].tolist()
            t[ic["met"].format(**fmt)] = [yn(v) for v in sub[f"{k}_met"]]
            t[ic["ratio"].format(**fmt)] = sub[f"{k}_ratio"].tolist()
        t[col["n_met"]] = sub["n_met"].astype(object).tolist()
        t[col["compliant"]] = [yn(v) for v in sub["compliant"]]
        t[col["lacks"]] = [_lacks(r, lay) or None for r in sub.to_dict("records")]
        for k in _KEYS:
            if f"add_{k}" in sub.columns:
                fmt = dict(key=k, name=lay["names"][k], unit=lay["units"][k], resource_unit=lay["resource_units"][k])
                t[ic["add"].format(**fmt)] = sub[f"add_{k}"].tolist()
        for key, header in (lay.get("plan_columns") or {}).items():
            col_name = key if key == "plan_cost" else f"add_{key}"
            if col_name in sub.columns:
                t[header] = sub[col_name].tolist()
        frame = pd.DataFrame(t, dtype=object)
        out[sheet] = frame
    if not out:
        raise ValueError("学校指标表: no school section to write")
    return out


def write_school_form(compliance: pd.DataFrame, path: str | Path, *,
                      layout: str | Path | Mapping | None = None) -> Path:
    """Write the 学校指标表 as .xlsx: one sheet per stage and a notes sheet (说明).

    Written with :func:`lyganalysis.writers.write_xlsx` (text cells never formulas).

    Returns
    -------
    Path
    """
    lay = load_layout("school_form", layout)
    notes = {str(k): str(v) for k, v in (lay.get("notes") or {}).items()}
    tables = school_form_tables(compliance, layout=lay)
    ic, nf = lay["indicator_columns"], lay.get("number_formats") or {}
    formats, widths = {}, {}
    for name, t in tables.items():
        spec = {}
        for k in _KEYS:
            fmt = dict(key=k, name=lay["names"][k], unit=lay["units"][k], resource_unit=lay["resource_units"][k])
            for part in ("value", "threshold", "ratio", "add"):
                header = ic[part].format(**fmt)
                if part in nf and header in t.columns:
                    spec[header] = nf[part]
        for header in (lay.get("plan_columns") or {}).values():
            if "plan" in nf and header in t.columns:
                spec[header] = nf["plan"]
        formats[name] = spec
        widths[name] = {lay["columns"][k]: w for k, w in (lay.get("column_widths") or {}).items()
                        if lay["columns"][k] in t.columns}
    return write_xlsx(tables, path, notes=notes or None, number_formats=formats, column_widths=widths)
