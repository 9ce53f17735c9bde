"""The batch's parent pass: compute every county once, store the results, write the school pages.

``prepare(ds, …)`` runs before any notebook starts:

1. :func:`lyganalysis.analysis.compute_all` — every topic for every county in one grouped pass;
2. one results store per county (parquet + JSON, :mod:`lyganalysis.analysis.store`) in a cache folder that is
   not part of the report folder a bureau mails (default: ``.lyganalysis-cache/<output folder name>/`` beside
   the output folder); each county notebook gets its store as ``results_dir`` and only displays;
3. the school pages of every county (``<output>/<stem>/schools/<school_id>.html``) and the shared assets they
   link to (``<output>/assets/``), rendered from templates here, not one notebook per school;
4. per county where the Chinese standards apply, into ``<output>/tables/<stem>/``: the evaluation-form tables
   and the plan (达标方案.xlsx, :func:`lyganalysis.report.sections.resources.export_tables`) and the forms the
   county submits — 差异系数计算表.xlsx, 学校指标表.xlsx, 自评报告.docx — from the results
   (:func:`lyganalysis.forms.submission.forms_from_results`); the county page links them (``exports``).

:func:`finish` runs after the notebooks: one zip per county for sending, then the privacy scan of every output
(the batch fails if an ID number, a name or a student/teacher key appears anywhere).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lyganalysis.analysis import compute_all, store
from lyganalysis.settings import Settings

__all__ = ["PreparedCounty", "prepare", "finish", "default_cache_dir", "school_href", "store_hash", "batch_font_path"]


@dataclass(frozen=True)
class PreparedCounty:
    """What the parent pass made for one county."""

    county: str
    stem: str
    results_dir: Path
    school_pages: dict = field(default_factory=dict)
    source_json: str = ""
    results: Any = None
    exports: dict = field(default_factory=dict)


def default_cache_dir(output_dir: str | Path) -> Path:
    """The results cache of an output folder: beside it, never inside what is mailed."""
    out = Path(output_dir).resolve()
    return out.parent / ".lyganalysis-cache" / out.name


def school_href(stem: str) -> str:
    """Link pattern from a county page (``<stem>.html``) to its school pages."""
    return f"{stem}/schools/{{school_id}}.html"


def store_hash(directory: str | Path) -> str:
    """sha256 over every file of a results store (names and contents): changes exactly when the results do."""
    h = hashlib.sha256()
    for p in sorted(Path(directory).rglob("*")):
        if p.is_file():
            h.update(p.name.encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def _rows(ds, rejected=None) -> dict:
    """Rows read and rejected per table: intake's own accounting for raw exports, else the table sizes."""
    rows = {name: {"read": int(len(frame)), "rejected": 0} for name, frame in ds.tables().items()}
    if rejected is not None:
        acc: dict[str, dict] = {}
        for tr in rejected.report.tables:
            name = tr.table or "unknown"
            a = acc.setdefault(name, {"read": 0, "rejected": 0})
            a["read"] += int(tr.rows_read)
            a["rejected"] += int(tr.rows_rejected)
        rows.update(acc)
    return rows


def prepare(ds, *, school_year: int, stems: dict[str, str], output_dir: str | Path, language: str,
            settings: Settings | None = None, cache_dir: str | Path | None = None,
            school_pages: bool = True, rejected=None, exports: bool = True, key: str | None = None,
            reuse: bool = True) -> dict[str, PreparedCounty]:
    """Compute, store and write the school pages for the counties in ``stems`` (county → file stem).

    ``rejected``: the :class:`lyganalysis.intake.RawIntake` of raw exports read with ``accept_rejected``; its
    per-school rejected rows go to each county page. ``exports``: also write the evaluation-form tables, the plan
    and the three submission forms (``<output>/tables/<stem>/``) from the results. ``key``: a hash of everything
    the pass depends on (data, code, library versions, year, language, settings); the pass is then recorded in
    the cache, and a later call with the same key (and ``reuse``) whose files are all still there loads the
    stored results instead of computing and writing again.
    """
    from lyganalysis.report.school_pages import write_assets, write_school_pages
    from lyganalysis.report.sections.resources import export_tables

    settings = settings or Settings()
    out = Path(output_dir)
    cache = Path(cache_dir) if cache_dir else default_cache_dir(out)
    record = cache / "prepare.json"
    if key is not None and reuse:
        kept = _recorded(record, key, stems, out, school_pages, exports)
        if kept is not None:
            return kept
    record.unlink(missing_ok=True)  # a pass killed from here on leaves no record that could be reused
    results = compute_all(ds, school_year=school_year, settings=settings, counties=list(stems))
    rows = _rows(ds, rejected)
    if school_pages:
        write_assets(out / "assets")
    prepared = {}
    all_pages: list[Path] = []
    for county, r in results.items():
        stem = stems[county]
        d = cache / stem
        store.save(r, d)
        pages = {}
        if school_pages:
            pages = write_school_pages(r, ds.schools, out / stem / "schools", language=language,
                                       county_href=f"../../{stem}.html", assets_href="../../assets", with_font=True)
        hrefs: dict[str, str] = {}
        if exports and r.resources is not None and getattr(r.resources, "applies", False):
            written = dict(export_tables(r.resources, out / "tables" / stem))
            written.update(_forms(ds, r, out / "tables" / stem))
            hrefs = {Path(p).name: Path(p).resolve().relative_to(out.resolve()).as_posix() for p in written.values()}
        source: dict[str, Any] = {"rows": rows, "exports": hrefs,
                                  "school_href": school_href(stem) if school_pages else None}
        if rejected is not None:
            per_school = rejected.rejected_for_county(county)
            source["rejected_by_school"] = json.loads(per_school.to_json(orient="records", force_ascii=False))
        all_pages.extend(pages.values())
        prepared[county] = PreparedCounty(county=county, stem=stem, results_dir=d, school_pages=pages,
                                          source_json=json.dumps(source, ensure_ascii=False), results=r,
                                          exports=hrefs)
    font = _write_batch_font(cache, ds, language, all_pages)
    if school_pages and all_pages:
        css = font.read_text(encoding="utf-8").replace('<style type="text/css">', "").replace("</style>", "")
        (out / "assets" / "font.css").write_text(css, encoding="utf-8")
    if key is not None:
        _record(record, key, prepared, school_pages, exports)
    return prepared


