"""The report exporter (lyganalysis.report.export.ReportExporter) skips nbconvert's BeautifulSoup pass; the page
it writes must be the page nbconvert's own HTMLExporter writes with the same settings (same document once
parsed), images with their alternative text included."""

from __future__ import annotations

import base64
import copy

import nbformat
import pytest
from nbconvert import HTMLExporter

from lyganalysis.report import export as E

bs4 = pytest.importorskip("bs4")

# a 1×1 PNG (invented content)
_PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cf"
    "c0f01f0005000201e221bc330000000049454e44ae426082")).decode()


def _notebook():
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('county = "连云区"')
    params.metadata["tags"] = ["parameters"]
    shown = nbformat.v4.new_code_cell("display(x)")
    shown.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": "<h2>县域报告 &amp; 差异系数</h2><p>0.45</p>"}),
        nbformat.v4.new_output("display_data", data={"image/png": _PNG, "text/plain": "<Figure>"}),
        nbformat.v4.new_output("stream", name="stderr", text="a warning the reader must not see"),
        nbformat.v4.new_output("display_data", data={"text/html": '<img src="x.png" alt="已有说明">'}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# 标题 *强调*"), params, shown]
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def _stock_exporter() -> HTMLExporter:
    ex = HTMLExporter(template_name=E.TEMPLATE_NAME, extra_template_basedirs=[E._template_dir()],
                      exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    ex.register_preprocessor(E.StripForReaders(), enabled=True)
    ex.log.setLevel("ERROR")
    return ex


def _resources():
    return {"lyg_css": E.asset("style.css"), "lyg_js": E.asset("script.js"), "lyg_language": "zh"}


def test_the_page_is_nbconverts_page():
    nb = _notebook()
    ours, _ = E.make_exporter().from_notebook_node(copy.deepcopy(nb), resources=_resources())
    stock, _ = _stock_exporter().from_notebook_node(copy.deepcopy(nb), resources=_resources())
    a, b = bs4.BeautifulSoup(ours, "html.parser"), bs4.BeautifulSoup(stock, "html.parser")
    assert str(a) == str(b)
    alts = [img.get("alt") for img in a.find_all("img")]
    assert alts == [E.NO_ALT, "已有说明"]
    assert "a warning the reader must not see" not in ours and 'county = "连云区"' not in ours
    assert "标题" in ours  # the Markdown heading as characters, not as &#26631;&#39064;


def test_readable_characters_keeps_markup_escapes_and_scripts():
    page = '<p>&#26631;&#x9898; &#60;b&#62; &#38; &#34;</p><script>var s = "&#26631;";</script><p>&#8212;</p>'
    assert E.readable_characters(page) == ('<p>标题 &#60;b&#62; &#38; &#34;</p><script>var s = "&#26631;";'
                                           '</script><p>—</p>')


def test_notebook_to_html_writes_the_page(tmp_path):
    nb_path = tmp_path / "x.ipynb"
    nbformat.write(_notebook(), str(nb_path))
    out = E.notebook_to_html(nb_path, tmp_path / "x.html", title="连云区", embed_cjk_font=False)
    page = out.read_text(encoding="utf-8")
    assert "<title>连云区</title>" in page and "差异系数" in page and f'alt="{E.NO_ALT}"' in page
