"""City overview: analyse_city selects county figures by key (never recomputes them), computes the city-level
decomposition, coverage and scorecard; the page renders them; the notebook is thin."""

import dataclasses
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import markupsafe
import nbformat
import numpy as np
import pandas as pd
import pytest

from lyganalysis.analysis import equity, store
from lyganalysis.analysis.city import CITY_UNIT, CityResults, analyse_city
from lyganalysis.analysis.figures import Figure
from lyganalysis.metrics.coverage import VERDICTS
from lyganalysis.report import city_page
from lyganalysis.report.slug import assign_filenames

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "city_overview.ipynb"
SMALL = ["连云区", "徐圩新区", "云台山景区", "开发区"]


@dataclass(frozen=True)
class FakeCounty:
    """The part of CountyResults the city reads: ``figures()`` and the ``equity`` result."""

    equity: object
    extra: dict

    def figures(self):
        return {**self.equity.figures(), **self.extra}


def _figs(verdict, school_rule, cv_rule, rotated, eligible):
    return {"resources.verdict": Figure("resources.verdict", verdict, "verdict"),
            "resources.verdict.school_rule": Figure("resources.verdict.school_rule", school_rule, "verdict",
                                                    {"n_assessed": 12, "n_not_compliant": 5}),
            "resources.verdict.cv_rule": Figure("resources.verdict.cv_rule", cv_rule, "verdict", {"n_over_limit": 0}),
            "staffing.rotation.rotated": Figure("staffing.rotation.rotated", rotated, "count"),
            "staffing.rotation.eligible": Figure("staffing.rotation.eligible", eligible, "count")}


@pytest.fixture(scope="module")
def ds(demo):
    full = demo
    ids = set(full.schools.loc[full.schools["county"].isin(SMALL), "school_id"])

    def keep(df, by):
        return None if df is None else df[df[by].isin(SMALL if by == "county" else ids)].reset_index(drop=True)

    return dataclasses.replace(full, schools=keep(full.schools, "county"), teachers=keep(full.teachers, "school_id"),
                               scores=keep(full.scores, "school_id"), county_facts=keep(full.county_facts, "county"))


@pytest.fixture(scope="module")
def eq(ds):
    return equity.analyse(ds, county=None, school_year=2022)


@pytest.fixture(scope="module")
def fakes(eq):
    # 开发区: every CV within its limit but a school does not comply → the combined verdict is not met
    rot = {"连云区": (7, 10), "徐圩新区": (1, 4), "云台山景区": (0, 0), "开发区": (30, 100)}
    return {c: FakeCounty(r, _figs("not_met" if c == "开发区" else "met", "not_met" if c == "开发区" else "met",
                                   "met", *rot[c])) for c, r in eq.items()}


@pytest.fixture(scope="module")
def city(ds, fakes):
    return analyse_city(ds, school_year=2022, counties_results=fakes)


def test_side_by_side_selects_the_county_figures(city, fakes, ds):
    assert list(city.counties) == [c for c in ds.counties() if c in SMALL] and len(city.counties) == len(SMALL)
    frame = city.to_frame()
    assert list(frame.index) == list(city.counties)
    f = fakes["连云区"].figures()
    assert frame.loc["连云区", "equity.urban_rural_gap"] == f["equity.urban_rural_gap"].value
    assert frame.loc["连云区", "staffing.rotation.rotated"] == 7
    codes = city.side_by_side.set_index(["county", "key"])["code"]
    assert codes[("开发区", "resources.verdict")] == "not_met" and codes[("连云区", "resources.verdict")] == "met"


def test_scorecard_uses_the_combined_resource_verdict_never_the_cv_only_one(city):
    sc = city.scorecard.set_index(["target", "unit"])
    dz = sc.loc[("development_zone_provincial_recognition", "开发区")]
    assert dz["resource_verdict"] == "not_met" and dz["cv_rule"] == "met" and dz["school_rule"] == "not_met"
    v = city.verdicts.set_index("county")
    assert v.loc["开发区", "school_rule.n_not_compliant"] == 5 and v.loc["开发区", "cv_rule.n_over_limit"] == 0
    # 赣榆区 is not in this subset: its recognition row says nothing rather than guessing
    assert sc.loc[("ganyu_national_recognition", "赣榆区"), "resource_verdict"] == ""


