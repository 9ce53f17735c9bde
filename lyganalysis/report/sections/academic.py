"""Academic quality section of a county report (学业质量均衡): 三率一分, between-school variance,
value-added, school league with intervals, early warning with reasons, subject comparison.

:func:`build` computes everything for one county and school year from the ``scores`` table with the
library functions of :mod:`lyganalysis.metrics.academic`, :mod:`lyganalysis.metrics.value_added` and
:mod:`lyganalysis.metrics.early_warning`; statistics of groups smaller than ``min_cell_size`` are
withheld with :func:`lyganalysis.privacy.suppress_group_stats` before anything is shown, written or
plotted.  The returned :class:`AcademicSection` gives the same numbers three ways — ``to_dict()`` (full
precision, for ``<county>.metrics.json`` under ``"academic_detail"``), ``html()`` (rounded by
:func:`lyganalysis.summary.format_value`, every number with a ``data-key``) and ``plot(name, ax=)``.

data-key scheme (``<block>`` is ``<grade>.<subject>``, or ``<grade>.<exam>.<subject>`` when a grade has
several exams in the school year)::

    academic_detail.county.<block>.<column>                  county 三率一分 and ICC
    academic_detail.value_added_model.<block>.<column>       model-level value-added figures
    academic_detail.league.<block>.<school_id>.<column>      school league (mean, interval, VA, 比率分)
    academic_detail.subjects.<grade>.<school_id>.<subject>.mean_t   subject comparison (T scores)
"""

from __future__ import annotations

import html as _html
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lyganalysis.labels import has, t
from lyganalysis.metrics.academic import (
    intraclass_correlation,
    ratio_composite,
    standard_scores,
    three_rates_one_score,
)
from lyganalysis.metrics.early_warning import RULES, early_warning
from lyganalysis.metrics.value_added import value_added
from lyganalysis.privacy import STATISTIC_MARKER, suppress_group_stats
from lyganalysis.summary import format_value
from lyganalysis.jsonable import plain as _plain
from lyganalysis.jsonable import records as _records

__all__ = ["AcademicSection", "build"]

esc = _html.escape
CONFIDENCE = 0.95
MIN_SCHOOLS = 5
K_SD = 1.0
PASS_DROP = 0.10

_LEAGUE_STATS = ["mean_score", "sd_score", "ci_low", "ci_high", "pass_rate", "excellence_rate", "low_score_rate"]
_VA_STATS = ["raw_mean", "mean_prior", "mean_residual", "raw_effect", "reliability", "effect", "effect_se",
             "effect_se_beta_known", "effect_lower", "effect_upper"]


