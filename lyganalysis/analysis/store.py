"""A results store: analysis results written as parquet + JSON (never pickle) and loaded back.

``save(obj, directory)`` writes ``result.json`` (the object tree: class names, scalars, tuples, dicts) and one
parquet file per DataFrame; ``load(directory)`` rebuilds the same classes. Only classes of the ``lyganalysis``
package are rebuilt (a store cannot make the loader import anything else).

The batch writes one store per county below a cache folder that is not part of the report folder a bureau
mails (``<output>/../.lyganalysis-cache/…`` by default); each county notebook loads its own.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["save", "load", "StoreError"]

_FORMAT = "lyganalysis-results/1"
_MAIN = "result.json"


class StoreError(ValueError):
    """A results store that cannot be written or read (with what to do)."""


def _scalar(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return {"__float__": "nan"}
        if math.isinf(f):
            return {"__float__": "inf" if f > 0 else "-inf"}
        return f
    if isinstance(v, (str, int)):
        return v
    if isinstance(v, pd.Timestamp):
        return {"__timestamp__": v.isoformat()}
    raise StoreError(f"cannot store a value of type {type(v).__name__}: {v!r}")


class _Writer:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.n = 0

    def encode(self, obj: Any, path: str) -> Any:
        if isinstance(obj, pd.DataFrame):
            self.n += 1
            name = f"t{self.n:04d}.parquet"
            frame = obj
            if not all(isinstance(c, str) for c in frame.columns):
                raise StoreError(f"{path}: column names must be text to be stored, got {list(frame.columns)!r}")
            try:
                frame.to_parquet(self.dir / name, index=True)
            except Exception as exc:  # pyarrow cannot hold some object columns (mixed types, lists of dicts)
                raise StoreError(f"{path}: this table cannot be written as parquet ({type(exc).__name__}: {exc}); "
                                 "give each column one type") from exc
            return {"__frame__": name}
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            cls = type(obj)
            return {"__class__": f"{cls.__module__}:{cls.__qualname__}",
                    "fields": {f.name: self.encode(getattr(obj, f.name), f"{path}.{f.name}")
                               for f in dataclasses.fields(obj)}}
        if isinstance(obj, Mapping):  # dicts and read-only mappings (loaded back as dicts)
            if not all(isinstance(k, str) for k in obj):
                return {"__dict_items__": [[self.encode(k, path), self.encode(v, f"{path}[{k!r}]")]
                                           for k, v in obj.items()]}
            return {"__dict__": {k: self.encode(v, f"{path}.{k}") for k, v in obj.items()}}
        if isinstance(obj, tuple):
            return {"__tuple__": [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]
        return _scalar(obj)


def save(obj: Any, directory: str | Path) -> Path:
    """Write ``obj`` (an analysis result, or a dict/list of them) to ``directory`` (replaced if present).

    Returns
    -------
    Path of ``result.json``.

    Raises
    ------
    StoreError
        If a value cannot be stored (the message names where in the object it is).
    """
    d = Path(directory)
    tmp = d.with_name(d.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    w = _Writer(tmp)
    tree = w.encode(obj, "result")
    (tmp / _MAIN).write_text(json.dumps({"format": _FORMAT, "root": tree}, ensure_ascii=False, allow_nan=False),
                             encoding="utf-8")
    if d.exists():
        shutil.rmtree(d)
    tmp.rename(d)  # the store appears whole or not at all
    return d / _MAIN


def _class(name: str, allowed: tuple[str, ...]):
    module, _, qual = name.partition(":")
    if not any(module == a or module.startswith(a + ".") for a in allowed):
        raise StoreError(f"refusing to load class {name!r}: not a lyganalysis class")
    obj = importlib.import_module(module)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def _decode(node: Any, d: Path, allowed: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_decode(v, d, allowed) for v in node]
    if not isinstance(node, dict):
        return node
    if "__frame__" in node:
        return pd.read_parquet(d / node["__frame__"])
    if "__class__" in node:
        cls = _class(node["__class__"], allowed)
        values = {k: _decode(v, d, allowed) for k, v in node["fields"].items()}
        init = {f.name for f in dataclasses.fields(cls) if f.init}
        obj = cls(**{k: v for k, v in values.items() if k in init})
        for k, v in values.items():  # fields computed in __post_init__ (init=False)
            if k not in init:
                object.__setattr__(obj, k, v)
        return obj
    if "__dict__" in node:
        return {k: _decode(v, d, allowed) for k, v in node["__dict__"].items()}
    if "__dict_items__" in node:
        return {_decode(k, d, allowed): _decode(v, d, allowed) for k, v in node["__dict_items__"]}
    if "__tuple__" in node:
        return tuple(_decode(v, d, allowed) for v in node["__tuple__"])
    if "__float__" in node:
        return float(node["__float__"])
    if "__timestamp__" in node:
        return pd.Timestamp(node["__timestamp__"])
    raise StoreError(f"unknown node in a results store: {sorted(node)}")


def load(directory: str | Path, *, allowed_modules: tuple[str, ...] = ("lyganalysis",)) -> Any:
    """Load what :func:`save` wrote.

    Only classes from ``allowed_modules`` (and their submodules) are rebuilt.

    Raises
    ------
    StoreError
        If ``directory`` holds no store, or one written by another format version (re-run the batch).
    """
    d = Path(directory)
    p = d / _MAIN
    if not p.is_file():
        raise StoreError(f"{d} holds no results store ({_MAIN} missing): run `lyganalysis report` again, "
                         "or compute the results in the notebook (leave results_dir empty)")
    doc = json.loads(p.read_text(encoding="utf-8"))
    if doc.get("format") != _FORMAT:
        raise StoreError(f"{p}: store format {doc.get('format')!r}, expected {_FORMAT!r}: run the batch again")
    return _decode(doc["root"], d, tuple(allowed_modules))
