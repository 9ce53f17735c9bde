"""Command line: ``lyganalysis report | validate | demo-data | form``."""

from __future__ import annotations

import argparse
import logging
import sys


def _cmd_report(args) -> int:
    from lyganalysis.report.batch import build_reports
    from lyganalysis.report.progress import BatchProgress
    from lyganalysis.report.runner import WorkerEnvironmentError

    if args.accept_rejected and not args.raw:
        print("错误 / error: --accept-rejected 只用于 --raw / --accept-rejected only applies to --raw", file=sys.stderr)
        return 2
    try:
        result = build_reports(
            args.dataset, args.output, counties=args.county or None, school_year=args.school_year,
            language=args.language, workers=args.workers, executor=args.executor, scheduler=args.scheduler,
            template=args.template, min_cell_size=args.min_cell_size, processed_dir=args.processed_dir,
            raw=args.raw, salt=args.salt, timeout=args.timeout, force=args.force,
            progress=None if args.quiet else BatchProgress(), accept_rejected=bool(args.accept_rejected),
        )
    except WorkerEnvironmentError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2
    frame = result.batch.to_frame()
    if result.batch.preflight:  # one message for the whole batch, not one per county
        print(f"预检失败，未运行任何报告 / pre-flight failed, no report was run: {result.batch.preflight}",
              file=sys.stderr)
    for row in frame.itertuples():
        what = "unchanged, kept" if row.reused else f"{row.seconds:.1f} s"
        line = f"  {row.status:11s} {row.county}  ({what})"
        if row.status != "ok" and not result.batch.preflight:
            line += f"  {row.error_type}: {row.message}"
        print(line)
    n_ok = int((frame["status"] == "ok").sum())
    n_kept = int(frame["reused"].sum())
    kept = f" ({n_kept} unchanged since the last run, kept; --force re-runs them)" if n_kept else ""
    print(f"{n_ok} of {len(frame)} reports written to {result.output_dir}/ in {result.seconds:.0f} s{kept}; "
          f"index: {result.index_path}")
    if result.exit_code:
        print(f"{len(frame) - n_ok} failed: see {result.index_path} and the executed notebooks in "
              f"{result.output_dir}/notebooks/.", file=sys.stderr)
    return result.exit_code


def _cmd_validate(args) -> int:
    from pathlib import Path

    from lyganalysis.intake import validate_directory

    rejected = args.rejected or str(Path(args.directory) / "_rejected")
    report = validate_directory(args.directory, rejected_dir=rejected)
    print(f"被拒绝的行及原因 / rejected rows with reasons: {rejected}")
    print(report.render())
    return report.exit_code


def _cmd_demo_data(args) -> int:
    from lyganalysis.datasets import load_dataset, write_processed

    if args.scale == "province":
        import time

        from lyganalysis.datasets.province import make_province_data

        t0 = time.perf_counter()
        ds = make_province_data(seed=args.seed if args.seed is not None else 2022)
        out = args.out or "data/processed/lianyungang_province"
        paths = write_processed(ds, out)
        print(f"province: {len(ds.counties())} counties, {len(ds.schools)} school rows, "
              f"{len(ds.teachers)} teacher rows, {len(ds.scores)} score rows in {time.perf_counter() - t0:.0f} s")
    else:
        ds = load_dataset("lianyungang_demo", **({"seed": args.seed} if args.seed is not None else {}))
        paths = write_processed(ds, args.out or "data/processed/lianyungang_demo")
    for name, path in paths.items():
        print(f"{name}: {path}")
    if args.raw:
        from lyganalysis.datasets.raw_export import write_raw_exports

        for path in write_raw_exports(ds, args.raw):
            print(f"raw: {path}")
    return 0


def _cmd_form_county_facts(args) -> int:
    from lyganalysis.forms.county_facts import REPORTING_UNITS, write_county_form

    units, years, values = list(REPORTING_UNITS), [args.school_year or 2022], None
    if args.filled and not args.dataset:  # the only filled form shipped is the demo's (simulated)
        args.dataset = "lianyungang_demo"
    if args.dataset:
        from lyganalysis.datasets import load_dataset

        ds = load_dataset(args.dataset)
        s = ds.schools[["county", "county_code"]].drop_duplicates().sort_values(["county_code", "county"])
        units = list(zip(s["county"], s["county_code"]))
        years = [args.school_year] if args.school_year else ds.school_years()
        if args.filled:
            if ds.county_form is None:
                raise ValueError(f"dataset {args.dataset!r} has no filled county form")
            values = ds.county_form
    path = write_county_form(args.out, units=units, school_years=years, values=values)
    print(f"县区填报表 / county form: {path} ({len(units)} 县区 × {len(years)} 学年)")
    return 0