def _tx(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _subject(code: Any, lang: str) -> str:
    s = str(code)
    return t(s, lang) if has(s) else s


def _block_label(grade: Any, subject: Any, lang: str, exam: str | None = None) -> str:
    subj = _subject(subject, lang)
    base = f"{int(grade)}年级{subj}" if lang == "zh" else f"grade {int(grade)} {subj}"
    return f"{base}（{exam}）" if exam and lang == "zh" else (f"{base} ({exam})" if exam else base)


def _isna(v: Any) -> bool:
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class AcademicSection:
    """The academic-quality section of one county report (all frames at full precision, small groups
    already withheld).

    Attributes
    ----------
    county, school_year, language, min_cell_size, min_n
        What the section is of; ``min_n`` is the early-warning minimum school size.
    min_n_effective : int
        max(min_n, min_cell_size): a school whose figures are withheld is never assessed (a flag would
        reveal them).
    previous_year : int or None
        The school year whose school table feeds the "pass rate down" rule (None: not in the data).
    blocks : DataFrame
        One row per exam × grade × subject: ``block`` (data-key part), ``exam, grade, subject``.
    county_results : DataFrame
        Per block: county 三率一分 (``n_takers, n_absent, mean_score, pass_rate, excellence_rate,
        low_score_rate``), ``n_schools``, ``icc1, icc2`` (ANOVA ICC(1), ICC(2) = reliability of school
        means), ``icc_reml, icc_boundary`` (REML random-intercept ICC), ``icc_reason_zh/_en`` (why not
        computed; empty when computed).
    value_added_models : DataFrame
        Per block: ``status`` ("computed" | "refused"), ``reason_zh/_en``, ``n_schools, n_obs``,
        ``beta_prior, tau00, sigma2, icc_residual, boundary, converged, n_excluded``.
    value_added_schools : DataFrame
        Per block × school: :meth:`ValueAddedResult.to_frame` columns plus ``school_name`` and
        ``suppressed`` (figures withheld when n < min_cell_size).
    league : DataFrame
        Per block × school: ``n_takers`` (NA when 1..k−1), mean with ``sd_score, ci_low, ci_high``
        (95% t interval), rates, ``ratio_score`` (比率分) and its components, ``va_effect,
        va_lower, va_upper`` (value-added with its 95% interval), ``suppressed``, ``flagged``.
    early_warning : DataFrame
        :func:`early_warning` output per school × rule (one row per block × school × rule) plus
        ``exam, school_name``; reasons replaced by a generic one for withheld schools.
    subjects : DataFrame
        Per grade × school × subject: ``n``, ``mean_score``, ``mean_t`` (mean T score, 50 + 10·Z within
        exam × subject over the county's test-takers), ``suppressed``.
    not_computed : list of dict
        ``{"item", "block", "reason_zh", "reason_en"}`` for everything the data do not allow.
    """

    county: str
    school_year: int
    language: str
    min_cell_size: int
    min_n: int
    min_n_effective: int
    previous_year: int | None
    blocks: pd.DataFrame
    county_results: pd.DataFrame
    value_added_models: pd.DataFrame
    value_added_schools: pd.DataFrame
    league: pd.DataFrame
    early_warning: pd.DataFrame
    subjects: pd.DataFrame
    not_computed: list = field(default_factory=list)

    # ------------------------------------------------------------------ export
    def to_dict(self) -> dict:
        """Everything in the section as plain JSON-able data (full precision; withheld values are None)."""
        return {
            "county": self.county,
            "school_year": int(self.school_year),
            "previous_year": None if self.previous_year is None else int(self.previous_year),
            "language": self.language,
            "min_cell_size": int(self.min_cell_size),
            "min_n": int(self.min_n),
            "min_n_effective": int(self.min_n_effective),
            "parameters": {"pass_cut": 0.6, "excellent_cut": 0.85, "low_cut": 0.4, "denominator": "takers",
                           "confidence": CONFIDENCE, "min_schools": MIN_SCHOOLS, "k_sd": K_SD,
                           "pass_drop": PASS_DROP, "value_added_method": "reml",
                           "ratio_weights": [40, 30, 30]},
            "blocks": _records(self.blocks),
            "county_results": _records(self.county_results),
            "value_added_models": _records(self.value_added_models),
            "value_added_schools": _records(self.value_added_schools),
            "league": _records(self.league),
            "early_warning": _records(self.early_warning),
            "subjects": _records(self.subjects),
            "not_computed": [{k: _plain(v) for k, v in d.items()} for d in self.not_computed],
        }

    # ------------------------------------------------------------------ figures
    def figure_names(self) -> list[str]:
        """Names accepted by :meth:`plot`: ``value_added_<grade>_<subject>`` (blocks with value-added),
        ``league_<grade>_<subject>`` and ``subjects_<grade>``."""
        names = []
        done = set(self.value_added_models.loc[self.value_added_models["status"] == "computed", "block"]) \
            if len(self.value_added_models) else set()
        for b in self.blocks["block"]:
            if b in done and self._has_points(self.value_added_schools, b, "effect"):
                names.append("value_added_" + b.replace(".", "_"))
        for b in self.blocks["block"]:
            if self._has_points(self.league, b, "mean_score"):
                names.append("league_" + b.replace(".", "_"))
        for g in sorted(self.subjects["grade"].unique()) if len(self.subjects) else []:
            if self.subjects.loc[self.subjects["grade"] == g, "mean_t"].notna().any():
                names.append(f"subjects_{int(g)}")
        return names

    @staticmethod
    def _has_points(df: pd.DataFrame, block: str, col: str) -> bool:
        return len(df) > 0 and df.loc[df["block"] == block, col].notna().any()

    def _block_of(self, name: str, prefix: str) -> pd.Series:
        key = name[len(prefix):]
        for _, b in self.blocks.iterrows():
            if b["block"].replace(".", "_") == key:
                return b
        raise KeyError(f"no figure {name!r}; available: {self.figure_names()}")

    def plot(self, name: str, *, ax=None):
        """Draw figure ``name`` (see :meth:`figure_names`) on ``ax`` (new figure when None); return the ax.

        Withheld schools (NaN figures) are not drawn.  Schools flagged by the early warning are drawn in
        the alert colour."""
        from lyganalysis import plots

        if name not in self.figure_names():
            raise KeyError(f"no figure {name!r}; available: {self.figure_names()}")
        lang = self.language
        if name.startswith("value_added_"):
            b = self._block_of(name, "value_added_")
            df = self.value_added_schools[self.value_added_schools["block"] == b["block"]]
            flagged = self._flagged_labels(b["block"], rule="value_added_below_zero")
            return plots.dot_interval(
                df, estimate="effect", lower="effect_lower", upper="effect_upper", label="label", ax=ax,
                reference=0.0, highlight=flagged,
                reference_label=_tx(lang, "0 = 与同起点学生的预期持平", "0 = as expected given prior scores"),
                title=_tx(lang, f"增值评价：{_block_label(b['grade'], b['subject'], lang)}（校效应及95%区间）",
                          f"Value-added, {_block_label(b['grade'], b['subject'], lang)} (school effect, 95% interval)"),
                xlabel=_tx(lang, "校效应（分，收缩估计）", "School effect (points, shrunken)"))
        if name.startswith("league_"):
            b = self._block_of(name, "league_")
            df = self.league[self.league["block"] == b["block"]]
            cr = self.county_results[self.county_results["block"] == b["block"]]
            ref = float(cr["mean_score"].iloc[0]) if len(cr) and pd.notna(cr["mean_score"].iloc[0]) else None
            return plots.dot_interval(
                df, estimate="mean_score", lower="ci_low", upper="ci_high", label="label", ax=ax, reference=ref,
                highlight=self._flagged_labels(b["block"]),
                reference_label=_tx(lang, "全县平均分", "County mean") if ref is not None else None,
                title=_tx(lang, f"各校平均分及95%区间：{_block_label(b['grade'], b['subject'], lang)}",
                          f"School mean scores with 95% intervals, {_block_label(b['grade'], b['subject'], lang)}"),
                xlabel=_tx(lang, "平均分（分）", "Mean score (points)"))
        grade = int(name[len("subjects_"):])
        return self._plot_subjects(grade, ax=ax)

    def _flagged_labels(self, block: str, rule: str | None = None) -> list:
        ew = self.early_warning
        if ew.empty:
            return []
        sel = (ew["block"] == block) & ew["flagged"]
        if rule is not None:
            sel &= ew["rule"] == rule
        ids = set(ew.loc[sel, "school_id"])
        lab = self.league[self.league["block"] == block]
        return list(lab.loc[lab["school_id"].isin(ids), "label"])

    def _plot_subjects(self, grade: int, *, ax=None):
        import matplotlib.pyplot as plt

        from lyganalysis.plots import LIMIT_COLOR, PALETTE

        lang = self.language
        s = self.subjects[(self.subjects["grade"] == grade) & self.subjects["mean_t"].notna()]
        order = (s.groupby("label", sort=False)["mean_t"].mean().sort_values(kind="stable"))
        labels = list(order.index)
        pos = {lab: i for i, lab in enumerate(labels)}
        if ax is None:
            _, ax = plt.subplots(figsize=(7.0, max(2.5, 0.8 + 0.24 * len(labels))))
        subjects = list(dict.fromkeys(s["subject"]))
        for j, subj in enumerate(subjects):
            part = s[s["subject"] == subj]
            ax.scatter(part["mean_t"].to_numpy(dtype=float), [pos[x] for x in part["label"]],
                       color=PALETTE[j % len(PALETTE)], s=22, zorder=3, label=_subject(subj, lang))
        ax.axvline(50.0, color=LIMIT_COLOR, linestyle="--", linewidth=1)
        ax.set_yticks(np.arange(len(labels), dtype=float), labels)
        ax.set_ylim(-0.6, len(labels) - 0.4)
        ax.grid(axis="y", visible=False)
        ax.legend(loc="best")
        ax.set_title(_tx(lang, f"{grade}年级各校分学科平均标准分（T分，全县 = 50）",
                         f"Grade {grade}: school mean T score by subject (county = 50)"))
        ax.set_xlabel(_tx(lang, "平均T分", "Mean T score"))
        return ax

    # ------------------------------------------------------------------ HTML
    def html(self) -> str:
        """The section as an HTML fragment (h3 sub-headings; the report supplies the h2)."""
        lang = self.language
        k = self.min_cell_size
        if self.blocks.empty:
            reasons = "".join(f"<li>{esc(d['reason_' + lang])}</li>" for d in self.not_computed)
            return f"<div class=\"lyg-muted\"><p>{esc(t('unavailable', lang))}</p><ul>{reasons}</ul></div>"
        parts = [self._html_county(), self._html_value_added_models(), self._html_early_warning(),
                 self._html_league(), self._html_subjects(),
                 f"<p class=\"lyg-muted\">{esc(t('suppressed_note', lang, k=k))}</p>",
                 self._html_not_computed(), self._html_methods()]
        return "<div class=\"lyg-academic-detail\">" + "".join(parts) + "</div>"

    def _key(self, *parts: Any) -> str:
        return ".".join(["academic_detail", *[str(p) for p in parts]])

    def _td(self, value: Any, kind: str, key: str, *, withheld: bool = False) -> str:
        txt = STATISTIC_MARKER if withheld else format_value(None if _isna(value) else value, kind, self.language)
        return f"<td data-key=\"{esc(key)}\">{esc(txt)}</td>"

    def _td_n(self, value: Any, key: str) -> str:
        txt = f"<{self.min_cell_size}" if _isna(value) else format_value(value, "count", self.language)
        return f"<td data-key=\"{esc(key)}\">{esc(txt)}</td>"

    def _td_interval(self, lo: Any, hi: Any, kind: str, key_lo: str, key_hi: str, *, withheld: bool) -> str:
        if withheld:
            return f"<td>{esc(STATISTIC_MARKER)}</td>"
        if _isna(lo) or _isna(hi):
            return "<td>—</td>"
        a, b = format_value(lo, kind, self.language), format_value(hi, kind, self.language)
        return (f"<td>[<span data-key=\"{esc(key_lo)}\">{esc(a)}</span>, "
                f"<span data-key=\"{esc(key_hi)}\">{esc(b)}</span>]</td>")

    @staticmethod
    def _head(cols: list[str]) -> str:
        return "<thead><tr>" + "".join(f"<th>{esc(c)}</th>" for c in cols) + "</tr></thead>"

    def _html_county(self) -> str:
        lang = self.language
        heads = [t("grade", lang), t("subject", lang), _tx(lang, "学校数", "Schools"), t("n_takers", lang),
                 t("n_absent", lang), t("mean_score", lang), t("pass_rate", lang), t("excellence_rate", lang),
                 t("low_score_rate", lang), "ICC(1)", "ICC (REML)", t("icc_reliability", lang) + " ICC(2)"]
        rows = []
        for _, r in self.county_results.iterrows():
            b = r["block"]
            cells = [f"<td>{int(r['grade'])}</td>", f"<td>{esc(_subject(r['subject'], lang))}</td>",
                     self._td(r["n_schools"], "count", self._key("county", b, "n_schools")),
                     self._td(r["n_takers"], "count", self._key("county", b, "n_takers")),
                     self._td(r["n_absent"], "count", self._key("county", b, "n_absent"))]
            for col, kind in (("mean_score", "score"), ("pass_rate", "rate"), ("excellence_rate", "rate"),
                              ("low_score_rate", "rate"), ("icc1", "icc"), ("icc_reml", "icc"), ("icc2", "icc")):
                cells.append(self._td(r[col], kind, self._key("county", b, col)))
            rows.append("<tr>" + "".join(cells) + "</tr>")
        notes = [f"<li>{esc(_block_label(r['grade'], r['subject'], lang))}：{esc(r['icc_reason_' + lang])}</li>"
                 if lang == "zh" else
                 f"<li>{esc(_block_label(r['grade'], r['subject'], lang))}: {esc(r['icc_reason_' + lang])}</li>"
                 for _, r in self.county_results.iterrows() if r["icc_reason_" + lang]]
        out = ("<h3>" + esc(_tx(lang, "三率一分与校际差异", "Attainment (三率一分) and between-school variance"))
               + "</h3><table>" + self._head(heads) + "<tbody>" + "".join(rows) + "</tbody></table>")
        if notes:
            out += ("<div class=\"lyg-muted\"><p>" + esc(_tx(lang, "未计算校际差异：", "Between-school share not computed:"))
                    + "</p><ul>" + "".join(notes) + "</ul></div>")
        return out

    def _html_value_added_models(self) -> str:
        lang = self.language
        out = ["<h3>" + esc(_tx(lang, "增值评价", "Value-added")) + "</h3>"]
        m = self.value_added_models
        done = m[m["status"] == "computed"]
        if len(done):
            heads = [t("grade", lang), t("subject", lang), _tx(lang, "学校数", "Schools"),
                     _tx(lang, "纳入学生数", "Students in the fit"), _tx(lang, "前测系数", "Prior-score slope"),
                     _tx(lang, "校际方差 τ00", "Between-school variance τ00"),
                     _tx(lang, "校内方差 σ²", "Within-school variance σ²"),
                     _tx(lang, "残差校际比例", "Residual between-school share"),
                     _tx(lang, "增值区间整体低于0的学校", "Schools with interval wholly below 0")]
            rows = []
            for _, r in done.iterrows():
                b = r["block"]
                va = self.value_added_schools[self.value_added_schools["block"] == b]
                n_below = int((va["effect_upper"] < 0).sum())
                cells = [f"<td>{int(r['grade'])}</td>", f"<td>{esc(_subject(r['subject'], lang))}</td>",
                         self._td(r["n_schools"], "count", self._key("value_added_model", b, "n_schools")),
                         self._td(r["n_obs"], "count", self._key("value_added_model", b, "n_obs")),
                         f"<td data-key=\"{esc(self._key('value_added_model', b, 'beta_prior'))}\">"
                         f"{esc(_fmt3(r['beta_prior']))}</td>",
                         self._td(r["tau00"], "ratio", self._key("value_added_model", b, "tau00")),
                         self._td(r["sigma2"], "ratio", self._key("value_added_model", b, "sigma2")),
                         self._td(r["icc_residual"], "icc", self._key("value_added_model", b, "icc_residual")),
                         f"<td data-key=\"{esc(self._key('value_added_model', b, 'n_below_zero'))}\">{n_below}</td>"]
                rows.append("<tr>" + "".join(cells) + "</tr>")
            out.append("<table>" + self._head(heads) + "<tbody>" + "".join(rows) + "</tbody></table>")
        refused = m[m["status"] != "computed"]
        if len(refused):
            sep = "：" if lang == "zh" else ": "
            lis = "".join(f"<li data-key=\"{esc(self._key('value_added_model', r['block'], 'reason'))}\">"
                          f"{esc(_block_label(r['grade'], r['subject'], lang))}{sep}{esc(r['reason_' + lang])}</li>"
                          for _, r in refused.iterrows())
            out.append("<div class=\"lyg-muted\"><p>" + esc(_tx(lang, "未计算增值评价（不给出任何估计值）：",
                                                                "Value-added not computed (no estimate is given):"))
                       + "</p><ul>" + lis + "</ul></div>")
        return "".join(out)

    def _html_early_warning(self) -> str:
        lang = self.language
        ew = self.early_warning
        out = ["<h3>" + esc(_tx(lang, "教学质量预警", "Quality early warning")) + "</h3>"]
        out.append("<p>" + esc(_tx(
            lang,
            f"预警规则：(1) 增值评价95%区间整体低于0；(2) 平均分低于全县平均分超过{K_SD:g}个校际标准差；"
            f"(3) 及格率较上年下降超过{PASS_DROP * 100:g}个百分点。学生数少于{self.min_n_effective}人的学校不作预警。",
            f"Rules: (1) the 95% value-added interval lies wholly below 0; (2) the mean is more than {K_SD:g} SD "
            f"of school means below the county mean; (3) the pass rate fell by more than {PASS_DROP * 100:g} "
            f"percentage points on the previous year. Schools with fewer than {self.min_n_effective} students "
            "are not assessed.")) + "</p>")
        if self.previous_year is None:
            out.append("<p class=\"lyg-muted\">" + esc(_tx(lang, "数据中没有上一学年的成绩，规则(3)未评估。",
                                                          "No previous school year in the data: rule (3) not assessed."))
                       + "</p>")
        flagged = ew[ew["flagged"]] if len(ew) else ew
        if flagged is None or flagged.empty:
            out.append("<p data-key=\"academic_detail.early_warning.n_flagged\">"
                       + esc(_tx(lang, "没有学校触发预警。", "No school is flagged.")) + "</p>")
        else:
            n_sch = flagged["school_id"].nunique()
            out.append(f"<p>{esc(_tx(lang, '触发预警的学校：', 'Schools flagged: '))}"
                       f"<span data-key=\"academic_detail.early_warning.n_flagged\">{n_sch}</span></p><ul>")
            for (sid, name), g in flagged.groupby(["school_id", "school_name"], sort=False):
                items = []
                for _, r in g.iterrows():
                    rule = RULES[r["rule"]][0 if lang == "zh" else 1]
                    where = _block_label(r["grade"], r["subject"], lang)
                    sep = "：" if lang == "zh" else ": "
                    items.append(f"<li data-key=\"{esc(self._key('early_warning', r['block'], sid, r['rule']))}\">"
                                 f"{esc(where)}，{esc(rule)}{sep}{esc(r['reason_' + lang])}</li>"
                                 if lang == "zh" else
                                 f"<li data-key=\"{esc(self._key('early_warning', r['block'], sid, r['rule']))}\">"
                                 f"{esc(where)}, {esc(rule)}{sep}{esc(r['reason_' + lang])}</li>")
                out.append(f"<li><b>{esc(str(name))}</b><ul>{''.join(items)}</ul></li>")
            out.append("</ul>")
        small = ew[~ew["assessed"] & (ew["small"])] if len(ew) else ew
        if small is not None and len(small):
            per_grade = []
            for grade, g in small.groupby("grade", sort=True):
                names = list(dict.fromkeys(g["school_name"]))
                per_grade.append(_tx(lang, f"{int(grade)}年级：", f"grade {int(grade)}: ") + "、".join(names)
                                 if lang == "zh" else f"grade {int(grade)}: " + ", ".join(names))
            out.append("<p class=\"lyg-muted\">" + esc(_tx(
                lang, f"以下学校学生数少于{self.min_n_effective}人，成绩波动大，不作预警（不是没有问题，而是无法判断）：",
                f"Not assessed because they have fewer than {self.min_n_effective} students (too few to judge, "
                "not judged sound): ")) + esc("；".join(per_grade) if lang == "zh" else "; ".join(per_grade)) + "</p>")
        return "".join(out)

    def _html_league(self) -> str:
        lang = self.language
        out = ["<h3>" + esc(_tx(lang, "各校成绩与增值（含95%区间，不排名次）",
                                 "School league: means and value-added with 95% intervals (no bare ranks)")) + "</h3>",
               "<p class=\"lyg-muted\">" + esc(_tx(
                   lang, "区间相互重叠的学校之间的差别不能视为确定的差别；按平均分从高到低列出，不给名次。",
                   "Schools whose intervals overlap cannot be told apart with confidence; listed by mean score, "
                   "without ranks.")) + "</p>"]
        heads = [t("school", lang), t("n_takers", lang), t("mean_score", lang), t("interval", lang),
                 t("pass_rate", lang), t("excellence_rate", lang), t("low_score_rate", lang),
                 _tx(lang, "比率分", "Ratio composite (比率分)"), _tx(lang, "增值（分）", "Value-added (points)"),
                 _tx(lang, "增值95%区间", "Value-added 95% interval"), _tx(lang, "预警", "Warning")]
        for _, b in self.blocks.iterrows():
            blk = b["block"]
            lg = self.league[self.league["block"] == blk].sort_values("mean_score", ascending=False,
                                                                     kind="stable", na_position="last")
            rows = []
            for _, r in lg.iterrows():
                sid, w = r["school_id"], bool(r["suppressed"])
                kk = lambda col: self._key("league", blk, sid, col)  # noqa: E731
                cells = [f"<td>{esc(str(r['school_name']))}</td>", self._td_n(r["n_takers"], kk("n_takers")),
                         self._td(r["mean_score"], "score", kk("mean_score"), withheld=w),
                         self._td_interval(r["ci_low"], r["ci_high"], "score", kk("ci_low"), kk("ci_high"), withheld=w),
                         self._td(r["pass_rate"], "rate", kk("pass_rate"), withheld=w),
                         self._td(r["excellence_rate"], "rate", kk("excellence_rate"), withheld=w),
                         self._td(r["low_score_rate"], "rate", kk("low_score_rate"), withheld=w),
                         self._td(r["ratio_score"], "ratio", kk("ratio_score"), withheld=w),
                         self._td(r["va_effect"], "signed", kk("va_effect"), withheld=w),
                         self._td_interval(r["va_lower"], r["va_upper"], "signed", kk("va_lower"), kk("va_upper"),
                                           withheld=w),
                         "<td class=\"lyg-verdict-fail\">" + esc(_tx(lang, "预警", "flagged")) + "</td>"
                         if bool(r["flagged"]) else "<td></td>"]
                rows.append("<tr>" + "".join(cells) + "</tr>")
            out.append(f"<details><summary>{esc(_block_label(b['grade'], b['subject'], lang, _exam_if(b)))}"
                       f"</summary><table>{self._head(heads)}<tbody>{''.join(rows)}</tbody></table></details>")
        return "".join(out)

    def _html_subjects(self) -> str:
        lang = self.language
        out = ["<h3>" + esc(_tx(lang, "学科比较（各校分学科平均标准分 T，全县 = 50）",
                                 "Subject comparison (school mean T score per subject, county = 50)")) + "</h3>"]
        s = self.subjects
        if s.empty:
            return out[0] + f"<p class=\"lyg-muted\">{esc(t('unavailable', lang))}</p>"
        for grade, g in s.groupby("grade", sort=True):
            subjects = list(dict.fromkeys(g["subject"]))
            heads = [t("school", lang)] + [_subject(x, lang) for x in subjects] + \
                [_tx(lang, "学科间最大差（T分）", "Largest gap between subjects (T)")]
            wide = g.pivot(index="school_id", columns="subject", values="mean_t").reindex(columns=subjects)
            name_of = dict(zip(g["school_id"], g["school_name"]))
            wide["_avg"] = wide.mean(axis=1)
            wide = wide.sort_values("_avg", ascending=False, kind="stable", na_position="last")
            rows = []
            for sid, r in wide.iterrows():
                name = name_of[sid]
                vals = [r[x] for x in subjects]
                cells = [f"<td>{esc(str(name))}</td>"]
                for x, v in zip(subjects, vals):
                    cells.append(self._td(v, "ratio", self._key("subjects", int(grade), sid, x, "mean_t"),
                                          withheld=_isna(v)))
                ok = [v for v in vals if not _isna(v)]
                gap = (max(ok) - min(ok)) if len(ok) == len(vals) and ok else float("nan")
                cells.append(self._td(gap, "ratio", self._key("subjects", int(grade), sid, "gap")))
                rows.append("<tr>" + "".join(cells) + "</tr>")
            out.append(f"<details><summary>{esc(_tx(lang, f'{int(grade)}年级', f'Grade {int(grade)}'))}</summary>"
                       f"<table>{self._head(heads)}<tbody>{''.join(rows)}</tbody></table></details>")
        return "".join(out)

    def _html_not_computed(self) -> str:
        if not self.not_computed:
            return ""
        lang = self.language
        lis = "".join(f"<li>{esc(str(d['item']))}"
                      f"{' (' + esc(str(d['block'])) + ')' if d.get('block') else ''}: {esc(d['reason_' + lang])}</li>"
                      for d in self.not_computed)
        head = "以下内容数据不支持，未计算：" if lang == "zh" else "Not computed, because the data do not allow it:"
        return f"<div class=\"lyg-muted\"><p>{esc(head)}</p><ul>{lis}</ul></div>"

    def _html_methods(self) -> str:
        lang = self.language
        notes = METHOD_NOTES[lang]
        return ("<h3>" + esc(_tx(lang, "学业质量方法说明", "Method notes: academic quality")) + "</h3><dl>"
                + "".join(f"<dt><b>{esc(k)}</b></dt><dd>{esc(v)}</dd>" for k, v in notes) + "</dl>")


def _fmt3(v: Any) -> str:
    return "—" if _isna(v) else f"{float(v):.3f}"


def _exam_if(b: pd.Series) -> str | None:
    return b["exam"] if str(b["block"]).count(".") == 2 else None


METHOD_NOTES = {
    "zh": [
        ("三率一分", "平均分以实考人数计；及格、优秀、低分分别为得分 ≥ 满分的60%、≥ 85%、< 40%，分母为实考人数；"
                 "缺考不计为0分。比率分 = 40×(平均分/全县最高校平均分) + 30×(及格率/最高及格率) + 30×(优秀率/最高优秀率)，"
                 "只在显示的学校（人数不少于最小组规模）之间比较。"),
        ("平均分区间", "各校平均分的95%区间按 t 分布计算：平均分 ± t(0.975, n−1)×标准差/√n。"),
        ("校际差异", "ICC(1) 与 ICC(2)（校均分信度）由单因素方差分析（矩估计）得到；ICC (REML) 为随机截距模型的限制性最大似然估计。"
                 "学校少于5所时不计算。"),
        ("增值评价", "对每次考试的每个科目分别拟合随机截距模型：本次成绩 = β0 + β1×前测成绩（上一年同科成绩）+ 学校效应 + 学生残差，"
                 "以限制性最大似然（REML）由各校充分统计量精确求解。学校效应为经验贝叶斯收缩估计（人数少、信度低的学校向0收缩），"
                 "95%区间由比较方差（预测误差方差）计算，未计入方差成分本身的不确定性。效应为正表示学生进步多于全县同起点学生。"
                 "缺考、无成绩或无前测成绩的学生不纳入，并逐项计数。学校少于5所或没有前测成绩时拒绝计算，不给出任何数字。"
                 "依据：Raudenbush & Bryk (2002) Hierarchical Linear Models, 第3–5章；Goldstein (2011) Multilevel Statistical "
                 "Models, 第2章；《深化新时代教育评价改革总体方案》（2020）“探索增值评价”。"),
        ("质量预警", "每条预警都写明原因与阈值。规则与阈值为本地约定，可调整；学生数少于最小样本量的学校不作预警。"
                 "“及格率下降”比较的是本学年与上一学年同年级的成绩（不同届学生）。"),
        ("学科比较", "标准分 Z =（成绩 − 全县同次考试同科平均分）/ 标准差，T = 50 + 10Z；各校各科平均 T 分可跨学科比较。"),
        ("隐私保护", "人数少于最小组规模的学校不显示统计量（“*”），人数显示为“<k”，图中也不画出。"),
    ],
    "en": [
        ("三率一分", "Mean over test-takers; pass, excellence and low-score rates are ≥ 60%, ≥ 85% and < 40% of full "
                   "marks over test-takers; absent students are not zeros. Ratio composite (比率分) = 40·mean/best mean + "
                   "30·pass rate/best + 30·excellence rate/best, among the schools shown."),
        ("Interval of a school mean", "95% t interval: mean ± t(0.975, n−1)·SD/√n."),
        ("Between-school variance", "ICC(1) and ICC(2) (reliability of school means) by one-way ANOVA; ICC (REML) "
                                    "from the random-intercept model. Not computed with fewer than 5 schools."),
        ("Value-added", "For each exam and subject, a random-intercept model score = β0 + β1·prior score (same "
                        "subject, previous year) + school effect + pupil residual, fitted exactly by REML from "
                        "per-school sufficient statistics. School effects are empirical-Bayes shrunken estimates "
                        "(small, unreliable schools are pulled towards 0) with 95% intervals from the comparative "
                        "(prediction-error) variance, variance components plugged in. A positive effect means pupils "
                        "progressed more than county pupils with the same prior scores. Absent pupils and pupils "
                        "without a score or prior score are left out and counted. With fewer than 5 schools or no "
                        "prior scores no value-added is computed and no number is shown. Sources: Raudenbush & Bryk "
                        "(2002), Hierarchical Linear Models, ch. 3–5; Goldstein (2011), Multilevel Statistical "
                        "Models, ch. 2; 《深化新时代教育评价改革总体方案》 (2020), which asks for value-added evaluation."),
        ("Early warning", "Every flag states its reason and threshold; rules and thresholds are local conventions "
                          "and parameters. Schools under the minimum size are not assessed. 'Pass rate down' compares "
                          "the same grade in consecutive years (different cohorts)."),
        ("Subject comparison", "Z = (score − county mean of the exam and subject) / SD, T = 50 + 10·Z; school mean T "
                               "scores are comparable across subjects."),
        ("Privacy", "Figures of schools with fewer students than the minimum group size are withheld ('*'; counts "
                    "shown as '<k') and not drawn."),
    ],
}


# =========================================================================================== build
def build(ds, *, county: str, school_year: int, language: str = "zh", min_cell_size: int = 5,
          min_n: int = 20) -> AcademicSection:
    """Build the academic-quality section for one county and school year.

    Parameters
    ----------
    ds : Dataset
        With a ``scores`` table (student × subject × exam; ``prior_score`` for value-added).
    county : str
    school_year : int
    language : {"zh", "en"}, default "zh"
    min_cell_size : int, default 5
        Schools (per grade × subject) with fewer test-takers have their figures withheld.
    min_n : int, default 20
        Early warning: schools with fewer students are not assessed (and the section says so).

    Returns
    -------
    AcademicSection

    Raises
    ------
    ValueError
        Unknown language; non-positive min_cell_size; the county has no schools in ``school_year``.
    KeyError
        Unknown county.
    """
    if language not in ("zh", "en"):
        raise ValueError(f"language must be 'zh' or 'en', got {language!r}")
    if isinstance(min_cell_size, bool) or int(min_cell_size) < 1:
        raise ValueError(f"min_cell_size must be a positive integer, got {min_cell_size!r}")
    school_year = int(school_year)
    cds = ds.for_county(county)
    sch = cds.schools
    if sch[sch["school_year"] == school_year].empty:
        raise ValueError(f"{county}: no schools in school year {school_year}")
    k = int(min_cell_size)
    min_n_eff = max(int(min_n), k)
    names = _school_labels(sch, school_year)
    not_computed: list[dict] = []

    scores = cds.scores
    empty = _empty_section(county, school_year, language, k, int(min_n), min_n_eff)
    if scores is None or scores.empty or (scores["school_year"] == school_year).sum() == 0:
        not_computed.append({"item": "scores", "block": None, "reason_zh": "数据中没有本学年的学生成绩，学业质量部分未计算。",
                             "reason_en": "no student scores for this school year: the academic section is not computed"})
        return _replace(empty, not_computed=not_computed)
    # only the columns used here (fewer string columns to copy on every filter)
    scores = scores[[c for c in ("school_year", "exam", "grade", "subject", "school_id", "score", "full_marks",
                                 "absent", "prior_score") if c in scores.columns]]
    cur = scores[scores["school_year"] == school_year].reset_index(drop=True)
    prev_year = school_year - 1
    prev = scores[scores["school_year"] == prev_year].reset_index(drop=True)
    previous_year = prev_year if len(prev) else None

    # blocks: exam × grade × subject
    blocks = (cur[["exam", "grade", "subject"]].drop_duplicates()
              .sort_values(["grade", "subject", "exam"], kind="stable").reset_index(drop=True))
    exams_per_grade = cur.groupby("grade")["exam"].nunique()
    blocks["block"] = [f"{int(g)}.{e}.{s}" if exams_per_grade[g] > 1 else f"{int(g)}.{s}"
                       for e, g, s in zip(blocks["exam"], blocks["grade"], blocks["subject"])]
    blocks = blocks[["block", "exam", "grade", "subject"]]
    bkey = ["exam", "grade", "subject"]

    # --- county 三率一分 + ICC ------------------------------------------------------------------
    county_tab = three_rates_one_score(cur, by=bkey).merge(blocks, on=bkey)
    taken_all = cur[~cur["absent"].astype(bool)]
    icc_rows = []
    for _, b in blocks.iterrows():
        sub = taken_all[(taken_all["exam"] == b["exam"]) & (taken_all["subject"] == b["subject"])]
        J = sub["school_id"].nunique()
        rec = {"block": b["block"], "n_schools": J, "icc1": np.nan, "icc2": np.nan, "icc_reml": np.nan,
               "icc_boundary": None, "icc_reason_zh": "", "icc_reason_en": ""}
        if J < MIN_SCHOOLS:
            rec["icc_reason_zh"] = f"参考学校只有{J}所（少于{MIN_SCHOOLS}所），校际方差无法可靠估计，不计算"
            rec["icc_reason_en"] = (f"only {J} school(s) took the exam (fewer than {MIN_SCHOOLS}): the between-school "
                                    "variance cannot be estimated reliably; not computed")
        else:
            try:
                a = intraclass_correlation(sub, value="score", by="school_id", method="anova", min_groups=MIN_SCHOOLS)
                r = intraclass_correlation(sub, value="score", by="school_id", method="reml", min_groups=MIN_SCHOOLS)
                rec.update(icc1=a.icc1, icc2=a.icc2, icc_reml=r.icc, icc_boundary=bool(r.boundary))
            except ValueError as exc:
                rec["icc_reason_zh"] = f"无法计算：{exc}"
                rec["icc_reason_en"] = f"not computed: {exc}"
        if rec["icc_reason_en"]:
            not_computed.append({"item": "icc", "block": b["block"], "reason_zh": rec["icc_reason_zh"],
                                 "reason_en": rec["icc_reason_en"]})
        icc_rows.append(rec)
    county_tab = county_tab.merge(pd.DataFrame(icc_rows), on="block")
    county_tab = county_tab[["block", "exam", "grade", "subject", "n_schools", "n_takers", "n_absent", "full_marks",
                             "mean_score", "pass_rate", "excellence_rate", "low_score_rate", "icc1", "icc2",
                             "icc_reml", "icc_boundary", "icc_reason_zh", "icc_reason_en"]]

    # --- value-added ---------------------------------------------------------------------------
    model_rows, va_frames = [], []
    for _, b in blocks.iterrows():
        sub = cur[(cur["exam"] == b["exam"]) & (cur["subject"] == b["subject"])]
        base = {"block": b["block"], "exam": b["exam"], "grade": b["grade"], "subject": b["subject"]}
        try:
            res = value_added(sub, outcome="score", prior="prior_score", by="school_id", min_groups=MIN_SCHOOLS,
                              confidence=CONFIDENCE)
        except ValueError as exc:
            zh, en = _va_refusal(sub, exc)
            model_rows.append({**base, "status": "refused", "reason_zh": zh, "reason_en": en})
            not_computed.append({"item": "value_added", "block": b["block"], "reason_zh": zh, "reason_en": en})
            continue
        model_rows.append({**base, "status": "computed", "reason_zh": "", "reason_en": "",
                           "n_schools": res.n_schools, "n_obs": res.n_obs,
                           "beta_prior": res.fixed_effects["prior_score"], "se_prior": res.fixed_effects_se["prior_score"],
                           "tau00": res.tau00, "sigma2": res.sigma2, "icc_residual": res.icc,
                           "boundary": res.boundary, "converged": res.converged, "loglik": res.loglik,
                           "n_excluded": res.n_excluded_total, "n_schools_excluded": res.n_schools_excluded,
                           **{f"excluded_{kk}": v for kk, v in res.n_excluded.items()}})
        f = res.to_frame()
        for c, v in reversed(list(base.items())):
            f.insert(0, c, v)
        va_frames.append(f)
    va_models = pd.DataFrame(model_rows)
    va_cols = ["block", "exam", "grade", "subject", "school_id", "n"] + _VA_STATS
    if va_frames:
        va = pd.concat(va_frames, ignore_index=True)[va_cols]
    else:
        va = pd.DataFrame({c: pd.Series(dtype="float64") for c in va_cols})
        for c in ("block", "exam", "subject", "school_id"):
            va[c] = va[c].astype("string")
        va["grade"] = va["grade"].astype("int64")
    va["n"] = va["n"].astype("Int64")
    va = suppress_group_stats(va, n="n", statistics=_VA_STATS, min_cell_size=k)
    va.insert(5, "school_name", va["school_id"].map(names["name"]).fillna(va["school_id"]))
    va.insert(6, "label", va["school_id"].map(names["label"]).fillna(va["school_id"]))

    # --- school league ---------------------------------------------------------------------------
    lg = _school_table(cur, bkey)
    lg_full = lg.copy()  # unsuppressed: used only for the early-warning computation
    lg = suppress_group_stats(lg, n="n_takers", statistics=_LEAGUE_STATS, min_cell_size=k)
    lg = ratio_composite(lg, by=["exam", "subject"])
    lg = lg.merge(blocks, on=bkey)
    lg = lg.merge(va[["block", "school_id", "effect", "effect_lower", "effect_upper"]]
                  .rename(columns={"effect": "va_effect", "effect_lower": "va_lower", "effect_upper": "va_upper"}),
                  on=["block", "school_id"], how="left")
    lg.insert(0, "school_name", lg["school_id"].map(names["name"]).fillna(lg["school_id"]))
    lg.insert(1, "label", lg["school_id"].map(names["label"]).fillna(lg["school_id"]))

    # --- early warning ---------------------------------------------------------------------------
    ew_frames = []
    prev_tab = _school_table(prev, bkey) if len(prev) else None
    for exam in blocks["exam"].unique():
        this = lg_full[lg_full["exam"] == exam].drop(columns="exam")
        grade = int(this["grade"].iloc[0])
        effects = va.loc[va["exam"] == exam, ["school_id", "subject", "effect_upper"]]
        # withheld effects are NaN in `va`: fall back to nothing — such schools are below min_n_eff anyway
        this = this.merge(effects, on=["school_id", "subject"], how="left")
        refused = set(va_models.loc[(va_models["exam"] == exam) & (va_models["status"] != "computed"), "subject"]) \
            if len(va_models) else set()
        p = None
        if prev_tab is not None:
            pg = prev_tab[prev_tab["grade"] == grade]
            if len(pg):
                last_exam = sorted(pg["exam"].unique())[-1]
                p = pg[pg["exam"] == last_exam].drop(columns="exam")
        if p is None or p.empty:
            p = None
        w = early_warning(this, min_n=min_n_eff, previous=p, school="school_id", by=["grade", "subject"],
                          n="n_takers", mean="mean_score", pass_rate="pass_rate", effect_upper="effect_upper",
                          k_sd=K_SD, pass_drop=PASS_DROP, confidence=CONFIDENCE)
        w.insert(0, "exam", exam)
        if p is None:
            m = w["rule"] == "pass_rate_drop"
            w.loc[m, "reason_zh"] = f"数据中没有上一学年（{prev_year}）{grade}年级的成绩，未评估"
            w.loc[m, "reason_en"] = f"no grade {grade} scores for the previous school year ({prev_year}): not assessed"
        for subj in refused:
            m = (w["rule"] == "value_added_below_zero") & (w["subject"] == subj) & w["n"].ge(min_n_eff).fillna(False)
            r = va_models[(va_models["exam"] == exam) & (va_models["subject"] == subj)].iloc[0]
            w.loc[m, "reason_zh"] = "未计算增值评价：" + r["reason_zh"]
            w.loc[m, "reason_en"] = "value-added not computed: " + r["reason_en"]
        ew_frames.append(w)
    ew = pd.concat(ew_frames, ignore_index=True)
    ew = ew.merge(blocks, on=["exam", "grade", "subject"])
    nvals = ew["n"].astype("float64")
    ew["small"] = ~(nvals >= min_n_eff)
    tiny = ~(nvals >= k)
    ew.loc[tiny, "reason_zh"] = f"人数少于{k}人（不显示），少于最小样本量{min_n_eff}人，不作预警"
    ew.loc[tiny, "reason_en"] = f"fewer than {k} students (withheld), below min_n = {min_n_eff}: not assessed"
    ew.loc[tiny, "value"] = np.nan
    ew["n"] = ew["n"].mask(tiny)
    ew.insert(1, "school_name", ew["school_id"].map(names["name"]).fillna(ew["school_id"]))
    ew = ew[["block", "exam", "grade", "subject", "school_id", "school_name", "rule", "flagged", "assessed", "small",
             "reason_zh", "reason_en", "value", "threshold", "n"]]
    flagged_keys = set(zip(ew.loc[ew["flagged"], "block"], ew.loc[ew["flagged"], "school_id"]))
    lg["flagged"] = [(b, s) in flagged_keys for b, s in zip(lg["block"], lg["school_id"])]
    lg = lg[["block", "exam", "grade", "subject", "school_id", "school_name", "label", "n_takers", "mean_score",
             "sd_score", "ci_low", "ci_high", "pass_rate", "excellence_rate", "low_score_rate", "mean_ratio",
             "pass_ratio", "excellence_ratio", "ratio_score", "va_effect", "va_lower", "va_upper", "suppressed",
             "flagged"]].sort_values(["grade", "subject", "exam", "school_id"], kind="stable").reset_index(drop=True)

    # --- subject comparison ----------------------------------------------------------------------
    subj = _subject_table(cur, k)
    subj.insert(2, "school_name", subj["school_id"].map(names["name"]).fillna(subj["school_id"]))
    subj.insert(3, "label", subj["school_id"].map(names["label"]).fillna(subj["school_id"]))

    if previous_year is None:
        not_computed.append({"item": "pass_rate_drop", "block": None,
                             "reason_zh": f"数据中没有上一学年（{prev_year}）的成绩，“及格率较上年下降”规则未评估",
                             "reason_en": f"no scores for the previous school year ({prev_year}): the 'pass rate down' "
                                          "rule is not assessed"})
    return AcademicSection(
        county=county, school_year=school_year, language=language, min_cell_size=k, min_n=int(min_n),
        min_n_effective=min_n_eff, previous_year=previous_year, blocks=blocks, county_results=county_tab,
        value_added_models=va_models, value_added_schools=va.reset_index(drop=True), league=lg,
        early_warning=ew.reset_index(drop=True), subjects=subj, not_computed=not_computed)


# ----------------------------------------------------------------------------------------- helpers
def _replace(section: AcademicSection, **kw) -> AcademicSection:
    import dataclasses

    return dataclasses.replace(section, **kw)


def _empty_section(county, school_year, language, k, min_n, min_n_eff) -> AcademicSection:
    e = pd.DataFrame(columns=["block", "exam", "grade", "subject"])
    return AcademicSection(
        county=county, school_year=school_year, language=language, min_cell_size=k, min_n=min_n,
        min_n_effective=min_n_eff, previous_year=None, blocks=e, county_results=e.copy(),
        value_added_models=pd.DataFrame(columns=["block", "exam", "grade", "subject", "status"]),
        value_added_schools=pd.DataFrame(columns=["block", "school_id", "effect"]),
        league=pd.DataFrame(columns=["block", "school_id", "mean_score"]),
        early_warning=pd.DataFrame(columns=["block", "school_id", "rule", "flagged", "assessed", "small"]),
        subjects=pd.DataFrame(columns=["grade", "school_id", "subject", "mean_t"]))


def _school_labels(schools: pd.DataFrame, school_year: int) -> pd.DataFrame:
    """school_id → display name (this year's name first) and a unique plot label."""
    s = schools.assign(_cur=(schools["school_year"] != school_year).astype(int))
    s = s.sort_values(["_cur", "school_year"], ascending=[True, False], kind="stable").drop_duplicates("school_id")
    out = pd.DataFrame({"name": s["school_name"].astype(str).to_numpy()}, index=s["school_id"].to_numpy())
    dup = out["name"].duplicated(keep=False)
    out["label"] = [f"{n}（{sid[-4:]}）" if d else n for sid, n, d in zip(out.index, out["name"], dup)]
    return out


def _school_table(scores: pd.DataFrame, bkey: list[str]) -> pd.DataFrame:
    """Per exam × grade × subject × school: 三率一分 with the SD and the 95% t interval of the mean."""
    by = bkey + ["school_id"]
    tab = three_rates_one_score(scores, by=by)
    taken = scores[~scores["absent"].astype(bool)]
    sd = taken.groupby(by, observed=True)["score"].std(ddof=1).rename("sd_score").reset_index()
    tab = tab.merge(sd, on=by, how="left")
    n = tab["n_takers"].astype("float64")
    q = pd.Series(stats.t.ppf(0.5 + CONFIDENCE / 2, (n - 1).where(n > 1)), index=tab.index)
    half = q * tab["sd_score"] / np.sqrt(n.where(n > 0))
    tab["ci_low"] = tab["mean_score"] - half
    tab["ci_high"] = tab["mean_score"] + half
    tab = tab.drop(columns=["n_absent"])
    tab["n_takers"] = tab["n_takers"].astype("Int64")
    return tab


def _subject_table(scores: pd.DataFrame, k: int) -> pd.DataFrame:
    """Per grade × school × subject: n takers, mean score and mean T score (T within exam × subject)."""
    z = standard_scores(scores, by=["exam", "subject"])
    z = z[~z["absent"].astype(bool)]
    g = z.groupby(["exam", "grade", "school_id", "subject"], observed=True, sort=True)
    out = g.agg(n=("t_score", "count"), mean_score=("score", "mean"), mean_t=("t_score", "mean")).reset_index()
    out["n"] = out["n"].astype("Int64")
    out = suppress_group_stats(out, n="n", statistics=["mean_score", "mean_t"], min_cell_size=k)
    return out[["grade", "school_id", "exam", "subject", "n", "mean_score", "mean_t", "suppressed"]]


def _va_refusal(sub: pd.DataFrame, exc: Exception) -> tuple[str, str]:
    """Chinese and English reason why value-added was refused for one exam × subject."""
    if "prior_score" not in sub.columns or sub["prior_score"].isna().all():
        return ("没有前测成绩（上一年同科成绩），无法计算增值评价；只报告三率一分。",
                f"no prior scores (same subject, previous year): value-added cannot be computed; attainment "
                f"(三率一分) is reported instead. [{exc}]")
    usable = sub[~sub["absent"].astype(bool) & sub["score"].notna() & sub["prior_score"].notna()]
    J = usable["school_id"].nunique()
    if J < MIN_SCHOOLS:
        return (f"有前测成绩的学校只有{J}所（少于{MIN_SCHOOLS}所），校际方差无法可靠估计，不计算增值评价，不给出任何数字；"
                "只报告三率一分。",
                f"only {J} school(s) with prior scores (fewer than {MIN_SCHOOLS}): the between-school variance "
                f"cannot be estimated reliably, so no value-added is computed and no number is shown. [{exc}]")
    return (f"未能计算增值评价：{exc}", f"value-added not computed: {exc}")

