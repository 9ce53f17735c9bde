"""Benchmark of the least-cost compliance plan (lyganalysis.metrics.plan) on the demo data.

    .venv/bin/python benchmarks/bench_plan.py                       # 赣榆区 2022, official CV limits
    .venv/bin/python benchmarks/bench_plan.py --cv-limit 0.25 0.2   # also with tighter limits (stress)
    .venv/bin/python benchmarks/bench_plan.py --all                 # every county-year of the demo

Prints, per run: time, MILP rounds, CV cut rows, optimality gap, total cost, sections changed. Never asserts.
"""

from __future__ import annotations

import argparse
import time

from lyganalysis.datasets import load_dataset
from lyganalysis.metrics.balance import quality_balance_indicators, school_sections
from lyganalysis.metrics.plan import county_plan, least_additions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--county", default="赣榆区")
    ap.add_argument("--year", type=int, default=2022)
    ap.add_argument("--cv-limit", type=float, nargs="*", default=[], help="extra runs with this limit for both stages")
    ap.add_argument("--time-limit", type=float, default=None, help="seconds per MILP solve")
    ap.add_argument("--all", action="store_true", help="county_plan for every county-year of the demo")
    args = ap.parse_args()
    ds = load_dataset("lianyungang_demo")
    if args.all:
        every = quality_balance_indicators(school_sections(ds.schools, teachers=ds.teachers))
        for (county, year), g in every.groupby(["county", "school_year"]):
            t0 = time.perf_counter()
            p = county_plan(g.reset_index(drop=True), time_limit=args.time_limit)
            print(f"{county} {year}: {time.perf_counter() - t0:.2f} s, {p.status}, {p.iterations} rounds, "
                  f"gap {p.gap:.2%}, cost {p.total_cost:,.0f}, changed {p.n_sections_changed}/{p.n_sections}, "
                  f"CV cuts {p.n_cuts}")
        return
    s = ds.schools.loc[(ds.schools["county"] == args.county) & (ds.schools["school_year"] == args.year)]
    t = ds.teachers.loc[ds.teachers["school_year"] == args.year] if ds.teachers is not None else None
    sec = quality_balance_indicators(school_sections(s, teachers=t))
    print(f"{args.county} {args.year}: {len(s)} schools, {len(sec)} sections")
    t0 = time.perf_counter()
    la = least_additions(sec)
    print(f"least_additions: {time.perf_counter() - t0:.2f} s, {int(la['changed'].sum())} sections changed, "
          f"cost {la['cost'].sum():,.0f} yuan")
    for limit in [None, *args.cv_limit]:
        lim = None if limit is None else {"primary": limit, "junior": limit}
        t0 = time.perf_counter()
        p = county_plan(sec, cv_limits=lim, time_limit=args.time_limit)
        wall = time.perf_counter() - t0
        print(f"county_plan (CV limit {'official' if limit is None else limit}): {wall:.2f} s, status {p.status}, "
              f"{p.iterations} MILP rounds, {p.n_cuts} cut rows, gap {p.gap:.2%}, cost {p.total_cost:,.0f} yuan "
              f"(lower bound {p.lower_bound:,.0f}), sections changed {p.n_sections_changed}/{p.n_sections}, "
              f"compliant {p.n_compliant_before}→{p.n_compliant_after}, CV rule met {p.cv_rule_met}")
        print("  CV after, max per stage:", p.cvs.groupby("stage")["cv_after"].max().round(4).to_dict())
    for budget in (2_000_000.0,):
        t0 = time.perf_counter()
        p = county_plan(sec, budget=budget)
        print(f"county_plan (budget {budget:,.0f}): {time.perf_counter() - t0:.2f} s, compliant "
              f"{p.n_compliant_before}→{p.n_compliant_after} of {p.n_sections}, cost {p.total_cost:,.0f}, "
              f"CV rule met {p.cv_rule_met}")


if __name__ == "__main__":
    main()
