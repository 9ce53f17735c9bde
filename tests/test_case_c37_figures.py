"""C37 (tests/cases/C37-mpl-figures-not-closed): figures that are closed after they are shown
appear once each and raise no "More than 20 figures" warning; left open, the inline backend shows
each twice. Run through the project's batch runner (papermill), as the report notebooks are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lyganalysis.report.runner import make_jobs, run_batch

TEMPLATE = Path(__file__).parent / "cases" / "C37-mpl-figures-not-closed" / "template_per_school_charts.ipynb"


def _outputs(nb_path: Path) -> tuple[list[int], str]:
    nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    pngs = [sum(1 for o in c.get("outputs", []) if "image/png" in o.get("data", {})) for c in nb["cells"]]
    stderr = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", [])
                     if o.get("name") == "stderr")
    return pngs, stderr


@pytest.mark.parametrize("close, expected_pngs, warned", [(True, 30, False), (False, 60, True)])
def test_c37_figures_closed_after_render(tmp_path, close, expected_pngs, warned):
    jobs = make_jobs(["示例县"], common={"n_schools": 30, "close_figures": close})
    result = run_batch(TEMPLATE, jobs, tmp_path, workers=1)
    assert result.exit_code == 0
    pngs, stderr = _outputs(result.results[0].notebook_path)
    assert max(pngs) == expected_pngs  # the loop cell: one per school when closed, twice when not
    assert ("More than 20 figures" in stderr) is warned
