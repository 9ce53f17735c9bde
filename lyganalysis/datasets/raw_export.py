"""Write a dataset as dirty bureau-style exports, for trying (and testing) the intake.

:func:`write_raw_exports` writes all four tables the way county clerks' files look, and
:func:`lyganalysis.intake.read_dataset` turns them back into exactly the clean tables (the round
trip is a test: tests/test_raw_roundtrip.py).

Files written (one folder, flat):

``学校基本情况_<县区>_<学年>.xlsx`` — schools, one workbook per county and school year: two merged
title rows, a two-row merged header (在校生数 over 小学/初中/高中/学前/特教 …), rows grouped by
城区/镇区/乡村 with a 小计 row after each group and a 合计 row (merged label cells), then 注 and
填表人 footers. Some cells are text with units or separators ('1,234人', '2.58万', '5,234.1㎡'),
full-width digits ('１２３'), '—' for missing, counties as aliases (海州, 新浦区, 赣榆县 …),
equipment value in 万元, school codes sometimes stored as numbers.

``教师基本信息_<县区>_<学年>.csv`` — teachers, GBK or GB18030, a title line, 姓名 (SYNTHETIC
names), 身份证号 (SYNTHETIC numbers with a valid GB 11643 check digit, built from birth year and
gender by :func:`lyganalysis.datasets.synthetic.demo_id_number`; some in the old 15-digit form),
出生年月 in several forms, Chinese labels of 学段/学历/职称/学科/骨干, 来校时间 as 2021.09.01 /
2021-9-1 / 2021年9月1日 / an Excel serial / YYYYMMDD, 是否交流轮岗, a 填表人 footer.

``学生成绩_<县区>_<考试>.csv`` — scores, UTF-8 with BOM (grade 6) or UTF-8 (grade 9), long format
(one row per student and subject), 学生编号 = the pseudonymous ``student_key`` (the demo has no
学籍号), '缺考' in the score cell, some scores with '分' or full-width digits, 是/否 flags, a 注 line.

``县区基本情况.xlsx`` — county facts, a sheet per school year, '—' where a figure does not exist
(市直), a 合计 row.

``lyganalysis_export.json`` — dataset name, simulated flag, description and ``demo_salt`` (the
teacher keys of the simulated demo are keyed with the public demo salt).

Teachers can only be exported for the simulated demo (or a subset of it): their ID numbers are
regenerated from the demo's keys. All choices of "dirt" are deterministic (seeded per file).
"""

from __future__ import annotations

import datetime as _dt
import json
import zlib
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from lyganalysis.datasets import Dataset

__all__ = ["write_raw_exports", "SCHOOL_HEADERS", "EXPORT_META_FILE"]

EXPORT_META_FILE = "lyganalysis_export.json"  # same as lyganalysis.intake.EXPORT_META_FILE

_TYPE_ZH = {"primary": ["小学", "完全小学"], "junior": ["初级中学", "初中"],
            "nine_year": ["九年一贯制学校", "九年一贯制"], "twelve_year": ["十二年一贯制学校"],
            "complete_middle": ["完全中学", "完中"], "senior": ["高级中学"],
            "kindergarten": ["幼儿园"], "special": ["特殊教育学校", "特教学校"],
            "teaching_point": ["教学点", "小学教学点"]}
_STAGE_ZH = {"primary": "小学", "junior": "初中", "senior": "高中", "preschool": "学前", "special": "特教"}
_COUNTY_ALIASES = {"海州区": ["海州", "新浦区"], "赣榆区": ["赣榆县", "赣榆"], "连云区": ["连云"],
                   "东海县": ["东海"], "灌云县": ["灌云"], "灌南县": ["灌南"], "开发区": ["经济技术开发区"],
                   "徐圩新区": ["徐圩"], "云台山景区": ["云台山风景名胜区"], "市直": ["市属"]}

