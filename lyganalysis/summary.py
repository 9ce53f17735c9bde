"""The county figures a report shows: one function, used by the notebook and by the batch.

:func:`county_summary` computes, for one county and school year, every number the county report
prints — resource balance (优质均衡 差异系数 and school compliance), staffing (生师比 against the
staffing standard, teacher shortfall, age and qualification structure), academic quality (三率一分,
between-school variance share) and equity (urban–rural gaps) — and says which figures the data do
not allow.  The batch writes :meth:`CountySummary.to_dict` as ``<county>.metrics.json``; the
notebook renders the same object, so the page and the JSON cannot disagree.

Layer: above :mod:`lyganalysis.metrics` and :mod:`lyganalysis.privacy`, below plots and report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lyganalysis.labels import t
from lyganalysis.metrics.academic import intraclass_correlation, three_rates_one_score
from lyganalysis.metrics.balance import (
    INDICATOR_KEYS,
    coefficient_of_variation,
    quality_balance_assessment,
    quality_balance_indicators,
    school_compliance,
    school_sections,
)
from lyganalysis.metrics.equity import group_gap
from lyganalysis.metrics.staffing import student_teacher_ratio, teacher_shortfall
from lyganalysis.privacy import suppress_group_stats
from lyganalysis.standards import QUALITY_INDICATORS, staffing_standard
from lyganalysis.jsonable import plain as _plain
from lyganalysis.jsonable import records as _records

__all__ = ["CountySummary", "county_summary", "format_value"]

STAGES = ("primary", "junior")
# per-student resources a report can show when the 优质均衡 inputs are missing (2012 basic balance, CASchools)
_OTHER_RESOURCES = {
    "computers_per_100_students": ("computers", 100.0),
    "books_per_student": ("books", 1.0),
    "expenditure_per_student_usd": (None, None),
}


def format_value(value: Any, kind: str, language: str = "zh") -> str:
    """Format a number for display; the only place where rounding happens.

    ``kind``: ``"count"`` (thousands separators), ``"ratio"`` (1 decimal), ``"cv"`` (3 decimals),
    ``"rate"`` (a proportion in [0, 1] shown as a percentage with 1 decimal), ``"score"``
    (1 decimal), ``"icc"`` (3 decimals), ``"signed"`` (1 decimal with sign), ``"verdict"`` (bool).
    Missing values show as "—".
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "—"
    if kind in ("ratio", "score", "signed") and abs(float(value)) < 0.05:
        value = 0.0  # never print "-0.0"
    if kind == "count":
        return f"{int(round(float(value))):,}"
    if kind == "ratio":
        return f"{float(value):.1f}"
    if kind in ("cv", "icc"):
        return f"{float(value):.3f}"
    if kind == "rate":
        return f"{100 * float(value):.1f}%"
    if kind == "score":
        return f"{float(value):.1f}"
    if kind == "signed":
        return f"{float(value):+.1f}"
    if kind == "verdict":
        return t("verdict_pass" if value else "verdict_fail", language)
    if kind == "text":
        return str(value)
    raise ValueError(f"unknown display kind {kind!r}")


@dataclass(frozen=True)
class Headline:
    """One headline figure: a key (metrics JSON / HTML ``data-key``), its label, value and display text."""

    key: str
    label: str
    value: Any
    kind: str
    display: str

    def to_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "value": _plain(self.value), "kind": self.kind,
                "display": self.display}


