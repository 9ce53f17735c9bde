"""The inspection readiness section: every item of the national 优质均衡 evaluation with its status.

Renders a :class:`lyganalysis.analysis.readiness.ReadinessResult`: per block (资源配置, 政府保障程度, 教育质量,
社会认可度, 一票否决) each item's wording, status (met / not met / no data / evidence required / declared), the
number behind the verdict against the national threshold with the provincial or city value beside it, and for
"no data" the input that would decide it.
"""

from __future__ import annotations

import markupsafe

from lyganalysis.report.format import fmt, is_missing
from lyganalysis.report.html import render as render_template

__all__ = ["render", "render_section", "figures", "view", "value_kind", "block_verdict", "item_sources"]


def value_kind(unit: str | None) -> str:
    """Display kind of a readiness figure from its unit."""
    u = (unit or "").lower()
    if u.startswith("proportion"):
        return "rate"
    if "coefficient of variation" in u:
        return "cv"
    if u in ("schools", "teachers", "classes", "pupils", "students", "hours") or u.startswith(("schools", "count")):
        return "count"
    if "yuan" in u:
        return "money"
    return "value"


def block_verdict(status: str) -> str:
    """A readiness block status as a verdict code (met / not_met / undecided)."""
    return {"met": "met", "clear": "met", "not_met": "not_met", "veto_applies": "not_met"}.get(status, "undecided")


def item_sources(result, item) -> list[str]:
    """Source codes of the figures an item shows (:meth:`ReadinessResult.item_sources`)."""
    return list(result.item_sources(item.key))


def view(result, language: str) -> list[dict]:
    """Rows of the readiness table grouped by block, formatted for display (``sources``: the source codes
    of the figures behind the row, see :func:`item_sources`)."""
    from lyganalysis.inspection import BLOCKS, INSPECTION_ITEMS

    blocks = []
    for block in BLOCKS:
        rows = []
        for it in result.items:
            if it.block != block:
                continue
            item = INSPECTION_ITEMS.get(it.key)
            d = it.deciding
            kind = value_kind(d.unit if d else None)
            value = d.value if d is not None else None
            numeric = value is not None and not isinstance(value, str) and not is_missing(value)
            rows.append({
                "key": it.key, "number": it.number, "status": it.status,
                "wording": (item.name_zh if language == "zh" else item.name_en) if item else it.key,
                "value": fmt(value, kind, language) if numeric else "",
                "op": {"le": "≤", "lt": "<", "ge": "≥", "gt": ">", "eq": "="}.get(d.op, d.op or "") if d else "",
                "threshold": fmt(d.threshold, kind, language) if d is not None and not is_missing(d.threshold) else "",
                "profile_threshold": fmt(d.profile_threshold, kind, language)
                if d is not None and not is_missing(d.profile_threshold) and d.profile_threshold != d.threshold else "",
                "missing": "；".join(it.missing_sources) if it.status == "no_data" else "",
                "declared": it.declared_value, "certainty": it.certainty,
                "sources": item_sources(result, it),
            })
        blocks.append({"block": block, "status": result.block_status.get(block, "incomplete"),
                       "verdict": block_verdict(result.block_status.get(block, "incomplete")), "rows": rows})
    return blocks


def render_section(result, *, language: str) -> markupsafe.Markup:
    """The readiness section (one table per block, the wording of every item)."""
    return render_template("sections/readiness.html.j2", language=language, r=result, blocks=view(result, language),
                  counts=result.counts())


def render(result, *, language: str, school_href: str | None = None) -> markupsafe.Markup:
    """The section as the county page's registry calls it (no per-school links here)."""
    return render_section(result, language=language)


def figures(result, *, language: str) -> list:
    """The readiness section draws no figures."""
    return []
