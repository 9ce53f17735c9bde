"""Benchmark of the report batch (not a test; never run in CI; prints numbers, asserts nothing).

Stages, each in its own subprocess so that time and memory are the stage's own:

* ``hand``    — the loop a user writes by hand: the papermill CLI, then
  ``jupyter nbconvert --to html --no-input``, one county after another;
* ``batch``   — ``lyganalysis report`` (the default batch: county reports, the city overview when
  all counties run, index, manifest) on the same data and notebook; ratio hand / batch;
* ``again``   — the same ``lyganalysis report`` a second time with nothing changed (incremental);
* ``floor``   — an empty notebook with the report notebook's import cell, through the same runner
  and export, once per county: the per-county cost of a report is compared with it;
* ``dask``    — with ``--dask``: the batch again (``--force``) on a local Dask cluster of the same
  number of worker processes, side by side with the local pool;
* ``province``— with ``--province``: ``demo-data --scale province`` (time, peak memory), then the
  batch on all counties or, with ``--quick``, on a sample of ``--sample`` counties;
* ``profile`` — with ``--profile COUNTY``: where one county's time goes (its notebook on the results the
  batch stored: kernel start, cells grouped; export split into nbconvert and font embedding);
* ``parent``  — with ``--profile`` (or ``--only parent``): the parent pass stage by stage (read, validate,
  compute_all, stores, school pages, batch font, bundles, privacy scan).

Wall time and CPU time (user + system of the stage's whole process tree) are given for every stage;
peak memory is the largest resident set of any process of the stage.

Usage::

    .venv/bin/python benchmarks/batch.py                       # hand loop vs batch, floor, incremental
    .venv/bin/python benchmarks/batch.py --counties 连云区 徐圩新区 --workers 2
    .venv/bin/python benchmarks/batch.py --skip hand --dask
    .venv/bin/python benchmarks/batch.py --only province --quick --sample 4
    .venv/bin/python benchmarks/batch.py --only profile --profile 赣榆区
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NOTEBOOK = ROOT / "notebooks" / "county_report.ipynb"


def timed(cmd: list[str], *, env=None, quiet=True) -> dict:
    """Run ``cmd``; wall seconds, CPU seconds of its process tree (``wait4``: the child and every
    descendant it reaped, kernels included) and the peak resident set (MB) of its largest process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL if quiet else None, stderr=subprocess.PIPE,
                            text=True)
    err = proc.stderr.read()
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    rc = os.waitstatus_to_exitcode(status)
    proc.returncode = rc
    if rc not in (0, 1):
        print(f"   ! {' '.join(cmd[:3])} … exit {rc}: {err[-800:]}")
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "peak_mb": ru.ru_maxrss / 1024, "rc": rc}


def show(label: str, r: dict, n: int | None = None) -> None:
    per = f", {r['wall'] / n:.1f} s wall and {r['cpu'] / n:.1f} s CPU per report" if n else ""
    print(f"{label:34s} {r['wall']:8.1f} s wall {r['cpu']:8.1f} s CPU  peak {r['peak_mb']:6.0f} MB{per}")


def processed_demo(work: Path) -> Path:
    from lyganalysis.datasets import load_dataset, write_processed

    d = work / "processed"
    if not (d / "dataset.json").exists():
        write_processed(load_dataset("lianyungang_demo"), d)
    return d


def hand_loop(counties, data: Path, work: Path, year: int) -> dict:
    out = work / "hand"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    total = {"wall": 0.0, "cpu": 0.0, "peak_mb": 0.0}
    for c in counties:
        nb = out / f"{c}.ipynb"
        for cmd in ([str(BIN / "papermill"), str(NOTEBOOK), str(nb), "-p", "county", c, "-p", "school_year", str(year),
                     "-p", "data_source", str(data), "--no-progress-bar"],
                    [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)]):
            r = timed(cmd)
            total["wall"] += r["wall"]
            total["cpu"] += r["cpu"]
            total["peak_mb"] = max(total["peak_mb"], r["peak_mb"])
    return total


def report_cmd(out: Path, processed: Path, counties, workers, extra=()) -> list[str]:
    cmd = [str(BIN / "lyganalysis"), "report", "--output", str(out), "--processed-dir", str(processed), "-q"]
    for c in counties or []:
        cmd += ["--county", c]
    if workers:
        cmd += ["--workers", str(workers)]
    return cmd + list(extra)