@dataclass(frozen=True)
class CountySummary:
    """Every figure of one county report.  Frames are at full precision; display rounding is separate.

    Attributes
    ----------
    county, county_code, school_year, dataset, simulated, language, min_cell_size
        What the summary is of.
    overview : DataFrame
        One row per stage: ``stage, n_schools, students, teachers`` (schools counted once per stage
        they teach).
    schools_by_type : DataFrame
        ``school_type, n_schools``.
    assessment : QualityBalanceAssessment or None
        The 优质均衡 差异系数 assessment (None when the data lack an indicator).
    compliance : DataFrame or None
        Per school section: indicator values, ratio to threshold, shortfalls, ``n_met``, ``compliant``.
    other_resources : DataFrame
        Enrolment-weighted CV of other per-student resources present in the data
        (``stage, resource, mean, coefficient_of_variation``).
    staffing : DataFrame
        Per stage: ``stage, students, teachers, student_teacher_ratio`` (pooled Σstudents/Σteachers),
        ``staffing_standard`` (students per teacher), ``teacher_need, teacher_shortfall`` (net; positive =
        short), ``gross_shortfall, n_schools_short``.
    shortfall_schools : DataFrame
        Schools short of teachers under the standard, largest shortfall first.
    teacher_structure : DataFrame
        Per stage: ``stage, teachers, share_under_35, share_35_49, share_50_plus,
        share_above_required_qualification`` (proportions).
    academic_county : DataFrame
        Per grade × subject: 三率一分 over the county's test-takers plus ``icc`` (ANOVA ICC(1)),
        ``icc2`` and ``icc_reml`` with ``icc_boundary`` (REML one-way random-intercept model).
    academic_schools : DataFrame
        Per school × grade × subject 三率一分; statistics of groups under ``min_cell_size`` withheld.
    equity_gaps : DataFrame
        Town and rural versus urban gaps in mean score per grade × subject (difference, interval,
        Hedges' g, n per group), or the CASchools high- versus low-poverty gap.
    unavailable : list of dict
        ``{"section", "item", "reason"}`` for each figure the data do not allow.
    """

    county: str
    county_code: str | None
    school_year: int
    dataset: str
    simulated: bool
    language: str
    min_cell_size: int
    overview: pd.DataFrame
    schools_by_type: pd.DataFrame
    assessment: Any
    compliance: pd.DataFrame | None
    other_resources: pd.DataFrame
    staffing: pd.DataFrame
    shortfall_schools: pd.DataFrame
    teacher_structure: pd.DataFrame
    academic_county: pd.DataFrame
    academic_schools: pd.DataFrame
    equity_gaps: pd.DataFrame
    unavailable: list = field(default_factory=list)
    standards_apply: bool = True  # Chinese national standards and city targets apply to these data

    # ------------------------------------------------------------------ headline
    def headline(self) -> list[dict]:
        """The figures shown in the report's overview table and in ``index.html``, in order."""
        lang = self.language
        items: list[Headline] = []

        def add(key, label, value, kind):
            items.append(Headline(key, label, _plain(value), kind, format_value(value, kind, lang)))

        ov = self.overview.set_index("stage") if not self.overview.empty else None
        if ov is not None:
            add("students_compulsory", t("students", lang),
                float(ov.loc[ov.index.isin(STAGES), "students"].sum()), "count")
        st = self.staffing.set_index("stage") if not self.staffing.empty else None
        for stage in STAGES:
            if st is not None and stage in st.index:
                add(f"student_teacher_ratio_{stage}", f"{t(stage, lang)}{t('student_teacher_ratio', lang)}"
                    if lang == "zh" else f"{t('student_teacher_ratio', lang)}, {t(stage, lang).lower()}",
                    st.loc[stage, "student_teacher_ratio"], "ratio")
        if st is not None and "teacher_shortfall" in st and st["teacher_shortfall"].notna().any():
            add("teacher_shortfall", t("teacher_shortfall", lang), float(st["teacher_shortfall"].sum()), "count")
        if self.assessment is not None:
            table = self.assessment.table
            for stage in STAGES:
                sub = table[table["stage"] == stage]
                if len(sub):
                    n_fail = int((~sub["passes"].astype(bool)).sum())
                    label = (f"{t(stage, lang)}差异系数超限指标数" if lang == "zh"
                             else f"CV indicators over the limit, {t(stage, lang).lower()}")
                    add(f"cv_indicators_failing_{stage}", label, n_fail, "count")
            add("quality_balance_verdict", t("county_verdict", lang), bool(self.assessment.passes), "verdict")
        if self.compliance is not None and len(self.compliance):
            c = self.compliance["compliant"].dropna()
            if len(c):
                add("compliant_school_share", t("compliant_share", lang), float(c.astype(bool).mean()), "rate")
        if not self.academic_county.empty:
            ac = self.academic_county
            composite = ac[ac["subject"] == "testscr"]  # CASchools: (read + math) / 2, Stock & Watson's outcome
            ac = (composite if len(composite) else ac.sort_values(["grade", "subject"])).iloc[0]
            grade, subject = ac["grade"], ac["subject"]
            gs = _grade_subject_label(grade, subject, lang)
            add("mean_score_first", f"{gs}{t('mean_score', lang)}" if lang == "zh"
                else f"{t('mean_score', lang)}, {gs}", ac["mean_score"], "score")
            if "icc" in ac and pd.notna(ac.get("icc")):
                add("intraclass_correlation_first", f"{gs} ICC" if lang == "zh" else f"ICC, {gs}", ac["icc"], "icc")
        if not self.equity_gaps.empty:
            # the widest contrast of the first grade × subject: least urban group − the reference
            first = self.equity_gaps.iloc[0]
            same = self.equity_gaps[(self.equity_gaps["subject"] == first["subject"])
                                    & (self.equity_gaps["grade"].fillna(-1) == (-1 if pd.isna(first["grade"]) else first["grade"]))]
            g = same.iloc[-1]
            gs = _grade_subject_label(g.get("grade"), g.get("subject"), lang)
            if self.dataset == "caschools":
                label = _gap_label(g, lang)
            else:
                label = (f"城乡平均分差（{gs}，最乡村组−最城镇组）" if lang == "zh"
                         else f"Urban–rural gap in mean score ({gs}; least − most urban group)")
            add("gap_headline", label, g["difference"], "signed")
        return [h.to_dict() for h in items]

    # ------------------------------------------------------------------ export
    def to_dict(self) -> dict:
        """Everything in the report as plain JSON-able data (full precision)."""
        a = self.assessment
        return {
            "county": self.county,
            "county_code": self.county_code,
            "school_year": self.school_year,
            "dataset": self.dataset,
            "simulated": self.simulated,
            "language": self.language,
            "min_cell_size": self.min_cell_size,
            "headline": self.headline(),
            "overview": _records(self.overview),
            "schools_by_type": _records(self.schools_by_type),
            "resource_balance": None if a is None else {
                "weighted": a.weighted,
                "passes": bool(a.passes),
                "passes_by_stage": {k: bool(v) for k, v in a.passes_by_stage.items()},
                "composite_cv": {k: _plain(v) for k, v in a.composite_cv.items()},
                "indicators": _records(a.table),
                "top_contributors": _records(a.top_contributors),
                "notes": list(a.notes),
            },
            "school_compliance": None if self.compliance is None else _records(self.compliance),
            "other_resources": _records(self.other_resources),
            "staffing": _records(self.staffing),
            "shortfall_schools": _records(self.shortfall_schools),
            "teacher_structure": _records(self.teacher_structure),
            "academic_county": _records(self.academic_county),
            "academic_schools": _records(self.academic_schools),
            "equity_gaps": _records(self.equity_gaps),
            "unavailable": list(self.unavailable),
        }


