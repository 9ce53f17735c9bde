"""HTML fragments of a county report, built from a :class:`lyganalysis.summary.CountySummary`.

The notebook only calls these and displays the result, so every label, rounding rule and
unavailable-data note is the same in every county report.  Values carry ``data-key`` attributes
so tests (and anyone scraping the page) can read numbers back.
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from lyganalysis.labels import has, t
from lyganalysis.standards import QUALITY_INDICATORS
from lyganalysis.summary import CountySummary, format_value

esc = html.escape


def _lab(code: Any, lang: str) -> str:
    s = str(code)
    return t(s, lang) if has(s) else s


def _table(df: pd.DataFrame, columns: list[tuple[str, str, str]], lang: str, *, key_prefix: str | None = None,
           key_cols: tuple[str, ...] = ()) -> str:
    """Render ``df`` with (column, header, kind) triples; kind "label" translates codes, "raw" prints as is.

    Columns that are missing or empty in every row are left out (the data do not have them; the
    section's "not computed" list says why)."""
    if df is None or df.empty:
        return f"<p class=\"lyg-muted\">{esc(t('unavailable', lang))}</p>"
    columns = [c for c in columns if c[0] in df.columns and df[c[0]].notna().any()]
    head = "".join(f"<th>{esc(h)}</th>" for _, h, _ in columns)
    rows = []
    for _, r in df.iterrows():
        cells = []
        for col, _, kind in columns:
            v = r.get(col)
            if kind == "label":
                txt = "—" if v is None or (isinstance(v, float) and math.isnan(v)) else _lab(v, lang)
            elif kind == "raw":
                txt = "—" if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else str(v)
            else:
                txt = format_value(v, kind, lang)
            attr = ""
            if key_prefix and kind not in ("label", "raw"):
                key = ".".join([key_prefix, *[str(r.get(k)) for k in key_cols], col])
                attr = f" data-key=\"{esc(key)}\""
            cells.append(f"<td{attr}>{esc(txt)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _unavailable(summary: CountySummary, section: str) -> str:
    items = [u for u in summary.unavailable if u["section"] == section]
    if not items:
        return ""
    lang = summary.language
    head = "以下内容数据不支持，未计算：" if lang == "zh" else "Not computed, because the data do not allow it:"
    lis = "".join(f"<li>{esc(str(u.get('reason_zh') if lang == 'zh' else u['reason']))}</li>" for u in items)
    return f"<div class=\"lyg-muted\"><p>{esc(head)}</p><ul>{lis}</ul></div>"


def check_parameters(summary: CountySummary, *, county: str, school_year: int) -> None:
    """Stop the notebook when the summary is not of the requested county and year (case C15)."""
    if summary.county != county or summary.school_year != int(school_year):
        raise RuntimeError(f"Report built for {summary.county}/{summary.school_year}, "
                           f"but {county}/{school_year} was requested.")


def header(summary: CountySummary, *, source_note: str | None = None) -> str:
    """Title, the 模拟数据 banner (simulated data), and the data source line."""
    lang = summary.language
    parts = [f"<h1>{esc(t('report_title', lang, county=summary.county, year=summary.school_year))}</h1>"]
    if summary.simulated:
        parts.append(f"<p class=\"lyg-banner\"><b>{esc(t('simulated_banner', lang))}</b></p>")
    if source_note:
        parts.append(f"<p class=\"lyg-muted\">{esc(t('real_data_note', lang, source=source_note))}</p>")
    return "".join(parts)


def heading(key: str, language: str) -> str:
    """A section heading (``section_overview`` …)."""
    return f"<h2>{esc(t(key, language))}</h2>"


def headline_table(summary: CountySummary, previous: CountySummary | None = None) -> str:
    """The headline figures, with last year's and the change when ``previous`` is given."""
    lang = summary.language
    prev = {h["key"]: h for h in previous.headline()} if previous is not None else {}
    cur_label = f"{summary.school_year}学年" if lang == "zh" else f"{summary.school_year}"
    head = f"<th>{esc(t('indicator', lang))}</th><th>{esc(cur_label)}</th>"
    if previous is not None:
        prev_label = f"{previous.school_year}学年" if lang == "zh" else f"{previous.school_year}"
        head += f"<th>{esc(prev_label)}</th><th>{esc('变化' if lang == 'zh' else 'Change')}</th>"
    rows = []
    for h in summary.headline():
        row = f"<td>{esc(h['label'])}</td><td data-key=\"{esc(h['key'])}\">{esc(h['display'])}</td>"
        if previous is not None:
            p = prev.get(h["key"])
            change = "—"
            if p is not None and isinstance(h["value"], (int, float)) and isinstance(p["value"], (int, float)) \
                    and not isinstance(h["value"], bool) and h["kind"] != "verdict":
                d = h["value"] - p["value"]
                change = (f"{100 * d:+.1f} 个百分点" if lang == "zh" else f"{100 * d:+.1f} pp") if h["kind"] == "rate" \
                    else (f"{d:+,.0f}" if h["kind"] == "count" else f"{d:+.{3 if h['kind'] in ('cv', 'icc') else 1}f}")
            row += f"<td>{esc(p['display']) if p else '—'}</td><td>{esc(change)}</td>"
        rows.append(f"<tr>{row}</tr>")
    return f"<table class=\"lyg-headline\"><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def overview(summary: CountySummary, previous: CountySummary | None = None) -> str:
    """Overview section: headline figures (with change over the year), stages and school types."""
    lang = summary.language
    stages = _table(summary.overview, [("stage", t("stage", lang), "label"),
                                       ("n_schools", "学校数" if lang == "zh" else "Schools", "count"),
                                       ("students", t("students", lang), "count"),
                                       ("teachers", t("teachers", lang), "count")], lang)
    types = summary.schools_by_type.copy()
    types["school_type"] = types["school_type"].map(lambda s: SCHOOL_TYPES.get(str(s), {}).get(lang, str(s)))
    types_html = _table(types, [("school_type", "学校类型" if lang == "zh" else "School type", "raw"),
                                ("n_schools", "学校数" if lang == "zh" else "Schools", "count")], lang)
    return headline_table(summary, previous) + "<h3>" + esc("学段规模" if lang == "zh" else "Stages") + "</h3>" + \
        stages + "<h3>" + esc("学校类型" if lang == "zh" else "School types") + "</h3>" + types_html


SCHOOL_TYPES = {
    "primary": {"zh": "小学", "en": "Primary school"}, "junior": {"zh": "初级中学", "en": "Junior secondary"},
    "nine_year": {"zh": "九年一贯制学校", "en": "Nine-year school"},
    "twelve_year": {"zh": "十二年一贯制学校", "en": "Twelve-year school"},
    "complete_middle": {"zh": "完全中学", "en": "Complete middle school"},
    "senior": {"zh": "高级中学", "en": "Senior secondary"}, "kindergarten": {"zh": "幼儿园", "en": "Kindergarten"},
    "special": {"zh": "特殊教育学校", "en": "Special school"}, "teaching_point": {"zh": "教学点", "en": "Teaching point"},
}


def resources(summary: CountySummary) -> str:
    """Resource-balance section: per-indicator 差异系数 against the limit, verdict, schools to fix first."""
    lang = summary.language
    a = summary.assessment
    parts = []
    if a is not None:
        table = a.table.copy()
        table["name"] = table["name_zh"] if lang == "zh" else table["name_en"]
        parts.append(_table(table, [("stage", t("stage", lang), "label"), ("indicator", "", "raw"),
                                    ("name", t("indicator", lang), "raw"), ("mean", "县域均值" if lang == "zh" else "County value", "score"),
                                    ("coefficient_of_variation", t("coefficient_of_variation", lang), "cv"),
                                    ("limit", t("cv_limit", lang), "cv"), ("passes", t("passes", lang), "verdict")],
                            lang, key_prefix="cv", key_cols=("stage", "indicator")))
        comp = ", ".join(f"{_lab(st, lang)} {format_value(v, 'cv', lang)}" for st, v in a.composite_cv.items())
        verdict_cls = "lyg-verdict-pass" if a.passes else "lyg-verdict-fail"
        parts.append(f"<p>{esc(t('composite_cv', lang))}: {esc(comp)}。{esc(t('county_verdict', lang))}: "
                     f"<span class=\"{verdict_cls}\" data-key=\"resources.quality_balance_verdict\">"
                     f"{esc(format_value(a.passes, 'verdict', lang))}</span></p>")
        for note in a.notes:
            parts.append(f"<p class=\"lyg-verdict-fail\">{esc(note)}</p>")
        if len(a.top_contributors):
            tc = a.top_contributors.copy()
            parts.append("<h3>" + esc("超限指标中差异贡献最大的学校" if lang == "zh"
                                      else "Schools contributing most to an over-limit indicator") + "</h3>")
            parts.append(_table(tc, [("stage", t("stage", lang), "label"), ("indicator", t("indicator", lang), "raw"),
                                     ("school_name", t("school", lang), "raw"), ("students", t("students", lang), "count"),
                                     ("value", t("value", lang), "score"),
                                     ("variance_share", "占方差比例" if lang == "zh" else "Share of variance", "rate")], lang))
    if summary.compliance is not None and len(summary.compliance):
        parts.append("<h3>" + esc("学校达标情况（7项指标中至少6项达标，其余不低于85%）" if lang == "zh"
                                  else "School compliance (≥ 6 of 7 indicators met, the other ≥ 85%)") + "</h3>")
        parts.append(_compliance_summary(summary))
        parts.append(_schools_to_fix(summary))
    if len(summary.other_resources):
        parts.append("<h3>" + esc("其他生均资源的差异系数" if lang == "zh" else "Other per-student resources") + "</h3>")
        other = summary.other_resources.copy()
        other["resource"] = other["resource"].map(lambda r: OTHER_RESOURCE_LABELS.get(r, {}).get(lang, r))
        parts.append(_table(other, [("resource", t("indicator", lang), "raw"), ("mean", "县域均值" if lang == "zh" else "County value", "score"),
                                    ("coefficient_of_variation", t("coefficient_of_variation", lang), "cv"),
                                    ("n_schools", "学校数" if lang == "zh" else "Schools", "count")], lang))
    parts.append(_unavailable(summary, "resources"))
    return "".join(parts)


OTHER_RESOURCE_LABELS = {
    "computers_per_100_students": {"zh": "每百名学生计算机数", "en": "Computers per 100 students"},
    "books_per_student": {"zh": "生均图书（册）", "en": "Books per student"},
    "expenditure_per_student_usd": {"zh": "生均支出（美元）", "en": "Expenditure per student (USD)"},
}


def _compliance_summary(summary: CountySummary) -> str:
    lang = summary.language
    c = summary.compliance.dropna(subset=["compliant"])
    rows = []
    for stage, g in c.groupby("stage", sort=False):
        rows.append({"stage": stage, "n": len(g), "compliant": int(g["compliant"].astype(bool).sum()),
                     "share": float(g["compliant"].astype(bool).mean())})
    df = pd.DataFrame(rows)
    return _table(df, [("stage", t("stage", lang), "label"), ("n", "学校数" if lang == "zh" else "Schools", "count"),
                       ("compliant", "达标学校" if lang == "zh" else "Compliant", "count"),
                       ("share", t("compliant_share", lang), "rate")], lang, key_prefix="compliance", key_cols=("stage",))


UNITS_ZH = {"teachers": "人", "teacher": "人", "m²": "平方米", "yuan": "元", "rooms": "间", "room": "间"}


def _schools_to_fix(summary: CountySummary, n: int = 15) -> str:
    """Non-compliant schools, fewest indicators met first, with what each lacks in the indicator's own unit."""
    lang = summary.language
    c = summary.compliance
    bad = c[c["compliant"].fillna(True) == False].copy()  # noqa: E712 - nullable boolean
    if bad.empty:
        return f"<p>{esc('所有学校均达标。' if lang == 'zh' else 'Every school complies.')}</p>"
    bad["min_ratio"] = bad[[f"{k}_ratio" for k in QUALITY_INDICATORS]].min(axis=1)
    bad = bad.sort_values(["n_met", "min_ratio"], kind="stable").head(n)
    lacks = []
    for _, r in bad.iterrows():
        items = []
        for k, ind in QUALITY_INDICATORS.items():
            need = r.get(f"{k}_shortfall")
            if need is not None and not pd.isna(need) and need > 0:
                amount = f"{need:,.0f}" if ind.countable or need >= 100 else f"{need:,.1f}"
                name = ind.name_zh if lang == "zh" else ind.name_en
                unit = UNITS_ZH.get(ind.resource_unit, ind.resource_unit) if lang == "zh" else ind.resource_unit
                items.append(f"{k} {name}: +{amount} {unit}")
        lacks.append("；".join(items) if lang == "zh" else "; ".join(items))
    bad["lacks"] = lacks
    title = (f"未达标学校（最需改进的前 {len(bad)} 所）及距标准的差额" if lang == "zh"
             else f"Schools that do not comply (the {len(bad)} furthest from it) and what each lacks")
    return "<h3>" + esc(title) + "</h3>" + _table(
        bad, [("school_name", t("school", lang), "raw"), ("stage", t("stage", lang), "label"),
              ("students", t("students", lang), "count"), ("n_met", t("n_met", lang), "count"),
              ("lacks", t("lacks", lang), "raw")], lang)


def staffing(summary: CountySummary) -> str:
    """Staffing section: 生师比 against the staffing standard, shortfall, age and qualification structure."""
    lang = summary.language
    parts = [_table(summary.staffing, [
        ("stage", t("stage", lang), "label"), ("students", t("students", lang), "count"),
        ("teachers", t("teachers", lang), "count"),
        ("student_teacher_ratio", t("student_teacher_ratio", lang) + (" (Σ学生/Σ教师)" if lang == "zh" else " (Σstudents/Σteachers)"), "ratio"),
        ("staffing_standard", t("staffing_standard", lang) + (" (学生:1)" if lang == "zh" else " (students per teacher)"), "ratio"),
        ("teacher_need", "按标准应配教师" if lang == "zh" else "Teachers needed", "count"),
        ("teacher_shortfall", t("teacher_shortfall", lang), "count"),
        ("n_schools_short", "缺编学校数" if lang == "zh" else "Schools short", "count"),
    ], lang, key_prefix="staffing", key_cols=("stage",))]
    if len(summary.shortfall_schools):
        top = summary.shortfall_schools.head(15)
        parts.append("<h3>" + esc("缺编最多的学校" if lang == "zh" else "Schools furthest below the staffing standard") + "</h3>")
        parts.append(_table(top, [("school_name", t("school", lang), "raw"), ("stage", t("stage", lang), "label"),
                                  ("locale", t("locale", lang), "label"), ("students", t("students", lang), "count"),
                                  ("teachers", t("teachers", lang), "count"),
                                  ("teacher_need", "按标准应配教师" if lang == "zh" else "Teachers needed", "ratio"),
                                  ("teacher_shortfall", t("teacher_shortfall", lang), "ratio")], lang))
    if len(summary.teacher_structure):
        parts.append("<h3>" + esc("年龄与学历结构" if lang == "zh" else "Age and qualification structure") + "</h3>")
        parts.append(_table(summary.teacher_structure, [
            ("stage", t("stage", lang), "label"), ("teachers", t("teachers", lang), "count"),
            ("share_under_35", "35岁以下" if lang == "zh" else "Under 35", "rate"),
            ("share_35_49", "35–49岁" if lang == "zh" else "35–49", "rate"),
            ("share_50_plus", "50岁及以上" if lang == "zh" else "50 and over", "rate"),
            ("share_above_required_qualification", "高于规定学历" if lang == "zh" else "Above required qualification", "rate"),
        ], lang, key_prefix="structure", key_cols=("stage",)))
    parts.append(_unavailable(summary, "staffing"))
    return "".join(parts)


def academic(summary: CountySummary) -> str:
    """Academic section: county 三率一分 and between-school variance share per grade and subject."""
    lang = summary.language
    ac = summary.academic_county
    cols = [("grade", t("grade", lang), "raw"), ("subject", t("subject", lang), "label"),
            ("n_takers", t("n_takers", lang), "count"), ("mean_score", t("mean_score", lang), "score"),
            ("pass_rate", t("pass_rate", lang), "rate"), ("excellence_rate", t("excellence_rate", lang), "rate"),
            ("low_score_rate", t("low_score_rate", lang), "rate"),
            ("icc", "ICC(1)", "icc"), ("icc_reml", "ICC (REML)", "icc"), ("icc2", t("icc_reliability", lang), "icc")]
    if "coefficient_of_variation" in ac.columns:
        cols.append(("coefficient_of_variation", t("coefficient_of_variation", lang), "cv"))
    keep = [c for c in cols if c[0] in ac.columns and (c[0] in ("grade", "subject") or ac[c[0]].notna().any())]
    parts = [_table(ac, keep, lang, key_prefix="academic", key_cols=("grade", "subject"))]
    parts.append(_unavailable(summary, "academic"))
    return "".join(parts)


def school_league(summary: CountySummary, *, grade: Any = None, subject: str | None = None, n: int = 20) -> str:
    """Per-school 三率一分 for one grade × subject (small groups withheld), with the suppression note."""
    lang = summary.language
    s = summary.academic_schools
    if s is None or s.empty or "mean_score" not in s:
        return ""
    if grade is not None and "grade" in s:
        s = s[s["grade"] == grade]
    if subject is not None:
        s = s[s["subject"] == subject]
    s = s.sort_values("mean_score", ascending=False, kind="stable", na_position="last").head(n)
    cols = [("school_name", t("school", lang), "raw"), ("locale", t("locale", lang), "label"),
            ("n_takers", t("n_takers", lang), "count"), ("mean_score", t("mean_score", lang), "score"),
            ("pass_rate", t("pass_rate", lang), "rate"), ("excellence_rate", t("excellence_rate", lang), "rate"),
            ("low_score_rate", t("low_score_rate", lang), "rate")]
    cols = [c for c in cols if c[0] in s.columns and (c[0] in ("school_name", "n_takers", "mean_score") or s[c[0]].notna().any())]
    note = f"<p class=\"lyg-muted\">{esc(t('suppressed_note', lang, k=summary.min_cell_size))}</p>"
    return _table(s, cols, lang) + note


def equity(summary: CountySummary) -> str:
    """Equity section: gaps with intervals and effect sizes, n per group."""
    lang = summary.language
    g = summary.equity_gaps
    parts = []
    if g is not None and not g.empty:
        g = g.copy()
        g["interval"] = [f"[{lo:+.1f}, {hi:+.1f}]" if not (pd.isna(lo) or pd.isna(hi)) else "—"
                         for lo, hi in zip(g["ci_low"], g["ci_high"])]
        parts.append(_table(g, [("grade", t("grade", lang), "raw"), ("subject", t("subject", lang), "label"),
                                ("group", t("group", lang), "label"), ("reference", t("reference_group", lang), "label"),
                                ("n", t("n", lang), "count"), ("n_reference", t("n", lang) + (" (参照组)" if lang == "zh" else " (reference)"), "count"),
                                ("mean", t("mean_score", lang), "score"),
                                ("mean_reference", t("mean_score", lang) + (" (参照组)" if lang == "zh" else " (reference)"), "score"),
                                ("difference", t("difference", lang), "signed"), ("interval", t("interval", lang), "raw"),
                                ("hedges_g", t("hedges_g", lang), "cv")],
                            lang, key_prefix="gap", key_cols=("grade", "subject", "group")))
    parts.append(_unavailable(summary, "equity"))
    return "".join(parts)


METHOD_NOTES = {
    "zh": [
        ("差异系数", "按《县域义务教育优质均衡发展督导评估办法》（教督〔2017〕6号）计算：以各校在校生数为权重，"
                 "S = √(Σ(Pᵢ/P)(Xᵢ − X̄)²)，CV = S / X̄，X̄ 为县域总量除以县域学生总数。小学每项不超过 0.50、"
                 "初中每项不超过 0.45 方为达标；综合差异系数（7项平均）仅供参考。九年一贯制等学校按小学:初中:高中 = 1:1.1:1.32 "
                 "的学生权重分拆校舍、场地、设备与多媒体教室；特殊教育学校和不足50人的教学点不参与计算。"),
        ("学校达标", "7项指标中至少6项达到标准值、其余1项不低于标准值的85%，该校达标。“距达标还差”按指标本身的单位给出（教师、平方米、元、间）。"),
        ("生师比", "生师比 = 学段在校生总数 ÷ 专任教师总数（全县合并计算，不是各校生师比的平均）；编制标准按2014年城乡统一标准："
                "小学 19:1、初中 13.5:1。缺编 = 按标准应配教师 − 实有专任教师。注意：编制标准是教职工与学生之比，"
                "这里只计专任教师，因此缺编被低估、超编被高估。"),
        ("三率一分", "及格、优秀、低分分别指得分 ≥ 满分的60%、≥ 85%、< 40%；缺考不计为0分，分母为实考人数。"),
        ("校际差异", "ICC(1) 为单因素方差分析（矩估计）的组内相关系数；ICC (REML) 为随机截距模型的限制性最大似然估计，"
                 "表示成绩差异中学校之间所占比例。校均分信度为 ICC(2)。学校少于5所时不计算。"),
        ("城乡差距", "镇区、乡村与城区学生平均分之差，Welch 95%置信区间；效应量为 Hedges' g。城乡按统计用城乡划分代码。"),
        ("隐私保护", "报告不含姓名、身份证号或学生编号；人数少于最小组规模的组不显示统计量。"),
    ],
    "en": [
        ("Coefficient of variation (差异系数)", "Per the MoE 2017 high-quality balance evaluation rules (教督〔2017〕6号): "
         "enrolment-weighted, S = √(Σ(Pᵢ/P)(Xᵢ − X̄)²), CV = S / X̄ with X̄ the county total over county students. "
         "Every indicator must be ≤ 0.50 (primary) and ≤ 0.45 (junior); the composite (mean of the 7) is informational. "
         "Combined schools are split by student weights 1 : 1.1 : 1.32."),
        ("School compliance", "A school complies when at least 6 of the 7 indicators reach the threshold and the other reaches 85% of it."),
        ("Student–teacher ratio", "Σ students / Σ teachers of the stage (pooled, not a mean of school ratios); the Chinese "
         "staffing standard is shown only for Chinese data. The standard counts all staff (教职工) while the data hold "
         "full-time teachers, so shortfalls are understated and surpluses overstated."),
        ("Scores", "Pass, excellence and low-score rates: ≥ 60%, ≥ 85% and < 40% of full marks over test-takers; absent students are not zeros. "
         "Where only school means exist (CASchools), rates and the ICC are not computed."),
        ("Between-school share of variance", "ICC(1) from one-way ANOVA and the REML random-intercept ICC; not computed with fewer than 5 schools."),
        ("Gaps", "Differences in mean score between groups with Welch 95% intervals and Hedges' g. For CASchools the groups are the "
         "county's districts above and below the county median free-lunch share (high- vs low-poverty), each district counted once."),
        ("Privacy", "No names, ID numbers or student keys; statistics of groups smaller than the minimum size are withheld."),
    ],
}


def method_notes(summary: CountySummary) -> str:
    """Method notes: what each figure means and which standard it is compared with."""
    lang = summary.language
    return "".join(f"<p><b>{esc(k)}</b>：{esc(v)}</p>" if lang == "zh" else f"<p><b>{esc(k)}</b>: {esc(v)}</p>"
                   for k, v in METHOD_NOTES[lang])


# ---------------------------------------------------------------------------------------------
# Choosing between the detailed sections and the summary's own tables.  Data without the inputs
# of a detailed section (CASchools: no teacher records, no student scores, no Chinese standards)
# still get every figure the summary can give, and the section's note on what is missing.

def resources_html(summary: CountySummary, section) -> str:
    """The resource-balance section: the detailed 优质均衡 section, or the summary's tables where the
    Chinese standards do not apply."""
    if section is not None and getattr(section, "standard", "none") != "none":
        return section.html()
    return resources(summary)


def staffing_html(summary: CountySummary, section) -> str:
    """The staffing section: the detailed teacher-structure section, or the summary's ratio table
    when the data hold no teacher records (``section`` None)."""
    return section.html() if section is not None else staffing(summary)


def academic_html(summary: CountySummary, section) -> str:
    """The academic section: the detailed section when student scores exist, else the summary's
    school-level results."""
    blocks = getattr(section, "blocks", None)
    if section is not None and blocks is not None and len(blocks):
        return section.html()
    subjects = set(summary.academic_schools["subject"]) if "subject" in summary.academic_schools else set()
    subject = "testscr" if "testscr" in subjects else None  # CASchools: Stock & Watson's (read + math) / 2
    return academic(summary) + school_league(summary, subject=subject)


def equity_html(summary: CountySummary, section) -> str:
    """The equity section: the detailed section, plus the summary's gap table when the section
    found no student-level groups (e.g. the CASchools poverty gap)."""
    gaps = getattr(section, "gaps", None)
    if section is not None and gaps is not None and len(gaps):
        return section.html()
    if not summary.standards_apply:  # the city's coverage targets mean nothing for these data
        return equity(summary)
    return equity(summary) + (section.html() if section is not None else "")


def export_note(written: dict | None, *, relative_to: str | None, language: str) -> str:
    """Links to the exported evaluation-form tables (CSV/Excel) written beside the report."""
    import os

    if not written:
        return ""
    head = ("督导评估填表用数据表（CSV/Excel，全精度）：" if language == "zh"
            else "Tables for the evaluation forms (CSV/Excel, full precision): ")
    links = []
    for name, path in written.items():
        href = os.path.relpath(path, relative_to) if relative_to else str(path)
        links.append(f"<a href=\"{esc(href)}\">{esc(os.path.basename(str(path)))}</a>")
    return f"<p>{esc(head)}{'、'.join(links) if language == 'zh' else ', '.join(links)}</p>"
