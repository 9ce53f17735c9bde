"""Charts for the county reports (matplotlib, CJK-safe).

Every notebook calls :func:`setup_fonts` once before drawing anything.  It
registers the Noto Sans CJK SC font shipped by the ``mplfonts`` package,
makes it the default sans-serif family, checks that a probe string of the
characters the reports use is covered by the font, and applies a clean
report style.  Without it matplotlib falls back to DejaVu Sans and every
Chinese character is drawn as an empty box ("tofu"), with only a warning to
show for it (case C01).

Plot functions
--------------
All plot functions take a :class:`pandas.DataFrame` plus the names of the
columns to use, draw on ``ax`` (a new figure is created when ``ax`` is
None) and return the axes.  They never hard-code display text: titles,
axis labels and legend entries come from the caller (already translated),
and category codes are turned into display text only through an optional
``labels`` mapping (code -> display text).

Privacy
-------
Plot inputs must already have gone through
:func:`lyganalysis.privacy.suppress_small_cells` or
:func:`lyganalysis.privacy.suppress_group_stats`: withheld values are NaN
there.  The plot functions skip NaN rows (no zero-length bar, no point, no
annotation is drawn for them), so nothing that was withheld reaches a chart
(case C27).  :func:`distribution_by_group`, which takes row-level values,
additionally refuses to draw groups smaller than ``min_group_size``.
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

__all__ = [
    "DEFAULT_PROBE",
    "age_pyramid",
    "PALETTE",
    "bar_against_limit",
    "bars_by_group",
    "compliance_heatmap",
    "distribution_by_group",
    "dot_interval",
    "font_path",
    "scatter_with_fit",
    "setup_fonts",
]

#: Characters that must be drawable for a report to be issued.
DEFAULT_PROBE = "各校语文平均分合计城关河口−0123456789生师比差异系数"

#: Qualitative palette used for groups (colour-blind friendly, Okabe–Ito order).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
#: Colour for values over a limit / highlighted entries.
ALERT_COLOR = "#C0392B"
#: Neutral colour for bars and points without a group.
BASE_COLOR = "#4C72B0"
#: Colour for reference / limit lines.
LIMIT_COLOR = "#333333"

_FONT_FILE = "NotoSansCJKsc-Regular.otf"

_REPORT_STYLE: dict[str, Any] = {
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "figure.figsize": (7.0, 4.2),
    "figure.constrained_layout.use": True,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "normal",  # the bundled font has no bold face
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
}


# ---------------------------------------------------------------------------
# Fonts and style
# ---------------------------------------------------------------------------


def font_path() -> Path:
    """Return the path of the bundled Noto Sans CJK SC font.

    Returns
    -------
    pathlib.Path
        ``<site-packages>/mplfonts/fonts/NotoSansCJKsc-Regular.otf``.

    Raises
    ------
    RuntimeError
        If the ``mplfonts`` package is not installed or does not contain the
        font file.
    """
    try:
        root = importlib.resources.files("mplfonts")
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "The 'mplfonts' package, which ships the Chinese font used for charts "
            f"({_FONT_FILE}), is not installed. Install the project's dependencies "
            "(pip install -e .) before drawing report charts."
        ) from exc
    path = Path(str(root / "fonts" / _FONT_FILE))
    if not path.is_file():
        raise RuntimeError(
            f"The Chinese font file {_FONT_FILE} was not found at {path}. Reinstall "
            "'mplfonts'; without it Chinese labels would be drawn as empty boxes."
        )
    return path


@functools.lru_cache(maxsize=8)
def _charmap(path: str) -> frozenset[int]:
    """Code points covered by the font at ``path`` (cached; reading takes ~0.1 s)."""
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(path).get_charmap())


def _family_name(path: str) -> str:
    return font_manager.FontProperties(fname=path).get_name()


def setup_fonts(*, probe: str = DEFAULT_PROBE, path: str | Path | None = None) -> str:
    """Register the bundled CJK font, make it the default, apply the report style.

    Registers ``NotoSansCJKsc-Regular.otf`` from the ``mplfonts`` package with
    ``matplotlib.font_manager.fontManager.addfont`` (no system font and no
    font cache rebuild needed), puts it first in ``font.sans-serif`` with
    DejaVu Sans as fallback, sets ``font.family`` to ``sans-serif`` and keeps
    the true minus sign (U+2212) if the font has it (otherwise
    ``axes.unicode_minus`` is turned off so tick labels use ``-``).  Also
    applies the report style (figure dpi 110, 7 × 4.2 in figures, light grid,
    no top/right spines, constrained layout).

    Calling it again is harmless: the font is registered only once and the
    same rcParams are set again.

    Parameters
    ----------
    probe : str, optional
        Every character of this string (except whitespace) must be in the
        font's character map.  Pass the characters of the labels you are about
        to draw (school names, indicator names) to check them up front.
    path : str or Path, optional
        A different font file to use (mainly for tests); default: the bundled
        Noto Sans CJK SC.

    Returns
    -------
    str
        The font family name set as default (``"Noto Sans CJK SC"``).

    Raises
    ------
    RuntimeError
        If the font file is missing, or if a probe character is not covered
        by the font (the message lists the characters and their code points).
        Nothing is changed in that case.
    """
    fpath = Path(path) if path is not None else font_path()
    if not fpath.is_file():
        raise RuntimeError(f"Font file not found: {fpath}. Charts with Chinese text cannot be drawn.")
    fstr = str(fpath)
    cmap = _charmap(fstr)
    missing = sorted({ch for ch in probe if not ch.isspace() and ord(ch) not in cmap})
    if missing:
        listed = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in missing)
        raise RuntimeError(
            f"The chart font {fpath.name} has no glyph for {len(missing)} character(s): {listed}. "
            "They would be drawn as empty boxes; use a font that covers them or change the labels."
        )
    if not any(entry.fname == fstr for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(fstr)
    family = _family_name(fstr)

    mpl.rcParams.update(_REPORT_STYLE)
    fallbacks = [f for f in mpl.rcParams["font.sans-serif"] if f != family]
    if "DejaVu Sans" in fallbacks:
        fallbacks.remove("DejaVu Sans")
    mpl.rcParams["font.family"] = ["sans-serif"]
    mpl.rcParams["font.sans-serif"] = [family, "DejaVu Sans", *fallbacks]
    mpl.rcParams["axes.unicode_minus"] = 0x2212 in cmap
    return family


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _get_ax(ax: Axes | None, figsize: tuple[float, float] | None = None) -> Axes:
    if ax is not None:
        return ax
    _, new_ax = plt.subplots(figsize=figsize)
    return new_ax


def _require(df: pd.DataFrame, *columns: Hashable | None) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"Expected a pandas DataFrame, got {type(df).__name__}.")
    wanted = [c for c in columns if c is not None]
    absent = [c for c in wanted if c not in df.columns]
    if absent:
        raise KeyError(
            f"Column(s) {absent!r} not found in the data; available columns: {list(df.columns)!r}."
        )


def _numeric(df: pd.DataFrame, column: Hashable) -> np.ndarray:
    """Column as float array with NaN for missing values.

    Raises a TypeError for text values such as ``'<5'``: charts must be fed the
    masked numeric table, never the display table.
    """
    s = df[column]
    if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        try:
            s = pd.to_numeric(s, errors="raise")
        except (ValueError, TypeError) as exc:
            raise TypeError(
                f"Column {column!r} must be numeric; found text values ({exc}). Pass the "
                "numeric table with withheld values as NaN (SuppressedTable.masked), not the "
                "display table with '<5' / '*' markers."
            ) from exc
    return np.asarray(s.astype("float64").to_numpy(na_value=np.nan), dtype=float)


def _text(value: Any, labels: Mapping[Any, str] | None) -> str:
    if labels is not None and value in labels:
        return str(labels[value])
    return str(value)


def _ordered_levels(values: pd.Series, order: Sequence[Any] | None) -> list[Any]:
    present = list(pd.unique(values.dropna()))
    if order is None:
        return present
    ordered = [v for v in order if v in set(present)]
    return ordered + [v for v in present if v not in set(ordered)]


def _finish(ax: Axes, title: str | None, xlabel: str | None, ylabel: str | None) -> None:
    if title is not None:
        ax.set_title(title)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)


def _limit_values(df: pd.DataFrame, limit: float | str | None) -> np.ndarray | None:
    if limit is None:
        return None
    if isinstance(limit, str):
        _require(df, limit)
        return _numeric(df, limit)
    if isinstance(limit, (int, float, np.integer, np.floating)) and not isinstance(limit, bool):
        return np.full(len(df), float(limit))
    raise TypeError(f"limit must be a number or a column name, got {limit!r}.")


def _grouped_bars(
    df: pd.DataFrame,
    *,
    value: Hashable,
    label: Hashable,
    hue: Hashable | None,
    limit: float | str | None,
    limit_label: str | None,
    over_label: str | None,
    highlight: str | None,
    horizontal: bool,
    ax: Axes,
    labels: Mapping[Any, str] | None,
    order: Sequence[Any] | None,
    hue_order: Sequence[Any] | None,
    annotate: bool,
    fmt: str,
    width: float,
) -> Axes:
    """Shared implementation of the two bar charts."""
    _require(df, value, label, hue)
    values = _numeric(df, value)
    limits = _limit_values(df, limit)
    keep = ~np.isnan(values)
    data = df.loc[keep].reset_index(drop=True)
    values = values[keep]
    limits = limits[keep] if limits is not None else None

    cats = _ordered_levels(data[label], order)
    if hue is not None:
        hues = _ordered_levels(data[hue], hue_order)
    else:
        hues = [None]
    n_h = max(len(hues), 1)
    bar_w = width / n_h
    cat_pos = {c: i for i, c in enumerate(cats)}
    hue_idx = {h: i for i, h in enumerate(hues)}

    if highlight not in (None, "above", "below"):
        raise ValueError(f"highlight must be None, 'above' or 'below', got {highlight!r}.")

    positions = np.empty(len(data))
    for i in range(len(data)):
        c = data[label].iloc[i]
        h = data[hue].iloc[i] if hue is not None else None
        if pd.isna(c) or (hue is not None and pd.isna(h)):
            positions[i] = np.nan
            continue
        positions[i] = cat_pos[c] - width / 2 + bar_w * (hue_idx[h] + 0.5)
    drawable = ~np.isnan(positions)

    over = np.zeros(len(data), dtype=bool)
    if limits is not None and highlight is not None:
        with np.errstate(invalid="ignore"):
            over = values > limits if highlight == "above" else values < limits
        over &= ~np.isnan(limits)

    colors: list[Any] = []
    for i in range(len(data)):
        if hue is None:
            colors.append(ALERT_COLOR if over[i] else BASE_COLOR)
        else:
            colors.append(PALETTE[hue_idx[data[hue].iloc[i]] % len(PALETTE)] if drawable[i] else BASE_COLOR)
    edge = [ALERT_COLOR if o and hue is not None else "none" for o in over]
    hatch = ["///" if o and hue is not None else None for o in over]

    idx = np.flatnonzero(drawable)
    for i in idx:
        kwargs = dict(color=colors[i], edgecolor=edge[i], hatch=hatch[i], linewidth=1.2 if edge[i] != "none" else 0)
        if horizontal:
            ax.barh(positions[i], values[i], height=bar_w * 0.9, **kwargs)
        else:
            ax.bar(positions[i], values[i], width=bar_w * 0.9, **kwargs)
        if annotate:
            txt = fmt.format(values[i])
            if horizontal:
                ax.annotate(txt, (values[i], positions[i]), xytext=(3, 0), textcoords="offset points",
                            va="center", ha="left" if values[i] >= 0 else "right", fontsize=8)
            else:
                ax.annotate(txt, (positions[i], values[i]), xytext=(0, 2), textcoords="offset points",
                            ha="center", va="bottom" if values[i] >= 0 else "top", fontsize=8)

    handles: list[Any] = []
    if limits is not None:
        lim_valid = limits[drawable]
        lim_valid = lim_valid[~np.isnan(lim_valid)]
        line_kw = dict(color=LIMIT_COLOR, linestyle="--", linewidth=1.2)
        if lim_valid.size and np.allclose(lim_valid, lim_valid[0]):
            (ax.axvline if horizontal else ax.axhline)(lim_valid[0], **line_kw)
        else:
            for i in idx:
                if np.isnan(limits[i]):
                    continue
                lo, hi = positions[i] - bar_w / 2, positions[i] + bar_w / 2
                if horizontal:
                    ax.vlines(limits[i], lo, hi, **line_kw)
                else:
                    ax.hlines(limits[i], lo, hi, **line_kw)
        if limit_label is not None:
            handles.append(Line2D([], [], label=limit_label, **line_kw))
    if hue is not None:
        handles = [Patch(color=PALETTE[i % len(PALETTE)], label=_text(h, labels)) for i, h in enumerate(hues)] + handles
    if over_label is not None and over[drawable].any():
        if hue is None:
            handles.append(Patch(color=ALERT_COLOR, label=over_label))
        else:
            handles.append(Patch(facecolor="white", edgecolor=ALERT_COLOR, hatch="///", label=over_label))
    if handles:
        ax.legend(handles=handles, loc="best")

    ticks = list(range(len(cats)))
    ticklabels = [_text(c, labels) for c in cats]
    if horizontal:
        ax.set_yticks(ticks, ticklabels)
        ax.set_ylim(len(cats) - 0.5, -0.5)  # first category on top
        ax.grid(axis="y", visible=False)
    else:
        ax.set_xticks(ticks, ticklabels)
        ax.grid(axis="x", visible=False)
    return ax


# ---------------------------------------------------------------------------
# Plot functions
# ---------------------------------------------------------------------------


def bar_against_limit(
    df: pd.DataFrame,
    *,
    value: Hashable,
    label: Hashable,
    limit: float | str | None = None,
    limit_label: str | None = None,
    hue: Hashable | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    over_label: str | None = None,
    labels: Mapping[Any, str] | None = None,
    order: Sequence[Any] | None = None,
    hue_order: Sequence[Any] | None = None,
    annotate: bool = True,
    fmt: str = "{:.2f}",
) -> Axes:
    """Horizontal bars against a limit, bars over the limit highlighted.

    Typical use: 差异系数 (coefficient of variation) per indicator, one bar per
    stage (``hue``), with the 0.50 (primary) / 0.45 (junior) limits.

    Parameters
    ----------
    df : DataFrame
        One row per bar (long format).  Rows whose ``value`` is NaN (for
        instance withheld by :mod:`lyganalysis.privacy`) are skipped.
    value : column name
        Bar length (numeric).
    label : column name
        Category on the vertical axis; categories appear top to bottom in
        order of first appearance (or ``order``).
    limit : float or column name, optional
        A single limit (drawn as one vertical dashed line) or a column giving
        each row's limit (drawn as a short dashed mark across each bar; a
        column with one constant value is drawn as one line).
    limit_label : str, optional
        Legend text for the limit line.
    hue : column name, optional
        Second category (e.g. stage): one bar per hue level within each
        ``label``; colours by hue, bars over the limit get a red hatched edge.
    ax : Axes, optional
        Axes to draw on; a new figure is created when None.
    title, xlabel, ylabel : str, optional
        Display text (already translated by the caller).
    over_label : str, optional
        Legend text for bars over the limit (shown only if there are any).
    labels : mapping, optional
        Display text for category codes of ``label`` and ``hue``.
    order, hue_order : sequence, optional
        Order of the categories / hue levels.
    annotate : bool, default True
        Write the value at the end of each bar, formatted with ``fmt``.

    Returns
    -------
    Axes
        The axes drawn on; one bar patch per non-NaN row.

    Raises
    ------
    KeyError
        If a named column is missing.
    TypeError
        If ``value`` or a limit column holds text (e.g. a display table).
    """
    ax = _get_ax(ax)
    _grouped_bars(df, value=value, label=label, hue=hue, limit=limit, limit_label=limit_label,
                  over_label=over_label, highlight="above", horizontal=True, ax=ax, labels=labels,
                  order=order, hue_order=hue_order, annotate=annotate, fmt=fmt, width=0.8)
    _finish(ax, title, xlabel, ylabel)
    return ax


def bars_by_group(
    df: pd.DataFrame,
    *,
    value: Hashable,
    label: Hashable,
    by: Hashable | None = None,
    ax: Axes | None = None,
    standard: float | str | None = None,
    standard_label: str | None = None,
    highlight: str | None = None,
    over_label: str | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    labels: Mapping[Any, str] | None = None,
    order: Sequence[Any] | None = None,
    by_order: Sequence[Any] | None = None,
    annotate: bool = True,
    fmt: str = "{:.1f}",
) -> Axes:
    """Vertical grouped bars, optionally against a standard.

    Typical use: student–teacher ratio by locale (``label``) and stage
    (``by``) against the stage's standard (a ``standard`` column).

    Parameters
    ----------
    df : DataFrame
        One row per bar (long format); NaN ``value`` rows are skipped.
    value : column name
        Bar height (numeric).
    label : column name
        Category on the horizontal axis.
    by : column name, optional
        Grouping within each category (one coloured bar per level + legend).
    ax : Axes, optional
        Axes to draw on; a new figure is created when None.
    standard : float or column name, optional
        Standard drawn as a dashed horizontal line (scalar or constant column)
        or as a dashed mark over each bar (per-row column).
    standard_label : str, optional
        Legend text for the standard.
    highlight : {None, 'above', 'below'}
        Mark bars above (e.g. ratios where lower is better) or below the
        standard in red.
    over_label : str, optional
        Legend text for highlighted bars.
    title, xlabel, ylabel : str, optional
        Display text.
    labels : mapping, optional
        Display text for category codes of ``label`` and ``by``.
    order, by_order : sequence, optional
        Order of categories / groups.
    annotate : bool, default True
        Write values above the bars, formatted with ``fmt``.

    Returns
    -------
    Axes
        One bar patch per non-NaN row.

    Raises
    ------
    KeyError, TypeError, ValueError
        Missing column; text values; invalid ``highlight``.
    """
    ax = _get_ax(ax)
    _grouped_bars(df, value=value, label=label, hue=by, limit=standard, limit_label=standard_label,
                  over_label=over_label, highlight=highlight, horizontal=False, ax=ax, labels=labels,
                  order=order, hue_order=by_order, annotate=annotate, fmt=fmt, width=0.8)
    _finish(ax, title, xlabel, ylabel)
    return ax


def compliance_heatmap(
    df: pd.DataFrame,
    *,
    row: Hashable,
    column: Hashable,
    value: Hashable,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    colorbar_label: str | None = None,
    labels: Mapping[Any, str] | None = None,
    row_order: Sequence[Any] | None = None,
    column_order: Sequence[Any] | None = None,
    center: float = 1.0,
    span: float | None = None,
    cmap: str = "RdBu",
    annotate: bool | str = "auto",
    max_annotated_cells: int = 400,
    fmt: str = "{:.2f}",
) -> Axes:
    """School × indicator matrix of ratio-to-standard, diverging around 1.

    Parameters
    ----------
    df : DataFrame
        Long format, one row per (``row``, ``column``) pair.  Missing pairs
        and NaN values are drawn as grey cells without annotation.
    row, column : column name
        Categories for the matrix rows (e.g. school) and columns (indicator).
    value : column name
        Ratio of the observed value to the standard, oriented by the caller so
        that 1.0 is exactly at the standard (dimensionless).
    ax : Axes, optional
        Axes to draw on; a new figure sized to the matrix is created when None.
    title, xlabel, ylabel, colorbar_label : str, optional
        Display text.
    labels : mapping, optional
        Display text for row / column codes.
    row_order, column_order : sequence, optional
        Order of rows and columns (default: first appearance).
    center : float, default 1.0
        Value at the neutral colour.
    span : float, optional
        Colour scale covers ``center ± span``; default: the largest distance
        from ``center`` in the data (at least 0.05).  Values beyond are clipped
        to the end colours.
    cmap : str, default 'RdBu'
        Diverging colour map (red below ``center``, blue above).
    annotate : bool or 'auto'
        Write the value in each cell; 'auto' does so when the matrix has at
        most ``max_annotated_cells`` cells.
    fmt : str
        Format of the annotations.

    Returns
    -------
    Axes
        One image; one text annotation per non-NaN cell when annotated.

    Raises
    ------
    KeyError
        Missing column.
    ValueError
        If a (row, column) pair occurs more than once.
    """
    _require(df, row, column, value)
    vals = _numeric(df, value)
    data = pd.DataFrame({"r": df[row].to_numpy(), "c": df[column].to_numpy(), "v": vals})
    data = data.dropna(subset=["r", "c"])
    dup = data.duplicated(subset=["r", "c"], keep=False)
    if dup.any():
        pairs = data.loc[dup, ["r", "c"]].drop_duplicates().head(5).itertuples(index=False)
        raise ValueError(
            f"compliance_heatmap needs one value per ({row}, {column}) pair; duplicated: "
            f"{[tuple(p) for p in pairs]!r}. Aggregate first."
        )
    rows = _ordered_levels(data["r"], row_order)
    cols = _ordered_levels(data["c"], column_order)
    matrix = (
        data.pivot(index="r", columns="c", values="v").reindex(index=rows, columns=cols).to_numpy(dtype=float)
    )
    if ax is None:
        ax = _get_ax(None, figsize=(max(4.0, 1.0 + 0.75 * len(cols)), max(2.5, 1.0 + 0.32 * len(rows))))

    finite = matrix[np.isfinite(matrix)]
    if span is None:
        span = float(np.max(np.abs(finite - center))) if finite.size else 0.0
        span = max(span, 0.05)
    norm = mcolors.TwoSlopeNorm(vcenter=center, vmin=center - span, vmax=center + span)
    colormap = mpl.colormaps[cmap].with_extremes(bad="#D9D9D9")
    masked = np.ma.masked_invalid(matrix)
    image = ax.imshow(masked, cmap=colormap, norm=norm, aspect="auto", interpolation="nearest")
    cbar = ax.figure.colorbar(image, ax=ax, shrink=0.85)
    if colorbar_label is not None:
        cbar.set_label(colorbar_label)

    do_annotate = annotate if isinstance(annotate, bool) else matrix.size <= max_annotated_cells
    if annotate not in (True, False, "auto"):
        raise ValueError(f"annotate must be True, False or 'auto', got {annotate!r}.")
    if do_annotate:
        for i in range(matrix.shape[0]):
            for j in range(matrix.shape[1]):
                v = matrix[i, j]
                if not np.isfinite(v):
                    continue
                r, g, b, _ = colormap(norm(np.clip(v, center - span, center + span)))
                luminance = 0.299 * r + 0.587 * g + 0.114 * b
                ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=8,
                        color="black" if luminance > 0.55 else "white")

    ax.set_xticks(range(len(cols)), [_text(c, labels) for c in cols], rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), [_text(r, labels) for r in rows])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    _finish(ax, title, xlabel, ylabel)
    return ax


def dot_interval(
    df: pd.DataFrame,
    *,
    estimate: Hashable,
    lower: Hashable,
    upper: Hashable,
    label: Hashable,
    ax: Axes | None = None,
    reference: float | None = None,
    highlight: Any = None,
    reference_label: str | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    labels: Mapping[Any, str] | None = None,
    sort: bool = True,
    ascending: bool = True,
) -> Axes:
    """Caterpillar / league plot: point estimates with intervals, sorted.

    Parameters
    ----------
    df : DataFrame
        One row per unit (e.g. school value-added with a 95 % interval).
        Rows with NaN ``estimate`` are skipped; rows with a NaN bound get a
        point without an interval.
    estimate, lower, upper : column name
        Point estimate and interval bounds (same unit).
    label : column name
        Unit name shown on the vertical axis.
    ax : Axes, optional
        Axes to draw on; a new figure sized to the number of units is created
        when None.
    reference : float, optional
        Reference value drawn as a dashed vertical line (e.g. county mean, 0).
    highlight : label value or iterable of label values, optional
        Units drawn in the alert colour, tick label too (e.g. the
        county's own schools).
    reference_label : str, optional
        Legend text for the reference line.
    title, xlabel : str, optional
        Display text.
    labels : mapping, optional
        Display text for unit codes.
    sort : bool, default True
        Sort by estimate (smallest at the bottom when ``ascending``).

    Returns
    -------
    Axes
        Scatter collections with one point per non-NaN row in total.

    Raises
    ------
    KeyError, TypeError
        Missing column; text values.
    """
    _require(df, estimate, lower, upper, label)
    est = _numeric(df, estimate)
    lo = _numeric(df, lower)
    hi = _numeric(df, upper)
    keep = ~np.isnan(est)
    data = pd.DataFrame({"label": df[label].to_numpy()[keep], "est": est[keep], "lo": lo[keep], "hi": hi[keep]})
    if sort:
        data = data.sort_values("est", ascending=ascending, kind="stable").reset_index(drop=True)
    if ax is None:
        ax = _get_ax(None, figsize=(7.0, max(2.5, 0.8 + 0.24 * len(data))))

    if highlight is None:
        marked: set[Any] = set()
    elif isinstance(highlight, (str, bytes)) or not isinstance(highlight, Iterable):
        marked = {highlight}
    else:
        marked = set(highlight)
    is_hl = data["label"].isin(marked).to_numpy()
    y = np.arange(len(data), dtype=float)

    has_ci = ~(np.isnan(data["lo"].to_numpy()) | np.isnan(data["hi"].to_numpy()))
    ax.hlines(y[has_ci], data["lo"].to_numpy()[has_ci], data["hi"].to_numpy()[has_ci],
              color=[ALERT_COLOR if h else "#7F8C8D" for h in is_hl[has_ci]], linewidth=1.5)
    ax.scatter(data["est"].to_numpy()[~is_hl], y[~is_hl], color=BASE_COLOR, s=22, zorder=3)
    if is_hl.any():
        ax.scatter(data["est"].to_numpy()[is_hl], y[is_hl], color=ALERT_COLOR, s=30, zorder=4)
    if reference is not None:
        ax.axvline(reference, color=LIMIT_COLOR, linestyle="--", linewidth=1, label=reference_label)
        if reference_label is not None:
            ax.legend(loc="best")
    ax.set_yticks(y, [_text(v, labels) for v in data["label"]])
    for tick, h in zip(ax.get_yticklabels(), is_hl):
        if h:
            tick.set_color(ALERT_COLOR)
    ax.set_ylim(-0.6, len(data) - 0.4)
    ax.grid(axis="y", visible=False)
    _finish(ax, title, xlabel, None)
    return ax


def distribution_by_group(
    df: pd.DataFrame,
    *,
    value: Hashable,
    by: Hashable,
    ax: Axes | None = None,
    bins: int | Sequence[float] | str = 20,
    kind: str = "hist",
    min_group_size: int = 5,
    density: bool = True,
    order: Sequence[Any] | None = None,
    labels: Mapping[Any, str] | None = None,
    show_n: bool = True,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Axes:
    """Score distributions per group (e.g. urban / town / rural).

    Parameters
    ----------
    df : DataFrame
        One row per observation (e.g. student score).  NaN values and rows
        without a group are skipped.
    value : column name
        Numeric values to summarise.
    by : column name
        Group column.
    ax : Axes, optional
        Axes to draw on; a new figure is created when None.
    bins : int, sequence or str, default 20
        Histogram bins, shared by all groups (passed to
        :func:`numpy.histogram_bin_edges`).
    kind : {'hist', 'box'}
        Overlaid step-filled histograms, or side-by-side box plots.
    min_group_size : int, default 5
        Groups with fewer non-NaN values are not drawn (privacy: same ``k``
        as :func:`lyganalysis.privacy.suppress_small_cells`).
    density : bool, default True
        Histograms show densities so groups of different size compare.
    order : sequence, optional
        Group order.
    labels : mapping, optional
        Display text for group codes.
    show_n : bool, default True
        Append ``(n=…)`` to each group's legend entry / tick label.
    title, xlabel, ylabel : str, optional
        Display text.

    Returns
    -------
    Axes
        One histogram polygon (``kind='hist'``) or one box (``'box'``) per
        group drawn.

    Raises
    ------
    KeyError, TypeError, ValueError
        Missing column; text values; unknown ``kind``.
    """
    if kind not in ("hist", "box"):
        raise ValueError(f"kind must be 'hist' or 'box', got {kind!r}.")
    _require(df, value, by)
    vals = _numeric(df, value)
    data = pd.DataFrame({"g": df[by].to_numpy(), "v": vals}).dropna()
    groups = []
    for g in _ordered_levels(data["g"], order):
        v = data.loc[data["g"] == g, "v"].to_numpy()
        if len(v) >= min_group_size:
            groups.append((g, v))
    ax = _get_ax(ax)
    names = [_text(g, labels) + (f" (n={len(v)})" if show_n else "") for g, v in groups]
    if not groups:
        _finish(ax, title, xlabel, ylabel)
        return ax
    if kind == "hist":
        edges = np.histogram_bin_edges(np.concatenate([v for _, v in groups]), bins=bins)
        for i, ((_, v), name) in enumerate(zip(groups, names)):
            color = PALETTE[i % len(PALETTE)]
            ax.hist(v, bins=edges, density=density, histtype="stepfilled", alpha=0.3, color=color,
                    edgecolor=color, linewidth=1.4, label=name)
        ax.legend(loc="best")
        _finish(ax, title, xlabel, ylabel)
    else:
        box = ax.boxplot([v for _, v in groups], tick_labels=names, patch_artist=True, widths=0.5,
                         medianprops={"color": "black"})
        for i, patch in enumerate(box["boxes"]):
            patch.set_facecolor(PALETTE[i % len(PALETTE)])
            patch.set_alpha(0.6)
        ax.grid(axis="x", visible=False)
        # for box plots the value is on the vertical axis
        _finish(ax, title, xlabel, ylabel)
    return ax


def scatter_with_fit(
    df: pd.DataFrame,
    *,
    x: Hashable,
    y: Hashable,
    ax: Axes | None = None,
    weight: Hashable | None = None,
    fit: bool = True,
    fit_label: str | None = "auto",
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    color: str = BASE_COLOR,
) -> Axes:
    """Scatter plot with an ordinary (or weighted) least-squares line.

    Parameters
    ----------
    df : DataFrame
        One row per unit (e.g. school).  Rows with NaN in ``x``, ``y`` or
        ``weight`` are skipped.
    x, y : column name
        Numeric columns (e.g. student–teacher ratio, mean score).
    ax : Axes, optional
        Axes to draw on; a new figure is created when None.
    weight : column name, optional
        Non-negative weights (e.g. number of students): the line is weighted
        least squares and marker areas scale with the weight.
    fit : bool, default True
        Draw the fitted line (needs at least two distinct ``x`` values).
    fit_label : str or None, default 'auto'
        Legend text for the line; 'auto' gives the language-neutral equation
        ``y = a + b·x (R² = …)``; None draws no legend.
    title, xlabel, ylabel : str, optional
        Display text.

    Returns
    -------
    Axes
        One scatter collection with one point per complete row, plus one
        line when a fit was drawn.

    Raises
    ------
    KeyError, TypeError
        Missing column; text values.
    ValueError
        If a weight is negative.
    """
    _require(df, x, y, weight)
    xv, yv = _numeric(df, x), _numeric(df, y)
    wv = _numeric(df, weight) if weight is not None else np.ones(len(df))
    keep = ~(np.isnan(xv) | np.isnan(yv) | np.isnan(wv))
    xv, yv, wv = xv[keep], yv[keep], wv[keep]
    if (wv < 0).any():
        raise ValueError(f"Weights in column {weight!r} must be non-negative.")
    ax = _get_ax(ax)
    if weight is not None and wv.size and wv.max() > 0:
        sizes = 15 + 185 * wv / wv.max()
    else:
        sizes = np.full(len(xv), 28.0)
    ax.scatter(xv, yv, s=sizes, color=color, alpha=0.7, edgecolor="white", linewidth=0.5, zorder=3)
    if fit and np.unique(xv[wv > 0]).size >= 2:
        slope, intercept = np.polyfit(xv, yv, 1, w=np.sqrt(wv))
        pred = intercept + slope * xv
        ybar = np.average(yv, weights=wv)
        ss_tot = np.sum(wv * (yv - ybar) ** 2)
        r2 = 1 - np.sum(wv * (yv - pred) ** 2) / ss_tot if ss_tot > 0 else np.nan
        grid = np.linspace(xv.min(), xv.max(), 50)
        label = fit_label
        if fit_label == "auto":
            sign = "+" if slope >= 0 else "−"
            label = f"y = {intercept:.2f} {sign} {abs(slope):.3f}·x (R² = {r2:.2f})"
        ax.plot(grid, intercept + slope * grid, color=ALERT_COLOR, linewidth=1.5, label=label)
        if label is not None:
            ax.legend(loc="best")
    _finish(ax, title, xlabel, ylabel)
    return ax


def age_pyramid(
    df: pd.DataFrame,
    *,
    ax: Axes | None = None,
    band: Hashable = "age_band",
    gender: Hashable = "gender",
    value: Hashable = "teachers_shown",
    labels: Mapping[Any, str] | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Axes:
    """Age pyramid: one horizontal bar per age band, men to the left and women to the right.

    Parameters
    ----------
    df : DataFrame
        Long rows ``band × gender`` with the count ``value`` (already suppressed: NaN cells are not drawn).
        ``band`` may be an ordered categorical (youngest first); otherwise the order of appearance is used.
    ax : Axes, optional
    band, gender, value : column names
    labels : mapping gender code → legend text, optional
    title, xlabel, ylabel : str, optional

    Returns
    -------
    Axes
    """
    _require(df, band, gender, value)
    ax = _get_ax(ax)
    b = df[band]
    bands = list(b.cat.categories) if hasattr(b, "cat") else list(dict.fromkeys(b))
    y = np.arange(len(bands))
    for code, sign, color in (("male", -1, PALETTE[0]), ("female", 1, PALETTE[1])):
        g = df[df[gender] == code].set_index(df[df[gender] == code][band].astype(str))[value]
        v = g.reindex([str(x) for x in bands]).astype("float64").to_numpy()
        keep = ~np.isnan(v)
        ax.barh(y[keep], sign * v[keep], color=color, label=_text(code, labels), height=0.8)
    ax.set_yticks(y, [str(x) for x in bands])
    ax.axvline(0, color="#333333", linewidth=0.8)
    ticks = ax.get_xticks()
    ax.set_xticks(ticks, [f"{abs(int(x))}" for x in ticks])
    ax.legend(loc="best")
    _finish(ax, title, xlabel, ylabel)
    return ax
