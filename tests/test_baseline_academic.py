"""Academic topic against the metrics JSON of the pre-analysis-layer main (every numeric leaf, rtol 1e-12).

The key map is tests/fixtures/baseline/keymap_academic.yaml; the intentional differences (the one interval
method for a school mean, and the school-level results of CASchools now in the one county table) are
tests/fixtures/baseline/intentional_academic.yaml.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest
import yaml
from baseline import baseline, topic_differences

HERE = Path(__file__).parent / "fixtures" / "baseline"


def _intentional() -> list[str]:
    return [d["path"] for d in yaml.safe_load((HERE / "intentional_academic.yaml").read_text(encoding="utf-8"))]


@pytest.fixture(scope="module", params=["lianyungang_demo", "caschools"])
def docs(request, all_counties):
    """New documents of every county of the dataset (the analysis is computed once per session)."""
    year = baseline(request.param)["school_year"]
    res = all_counties("academic", request.param, school_year=year)
    return request.param, {c: {"academic": r.to_dict()} for c, r in res.items()}


def test_every_county_is_compared(docs):
    name, new = docs
    assert set(new) == set(baseline(name)["counties"])


def test_numbers_unchanged_except_the_intentional_differences(docs):
    name, new = docs
    allowed = _intentional()
    diffs = [d for d in topic_differences("academic", name, new)
             if not any(fnmatch.fnmatch("academic:" + d.split(":", 1)[1].split(": ", 1)[0], g) for g in allowed)]
    assert diffs == [], "\n".join(diffs[:40])


def test_the_interval_change_is_real_and_only_widens(docs):
    """The intentional difference exists (the test of the file cannot pass vacuously): t(n−1) > 1.96."""
    name, new = docs
    if name != "lianyungang_demo":  # school-level results: no interval, old or new
        assert all(r["ci_low"] is None for d in new.values() for r in d["academic"]["schools"])
        return
    old = baseline(name)["counties"]["赣榆区"]["academic_schools"]
    by_key = {(r["school_id"], r["grade"], r["subject"]): r for r in new["赣榆区"]["academic"]["schools"]}
    checked = 0
    for r in old:
        if r["ci_low"] is None:
            continue
        n = by_key[(r["school_id"], r["grade"], r["subject"])]
        assert n["ci_low"] < r["ci_low"] and n["ci_high"] > r["ci_high"]
        assert n["mean_score"] == pytest.approx(r["mean_score"], rel=1e-12)
        checked += 1
    assert checked > 100