# ---------------------------------------------------------------------- helpers
def _grade_subject_label(grade, subject, lang: str) -> str:
    from lyganalysis.labels import has

    subj = t(subject, lang) if isinstance(subject, str) and has(subject) else str(subject)
    if grade is None or (isinstance(grade, float) and math.isnan(grade)) or pd.isna(grade):
        return subj
    return f"{int(grade)}年级{subj}" if lang == "zh" else f"grade {int(grade)} {subj.lower()}"


def _gap_label(row, lang: str) -> str:
    from lyganalysis.labels import has

    g, r = str(row["group"]), str(row["reference"])
    gl = t(g, lang) if has(g) else g
    rl = t(r, lang) if has(r) else r
    return f"{gl}−{rl}平均分差" if lang == "zh" else f"Mean-score gap, {gl.lower()} − {rl.lower()}"


def _na(section: str, item: str, zh: str, en: str) -> dict:
    """A figure the data do not allow, with the reason in both report languages."""
    return {"section": section, "item": item, "reason_zh": zh, "reason": en}


def standards_apply(ds) -> bool:
    """Chinese national standards (and Lianyungang's targets) apply to Chinese data only
    (CASchools is Californian)."""
    return getattr(ds, "standards", None) in (None, "cn") and ds.name != "caschools"


