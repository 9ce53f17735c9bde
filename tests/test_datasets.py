"""Tests of lyganalysis.datasets: the synthetic Lianyungang demo, CASchools, processed round trip.

The demo is generated once per session (≈ 2–3 s). Statistics that check its realism are computed
here with plain numpy, independently of lyganalysis.metrics.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lyganalysis.datasets import Dataset, load_dataset, read_processed, synthetic, write_processed
from lyganalysis.schema import validate_tables

REPORTING_UNITS = {  # lyganalysis/data/admin_units.csv
    "海州区": "320706", "连云区": "320703", "赣榆区": "320707", "东海县": "320722",
    "灌云县": "320723", "灌南县": "320724", "开发区": "320771", "徐圩新区": "LYGX72",
    "云台山景区": "LYGX73", "市直": "320700",
}
MAIN_COUNTIES = ("海州区", "连云区", "赣榆区", "东海县", "灌云县", "灌南县")
TABLES = ("schools", "teachers", "scores", "county_facts", "school_results")


@pytest.fixture(scope="module")
def demo(demo_generated) -> Dataset:
    """The generator's own output (without the inspection inputs load_dataset adds), once per session."""
    return demo_generated


@pytest.fixture(scope="module")
def cas(caschools_ds) -> Dataset:
    return caschools_ds


def _hashes(ds: Dataset) -> dict[str, int]:
    return {t: int(pd.util.hash_pandas_object(getattr(ds, t), index=True).sum())
            for t in TABLES if getattr(ds, t) is not None}


def weighted_cv(x: np.ndarray, w: np.ndarray) -> float:
    """Enrolment-weighted population CV around the pooled value (``standards.DOC_CV_GUIDANCE``)."""
    w = w / w.sum()
    m = np.sum(w * x)
    return float(np.sqrt(np.sum(w * (x - m) ** 2)) / m)


def anova_icc1(y: np.ndarray, groups: np.ndarray) -> float:
    """One-way ANOVA (method of moments) ICC(1) with the unbalanced-group n0 (Raudenbush & Bryk):
    (MSB − MSW) / (MSB + (n0 − 1) MSW), n0 = (N − Σn_j²/N) / (J − 1)."""
    _, inv = np.unique(groups, return_inverse=True)
    n = np.bincount(inv).astype(float)
    sums = np.bincount(inv, weights=y)
    means = sums / n
    N, J = n.sum(), len(n)
    grand = y.mean()
    msb = np.sum(n * (means - grand) ** 2) / (J - 1)
    msw = np.sum((y - means[inv]) ** 2) / (N - J)
    n0 = (N - np.sum(n**2) / N) / (J - 1)
    return float((msb - msw) / (msb + (n0 - 1) * msw))


def test_anova_icc1_reproduces_a_hand_worked_case():
    # two groups (1,2,3) and (4,5,6): MSB = 13.5, MSW = 1, n0 = 3 → (12.5)/(13.5+2) = 0.80645
    y = np.array([1, 2, 3, 4, 5, 6], float)
    assert anova_icc1(y, np.array([0, 0, 0, 1, 1, 1])) == pytest.approx(12.5 / 15.5)


# --------------------------------------------------------------------------------- demo basics
def test_demo_is_deterministic(demo):
    # (generation time is measured in benchmarks/, not asserted here: these machines are noisy)
    ds = demo
    again = synthetic.make_demo_data(seed=2022)
    assert _hashes(ds) == _hashes(again)
    for t in ("schools", "teachers", "scores", "county_facts"):
        assert getattr(ds, t).dtypes.equals(getattr(again, t).dtypes)
    pd.testing.assert_frame_equal(ds.schools, again.schools)


def test_demo_is_labelled_simulated(demo):
    assert demo.name == "lianyungang_demo"
    assert demo.simulated is True and demo.language == "zh"
    assert "模拟数据" in demo.description
    assert demo.school_results is None


def test_demo_validates_against_schema(demo):
    validate_tables(demo)  # raises TableValidationError on any failure


def test_ten_counties_two_years_same_schools(demo):
    s = demo.schools
    assert set(demo.counties()) == set(REPORTING_UNITS)
    assert len(demo.counties()) == 10
    assert dict(s[["county", "county_code"]].drop_duplicates().itertuples(index=False)) == REPORTING_UNITS
    assert demo.school_years() == [2021, 2022]
    ids = s.groupby("school_year")["school_id"].apply(frozenset)
    assert ids[2021] == ids[2022]
    assert s.school_id.str.fullmatch(r"\d{10}").all()
    for t in ("teachers", "scores", "county_facts"):
        assert sorted(getattr(demo, t).school_year.unique()) == [2021, 2022]
    assert len(demo.county_facts) == 20


