"""City overview: counties side by side, between/within-county Theil, 2022 scorecard; the notebook."""

import dataclasses
import io
import json
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402

from lyganalysis import city, plots  # noqa: E402
from lyganalysis.datasets import load_dataset  # noqa: E402
from lyganalysis.metrics.coverage import VERDICTS  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "city_overview.ipynb"
SMALL = ["连云区", "徐圩新区", "云台山景区", "开发区"]


@pytest.fixture(scope="module")
def ds(request):
    full = load_dataset("lianyungang_demo", cache_dir=request.config.cache.mkdir("lyg_demo_cache"))
    ids = set(full.schools.loc[full.schools["county"].isin(SMALL), "school_id"])

    def keep(df, by):
        return None if df is None else df[df[by].isin(SMALL if by == "county" else ids)].reset_index(drop=True)

    return dataclasses.replace(full, schools=keep(full.schools, "county"), teachers=keep(full.teachers, "school_id"),
                               scores=keep(full.scores, "school_id"), county_facts=keep(full.county_facts, "county"))


@pytest.fixture(scope="module")
def ov(ds):
    return city.city_overview(ds, school_year=2022)


def test_side_by_side(ov, ds):
    assert ov.counties == [c for c in ds.counties() if c in SMALL]
    frame = ov.to_frame()
    assert list(frame.index) == ov.counties
    assert "students_compulsory" in frame.columns and "coverage.public_kindergarten_share" in frame.columns
    from lyganalysis.summary import county_summary

    h = {x["key"]: x for x in county_summary(ds, county="连云区", school_year=2022).headline()}
    assert frame.loc["连云区", "students_compulsory"] == h["students_compulsory"]["value"]
    html = city.html_side_by_side(ov)
    assert f'data-key="city.students_compulsory.连云区">{h["students_compulsory"]["display"]}<' in html


def test_to_dict_json(ov):
    d = ov.to_dict()
    json.dumps(d, allow_nan=False, ensure_ascii=False)
    assert d["scorecard"] and d["decomposition"] and d["headlines"]
    assert [r["unit"] for r in d["staffing"]] == ov.counties + ["全市"]
    assert d["staffing_targets"]["rotation_rate"] == 0.15 and d["staffing_targets"]["new_teachers_per_year_city"] == 1500


def test_decomposition_between_within(ov):
    d = ov.decomposition
    assert set(d["kind"]) == {"resource", "score"}
    assert (d["theil_between"] + d["theil_within"] - d["theil"]).abs().max() < 1e-12
    assert ((d["between_share"] >= 0) & (d["between_share"] <= 1)).all()
    row = d[(d["kind"] == "resource") & (d["stage"] == "primary") & (d["measure"] == "L5")].iloc[0]
    assert f'data-key="city.theil.primary.L5.theil">{row["theil"]:.4f}<' in city.html_decomposition(ov)


def test_scorecard_every_target_every_unit(ov):
    sc = ov.scorecard
    assert set(sc["verdict"]) <= set(VERDICTS)
    for target in city.SCORECARD_TARGETS:
        assert target in set(sc["target"]), target
    for target in ("quality_kindergarten_coverage_rate", "public_affordable_kindergarten_coverage_rate",
                   "disabled_placement_rate", "disabled_regular_school_share", "rotation_rate"):
        assert set(sc.loc[sc["target"] == target, "unit"]) == set(ov.counties) | {"全市"}
    # numbers behind each measurable verdict
    meas = sc[sc["verdict"].isin(["met", "close", "not_met"])]
    assert meas["value"].notna().all() and meas["numerator"].notna().all()
    rates = meas[meas["target"] != "new_teachers"]
    assert (rates["value"] - rates["numerator"] / rates["denominator"]).abs().max() < 1e-12
    # not measurable -> a reason
    nm = sc[sc["verdict"] == "not_measurable"]
    assert (nm["reason"].str.len() > 0).all()
    assert (sc.loc[sc["target"] == "monitoring_point_school_share", "verdict"] == "not_measurable").all()
    html = city.html_scorecard(ov) + city.html_scorecard_details(ov)
    r = sc[(sc["target"] == "quality_kindergarten_coverage_rate") & (sc["unit"] == "连云区")].iloc[0]
    assert f"{100 * r['value']:.1f}%" in html and f"{r['denominator']:,.0f}" in html


def test_rotation_rate_hand_worked():
    import pandas as pd

    schools = pd.DataFrame({"school_year": 2022, "school_id": ["s1", "s2"], "county": ["A", "B"]})
    teachers = pd.DataFrame({"school_year": 2022, "school_id": ["s1"] * 4 + ["s2"],
                             "birth_year": [1980, 1980, 1960, 1980, 1990], "years_in_school": [0, 7, 10, 2, 8],
                             "rotated": [True, False, False, False, False], "stage": ["primary"] * 5,
                             "gender": ["male"] * 5, "backbone_level": ["none"] * 5})
    out = city.rotation_rate(teachers, schools, school_year=2022).set_index("unit")
    # A: one rotated + one eligible (7 years, age 42); the 62-year-old and the 2-year teacher are not eligible
    assert (out.loc["A", "rotated"], out.loc["A", "eligible"], out.loc["A", "rate"]) == (1, 2, 0.5)
    assert out.loc["B", "rate"] == 0.0