def _year(df: pd.DataFrame | None, year: int) -> pd.DataFrame | None:
    if df is None:
        return None
    return df[df["school_year"] == year].reset_index(drop=True)


# ---------------------------------------------------------------------- main entry
def county_summary(ds, *, county: str, school_year: int, language: str | None = None,
                   min_cell_size: int = 5) -> CountySummary:
    """Compute every figure of one county report.

    Parameters
    ----------
    ds : lyganalysis.datasets.Dataset
        The whole dataset (all counties) or one county of it.
    county : str
        Reporting unit (县区) as in ``schools.county``.
    school_year : int
    language : {"zh", "en"}, optional
        Labels of the headline figures (default: the dataset's language).
    min_cell_size : int, default 5
        Groups with fewer students have their statistics withheld (small-cell suppression).

    Returns
    -------
    CountySummary

    Raises
    ------
    KeyError
        If ``county`` is not in the data.
    ValueError
        If the county has no school in ``school_year``.
    """
    language = language or ds.language
    cds = ds.for_county(county)
    schools = _year(cds.schools, school_year)
    if schools.empty:
        raise ValueError(f"{county}: 数据中没有 {school_year} 学年的学校 / no schools in school year {school_year}.")
    unavailable: list[dict] = []
    apply_cn = standards_apply(ds)
    county_code = str(schools["county_code"].iloc[0]) if "county_code" in schools else None

    overview, by_type = _overview(schools)
    assessment, compliance, other = _resources(schools, apply_cn, unavailable)
    staffing, short_schools = _staffing(schools, school_year, apply_cn, unavailable)
    structure = _teacher_structure(_year(cds.teachers, school_year), school_year, unavailable)
    ac, aschools = _academic(_year(cds.scores, school_year), _year(cds.school_results, school_year),
                             schools, min_cell_size, unavailable)
    gaps = _equity(_year(cds.scores, school_year), _year(cds.school_results, school_year), schools,
                   min_cell_size, unavailable)
    return CountySummary(
        county=county, county_code=county_code, school_year=int(school_year), dataset=ds.name,
        simulated=bool(ds.simulated), language=language, min_cell_size=int(min_cell_size),
        overview=overview, schools_by_type=by_type, assessment=assessment, compliance=compliance,
        other_resources=other, staffing=staffing, shortfall_schools=short_schools,
        teacher_structure=structure, academic_county=ac, academic_schools=aschools, equity_gaps=gaps,
        unavailable=unavailable, standards_apply=apply_cn,
    )