def test_school_mix_and_scale(demo):
    s = demo.schools[demo.schools.school_year == 2021]
    counts = s.school_type.value_counts()
    compulsory = counts[["primary", "junior", "nine_year", "twelve_year", "complete_middle",
                         "teaching_point"]].sum()
    assert 550 <= compulsory <= 700
    assert counts["twelve_year"] >= 1 and counts["complete_middle"] >= 1
    # one special school in each main county
    sp = s[s.school_type == "special"].county.value_counts()
    assert all(sp.get(c, 0) == 1 for c in MAIN_COUNTIES)
    # teaching points: central school of the same county, some under 50 pupils
    tp = s[s.school_type == "teaching_point"]
    assert tp.central_school_id.notna().all()
    cen = s.set_index("school_id").loc[tp.central_school_id]
    assert (cen.county.to_numpy() == tp.county.to_numpy()).all()
    assert cen.school_type.isin(["primary", "nine_year"]).all()
    assert (tp.students_primary < 50).sum() >= 10
    assert tp.students_primary.between(5, 90).all()
    # sizes from village teaching points to large town schools
    total = s.students_primary + s.students_junior
    assert total[s.school_type.isin(["primary", "junior"])].max() >= 2000
    assert ((s.locale == "town") & (total >= 2000)).any()
    # city-wide enrolment near the calibration
    assert 300_000 <= s.students_primary.sum() <= 360_000
    assert 130_000 <= s.students_junior.sum() <= 170_000
    # kindergartens: public and private, affordable and quality flags
    kg = s[s.school_type == "kindergarten"]
    assert set(kg.ownership) == {"public", "private"}
    assert kg.affordable_kindergarten.notna().all() and kg.quality_kindergarten.notna().all()
    assert s.loc[s.school_type != "kindergarten", "affordable_kindergarten"].isna().all()


def test_locale_mix_by_county(demo):
    s = demo.schools[(demo.schools.school_year == 2021) & (demo.schools.school_type != "kindergarten")]
    share = pd.crosstab(s.county, s.locale, normalize="index")
    for c in ("海州区", "开发区", "市直"):
        assert share.loc[c, "urban"] > 0.5
    for c in ("东海县", "灌云县", "灌南县"):
        assert share.loc[c, "rural"] > 0.5 and share.loc[c, "town"] > 0.2
    assert s.groupby("county").size()[["徐圩新区", "云台山景区"]].max() <= 6


def test_ratios_follow_the_calibration(demo):
    s = demo.schools[demo.schools.school_year == 2021]
    assert s.students_primary.sum() / s.teachers_primary.sum() == pytest.approx(14.6, abs=0.3)
    assert 13.0 <= s.students_junior.sum() / s.teachers_junior.sum() <= 15.0
    assert 15.0 <= s.students_preschool.sum() / s.teachers_preschool.sum() <= 17.0


# --------------------------------------------------------------------------------- teachers
def test_school_teacher_counts_equal_teacher_aggregates(demo):
    t, s = demo.teachers, demo.schools
    key = ["school_id", "school_year"]
    above = np.where(t.stage == "primary",
                     t.qualification.isin(["associate", "bachelor", "postgraduate"]),
                     t.qualification.isin(["bachelor", "postgraduate"]))
    flags = pd.DataFrame({
        "school_id": t.school_id, "school_year": t.school_year, "stage": t.stage, "n": 1,
        "above": above, "backbone": t.backbone_level.isin(["county", "city", "province"]),
        "pe_arts": t.subject.isin(["pe", "music", "fine_art"])})
    agg = flags.groupby(key + ["stage"])[["n", "above", "backbone", "pe_arts"]].sum().unstack(
        "stage", fill_value=0)
    merged = s.set_index(key)
    agg = agg.reindex(merged.index, fill_value=0)
    for st in ("primary", "junior", "senior", "preschool", "special"):
        np.testing.assert_array_equal(merged[f"teachers_{st}"].to_numpy(int),
                                      agg[("n", st)].to_numpy(int), err_msg=st)
    for st in ("primary", "junior"):
        np.testing.assert_array_equal(merged[f"above_required_qualification_{st}"].to_numpy(int),
                                      agg[("above", st)].to_numpy(int))
        np.testing.assert_array_equal(merged[f"backbone_teachers_{st}"].to_numpy(int),
                                      agg[("backbone", st)].to_numpy(int))
        np.testing.assert_array_equal(merged[f"pe_arts_teachers_{st}"].to_numpy(int),
                                      agg[("pe_arts", st)].to_numpy(int))
    # every school with students of a stage has teachers of that stage
    for st in ("primary", "junior", "preschool", "special"):
        has = s[f"students_{st}"] > 0
        assert (s.loc[has, f"teachers_{st}"] > 0).all()


