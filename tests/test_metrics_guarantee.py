"""Government-guarantee checks and monitoring-point compliance, hand-worked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lyganalysis.metrics.guarantee import (
    class_size_band_counts,
    class_size_check,
    example_monitoring_points,
    guarantee_checks,
    monitoring_compliance,
    music_art_rooms_check,
    school_size_check,
)


def _school(sid, typ, p=0, j=0, s=0, cp=0, cj=0, mp=None, mj=None, music=1, art=1):
    return dict(school_year=2022, school_id=sid, school_name=f"学校{sid[-2:]}", county="赣榆区", school_type=typ,
                students_primary=p, students_junior=j, students_senior=s, classes_primary=cp, classes_junior=cj,
                max_class_size_primary=mp if mp is not None else pd.NA,
                max_class_size_junior=mj if mj is not None else pd.NA, music_rooms=music, art_rooms=art)


def _frame(rows):
    df = pd.DataFrame(rows)
    for c in df.columns:
        if c.startswith(("students_", "classes_", "max_class", "music", "art")):
            df[c] = df[c].astype("Int64")
    return df


@pytest.fixture
def schools():
    return _frame([
        _school("01", "primary", p=2001, cp=45, mp=46, music=3, art=4),        # too big; 46 > 45; 4 rooms needed
        _school("02", "nine_year", p=1700, j=800, cp=38, cj=16, mp=45, mj=56, music=5, art=4),  # 2500 ok
        _school("03", "twelve_year", p=1800, j=800, s=900, cp=40, cj=16, mp=40, mj=50, music=5, art=5),  # 2600 > 2500
        _school("04", "junior", j=600, cj=12, mj=66, music=1, art=0),
        _school("05", "kindergarten"),
        _school("06", "complete_middle", j=1900, s=1500, cj=38, mj=41, music=4, art=4),
    ])


def test_school_size_2000_and_2500(schools):
    out = school_size_check(schools).set_index("school_id")
    assert "05" not in out.index  # kindergartens are not checked
    assert out.loc["01", "limit"] == 2000 and not out.loc["01", "within"] and out.loc["01", "excess"] == 1
    assert out.loc["02", "limit"] == 2500 and out.loc["02", "within"] and out.loc["02", "students"] == 2500
    assert out.loc["03", "students"] == 2600 and not out.loc["03", "within"] and out.loc["03", "excess"] == 100
    assert out.loc["06", "students"] == 1900 and out.loc["06", "within"]  # compulsory (junior) part only


def test_class_size_every_class_via_the_largest(schools):
    out = class_size_check(schools).set_index(["school_id", "stage"])
    assert not out.loc[("01", "primary"), "within"] and out.loc[("01", "primary"), "excess"] == 1
    assert out.loc[("02", "primary"), "within"]            # 45 ≤ 45
    assert not out.loc[("02", "junior"), "within"]         # 56 > 50
    assert out.loc[("03", "junior"), "within"]             # 50 ≤ 50
    assert out.loc[("01", "primary"), "mean_class_size"] == pytest.approx(2001 / 45)
    assert [out.loc[(s, st), "band"] for s, st in [("01", "primary"), ("02", "junior"), ("04", "junior"),
                                                   ("03", "primary")]] == [
        "moderately_large_class", "large_class", "super_large_class", "normal"]
    js = class_size_check(schools, rule="jiangsu").set_index(["school_id", "stage"])
    assert js.loc[("02", "primary"), "limit"] == 40 and not js.loc[("02", "primary"), "within"]
    assert js.loc[("06", "junior"), "limit"] == 45 and js.loc[("06", "junior"), "within"]  # 41 ≤ 45
    assert not js.loc[("03", "junior"), "within"]  # 50 > 45
    with pytest.raises(ValueError, match="jiangsu"):
        class_size_check(schools, rule="shanghai")


def test_class_size_band_counts_are_of_schools(schools):
    bands = class_size_band_counts(class_size_check(schools)).set_index(["stage", "band"])
    assert bands.loc[("junior", "normal"), "n_schools"] == 1        # 41
    assert bands.loc[("junior", "moderately_large_class"), "n_schools"] == 1  # 50: within 50 but 偏大班额
    assert bands.loc[("junior", "large_class"), "n_schools"] == 1   # 56
    assert bands.loc[("junior", "super_large_class"), "n_schools"] == 1  # 66
    assert bands.loc[("junior", "super_large_class"), "share_of_schools"] == pytest.approx(0.25)
    assert bands.loc[("primary", "moderately_large_class"), "n_schools"] == 1


def test_missing_largest_class_is_not_recorded(schools):
    df = schools.copy()
    df.loc[df["school_id"] == "04", "max_class_size_junior"] = pd.NA
    out = class_size_check(df).set_index(["school_id", "stage"])
    assert pd.isna(out.loc[("04", "junior"), "within"])
    assert class_size_band_counts(class_size_check(df)).query("stage == 'junior'")["n_not_recorded"].iloc[0] == 1


def test_music_art_rooms_per_12_classes(schools):
    out = music_art_rooms_check(schools).set_index("school_id")
    # 45 classes → ⌈45/12⌉ = 4 rooms each; 3 music rooms → lacks 1
    assert out.loc["01", "rooms_required"] == 4
    assert out.loc["01", "music_shortfall"] == 1 and not out.loc["01", "music_ok"] and out.loc["01", "art_ok"]
    assert not out.loc["01", "within"]
    assert out.loc["02", "rooms_required"] == 5 and out.loc["02", "art_shortfall"] == 1  # 54 classes
    assert out.loc["04", "rooms_required"] == 1 and out.loc["04", "art_shortfall"] == 1  # 12 classes exactly
    assert out.loc["06", "rooms_required"] == 4  # 38 junior classes (compulsory part)


def test_guarantee_summary_and_unavailable(schools):
    g = guarantee_checks(schools)
    s = g.summary.set_index("item")
    assert s.loc["school_size", "n_schools"] == 5 and s.loc["school_size", "n_within"] == 3
    assert not s.loc["school_size", "all_within"]
    assert s.loc["class_size_junior", "n_within"] == 2  # 50 and 41
    items = {u["item"] for u in g.unavailable}
    assert {"class_size_band_class_counts", "music_art_room_area"} <= items


def test_monitoring_compliance_hand_worked():
    points = pd.DataFrame({"point": [f"p{i}" for i in range(10)], "threshold": [1.0] * 9 + [40.0],
                           "direction": ["min"] * 9 + ["max"]})
    rows = []
    # school A meets all 10; B meets 9 (p0 fails); C meets 8; D meets 9 of 9 with p9 missing
    for sid, fails, missing in (("A", set(), set()), ("B", {"p0"}, set()), ("C", {"p0", "p9"}, set()),
                                ("D", set(), {"p9"})):
        for i in range(10):
            p = f"p{i}"
            good = 2.0 if i < 9 else 35.0
            bad = 0.5 if i < 9 else 45.0
            rows.append({"school_id": sid, "point": p, "value": np.nan if p in missing else (bad if p in fails else good)})
    values = pd.DataFrame(rows)
    r = monitoring_compliance(values, points)
    sch = r.schools.set_index("school_id")
    assert sch["share_met"].to_dict() == pytest.approx({"A": 1.0, "B": 0.9, "C": 0.8, "D": 0.9})
    assert sch["meets_cut"].to_dict() == {"A": True, "B": True, "C": False, "D": True}
    assert r.share_of_schools == pytest.approx(0.75) and r.target == 0.70 and r.meets_target
    ex = monitoring_compliance(values, points, missing="exclude").schools.set_index("school_id")
    assert ex.loc["D", "share_met"] == 1.0 and ex.loc["D", "n_missing"] == 1
    strict = monitoring_compliance(values, points, target=0.8)
    assert not strict.meets_target
    # exactly at the threshold counts as met, both directions
    edge = monitoring_compliance(pd.DataFrame({"school_id": ["E", "E"], "point": ["p0", "p9"], "value": [1.0, 40.0]}),
                                 points)
    assert edge.schools["share_met"].iloc[0] == 1.0


def test_monitoring_stage_specific_points_and_errors():
    points = pd.DataFrame({"point": ["L4", "L4", "rooms"], "stage": ["primary", "junior", None],
                           "threshold": [4.5, 5.8, 1.0], "direction": ["min", "min", "min"]})
    values = pd.DataFrame({"school_id": ["S", "S", "S"], "stage": ["primary", "junior", None],
                           "point": ["L4", "L4", "rooms"], "value": [5.0, 5.0, 1.0]})
    r = monitoring_compliance(values, points)
    assert r.schools.iloc[0]["n_points"] == 3 and r.schools.iloc[0]["n_met"] == 2  # junior 5.0 < 5.8
    with pytest.raises(ValueError, match="not in the point list"):
        monitoring_compliance(values.assign(point="zz"), points)
    with pytest.raises(ValueError, match="direction"):
        monitoring_compliance(values, points.assign(direction="up"))


def test_example_points_file_is_labelled_example():
    pts = example_monitoring_points()
    assert {"point", "threshold", "direction", "stage"} <= set(pts.columns)
    assert pts["source_note"].str.contains("示例|EXAMPLE").all()
    assert set(pts["direction"]) == {"min", "max"}
