"""Coverage against the city targets, with denominators and small-cell suppression (metrics.coverage)."""

import json

import numpy as np
import pandas as pd
import pytest

from lyganalysis.metrics import coverage as cv
from lyganalysis.privacy import recoverable_cells


@pytest.fixture(scope="module")
def ds(demo):
    return demo


FACTS = pd.DataFrame({"county": ["A"], "disabled_children_school_age": [100], "disabled_placed_regular_class": [70],
                      "disabled_placed_special_school": [20], "disabled_placed_home_teaching": [8],
                      "preschool_age_children": [1000], "migrant_children": [200], "migrant_children_public": [160]})


def test_verdict_boundaries():
    assert cv.verdict(0.98, 0.98) == "met"
    assert cv.verdict(0.93, 0.98) == "close"  # exactly 5 points below
    assert cv.verdict(0.9299, 0.98) == "not_met"
    assert cv.verdict(0.97, 0.98, close_within=0.0) == "not_met"
    assert cv.verdict(float("nan"), 0.98) == "not_measurable"
    assert cv.verdict(0.4, 0.5, direction="max") == "met"


def test_disabled_measures_hand_worked():
    p = cv.disabled_placement_rate(FACTS)
    assert (p.numerator, p.denominator, p.rate, p.target, p.verdict) == (98, 100, pytest.approx(0.98), 0.98, "met")
    assert "school-age disabled children" in p.denominator_definition and "[U]" in p.denominator_definition
    o = cv.disabled_ordinary_school_share(FACTS)
    assert (o.numerator, o.denominator) == (70, 98) and o.rate == pytest.approx(70 / 98) and o.verdict == "not_met"
    o2 = cv.disabled_ordinary_school_share(FACTS, home_teaching_as_ordinary=True)
    assert o2.rate == pytest.approx(78 / 98) and o2.verdict == "close"
    o3 = cv.disabled_ordinary_school_share(FACTS, denominator="in_school")
    assert o3.rate == pytest.approx(70 / 90)
    with pytest.raises(ValueError):
        cv.disabled_ordinary_school_share(FACTS, home_teaching_as_ordinary=True, denominator="in_school")
    m = cv.migrant_public_school_share(FACTS)
    assert m.rate == pytest.approx(0.8) and m.verdict == "close"


def test_kindergarten_measures_hand_worked():
    k = pd.DataFrame({"school_type": ["kindergarten"] * 4 + ["primary"], "ownership": ["public", "private", "private", "private", "public"],
                      "affordable_kindergarten": pd.array([True, True, False, pd.NA, pd.NA], dtype="boolean"),
                      "quality_kindergarten": pd.array([True, False, True, False, pd.NA], dtype="boolean"),
                      "students_preschool": [100, 50, 40, 10, 0]})
    a = cv.public_affordable_kindergarten_coverage(k)
    assert (a.numerator, a.denominator) == (150, 200) and a.rate == 0.75 and a.verdict == "not_met"
    assert "unknown" in a.reason  # the NA flag counted as not affordable, and said so
    q = cv.quality_kindergarten_coverage(k)
    assert q.rate == pytest.approx(0.7)
    q2 = cv.quality_kindergarten_coverage(k, FACTS, denominator="age_population")
    assert (q2.numerator, q2.denominator) == (140, 1000)
    s = cv.public_kindergarten_share(k)
    assert s.rate == 0.5 and s.verdict == "met"


def test_not_measurable_cases():
    bad = FACTS.assign(disabled_placed_regular_class=200)
    assert cv.disabled_placement_rate(bad).verdict == "not_measurable"
    na = FACTS.astype({"migrant_children": "Int64"}).assign(migrant_children=pd.array([pd.NA], dtype="Int64"))
    r = cv.migrant_public_school_share(na)
    assert r.verdict == "not_measurable" and "lack" in r.reason
    json.dumps(r.to_dict(), allow_nan=False)


