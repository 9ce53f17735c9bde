"""Run a parameterized notebook once per county, in parallel, and export HTML (cases C16, C19, C20).

Each county runs on its own: a failure is recorded (status, error type, message,
the executed notebook kept as the log) and the others go on.  Parameters reach the
notebook as Python objects through :func:`papermill.execute_notebook`, never through
a shell, so quotes, newlines and backslashes in names arrive intact.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import time
import traceback
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lyganalysis.report.slug import assign_filenames
from lyganalysis.report.template import check_template


@dataclass(frozen=True)
class ReportJob:
    """One notebook run: the county it is for, its output file stem and its parameters."""

    county: str
    stem: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    title: str | None = None


@dataclass(frozen=True)
class JobResult:
    """What happened to one :class:`ReportJob`."""

    county: str
    stem: str
    status: str  # "ok" | "failed"
    error_type: str | None
    message: str | None
    notebook_path: str | None
    html_path: str | None
    seconds: float


@dataclass(frozen=True)
class BatchResult:
    """All job results of a batch, in job order."""

    results: tuple[JobResult, ...]

    @property
    def failed(self) -> tuple[JobResult, ...]:
        return tuple(r for r in self.results if r.status != "ok")

    @property
    def exit_code(self) -> int:
        """0 when every county succeeded, 1 otherwise (so a scheduler notices)."""
        return 1 if self.failed else 0

    def to_frame(self) -> pd.DataFrame:
        """One row per county: county, stem, status, error_type, message, paths, seconds."""
        return pd.DataFrame([r.__dict__ for r in self.results])


def make_jobs(counties: Sequence[str], parameters: Mapping[str, Mapping[str, Any]] | None = None,
              *, common: Mapping[str, Any] | None = None) -> list[ReportJob]:
    """Build one job per distinct county with a safe, unique file stem.

    ``parameters`` may give per-county extra parameters (keyed by the raw name);
    ``common`` is merged into every job.  ``county`` is always passed as the
    normalised county name.
    """
    stems = assign_filenames(counties)
    jobs = []
    raw_by_norm: dict[str, str] = {}
    from lyganalysis.report.slug import normalize_name

    for raw in counties:
        raw_by_norm.setdefault(normalize_name(raw), raw)
    for county, stem in stems.items():
        params = dict(common or {})
        params.update((parameters or {}).get(raw_by_norm[county], {}))
        params["county"] = county
        jobs.append(ReportJob(county=county, stem=stem, parameters=params))
    return jobs


def run_job(job: ReportJob, template: str, output_dir: str, *, kernel_name: str = "python3",
            cwd: str | None = None, export_html: bool = True, timeout: int = 1200) -> JobResult:
    """Execute ``template`` for one job and export it; never raises for notebook errors.

    The executed notebook is written to ``output_dir/notebooks/<stem>.ipynb`` (kept for
    failed runs too: papermill puts a red error banner at its top) and the HTML page
    to ``output_dir/<stem>.html``.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    start = time.perf_counter()
    out_dir = Path(output_dir)
    nb_dir = out_dir / "notebooks"
    nb_dir.mkdir(parents=True, exist_ok=True)
    nb_path = nb_dir / f"{job.stem}.ipynb"
    html_path = out_dir / f"{job.stem}.html"
    error_type = message = None
    try:
        with _stderr_to(nb_dir / f"{job.stem}.kernel.log"):
            pm.execute_notebook(
                str(template), str(nb_path), parameters=dict(job.parameters), kernel_name=kernel_name,
                cwd=cwd, progress_bar=False, log_output=False, execution_timeout=timeout,
            )
        _check_injected(nb_path, job)
        if export_html:
            from lyganalysis.report.export import notebook_to_html

            notebook_to_html(nb_path, html_path, title=job.title or job.county)
    except PapermillExecutionError as exc:
        error_type, message = exc.ename, str(exc.evalue)
    except Exception as exc:  # one county never stops the batch
        error_type, message = type(exc).__name__, str(exc) or traceback.format_exc(limit=1)
    ok = error_type is None
    if not ok and html_path.exists():
        html_path.unlink()  # never leave a stale page from an earlier run beside a failure
    return JobResult(
        county=job.county, stem=job.stem, status="ok" if ok else "failed",
        error_type=error_type, message=message,
        notebook_path=str(nb_path) if nb_path.exists() else None,
        html_path=str(html_path) if ok and export_html else None,
        seconds=time.perf_counter() - start,
    )