def floor_notebook(path: Path) -> Path:
    """The report notebook's import cell and parameters cell only."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    keep = [code[0]] + [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    nb["cells"] = keep
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    return path


_FLOOR = """
import sys, json
from lyganalysis.report.fonts import batch_font
from lyganalysis.report.runner import make_jobs, run_batch
counties = json.loads(sys.argv[3])
common = dict(school_year=2022, data_source=sys.argv[4], language="zh", min_cell_size=5, metrics_path="")
if __name__ == "__main__":
    with batch_font(sys.argv[6] or None):  # the batch's font, as the batch's pages get it
        r = run_batch(sys.argv[1], make_jobs(counties, common=common), sys.argv[2],
                      workers=int(sys.argv[5]) if sys.argv[5] != "0" else None)
    sys.exit(r.exit_code)
"""


def floor(counties, data: Path, work: Path, workers) -> dict:
    from lyganalysis.report.prepare import batch_font_path, default_cache_dir

    tpl = floor_notebook(work / "floor.ipynb")
    script = work / "floor_batch.py"
    script.write_text(_FLOOR, encoding="utf-8")
    out = work / "floor_out"
    shutil.rmtree(out, ignore_errors=True)
    font = batch_font_path(default_cache_dir(work / "batch"))
    return timed([sys.executable, str(script), str(tpl), str(out), json.dumps(counties, ensure_ascii=False),
                  str(data), str(workers or 0), str(font) if font.exists() else ""])


def dask_batch(out: Path, processed: Path, counties, workers, n_reports: int) -> dict:
    from distributed import LocalCluster

    from lyganalysis.report.runner import default_workers

    n = workers or default_workers(n_reports)
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        return timed(report_cmd(out, processed, counties, None,
                                ["--executor", "dask", "--scheduler", cluster.scheduler_address, "--force"]))


def profile(county: str, data: Path, work: Path) -> None:
    """Where one county's time goes, in the batch's setting: its notebook on the results the batch stored
    (papermill CLI, one process: kernel start, cells), then the export split into nbconvert and font."""
    import nbformat

    from lyganalysis.report.export import make_exporter
    from lyganalysis.report.fonts import embed_font
    from lyganalysis.report.prepare import batch_font_path, default_cache_dir
    from lyganalysis.report.slug import assign_filenames

    stem = assign_filenames([county])[county]
    cache = default_cache_dir(work / "batch")
    results_dir = cache / stem
    if not results_dir.is_dir():
        print(f"profile: no stored results at {results_dir}: run the batch stage first")
        return
    nb_out = work / f"profile_{stem}.ipynb"
    r = timed([str(BIN / "papermill"), str(NOTEBOOK), str(nb_out), "-p", "county", county, "-p", "school_year", "2022",
               "-p", "data_source", str(data), "-p", "results_dir", str(results_dir), "--no-progress-bar"])
    nb = json.loads(nb_out.read_text(encoding="utf-8"))
    groups: dict[str, float] = {}
    for c in nb["cells"]:
        if c["cell_type"] != "code":
            continue
        src = "".join(c["source"])
        tags = c.get("metadata", {}).get("tags", [])
        d = (c["metadata"].get("papermill") or {}).get("duration") or 0.0
        if "parameters" in tags or "injected-parameters" in tags:
            key = "parameters"
        elif src.startswith("import"):
            key = "imports"
        elif "load_or_compute(" in src:
            key = "load results, summary, metrics JSON"
        elif "page.sections()" in src:
            key = "sections: HTML and figures"
        else:
            key = "methods"
        groups[key] = groups.get(key, 0.0) + d
    cells = sum(groups.values())
    print(f"profile of {county} (papermill CLI on the stored results): {r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU; "
          f"cells {cells:.1f} s, kernel start + papermill {r['wall'] - cells:.1f} s")
    for k, v in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"   {k:55s} {v:6.1f} s")
    node = nbformat.read(str(nb_out), as_version=4)
    t0 = time.perf_counter()
    body, _ = make_exporter().from_notebook_node(node)
    t1 = time.perf_counter()
    page = embed_font(body)
    t2 = time.perf_counter()
    batch_font = batch_font_path(cache)
    page2 = embed_font(body, font_css=batch_font) if batch_font.exists() else page
    t3 = time.perf_counter()
    png = sum(len(o.get("data", {}).get("image/png", "")) for c in nb["cells"] for o in c.get("outputs", []))
    n_png = sum(1 for c in nb["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
    print(f"   export: nbconvert {t1 - t0:.2f} s; CJK font: own subset {t2 - t1:.2f} s, batch font {t3 - t2:.2f} s; "
          f"page {len(page2) / 1e6:.2f} MB ({n_png} PNG figures {png / 1e6:.2f} MB base64, "
          f"batch font {(len(page2) - len(body)) / 1e6:.2f} MB, own subset {(len(page) - len(body)) / 1e6:.2f} MB)")


_PARENT = """
import json, sys, time
from pathlib import Path
t = time.perf_counter()
def lap(name):
    global t
    now = time.perf_counter(); print(json.dumps([name, now - t]), flush=True); t = now