def test_rotation_is_selected_from_the_staffing_results_and_summed_for_the_city(city):
    rr = city.scorecard[city.scorecard["target"] == "rotation_rate"].set_index("unit")
    assert rr.loc["连云区", "value"] == 0.7 and rr.loc["连云区", "verdict"] == "met"
    assert rr.loc["徐圩新区", "value"] == 0.25
    assert np.isnan(rr.loc["云台山景区", "value"]) and rr.loc["云台山景区", "reason_code"] == "sc_no_eligible"
    assert rr.loc[CITY_UNIT, "numerator"] == 38 and rr.loc[CITY_UNIT, "denominator"] == 114
    assert rr.loc[CITY_UNIT, "value"] == pytest.approx(38 / 114)


def test_scorecard_every_target_every_unit(city):
    sc = city.scorecard
    assert set(sc["verdict"]) <= set(VERDICTS)
    units = set(city.counties) | {CITY_UNIT}
    for target, g in sc.groupby("target"):
        if not target.endswith("recognition"):
            assert set(g["unit"]) == units, target
    nm = sc[sc["verdict"] == "not_measurable"]
    assert (nm["reason_code"] != "").all()  # every unmeasurable target says why


def test_decomposition_between_plus_within_is_the_total(city):
    d = city.decomposition
    assert set(d["kind"]) == {"resource", "score"}
    assert np.allclose(d["theil_between"] + d["theil_within"], d["theil"], rtol=1e-12, atol=1e-15)
    assert ((d["between_share"] >= 0) & (d["between_share"] <= 1)).all()


def test_county_coverage_rows_are_the_equity_results(city, eq):
    for c, r in eq.items():
        pd.testing.assert_frame_equal(city.coverage[city.coverage["unit"] == c].reset_index(drop=True),
                                      r.coverage.reset_index(drop=True))
    assert (city.coverage["unit"] == CITY_UNIT).sum() == 6


def test_missing_keys_are_said_not_guessed(ds, eq):
    bare = {c: FakeCounty(r, {}) for c, r in eq.items()}
    cr = analyse_city(ds, school_year=2022, counties_results=bare)
    assert "city_no_resource_verdict" in {u.reason for u in cr.unavailable}
    rr = cr.scorecard[cr.scorecard["target"] == "rotation_rate"]
    assert (rr["reason_code"] == "sc_no_rotation_status").all() and rr["value"].isna().all()
    cr2 = analyse_city(ds, school_year=2022, counties_results={"连云区": bare["连云区"]})
    assert {u.params.get("county") for u in cr2.unavailable if u.reason == "city_county_missing"} == \
        set(cr2.counties) - {"连云区"}


def test_staffing_table_comes_from_the_staffing_topic(ds, fakes, monkeypatch):
    mod = types.ModuleType("lyganalysis.analysis.staffing")
    table = pd.DataFrame({"unit": [*fakes, CITY_UNIT], "is_city": [False] * len(fakes) + [True],
                          "rotation_rate": [0.1] * len(fakes) + [0.2], "teachers": [10] * len(fakes) + [40]})
    seen = {}

    def city_table(ds_, *, school_year, settings, counties_results):
        seen["counties"] = sorted(counties_results)
        return table

    mod.city_table = city_table
    monkeypatch.setitem(sys.modules, "lyganalysis.analysis.staffing", mod)
    cr = analyse_city(ds, school_year=2022, counties_results=fakes)
    assert cr.staffing is table and seen["counties"] == sorted(fakes)
    html = str(city_page.render(cr, language="zh"))
    assert 'data-key="city.staffing.rotation_rate.city"' in html and "交流比例" in html


