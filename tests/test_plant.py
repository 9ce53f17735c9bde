"""Planted truths (lyganalysis.datasets.plant): the staffing analyses find exactly what was planted."""

from __future__ import annotations

import pandas as pd
import pytest

from lyganalysis.datasets.plant import (
    plant_age_bulge,
    plant_backbone_concentration,
    plant_subject_shortage,
    rederive_school_counts,
)
from lyganalysis.metrics import staffing as S

COUNTY = "连云区"
YEAR = 2022


@pytest.fixture(scope="module")
def ds(demo):  # the session's demo (tests/conftest.py)
    return demo.for_county(COUNTY)


def _consistent(d):
    """The schools table's derived counts equal those recomputed from the teachers table."""
    again = rederive_school_counts(d.schools, d.teachers, school_year=YEAR)
    cols = [c for c in d.schools.columns if c.startswith(("teachers_", "backbone_teachers_", "pe_arts_teachers_",
                                                         "above_required_qualification_"))]
    pd.testing.assert_frame_equal(d.schools[cols], again[cols])


def test_rederive_is_identity_on_the_demo(ds):
    _consistent(ds)


def test_plant_subject_shortage(ds):
    before = S.missing_specialists(ds.teachers, ds.schools, school_year=YEAR).set_index("school_id")
    has_music = before[before["n_music"] > 0].index
    sid = sorted(has_music)[0]
    n_music = int(before.loc[sid, "n_music"])
    d = plant_subject_shortage(ds, sid, "music")
    _consistent(d)
    after = S.missing_specialists(d.teachers, d.schools, school_year=YEAR).set_index("school_id")
    assert "music" in after.loc[sid, "missing"] and after.loc[sid, "n_music"] == 0
    assert after.loc[sid, "teachers"] == before.loc[sid, "teachers"] - n_music
    others = after.index != sid
    assert after.loc[others, "missing"].tolist() == before.loc[others, "missing"].tolist()
    s22 = d.schools[(d.schools.school_year == YEAR) & (d.schools.school_id == sid)].iloc[0]
    o22 = ds.schools[(ds.schools.school_year == YEAR) & (ds.schools.school_id == sid)].iloc[0]
    total = lambda r: sum(int(r[f"teachers_{st}"]) for st in ("primary", "junior", "senior", "preschool", "special"))  # noqa
    assert total(s22) == total(o22) - n_music
    with pytest.raises(ValueError, match="nothing to plant"):
        plant_subject_shortage(d, sid, "music")
    assert len(ds.teachers) == len(d.teachers) + n_music  # input unchanged


@pytest.mark.parametrize("share", [0.0, 0.125, 0.6])
def test_plant_age_bulge(ds, share):
    d = plant_age_bulge(ds, COUNTY, share)
    _consistent(d)
    sh = S.age_structure(d.teachers, school_year=YEAR, by=None).shares.iloc[0]
    n = int(sh["teachers"])
    assert int(sh["n_50_plus"]) == int(share * n + 0.5)
    assert sh["share_50_plus"] == pytest.approx(int(share * n + 0.5) / n, abs=0)
    # the other year is untouched
    pd.testing.assert_frame_equal(d.teachers[d.teachers.school_year == 2021], ds.teachers[ds.teachers.school_year == 2021])


@pytest.mark.parametrize("share", [0.2, 0.9])
def test_plant_backbone_concentration(ds, share):
    base = S.backbone_concentration(ds.teachers, ds.schools, school_year=YEAR)
    B = int(base.by_locale.query("stage == 'all'")["backbone_teachers"].sum())
    d = plant_backbone_concentration(ds, COUNTY, share)
    _consistent(d)
    b = S.backbone_concentration(d.teachers, d.schools, school_year=YEAR)
    allrows = b.by_locale[b.by_locale["stage"] == "all"].set_index("locale")
    m = int(share * B + 0.5)
    assert int(allrows["backbone_teachers"].sum()) == B
    assert int(allrows.loc["urban", "backbone_teachers"]) == m
    assert allrows.loc["urban", "backbone_share"] == pytest.approx(m / B)
    # the schools table's L2 numerators agree with the analysis
    s22 = d.schools[d.schools.school_year == YEAR]
    assert int(s22["backbone_teachers_primary"].sum() + s22["backbone_teachers_junior"].sum()) == B


def test_plant_errors(ds):
    with pytest.raises(ValueError):
        plant_age_bulge(ds, COUNTY, 1.5)
    with pytest.raises(ValueError, match="no schools"):
        plant_backbone_concentration(ds, "海州区", 0.5)
    with pytest.raises(ValueError, match="school year"):
        plant_subject_shortage(ds, "x", "music", school_year=1999)


# ---------------------------------------------------------------------------------------------- analysis layer
def test_analysis_layer_finds_the_planted_truths(ds):
    """The staffing analysis (what the pages read) sees each planted truth."""
    from lyganalysis.analysis import staffing as A

    before = A.analyse(ds, county=COUNTY, school_year=YEAR)
    # subject shortage: the school loses its music teachers and appears without music
    sch = before.schools.set_index("school_id")
    sid = sorted(sch.index[~sch["missing_music"] & (sch["school_type"] != "teaching_point")])[0]
    d = plant_subject_shortage(ds, sid, "music")
    after = A.analyse(d, county=COUNTY, school_year=YEAR)
    assert after.for_school(sid)["school"]["missing_music"]
    assert after.figures()["staffing.schools_missing_music"].value == \
        before.figures()["staffing.schools_missing_music"].value + 1
    # age bulge: 60 % of the county's teachers 50 or older
    d = plant_age_bulge(ds, COUNTY, 0.6)
    a = A.analyse(d, county=COUNTY, school_year=YEAR)
    n = a.scalars["teachers"]
    assert a.scalars["n_50_plus_all"] == int(0.6 * n + 0.5)
    # backbone concentration: 90 % of the backbone teachers in urban schools
    d = plant_backbone_concentration(ds, COUNTY, 0.9)
    b = A.analyse(d, county=COUNTY, school_year=YEAR).backbone_by_locale
    allrows = b[b["stage"] == "all"].set_index("locale")
    B = int(allrows["backbone_teachers"].sum())
    assert int(allrows.loc["urban", "backbone_teachers"]) == int(0.9 * B + 0.5)
