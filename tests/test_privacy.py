"""Tests for lyganalysis.privacy (case C27: small cells, directly or by subtraction)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lyganalysis.privacy import (
    SuppressedTable,
    check_no_personal_data,
    recoverable_cells,
    suppress_crosstab,
    suppress_group_stats,
    suppress_small_cells,
)

C27 = Path(__file__).parent / "cases" / "C27-small-cell-suppression"


# --------------------------------------------------------------------------- helpers


def with_margins(counts: np.ndarray) -> np.ndarray:
    r, c = counts.shape
    aug = np.zeros((r + 1, c + 1), dtype=np.int64)
    aug[:r, :c] = counts
    aug[:r, c] = counts.sum(axis=1)
    aug[r, :c] = counts.sum(axis=0)
    aug[r, c] = counts.sum()
    return aug


def determined_by_linear_algebra(withheld: np.ndarray) -> np.ndarray:
    """Independent check: which unknowns of the margin equations are pinned down.

    Unknowns are the withheld cells of the table-with-margins; equations are
    "each inner row sums to its total", "each inner column sums to its total",
    "row totals sum to the grand total", "column totals sum to the grand total".
    Unknown u is uniquely determined iff the unit vector e_u lies in the row
    space of the coefficient matrix A (rank does not grow when e_u is added).
    """
    n_rows, n_cols = withheld.shape
    r, c = n_rows - 1, n_cols - 1
    unknowns = [(i, j) for i in range(n_rows) for j in range(n_cols) if withheld[i, j]]
    index = {cell: k for k, cell in enumerate(unknowns)}
    eqs = []
    for i in range(n_rows):  # sum_j<c a[i, j] - a[i, c] = 0
        row = np.zeros(len(unknowns))
        for j in range(n_cols):
            if (i, j) in index:
                row[index[(i, j)]] += 1.0 if j < c else -1.0
        eqs.append(row)
    for j in range(n_cols):  # sum_i<r a[i, j] - a[r, j] = 0
        row = np.zeros(len(unknowns))
        for i in range(n_rows):
            if (i, j) in index:
                row[index[(i, j)]] += 1.0 if i < r else -1.0
        eqs.append(row)
    a = np.array(eqs) if unknowns else np.zeros((0, 0))
    out = np.zeros_like(withheld, dtype=bool)
    if not unknowns:
        return out
    rank = np.linalg.matrix_rank(a)
    for cell, k in index.items():
        e = np.zeros(len(unknowns))
        e[k] = 1.0
        out[cell] = np.linalg.matrix_rank(np.vstack([a, e])) == rank
    return out


def augmented_mask(result: SuppressedTable, n_rows: int, n_cols: int) -> np.ndarray:
    """Mask of counts + totals from a result built with total_label."""
    count_cols = list(result.count_columns)
    total_col = list(result.mask.columns)[list(result.mask.columns).index(count_cols[-1]) + 1]
    m = result.mask[[*count_cols, total_col]].to_numpy(dtype=bool)
    assert m.shape == (n_rows + 1, n_cols + 1)
    return m


# --------------------------------------------------------------------------- C27


@pytest.fixture
def c27():
    return pd.read_csv(C27 / "exam_counts.csv")


def test_c27_layout_and_statistics(c27):
    res = suppress_crosstab(c27, row="学校", column="性别", count="参考人数", statistics=["平均分"],
                            min_cell_size=5, total_label="合计")
    d = res.to_frame()
    assert d.loc["河口小学", ("参考人数", "男")] == "<5"
    assert d.loc["河口小学", ("平均分", "男")] == "*"
    assert d.loc["河口小学", ("参考人数", "女")] == "*"
    assert d.loc["河口小学", ("平均分", "女")] == "72.5"  # n = 6 >= k stays shown
    assert d.loc["城关一小", ("参考人数", "男")] == "48"
    # one valid layout: the 2×2 block 城关二小/河口小学 × 男/女; totals all shown
    assert res.mask.loc["城关二小", ("参考人数", "男")] and res.mask.loc["城关二小", ("参考人数", "女")]
    assert d.loc["合计", ("参考人数", "男")] == "81"
    assert d.loc["合计", ("参考人数", "女")] == "85"
    assert d.loc["城关二小", ("参考人数", "合计")] == "57"
    assert d.loc["河口小学", ("参考人数", "合计")] == "9"
    assert d.loc["合计", ("参考人数", "合计")] == "166"
    # nothing in the display is a small count
    for col in res.count_columns:
        for text in d[col]:
            assert not (text.isdigit() and 1 <= int(text) < 5)
    # the numeric table for charts has the withheld values missing
    assert pd.isna(res.masked.loc["河口小学", ("平均分", "男")])
    assert pd.isna(res.masked.loc["河口小学", ("参考人数", "男")])
    assert res.masked.loc["河口小学", ("平均分", "女")] == 72.5


def test_c27_no_withheld_count_is_recoverable(c27):
    res = suppress_crosstab(c27, row="学校", column="性别", count="参考人数", statistics=["平均分"],
                            min_cell_size=5, total_label="合计")
    m = augmented_mask(res, 3, 2)
    assert m.any()
    assert not determined_by_linear_algebra(m).any()
    # and the homogeneous system has a solution touching 河口小学 男 (null-space argument)
    assert m[2, 0]


def test_c27_hiding_only_the_small_cell_would_be_recoverable(c27):
    """Sanity check of the checker itself: primary suppression alone leaks the 3."""
    counts = c27.pivot(index="学校", columns="性别", values="参考人数")[["男", "女"]].to_numpy()
    aug = with_margins(counts)
    only_primary = (aug > 0) & (aug < 5)
    assert determined_by_linear_algebra(only_primary)[2, 0]
    assert recoverable_cells(only_primary)[2, 0]


def test_zero_counts_are_shown_as_zero_and_never_withheld():
    df = pd.DataFrame({"学校": ["城关一小", "城关一小", "河口小学", "河口小学", "西山小学", "西山小学"],
                       "性别": ["男", "女"] * 3,
                       "参考人数": [48, 52, 0, 7, 12, 2],
                       "平均分": [81.2, 83.5, np.nan, 70.0, 75.0, 90.0]})
    res = suppress_crosstab(df, row="学校", column="性别", count="参考人数", statistics=["平均分"],
                            total_label="合计")
    d = res.display
    assert d.loc["河口小学", ("参考人数", "男")] == "0"
    assert not res.mask.loc["河口小学", ("参考人数", "男")]
    assert d.loc["河口小学", ("平均分", "男")] == ""  # no statistic over 0 people
    assert d.loc["西山小学", ("参考人数", "女")] == "<5"
    assert d.loc["西山小学", ("平均分", "女")] == "*"
    m = augmented_mask(res, 3, 2)
    assert not determined_by_linear_algebra(m).any()


def test_small_margins_are_withheld_too():
    table = pd.DataFrame({"a": [3, 0], "b": [0, 40]}, index=["x", "y"])
    res = suppress_small_cells(table, count_columns=["a", "b"], total_label="T")
    assert res.display.loc["x", "T"] == "<5"  # row total 3 is itself a small count
    assert res.display.loc["T", "a"] == "<5"
    assert res.display.loc["x", "b"] == "0" and res.display.loc["y", "a"] == "0"
    m = res.mask.to_numpy(dtype=bool)
    assert not determined_by_linear_algebra(m).any()


def test_wide_table_without_total_label_and_statistics_on_row_total():
    table = pd.DataFrame({"boys": [30, 3, 20], "girls": [25, 6, 22], "mean": [80.0, 70.0, 75.0],
                          "mean_boys": [1.0, 2.0, 3.0]}, index=pd.Index(["A", "B", "C"], name="school"))
    res = suppress_small_cells(table, count_columns=["boys", "girls"],
                               statistic_columns={"mean": None, "mean_boys": "boys"})
    assert res.display.shape == table.shape
    assert res.display.loc["B", "mean"] == "70.0"  # row total 9 >= 5
    assert res.display.loc["B", "mean_boys"] == "*"
    assert res.display.loc["B", "boys"] == "<5"
    assert res.primary_mask.loc["B", "boys"] and not res.primary_mask.loc["B", "girls"]
    assert res.n_withheld >= 4


def test_table_needing_more_than_the_one_per_line_rule():
    """After the one-per-line rule every line has 0 or ≥2 withheld cells, yet (x, b) is a bridge
    between two cycles and still recoverable; the exact check must withhold more."""
    counts = np.array([[0, 2, 6], [2, 6, 30], [0, 0, 6]])
    table = pd.DataFrame(counts, columns=["a", "b", "c"], index=["x", "y", "z"])
    res = suppress_small_cells(table, count_columns=["a", "b", "c"], total_label="T")
    m = res.mask.to_numpy(dtype=bool)
    assert not determined_by_linear_algebra(m).any()
    assert not recoverable_cells(m).any()


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        ({"count_columns": []}, ValueError),
        ({"count_columns": ["a"], "min_cell_size": 0}, ValueError),
        ({"count_columns": ["zz"]}, KeyError),
    ],
)
def test_bad_arguments(kwargs, exc):
    with pytest.raises(exc):
        suppress_small_cells(pd.DataFrame({"a": [1, 2]}), **kwargs)


@pytest.mark.parametrize("values", [[1.5, 2], [-1, 2], [np.nan, 2]])
def test_bad_counts(values):
    with pytest.raises(ValueError):
        suppress_small_cells(pd.DataFrame({"a": values}), count_columns=["a"])


cell_values = st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 120))


@st.composite
def count_tables(draw):
    r = draw(st.integers(1, 6))
    c = draw(st.integers(1, 4))
    values = draw(st.lists(cell_values, min_size=r * c, max_size=r * c))
    return np.array(values, dtype=np.int64).reshape(r, c)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts=count_tables(), k=st.sampled_from([3, 5, 10]))
def test_property_random_tables(counts, k):
    r, c = counts.shape
    table = pd.DataFrame(counts, columns=[f"c{j}" for j in range(c)], index=[f"r{i}" for i in range(r)])
    res = suppress_small_cells(table, count_columns=list(table.columns), min_cell_size=k, total_label="合计")
    aug = with_margins(counts)
    m = augmented_mask(res, r, c)
    disp = res.display[[*table.columns, "合计"]].to_numpy()
    # primary: every count 1..k-1 (cells and totals) is withheld, as '<k'
    small = (aug > 0) & (aug < k)
    assert (m[small]).all()
    assert (disp[small] == f"<{k}").all()
    # zeros are shown as 0
    assert (~m[aug == 0]).all()
    assert (disp[aug == 0] == "0").all()
    # shown values are the true values; secondary ones are '*'
    assert (disp[~m] == aug[~m].astype(str)).all()
    assert (disp[m & ~small] == "*").all()
    # no withheld count is recoverable from the shown cells and totals
    assert not determined_by_linear_algebra(m).any()


@settings(max_examples=50, deadline=None)
@given(mask=st.integers(2, 5).flatmap(
    lambda n: st.lists(st.lists(st.booleans(), min_size=n, max_size=n), min_size=2, max_size=5)))
def test_recoverable_cells_matches_linear_algebra(mask):
    w = np.array(mask, dtype=bool)
    np.testing.assert_array_equal(recoverable_cells(w), determined_by_linear_algebra(w))


# --------------------------------------------------------------------------- group stats


def test_suppress_group_stats_c27(c27):
    out = suppress_group_stats(c27, n="参考人数", statistics=["平均分"], min_cell_size=5)
    small = out["学校"].eq("河口小学") & out["性别"].eq("男")
    assert out.loc[small, "suppressed"].all()
    assert out.loc[small, "平均分"].isna().all()
    assert out.loc[small, "参考人数"].isna().all()
    assert out.loc[~small, "平均分"].notna().all()
    assert out.loc[out["学校"].eq("河口小学") & out["性别"].eq("女"), "平均分"].item() == 72.5
    assert "suppressed" not in c27.columns  # input untouched


@settings(max_examples=50, deadline=None)
@given(ns=st.lists(st.integers(0, 12), min_size=1, max_size=20), k=st.integers(1, 10))
def test_suppress_group_stats_property(ns, k):
    df = pd.DataFrame({"n": ns, "mean": np.arange(len(ns), dtype=float)})
    out = suppress_group_stats(df, n="n", statistics=["mean"], min_cell_size=k)
    n = np.array(ns)
    assert (out["mean"].isna().to_numpy() == (n < k)).all()
    assert (out["suppressed"].to_numpy() == (n < k)).all()
    tiny = (n > 0) & (n < k)
    assert (out["n"].isna().to_numpy() == tiny).all()


# --------------------------------------------------------------------------- keys and guard


@pytest.mark.parametrize(
    "column",
    ["姓名", "学生姓名", "name", "student_name", "StudentName", "身份证号", "身份证件号码", "id_number",
     "student_key", "teacher_key", "学籍号", "phone", "家庭住址"],
)
def test_check_no_personal_data_rejects(column):
    with pytest.raises(ValueError, match="Personal data"):
        check_no_personal_data(pd.DataFrame({column: ["x"]}))


def test_check_no_personal_data_accepts_report_tables_and_allow():
    df = pd.DataFrame({"school_id": ["3207060001"], "school_name": ["城关一小"], "county": ["海州区"],
                       "indicator_name": ["生师比"], "students_primary": [300], "平均分": [80.1]})
    check_no_personal_data(df)
    check_no_personal_data(pd.DataFrame({"name": ["城关一小"]}), allow=["name"])


def test_check_no_personal_data_finds_id_numbers_in_values():
    df = pd.DataFrame({"备注": ["ok", "32070619900101123X"]})
    with pytest.raises(ValueError, match="resident ID"):
        check_no_personal_data(df)
    check_no_personal_data(df, check_values=False)
    idx = pd.DataFrame({"v": [1]}, index=pd.Index(["k"], name="student_key"))
    with pytest.raises(ValueError, match="index"):
        check_no_personal_data(idx)
