"""pyproject.toml is the dependency list; environment.yml mirrors it for conda users."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _norm(spec: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    wanted = {_norm(s) for s in project["dependencies"]}
    for name in ("test", "dask", "lab", "dev"):  # every extra the Makefile installs is mirrored
        wanted |= {_norm(s) for s in extras[name]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    have = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            have |= {_norm(s) for s in dep["pip"] if not s.startswith("-e")}
        elif not dep.startswith(("python=", "pip")) or dep.startswith("pip") and dep != "pip":
            have.add(_norm(dep))
    assert have == wanted, f"only in environment.yml: {sorted(have - wanted)}; only in pyproject: {sorted(wanted - have)}"


def test_readme_names_the_two_commands_and_ci_runs_the_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make reports" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_notebooks_are_committed_without_outputs():
    import json

    for nb_path in (ROOT / "notebooks").glob("*.ipynb"):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs") and not cell.get("execution_count"), f"{nb_path.name} has outputs"
