"""Run a parameterized notebook once per county, in parallel, and export HTML (cases C16, C19, C20,
C35, C40).

Each county runs on its own: a failure is recorded (status, error type, message, the executed
notebook kept as the log) and the others go on.  Parameters reach the notebook as Python objects
through :func:`papermill.execute_notebook`, never through a shell, so quotes, newlines and
backslashes in names arrive intact.

What a county can end as (``JobResult.status``):

``ok``
    The notebook ran and its page was exported (or, with ``reused=True``, nothing it depends on
    changed since the run recorded in the previous manifest, so its outputs were kept).
``failed``
    A cell raised (papermill's red banner is at the top of the kept notebook) or the export failed.
``kernel_died``
    The kernel process ended in the middle of a cell (C35).  The message names the cell and the
    signal; a SIGKILL is most often the operating system's out-of-memory killer.  A banner cell is
    added at the top of the kept notebook.
``timeout``
    The county ran longer than its wall-clock limit; its kernel was stopped.
``preflight``
    The county was not run: a check before the batch failed (the kernel cannot start, an input of
    the county is missing, a Dask worker lacks the environment).

Outputs are atomic: a notebook writes into a staging folder ``<output>/.staging/<stem>/`` and its
files are renamed into place only when the county is complete, the HTML page last.  A batch that
is killed therefore never leaves a page that looks complete for a county that was not.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal as _signal
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from lyganalysis.report.slug import assign_filenames
from lyganalysis.report.template import check_template

STATUSES = ("ok", "failed", "kernel_died", "timeout", "preflight")
STAGING = ".staging"
#: waits before the 2nd and 3rd attempt to start a county's kernel (port races, C35 sources)
START_BACKOFF = (1.0, 3.0)
#: how long a Dask batch waits for the result of one county when no wall-clock limit is given
DASK_DEFAULT_COUNTY_LIMIT = 3600.0


@dataclass(frozen=True)
class ReportJob:
    """One notebook run.

    Attributes
    ----------
    county, stem : str
        The county and the file stem of its outputs (``<stem>.html``, ``notebooks/<stem>.ipynb``).
    parameters : mapping
        Passed to the notebook.
    title : str, optional
        The HTML page title (default: the county).
    template : str, optional
        This job's own notebook (default: the batch's template).
    inputs : tuple of str
        Files or folders the county reads; checked before anything runs (status ``preflight``
        when one is missing or unreadable).
    outputs : mapping of str to str
        Parameters that name a file or folder the notebook writes, with its final path.  The
        notebook gets a path in the staging folder instead; the runner renames it into place
        when the county succeeds and removes an older one when it does not.
    fingerprint : str, optional
        Hash of everything the county's outputs depend on (inputs, parameters, template, code,
        stored results; see :func:`lyganalysis.report.manifest.fingerprint`).  When the previous
        manifest holds the same fingerprint for a successful run whose outputs are still on
        disk, the county is not run again.
    hashes : mapping, optional
        The parts of ``fingerprint``, recorded in the manifest to explain a re-run.
    """

    county: str
    stem: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    title: str | None = None
    template: str | None = None
    inputs: tuple[str, ...] = ()
    outputs: Mapping[str, str] = field(default_factory=dict)
    fingerprint: str | None = None
    hashes: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class JobResult:
    """What happened to one :class:`ReportJob`.

    ``status`` is one of :data:`STATUSES`; ``cell`` the execution count of the last cell the
    kernel reached (for ``kernel_died`` and ``timeout``); ``signal`` the signal that ended the
    kernel (``"SIGKILL"``) when known; ``attempts`` how many kernel starts it took; ``reused``
    whether the outputs of an earlier, identical run were kept.
    """

    county: str
    stem: str
    status: str
    error_type: str | None
    message: str | None
    notebook_path: str | None
    html_path: str | None
    seconds: float
    cell: int | None = None
    signal: str | None = None
    attempts: int = 1
    reused: bool = False
    fingerprint: str | None = None
    hashes: Mapping[str, Any] | None = None
    outputs: tuple[str, ...] = ()  # the job's output files/folders this run put in place


@dataclass(frozen=True)
class BatchResult:
    """All job results of a batch, in job order; ``preflight`` is the batch-wide pre-flight
    problem (then every county has status ``preflight`` with this message)."""

    results: tuple[JobResult, ...]
    preflight: str | None = None
    workers: Mapping[str, Any] | None = None  # Dask: worker address → host, version, code hash

    @property
    def failed(self) -> tuple[JobResult, ...]:
        return tuple(r for r in self.results if r.status != "ok")

    @property
    def exit_code(self) -> int:
        """0 when every county succeeded, 1 otherwise (so a scheduler notices)."""
        return 1 if self.failed else 0

    def to_frame(self) -> pd.DataFrame:
        """One row per county: county, stem, status, error_type, message, paths, seconds, …"""
        return pd.DataFrame([r.__dict__ for r in self.results])


class WorkerEnvironmentError(RuntimeError):
    """A Dask worker cannot run the batch (package missing or different, paths not shared)."""


def default_workers(n_jobs: int | None = None) -> int:
    """Worker processes for a local batch: the processors this process may run on (its CPU
    affinity, which containers and ``taskset`` restrict, not the machine's count), at most
    ``n_jobs`` and at least 1."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - macOS, Windows
        n = os.cpu_count() or 1
    if n_jobs is not None:
        n = min(n, int(n_jobs))
    return max(1, n)


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


# ------------------------------------------------------------------------------------------
# the kernel: watched, so that a wall-clock limit can stop it and a death can be explained
# ------------------------------------------------------------------------------------------
class _Watch:
    """The kernel process of one county run, its deadline and how it ended."""

    def __init__(self) -> None:
        self.proc = None
        self.timed_out = False
        self._lock = threading.Lock()

    def attach(self, km) -> None:
        with self._lock:
            self.proc = getattr(getattr(km, "provisioner", None), "process", None)
            if self.timed_out:
                self._kill()

    def expire(self) -> None:
        with self._lock:
            self.timed_out = True
            self._kill()

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.proc.kill()

    @property
    def returncode(self) -> int | None:
        if self.proc is None:
            return None
        with contextlib.suppress(Exception):
            return self.proc.poll()
        return None


def _kernel_manager_class(watch: _Watch):
    """An ``AsyncKernelManager`` that reports its kernel process to ``watch`` once started."""
    from jupyter_client import AsyncKernelManager

    class WatchedKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw):  # noqa: D102 - jupyter_client API
            await super().start_kernel(**kw)
            watch.attach(self)

    return WatchedKernelManager