def test_plots_return_ax_without_missing_glyphs(ov):
    plots.setup_fonts()
    for draw in (lambda ax: city.plot_scorecard(ov, ax=ax), lambda ax: city.plot_decomposition(ov, ax=ax),
                 lambda ax: city.plot_headline(ov, "student_teacher_ratio_primary", ax=ax),
                 lambda ax: city.plot_staffing(ov, "rotation", ax=ax), lambda ax: city.plot_staffing(ov, "backbone", ax=ax),
                 lambda ax: city.plot_staffing(ov, "new_teachers", ax=ax),
                 lambda ax: city.plot_staffing(ov, "ratio_junior", ax=ax),
                 lambda ax: city.plot_staffing(ov, "rotation_rate", ax=ax)):
        fig, ax = plt.subplots()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert draw(ax) is ax
            fig.savefig(io.BytesIO(), format="png")
        assert not [w for w in caught if "missing from font" in str(w.message)]
        plt.close(fig)


def test_notebook_is_thin_and_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert not any("def " in c.source for c in code)
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for name in ("school_year: int", "data_source: str", "language: str", "min_cell_size: int"):
        assert name in params[0].source


def test_notebook_runs_with_papermill(tmp_path):
    import papermill as pm

    out = tmp_path / "city_overview.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), parameters={"data_source": "lianyungang_demo"},
                        kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = json.dumps([o.get("data", {}).get("text/html", "") for o in outputs], ensure_ascii=False)
    assert "模拟数据" in text and "2022 年目标达成情况" in text and "教师队伍结构（全市汇总）" in text
    assert "city.staffing.rotation_rate.全市" in text
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 3


# ---------------------------------------------------------------------------------------------- staffing
ADDITIVE = ("teachers", "n_50_plus", "backbone_teachers", "rotation_eligible", "rotated", "backbone_rotated",
            "n_schools_specialist_checked", "n_schools_missing_specialist")
ADDITIVE_PREFIXES = ("teachers_", "retirements_", "new_teachers_per_year_", "students_", "teacher_need_", "shortfall_",
                     "gross_shortfall_", "n_schools_")


def test_staffing_city_row_is_the_sum_of_the_counties(ov):
    st = ov.staffing
    assert list(st["unit"]) == ov.counties + ["全市"] and list(st["is_city"]) == [False] * len(ov.counties) + [True]
    counties, city_row = st[~st["is_city"]], st[st["is_city"]].iloc[0]
    cols = [c for c in st.columns if c in ADDITIVE or c.startswith(ADDITIVE_PREFIXES)]
    assert {"teachers", "retirements_5y", "retirements_10y", "new_teachers_per_year_10y", "retirements_10y_reform",
            "shortfall_junior", "gross_shortfall_junior", "n_schools_without_music"} <= set(cols)
    for c in cols:  # the city row is computed on its own (not summed), so this checks consistency
        assert counties[c].sum() == pytest.approx(city_row[c], rel=1e-12, abs=1e-9), c
    assert city_row["teachers"] == sum(city_row[f"teachers_{s}"] for s in city.TEACHER_STAGES)
    # rates of the city are pooled, not averaged
    assert city_row["rotation_rate"] == pytest.approx(counties["rotated"].sum() / counties["rotation_eligible"].sum())
    assert city_row["share_50_plus"] == pytest.approx(counties["n_50_plus"].sum() / counties["teachers"].sum())
    assert city_row["ratio_junior"] == pytest.approx(counties["students_junior"].sum()
                                                     / (counties["teacher_need_junior"].sum()
                                                        - counties["shortfall_junior"].sum()))


