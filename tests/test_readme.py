"""The README's examples run as written (a new user's first contact with the library)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_example_runs(capsys):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README has a Python example"
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "excellence_rate" in out and "school_id" in out


def test_every_notebook_parameter_is_understood_by_papermill():
    """papermill silently ignores a parameter line it cannot parse (e.g. a comment with '='),
    then warns 'Passed unknown parameter' at run time; the pre-flight must agree with it."""
    import papermill as pm

    from lyganalysis.report.template import parameters_cell_names

    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        assert set(pm.inspect_notebook(str(nb))) == set(parameters_cell_names(nb)), nb.name
