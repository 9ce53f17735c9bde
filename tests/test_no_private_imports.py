"""No module of the package imports another module's private (underscored) names."""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "lyganalysis"


def test_no_module_imports_private_names_of_another():
    bad = []
    for p in PKG.rglob("*.py"):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lyganalysis"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):  # dunders are public
                        bad.append(f"{p.relative_to(PKG.parent)}: from {node.module} import {alias.name}")
    assert not bad, bad
