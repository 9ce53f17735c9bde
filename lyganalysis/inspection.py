"""The whole 优质均衡 inspection as data: every item of the four blocks and the veto items.

The national county evaluation of high-quality balanced compulsory education (县域义务教育优质均衡
发展督导评估, :data:`lyganalysis.standards.DOC_QUALITY_2017`) has four blocks, all of which must pass, and
a list of veto items (一票否决):

* ``resources`` 资源配置 — the seven per-school indicators L1–L7: every school must meet the school
  rule (:data:`lyganalysis.standards.SCHOOL_RULE`) AND the inter-school 差异系数 of every indicator
  must be within :data:`lyganalysis.standards.QUALITY_CV_LIMITS` (7 items + the school rule);
* ``guarantee`` 政府保障程度 — 15 items, all must be met;
* ``quality`` 教育质量 — 9 items, all must be met;
* ``recognition`` 社会认可度 — the survey, ≥ 85 % satisfied (also a veto item);
* ``veto`` 一票否决 — 以考试方式招生, 违规择校, 重点校/重点班, 社会认可度 < 85 %, and (reported, [U])
  serious safety incidents and large-scale cheating or falsified data.

Each :class:`InspectionItem` says what it asks (Chinese wording, short English), its kind
(``quantitative``, ``evidence`` — documents to show, ``rating`` — an inspectors' grade, ``veto`` —
declared by the county), the figure keys that decide it (:data:`lyganalysis.analysis.readiness.FIGURES`)
and its thresholds: the national value decides, the value of another profile (Jiangsu province or
the city plan) is carried beside it.

The wording here is a summary in our own words of the published item list; certainty codes as in
:mod:`lyganalysis.standards` (``"P"`` government text, ``"S"`` agreeing secondary reproductions,
``"U"`` unconfirmed — such values are defaults of settings). The primary MoE text was not found:
items and thresholds come from agreeing reproductions of the evaluation and from one city's full
indicator system with formulas and evidence lists, hence mostly ``"S"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from lyganalysis.standards import (
    DOC_CITY_PLAN_2022,
    DOC_JIANGSU_ROTATION,
    DOC_QUALITY_2017,
    QUALITY_CV_LIMITS,
    QUALITY_INDICATORS,
    Certainty,
)

__all__ = [
    "BLOCKS", "KINDS", "PROFILES", "ItemCheck", "InspectionItem", "INSPECTION_ITEMS", "items_of_block",
    "INSPECTION_UNITS", "NON_INSPECTION_UNITS", "DOC_JIANGSU_QUALITY", "ROOM_AREA_EXEMPTIONS",
    "SCHOOL_SIZE_EXEMPTIONS", "DECIDED_BY",
]

Block = Literal["resources", "guarantee", "quality", "recognition", "veto"]
Kind = Literal["quantitative", "evidence", "rating", "veto"]

BLOCKS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "resources": ("资源配置", "resource allocation"),
    "guarantee": ("政府保障程度", "government guarantee"),
    "quality": ("教育质量", "education quality"),
    "recognition": ("社会认可度", "social recognition"),
    "veto": ("一票否决", "veto items"),
})
"""The four blocks of the evaluation plus the veto list, in report order (zh, en)."""

KINDS = ("quantitative", "evidence", "rating", "veto")

DOC_JIANGSU_QUALITY = "江苏省 县域义务教育优质均衡发展 推进与评估要求（省级口径）"

PROFILES: Mapping[str, str] = MappingProxyType({
    "national": "全国（教督〔2017〕6号）",
    "jiangsu": "江苏省及连云港市口径",
})
"""Threshold profiles. ``national`` decides the national items; ``jiangsu`` (province and city plan
values where they are stricter) is shown beside it."""

#: County-level units of the national inspection (GB/T 2260 districts and counties of Lianyungang).
INSPECTION_UNITS: tuple[str, ...] = ("海州区", "连云区", "赣榆区", "东海县", "灌云县", "灌南县")
#: Reporting units of the bureau that are not units of the national inspection (functional zones and
#: city-run schools); they get the readiness table, marked as such.
NON_INSPECTION_UNITS: tuple[str, ...] = ("开发区", "徐圩新区", "云台山景区", "市直")


@dataclass(frozen=True)
class ItemCheck:
    """One numeric condition of an item: ``figures[figure] <op> threshold``.

    Attributes
    ----------
    figure : str
        Figure key (see :data:`lyganalysis.analysis.readiness.FIGURES`).
    op : {"ge", "le", "lt"}
        ``ge``: value ≥ threshold; ``le``: value ≤ threshold; ``lt``: value < threshold.
    national : float
        The national threshold (decides). Shares are proportions in [0, 1].
    unit : str
        Unit of the figure and threshold.
    profile_values : mapping
        Thresholds of other profiles (``{"jiangsu": 0.15}``); a profile not listed uses ``national``.
    label_zh, label_en : str
        What is compared (for tables).
    """

    figure: str
    op: Literal["ge", "le", "lt"]
    national: float
    unit: str
    label_zh: str
    label_en: str
    profile_values: Mapping[str, float] = field(default_factory=dict)

    def threshold(self, profile: str = "national") -> float:
        """Threshold under ``profile`` (``national`` or a key of :data:`PROFILES`)."""
        if profile not in PROFILES:
            raise ValueError(f"unknown threshold profile {profile!r}; expected one of {list(PROFILES)}")
        if profile == "national":
            return self.national
        return float(self.profile_values.get(profile, self.national))

    def passes(self, value: float, profile: str = "national") -> bool:
        """Whether ``value`` meets the condition under ``profile``."""
        t = self.threshold(profile)
        return {"ge": value >= t, "le": value <= t, "lt": value < t}[self.op]


@dataclass(frozen=True)
class InspectionItem:
    """One item of the evaluation.

    Attributes
    ----------
    key : str
        ``R1``–``R7`` (indicators L1–L7), ``R8`` (the school rule), ``G1``–``G15``, ``Q1``–``Q9``,
        ``S1``, ``V1``–``V6``.
    block : str
        Key of :data:`BLOCKS`.
    number : int
        Number within the block (as in the published list; R8 = the school rule).
    name_zh, name_en : str
        Wording (summary in our own words) and a short English name.
    kind : {"quantitative", "evidence", "rating", "veto"}
        ``evidence``/``rating`` items are never "met" by figures: they show "evidence required".
        ``veto`` items are declared by the county in the form (S1's veto V4 is decided by the survey).
    checks : tuple of ItemCheck
        Numeric conditions (all must hold). Empty for evidence/rating/declared items.
    shown : tuple of str
        Figure keys shown beside the verdict but not deciding it (e.g. funding quotas for G2).
    declared : str or None
        For declared veto items: the yes/no figure key; ``True`` (是) means the veto applies.
    counted : bool
        Whether the item is one of the 31 items of the three numbered blocks (7 + 15 + 9).
    document, clause, certainty
        Source document, clause and certainty ("P"/"S"/"U").
    note : str
        Definitions, formulas and caveats.

    The input that decides the item is :attr:`decided_by` (from :data:`DECIDED_BY`): ``tables``
    (schools/teachers), ``county_facts``, ``form`` (the county form), ``tables_or_form`` (the tables
    when they hold the figure, else the form), ``survey`` or ``evidence`` (documents, ratings).
    """

    key: str
    block: Block
    number: int
    name_zh: str
    name_en: str
    kind: Kind
    checks: tuple[ItemCheck, ...] = ()
    shown: tuple[str, ...] = ()
    declared: str | None = None
    counted: bool = True
    document: str = DOC_QUALITY_2017
    clause: str = ""
    certainty: Certainty = "S"
    note: str = ""

    @property
    def decided_by(self) -> str:
        """Which input decides the item (see :data:`DECIDED_BY`)."""
        return DECIDED_BY[self.key]

    @property
    def inputs(self) -> tuple[str, ...]:
        """Figure keys that decide the item (checks and declared flag)."""
        keys = tuple(c.figure for c in self.checks)
        return keys + ((self.declared,) if self.declared else ())


def _c(figure, op, national, unit, zh, en, **profile_values) -> ItemCheck:
    return ItemCheck(figure, op, float(national), unit, zh, en, MappingProxyType(dict(profile_values)))


_G = "政府保障程度"
_Q = "教育质量"


def _resource_items() -> list[InspectionItem]:
    out = []
    for i, (k, ind) in enumerate(QUALITY_INDICATORS.items(), start=1):
        out.append(InspectionItem(
            f"R{i}", "resources", i, ind.name_zh, ind.name_en, "quantitative",
            checks=(
                _c(f"cv_{k}_primary", "le", QUALITY_CV_LIMITS["primary"].value, "coefficient of variation",
                   f"{k} 小学校际差异系数", f"{k} primary inter-school CV"),
                _c(f"cv_{k}_junior", "le", QUALITY_CV_LIMITS["junior"].value, "coefficient of variation",
                   f"{k} 初中校际差异系数", f"{k} junior inter-school CV"),
            ),
            shown=(f"schools_below_{k}",),
            clause=f"资源配置 {k}：校际差异系数 小学≤{QUALITY_CV_LIMITS['primary'].value}、"
                   f"初中≤{QUALITY_CV_LIMITS['junior'].value}",
            note="Per-school thresholds in standards.QUALITY_INDICATORS; the CV limits in "
                 "standards.QUALITY_CV_LIMITS apply to every indicator. A stage the county does not "
                 "have is passed as 'not_applicable'."))
    out.append(InspectionItem(
        "R8", "resources", 8, "每所学校至少6项指标达到要求，余项不低于要求的85%",
        "every school meets the school rule (6 of 7, the other ≥ 85 %)", "quantitative",
        checks=(_c("schools_not_meeting_school_rule", "le", 0, "schools", "未达校际达标规则的学校数",
                   "schools failing the school rule"),),
        shown=("schools_assessed",), counted=False,
        clause="资源配置：学校达标规则（standards.SCHOOL_RULE）"))
    return out


_GUARANTEE = [
    InspectionItem("G1", "guarantee", 1, "县域内义务教育学校规划布局合理，符合国家规定要求",
                   "school network planned according to national rules", "evidence",
                   clause=f"{_G} 第1项", note="Planning documents; no figure decides it."),
    InspectionItem("G2", "guarantee", 2, "城乡学校建设标准、教师编制标准、生均公用经费基准定额、基本装备配置标准统一",
                   "one urban–rural standard for building, staffing, per-pupil funding and equipment",
                   "evidence", shown=("funding_quota_primary_yuan", "funding_quota_junior_yuan"),
                   clause=f"{_G} 第2项",
                   note="Documents; the per-pupil public-funding quotas (生均公用经费基准定额) are shown."),
    InspectionItem("G3", "guarantee", 3, "每12个班级配备音乐、美术专用教室各1间以上，音乐教室≥96㎡、美术教室≥90㎡",
                   "one music and one art room per 12 classes; music ≥ 96 m², art ≥ 90 m²", "quantitative",
                   checks=(_c("schools_short_of_music_rooms", "le", 0, "schools", "音乐专用教室不足的学校数",
                              "schools short of music rooms"),
                           _c("schools_short_of_art_rooms", "le", 0, "schools", "美术专用教室不足的学校数",
                              "schools short of art rooms"),
                           _c("music_rooms_below_area", "le", 0, "rooms", "面积不足的音乐教室数",
                              "music rooms below the area"),
                           _c("art_rooms_below_area", "le", 0, "rooms", "面积不足的美术教室数",
                              "art rooms below the area")),
                   clause=f"{_G} 第3项",
                   note="Rooms needed = ceil(classes / 12). Reported exemptions [U], settings off by default: "
                        "buildings before 2016 73 / 67 m²; rural schools whose largest class < 30 54 / 61 m²."),
    InspectionItem("G4", "guarantee", 4, "学校规模：小学、初中≤2000人，九年一贯制、十二年一贯制学校义务教育阶段≤2500人",
                   "school size ≤ 2000 (through schools ≤ 2500 in the compulsory part)", "quantitative",
                   checks=(_c("schools_over_size", "le", 0, "schools", "超规模学校数", "schools over the size limit"),),
                   clause=f"{_G} 第4项",
                   note="Reported exemptions [U], a setting off by default: schools built before 2010 or with "
                        "more than 50 % migrant pupils."),
    InspectionItem("G5", "guarantee", 5, "所有班级学生数：小学≤45人，初中≤50人",
                   "every class ≤ 45 (primary) / ≤ 50 (junior)", "quantitative",
                   checks=(_c("schools_with_class_over_limit", "le", 0, "schools", "有超额班级的学校数",
                              "schools with a class over the limit"),),
                   clause=f"{_G} 第5项", note="Decided from each school's largest class (max_class_size_*)."),
    InspectionItem("G6", "guarantee", 6, "不足100名学生的村小学和教学点按100名学生核定公用经费",
                   "village schools and teaching points under 100 pupils funded as 100", "quantitative",
                   checks=(_c("small_schools_underfunded", "le", 0, "schools", "未按100人核定公用经费的小规模学校数",
                              "small schools not funded as 100 pupils"),),
                   shown=("small_schools",), clause=f"{_G} 第6项"),
    InspectionItem("G7", "guarantee", 7, "特殊教育学校生均公用经费不低于6000元",
                   "special-school public funding ≥ 6000 yuan per pupil", "quantitative",
                   checks=(_c("special_school_funding_per_pupil_yuan", "ge", 6000, "yuan / pupil",
                              "特殊教育学校生均公用经费", "special-school funding per pupil"),),
                   clause=f"{_G} 第7项", note="Some provinces raise the amount."),
    InspectionItem("G8", "guarantee", 8, "教师平均工资收入水平不低于当地公务员平均工资收入水平，足额核定绩效工资总量",
                   "teachers' average pay not below civil servants' average pay", "quantitative",
                   checks=(_c("teacher_to_civil_servant_pay_ratio", "ge", 1.0, "ratio",
                              "教师平均工资 ÷ 公务员平均工资", "teacher pay ÷ civil-servant pay"),),
                   shown=("teacher_average_pay_yuan", "civil_servant_average_pay_yuan"), clause=f"{_G} 第8项"),
    InspectionItem("G9", "guarantee", 9, "教师5年360学时培训完成率达到100%",
                   "360 training hours per teacher in 5 years: 100 % completion", "quantitative",
                   checks=(_c("training_360_completion_rate", "ge", 1.0, "proportion of teachers",
                              "5年360学时培训完成率", "360-hour completion rate"),),
                   clause=f"{_G} 第9项",
                   note="From the teachers table (training_hours_5y ≥ 360) when present, else from the form."),
    InspectionItem("G10", "guarantee", 10, "县级教育行政部门在核定的编制总额和岗位总量内统筹分配各校教职工编制和岗位",
                   "the county allocates staff posts across schools within the approved totals", "evidence",
                   shown=("staff_primary", "staff_junior"), clause=f"{_G} 第10项",
                   note="Documents (编制 and 岗位 by school); all staff (教职工) by stage are shown."),
    InspectionItem("G11", "guarantee", 11, "城镇学校、优质学校每年交流轮岗教师不低于符合条件教师的10%，其中骨干教师不低于20%",
                   "rotation ≥ 10 % of eligible teachers a year; backbone ≥ 20 % of those rotated", "quantitative",
                   checks=(_c("rotation_rate", "ge", 0.10, "proportion of eligible teachers", "交流轮岗比例",
                              "rotation rate", jiangsu=0.15),
                           _c("rotation_backbone_share", "ge", 0.20, "proportion of rotated teachers",
                              "交流轮岗教师中骨干教师占比", "backbone share of rotated teachers")),
                   clause=f"{_G} 第11项",
                   note=f"Jiangsu and the city plan: 15 % ({DOC_JIANGSU_ROTATION}; {DOC_CITY_PLAN_2022})."),
    InspectionItem("G12", "guarantee", 12, "专任教师持有教师资格证上岗率达到100%",
                   "100 % of full-time teachers certified", "quantitative",
                   checks=(_c("certified_rate", "ge", 1.0, "proportion of full-time teachers", "持证上岗率",
                              "certified share"),),
                   clause=f"{_G} 第12项",
                   note="From the teachers table (certified) when present, else from the form."),
    InspectionItem("G13", "guarantee", 13, "城区和镇区公办小学、初中（不含寄宿制学校）就近划片入学比例：小学100%，初中≥95%",
                   "zoned nearby admission: primary 100 %, junior ≥ 95 % (urban and town public, non-boarding)",
                   "quantitative",
                   checks=(_c("zoned_admission_primary_rate", "ge", 1.0, "proportion", "小学就近划片入学比例",
                              "primary zoned admission"),
                           _c("zoned_admission_junior_rate", "ge", 0.95, "proportion", "初中就近划片入学比例",
                              "junior zoned admission")),
                   clause=f"{_G} 第13项"),
    InspectionItem("G14", "guarantee", 14, "优质高中招生名额分配比例不低于50%，并向农村初中倾斜",
                   "≥ 50 % of quality senior-high places allocated to junior schools, favouring rural ones",
                   "quantitative",
                   checks=(_c("quota_allocation_share", "ge", 0.50, "proportion of places", "名额分配比例",
                              "allocated share of places", jiangsu=0.70),),
                   shown=("quota_rural_share",), clause=f"{_G} 第14项",
                   note=f"Jiangsu four-star senior highs: ≥ 70 % ({DOC_JIANGSU_QUALITY}). The tilt to rural "
                        "junior schools is shown (rural share of the allocated places), not decided."),
    InspectionItem("G15", "guarantee", 15, "留守儿童关爱体系健全；符合条件的随迁子女在公办学校和政府购买服务的民办学校就读比例≥85%",
                   "≥ 85 % of eligible migrant children in public or government-purchased places", "quantitative",
                   checks=(_c("migrant_public_place_rate", "ge", 0.85, "proportion of migrant children",
                              "随迁子女在公办及政府购买学位就读比例", "migrant children in public or purchased places",
                              jiangsu=0.90),),
                   shown=("migrant_purchased_places",), clause=f"{_G} 第15项",
                   note="Purchased places count. Jiangsu: 90 %. The care system for left-behind children is evidence."),
]

_QUALITY = [
    InspectionItem("Q1", "quality", 1, "全县初中三年巩固率达到95%以上", "3-year junior retention ≥ 95 %",
                   "quantitative",
                   checks=(_c("junior_retention_rate", "ge", 0.95, "proportion", "初中三年巩固率",
                              "3-year junior retention", jiangsu=0.99),),
                   clause=f"{_Q} 第1项",
                   note="Reported formula [U]: (毕业 − 三年转入 + 三年转出) ÷ (初一在校 − 死亡). Jiangsu: 99 %."),
    InspectionItem("Q2", "quality", 2, "全县残疾儿童少年入学率达到95%以上", "disabled children's enrolment ≥ 95 %",
                   "quantitative",
                   checks=(_c("disabled_enrolment_rate", "ge", 0.95, "proportion", "残疾儿童少年入学率",
                              "disabled children's enrolment", jiangsu=0.98),),
                   clause=f"{_Q} 第2项",
                   note=f"The city plan: 98 % ({DOC_CITY_PLAN_2022}). Placements (regular class, special school, "
                        "home teaching) ÷ school-age disabled children."),
    InspectionItem("Q3", "quality", 3, "所有学校制定章程，实现学校管理与教学信息化",
                   "every school has a charter; management and teaching use ICT", "evidence", clause=f"{_Q} 第3项"),
    InspectionItem("Q4", "quality", 4, "所有学校按不低于学校年度公用经费预算总额的5%安排教师培训经费",
                   "every school spends ≥ 5 % of its public budget on teacher training", "quantitative",
                   checks=(_c("training_budget_share_min", "ge", 0.05, "proportion of the school budget",
                              "教师培训经费占公用经费比例（最低的学校）", "training share (lowest school)"),),
                   clause=f"{_Q} 第4项", note="Decided on the lowest school's share reported in the form."),
    InspectionItem("Q5", "quality", 5, "教师能熟练运用信息化手段组织教学，设施设备利用率达到较高水平",
                   "teachers use ICT in teaching; facilities are well used", "evidence", clause=f"{_Q} 第5项"),
    InspectionItem("Q6", "quality", 6, "所有学校德育工作、校园文化建设水平达到良好以上",
                   "moral education and school culture rated good or better", "rating", clause=f"{_Q} 第6项"),
    InspectionItem("Q7", "quality", 7, "课程开齐开足，教学秩序规范，综合实践活动有效开展",
                   "full curriculum, orderly teaching, effective practical activities", "evidence",
                   shown=("schools_missing_specialists",), clause=f"{_Q} 第7项",
                   note="Schools without a specialist teacher of a subject are shown as a proxy only."),
    InspectionItem("Q8", "quality", 8, "无过重课业负担", "no excessive homework burden", "evidence",
                   clause=f"{_Q} 第8项", note="Evidence or survey; no threshold is published."),
    InspectionItem("Q9", "quality", 9, "国家义务教育质量监测相关科目学生学业水平达到Ⅲ级以上，且校际差异率低于0.15",
                   "national monitoring: level III or above, between-school difference rate < 0.15", "quantitative",
                   checks=(_c("monitoring_min_level", "ge", 3, "level (Ⅰ=1 … Ⅳ=4)", "监测科目最低学业水平",
                              "lowest monitored level"),
                           _c("monitoring_max_difference_rate", "lt", 0.15, "rate", "监测科目最大校际差异率",
                              "largest between-school difference rate")),
                   clause=f"{_Q} 第9项", certainty="U",
                   note="Level and 校际差异率 per subject from the monitoring report (form). The official formula "
                        "of 校际差异率 is unconfirmed [U]; one local reading is the enrolment-weighted SD of school "
                        "means on a 0–100 scale."),
]

_RECOGNITION_AND_VETO = [
    InspectionItem("S1", "recognition", 1, "社会认可度达到85%以上",
                   "social recognition (survey satisfaction) ≥ 85 %", "quantitative",
                   checks=(_c("survey_satisfaction_rate", "ge", 0.85, "proportion satisfied", "满意度（总体）",
                              "overall satisfaction"),),
                   shown=("survey_min_group_rate", "survey_responses"), counted=False,
                   clause="社会认可度", note="Respondent groups [U]; satisfied = top two options of five (a setting)."),
    InspectionItem("V1", "veto", 1, "以考试方式招生", "admission by examination", "veto",
                   declared="veto_exam_admission", counted=False, clause="一票否决"),
    InspectionItem("V2", "veto", 2, "违规择校", "school choice against the rules", "veto",
                   declared="veto_school_choice", counted=False, clause="一票否决"),
    InspectionItem("V3", "veto", 3, "设置重点校、重点班", "key schools or key classes", "veto",
                   declared="veto_key_schools_classes", counted=False, clause="一票否决"),
    InspectionItem("V4", "veto", 4, "社会认可度低于85%", "social recognition below 85 %", "quantitative",
                   checks=(_c("survey_satisfaction_rate", "ge", 0.85, "proportion satisfied", "满意度（总体）",
                              "overall satisfaction"),),
                   counted=False, clause="一票否决", note="Met = the veto does not apply."),
    InspectionItem("V5", "veto", 5, "发生重大安全责任事故", "serious safety incident", "veto",
                   declared="veto_safety_incident", counted=False, clause="一票否决（据报道）", certainty="U"),
    InspectionItem("V6", "veto", 6, "存在大面积考试舞弊或弄虚作假", "large-scale cheating or falsified data", "veto",
                   declared="veto_falsification", counted=False, clause="一票否决（据报道）", certainty="U"),
]

DECIDED_BY: Mapping[str, str] = MappingProxyType(
    {f"R{i}": "tables" for i in range(1, 9)}
    | {"G1": "evidence", "G2": "evidence", "G3": "tables", "G4": "tables", "G5": "tables", "G6": "form", "G7": "form",
       "G8": "form", "G9": "tables_or_form", "G10": "evidence", "G11": "tables", "G12": "tables_or_form",
       "G13": "form", "G14": "form", "G15": "county_facts"}
    | {"Q1": "form", "Q2": "county_facts", "Q3": "evidence", "Q4": "form", "Q5": "evidence", "Q6": "evidence",
       "Q7": "evidence", "Q8": "evidence", "Q9": "form"}
    | {"S1": "survey", "V4": "survey"} | {f"V{i}": "form" for i in (1, 2, 3, 5, 6)})
"""Item key → the input that decides it: tables, county_facts, form, tables_or_form, survey, evidence."""

INSPECTION_ITEMS: Mapping[str, InspectionItem] = MappingProxyType(
    {it.key: it for it in _resource_items() + _GUARANTEE + _QUALITY + _RECOGNITION_AND_VETO})
"""Every item keyed ``R1`` … ``V6`` in report order (31 counted items: R1–R7, G1–G15, Q1–Q9)."""


def items_of_block(block: str) -> tuple[InspectionItem, ...]:
    """Items of one block (key of :data:`BLOCKS`) in order; ValueError for an unknown block."""
    if block not in BLOCKS:
        raise ValueError(f"unknown block {block!r}; expected one of {list(BLOCKS)}")
    return tuple(it for it in INSPECTION_ITEMS.values() if it.block == block)


@dataclass(frozen=True)
class RoomAreaExemption:
    """A reported lower music/art room area for some schools [U] (a setting, off by default)."""

    key: str
    name_zh: str
    music_m2: float
    art_m2: float
    condition: str
    certainty: Certainty = "U"


ROOM_AREA_EXEMPTIONS: Mapping[str, RoomAreaExemption] = MappingProxyType({
    "built_before_2016": RoomAreaExemption("built_before_2016", "2016年前建成的学校", 73, 67,
                                           "built_year < 2016"),
    "small_rural": RoomAreaExemption("small_rural", "最大班额不足30人的乡村学校", 54, 61,
                                     "locale == rural and largest class < 30"),
})
"""Reported exemptions of one city's rules for G3 [U]: make each a setting, off by default."""

SCHOOL_SIZE_EXEMPTIONS: Mapping[str, str] = MappingProxyType({
    "built_before_2010": "built_year < 2010",
    "migrant_majority": "migrant_students > 50 % of compulsory students",
})
"""Reported exemptions from the G4 size limit [U]: settings, off by default."""
