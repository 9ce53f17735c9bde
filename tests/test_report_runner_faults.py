"""A batch that survives faults: cases C35 (a kernel killed mid-notebook) and C40 (a Dask worker
without the package), wall-clock limits, pre-flight, kernel-start retries, atomic outputs and
incremental runs.  Tiny template notebooks keep these fast; nothing here is timed."""

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lyganalysis.report import runner
from lyganalysis.report.manifest import fingerprint, package_code_hash
from lyganalysis.report.runner import ReportJob, WorkerEnvironmentError, default_workers, make_jobs, run_batch

CASES = Path(__file__).parent / "cases"
C35 = CASES / "C35-kernel-dies-mid-batch"
C40 = CASES / "C40-dask-worker-environment"
TAGGED = CASES / "C15-papermill-no-parameters-tag" / "template_tagged.ipynb"


def _jobs_with_metrics(counties, out, **extra):
    jobs = make_jobs(counties, common=extra)
    return [ReportJob(j.county, j.stem, {**j.parameters, "metrics_path": str(out / f"{j.stem}.metrics.json")},
                      outputs={"metrics_path": str(out / f"{j.stem}.metrics.json")}) for j in jobs]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


# --- C35: the kernel of one county is killed in the middle of its notebook
def test_c35_dead_kernel_is_reported_with_cell_signal_and_banner(tmp_path):
    with open(C35 / "counties.csv", encoding="utf-8") as fh:
        counties = [r["county"] for r in csv.DictReader(fh)]
    # an earlier run's outputs of 乙县 must not survive beside the failure
    (tmp_path / "乙县.html").write_text("<html>old</html>", encoding="utf-8")
    (tmp_path / "乙县.metrics.json").write_text("{}", encoding="utf-8")
    result = run_batch(C35 / "template_kernel_dies.ipynb", _jobs_with_metrics(counties, tmp_path), tmp_path,
                       workers=2)
    summary = result.to_frame().set_index("county")
    assert summary.loc["甲县", "status"] == "ok" and summary.loc["丙县", "status"] == "ok"
    died = summary.loc["乙县"]
    assert died["status"] == "kernel_died" and died["error_type"] == "DeadKernelError"
    assert died["cell"] == 4 and died["signal"] == "SIGKILL"
    assert "In [4]" in died["message"] and "import os, signal" in died["message"]
    assert "内存不足" in died["message"] and "memory limit" in died["message"]
    assert result.exit_code == 1
    for c in ("甲县", "丙县"):
        assert (tmp_path / f"{c}.html").is_file() and (tmp_path / f"{c}.metrics.json").is_file()
    assert not (tmp_path / "乙县.html").exists() and not (tmp_path / "乙县.metrics.json").exists()
    kept = json.loads((tmp_path / "notebooks" / "乙县.ipynb").read_text(encoding="utf-8"))
    banner = kept["cells"][0]
    assert "papermill-error-cell-tag" in banner["metadata"]["tags"]
    assert "In [4]" in "".join(banner["source"])


# --- a dead kernel, a timeout and a failed pre-flight each get their own status; the others complete
def test_each_fault_has_its_own_status_and_the_others_complete(tmp_path):
    pid_file = tmp_path / "丙县.pid"
    jobs = _jobs_with_metrics(["甲县", "乙县", "丙县", "丁县"], tmp_path, pid_path=str(pid_file))
    jobs[3] = ReportJob(jobs[3].county, jobs[3].stem, jobs[3].parameters, outputs=jobs[3].outputs,
                        inputs=(str(tmp_path / "no-such-data"),))
    result = run_batch(C35 / "template_faults.ipynb", jobs, tmp_path, workers=2, county_timeout=8)
    status = result.to_frame().set_index("county")["status"].to_dict()
    assert status == {"甲县": "ok", "乙县": "kernel_died", "丙县": "timeout", "丁县": "preflight"}
    by = {r.county: r for r in result.results}
    assert "8 s" in by["丙县"].message and by["丙县"].cell == 4
    assert "no-such-data" in by["丁县"].message
    assert not (tmp_path / "notebooks" / "丁县.ipynb").exists(), "a county failing pre-flight never runs"
    assert (tmp_path / "甲县.html").is_file()
    assert not any((tmp_path / f"{c}.html").exists() for c in ("乙县", "丙县", "丁县"))
    pid = int(pid_file.read_text())
    for _ in range(50):
        if not _alive(pid):
            break
        time.sleep(0.1)
    assert not _alive(pid), "the kernel of a county past its limit must be stopped"
    assert "wall-clock" in "".join(json.loads((tmp_path / "notebooks" / "丙县.ipynb").read_text(
        encoding="utf-8"))["cells"][0]["source"])