def test_store_round_trip(city, tmp_path):
    store.save(city, tmp_path / "city")
    back = store.load(tmp_path / "city")
    assert isinstance(back, CityResults) and back.counties == city.counties
    pd.testing.assert_frame_equal(back.scorecard, city.scorecard, check_dtype=False)
    pd.testing.assert_frame_equal(back.decomposition, city.decomposition, check_dtype=False)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_page_links_counties_and_leaks_no_key_names(city, language):
    doc = city_page.page(city, language=language, embed_fonts=False)
    stems = assign_filenames(city.counties)
    for c in city.counties:
        assert f'<a href="{stems[c]}.html">{c}</a>' in doc
    text = re.sub(r"<[^>]+>", " ", doc.split("<body>", 1)[1])
    for leak in ("eq_", "city_", "nc_", "sc_", "resources.verdict", "staffing.rotation", "_rate", "equity."):
        assert leak not in text, leak
    assert 'data-key="city.scorecard.development_zone_provincial_recognition.开发区"' in doc
    assert 'data-key="city.verdicts.开发区.school_rule"' in doc
    assert "<img" not in doc


def test_page_escapes_county_names_and_stays_within_budget(ds, eq):
    nasty = 'A<b>&"区'
    sch = ds.schools.copy()
    sch.loc[sch["county"] == "徐圩新区", "county"] = nasty
    ds2 = dataclasses.replace(ds, schools=sch)
    res = {(nasty if c == "徐圩新区" else c): FakeCounty(r, _figs("met", "met", "met", 1, 2)) for c, r in eq.items()}
    cr = analyse_city(ds2, school_year=2022, counties_results=res)
    doc = city_page.page(cr, language="zh")
    assert nasty not in doc and "A&lt;b&gt;&amp;&#34;区" in doc
    stem = assign_filenames(cr.counties)[nasty]
    assert f'href="{markupsafe.escape(stem)}.html"' in doc and "<" not in stem
    assert len(doc.encode("utf-8")) <= city_page.MAX_BYTES


def test_notebook_is_thin_and_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert not any("def " in c.source or "import lyganalysis.city" in c.source or "from lyganalysis import city"
                   in c.source for c in code)
    assert len(code) <= 5
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for name in ("school_year: int", "data_source: str", "language: str", "min_cell_size: int", "results_dir: str"):
        assert name in params[0].source


def _all_topics_present() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(f"lyganalysis.analysis.{t}") for t in ("resources", "staffing", "academic"))


@pytest.mark.skipif(not _all_topics_present(), reason="needs every analysis topic (merged branch)")
def test_notebook_runs_with_papermill(tmp_path):  # slow: the whole demo
    import papermill as pm

    out = tmp_path / "city_overview.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), parameters={"data_source": "lianyungang_demo"},
                        kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = str([o.get("data", {}).get("text/html", "") for o in outputs])
    assert "2022 年目标达成情况" in text and 'data-key="city.scorecard.ganyu_national_recognition.赣榆区"' in text


def test_metrics_json_of_the_city(city, tmp_path):
    import json

    from lyganalysis.report.metrics_file import write_metrics

    p = write_metrics(tmp_path / "city_overview.metrics.json", city)
    doc = json.loads(p.read_text(encoding="utf-8"))
    assert {"side_by_side", "verdicts", "decomposition", "coverage", "scorecard", "totals"} <= set(doc)
    rec = [r for r in doc["scorecard"] if r["target"] == "development_zone_provincial_recognition"][0]
    assert rec["resource_verdict"] == "not_met"


def test_notebook_shows_a_stored_city_result_with_papermill(city, tmp_path):  # ≈ 10 s (kernel start)
    import papermill as pm

    store.save(city, tmp_path / "city_store")
    out = tmp_path / "city_overview.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), parameters={"data_source": "lianyungang_demo", "language": "en",
                                                               "results_dir": str(tmp_path / "city_store"),
                                                               "metrics_path": str(tmp_path / "m.json")},
                        kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "Scorecard against the 2022 targets" in text and 'data-key="city.verdicts.开发区.school_rule"' in text
    assert (tmp_path / "m.json").is_file()
