"""`lyganalysis report --raw`: the batch runs from bureau-style exports and gives the same numbers as
from the clean tables (issue 3: make reports can run from the raw exports as well)."""

import json

import pytest

from lyganalysis.cli import main
from lyganalysis.datasets import load_dataset
from lyganalysis.datasets.raw_export import write_raw_exports
from lyganalysis.summary import county_summary

pytestmark = pytest.mark.e2e


def test_report_from_raw_exports_equals_clean_tables(tmp_path):
    demo = load_dataset("lianyungang_demo")
    county = "徐圩新区"
    write_raw_exports(demo.for_county(county), tmp_path / "raw")
    out = tmp_path / "out"
    code = main(["report", "--raw", str(tmp_path / "raw"), "--output", str(out), "--workers", "1",
                 "--processed-dir", str(tmp_path / "processed")])
    assert code == 0
    metrics = json.loads((out / f"{county}.metrics.json").read_text(encoding="utf-8"))
    clean = county_summary(demo, county=county, school_year=2022).headline()
    assert [(h["key"], h["display"]) for h in metrics["headline"]] == [(h["key"], h["display"]) for h in clean]
    for got, want in zip(metrics["headline"], clean):
        assert got["value"] == pytest.approx(want["value"], rel=1e-12)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert any(f["path"].endswith(".xlsx") for f in manifest["inputs"]), "raw inputs are checksummed"
