"""`lyganalysis report --raw`: the batch runs from bureau-style exports and gives the same numbers as
from the clean tables (make reports can run from the raw exports as well)."""

import json

import pytest

from lyganalysis.analysis import analyse_county
from lyganalysis.cli import main
from lyganalysis.datasets import load_dataset
from lyganalysis.datasets.raw_export import write_raw_exports

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
    from lyganalysis.analysis.headline import headline

    clean = [f.to_dict() for f in headline(analyse_county(demo, county=county, school_year=2022))]
    assert [h["key"] for h in metrics["headline"]] == [h["key"] for h in clean]
    for got, want in zip(metrics["headline"], clean):
        if isinstance(want["value"], float):
            assert got["value"] == pytest.approx(want["value"], rel=1e-12), got["key"]
        else:
            assert got["value"] == want["value"], got["key"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert any(f["path"].endswith(".xlsx") for f in manifest["inputs"]), "raw inputs are checksummed"
