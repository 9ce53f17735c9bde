"""Satisfaction from a questionnaire (社会认可度 满意度): per respondent group and overall.

Input is the long survey table (one row per respondent × question): a respondent column, a
respondent-group column (学生 / 家长 / 教师 / 其他 …), a question column and the answer as option
text of a five-point scale. An answer is *satisfied* when it is one of the top ``top`` options of
the scale (default the top two: 非常满意, 比较满意).

* Group satisfaction rate = satisfied answers ÷ answers of the group (every scale question of every
  respondent counts once; 满意人次 ÷ 总人次). Its interval is the Wilson score interval (Wilson 1927,
  *JASA* 22:209–212) on those counts. Answers of one respondent are correlated, so the interval is
  narrower than a design-based one would be: it describes sampling of answers, not of people.
* Overall rate = Σ w_g · rate_g over groups. ``weights="equal"`` (default): every group counts the
  same (w_g = 1/G), so that a large group (e.g. students) does not drown the others; ``"answers"``:
  pooled counts (w_g ∝ answers). Its interval is a Wilson interval with the effective sample size
  n_eff = p(1−p) / Σ w_g² p_g(1−p_g)/n_g (stratified estimate; n_eff = Σ n_g when the variance is 0).
* Verdict: rate ≥ the target (standards: the 社会认可度 ≥ 85 % of :data:`lyganalysis.standards.DOC_QUALITY_2017`,
  item S1 of :data:`lyganalysis.inspection.INSPECTION_ITEMS`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

__all__ = ["FIVE_POINT_SCALE", "SATISFACTION_TARGET", "SatisfactionResult", "satisfaction", "satisfied",
           "wilson_interval"]

FIVE_POINT_SCALE: tuple[str, ...] = ("非常满意", "比较满意", "一般", "不太满意", "很不满意")
"""The usual five-point satisfaction scale, best first (问卷星 and similar platforms)."""

SATISFACTION_TARGET = 0.85
"""社会认可度 ≥ 85 % (教督〔2017〕6号; item S1 in lyganalysis.inspection)."""


def wilson_interval(successes: int, n: float, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion.

    Parameters
    ----------
    successes : int
        Number of successes (0 ≤ successes ≤ n).
    n : float
        Number of trials (> 0; may be an effective, non-integer size).
    confidence : float
        Two-sided confidence level in (0, 1).

    Returns
    -------
    (low, high) : tuple of float in [0, 1]

    Raises
    ------
    ValueError
        n ≤ 0, successes outside [0, n], or a confidence outside (0, 1).

    Notes
    -----
    Wilson (1927), *JASA* 22:209–212:
    (p̂ + z²/2n ± z·sqrt(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n).
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if not n > 0:
        raise ValueError(f"the number of answers must be positive, got {n!r}")
    if successes < 0 or successes > n + 1e-9:
        raise ValueError(f"successes ({successes}) must lie in [0, n={n}]")
    z = float(norm.ppf(0.5 + confidence / 2))
    p = successes / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    # the bounds are exactly 0 at p = 0 and 1 at p = 1 (the formula leaves rounding noise there)
    lo = 0.0 if successes <= 0 else max(0.0, centre - half)
    hi = 1.0 if successes >= n else min(1.0, centre + half)
    return lo, hi


def satisfied(answers: pd.Series, *, scale: Sequence[str] = FIVE_POINT_SCALE, top: int = 2) -> pd.Series:
    """Boolean Series: the answer is one of the ``top`` best options of ``scale``.

    Raises ValueError when an answer is not an option of ``scale`` (missing answers are not allowed:
    drop unanswered questions before) or ``top`` is not in 1 … len(scale) − 1.
    """
    scale = tuple(scale)
    if not 1 <= top < len(scale):
        raise ValueError(f"top must be between 1 and {len(scale) - 1} for a {len(scale)}-option scale, got {top}")
    a = answers.astype("object")
    bad = a.isna() | ~a.isin(scale)
    if bad.any():
        vals = sorted({str(v) for v in a[bad]})[:8]
        raise ValueError(f"{int(bad.sum())} answer(s) are not options of the scale {scale}: {vals}; "
                         "map them to scale options or drop those rows before computing satisfaction")
    return a.isin(scale[:top]).astype(bool)


@dataclass(frozen=True)
class SatisfactionResult:
    """Satisfaction per respondent group and overall.

    Attributes
    ----------
    groups : DataFrame
        One row per group: ``group``, ``respondents``, ``answers``, ``satisfied``, ``satisfaction_rate``
        (proportion), ``ci_low``, ``ci_high`` (Wilson), ``weight`` (w_g), ``meets_target`` (bool).
    overall_rate, overall_ci_low, overall_ci_high : float
        Σ w_g rate_g and its interval.
    respondents, answers : int
        Totals.
    target : float
        Target proportion (default 0.85).
    meets_target : bool
        overall_rate ≥ target.
    weights : str
        ``"equal"``, ``"answers"`` or ``"custom"``.
    top, scale, confidence
        The settings used.
    """

    groups: pd.DataFrame
    overall_rate: float
    overall_ci_low: float
    overall_ci_high: float
    respondents: int
    answers: int
    target: float
    meets_target: bool
    weights: str
    top: int
    scale: tuple[str, ...]
    confidence: float

    @property
    def min_group_rate(self) -> float:
        """The lowest group satisfaction rate."""
        return float(self.groups["satisfaction_rate"].min())

    @property
    def every_group_meets_target(self) -> bool:
        return bool(self.groups["meets_target"].all())

    def to_frame(self) -> pd.DataFrame:
        """The group rows plus an ``overall`` row (group = ``"overall"``)."""
        ov = pd.DataFrame([{
            "group": "overall", "respondents": self.respondents, "answers": self.answers,
            "satisfied": int(self.groups["satisfied"].sum()), "satisfaction_rate": self.overall_rate,
            "ci_low": self.overall_ci_low, "ci_high": self.overall_ci_high, "weight": 1.0,
            "meets_target": self.meets_target}])
        return pd.concat([self.groups, ov], ignore_index=True)


def satisfaction(df: pd.DataFrame, *, answer: str = "answer", group: str = "respondent_group",
                 respondent: str = "respondent", scale: Sequence[str] = FIVE_POINT_SCALE, top: int = 2,
                 weights: Literal["equal", "answers"] | Mapping[str, float] = "equal",
                 target: float = SATISFACTION_TARGET, confidence: float = 0.95) -> SatisfactionResult:
    """Satisfaction rates per respondent group and overall, with Wilson intervals (满意度).

    Parameters
    ----------
    df : DataFrame
        Long survey table, one row per respondent × scale question.
    answer, group, respondent : str
        Columns: option text, respondent group, respondent identifier (counted, never shown).
    scale : sequence of str
        Options best first (default :data:`FIVE_POINT_SCALE`).
    top : int
        Number of best options counted as satisfied (default 2).
    weights : "equal", "answers" or mapping group → weight
        Group weights of the overall rate (normalised to sum 1). ``"equal"`` by default.
    target : float
        Target proportion of the verdict (default 0.85).
    confidence : float
        Level of the intervals.

    Returns
    -------
    SatisfactionResult

    Raises
    ------
    ValueError
        Missing columns, an empty table, a missing group, answers outside the scale, custom weights
        that miss a group, are negative or sum to 0.
    """
    for c in (answer, group, respondent):
        if c not in df.columns:
            raise ValueError(f"survey table has no column {c!r}; columns: {list(df.columns)}")
    if not len(df):
        raise ValueError("the survey table is empty: no answers to compute satisfaction from")
    if df[group].isna().any():
        raise ValueError(f"{int(df[group].isna().sum())} answer(s) have no respondent group ({group!r})")
    sat = satisfied(df[answer], scale=scale, top=top)
    work = pd.DataFrame({"g": df[group].astype(str).to_numpy(), "r": df[respondent].to_numpy(),
                         "s": sat.to_numpy()})
    agg = work.groupby("g", sort=True).agg(respondents=("r", "nunique"), answers=("s", "size"),
                                           satisfied=("s", "sum"))
    agg["satisfied"] = agg["satisfied"].astype(np.int64)
    names = list(agg.index)
    if isinstance(weights, str):
        if weights == "equal":
            w = pd.Series(1.0, index=names)
        elif weights == "answers":
            w = agg["answers"].astype(float)
        else:
            raise ValueError(f"weights must be 'equal', 'answers' or a mapping, got {weights!r}")
        wname = weights
    else:
        missing = [g for g in names if g not in weights]
        if missing:
            raise ValueError(f"weights give no weight for group(s) {missing}")
        w = pd.Series({g: float(weights[g]) for g in names})
        if (w < 0).any() or w.sum() <= 0:
            raise ValueError("group weights must be non-negative and not all zero")
        wname = "custom"
    w = w / w.sum()
    rate = agg["satisfied"] / agg["answers"]
    ci = [wilson_interval(int(s), int(n), confidence=confidence) for s, n in zip(agg["satisfied"], agg["answers"])]
    groups = pd.DataFrame({
        "group": names, "respondents": agg["respondents"].astype(np.int64).to_numpy(),
        "answers": agg["answers"].astype(np.int64).to_numpy(), "satisfied": agg["satisfied"].to_numpy(),
        "satisfaction_rate": rate.to_numpy(dtype=float), "ci_low": [c[0] for c in ci],
        "ci_high": [c[1] for c in ci], "weight": w.reindex(names).to_numpy(dtype=float)})
    groups["meets_target"] = groups["satisfaction_rate"] >= target
    p = float((groups["weight"] * groups["satisfaction_rate"]).sum())
    var = float((groups["weight"] ** 2 * groups["satisfaction_rate"] * (1 - groups["satisfaction_rate"])
                 / groups["answers"]).sum())
    n_total = int(groups["answers"].sum())
    n_eff = p * (1 - p) / var if var > 0 else float(n_total)
    lo, hi = wilson_interval(p * n_eff, n_eff, confidence=confidence)
    return SatisfactionResult(
        groups=groups, overall_rate=p, overall_ci_low=lo, overall_ci_high=hi,
        respondents=int(work["r"].nunique()), answers=n_total, target=float(target),
        meets_target=bool(p >= target), weights=wname, top=int(top), scale=tuple(scale),
        confidence=float(confidence))
