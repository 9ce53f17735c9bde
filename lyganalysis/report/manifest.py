"""Run manifest: what went into a batch and what came out, for reproducibility and incremental runs.

Each county's entry carries a ``fingerprint``: the hash of everything its outputs depend on (see
:func:`fingerprint`).  The next batch reads the manifest back (:func:`previous_results`) and does not
run a county whose fingerprint is unchanged and whose outputs are still on disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("lyganalysis", "numpy", "pandas", "scipy", "statsmodels", "matplotlib", "pandera",
            "pyarrow", "papermill", "nbconvert", "openpyxl")


def sha256_file(path: str | Path, *, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Installed versions of ``names`` (``"not installed"`` where absent)."""
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def package_code_hash(root: str) -> str:
    """Hex sha256 over the source files of a package folder: every file below ``root`` except
    compiled caches, each as its relative path and its bytes, in sorted order.

    Unlike a version string this changes with any edit of the code, templates or bundled data.
    Written with local imports only, because :func:`lyganalysis.report.runner.check_workers` sends
    this very function to Dask workers to hash their installed copy the same way.
    """
    import hashlib
    import os

    h = hashlib.sha256()
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for name in filenames:
            if name.endswith((".pyc", ".pyo")) or name.startswith("."):
                continue
            found.append(os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/"))
    for rel in sorted(found):
        h.update(rel.encode("utf-8") + b"\0")
        with open(os.path.join(root, rel), "rb") as fh:
            h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()


def code_hash(package: str = "lyganalysis") -> str:
    """:func:`package_code_hash` of the installed ``package`` (its source files, not its version)."""
    import importlib

    mod = importlib.import_module(package)
    return package_code_hash(os.path.dirname(mod.__file__))


def fingerprint(parts: Mapping[str, Any]) -> str:
    """Hex sha256 of ``parts`` (JSON with sorted keys): the identity of one county's run.

    ``build_reports`` passes ``inputs`` (the data files), ``parameters`` (the notebook's),
    ``template`` (the notebook file), ``code`` (:func:`code_hash`), ``environment`` (library
    versions), ``kernel`` and ``results`` (the county's stored analysis results, or None).
    """
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``: a reader
    (or a killed batch) sees the old file or the new one, never half of one."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return out


def read_manifest(path: str | Path) -> dict | None:
    """The manifest at ``path``, or ``None`` when there is none or it cannot be read."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def previous_results(path: str | Path) -> dict[str, dict]:
    """Stem → recorded result of the manifest at ``path`` (empty when there is none)."""
    doc = read_manifest(path) or {}
    rows = [*doc.get("earlier_runs", []), *doc.get("results", [])]
    # a county still pending when the batch was killed keeps the record of the run before
    rows = [r.get("earlier") or r if isinstance(r, dict) and r.get("status") == "pending" else r for r in rows]
    return {r["stem"]: r for r in rows if isinstance(r, dict) and r.get("stem")}


def write_manifest(path: str | Path, *, inputs: Iterable[str | Path], parameters: Mapping[str, Any],
                   results: list[Mapping[str, Any]], started: datetime, extra: Mapping[str, Any] | None = None,
                   input_hashes: Mapping[str, str] | None = None) -> Path:
    """Write ``manifest.json`` atomically: inputs with their sha256, parameters, versions, code hash,
    per-county results (with their fingerprints).

    Paths of inputs are recorded relative to the manifest's folder when possible;
    ``input_hashes`` (resolved path → sha256) avoids hashing the same files twice.
    """
    out = Path(path)
    base = out.parent.resolve()
    files = []
    for p in sorted({Path(x).resolve() for x in inputs}):
        try:
            shown = str(p.relative_to(base))
        except ValueError:
            shown = str(p)
        sha = (input_hashes or {}).get(str(p)) or sha256_file(p)
        files.append({"path": shown, "bytes": p.stat().st_size, "sha256": sha})
    doc = {
        "started": started.astimezone(UTC).isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": dict(parameters),
        "inputs": files,
        "versions": package_versions(),
        "code_hash": code_hash(),
        "results": list(results),
        **dict(extra or {}),
    }
    return atomic_write_text(out, json.dumps(doc, ensure_ascii=False, indent=2, default=str))
