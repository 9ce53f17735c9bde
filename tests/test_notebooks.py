"""Every exploration notebook runs top to bottom on one full demo county, through the project's kernel,
and shows result objects (its outputs hold DataFrame tables, not pre-rendered report HTML)."""

import json
from pathlib import Path

import jupyter_client.kernelspec
import papermill as pm
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("0*_*.ipynb"))
KERNEL = "lyganalysis"


def test_the_generator_and_the_committed_notebooks_agree(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_exploration", ROOT / "notebooks" / "make_exploration.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "HERE", tmp_path)
    mod.main()
    for nb in NOTEBOOKS:
        fresh = json.loads((tmp_path / nb.name).read_text(encoding="utf-8"))
        committed = json.loads(nb.read_text(encoding="utf-8"))
        strip = [[c["source"] for c in d["cells"]] for d in (fresh, committed)]
        assert strip[0] == strip[1], f"{nb.name} differs from notebooks/make_exploration.py: run it"
    assert {p.name for p in tmp_path.glob("*.ipynb")} == {p.name for p in NOTEBOOKS}


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_exploration_notebook_runs_with_the_project_kernel(notebook, tmp_path):
    if KERNEL not in jupyter_client.kernelspec.find_kernel_specs():
        pytest.fail(f"the project's kernel {KERNEL!r} is not registered: run `make setup`")
    out = tmp_path / notebook.name
    pm.execute_notebook(str(notebook), str(out), kernel_name=KERNEL, cwd=str(tmp_path), progress_bar=False)
    nb = json.loads(out.read_text(encoding="utf-8"))
    tables = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
              if "text/html" in o.get("data", {}) and "dataframe" in "".join(o["data"]["text/html"])]
    assert tables, f"{notebook.name} shows no result table"
