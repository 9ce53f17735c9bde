"""HTML from Jinja2 templates (autoescape on): the environment every page and section uses.

Templates live in ``lyganalysis/report/templates/``. Every template gets these globals and filters:

- ``t(key, **params)`` — catalogue text in the page's language (``language`` in the render context);
- ``value | fmt(kind)`` — display formatting (:func:`lyganalysis.report.format.fmt`);
- ``key_of(*parts)`` — a stable ``data-key`` (parts joined by ``.``) that the end-to-end test reads back;
- ``label(code)`` — catalogue text of a code (stage, locale, subject, indicator …) or the code itself when the
  catalogue has no entry for it.

Macros for tables (sortable, filterable, folded), bars and intervals are in ``macros.html.j2``:
``{% import "macros.html.j2" as m %}``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2
import markupsafe

from lyganalysis.report.format import fmt, is_missing
from lyganalysis.report.text import has, t

__all__ = ["environment", "render", "key_of", "rows"]


def key_of(*parts: Any) -> str:
    """A ``data-key``: the parts as text joined by dots (None and NaN parts are left out)."""
    out = []
    for p in parts:
        if p is None or is_missing(p):
            continue
        if isinstance(p, float) and p.is_integer():
            p = int(p)
        out.append(str(p))
    return ".".join(out)


@jinja2.pass_context
def _t(ctx, key: str, **params: Any) -> str:
    return t(key, ctx.get("language", "zh"), **params)


@jinja2.pass_context
def _fmt(ctx, value: Any, kind: str) -> str:
    return fmt(value, kind, ctx.get("language", "zh"))


@jinja2.pass_context
def _label(ctx, code: Any, prefix: str = "") -> str:
    lang = ctx.get("language", "zh")
    if is_missing(code):
        return t("missing_group", lang)
    c = str(int(code)) if isinstance(code, float) and code.is_integer() else str(code)
    k = f"{prefix}{c}"
    return t(k, lang) if has(k, lang) else c


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The shared Jinja2 environment (autoescape on, undefined variables are errors)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("lyganalysis", "report/templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(t=_t, key_of=key_of, label=_label, is_missing=is_missing)
    env.filters.update(fmt=_fmt, label=_label)
    return env


def render(template: str, /, **context: Any) -> markupsafe.Markup:
    """Render ``template`` (a file name under ``report/templates``) with ``context`` (needs ``language``)."""
    if "language" not in context:
        raise ValueError(f"rendering {template!r} needs a language in the context")
    return markupsafe.Markup(environment().get_template(template).render(**context))


def rows(frame, *, key: str | None = None, link: tuple[str, str] | None = None) -> list[dict]:
    """The rows of ``frame`` as dicts for the ``table`` macro.

    ``key``: column whose value becomes the row's ``data-key`` part; ``link``: ``(column, pattern)`` adds a
    ``_href`` entry formatted from the row (e.g. ``("school_id", "schools/{school_id}.html")``).
    """
    if frame is None or len(frame) == 0:
        return []
    out = []
    for r in frame.to_dict(orient="records"):
        if key is not None:
            r["_key"] = r.get(key)
        if link is not None:
            r["_href"] = link[1].format(**r)
        out.append(r)
    return out
