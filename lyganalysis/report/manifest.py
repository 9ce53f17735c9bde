"""Run manifest: what went into a batch and what came out, for reproducibility."""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
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


def write_manifest(path: str | Path, *, inputs: Iterable[str | Path], parameters: Mapping[str, Any],
                   results: list[Mapping[str, Any]], started: datetime, extra: Mapping[str, Any] | None = None) -> Path:
    """Write ``manifest.json``: inputs with their sha256, parameters, versions, per-county results.

    Paths of inputs are recorded relative to the manifest's folder when possible.
    """
    out = Path(path)
    base = out.parent.resolve()
    files = []
    for p in sorted({Path(x).resolve() for x in inputs}):
        try:
            shown = str(p.relative_to(base))
        except ValueError:
            shown = str(p)
        files.append({"path": shown, "bytes": p.stat().st_size, "sha256": sha256_file(p)})
    doc = {
        "started": started.astimezone(timezone.utc).isoformat(timespec="seconds"),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "parameters": dict(parameters),
        "inputs": files,
        "versions": package_versions(),
        "results": list(results),
        **dict(extra or {}),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return out
