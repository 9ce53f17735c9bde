"""Compare today's analysis results with the metrics JSON of the pre-analysis-layer main.

The baseline (``tests/fixtures/baseline/<dataset>.json.gz``, written by ``make_baseline.py`` beside it from
the last main before the analysis layer, at library level) holds per county the old ``summary.to_dict()``
plus each old section's ``to_dict()`` under ``resources_detail``, ``staffing_structure``,
``academic_detail``, ``equity_detail``, and for the demo the old ``city_overview``.

Each topic keeps a key map ``tests/fixtures/baseline/keymap_<topic>.yaml``::

    - old: resources_detail.cv            # dotted path in the old county document
      new: resources.cv                   # dotted path in the new CountyResults.to_dict()
      sort: [stage, indicator]            # optional: compare record lists after sorting by these keys
      columns: {cv_weighted: cv_weighted} # optional: old field -> new field inside records (default: same names)
      ignore: [lacks_zh, lacks_en]        # optional: old fields that have no new counterpart (display text)

and the intentional differences ``tests/fixtures/baseline/intentional*.yaml`` (a list of
``{path: glob on "<topic>:<old path>", why: text}``) that the test reads and the closing note lists.
"""

from __future__ import annotations

import fnmatch
import gzip
import json
import math
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent / "fixtures" / "baseline"


@cache
def baseline(dataset: str) -> dict:
    with gzip.open(HERE / f"{dataset}.json.gz", "rt", encoding="utf-8") as f:
        return json.load(f)


def keymap(topic: str) -> list[dict]:
    p = HERE / f"keymap_{topic}.yaml"
    return yaml.safe_load(p.read_text(encoding="utf-8")) or []


def intentional() -> list[dict]:
    return [d for p in sorted(HERE.glob("intentional*.yaml")) for d in (yaml.safe_load(p.read_text(encoding="utf-8")) or [])]


@lru_cache(maxsize=1)
def value_map() -> dict:
    """Old leaf value → new value for values renamed on purpose (``value_map.yaml``: the zones' local codes)."""
    p = HERE / "value_map.yaml"
    return {str(k): v for k, v in (yaml.safe_load(p.read_text(encoding="utf-8")) or {}).items()} if p.is_file() else {}


def get(doc: Any, path: str) -> Any:
    cur = doc
    for part in path.split("."):
        if part == "":
            continue
        if isinstance(cur, list):
            cur = cur[int(part)]
        elif isinstance(cur, dict):
            if part not in cur:
                raise KeyError(f"{path}: no {part!r} (have {sorted(cur)[:20]})")
            cur = cur[part]
        else:
            raise KeyError(f"{path}: cannot descend into {type(cur).__name__} at {part!r}")
    return cur


def _close(a: Any, b: Any, rtol: float) -> bool:
    if a is None or b is None:
        na = a is None or (isinstance(a, float) and math.isnan(a))
        nb = b is None or (isinstance(b, float) and math.isnan(b))
        return na and nb
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, float) and math.isnan(a):
            return isinstance(b, float) and math.isnan(b)
        return math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=1e-12 * max(1.0, abs(float(a))))
    return a == b


def compare(old: Any, new: Any, *, path: str, rtol: float = 1e-12, sort: list | None = None,
            columns: dict | None = None, ignore: list | None = None) -> list[str]:
    """Differences between an old and a new subtree, as ``"<path>: old != new"`` lines."""
    out: list[str] = []
    columns = columns or {}
    ignore = set(ignore or ())
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{path}: {len(old)} old rows != {len(new)} new rows"]
        if sort and old and isinstance(old[0], dict):
            def k(r, cols):
                return tuple("" if r.get(c) is None else str(r.get(c)) for c in cols)
            old = sorted(old, key=lambda r: k(r, sort))
            new = sorted(new, key=lambda r: k(r, [columns.get(c, c) for c in sort]))
        for i, (a, b) in enumerate(zip(old, new)):
            out += compare(a, b, path=f"{path}.{i}", rtol=rtol, columns=columns, ignore=list(ignore))
        return out
    if isinstance(old, dict) and isinstance(new, dict):
        for key, a in old.items():
            if key in ignore:
                continue
            nk = columns.get(key, key)
            if nk not in new:
                out.append(f"{path}.{key}: missing in new (looked for {nk!r})")
                continue
            out += compare(a, new[nk], path=f"{path}.{key}", rtol=rtol, columns=columns, ignore=list(ignore))
        return out
    vm = value_map()
    old = vm.get(old, old) if isinstance(old, str) else old
    new = vm.get(new, new) if isinstance(new, str) else new
    if not _close(old, new, rtol):
        out.append(f"{path}: {old!r} != {new!r}")
    return out


def topic_differences(topic: str, dataset: str, new_docs: dict[str, dict], *, rtol: float = 1e-12) -> list[str]:
    """All differences of ``topic`` between the baseline and ``new_docs`` (county -> new to_dict()),
    leaving out those that match an intentional-difference glob."""
    base = baseline(dataset)["counties"]
    allowed = [d["path"] for d in intentional()]
    out = []
    for county, new in new_docs.items():
        old = base[county]
        for m in keymap(topic):
            try:
                a = get(old, m["old"])
            except KeyError:
                continue  # the old document had no such part for this county
            try:
                b = get(new, m["new"])
            except KeyError as exc:
                out.append(f"{county}:{m['old']}: {exc}")
                continue
            for d in compare(a, b, path=m["old"], rtol=rtol, sort=m.get("sort"), columns=m.get("columns"),
                             ignore=m.get("ignore")):
                tagged = f"{topic}:{d.split(': ', 1)[0]}"
                if not any(fnmatch.fnmatch(tagged, g) for g in allowed):
                    out.append(f"{county}:{d}")
    return out