#: canonical column → flattened header the intake sees ('group_stage' for the merged groups)
SCHOOL_HEADERS: dict[str, str] = {
    "school_year": "学年", "school_id": "学校标识码", "school_name": "学校名称", "county_code": "行政区划代码",
    "county": "县区", "school_type": "办学类型", "central_school_id": "所属中心校标识码",
    "locale_code": "城乡分类代码", "ownership": "办别",
}
_GROUPS = [("students", "在校生数", ("primary", "junior", "senior", "preschool", "special")),
           ("classes", "班级数", ("primary", "junior", "senior", "preschool")),
           ("max_class_size", "最大班额", ("primary", "junior")),
           ("teachers", "专任教师数", ("primary", "junior", "senior", "preschool", "special")),
           ("above_required_qualification", "高于规定学历教师数", ("primary", "junior")),
           ("backbone_teachers", "县级以上骨干教师数", ("primary", "junior")),
           ("pe_arts_teachers", "体育艺术专任教师数", ("primary", "junior"))]
for _base, _zh, _stages in _GROUPS:
    for _st in _stages:
        SCHOOL_HEADERS[f"{_base}_{_st}"] = f"{_zh}_{_STAGE_ZH[_st]}"
SCHOOL_HEADERS.update({
    "teaching_area_m2": "教学及辅助用房面积(平方米)", "sports_area_m2": "体育运动场馆面积(平方米)",
    "equipment_value_yuan": "教学仪器设备值(万元)", "multimedia_classrooms": "网络多媒体教室(间)",
    "computers": "教学用计算机(台)", "books": "图书(册)", "music_rooms": "音乐专用教室(间)",
    "art_rooms": "美术专用教室(间)", "affordable_kindergarten": "是否普惠园",
    "quality_kindergarten": "是否优质园",
})
_NOT_SUMMED = {"school_year", "school_id", "school_name", "county_code", "county", "school_type",
               "central_school_id", "locale_code", "ownership", "max_class_size_primary",
               "max_class_size_junior", "affordable_kindergarten", "quality_kindergarten"}
_FULLWIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")


def _rng(*parts: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("|".join(map(str, parts)).encode("utf-8")))


def _dec(v: float) -> Decimal:
    return Decimal(repr(float(v)))


def _count_cell(v, rng, unit: str | None = None):
    """An integer count as a clerk might type it."""
    if v is None or pd.isna(v):
        return "—" if rng.random() < 0.5 else None
    v = int(v)
    u = rng.random()
    if u < 0.03:
        return str(v).translate(_FULLWIDTH)
    if u < 0.06 and unit:
        return (f"{v:,}" if v >= 1000 else str(v)) + unit
    if u < 0.09 and v >= 1000:
        return f"{v:,}"
    return v


def _school_rows(s: pd.DataFrame, rng) -> list[list]:
    rows = []
    for r in s.itertuples(index=False):
        d = r._asdict()
        row = []
        for c in SCHOOL_HEADERS:
            v = d[c]
            if c == "school_year":
                v = int(v) if rng.random() > 0.05 else str(int(v)).translate(_FULLWIDTH)
            elif c in ("school_id", "central_school_id"):
                v = None if pd.isna(v) else (int(v) if rng.random() < 0.1 else str(v))
            elif c == "school_name":
                v = (" " + v + " ") if rng.random() < 0.05 else v
            elif c == "county":
                alts = _COUNTY_ALIASES.get(v, [])
                v = alts[int(rng.integers(len(alts)))] if alts and rng.random() < 0.2 else v
            elif c == "county_code":
                v = str(v)
            elif c == "school_type":
                opts = _TYPE_ZH[v]
                v = opts[int(rng.integers(len(opts)))]
            elif c == "locale_code":
                v = None if pd.isna(v) else (int(v) if rng.random() < 0.3 else str(v))
            elif c == "ownership":
                v = {"public": "公办", "private": "民办"}.get(v)
            elif c in ("affordable_kindergarten", "quality_kindergarten"):
                v = None if pd.isna(v) else ("是" if v else "否")
            elif c == "equipment_value_yuan":
                v = float(Decimal(int(v)) / 10000) if not pd.isna(v) else "—"
            elif c in ("teaching_area_m2", "sports_area_m2"):
                if pd.isna(v):
                    v = "—"
                else:
                    u = rng.random()
                    text = format(_dec(v), "f")
                    v = f"{_dec(v):,}㎡" if u < 0.04 else (text + "平方米" if u < 0.08 else float(v))
            elif c == "books":
                if not pd.isna(v) and int(v) % 100 == 0 and int(v) >= 10000:
                    v = format((Decimal(int(v)) / 10000).normalize(), "f") + "万"
                else:
                    v = _count_cell(v, rng, "册")
            elif c.startswith(("students_", "teachers_", "max_class_size_")) or c in (
                    "above_required_qualification_primary", "above_required_qualification_junior",
                    "backbone_teachers_primary", "backbone_teachers_junior",
                    "pe_arts_teachers_primary", "pe_arts_teachers_junior"):
                v = _count_cell(v, rng, "人")
            else:
                v = _count_cell(v, rng)
            row.append(v)
        rows.append(row)
    return rows


