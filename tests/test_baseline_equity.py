"""Baseline: the equity numbers of every demo and CASchools county, and the demo's city overview, equal those of
the pre-analysis-layer main at rtol 1e-12, except the differences listed in
tests/fixtures/baseline/intentional_equity.yaml (key map: keymap_equity.yaml)."""

import fnmatch
from dataclasses import dataclass

import baseline as B
import pytest
import yaml

from lyganalysis.analysis import equity
from lyganalysis.analysis.city import CITY_UNIT, analyse_city
from lyganalysis.analysis.figures import Figure
from lyganalysis.datasets import load_dataset

INTENTIONAL = yaml.safe_load((B.HERE / "intentional_equity.yaml").read_text(encoding="utf-8"))
GLOBS = [d["path"] for d in INTENTIONAL]


def _allowed(tagged: str) -> bool:
    return any(fnmatch.fnmatch(tagged, g) for g in GLOBS)


@pytest.fixture(scope="module")
def demo_results(all_counties):  # every demo county in one pass, once per session (tests/conftest.py)
    return all_counties("equity", school_year=B.baseline("lianyungang_demo")["school_year"])


def _county_differences(dataset: str, results: dict) -> list[str]:
    docs = {c: {"equity": r.to_dict()} for c, r in results.items()}
    out = B.topic_differences("equity", dataset, docs)
    return [d for d in out if not _allowed("equity:" + d.split(":", 1)[1].split(": ", 1)[0])]


def test_every_demo_county_matches_the_baseline(demo_results):
    assert set(demo_results) == set(B.baseline("lianyungang_demo")["counties"])
    assert _county_differences("lianyungang_demo", demo_results) == []


def test_every_caschools_county_matches_the_baseline(all_counties):
    res = all_counties("equity", "caschools", school_year=B.baseline("caschools")["school_year"])
    assert set(res) == set(B.baseline("caschools")["counties"])
    assert _county_differences("caschools", res) == []


def test_the_only_county_differences_are_the_listed_ones(demo_results):
    # the intentional list is not a blanket: the group codes differ only as text ("True" for True)
    docs = {c: {"equity": r.to_dict()} for c, r in demo_results.items()}
    saved = B.intentional
    try:
        B.intentional = lambda: []
        raw = B.topic_differences("equity", "lianyungang_demo", docs)
    finally:
        B.intentional = saved
    assert raw and all(fnmatch.fnmatch("equity:" + d.split(":", 1)[1].split(": ", 1)[0], "equity:equity_detail.gaps.*.*")
                       for d in raw)
    for d in raw:
        old, new = d.split(": ", 1)[1].split(" != ")
        assert old in ("True", "False") and new == repr(old)


# ---------------------------------------------------------------------------------------------- city
@dataclass(frozen=True)
class FakeCounty:
    """What analyse_city reads from a CountyResults: figures() by key and the equity result."""

    equity: object
    extra: dict

    def figures(self):
        return {**self.equity.figures(), **self.extra}


def _fake(results: dict) -> dict:
    out = {}
    for c, r in results.items():
        out[c] = FakeCounty(r, {
            "resources.verdict": Figure("resources.verdict", "not_met", "verdict"),
            "resources.verdict.school_rule": Figure("resources.verdict.school_rule", "not_met", "verdict",
                                                    {"n_assessed": 71, "n_not_compliant": 38}),
            "resources.verdict.cv_rule": Figure("resources.verdict.cv_rule", "met", "verdict", {"n_over_limit": 0}),
            "staffing.rotation.rotated": Figure("staffing.rotation.rotated", 3, "count"),
            "staffing.rotation.eligible": Figure("staffing.rotation.eligible", 20, "count"),
        })
    return out


@pytest.fixture(scope="module")
def city(demo, demo_results):
    return analyse_city(demo, school_year=2022, counties_results=_fake(demo_results))


def _city_unit(rows):
    return [dict(r, unit=CITY_UNIT if r["is_city"] else r["unit"]) for r in rows]


def test_city_decomposition_matches_the_baseline(city):
    old = B.baseline("lianyungang_demo")["city_overview"]["decomposition"]
    assert B.compare(old, city.to_dict()["decomposition"], path="decomposition",
                     sort=["kind", "stage", "measure", "grade", "subject"]) == []


def test_city_coverage_matches_the_baseline(city):
    old = _city_unit(B.baseline("lianyungang_demo")["city_overview"]["coverage"])
    text = ["name_zh", "name_en", "numerator_definition", "denominator_definition", "numerator_definition_zh",
            "denominator_definition_zh", "source", "reason"]
    assert B.compare(old, city.to_dict()["coverage"], path="coverage", sort=["unit", "key"], ignore=text) == []


def test_city_scorecard_matches_the_baseline_except_the_listed_changes(city):
    old = _city_unit(B.baseline("lianyungang_demo")["city_overview"]["scorecard"])
    new = city.to_dict()["scorecard"]
    assert len(old) == len(new)
    ok = sorted(old, key=lambda r: (r["target"], str(r["unit"])))
    nk = sorted(new, key=lambda r: (r["target"], str(r["unit"])))
    diffs = []
    for a, b in zip(ok, nk):
        assert (a["target"], a["unit"]) == (b["target"], b["unit"])
        for d in B.compare(a, b, path=f"scorecard.{a['target']}.{a['unit']}",
                           ignore=["name", "definition", "reason", "source"]):  # display text of old
            field = d.split(": ", 1)[0]
            if not _allowed("city:" + field):
                diffs.append(d)
    assert diffs == []
    # the recognition rows now carry the combined resource verdict, never the CV-only one
    rec = {r["target"]: r for r in new if r["target"].endswith("recognition")}
    assert rec["ganyu_national_recognition"]["resource_verdict"] == "not_met"
    assert rec["ganyu_national_recognition"]["cv_rule"] == "met"


@pytest.mark.parametrize("dataset", ["lianyungang_demo", "caschools"])
def test_headline_gap_figure_equals_the_old_headline(dataset, demo_results):
    if dataset == "lianyungang_demo":
        res = demo_results
    else:
        res = equity.analyse(load_dataset("caschools"), county=None, school_year=B.baseline("caschools")["school_year"])
    checked = 0
    for county, doc in B.baseline(dataset)["counties"].items():
        old = {h["key"]: h["value"] for h in doc["headline"]}
        figs = res[county].figures()
        new = figs.get("equity.urban_rural_gap") or figs.get("equity.poverty_gap")
        if "gap_headline" not in old:
            assert new is None, county
            continue
        assert new.value == pytest.approx(old["gap_headline"], rel=1e-12), county
        checked += 1
    assert checked >= 5
