"""Progress display and the index/disk agreement of the batch (no notebooks run here)."""

import io

from lyganalysis.cli import build_parser
from lyganalysis.report.index import write_index
from lyganalysis.report.progress import BatchProgress
from lyganalysis.report.runner import JobResult


class _Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def _result(county, status="ok", seconds=10.0, reused=False):
    return JobResult(county, county, status, None if status == "ok" else "ValueError",
                     None if status == "ok" else "坏数据", None, None, seconds, reused=reused)


def test_plain_lines_when_not_a_terminal():
    out, clock = io.StringIO(), _Clock()
    p = BatchProgress(out, tty=False, clock=clock)
    p.start(4, slots=2)
    p.update(_result("甲县", reused=True))
    clock.t = 20.0
    p.update(_result("乙县"))
    clock.t = 30.0
    p.update(_result("丙县", "timeout"))
    p.close()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue() and "\033" not in out.getvalue()
    assert lines[1].startswith("[1/4] ok") and "unchanged, kept" in lines[1] and "left" not in lines[1]
    # one county actually ran (the other was kept) in 20 s elapsed; two still to go → 40 s
    assert lines[2].startswith("[2/4] ok") and "00:20 elapsed, ~00:40 left" in lines[2]
    assert lines[3].startswith("[3/4] timeout") and "ValueError: 坏数据" in lines[3]
    assert (p.done, p.failed, p.running) == (2, 1, 1)


def test_terminal_line_counts_done_running_failed():
    out, clock = io.StringIO(), _Clock()
    p = BatchProgress(out, tty=True, clock=clock, width=10)
    p.total, p.slots, p.started = 10, 2, 0.0
    p.done, p.failed = 4, 1
    clock.t = 50.0
    line = p.line()
    assert line.startswith("[#####.....] 5/10")
    assert "done 4" in line and "running 2" in line and "failed 1" in line
    assert "00:50 elapsed" in line and "~00:50 left" in line


def test_index_links_only_pages_on_disk_and_shows_each_status(tmp_path):
    (tmp_path / "甲县.html").write_text("<html></html>", encoding="utf-8")
    (tmp_path / "丁县.html").write_text("<html></html>", encoding="utf-8")  # an earlier run's page
    entries = [
        {"county": "甲县", "status": "ok", "html": "甲县.html", "error_type": None, "message": None},
        {"county": "乙县", "status": "ok", "html": "乙县.html", "error_type": None, "message": None},
        {"county": "丙县", "status": "kernel_died", "html": None, "error_type": "DeadKernelError", "message": "SIGKILL"},
        {"county": "丁县", "status": "pending", "html": "丁县.html", "error_type": None, "message": None},
        {"county": "戊县", "status": "timeout", "html": None, "error_type": "Timeout", "message": "600 s"},
        {"county": "己县", "status": "preflight", "html": None, "error_type": "Preflight", "message": "缺数据"},
    ]
    page = write_index(tmp_path / "index.html", entries, dataset_label="测试", embed_cjk_font=False,
                       links=[("概览", "city_overview.html")]).read_text(encoding="utf-8")
    assert 'href="甲县.html"' in page and 'href="丁县.html"' in page
    assert 'href="乙县.html"' not in page, "a page that is not on disk is never linked"
    assert 'href="city_overview.html"' not in page
    for label in ("内核终止", "超时", "未运行（预检失败）", "生成中"):
        assert label in page
    assert "3 个县区的报告生成失败" in page  # pending is not a failure
    assert not list(tmp_path.glob(".index.html*")), "written under a temporary name, then renamed"


def test_report_command_flags():
    args = build_parser().parse_args(["report", "--timeout", "90", "--force", "-q"])
    assert args.timeout == 90.0 and args.force and args.quiet and args.workers is None
    args = build_parser().parse_args(["demo-data", "--scale", "province"])
    assert args.scale == "province" and args.out is None


def test_a_killed_batch_still_remembers_what_may_be_kept(tmp_path):
    import json

    from lyganalysis.report.manifest import previous_results

    earlier = {"stem": "甲县", "status": "ok", "fingerprint": "f1"}
    (tmp_path / "manifest.json").write_text(json.dumps({
        "results": [{"stem": "甲县", "status": "pending", "earlier": earlier},
                    {"stem": "乙县", "status": "failed", "fingerprint": None}],
        "earlier_runs": [{"stem": "丙县", "status": "ok", "fingerprint": "f3"}]}), encoding="utf-8")
    prev = previous_results(tmp_path / "manifest.json")
    assert prev["甲县"] == earlier and prev["乙县"]["status"] == "failed" and prev["丙县"]["fingerprint"] == "f3"
    assert previous_results(tmp_path / "missing.json") == {}