def _sum_row(s: pd.DataFrame) -> list:
    out = []
    for c in SCHOOL_HEADERS:
        if c in _NOT_SUMMED:
            out.append(None)
        elif c == "equipment_value_yuan":
            out.append(float(sum((Decimal(int(v)) / 10000 for v in s[c].dropna()), Decimal(0))))
        elif c in ("teaching_area_m2", "sports_area_m2"):
            out.append(float(sum((_dec(v) for v in s[c].dropna()), Decimal(0))))
        else:
            out.append(int(s[c].sum()))
    return out


def _write_schools(ds: Dataset, county: str, year: int, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    s = ds.schools[(ds.schools.school_year == year) & (ds.schools.county == county)]
    rng = _rng("schools", county, year)
    canon = list(SCHOOL_HEADERS)
    ncol = len(canon) + 1  # + 序号
    wb = Workbook()
    ws = wb.active
    ws.title = "学校基本情况"
    ws.append([f"{county}{year}—{year + 1}学年学校基本情况" + ("（模拟数据）" if ds.simulated else "")])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.append([f"填报单位：{county}教育局    统计时点：{year}年9月"])
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncol)
    # two-row header: groups merged horizontally over their stages, others merged vertically
    top, sub = ["序号"], [None]
    for c in canon:
        h = SCHOOL_HEADERS[c]
        if "_" in h:
            g, st = h.split("_", 1)
            top.append(g)
            sub.append(st)
        else:
            top.append(h)
            sub.append(None)
    merges = []
    col = 1
    while col <= ncol:
        h = top[col - 1]
        if sub[col - 1] is None:
            merges.append((3, col, 4, col))
            col += 1
            continue
        end = col
        while end < ncol and top[end] == h and sub[end] is not None:
            end += 1
        if end > col:
            merges.append((3, col, 3, end))
        col = end + 1
    shown = list(top)
    for _r0, c0, _r1, c1 in merges:
        for c in range(c0 + 1, c1 + 1):
            shown[c - 1] = None
    ws.append(shown)
    ws.append(sub)
    for r0, c0, r1, c1 in merges:
        ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)
    serial = 0
    for locale, label in (("urban", "城区"), ("town", "镇区"), ("rural", "乡村")):
        g = s[s.locale == locale]
        if not len(g):
            continue
        for row in _school_rows(g, rng):
            serial += 1
            ws.append([serial] + row)
        ws.append([f"{label}小计", None, None, None] + _sum_row(g)[3:])
        r = ws.max_row
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=4)
    ws.append(["合  计", None, None, None] + _sum_row(s)[3:])
    r = ws.max_row
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=4)
    ws.append([])
    ws.append(["注：1. 本表为模拟数据，仅供试用。2. 教学仪器设备值单位为万元。"])
    ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=ncol)
    ws.append(["填表人：王晓明", None, None, None, "审核人：李华", None, None, None, f"填表日期：{year}年10月15日"])
    wb.save(path)


