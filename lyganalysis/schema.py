"""Pandera schemas of the canonical tables — and, generated from them, the data dictionary.

The five canonical tables (``schools``, ``teachers``, ``scores``, ``county_facts``,
``school_results``) are described here once: every column has a dtype, its checks, whether it may
be NA, a description, a unit and the usual Chinese header(s) of the bureau's exports.
:func:`data_dictionary` and :func:`render_data_dictionary_markdown` read these schemas, so the
dictionary in ``data/README.md`` cannot drift from what :func:`validate_tables` enforces
(``python -m lyganalysis.schema --write-readme data/README.md`` regenerates that section; a test
checks it).

Two dataset *profiles* relax what a real public source cannot satisfy (see :data:`PROFILES`):
the default (Lianyungang) profile wants 10-digit 学校标识码 and integer head-counts of teachers;
the ``caschools`` profile accepts 5-digit California district codes and full-time-equivalent
(fractional) teacher counts. Everything else is the same.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

if TYPE_CHECKING:  # pragma: no cover
    from lyganalysis.datasets import Dataset

__all__ = [
    "SCHOOL_TYPES", "STAGES", "LOCALES", "LOCALE_CODES", "OWNERSHIPS", "GENDERS", "QUALIFICATIONS",
    "TITLES", "SUBJECTS", "SCORE_SUBJECTS", "BACKBONE_LEVELS", "TABLES", "SchemaProfile", "PROFILES",
    "TableValidationError", "schools_schema", "teachers_schema", "scores_schema",
    "county_facts_schema", "school_results_schema", "table_schemas", "validate_table",
    "validate_tables", "data_dictionary", "render_data_dictionary_markdown",
    "write_data_dictionary_section", "DICTIONARY_HEADING",
]

# ---------------------------------------------------------------------------------------------
# Allowed category values (codes are English; labels live in the report catalogues, lyganalysis/report/text/)
# ---------------------------------------------------------------------------------------------
SCHOOL_TYPES = ("primary", "junior", "nine_year", "twelve_year", "complete_middle", "senior",
                "kindergarten", "special", "teaching_point")
STAGES = ("primary", "junior", "senior", "preschool", "special")
LOCALES = ("urban", "town", "rural")
# 统计用城乡划分代码 (NBS): 111 主城区, 112 城乡结合区, 121 镇中心区, 122 镇乡结合区, 123 特殊区域,
# 210 乡中心区, 220 村庄.  First digit 1 = 城镇, 2 = 乡村; 11x = 城区 (urban), 12x = 镇区 (town).
LOCALE_CODES = ("111", "112", "121", "122", "123", "210", "220")
OWNERSHIPS = ("public", "private")
GENDERS = ("female", "male")
QUALIFICATIONS = ("postgraduate", "bachelor", "associate", "high_school_or_below")
TITLES = ("senior_professor", "senior", "first", "second", "third", "unrated")
SUBJECTS = ("chinese", "math", "english", "science", "moral_education", "pe", "music", "fine_art",
            "it", "labour", "mental_health", "other")
SCORE_SUBJECTS = ("chinese", "math", "english")
BACKBONE_LEVELS = ("none", "county", "city", "province")
TABLES = ("schools", "teachers", "scores", "county_facts", "school_results")

#: Stage sections of the per-stage school columns.
_STUDENT_STAGES = ("primary", "junior", "senior", "preschool", "special")
_CLASS_STAGES = ("primary", "junior", "senior", "preschool")
_STAGE_ZH = {"primary": "小学", "junior": "初中", "senior": "高中", "preschool": "学前",
             "special": "特殊教育"}


@dataclasses.dataclass(frozen=True)
class SchemaProfile:
    """What differs between sources: the school-id pattern and the teacher-count dtype."""

    name: str
    school_id_pattern: str = r"^\d{10}$"
    teacher_count_dtype: str = "Int64"  # "Float64" for full-time-equivalent sources
    note: str = ""


PROFILES: dict[str, SchemaProfile] = {
    "default": SchemaProfile("default", note="学校标识码 = 10 digits; teacher head-counts (Int64)."),
    "caschools": SchemaProfile(
        "caschools", school_id_pattern=r"^\d{5}$", teacher_count_dtype="Float64",
        note="California district codes (5 digits); teachers are full-time equivalents (Float64)."),
}


class TableValidationError(ValueError):
    """A table (or a cross-table reference) broke the data contract.

    ``failures`` is a DataFrame with columns table, column, check, row (index label) and value.
    """

    def __init__(self, message: str, failures: pd.DataFrame | None = None):
        super().__init__(message)
        self.failures = failures if failures is not None else pd.DataFrame(
            columns=["table", "column", "check", "row", "value"])


# ---------------------------------------------------------------------------------------------
# Column construction helpers
# ---------------------------------------------------------------------------------------------
def _col(dtype: Any, *, unit: str, zh: str, desc: str, checks: list | None = None,
         nullable: bool = False, required: bool = True, extension: str | None = None,
         type_label: str | None = None) -> pa.Column:
    meta = {"unit": unit, "chinese_header": zh, "type": type_label or _type_label(dtype, nullable)}
    if extension:
        meta["extension"] = extension
    return pa.Column(dtype, checks=checks or [], nullable=nullable, required=required,
                     description=desc, metadata=meta)


def _type_label(dtype: Any, nullable: bool) -> str:
    label = {str: "str", bool: "bool"}.get(dtype, str(dtype))
    return f"{label}, NA allowed" if nullable else label


def _is_bool_dtype(s: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(s.dtype)


#: Row-wise checks across columns: name → (columns involved, explanation)
_FRAME_CHECKS: dict[str, tuple[list[str], str]] = {}


def _frame_check(fn, name: str, columns: list[str], explanation: str) -> pa.Check:
    _FRAME_CHECKS[name] = (list(columns), explanation)
    return pa.Check(fn, name=name)


_BOOLISH = pa.Check(_is_bool_dtype, element_wise=False, name="bool_dtype",
                    error="dtype must be bool (or pandas nullable boolean)")
_NONNEG = pa.Check.ge(0)


def _count(zh: str, desc: str, unit: str = "人", *, nullable: bool = True, dtype: str = "Int64",
           required: bool = True, extension: str | None = None) -> pa.Column:
    return _col(dtype, unit=unit, zh=zh, desc=desc, checks=[_NONNEG], nullable=nullable,
                required=required, extension=extension)


def _year_col(desc: str = "School year: 2022 = the 2022–23 school year (autumn intake).") -> pa.Column:
    return _col("int64", unit="年", zh="学年 / 统计年度", desc=desc,
                checks=[pa.Check.in_range(1990, 2100)])


def _school_id_col(pattern: str, desc: str) -> pa.Column:
    return _col(str, unit="—", zh="学校标识码", desc=desc,
                checks=[pa.Check.str_matches(pattern)])


# ---------------------------------------------------------------------------------------------
# Table schemas
# ---------------------------------------------------------------------------------------------
def _profile(profile: str | SchemaProfile | None) -> SchemaProfile:
    if profile is None:
        return PROFILES["default"]
    if isinstance(profile, SchemaProfile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise ValueError(f"unknown schema profile {profile!r}; known: {sorted(PROFILES)}") from None


def schools_schema(profile: str | SchemaProfile | None = None) -> pa.DataFrameSchema:
    """Schema of ``schools`` (one row per school_id × school_year)."""
    p = _profile(profile)
    tdt = p.teacher_count_dtype
    cols: dict[str, pa.Column] = {
        "school_year": _year_col(),
        "school_id": _school_id_col(p.school_id_pattern,
                                    "School identifier (学校标识码), text with leading zeros kept; "
                                    "10 digits for Chinese schools."),
        "school_name": _col(str, unit="—", zh="学校名称", desc="School name."),
        "county_code": _col(str, unit="—", zh="县区代码 / 行政区划代码", checks=[
            pa.Check.str_matches(r"^(\d{6}|LYGX\d{2})$")],
            desc="County code: 6-digit GB/T 2260 code for the six districts/counties, NBS code "
                 "320771 for 开发区, 320700 (the city's own code) for 市直, and the local codes "
                 "LYGX72 (徐圩新区) and LYGX73 (云台山景区), which lie outside every official range "
                 "(table: lyganalysis/data/admin_units.csv)."),
        "county": _col(str, unit="—", zh="县区 / 所在县(市、区)",
                       desc="County-level reporting unit (e.g. 海州区)."),
        "school_type": _col(str, unit="—", zh="办学类型 / 学校类型",
                            checks=[pa.Check.isin(SCHOOL_TYPES)],
                            desc="One of: " + ", ".join(SCHOOL_TYPES) + "."),
        "central_school_id": _col(str, unit="—", zh="所属中心校标识码", nullable=True, checks=[
            pa.Check.str_matches(p.school_id_pattern)],
            desc="For teaching points (教学点): the school_id of their central school; NA otherwise."),
        "locale_code": _col(str, unit="—", zh="城乡分类代码 / 统计用城乡划分代码", nullable=True,
                            checks=[pa.Check.isin(LOCALE_CODES)],
                            desc="3-digit urban–rural classification code (111 主城区, 112 城乡结合区, "
                                 "121 镇中心区, 122 镇乡结合区, 123 特殊区域, 210 乡中心区, 220 村庄)."),
        "locale": _col(str, unit="—", zh="城乡类型 (城区/镇区/乡村)", nullable=True,
                       checks=[pa.Check.isin(LOCALES)],
                       desc="urban (11x) / town (12x) / rural (2xx), derived from locale_code."),
        "ownership": _col(str, unit="—", zh="办学性质 / 举办者 (公办/民办)", nullable=True,
                          checks=[pa.Check.isin(OWNERSHIPS)], desc="public (公办) or private (民办)."),
    }
    for st in _STUDENT_STAGES:
        zh = {"preschool": "在园幼儿数", "special": "特殊教育在校生数 / 在校生数(特教)"}.get(
            st, f"{_STAGE_ZH[st]}在校生数 / 在校生数({_STAGE_ZH[st]})")
        cols[f"students_{st}"] = _count(
            zh, f"Registered students (学籍) of the {st} stage; 0 where the school has no such stage.",
            nullable=False)
    for st in _CLASS_STAGES:
        cols[f"classes_{st}"] = _count(f"{_STAGE_ZH[st]}班级数 / 班数({_STAGE_ZH[st]})",
                                       f"Number of classes (班) of the {st} stage.", unit="班")
    for st in ("primary", "junior"):
        cols[f"max_class_size_{st}"] = _col(
            "Int64", unit="人/班", zh=f"最大班额({_STAGE_ZH[st]})", nullable=True,
            checks=[pa.Check.in_range(1, 150)],
            desc=f"Size of the school's largest {st} class; NA where it has no {st} classes.")
    tdesc = ("Full-time teachers (专任教师) of the {st} stage; head-count (Int64). "
             "Full-time-equivalent sources (CASchools) give Float64.")
    for st in _STUDENT_STAGES:
        cols[f"teachers_{st}"] = _col(
            tdt, unit="人", zh=f"{_STAGE_ZH[st]}专任教师数 / 专任教师数({_STAGE_ZH[st]})",
            checks=[_NONNEG], nullable=True, desc=tdesc.format(st=st),
            type_label="Int64 (Float64 for FTE sources), NA allowed")
    cols["above_required_qualification_primary"] = _count(
        "高于规定学历教师数(小学, 专科及以上)",
        "Primary full-time teachers above the required qualification: associate (专科) or higher.")
    cols["above_required_qualification_junior"] = _count(
        "高于规定学历教师数(初中, 本科及以上)",
        "Junior full-time teachers above the required qualification: bachelor (本科) or higher.")
    for st in ("primary", "junior"):
        cols[f"backbone_teachers_{st}"] = _count(
            f"县级以上骨干教师数({_STAGE_ZH[st]})",
            f"{st.capitalize()} full-time teachers who are backbone teachers at county level or above.")
    for st in ("primary", "junior"):
        cols[f"pe_arts_teachers_{st}"] = _count(
            f"体育、艺术(音乐、美术)专任教师数({_STAGE_ZH[st]})",
            f"{st.capitalize()} full-time teachers of PE, music or fine art.")
    fl = [pa.Check.ge(0)]
    cols["teaching_area_m2"] = _col("float64", unit="m²", zh="教学及辅助用房面积", checks=fl,
                                    nullable=True, desc="Teaching and auxiliary floor area, whole school.")
    cols["sports_area_m2"] = _col("float64", unit="m²", zh="体育运动场(馆)面积", checks=fl,
                                  nullable=True, desc="Sports ground and hall area, whole school.")
    cols["equipment_value_yuan"] = _col(
        "float64", unit="元", zh="教学仪器设备值 / 教学仪器设备资产值", checks=fl, nullable=True,
        desc="Value of teaching equipment, whole school, in yuan (exports often give 万元: ×10,000).")
    for name, zh, unit, desc in [
        ("multimedia_classrooms", "网络多媒体教室数", "间", "Networked multimedia classrooms, whole school."),
        ("computers", "计算机数 / 教学用计算机台数", "台", "Computers for teaching, whole school."),
        ("books", "图书册数 / 图书(册)", "册", "Library books, whole school."),
        ("music_rooms", "音乐专用教室数", "间", "Music rooms, whole school."),
        ("art_rooms", "美术专用教室数", "间", "Art rooms, whole school."),
    ]:
        cols[name] = _count(zh, desc, unit=unit)
    cols["affordable_kindergarten"] = _col(
        "boolean", unit="—", zh="是否普惠性幼儿园 (公办园计为普惠)", nullable=True,
        desc="Kindergartens: public or recognised affordable private (普惠); NA for other schools.")
    cols["quality_kindergarten"] = _col(
        "boolean", unit="—", zh="是否省市优质园", nullable=True,
        desc="Kindergartens rated provincial/city quality (省市优质园); NA for other schools.")
    # Inspection extensions (optional): inputs of the 优质均衡 special rules (lyganalysis.inspection)
    ins = "inspection extension"
    cols["indoor_sports_area_m2"] = _col(
        "float64", unit="m²", zh="室内体育用房面积", checks=fl, nullable=True, required=False, extension=ins,
        desc="Inspection extension: indoor sports area (风雨操场、体育馆), whole school; deducted from L4 only "
             "when the (unconfirmed) L4 deduction setting is on.")
    cols["built_year"] = _col("Int64", unit="年", zh="建校年份 / 建成年份", nullable=True, required=False,
                              checks=[pa.Check.in_range(1800, 2100)], extension=ins,
                              desc="Inspection extension: year the school (its main building) was built; used by the "
                                   "optional room-area and school-size exemptions.")
    cols["central_city"] = _col("boolean", unit="—", zh="是否中心城区学校", nullable=True, required=False,
                                extension=ins, desc="Inspection extension: school in the central city (中心城区).")
    cols["boarding"] = _col("boolean", unit="—", zh="是否寄宿制学校", nullable=True, required=False, extension=ins,
                            desc="Inspection extension: boarding school (寄宿制; excluded from zoned admission).")
    cols["itinerant_pe_arts_teachers"] = _count(
        "走教体育艺术教师数", "Inspection extension: itinerant (走教) PE, music and fine-art teachers serving the "
        "school (small rural schools and teaching points).", required=False, extension=ins)
    cols["migrant_students"] = _count("随迁子女在校生数",
                                      "Inspection extension: migrant (随迁子女) students of the compulsory stages.",
                                      required=False, extension=ins)
    for room, zh in (("music", "音乐"), ("art", "美术")):
        cols[f"{room}_room_areas_m2"] = _col(
            str, unit="m² per room", zh=f"{zh}专用教室面积(每间, 分号分隔)", nullable=True, required=False,
            checks=[pa.Check.str_matches(r"^$|^\d+(\.\d+)?(;\d+(\.\d+)?)*$")], extension=ins,
            desc=f"Inspection extension: area of each {room} room in m², separated by ';' (e.g. '96;88.5'); "
                 f"one value per room of {room}_rooms.")
    # CASchools extensions (optional columns; absent from the Lianyungang tables)
    ext = "CASchools extension"
    cols["grade_span"] = _col(str, unit="—", zh="学段跨度 (grades)", nullable=True, required=False,
                              extension=ext, desc="CASchools extension: district grade span, "
                              "KK-06 or KK-08 (all enrolment is counted in students_primary).")
    cols["expenditure_per_student_usd"] = _col(
        "float64", unit="USD/人", zh="生均经费支出 (美元)", checks=fl, nullable=True, required=False,
        extension=ext, desc="CASchools extension: expenditure per student (CASchools `expenditure`).")
    for name, src, zh in [("free_lunch_share", "lunch", "享受减价午餐学生比例"),
                          ("calworks_share", "calworks", "享受CalWorks救助学生比例"),
                          ("english_learner_share", "english", "英语学习者比例")]:
        cols[name] = _col("float64", unit="proportion 0–1", zh=zh, nullable=True, required=False,
                          checks=[pa.Check.in_range(0, 1)], extension=ext,
                          desc=f"CASchools extension: `{src}` percent ÷ 100.")
    cols["income_thousand_usd"] = _col(
        "float64", unit="千美元", zh="学区平均收入 (千美元)", checks=fl, nullable=True, required=False,
        extension=ext, desc="CASchools extension: district average income (`income`, USD 1,000).")

    def _tp_central(df: pd.DataFrame) -> pd.Series:
        return df["central_school_id"].isna() | (df["school_type"] == "teaching_point")

    def _locale_consistent(df: pd.DataFrame) -> pd.Series:
        code, loc = df["locale_code"], df["locale"]
        expect = code.str[:2].map({"11": "urban", "12": "town", "21": "rural", "22": "rural"})
        both = code.notna() & loc.notna()
        return ~both | (expect == loc).fillna(False)

    def _kg_flags(df: pd.DataFrame) -> pd.Series:
        nonkg = df["school_type"] != "kindergarten"
        return ~nonkg | (df["affordable_kindergarten"].isna() & df["quality_kindergarten"].isna())

    def _le(a: str, b: str):
        def f(df: pd.DataFrame) -> pd.Series:
            x, y = df[a], df[b]
            return (x.isna() | y.isna() | (x <= y)).astype(bool)
        f.__name__ = f"{a}_le_{b}"
        return f

    checks = [
        _frame_check(_tp_central, "central_school_only_for_teaching_points",
                     ["central_school_id", "school_type"],
                     "central_school_id must be NA unless school_type == teaching_point"),
        _frame_check(_locale_consistent, "locale_matches_locale_code", ["locale", "locale_code"],
                     "locale must be urban for 11x, town for 12x, rural for 2xx codes"),
        _frame_check(_kg_flags, "kindergarten_flags_only_for_kindergartens",
                     ["affordable_kindergarten", "quality_kindergarten", "school_type"],
                     "affordable/quality_kindergarten must be NA for non-kindergartens"),
    ]
    for st in ("primary", "junior"):
        for kind in ("above_required_qualification", "backbone_teachers", "pe_arts_teachers"):
            checks.append(_frame_check(_le(f"{kind}_{st}", f"teachers_{st}"),
                                       f"{kind}_{st}_le_teachers_{st}",
                                       [f"{kind}_{st}", f"teachers_{st}"],
                                       f"{kind}_{st} must not exceed teachers_{st}"))
    return pa.DataFrameSchema(cols, checks=checks, unique=["school_id", "school_year"],
                              name="schools", description="One row per school_id × school_year.")


def teachers_schema(profile: str | SchemaProfile | None = None) -> pa.DataFrameSchema:
    """Schema of ``teachers`` (one row per teacher × school year; pseudonymous key only)."""
    p = _profile(profile)

    def _age_ok(df: pd.DataFrame) -> pd.Series:
        age = df["school_year"] - df["birth_year"]
        return (age >= 18) & (age <= 70)

    def _years_ok(df: pd.DataFrame) -> pd.Series:
        return df["years_in_school"] <= (df["school_year"] - df["birth_year"] - 16)

    cols = {
        "school_year": _year_col(),
        "teacher_key": _col(str, unit="—", zh="教师编号 (化名键)", checks=[
            pa.Check.str_length(min_value=6)],
            desc="Pseudonymous teacher key (salted hash); no names or ID numbers are kept."),
        "school_id": _school_id_col(p.school_id_pattern, "School the teacher works in this year."),
        "stage": _col(str, unit="—", zh="任教学段", checks=[pa.Check.isin(STAGES)],
                      desc="Stage taught: " + ", ".join(STAGES) + "."),
        "birth_year": _col("int64", unit="年", zh="出生年份 (由身份证号导出)",
                           checks=[pa.Check.in_range(1930, 2010)],
                           desc="Birth year, derived from the ID number at intake (the ID is then "
                                "dropped); age = school_year − birth_year must be 18–70."),
        "gender": _col(str, unit="—", zh="性别", checks=[pa.Check.isin(GENDERS)],
                       desc="female / male."),
        "qualification": _col(str, unit="—", zh="最高学历", checks=[pa.Check.isin(QUALIFICATIONS)],
                              desc="Highest qualification: postgraduate (研究生), bachelor (本科), "
                                   "associate (专科), high_school_or_below (高中及以下)."),
        "title": _col(str, unit="—", zh="专业技术职称", checks=[pa.Check.isin(TITLES)],
                      desc="Professional title: senior_professor (正高级), senior (高级), first (一级), "
                           "second (二级), third (三级), unrated (未评)."),
        "subject": _col(str, unit="—", zh="任教学科", checks=[pa.Check.isin(SUBJECTS)],
                        desc="Main subject taught: " + ", ".join(SUBJECTS) + "."),
        "backbone_level": _col(str, unit="—", zh="骨干教师级别", checks=[
            pa.Check.isin(BACKBONE_LEVELS)],
            desc="Backbone (骨干) level: none, county (县级), city (市级), province (省级)."),
        "years_in_school": _col("int64", unit="年", zh="在本校任教年限", checks=[_NONNEG],
                                desc="Completed years in the current school (0 = arrived this year)."),
        "rotated": pa.Column(None, checks=[_BOOLISH], nullable=False,
                             description="Rotated (交流轮岗) into this school in this school year.",
                             metadata={"unit": "—", "chinese_header": "本年度是否交流轮岗",
                                       "type": "bool"}),
        # inspection extensions (optional)
        "certified": _col("boolean", unit="—", zh="是否持有教师资格证", nullable=True, required=False,
                          extension="inspection extension",
                          desc="Inspection extension: holds a teacher certificate (教师资格证)."),
        "training_hours_5y": _col("float64", unit="学时", zh="近5年培训学时", checks=[_NONNEG], nullable=True,
                                  required=False, extension="inspection extension",
                                  desc="Inspection extension: training hours in the last five years (target 360)."),
    }
    checks = [_frame_check(_age_ok, "plausible_age", ["birth_year", "school_year"],
                           "age = school_year − birth_year must be 18–70"),
              _frame_check(_years_ok, "years_in_school_le_career",
                           ["years_in_school", "birth_year", "school_year"],
                           "years_in_school must be ≤ age − 16")]
    return pa.DataFrameSchema(cols, checks=checks, unique=["teacher_key", "school_year"],
                              name="teachers", description="One row per teacher × school_year.")


def scores_schema(profile: str | SchemaProfile | None = None) -> pa.DataFrameSchema:
    """Schema of ``scores`` (one row per student × subject × exam)."""
    p = _profile(profile)

    def _le_full(df: pd.DataFrame) -> pd.Series:
        return (df["score"].isna() | (df["score"] <= df["full_marks"])).astype(bool)

    def _absent(df: pd.DataFrame) -> pd.Series:
        return (df["score"].isna() == df["absent"].astype(bool)).astype(bool)

    def boolcol(zh: str, desc: str, nullable: bool) -> pa.Column:
        return pa.Column(None, checks=[_BOOLISH], nullable=nullable, description=desc,
                         metadata={"unit": "—", "chinese_header": zh,
                                   "type": "bool (boolean with NA allowed)" if nullable else "bool"})

    cols = {
        "school_year": _year_col("School year of the exam (2022 = the 2022–23 school year)."),
        "exam": _col(str, unit="—", zh="考试名称", desc="Exam code, e.g. 2022-G6-unified."),
        "student_key": _col(str, unit="—", zh="学生编号 (化名键)", checks=[
            pa.Check.str_length(min_value=6)],
            desc="Pseudonymous student key (salted hash); no names or ID numbers are kept."),
        "school_id": _school_id_col(p.school_id_pattern, "School the student attends."),
        "class_id": _col(str, unit="—", zh="班级", desc="Class identifier, unique within the data."),
        "grade": _col("int64", unit="年级", zh="年级", checks=[pa.Check.in_range(1, 12)],
                      desc="Grade (1–12); the unified exams are grade 6 (end of primary) and 9."),
        "subject": _col(str, unit="—", zh="学科", checks=[pa.Check.isin(SCORE_SUBJECTS)],
                        desc="chinese (语文), math (数学), english (英语)."),
        "score": _col("float64", unit="分", zh="成绩 / 分数", checks=[pa.Check.ge(0)], nullable=True,
                      desc="Score; NA when absent (缺考). Must not exceed full_marks."),
        "full_marks": _col("float64", unit="分", zh="满分", checks=[pa.Check.gt(0)],
                           desc="Full marks of the paper (100 primary; 120 junior chinese/math/english)."),
        "absent": boolcol("缺考", "True when the student missed the paper; score is then NA.", False),
        "prior_score": _col("float64", unit="分", zh="上年同科成绩", checks=[pa.Check.ge(0)],
                            nullable=True, desc="Same subject, previous year (prior attainment); NA "
                                                "when unknown."),
        "gender": _col(str, unit="—", zh="性别", checks=[pa.Check.isin(GENDERS)], nullable=True,
                       desc="female / male."),
        "migrant": boolcol("随迁子女", "Migrant child (随迁子女); NA if unknown.", True),
        "left_behind": boolcol("留守儿童", "Left-behind child (留守儿童); NA if unknown.", True),
    }
    checks = [_frame_check(_le_full, "score_le_full_marks", ["score", "full_marks"],
                           "score must be ≤ full_marks"),
              _frame_check(_absent, "score_na_iff_absent", ["score", "absent"],
                           "score must be NA exactly when absent is True")]
    return pa.DataFrameSchema(cols, checks=checks,
                              unique=["school_year", "exam", "student_key", "subject"],
                              name="scores", description="One row per student × subject × exam.")


def county_facts_schema(profile: str | SchemaProfile | None = None) -> pa.DataFrameSchema:
    """Schema of ``county_facts`` (one row per county × school year)."""

    def _placed(df: pd.DataFrame) -> pd.Series:
        placed = (df["disabled_placed_regular_class"].fillna(0)
                  + df["disabled_placed_special_school"].fillna(0)
                  + df["disabled_placed_home_teaching"].fillna(0))
        return (df["disabled_children_school_age"].isna()
                | (placed <= df["disabled_children_school_age"])).astype(bool)

    def _mig(df: pd.DataFrame) -> pd.Series:
        a, b = df["migrant_children_public"], df["migrant_children"]
        return (a.isna() | b.isna() | (a <= b)).astype(bool)

    cols = {
        "school_year": _year_col(),
        "county_code": _col(str, unit="—", zh="县区代码",
                            desc="County code, as in the schools table (6 digits, or a local LYGX code).",
                            checks=[pa.Check.str_matches(r"^(\d{6}|LYGX\d{2})$")]),
        "county": _col(str, unit="—", zh="县区", desc="County-level reporting unit."),
        "disabled_children_school_age": _count("适龄残疾儿童少年数",
                                               "School-age (6–15) disabled children in the county."),
        "disabled_placed_regular_class": _count("随班就读人数", "Of them, placed in regular classes."),
        "disabled_placed_special_school": _count("特殊教育学校就读人数",
                                                 "Of them, in special schools."),
        "disabled_placed_home_teaching": _count("送教上门人数",
                                                "Of them, taught at home or in an institution."),
        "preschool_age_children": _count("学前三年适龄儿童数", "Children of pre-school age (3–5)."),
        "migrant_children": _count("随迁子女数 (义务教育阶段)",
                                   "Compulsory-age migrant children (随迁子女) in the county."),
        "migrant_children_public": _count("在公办学校(含政府购买学位)就读的随迁子女数",
                                          "Of them, in public schools or government-purchased places."),
    }
    checks = [_frame_check(_placed, "placements_le_disabled_children",
                           ["disabled_children_school_age", "disabled_placed_regular_class",
                            "disabled_placed_special_school", "disabled_placed_home_teaching"],
                           "placements (regular + special school + home) must not exceed "
                           "disabled_children_school_age"),
              _frame_check(_mig, "migrant_public_le_migrant",
                           ["migrant_children_public", "migrant_children"],
                           "migrant_children_public must not exceed migrant_children")]
    return pa.DataFrameSchema(cols, checks=checks, unique=["county_code", "school_year"],
                              name="county_facts", description="One row per county × school_year.")


def school_results_schema(profile: str | SchemaProfile | None = None) -> pa.DataFrameSchema:
    """Schema of ``school_results`` (school-level results only, e.g. CASchools)."""
    p = _profile(profile)
    cols = {
        "school_year": _year_col(),
        "school_id": _school_id_col(p.school_id_pattern, "School (or district) identifier."),
        "subject": _col(str, unit="—", zh="学科", desc="Subject code (CASchools: read, math, testscr "
                                                     "= (read + math) / 2)."),
        "mean_score": _col("float64", unit="分", zh="平均分", nullable=True, desc="Mean score."),
        "n_students": _count("参考人数", "Students behind the mean (CASchools: district enrolment)."),
    }
    return pa.DataFrameSchema(cols, unique=["school_year", "school_id", "subject"],
                              name="school_results",
                              description="One row per school × school_year × subject.")


_SCHEMA_FACTORIES = {
    "schools": schools_schema, "teachers": teachers_schema, "scores": scores_schema,
    "county_facts": county_facts_schema, "school_results": school_results_schema,
}


def table_schemas(profile: str | SchemaProfile | None = None) -> dict[str, pa.DataFrameSchema]:
    """All five schemas for one profile, keyed by table name."""
    return {t: f(profile) for t, f in _SCHEMA_FACTORIES.items()}


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------
_MAX_ROWS_IN_MESSAGE = 8


def _py(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def _failures_from_pandera(table: str, err: SchemaErrors, frame: pd.DataFrame,
                           unique: list[str] | None = None) -> pd.DataFrame:
    """Tidy pandera's failure cases: one row per (column, check, row); a cross-column check is
    reported once per failing row, naming its columns and showing their values."""
    fc = err.failure_cases
    checks = fc["check"].astype(str)
    if unique:
        # one entry per duplicated row, naming the whole key
        key = f"duplicate_key ({' × '.join(unique)} must be unique)"
        _FRAME_CHECKS.setdefault(key, (list(unique), f"{' × '.join(unique)} must be unique"))
        checks = checks.where(checks != "multiple_fields_uniqueness", key)
    is_frame = checks.isin(list(_FRAME_CHECKS))
    col = fc["column"].astype(object).where(fc["column"].notna(), None)
    out = pd.DataFrame({"table": table, "column": col[~is_frame], "check": checks[~is_frame],
                        "row": fc.loc[~is_frame, "index"].astype(object),
                        "value": fc.loc[~is_frame, "failure_case"].astype(object)})
    parts = [out]
    if is_frame.any():
        sub = fc[is_frame].assign(check=checks[is_frame]).drop_duplicates(["check", "index"])
        rows = []
        for name, idx in zip(sub["check"], sub["index"]):
            cols, why = _FRAME_CHECKS[name]
            present = [c for c in cols if c in frame.columns]
            try:
                vals = {c: _py(frame.at[idx, c]) for c in present}
            except KeyError:
                vals = {}
            label = name if name.startswith("duplicate_key") else f"{name} ({why})"
            rows.append({"table": table, "column": ", ".join(cols), "check": label,
                         "row": idx, "value": vals})
        parts.append(pd.DataFrame(rows))
    return pd.concat(parts, ignore_index=True)


def _format_failures(failures: pd.DataFrame) -> str:
    lines = []
    for (table, column, check), grp in failures.groupby(
            ["table", failures["column"].fillna("<table>"), "check"], sort=False, dropna=False):
        rows = [r for r in grp["row"].tolist() if r is not None and not (isinstance(r, float) and pd.isna(r))]
        vals = grp["value"].tolist()
        shown = ", ".join(f"row {r}: {v!r}" for r, v in zip(rows[:_MAX_ROWS_IN_MESSAGE], vals))
        if not rows:
            shown = ", ".join(repr(v) for v in vals[:_MAX_ROWS_IN_MESSAGE])
        more = f" … (+{len(grp) - _MAX_ROWS_IN_MESSAGE} more)" if len(grp) > _MAX_ROWS_IN_MESSAGE else ""
        lines.append(f"  - table {table!r}, column {column!r}, check {check!r}: "
                     f"{len(grp)} failing: {shown}{more}")
    return "\n".join(lines)


def validate_table(table: str, frame: pd.DataFrame,
                   profile: str | SchemaProfile | None = None) -> pd.DataFrame:
    """Validate one table (lazy: every failure is collected). Raise :class:`TableValidationError`."""
    schema = _SCHEMA_FACTORIES[table](profile)
    try:
        return schema.validate(frame, lazy=True)
    except SchemaErrors as err:
        failures = _failures_from_pandera(table, err, frame, list(schema.unique or []))
        raise TableValidationError(
            f"table {table!r} breaks the data contract ({len(failures)} failure(s)):\n"
            + _format_failures(failures), failures) from None


def _profile_for(dataset: Dataset) -> SchemaProfile:
    return PROFILES.get(dataset.name, PROFILES["default"])


def _missing_keys(table: str, frame: pd.DataFrame, keys: pd.MultiIndex, what: str) -> pd.DataFrame:
    pairs = pd.MultiIndex.from_frame(frame[["school_id", "school_year"]].astype(object))
    bad = ~pairs.isin(keys)
    if not bad.any():
        return pd.DataFrame(columns=["table", "column", "check", "row", "value"])
    sub = frame.loc[bad, ["school_id", "school_year"]]
    return pd.DataFrame({"table": table, "column": "school_id", "check": what,
                         "row": sub.index.astype(object),
                         "value": (sub["school_id"].astype(str) + " × " +
                                   sub["school_year"].astype(str)).astype(object)})


def validate_tables(dataset: Dataset, profile: str | SchemaProfile | None = None) -> None:
    """Validate every table of ``dataset`` and the references between them.

    All tables are validated lazily and all failures reported together in one
    :class:`TableValidationError` naming table, column, check and failing rows. The profile is
    taken from ``dataset.name`` (``caschools`` → relaxed ids and FTE teachers) unless given.

    Referential checks: teachers, scores and school_results (school_id × school_year) exist in
    schools; central_school_id exists in schools in the same year; every county has one code;
    county_facts' counties appear in schools.
    """
    prof = _profile(profile) if profile is not None else _profile_for(dataset)
    problems: list[pd.DataFrame] = []
    messages: list[str] = []
    for table in TABLES:
        frame = getattr(dataset, table)
        if frame is None:
            if table == "schools":
                raise TableValidationError("dataset has no schools table")
            continue
        try:
            validate_table(table, frame, prof)
        except TableValidationError as e:
            problems.append(e.failures)
            messages.append(str(e))
    schools = dataset.schools
    if {"school_id", "school_year"} <= set(schools.columns):
        keys = pd.MultiIndex.from_frame(schools[["school_id", "school_year"]].astype(object))
        for table in ("teachers", "scores", "school_results"):
            frame = getattr(dataset, table)
            if frame is not None and {"school_id", "school_year"} <= set(frame.columns):
                f = _missing_keys(table, frame, keys, "school_id × school_year exists in schools")
                if len(f):
                    problems.append(f)
                    messages.append(f"table {table!r}: {len(f)} row(s) refer to a school_id × "
                                    f"school_year missing from schools:\n" + _format_failures(f))
        if "central_school_id" in schools.columns:
            tp = schools[schools["central_school_id"].notna()]
            if len(tp):
                cen = tp[["central_school_id", "school_year"]].rename(
                    columns={"central_school_id": "school_id"})
                f = _missing_keys("schools", cen, keys, "central_school_id exists in schools")
                if len(f):
                    f["column"] = "central_school_id"
                    problems.append(f)
                    messages.append("table 'schools': central_school_id not found among schools "
                                    "of the same year:\n" + _format_failures(f))
        if {"county", "county_code"} <= set(schools.columns):
            n = schools.groupby("county")["county_code"].nunique()
            bad = n[n > 1]
            if len(bad):
                f = pd.DataFrame({"table": "schools", "column": "county_code",
                                  "check": "one county_code per county", "row": None,
                                  "value": bad.index.astype(object)})
                problems.append(f)
                messages.append("table 'schools': counties with several county_code values: "
                                + ", ".join(map(str, bad.index)))
        cf = dataset.county_facts
        if cf is not None and "county" in cf.columns and "county" in schools.columns:
            unknown = sorted(set(cf["county"].dropna()) - set(schools["county"].dropna()))
            if unknown:
                f = pd.DataFrame({"table": "county_facts", "column": "county",
                                  "check": "county exists in schools", "row": None,
                                  "value": pd.Series(unknown, dtype=object)})
                problems.append(f)
                messages.append("table 'county_facts': counties not in schools: " + ", ".join(unknown))
    if problems:
        raise TableValidationError(
            f"dataset {dataset.name!r} failed validation:\n" + "\n".join(messages),
            pd.concat(problems, ignore_index=True))


# ---------------------------------------------------------------------------------------------
# Data dictionary
# ---------------------------------------------------------------------------------------------
DICTIONARY_HEADING = "## Data dictionary"
_TABLE_NOTES = {
    "schools": "One row per school_id × school_year (unique). Per-stage columns are 0 where the "
               "school has no such stage; whole-school resources are not split by stage.",
    "teachers": "One row per teacher_key × school_year (unique). Pseudonymous keys only.",
    "scores": "One row per student_key × subject × exam (unique within school_year). Checks: "
              "score ≤ full_marks; score is NA exactly when absent.",
    "county_facts": "One row per county_code × school_year (unique). Placements must not exceed "
                    "the number of school-age disabled children.",
    "school_results": "Optional: sources that only publish school-level results (CASchools).",
}


def data_dictionary(profile: str | SchemaProfile | None = None) -> pd.DataFrame:
    """The data dictionary: one row per (table, column), read from the pandera schemas."""
    rows = []
    for table, schema in table_schemas(profile).items():
        for name, col in schema.columns.items():
            meta = col.metadata or {}
            rows.append({"table": table, "column": name,
                         "type": meta.get("type", str(col.dtype)) + ("" if col.required else ", optional"),
                         "unit": meta.get("unit", ""), "chinese_header": meta.get("chinese_header", ""),
                         "description": col.description or ""})
    return pd.DataFrame(rows, columns=["table", "column", "type", "unit", "chinese_header",
                                       "description"])


def _md_cell(x: Any) -> str:
    return str(x).replace("|", "\\|").replace("\n", " ")


def render_data_dictionary_markdown(profile: str | SchemaProfile | None = None) -> str:
    """Markdown of the data dictionary (the body of data/README.md's "Data dictionary" section)."""
    dd = data_dictionary(profile)
    schemas = table_schemas(profile)
    out = ["<!-- generated by lyganalysis.schema.render_data_dictionary_markdown(); do not edit by "
           "hand: run `python -m lyganalysis.schema --write-readme data/README.md` -->", ""]
    for table, grp in dd.groupby("table", sort=False):
        uniq = schemas[table].unique
        out.append(f"### {table}")
        out.append("")
        note = _TABLE_NOTES.get(table, "")
        if uniq:
            note += f" Unique key: {' × '.join(uniq)}."
        out.append(note.strip())
        out.append("")
        out.append("| column | type | unit | Chinese header (中文表头) | description |")
        out.append("|---|---|---|---|---|")
        for r in grp.itertuples(index=False):
            out.append(f"| `{r.column}` | {_md_cell(r.type)} | {_md_cell(r.unit)} | "
                       f"{_md_cell(r.chinese_header)} | {_md_cell(r.description)} |")
        out.append("")
    out.append("Schema profiles (chosen by dataset name in `validate_tables`):")
    out.append("")
    out.extend(f"- `{p.name}`: {p.note}" for p in PROFILES.values())
    return "\n".join(out).rstrip() + "\n"


def extract_readme_section(text: str, heading: str = DICTIONARY_HEADING) -> str | None:
    """The body of a level-2 section of a markdown text (up to the next level-2 heading)."""
    m = re.search(rf"^{re.escape(heading)}[ \t]*\n", text, flags=re.M)
    if not m:
        return None
    rest = text[m.end():]
    nxt = re.search(r"^## ", rest, flags=re.M)
    body = rest[: nxt.start()] if nxt else rest
    return body.strip("\n") + "\n"


def write_data_dictionary_section(readme: str | Path) -> Path:
    """Replace (or append) the "Data dictionary" section of ``readme`` with the rendered text."""
    path = Path(readme)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    body = render_data_dictionary_markdown()
    m = re.search(rf"^{re.escape(DICTIONARY_HEADING)}[ \t]*\n", text, flags=re.M)
    if m:
        rest = text[m.end():]
        nxt = re.search(r"^## ", rest, flags=re.M)
        tail = rest[nxt.start():] if nxt else ""
        text = text[: m.end()] + "\n" + body + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + DICTIONARY_HEADING + "\n\n" + body
    path.write_text(text, encoding="utf-8")
    return path


def _main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m lyganalysis.schema",
                                 description="Print the data dictionary or write it into a README.")
    ap.add_argument("--write-readme", metavar="PATH", help="update the 'Data dictionary' section")
    args = ap.parse_args(argv)
    if args.write_readme:
        print(write_data_dictionary_section(args.write_readme))
    else:
        print(render_data_dictionary_markdown())
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())
