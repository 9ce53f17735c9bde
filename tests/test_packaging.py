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


def _third_party_imports() -> dict[str, list[tuple[str, bool]]]:
    """Top-level names imported by lyganalysis/ that are neither the standard library nor the package itself:
    name → [(file, optional)], optional when the import sits in a ``try`` that handles ImportError."""
    import ast
    import sys

    found: dict[str, list[tuple[str, bool]]] = {}

    def handles_import_error(node: ast.Try) -> bool:
        names = set()
        for h in node.handlers:
            for t in ([h.type] if not isinstance(h.type, ast.Tuple) else h.type.elts):
                if isinstance(t, ast.Name):
                    names.add(t.id)
        return bool(names & {"ImportError", "ModuleNotFoundError"})

    def visit(node: ast.AST, rel: str, optional: bool) -> None:
        if isinstance(node, ast.Try):
            guarded = optional or handles_import_error(node)
            for child in node.body:
                visit(child, rel, guarded)
            for child in [*node.handlers, *node.orelse, *node.finalbody]:
                visit(child, rel, optional)
            return
        mods = []
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mods = [node.module]
        for m in mods:
            top = m.split(".")[0]
            if top not in sys.stdlib_module_names and top != "lyganalysis":
                found.setdefault(top, []).append((rel, optional))
        for child in ast.iter_child_nodes(node):
            visit(child, rel, optional)

    for p in sorted((ROOT / "lyganalysis").rglob("*.py")):
        visit(ast.parse(p.read_text(encoding="utf-8")), str(p.relative_to(ROOT)), False)
    return found


def test_every_runtime_import_is_a_declared_dependency():
    from importlib.metadata import packages_distributions

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_norm(s)[0] for s in project["dependencies"]}
    extras = {_norm(s)[0] for specs in project["optional-dependencies"].values() for s in specs}
    dist_of = packages_distributions()  # import name → distributions, e.g. fontTools → fonttools, yaml → PyYAML
    found = _third_party_imports()
    assert {"yaml", "docx", "fontTools", "jinja2"} <= set(found)  # the scan sees what we know is imported
    problems = []
    for name, uses in sorted(found.items()):
        dists = {d.lower().replace("_", "-") for d in dist_of.get(name, [])}
        if not dists:
            problems.append(f"{name} (imported in {uses[0][0]}) is not installed, so it cannot be declared")
            continue
        required = [rel for rel, optional in uses if not optional]
        if dists & runtime:
            continue
        if not required and dists & extras:
            continue  # an optional feature with an ImportError message naming its extra
        problems.append(f"{name} → {sorted(dists)} (imported in {(required or [uses[0][0]])[0]}) "
                        "is not in [project.dependencies]")
    assert not problems, "\n".join(problems)
