"""Run every ``benchmarks/bench_*.py`` in turn (extra arguments are passed to each).

Usage: ``python benchmarks/run_all.py [--rows N --schools J]``. Benchmarks are not tests: they print
numbers and never assert on timings. Exit status is non-zero if any benchmark script failed.
"""

import subprocess
import sys
from pathlib import Path


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    failed = []
    for script in sorted(Path(__file__).parent.glob("bench_*.py")):
        print(f"=== {script.name} {' '.join(argv)}", flush=True)
        if subprocess.run([sys.executable, str(script), *argv]).returncode:
            failed.append(script.name)
    if failed:
        print(f"failed: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