def _overview(schools: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    for stage in ("preschool", "primary", "junior", "senior"):
        sc, tc = f"students_{stage}", f"teachers_{stage}"
        if sc not in schools:
            continue
        s = pd.to_numeric(schools[sc], errors="raise").fillna(0)
        has = s > 0
        if not has.any():
            continue
        teachers = pd.to_numeric(schools[tc], errors="raise") if tc in schools else pd.Series(np.nan, index=schools.index)
        rows.append({"stage": stage, "n_schools": int(has.sum()), "students": float(s.sum()),
                     "teachers": float(teachers[has].sum()) if teachers[has].notna().any() else np.nan})
    by_type = (schools.groupby("school_type", observed=True).size().rename("n_schools").reset_index()
               .sort_values("n_schools", ascending=False, kind="stable").reset_index(drop=True))
    return pd.DataFrame(rows, columns=["stage", "n_schools", "students", "teachers"]), by_type


def _resources(schools, apply_cn: bool, unavailable: list):
    sections = school_sections(schools)
    indicators = quality_balance_indicators(sections) if len(sections) else sections
    assessment = compliance = None
    if not apply_cn:
        unavailable.append(_na("resources", "quality_balance", "中国优质均衡标准不适用于这些数据",
                               "Chinese 优质均衡 standards do not apply to these data"))
    elif len(sections) == 0:
        unavailable.append(_na("resources", "quality_balance", "没有义务教育学段的学校", "no compulsory-school sections"))
    else:
        with_students = indicators[pd.to_numeric(indicators["students"]) > 0]
        missing = [k for k in INDICATOR_KEYS if with_students[k].isna().any()]
        if missing:
            for k in missing:
                unavailable.append(_na("resources", k, f"部分学校缺少 {QUALITY_INDICATORS[k].numerator}",
                                       f"{QUALITY_INDICATORS[k].numerator} missing for some schools"))
        else:
            assessment = quality_balance_assessment(indicators)
            compliance = school_compliance(indicators)
    # other per-student resources present in the data (enrolment-weighted CV per stage)
    rows = []
    frame = schools.copy()
    frame["students_compulsory"] = sum(pd.to_numeric(frame.get(f"students_{s}", 0)).fillna(0) for s in STAGES)
    frame = frame[frame["students_compulsory"] > 0]
    for name, (col, per) in _OTHER_RESOURCES.items():
        if col is None:
            if name not in frame or frame[name].isna().all():
                continue
            values = pd.to_numeric(frame[name])
        else:
            if col not in frame or frame[col].isna().all():
                continue
            values = pd.to_numeric(frame[col]) * per / frame["students_compulsory"]
        sub = pd.DataFrame({"value": values, "students": frame["students_compulsory"]}).dropna()
        if len(sub) < 2:
            continue
        rows.append({"stage": "compulsory", "resource": name,
                     "mean": float(np.average(sub["value"], weights=sub["students"])),
                     "coefficient_of_variation": coefficient_of_variation(sub, value="value", weight="students"),
                     "n_schools": len(sub), "n_missing": int(len(frame) - len(sub))})
    other = pd.DataFrame(rows, columns=["stage", "resource", "mean", "coefficient_of_variation", "n_schools", "n_missing"])
    return assessment, compliance, other


def _staffing(schools, school_year: int, apply_cn: bool, unavailable: list):
    rows, shorts = [], []
    for stage in STAGES:
        sc, tc = f"students_{stage}", f"teachers_{stage}"
        sub = schools[pd.to_numeric(schools[sc]).fillna(0) > 0]
        if sub.empty:
            continue
        ratio = student_teacher_ratio(sub, students=sc, teachers=tc, method="pooled")
        row = {"stage": stage, "students": float(pd.to_numeric(sub[sc]).sum()),
               "teachers": float(pd.to_numeric(sub[tc]).sum()), "student_teacher_ratio": ratio,
               "staffing_standard": np.nan, "teacher_need": np.nan, "teacher_shortfall": np.nan,
               "gross_shortfall": np.nan, "n_schools_short": np.nan}
        if apply_cn:
            locale = "locale" if school_year < 2014 else None
            sf = teacher_shortfall(sub, students=sc, teachers=tc, stage=stage, school_year=school_year,
                                   locale=locale, by=None)
            tot = sf.totals.iloc[0]
            row.update(staffing_standard=staffing_standard(stage, school_year=school_year)
                       if school_year >= 2014 else np.nan,
                       teacher_need=float(tot["teacher_need"]), teacher_shortfall=float(tot["teacher_shortfall"]),
                       gross_shortfall=float(tot["gross_shortfall"]), n_schools_short=int(tot["n_schools_short"]))
            s = sf.schools
            s = s[s["teacher_shortfall"] > 0].copy()
            s.insert(0, "stage", stage)
            shorts.append(s)
        rows.append(row)
    if not apply_cn:
        unavailable.append(_na("staffing", "staffing_standard", "中国编制标准不适用于这些数据",
                               "Chinese staffing standard (编制标准) does not apply to these data"))
    staffing = pd.DataFrame(rows)
    keep = ["stage", "school_id", "school_name", "locale", "students", "teachers", "teacher_need", "teacher_shortfall"]
    short = (pd.concat(shorts, ignore_index=True) if shorts else pd.DataFrame(columns=keep))
    short = short[[c for c in keep if c in short.columns]].sort_values(
        "teacher_shortfall", ascending=False, kind="stable").reset_index(drop=True)
    return staffing, short


def _teacher_structure(teachers: pd.DataFrame | None, school_year: int, unavailable: list) -> pd.DataFrame:
    cols = ["stage", "teachers", "share_under_35", "share_35_49", "share_50_plus", "share_above_required_qualification"]
    if teachers is None or teachers.empty:
        unavailable.append(_na("staffing", "teacher_structure", "没有教师个人记录", "no teacher records"))
        return pd.DataFrame(columns=cols)
    rows = []
    required = {"primary": {"postgraduate", "bachelor", "associate"}, "junior": {"postgraduate", "bachelor"}}
    for stage in STAGES:
        sub = teachers[teachers["stage"] == stage]
        if sub.empty:
            continue
        age = school_year - pd.to_numeric(sub["birth_year"])
        rows.append({"stage": stage, "teachers": len(sub), "share_under_35": float((age < 35).mean()),
                     "share_35_49": float(((age >= 35) & (age < 50)).mean()), "share_50_plus": float((age >= 50).mean()),
                     "share_above_required_qualification": float(sub["qualification"].isin(required[stage]).mean())})
    return pd.DataFrame(rows, columns=cols)


def _academic(scores, results, schools, k: int, unavailable: list):
    county_cols = ["grade", "subject", "n_takers", "n_absent", "mean_score", "pass_rate", "excellence_rate",
                   "low_score_rate", "n_schools", "icc", "icc2", "icc_reml", "icc_boundary"]
    if scores is not None and not scores.empty:
        county = three_rates_one_score(scores, by=["grade", "subject"])
        extra = []
        for (grade, subject), sub in scores.groupby(["grade", "subject"], sort=True):
            taken = sub[~sub["absent"].astype(bool)]
            n_schools = taken["school_id"].nunique()
            rec = {"grade": grade, "subject": subject, "n_schools": n_schools, "icc": np.nan, "icc2": np.nan,
                   "icc_reml": np.nan, "icc_boundary": pd.NA}
            if n_schools >= 5:
                a = intraclass_correlation(taken, value="score", by="school_id", method="anova")
                r = intraclass_correlation(taken, value="score", by="school_id", method="reml")
                rec.update(icc=a.icc1, icc2=a.icc2, icc_reml=r.icc, icc_boundary=bool(r.boundary))
            else:
                unavailable.append(_na("academic", f"icc_{grade}_{subject}",
                                       f"{_grade_subject_label(grade, subject, 'zh')}只有 {n_schools} 所学校（少于5所），不计算校际差异",
                                       f"{_grade_subject_label(grade, subject, 'en')}: only {n_schools} schools (< 5), "
                                       "too few for a between-school variance share"))
            extra.append(rec)
        county = county.merge(pd.DataFrame(extra), on=["grade", "subject"], how="left")
        per_school = three_rates_one_score(scores, by=["school_id", "grade", "subject"])
        names = schools[["school_id", "school_name", "locale"]].drop_duplicates("school_id")
        per_school = per_school.merge(names, on="school_id", how="left")
        # 95% interval of each school mean (t-free normal approximation: mean ± 1.96·sd/√n)
        taken = scores[~scores["absent"].astype(bool)]
        spread = (taken.groupby(["school_id", "grade", "subject"], observed=True)["score"].std(ddof=1)
                  .rename("sd_score").reset_index())
        per_school = per_school.merge(spread, on=["school_id", "grade", "subject"], how="left")
        half = 1.959963984540054 * per_school["sd_score"] / np.sqrt(per_school["n_takers"].astype(float))
        per_school["ci_low"] = per_school["mean_score"] - half
        per_school["ci_high"] = per_school["mean_score"] + half
        stats = ["mean_score", "pass_rate", "excellence_rate", "low_score_rate", "sd_score", "ci_low", "ci_high"]
        per_school = suppress_group_stats(per_school, n="n_takers", statistics=stats, min_cell_size=k)
        return county[[c for c in county_cols if c in county.columns]], per_school
    if results is not None and not results.empty:
        # school-level results only (e.g. CASchools): enrolment-weighted county mean per subject
        rows = []
        for subject, sub in results.groupby("subject", sort=False):
            w = pd.to_numeric(sub["n_students"]).astype(float)
            rows.append({"grade": np.nan, "subject": subject, "n_takers": float(w.sum()), "n_absent": np.nan,
                         "mean_score": float(np.average(sub["mean_score"], weights=w)), "pass_rate": np.nan,
                         "excellence_rate": np.nan, "low_score_rate": np.nan, "n_schools": len(sub),
                         "icc": np.nan, "icc2": np.nan, "icc_reml": np.nan, "icc_boundary": pd.NA,
                         "coefficient_of_variation": coefficient_of_variation(sub, value="mean_score", weight="n_students")
                         if len(sub) >= 2 else np.nan})
        unavailable.append(_na("academic", "three_rates_and_icc", "只有学校平均分：及格率、优秀率和 ICC 需要学生成绩",
                               "only school-level mean scores: pass/excellence rates and ICC need student scores"))
        per_school = results.merge(schools[["school_id", "school_name"]], on="school_id", how="left")
        return pd.DataFrame(rows), per_school
    unavailable.append(_na("academic", "scores", "数据中没有成绩", "no scores in the data"))
    return pd.DataFrame(columns=county_cols), pd.DataFrame()


def _equity(scores, results, schools, k: int, unavailable: list) -> pd.DataFrame:
    if scores is not None and not scores.empty and schools["locale"].notna().any():
        taken = scores[~scores["absent"].astype(bool)].merge(
            schools[["school_id", "locale"]].drop_duplicates("school_id"), on="school_id", how="left")
        out = []
        for (grade, subject), sub in taken.groupby(["grade", "subject"], sort=True):
            counts = sub["locale"].value_counts()
            keep = [g for g in ("urban", "town", "rural") if counts.get(g, 0) >= k]
            if len(keep) < 2:
                continue
            # reference: the most urban group present (城区, else 镇区 in counties without urban schools)
            gap = group_gap(sub[sub["locale"].isin(keep)], value="score", by="locale", reference=keep[0],
                            groups=keep[1:])
            gap.insert(0, "subject", subject)
            gap.insert(0, "grade", grade)
            out.append(gap)
        if out:
            return pd.concat(out, ignore_index=True)
        unavailable.append(_na("equity", "urban_rural_gap", f"人数不少于 {k} 的城乡组别不足两个",
                               f"fewer than two locale groups with at least {k} students"))
        return pd.DataFrame()
    if results is not None and not results.empty and "free_lunch_share" in schools:
        # CASchools: high- versus low-poverty districts (free-lunch share above/below the state median)
        sub = results[results["subject"] == results["subject"].iloc[-1]].merge(
            schools[["school_id", "free_lunch_share"]], on="school_id", how="left").dropna(subset=["free_lunch_share"])
        if len(sub) >= 4:
            median = float(sub["free_lunch_share"].median())
            sub = sub.assign(poverty=np.where(sub["free_lunch_share"] > median, "high_poverty", "low_poverty"))
            if sub["poverty"].nunique() == 2 and sub["poverty"].value_counts().min() >= 2:
                gap = group_gap(sub, value="mean_score", by="poverty", reference="low_poverty")
                gap.insert(0, "subject", sub["subject"].iloc[0])
                gap.insert(0, "grade", np.nan)
                return gap
        unavailable.append(_na("equity", "poverty_gap", "学区太少，无法比较", "too few districts for a gap"))
        return pd.DataFrame()
    unavailable.append(_na("equity", "urban_rural_gap", "缺少城乡分类或成绩", "no locale or no scores"))
    return pd.DataFrame()
