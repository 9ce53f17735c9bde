"""Key figures: the named numbers a headline, an index row or a city table selects by key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lyganalysis.analysis.base import ResultMixin

__all__ = ["Figure"]


@dataclass(frozen=True)
class Figure(ResultMixin):
    """One key figure.

    Attributes
    ----------
    key : str
        Stable key (metrics JSON, HTML ``data-key``, catalogue label ``figure_<key>``).
    value : Any
        Full-precision value (a proportion in [0, 1] for rates and shares; a verdict code
        "met" / "not_met" / "undecided" for verdicts).
    kind : str
        Display kind (:data:`lyganalysis.report.format.KINDS`).
    params : dict
        Values the label needs (stage, grade, subject, …).
    """

    key: str
    value: Any
    kind: str
    params: dict = field(default_factory=dict)