def test_teacher_structure_urban_vs_rural(demo):
    t = demo.teachers.merge(demo.schools[["school_id", "school_year", "locale"]],
                            on=["school_id", "school_year"])
    t = t[t.stage.isin(["primary", "junior"])]
    age = t.school_year - t.birth_year
    old = (age >= 50).groupby(t.locale).mean()
    assert old["rural"] > old["urban"] + 0.1
    bb = (t.backbone_level != "none").groupby(t.locale).mean()
    assert bb["urban"] > 2 * bb["rural"]
    bach = t.qualification.isin(["bachelor", "postgraduate"]).groupby(t.locale).mean()
    assert bach["urban"] > bach["rural"]
    arts = t.subject.isin(["pe", "music", "fine_art"]).groupby(t.locale).mean()
    assert arts["urban"] > arts["rural"]
    rot = demo.teachers.groupby("school_year").rotated.mean()
    assert rot.between(0.10, 0.15).all()
    assert (demo.teachers.loc[demo.teachers.rotated, "years_in_school"] == 0).all()
    # some new teachers in 2022 (keys not seen in 2021), some 2021 teachers left
    k21 = set(demo.teachers.loc[demo.teachers.school_year == 2021, "teacher_key"])
    k22 = set(demo.teachers.loc[demo.teachers.school_year == 2022, "teacher_key"])
    assert len(k22 - k21) > 1000 and len(k21 - k22) > 1000


def test_no_personal_data(demo):
    assert "name" not in " ".join(demo.teachers.columns) + " ".join(demo.scores.columns)
    assert demo.teachers.teacher_key.str.fullmatch(r"[0-9a-f]{16}").all()
    assert demo.scores.student_key.str.fullmatch(r"[0-9a-f]{16}").all()
    assert not demo.teachers.duplicated(["school_year", "teacher_key"]).any()


# --------------------------------------------------------------------------------- scores
def test_scores_shape(demo):
    sc = demo.scores
    assert len(sc) < 700_000
    assert set(sc.grade) == {6, 9} and set(sc.subject) == {"chinese", "math", "english"}
    fm = sc.groupby("grade").full_marks.unique()
    assert list(fm[6]) == [100.0] and list(fm[9]) == [120.0]
    assert 0.01 <= sc.absent.mean() <= 0.02
    assert sc.loc[sc.absent, "score"].isna().all() and sc.loc[~sc.absent, "score"].notna().all()
    assert (sc.score.dropna() <= sc.loc[sc.score.notna(), "full_marks"]).all()
    # one row per student and subject of an exam
    assert not sc.duplicated(["exam", "student_key", "subject"]).any()
    assert sc.groupby("class_id").school_id.nunique().max() == 1
    ok = sc.score.notna() & sc.prior_score.notna()
    r = np.corrcoef(sc.score[ok], sc.prior_score[ok])[0, 1]
    assert 0.6 <= r <= 0.75


@pytest.mark.parametrize("year", [2021, 2022])
def test_between_school_variance_share_grade6_math(demo, year):
    sc = demo.scores
    d = sc[(sc.school_year == year) & (sc.grade == 6) & (sc.subject == "math") & sc.score.notna()]
    icc = anova_icc1(d.score.to_numpy(float), d.school_id.to_numpy())
    assert 0.15 <= icc <= 0.30, icc


def test_urban_rural_and_group_gaps(demo):
    sc = demo.scores.merge(demo.schools[["school_id", "school_year", "locale"]],
                           on=["school_id", "school_year"])
    m = sc.groupby("locale").score.mean()
    assert m["urban"] > m["town"] > m["rural"]
    lb = sc.groupby("locale").left_behind.mean()
    assert lb["rural"] > 2 * lb["urban"]
    mig = sc.groupby("locale").migrant.mean()
    assert mig["urban"] > mig["rural"]
    # small within-school gaps for left-behind pupils
    z = sc.score - sc.groupby(["exam", "subject", "school_id"]).score.transform("mean")
    gap = z[~sc.left_behind].mean() - z[sc.left_behind].mean()
    assert 0 < gap < 5