from lyganalysis.analysis import compute_all, store
from lyganalysis.datasets import read_processed
from lyganalysis.report.bundle import write_bundle
from lyganalysis.report.fonts import batch_characters, page_characters, write_batch_font
from lyganalysis.report.privacy_scan import keys_of, scan_outputs
from lyganalysis.report.school_pages import write_assets, write_school_pages
from lyganalysis.report.slug import assign_filenames
from lyganalysis.schema import validate_tables
from lyganalysis.settings import Settings
lap("imports")
ds = read_processed(sys.argv[1]); lap("read processed data")
validate_tables(ds); lap("validate tables")
res = compute_all(ds, school_year=2022, settings=Settings()); lap("compute_all (every county, every topic)")
out, cache = Path(sys.argv[2]), Path(sys.argv[3])
stems = assign_filenames(list(res))
for c, r in res.items():
    store.save(r, cache / stems[c])
lap("results stores (parquet + JSON)")
write_assets(out / "assets")
pages = {}
for c, r in res.items():
    pages[c] = write_school_pages(r, ds.schools, out / stems[c] / "schools", language="zh",
                                  county_href=f"../../{stems[c]}.html", with_font=True)
lap(f"school pages ({sum(len(p) for p in pages.values())})")
texts = [page_characters(p.read_text(encoding="utf-8")) for v in pages.values() for p in v.values()]
write_batch_font(cache / "font.css", batch_characters("zh", ds=ds, texts=texts)); lap("batch CJK font subset")
for c in res:
    write_bundle(out, stems[c], pages=sorted(pages[c].values()), shared=sorted((out / "assets").glob("*")))
