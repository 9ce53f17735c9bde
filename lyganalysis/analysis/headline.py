"""The headline: which key figures a county's first screen, its index row and the city table show.

The headline never computes anything: it selects :class:`~lyganalysis.analysis.figures.Figure` objects by key
from the topic results (``CountyResults.figures()``), in the order of :data:`HEADLINE_KEYS`. A key whose figure
a county does not have (no scores, standards not applicable …) is left out for that county.
"""

from __future__ import annotations

from lyganalysis.analysis.figures import Figure

__all__ = ["HEADLINE_KEYS", "headline"]

HEADLINE_KEYS: tuple[str, ...] = (
    "resources.verdict",
    "resources.verdict.school_rule",
    "resources.verdict.cv_rule",
    "resources.students_compulsory",
    "resources.compliant_share.primary",
    "resources.compliant_share.junior",
    "resources.cv_indicators_failing.primary",
    "resources.cv_indicators_failing.junior",
    "staffing.student_teacher_ratio.primary",
    "staffing.student_teacher_ratio.junior",
    "staffing.teacher_shortfall",
    "academic.headline_mean",
    "academic.headline_icc",
    "equity.headline_gap",
)
"""Headline figure keys, in display order (labels: catalogue key ``figure_<key>`` with dots as ``_``)."""


def headline(results) -> list[Figure]:
    """The headline figures of a :class:`~lyganalysis.analysis.CountyResults`, in order."""
    figures = results.figures()
    return [figures[k] for k in HEADLINE_KEYS if k in figures]
