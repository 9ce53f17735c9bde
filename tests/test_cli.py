"""The command line: report (with a failing county), validate, demo-data, and clear errors."""

import json

import nbformat

from lyganalysis.cli import main
from lyganalysis.report.index import write_index


def _failing_template(path):
    """A report template with the real parameters whose run fails for one county."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('county = "云台山景区"\nschool_year = 2022\ndata_source = ""\n'
                                       'language = "zh"\nmin_cell_size = 5\nmetrics_path = ""\nresults_dir = ""\nsource_json = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        'if county == "徐圩新区":\n    raise ValueError(f"{county}: 数据缺失")\nprint("县区", county)')]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def test_report_with_one_failing_county(tmp_path, capsys):
    tpl = _failing_template(tmp_path / "tpl.ipynb")
    out = tmp_path / "out"
    code = main(["report", "--county", "云台山景区", "--county", "徐圩新区", "--output", str(out),
                 "--template", str(tpl), "--workers", "2", "--processed-dir", str(tmp_path / "processed")])
    assert code == 1
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "ValueError: 徐圩新区: 数据缺失" in index
    assert 'href="云台山景区.html"' in index and 'href="徐圩新区.html"' not in index
    assert (out / "云台山景区.html").exists() and not (out / "徐圩新区.html").exists()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {r["county"]: r["status"] for r in manifest["results"]} == {"云台山景区": "ok", "徐圩新区": "failed"}
    assert "1 failed" in capsys.readouterr().err


def test_unknown_county_is_a_clear_error(tmp_path, capsys):
    code = main(["report", "--county", "不存在县", "--output", str(tmp_path), "--processed-dir", str(tmp_path / "p")])
    assert code == 2
    assert "不存在县" in capsys.readouterr().err


def test_index_shows_failures_with_their_error(tmp_path):
    entries = [
        {"county": "甲县", "status": "ok", "html": "甲县.html", "error_type": None, "message": None,
         "headline": [{"key": "k", "label": "生师比", "display": "15.2"}]},
        {"county": "乙<县>", "status": "failed", "html": None, "error_type": "KeyError", "message": "缺少 <列>",
         "headline": []},
    ]
    page = write_index(tmp_path / "index.html", entries, dataset_label="测试", simulated=True).read_text(encoding="utf-8")
    assert "15.2" in page and "模拟数据" in page
    assert "KeyError: 缺少 &lt;列&gt;" in page and "乙&lt;县&gt;" in page  # escaped, never raw HTML
    assert "1 个县区的报告生成失败" in page


def test_validate_reports_problems_and_exits_nonzero(tmp_path, capsys):
    (tmp_path / "good.csv").write_text("学校名称,在校生数\n城关一小,1200\n", encoding="utf-8")
    (tmp_path / "bad.csv").write_text("学校名称,在校生数,专任教师数\n河口小学,1,234,50\n", encoding="utf-8")
    code = main(["validate", str(tmp_path)])
    out = capsys.readouterr().out
    assert code != 0
    assert "bad.csv" in out


def test_demo_data_writes_processed_tables(tmp_path, capsys):
    assert main(["demo-data", "--out", str(tmp_path / "p")]) == 0
    for name in ("schools", "teachers", "scores", "county_facts"):
        assert (tmp_path / "p" / f"{name}.parquet").exists()