def test_missing_kernel_fails_every_county_once_before_anything_runs(tmp_path):
    result = run_batch(TAGGED, make_jobs(["甲县", "乙县"]), tmp_path, workers=2, kernel_name="no-such-kernel-xyz")
    assert result.preflight and "no-such-kernel-xyz" in result.preflight
    assert {r.status for r in result.results} == {"preflight"}
    assert {r.message for r in result.results} == {result.preflight}
    assert not list(tmp_path.rglob("*.ipynb"))


def test_kernel_start_is_retried_after_a_port_race(tmp_path, monkeypatch):
    import zmq

    real = runner._execute
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise zmq.error.ZMQError(98, "Address already in use")
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "_execute", flaky)
    monkeypatch.setattr(runner, "START_BACKOFF", (0.01,))
    result = runner.run_job(make_jobs(["城关镇"])[0], str(TAGGED), str(tmp_path))
    assert result.status == "ok", result.message
    assert result.attempts == 2 and len(calls) == 2


def test_a_notebook_error_is_not_retried(tmp_path):
    case = CASES / "C19-papermill-batch-one-failure"
    jobs = make_jobs(["乙县"], {"乙县": {"fail": True}})
    result = runner.run_job(jobs[0], str(case / "template_maybe_fail.ipynb"), str(tmp_path))
    assert result.status == "failed" and result.attempts == 1


# --- atomic outputs: a killed batch never leaves a report that looks complete
_KILLED = textwrap.dedent("""
    import sys
    from pathlib import Path
    from lyganalysis.report.runner import ReportJob, make_jobs, run_batch
    if __name__ == "__main__":
        out = Path(sys.argv[1]); tpl = sys.argv[2]
        jobs = [ReportJob(j.county, j.stem, {**j.parameters, "metrics_path": str(out / f"{j.stem}.metrics.json"),
                                             "pid_path": str(out / f"{j.stem}.pid")},
                          outputs={"metrics_path": str(out / f"{j.stem}.metrics.json")})
                for j in make_jobs(["甲县", "丙县"])]
        run_batch(tpl, jobs, out, workers=2)
""")


def test_killed_batch_leaves_no_complete_looking_report(tmp_path):
    script = tmp_path / "batch.py"
    script.write_text(_KILLED, encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, str(script), str(out), str(C35 / "template_faults.ipynb")],
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not ((out / "甲县.html").exists() and (out / "丙县.pid").exists()):
            time.sleep(0.2)
        assert (out / "丙县.pid").exists(), "the slow county never started"
        time.sleep(0.5)  # 丙县 is now half-way through its notebook
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    orphan = int((out / "丙县.pid").read_text())  # the kernel runs in its own session: stop it here
    if _alive(orphan):
        os.kill(orphan, signal.SIGKILL)
    assert (out / "甲县.html").is_file() and (out / "甲县.metrics.json").is_file()
    # the interrupted county: nothing under its final names, only the staging folder
    assert not (out / "丙县.html").exists()
    assert not (out / "丙县.metrics.json").exists()
    assert not (out / "notebooks" / "丙县.ipynb").exists()
    assert (out / runner.STAGING / "丙县").is_dir()
    assert not [p for p in out.rglob("*.html") if runner.STAGING not in p.parts and p.name != "甲县.html"]


# --- incremental runs
def test_unchanged_county_is_not_run_again_and_force_reruns(tmp_path):
    job = make_jobs(["城关镇"])[0]
    job = ReportJob(job.county, job.stem, job.parameters, fingerprint=fingerprint({"x": 1}))
    first = run_batch(TAGGED, [job], tmp_path, workers=1).results[0]
    assert first.status == "ok" and not first.reused and first.fingerprint == job.fingerprint
    previous = {first.stem: first.__dict__}
    second = run_batch(TAGGED, [job], tmp_path, workers=1, previous=previous).results[0]
    assert second.status == "ok" and second.reused and second.attempts == 0
    changed = ReportJob(job.county, job.stem, job.parameters, fingerprint=fingerprint({"x": 2}))
    assert runner._reusable(changed, previous, tmp_path, True) is None, "another fingerprint: run again"
    forced = run_batch(TAGGED, [job], tmp_path, workers=1, previous=previous, force=True).results[0]
    assert not forced.reused and forced.attempts == 1
    (tmp_path / "城关镇.html").unlink()
    assert runner._reusable(job, previous, tmp_path, True) is None, "an output gone from disk: run again"