def test_staffing_county_equals_its_county_section(ds, ov):
    from lyganalysis.analysis.staffing import analyse

    county = "连云区"
    sec = analyse(ds, county=county, school_year=2022)
    row = ov.staffing.set_index("unit").loc[county]
    ap = lambda v: pytest.approx(v, rel=1e-12, abs=1e-12)  # noqa: E731
    assert row["teachers"] == sec.scalars["teachers"]
    age = sec.age.set_index("stage")
    for stage in age.index:
        assert row[f"teachers_{stage}"] == age.loc[stage, "teachers"]
    for stage in city.STAFFING_STAGES:
        assert row[f"share_50_plus_{stage}"] == ap(age.loc[stage, "share_50_plus"])
    # all stages (the section's age table has no special-school row): straight from the metric function
    from lyganalysis.metrics.staffing import age_structure

    cds = ds.for_county(county)
    all_ages = age_structure(cds.teachers, school_year=2022, by=None).shares.iloc[0]
    assert row["share_50_plus"] == ap(all_ages["share_50_plus"]) and row["n_50_plus"] == all_ages["n_50_plus"]
    ratios = sec.ratios.set_index("stage")
    for stage in city.STAFFING_STAGES:
        r = ratios.loc[stage]
        assert row[f"ratio_{stage}"] == ap(r["student_teacher_ratio"])
        assert row[f"standard_{stage}"] == r["staffing_standard"]
        assert row[f"shortfall_{stage}"] == ap(r["teacher_shortfall"])
        assert row[f"gross_shortfall_{stage}"] == ap(r["gross_shortfall"])
        assert row[f"n_schools_short_{stage}"] == r["n_schools_short"]
    assert row["gross_shortfall_junior"] > 0  # the comparison is not vacuous
    ret = sec.retirements.set_index(["scenario_key", "horizon"])
    for key, suffix in (("statutory", ""), ("gradual_reform", "_reform")):
        for h in (5, 10):
            assert row[f"retirements_{h}y{suffix}"] == ap(ret.loc[(key, h), "retirements"])
            assert row[f"new_teachers_per_year_{h}y{suffix}"] == ap(ret.loc[(key, h), "new_teachers_per_year"])
    qual = sec.qualification.set_index(["stage", "locale"])
    subj = sec.subjects.set_index("stage")
    for stage in city.STAFFING_STAGES:
        assert row[f"share_above_required_{stage}"] == ap(qual.loc[(stage, "all"), "share_above_required"])
        assert row[f"L3_{stage}"] == ap(subj.loc[stage, "L3"])
        assert row[f"n_schools_L3_short_{stage}"] == subj.loc[stage, "n_schools_L3_short"]
    acts = sec.school_actions
    for subject in ("music", "pe", "fine_art", "it", "mental_health"):
        assert row[f"n_schools_without_{subject}"] == sum(subject in m.split(",") for m in acts["missing"]), subject
    assert row["n_schools_missing_specialist"] == sec.scalars["n_schools_missing_specialist"] > 0
    bl = sec.backbone_by_locale.set_index(["stage", "locale"])
    assert row["urban_student_share"] == ap(bl.loc[("all", "urban"), "student_share"])
    assert row["urban_backbone_share"] == ap(bl.loc[("all", "urban"), "backbone_share"])
    assert row["urban_concentration_ratio"] == ap(bl.loc[("all", "urban"), "concentration_ratio"])
    assert row["rural_backbone_share"] == ap(bl.loc[("all", "rural"), "backbone_share"])
    ineq = sec.backbone_inequality.set_index("stage")
    for stage in city.STAFFING_STAGES:
        assert row[f"gini_L2_{stage}"] == ap(ineq.loc[stage, "gini_coefficient"])
    rot = sec.rotation.set_index("stage").loc["all"]
    assert (row["rotation_eligible"], row["rotated"], row["backbone_rotated"], row["rotation_gap_to_target"]) == (
        rot["eligible"], rot["rotated"], rot["backbone_rotated"], rot["gap_to_city"])
    assert row["rotation_rate"] == ap(rot["rotation_rate"])
    assert row["backbone_share_of_rotated"] == ap(rot["backbone_share_of_rotated"])


def test_html_staffing_data_keys_and_languages(ov, ds):
    st = ov.staffing.set_index("unit")
    html = city.html_staffing(ov)
    v = st.loc["全市", "rotation_rate"]
    assert f'data-key="city.staffing.rotation_rate.全市">{100 * v:.1f}%<' in html
    assert f'data-key="city.staffing.teachers.连云区">{st.loc["连云区", "teachers"]:,}<' in html
    assert "交流比例" in html and "≥15%" in html
    small = st[st["teachers"] < ov.min_cell_size]
    for u in small.index:  # shares of tiny groups withheld
        assert f'data-key="city.staffing.share_50_plus.{u}">*<' in html
    en = city.city_overview(ds, school_year=2022, language="en")
    html_en = city.html_staffing(en)
    assert "Rotation rate" in html_en and 'data-key="city.staffing.rotation_rate.City"' in html_en
    assert en.staffing.drop(columns="unit").equals(ov.staffing.drop(columns="unit"))


def test_plot_staffing_unknown_measure(ov):
    with pytest.raises(ValueError, match="unknown staffing measure"):
        city.plot_staffing(ov, "nonsense")


def test_staffing_without_teachers_is_listed_unavailable(ds):
    ov = city.city_overview(dataclasses.replace(ds, teachers=None), school_year=2022)
    assert ov.staffing.empty and any(u["item"] == "staffing" for u in ov.unavailable)
    assert "No teacher" in city.html_staffing(dataclasses.replace(ov, language="en"))
    json.dumps(ov.to_dict(), allow_nan=False)
