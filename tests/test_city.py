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
                             "rotated": [True, False, False, False, False], "stage": ["primary"] * 5})
    out = city.rotation_rate(teachers, schools, school_year=2022).set_index("unit")
    # A: one rotated + one eligible (7 years, age 42); the 62-year-old and the 2-year teacher are not eligible
    assert (out.loc["A", "rotated"], out.loc["A", "eligible"], out.loc["A", "rate"]) == (1, 2, 0.5)
    assert out.loc["B", "rate"] == 0.0


def test_plots_return_ax_without_missing_glyphs(ov):
    plots.setup_fonts()
    for draw in (lambda ax: city.plot_scorecard(ov, ax=ax), lambda ax: city.plot_decomposition(ov, ax=ax),
                 lambda ax: city.plot_headline(ov, "student_teacher_ratio_primary", ax=ax)):
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
    assert "模拟数据" in text and "2022 年目标达成情况" in text
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 3
