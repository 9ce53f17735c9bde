"""Embed the CJK font into report pages, so Chinese renders on any machine (design brief:
"Chinese rendered with a CJK font").

A reader's browser may have no Chinese font (a Linux server, a locked-down PC); a page that
names only system fonts then shows empty boxes.  :func:`embedded_font_css` subsets the bundled
Noto Sans CJK SC (the same font the figures use, :func:`lyganalysis.plots.font_path`) to the
characters a page actually contains and returns an ``@font-face`` rule with the subset inline
(base64), typically 100–300 kB per page.
"""

from __future__ import annotations

import base64
import html
import io
import re
from functools import lru_cache

FAMILY = "LygCJK"
_TAGS = re.compile(r"<(style)\b.*?</\1>|<[^>]+>", re.S | re.I)  # script text counts: it may write words
_ASCII = "".join(chr(c) for c in range(32, 127))


def page_characters(page: str) -> str:
    """The distinct characters of the text of an HTML page and its scripts (markup and styles excluded)."""
    text = html.unescape(_TAGS.sub(" ", page))
    return "".join(sorted(set(text) | set(_ASCII)))


@lru_cache(maxsize=1)
def _font_bytes() -> bytes:
    from lyganalysis.plots import font_path

    return font_path().read_bytes()


def subset_font(characters: str) -> bytes:
    """The bundled CJK font cut down to ``characters`` (WOFF bytes)."""
    from fontTools import subset

    options = subset.Options()  # default layout features and names: enough for Chinese and Latin text
    options.notdef_outline = True
    options.hinting = False
    options.flavor = "woff"  # zlib-compressed (about 30 % smaller than the bare font), read by every browser since IE9
    font = subset.load_font(io.BytesIO(_font_bytes()), options)
    sub = subset.Subsetter(options)
    sub.populate(text=characters)
    sub.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    return out.getvalue()


def embedded_font_css(page: str) -> str:
    """A ``<style>`` element with an inline ``@font-face`` for the characters of ``page`` and a
    rule putting that family first for the whole page."""
    data = base64.b64encode(subset_font(page_characters(page))).decode("ascii")
    return (f"<style type=\"text/css\">@font-face {{ font-family: \"{FAMILY}\"; "
            f"src: url(data:font/woff;base64,{data}) format(\"woff\"); }}\n"
            f"body, .jp-Notebook, .jp-RenderedHTMLCommon, table, th, td {{ font-family: \"{FAMILY}\", "
            "\"Noto Sans CJK SC\", \"PingFang SC\", \"Microsoft YaHei\", sans-serif !important; }</style>")


def embed_font(page: str) -> str:
    """Return ``page`` with :func:`embedded_font_css` inserted before ``</head>``."""
    css = embedded_font_css(page)
    if "</head>" in page:
        return page.replace("</head>", css + "</head>", 1)
    return css + page
