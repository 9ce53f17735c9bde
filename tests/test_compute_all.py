"""compute_all: a few counties of many take each topic's one-county path; the numbers equal the grouped pass."""

import sys
from pathlib import Path

from lyganalysis.analysis import TOPICS, compute_all

sys.path.insert(0, str(Path(__file__).parent))
import baseline as B  # noqa: E402


def test_a_few_counties_equal_the_grouped_pass(demo, all_counties):
    few = compute_all(demo, school_year=2022, counties=["徐圩新区", "赣榆区"])
    assert list(few) == ["徐圩新区", "赣榆区"] or set(few) == {"徐圩新区", "赣榆区"}
    for county, r in few.items():
        for name in TOPICS:
            grouped = all_counties(name)[county]
            diffs = B.compare(grouped.to_dict(), getattr(r, name).to_dict(), path=f"{county}.{name}", rtol=1e-12)
            assert not diffs, diffs[:5]
        assert r.readiness is not None and r.resources.verdict is not None
