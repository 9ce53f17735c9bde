"""References live in the repository: the standards page is generated from standards.py, and every
path-like citation in tracked files resolves to a file that is in the repository."""

import re
import subprocess
from pathlib import Path

from lyganalysis.references import standards_page

ROOT = Path(__file__).resolve().parents[1]
# a path-like token: a relative path with a slash, or a file name ending in .md
_PATH = re.compile(r"(?<![\w/.:-])((?:\.\./|\./)?(?:[A-Za-z_.][A-Za-z0-9_.-]*/)+[A-Za-z0-9_.-]+\.[a-z][a-z0-9]{0,4}"
                   r"|[A-Za-z0-9_.-]+\.md)(?:#[\w-]+)?")
# names of files inside other things (nbconvert's own template, members of an .xlsx / .docx zip), not
# citations of our files
_NOT_CITATIONS = {"classic/base.html.j2"}
_ZIP_MEMBERS = ("word/", "xl/", "docProps/", "_rels/")
# files inside a report folder the batch writes (the folder itself is git-ignored, these relative names are not)
_REPORT_OUTPUTS = {"assets/font.css", "assets/style.css", "county/page.html", "../index.html", "schools/x1.html"}
_SKIP_PARTS = ("tests/cases/", "tests/fixtures/")
# built from parts so that this file does not flag itself
_OUTSIDE = ("/" + "work/", "../" + "shared")
_SECTION_CITATION = re.compile(r"\.md\s*" + "\u00a7")  # a Markdown file followed by a section sign: cite a key


def _all_tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def _tracked() -> list[str]:
    return [p for p in _all_tracked() if not p.startswith(_SKIP_PARTS)]


def _ignored(paths: list[str]) -> set[str]:
    inside = [p for p in paths if not p.startswith("../")]  # git refuses paths outside the repository
    if not inside:
        return set()
    r = subprocess.run(["git", "check-ignore", "--no-index", *inside], cwd=ROOT, capture_output=True, text=True)
    return set(r.stdout.splitlines())


def _resolves(rel: str, tok: str, tracked: list[str], names: set[str]) -> bool:
    base = (ROOT / rel).parent
    if (base / tok).exists() or (ROOT / tok).exists():
        return True
    if "/" not in tok:
        return tok in names
    # a path relative to a package folder or a template folder (report/format.py, or a template name under a templates folder)
    tail = "/" + tok.removeprefix("./")
    return not tok.startswith("../") and any(t.endswith(tail) for t in tracked)


def test_standards_page_is_generated_from_standards_py():
    committed = (ROOT / "references" / "standards.md").read_text(encoding="utf-8")
    assert committed == standards_page(), "references/standards.md is stale: run `make docs` and commit it"


def test_every_cited_file_exists_and_no_issue_numbers_or_machine_paths():
    everything = _all_tracked()
    names = {Path(p).name for p in everything}
    problems = []
    candidates: dict[tuple[str, str], int] = {}
    for rel in _tracked():
        p = ROOT / rel
        if p.suffix.lower() not in (".py", ".md", ".yaml", ".yml", ".ipynb", ".j2", ".toml", ".txt", ".cfg", "") \
                or not p.is_file():
            continue
        text = p.read_text(encoding="utf-8", errors="replace")
        for n, line in enumerate(text.splitlines(), 1):
            if re.search(r"\bissue \d+\b|\bissue #\d+", line, re.I):
                problems.append(f"{rel}:{n}: names an issue number: {line.strip()[:120]}")
            if any(o in line for o in _OUTSIDE):
                problems.append(f"{rel}:{n}: names a path outside the repository: {line.strip()[:120]}")
            if _SECTION_CITATION.search(line):
                problems.append(f"{rel}:{n}: cites a section number; cite the standards.py key: {line.strip()[:120]}")
            for m in _PATH.finditer(line):
                tok = m.group(1)
                if tok in _NOT_CITATIONS or tok in _REPORT_OUTPUTS or tok.startswith(_ZIP_MEMBERS) \
                        or any(c in tok for c in "<>{}*$") or "://" in line[max(0, m.start() - 12):m.start()]:
                    continue
                candidates.setdefault((rel, tok), n)
    unresolved = [(rel, tok, n) for (rel, tok), n in candidates.items()
                  if not _resolves(rel, tok, everything, names)]
    ignored = _ignored(sorted({tok for _, tok, _ in unresolved}))
    for rel, tok, n in unresolved:
        if tok not in ignored:  # outputs the batch writes (reports/, data/processed/ …) are not citations
            problems.append(f"{rel}:{n}: cites {tok}, which is not in the repository")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:80])