def _county_inputs(args):
    from lyganalysis.datasets import load_dataset
    from lyganalysis.forms.submission import county_inputs

    ds = load_dataset(args.dataset)
    try:
        return county_inputs(ds, args.county, args.school_year)
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None


def _cmd_form_cv_sheet(args) -> int:
    from lyganalysis.forms.cv_sheet import write_cv_sheet

    inp = _county_inputs(args)
    path = write_cv_sheet(inp.cv, args.out, layout=args.layout)
    print(f"差异系数计算表 / CV calculation sheet: {path} ({inp.county} {inp.school_year}学年)")
    return 0


def _cmd_form_school_indicators(args) -> int:
    from lyganalysis.forms.school_form import write_school_form

    inp = _county_inputs(args)
    path = write_school_form(inp.compliance, args.out, layout=args.layout)
    print(f"学校指标表 / school indicator form: {path} ({inp.county} {inp.school_year}学年, "
          f"{len(inp.compliance)} 个学校学段)")
    return 0


def _cmd_form_self_evaluation(args) -> int:
    from lyganalysis.forms.self_evaluation import write_self_evaluation

    inp = _county_inputs(args)
    path = write_self_evaluation(args.out, readiness=inp.readiness, resource=inp.resource,
                                 cv_summary=inp.cv.to_frame(), compliance=inp.compliance,
                                 satisfaction=inp.satisfaction, county=inp.county, school_year=inp.school_year,
                                 layout=args.layout)
    print(f"自评报告 / self-evaluation report: {path} ({inp.county} {inp.school_year}学年)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lyganalysis", description="县域教育均衡分析 / county education-balance analyses")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("report", help="write one HTML report per county plus reports/index.html")
    r.add_argument("--dataset", default="lianyungang_demo",
                   help="lianyungang_demo (bundled, simulated), caschools (California districts), or a folder of processed tables")
    r.add_argument("--output", default=None, help="output folder (default reports/ or reports/<dataset>/)")
    r.add_argument("--county", action="append", help="only this county (repeatable)")
    r.add_argument("--school-year", type=int, default=None, help="school year (default: latest in the data)")
    r.add_argument("--language", choices=["zh", "en"], default=None, help="report language (default: the dataset's)")
    r.add_argument("--workers", type=int, default=None,
                   help="parallel worker processes (default: the processors this process may use, "
                        "at most one per report)")
    r.add_argument("--executor", choices=["process", "dask"], default="process",
                   help="process: local worker processes (default); dask: a Dask distributed cluster (needs --scheduler)")
    r.add_argument("--scheduler", default=None, help="Dask scheduler address for --executor dask")
    r.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="wall-clock limit per report; a report past it is stopped (status timeout)")
    r.add_argument("--force", action="store_true",
                   help="run every report, also those whose data, parameters, template and code are unchanged")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    r.add_argument("--template", default=None, help="report notebook (default notebooks/county_report.ipynb)")
    r.add_argument("--min-cell-size", type=int, default=5, help="withhold groups smaller than this (default 5)")
    r.add_argument("--raw", default=None,
                   help="read a folder of bureau exports (Excel/CSV) through intake instead of --dataset")
    r.add_argument("--accept-rejected", action="store_true",
                   help="with --raw: report on the rows that passed although some were rejected; every page then "
                        "states the rejected rows per school (default: refuse data with rejected rows)")
    r.add_argument("--salt", default=None,
                   help="salt for pseudonymous keys of --raw data (default: $LYGANALYSIS_SALT)")
    r.add_argument("--processed-dir", default=None,
                   help="where the validated tables are cached as parquet (default data/processed/<dataset>/)")
    r.set_defaults(func=_cmd_report)

    v = sub.add_parser("validate", help="check a folder of bureau exports; print rows read/kept/rejected")
    v.add_argument("directory", help="folder of .xlsx/.xls/.csv exports (学校基本情况, 教师, 成绩 …) with Chinese headers")
    v.add_argument("--rejected", default=None, help="folder for rejected-rows CSVs (default DIRECTORY/_rejected)")
    v.set_defaults(func=_cmd_validate)

    d = sub.add_parser("demo-data", help="write the bundled synthetic data as processed tables (and raw exports)")
    d.add_argument("--out", default=None, help="folder for the clean tables (parquet; default "
                   "data/processed/lianyungang_demo, or data/processed/lianyungang_province with --scale province)")
    d.add_argument("--scale", choices=["city", "province"], default="city",
                   help="city: the bundled demo (default); province: a simulated province of about 100 counties")
    d.add_argument("--seed", type=int, default=None, help="random seed (default 2022)")
    d.add_argument("--raw", default=None, help="also write the data as messy bureau-style exports into this folder")
    d.set_defaults(func=_cmd_demo_data)

    f = sub.add_parser("form", help="write a form for the county to fill in (Excel)")
    fsub = f.add_subparsers(dest="form", required=True)
    fc = fsub.add_parser("county-facts", help="the county-facts form of the 优质均衡 inspection (one row per county and year)")
    fc.add_argument("--out", required=True, help="output .xlsx file")
    fc.add_argument("--dataset", default=None,
                    help="take counties and school years from this dataset (default: the ten Lianyungang units, 2022)")
    fc.add_argument("--school-year", type=int, default=None, help="only this school year")
    fc.add_argument("--filled", action="store_true", help="fill in the dataset's county form (default dataset with --filled: the simulated demo)")
    fc.set_defaults(func=_cmd_form_county_facts)
    for name, help_text, func in (
            ("cv-sheet", "the 差异系数计算表 (every term of the CV, per stage and indicator; .xlsx)", _cmd_form_cv_sheet),
            ("school-indicators", "the 学校指标表 (the seven indicators of every school section; .xlsx)",
             _cmd_form_school_indicators),
            ("self-evaluation", "the 自评报告 skeleton (tables filled, narrative for the clerk; .docx)",
             _cmd_form_self_evaluation)):
        fp = fsub.add_parser(name, help=help_text)
        fp.add_argument("--county", required=True, help="county, e.g. 赣榆区")
        fp.add_argument("--school-year", type=int, default=None, help="school year (default: latest in the data)")
        fp.add_argument("--dataset", default="lianyungang_demo", help="dataset name or folder (default lianyungang_demo)")
        fp.add_argument("--layout", default=None, help="a replacement layout file (YAML; default the bundled layout)")
        fp.add_argument("--out", required=True, help="output file")
        fp.set_defaults(func=func)
    return p