# --------------------------------------------------------------------------------- teachers
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏飞辉建国志文斌宇浩凯晨欣怡雪梅琳婷慧颖博佳子轩雨涵思彤")
_QUAL_ZH = {"postgraduate": ["研究生", "硕士研究生", "研究生毕业"], "bachelor": ["本科", "大学本科"],
            "associate": ["专科", "大专"], "high_school_or_below": ["高中及以下", "中师", "中专"]}
_TITLE_ZH = {"senior_professor": ["正高级教师", "正高级"], "senior": ["高级教师", "高级"],
             "first": ["一级教师", "一级"], "second": ["二级教师", "二级"], "third": ["三级教师", "三级"],
             "unrated": ["未定职级", "未评"]}
_SUBJ_ZH = {"chinese": ["语文"], "math": ["数学"], "english": ["英语", "外语"], "science": ["科学", "物理", "化学", "生物"],
            "moral_education": ["道德与法治", "思想品德"], "pe": ["体育", "体育与健康"], "music": ["音乐"],
            "fine_art": ["美术"], "it": ["信息技术"], "labour": ["劳动", "劳动技术"],
            "mental_health": ["心理健康教育", "心理健康"], "other": ["其他"]}
_BB_ZH = {"none": ["无", "否"], "county": ["县级骨干", "县级", "区级"], "city": ["市级骨干", "市级"],
          "province": ["省级骨干", "省级"]}
_STAGE_T = {"primary": ["小学"], "junior": ["初中"], "senior": ["高中"], "preschool": ["学前", "幼儿园"],
            "special": ["特殊教育", "特教"]}


def _pick(options: dict, codes: np.ndarray, rng) -> list[str]:
    u = rng.random(len(codes))
    return [options[c][int(x * len(options[c]))] for c, x in zip(codes, u)]


def _names(rng, n: int) -> list[str]:
    s = rng.integers(len(_SURNAMES), size=n)
    g1 = rng.integers(len(_GIVEN), size=n)
    g2 = rng.integers(len(_GIVEN), size=n)
    two = rng.random(n) < 0.6
    return [_SURNAMES[a] + _GIVEN[b] + (_GIVEN[c] if t else "") for a, b, c, t in zip(s, g1, g2, two)]


def _date_text(d: _dt.date, u: float) -> str:
    if u < 0.2:
        return f"{d.year}.{d.month:02d}.{d.day:02d}"
    if u < 0.4:
        return f"{d.year}-{d.month}-{d.day}"
    if u < 0.6:
        return f"{d.year}年{d.month}月{d.day}日"
    if u < 0.8:
        return str((d - _dt.date(1899, 12, 30)).days)  # Excel serial
    return f"{d:%Y%m%d}"


def _write_teachers(t: pd.DataFrame, numbers: pd.Series, county: str, year: int, path: Path,
                    simulated: bool, encoding: str) -> None:
    from lyganalysis import ids

    rng = _rng("teachers", county, year)
    n = len(t)
    numbers = numbers.loc[t.index].tolist()
    u15 = rng.random(n)
    id_text = []
    for num, u in zip(numbers, u15):
        if u < 0.1 and num[6:8] == "19":
            id_text.append(ids.to_15_digits(num))
        elif u < 0.13 and num.endswith("X"):
            id_text.append(num[:-1] + "x")
        elif u < 0.16:
            id_text.append(" " + num + " ")
        else:
            id_text.append(num)
    ym = []
    for num, u in zip(numbers, rng.random(n)):
        y, m = num[6:10], int(num[10:12])
        ym.append(f"{y}.{m:02d}" if u < 0.4 else (f"{y}-{m}" if u < 0.7 else (f"{y}年{m}月" if u < 0.85 else f"{y}{m:02d}")))
    entry = []
    for yis, u, day in zip(t.years_in_school.to_numpy(), rng.random(n), rng.integers(0, 14, n)):
        d = _dt.date(year - int(yis), 8, 25) + _dt.timedelta(days=int(day))
        entry.append(_date_text(d, u))
    frame = pd.DataFrame({
        "序号": np.arange(1, n + 1),
        "姓名": _names(rng, n),
        "性别": np.where(t.gender.to_numpy() == "male", "男", "女"),
        "身份证号": id_text,
        "出生年月": ym,
        "学校标识码": t.school_id.to_numpy(),
        "学年": [f"{year}-{year + 1}" if u < 0.3 else str(year) for u in rng.random(n)],
        "任教学段": _pick(_STAGE_T, t.stage.to_numpy(), rng),
        "最高学历": _pick(_QUAL_ZH, t.qualification.to_numpy(), rng),
        "专业技术职务": _pick(_TITLE_ZH, t.title.to_numpy(), rng),
        "任教学科": _pick(_SUBJ_ZH, t.subject.to_numpy(), rng),
        "骨干教师级别": _pick(_BB_ZH, t.backbone_level.to_numpy(), rng),
        "来校时间": entry,
        "是否交流轮岗": np.where(t.rotated.to_numpy(), "是", "否"),
    })
    title = f"{county}{year}学年教职工基本信息表" + ("（模拟数据）" if simulated else "")
    body = frame.to_csv(index=False, lineterminator="\r\n")
    text = title + "\r\n" + body + "填表人：陈静（人事科）\r\n"
    path.write_bytes(text.encode(encoding))