# --------------------------------------------------------------------------------- resources
def _primary_cv(demo, year, column):
    s = demo.schools
    p = s[(s.school_year == year) & (s.school_type == "primary")]
    out = {}
    for county, g in p.groupby("county"):
        w = g.students_primary.to_numpy(float)
        out[county] = weighted_cv(g[column].to_numpy(float) / w, w) if len(g) > 1 else 0.0
    return out


@pytest.mark.parametrize("year", [2021, 2022])
def test_some_rural_county_fails_sports_area_cv_and_ganyu_passes(demo, year):
    cv = _primary_cv(demo, year, "sports_area_m2")
    assert max(cv[c] for c in ("东海县", "灌云县", "灌南县")) > 0.50
    assert cv["赣榆区"] < 0.50 and cv["开发区"] < 0.50
    assert len({round(v, 3) for v in cv.values()}) >= 8  # counties differ


def test_some_schools_short_of_multimedia_classrooms(demo):
    s = demo.schools
    p = s[(s.school_year == 2022) & (s.school_type == "primary")]
    per100 = p.multimedia_classrooms / p.students_primary * 100
    short = (per100 < 2.3).groupby(p.county).mean()
    assert short.max() > 0.2
    assert short["赣榆区"] < 0.1


def test_resources_change_between_years(demo):
    s = demo.schools.set_index(["school_year", "school_id"])
    a, b = s.loc[2021], s.loc[2022]
    assert (b.equipment_value_yuan >= a.equipment_value_yuan).all()
    assert (b.sports_area_m2 > a.sports_area_m2).mean() > 0.05
    has = a.students_primary > 0
    assert (b.students_primary[has] != a.students_primary[has]).mean() > 0.5


# --------------------------------------------------------------------------------- county facts
def test_county_facts(demo):
    cf = demo.county_facts.dropna(subset=["disabled_children_school_age"])
    placed = (cf.disabled_placed_regular_class + cf.disabled_placed_special_school
              + cf.disabled_placed_home_teaching)
    rate = placed / cf.disabled_children_school_age
    assert (rate <= 1).all() and (rate < 0.98).any() and (rate >= 0.98).any()
    assert (cf.disabled_placed_regular_class > cf.disabled_placed_special_school).any()
    mig = demo.county_facts.migrant_children_public / demo.county_facts.migrant_children
    assert (mig < 0.85).any() and (mig >= 0.85).any()
    assert (cf.preschool_age_children > 0).all()


# --------------------------------------------------------------------------------- containers
def test_for_county_filters_every_table(demo):
    sub = demo.for_county("灌云县")
    ids = set(sub.schools.school_id)
    assert set(sub.schools.county) == {"灌云县"}
    assert set(sub.teachers.school_id) <= ids and set(sub.scores.school_id) <= ids
    assert set(sub.county_facts.county) == {"灌云县"}
    assert len(sub.teachers) == demo.teachers.school_id.isin(ids).sum()
    assert sub.simulated and sub.language == "zh"
    validate_tables(sub)
    with pytest.raises(KeyError):
        demo.for_county("新浦区")


def test_write_read_processed_round_trip(demo, tmp_path):
    paths = write_processed(demo, tmp_path / "p")
    assert set(paths) == {"schools", "teachers", "scores", "county_facts", "dataset.json"}
    meta = json.loads(paths["dataset.json"].read_text(encoding="utf-8"))
    assert meta["name"] == "lianyungang_demo" and meta["simulated"] is True
    assert meta["language"] == "zh" and "模拟数据" in meta["description"]
    back = read_processed(tmp_path / "p")
    for t in TABLES:
        a, b = getattr(demo, t), getattr(back, t)
        if a is None:
            assert b is None
        else:
            pd.testing.assert_frame_equal(a, b)
    assert (back.name, back.simulated, back.language, back.description) == (
        demo.name, demo.simulated, demo.language, demo.description)
    via_load = load_dataset(tmp_path / "p")
    assert via_load.counties() == demo.counties()


def test_load_dataset_demo_cache(demo, tmp_path, monkeypatch):
    calls = []

    def fake(seed=2022):
        calls.append(seed)
        return demo

    monkeypatch.setattr(synthetic, "make_demo_data", fake)
    a = load_dataset("lianyungang_demo", cache_dir=tmp_path)
    b = load_dataset("lianyungang_demo", cache_dir=tmp_path)
    assert calls == [2022]  # the second call read the cache
    pd.testing.assert_frame_equal(a.scores, b.scores)
    meta = json.loads(next(tmp_path.glob("*/dataset.json")).read_text(encoding="utf-8"))
    assert meta["seed"] == 2022 and meta["generator_version"] == synthetic.GENERATOR_VERSION


