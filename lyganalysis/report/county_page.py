"""The county page: a view of one :class:`~lyganalysis.analysis.CountyResults` in one language.

The report notebook only calls this module: ``page = CountyPage(results, language="zh")`` then displays
``page.header()``, ``page.summary()`` (结论与建议: the verdicts, what they rest on, the five most pressing
findings, the schools that need the most), ``page.toc()``, each of ``page.sections()`` (the detailed sections
of the registry :data:`SECTIONS`, each with its few figures) and ``page.methods()``.
Nothing here computes a figure: it selects from the results and formats them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import markupsafe

from lyganalysis.analysis.headline import headline
from lyganalysis.report.html import render

__all__ = ["SECTIONS", "CountyPage", "SectionView"]

#: The detailed sections in page order: (anchor / topic, renderer module). A new section = one entry here,
#: one analysis function, one template.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("resources", "lyganalysis.report.sections.resources"),
    ("readiness", "lyganalysis.report.sections.readiness"),
    ("staffing", "lyganalysis.report.sections.staffing"),
    ("academic", "lyganalysis.report.sections.academic"),
    ("equity", "lyganalysis.report.sections.equity"),
)


@dataclass(frozen=True)
class SectionView:
    """One rendered section: its anchor, number, title key, HTML and figures ``[(name, Figure)]``."""

    key: str
    number: int
    html: markupsafe.Markup
    figures: list = field(default_factory=list)


class CountyPage:
    """Render the parts of a county page.

    Parameters
    ----------
    results : CountyResults
    language : {"zh", "en"}
    school_href : str or None
        Link pattern of a school page relative to the county page (None: no school links).
    exports : dict, optional
        name → relative href of the evaluation-form tables written for this county.
    source, source_json : dict or JSON text, optional
        What the verdict rests on beyond the results — ``rows`` (per table: read, kept, rejected),
        ``rejected_by_school``, ``reference_date``, ``exports`` (name → href) — as the batch records it.
    """

    def __init__(self, results, *, language: str = "zh", school_href: str | None = "schools/{school_id}.html",
                 exports: dict | None = None, source: dict | None = None, source_json: str = "") -> None:
        import json

        if source is None and source_json:
            source = json.loads(source_json)
        if language not in ("zh", "en"):
            raise ValueError(f"language must be 'zh' or 'en', got {language!r}")
        self.results = results
        self.language = language
        self.school_href = school_href
        self.source = source or {}
        self.exports = exports or self.source.get("exports") or {}
        if "school_href" in self.source:  # the batch says where it wrote this county's school pages
            self.school_href = self.source["school_href"]

    def _ctx(self, **kw: Any) -> dict:
        return {"language": self.language, "r": self.results, "school_href": self.school_href, **kw}

    def title(self) -> str:
        from lyganalysis.report.text import t

        return t("page_title", self.language, county=self.results.county, year=self.results.school_year)

    def header(self) -> markupsafe.Markup:
        return render("county/header.html.j2", **self._ctx(title=self.title()))

    def display_params(self, params: dict, kinds: dict) -> dict:
        """Format the parameters of a finding or verdict line for a sentence of the catalogue."""
        from lyganalysis.report.format import KINDS, fmt
        from lyganalysis.report.text import has, t

        out = {}
        for k, v in (params or {}).items():
            kind = (kinds or {}).get(k, "text")
            if kind == "item":
                from lyganalysis.inspection import INSPECTION_ITEMS

                item = INSPECTION_ITEMS.get(str(v))
                out[k] = (item.name_zh if self.language == "zh" else item.name_en) if item else str(v)
            elif kind == "readiness_value":
                from lyganalysis.report.sections.readiness import value_kind

                out[k] = "" if v is None else (fmt(v, value_kind(params.get("unit")), self.language)
                                               if isinstance(v, (int, float)) else str(v))
            elif kind in ("stage", "indicator", "locale", "subject"):
                code = f"{'ind' if kind == 'indicator' else kind}_{v}"
                out[k] = t(code, self.language) if has(code, self.language) else str(v)
            elif kind in KINDS:
                out[k] = fmt(v, kind, self.language)
            else:
                out[k] = "" if v is None else str(v)
        return out

    def summary(self) -> markupsafe.Markup:
        from lyganalysis.analysis.findings import actions, findings

        summary = findings(self.results)
        view = {
            "blocks": [{"block": b.block, "status": b.status,
                        "lines": [{"key": ln.key, "code": ln.code, "status": ln.status,
                                   "params": self.display_params(ln.params, ln.kinds)} for ln in b.lines]}
                       for b in summary.blocks],
            "top": [{"key": f.key, "code": f.code, "severity": f.severity,
                     "display": self.display_params({**f.params, "value": f.value, "limit": f.limit},
                                                    {"value": f.kinds.get("value", "value"),
                                                     "limit": f.kinds.get("limit", "value"), **f.kinds})}
                    for f in summary.top],
            "basis": [{"key": ln.key, "code": ln.code, "params": self.display_params(ln.params, ln.kinds)}
                      for ln in summary.basis] + self._source_lines(),
        }
        acts = actions(self.results)
        return render("county/summary.html.j2", **self._ctx(
            headline=headline(self.results), findings=view, actions=acts, plan_line=self.plan_line(acts)))

    def plan_line(self, acts) -> str:
        """The plan's totals in one sentence: cost, additions by item, the outcome and the CVs after it
        ("" without a plan)."""
        from lyganalysis.report.format import fmt
        from lyganalysis.report.text import t

        if getattr(acts, "source", None) != "plan":
            return ""
        lang = self.language
        sep = t("page_list_sep", lang)
        items = sep.join(t(x["code"], lang, amount=fmt(x["amount"], x["kind"], lang)) for x in acts.totals)
        cvs = sep.join(t("page_plan_cv_after", lang, stage=t(f"stage_{c['stage']}", lang),
                         indicator=c["indicator"], cv=fmt(c["cv"], "cv", lang), limit=f"{c['limit']:.2f}")
                       for c in acts.cvs_after)
        if acts.all_compliant and acts.cv_rule_met:
            outcome = t("page_plan_outcome_met", lang)
        else:
            outcome = t("page_plan_outcome_partial", lang, n_compliant=fmt(acts.n_compliant_after, "count", lang),
                        n_sections=fmt(acts.n_sections, "count", lang),
                        cv_rule=fmt("met" if acts.cv_rule_met else "not_met", "verdict", lang))
        return t("page_plan_totals", lang, cost=fmt(acts.total_cost, "money", lang),
                 items=items or t("page_plan_nothing", lang), outcome=outcome, cvs=cvs)

    def _source_lines(self) -> list[dict]:
        from lyganalysis.report.format import fmt

        rows = self.source.get("rows") or {}
        out = []
        rejected = self.source.get("rejected_by_school")
        if rejected is not None:  # data read with --accept-rejected: every page states the rejected rows
            total = sum(int(r.get("rows_rejected") or 0) for r in rejected)
            out.append({"key": "rejected", "code": "basis_rejected_total",
                        "params": {"n": fmt(total, "count", self.language),
                                   "n_schools": fmt(len({r.get("school_id") for r in rejected}), "count",
                                                    self.language)}})
            for r in rejected:
                out.append({"key": f"rejected.{r.get('school_id')}.{r.get('table')}", "code": "basis_rejected_school",
                            "params": {"school": str(r.get("school_id") or "—"), "table": str(r.get("table")),
                                       "n": fmt(r.get("rows_rejected"), "count", self.language)}})
        for table, c in rows.items():
            out.append({"key": f"rows.{table}", "code": "basis_rows",
                        "params": {"table": table, "read": fmt(c.get("read"), "count", self.language),
                                   "rejected": fmt(c.get("rejected", 0), "count", self.language)}})
        return out

    def sections(self) -> list[SectionView]:
        out = []
        for i, (key, module) in enumerate(SECTIONS, start=1):
            result = getattr(self.results, key, None)
            if result is None:
                continue
            mod = importlib.import_module(module)
            body = mod.render(result, language=self.language, school_href=self.school_href)
            html = render("county/section.html.j2", **self._ctx(key=key, number=i, body=body))
            figs = mod.figures(result, language=self.language) if hasattr(mod, "figures") else []
            out.append(SectionView(key=key, number=i, html=html, figures=figs))
        return out

    def toc(self) -> markupsafe.Markup:
        keys = [k for k, _ in SECTIONS if getattr(self.results, k, None) is not None]
        return render("county/toc.html.j2", **self._ctx(keys=keys))

    def methods(self) -> markupsafe.Markup:
        return render("county/methods.html.j2", **self._ctx(settings=self.results.settings.to_dict(),
                                                            exports=self.exports))
