"""Staffing numbers of the analysis layer equal the pre-analysis-layer main (rtol 1e-12) for every county of
the demo and of CASchools, except the intentional differences in intentional_staffing.yaml."""

from __future__ import annotations

import math
from pathlib import Path

import baseline as B
import pytest
import yaml

from lyganalysis.analysis import staffing as A

YEAR = 2022
HERE = Path(__file__).parent / "fixtures" / "baseline"


def _intentional() -> list[dict]:
    # every intentional*.yaml of the folder (tests/baseline.py reads them all once the lead merges that change)
    out = []
    for p in sorted(HERE.glob("intentional*.yaml")):
        out += yaml.safe_load(p.read_text(encoding="utf-8")) or []
    return out


@pytest.fixture(autouse=True)
def _all_intentional(monkeypatch):
    monkeypatch.setattr(B, "intentional", _intentional)


@pytest.fixture(scope="module")
def demo_results(all_counties):  # once per session (tests/conftest.py)
    return all_counties("staffing", school_year=YEAR)


@pytest.fixture(scope="module")
def ca_results(all_counties):
    return all_counties("staffing", "caschools")


def _docs(results):
    return {c: {"staffing": r.to_dict()} for c, r in results.items()}


@pytest.mark.slow
def test_demo_every_county_matches_baseline(demo_results):
    assert set(demo_results) == set(B.baseline("lianyungang_demo")["counties"])
    diffs = B.topic_differences("staffing", "lianyungang_demo", _docs(demo_results))
    assert not diffs, "\n".join(diffs[:40])


def test_caschools_every_county_matches_baseline(ca_results):
    assert set(ca_results) == set(B.baseline("caschools")["counties"])
    diffs = B.topic_differences("staffing", "caschools", _docs(ca_results))
    assert not diffs, "\n".join(diffs[:40])


def _close(a, b):
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.slow
def test_headline_and_missing_specialists_match(demo_results):
    base = B.baseline("lianyungang_demo")["counties"]
    for county, r in demo_results.items():
        figs = r.figures()
        for h in base[county]["headline"]:
            key = h["key"]
            if key.startswith("student_teacher_ratio_"):
                assert _close(h["value"], figs["staffing.student_teacher_ratio." + key.rsplit("_", 1)[1]].value)
            elif key == "teacher_shortfall":
                assert _close(h["value"], figs["staffing.teacher_shortfall"].value), county
        old = {a["school_id"]: ",".join(a["missing"]) for a in base[county]["staffing_structure"]["school_actions"]}
        new = dict(zip(r.school_actions["school_id"], r.school_actions["missing"]))
        assert old == new, county


@pytest.mark.slow
def test_city_table_matches_the_old_city_summary(demo, demo_results):
    city = A.analyse_city(demo, school_year=YEAR, results=demo_results)  # the counties' results are the session's
    old = B.baseline("lianyungang_demo")["city_overview"]
    new = city.to_dict()
    rows = new["table"]
    assert [r["unit"] for r in rows][:-1] == [r["unit"] for r in old["staffing"]][:-1]
    assert rows[-1]["unit"] == A.CITY and old["staffing"][-1]["is_city"]
    diffs = B.compare(old["staffing"], rows, path="city.staffing", ignore=["unit"])
    diffs += B.compare(old["staffing_targets"], new["targets"], path="city.staffing_targets")
    assert not diffs, "\n".join(diffs[:40])
    # the scorecard's rotation row reads the same numbers
    table = city.table.set_index("unit")
    for r in old["scorecard"]:
        if r["target"] != "rotation_rate" or r["value"] is None:
            continue
        u = A.CITY if r["is_city"] else r["unit"]
        assert _close(r["value"], table.loc[u, "rotation_rate"])
        assert (r["numerator"], r["denominator"]) == (table.loc[u, "rotated"], table.loc[u, "rotation_eligible"])