def _execute(template: str, nb_path: Path, parameters: Mapping[str, Any], *, kernel_name: str,
             cwd: str | None, timeout: int | None, watch: _Watch) -> None:
    """One papermill run (the seam the tests replace to simulate a port race)."""
    import papermill as pm

    pm.execute_notebook(
        str(template), str(nb_path), parameters=dict(parameters), kernel_name=kernel_name,
        cwd=cwd, progress_bar=False, log_output=False, execution_timeout=timeout,
        kernel_manager_class=_kernel_manager_class(watch),
    )


def _executed_cells(nb_path: Path) -> list[dict]:
    """Code cells of the (partial) executed notebook that the kernel reached, in order."""
    try:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    # papermill stamps a cell's start time before sending it; its execution count may be missing when
    # the kernel died before the client read the reply, so the count is numbered on from the one before
    reached, count = [], 0
    for c in nb.get("cells", []):
        if c.get("cell_type") != "code":
            continue
        started = (c.get("metadata", {}).get("papermill") or {}).get("start_time")
        if not (c.get("execution_count") or started):
            continue
        count = c.get("execution_count") or count + 1
        reached.append({**c, "execution_count": count})
    return reached


def _is_start_failure(exc: BaseException, nb_path: Path) -> bool:
    """A kernel that failed before running any cell (a port taken between choosing and binding
    it, a slow start), as opposed to a notebook error or a missing kernel."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError) or type(exc).__name__ == "NoSuchKernel":
        return False
    return not _executed_cells(nb_path)


SIGNAL_CAUSES = {
    "SIGKILL": ("内核进程被终止（常见原因：内存不足）/ the kernel process was killed, most often by the "
                "memory limit (out of memory): reduce the data per county, run fewer workers or raise "
                "the memory limit"),
    "SIGSEGV": "内核崩溃（本地库错误）/ the kernel crashed in a native library",
    "SIGABRT": "内核中止（本地库错误）/ the kernel aborted in a native library",
}


def _signal_name(returncode: int | None) -> str | None:
    if returncode is None or returncode >= 0:
        return None
    try:
        return _signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def _describe_cell(cells: list[dict]) -> tuple[int | None, str]:
    """The execution count and a short description of the last cell reached."""
    if not cells:
        return None, "内核启动时 / while the kernel was starting"
    last = cells[-1]
    src = "".join(last.get("source", "")).strip().splitlines()
    first = src[0] if src else ""
    return last["execution_count"], f"第 {len(cells)} 个代码单元 In [{last['execution_count']}]（{first}）"


def _add_banner(nb_path: Path, text: str) -> None:
    """Put a red banner cell at the top of a kept notebook (like papermill's for an exception)."""
    import nbformat

    if not nb_path.exists():
        return
    nb = nbformat.read(str(nb_path), as_version=4)
    cell = nbformat.v4.new_markdown_cell(
        f'<span style="color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; '
        f'font-size:1.6em;">{text}</span>')
    cell.metadata["tags"] = ["papermill-error-cell-tag", "remove-cell"]
    nb.cells.insert(0, cell)
    nbformat.write(nb, str(nb_path))


def _staged(stage: Path, out_dir: Path, final: Path, name: str = "") -> Path:
    """Where ``final`` is written during the run: the same place relative to the output folder,
    inside the staging folder (so links between a page and its files stay right after the move)."""
    try:
        return stage / Path(final).resolve().relative_to(out_dir.resolve())
    except ValueError:
        return stage / "_elsewhere" / name / Path(final).name


def _move_into_place(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``, replacing a file or a whole folder."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        if dst.exists():
            old = dst.with_name(f".{dst.name}.old-{os.getpid()}")
            os.replace(dst, old)
            os.replace(src, dst)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(src, dst)
    else:
        os.replace(src, dst)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def run_job(job: ReportJob, template: str, output_dir: str, *, kernel_name: str = "python3",
            cwd: str | None = None, export_html: bool = True, timeout: int | None = 1200,
            county_timeout: float | None = None, start_attempts: int = 3) -> JobResult:
    """Execute ``template`` for one job and export it; never raises for notebook errors.

    The executed notebook ends in ``output_dir/notebooks/<stem>.ipynb`` (kept for failed runs
    too, with an error banner at its top) and the HTML page in ``output_dir/<stem>.html``; both
    are written under ``output_dir/.staging/<stem>/`` first and renamed into place.

    Parameters
    ----------
    timeout : int, optional
        Seconds any one cell may run (papermill's per-cell limit; the county then ``failed``).
    county_timeout : float, optional
        Wall-clock seconds for the whole county; past it the kernel is stopped and the status is
        ``timeout``.
    start_attempts : int
        Kernel starts tried when the kernel fails before running any cell (port races).
    """
    from papermill.exceptions import PapermillExecutionError

    start = time.perf_counter()
    template = job.template or template
    out_dir = Path(output_dir)
    nb_dir = out_dir / "notebooks"
    stage = out_dir / STAGING / job.stem
    shutil.rmtree(stage, ignore_errors=True)  # leftovers of a killed batch
    stage.mkdir(parents=True, exist_ok=True)
    nb_dir.mkdir(parents=True, exist_ok=True)
    nb_path = nb_dir / f"{job.stem}.ipynb"
    html_path = out_dir / f"{job.stem}.html"
    staged_nb = _staged(stage, out_dir, nb_path)
    staged_html = _staged(stage, out_dir, html_path)
    staged_outputs = {name: _staged(stage, out_dir, Path(final), name) for name, final in job.outputs.items()}
    staged_nb.parent.mkdir(parents=True, exist_ok=True)
    for p in staged_outputs.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    params = {**job.parameters, **{k: str(v) for k, v in staged_outputs.items()}}

    status, error_type, message, cell, sig = "ok", None, None, None, None
    attempts = 0
    watch = _Watch()
    timer = None
    if county_timeout:
        timer = threading.Timer(float(county_timeout), watch.expire)
        timer.daemon = True
        timer.start()
    try:
        while True:
            attempts += 1
            try:
                with _stderr_to(nb_dir / f"{job.stem}.kernel.log"):
                    _execute(template, staged_nb, params, kernel_name=kernel_name, cwd=cwd,
                             timeout=timeout, watch=watch)
                break
            except Exception as exc:
                if (attempts < start_attempts and not watch.timed_out and _is_start_failure(exc, staged_nb)):
                    time.sleep(START_BACKOFF[min(attempts - 1, len(START_BACKOFF) - 1)])
                    watch.proc = None
                    continue
                raise
        if watch.timed_out:
            raise TimeoutError("wall-clock limit reached as the notebook finished")
        _check_injected(staged_nb, job)
        if export_html:
            from lyganalysis.report.export import notebook_to_html

            notebook_to_html(staged_nb, staged_html, title=job.title or job.county)
        if watch.timed_out:
            raise TimeoutError("wall-clock limit reached during the export")
    except PapermillExecutionError as exc:
        status, error_type, message = "failed", exc.ename, str(exc.evalue)
    except Exception as exc:  # one county never stops the batch
        status, error_type = "failed", type(exc).__name__
        message = str(exc) or traceback.format_exc(limit=1)
        cells = _executed_cells(staged_nb)
        cell, where = _describe_cell(cells)
        if watch.timed_out:
            status, error_type = "timeout", "Timeout"
            message = (f"超过每县 {county_timeout:g} s 的时限，内核已停止（停在{where}）/ exceeded the "
                       f"{county_timeout:g} s wall-clock limit per county; the kernel was stopped "
                       f"(last cell reached: In [{cell}])")
            _add_banner(staged_nb, message)
        elif type(exc).__name__ == "DeadKernelError":
            status = "kernel_died"
            sig = _signal_name(watch.returncode)
            cause = SIGNAL_CAUSES.get(sig or "", "内核进程意外退出 / the kernel process exited unexpectedly")
            code = f"，退出状态 {watch.returncode}" if watch.returncode is not None else ""
            message = (f"内核在{where}中终止（{sig or '未知信号 / signal unknown'}{code}）。{cause}。"
                       f" / The kernel died in cell In [{cell}].")
            _add_banner(staged_nb, message)
        elif attempts > 1:
            message = f"{message} (kernel start tried {attempts} times)"
    finally:
        if timer is not None:
            timer.cancel()
    # outputs into place: the log always; the county's files and its page only when complete
    if staged_nb.exists():
        os.replace(staged_nb, nb_path)
    ok = status == "ok"
    placed = []
    for name, final in job.outputs.items():
        staged = staged_outputs[name]
        if ok and staged.exists():
            _move_into_place(staged, Path(final))
            placed.append(str(final))
        else:  # never leave an earlier run's numbers beside a failure
            _remove(Path(final))
    if ok and export_html:
        os.replace(staged_html, html_path)
    elif html_path.exists():
        html_path.unlink()
    shutil.rmtree(stage, ignore_errors=True)
    return JobResult(
        county=job.county, stem=job.stem, status=status, error_type=error_type, message=message,
        notebook_path=str(nb_path) if nb_path.exists() else None,
        html_path=str(html_path) if ok and export_html else None,
        seconds=time.perf_counter() - start, cell=cell, signal=sig, attempts=attempts,
        fingerprint=job.fingerprint if ok else None, hashes=job.hashes, outputs=tuple(placed),
    )


@contextlib.contextmanager
def _stderr_to(path: Path):
    """Send this process's file descriptor 2 — and so the kernel's start-up and shutdown chatter
    (``[IPKernelApp] WARNING …``), which the kernel inherits — to ``path`` for the run.

    Warnings from the notebook's own code are not affected: they arrive as stderr outputs of the
    executed notebook (kept there, stripped from the HTML).
    """
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


# ------------------------------------------------------------------------------------------
# pre-flight
# ------------------------------------------------------------------------------------------
def preflight_kernel(kernel_name: str = "python3", *, imports: Sequence[str] = (), cwd: str | None = None,
                     attempts: int = 3, startup_timeout: float = 60) -> str | None:
    """Start the kernel once and import ``imports`` in it; return what is wrong, or ``None``.

    Run before any county starts, so that a kernel missing on the machine (or one without the
    package) is reported once for the batch instead of once per county.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from jupyter_client.manager import start_new_kernel

    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        names = sorted(KernelSpecManager().find_kernel_specs())
        return (f"找不到 Jupyter 内核 {kernel_name!r}（本机有 {names}）/ no Jupyter kernel named "
                f"{kernel_name!r} on this machine (installed: {names}); install it with "
                f"`python -m ipykernel install --user --name {kernel_name}` or choose another kernel.")
    code = "".join(f"import {m}\n" for m in imports) or "pass\n"
    last = None
    for attempt in range(attempts):
        km = kc = None
        try:
            with _stderr_to(Path(os.devnull)):
                km, kc = start_new_kernel(kernel_name=kernel_name, startup_timeout=startup_timeout,
                                          **({"cwd": cwd} if cwd else {}))
                reply = kc.execute_interactive(code, timeout=120, output_hook=lambda msg: None)
            content = reply.get("content", {})
            if content.get("status") != "ok":
                return (f"内核 {kernel_name!r} 中无法导入 / the kernel {kernel_name!r} cannot import what the "
                        f"reports need: {content.get('ename')}: {content.get('evalue')}")
            return None
        except Exception as exc:  # a port race or a slow start: try again after a pause
            last = exc
            time.sleep(START_BACKOFF[min(attempt, len(START_BACKOFF) - 1)])
        finally:
            if kc is not None:
                kc.stop_channels()
            if km is not None:
                with contextlib.suppress(Exception):
                    km.shutdown_kernel(now=True)
    return f"内核 {kernel_name!r} 无法启动 / the kernel {kernel_name!r} does not start: {type(last).__name__}: {last}"


def _job_preflight(job: ReportJob) -> str | None:
    for p in job.inputs:
        path = Path(p)
        if not path.exists():
            return f"找不到输入 / input not found: {p}"
        if not os.access(path, os.R_OK):
            return f"无法读取输入 / input not readable: {p}"
    return None


def _not_run(job: ReportJob, message: str, error_type: str = "Preflight") -> JobResult:
    return JobResult(job.county, job.stem, "preflight", error_type, message, None, None, 0.0,
                     attempts=0, hashes=job.hashes)


def _reusable(job: ReportJob, previous: Mapping[str, Mapping[str, Any]] | None, out: Path,
              export_html: bool) -> JobResult | None:
    """The earlier result of an identical county run whose outputs are all still on disk."""
    if not previous or not job.fingerprint:
        return None
    old = previous.get(job.stem)
    if not old or old.get("status") != "ok" or old.get("fingerprint") != job.fingerprint:
        return None
    html = out / f"{job.stem}.html"
    nb = out / "notebooks" / f"{job.stem}.ipynb"
    written = tuple(old.get("outputs") or ())
    needed = [nb, *(Path(p) for p in written)] + ([html] if export_html else [])
    if not all(p.exists() for p in needed):
        return None
    return JobResult(job.county, job.stem, "ok", None, None, str(nb), str(html) if export_html else None,
                     0.0, attempts=0, reused=True, fingerprint=job.fingerprint, hashes=job.hashes,
                     outputs=written)


# ------------------------------------------------------------------------------------------
# Dask workers: check the environment of every worker before anything is scheduled (C40)
# ------------------------------------------------------------------------------------------
def _worker_check(package, client_version, client_code, read_paths, write_dir, kernel_name, hash_fn):
    """Runs ON a Dask worker (sent by value, so it needs nothing installed there)."""
    import importlib
    import os
    import socket
    import uuid

    problems = []
    version = code = None
    try:
        mod = importlib.import_module(package)
        version = getattr(mod, "__version__", None)
        code = hash_fn(os.path.dirname(mod.__file__))
        if version != client_version:
            problems.append(f"has {package} {version}, client has {client_version}")
        elif code != client_code:
            problems.append(f"has {package} {version} with other source files "
                            f"(code hash {code[:12]}, client {client_code[:12]})")
    except Exception as exc:
        problems.append(f"cannot import {package} ({type(exc).__name__}: {exc})")
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        KernelSpecManager().get_kernel_spec(kernel_name)
    except Exception as exc:
        problems.append(f"has no Jupyter kernel {kernel_name!r} ({type(exc).__name__})")
    for p in read_paths:
        if not os.path.exists(p):
            problems.append(f"cannot see {p} (not on shared storage?)")
        elif not os.access(p, os.R_OK):
            problems.append(f"cannot read {p}")
    probe = os.path.join(write_dir, f".lyg-write-test-{uuid.uuid4().hex}")
    try:
        with open(probe, "w") as fh:
            fh.write("ok")
        os.remove(probe)
    except OSError as exc:
        problems.append(f"cannot write to the output folder {write_dir} ({exc.strerror or exc})")
    return {"host": socket.gethostname(), "version": version, "code_hash": code, "problems": problems}


def _by_value(fn):
    """A copy of ``fn`` that cloudpickle sends by value (its module need not exist on the worker)."""
    import builtins
    import types

    g = {"__builtins__": builtins, "__name__": "_lyganalysis_sent_by_value"}
    return types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)


def check_workers(client, *, read_paths: Sequence[str], write_dir: str, kernel_name: str = "python3",
                  package: str = "lyganalysis", timeout: float = 20.0) -> dict[str, dict]:
    """Check every worker of a Dask ``client`` can run the batch; raise if one cannot.

    Each worker must import ``package`` with the client's ``__version__`` (asked of the running
    code, not of the installed metadata) and the same code hash
    (:func:`lyganalysis.report.manifest.code_hash`), have the Jupyter kernel, see and read
    ``read_paths`` (template, data) and write into ``write_dir``.

    Returns
    -------
    dict
        Worker address → ``{"host", "version", "code_hash", "problems"}``.

    Raises
    ------
    WorkerEnvironmentError
        Naming each worker and what it lacks; or when the workers do not answer within ``timeout``.
    """
    import importlib
    from concurrent.futures import ThreadPoolExecutor
    from concurrent.futures import TimeoutError as FutureTimeout

    from lyganalysis.report.manifest import package_code_hash

    mod = importlib.import_module(package)
    args = (package, getattr(mod, "__version__", None), package_code_hash(os.path.dirname(mod.__file__)),
            list(read_paths), str(write_dir), kernel_name, _by_value(package_code_hash))
    with ThreadPoolExecutor(1) as ex:
        fut = ex.submit(client.run, _by_value(_worker_check), *args, on_error="return")
        try:
            answers = fut.result(timeout=timeout)
        except FutureTimeout:
            raise WorkerEnvironmentError(
                f"Dask 工作进程在 {timeout:g} s 内未回应环境检查 / the Dask workers did not answer the "
                f"environment check within {timeout:g} s (workers: {list(client.scheduler_info()['workers'])}).") from None
    lines = []
    for addr, ans in sorted(answers.items()):
        if isinstance(ans, BaseException):
            lines.append(f"{addr}: the environment check failed ({type(ans).__name__}: {ans})")
        elif ans["problems"]:
            lines.extend(f"{addr} ({ans['host']}): {p}" for p in ans["problems"])
    if lines:
        raise WorkerEnvironmentError(
            "Dask 工作进程环境不符，批处理未开始 / the batch was not started: these Dask workers cannot run "
            "it:\n  " + "\n  ".join(lines))
    return answers


# ------------------------------------------------------------------------------------------
# the batch
# ------------------------------------------------------------------------------------------
def run_batch(template: str | Path | None, jobs: Sequence[ReportJob], output_dir: str | Path, *,
              workers: int | None = None, executor: str = "process", scheduler: str | None = None,
              kernel_name: str = "python3", cwd: str | Path | None = None,
              export_html: bool = True, timeout: int | None = 1200, county_timeout: float | None = None,
              previous: Mapping[str, Mapping[str, Any]] | None = None, force: bool = False,
              preflight_imports: Sequence[str] = (), progress=None,
              on_result: Callable[[JobResult], None] | None = None,
              connect_timeout: float = 10.0) -> BatchResult:
    """Run every job, in parallel, and collect the results in job order.

    Parameters
    ----------
    template : path or None
        The parameterized notebook (a job's own ``template`` takes precedence); each is checked
        with :func:`lyganalysis.report.template.check_template` (refused before anything runs).
    jobs : sequence of ReportJob
    output_dir : path
        Created if missing (C20).
    workers : int, optional
        Worker processes for the local pool (``executor="process"``); default
        :func:`default_workers`; 1 runs in this process.
    executor : {"process", "dask"}
        ``"dask"`` submits the jobs to a Dask distributed scheduler at ``scheduler``
        (``tcp://host:8786``), for batches that span several machines; every worker is checked
        first (:func:`check_workers`); the output folder must be on storage the workers share.
    timeout : int, optional
        Seconds any one notebook cell may run.
    county_timeout : float, optional
        Wall-clock seconds per county (status ``timeout``, kernel stopped).
    previous : mapping, optional
        Stem → result of the previous run (from its manifest): counties whose ``fingerprint``
        is unchanged and whose outputs exist are not run again, unless ``force``.
    preflight_imports : sequence of str
        Modules the kernel must import in the pre-flight check.
    progress : object, optional
        Receives ``start(total, slots)``, ``update(result)`` and ``close()``
        (:class:`lyganalysis.report.progress.BatchProgress`).
    on_result : callable, optional
        Called in this process with each :class:`JobResult` as it arrives (in completion order).
    connect_timeout : float
        Seconds to reach the Dask scheduler and see a worker.

    Raises
    ------
    TemplateError
        If a template has no single ``parameters`` cell or lacks a parameter.
    ValueError
        On an unknown executor, or ``executor="dask"`` without a scheduler address.
    WorkerEnvironmentError
        With ``executor="dask"``, when a worker cannot run the batch (nothing is run).
    """
    if executor not in ("process", "dask"):
        raise ValueError(f"Unknown executor {executor!r}: use 'process' or 'dask'.")
    if executor == "dask" and not scheduler:
        raise ValueError("--executor dask 需要 --scheduler 地址 / needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786).")
    default_tpl = str(Path(template).resolve()) if template is not None else None
    by_template: dict[str, set[str]] = {}
    for job in jobs:
        tpl = job.template or default_tpl
        if tpl is None:
            raise ValueError(f"No template for {job.county!r}: pass template= or set ReportJob.template.")
        by_template.setdefault(str(Path(tpl).resolve()), set()).update(job.parameters)
    for tpl, names in by_template.items():
        check_template(tpl, names)
    jobs = [replace(j, template=str(Path(j.template).resolve())) if j.template else j for j in jobs]
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    out_s = str(out.resolve())
    cwd_s = str(cwd) if cwd is not None else None
    kwargs = dict(kernel_name=kernel_name, cwd=cwd_s, export_html=export_html, timeout=timeout,
                  county_timeout=county_timeout)

    done: dict[int, JobResult] = {}
    todo: list[int] = []
    for i, job in enumerate(jobs):
        reused = None if force else _reusable(job, previous, out, export_html)
        if reused is not None:
            done[i] = reused
            continue
        problem = _job_preflight(job)
        if problem:
            done[i] = _not_run(job, problem)
        else:
            todo.append(i)

    client = None
    batch_problem = None
    worker_info = None
    try:
        if todo and executor == "process":
            batch_problem = preflight_kernel(kernel_name, imports=preflight_imports, cwd=cwd_s)
            slots = min(workers or default_workers(len(todo)), len(todo))
        elif todo:
            client = _dask_client(scheduler, connect_timeout)
            read = sorted({*by_template, *(p for i in todo for p in jobs[i].inputs)})
            worker_info = check_workers(client, read_paths=read, write_dir=out_s, kernel_name=kernel_name)
            slots = max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()))
        else:
            slots = 1
        if batch_problem:
            for i in todo:
                done[i] = _not_run(jobs[i], batch_problem, "KernelPreflight")
            todo = []
        if progress is not None:
            progress.start(len(jobs), slots)
        for i in sorted(done):
            _report(done[i], progress, on_result)
        if todo:
            for i, res in _run_todo(jobs, todo, default_tpl, out_s, kwargs, executor, slots, client,
                                    county_timeout):
                done[i] = res
                _report(res, progress, on_result)
    finally:
        if client is not None:
            client.close()
        if progress is not None:
            progress.close()
        with contextlib.suppress(OSError):
            (out / STAGING).rmdir()  # only when empty: a killed run's leftovers stay until the county runs again
    return BatchResult(tuple(done[i] for i in range(len(jobs))), preflight=batch_problem, workers=worker_info)


def _report(res: JobResult, progress, on_result) -> None:
    if progress is not None:
        progress.update(res)
    if on_result is not None:
        on_result(res)


def _dask_client(scheduler: str, connect_timeout: float):
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise ImportError("Dask distributed is not installed: pip install 'lyganalysis[dask]'.") from exc
    try:
        client = Client(scheduler, timeout=connect_timeout)
    except OSError as exc:
        raise WorkerEnvironmentError(
            f"无法连接 Dask 调度器 / cannot reach the Dask scheduler at {scheduler} within "
            f"{connect_timeout:g} s: {exc}") from None
    try:
        client.wait_for_workers(1, timeout=connect_timeout)
    except Exception:
        client.close()
        raise WorkerEnvironmentError(
            f"Dask 调度器 {scheduler} 没有工作进程 / the Dask scheduler at {scheduler} has no workers "
            f"(waited {connect_timeout:g} s): start some with `dask worker {scheduler}`.") from None
    return client


def _run_todo(jobs, todo, template, out, kwargs, executor, slots, client, county_timeout):
    """Yield (index, result) in completion order."""
    if executor == "process" and (slots <= 1 or len(todo) <= 1):
        for i in todo:
            yield i, run_job(jobs[i], template, out, **kwargs)
        return
    results: queue.Queue = queue.Queue()
    if executor == "process":
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=slots, mp_context=multiprocessing.get_context("spawn"))
        futures = {}
        try:
            for i in todo:
                f = pool.submit(run_job, jobs[i], template, out, **kwargs)
                futures[i] = f
                f.add_done_callback(lambda fut, i=i: results.put((i, fut)))
            for _ in todo:
                i, fut = results.get()
                yield i, _result_or_crash(fut, jobs[i])
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return
    # dask: the batch never waits without limit (C40)
    limit = (county_timeout or DASK_DEFAULT_COUNTY_LIMIT) * -(-len(todo) // slots) + 60.0
    deadline = time.monotonic() + limit
    futures = {}
    for i in todo:
        f = client.submit(run_job, jobs[i], template, out, pure=False, key=f"lyg-{jobs[i].stem}-{os.urandom(4).hex()}",
                          **kwargs)
        futures[i] = f
        f.add_done_callback(lambda fut, i=i: results.put((i, fut)))
    pending = set(todo)
    while pending:
        try:
            i, fut = results.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            for i in sorted(pending):
                futures[i].cancel()
                yield i, JobResult(jobs[i].county, jobs[i].stem, "failed", "Timeout",
                                   f"no result from the Dask workers within {limit:.0f} s", None, None, limit)
            return
        pending.discard(i)
        yield i, _result_or_crash(fut, jobs[i])


def _result_or_crash(future, job: ReportJob) -> JobResult:
    """A worker that died (killed, out of memory, lost) still yields a failed result for its county."""
    try:
        return future.result()
    except Exception as exc:
        name = type(exc).__name__
        msg = str(exc)
        if name == "KilledWorker":
            msg = f"Dask 工作进程丢失 / worker lost while running this county ({msg})"
        elif name == "BrokenProcessPool":
            msg = (f"工作进程意外退出 / a worker process of the pool died ({msg}): it was killed (often the "
                   "memory limit), or run_batch was called from a script without an "
                   "`if __name__ == \"__main__\":` guard (the pool starts its workers with spawn)")
        return JobResult(job.county, job.stem, "failed", name, msg, None, None, 0.0, hashes=job.hashes)
