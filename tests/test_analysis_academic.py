"""The academic analysis layer (lyganalysis.analysis.academic): result objects, grouped pass, hand-worked cases.

Sources of the reference values: Student's t quantiles t(0.975, 2) = 4.302653 and t(0.95, 2) = 2.919986
(any t table, e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2); the rest are hand-worked on invented data below or
recomputed with the metrics functions called directly.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from lyganalysis.analysis import academic as A
from lyganalysis.analysis import store
from lyganalysis.analysis.base import NotComputed
from lyganalysis.datasets import Dataset, load_dataset
from lyganalysis.metrics.academic import three_rates_one_score
from lyganalysis.settings import DatasetProfile, Settings

YEAR = 2022


@pytest.fixture(scope="module")
def every(all_counties):
    """All demo counties in one grouped pass (computed once per session, tests/conftest.py)."""
    return all_counties("academic", school_year=YEAR)


# ------------------------------------------------------------------------------------------ invented data
def _tiny_dataset(*, prior: bool = True, n_schools: int = 6, previous: bool = True) -> Dataset:
    """One county, ``n_schools`` schools of grade 6 math; school s0 has 3 takers, the others 20–30.

    Scores are fixed (no randomness) so that the figures can be worked by hand.
    """
    schools, rows = [], []
    years = [YEAR - 1, YEAR] if previous else [YEAR]
    for y in years:
        for j in range(n_schools):
            sid = f"S{j}"
            schools.append({"school_year": y, "school_id": sid, "school_name": f"<School {j} & \"co\">",
                            "county": "T县", "county_code": "320000"})
            n = 3 if j == 0 else 20 + 2 * j
            for i in range(n):
                score = 50.0 + 5 * j + (i % 5) * 4 - (3 if y == YEAR and j == 5 else 0)
                rows.append({"school_year": y, "exam": f"{y}-G6", "grade": 6, "subject": "math", "school_id": sid,
                             "score": min(score, 100.0), "full_marks": 100.0, "absent": False,
                             "prior_score": (score - 5 + (i % 3)) if prior else np.nan})
    scores = pd.DataFrame(rows)
    # one absent student in S1 this year
    scores.loc[(scores.school_id == "S1") & (scores.school_year == YEAR), "absent"] = \
        [True] + [False] * (int(((scores.school_id == "S1") & (scores.school_year == YEAR)).sum()) - 1)
    # and one in S0 (3 listed: 2 takers, withheld)
    s0 = scores.index[(scores.school_id == "S0") & (scores.school_year == YEAR)]
    scores.loc[s0[0], "absent"] = True
    scores.loc[scores.absent, "score"] = np.nan
    return Dataset(name="tiny", schools=pd.DataFrame(schools), teachers=None, scores=scores, county_facts=None,
                   school_results=None, simulated=True, language="zh", description="invented")


# ------------------------------------------------------------------------------------------ hand-worked
def test_school_interval_is_student_t_hand_worked():
    df = pd.DataFrame({"school_id": "a", "score": [60.0, 70.0, 80.0], "full_marks": 100.0, "absent": False})
    tab = A.school_table(df, by=["school_id"], settings=Settings())
    r = tab.iloc[0]
    assert r["mean_score"] == 70.0 and r["sd_score"] == pytest.approx(10.0)
    half = 4.302653 * 10 / math.sqrt(3)  # t(0.975, 2) from a t table
    assert r["ci_low"] == pytest.approx(70 - half, rel=1e-6) and r["ci_high"] == pytest.approx(70 + half, rel=1e-6)
    r90 = A.school_table(df, by=["school_id"], settings=Settings(confidence_level=0.90)).iloc[0]
    assert r90["ci_high"] - 70 == pytest.approx(2.919986 * 10 / math.sqrt(3), rel=1e-6)
    # one test-taker: no interval (never a made-up one)
    one = A.school_table(df.iloc[:1], by=["school_id"], settings=Settings()).iloc[0]
    assert math.isnan(one["ci_low"]) and math.isnan(one["ci_high"])


def test_tiny_county_hand_worked():
    ds = _tiny_dataset()
    r = A.analyse(ds, county="T县", school_year=YEAR)
    assert r.source == "student_scores" and r.previous_year == YEAR - 1
    assert list(r.blocks["block"]) == ["6.math"]
    cr = r.county_results.iloc[0]
    cur = ds.scores[ds.scores.school_year == YEAR]
    taken = cur[~cur.absent]
    assert cr["n_takers"] == len(taken) and cr["n_absent"] == 2
    assert cr["mean_score"] == pytest.approx(taken.score.mean(), rel=1e-12)
    assert cr["pass_rate"] == pytest.approx((taken.score >= 60).mean(), rel=1e-12)
    assert cr["n_schools"] == 6
    # school S0 has 2 takers (< min_cell_size 5): everything withheld, the counts too
    s = r.schools.set_index("school_id")
    assert bool(s.loc["S0", "suppressed"]) and pd.isna(s.loc["S0", "n_takers"]) and pd.isna(s.loc["S0", "n_students"])
    assert pd.isna(s.loc["S0", "n_absent"]) and s.loc["S1", "n_absent"] == 1
    assert all(pd.isna(s.loc["S0", c]) for c in ("mean_score", "ci_low", "pass_rate", "va_effect", "ratio_score"))
    # S3: 26 takers with scores 65 + (i % 5)·4 → mean 65 + 4·(Σ(i%5) over 26)/26
    i = np.arange(26)
    assert s.loc["S3", "mean_score"] == pytest.approx(65 + 4 * (i % 5).mean(), rel=1e-12)
    # change since last year: S5 lost 3 points on every student, the others none
    assert s.loc["S5", "mean_score_change"] == pytest.approx(-3.0, abs=1e-9)
    assert s.loc["S4", "mean_score_change"] == pytest.approx(0.0, abs=1e-9)
    # 比率分: the best school scores 40 on the mean part
    assert s["mean_ratio"].max() == pytest.approx(1.0)
    # value-added: all 6 schools have prior scores (S0 too, with 3 rows) → computed
    m = r.value_added_models.iloc[0]
    assert m["status"] == "computed" and m["n_schools"] == 6 and m["reason"] == ""
    # early warning: S0 withheld (n < 5), others below min_n=20 are "too_small"
    ew = r.early_warning
    assert set(ew.loc[ew.school_id == "S0", "reason"]) == {"withheld"}
    assert ew.loc[ew.school_id == "S0", ["value", "observed"]].isna().all().all()
    assert ew.loc[(ew.school_id == "S1") & (ew.rule == "mean_below_county"), "reason"].iloc[0] in (
        "flagged", "not_flagged")


def test_refusals_are_codes_with_parameters():
    r = A.analyse(_tiny_dataset(), county="T县", school_year=YEAR, settings=Settings(value_added_min_schools=7,
                                                                                    icc_min_schools=7))
    m = r.value_added_models.iloc[0]
    assert m["status"] == "refused" and m["reason"] == "too_few_schools" and m["n_schools_usable"] == 6
    assert pd.isna(m["tau00"]) and r.value_added_schools.empty and r.schools["va_effect"].isna().all()
    codes = {u.reason: u for u in r.unavailable}
    assert codes["aca_va_too_few_schools"].params == {"block": "6.math", "grade": 6, "subject": "math",
                                                      "n_schools": 6, "min_schools": 7}
    assert codes["aca_icc_too_few_schools"].params["min_schools"] == 7
    assert math.isnan(r.county_results["icc1"].iloc[0])
    va_rule = r.early_warning[(r.early_warning.rule == "value_added_below_zero") & ~r.early_warning.small]
    assert (va_rule["reason"] == "value_added_not_computed").all()
    none = A.analyse(_tiny_dataset(prior=False), county="T县", school_year=YEAR)
    assert none.value_added_models["reason"].iloc[0] == "no_prior_scores"
    assert "aca_va_no_prior_scores" in {u.reason for u in none.unavailable}
    first = A.analyse(_tiny_dataset(previous=False), county="T县", school_year=YEAR)
    assert first.previous_year is None and "aca_no_previous_year" in {u.reason for u in first.unavailable}
    pr = first.early_warning[first.early_warning.rule == "pass_rate_drop"]
    assert set(pr["reason"]) <= {"no_previous", "withheld"} and not pr["assessed"].any()
    assert first.schools["mean_score_change"].isna().all()


def test_settings_reach_the_rules():
    ds = _tiny_dataset()
    loose = A.analyse(ds, county="T县", school_year=YEAR, settings=Settings(early_warning_min_n=5,
                                                                           early_warning_k_sd=0.5))
    strict = A.analyse(ds, county="T县", school_year=YEAR, settings=Settings(early_warning_min_n=5,
                                                                            early_warning_k_sd=3.0))
    def f(r):
        return set(r.early_warning.loc[r.early_warning.flagged & (r.early_warning.rule == "mean_below_county"),
                                       "school_id"])
    assert f(strict) <= f(loose) and f(loose)
    assert loose.min_n_effective == 5 and loose.parameters["k_sd"] == 0.5
    assert set(loose.early_warning["threshold"][loose.early_warning.rule == "mean_below_county"]) == {-0.5}
    # cut-offs: a pass cut of 0.9 changes the pass rate
    hi = A.analyse(ds, county="T县", school_year=YEAR, settings=Settings(pass_cut=0.9))
    assert hi.county_results["pass_rate"].iloc[0] < loose.county_results["pass_rate"].iloc[0]


# ------------------------------------------------------------------------------------------ the demo
def test_grouped_pass_equals_one_county(demo, every):
    assert list(every) == demo.counties()
    for county in ("赣榆区", "徐圩新区"):
        one = A.analyse(demo, county=county, school_year=YEAR)
        for name, frame in one.tables().items():
            pd.testing.assert_frame_equal(frame, every[county].tables()[name], check_exact=False, rtol=1e-12,
                                          obj=f"{county}.{name}")
        assert one.unavailable == every[county].unavailable


def test_one_table_per_school_with_library_values(demo, every):
    r = every["赣榆区"]
    ids = set(demo.schools.loc[demo.schools.county == "赣榆区", "school_id"])
    sc = demo.scores[(demo.scores.school_year == YEAR) & demo.scores.school_id.isin(ids) & (demo.scores.grade == 9)
                     & (demo.scores.subject == "math")]
    direct = three_rates_one_score(sc, by="school_id").set_index("school_id")
    mine = r.schools[r.schools.block == "9.math"].set_index("school_id")
    shown = mine[~mine.suppressed]
    np.testing.assert_allclose(shown["mean_score"], direct.loc[list(shown.index), "mean_score"], rtol=1e-12)
    assert (shown["ci_low"] < shown["mean_score"]).all() and (shown["mean_score"] < shown["ci_high"]).all()
    assert r.schools.duplicated(["block", "school_id"]).sum() == 0
    # change since last year against the previous year's table computed directly
    prev = demo.scores[(demo.scores.school_year == YEAR - 1) & demo.scores.school_id.isin(ids)
                       & (demo.scores.grade == 9) & (demo.scores.subject == "math")]
    pdirect = three_rates_one_score(prev, by="school_id").set_index("school_id")
    both = [s for s in shown.index if s in pdirect.index and pdirect.loc[s, "n_takers"] >= 5]
    np.testing.assert_allclose(shown.loc[both, "mean_score_change"],
                               shown.loc[both, "mean_score"] - pdirect.loc[both, "mean_score"], rtol=1e-12)


def test_figures_and_headline(demo, every):
    f = every["赣榆区"].figures()
    assert {"academic.headline_mean", "academic.headline_icc", "academic.n_warnings",
            "academic.mean_score.6.chinese", "academic.icc.9.math"} <= set(f)
    assert f["academic.headline_mean"].value == f["academic.mean_score.6.chinese"].value  # first grade × subject
    assert f["academic.n_warnings"].value == every["赣榆区"].early_warning.query("flagged").school_id.nunique()
    assert f["academic.icc.9.math"].kind == "icc" and f["academic.headline_mean"].params["grade"] == 6
    # tiny counties: no ICC figure, never a made-up one
    assert not any(k.startswith("academic.icc.") for k in every["云台山景区"].figures())
    ca = load_dataset("caschools")
    la = A.analyse(ca, county="Los Angeles", school_year=1999)
    assert la.source == "school_results" and la.headline_block == "testscr"
    assert la.figures()["academic.headline_mean"].params["subject"] == "testscr"
    assert "academic.n_warnings" not in la.figures()
    # the headline subject comes from the profile, not from the dataset's name
    other = dataclasses.replace(ca, name="caschools", profile=DatasetProfile(standards="none", headline_subject="math"))
    assert A.analyse(other, county="Los Angeles", school_year=1999).headline_block == "math"


def test_for_school(every):
    r = every["赣榆区"]
    sid = r.warning_schools["school_id"].iloc[0]
    page = r.for_school(sid)
    assert set(page) == {"attainment", "value_added", "warnings", "subjects"}
    att = page["attainment"]
    assert len(att) == len(r.schools[r.schools.school_id == sid])
    np.testing.assert_allclose(att["mean_score_vs_county"], att["mean_score"] - att["county_mean_score"])
    assert len(page["warnings"]) == r.warning_schools.set_index("school_id").loc[sid, "n_flags"]
    with pytest.raises(KeyError):
        r.for_school("no-such-school")


def test_results_hold_codes_not_text(every):
    r = every["赣榆区"]
    for frame, col in ((r.early_warning, "reason"), (r.value_added_models, "reason"), (r.early_warning, "rule")):
        assert not frame[col].str.contains(" ").any()
    assert all(isinstance(u, NotComputed) and u.reason.startswith("aca_") for u in every["徐圩新区"].unavailable)
    assert "language" not in {f.name for f in dataclasses.fields(r)}


def test_store_round_trip(tmp_path, every):
    r = every["徐圩新区"]
    store.save(r, tmp_path / "aca")
    back = store.load(tmp_path / "aca")
    assert isinstance(back, A.AcademicResult)
    for name, frame in r.tables().items():
        pd.testing.assert_frame_equal(frame, back.tables()[name], check_dtype=False, obj=name)
    assert back.unavailable == r.unavailable and back.parameters == r.parameters
    assert back.figures().keys() == r.figures().keys()


def test_no_scores_at_all(demo):
    ds = dataclasses.replace(demo, scores=None)
    r = A.analyse(ds, county="赣榆区", school_year=YEAR)
    assert r.source == "none" and r.schools.empty and r.figures() == {}
    assert [u.reason for u in r.unavailable] == ["aca_no_scores"]
    with pytest.raises(KeyError):
        A.analyse(demo, county="不存在区", school_year=YEAR)


# ------------------------------------------------------------------------------------------ properties


@hsettings(max_examples=40, deadline=None)
@given(scores=st.lists(st.floats(0, 100, allow_nan=False), min_size=2, max_size=40),
       level=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_interval_is_symmetric_contains_the_mean_and_widens_with_the_level(scores, level):
    df = pd.DataFrame({"school_id": "a", "score": scores, "full_marks": 100.0, "absent": False})
    lo = A.school_table(df, by=["school_id"], settings=Settings(confidence_level=level)).iloc[0]
    hi = A.school_table(df, by=["school_id"], settings=Settings(confidence_level=0.999)).iloc[0]
    m = float(np.mean(scores))
    assert lo["mean_score"] == pytest.approx(m, abs=1e-9)
    assert lo["ci_low"] <= m + 1e-9 and m - 1e-9 <= lo["ci_high"]
    assert (lo["ci_high"] - m) == pytest.approx(m - lo["ci_low"], abs=1e-7)
    assert hi["ci_high"] - hi["ci_low"] >= lo["ci_high"] - lo["ci_low"] - 1e-9
    # the t interval is never narrower than the normal one (what the old summary printed)
    from scipy import stats
    sd = float(np.std(scores, ddof=1))
    z_half = stats.norm.ppf(0.5 + level / 2) * sd / math.sqrt(len(scores))
    assert lo["ci_high"] - m >= z_half - 1e-9
