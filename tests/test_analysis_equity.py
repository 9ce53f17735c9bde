"""The equity analysis layer (lyganalysis.analysis.equity): result objects, store round-trip, contrasts chosen by
the dataset profile, schools without locale counted, hand-worked gaps."""

import dataclasses
import math

import pandas as pd
import pytest

from lyganalysis.analysis import equity, store
from lyganalysis.analysis.base import NotComputed
from lyganalysis.analysis.figures import Figure
from lyganalysis.datasets import load_dataset
from lyganalysis.settings import DatasetProfile, Settings


@pytest.fixture(scope="module")
def ds(demo):
    return demo


@pytest.fixture(scope="module")
def all_results(all_counties):  # the whole demo in one pass, once per session (tests/conftest.py)
    return all_counties("equity", school_year=2022)


@pytest.fixture(scope="module")
def ganyu(all_results):
    return all_results["赣榆区"]


def test_all_counties_in_one_pass_equal_the_one_county_call(ds, all_results):
    assert list(all_results) == ds.counties()
    one = equity.analyse(ds, county="连云区", school_year=2022)
    for name, frame in one.tables().items():
        pd.testing.assert_frame_equal(frame.reset_index(drop=True),
                                      all_results["连云区"].tables()[name].reset_index(drop=True))


def test_result_shape_and_figures(ganyu):
    assert isinstance(ganyu, equity.EquityResult)
    assert ganyu.to_frame() is ganyu.gaps
    assert set(ganyu.gaps["variable"]) == {"gender", "migrant", "left_behind", "locale"}
    assert set(ganyu.coverage["unit"]) == {"赣榆区"}
    figs = ganyu.figures()
    assert all(isinstance(f, Figure) and k == f.key and k.startswith("equity.") for k, f in figs.items())
    g = figs["equity.urban_rural_gap"]
    hg = ganyu.headline_gaps
    row = hg[(hg["grade"] == 6) & (hg["subject"] == "chinese") & (hg["group"] == "rural")].iloc[0]
    assert g.value == row["difference"] and g.params["reference"] == "urban" and g.kind == "signed"
    assert figs["equity.coverage.public_affordable_kindergarten_coverage"].value == pytest.approx(23263 / 26244)
    # no display text in results: the coverage rows hold codes, not sentences
    assert not {"name_zh", "name_en", "reason", "source"} & set(ganyu.coverage.columns)
    assert all(isinstance(u, NotComputed) for u in ganyu.unavailable)


def test_store_round_trip(ganyu, tmp_path):
    store.save(ganyu, tmp_path / "eq")
    back = store.load(tmp_path / "eq")
    assert type(back) is equity.EquityResult and back.contrasts == ganyu.contrasts
    for name, frame in ganyu.tables().items():
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), back.tables()[name].reset_index(drop=True),
                                      check_dtype=False)
    assert back.figures().keys() == ganyu.figures().keys()
    for k, f in ganyu.figures().items():
        assert back.figures()[k].value == f.value, k


def test_urban_rural_headline_gap_hand_worked():
    # Two schools per locale, scores chosen so the means are exact: urban 80, rural 70 → difference −10.
    schools = pd.DataFrame({"school_year": 2022, "school_id": ["u1", "u2", "r1", "r2"],
                            "county": "X", "locale": ["urban", "urban", "rural", "rural"]})
    scores = pd.DataFrame({"school_id": ["u1"] * 3 + ["u2"] * 3 + ["r1"] * 3 + ["r2"] * 3,
                           "grade": 6, "subject": "math", "absent": False,
                           "score": [78, 80, 82, 79, 80, 81, 68, 70, 72, 69, 70, 71.0]})
    g = equity._headline_locale(scores.merge(schools[["school_id", "locale"]]), 5, 0.95)
    assert list(g["group"]) == ["rural"] and g["difference"].iloc[0] == pytest.approx(-10.0)
    # Welch: both groups n = 6, variance (4+0+4+1+0+1)/5 = 2 → se = sqrt(2/6 + 2/6), df = 10
    se = math.sqrt(2 / 6 + 2 / 6)
    assert g["se"].iloc[0] == pytest.approx(se) and g["df"].iloc[0] == pytest.approx(10.0)
    # a locale under the minimum cell size is left out of the headline contrast
    assert equity._headline_locale(scores.merge(schools[["school_id", "locale"]]), 7, 0.95).empty


