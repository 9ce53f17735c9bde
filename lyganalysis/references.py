"""Generate ``references/standards.md``: every standard of :mod:`lyganalysis.standards`, one source.

Run ``python -m lyganalysis.references --out references`` (``make docs`` does). Each record gets a stable
anchor equal to its key (``#quality_cv_limit_primary``, ``#L2``), so code and docs cite a standard as
``standards.QUALITY_CV_LIMITS`` / ``references/standards.md#quality_cv_limit_primary`` instead of a section
number. A test checks that the committed page equals what this module generates.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Mapping
from pathlib import Path

__all__ = ["standards_page", "write_references"]

_CERTAINTY = {"P": "[P] a government page publishing the text or its own data",
              "S": "[S] agreeing secondary reproductions",
              "U": "[U] unconfirmed: a configurable parameter, never a fixed truth"}
_SKIP_FIELDS = {"key"}


def _records():
    from lyganalysis import standards as S

    for name, value in vars(S).items():
        if name.startswith("_") or isinstance(value, type):
            continue
        items = list(value.items()) if isinstance(value, Mapping) else [(None, value)]
        recs = [(k, o) for k, o in items if dataclasses.is_dataclass(o) and not isinstance(o, type)]
        if recs:
            yield name, recs


def _cell(v) -> str:
    text = "" if v is None else str(v)
    return text.replace("|", "\\|").replace("\n", " ")


def standards_page() -> str:
    """The Markdown text of ``references/standards.md``."""
    from lyganalysis import standards as S

    lines = ["# Standards and thresholds used by lyganalysis",
             "",
             "Generated from `lyganalysis/standards.py` by `python -m lyganalysis.references` — do not edit by hand;",
             "change the module and regenerate (`make docs`). Every record names its source document and clause",
             "and how sure we are of it:",
             ""]
    lines += [f"- {v}" for v in _CERTAINTY.values()]
    lines += ["", (S.__doc__ or "").strip().split("\n\n")[0], ""]
    for name, recs in _records():
        lines += [f"## {name}", "", f'<a id="{name}"></a>', ""]
        doc = None
        for _k, o in recs:
            doc = doc or type(o).__doc__
        fields = [f.name for f in dataclasses.fields(recs[0][1]) if f.name not in _SKIP_FIELDS]
        lines.append("| key | " + " | ".join(fields) + " |")
        lines.append("|---" * (len(fields) + 1) + "|")
        for k, o in recs:
            key = getattr(o, "key", None) or (f"{name}.{k}" if k is not None else name)
            anchor = f'<a id="{key}"></a>`{key}`'
            lines.append(f"| {anchor} | " + " | ".join(_cell(getattr(o, f)) for f in fields) + " |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_references(out: str | Path) -> list[Path]:
    """Write the generated reference pages into ``out``; return their paths."""
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    p = d / "standards.md"
    p.write_text(standards_page(), encoding="utf-8")
    return [p]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate the reference pages from lyganalysis.standards")
    ap.add_argument("--out", default="references", help="folder (default: references)")
    args = ap.parse_args(argv)
    for p in write_references(args.out):
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