def _forms(ds, results, directory: Path) -> dict[str, Path]:
    """The forms the county submits (差异系数计算表.xlsx, 学校指标表.xlsx with the plan's additions, 自评报告.docx),
    written from the results (:func:`lyganalysis.forms.submission.forms_from_results`); only the survey's
    satisfaction table, which the results do not hold, is read from the dataset. Nothing when the 2017
    assessment or the readiness table is not in the results (the forms need both)."""
    res = results.resources
    if res.standard != "quality_2017" or res.verdict is None or results.readiness is None:
        return {}
    from lyganalysis.forms.submission import forms_from_results

    return {f"form_{k}": v for k, v in forms_from_results(results, directory,
                                                          survey=getattr(ds, "survey", None)).items()}


def _record(path: Path, key: str, prepared: dict[str, PreparedCounty], school_pages: bool, exports: bool) -> None:
    """What a completed parent pass wrote, under its key (written last, under a temporary name)."""
    data = {"key": key, "school_pages": school_pages, "exports": exports, "counties": {
        c: {"stem": p.stem, "results_dir": str(p.results_dir), "source_json": p.source_json, "exports": p.exports,
            "school_pages": {sid: str(x) for sid, x in p.school_pages.items()}} for c, p in prepared.items()}}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def _recorded(path: Path, key: str, stems: dict[str, str], out: Path, school_pages: bool,
              exports: bool) -> dict[str, PreparedCounty] | None:
    """The recorded pass of the same key, with its results loaded — or None when anything differs or a file
    it wrote is gone."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    counties = data.get("counties") or {}
    if (data.get("key") != key or data.get("school_pages") != school_pages or data.get("exports") != exports
            or {c: v.get("stem") for c, v in counties.items()} != dict(stems)):
        return None
    any_pages = any(v.get("school_pages") for v in counties.values())
    files = [batch_font_path(path.parent)] + ([out / "assets" / "font.css"] if any_pages else [])
    for v in counties.values():
        files += [Path(v["results_dir"]) / "result.json", *(Path(x) for x in v["school_pages"].values()),
                  *(out / h for h in v["exports"].values())]
    if not all(f.is_file() for f in files):
        return None
    return {c: PreparedCounty(county=c, stem=v["stem"], results_dir=Path(v["results_dir"]),
                              school_pages={sid: Path(x) for sid, x in v["school_pages"].items()},
                              source_json=v["source_json"], results=store.load(v["results_dir"]),
                              exports=v["exports"])
            for c, v in counties.items()}


def batch_font_path(cache_dir: str | Path) -> Path:
    """The batch's CJK font stylesheet in a results cache (see :func:`lyganalysis.report.fonts.batch_font`)."""
    return Path(cache_dir) / "font.css"


def _write_batch_font(cache: Path, ds, language: str, pages: list[Path]) -> Path:
    """One CJK font subset for every page of the batch — county pages, school pages (linked as
    ``assets/font.css``), the index and the city overview: subset once per batch, not once per page."""
    from lyganalysis.report.fonts import batch_characters, page_characters, write_batch_font

    texts = [page_characters(Path(p).read_text(encoding="utf-8")) for p in pages]
    return write_batch_font(batch_font_path(cache), batch_characters(language, ds=ds, texts=texts))


def finish(ds, prepared: dict[str, PreparedCounty], output_dir: str | Path, *, names: tuple = ()) -> dict:
    """Write one zip per county and scan every output for personal data.

    Returns
    -------
    dict county → zip path.

    Raises
    ------
    lyganalysis.report.privacy_scan.PrivacyLeak
        If any output holds an ID number, a name from the inputs or a student/teacher key.
    """
    from lyganalysis.report.bundle import write_bundle
    from lyganalysis.report.privacy_scan import check_outputs, keys_of

    out = Path(output_dir)
    shared = sorted((out / "assets").glob("*")) if (out / "assets").is_dir() else []
    bundles = {}
    for county, p in prepared.items():
        page = out / f"{p.stem}.html"
        if not page.is_file():
            continue  # a failed county: nothing complete to send
        pages = [page, *sorted(Path(x) for x in p.school_pages.values())]
        bundles[county] = write_bundle(out, p.stem, pages=pages, shared=shared)
    check_outputs(out, keys=keys_of(ds), names=names, skip=("*.ipynb", "notebooks/*", "*.log"))
    return bundles
