"""Quality early warning (教学质量预警): documented rules that flag schools, each flag saying why.

The plan asks for an early-warning mechanism for teaching quality and help for weak schools (薄弱学校).
There is no official rule set; the rules below are local conventions made explicit [U] — every threshold
is a parameter, and a school with fewer than ``min_n`` students is never flagged (and the output says so).

Rules (``rule`` column):

``"value_added_below_zero"`` — 增值评价低于预期
    The school's value-added interval lies wholly below zero: ``effect_upper < 0`` (from
    :func:`lyganalysis.metrics.value_added.value_added`). ``value`` = upper end of the interval
    (points), ``threshold`` = 0.
``"mean_below_county"`` — 平均分显著低于全县
    (school mean − county mean) / SD < −k, where the county mean is the mean over all test-takers of the
    table's schools, Σ n_j·mean_j / Σ n_j (全县平均分, all schools including small ones), and SD is the
    sample standard deviation (ddof = 1) of the school means of the schools with n ≥ ``min_n``
    (unweighted: the spread between schools, not between students). ``value`` = that standardised gap
    (in SDs of school means), ``threshold`` = −k. Needs at least 3 schools with n ≥ min_n.
``"pass_rate_drop"`` — 及格率较上年下降
    pass rate this year − pass rate in ``previous`` < −x (proportions: x = 0.10 is 10 percentage
    points). ``value`` = the change (proportion), ``threshold`` = −x. Needs the previous year's table;
    a school below min_n in either year is not assessed.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from lyganalysis.metrics.academic import _keys

__all__ = ["early_warning", "DEFAULT_RULES", "RULES"]

RULES = {
    "value_added_below_zero": ("增值评价低于预期", "value-added below expectation"),
    "mean_below_county": ("平均分显著低于全县", "mean well below the county mean"),
    "pass_rate_drop": ("及格率较上年明显下降", "pass rate down on the previous year"),
}
DEFAULT_RULES: tuple[str, ...] = tuple(RULES)


def _num(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def early_warning(school_table: pd.DataFrame, *, rules: Sequence[str] = DEFAULT_RULES, min_n: int = 20,
                  previous: pd.DataFrame | None = None, school: str = "school_id",
                  by: str | Sequence[str] | None = None, n: str = "n_takers", mean: str = "mean_score",
                  pass_rate: str = "pass_rate", effect_upper: str = "effect_upper", k_sd: float = 1.0,
                  pass_drop: float = 0.10, confidence: float = 0.95) -> pd.DataFrame:
    """质量预警: apply the early-warning rules to a school table; one row per school × rule.

    Parameters
    ----------
    school_table : DataFrame, one row per school (× ``by``)
        E.g. :func:`~lyganalysis.metrics.academic.three_rates_one_score` output, optionally merged with
        :meth:`ValueAddedResult.to_frame() <lyganalysis.metrics.value_added.ValueAddedResult.to_frame>`
        (``effect_upper``). Columns needed: ``school``, ``n``; ``mean`` for "mean_below_county",
        ``pass_rate`` for "pass_rate_drop", ``effect_upper`` for "value_added_below_zero" (if the column is
        absent the rule is reported as not assessed, never silently dropped).
    rules : sequence of str, default all of :data:`DEFAULT_RULES`
    min_n : int, default 20
        Schools with fewer students (``n``) are not assessed by any rule: their means and rates are too
        noisy to judge.
    previous : DataFrame, optional
        Last year's table with ``school`` (+ ``by``), ``n`` and ``pass_rate`` columns.
    school, by, n, mean, pass_rate, effect_upper : str
        Column names; ``by`` e.g. ``"subject"`` (the county reference is taken within each ``by`` group).
    k_sd : float, default 1.0
        "mean_below_county" flags gaps below −k_sd SDs of school means.
    pass_drop : float, default 0.10
        "pass_rate_drop" flags a fall of more than this (proportion; 0.10 = 10 percentage points).
    confidence : float, default 0.95
        Level of the value-added interval (wording of the reason only).

    Returns
    -------
    DataFrame
        ``school``, ``by`` columns, ``rule``, ``flagged`` (bool), ``assessed`` (bool: False when the rule
        could not be applied — small school, missing data or table — and the reason says why),
        ``reason_zh``, ``reason_en`` (a reason on every row), ``value``, ``threshold`` (float; units per
        rule, see the module docstring), ``n`` (Int64).

    Raises
    ------
    ValueError
        Unknown rule; missing ``school``/``n`` columns (or the column a requested rule needs, except
        ``effect_upper``); duplicate school rows (pass ``by=``); negative thresholds or min_n.
    """
    keys = [school] + _keys(by)
    unknown = [r for r in rules if r not in RULES]
    if unknown:
        raise ValueError(f"unknown rule(s) {unknown}; known: {list(RULES)}")
    if min_n < 0 or k_sd < 0 or pass_drop < 0:
        raise ValueError("min_n, k_sd and pass_drop must be non-negative")
    need = keys + [n] + ([mean] if "mean_below_county" in rules else []) + \
        ([pass_rate] if "pass_rate_drop" in rules else [])
    missing = [c for c in need if c not in school_table.columns]
    if missing:
        raise ValueError(f"early_warning: missing column(s) {missing}")
    if school_table.duplicated(keys).any():
        raise ValueError(f"duplicate rows for {keys}: one row per school is needed (pass by=, e.g. 'subject')")
    tab = school_table.reset_index(drop=True)
    nn = pd.to_numeric(tab[n], errors="coerce").astype("float64")
    small = ~(nn >= min_n)
    pct = f"{confidence:.0%}"
    rows: list[dict] = []

    def emit(i, rule, flagged, assessed, zh, en, value, threshold):
        d = {k: tab.at[i, k] for k in keys}
        d.update(rule=rule, flagged=bool(flagged), assessed=bool(assessed), reason_zh=zh, reason_en=en,
                 value=_num(value), threshold=_num(threshold), n=nn.iat[i])
        rows.append(d)

    def too_small(i, rule, threshold):
        k = nn.iat[i]
        ks = "缺失" if math.isnan(k) else f"{k:.0f}"
        emit(i, rule, False, False, f"学生数{ks}人，少于最小样本量{min_n}人，不作预警",
             f"{'n missing' if math.isnan(k) else f'{k:.0f} students'}, fewer than min_n = {min_n}: "
             "not assessed", np.nan, threshold)

    # reference distribution for "mean_below_county", per by-group
    if "mean_below_county" in rules:
        m = pd.to_numeric(tab[mean], errors="coerce").astype("float64")
        grp = [tab[k] for k in keys[1:]] or [pd.Series(0, index=tab.index)]
        ok = m.notna() & nn.notna() & (nn > 0)
        wsum = (m * nn).where(ok).groupby(grp, dropna=False).transform("sum")
        nsum = nn.where(ok).groupby(grp, dropna=False).transform("sum")
        county_mean = wsum / nsum
        elig = m.where(ok & ~small)
        sd = elig.groupby(grp, dropna=False).transform("std")
        n_elig = elig.groupby(grp, dropna=False).transform("count")

    if "pass_rate_drop" in rules and previous is not None:
        miss = [c for c in keys + [n, pass_rate] if c not in previous.columns]
        if miss:
            raise ValueError(f"previous: missing column(s) {miss}")
        if previous.duplicated(keys).any():
            raise ValueError(f"previous: duplicate rows for {keys}")
        prev = previous[keys + [n, pass_rate]].rename(columns={n: "_n_prev", pass_rate: "_pr_prev"})
        prev = tab[keys].merge(prev, on=keys, how="left", indicator=True)

    for i in range(len(tab)):
        for rule in rules:
            if rule == "value_added_below_zero":
                if small.iat[i]:
                    too_small(i, rule, 0.0)
                    continue
                if effect_upper not in tab.columns:
                    emit(i, rule, False, False, "未提供增值评价结果，未评估", "no value-added results supplied: "
                         "not assessed", np.nan, 0.0)
                    continue
                u = _num(tab.at[i, effect_upper])
                if math.isnan(u):
                    emit(i, rule, False, False, "该校无增值评价估计（缺少前测成绩等），未评估",
                         "no value-added estimate for this school (e.g. no prior scores): not assessed",
                         np.nan, 0.0)
                elif u < 0:
                    emit(i, rule, True, True, f"增值评价：校效应{pct}区间上限为{u:.2f}分，整个区间低于0，"
                         "学生进步低于全县同起点学生的预期",
                         f"value-added: the upper end of the {pct} interval of the school effect is {u:.2f} "
                         "points, so the whole interval lies below 0 — pupils progressed less than "
                         "county pupils with the same prior scores", u, 0.0)
                else:
                    emit(i, rule, False, True, f"增值评价区间上限{u:.2f}分，不低于0，未预警",
                         f"value-added interval reaches {u:.2f} points (≥ 0): not flagged", u, 0.0)
            elif rule == "mean_below_county":
                thr = -k_sd
                if small.iat[i]:
                    too_small(i, rule, thr)
                    continue
                mi, cm, s, ne = m.iat[i], county_mean.iat[i], sd.iat[i], n_elig.iat[i]
                if math.isnan(mi):
                    emit(i, rule, False, False, "平均分缺失，未评估", "mean score missing: not assessed",
                         np.nan, thr)
                elif ne < 3 or not s > 0:
                    emit(i, rule, False, False, f"达到最小样本量的学校不足3所或校间无差异，无法计算标准差，未评估",
                         "fewer than 3 schools with n ≥ min_n or no spread between them: the SD of school "
                         "means is undefined; not assessed", np.nan, thr)
                else:
                    z = (mi - cm) / s
                    if z < thr:
                        emit(i, rule, True, True,
                             f"平均分{mi:.2f}分，比全县平均分{cm:.2f}分低{cm - mi:.2f}分，即{-z:.2f}个校际标准差"
                             f"（标准差{s:.2f}分），超过预警线{k_sd:g}个标准差",
                             f"mean {mi:.2f} is {cm - mi:.2f} points below the county mean {cm:.2f}, i.e. "
                             f"{-z:.2f} SDs of school means (SD {s:.2f}), beyond the {k_sd:g} SD threshold",
                             z, thr)
                    else:
                        emit(i, rule, False, True, f"平均分与全县平均分相差{z:+.2f}个校际标准差，未超过预警线",
                             f"mean is {z:+.2f} SDs of school means from the county mean: not flagged", z, thr)
            elif rule == "pass_rate_drop":
                thr = -pass_drop
                if small.iat[i]:
                    too_small(i, rule, thr)
                    continue
                if previous is None:
                    emit(i, rule, False, False, "未提供上一年数据，未评估", "no previous year's table supplied: "
                         "not assessed", np.nan, thr)
                    continue
                if prev.at[i, "_merge"] != "both":
                    emit(i, rule, False, False, "上一年无该校数据，未评估", "school not in the previous year's "
                         "table: not assessed", np.nan, thr)
                    continue
                n_prev = _num(prev.at[i, "_n_prev"])
                if not n_prev >= min_n:
                    emit(i, rule, False, False, f"上一年学生数少于最小样本量{min_n}人，未评估",
                         f"previous year's n below min_n = {min_n}: not assessed", np.nan, thr)
                    continue
                now, before = _num(tab.at[i, pass_rate]), _num(prev.at[i, "_pr_prev"])
                if math.isnan(now) or math.isnan(before):
                    emit(i, rule, False, False, "及格率缺失，未评估", "pass rate missing: not assessed",
                         np.nan, thr)
                    continue
                d = now - before
                if d < thr:
                    emit(i, rule, True, True,
                         f"及格率由上年的{before:.1%}降至{now:.1%}，下降{-d * 100:.1f}个百分点，超过预警线"
                         f"{pass_drop * 100:g}个百分点",
                         f"pass rate fell from {before:.1%} to {now:.1%}, down {-d * 100:.1f} percentage "
                         f"points, more than the {pass_drop * 100:g}-point threshold", d, thr)
                else:
                    emit(i, rule, False, True, f"及格率较上年变化{d * 100:+.1f}个百分点，未超过预警线",
                         f"pass rate changed by {d * 100:+.1f} percentage points: not flagged", d, thr)
    cols = keys + ["rule", "flagged", "assessed", "reason_zh", "reason_en", "value", "threshold", "n"]
    out = pd.DataFrame(rows, columns=cols)
    out["flagged"] = out["flagged"].astype(bool)
    out["assessed"] = out["assessed"].astype(bool)
    out["value"] = out["value"].astype("float64")
    out["threshold"] = out["threshold"].astype("float64")
    out["n"] = pd.array(np.round(out["n"].to_numpy(dtype="float64")), dtype="Int64") if len(out) else \
        pd.array([], dtype="Int64")
    return out