#: Name of the codec error handler that writes a character the console cannot show as <U+XXXX>.
ASCII_FALLBACK = "lyganalysis-ascii-fallback"


def _ascii_fallback(err: UnicodeError):
    if not isinstance(err, UnicodeEncodeError):
        raise err
    return "".join(f"<U+{ord(ch):04X}>" for ch in err.object[err.start:err.end]), err.end


def setup_console(*streams) -> None:
    """Make the console safe for Chinese text: UTF-8 on pipes and files (whatever the Windows
    code page), the console's own encoding on a terminal, and never a codec error: a character
    the stream cannot encode is written as ``<U+XXXX>`` (``'\u2066'`` → ``<U+2066>``).

    Called by :func:`main` for stdout and stderr; streams without ``reconfigure`` (e.g. pytest's
    capture) are left as they are."""
    import codecs

    try:
        codecs.lookup_error(ASCII_FALLBACK)
    except LookupError:
        codecs.register_error(ASCII_FALLBACK, _ascii_fallback)
    for stream in streams or (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        enc = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
        try:
            isatty = stream.isatty()
        except (AttributeError, ValueError, OSError):
            isatty = False
        try:
            if not isatty and enc not in ("utf-8", "utf8"):
                reconfigure(encoding="utf-8", errors=ASCII_FALLBACK)
            else:
                reconfigure(errors=ASCII_FALLBACK)
        except (ValueError, OSError, LookupError):  # detached or closed stream: leave it
            continue


def main(argv: list[str] | None = None) -> int:
    setup_console()
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError) as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