def test_load_dataset_unknown_name():
    with pytest.raises(ValueError, match="lianyungang_demo"):
        load_dataset("no_such_dataset")


# --------------------------------------------------------------------------------- CASchools
def test_caschools_shape_and_golden_ratio(cas):
    """references/reference_values.md#caschools_student_teacher_ratio (Stock & Watson; AER::CASchools): 420 districts, 45 counties,
    pooled Σstudents/Σteachers = 20.368, enrolment-weighted mean of district ratios 20.479."""
    s = cas.schools
    assert len(s) == 420 and s.county.nunique() == 45 and s.county_code.nunique() == 45
    assert s.school_id.is_unique and (s.school_year == 1999).all()
    pooled = s.students_primary.sum() / s.teachers_primary.sum()
    assert pooled == pytest.approx(20.368, abs=5e-4)
    ratio = (s.students_primary / s.teachers_primary).to_numpy(float)
    w = s.students_primary.to_numpy(float)
    assert np.sum(w * ratio) / w.sum() == pytest.approx(20.479, abs=5e-4)
    assert not cas.simulated and cas.language == "en"
    assert cas.teachers is None and cas.scores is None
    assert s.locale.isna().all() and s.sports_area_m2.isna().all()  # unknown stays unknown
    assert s.free_lunch_share.between(0, 1).all()
    assert set(s.grade_span) == {"KK-06", "KK-08"}


def test_caschools_results_reproduce_stock_watson(cas):
    """Stock & Watson eq. 4.11: testscr = 698.9 − 2.28 × str (references/reference_values.md#caschools_student_teacher_ratio)."""
    r = cas.school_results
    assert set(r.subject) == {"read", "math", "testscr"}
    w = r.pivot(index="school_id", columns="subject", values="mean_score")
    np.testing.assert_allclose(w.testscr, (w.read + w.math) / 2)
    s = cas.schools.set_index("school_id").loc[w.index]
    x = (s.students_primary / s.teachers_primary).to_numpy(float)
    slope, intercept = np.polyfit(x, w.testscr.to_numpy(float), 1)
    assert slope == pytest.approx(-2.279808, rel=1e-4)
    assert intercept == pytest.approx(698.9329, rel=1e-5)


def test_caschools_validates_and_county_codes(cas):
    validate_tables(cas)
    codes = dict(cas.schools[["county", "county_code"]].drop_duplicates().itertuples(index=False))
    assert codes["Alameda"] == "060001" and codes["Los Angeles"] == "060037"
    assert codes["Yuba"] == "060115"
    sub = cas.for_county("Los Angeles")
    assert len(sub.school_results) == 3 * len(sub.schools)
    assert load_dataset("caschools").schools.shape == cas.schools.shape


# --------------------------------------------------------------------------------- raw exports
def test_raw_exports_look_like_bureau_files(demo, tmp_path):
    """The exports carry the marks of real bureau files; their exact contents are round-tripped in
    tests/test_raw_roundtrip.py."""
    from lyganalysis.datasets.raw_export import write_raw_exports

    sub = demo.for_county("徐圩新区")
    paths = write_raw_exports(sub, tmp_path)
    names = [p.name for p in paths]
    assert "学校基本情况_徐圩新区_2022.xlsx" in names
    assert any(n.startswith("教师基本信息_徐圩新区") and n.endswith(".csv") for n in names)
    assert any(n.startswith("学生成绩_徐圩新区") for n in names)
    raw = pd.read_excel(tmp_path / "学校基本情况_徐圩新区_2022.xlsx", header=None, dtype=object)
    assert "模拟数据" in str(raw.iat[0, 0])
    first_cells = raw.iloc[:, :3].fillna("").astype(str).agg("".join, axis=1)
    assert first_cells.str.replace(r"\s", "", regex=True).str.contains("合计").any()
    teacher_csv = next(p for p in paths if p.name.startswith("教师基本信息"))
    raw_bytes = teacher_csv.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw_bytes.decode("utf-8")  # GBK/GB18030, as Excel in a Chinese locale saves it


def test_demo_is_generated_once_per_process_and_copies_are_independent():
    from lyganalysis.datasets import load_dataset

    a, b = load_dataset("lianyungang_demo"), load_dataset("lianyungang_demo")
    assert a.schools is not b.schools
    before = b.schools.loc[0, "students_primary"]
    a.schools.loc[0, "students_primary"] = -1  # copy-on-write: the other copy never sees it
    assert b.schools.loc[0, "students_primary"] == before
    assert load_dataset("lianyungang_demo").schools.loc[0, "students_primary"] == before