# --------------------------------------------------------------------------------- scores
_GRADE_ZH = {6: ["六年级", "6", "6年级"], 9: ["九年级", "初三", "9"]}
_SUBJ_SCORE_ZH = {"chinese": "语文", "math": "数学", "english": "英语"}


def _num_text(v: float) -> str:
    return format(_dec(v).normalize(), "f") if not float(v).is_integer() else str(int(v))


def _write_scores(sc: pd.DataFrame, county: str, exam: str, path: Path, simulated: bool) -> None:
    rng = _rng("scores", county, exam)
    n = len(sc)
    grade = int(sc.grade.iloc[0])
    score_txt = np.array([_num_text(v) if not np.isnan(v) else "" for v in sc.score.to_numpy()], dtype=object)
    u = rng.random(n)
    dirty = (u < 0.01) & (score_txt != "")
    score_txt[dirty] = [s + "分" for s in score_txt[dirty]]
    fw = (u > 0.995) & (score_txt != "")
    score_txt[fw] = [s.translate(_FULLWIDTH) for s in score_txt[fw]]
    score_txt[sc.absent.to_numpy()] = "缺考"
    prior = [_num_text(v) if not np.isnan(v) else "" for v in sc.prior_score.to_numpy()]
    students = sc.student_key.to_numpy()
    uniq, inv = np.unique(students, return_inverse=True)
    names = np.array(_names(rng, len(uniq)), dtype=object)[inv]
    g_opts = _GRADE_ZH[grade]
    frame = pd.DataFrame({
        "学年": sc.school_year.to_numpy(),
        "考试名称": sc.exam.to_numpy(),
        "学生编号": students,
        "姓名": names,
        "学校标识码": sc.school_id.to_numpy(),
        "班级": sc.class_id.to_numpy(),
        "年级": g_opts[int(rng.integers(len(g_opts)))],
        "科目": sc.subject.map(_SUBJ_SCORE_ZH).to_numpy(),
        "成绩": score_txt,
        "满分": [_num_text(v) for v in sc.full_marks.to_numpy()],
        "上次成绩": prior,
        "性别": np.where(sc.gender.to_numpy() == "male", "男", "女"),
        "随迁子女": np.where(sc.migrant.to_numpy(), "是", "否"),
        "留守儿童": np.where(sc.left_behind.to_numpy(), "是", "否"),
    })
    title = f"{county}{exam}成绩" + ("（模拟数据）" if simulated else "")
    body = frame.to_csv(index=False, lineterminator="\n")
    text = title + "\n" + body + "注：缺考学生的成绩记为“缺考”。\n"
    path.write_bytes(text.encode("utf-8-sig" if grade == 6 else "utf-8"))


