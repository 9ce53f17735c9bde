"""Export an executed report notebook to a self-contained HTML page (case C21).

Readers at the bureau see text, tables and figures only: no code, no ``In[ ]``
prompts, no injected-parameters cell, no warnings or other stderr output, and no
script loaded from a CDN (figures are inline PNG).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor

TEMPLATE_NAME = "lyg_report"


def _template_dir() -> str:
    return str(resources.files("lyganalysis") / "templates")


class StripForReaders(Preprocessor):
    """Remove what a report reader must not see.

    - papermill's ``injected-parameters`` cell and the ``parameters`` cell;
    - stderr stream outputs (warnings, logging) — they stay in the executed notebook,
      which is the log;
    - any cell tagged ``remove`` or ``remove-cell``.
    """

    def preprocess(self, nb, resources):  # noqa: D102 - nbconvert API
        keep = []
        for cell in nb.cells:
            tags = set(cell.get("metadata", {}).get("tags", []))
            if tags & {"injected-parameters", "parameters", "remove", "remove-cell"}:
                continue
            if cell.cell_type == "code":
                cell.outputs = [
                    out for out in cell.get("outputs", [])
                    if not (out.get("output_type") == "stream" and out.get("name") == "stderr")
                ]
            keep.append(cell)
        nb.cells = keep
        return nb, resources


def asset(name: str) -> str:
    """Text of a page asset (``style.css``, ``script.js``) from ``lyganalysis/report/assets``."""
    return (resources.files("lyganalysis") / "report" / "assets" / name).read_text(encoding="utf-8")


def _injected_language(nb) -> str | None:
    """The ``language`` parameter papermill injected into the notebook, if any."""
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            for line in cell.source.splitlines():
                if line.strip().startswith("language ="):
                    return line.split("=", 1)[1].strip().strip("\"'")
    return None


def make_exporter() -> HTMLExporter:
    """Return the HTML exporter used for every report (code and prompts hidden)."""
    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[_template_dir()],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_preprocessor(StripForReaders(), enabled=True)
    # figures are described by the captions and tables around them; the per-page
    # "Alternative text is missing" notice would only clutter the batch output
    exporter.log.setLevel("ERROR")
    return exporter


def notebook_to_html(notebook_path: str | Path, html_path: str | Path, *, title: str | None = None,
                     embed_cjk_font: bool = True) -> Path:
    """Write the executed notebook at ``notebook_path`` as a self-contained HTML page.

    Parameters
    ----------
    notebook_path : path
        An executed ``.ipynb`` (papermill output).
    html_path : path
        Where to write the page; parent folders are created.
    title : str, optional
        The page ``<title>``; defaults to the notebook file name.
    embed_cjk_font : bool, default True
        Inline a subset of the bundled CJK font (:mod:`lyganalysis.report.fonts`) so Chinese
        text renders in browsers without a Chinese font.

    Returns
    -------
    pathlib.Path
        ``html_path``.
    """
    nb = nbformat.read(str(notebook_path), as_version=4)
    if title:
        nb.metadata["title"] = title
    language = str(nb.metadata.get("lyg_language") or _injected_language(nb) or "zh")
    body, _ = make_exporter().from_notebook_node(
        nb, resources={"lyg_css": asset("style.css"), "lyg_js": asset("script.js"), "lyg_language": language})
    if embed_cjk_font:
        from lyganalysis.report.fonts import embed_font

        body = embed_font(body)
    out = Path(html_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    return out
