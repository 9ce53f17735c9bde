"""Embed the CJK font into report pages, so Chinese renders on any machine (design brief:
"Chinese rendered with a CJK font").

A reader's browser may have no Chinese font (a Linux server, a locked-down PC); a page that
names only system fonts then shows empty boxes.  :func:`embedded_font_css` subsets the bundled
Noto Sans CJK SC (the same font the figures use, :func:`lyganalysis.plots.font_path`) to the
characters a page actually contains and returns an ``@font-face`` rule with the subset inline
(base64), typically 100–300 kB per page.

Subsetting costs about a second per page, so a batch subsets once: :func:`write_batch_font` cuts the font to
every character the batch's pages can contain (:func:`batch_characters`: the text catalogue of the page
language, the templates and page assets, the package's own texts such as inspection item names, every text value
of the dataset, ASCII and CJK punctuation) and writes the ``<style>`` element to a file; :func:`batch_font`
names that file (environment variable :data:`BATCH_FONT_ENV`, so that the pool's workers and their notebook
kernels see it too) and :func:`embed_font` then inserts it into every page whose characters it covers. A page
with a character outside the batch subset still gets its own subset: no page ever shows a missing glyph.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import logging
import os
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

FAMILY = "LygCJK"
_TAGS = re.compile(r"<(style)\b.*?</\1>|<[^>]+>", re.S | re.I)  # script text counts: it may write words
_ASCII = "".join(chr(c) for c in range(32, 127))
#: CJK symbols and punctuation, full-width forms, general punctuation (…, —, ‰), arrows and maths signs (≤, ×)
_PUNCTUATION = "".join(chr(c) for r in ((0x3000, 0x3040), (0xFF00, 0xFF66), (0x2010, 0x2070), (0x2190, 0x2200),
                                        (0x2200, 0x2270), (0x00A0, 0x0100), (0x2150, 0x2190)) for c in range(*r))
#: the environment variable naming the batch's font file (set by :func:`batch_font`)
BATCH_FONT_ENV = "LYGANALYSIS_BATCH_FONT"
#: the package's text files whose words a page can show (templates, assets, data tables); Python sources are
#: not read whole (their docstrings and messages would double the font): their shown names are added by name
_PACKAGE_TEXT = ("*.yaml", "*.yml", "*.j2", "*.csv", "*.js", "*.html", "*.tpl")


def page_characters(page: str) -> str:
    """The distinct characters of the text of an HTML page and its scripts (markup and styles excluded)."""
    text = html.unescape(_TAGS.sub(" ", page))
    return "".join(sorted(set(text) | set(_ASCII)))


@lru_cache(maxsize=1)
def _font_bytes() -> bytes:
    from lyganalysis.plots import font_path

    return font_path().read_bytes()


def subset_font(characters: str) -> bytes:
    """The bundled CJK font cut down to ``characters`` (WOFF bytes: OpenType/CFF, zlib-compressed)."""
    from fontTools import subset

    options = subset.Options()  # default layout features and names: enough for Chinese and Latin text
    options.notdef_outline = True
    options.hinting = False
    options.flavor = "woff"  # zlib-compressed: a fifth smaller than bare OpenType, read by every browser since IE 9
    font = subset.load_font(io.BytesIO(_font_bytes()), options)
    sub = subset.Subsetter(options)
    sub.populate(text=characters)
    sub.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    return out.getvalue()


def _css_for(characters: str) -> str:
    data = base64.b64encode(subset_font(characters)).decode("ascii")
    return (f"<style type=\"text/css\">@font-face {{ font-family: \"{FAMILY}\"; "
            f"src: url(data:font/woff;base64,{data}) format(\"woff\"); }}\n"
            f"body, .jp-Notebook, .jp-RenderedHTMLCommon, table, th, td {{ font-family: \"{FAMILY}\", "
            "\"Noto Sans CJK SC\", \"PingFang SC\", \"Microsoft YaHei\", sans-serif !important; }</style>")


def embedded_font_css(page: str) -> str:
    """A ``<style>`` element with an inline ``@font-face`` for the characters of ``page`` and a
    rule putting that family first for the whole page."""
    return _css_for(page_characters(page))


def package_characters(language: str) -> set[str]:
    """Every character of the text catalogue of ``language``, the page templates and assets, the package's data
    files and the inspection items' names (:data:`lyganalysis.inspection.INSPECTION_ITEMS`): the fixed text a
    page can show."""
    from lyganalysis.inspection import INSPECTION_ITEMS
    from lyganalysis.report.text import catalogue

    chars = set("".join(catalogue(language).values()))
    for item in INSPECTION_ITEMS.values():
        chars |= set(f"{item.name_zh}{item.name_en}")
    root = Path(__file__).resolve().parents[1]
    for pattern in _PACKAGE_TEXT:
        for p in root.rglob(pattern):
            with contextlib.suppress(OSError, UnicodeDecodeError):
                chars |= set(p.read_text(encoding="utf-8"))
    return chars


def dataset_characters(ds) -> set[str]:
    """Every character of the text values of the tables of ``ds`` (school, county, subject, locale names …)."""
    import pandas as pd

    chars: set[str] = set()
    for frame in ds.tables().values():
        for col in frame.columns:
            values = frame[col]
            if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values) \
                    or pd.api.types.is_datetime64_any_dtype(values):
                continue
            chars |= set("".join(pd.unique(values.dropna().astype(str))))
            chars |= set(str(col))
    return chars


def batch_characters(language: str, *, ds=None, texts: Iterable[str] = ()) -> str:
    """The characters the pages of a batch can contain: :func:`package_characters` of ``language``,
    :func:`dataset_characters` of ``ds``, the characters of ``texts`` (e.g. pages already written), ASCII and
    the punctuation of :data:`_PUNCTUATION`; control characters excluded. Sorted, distinct."""
    chars = package_characters(language) | set(_ASCII) | set(_PUNCTUATION)
    if ds is not None:
        chars |= dataset_characters(ds)
    for text in texts:
        chars |= set(text)
    return "".join(sorted(c for c in chars if c.isprintable() or c == " "))


def write_batch_font(path: str | Path, characters: str) -> Path:
    """Subset the font once to ``characters`` and write the ``<style>`` element to ``path`` (UTF-8), with the
    characters it was cut to in ``<path>.chars`` (what :func:`embed_font` checks a page against).

    Returns
    -------
    pathlib.Path
        ``path``. Both files are written under temporary names and renamed.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    for target, text in ((out.with_name(out.name + ".chars"), characters), (out, _css_for(characters))):
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    return out


