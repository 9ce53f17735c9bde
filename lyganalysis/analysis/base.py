"""What every analysis result shares: plain-data export and the "not computed" record.

Result classes are frozen dataclasses whose fields are DataFrames, scalars, tuples, plain dicts and other
result objects (including the frozen result classes of :mod:`lyganalysis.metrics`). They hold numbers at
full precision and codes, never display text or a language: words are chosen by :mod:`lyganalysis.report`.

:func:`to_plain` turns any such object into JSON-able data (the metrics JSON); :mod:`lyganalysis.analysis.store`
writes the same objects as parquet + JSON and loads them back into the same classes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lyganalysis.jsonable import plain, records

__all__ = ["ResultMixin", "NotComputed", "to_plain", "not_computed", "number_or_none"]


def to_plain(obj: Any) -> Any:
    """JSON-able data of a result object, a frame (list of records), or plain data (recursively).

    Objects with their own ``to_dict()`` (metrics results) use it; other dataclasses are exported field by
    field; DataFrames become lists of records (``[]`` when empty, ``None`` for a missing table).
    """
    if obj is None:
        return None
    if isinstance(obj, pd.DataFrame):
        return records(obj)
    if isinstance(obj, pd.Series):
        return [plain(v) for v in obj.tolist()]
    if isinstance(obj, ResultMixin):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if hasattr(obj, "to_dict"):
            return plain(obj.to_dict())
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    return plain(obj)


class ResultMixin:
    """Mixin for analysis result dataclasses: ``to_dict()`` (plain data) and ``tables()``."""

    def to_dict(self) -> dict:
        """Every field as JSON-able data at full precision (frames as lists of records)."""
        return {f.name: to_plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def tables(self) -> dict[str, pd.DataFrame]:
        """The DataFrame fields of this result, by name (each is also reachable as an attribute)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if isinstance(getattr(self, f.name), pd.DataFrame)}


@dataclass(frozen=True)
class NotComputed(ResultMixin):
    """A figure the data or the settings do not allow, as a code with parameters (no text).

    Attributes
    ----------
    section : str
        Topic: "resources", "staffing", "academic", "equity", "readiness".
    item : str
        What was not computed (an indicator key, a table name, …).
    reason : str
        A code the report's text catalogue translates (e.g. ``"missing_column"``, ``"too_few_schools"``,
        ``"standards_not_applicable"``).
    params : dict
        Values the translated sentence needs (counts, column names, limits).
    """

    section: str
    item: str
    reason: str
    params: dict = dataclasses.field(default_factory=dict)


def not_computed(section: str, item: str, reason: str, **params: Any) -> NotComputed:
    """Shorthand for :class:`NotComputed` with keyword parameters."""
    return NotComputed(section=section, item=item, reason=reason, params={k: plain(v) for k, v in params.items()})


def number_or_none(v: Any) -> float | None:
    """``v`` as a float, or None when it is not a number or is NaN (for optional figures of a result)."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if f != f else f
