"""References live in the repository: the standards page is generated from standards.py, and every
path-like citation in tracked files resolves to a file that is in the repository."""

import re
import subprocess
from pathlib import Path

from lyganalysis.references import standards_page

ROOT = Path(__file__).resolve().parents[1]
# a path-like token: a relative path with a slash, or a file name ending in .md
_PATH = re.compile(r"(?<![\w/.:-])((?:\.\./|\./)?(?:[A-Za-z_.][A-Za-z0-9_.-]*/)+[A-Za-z0-9_.-]+\.[a-z]{1,5}"
                   r"|[A-Za-z0-9_.-]+\.md)(?:#[\w-]+)?")
# names of files inside other things (a zip member, nbconvert's own template), not citations of our files
_NOT_CITATIONS = {"word/document.xml", "county/page.html", "classic/base.html.j2", "xl/workbook.xml"}
_SKIP_PARTS = ("tests/cases/", "tests/fixtures/")


def _tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [p for p in out.splitlines() if not p.startswith(_SKIP_PARTS)]


def _ignored(paths: list[str]) -> set[str]:
    if not paths:
        return set()
    r = subprocess.run(["git", "check-ignore", "--no-index", *paths], cwd=ROOT, capture_output=True, text=True)
    return set(r.stdout.splitlines())


def test_standards_page_is_generated_from_standards_py():
    committed = (ROOT / "references" / "standards.md").read_text(encoding="utf-8")
    assert committed == standards_page(), "references/standards.md is stale: run `make docs` and commit it"


def test_every_cited_file_exists_and_no_issue_numbers_or_machine_paths():
    tracked = _tracked()
    names = {Path(p).name for p in tracked}
    problems = []
    candidates: dict[tuple[str, str], int] = {}
    for rel in tracked:
        p = ROOT / rel
        if p.suffix.lower() not in (".py", ".md", ".yaml", ".yml", ".ipynb", ".j2", ".toml", ".txt", ".cfg", "") \
                or not p.is_file():
            continue
        text = p.read_text(encoding="utf-8", errors="replace")
        for n, line in enumerate(text.splitlines(), 1):
            if re.search(r"\bissue \d+\b|\bissue #\d+", line, re.I):
                problems.append(f"{rel}:{n}: names an issue number: {line.strip()[:120]}")
            if "/work/" in line or "../shared" in line:
                problems.append(f"{rel}:{n}: names a path outside the repository: {line.strip()[:120]}")
            for m in _PATH.finditer(line):
                tok = m.group(1)
                if tok in _NOT_CITATIONS or any(c in tok for c in "<>{}*$") or "://" in line[max(0, m.start() - 12):m.start()]:
                    continue
                candidates.setdefault((rel, tok), n)
    unresolved = []
    for (rel, tok), n in candidates.items():
        base = (ROOT / rel).parent
        here = [(base / tok), (ROOT / tok)]
        if any(h.exists() for h in here) or ("/" not in tok and tok in names):
            continue
        unresolved.append((rel, tok, n))
    ignored = _ignored(sorted({tok for _, tok, _ in unresolved}))
    for rel, tok, n in unresolved:
        if tok not in ignored:  # outputs the batch writes (reports/, data/processed/ …) are not citations
            problems.append(f"{rel}:{n}: cites {tok}, which is not in the repository")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:80])
