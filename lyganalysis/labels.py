"""Report text in Chinese (default) and English: one place for every label and sentence.

Every key has both languages; :func:`t` raises a clear error for an unknown key or
language instead of printing a key name into a report.
"""

from __future__ import annotations

LANGUAGES = ("zh", "en")

TEXT: dict[str, dict[str, str]] = {
    # page furniture
    "report_title": {"zh": "{county} {year}学年 教育均衡发展报告", "en": "{county}: education balance report, school year {year}"},
    "index_title": {"zh": "{dataset} 县域教育均衡报告", "en": "{dataset}: county education balance reports"},
    "simulated_banner": {
        "zh": "模拟数据：本报告基于程序生成的模拟数据（连云港市规模与结构），不是真实学校的数据，数字仅用于演示方法。",
        "en": "Simulated data (模拟数据): this report is built from generated data shaped like Lianyungang; "
              "no number describes a real school.",
    },
    "real_data_note": {"zh": "数据来源：{source}", "en": "Data source: {source}"},
    "generated_at": {"zh": "生成时间 {when}，lyganalysis {version}", "en": "Generated {when} by lyganalysis {version}"},
    "unavailable": {"zh": "数据中没有此项，未计算", "en": "not in the data; not computed"},
    "suppressed_note": {"zh": "人数少于 {k} 的组不显示（“<{k}”或“*”），以保护个人信息。",
                        "en": "Groups with fewer than {k} students are withheld ('<{k}' or '*') to protect privacy."},
    # sections
    "section_overview": {"zh": "一、概况", "en": "1. Overview"},
    "section_resources": {"zh": "二、资源配置均衡（优质均衡）", "en": "2. Resource balance (high-quality balance)"},
    "section_staffing": {"zh": "三、教师队伍结构", "en": "3. Staffing structure"},
    "section_academic": {"zh": "四、学业质量均衡", "en": "4. Academic quality balance"},
    "section_equity": {"zh": "五、教育公平", "en": "5. Equity gaps"},
    "section_methods": {"zh": "六、方法说明", "en": "6. Method notes"},
    # index
    "county": {"zh": "县区", "en": "County"},
    "status": {"zh": "状态", "en": "Status"},
    "status_ok": {"zh": "完成", "en": "done"},
    "status_failed": {"zh": "失败", "en": "failed"},
    "report_link": {"zh": "报告", "en": "report"},
    "error": {"zh": "错误", "en": "Error"},
    "failed_summary": {"zh": "{n} 个县区的报告生成失败，见下表“错误”列；其余县区不受影响。",
                       "en": "{n} report(s) failed; see the Error column. The other counties are unaffected."},
    "city_overview": {"zh": "全市概览", "en": "City overview"},
    "manifest_link": {"zh": "运行清单（输入文件校验值、参数、版本）", "en": "Run manifest (input checksums, parameters, versions)"},
    # stages, locales
    "primary": {"zh": "小学", "en": "Primary"},
    "junior": {"zh": "初中", "en": "Junior"},
    "senior": {"zh": "高中", "en": "Senior"},
    "preschool": {"zh": "学前", "en": "Preschool"},
    "urban": {"zh": "城区", "en": "Urban"},
    "town": {"zh": "镇区", "en": "Town"},
    "rural": {"zh": "乡村", "en": "Rural"},
    "chinese": {"zh": "语文", "en": "Chinese"},
    "math": {"zh": "数学", "en": "Mathematics"},
    "english": {"zh": "英语", "en": "English"},
    "read": {"zh": "阅读", "en": "Reading"},
    "testscr": {"zh": "阅读与数学平均", "en": "Average of reading and math"},
    "female": {"zh": "女", "en": "Female"},
    "high_poverty": {"zh": "高贫困学区", "en": "High-poverty districts"},
    "low_poverty": {"zh": "低贫困学区", "en": "Low-poverty districts"},
    "male": {"zh": "男", "en": "Male"},
    # headline metric names
    "n_schools": {"zh": "学校数（义务教育学段）", "en": "Schools (compulsory sections)"},
    "students": {"zh": "在校生数", "en": "Registered students"},
    "teachers": {"zh": "专任教师数", "en": "Full-time teachers"},
    "student_teacher_ratio": {"zh": "生师比", "en": "Student–teacher ratio"},
    "staffing_standard": {"zh": "编制标准", "en": "Staffing standard"},
    "teacher_shortfall": {"zh": "教师缺口（人，负数为超编）", "en": "Teacher shortfall (negative = surplus)"},
    "coefficient_of_variation": {"zh": "差异系数", "en": "Coefficient of variation"},
    "composite_cv": {"zh": "综合差异系数", "en": "Composite CV"},
    "cv_limit": {"zh": "限值", "en": "Limit"},
    "passes": {"zh": "达标", "en": "Within limit"},
    "compliant_share": {"zh": "达标学校占比", "en": "Share of compliant schools"},
    "county_verdict": {"zh": "县域判定（每项差异系数均达标）", "en": "County verdict (every CV within its limit)"},
    "verdict_pass": {"zh": "达标", "en": "passes"},
    "verdict_fail": {"zh": "未达标", "en": "fails"},
    "mean_score": {"zh": "平均分", "en": "Mean score"},
    "pass_rate": {"zh": "及格率", "en": "Pass rate"},
    "excellence_rate": {"zh": "优秀率", "en": "Excellence rate"},
    "low_score_rate": {"zh": "低分率", "en": "Low-score rate"},
    "n_takers": {"zh": "参考人数", "en": "Test-takers"},
    "n_absent": {"zh": "缺考人数", "en": "Absent"},
    "intraclass_correlation": {"zh": "校际差异（组内相关系数 ICC）", "en": "Between-school share of variance (ICC)"},
    "icc_reliability": {"zh": "校均分信度", "en": "Reliability of school means"},
    "urban_rural_gap": {"zh": "城乡差距", "en": "Urban–rural gap"},
    "difference": {"zh": "差值", "en": "Difference"},
    "interval": {"zh": "95% 置信区间", "en": "95% interval"},
    "hedges_g": {"zh": "效应量 (Hedges' g)", "en": "Effect size (Hedges' g)"},
    "group": {"zh": "组别", "en": "Group"},
    "reference_group": {"zh": "参照组", "en": "Reference"},
    "n": {"zh": "人数", "en": "n"},
    "school": {"zh": "学校", "en": "School"},
    "stage": {"zh": "学段", "en": "Stage"},
    "indicator": {"zh": "指标", "en": "Indicator"},
    "value": {"zh": "数值", "en": "Value"},
    "threshold": {"zh": "标准值", "en": "Threshold"},
    "lacks": {"zh": "距达标还差", "en": "Short of the standard by"},
    "n_met": {"zh": "达标指标数", "en": "Indicators met"},
    "subject": {"zh": "科目", "en": "Subject"},
    "grade": {"zh": "年级", "en": "Grade"},
    "locale": {"zh": "城乡", "en": "Urban/rural"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
}


def t(key: str, language: str = "zh", **fmt) -> str:
    """Return the text for ``key`` in ``language`` ("zh" or "en"), formatted with ``fmt``.

    Raises
    ------
    KeyError
        For a key no report text exists for (a programming error: add it to ``TEXT``).
    ValueError
        For a language other than "zh" or "en".
    """
    if language not in LANGUAGES:
        raise ValueError(f"Unknown report language {language!r}: use 'zh' (中文) or 'en' (English).")
    try:
        entry = TEXT[key]
    except KeyError:
        raise KeyError(f"No report text for {key!r}; add it to lyganalysis.labels.TEXT in both languages.") from None
    text = entry[language]
    return text.format(**fmt) if fmt else text


def has(key: str) -> bool:
    """Whether ``key`` has report text."""
    return key in TEXT
