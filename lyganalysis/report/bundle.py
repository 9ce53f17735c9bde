"""One zip per county for sending: its page, its school pages and the shared files they link to."""

from __future__ import annotations

import zipfile
from pathlib import Path

__all__ = ["write_bundle"]


def write_bundle(out_dir: str | Path, stem: str, *, pages: list[Path], shared: list[Path]) -> Path:
    """Write ``<out_dir>/bundles/<stem>.zip`` holding ``pages`` and ``shared`` at their paths relative to
    ``out_dir`` (so every link inside still resolves after unzipping). Written under a temporary name, then
    renamed: a half-written zip never looks complete."""
    root = Path(out_dir)
    target = root / "bundles" / f"{stem}.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for p in [*pages, *shared]:
            p = Path(p)
            if p.is_file():
                z.write(p, p.resolve().relative_to(root.resolve()).as_posix())
    tmp.replace(target)
    return target