def test_coverage_table_demo(ds):
    t = cv.coverage_table(ds, school_year=2022)
    assert set(t["key"]) == set(cv.MEASURES)
    assert set(t["unit"]) == set(ds.counties()) | {"全市"}
    rates = t["rate"].dropna()
    assert ((rates >= 0) & (rates <= 1)).all()
    assert set(t["verdict"]) <= set(cv.VERDICTS)
    shown = t[t["rate"].notna()]
    assert np.allclose(shown["rate"], shown["numerator"] / shown["denominator"])
    city = t[t["is_city"]].set_index("key")
    assert city.loc["public_kindergarten_share", "denominator"] == \
        t[~t["is_city"] & (t["key"] == "public_kindergarten_share")]["denominator"].sum()


def test_coverage_table_small_cells_not_recoverable(ds):
    k = 5
    t = cv.coverage_table(ds, school_year=2022, min_cell_size=k)
    for key in cv.MEASURES:
        sub = t[(t["key"] == key) & ~t["is_city"]]
        withheld = sub[sub["suppressed"]]
        assert len(withheld) != 1  # one withheld unit alone would follow from the city total
        assert withheld["numerator"].isna().all() and withheld["rate"].isna().all()
        assert (withheld["verdict"] == "withheld").all()
    # disabled placement: units × (placed, not placed) with the city totals public
    sub = t[(t["key"] == "disabled_placement_rate") & ~t["is_city"] & t["denominator"].notna()]
    assert {"云台山景区", "徐圩新区"} <= set(sub.loc[sub["suppressed"], "unit"])
    r = len(sub)
    w = np.zeros((r + 1, 3), dtype=bool)
    w[:r, 0] = w[:r, 1] = sub["suppressed"].to_numpy()
    assert not recoverable_cells(w).any()
    # the shared count (placed) is not shown as the second measure's denominator either
    o = t[(t["key"] == "disabled_ordinary_school_share") & t["unit"].isin(sub.loc[sub["suppressed"], "unit"])]
    assert o["denominator"].isna().all() and o["suppressed"].all()


def test_reasons_are_codes_a_report_can_translate():
    # hand-worked: 70 of 98 placed children in regular classes; no stage split → code no_stage_split
    c = cv.disabled_ordinary_school_share(FACTS)
    assert c.rate == pytest.approx(70 / 98) and c.reason_code == "no_stage_split"
    lacking = cv.disabled_placement_rate(FACTS.drop(columns=["disabled_placed_home_teaching"]))
    assert np.isnan(lacking.rate) and lacking.reason_code == "lacks_counts"
    zero = cv.migrant_public_school_share(FACTS.assign(migrant_children=0, migrant_children_public=0))
    assert zero.verdict == "not_measurable" and zero.reason_code == "denominator_zero"
    bad = cv.migrant_public_school_share(FACTS.assign(migrant_children_public=300))
    assert bad.reason_code == "inconsistent"
    k = pd.DataFrame({"school_type": "kindergarten", "students_preschool": [100, 50, 30],
                      "ownership": ["public", "private", "private"], "affordable_kindergarten": [True, None, False],
                      "quality_kindergarten": [True, False, None]})
    pa = cv.public_affordable_kindergarten_coverage(k)
    assert pa.rate == pytest.approx(100 / 180) and pa.reason_code == "unknown_flag" and pa.n_unknown == 1
    assert set(cv.REASON_CODES) >= {"lacks_counts", "withheld_small", "city_partial"}


def test_coverage_table_codes_withheld_and_city_partial(ds):
    t = cv.coverage_table(ds, school_year=2022, min_cell_size=5)
    assert t["suppressed"].sum() > 0
    assert (t.loc[t["suppressed"], "reason_code"].str.startswith("withheld_small")).all()
    for codes in t["reason_code"]:
        assert set(filter(None, codes.split(";"))) <= set(cv.REASON_CODES)
    assert (t.loc[~t["is_city"], "units_lacking"] == "").all()
    city = t[t["is_city"]].set_index("key")
    lacking = city.loc["disabled_placement_rate", "units_lacking"]
    assert lacking and "city_partial" in city.loc["disabled_placement_rate", "reason_code"]
    assert set(lacking.split(", ")) <= set(ds.counties())
