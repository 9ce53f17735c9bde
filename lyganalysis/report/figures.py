"""The figures of a county report, drawn from a :class:`lyganalysis.summary.CountySummary`.

Each function takes the summary and ``ax=`` and returns the axes, translating every label into
the report's language; data come already suppressed (small groups withheld) from the summary.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from lyganalysis import plots
from lyganalysis.labels import has, t
from lyganalysis.standards import QUALITY_INDICATORS
from lyganalysis.summary import CountySummary

SHORT_NAMES = {
    "L1": {"zh": "L1 高学历教师", "en": "L1 qualified teachers"},
    "L2": {"zh": "L2 骨干教师", "en": "L2 backbone teachers"},
    "L3": {"zh": "L3 体艺教师", "en": "L3 PE/arts teachers"},
    "L4": {"zh": "L4 教学用房", "en": "L4 teaching area"},
    "L5": {"zh": "L5 体育场馆", "en": "L5 sports area"},
    "L6": {"zh": "L6 仪器设备", "en": "L6 equipment"},
    "L7": {"zh": "L7 多媒体教室", "en": "L7 multimedia rooms"},
}


def _labels(lang: str, codes) -> dict:
    out = {}
    for c in codes:
        s = str(c)
        out[c] = SHORT_NAMES[s][lang] if s in SHORT_NAMES else (t(s, lang) if has(s) else s)
    return out


def _empty(ax, lang: str):
    """A one-line placeholder instead of an empty chart when the data do not allow the figure."""
    ax = ax if ax is not None else plt.subplots(figsize=(6, 0.5))[1]
    ax.figure.set_size_inches(6, 0.5)
    ax.axis("off")
    ax.text(0.5, 0.5, t("unavailable", lang), ha="center", va="center", color="#666")
    return ax


def cv_against_limit(summary: CountySummary, *, ax=None):
    """差异系数 of each indicator, primary and junior, against the 0.50 / 0.45 limits."""
    lang = summary.language
    if summary.assessment is None:
        return _empty(ax, lang)
    df = summary.assessment.table
    return plots.bar_against_limit(
        df, value="coefficient_of_variation", label="indicator", hue="stage", limit="limit", ax=ax,
        labels=_labels(lang, list(df["indicator"].unique()) + list(df["stage"].unique())),
        title="各指标校际差异系数与限值" if lang == "zh" else "Coefficient of variation per indicator vs. limit",
        xlabel=t("coefficient_of_variation", lang), limit_label=t("cv_limit", lang),
        over_label="超过限值" if lang == "zh" else "over the limit", fmt="{:.3f}")


def compliance_heatmap(summary: CountySummary, *, ax=None, n: int = 25):
    """School × indicator ratio to the threshold (1 = exactly at the standard) for the sections
    furthest from compliance."""
    lang = summary.language
    c = summary.compliance
    if c is None or c.empty:
        return _empty(ax, lang)
    ratio_cols = [f"{k}_ratio" for k in QUALITY_INDICATORS]
    c = c.dropna(subset=["compliant"]).copy()
    c["min_ratio"] = c[ratio_cols].min(axis=1)
    worst = c.sort_values("min_ratio", kind="stable").head(n)
    worst["row"] = worst["school_name"].astype(str) + "（" + worst["stage"].map(lambda s: t(s, lang)) + "）" \
        if lang == "zh" else worst["school_name"].astype(str) + " (" + worst["stage"].map(lambda s: t(s, lang)) + ")"
    long = worst.melt(id_vars=["row"], value_vars=ratio_cols, var_name="indicator", value_name="ratio")
    long["indicator"] = long["indicator"].str.replace("_ratio", "", regex=False)
    if ax is None:
        ax = plt.subplots(figsize=(8, 0.32 * len(worst) + 1.6))[1]
    return plots.compliance_heatmap(
        long, row="row", column="indicator", value="ratio", ax=ax, labels=_labels(lang, QUALITY_INDICATORS),
        row_order=list(worst["row"]), column_order=list(QUALITY_INDICATORS),
        title="距标准最远的学校：指标值 ÷ 标准值" if lang == "zh" else "Schools furthest from the standard: value ÷ threshold",
        colorbar_label="指标值/标准值" if lang == "zh" else "value / threshold", span=1.0)


def student_teacher_ratio(summary: CountySummary, *, ax=None):
    """Pooled 生师比 per stage, with the staffing standard where it applies."""
    lang = summary.language
    s = summary.staffing
    if s is None or s.empty:
        return _empty(ax, lang)
    has_std = s["staffing_standard"].notna().any()
    return plots.bars_by_group(
        s, value="student_teacher_ratio", label="stage", ax=ax, labels=_labels(lang, s["stage"]),
        standard="staffing_standard" if has_std else None,
        standard_label=t("staffing_standard", lang) if has_std else None,
        highlight="above" if has_std else None, over_label="高于标准（教师不足）" if lang == "zh" else "above the standard",
        title=t("student_teacher_ratio", lang), ylabel="学生数/教师" if lang == "zh" else "students per teacher")


def school_means(summary: CountySummary, *, grade=None, subject=None, ax=None, n: int = 40):
    """School mean scores with 95% intervals (a league with intervals, not bare ranks)."""
    lang = summary.language
    s = summary.academic_schools
    if s is None or s.empty or "ci_low" not in s:
        return _empty(ax, lang)
    if grade is not None:
        s = s[s["grade"] == grade]
    if subject is not None:
        s = s[s["subject"] == subject]
    s = s.dropna(subset=["mean_score"])
    if s.empty:
        return _empty(ax, lang)
    if len(s) > n:  # the n largest schools keep the figure readable
        s = s.sort_values("n_takers", ascending=False, kind="stable").head(n)
    county_mean = float((s["mean_score"] * s["n_takers"]).sum() / s["n_takers"].sum())
    if ax is None:
        ax = plt.subplots(figsize=(8, 0.25 * len(s) + 1.5))[1]
    return plots.dot_interval(
        s, estimate="mean_score", lower="ci_low", upper="ci_high", label="school_name", ax=ax,
        reference=county_mean, reference_label="参考人数加权均值" if lang == "zh" else "weighted mean of shown schools",
        title=(f"各校{t(str(subject), lang) if subject else ''}平均分及95%置信区间" if lang == "zh"
               else f"School mean scores with 95% intervals{', ' + t(str(subject), lang) if subject else ''}"),
        xlabel=t("mean_score", lang))


def gaps(summary: CountySummary, *, ax=None):
    """Group gaps in mean score with their 95% intervals (0 = no gap)."""
    lang = summary.language
    g = summary.equity_gaps
    if g is None or g.empty:
        return _empty(ax, lang)
    g = g.copy()
    g["label"] = [
        (f"{'' if pd.isna(gr) else f'{int(gr)}年级'}{t(str(su), lang) if has(str(su)) else su}：{t(str(a), lang) if has(str(a)) else a}−{t(str(b), lang) if has(str(b)) else b}"
         if lang == "zh" else
         f"{'' if pd.isna(gr) else f'grade {int(gr)} '}{t(str(su), lang) if has(str(su)) else su}: {a} − {b}")
        for gr, su, a, b in zip(g["grade"], g["subject"], g["group"], g["reference"])
    ]
    return plots.dot_interval(
        g, estimate="difference", lower="ci_low", upper="ci_high", label="label", ax=ax, reference=0.0, sort=False,
        title="平均分差距及95%置信区间" if lang == "zh" else "Gaps in mean score with 95% intervals",
        xlabel="分差（分）" if lang == "zh" else "difference (points)")
