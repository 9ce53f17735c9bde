"""Quality early warning (教学质量预警): documented rules that flag schools, each flag saying why.

The plan asks for an early-warning mechanism for teaching quality and help for weak schools (薄弱学校).
There is no official rule set; the rules below are local conventions made explicit [U] — every threshold
is a parameter, and a school with fewer than ``min_n`` students is never flagged (and the output says so).

Every row of the output carries a ``reason`` code (no text: the report translates it) with the numbers the
sentence needs in ``value``, ``threshold``, ``observed``, ``reference``, ``scale`` and ``n``:

==========================  =====================================================================
reason                      meaning
==========================  =====================================================================
``flagged``                 the rule is met (assessed, flagged)
``not_flagged``             assessed, not flagged
``too_small``               ``n`` below ``min_n`` (or missing): not assessed
``no_value_added``          no ``effect_upper`` column supplied: not assessed
``no_estimate``             the school has no value-added estimate (NaN): not assessed
``missing_mean``            the school mean is missing
``no_spread``               fewer than 3 schools with n ≥ min_n, or no spread between them
``no_previous``             no previous year's table supplied
``not_in_previous``         the school is not in the previous year's table
``previous_too_small``      the school had fewer than ``min_n`` students the previous year
``missing_pass_rate``       a pass rate is missing (this or last year)
==========================  =====================================================================

Rules (``rule`` column):

``"value_added_below_zero"`` — 增值评价低于预期
    The school's value-added interval lies wholly below zero: ``effect_upper < 0`` (from
    :func:`lyganalysis.metrics.value_added.value_added`). ``value`` = upper end of the interval
    (points), ``threshold`` = 0; ``observed`` = the upper end, ``reference`` = 0.
``"mean_below_county"`` — 平均分显著低于全县
    (school mean − county mean) / SD < −k, where the county mean is the mean over all test-takers of the
    table's schools, Σ n_j·mean_j / Σ n_j (全县平均分, all schools including small ones), and SD is the
    sample standard deviation (ddof = 1) of the school means of the schools with n ≥ ``min_n``
    (unweighted: the spread between schools, not between students). ``value`` = that standardised gap
    (in SDs of school means), ``threshold`` = −k; ``observed`` = the school mean, ``reference`` = the county
    mean, ``scale`` = the SD. Needs at least 3 schools with n ≥ min_n.
``"pass_rate_drop"`` — 及格率较上年下降
    pass rate this year − pass rate in ``previous`` < −x (proportions: x = 0.10 is 10 percentage
    points). ``value`` = the change (proportion), ``threshold`` = −x; ``observed`` = this year's pass rate,
    ``reference`` = last year's. Needs the previous year's table; a school below min_n in either year is
    not assessed.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from lyganalysis.metrics.academic import column_list

__all__ = ["early_warning", "DEFAULT_RULES", "RULES", "REASONS"]

#: The rules, in their order of application.
RULES: tuple[str, ...] = ("value_added_below_zero", "mean_below_county", "pass_rate_drop")
DEFAULT_RULES: tuple[str, ...] = RULES
#: Every reason code a row can carry (see the module docstring).
REASONS: tuple[str, ...] = ("flagged", "not_flagged", "too_small", "no_value_added", "no_estimate", "missing_mean",
                            "no_spread", "no_previous", "not_in_previous", "previous_too_small", "missing_pass_rate")


def early_warning(school_table: pd.DataFrame, *, rules: Sequence[str] = DEFAULT_RULES, min_n: int = 20,
                  previous: pd.DataFrame | None = None, school: str = "school_id",
                  by: str | Sequence[str] | None = None, n: str = "n_takers", mean: str = "mean_score",
                  pass_rate: str = "pass_rate", effect_upper: str = "effect_upper", k_sd: float = 1.0,
                  pass_drop: float = 0.10, confidence: float | None = None) -> pd.DataFrame:
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
        Column names; ``by`` e.g. ``"subject"``: the rules are applied per group (the county reference is
        taken within each ``by`` group).
    k_sd : float, default 1.0
        "mean_below_county" flags gaps below −k_sd SDs of school means.
    pass_drop : float, default 0.10
        "pass_rate_drop" flags a fall of more than this (proportion; 0.10 = 10 percentage points).
    confidence : float, optional
        Deprecated and ignored: it only worded the old text reasons (reasons are codes now; the level of the
        value-added interval is that of ``effect_upper``). Passing it warns (``DeprecationWarning``).

    Returns
    -------
    DataFrame
        ``school``, ``by`` columns, ``rule``, ``flagged`` (bool), ``assessed`` (bool: False when the rule
        could not be applied), ``reason`` (a code of :data:`REASONS` on every row), ``value``,
        ``threshold`` (float; units per rule, see the module docstring), ``n`` (Int64), ``observed``,
        ``reference``, ``scale`` (float, the numbers a reason's sentence needs; NaN where not used).
        Rows are ordered school by school (table order), rules in the order given.

    Raises
    ------
    ValueError
        Unknown rule; missing ``school``/``n`` columns (or the column a requested rule needs, except
        ``effect_upper``); duplicate school rows (pass ``by=``); negative thresholds or min_n.
    """
    if confidence is not None:
        warnings.warn("early_warning(confidence=...) is deprecated and ignored: reasons are codes now",
                      DeprecationWarning, stacklevel=2)
    keys = [school] + column_list(by)
    rules = list(rules)
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
    m_rows = len(tab)
    nn = pd.to_numeric(tab[n], errors="coerce").astype("float64")
    small = (~(nn >= min_n)).to_numpy()
    nan = np.full(m_rows, np.nan)
    parts = []

    def part(rule, reason, value, threshold, observed=nan, reference=nan, scale=nan):
        reason = np.asarray(reason, dtype=object)
        reason[small] = "too_small"
        value = np.where(small, np.nan, value)
        f = tab[keys].copy()
        f["rule"] = rule
        f["flagged"] = reason == "flagged"
        f["assessed"] = np.isin(reason, ["flagged", "not_flagged"])
        f["reason"] = reason.astype(str)
        f["value"] = np.asarray(value, dtype="float64")
        f["threshold"] = float(threshold)
        f["n"] = nn.to_numpy()
        f["observed"] = np.where(small, np.nan, observed).astype("float64")
        f["reference"] = np.where(small, np.nan, reference).astype("float64")
        f["scale"] = np.where(small, np.nan, scale).astype("float64")
        f["_row"] = np.arange(m_rows)
        f["_rule"] = rules.index(rule)
        parts.append(f)

    for rule in rules:
        if rule == "value_added_below_zero":
            if effect_upper not in tab.columns:
                part(rule, np.full(m_rows, "no_value_added", dtype=object), nan, 0.0)
                continue
            u = pd.to_numeric(tab[effect_upper], errors="coerce").astype("float64").to_numpy()
            reason = np.where(np.isnan(u), "no_estimate", np.where(u < 0, "flagged", "not_flagged"))
            part(rule, reason, u, 0.0, observed=u, reference=np.zeros(m_rows))
        elif rule == "mean_below_county":
            m = pd.to_numeric(tab[mean], errors="coerce").astype("float64")
            grp = [tab[k] for k in keys[1:]] or [pd.Series(0, index=tab.index)]
            ok = m.notna() & nn.notna() & (nn > 0)
            wsum = (m * nn).where(ok).groupby(grp, dropna=False).transform("sum")
            nsum = nn.where(ok).groupby(grp, dropna=False).transform("sum")
            county_mean = (wsum / nsum).to_numpy()
            elig = m.where(ok & ~pd.Series(small, index=tab.index))
            sd = elig.groupby(grp, dropna=False).transform("std").to_numpy()
            n_elig = elig.groupby(grp, dropna=False).transform("count").to_numpy()
            mv = m.to_numpy()
            spread_ok = (n_elig >= 3) & (sd > 0)
            z = np.where(spread_ok, (mv - county_mean) / np.where(spread_ok, sd, 1.0), np.nan)
            reason = np.where(np.isnan(mv), "missing_mean",
                              np.where(~spread_ok, "no_spread", np.where(z < -k_sd, "flagged", "not_flagged")))
            part(rule, reason, z, -k_sd, observed=mv, reference=np.where(spread_ok, county_mean, np.nan),
                 scale=np.where(spread_ok, sd, np.nan))
        elif rule == "pass_rate_drop":
            now = pd.to_numeric(tab[pass_rate], errors="coerce").astype("float64").to_numpy()
            if previous is None:
                part(rule, np.full(m_rows, "no_previous", dtype=object), nan, -pass_drop)
                continue
            miss = [c for c in keys + [n, pass_rate] if c not in previous.columns]
            if miss:
                raise ValueError(f"previous: missing column(s) {miss}")
            if previous.duplicated(keys).any():
                raise ValueError(f"previous: duplicate rows for {keys}")
            prev = previous[keys + [n, pass_rate]].rename(columns={n: "_n_prev", pass_rate: "_pr_prev"})
            prev = tab[keys].merge(prev, on=keys, how="left", indicator=True)
            found = (prev["_merge"] == "both").to_numpy()
            n_prev = pd.to_numeric(prev["_n_prev"], errors="coerce").astype("float64").to_numpy()
            before = pd.to_numeric(prev["_pr_prev"], errors="coerce").astype("float64").to_numpy()
            d = now - before
            reason = np.where(~found, "not_in_previous",
                              np.where(~(n_prev >= min_n), "previous_too_small",
                                       np.where(np.isnan(d), "missing_pass_rate",
                                                np.where(d < -pass_drop, "flagged", "not_flagged"))))
            usable = found & (n_prev >= min_n) & ~np.isnan(d)
            part(rule, reason, np.where(usable, d, np.nan), -pass_drop, observed=np.where(usable, now, np.nan),
                 reference=np.where(usable, before, np.nan))
    cols = keys + ["rule", "flagged", "assessed", "reason", "value", "threshold", "n", "observed", "reference",
                   "scale"]
    if not parts:
        out = pd.DataFrame({c: pd.Series(dtype="float64") for c in cols})
    else:
        out = pd.concat(parts, ignore_index=True).sort_values(["_row", "_rule"], kind="stable")
        out = out.drop(columns=["_row", "_rule"]).reset_index(drop=True)[cols]
    out["flagged"] = out["flagged"].astype(bool)
    out["assessed"] = out["assessed"].astype(bool)
    out["n"] = pd.array(np.round(out["n"].to_numpy(dtype="float64")), dtype="Int64")
    return out
