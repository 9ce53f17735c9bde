"""Benchmark (not a test): value-added fit at province scale, ours vs statsmodels MixedLM.

Simulates ``--rows`` student rows in ``--schools`` schools with a prior score, then fits the
random-intercept value-added model ``score ~ prior_score + (1 | school_id)`` (REML) twice, each in its own
subprocess so that peak memory is measured separately:

* ``ours``: :func:`lyganalysis.metrics.value_added.value_added` (exact REML from per-school sufficient
  statistics, 1-D profile over the variance ratio) — the whole call, including validation, grouping and
  the per-school table with shrunken effects and intervals;
* ``lme4`` (optional, ``--methods ours,statsmodels,lme4``; needs Rscript + lme4): ``lmer`` on the same data
  written to CSV, only ``lmer()`` timed — an independent check of which fit reaches the optimum;
* ``statsmodels``: ``smf.mixedlm("score ~ prior_score", df, groups=df["school_id"]).fit()`` — the default
  fit (REML, lbfgs), model construction included.

Both children build the same data from the same seed; only the fit is timed. Peak memory is the process's
peak resident set size (VmHWM) during the fit: the peak is reset after the data are built
(``/proc/self/clear_refs``), so the figure is data + fit, not the data generation; ``fit_extra_mb`` is
that peak minus the resident size just before the fit.

Usage::

    python benchmarks/bench_value_added.py                         # 2,000,000 rows, 15,000 schools
    python benchmarks/bench_value_added.py --rows 200000 --schools 1500   # quick run
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd


def simulate(rows: int, schools: int, seed: int = 20240601) -> pd.DataFrame:
    """Province-like exam file: school sizes vary (gamma), prior ~ N(70, 15²) with a school component,
    score = 25 + 0.65·prior + u_j + e, u_j ~ N(0, 5²), e ~ N(0, 12²)."""
    rng = np.random.default_rng(seed)
    w = rng.gamma(2.0, 1.0, size=schools)
    size = rng.multinomial(rows - schools, w / w.sum()) + 1  # every school has at least one student
    school = np.repeat(np.arange(schools), size)
    prior = 70 + rng.normal(0, 6, schools)[school] + rng.normal(0, 14, rows)
    score = 25 + 0.65 * prior + rng.normal(0, 5, schools)[school] + rng.normal(0, 12, rows)
    ids = np.char.add("32", np.char.zfill(np.arange(schools).astype(str), 8))
    return pd.DataFrame({"school_id": pd.array(ids[school], dtype="str"), "prior_score": prior, "score": score})


def _status(key: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0  # kB → MB
    return float("nan")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


R_SCRIPT = r"""
suppressMessages(library(lme4))
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1], colClasses = c("character", "numeric", "numeric"))
t <- system.time(f <- lmer(score ~ prior_score + (1 | school_id), d, REML = TRUE))[["elapsed"]]
v <- as.data.frame(VarCorr(f))$vcov
cat(sprintf("%.17g", c(t, fixef(f), v, as.numeric(logLik(f)))), sep = "\n", file = a[2])
"""


def child_lme4(rows: int, schools: int, out: str) -> None:
    """lme4 (R) as an independent reference: only lmer() is timed (inside R); peak memory is R's
    whole-process peak RSS (CSV reading included)."""
    import shutil
    if not shutil.which("Rscript"):
        raise SystemExit("Rscript not found (apt-get install r-cran-lme4)")
    with tempfile.TemporaryDirectory() as tmp:
        csv, rfile, res = (os.path.join(tmp, f) for f in ("d.csv", "fit.R", "res.txt"))
        simulate(rows, schools).to_csv(csv, index=False)
        with open(rfile, "w") as fh:
            fh.write(R_SCRIPT)
        subprocess.run(["Rscript", rfile, csv, res], check=True)
        v = [float(x) for x in open(res).read().split()]
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    est = {"Intercept": v[1], "prior_score": v[2], "tau00": v[3], "sigma2": v[4]}
    with open(out, "w") as fh:
        json.dump(dict(method="lme4", seconds=v[0], peak_mb=peak, fit_extra_mb=float("nan"), rss_before_mb=float("nan"),
                       peak_reset=False, loglik=v[5], converged=True, estimates=est, warnings=[]), fh)


def child(method: str, rows: int, schools: int, out: str) -> None:
    if method == "lme4":
        return child_lme4(rows, schools, out)
    df = simulate(rows, schools)
    import gc
    gc.collect()
    if method == "statsmodels":
        import statsmodels.formula.api as smf  # import before measuring
    else:
        from lyganalysis.metrics.value_added import value_added
    reset = _reset_peak()
    rss0 = _status("VmRSS")
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if method == "statsmodels":
            fit = smf.mixedlm("score ~ prior_score", df, groups=df["school_id"]).fit()
            est = {"Intercept": float(fit.fe_params["Intercept"]), "prior_score": float(fit.fe_params["prior_score"]),
                   "tau00": float(fit.cov_re.iloc[0, 0]), "sigma2": float(fit.scale)}
            llf, conv = float(fit.llf), bool(fit.converged)
        else:
            fit = value_added(df, outcome="score", prior="prior_score", by="school_id", absent=None)
            est = {"Intercept": fit.fixed_effects["Intercept"], "prior_score": fit.fixed_effects["prior_score"],
                   "tau00": fit.tau00, "sigma2": fit.sigma2}
            llf, conv = fit.loglik, fit.converged
    seconds = time.perf_counter() - t0
    peak = _status("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    res = dict(method=method, seconds=seconds, peak_mb=peak, fit_extra_mb=peak - rss0, rss_before_mb=rss0,
               peak_reset=reset, loglik=llf, converged=conv, estimates=est,
               warnings=sorted({f"{w.category.__name__}: {w.message}" for w in caught}))
    with open(out, "w") as fh:
        json.dump(res, fh)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--schools", type=int, default=15_000)
    ap.add_argument("--methods", default="ours,statsmodels")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child(a.child, a.rows, a.schools, a.out)
        return 0
    print(f"value-added benchmark: {a.rows:,} rows, {a.schools:,} schools, REML random intercept "
          f"score ~ prior_score + (1 | school_id)  [python {sys.version.split()[0]}, {os.cpu_count()} CPUs]")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for m in a.methods.split(","):
            out = os.path.join(tmp, f"{m}.json")
            cmd = [sys.executable, os.path.abspath(__file__), "--child", m, "--rows", str(a.rows),
                   "--schools", str(a.schools), "--out", out]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode:
                print(f"{m}: FAILED\n{proc.stderr[-2000:]}")
                continue
            with open(out) as fh:
                results[m] = json.load(fh)
    for m, r in results.items():
        e = r["estimates"]
        print(f"{m:12s} time {r['seconds']:8.2f} s   peak RSS {r['peak_mb']:8.0f} MB (fit adds {r['fit_extra_mb']:6.0f} MB)"
              f"   loglik {r['loglik']:.6f}  converged={r['converged']}")
        print(f"{'':12s} β0 {e['Intercept']:.8f}  β_prior {e['prior_score']:.8f}  τ00 {e['tau00']:.8f}  σ² {e['sigma2']:.8f}")
        for w in r["warnings"][:5]:
            print(f"{'':12s} warning: {w[:150]}")
    for other in ("statsmodels", "lme4"):
        if not {"ours", other} <= results.keys():
            continue
        o, s = results["ours"], results[other]
        print(f"--- ours vs {other}")
        diff = {k: abs(o["estimates"][k] - s["estimates"][k]) for k in o["estimates"]}
        rel = {k: diff[k] / abs(s["estimates"][k]) for k in diff}
        print(f"speed-up ({other} time / ours): {s['seconds'] / o['seconds']:.1f}x;  peak memory ratio "
              f"{s['peak_mb'] / o['peak_mb']:.2f}x")
        print("max abs difference of estimates: " + ", ".join(f"{k} {v:.2e}" for k, v in diff.items())
              + f"  (max rel {max(rel.values()):.2e});  loglik ours − {other} {o['loglik'] - s['loglik']:+.3e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
