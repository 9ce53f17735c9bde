"""The 自评报告 skeleton: the county self-evaluation of the 优质均衡 evaluation as a Word document.

The county's self-evaluation report (自评报告, the first step of the procedure of
:data:`lyganalysis.standards.DOC_QUALITY_2017`) follows the four blocks of the evaluation in their
official order — 资源配置, 政府保障程度, 教育质量, 社会认可度 — then the veto items (一票否决).
This module writes every table of those blocks from the product's results and leaves the narrative
as marked placeholders (``【请填写：…】``) for the clerk:

* 资源配置: the verdict with both conditions (the school rule for every section AND every 差异系数
  within its limit, :data:`lyganalysis.standards.SCHOOL_RULE`, :data:`lyganalysis.standards.QUALITY_CV_LIMITS`)
  and their counts, the 差异系数 table per stage and the school-compliance summary;
* 政府保障程度, 教育质量, 一票否决: the readiness items of the block
  (:func:`lyganalysis.analysis.readiness.county_readiness`): number, wording, threshold, the county's
  figure, status;
* 社会认可度: satisfaction per respondent group with its Wilson interval and counts
  (:func:`lyganalysis.metrics.survey.satisfaction`), and the S1 item.

No official template was available: headings, order, which table goes where and the column headers
are kept in ``layouts/self_evaluation.yaml`` (built from the published structure of the evaluation,
:mod:`lyganalysis.inspection`), and ``layout=`` takes a bureau's replacement file.

Inputs are plain objects so that any caller can feed them: :func:`resource_verdict` builds the small
resource mapping from a compliance frame and a CV summary.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from lyganalysis.forms._layout import load_layout
from lyganalysis.inspection import BLOCKS, INSPECTION_ITEMS
from lyganalysis.standards import QUALITY_INDICATORS

if TYPE_CHECKING:  # pragma: no cover
    from lyganalysis.analysis.readiness import ReadinessResult

__all__ = ["TABLE_KINDS", "resource_verdict", "self_evaluation_document", "write_self_evaluation",
           "readiness_rows"]

TABLE_KINDS = ("resource_verdict", "cv_table", "school_compliance", "readiness_items", "satisfaction")
STAGES = ("primary", "junior")
_OPS = {"ge": "≥", "le": "≤", "lt": "<"}
_ROMAN = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}
_EXTRA_LABELS = {"survey_min_group_rate": "各类调查对象中最低满意度"}


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA:
        return True
    return isinstance(v, float) and math.isnan(v)


# ---------------------------------------------------------------------------------------------
# inputs

def resource_verdict(compliance: pd.DataFrame, cv_summary: pd.DataFrame) -> dict:
    """The resource-allocation verdict as a small mapping (the input of :func:`self_evaluation_document`).

    Parameters
    ----------
    compliance : DataFrame
        :func:`lyganalysis.metrics.balance.school_compliance` output (``stage``, ``students``,
        ``compliant``); sections with 0 students are not counted.
    cv_summary : DataFrame
        ``stage, indicator, coefficient_of_variation, limit, passes`` per stage × indicator, e.g.
        :meth:`lyganalysis.forms.cv_sheet.CVSheet.to_frame` or
        :meth:`lyganalysis.metrics.balance.QualityBalanceAssessment.to_frame` (composite rows ignored).

    Returns
    -------
    dict
        ``verdict`` (bool: both conditions hold), ``school_rule`` (bool: every section complies),
        ``cv_verdict`` (bool: every CV within its limit), and per stage present
        ``{stage: {"n_sections", "n_not_compliant", "cv_failing": tuple of indicator keys}}``.

    Raises
    ------
    ValueError
        Missing columns.
    """
    for c in ("stage", "students", "compliant"):
        if c not in compliance.columns:
            raise ValueError(f"resource_verdict: compliance frame lacks {c!r} (pass balance.school_compliance output)")
    for c in ("stage", "indicator", "passes"):
        if c not in cv_summary.columns:
            raise ValueError(f"resource_verdict: CV summary lacks {c!r} (pass CVSheet.to_frame() or "
                             "QualityBalanceAssessment.to_frame())")
    comp = compliance.loc[compliance["students"] > 0]
    cvs = cv_summary.loc[cv_summary["indicator"] != "composite"]
    out: dict[str, Any] = {}
    for st in STAGES:
        c = comp.loc[comp["stage"] == st]
        v = cvs.loc[cvs["stage"] == st]
        if c.empty and v.empty:
            continue
        out[st] = {"n_sections": int(len(c)),
                   "n_not_compliant": int((~c["compliant"].astype("boolean").fillna(False).astype(bool)).sum()),
                   "cv_failing": tuple(v.loc[~v["passes"].astype(bool), "indicator"].tolist())}
    out["school_rule"] = all(s["n_not_compliant"] == 0 for k, s in out.items() if k in STAGES)
    out["cv_verdict"] = all(not s["cv_failing"] for k, s in out.items() if k in STAGES)
    out["verdict"] = bool(out["school_rule"] and out["cv_verdict"])
    return out


def _as_bool(v: Any, what: str) -> bool:
    if isinstance(v, str):
        if v in ("met", "pass", "passes", "达标"):
            return True
        if v in ("not_met", "fail", "未达标"):
            return False
    if isinstance(v, bool) or hasattr(v, "item"):
        return bool(v)
    raise ValueError(f"resource mapping: {what!r} must be True/False or 'met'/'not_met', got {v!r}")


def _stages_of(resource: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    src = resource.get("stages", resource)
    return {st: src[st] for st in STAGES if st in src}


# ---------------------------------------------------------------------------------------------
# formatting

def _num(v: float, digits: int) -> str:
    s = f"{v:,.{digits}f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def _pct(v: float, strip: bool = False) -> str:
    return f"{_num(v * 100, 1)}%" if strip else f"{v * 100:.1f}%"


def _fmt(v: Any, unit: str, *, threshold: bool = False) -> str:
    if isinstance(v, str):
        return "不适用" if v == "not_applicable" else v
    v = float(v)
    if unit.startswith("proportion"):
        return _pct(v, strip=threshold)
    if unit == "coefficient of variation":
        return f"{v:.2f}" if threshold else f"{v:.4f}"
    if unit == "schools":
        return f"{int(round(v))}所"
    if unit == "rooms":
        return f"{int(round(v))}间"
    if unit.startswith("yuan"):
        return f"{_num(v, 0)}元/生" if "pupil" in unit else f"{_num(v, 0)}元"
    if unit.startswith("level"):
        return f"{_ROMAN.get(int(round(v)), _num(v, 0))}级"
    if unit == "ratio":
        return _num(v, 3)
    return _num(v, 4)


def _label(key: str, figure: str) -> str:
    item = INSPECTION_ITEMS.get(key)
    for c in (item.checks if item else ()):
        if c.figure == figure:
            return c.label_zh
    return _EXTRA_LABELS.get(figure, figure)


def readiness_rows(readiness: ReadinessResult, block: str, *,
                   layout: str | Path | Mapping | None = None) -> list[dict[str, str]]:
    """The rows of a readiness table of one block: ``number, wording, threshold, figure, status`` (text).

    Threshold and figure give every condition of the item (label, operator, national threshold and,
    where it differs, the profile's); evidence items get the layout's ``evidence_figure`` placeholder,
    items without data ``no_data_figure`` naming the missing input, declared veto items the county's
    declaration.

    Raises
    ------
    ValueError
        Unknown block.
    """
    if block not in BLOCKS:
        raise ValueError(f"unknown block {block!r}; expected one of {list(BLOCKS)}")
    lay = load_layout("self_evaluation", layout)
    status = lay["status"]
    rows = []
    for it in readiness.items:
        if it.block != block:
            continue
        item = INSPECTION_ITEMS.get(it.key)
        wording = item.name_zh if item else it.key
        if it.kind in ("evidence", "rating"):
            thr, fig, st = status["evidence_required"], lay["evidence_figure"], status["evidence_required"]
        elif it.status == "declared" or (it.kind == "veto" and it.status == "no_data"):
            thr = "不得存在"
            if it.declared_value is None:
                fig, st = lay["no_data_figure"].format(what="县区申报（是/否）"), status["no_data"]
            else:
                fig = "是" if it.declared_value else "否"
                st = status["declared_true"] if it.declared_value else status["declared_false"]
        else:
            thr_parts, fig_parts = [], []
            for c in it.checks:
                label = _label(it.key, c.figure)
                t = f"{label} {_OPS.get(c.op, c.op)} {_fmt(c.threshold, c.unit, threshold=True)}"
                if not _missing(c.profile_threshold) and c.profile_threshold != c.threshold:
                    t += lay["profile_note"].format(threshold=f"{_OPS.get(c.op, c.op)} {_fmt(c.profile_threshold, c.unit, threshold=True)}")
                thr_parts.append(t)
                if _missing(c.value):
                    src = [s.split(": ", 1)[-1] for s in it.missing_sources] or [label]
                    fig_parts.append(f"{label}：" + lay["no_data_figure"].format(what="、".join(dict.fromkeys(src))))
                else:
                    fig_parts.append(f"{label}：{_fmt(c.value, c.unit)}")
            thr, fig = "；".join(thr_parts), "；".join(dict.fromkeys(fig_parts))
            st = status.get(it.status, it.status)
        rows.append({"number": str(it.number), "wording": wording, "threshold": thr, "figure": fig, "status": st})
    return rows


# ---------------------------------------------------------------------------------------------
# tables

def _resource_verdict_rows(resource: Mapping[str, Any], lay: Mapping[str, Any]) -> list[dict[str, str]]:
    status, names, rr = lay["status"], lay["stage_names"], lay["resource_rows"]
    stages = _stages_of(resource)
    if not stages:
        raise ValueError("resource mapping: no stage (primary/junior) with n_sections / n_not_compliant / cv_failing")
    for st, s in stages.items():
        for k in ("n_sections", "n_not_compliant", "cv_failing"):
            if k not in s:
                raise ValueError(f"resource mapping: stage {st!r} lacks {k!r}")
    school_rule = _as_bool(resource["school_rule"], "school_rule")
    cv_ok = _as_bool(resource["cv_verdict"], "cv_verdict")
    verdict = _as_bool(resource["verdict"], "verdict")
    rule_fig = "；".join(f"{names[st]}：参评{int(s['n_sections'])}所，未达标{int(s['n_not_compliant'])}所"
                         for st, s in stages.items())
    cv_fig = "；".join(f"{names[st]}：" + (f"超过限值的指标{len(s['cv_failing'])}项（{'、'.join(s['cv_failing'])}）"
                                           if s["cv_failing"] else "7项指标均在限值内")
                       for st, s in stages.items())
    yes = {True: status["met"], False: status["not_met"]}
    return [
        {"condition": rr["school_rule"], "figure": rule_fig, "status": yes[school_rule]},
        {"condition": rr["cv_rule"], "figure": cv_fig, "status": yes[cv_ok]},
        {"condition": rr["overall"], "figure": f"学校达标：{yes[school_rule]}；差异系数：{yes[cv_ok]}",
         "status": yes[verdict]},
    ]


def _cv_rows(cv_summary: pd.DataFrame, stage: str, lay: Mapping[str, Any]) -> list[dict[str, str]]:
    status = lay["status"]
    sub = cv_summary.loc[cv_summary["stage"] == stage]
    rows = []
    for r in sub.to_dict("records"):
        k = r["indicator"]
        if k == "composite":
            continue
        n = r.get("n_sections")
        mean = r.get("mean")
        rows.append({
            "indicator": str(k),
            "name": str(r.get("name_zh") or (QUALITY_INDICATORS[k].name_zh if k in QUALITY_INDICATORS else k)),
            "n_sections": "—" if _missing(n) else str(int(n)),
            "mean": "—" if _missing(mean) else (f"{float(mean):,.2f}" if abs(float(mean)) >= 100 else f"{float(mean):.4f}"),
            "cv": f"{float(r['coefficient_of_variation']):.4f}",
            "limit": f"{float(r['limit']):.2f}",
            "status": status["met"] if bool(r["passes"]) else status["not_met"],
        })
    comp = sub.loc[sub["indicator"] == "composite", "coefficient_of_variation"]
    cvs = sub.loc[sub["indicator"] != "composite", "coefficient_of_variation"].astype(float)
    value = float(comp.iloc[0]) if len(comp) else float(cvs.mean())
    rows.append({"indicator": "—", "name": lay["composite"], "n_sections": "—", "mean": "—", "cv": f"{value:.4f}",
                 "limit": "—", "status": "仅供参考"})
    return rows


def _compliance_rows(compliance: pd.DataFrame, lay: Mapping[str, Any]) -> list[dict[str, str]]:
    comp = compliance.loc[compliance["students"] > 0]
    rows = []
    for st in STAGES:
        c = comp.loc[comp["stage"] == st]
        if c.empty:
            continue
        ok = c["compliant"].astype("boolean").fillna(False).astype(bool)
        below = "；".join(f"{k} {int((~c[f'{k}_met'].astype('boolean').fillna(False).astype(bool)).sum())}所"
                         for k in QUALITY_INDICATORS if f"{k}_met" in c.columns)
        rows.append({"stage": lay["stage_names"][st], "n_sections": str(len(c)), "n_compliant": str(int(ok.sum())),
                     "n_not_compliant": str(int((~ok).sum())), "below": below or "—"})
    return rows


def _satisfaction_rows(satisfaction: pd.DataFrame | None, lay: Mapping[str, Any], target: float) -> list[dict[str, str]]:
    cols = list(lay["columns"]["satisfaction"])
    if satisfaction is None or len(satisfaction) == 0:
        return [{c: lay["no_survey"] for c in cols}]
    need = ["group", "respondents", "answers", "satisfied", "satisfaction_rate", "ci_low", "ci_high"]
    missing = [c for c in need if c not in satisfaction.columns]
    if missing:
        raise ValueError(f"satisfaction frame lacks {missing}; pass SatisfactionResult.to_frame()")
    status = lay["status"]
    rows = []
    for r in satisfaction.to_dict("records"):
        rate = float(r["satisfaction_rate"])
        meets = bool(r["meets_target"]) if "meets_target" in r and not _missing(r["meets_target"]) else rate >= target
        rows.append({
            "group": lay["overall_group"] if r["group"] == "overall" else str(r["group"]),
            "respondents": str(int(r["respondents"])), "answers": str(int(r["answers"])),
            "satisfied": str(int(r["satisfied"])), "rate": _pct(rate),
            "interval": f"{_pct(float(r['ci_low']))} – {_pct(float(r['ci_high']))}",
            "status": status["met"] if meets else status["not_met"],
        })
    return rows


# ---------------------------------------------------------------------------------------------
# document

def _set_font(doc, font: str, heading_color: str = "000000") -> None:
    from docx.oxml.ns import qn
    from docx.shared import RGBColor

    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Caption"):
        try:
            style = doc.styles[name]
        except KeyError:  # pragma: no cover - every default template has them
            continue
        style.font.name = font
        if name in ("Title", "Heading 1", "Heading 2"):
            style.font.color.rgb = RGBColor.from_string(heading_color)
        rpr = style.element.get_or_add_rPr()
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(rfonts)
        rfonts.set(qn("w:eastAsia"), font)
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):  # a theme font would win
            rfonts.attrib.pop(qn(theme), None)


_PAGES_MM = {"A4": (210, 297), "LETTER": (215.9, 279.4)}


def _set_page(doc, page: str, where: str) -> None:
    from docx.shared import Mm

    if page.upper() not in _PAGES_MM:
        raise ValueError(f"自评报告版式 {where}: page must be one of {list(_PAGES_MM)}, got {page!r}")
    w, h = _PAGES_MM[page.upper()]
    for section in doc.sections:
        section.page_width, section.page_height = Mm(w), Mm(h)


def _add_table(doc, headers: Mapping[str, str], rows: list[Mapping[str, str]]) -> None:
    keys = list(headers)
    table = doc.add_table(rows=1, cols=len(keys))
    table.style = "Table Grid"
    for cell, k in zip(table.rows[0].cells, keys):
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(headers[k]))
        run.bold = True
    for r in rows:
        cells = table.add_row().cells
        for cell, k in zip(cells, keys):
            text = r.get(k)
            if text is None or str(text).strip() == "":  # every builder fills every cell ("—" = not applicable)
                raise ValueError(f"自评报告: table column {headers[k]!r} has an empty cell in row {r}; "
                                 "check that the layout's column keys match the table kind")
            cell.text = str(text)


def _check_layout(lay: Mapping[str, Any], where: str) -> None:
    if not isinstance(lay.get("sections"), list) or not lay["sections"]:
        raise ValueError(f"自评报告版式 {where}: 'sections' must be a non-empty list")
    for i, sec in enumerate(lay["sections"], start=1):
        if not isinstance(sec, Mapping) or "heading" not in sec:
            raise ValueError(f"自评报告版式 {where}: section {i} needs a 'heading'")
        if sec.get("block") is not None and sec["block"] not in BLOCKS:
            raise ValueError(f"自评报告版式 {where}: section {i} has unknown block {sec['block']!r}; "
                             f"expected one of {list(BLOCKS)} or null")
        for t in sec.get("tables") or ():
            if not isinstance(t, Mapping):
                raise ValueError(f"自评报告版式 {where}: section {i}: each table must be a mapping with a 'kind', "
                                 f"got {t!r}")
            if t.get("kind") not in TABLE_KINDS:
                raise ValueError(f"自评报告版式 {where}: section {i} has a table of unknown kind {t.get('kind')!r}; "
                                 f"expected one of {TABLE_KINDS}")
            if t["kind"] == "readiness_items" and sec.get("block") is None:
                raise ValueError(f"自评报告版式 {where}: section {i} lists readiness_items but names no block")


def self_evaluation_document(*, readiness: ReadinessResult, resource: Mapping[str, Any],
                             cv_summary: pd.DataFrame, compliance: pd.DataFrame,
                             satisfaction: pd.DataFrame | None = None, county: str | None = None,
                             school_year: int | None = None, layout: str | Path | Mapping | None = None,
                             satisfaction_target: float = 0.85):
    """Build the 自评报告 as a python-docx ``Document`` (not saved).

    Parameters
    ----------
    readiness : ReadinessResult
        :func:`lyganalysis.analysis.readiness.county_readiness` (or ``readiness``) of the county-year.
    resource : mapping
        ``{"verdict", "school_rule", "cv_verdict"}`` (bools, or ``"met"``/``"not_met"``) and per stage
        ``{stage: {"n_sections", "n_not_compliant", "cv_failing"}}`` (at top level or under ``"stages"``);
        :func:`resource_verdict` builds it.
    cv_summary : DataFrame
        ``stage, indicator, coefficient_of_variation, limit, passes`` (and ``name_zh, n_sections, mean``
        when known; composite rows used when present): :meth:`CVSheet.to_frame` or
        :meth:`QualityBalanceAssessment.to_frame`.
    compliance : DataFrame
        :func:`lyganalysis.metrics.balance.school_compliance` output.
    satisfaction : DataFrame, optional
        :meth:`lyganalysis.metrics.survey.SatisfactionResult.to_frame` (groups plus ``overall``);
        without it the table holds the clerk's placeholder.
    county, school_year : optional
        Default: those of ``readiness``.
    layout : path or mapping, optional
        Replacement of ``layouts/self_evaluation.yaml``.
    satisfaction_target : float
        Used only when the satisfaction frame has no ``meets_target``.

    Returns
    -------
    docx.Document

    Raises
    ------
    ValueError
        A layout with an unknown block or table kind; inputs missing columns or keys.
    """
    from docx import Document

    lay = load_layout("self_evaluation", layout)
    _check_layout(lay, str(layout) if layout is not None else "self_evaluation.yaml")
    county = county if county is not None else (readiness.county or "")
    school_year = school_year if school_year is not None else (readiness.school_year or "")
    fmt = {"county": county, "school_year": school_year}
    cols = lay["columns"]
    doc = Document()
    _set_page(doc, str(lay.get("page") or "A4"), str(layout or "self_evaluation.yaml"))
    _set_font(doc, lay.get("font") or "宋体", str(lay.get("heading_color") or "000000"))
    doc.add_heading(lay["title"].format(**fmt), level=0)
    if lay.get("subtitle"):
        doc.add_paragraph(lay["subtitle"].format(**fmt))
    for p in lay.get("preface") or ():
        doc.add_paragraph(str(p).format(**fmt))
    for sec in lay["sections"]:
        doc.add_heading(str(sec["heading"]).format(**fmt), level=1)
        for p in sec.get("paragraphs") or ():
            doc.add_paragraph(str(p).format(**fmt))
        for t in sec.get("tables") or ():
            kind = t["kind"]
            caption = str(t.get("caption", ""))
            if kind == "cv_table":
                for st in [s for s in STAGES if (cv_summary["stage"] == s).any()]:
                    doc.add_paragraph(caption.format(stage=lay["stage_names"][st], **fmt), style="Caption")
                    _add_table(doc, cols["cv_table"], _cv_rows(cv_summary, st, lay))
                continue
            if caption:
                doc.add_paragraph(caption.format(stage="", **fmt), style="Caption")
            if kind == "resource_verdict":
                rows = _resource_verdict_rows(resource, lay)
            elif kind == "school_compliance":
                rows = _compliance_rows(compliance, lay)
            elif kind == "readiness_items":
                rows = readiness_rows(readiness, sec["block"], layout=lay)
            else:
                rows = _satisfaction_rows(satisfaction, lay, satisfaction_target)
            _add_table(doc, cols[kind], rows)
        for p in sec.get("closing") or ():
            doc.add_paragraph(str(p).format(**fmt))
    return doc


def write_self_evaluation(path: str | Path, **inputs) -> Path:
    """Write the 自评报告 (.docx) built by :func:`self_evaluation_document` from ``inputs``.

    Returns
    -------
    Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    self_evaluation_document(**inputs).save(path)
    return path
