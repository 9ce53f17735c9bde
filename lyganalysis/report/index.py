"""``index.html``: every county of a batch with its status, headline figures and a link."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from lyganalysis import __version__
from lyganalysis.labels import t

_STYLE = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.35em 0.6em; text-align: right; }
th { background: #f2f4f7; }
td.name, th.name, td.err { text-align: left; }
td.name { white-space: nowrap; }
tr.failed { background: #fdecea; }
tr.pending { background: #f5f5f5; color: #666; }
.banner { background: #fff3cd; border: 1px solid #e0b84c; padding: 0.6em 1em; border-radius: 4px; }
.alert { background: #fdecea; border: 1px solid #e57373; padding: 0.6em 1em; border-radius: 4px; }
.muted { color: #666; font-size: 0.9em; }
"""


#: How each batch status is shown (see lyganalysis.report.runner.STATUSES); "pending" is a county
#: not finished yet while the batch runs.
STATUS_LABELS = {
    "kernel_died": {"zh": "内核终止", "en": "kernel died"},
    "timeout": {"zh": "超时", "en": "timed out"},
    "preflight": {"zh": "未运行（预检失败）", "en": "not run (pre-flight)"},
    "pending": {"zh": "生成中", "en": "in progress"},
}


def status_label(status: str, language: str = "zh") -> str:
    """The index's label for a county's batch status."""
    if status == "ok":
        return t("status_ok", language)
    if status in STATUS_LABELS:
        return STATUS_LABELS[status][language if language in ("zh", "en") else "en"]
    return t("status_failed", language)


def write_index(path: str | Path, entries: Sequence[Mapping[str, Any]], *, dataset_label: str,
                language: str = "zh", simulated: bool = False, source_note: str | None = None,
                links: Sequence[tuple[str, str]] = (), embed_cjk_font: bool = True) -> Path:
    """Write the batch's index page.

    Parameters
    ----------
    path : path
        Output ``index.html``.
    entries : sequence of mappings
        One per county, in display order, with keys ``county``, ``status`` (a batch status,
        see :data:`STATUS_LABELS`, or ``"pending"``), ``html`` (relative link or None),
        ``error_type``, ``message`` and ``headline``: a list of ``{"key", "label", "display"}``
        dicts (already formatted for display).  A link is shown only when its page exists beside
        the index, so the index never points at a page that is not on disk.
    dataset_label : str
        Shown in the title.
    simulated : bool
        Adds the 模拟数据 banner.
    links : sequence of (label, href)
        Extra links (city overview, manifest); dropped when the file is not on disk.
    embed_cjk_font : bool
        Inline a subset of the CJK font (the final index); the in-progress index a batch rewrites
        after every county skips it.

    The page is written to a temporary name and renamed over ``path``.
    """
    base = Path(path).parent
    on_disk = lambda href: bool(href) and (base / href).is_file()  # noqa: E731
    links = [(label, href) for label, href in links if on_disk(href)]
    esc = html.escape
    columns: list[tuple[str, str]] = []
    for e in entries:
        for h in e.get("headline") or []:
            if h["key"] not in [c[0] for c in columns]:
                columns.append((h["key"], h["label"]))
    title = t("index_title", language, dataset=dataset_label)
    n_failed = sum(1 for e in entries if e["status"] not in ("ok", "pending"))
    parts = [f"<!DOCTYPE html><html lang=\"{'zh-CN' if language == 'zh' else 'en'}\"><head><meta charset=\"utf-8\">",
             f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>", f"<h1>{esc(title)}</h1>"]
    if simulated:
        parts.append(f"<p class=\"banner\">{esc(t('simulated_banner', language))}</p>")
    if source_note:
        parts.append(f"<p class=\"muted\">{esc(source_note)}</p>")
    if n_failed:
        parts.append(f"<p class=\"alert\">{esc(t('failed_summary', language, n=n_failed))}</p>")
    if links:
        parts.append("<ul>" + "".join(f"<li><a href=\"{esc(href)}\">{esc(label)}</a></li>" for label, href in links) + "</ul>")
    head = "".join(f"<th>{esc(label)}</th>" for _, label in columns)
    parts.append(f"<table><thead><tr><th class=\"name\">{esc(t('county', language))}</th>"
                 f"<th class=\"name\">{esc(t('status', language))}</th>{head}"
                 f"<th class=\"name\">{esc(t('error', language))}</th></tr></thead><tbody>")
    for e in entries:
        ok = e["status"] == "ok"
        pending = e["status"] == "pending"
        name = esc(e["county"])
        if (ok or pending) and on_disk(e.get("html")):
            name = f"<a href=\"{esc(e['html'])}\">{name}</a>"
        by_key = {h["key"]: h for h in (e.get("headline") or [])}
        cells = "".join(
            f"<td data-key=\"{esc(k)}\">{esc(str(by_key[k]['display'])) if k in by_key else ''}</td>" for k, _ in columns
        )
        err = "" if ok or pending else esc(f"{e.get('error_type') or ''}: {e.get('message') or ''}")
        status = status_label(e["status"], language)
        css = "ok" if ok else "pending" if pending else "failed"
        parts.append(f"<tr class=\"{css}\" data-county=\"{esc(e['county'])}\" data-status=\"{esc(e['status'])}\">"
                     f"<td class=\"name\">{name}</td><td class=\"name\">{esc(status)}</td>{cells}"
                     f"<td class=\"err\">{err}</td></tr>")
    parts.append("</tbody></table>")
    when = datetime.now().strftime("%Y-%m-%d %H:%M")
    parts.append(f"<p class=\"muted\">{esc(t('generated_at', language, when=when, version=__version__))}</p></body></html>")
    from lyganalysis.report.manifest import atomic_write_text

    page = "".join(parts)
    if embed_cjk_font:
        from lyganalysis.report.fonts import embed_font

        page = embed_font(page)
    return atomic_write_text(path, page)
