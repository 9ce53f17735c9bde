"""Batch runner and HTML export: cases C15, C16, C19, C20, C21 (inputs in tests/cases)."""

import csv
import json
import re
from pathlib import Path

import pytest

from lyganalysis.report.export import notebook_to_html
from lyganalysis.report.runner import ReportJob, make_jobs, run_batch, run_job
from lyganalysis.report.slug import assign_filenames, safe_filename
from lyganalysis.report.template import TemplateError, check_template

CASES = Path(__file__).parent / "cases"


# --- C15: a template without a tagged parameters cell is refused before anything runs
def test_c15_untagged_template_is_refused(tmp_path):
    template = CASES / "C15-papermill-no-parameters-tag" / "template_untagged.ipynb"
    with pytest.raises(TemplateError, match="template_untagged.ipynb"):
        run_batch(template, make_jobs(["城关镇"]), tmp_path)
    assert not list(tmp_path.rglob("*.ipynb")), "nothing may run for a refused template"


def test_c15_tagged_template_prints_the_requested_county(tmp_path):
    template = CASES / "C15-papermill-no-parameters-tag" / "template_tagged.ipynb"
    result = run_batch(template, make_jobs(["城关镇"]), tmp_path, workers=1)
    assert result.exit_code == 0
    nb = json.loads(Path(result.results[0].notebook_path).read_text(encoding="utf-8"))
    text = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    assert "本报告县区: 城关镇" in text


def test_c15_undefined_parameter_is_refused():
    template = CASES / "C15-papermill-no-parameters-tag" / "template_tagged.ipynb"
    with pytest.raises(TemplateError, match="school_year"):
        check_template(template, ["county", "school_year"])


# --- C16: parameters pass through as Python objects, byte-for-byte
def test_c16_parameters_round_trip_exactly(tmp_path):
    case = CASES / "C16-papermill-parameter-quoting"
    params = json.loads((case / "params.json").read_text(encoding="utf-8"))
    job = ReportJob(county=params["county"], stem="echo", parameters=params)
    result = run_job(job, str(case / "template_echo.ipynb"), str(tmp_path), cwd=str(tmp_path), export_html=False)
    assert result.status == "ok", result.message
    echoed = json.loads((tmp_path / "echo.json").read_text(encoding="utf-8"))
    assert echoed == params


# --- C19: one failing county never stops the others
def test_c19_one_failure_does_not_stop_the_batch(tmp_path):
    case = CASES / "C19-papermill-batch-one-failure"
    with open(case / "counties.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    per_county = {r["county"]: {"fail": r["fail"] == "True"} for r in rows}
    jobs = make_jobs([r["county"] for r in rows], per_county)
    result = run_batch(case / "template_maybe_fail.ipynb", jobs, tmp_path, workers=2)
    summary = result.to_frame().set_index("county")
    assert summary.loc["甲县", "status"] == "ok"
    assert summary.loc["丙县", "status"] == "ok"
    assert summary.loc["乙县", "status"] == "failed"
    assert summary.loc["乙县", "error_type"] == "ValueError"
    assert summary.loc["乙县", "message"] == "乙县: 数据缺失"
    assert (tmp_path / "甲县.html").exists() and (tmp_path / "丙县.html").exists()
    assert not (tmp_path / "乙县.html").exists()
    failed_nb = json.loads((tmp_path / "notebooks" / "乙县.ipynb").read_text(encoding="utf-8"))
    assert "papermill-error-cell-tag" in json.dumps(failed_nb["cells"][0]["metadata"]) or \
        "An Exception was encountered" in "".join(failed_nb["cells"][0]["source"])
    assert result.exit_code != 0


# --- C20: output folders are created and county names made safe and unique
def test_c20_slugs():
    assert safe_filename("城关镇/开发区") == "城关镇_开发区"
    assert safe_filename(" 河口乡 ") == "河口乡"
    assert safe_filename("CON") == "_CON"
    assert safe_filename('a\\b:c*d?e"f<g>h|i') == "a_b_c_d_e_f_g_h_i"
    assert safe_filename("ＣＯＮ") == "_CON"  # NFKC first
    with pytest.raises(ValueError):
        safe_filename("   ")


def test_c20_duplicates_merge_and_collisions_are_refused():
    names = [" 河口乡 ", "河口乡"]
    assert assign_filenames(names) == {"河口乡": "河口乡"}
    with pytest.raises(ValueError, match="城关镇/开发区"):
        assign_filenames(["城关镇/开发区", "城关镇:开发区"])


def test_c20_batch_creates_output_tree(tmp_path):
    case = CASES / "C20-papermill-output-paths"
    with open(case / "counties.csv", encoding="utf-8") as fh:
        counties = [r["county"] for r in csv.DictReader(fh)]
    out = tmp_path / "out" / "2024-09"
    result = run_batch(case / "template.ipynb", make_jobs(counties), out, workers=2)
    assert result.exit_code == 0, result.to_frame()
    assert sorted(p.name for p in out.glob("*.html")) == sorted(["城关镇_开发区.html", "河口乡.html", "_CON.html"])


# --- C21: readers see no code, no prompts, no warnings, no CDN scripts
def test_c21_html_hides_code_and_warnings(tmp_path):
    case = CASES / "C21-nbconvert-hide-code"
    result = run_batch(case / "report_template.ipynb", make_jobs(["示例县"]), tmp_path, workers=1)
    assert result.exit_code == 0, result.to_frame()
    html = Path(result.results[0].html_path).read_text(encoding="utf-8")
    assert "全县平均分: 78.6" in html
    assert "示例县 教育质量报告" in html
    assert "SECRET_MARKER_CODE" not in html
    assert "内部调试信息" not in html
    assert 'county = "示例县"' not in html
    assert "In&nbsp;[" not in html and "In [" not in html
    assert not re.search(r"<script[^>]+src=", html), "report must not load scripts from elsewhere"


def test_export_is_self_contained(tmp_path):
    case = CASES / "C21-nbconvert-hide-code"
    out = notebook_to_html(case / "report_template.ipynb", tmp_path / "x.html")
    html = out.read_text(encoding="utf-8")
    assert "cdnjs" not in html and "require.js" not in html and "mathjax" not in html.lower()


# --- the same batch on Dask distributed (here a local cluster stands in for several machines)
def test_dask_executor_runs_the_batch(tmp_path):
    distributed = pytest.importorskip("distributed")
    case = CASES / "C19-papermill-batch-one-failure"
    jobs = make_jobs(["甲县", "乙县"], {"甲县": {"fail": False}, "乙县": {"fail": True}})
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        result = run_batch(case / "template_maybe_fail.ipynb", jobs, tmp_path, executor="dask",
                           scheduler=cluster.scheduler_address)
    summary = result.to_frame().set_index("county")
    assert summary.loc["甲县", "status"] == "ok" and (tmp_path / "甲县.html").exists()
    assert summary.loc["乙县", "status"] == "failed" and summary.loc["乙县", "error_type"] == "ValueError"
    assert result.exit_code == 1


def test_dask_executor_needs_a_scheduler(tmp_path):
    case = CASES / "C19-papermill-batch-one-failure"
    with pytest.raises(ValueError, match="scheduler"):
        run_batch(case / "template_maybe_fail.ipynb", make_jobs(["甲县"]), tmp_path, executor="dask")