@contextlib.contextmanager
def _stderr_to(path: Path):
    """Send this process's file descriptor 2 — and so the kernel's start-up and shutdown chatter
    (``[IPKernelApp] WARNING …``), which the kernel inherits — to ``path`` for the run.

    Warnings from the notebook's own code are not affected: they arrive as stderr outputs of the
    executed notebook (kept there, stripped from the HTML).
    """
    import os
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def _check_injected(nb_path: Path, job: ReportJob) -> None:
    """Check that papermill injected this job's parameters (C15: the wrong county must never run)."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    injected = [c for c in nb["cells"] if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    if not injected:
        raise RuntimeError(f"{nb_path}: papermill did not inject the parameters for {job.county!r}.")


def run_batch(template: str | Path, jobs: Sequence[ReportJob], output_dir: str | Path, *,
              workers: int = 2, executor: str = "process", scheduler: str | None = None,
              kernel_name: str = "python3", cwd: str | Path | None = None,
              export_html: bool = True, timeout: int = 1200) -> BatchResult:
    """Run every job, in parallel, and collect the results in job order.

    Parameters
    ----------
    template : path
        The parameterized notebook; checked first with
        :func:`lyganalysis.report.template.check_template` (refused before anything runs).
    jobs : sequence of ReportJob
    output_dir : path
        Created if missing (C20).
    workers : int
        Worker processes for the local pool (``executor="process"``); 1 runs in this process.
    executor : {"process", "dask"}
        ``"dask"`` submits the jobs to a Dask distributed scheduler at ``scheduler``
        (``tcp://host:8786``), for batches that span several machines; the workers need
        this package installed and the output folder on a shared file system.
    timeout : int
        Seconds any one notebook cell may run.

    Raises
    ------
    TemplateError
        If the template has no single ``parameters`` cell or lacks a parameter.
    ValueError
        On an unknown executor, or ``executor="dask"`` without a scheduler address.
    """
    template = str(Path(template).resolve())
    names = set()
    for job in jobs:
        names.update(job.parameters)
    check_template(template, names)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    out = str(out.resolve())
    cwd_s = str(cwd) if cwd is not None else None
    kwargs = dict(kernel_name=kernel_name, cwd=cwd_s, export_html=export_html, timeout=timeout)
    if executor == "process":
        if workers <= 1 or len(jobs) <= 1:
            results = [run_job(job, template, out, **kwargs) for job in jobs]
        else:
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx) as pool:
                futures = [pool.submit(run_job, job, template, out, **kwargs) for job in jobs]
                results = [_result_or_crash(f, job) for f, job in zip(futures, jobs)]
    elif executor == "dask":
        if not scheduler:
            raise ValueError("--executor dask 需要 --scheduler 地址 / needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786).")
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise ImportError("Dask distributed is not installed: pip install 'lyganalysis[dask]'.") from exc
        with Client(scheduler) as client:
            futures = [client.submit(run_job, job, template, out, pure=False, **kwargs) for job in jobs]
            results = [_result_or_crash(f, job) for f, job in zip(futures, jobs)]
    else:
        raise ValueError(f"Unknown executor {executor!r}: use 'process' or 'dask'.")
    return BatchResult(tuple(results))


def _result_or_crash(future, job: ReportJob) -> JobResult:
    """A worker that died (killed, out of memory) still yields a failed result for its county."""
    try:
        return future.result()
    except Exception as exc:
        return JobResult(job.county, job.stem, "failed", type(exc).__name__, str(exc), None, None, 0.0)
