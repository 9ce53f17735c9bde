"""The CJK font is subset once per batch (lyganalysis.report.fonts): every county page must still have a glyph
for each of its characters that the bundled font has (checked on the embedded font's cmap with fontTools)."""

from __future__ import annotations

import base64
import importlib
import io
import re

import pytest

pytest.importorskip("fontTools")

from fontTools.ttLib import TTFont  # noqa: E402

from lyganalysis.analysis import compute_all  # noqa: E402
from lyganalysis.datasets import load_dataset  # noqa: E402
from lyganalysis.report import fonts  # noqa: E402
from lyganalysis.report.county_page import SECTIONS, CountyPage  # noqa: E402
from lyganalysis.report.html import render  # noqa: E402

_FONT_DATA = re.compile(r"url\(data:font/(?:otf|woff);base64,([A-Za-z0-9+/=]+)\)")


def _shown(text: str, full_cmap: set[str]) -> set[str]:
    """The characters of a page text that need a glyph and that the bundled font has (line breaks and tabs
    are white space, drawn with no glyph)."""
    return {c for c in fonts.page_characters(text) if c.isprintable()} & full_cmap


def _cmap(page: str) -> set[str]:
    """The characters the font embedded in ``page`` has a glyph for."""
    m = _FONT_DATA.search(page)
    assert m, "no embedded font in the page"
    font = TTFont(io.BytesIO(base64.b64decode(m.group(1))))
    return {chr(c) for c in font.getBestCmap()}


@pytest.fixture(scope="module")
def full_cmap() -> set[str]:
    font = TTFont(io.BytesIO(fonts._font_bytes()))
    return {chr(c) for c in font.getBestCmap()}


@pytest.fixture(scope="module")
def demo():
    return load_dataset("lianyungang_demo")


@pytest.fixture(scope="module")
def results(demo):
    return compute_all(demo, school_year=2022)


def _county_page_text(r, language: str) -> str:
    """The text of a county page as the notebook displays it (header, summary, contents, every section's HTML,
    methods), without the figures (inline PNG images carry no characters)."""
    page = CountyPage(r, language=language, source_json='{"rows": {"schools": {"read": 12, "rejected": 1}}}')
    parts = [page.header(), page.summary(), page.toc()]
    for i, (key, module) in enumerate(SECTIONS, start=1):
        result = getattr(r, key, None)
        if result is None:
            continue
        body = importlib.import_module(module).render(result, language=language, school_href=page.school_href)
        parts.append(render("county/section.html.j2", **page._ctx(key=key, number=i, body=body)))
    parts.append(page.methods())
    return "<html><head><title>t</title></head><body>" + "".join(str(p) for p in parts) + "</body></html>"


@pytest.fixture(scope="module")
def batch_font(tmp_path_factory, demo):
    path = tmp_path_factory.mktemp("font") / "font.css"
    return fonts.write_batch_font(path, fonts.batch_characters("zh", ds=demo))


def test_every_county_page_is_covered_by_the_batch_font(results, batch_font, full_cmap):
    css = batch_font.read_text(encoding="utf-8")
    assert len(results) == 10
    for county, r in results.items():
        text = _county_page_text(r, "zh")
        page = fonts.embed_font(text, font_css=batch_font)
        big = len(text.encode("utf-8")) > fonts.OWN_SUBSET_ABOVE  # large pages carry a smaller subset of their own
        assert big or css in page, f"{county}: the batch font was not used (a character outside it?)"
        if big:
            assert css not in page and "@font-face" in page
        missing = _shown(text, full_cmap) - _cmap(page)
        assert not missing, f"{county}: the embedded font lacks {''.join(sorted(missing))!r}"


def test_english_pages_are_covered_too(demo, results, tmp_path, full_cmap):
    path = fonts.write_batch_font(tmp_path / "font.css", fonts.batch_characters("en", ds=demo))
    for county in ("连云区", "徐圩新区"):
        text = _county_page_text(results[county], "en")
        page = fonts.embed_font(text, font_css=path)
        assert path.read_text(encoding="utf-8") in page
        assert not _shown(text, full_cmap) - _cmap(page)


def test_a_character_outside_the_batch_font_gets_its_own_subset(tmp_path, full_cmap):
    path = fonts.write_batch_font(tmp_path / "font.css", fonts.batch_characters("zh"))
    rare = next(c for c in "龘鬱齉靐" if c in full_cmap and c not in path.with_name("font.css.chars").read_text("utf-8"))
    page = fonts.embed_font(f"<html><head></head><body>学校{rare}</body></html>", font_css=path)
    assert path.read_text(encoding="utf-8") not in page
    assert {rare, "学", "校"} <= _cmap(page)


def test_batch_font_reaches_embed_font_through_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(fonts.BATCH_FONT_ENV, raising=False)
    path = fonts.write_batch_font(tmp_path / "font.css", fonts.batch_characters("zh"))
    page = "<html><head></head><body>差异系数 0.45</body></html>"
    with fonts.batch_font(path):
        assert path.read_text(encoding="utf-8") in fonts.embed_font(page)
    assert fonts.BATCH_FONT_ENV not in __import__("os").environ
    assert path.read_text(encoding="utf-8") not in fonts.embed_font(page)  # per page again


def test_batch_characters_include_the_dataset_names_and_the_catalogue(demo):
    chars = set(fonts.batch_characters("zh", ds=demo))
    for name in [*demo.counties(), *demo.schools["school_name"].head(50)]:
        assert set(name) <= chars, name
    assert set("差异系数生师比") <= chars
    assert "\n" not in chars and "\x00" not in chars