@lru_cache(maxsize=4)
def _load_batch_font(path: str, mtime_ns: int) -> tuple[str, frozenset[str]]:
    p = Path(path)
    return p.read_text(encoding="utf-8"), frozenset(p.with_name(p.name + ".chars").read_text(encoding="utf-8"))


def batch_font_css(path: str | Path | None = None) -> tuple[str, frozenset[str]] | None:
    """The batch's ``<style>`` element and the characters it covers (from ``path``, else the file named by
    :data:`BATCH_FONT_ENV`); None when there is none or it cannot be read."""
    path = path or os.environ.get(BATCH_FONT_ENV)
    if not path:
        return None
    try:
        return _load_batch_font(str(path), Path(path).stat().st_mtime_ns)
    except OSError:
        return None


@contextlib.contextmanager
def batch_font(path: str | Path | None) -> Iterator[None]:
    """Within the block, :func:`embed_font` uses the batch font at ``path`` (None: no change) — here and in
    the processes started inside the block (pool workers and their notebook kernels inherit it)."""
    if path is None:
        yield
        return
    old = os.environ.get(BATCH_FONT_ENV)
    os.environ[BATCH_FONT_ENV] = str(Path(path).resolve())
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(BATCH_FONT_ENV, None)
        else:
            os.environ[BATCH_FONT_ENV] = old


#: Pages larger than this (bytes, before the font) get a subset of their own even when the batch font covers
#: them: the batch font holds every character of the batch (≈ 310 KB), a large county page's own ≈ 240 KB,
#: and the largest pages are the ones near the 1.5 MB budget.
OWN_SUBSET_ABOVE = 900_000


def embed_font(page: str, *, font_css: str | Path | None = None) -> str:
    """Return ``page`` with a CJK font ``<style>`` inserted before ``</head>``.

    The batch font (``font_css``, else :data:`BATCH_FONT_ENV`) when it covers every character of the page and the
    page is not larger than :data:`OWN_SUBSET_ABOVE`; otherwise a subset made for this page
    (:func:`embedded_font_css`).
    """
    css = None
    batch = batch_font_css(font_css) if len(page.encode("utf-8")) <= OWN_SUBSET_ABOVE else None
    if batch is not None:
        missing = set(page_characters(page)) - batch[1] - {"\n", "\r", "\t"}
        if not missing:
            css = batch[0]
        else:
            log.info("page has %d characters outside the batch font (%s): subsetting for this page",
                     len(missing), "".join(sorted(missing))[:40])
    if css is None:
        css = embedded_font_css(page)
    if "</head>" in page:
        return page.replace("</head>", css + "</head>", 1)
    return css + page
