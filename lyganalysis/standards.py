"""Official standards and thresholds (办学标准与评估标准) as data, each with its source.

Every record carries the document it comes from, the clause, and how sure we are of it (the
generated page ``references/standards.md`` lists them all, one anchor per key):

* ``"P"`` — a government page publishing the text or its own data;
* ``"S"`` — agreeing secondary reproductions;
* ``"U"`` — unconfirmed: such values are defaults of parameters, never hard-coded truths.

Reports should cite :attr:`Standard.citation` next to any comparison with a threshold.

Main contents
-------------
QUALITY_INDICATORS
    The seven 优质均衡 resource-allocation indicators L1–L7 (教督〔2017〕6号) with per-stage thresholds.
SCHOOL_RULE
    The per-school compliance rule (≥ 6 of 7 met, the remaining one ≥ 85 %).
QUALITY_CV_LIMITS, BASIC_BALANCE_COMPOSITE_LIMITS
    差异系数 limits of the 2017 (per indicator) and 2012 (composite) rules.
BASIC_INDICATORS, QUALITY_BALANCE_FROM_YEAR, INTERMEDIATE_OR_HIGHER_TITLES
    The eight 2012 basic-balance indicators B1–B8, the year the 2017 rule takes over, and the teacher
    titles counted as 中级及以上.
STAFFING_2014, STAFFING_2001, KINDERGARTEN_CHILDREN_PER_TEACHER
    Staffing standards (编制标准), students per staff member.
CLASS_SIZE_BANDS
    MoE class-size bands (偏大班额 / 大班额 / 超大班额) and Jiangsu class-size norms.
ROTATION_TARGETS, CITY_TARGETS_2022, PRESCHOOL_TARGETS_2020, GOVERNMENT_GUARANTEE
    Targets and other numeric standards.
staffing_standard(), class_size_band(), quality_threshold()
    Look-ups.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Certainty = Literal["P", "S", "U"]
Stage = Literal["primary", "junior", "senior", "preschool"]
Locale = Literal["urban", "town", "rural"]

_CERTAINTY_LABELS = {"P": "[P] government text", "S": "[S] agreeing secondary reproductions",
                     "U": "[U] unconfirmed"}

# Source documents (titles as published)
DOC_QUALITY_2017 = "县域义务教育优质均衡发展督导评估办法（教育部，教督〔2017〕6号）"
DOC_BASIC_2012 = "县域义务教育均衡发展督导评估暂行办法（教育部，教督〔2012〕3号）"
DOC_STAFFING_2014 = "统一城乡中小学教职工编制标准（中央编办、教育部、财政部，2014）"
DOC_STAFFING_2001 = "中小学教职工编制标准（2001年，城市/县镇/农村分列）"
DOC_PRESCHOOL_2020 = "县域学前教育普及普惠督导评估办法（教育部，2020）"
DOC_MOE_CLASS_SIZE = "教育部 大班额/超大班额 界定（班额分档）"
DOC_JIANGSU_SCHOOL_STANDARD = "江苏省义务教育学校办学标准（班额）"
DOC_JIANGSU_ROTATION = "江苏省 义务教育教师校长交流轮岗 规定"
DOC_CITY_PLAN_2022 = "连云港市教育局2022年工作计划（2022-02-14 发布）"
DOC_CV_GUIDANCE = "县域义务教育校际均衡指标计算方法（差异系数，按在校生数加权）"


@dataclass(frozen=True)
class Standard:
    """One numeric standard or target.

    Attributes
    ----------
    key : str
        Code name (snake_case, the names of CONTRIBUTING.md, "Names").
    name_zh, name_en : str
        Chinese and English names.
    value : float
        The threshold. Rates and shares are proportions in [0, 1].
    unit : str
        Unit of ``value``.
    direction : {"min", "max"}
        ``"min"``: the measured value must be ≥ ``value``; ``"max"``: ≤ ``value``.
    document, clause : str
        Source document and clause.
    certainty : {"P", "S", "U"}
        How sure we are of the value (see module docstring).
    note : str
        Definitions, denominators, caveats.
    """

    key: str
    name_zh: str
    name_en: str
    value: float
    unit: str
    direction: Literal["min", "max"]
    document: str
    clause: str
    certainty: Certainty
    note: str = ""

    @property
    def citation(self) -> str:
        """Source text for a report: document, clause and certainty."""
        return f"{self.document}，{self.clause} {_CERTAINTY_LABELS[self.certainty]}"

    def meets(self, measured: float) -> bool:
        """Whether ``measured`` satisfies the standard (``≥`` for "min", ``≤`` for "max")."""
        if measured is None or (isinstance(measured, float) and math.isnan(measured)):
            raise ValueError(f"cannot compare a missing value with standard {self.key!r}")
        return measured >= self.value if self.direction == "min" else measured <= self.value


@dataclass(frozen=True)
class QualityIndicator:
    """One of the seven 优质均衡 resource-allocation indicators (资源配置指标), 教督〔2017〕6号.

    Attributes
    ----------
    key : str
        ``"L1"`` … ``"L7"`` (the column name used by :mod:`lyganalysis.metrics.balance`).
    code_name : str
        Glossary-style code name of the per-student quantity.
    name_zh, name_en : str
        Indicator names.
    numerator : str
        Column of :func:`lyganalysis.metrics.balance.school_sections` that is divided by students.
    per_students : int
        100 for "per 100 students" indicators (L1, L2, L3, L7), 1 for per-student ones.
    unit : str
        Unit of the indicator.
    resource_unit : str
        Unit of the numerator (what a school lacks is expressed in it).
    countable : bool
        Whether the numerator counts whole persons or rooms (shortfalls rounded up).
    primary, junior : float
        Per-school thresholds.
    document, clause, certainty
        Source (see :class:`Standard`).
    """

    key: str
    code_name: str
    name_zh: str
    name_en: str
    numerator: str
    per_students: int
    unit: str
    resource_unit: str
    countable: bool
    primary: float
    junior: float
    document: str = DOC_QUALITY_2017
    clause: str = "资源配置 7 项指标"
    certainty: Certainty = "S"

    def threshold(self, stage: str) -> float:
        """Threshold for ``stage`` ("primary" 小学 or "junior" 初中); ValueError otherwise."""
        if stage == "primary":
            return self.primary
        if stage == "junior":
            return self.junior
        raise ValueError(f"{self.key} has thresholds for 'primary' and 'junior' only, not {stage!r}")

    @property
    def citation(self) -> str:
        return f"{self.document}，{self.clause} {_CERTAINTY_LABELS[self.certainty]}"


QUALITY_INDICATORS: Mapping[str, QualityIndicator] = MappingProxyType({
    "L1": QualityIndicator(
        "L1", "above_required_qualification_per_100_students",
        "每百名学生拥有高于规定学历教师数",
        "teachers above the required qualification per 100 students "
        "(primary: 专科 and above; junior: 本科 and above)",
        "above_required_qualification", 100, "teachers / 100 students", "teachers", True, 4.2, 5.3),
    "L2": QualityIndicator(
        "L2", "backbone_teachers_per_100_students", "每百名学生拥有县级以上骨干教师数",
        "county-level-or-above backbone teachers per 100 students",
        "backbone_teachers", 100, "teachers / 100 students", "teachers", True, 1.0, 1.0),
    "L3": QualityIndicator(
        "L3", "pe_arts_teachers_per_100_students", "每百名学生拥有体育、艺术（美术、音乐）专任教师数",
        "PE, music and fine-art full-time teachers per 100 students",
        "pe_arts_teachers", 100, "teachers / 100 students", "teachers", True, 0.9, 0.9),
    "L4": QualityIndicator(
        "L4", "teaching_area_per_student", "生均教学及辅助用房面积",
        "teaching and auxiliary floor area per student",
        "teaching_area_m2", 1, "m² / student", "m²", False, 4.5, 5.8),
    "L5": QualityIndicator(
        "L5", "sports_area_per_student", "生均体育运动场馆面积",
        "sports ground and hall area per student",
        "sports_area_m2", 1, "m² / student", "m²", False, 7.5, 10.2),
    "L6": QualityIndicator(
        "L6", "equipment_value_per_student", "生均教学仪器设备值",
        "teaching equipment value per student",
        "equipment_value_yuan", 1, "yuan / student", "yuan", False, 2000.0, 2500.0),
    "L7": QualityIndicator(
        "L7", "multimedia_classrooms_per_100_students", "每百名学生拥有网络多媒体教室数",
        "networked multimedia classrooms per 100 students",
        "multimedia_classrooms", 100, "rooms / 100 students", "rooms", True, 2.3, 2.4),
})
"""The seven indicators keyed ``"L1"`` … ``"L7"`` (certainty [S])."""


def quality_threshold(key: str, stage: str) -> float:
    """Threshold of 优质均衡 indicator ``key`` ("L1"…"L7") for ``stage`` ("primary"/"junior")."""
    try:
        return QUALITY_INDICATORS[key].threshold(stage)
    except KeyError:
        raise ValueError(f"unknown indicator {key!r}; expected one of {list(QUALITY_INDICATORS)}") from None


@dataclass(frozen=True)
class SchoolRule:
    """Per-school 优质均衡 compliance rule (校际达标): at least ``min_met`` of ``n_indicators``
    indicators reach their thresholds and every other one reaches ``min_ratio_others`` × threshold."""

    min_met: int = 6
    n_indicators: int = 7
    min_ratio_others: float = 0.85
    document: str = DOC_QUALITY_2017
    clause: str = "每所学校至少6项指标达到要求，余项不能低于要求的85%"
    certainty: Certainty = "S"


SCHOOL_RULE = SchoolRule()

QUALITY_CV_LIMITS: Mapping[str, Standard] = MappingProxyType({
    "primary": Standard("quality_cv_limit_primary", "小学校际差异系数", "primary inter-school CV limit",
                        0.50, "coefficient of variation", "max", DOC_QUALITY_2017,
                        "每项指标校际差异系数 小学≤0.50", "S",
                        "Applies to EVERY indicator; the composite CV is informational."),
    "junior": Standard("quality_cv_limit_junior", "初中校际差异系数", "junior inter-school CV limit",
                       0.45, "coefficient of variation", "max", DOC_QUALITY_2017,
                       "每项指标校际差异系数 初中≤0.45", "S",
                       "Applies to EVERY indicator; the composite CV is informational."),
})
"""2017 per-indicator 差异系数 limits by stage."""

BASIC_BALANCE_COMPOSITE_LIMITS: Mapping[str, Standard] = MappingProxyType({
    "primary": Standard("basic_balance_composite_cv_primary", "小学综合差异系数", "primary composite CV limit",
                        0.65, "coefficient of variation", "max", DOC_BASIC_2012,
                        "8项指标综合差异系数 小学≤0.65", "S"),
    "junior": Standard("basic_balance_composite_cv_junior", "初中综合差异系数", "junior composite CV limit",
                       0.55, "coefficient of variation", "max", DOC_BASIC_2012,
                       "8项指标综合差异系数 初中≤0.55", "S"),
})
"""2012 basic-balance composite (mean of 8 CVs) limits by stage (historical years)."""

BASIC_BALANCE_INDICATORS: tuple[tuple[str, str, str], ...] = (
    ("teaching_area_per_student", "生均教学及辅助用房面积", "teaching and auxiliary area per student"),
    ("sports_area_per_student", "生均体育运动场馆面积", "sports area per student"),
    ("equipment_value_per_student", "生均教学仪器设备值", "equipment value per student"),
    ("computers_per_100_students", "每百名学生拥有计算机台数", "computers per 100 students"),
    ("books_per_student", "生均图书册数", "books per student"),
    ("teachers_per_100_students", "师生比", "teacher–student ratio"),
    ("above_required_qualification_per_100_students", "生均高于规定学历教师数",
     "above-qualification teachers per student"),
    ("intermediate_title_teachers_per_100_students", "生均中级及以上专业技术职务教师数",
     "teachers with intermediate-or-higher titles per student"),
)
"""The eight 2012 basic-balance indicators (教督〔2012〕3号) [S]."""

QUALITY_BALANCE_FROM_YEAR = 2017
"""School years ≥ this are assessed under the 2017 优质均衡 rule (教督〔2017〕6号, per-indicator CV);
earlier years under the 2012 basic-balance rule (教督〔2012〕3号, composite CV). Used by
:func:`lyganalysis.metrics.balance.balance_assessment` with ``standard="auto"``."""

INTERMEDIATE_OR_HIGHER_TITLES: tuple[str, ...] = ("senior_professor", "senior", "first")
"""Teacher ``title`` codes counted as 中级及以上专业技术职务 (intermediate or higher) for the 2012
indicator B8. In the unified primary/secondary title system (2015 reform) 正高级 and 高级 are senior and
一级 is the intermediate (中级) grade; 二级 is junior (初级) and 三级 the lowest (员级). Data recorded in
the pre-2015 separate primary system must map 小学高级 (then an intermediate title) to ``first`` and
中学高级 to ``senior`` at intake, otherwise B8 is understated for primary schools [S]."""


@dataclass(frozen=True)
class BasicIndicator:
    """One of the eight 2012 basic-balance indicators (教督〔2012〕3号). No per-school thresholds: the
    2012 rule tests only the composite (mean of the 8) 差异系数.

    ``numerator`` is a column of :func:`lyganalysis.metrics.balance.school_sections`; the value is
    ``numerator × per_students / students``. "Per student" teacher indicators are expressed per 100
    students (the CV does not depend on the scale)."""

    key: str
    code_name: str
    name_zh: str
    name_en: str
    numerator: str
    per_students: int
    unit: str
    document: str = DOC_BASIC_2012
    clause: str = "8项指标"
    certainty: Certainty = "S"
    note: str = ""

    @property
    def citation(self) -> str:
        return f"{self.document}，{self.clause} {_CERTAINTY_LABELS[self.certainty]}"


BASIC_INDICATORS: Mapping[str, BasicIndicator] = MappingProxyType({
    key: BasicIndicator(key, code, zh, en, num, per, unit, note=note)
    for key, (code, zh, en), num, per, unit, note in zip(
        ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8"),
        BASIC_BALANCE_INDICATORS,
        ("teaching_area_m2", "sports_area_m2", "equipment_value_yuan", "computers", "books", "teachers",
         "above_required_qualification", "intermediate_title_teachers"),
        (1, 1, 1, 100, 1, 100, 100, 100),
        ("m² / student", "m² / student", "yuan / student", "computers / 100 students", "books / student",
         "teachers / 100 students", "teachers / 100 students", "teachers / 100 students"),
        ("", "", "", "Whole-school computers apportioned by the 1 : 1.1 : 1.32 student weights.",
         "Whole-school books apportioned by the 1 : 1.1 : 1.32 student weights.", "Full-time teachers (专任教师).",
         "Primary: 专科 and above; junior: 本科 and above.",
         "Counted from the teachers table: titles in INTERMEDIATE_OR_HIGHER_TITLES (正高级, 高级, 一级)."))
})
"""The eight 2012 indicators keyed ``"B1"`` … ``"B8"`` with the columns they are computed from."""

# ---------------------------------------------------------------------------------------------
# Staffing (编制标准): students per staff member (教职工与学生比 1 : x → x)

STAFFING_2014: Mapping[str, Standard] = MappingProxyType({
    stage: Standard(f"staffing_2014_{stage}", f"{zh}教职工与学生比", f"{stage} staff–student ratio (2014)",
                    x, "students per staff member", "max", DOC_STAFFING_2014,
                    f"城乡统一 {zh} 1:{x:g}", "S",
                    "教职工 (all staff), not 专任教师: needs derived from it are staff posts.")
    for stage, zh, x in (("senior", "高中", 12.5), ("junior", "初中", 13.5), ("primary", "小学", 19.0))
})
"""2014 unified urban–rural staffing standard, used for school years ≥ 2014 [S]."""

_STAFFING_2001_VALUES = {
    "senior": {"urban": 12.5, "town": 13.0, "rural": 13.5},
    "junior": {"urban": 13.5, "town": 16.0, "rural": 18.0},
    "primary": {"urban": 19.0, "town": 21.0, "rural": 23.0},
}
STAFFING_2001: Mapping[tuple[str, str], Standard] = MappingProxyType({
    (stage, loc): Standard(f"staffing_2001_{stage}_{loc}", f"{stage}/{loc} 教职工与学生比",
                           f"{stage} staff–student ratio, {loc} (2001)", x, "students per staff member",
                           "max", DOC_STAFFING_2001,
                           f"城市/县镇/农村 → urban/town/rural 1:{x:g}", "S",
                           "The 2001 categories 城市/县镇/农村 are mapped to the locale codes "
                           "urban/town/rural (11x/12x/2xx); this mapping is an approximation.")
    for stage, by_loc in _STAFFING_2001_VALUES.items() for loc, x in by_loc.items()
})
"""2001 staffing standard by stage and locale, used for school years before 2014 [S]."""

KINDERGARTEN_CHILDREN_PER_TEACHER = Standard(
    "kindergarten_children_per_teacher", "幼儿园专任教师与幼儿比", "children per kindergarten teacher",
    15.0, "children per teacher", "max", DOC_PRESCHOOL_2020, "教师与幼儿比 ≤ 1:15", "S")

STAFFING_STANDARD_2014_FROM_YEAR = 2014
"""School years ≥ this use :data:`STAFFING_2014`; earlier ones :data:`STAFFING_2001`."""


def staffing_standard(stage: str, *, school_year: int, locale: str | None = None) -> float:
    """Students per staff member allowed by the staffing standard (编制标准, 教职工与学生比).

    Parameters
    ----------
    stage : {"primary", "junior", "senior", "preschool"}
        School stage (学段). ``"preschool"`` returns the kindergarten teacher:child norm 1:15.
    school_year : int
        School year (2022 = 2022–23). ≥ 2014 → the 2014 unified urban–rural standard
        (primary 19, junior 13.5, senior 12.5); earlier → the 2001 table by locale.
    locale : {"urban", "town", "rural"}, optional
        Needed only for school years before 2014 (城市 / 县镇 / 农村 of the 2001 standard).

    Returns
    -------
    float
        Students per staff member (the ``x`` of ``1 : x``).

    Raises
    ------
    ValueError
        Unknown stage or locale, or a pre-2014 year without a locale.

    Notes
    -----
    Source: [S]; 2014 统一城乡中小学教职工编制标准 and the 2001 standard.
    The standard counts all staff (教职工), not only full-time teachers (专任教师).
    """
    if stage == "preschool":
        return KINDERGARTEN_CHILDREN_PER_TEACHER.value
    if stage not in ("primary", "junior", "senior"):
        raise ValueError(f"unknown stage {stage!r}; expected primary, junior, senior or preschool")
    if int(school_year) >= STAFFING_STANDARD_2014_FROM_YEAR:
        return STAFFING_2014[stage].value
    if locale is None:
        raise ValueError(f"school year {school_year} is before 2014: the 2001 staffing standard depends "
                         "on locale (urban/town/rural); pass locale=")
    if locale not in ("urban", "town", "rural"):
        raise ValueError(f"unknown locale {locale!r}; expected urban, town or rural")
    return STAFFING_2001[(stage, locale)].value


# ---------------------------------------------------------------------------------------------
# Class size (班额)

@dataclass(frozen=True)
class ClassSizeBand:
    """A class-size band (班额分档): ``lower ≤ size ≤ upper`` (``upper`` None = no limit)."""

    key: str
    name_zh: str
    name_en: str
    lower: int
    upper: int | None
    document: str = DOC_MOE_CLASS_SIZE
    clause: str = "大班额、超大班额界定"
    certainty: Certainty = "S"


CLASS_SIZE_BANDS: tuple[ClassSizeBand, ...] = (
    ClassSizeBand("normal", "正常班额", "normal (≤ 45)", 0, 45),
    ClassSizeBand("moderately_large_class", "偏大班额", "moderately large (46–55)", 46, 55),
    ClassSizeBand("large_class", "大班额", "large (56–65)", 56, 65),
    ClassSizeBand("super_large_class", "超大班额", "super-large (≥ 66)", 66, None),
)
"""MoE class-size bands [S]."""

CLASS_SIZE_LIMITS: Mapping[str, Standard] = MappingProxyType({
    "jiangsu_primary": Standard("jiangsu_class_size_primary", "江苏小学班额", "Jiangsu primary class size",
                                40, "students per class", "max", DOC_JIANGSU_SCHOOL_STANDARD,
                                "小学原则上≤40人", "S"),
    "jiangsu_junior": Standard("jiangsu_class_size_junior", "江苏初中班额", "Jiangsu junior class size",
                               45, "students per class", "max", DOC_JIANGSU_SCHOOL_STANDARD,
                               "初中原则上≤45人", "S"),
    "quality_primary": Standard("quality_class_size_primary", "优质均衡 小学每班班额",
                                "quality-balance primary class size (every class)", 45, "students per class",
                                "max", DOC_QUALITY_2017, "政府保障程度：所有班级小学≤45人", "S"),
    "quality_junior": Standard("quality_class_size_junior", "优质均衡 初中每班班额",
                               "quality-balance junior class size (every class)", 50, "students per class",
                               "max", DOC_QUALITY_2017, "政府保障程度：所有班级初中≤50人", "S"),
})


def class_size_band(size: float) -> str:
    """Key of the MoE class-size band of ``size`` students (see :data:`CLASS_SIZE_BANDS`).

    Raises ValueError for a missing or negative size.
    """
    if size is None or (isinstance(size, float) and math.isnan(size)) or size < 0:
        raise ValueError(f"class size must be a non-negative number, got {size!r}")
    for band in CLASS_SIZE_BANDS:
        if size >= band.lower and (band.upper is None or size <= band.upper):
            return band.key
    # non-integer sizes between bands (e.g. 45.5) go to the band above
    for band in CLASS_SIZE_BANDS:
        if size < band.lower:
            return band.key
    return CLASS_SIZE_BANDS[-1].key  # pragma: no cover


# ---------------------------------------------------------------------------------------------
# Teacher rotation (交流轮岗)

ROTATION_TARGETS: Mapping[str, Standard] = MappingProxyType({
    "jiangsu_teachers": Standard("rotation_rate_jiangsu", "江苏 教师交流轮岗比例", "Jiangsu rotation rate",
                                 0.15, "share of full-time teachers per year", "min", DOC_JIANGSU_ROTATION,
                                 "每年交流专任教师≥15%", "P",
                                 "Eligible pool (2014 description, [S]): ≥ 6 years in the same school and "
                                 "> 5 years to retirement."),
    "jiangsu_backbone": Standard("rotation_rate_jiangsu_backbone", "江苏 骨干教师交流比例",
                                 "Jiangsu backbone rotation rate", 0.15, "share of backbone teachers per year",
                                 "min", DOC_JIANGSU_ROTATION, "每年交流骨干教师≥15%", "P"),
    "national": Standard("rotation_rate_national", "全国 教师交流轮岗比例", "national rotation rate",
                         0.10, "share of eligible teachers per year", "min", DOC_QUALITY_2017,
                         "政府保障程度：每年交流轮岗≥符合条件教师的10%", "S"),
    "national_backbone_share": Standard("rotation_backbone_share_national", "交流轮岗中骨干教师占比",
                                        "backbone share of rotated teachers", 0.20,
                                        "share of rotated teachers", "min", DOC_QUALITY_2017,
                                        "政府保障程度：骨干教师≥交流轮岗教师总数的20%", "S"),
    "city_2022": Standard("rotation_rate_city_2022", "教师交流轮岗比例（市目标）", "city rotation target",
                          0.15, "share of eligible teachers per year", "min", DOC_CITY_PLAN_2022,
                          "六、教师队伍", "P"),
})

ROTATION_MIN_YEARS_IN_SCHOOL = 6
ROTATION_MIN_YEARS_TO_RETIREMENT = 5  # strictly more than 5 years ([S])

# ---------------------------------------------------------------------------------------------
# Pre-school (学前教育普及普惠, 2020) [S/P]

PRESCHOOL_TARGETS_2020: Mapping[str, Standard] = MappingProxyType({
    "gross_enrolment": Standard("preschool_gross_enrolment_rate", "学前三年毛入园率", "3-year gross enrolment rate",
                                0.85, "proportion", "min", DOC_PRESCHOOL_2020, "普及普惠督导评估 主要指标", "S"),
    "affordable_coverage": Standard("affordable_kindergarten_coverage_rate", "普惠性幼儿园覆盖率",
                                    "affordable kindergarten coverage rate", 0.80, "proportion of enrolled children",
                                    "min", DOC_PRESCHOOL_2020, "普及普惠督导评估 主要指标", "S",
                                    "Children in public or recognised affordable private kindergartens / all enrolled."),
    "public_share": Standard("public_kindergarten_share", "公办园在园幼儿占比", "public kindergarten share",
                             0.50, "proportion of enrolled children", "min", DOC_PRESCHOOL_2020,
                             "普及普惠督导评估 主要指标", "S"),
    "class_size_compliance": Standard("kindergarten_class_size_compliance_rate", "班额达标率",
                                      "class-size compliance rate", 0.85, "proportion of classes", "min",
                                      DOC_PRESCHOOL_2020, "普及普惠督导评估 主要指标", "S"),
})

# ---------------------------------------------------------------------------------------------
# Government-guarantee items with numbers (政府保障程度), 2017 [S]

GOVERNMENT_GUARANTEE: Mapping[str, Standard] = MappingProxyType({
    "school_size": Standard("max_school_size", "学校规模", "school size", 2000, "students", "max",
                            DOC_QUALITY_2017, "政府保障程度", "S",
                            "9-/12-year through schools: ≤ 2500 in the compulsory part."),
    "through_school_size": Standard("max_through_school_size", "九年/十二年一贯制学校规模（义务段）",
                                    "through-school size (compulsory part)", 2500, "students", "max",
                                    DOC_QUALITY_2017, "政府保障程度", "S"),
    "classes_per_music_art_room": Standard("classes_per_music_art_room", "每12个班配备音乐、美术专用教室各1间",
                                           "one music and one art room per 12 classes", 12,
                                           "classes per room (rooms needed = ceil(classes / 12))", "max",
                                           DOC_QUALITY_2017, "政府保障程度", "S"),
    "music_room_area": Standard("min_music_room_area", "音乐专用教室面积", "music room area", 96, "m²", "min",
                                DOC_QUALITY_2017, "政府保障程度", "S"),
    "art_room_area": Standard("min_art_room_area", "美术专用教室面积", "art room area", 90, "m²", "min",
                              DOC_QUALITY_2017, "政府保障程度", "S"),
    "special_school_funding": Standard("special_school_funding_per_student", "特殊教育学校生均公用经费",
                                       "special-school public funding per student", 6000, "yuan / student",
                                       "min", DOC_QUALITY_2017, "政府保障程度", "S"),
    "training_hours": Standard("training_hours_per_5_years", "教师5年360学时培训", "training hours per 5 years",
                               360, "hours per teacher per 5 years", "min", DOC_QUALITY_2017,
                               "政府保障程度", "S", "Completion rate must be 100 %."),
    "zoned_admission_primary": Standard("zoned_admission_rate_primary", "小学就近划片入学比例",
                                        "primary nearby zoned admission", 1.0, "proportion", "min",
                                        DOC_QUALITY_2017, "政府保障程度", "S"),
    "zoned_admission_junior": Standard("zoned_admission_rate_junior", "初中就近划片入学比例",
                                       "junior nearby zoned admission", 0.95, "proportion", "min",
                                       DOC_QUALITY_2017, "政府保障程度", "S"),
    "quality_senior_places_allocated": Standard("quality_senior_places_allocated_share",
                                                "优质高中招生名额分配到初中比例",
                                                "quality senior-high places allocated to junior schools", 0.50,
                                                "proportion", "min", DOC_QUALITY_2017,
                                                "政府保障程度", "S"),
    "migrant_public_places": Standard("migrant_public_place_rate", "随迁子女在公办学校和政府购买学位就读比例",
                                      "migrant children in public or purchased places", 0.85, "proportion",
                                      "min", DOC_QUALITY_2017, "政府保障程度", "S"),
    "junior_retention": Standard("junior_retention_rate", "初中三年巩固率", "3-year junior retention rate", 0.95,
                                 "proportion", "min", DOC_QUALITY_2017, "教育质量", "S"),
    "disabled_enrolment": Standard("disabled_enrolment_rate", "残疾儿童少年入学率",
                                   "disabled children's enrolment rate", 0.95, "proportion", "min",
                                   DOC_QUALITY_2017, "教育质量", "S"),
    "monitoring_difference_rate": Standard("between_school_difference_rate", "国家义务教育质量监测 校际差异率",
                                           "between-school difference rate (national monitoring)", 0.15,
                                           "rate", "max", DOC_QUALITY_2017, "教育质量", "U",
                                           "The definition of 校际差异率 is unconfirmed: compute it only with an "
                                           "explicitly chosen definition."),
})

# ---------------------------------------------------------------------------------------------
# City targets from the 2022 work plan (the scorecard)

CITY_TARGETS_2022: Mapping[str, Standard] = MappingProxyType({
    "monitoring_point_school_share": Standard(
        "monitoring_point_school_share", "监测点90%达标学校占比", "share of schools meeting ≥ 90 % of monitoring points",
        0.70, "proportion of schools", "min", DOC_CITY_PLAN_2022, "三、推进义务教育优质均衡（办学标准监测点达标）", "U",
        "Reading [U]: a school counts when it meets ≥ 90 % (MONITORING_POINT_SCHOOL_SHARE_CUT) of the "
        "provincial monitoring points; the point list is input data."),
    "quality_kindergarten_coverage_rate": Standard(
        "quality_kindergarten_coverage_rate", "省市优质园覆盖率", "quality-rated kindergarten coverage rate",
        0.90, "proportion of enrolled children", "min", DOC_CITY_PLAN_2022, "工作计划 学前与特殊教育目标", "P",
        "Denominator [U]: make it explicit (enrolled children)."),
    "public_affordable_kindergarten_coverage_rate": Standard(
        "public_affordable_kindergarten_coverage_rate", "公办和普惠园覆盖率",
        "public and affordable kindergarten coverage rate", 0.85, "proportion of enrolled children", "min",
        DOC_CITY_PLAN_2022, "工作计划 学前与特殊教育目标", "P"),
    "disabled_placement_rate": Standard(
        "disabled_placement_rate", "适龄残疾儿童少年义务教育入学安置率",
        "enrolment and placement rate of school-age disabled children", 0.98,
        "proportion of school-age disabled children", "min", DOC_CITY_PLAN_2022, "工作计划 学前与特殊教育目标", "P",
        "Placement modes: regular class 随班就读, special school, home/institution teaching 送教上门. "
        "Denominator [U]: make it explicit."),
    "disabled_regular_school_share": Standard(
        "disabled_regular_school_share", "普通学校就读残疾学生占比", "share of disabled students in ordinary schools",
        0.80, "proportion of disabled students of the stage", "min", DOC_CITY_PLAN_2022,
        "工作计划 学前与特殊教育目标", "P"),
    "rotation_rate": Standard(
        "rotation_rate", "教师交流轮岗比例", "teacher rotation rate", 0.15, "proportion of eligible teachers",
        "min", DOC_CITY_PLAN_2022, "六、教师队伍（交流轮岗）", "P"),
    "new_teachers": Standard(
        "new_teachers", "新招聘教师数", "new teachers per year", 1500, "teachers per year", "min",
        DOC_CITY_PLAN_2022, "工作计划 年度目标", "P",
        "With more music, PE, art, labour and mental-health teachers."),
    "pe_hours_per_day": Standard(
        "pe_hours_per_day", "每天校园体育活动时间", "PE and physical activity per day", 1.0, "hours per day", "min",
        DOC_CITY_PLAN_2022, "工作计划 年度目标", "P"),
})
"""Quantitative city targets of the 2022 work plan. Non-numeric ones (Ganyu's
national 优质均衡 recognition, the development zone's provincial recognition) are not encoded."""

MONITORING_POINT_SCHOOL_SHARE_CUT = Standard(
    "monitoring_point_cut", "学校监测点达标比例", "share of monitoring points a school must meet", 0.90,
    "proportion of monitoring points", "min", DOC_CITY_PLAN_2022, "办学标准监测点（省标准，清单未公开）", "U",
    "Most likely reading of 监测点90%达标; the official point list was not found.")

# ---------------------------------------------------------------------------------------------
# 差异系数 computation conventions

STUDENT_WEIGHTS: Mapping[str, float] = MappingProxyType({"primary": 1.0, "junior": 1.1, "senior": 1.32})
"""Student weights primary : junior : senior = 1 : 1.1 : 1.32 used to split a combined school's physical
resources between its stages ([S]). The complete-middle-school rule B/(B+1.2C) is the
same ratio: 1.32 / 1.1 = 1.2."""

SMALL_TEACHING_POINT_STUDENTS = 50
"""Teaching points (教学点) with fewer pupils are excluded from the CV (Hebei rules, [S])."""

# ---------------------------------------------------------------------------------------------
# Teacher workforce structure (教师队伍结构): retirement ages, required qualification, specialists

DOC_RETIREMENT_1978 = "国务院关于安置老弱病残干部的暂行办法 / 关于工人退休、退职的暂行办法（1978，国发〔1978〕104号）"
DOC_RETIREMENT_REFORM_2024 = ("全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定（2024年9月13日）"
                              "及所附《职工法定退休年龄调整对照表》")

STATUTORY_RETIREMENT_AGE: Mapping[str, Standard] = MappingProxyType({
    "male": Standard("retirement_age_male", "男职工法定退休年龄", "statutory retirement age, men", 60, "years",
                     "max", DOC_RETIREMENT_1978, "男年满60周岁（改革前）", "S",
                     "A default of retirements(); pass retirement_age= to change it."),
    "female": Standard("retirement_age_female", "女干部（含专业技术人员）法定退休年龄",
                       "statutory retirement age, women in professional/cadre posts", 55, "years", "max",
                       DOC_RETIREMENT_1978, "女干部年满55周岁（改革前）", "U",
                       "Teachers are professional staff (专业技术人员): 55 is the usual age; women with senior "
                       "titles may retire at 60 by local rules, women workers at 50. Unconfirmed [U], a "
                       "default of retirements() only."),
})
"""Statutory retirement ages before the 2025 reform, by gender (defaults, not hard-coded truths)."""


@dataclass(frozen=True)
class RetirementReformRule:
    """One schedule of the gradual retirement-age reform (渐进式延迟法定退休年龄).

    Someone whose ORIGINAL retirement month (birth month + ``original_age`` years) falls on or after
    ``start_year``-01 retires ``delay`` months later, where
    ``delay = min(max_delay_months, floor(months from start_year-01 to the original month / step_months) + 1)``.
    Original months before ``start_year``-01 keep the original age.
    """

    original_age: int
    step_months: int
    max_delay_months: int
    start_year: int = 2025
    document: str = DOC_RETIREMENT_REFORM_2024
    clause: str = ""
    certainty: Certainty = "U"


RETIREMENT_REFORM_2025: Mapping[int, RetirementReformRule] = MappingProxyType({
    60: RetirementReformRule(60, 4, 36, clause="男职工 60→63 岁：每4个月延迟1个月，15年到位"),
    55: RetirementReformRule(55, 4, 36, clause="女干部（原55岁）55→58 岁：每4个月延迟1个月，15年到位"),
    50: RetirementReformRule(50, 2, 60, clause="女职工（原50岁）50→55 岁：每2个月延迟1个月，15年到位"),
})
"""The 2025 gradual retirement-age reform by original age [U: from the decision of
13 Sept 2024 and its table as reproduced publicly; check against the official table before relying on it].
Example: a man born in Jan 1965 (original retirement Jan 2025) retires at 60 years 1 month; men born from
Sept 1976 on retire at 63 (max delay 36 months, reached for original months from Sept 2036)."""

REQUIRED_QUALIFICATION_ABOVE: Mapping[str, Standard] = MappingProxyType({
    "primary": Standard("above_required_qualification_primary", "小学高于规定学历（专科及以上）",
                        "primary: above the required qualification (associate degree or higher)", 0,
                        "qualification level", "min", DOC_QUALITY_2017,
                        "L1 每百名学生拥有高于规定学历教师数：小学专科及以上", "S"),
    "junior": Standard("above_required_qualification_junior", "初中高于规定学历（本科及以上）",
                       "junior: above the required qualification (bachelor or higher)", 0,
                       "qualification level", "min", DOC_QUALITY_2017,
                       "L1 每百名学生拥有高于规定学历教师数：初中本科及以上", "S"),
})
"""L1 definition of "above the required qualification" by stage; the qualifications that count are in
:data:`ABOVE_REQUIRED_QUALIFICATIONS`."""

ABOVE_REQUIRED_QUALIFICATIONS: Mapping[str, frozenset] = MappingProxyType({
    "primary": frozenset({"postgraduate", "bachelor", "associate"}),
    "junior": frozenset({"postgraduate", "bachelor"}),
})
"""Qualification codes above the required level, by stage (L1 [S])."""

SPECIALIST_SUBJECTS: tuple[str, ...] = ("music", "pe", "fine_art", "it", "mental_health")
"""Subjects for which every compulsory school should have at least one specialist teacher (the city
plan's call for more music, PE, art and mental-health teachers; IT added by the issue).
That each school needs ≥ 1 of each is an analysis convention, not a published norm [U]."""

PE_ARTS_SUBJECTS: tuple[str, ...] = ("pe", "music", "fine_art")
"""Subjects counted by L3 (体育、艺术（音乐、美术）专任教师 [S])."""

# =============================================================================================
# Planning assumptions (NOT standards): default unit costs of the least-cost plan
# (lyganalysis.metrics.plan). Every record here is an assumption [U] of this project, a default of a
# parameter that a bureau replaces with its own budget prices; none of them is a published figure.

DOC_PLAN_ASSUMPTION = "本项目测算假设（非官方标准；按本地预算单价替换）"


@dataclass(frozen=True)
class UnitCost:
    """Default unit cost of one kind of addition in the least-cost plan (an assumption, never a fact).

    Attributes
    ----------
    key : str
        Addition kind, as in :data:`lyganalysis.metrics.plan.ADDITION_KEYS`.
    name_zh, name_en : str
    value : float
        Cost in yuan per ``unit``.
    unit : str
        What one unit of the addition is.
    basis : str
        What the cost stands for (one-off or one year, what it includes).
    document : str
        Always :data:`DOC_PLAN_ASSUMPTION`.
    certainty : {"U"}
        Always ``"U"``: pass your own ``costs=`` to the planning functions.
    """

    key: str
    name_zh: str
    name_en: str
    value: float
    unit: str
    basis: str
    document: str = DOC_PLAN_ASSUMPTION
    certainty: Certainty = "U"

    @property
    def citation(self) -> str:
        return f"{self.document} {_CERTAINTY_LABELS[self.certainty]}"


PLAN_UNIT_COSTS: Mapping[str, UnitCost] = MappingProxyType({
    "above_qualification_teachers": UnitCost(
        "above_qualification_teachers", "新聘高于规定学历教师", "new teacher above the required qualification",
        120_000.0, "yuan per teacher",
        "one year of employer cost of a new full-time teacher (salary, social insurance, housing fund) [U]"),
    "pe_arts_teachers": UnitCost(
        "pe_arts_teachers", "新聘体育、艺术专任教师", "new PE / music / fine-art teacher",
        120_000.0, "yuan per teacher",
        "as a new teacher; the new PE/arts teacher is assumed to hold the qualification above the stage's "
        "required one, so it also counts for L1 [U]"),
    "backbone_designations": UnitCost(
        "backbone_designations", "认定县级以上骨干教师", "designation of an existing teacher as backbone teacher",
        20_000.0, "yuan per designated teacher",
        "training for the designation and one year of the backbone allowance [U]"),
    "teaching_area_m2": UnitCost(
        "teaching_area_m2", "新增教学及辅助用房面积", "added teaching and auxiliary floor area",
        3_500.0, "yuan per m²", "construction with fit-out, one-off [U]"),
    "sports_area_m2": UnitCost(
        "sports_area_m2", "新增体育运动场馆面积", "added sports ground and hall area",
        500.0, "yuan per m²", "mostly outdoor ground with surface, one-off; a sports hall costs far more [U]"),
    "equipment_value_yuan": UnitCost(
        "equipment_value_yuan", "新增教学仪器设备值", "added teaching equipment value",
        1.0, "yuan per yuan of equipment value", "equipment valued at its purchase price [U]"),
    "multimedia_classrooms": UnitCost(
        "multimedia_classrooms", "新增网络多媒体教室", "added networked multimedia classroom",
        60_000.0, "yuan per room",
        "equipping an existing classroom (interactive display, computer, network), one-off; adds no floor "
        "area [U]"),
})
"""Default unit costs of the seven addition kinds of the least-cost plan — project assumptions [U], not
published standards; parameters of :func:`lyganalysis.metrics.plan.county_plan` and
:func:`lyganalysis.metrics.plan.least_additions` (``costs=``)."""