# --------------------------------------------------------------------------------- county facts
_CF_HEADERS = {"school_year": "学年", "county_code": "县区代码", "county": "县区",
               "disabled_children_school_age": "适龄残疾儿童少年数", "disabled_placed_regular_class": "随班就读人数",
               "disabled_placed_special_school": "特殊教育学校就读人数", "disabled_placed_home_teaching": "送教上门人数",
               "preschool_age_children": "学前三年适龄儿童数", "migrant_children": "随迁子女数",
               "migrant_children_public": "在公办学校就读的随迁子女数"}


def _write_county_facts(cf: pd.DataFrame, path: Path, simulated: bool) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for year in sorted(cf.school_year.unique()):
        ws = wb.create_sheet(f"{year}学年")
        rng = _rng("county_facts", year)
        ws.append([f"连云港市{year}学年县区教育基本情况" + ("（模拟数据）" if simulated else "")])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(_CF_HEADERS))
        ws.append(list(_CF_HEADERS.values()))
        g = cf[cf.school_year == year]
        for r in g.itertuples(index=False):
            d = r._asdict()
            row = [int(d["school_year"]), str(d["county_code"]), d["county"]]
            for c in list(_CF_HEADERS)[3:]:
                row.append(_count_cell(d[c], rng, "人") if not pd.isna(d[c]) else "—")
            ws.append(row)
        total = ["合计", None, None] + [int(g[c].sum()) for c in list(_CF_HEADERS)[3:]]
        ws.append(total)
        ws.append(["注：“—”表示不适用（市直学校无户籍人口）。"])
    wb.save(path)


def write_raw_exports(ds: Dataset, directory: str | Path) -> list[Path]:
    """Write ``ds`` as dirty bureau-style exports into ``directory``; return the paths written.

    Parameters
    ----------
    ds
        The simulated demo (``load_dataset("lianyungang_demo")``) or a subset of it. Schools and
        county facts of any dataset can be written; teachers only for the demo, because their
        synthetic ID numbers are regenerated from the demo's keys.
    directory
        Output folder (created).

    Returns
    -------
    list of Path
        The schools workbooks, teacher CSVs, score CSVs, the county-facts workbook and
        ``lyganalysis_export.json``, in that order. See the module docstring for the formats.
    """
    from lyganalysis.datasets import synthetic

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    counties = ds.counties()
    years = ds.school_years()
    for year in years:
        for county in counties:
            p = out / f"学校基本情况_{county}_{year}.xlsx"
            _write_schools(ds, county, year, p)
            paths.append(p)
    school_county = ds.schools.drop_duplicates("school_id").set_index("school_id")["county"]
    if ds.teachers is not None and len(ds.teachers):
        numbers = synthetic.demo_teacher_ids(ds.teachers)
        tc = ds.teachers.school_id.map(school_county)
        for i, year in enumerate(years):
            for j, county in enumerate(counties):
                t = ds.teachers[(ds.teachers.school_year == year) & (tc == county)]
                if not len(t):
                    continue
                p = out / f"教师基本信息_{county}_{year}.csv"
                _write_teachers(t, numbers, county, year, p, ds.simulated, "gbk" if (i + j) % 2 == 0 else "gb18030")
                paths.append(p)
    if ds.scores is not None and len(ds.scores):
        sc_county = ds.scores.school_id.map(school_county)
        for exam in sorted(ds.scores.exam.unique()):
            for county in counties:
                sc = ds.scores[(ds.scores.exam == exam) & (sc_county == county)]
                if not len(sc):
                    continue
                p = out / f"学生成绩_{county}_{exam}.csv"
                _write_scores(sc, county, exam, p, ds.simulated)
                paths.append(p)
    if ds.county_facts is not None and len(ds.county_facts):
        p = out / "县区基本情况.xlsx"
        _write_county_facts(ds.county_facts, p, ds.simulated)
        paths.append(p)
    meta = {"name": ds.name, "simulated": bool(ds.simulated), "language": ds.language,
            "description": ds.description, "demo_salt": ds.name == "lianyungang_demo",
            "written_by": "lyganalysis.datasets.raw_export.write_raw_exports"}
    mp = out / EXPORT_META_FILE
    mp.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    paths.append(mp)
    return paths