def test_code_hash_follows_the_source_files_not_the_version(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("__version__ = '1'\n")
    (pkg / "sub" / "m.py").write_text("x = 1\n")
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"junk")
    h1 = package_code_hash(str(pkg))
    (pkg / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"other junk")
    assert package_code_hash(str(pkg)) == h1, "compiled caches are not source"
    (pkg / "sub" / "m.py").write_text("x = 2\n")
    assert package_code_hash(str(pkg)) != h1


def test_default_workers_follow_affinity_and_county_count():
    allowed = len(os.sched_getaffinity(0))
    assert default_workers() == allowed
    assert default_workers(1) == 1
    assert default_workers(10_000) == allowed


# --- C40: Dask workers are checked before anything is scheduled
def _cluster_with_preload(preload):
    distributed = pytest.importorskip("distributed")
    return distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                                    preload=[str(preload)])


@pytest.mark.parametrize("preload, problem", [
    ("hide_package_preload.py", "cannot import lyganalysis"),
    ("old_version_preload.py", "has lyganalysis 0.0.1+stale-worker, client has"),
])
def test_c40_worker_without_the_package_fails_fast_with_the_worker_named(tmp_path, preload, problem):
    with open(C40 / "counties.csv", encoding="utf-8") as fh:
        counties = [r["county"] for r in csv.DictReader(fh)]
    with _cluster_with_preload(C40 / preload) as cluster:
        worker = next(iter(cluster.scheduler_info["workers"]))
        with pytest.raises(WorkerEnvironmentError) as err:
            run_batch(C40 / "template.ipynb", make_jobs(counties), tmp_path / "out", executor="dask",
                      scheduler=cluster.scheduler_address)
    assert worker in str(err.value) and problem in str(err.value)
    assert not list((tmp_path / "out").rglob("*.ipynb")) and not list((tmp_path / "out").rglob("*.html"))


# --- the whole command: a second run with nothing changed runs nothing; --force runs again
def _tiny_report_template(path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('county = "赣榆区"\nschool_year = 2022\ndata_source = ""\n'
                                       'language = "zh"\nmin_cell_size = 5\nmetrics_path = ""\nresults_dir = ""\nsource_json = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell('print("县区", county)')]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def test_report_command_is_incremental(tmp_path, capsys):
    from lyganalysis.cli import main

    tpl = _tiny_report_template(tmp_path / "tpl.ipynb")
    argv = ["report", "--county", "徐圩新区", "--output", str(tmp_path / "out"), "--template", str(tpl),
            "--processed-dir", str(tmp_path / "processed"), "-q"]
    assert main(argv) == 0
    first = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["results"][0]
    assert first["status"] == "ok" and not first["reused"] and len(first["fingerprint"]) == 64
    assert set(first["hashes"]) == {"inputs", "code", "environment", "kernel", "parameters", "template", "results"}
    capsys.readouterr()
    assert main(argv) == 0
    assert "1 unchanged since the last run" in capsys.readouterr().out
    second = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["results"][0]
    assert second["reused"] and second["fingerprint"] == first["fingerprint"]
    assert (tmp_path / "out" / "徐圩新区.html").is_file()
    assert 'href="徐圩新区.html"' in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


def test_c40_a_lost_worker_fails_only_its_county(tmp_path):
    distributed = pytest.importorskip("distributed")
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                     dashboard_address=None) as cluster:
        result = run_batch(C40 / "template_worker_dies.ipynb", make_jobs(["甲县", "乙县"]), tmp_path,
                           executor="dask", scheduler=cluster.scheduler_address)
    by = {r.county: r for r in result.results}
    assert by["甲县"].status == "ok" and (tmp_path / "甲县.html").is_file()
    assert by["乙县"].status == "failed" and by["乙县"].error_type == "KilledWorker"
    assert "worker lost" in by["乙县"].message
    assert result.workers and all(w["version"] for w in result.workers.values())
