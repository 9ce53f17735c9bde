"""Write a dataset's ``schools`` table as bureau-style Excel exports (for trying the intake).

One workbook per county and school year, ``学校基本情况_<county>_<year>.xlsx``, shaped like the
exports the bureau's clerks produce: a merged title row (marked 模拟数据 for simulated data),
Chinese headers with units in brackets (equipment value in 万元, areas in 平方米), school types and
ownership as Chinese labels, and a 合计 (total) row at the bottom.

Only the schools table is exported: teachers and scores exports would carry ID numbers and names,
which the demo deliberately never generates.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lyganalysis.datasets import Dataset

__all__ = ["write_raw_exports", "SCHOOL_HEADERS"]

_TYPE_ZH = {"primary": "小学", "junior": "初级中学", "nine_year": "九年一贯制学校",
            "twelve_year": "十二年一贯制学校", "complete_middle": "完全中学", "senior": "高级中学",
            "kindergarten": "幼儿园", "special": "特殊教育学校", "teaching_point": "教学点"}
_STAGE_ZH = {"primary": "小学", "junior": "初中", "senior": "高中", "preschool": "学前",
             "special": "特教"}

#: canonical column → header written (units in brackets where the bureau's exports have them)
SCHOOL_HEADERS: dict[str, str] = {
    "school_year": "学年", "school_id": "学校标识码", "school_name": "学校名称", "county_code": "行政区划代码",
    "county": "县区", "school_type": "办学类型", "central_school_id": "所属中心校标识码",
    "locale_code": "城乡分类代码", "ownership": "办别",
}
for _st, _zh in _STAGE_ZH.items():
    SCHOOL_HEADERS[f"students_{_st}"] = f"{_zh}在校生数"
for _st in ("primary", "junior", "senior", "preschool"):
    SCHOOL_HEADERS[f"classes_{_st}"] = f"{_STAGE_ZH[_st]}班级数"
for _st, _zh in _STAGE_ZH.items():
    SCHOOL_HEADERS[f"teachers_{_st}"] = f"{_zh}专任教师数"
for _st in ("primary", "junior"):
    _zh = _STAGE_ZH[_st]
    SCHOOL_HEADERS[f"max_class_size_{_st}"] = f"{_zh}最大班额"
    SCHOOL_HEADERS[f"above_required_qualification_{_st}"] = f"{_zh}高于规定学历教师数"
    SCHOOL_HEADERS[f"backbone_teachers_{_st}"] = f"{_zh}县级以上骨干教师数"
    SCHOOL_HEADERS[f"pe_arts_teachers_{_st}"] = f"{_zh}体育艺术专任教师数"
SCHOOL_HEADERS.update({
    "teaching_area_m2": "教学及辅助用房面积(平方米)", "sports_area_m2": "体育运动场馆面积(平方米)",
    "equipment_value_yuan": "教学仪器设备值(万元)", "multimedia_classrooms": "网络多媒体教室(间)",
    "computers": "教学用计算机(台)", "books": "图书(册)", "music_rooms": "音乐专用教室(间)",
    "art_rooms": "美术专用教室(间)", "affordable_kindergarten": "是否普惠园",
    "quality_kindergarten": "是否优质园",
})

_NOT_SUMMED = {"max_class_size_primary", "max_class_size_junior"}


def _export_frame(schools: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in SCHOOL_HEADERS if c in schools.columns]
    df = schools[cols].copy()
    df["school_type"] = df["school_type"].map(_TYPE_ZH)
    if "ownership" in df:
        df["ownership"] = df["ownership"].map({"public": "公办", "private": "民办"})
    if "equipment_value_yuan" in df:
        df["equipment_value_yuan"] = (df["equipment_value_yuan"] / 10_000).round(2)
    for c in ("affordable_kindergarten", "quality_kindergarten"):
        if c in df:
            df[c] = df[c].map({True: "是", False: "否"}).astype(object)
    df = df.astype(object).where(df.notna(), None)
    total = {c: None for c in cols}
    total["school_id"] = "合计"
    for c in cols:
        if c in _NOT_SUMMED or c in ("school_year", "school_id", "county_code", "central_school_id",
                                     "locale_code"):
            continue
        num = pd.to_numeric(schools[c], errors="coerce") if c != "equipment_value_yuan" else \
            pd.to_numeric(df[c], errors="coerce")
        if pd.api.types.is_numeric_dtype(num) and not pd.api.types.is_bool_dtype(schools[c].dtype) \
                and num.notna().any():
            total[c] = round(float(num.sum()), 2) if c.endswith(("_m2", "_yuan")) else int(num.sum())
    df = pd.concat([df, pd.DataFrame([total], columns=cols)], ignore_index=True)
    return df.rename(columns=SCHOOL_HEADERS)


def write_raw_exports(ds: Dataset, directory: str | Path) -> list[Path]:
    """Write ``学校基本情况_<county>_<year>.xlsx`` for every county and school year; return paths."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for year in ds.school_years():
        for county in ds.counties():
            s = ds.schools[(ds.schools.school_year == year) & (ds.schools.county == county)]
            frame = _export_frame(s)
            wb = Workbook()
            ws = wb.active
            ws.title = "学校基本情况"
            title = f"{county}{year}学年学校基本情况" + ("（模拟数据）" if ds.simulated else "")
            ws.append([title])
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=frame.shape[1])
            ws.cell(1, 1).font = Font(bold=True)
            ws.cell(1, 1).alignment = Alignment(horizontal="center")
            ws.append(list(frame.columns))
            for row in frame.itertuples(index=False):
                ws.append(list(row))
            p = out / f"学校基本情况_{county}_{year}.xlsx"
            wb.save(p)
            paths.append(p)
    return paths
