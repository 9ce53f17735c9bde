"""Every number of the resources topic equals the pre-analysis-layer main (rtol 1e-12), demo and CASchools.

Key map: tests/fixtures/baseline/keymap_resources.yaml; intentional differences:
tests/fixtures/baseline/intentional_resources.yaml — each one is checked below by its meaning.
"""

from __future__ import annotations

import math

import baseline as B
import pytest

RTOL = 1e-12


def _docs(all_counties, name):
    res = all_counties("resources", name, school_year=B.baseline(name)["school_year"])
    return res, {c: {"resources": r.to_dict()} for c, r in res.items()}


@pytest.fixture(scope="module")
def demo_docs(all_counties):
    return _docs(all_counties, "lianyungang_demo")


@pytest.fixture(scope="module")
def cas_docs(all_counties):
    return _docs(all_counties, "caschools")


# the analyses are computed once per session (tests/conftest.py)
@pytest.mark.parametrize("name", ["lianyungang_demo", "caschools"])
def test_every_mapped_leaf_equals_the_baseline(name, demo_docs, cas_docs):
    res, docs = demo_docs if name == "lianyungang_demo" else cas_docs
    assert set(docs) == set(B.baseline(name)["counties"])
    diffs = B.topic_differences("resources", name, docs, rtol=RTOL)
    assert diffs == [], "\n".join(diffs[:30])


def test_intentional_differences_hold_by_their_meaning(demo_docs):
    res, _ = demo_docs
    base = B.baseline("lianyungang_demo")["counties"]
    code = {True: "met", False: "not_met"}
    for county, r in res.items():
        old = base[county]
        v, vu = r.verdict, r.verdict_unweighted
        # the old verdicts were the CV-only verdicts; a stage with fewer than min_sections_for_cv sections is
        # now "undecided" (徐圩新区 junior: 2 sections), which makes the county's CV condition undecided too
        def expect(by_stage: dict, new) -> str:
            states = ["undecided" if any(x["code"] == "too_few_sections" for x in new.stages[st].reasons)
                      else code[ok] for st, ok in by_stage.items()]
            return "not_met" if "not_met" in states else "undecided" if "undecided" in states else "met"

        old_uw = {st: bool(g) for st, g in _unweighted_by_stage(old).items()}
        assert expect(old["resource_balance"]["passes_by_stage"], v) == v.cv_verdict
        assert code[old["resource_balance"]["passes"]] == code[old["resources_detail"]["verdict"]["passes"]]
        assert expect(old_uw, vu) == vu.cv_verdict
        if v.cv_verdict != "undecided":
            assert code[old["resource_balance"]["passes"]] == v.cv_verdict
        for st, ok in old["resource_balance"]["passes_by_stage"].items():
            if v.stages[st].cv_verdict != "undecided":  # stages with too few sections are now undecided
                assert code[ok] == v.stages[st].cv_verdict
        failing = {tuple(f) for f in old["resources_detail"]["verdict"]["failing"]}
        assert failing == {(st, f["indicator"]) for st, s in v.stages.items() for f in s.cv_failing}
        # the old summary's CV table = the indicator rows of the one table
        cv = r.cv.set_index(["stage", "indicator"])
        for row in old["resource_balance"]["indicators"]:
            new = cv.loc[(row["stage"], row["indicator"])]
            for o, n in (("coefficient_of_variation", "cv_weighted"), ("mean", "mean"), ("sd", "sd"),
                         ("n_sections", "n_sections"), ("limit", "limit")):
                assert math.isclose(row[o], float(new[n]), rel_tol=RTOL), (county, row["indicator"], o)
            assert row["passes"] == bool(new["passes_weighted"])
        # the old summary's compliance table was the section's (compared there)
        assert B.compare(old["school_compliance"], old["resources_detail"]["school_compliance"], path="sc",
                         sort=["school_id", "stage"]) == []


def _unweighted_by_stage(old: dict) -> dict:
    """The old unweighted CV verdict per stage, from the old section's CV table."""
    out: dict = {}
    for row in old["resources_detail"]["cv"]:
        if row["indicator"] != "composite":
            out[row["stage"]] = out.get(row["stage"], True) and bool(row["passes_unweighted"])
    return out


def test_old_headline_figures_are_the_new_key_figures(demo_docs, cas_docs):
    for name, (res, _) in (("lianyungang_demo", demo_docs), ("caschools", cas_docs)):
        base = B.baseline(name)["counties"]
        for county, r in res.items():
            fig = r.figures()
            for h in base[county]["headline"]:
                key = h["key"]
                if key == "students_compulsory":
                    assert math.isclose(h["value"], fig["resources.students_compulsory"].value, rel_tol=RTOL)
                elif key.startswith("cv_indicators_failing_"):
                    st = key.removeprefix("cv_indicators_failing_")
                    assert h["value"] == fig[f"resources.cv_indicators_failing.{st}"].value
                elif key == "compliant_school_share":
                    assert math.isclose(h["value"], fig["resources.compliant_share"].value, rel_tol=RTOL)
                elif key == "quality_balance_verdict":  # intentional: now the CV condition only
                    new = fig["resources.verdict.cv_rule"].value
                    assert new == "undecided" or ("met" if h["value"] else "not_met") == new
                    assert fig["resources.verdict"].value != "met" or h["value"] is True
