"""Reading the layout files of the forms (``lyganalysis/forms/layouts/*.yaml``).

Each form keeps its headings, order and column headers in a YAML file that a bureau can replace with
its province's own. :func:`load_layout` reads the bundled default and merges a replacement file over
it: mappings are merged key by key, anything else (text, lists) is replaced whole, so a replacement
may give only what differs.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = ["load_layout", "LAYOUT_NAMES"]

LAYOUT_NAMES = ("cv_sheet", "school_form", "self_evaluation")


def _read(text: str, where: str) -> dict:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"版式文件 {where} 不是有效的 YAML / layout file {where} is not valid YAML: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError(f"版式文件 {where} 应为键值映射 / layout file {where} must be a mapping of keys, "
                         f"got {type(data).__name__}")
    return data


@functools.lru_cache(maxsize=len(LAYOUT_NAMES))
def _default(name: str) -> dict:
    """The bundled layout ``name``, parsed once per process (callers get a deep copy)."""
    return _read(resources.files("lyganalysis").joinpath("forms", "layouts", f"{name}.yaml")
                 .read_text(encoding="utf-8"), f"{name}.yaml")


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def load_layout(name: str, layout: str | Path | Mapping[str, Any] | None = None) -> dict:
    """The layout ``name`` (one of :data:`LAYOUT_NAMES`), with ``layout`` merged over the default.

    Parameters
    ----------
    name : str
        ``"cv_sheet"``, ``"school_form"`` or ``"self_evaluation"``.
    layout : path or mapping, optional
        A replacement layout file (YAML) or an already read mapping. Mappings are merged key by key
        into the default; other values replace the default's.

    Returns
    -------
    dict

    Raises
    ------
    ValueError
        Unknown ``name``, or a replacement that is not a YAML mapping.
    FileNotFoundError
        The replacement file does not exist.
    """
    if name not in LAYOUT_NAMES:
        raise ValueError(f"unknown layout {name!r}; expected one of {LAYOUT_NAMES}")
    default = copy.deepcopy(_default(name))
    if layout is None:
        return default
    if isinstance(layout, Mapping):
        return _merge(default, layout)
    path = Path(layout)
    if not path.is_file():
        raise FileNotFoundError(f"版式文件不存在 / layout file not found: {path}")
    return _merge(default, _read(path.read_text(encoding="utf-8"), str(path)))