def test_contrasts_come_from_the_profile_not_the_name(ds):
    # the demo data with a poverty-only profile: no locale or student-group gaps, whatever the data's name
    poverty_only = dataclasses.replace(ds, profile=DatasetProfile(group_contrasts=("poverty",)))
    r = equity.analyse(poverty_only, county="连云区", school_year=2022)
    assert r.gaps.empty and r.resource_gaps.empty and r.staffing_gaps.empty and r.headline_gaps.empty
    assert "poverty_gap" in {u.item for u in r.unavailable}
    gender_only = dataclasses.replace(ds, profile=DatasetProfile(group_contrasts=("gender",)))
    r = equity.analyse(gender_only, county="连云区", school_year=2022)
    assert set(r.gaps["variable"]) == {"gender"} and r.headline_gaps.empty


def test_caschools_poverty_gap_by_profile():
    ca = load_dataset("caschools")
    r = equity.analyse(ca, county="Los Angeles", school_year=1999)
    f = r.figures()["equity.poverty_gap"]
    assert (f.params["group"], f.params["reference"]) == ("high_poverty", "low_poverty")
    assert f.value == pytest.approx(-22.85081515469392, rel=1e-12)  # the pre-analysis-layer value
    assert "equity.urban_rural_gap" not in r.figures() and not r.targets_apply


def test_missing_locale_is_counted_not_dropped(ds):
    sch = ds.schools.copy()
    victim = sch[(sch["county"] == "连云区") & (sch["school_year"] == 2022)
                 & (pd.to_numeric(sch["students_primary"]).fillna(0) > 0)].iloc[0]
    sch.loc[sch["school_id"] == victim["school_id"], "locale"] = None
    r = equity.analyse(dataclasses.replace(ds, schools=sch), county="连云区", school_year=2022)
    lm = r.locale_missing.set_index("what")
    assert lm.loc["schools", "n_missing"] == 1
    assert lm.loc["students", "n_missing"] == pd.to_numeric(victim[["students_primary", "students_junior"]]).fillna(0).sum()
    takers = ds.scores[(ds.scores["school_id"] == victim["school_id"]) & (ds.scores["school_year"] == 2022)]
    assert lm.loc["test_takers", "n_missing"] == (~takers["absent"].astype(bool) & takers["score"].notna()).sum() > 0
    assert list(r.schools_without_locale["school_id"]) == [str(victim["school_id"])]
    assert r.figures()["equity.locale_missing.schools"].value == 1
    assert "eq_locale_missing" in {u.reason for u in r.unavailable}
    # the locale comparisons still run, over the schools that have a locale
    assert len(r.resource_gaps) and len(r.inequality)


def test_settings_are_used(ds):
    r = equity.analyse(ds, county="连云区", school_year=2022, settings=Settings(min_cell_size=2000))
    g = r.gaps
    assert g["suppressed"].any() and g.loc[g["suppressed"], "mean"].isna().all()
    assert (g.loc[g["suppressed"], "n_display"].isin(["<2000", "*"])).all()
    r90 = equity.analyse(ds, county="连云区", school_year=2022, settings=Settings(confidence_level=0.90))
    a = r90.headline_gaps.iloc[0]
    b = equity.analyse(ds, county="连云区", school_year=2022).headline_gaps.iloc[0]
    assert a["difference"] == b["difference"] and (a["ci_high"] - a["ci_low"]) < (b["ci_high"] - b["ci_low"])


def test_composition_suppression_states(ganyu):
    c = ganyu.composition
    assert set(c["n_state"]) <= {"shown", "primary", "secondary"}
    shown = c[c["n_state"] == "shown"]
    assert shown["n"].notna().all() and c.loc[c["n_state"] != "shown", "n"].isna().all()
    # margins add up: each locale's total is the sum of its groups
    m = c[(c["variable"] == "migrant") & (c["locale"] == "urban")].set_index("group")["n"]
    assert m["total"] == m["True"] + m["False"]


def test_for_school(ganyu):
    sid = ganyu.school_sections["school_id"].iloc[0]
    d = ganyu.for_school(sid)
    assert set(d["sections"]["school_id"]) == {sid} and len(d["staffing_gaps"]) == len(ganyu.staffing_gaps)


def test_errors(ds):
    with pytest.raises(KeyError, match="not in the data"):
        equity.analyse(ds, county="火星区", school_year=2022)
    with pytest.raises(ValueError, match="1990"):
        equity.analyse(ds, county="连云区", school_year=1990)


def test_a_county_with_nothing_to_compare_round_trips_and_says_why(tmp_path):
    ca = load_dataset("caschools")
    r = equity.analyse(ca, county="Alameda", school_year=1999)  # too few districts for a poverty gap
    assert r.headline_gaps.empty and [u.reason for u in r.unavailable] == ["eq_too_few_units"]
    store.save(r, tmp_path / "a")
    back = store.load(tmp_path / "a")
    assert back.unavailable == r.unavailable and back.headline_gaps.empty and len(back.coverage) == 6
