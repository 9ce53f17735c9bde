"""Pre-flight checks of a report template before any batch runs (case C15).

papermill silently *prepends* parameters when no cell is tagged ``parameters``, so
the notebook's own defaults then overwrite them and every county gets the default
county's report.  :func:`check_template` refuses such a template before anything runs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import nbformat


class TemplateError(ValueError):
    """A report template cannot be run with the requested parameters."""


def parameters_cell_names(template: str | Path) -> dict[str, str]:
    """Return the names assigned in the template's ``parameters`` cell with their source text.

    Raises
    ------
    TemplateError
        If the template has no cell tagged ``parameters`` or more than one, or the
        cell is not valid Python.
    """
    path = Path(template)
    nb = nbformat.read(str(path), as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise TemplateError(
            f"模板 {path} 必须恰好有一个标记为 'parameters' 的代码单元，实际有 {len(cells)} 个。 / "
            f"Template {path} must have exactly one cell tagged 'parameters' (found {len(cells)}); "
            "tag the cell that holds the defaults (Jupyter: View → Cell toolbar → Tags)."
        )
    try:
        tree = ast.parse(cells[0].source)
    except SyntaxError as exc:
        raise TemplateError(f"模板 {path} 的 parameters 单元不是有效的 Python: {exc}") from exc
    names: dict[str, str] = {}
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Name):
                names[target.id] = ast.get_source_segment(cells[0].source, node) or ""
    return names


def check_template(template: str | Path, parameters: Iterable[str]) -> None:
    """Refuse to run ``template`` unless every parameter in ``parameters`` is defined in
    its single ``parameters`` cell.

    Raises
    ------
    TemplateError
        Naming the template and the parameters it does not define.
    """
    defined = parameters_cell_names(template)
    missing = sorted(set(parameters) - set(defined))
    if missing:
        raise TemplateError(
            f"模板 {template} 的 parameters 单元没有定义参数 {missing}。 / "
            f"Template {template} does not define {missing} in its parameters cell; "
            "add a default for each, or stop passing them."
        )
