"""Disclosure control for published tables and charts.

Three tools, applied after all aggregation and before anything is drawn or
written into a report:

* :func:`suppress_small_cells` / :func:`suppress_crosstab` — small-cell
  suppression of a two-way table of counts (e.g. school × gender) with the
  statistics computed from those counts (mean scores, %).  Primary
  suppression withholds counts 1..k−1 and every statistic computed from
  fewer than k people; secondary (complementary) suppression withholds
  further counts so that no withheld count can be recovered by linear
  arithmetic from the shown cells and row/column totals (case C27).
* :func:`suppress_group_stats` — the same rule for a single frame of
  grouped statistics (one row per group), for charts: statistics of small
  groups become NaN, and the plot functions skip NaN rows.
* :func:`check_no_personal_data` — a guard that refuses frames that still
  carry personal identifiers. Salted keys instead of names and ID numbers are
  made by :mod:`lyganalysis.ids` (:func:`~lyganalysis.ids.pseudonymize_ids`,
  :func:`~lyganalysis.ids.pseudonymize_text`, :func:`~lyganalysis.ids.pseudonymous_key`).

The protection model of :func:`suppress_small_cells`: the row totals, the
column totals and the grand total are assumed to be public (printed in the
same report or elsewhere), whether or not ``total_label`` adds them to the
display table.  Totals that are themselves 1..k−1 are withheld too.  A
withheld cell is safe when the linear system "shown cells + shown totals"
leaves it undetermined; in the table-with-margins this holds exactly when the
cell lies on a cycle of withheld cells (alternating between its row and
column), i.e. it is not a bridge of the bipartite row/column graph whose
edges are the withheld cells.  Bounds (counts are ≥ 0) are not used by
the model; zeros are always shown as 0.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "SuppressedTable",
    "check_no_personal_data",
    "recoverable_cells",
    "suppress_crosstab",
    "suppress_group_stats",
    "suppress_small_cells",
]

SECONDARY_MARKER = "*"
STATISTIC_MARKER = "*"


# ---------------------------------------------------------------------------
# Core algorithm on the table with margins
# ---------------------------------------------------------------------------


def _with_margins(counts: np.ndarray) -> np.ndarray:
    """(R, C) counts -> (R+1, C+1) array with row totals, column totals, grand total."""
    r, c = counts.shape
    out = np.zeros((r + 1, c + 1), dtype=np.int64)
    out[:r, :c] = counts
    out[:r, c] = counts.sum(axis=1)
    out[r, :c] = counts.sum(axis=0)
    out[r, c] = counts.sum()
    return out


def recoverable_cells(withheld: np.ndarray) -> np.ndarray:
    """Which withheld cells of a table-with-margins are uniquely determined.

    Parameters
    ----------
    withheld : ndarray of bool, shape (R+1, C+1)
        Withheld cells of a count table whose last column holds the row
        totals and whose last row holds the column totals (grand total in the
        corner).  All other cells are assumed shown.

    Returns
    -------
    ndarray of bool, shape (R+1, C+1)
        True for withheld cells whose value follows from the shown cells by
        linear arithmetic on the row and column sums (the cell is a bridge in
        the bipartite graph rows–columns with one edge per withheld cell).

    Raises
    ------
    ValueError
        If ``withheld`` is not a 2-D array.
    """
    w = np.asarray(withheld, dtype=bool)
    if w.ndim != 2:
        raise ValueError(f"withheld must be a 2-D boolean array, got shape {w.shape}.")
    n_rows, n_cols = w.shape
    edges = [(int(i), int(j)) for i, j in zip(*np.nonzero(w))]
    result = np.zeros_like(w)
    for skip, (i0, j0) in enumerate(edges):
        parent = list(range(n_rows + n_cols))

        def find(a: int, parent: list[int] = parent) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for k, (i, j) in enumerate(edges):
            if k != skip:
                a, b = find(i), find(n_rows + j)
                if a != b:
                    parent[a] = b
        if find(i0) != find(n_rows + j0):
            result[i0, j0] = True
    return result


def _pick(aug: np.ndarray, withheld: np.ndarray, cells: Iterable[tuple[int, int]]) -> tuple[int, int] | None:
    """Smallest non-zero, not yet withheld cell among ``cells``; interior cells first."""
    r, c = aug.shape[0] - 1, aug.shape[1] - 1
    best = None
    for i, j in cells:
        if withheld[i, j] or aug[i, j] == 0:
            continue
        key = (i == r or j == c, aug[i, j], i, j)
        if best is None or key < best[0]:
            best = (key, (i, j))
    return None if best is None else best[1]


def _secondary(aug: np.ndarray, withheld: np.ndarray) -> np.ndarray:
    """Greedy complementary suppression until no withheld cell is recoverable."""
    w = withheld.copy()
    n_rows, n_cols = aug.shape
    all_cells = [(i, j) for i in range(n_rows) for j in range(n_cols)]
    while True:
        changed = False
        # 1. every line (row or column, margins included) with exactly one withheld cell
        lines = [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
        lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
        for line in lines:
            if sum(w[i, j] for i, j in line) == 1:
                cell = _pick(aug, w, line)
                if cell is not None:
                    w[cell] = True
                    changed = True
        if changed:
            continue
        # 2. exact check: cells still determined through longer chains
        det = recoverable_cells(w)
        if not det.any():
            return w
        i, j = (int(v[0]) for v in np.nonzero(det))
        line = [(i, jj) for jj in range(n_cols)] + [(ii, j) for ii in range(n_rows)]
        cell = _pick(aug, w, line) or _pick(aug, w, all_cells)
        if cell is None:  # pragma: no cover - cannot happen: withholding everything is safe
            raise RuntimeError("Complementary suppression found no cell to withhold; please report this table.")
        w[cell] = True


# ---------------------------------------------------------------------------
# Two-way tables
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SuppressedTable:
    """Result of :func:`suppress_small_cells`.

    Attributes
    ----------
    display : DataFrame
        Table for publication, all cells strings: counts as integers ("0" for
        zeros), ``'<k'`` for primary-suppressed counts, ``'*'`` for
        secondary-suppressed counts and withheld statistics; statistics
        formatted with ``statistic_format``.  Includes the totals row/column
        when ``total_label`` was given.
    mask : DataFrame of bool
        Same shape as ``display``; True where a value is withheld.
    primary_mask : DataFrame of bool
        Same shape; True where the value was withheld by the primary rule.
    masked : DataFrame
        Same shape, numeric: counts as ``Int64`` and statistics as float,
        withheld values missing (NA / NaN).  Feed this (never ``display``) to
        the plot functions.
    min_cell_size : int
        The threshold k used.
    """

    display: pd.DataFrame
    mask: pd.DataFrame
    primary_mask: pd.DataFrame
    masked: pd.DataFrame
    min_cell_size: int
    count_columns: tuple[Hashable, ...] = field(default=())

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of the display table (strings, ready for HTML)."""
        return self.display.copy()

    @property
    def n_withheld(self) -> int:
        """Number of withheld values (counts, totals and statistics)."""
        return int(self.mask.to_numpy().sum())


