"""Export an executed report notebook to a self-contained HTML page (case C21).

Readers at the bureau see text, tables and figures only: no code, no ``In[ ]``
prompts, no injected-parameters cell, no warnings or other stderr output, and no
script loaded from a CDN (figures are inline PNG).
"""

from __future__ import annotations

import re
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


#: the alternative text nbconvert gives an image that has none (kept, so that pages read the same)
NO_ALT = "No description has been provided for this image"
_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\salt=)")
_RAW_TEXT = re.compile(r"(<(script|style)\b.*?</\2\s*>)", re.S | re.I)
_NUMERIC_REF = re.compile(r"&#(?:([0-9]{1,7})|[xX]([0-9a-fA-F]{1,6}));")
_KEEP_ESCAPED = {ord(c) for c in "&<>\"'"}


def _char(m: re.Match) -> str:
    code = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
    if code in _KEEP_ESCAPED or code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code < 0xE000 or code > 0x10FFFF:
        return m.group(0)
    return chr(code)


def readable_characters(page: str) -> str:
    """``page`` with numeric character references (``&#31034;``, which nbconvert's Markdown renderer writes for
    Chinese headings) turned into the characters themselves, outside scripts and styles — as nbconvert's own
    BeautifulSoup pass left them.  ``&``, ``<``, ``>``, quotes and control characters stay escaped."""
    parts = _RAW_TEXT.split(page)
    out = []
    i = 0
    while i < len(parts):
        out.append(_NUMERIC_REF.sub(_char, parts[i]))
        if i + 1 < len(parts):
            out.append(parts[i + 1])  # a whole <script>/<style> element, as it is
        i += 3
    return "".join(out)


class ReportExporter(HTMLExporter):
    """nbconvert's HTML exporter without its last step: re-parsing the whole page with BeautifulSoup to add
    ``alt`` to images and ``tabindex`` to JupyterLab cells.  On a report page (1–2 MB, mostly inline
    figures) that parse and re-serialisation took more time than rendering the page; the page template has
    no JupyterLab cells, the ``alt`` text is added here by a regular expression on ``<img`` tags, and numeric
    character references become characters (:func:`readable_characters`) as the parse left them."""

    def from_notebook_node(self, nb, resources=None, **kw):  # noqa: D102 - nbconvert API
        from nbconvert.exporters.templateexporter import TemplateExporter
        from nbconvert.filters.highlight import Highlight2HTML
        from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        resources = self._init_resources(resources)
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return readable_characters(_IMG_WITHOUT_ALT.sub(f'<img alt="{NO_ALT}"', html)), resources


def make_exporter() -> HTMLExporter:
    """Return the HTML exporter used for every report (code and prompts hidden)."""
    exporter = ReportExporter(
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
