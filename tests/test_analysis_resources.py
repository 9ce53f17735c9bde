"""The resources analysis layer on the demo and CASchools: result objects, verdict, store round trip."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from lyganalysis.analysis import resources as R
from lyganalysis.analysis import store
from lyganalysis.datasets import load_dataset
from lyganalysis.metrics.balance import (
    ResourceVerdict,
    quality_balance_assessment,
    quality_balance_indicators,
    school_compliance,
    school_sections,
)
from lyganalysis.settings import Settings

COUNTY = "赣榆区"


@pytest.fixture(scope="module")
def ds(demo):
    return demo


@pytest.fixture(scope="module")
def all_results(all_counties):  # once per session (tests/conftest.py)
    return all_counties("resources", school_year=2022)


@pytest.fixture(scope="module")
def res(all_results):
    return all_results[COUNTY]


def test_one_county_equals_the_grouped_pass(ds, all_results):
    one = R.analyse(ds, county=COUNTY, school_year=2022)
    assert json.dumps(one.to_dict(), sort_keys=True, default=str) == \
        json.dumps(all_results[COUNTY].to_dict(), sort_keys=True, default=str)
    assert set(all_results) == set(ds.counties())


def test_ganyu_fails_on_the_school_rule_with_its_counts(res):
    v = res.verdict
    assert isinstance(v, ResourceVerdict)
    assert (v.verdict, v.school_rule, v.cv_verdict) == ("not_met", "not_met", "met")
    p, j = v.stages["primary"], v.stages["junior"]
    # independently: the sections of the county-year with pupils, the school rule from school_compliance
    assert (p.n_sections, p.n_not_compliant) == (71, 38) and p.compliant_share == pytest.approx(33 / 71)
    assert (j.n_sections, j.n_not_compliant) == (37, 24) and j.compliant_share == pytest.approx(13 / 37)
    f = res.figures()
    assert f["resources.verdict"].value == "not_met" and f["resources.verdict.cv_rule"].value == "met"
    assert f["resources.verdict.school_rule.primary"].value == "not_met"
    assert f["resources.n_sections.primary"].value == 71 and f["resources.n_not_compliant.junior"].value == 24
    assert f["resources.cv_indicators_failing.primary"].value == 0
    assert f["resources.compliant_share.junior"].value == pytest.approx(13 / 37)
    assert f["resources.verdict"].params == {"n_sections": 108, "n_not_compliant": 62, "standard": "quality_2017"}


def test_the_verdict_uses_the_metric_functions(ds, res):
    sch = ds.schools[(ds.schools["county"] == COUNTY) & (ds.schools["school_year"] == 2022)]
    ind = quality_balance_indicators(school_sections(sch))
    a = quality_balance_assessment(ind)
    assert res.verdict.cv_verdict == ("met" if a.cv_passes else "not_met")
    comp = school_compliance(ind)
    comp = comp[comp["students"] > 0]
    assert len(res.compliance) == len(comp)
    assert res.verdict.n_not_compliant == int((~comp["compliant"].astype(bool)).sum())
    assert len(res.schools_in_need) == res.verdict.n_not_compliant


def test_a_county_failing_on_cvs_names_the_indicators(all_results):
    r = all_results["灌云县"]
    s = r.verdict.stages["primary"]
    assert r.verdict.cv_verdict == "not_met" and {f["indicator"] for f in s.cv_failing} >= {"L5", "L4"}
    cv = r.cv.set_index(["stage", "indicator"])
    for f in s.cv_failing:
        assert f["cv"] == cv.loc[("primary", f["indicator"]), "cv_weighted"] and f["cv"] > f["limit"]
    assert [f["cv"] - f["limit"] for f in s.cv_failing] == sorted((f["cv"] - f["limit"] for f in s.cv_failing),
                                                                reverse=True)


def test_too_few_sections_is_undecided_with_its_reason(all_results):
    j = all_results["徐圩新区"].verdict.stages["junior"]
    assert j.n_sections == 2 and j.cv_verdict == "undecided"
    assert {"code": "too_few_sections", "params": {"n_sections": 2, "min_sections": 3}} in j.reasons


def test_schools_in_need_are_ordered_by_distance_and_need_no_more_than_the_gaps(res):
    need = res.schools_in_need
    assert list(need["distance"]) == sorted(need["distance"], reverse=True)
    assert (need["state"] == "not_met").all()
    for k in ("L1", "L2", "L3", "L4", "L5", "L6", "L7"):
        assert (need[f"add_{k}"] <= need[f"gap_{k}"] + 1e-9).all()
        assert (need[f"gap_{k}"] == need[f"{k}_shortfall"]).all()
    assert (need["n_additions"] <= need["n_gaps"]).all() and (need["n_additions"] >= 1).all()


def test_settings_change_the_scope_and_the_cv_rule(ds):
    keep = R.analyse(ds, county=COUNTY, school_year=2022, settings=Settings(teaching_point_rule="keep"))
    default = R.analyse(ds, county=COUNTY, school_year=2022)
    assert keep.verdict.stages["primary"].n_sections >= default.verdict.stages["primary"].n_sections
    merge = R.analyse(ds, county=COUNTY, school_year=2022, settings=Settings(teaching_point_rule="merge"))
    assert merge.verdict.stages["primary"].n_sections == default.verdict.stages["primary"].n_sections
    many = R.analyse(ds, county=COUNTY, school_year=2022, settings=Settings(min_sections_for_cv=1000))
    assert many.verdict.cv_verdict == "undecided" and many.verdict.verdict == "not_met"  # school rule still fails
    unw = R.analyse(ds, county=COUNTY, school_year=2022, settings=Settings(weighted_cv=False))
    assert unw.verdict.weighted is False and unw.verdict.cv_verdict == default.verdict_unweighted.cv_verdict


def test_overview_tables(res, ds):
    sch = ds.schools[(ds.schools["county"] == COUNTY) & (ds.schools["school_year"] == 2022)]
    ov = res.overview.set_index("stage")
    assert ov.loc["primary", "students"] == sch["students_primary"].sum()
    assert ov.loc["junior", "n_schools"] == int((sch["students_junior"] > 0).sum())
    assert res.schools_by_type["n_schools"].sum() == len(sch)
    assert res.figures()["resources.students_compulsory"].value == \
        sch["students_primary"].sum() + sch["students_junior"].sum()


def test_store_round_trip(res, tmp_path):
    store.save(res, tmp_path / "r")
    back = store.load(tmp_path / "r")
    assert type(back) is type(res) and type(back.verdict) is ResourceVerdict
    assert json.dumps(back.to_dict(), sort_keys=True) == json.dumps(res.to_dict(), sort_keys=True)
    assert back.verdict.stages["primary"].n_not_compliant == 38
    json.dumps(res.to_dict(), allow_nan=False)


def test_for_school(res):
    sid = res.schools_in_need["school_id"].iloc[0]
    one = res.for_school(sid)
    assert len(one["in_need"]) >= 1 and (one["compliance"]["school_id"] == sid).all()
    assert set(one) == {"compliance", "in_need", "school_size", "class_size", "rooms", "monitoring"}
    assert all(len(v) == 0 for v in res.for_school("no-such-school").values())


def test_caschools_standards_do_not_apply():
    ca = load_dataset("caschools")
    out = R.analyse(ca, county=None, school_year=ca.school_years()[-1])
    r = out["Los Angeles"]
    assert r.applies is False and r.verdict is None and r.standard == "none"
    assert [u.reason for u in r.unavailable] == ["res_standards_not_applicable"]
    assert len(r.overview) and "resources.verdict" not in r.figures()
    assert r.to_frame().empty


def test_city_helper_gives_every_county_at_once(ds, all_results):
    ind = R.section_indicators(ds, school_year=2022)
    n = ind.groupby(["county", "stage"]).size()
    for c, r in all_results.items():
        for st, s in r.verdict.stages.items():
            assert n[(c, st)] == s.n_sections
    assert {"L1", "L7", "students", "county"} <= set(ind.columns)


def test_verdicts_frame_for_the_index_and_the_city(all_results):
    f = R.verdicts_frame(all_results)
    g = f[f["county"] == COUNTY].set_index("stage")
    assert g.loc["primary", "n_not_compliant"] == 38 and g.loc["junior", "n_sections"] == 37
    assert set(f["county_verdict"]) <= {"met", "not_met", "undecided"}
    assert (f.groupby("county")["county_verdict"].nunique() == 1).all()


def test_a_missing_indicator_is_reported_and_the_verdict_is_never_met(ds):
    import dataclasses

    sch = ds.schools.copy()
    m = (sch["county"] == "开发区") & (sch["school_year"] == 2022) & (sch["students_primary"] > 0)
    sch.loc[sch[m].index[0], "backbone_teachers_primary"] = float("nan")
    r = R.analyse(dataclasses.replace(ds, schools=sch), county="开发区", school_year=2022)
    p = r.verdict.stages["primary"]
    assert p.n_undecided == 1 and p.cv_verdict == "undecided" and r.verdict.verdict != "met"
    assert {"code": "missing_indicator", "params": {"n_sections": 1, "indicators": ["L2"]}} in p.reasons
    assert "res_missing_indicator" in [u.reason for u in r.unavailable]
    cv = r.cv.set_index(["stage", "indicator"])
    assert pd.isna(cv.loc[("primary", "L2"), "cv_weighted"]) and cv.loc[("primary", "L1"), "cv_weighted"] > 0
    assert "composite" not in set(r.cv["indicator"]) and r.composite_cv == {}
    from lyganalysis.report.sections import resources as S
    assert "L2" in str(S.render(r, language="en"))