def _check_counts(table: pd.DataFrame, count_columns: Sequence[Hashable]) -> np.ndarray:
    out = np.zeros((len(table), len(count_columns)), dtype=np.int64)
    for k, col in enumerate(count_columns):
        s = table[col]
        if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            raise TypeError(f"Count column {col!r} must be numeric, got dtype {s.dtype}.")
        v = s.astype("float64").to_numpy(na_value=np.nan)
        if np.isnan(v).any():
            raise ValueError(
                f"Count column {col!r} has missing values; fill structural zeros with 0 before suppression."
            )
        if (v < 0).any() or (v != np.round(v)).any():
            raise ValueError(f"Count column {col!r} must hold non-negative whole numbers.")
        out[:, k] = v.astype(np.int64)
    return out


def _fmt(fmt: str | Mapping[Hashable, str], col: Hashable) -> str:
    if isinstance(fmt, str):
        return fmt
    return fmt.get(col, "{:.1f}")


def suppress_small_cells(
    table: pd.DataFrame,
    *,
    count_columns: Sequence[Hashable],
    min_cell_size: int = 5,
    statistic_columns: Mapping[Hashable, Hashable | None] | Sequence[Hashable] | None = None,
    total_label: str | None = None,
    statistic_format: str | Mapping[Hashable, str] = "{:.1f}",
    missing: str = "",
) -> SuppressedTable:
    """Withhold small counts, and what would reveal them, from a two-way table.

    Parameters
    ----------
    table : DataFrame, shape (R, ...)
        One row per row category (e.g. school; put the labels in the index).
        The ``count_columns`` form an R × C table of counts (people).
    count_columns : sequence of column names, length C ≥ 1
        Columns holding non-negative whole counts (no missing values; a
        structural zero is 0).  Row totals, column totals and the grand total
        are taken to be public.
    min_cell_size : int, default 5
        Threshold k: counts 1..k−1 and statistics computed from fewer than k
        people are withheld.
    statistic_columns : mapping or sequence, optional
        Statistics computed from the counts, as ``{statistic column: n}``
        where ``n`` is the column holding the number of people it was computed
        from (usually one of ``count_columns``) or None for the row total.  A
        plain sequence means "computed from the row total".  Statistics whose
        n < k are withheld (``'*'``); a statistic whose n is ≥ k stays shown
        even when its count was withheld by secondary suppression.
    total_label : str, optional
        If given, the display adds a totals column and a totals row with this
        label (e.g. "合计" / "Total"; the caller translates).  The totals are
        protected either way.
    statistic_format : str or mapping, default "{:.1f}"
        ``str.format`` pattern for statistics (one for all, or per column).
    missing : str, default ""
        Display text for missing statistics (e.g. a mean over 0 people).

    Returns
    -------
    SuppressedTable
        ``display`` (strings), ``mask``/``primary_mask`` (bool), ``masked``
        (numeric with withheld values missing); columns not named as counts
        or statistics are passed through.

    Raises
    ------
    KeyError
        If a named column is missing.
    TypeError
        If a count column is not numeric.
    ValueError
        If ``min_cell_size`` < 1, counts are missing, negative or fractional,
        or ``count_columns`` is empty.

    Notes
    -----
    Secondary suppression is greedy: while some row or column (totals
    included) has exactly one withheld cell, the smallest non-zero shown cell
    in it is withheld as well (inner cells before totals); then an exact
    check (see :func:`recoverable_cells`) finds cells that are still
    recoverable through longer chains and withholds more until none is.
    The result is valid, not necessarily minimal.
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame, got {type(table).__name__}.")
    if isinstance(min_cell_size, bool) or not isinstance(min_cell_size, (int, np.integer)) or min_cell_size < 1:
        raise ValueError(f"min_cell_size must be a positive integer, got {min_cell_size!r}.")
    k = int(min_cell_size)
    count_columns = list(count_columns)
    if not count_columns:
        raise ValueError("count_columns must name at least one column.")
    if statistic_columns is None:
        stats: dict[Hashable, Hashable | None] = {}
    elif isinstance(statistic_columns, Mapping):
        stats = dict(statistic_columns)
    else:
        stats = {c: None for c in statistic_columns}
    needed = count_columns + list(stats) + [n for n in stats.values() if n is not None]
    absent = [c for c in needed if c not in table.columns]
    if absent:
        raise KeyError(f"Column(s) {absent!r} not found; available: {list(table.columns)!r}.")
    if not table.index.is_unique:
        raise ValueError("The table index must be unique (one row per row category).")

    counts = _check_counts(table, count_columns)
    aug = _with_margins(counts)
    primary = (aug > 0) & (aug < k)
    withheld = _secondary(aug, primary)
    r, c = counts.shape

    # --- frames without totals -------------------------------------------------
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    pmask = mask.copy()
    for jj, col in enumerate(count_columns):
        mask[col] = withheld[:r, jj]
        pmask[col] = primary[:r, jj]
    row_total = aug[:r, c]
    stat_values: dict[Hashable, np.ndarray] = {}
    for col, ncol in stats.items():
        s = table[col]
        if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            raise TypeError(f"Statistic column {col!r} must be numeric, got dtype {s.dtype}.")
        v = s.astype("float64").to_numpy(na_value=np.nan)
        n = row_total if ncol is None else table[ncol].astype("float64").to_numpy(na_value=np.nan)
        small = ~np.isnan(v) & ~(n >= k)  # NaN n counts as small
        stat_values[col] = v
        mask[col] = small
        pmask[col] = small

    masked = table.copy()
    display = pd.DataFrame(index=table.index, columns=table.columns, dtype=object)
    for col in table.columns:
        if col in count_columns:
            jj = count_columns.index(col)
            vals = counts[:, jj]
            masked[col] = pd.array(np.where(withheld[:r, jj], None, vals).tolist(), dtype="Int64")
            display[col] = [
                (f"<{k}" if primary[i, jj] else SECONDARY_MARKER) if withheld[i, jj] else str(int(vals[i]))
                for i in range(r)
            ]
        elif col in stats:
            v = stat_values[col]
            m = mask[col].to_numpy()
            masked[col] = np.where(m, np.nan, v)
            f = _fmt(statistic_format, col)
            display[col] = [
                STATISTIC_MARKER if m[i] else (missing if np.isnan(v[i]) else f.format(v[i])) for i in range(r)
            ]
        else:
            display[col] = [missing if pd.isna(x) else str(x) for x in table[col]]

    # --- totals -----------------------------------------------------------------
    if total_label is not None:
        last = count_columns[-1]
        tcol: Hashable = (*last[:-1], total_label) if isinstance(table.columns, pd.MultiIndex) else total_label
        trow: Hashable = (
            total_label if table.index.nlevels == 1 else (total_label, *([""] * (table.index.nlevels - 1)))
        )
        if tcol in table.columns or trow in table.index:
            raise ValueError(f"total_label {total_label!r} clashes with an existing column or row label.")
        pos = list(table.columns).index(last) + 1

        def total_text(i: int, j: int) -> str:
            if not withheld[i, j]:
                return str(int(aug[i, j]))
            return f"<{k}" if primary[i, j] else SECONDARY_MARKER

        display.insert(pos, tcol, [total_text(i, c) for i in range(r)])
        mask.insert(pos, tcol, withheld[:r, c])
        pmask.insert(pos, tcol, primary[:r, c])
        masked.insert(pos, tcol, pd.array(np.where(withheld[:r, c], None, aug[:r, c]).tolist(), dtype="Int64"))

        disp_row: dict[Hashable, Any] = {col: "" for col in display.columns}
        mask_row: dict[Hashable, Any] = {col: False for col in display.columns}
        pm_row = dict(mask_row)
        masked_row: dict[Hashable, Any] = {col: None for col in display.columns}
        for jj, col in enumerate([*count_columns, tcol]):
            disp_row[col] = total_text(r, jj)
            mask_row[col] = bool(withheld[r, jj])
            pm_row[col] = bool(primary[r, jj])
            masked_row[col] = None if withheld[r, jj] else int(aug[r, jj])
        display = pd.concat([display, pd.DataFrame([disp_row], index=[trow])])
        mask = pd.concat([mask, pd.DataFrame([mask_row], index=[trow])]).astype(bool)
        pmask = pd.concat([pmask, pd.DataFrame([pm_row], index=[trow])]).astype(bool)
        extra = pd.DataFrame([masked_row], index=[trow])
        for col in extra.columns:
            if pd.api.types.is_numeric_dtype(masked[col].dtype):
                extra[col] = extra[col].astype("float64").astype(masked[col].dtype)
        masked = pd.concat([masked, extra])
        if isinstance(table.index, pd.MultiIndex):
            for frame in (display, mask, pmask, masked):
                frame.index = pd.MultiIndex.from_tuples(list(frame.index), names=table.index.names)
        else:
            for frame in (display, mask, pmask, masked):
                frame.index.name = table.index.name
        for frame in (display, mask, pmask, masked):
            if isinstance(table.columns, pd.MultiIndex):
                frame.columns = pd.MultiIndex.from_tuples(list(frame.columns), names=table.columns.names)

    display = display.astype("string")
    return SuppressedTable(display=display, mask=mask, primary_mask=pmask, masked=masked,
                           min_cell_size=k, count_columns=tuple(count_columns))


def suppress_crosstab(
    df: pd.DataFrame,
    *,
    row: Hashable,
    column: Hashable,
    count: Hashable,
    statistics: Sequence[Hashable] = (),
    min_cell_size: int = 5,
    total_label: str | None = None,
    statistic_format: str | Mapping[Hashable, str] = "{:.1f}",
    missing: str = "",
) -> SuppressedTable:
    """Suppress small cells of a long table (one row per row × column cell).

    Pivots ``df`` to a wide table (index: ``row`` values; columns: a
    two-level index ``(count or statistic name, column value)``), fills
    absent cells with count 0, and calls :func:`suppress_small_cells` with
    each statistic tied to the count of its own cell.

    Parameters
    ----------
    df : DataFrame
        Long format, e.g. columns 学校, 性别, 参考人数, 平均分.
    row, column : column name
        Categories of the two-way table (e.g. school, gender).
    count : column name
        Number of people in each cell.
    statistics : sequence of column names
        Per-cell statistics computed from ``count`` people (e.g. mean score).
    min_cell_size, total_label, statistic_format, missing
        As in :func:`suppress_small_cells`.

    Returns
    -------
    SuppressedTable
        With columns ``(count, level)`` … then ``(statistic, level)`` …

    Raises
    ------
    KeyError
        Missing column.
    ValueError
        A (row, column) pair occurs twice, or as in
        :func:`suppress_small_cells`.
    """
    missing_cols = [c for c in (row, column, count, *statistics) if c not in df.columns]
    if missing_cols:
        raise KeyError(f"Column(s) {missing_cols!r} not found; available: {list(df.columns)!r}.")
    if df.duplicated(subset=[row, column]).any():
        raise ValueError(f"Each ({row}, {column}) pair must occur once; aggregate first.")
    rows = list(pd.unique(df[row]))
    levels = list(pd.unique(df[column]))
    parts = []
    counts = df.pivot(index=row, columns=column, values=count).reindex(index=rows, columns=levels)
    counts = counts.fillna(0)
    counts.columns = pd.MultiIndex.from_tuples([(count, lv) for lv in levels])
    parts.append(counts)
    for s in statistics:
        st = df.pivot(index=row, columns=column, values=s).reindex(index=rows, columns=levels)
        st.columns = pd.MultiIndex.from_tuples([(s, lv) for lv in levels])
        parts.append(st.astype("float64"))
    wide = pd.concat(parts, axis=1)
    wide.index.name = row
    wide.columns.names = [None, column]
    return suppress_small_cells(
        wide,
        count_columns=[(count, lv) for lv in levels],
        statistic_columns={(s, lv): (count, lv) for s in statistics for lv in levels},
        min_cell_size=min_cell_size,
        total_label=total_label,
        statistic_format=statistic_format,
        missing=missing,
    )


# ---------------------------------------------------------------------------
# Grouped statistics for charts
# ---------------------------------------------------------------------------


def suppress_group_stats(
    df: pd.DataFrame,
    *,
    n: Hashable = "n",
    statistics: Sequence[Hashable],
    min_cell_size: int = 5,
    flag: Hashable = "suppressed",
    mask_n: bool = True,
) -> pd.DataFrame:
    """Withhold the statistics of small groups in a grouped-statistics frame.

    Parameters
    ----------
    df : DataFrame
        One row per group (e.g. school × locale) with its size and statistics.
    n : column name, default "n"
        Number of people each row's statistics were computed from.
    statistics : sequence of column names
        Columns set to NaN where ``n`` < ``min_cell_size`` (or ``n`` missing).
    min_cell_size : int, default 5
        Threshold k.
    flag : column name, default "suppressed"
        Boolean column added (or overwritten): True for withheld groups.
    mask_n : bool, default True
        Also set ``n`` to missing where it is 1..k−1 (the count itself is a
        small cell); zero stays 0.

    Returns
    -------
    DataFrame
        A copy; the plot functions skip the NaN rows, so withheld groups are
        not drawn.

    Raises
    ------
    KeyError
        Missing column.
    TypeError
        ``n`` or a statistic is not numeric.
    ValueError
        ``min_cell_size`` < 1.

    Notes
    -----
    No complementary suppression is done here: if the group sizes add up to
    a published total, use :func:`suppress_small_cells` instead.
    """
    if isinstance(min_cell_size, bool) or not isinstance(min_cell_size, (int, np.integer)) or min_cell_size < 1:
        raise ValueError(f"min_cell_size must be a positive integer, got {min_cell_size!r}.")
    statistics = list(statistics)
    absent = [c for c in [n, *statistics] if c not in df.columns]
    if absent:
        raise KeyError(f"Column(s) {absent!r} not found; available: {list(df.columns)!r}.")
    out = df.copy()
    for col in [n, *statistics]:
        if not pd.api.types.is_numeric_dtype(out[col].dtype) or pd.api.types.is_bool_dtype(out[col].dtype):
            raise TypeError(f"Column {col!r} must be numeric, got dtype {out[col].dtype}.")
    nv = out[n].astype("float64").to_numpy(na_value=np.nan)
    small = ~(nv >= min_cell_size)
    for col in statistics:
        out[col] = out[col].astype("float64").mask(small)
    if mask_n:
        tiny = (nv > 0) & (nv < min_cell_size)
        out[n] = out[n].astype("Int64").mask(tiny)
    out[flag] = small
    return out


# ---------------------------------------------------------------------------
# Keys and the personal-data guard
# ---------------------------------------------------------------------------


_PERSONAL_SUBSTRINGS = (
    "姓名", "名字", "身份证", "证件号", "学籍号", "学号", "准考证", "考生号", "工号", "手机", "联系电话",
    "家庭住址", "住址", "出生日期",
)
_PERSONAL_TOKENS = re.compile(
    r"^(?:.*_)?(?:id_?number|id_?no|id_?card|national_id|citizen_id|identity_?number|sfzh|"
    r"student_key|teacher_key|student_id|teacher_id|student_no|student_number|exam_number|"
    r"phone|mobile|telephone|home_address|date_of_birth|birth_date|dob)(?:_.*)?$"
)
_NAME_TOKENS = {"name", "names", "fullname", "surname", "firstname", "lastname", "givenname", "familyname"}
_INSTITUTION_TOKENS = {
    "school", "county", "district", "town", "township", "city", "province", "exam", "subject", "class",
    "indicator", "column", "file", "sheet", "stage", "locale", "grade", "unit", "bureau", "variable", "metric",
}
_ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")


def _normalise(col: Hashable) -> str:
    text = "_".join(map(str, col)) if isinstance(col, tuple) else str(col)
    text = re.sub(r"([a-z])([A-Z])", r"\1_\2", text).lower()
    return re.sub(r"[\s\-.]+", "_", text).strip("_")


def _looks_personal(col: Hashable) -> str | None:
    text = _normalise(col)
    for sub in _PERSONAL_SUBSTRINGS:
        if sub in text:
            return f"contains '{sub}'"
    if _PERSONAL_TOKENS.match(text):
        return "identifier column"
    tokens = [t for t in text.split("_") if t]
    joined = {"".join(tokens[i:i + 2]) for i in range(len(tokens))}
    if (_NAME_TOKENS & set(tokens) or _NAME_TOKENS & joined) and not _INSTITUTION_TOKENS & set(tokens):
        return "person's name"
    return None


def check_no_personal_data(df: pd.DataFrame, *, allow: Iterable[Hashable] = (), check_values: bool = True) -> None:
    """Refuse a frame that carries personal identifiers.

    Call it on every frame before it goes into a report or a chart.

    Parameters
    ----------
    df : DataFrame
        Frame to check; column names, index names and (optionally) text
        values are inspected.
    allow : iterable of column names
        Columns known to be safe despite their name.
    check_values : bool, default True
        Also look for values shaped like an 18-character resident ID number
        (GB 11643) in text columns.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        Listing the offending columns: names of people (姓名, name,
        student_name …), ID numbers (身份证, id_number …), student or
        teacher keys (student_key, teacher_key, 学籍号 …), phone numbers or
        home addresses, or a text column with ID-number-shaped values.
    TypeError
        If ``df`` is not a DataFrame.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"Expected a pandas DataFrame, got {type(df).__name__}.")
    allowed = set(allow)
    problems: list[str] = []
    names = [(c, "column") for c in df.columns] + [(n, "index") for n in df.index.names if n is not None]
    for col, where in names:
        if col in allowed:
            continue
        why = _looks_personal(col)
        if why:
            problems.append(f"{where} {col!r} ({why})")
    if check_values:
        for col in df.columns:
            if col in allowed:
                continue
            s = df[col]
            if pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
                sample = s.dropna().astype(str).head(200)
                if len(sample) and sample.str.strip().str.match(_ID_NUMBER).any():
                    problems.append(f"column {col!r} (values shaped like resident ID numbers)")
    if problems:
        raise ValueError(
            "Personal data must not go into a report; found: " + "; ".join(problems)
            + ". Drop these columns or replace them with lyganalysis.ids.pseudonymize_ids() / pseudonymize_text() keys before publishing."
        )
