"""Simulated inspection inputs for the demo (模拟数据): a filled county form and a survey.

* :func:`make_county_form` — one row per demo county and school year, in the shape that
  :func:`lyganalysis.forms.county_facts.read_county_form` returns (shares as proportions). Most
  figures pass their thresholds; by design at least one item fails in every block: 灌云县 declares
  违规择校 (veto), 赣榆区 has a junior zoned-admission share under 95 % (guarantee) and one monitoring
  subject with 校际差异率 ≥ 0.15 (quality), 东海县 a teacher pay below civil-servant pay, 灌南县 a
  3-year retention under 95 %.
* :func:`make_survey` — the long survey table (respondent group, school, item, answer) for the
  latest school year: students, parents, teachers and others answer eight five-point questions;
  in 赣榆区 the parents are under 85 % satisfied while the county overall passes; 灌南县 is under
  85 % overall (recognition block fails).
* :func:`write_survey_export` — one county's survey as a 问卷星-style export (with SYNTHETIC IP
  addresses and a free-text question), to try :func:`lyganalysis.intake_survey.read_survey_export`.

Both use their own seeded ``numpy.random.Generator``: nothing in the other demo tables changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lyganalysis.forms.county_facts import MONITORING_SUBJECTS, form_frame
from lyganalysis.metrics.survey import FIVE_POINT_SCALE

__all__ = ["make_county_form", "make_survey", "write_survey_export", "SURVEY_GROUPS", "SURVEY_QUESTIONS",
           "INSPECTION_DEMO_VERSION"]

INSPECTION_DEMO_VERSION = "1"
_FORM_STREAM, _SURVEY_STREAM = 13, 14

SURVEY_GROUPS: tuple[tuple[str, int], ...] = (("学生", 120), ("家长", 120), ("教师", 60), ("社会人士", 30))
"""Respondent groups and respondents per county in the simulated survey."""

SURVEY_QUESTIONS: tuple[str, ...] = (
    "3、您对本县区学校的办学条件满意吗？", "4、您对学校的教师队伍满意吗？", "5、您对学校的教育教学质量满意吗？",
    "6、您对学校的课后服务满意吗？", "7、您对学生的课业负担情况满意吗？", "8、您对学校的校园安全满意吗？",
    "9、您对义务教育入学政策满意吗？", "10、总体上，您对本县区义务教育满意吗？")

# top-two probability per county (base) and per group shift
_SURVEY_BASE = {"海州区": 0.91, "连云区": 0.90, "赣榆区": 0.91, "东海县": 0.89, "灌云县": 0.88, "灌南县": 0.80,
                "开发区": 0.92, "徐圩新区": 0.89, "云台山景区": 0.88, "市直": 0.93}
_GROUP_SHIFT = {"学生": 0.02, "家长": -0.02, "教师": 0.0, "社会人士": -0.01}


def _units(ds) -> list[tuple[str, str]]:
    s = ds.schools[["county", "county_code"]].drop_duplicates().sort_values(["county_code", "county"])
    return list(zip(s["county"], s["county_code"]))


def make_county_form(ds, *, seed: int = 2022) -> pd.DataFrame:
    """Filled simulated county form for every county and school year of ``ds`` (see module docstring).

    Returns the frame in the dtypes of :func:`lyganalysis.forms.county_facts.read_county_form`.
    """
    rng = np.random.default_rng([seed, _FORM_STREAM])
    rows = []
    for county, code in _units(ds):
        for year in ds.school_years():
            sch = ds.schools[(ds.schools.county == county) & (ds.schools.school_year == year)]
            t_p = int(sch["teachers_primary"].fillna(0).sum())
            t_j = int(sch["teachers_junior"].fillna(0).sum())
            pupils = sch["students_primary"] + sch["students_junior"]
            small = int((sch["school_type"].isin(["primary", "teaching_point"]) & (pupils < 100)).sum())
            junior = int(sch["students_junior"].sum())
            cohort = max(int(round(junior / 3)), 1)
            places = int(round(cohort * rng.uniform(0.45, 0.6)))
            g7 = cohort + int(rng.integers(-40, 40)) if cohort > 100 else cohort
            out_ = int(round(g7 * rng.uniform(0.01, 0.03)))
            in_ = int(round(g7 * rng.uniform(0.01, 0.03)))
            dead = int(rng.integers(0, 3))
            grad = int(round((g7 - dead) * rng.uniform(0.985, 0.998))) - out_ + in_
            pay_cs = float(np.round(rng.uniform(105_000, 125_000), -2))
            rec = {
                "county": county, "county_code": code, "school_year": int(year),
                "staff_primary": int(round(t_p * rng.uniform(1.06, 1.12))),
                "staff_junior": int(round(t_j * rng.uniform(1.08, 1.15))),
                "teacher_average_pay_yuan": float(np.round(pay_cs * rng.uniform(1.0, 1.06), -2)),
                "civil_servant_average_pay_yuan": pay_cs,
                "training_360_completion_rate": 1.0,
                "certified_rate": 1.0,
                "zoned_admission_primary_rate": 1.0,
                "zoned_admission_junior_rate": float(np.round(rng.uniform(0.96, 0.995), 3)),
                "quota_places_total": places,
                "quota_places_allocated": int(round(places * rng.uniform(0.55, 0.75))),
                "special_school_funding_per_pupil_yuan": (float(np.round(rng.uniform(6200, 8000), -1))
                                                          if (sch["school_type"] == "special").any() else None),
                "small_schools": small, "small_schools_funded_as_100": small,
                "training_budget_share_min": float(np.round(rng.uniform(0.05, 0.08), 3)),
                "cohort_grade7_enrolled": g7, "cohort_graduates": grad, "cohort_transfers_in": in_,
                "cohort_transfers_out": out_, "cohort_deaths": dead,
                "migrant_purchased_places": int(rng.integers(0, 300)),
                "funding_quota_primary_yuan": 720.0 + 50 * (year >= 2022),
                "funding_quota_junior_yuan": 940.0 + 50 * (year >= 2022),
                "veto_exam_admission": False, "veto_school_choice": False, "veto_key_schools_classes": False,
                "veto_safety_incident": False, "veto_falsification": False,
            }
            rec["quota_places_rural"] = int(round(rec["quota_places_allocated"] * rng.uniform(0.3, 0.6)))
            for k, _ in MONITORING_SUBJECTS:
                rec[f"monitoring_level_{k}"] = int(rng.choice([3, 4], p=[0.6, 0.4]))
                rec[f"monitoring_difference_rate_{k}"] = float(np.round(rng.uniform(0.05, 0.13), 3))
            # designed failures (one per block at least)
            if county == "赣榆区":
                rec["zoned_admission_junior_rate"] = 0.934
                rec["monitoring_difference_rate_science"] = 0.162
            if county == "东海县":
                rec["teacher_average_pay_yuan"] = float(np.round(pay_cs * 0.97, -2))
            if county == "灌南县":
                rec["cohort_graduates"] = int(round((g7 - dead) * 0.93)) - out_ + in_
            if county == "灌云县":
                rec["veto_school_choice"] = True
            rows.append(rec)
    return form_frame(rows)


def make_survey(ds, *, seed: int = 2022, school_year: int | None = None,
                groups: Sequence[tuple[str, int]] = SURVEY_GROUPS) -> pd.DataFrame:
    """Simulated survey (long table of :data:`lyganalysis.intake_survey.SURVEY_COLUMNS`) for
    ``school_year`` (default the latest of ``ds``), every county; places are school names."""
    rng = np.random.default_rng([seed, _SURVEY_STREAM])
    year = int(school_year if school_year is not None else ds.school_years()[-1])
    rows = []
    for county, _ in _units(ds):
        names = ds.schools[(ds.schools.county == county) & (ds.schools.school_year == year)
                           & ds.schools.school_type.isin(["primary", "junior", "nine_year", "teaching_point"])]
        names = names["school_name"].tolist() or [county]
        respondent = 0
        for group, n in groups:
            p = _SURVEY_BASE.get(county, 0.9) + _GROUP_SHIFT.get(group, 0.0)
            if county == "赣榆区" and group == "家长":
                p = 0.81
            p = float(np.clip(p, 0.01, 0.99))
            probs = np.array([0.55 * p, 0.45 * p, 0.6 * (1 - p), 0.25 * (1 - p), 0.15 * (1 - p)])
            for _ in range(n):
                respondent += 1
                place = names[int(rng.integers(0, len(names)))]
                ans = rng.choice(len(FIVE_POINT_SCALE), size=len(SURVEY_QUESTIONS), p=probs / probs.sum())
                for q, a in zip(SURVEY_QUESTIONS, ans):
                    rows.append((county, year, respondent, group, place, q, FIVE_POINT_SCALE[int(a)]))
    df = pd.DataFrame(rows, columns=["county", "school_year", "respondent", "respondent_group", "place", "item",
                                     "answer"])
    df["school_year"] = df["school_year"].astype("int64")
    df["respondent"] = df["respondent"].astype("int64")
    for c in ("county", "respondent_group", "place", "item", "answer"):
        df[c] = df[c].astype("str")
    return df


def write_survey_export(survey: pd.DataFrame, path: str | Path, *, seed: int = 0) -> Path:
    """Write one county's survey as a 问卷星-style export (``.xlsx`` or ``.csv``, UTF-8 with BOM).

    Columns: 序号, 提交答卷时间, 所用时间, 来源, 来自IP (SYNTHETIC addresses from the documentation
    range 198.51.100.0/24), ``1、您的身份是：``, ``2、您所在的学校（或乡镇）：``, the questions, and a
    free-text question ``11、您对本县区义务教育还有哪些意见和建议？`` (synthetic text). Raises ValueError
    when ``survey`` holds several counties.
    """
    if survey["county"].nunique() > 1:
        raise ValueError("write_survey_export writes one county's survey; filter the table first")
    rng = np.random.default_rng([seed, 15])
    wide = survey.pivot_table(index=["respondent", "respondent_group", "place"], columns="item", values="answer",
                              aggfunc="first").reset_index()
    items = [q for q in SURVEY_QUESTIONS if q in wide.columns] + [q for q in wide.columns
                                                                  if q not in SURVEY_QUESTIONS and "、" in str(q)]
    n = len(wide)
    t0 = pd.Timestamp("2023-05-08 08:00:00")
    out = pd.DataFrame({
        "序号": np.arange(1, n + 1),
        "提交答卷时间": [(t0 + pd.Timedelta(minutes=int(m))).strftime("%Y/%m/%d %H:%M:%S")
                   for m in np.sort(rng.integers(0, 60 * 24 * 5, size=n))],
        "所用时间": [f"{int(s)}秒" for s in rng.integers(60, 600, size=n)],
        "来源": rng.choice(["微信", "手机提交", "链接"], size=n),
        "来自IP": [f"198.51.100.{int(i)}(江苏-连云港)" for i in rng.integers(1, 255, size=n)],
        "1、您的身份是：": wide["respondent_group"].to_numpy(),
        "2、您所在的学校（或乡镇）：": wide["place"].to_numpy(),
    })
    for q in items:
        out[q] = wide[q].fillna("(跳过)").to_numpy()
    out["11、您对本县区义务教育还有哪些意见和建议？"] = rng.choice(
        ["希望增加课后服务时间", "无", "(跳过)", "建议改善食堂伙食", "老师很负责"], size=n)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.suffix.lower() == ".csv":
        out.to_csv(p, index=False, encoding="utf-8-sig")
    else:
        out.to_excel(p, index=False, sheet_name="Sheet1")
    return p
