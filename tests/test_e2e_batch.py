"""End to end: the real batch on two counties of the bundled demo; numbers read back from the HTML
and the metrics JSON and compared with the library's own values."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lyganalysis.datasets import load_dataset
from lyganalysis.report.batch import build_reports
from lyganalysis.summary import county_summary

pytestmark = pytest.mark.e2e
COUNTIES = ["赣榆区", "徐圩新区"]


class _DataKeys(HTMLParser):
    """Collect the text of every element carrying a data-key attribute."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._stack: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        self._stack.append(dict(attrs).get("data-key"))

    def handle_endtag(self, tag):
        if self._stack:
            self._stack.pop()

    def handle_data(self, data):
        if self._stack and self._stack[-1]:
            key = self._stack[-1]
            self.values[key] = self.values.get(key, "") + data


def _keys(html: str) -> dict[str, str]:
    p = _DataKeys()
    p.feed(html)
    return {k: v.strip() for k, v in p.values.items()}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    result = build_reports("lianyungang_demo", out, counties=COUNTIES, workers=2,
                           processed_dir=tmp_path_factory.mktemp("processed"), city_overview=True)
    return result


def test_batch_succeeds_and_writes_every_file(batch):
    assert batch.exit_code == 0, batch.batch.to_frame()
    out = batch.output_dir
    for c in COUNTIES:
        assert (out / f"{c}.html").is_file()
        assert (out / f"{c}.metrics.json").is_file()
        assert (out / "notebooks" / f"{c}.ipynb").is_file()
        xlsx = out / "tables" / c / "资源配置均衡.xlsx"
        assert xlsx.is_file(), "evaluation-form tables are exported beside the report"
        assert f'href="tables/{c}/资源配置均衡.xlsx"' in (out / f"{c}.html").read_text(encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {r["county"] for r in manifest["results"]} == set(COUNTIES) | {"全市概览"}
    assert all(len(f["sha256"]) == 64 for f in manifest["inputs"])


def test_html_numbers_equal_metrics_json_and_library(batch):
    ds = load_dataset("lianyungang_demo")
    for c in COUNTIES:
        html = (batch.output_dir / f"{c}.html").read_text(encoding="utf-8")
        shown = _keys(html)
        metrics = json.loads((batch.output_dir / f"{c}.metrics.json").read_text(encoding="utf-8"))
        library = county_summary(ds, county=c, school_year=2022)
        lib_headline = {h["key"]: h for h in library.headline()}
        assert len(metrics["headline"]) >= 6
        for h in metrics["headline"]:
            assert shown[h["key"]] == h["display"], (c, h["key"])
            assert h["value"] == pytest.approx(lib_headline[h["key"]]["value"], rel=1e-12), (c, h["key"])
        # a detail number: the enrolment-weighted 差异系数 of L5 for primary sections
        cv = {(r["stage"], r["indicator"]): r["coefficient_of_variation"]
              for r in metrics["resource_balance"]["indicators"]}
        lib_cv = library.assessment.table.set_index(["stage", "indicator"])["coefficient_of_variation"]
        assert cv[("primary", "L5")] == pytest.approx(lib_cv[("primary", "L5")], rel=1e-12)
        assert shown["resources.cv.primary.L5.cv_weighted"] == f"{lib_cv[('primary', 'L5')]:.3f}"
        detail = {(r["stage"], r["indicator"]): r["cv_weighted"] for r in metrics["resources_detail"]["cv"]}
        assert detail[("primary", "L5")] == pytest.approx(lib_cv[("primary", "L5")], rel=1e-12)


def test_reports_are_labelled_simulated_and_hide_code_and_personal_keys(batch):
    ds = load_dataset("lianyungang_demo")
    keys = set(ds.scores["student_key"].head(2000))
    for c in COUNTIES:
        html = (batch.output_dir / f"{c}.html").read_text(encoding="utf-8")
        assert "模拟数据" in html
        assert "county_summary(" not in html and "import " not in html
        assert not re.search(r"<script[^>]+src=", html)
        assert "@font-face" in html and "data:font/otf;base64," in html
        assert html.count("data:image/png;base64,") >= 4, "figures must be inline"
        assert not any(k in html for k in keys)
    index = (batch.output_dir / "index.html").read_text(encoding="utf-8")
    assert "模拟数据" in index
    for c in COUNTIES:
        assert f'href="{c}.html"' in index


def test_no_missing_glyph_warnings_in_executed_notebooks(batch):
    for c in COUNTIES:
        nb = json.loads((batch.output_dir / "notebooks" / f"{c}.ipynb").read_text(encoding="utf-8"))
        stderr = "".join("".join(o.get("text", "")) for cell in nb["cells"] for o in cell.get("outputs", [])
                         if o.get("name") == "stderr")
        assert "missing from font" not in stderr, stderr[:500]


def test_city_overview_is_built_and_linked(batch):
    out = batch.output_dir
    page = (out / "city_overview.html").read_text(encoding="utf-8")
    assert "模拟数据" in page and "2022" in page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="city_overview.html"' in index
    city = json.loads((out / "city_overview.metrics.json").read_text(encoding="utf-8"))
    # the side-by-side headline of a county equals that county's own report
    for c in COUNTIES:
        own = {h["key"]: h["value"] for h in json.loads((out / f"{c}.metrics.json").read_text(encoding="utf-8"))["headline"]}
        side = city["headlines"]
        rows = [r for r in side if r.get("county") == c]
        assert rows, f"{c} missing from the city overview"
        for r in rows:
            if r.get("key") in own and isinstance(own[r["key"]], (int, float)) and r.get("value") is not None:
                assert r["value"] == pytest.approx(own[r["key"]], rel=1e-12)