lap("bundles (school pages only here)")
keys = keys_of(ds); lap(f"privacy keys ({len(keys)})")
scan_outputs(out, keys=keys); lap("privacy scan (school pages and bundles)")
"""


def parent_profile(data: Path, work: Path) -> None:
    """The parent pass stage by stage (its own process; the county pages and notebooks are not part of it)."""
    script = work / "parent_profile.py"
    script.write_text(_PARENT, encoding="utf-8")
    out, cache = work / "parent_out", work / "parent_cache"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(script), str(data), str(out), str(cache)], capture_output=True,
                          text=True)
    if proc.returncode:
        print(f"   ! parent profile failed: {proc.stderr[-800:]}")
        return
    print(f"parent pass, stage by stage ({time.perf_counter() - t0:.1f} s wall in all):")
    for line in proc.stdout.splitlines():
        name, sec = json.loads(line)
        print(f"   {name:55s} {sec:6.1f} s")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--counties", nargs="*", default=None, help="counties (default: all ten; then the city overview too)")
    p.add_argument("--workers", type=int, default=None, help="batch workers (default: the batch's own default)")
    p.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    p.add_argument("--only", nargs="*", default=None,
                   choices=["hand", "batch", "again", "floor", "dask", "province", "profile", "parent"])
    p.add_argument("--skip", nargs="*", default=[], choices=["hand", "batch", "again", "floor"])
    p.add_argument("--dask", action="store_true", help="also run the batch on a local Dask cluster")
    p.add_argument("--province", action="store_true", help="also the province-scale stages")
    p.add_argument("--quick", action="store_true", help="province: run the notebooks on --sample counties only")
    p.add_argument("--sample", type=int, default=4, help="counties for --quick (default 4)")
    p.add_argument("--profile", default=None, metavar="COUNTY", help="profile one county's notebook")
    a = p.parse_args(argv)
    stages = set(a.only) if a.only else {"hand", "batch", "again", "floor"} - set(a.skip)
    if a.dask:
        stages.add("dask")
    if a.province:
        stages.add("province")
    if a.profile:
        stages.update({"profile", "parent"})
    work = Path(a.work or tempfile.mkdtemp(prefix="lyg-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    from lyganalysis.datasets import load_dataset
    from lyganalysis.report.runner import default_workers

    counties = a.counties or load_dataset("lianyungang_demo").counties()
    n_reports = len(counties) + (0 if a.counties else 1)
    print(f"{len(counties)} counties ({n_reports} reports), {len(os.sched_getaffinity(0))} processors allowed, "
          f"batch workers {a.workers or default_workers(n_reports)}; scratch {work}")
    data = processed_demo(work) if stages & {"hand", "batch", "again", "floor", "dask", "profile", "parent"} else None
    res = {}
    if "hand" in stages:
        res["hand"] = hand_loop(counties, data, work, 2022)
        show("hand loop (papermill + nbconvert)", res["hand"], len(counties))
    out = work / "batch"
    if "batch" in stages:
        shutil.rmtree(out, ignore_errors=True)
        res["batch"] = timed(report_cmd(out, work / "processed_batch", a.counties, a.workers))
        show("lyganalysis report", res["batch"], n_reports)
        if "hand" in res:
            h, b = res["hand"], res["batch"]
            print(f"{'  hand loop / batch':34s} {h['wall'] / b['wall']:8.2f} x wall {h['cpu'] / b['cpu']:8.2f} x CPU"
                  + ("" if a.counties else "   (the batch also writes the city overview)"))
    if "again" in stages:
        res["again"] = timed(report_cmd(out, work / "processed_batch", a.counties, a.workers))
        show("again, nothing changed", res["again"])
        if "batch" in res:
            print(f"{'  second / first run':34s} {res['again']['wall'] / res['batch']['wall']:8.1%} of the wall time")
    if "floor" in stages:
        res["floor"] = floor(counties, data, work, a.workers)
        show("floor (imports only, same runner)", res["floor"], len(counties))
        if "batch" in res:
            per = res["batch"]["cpu"] / n_reports
            fl = res["floor"]["cpu"] / len(counties)
            print(f"{'  per-report cost / floor':34s} {per / fl:8.2f} x  ({per:.1f} s vs {fl:.1f} s CPU per report, "
                  "parent's share included)")
    if "dask" in stages:
        res["dask"] = dask_batch(out, work / "processed_batch", a.counties, a.workers, n_reports)
        show("lyganalysis report on Dask (local)", res["dask"], n_reports)
        print("   (CPU here is the client's only: the workers belong to the benchmark's LocalCluster; compare wall)")
        if "batch" in res:
            print(f"{'  Dask / local pool':34s} {res['dask']['wall'] / res['batch']['wall']:8.2f} x wall")
    if "province" in stages:
        pdata = work / "province"
        res["province_data"] = timed([str(BIN / "lyganalysis"), "demo-data", "--scale", "province", "--out", str(pdata)])
        show("demo-data --scale province", res["province_data"])
        from lyganalysis.datasets import read_processed

        pds = read_processed(pdata)
        print(f"   {len(pds.counties())} counties, {len(pds.schools)} school rows, {len(pds.teachers)} teacher rows, "
              f"{len(pds.scores)} score rows")
        sample = pds.counties()[:: max(1, len(pds.counties()) // a.sample)][: a.sample] if a.quick else None
        pout = work / "province_reports"
        shutil.rmtree(pout, ignore_errors=True)
        res["province_batch"] = timed(report_cmd(pout, work / "processed_province", sample, a.workers,
                                                 ["--dataset", str(pdata)]))
        n = len(sample) if sample else len(pds.counties())
        show(f"province batch ({n} counties)", res["province_batch"], n)
    if "profile" in stages:
        profile(a.profile or counties[0], data, work)
    if "parent" in stages:
        parent_profile(data, work)
    (work / "results.json").write_text(json.dumps(res, indent=2), encoding="utf-8")
    print(f"numbers: {work / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
