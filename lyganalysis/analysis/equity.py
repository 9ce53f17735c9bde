"""Equity (教育公平) of one county or all counties: gaps between groups, inequality indices, coverage.

``analyse(ds, county=..., school_year=..., settings=...)`` returns an :class:`EquityResult` (or, for
``county=None``, a dict of them keyed by county). Everything is full precision and codes, no text:

* ``gaps`` — achievement gaps of student groups per grade × subject (:func:`~lyganalysis.metrics.equity.
  achievement_gaps`: difference with Welch interval, Hedges' g, Ho & Reardon's V, n per group; small groups
  withheld with their complement). Which groups: the dataset profile's ``group_contrasts`` (gender, migrant
  随迁子女, left-behind 留守儿童, and locale 城乡 against urban schools);
* ``headline_gaps`` — the contrast a headline shows, chosen by the profile, never by a dataset name:
  ``"locale"``: town / rural − the most urban locale with at least ``min_cell_size`` test-takers, per grade
  × subject (student level); ``"poverty"``: high- − low-poverty units (free-lunch share above / at most the
  county's median) on the school-level mean of the last subject of ``school_results``;
* ``resource_gaps`` — town / rural − urban gaps of the seven 优质均衡 indicators per stage (schools weighted
  by students; n = Kish effective number of schools);
* ``staffing_gaps`` / ``results_gaps`` — locale gaps of staffing measures per stage and of 三率一分 and
  value-added (增值评价) per grade × subject, at school level (:func:`~lyganalysis.metrics.equity.
  locale_gap_table`, small locales withheld with a complementary count);
* ``inequality`` — Gini, Theil T (泰尔指数) split into between- and within-locale parts, McLoone and P95/P5
  for the indicators and the school mean scores;
* ``coverage`` — the county's rows of :func:`~lyganalysis.metrics.coverage.coverage_table` (special
  education, kindergartens, migrant children against the 2022 targets), with reason codes;
* ``composition`` — locale × group test-takers and mean score (first grade × subject), small cells withheld
  with secondary suppression;
* ``locale_missing`` — schools, students and test-takers whose school has no locale: they are left out of
  every locale comparison and counted here, never silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lyganalysis.analysis.base import NotComputed, ResultMixin, not_computed
from lyganalysis.analysis.figures import Figure
from lyganalysis.metrics.balance import INDICATOR_KEYS, quality_balance_indicators, school_sections
from lyganalysis.metrics.coverage import coverage_table
from lyganalysis.metrics.equity import achievement_gaps, group_gap, inequality_table, locale_gap_table, urban_rural_gap
from lyganalysis.privacy import suppress_crosstab
from lyganalysis.settings import Settings, profile_of

__all__ = ["EquityResult", "analyse", "STAFFING_MEASURES", "RESULT_MEASURES", "STUDENT_GROUPS", "school_scores",
           "score_inequality", "staffing_frame", "staffing_gaps", "results_gaps", "COVERAGE_COLUMNS"]

STUDENT_GROUPS: dict[str, Any] = {"gender": "male", "migrant": False, "left_behind": False}
"""Student-group contrasts of the scores table and their reference groups (female − male, 随迁 − others,
留守 − others)."""

# measure → (weight column, people counted for suppression, weighting code)
STAFFING_MEASURES: dict[str, tuple[str, str, str]] = {
    "student_teacher_ratio": ("students", "students", "w_students"),
    "share_above_required": ("teachers", "teachers", "w_teachers"),
    "backbone_per_100": ("students", "students", "w_students"),
    "share_50_plus": ("teacher_records", "teacher_records", "w_teacher_records"),
}
"""Staffing gaps by locale: each measure's weight (students for per-student measures, teachers for shares of
teachers) and the count that decides small-group suppression."""

RESULT_MEASURES: dict[str, tuple[str, str, str]] = {
    "mean_score": ("n_takers", "n_takers", "w_takers"),
    "pass_rate": ("n_takers", "n_takers", "w_takers"),
    "excellence_rate": ("n_takers", "n_takers", "w_takers"),
    "value_added": ("n", "n", "w_va_students"),
}
"""Result gaps by locale, per school × grade × subject."""

COVERAGE_COLUMNS = ["unit", "is_city", "key", "numerator", "denominator", "rate", "target", "direction", "verdict",
                    "gap", "close_within", "certainty", "definition_certainty", "reason_code", "n_unknown",
                    "units_lacking", "suppressed", "denominator_suppressed"]
"""Coverage columns kept in results (codes and numbers; the words come from the report catalogue)."""


@dataclass(frozen=True)
class EquityResult(ResultMixin):
    """The equity figures of one county (see the module docstring for each table).

    Attributes
    ----------
    county : str
    school_year : int
    min_cell_size : int
    contrasts : tuple of str
        The profile's group contrasts that were computed.
    gaps, headline_gaps, resource_gaps, staffing_gaps, results_gaps, inequality, coverage, composition,
    locale_missing, school_sections : DataFrame
        ``school_sections``: one row per school section (``school_id, stage, locale`` and the staffing
        measures of :func:`staffing_frame`) — what a school page shows beside its county's locale means.
        ``schools_without_locale``: ``school_id, school_name, students`` (compulsory pupils) of the schools
        left out of the locale comparisons.
    targets_apply : bool
        Whether the city's 2022 coverage targets apply to these data (the profile's ``city_targets``).
    unavailable : tuple of NotComputed
    """

    county: str
    school_year: int
    min_cell_size: int
    contrasts: tuple
    gaps: pd.DataFrame
    headline_gaps: pd.DataFrame
    resource_gaps: pd.DataFrame
    staffing_gaps: pd.DataFrame
    results_gaps: pd.DataFrame
    inequality: pd.DataFrame
    coverage: pd.DataFrame
    composition: pd.DataFrame
    locale_missing: pd.DataFrame
    school_sections: pd.DataFrame = field(default_factory=pd.DataFrame)
    schools_without_locale: pd.DataFrame = field(default_factory=pd.DataFrame)
    targets_apply: bool = True
    unavailable: tuple = ()

    def to_frame(self) -> pd.DataFrame:
        """The achievement gaps between student groups (the section's main table)."""
        return self.gaps

    def figures(self) -> dict[str, Figure]:
        """Key figures: the headline gap (``equity.urban_rural_gap`` or ``equity.poverty_gap``: difference in
        mean score, group − reference, of the first grade × subject's widest contrast), each coverage rate
        (``equity.coverage.<measure>``, None when withheld or not measurable) with its verdict
        (``….verdict``), and the schools without locale (``equity.locale_missing.schools``)."""
        out: dict[str, Figure] = {}
        hg = self.headline_gaps
        if hg is not None and len(hg):
            first = hg.iloc[0]
            same = hg[(hg["contrast"] == first["contrast"]) & (hg["subject"] == first["subject"])
                      & (hg["grade"].fillna(-1) == (-1 if pd.isna(first["grade"]) else first["grade"]))]
            g = same.iloc[-1]
            key = "equity.urban_rural_gap" if g["contrast"] == "locale" else f"equity.{g['contrast']}_gap"
            params = {"grade": None if pd.isna(g["grade"]) else int(g["grade"]), "subject": str(g["subject"]),
                      "group": str(g["group"]), "reference": str(g["reference"]),
                      "ci_low": float(g["ci_low"]), "ci_high": float(g["ci_high"]), "hedges_g": float(g["hedges_g"])}
            out[key] = Figure(key, float(g["difference"]), "signed", params)
        for r in self.coverage.to_dict(orient="records") if len(self.coverage) else []:
            k = f"equity.coverage.{r['key']}"
            rate = r["rate"]
            out[k] = Figure(k, None if pd.isna(rate) else float(rate), "rate",
                            {"target": float(r["target"]), "numerator": r["numerator"], "denominator": r["denominator"]})
            out[f"{k}.verdict"] = Figure(f"{k}.verdict", str(r["verdict"]), "text", {})
        if len(self.locale_missing):
            lm = self.locale_missing.set_index("what")
            if "schools" in lm.index:
                out["equity.locale_missing.schools"] = Figure("equity.locale_missing.schools",
                                                              int(lm.loc["schools", "n_missing"]), "count",
                                                              {"of": int(lm.loc["schools", "n_total"])})
        return out

    def for_school(self, school_id: Any) -> dict[str, Any]:
        """What a school page shows: the school's sections with their staffing measures and locale, and the
        county's staffing gaps by locale for comparison."""
        sec = self.school_sections
        mine = sec[sec["school_id"] == school_id] if len(sec) else sec
        return {"sections": mine.reset_index(drop=True), "staffing_gaps": self.staffing_gaps}


# ------------------------------------------------------------------------------------------------ pieces
def school_scores(scores: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """Mean score and test-takers per school × grade × subject, with the school's county and locale.

    Absent students and missing scores are left out (they are not zeros).
    """
    taken = scores[~scores["absent"].astype(bool) & scores["score"].notna()]
    out = (taken.groupby(["school_id", "grade", "subject"], sort=True)["score"].agg(["mean", "size"])
           .rename(columns={"mean": "mean_score", "size": "n_takers"}).reset_index())
    info = schools[["school_id", "county", "locale"]].drop_duplicates("school_id")
    return out.merge(info, on="school_id", how="left")


def score_inequality(sch: pd.DataFrame, *, group: str) -> pd.DataFrame:
    """Theil decomposition (between / within ``group``) of school mean scores, weighted by test-takers, per
    grade × subject. Schools with a missing ``group`` are left out (count them with the caller's
    ``locale_missing``)."""
    parts = []
    for (grade, subject), sub in sch.groupby(["grade", "subject"], sort=True):
        sub = sub.dropna(subset=[group])
        if sub[group].nunique() < 1 or len(sub) < 2:
            continue
        t = inequality_table(sub, values=["mean_score"], weight="n_takers", group=group)
        if len(t):
            t.insert(0, "subject", subject)
            t.insert(0, "grade", grade)
            parts.append(t)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def staffing_frame(sections: pd.DataFrame, teachers: pd.DataFrame | None, *, school_year: int) -> pd.DataFrame:
    """Staffing measures per school section (primary / junior) with the school's locale.

    ``sections``: :func:`lyganalysis.metrics.balance.school_sections` of one county and year. Returns
    ``school_id, stage, locale, students, teachers, teacher_records`` and ``student_teacher_ratio`` (生师比:
    students / full-time teachers; NaN without teachers), ``share_above_required`` (teachers above the required
    qualification / teachers), ``backbone_per_100`` (county-level or higher backbone teachers per 100 students,
    = L2), ``share_50_plus`` (teachers aged 50+ in the calendar year ``school_year`` / teacher records of the
    section; NaN without records). Sections without students are left out.
    """
    from lyganalysis.metrics.staffing import age_structure

    sec = sections[pd.to_numeric(sections["students"]) > 0]
    out = sec[["school_id", "stage", "locale"]].copy()
    students = pd.to_numeric(sec["students"]).astype("float64")
    teachers_n = pd.to_numeric(sec["teachers"]).astype("float64")
    out["students"] = students
    out["teachers"] = teachers_n
    t_pos = teachers_n.where(teachers_n > 0)
    out["student_teacher_ratio"] = students / t_pos
    out["share_above_required"] = pd.to_numeric(sec["above_required_qualification"]).astype("float64") / t_pos
    out["backbone_per_100"] = pd.to_numeric(sec["backbone_teachers"]).astype("float64") * 100.0 / students
    out["teacher_records"] = 0.0
    out["share_50_plus"] = float("nan")
    if teachers is not None and len(teachers):
        t = teachers[(teachers["school_year"] == school_year) & teachers["school_id"].isin(out["school_id"])
                     & teachers["stage"].isin(list(out["stage"].unique()))]
        if len(t):
            sh = age_structure(t, school_year=school_year, by=["school_id", "stage"]).shares
            sh = sh[["school_id", "stage", "teachers", "share_50_plus"]].rename(columns={"teachers": "_rec",
                                                                                        "share_50_plus": "_s50"})
            out = out.merge(sh, on=["school_id", "stage"], how="left")
            out["teacher_records"] = out["_rec"].astype("float64").fillna(0.0)
            out["share_50_plus"] = out["_s50"].astype("float64")
            out = out.drop(columns=["_rec", "_s50"])
    return out.reset_index(drop=True)


def _gap_rows(frame: pd.DataFrame, measures: dict, keys: dict, k: int, confidence: float) -> list[pd.DataFrame]:
    rows = []
    for measure, (weight, count, weighting) in measures.items():
        if measure not in frame.columns:
            continue
        g = locale_gap_table(frame, value=measure, weight=weight, count=count, min_cell_size=k, confidence=confidence)
        if len(g):
            g.insert(0, "weighting", weighting)
            g.insert(0, "measure", measure)
            for i, (c, v) in enumerate(keys.items()):
                g.insert(i, c, v)
            rows.append(g)
    return rows


def staffing_gaps(frame: pd.DataFrame, *, min_cell_size: int = 5, confidence: float = 0.95) -> pd.DataFrame:
    """Locale gaps of :data:`STAFFING_MEASURES` per stage (input: :func:`staffing_frame`)."""
    parts = []
    for stage, sub in frame.groupby("stage", sort=False):
        parts += _gap_rows(sub, STAFFING_MEASURES, {"stage": stage}, int(min_cell_size), confidence)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def results_gaps(scores: pd.DataFrame, schools: pd.DataFrame, *, settings: Settings, section: str = "equity"
                 ) -> tuple[pd.DataFrame, list[NotComputed]]:
    """Locale gaps of :data:`RESULT_MEASURES` per grade × subject, at school level.

    ``scores``: one county and year. 三率一分 per school (test-takers; cuts ``settings.pass_cut`` /
    ``settings.excellence_cut`` of full marks) and, where prior scores exist, value-added per grade × subject
    (one exam: the latest when several): the shrunken school effects of
    :func:`lyganalysis.metrics.value_added.value_added`. Returns the gaps and what was not computed (a
    value-added fit refused, e.g. with fewer than ``settings.value_added_min_schools`` schools) — never silent.
    """
    from lyganalysis.metrics.academic import three_rates_one_score
    from lyganalysis.metrics.value_added import value_added

    k = int(settings.min_cell_size)
    loc = schools[["school_id", "locale"]].drop_duplicates("school_id")
    notes: list[NotComputed] = []
    parts = []
    if "exam" in scores.columns:  # one exam per grade × subject: the latest
        n_exams = scores.groupby(["grade", "subject"])["exam"].nunique()
        for (grade, subject), n in n_exams[n_exams > 1].items():
            notes.append(not_computed(section, f"results_gaps.{grade}.{subject}", "eq_latest_exam_only",
                                      grade=grade, subject=subject, n_exams=int(n)))
        if (n_exams > 1).any():
            latest = scores.groupby(["grade", "subject"])["exam"].transform("max")
            scores = scores[scores["exam"] == latest]
    three = three_rates_one_score(scores, by=["grade", "subject", "school_id"], pass_cut=settings.pass_cut,
                                  excellent_cut=settings.excellence_cut, low_cut=settings.low_cut,
                                  denominator=settings.score_denominator).merge(loc, on="school_id", how="left")
    three = three[three["n_takers"] > 0]
    has_prior = "prior_score" in scores.columns
    for (grade, subject), sub in scores.groupby(["grade", "subject"], sort=True):
        frame = three[(three["grade"] == grade) & (three["subject"] == subject)]
        if has_prior and sub["prior_score"].notna().any():
            try:
                va = value_added(sub, cluster="school_id", min_groups=settings.value_added_min_schools,
                                 confidence=settings.confidence_level).to_frame()
                frame = frame.merge(va[["school_id", "n", "effect"]].rename(columns={"effect": "value_added"}),
                                    on="school_id", how="left")
                frame["n"] = frame["n"].fillna(0).astype("float64")
            except ValueError:
                n_sch = int(sub["school_id"].nunique())
                notes.append(not_computed(section, f"value_added.{grade}.{subject}", "eq_value_added_refused",
                                          grade=grade, subject=subject, n_schools=n_sch,
                                          min_schools=settings.value_added_min_schools))
        else:
            notes.append(not_computed(section, f"value_added.{grade}.{subject}", "eq_no_prior_scores",
                                      grade=grade, subject=subject))
        parts += _gap_rows(frame, RESULT_MEASURES, {"grade": grade, "subject": subject}, k, settings.confidence_level)
    return (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()), notes


def _composition(sc: pd.DataFrame, k: int) -> pd.DataFrame:
    """Locale × group test-takers and mean score of the first grade × subject, small cells withheld (primary
    and secondary suppression). Long: ``variable, grade, subject, locale, group`` (locale and group "total" for
    the margins), ``n`` (NaN when withheld), ``n_state`` ("shown", "primary" = under the minimum, "secondary" =
    withheld so that it cannot be recovered), ``mean_score`` (NaN when withheld or a margin)."""
    cols = ["variable", "grade", "subject", "locale", "group", "n", "n_state", "mean_score"]
    taken = sc[~sc["absent"].astype(bool) & sc["score"].notna() & sc["locale"].notna()]
    if taken.empty:
        return pd.DataFrame(columns=cols)
    grade = sorted(taken["grade"].unique())[0]
    subject = sorted(taken["subject"].unique())[0]
    sub = taken[(taken["grade"] == grade) & (taken["subject"] == subject)]
    rows = []
    for var in ("migrant", "left_behind"):
        if var not in sub.columns:
            continue
        long = (sub.groupby(["locale", var], sort=True)["score"].agg(["size", "mean"])
                .rename(columns={"size": "n", "mean": "mean_score"}).reset_index())
        long[var] = long[var].astype(str)
        st = suppress_crosstab(long, row="locale", column=var, count="n", statistics=["mean_score"],
                               min_cell_size=k, total_label="total")
        m, mask, prim = st.masked, st.mask.to_numpy(), st.primary_mask.to_numpy()
        mv = m.to_numpy(dtype="float64", na_value=np.nan)
        col_index = {c: j for j, c in enumerate(m.columns)}
        for i, loc in enumerate(m.index):
            for (stat, level), j in col_index.items():
                if stat != "n":
                    continue
                state = "primary" if prim[i, j] else ("secondary" if mask[i, j] else "shown")
                jm = col_index.get(("mean_score", level))
                mean = mv[i, jm] if jm is not None and loc != "total" else np.nan
                rows.append({"variable": var, "grade": grade, "subject": subject, "locale": str(loc),
                             "group": str(level), "n": float(mv[i, j]), "n_state": state, "mean_score": float(mean)})
    return pd.DataFrame(rows, columns=cols)


def _headline_locale(sc: pd.DataFrame, k: int, confidence: float) -> pd.DataFrame:
    """Town / rural − the most urban locale with ≥ k test-takers, per grade × subject (student level)."""
    taken = sc[~sc["absent"].astype(bool) & sc["locale"].notna() & sc["score"].notna()]
    out = []
    for (grade, subject), sub in taken.groupby(["grade", "subject"], sort=True):
        counts = sub["locale"].value_counts()
        keep = [g for g in ("urban", "town", "rural") if counts.get(g, 0) >= k]
        if len(keep) < 2:
            continue
        gap = group_gap(sub[sub["locale"].isin(keep)], value="score", group="locale", reference=keep[0],
                        groups=keep[1:], confidence=confidence)
        gap.insert(0, "subject", subject)
        gap.insert(0, "grade", grade)
        out.append(gap)
    if not out:
        return pd.DataFrame()
    g = pd.concat(out, ignore_index=True)
    g.insert(0, "contrast", "locale")
    g["grade"] = g["grade"].astype("float64")
    return g


def _headline_poverty(results: pd.DataFrame, schools: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """High- − low-poverty units: the free-lunch share above the county's median, on the mean score of the last
    subject of ``school_results`` (needs ≥ 4 units and ≥ 2 in each group)."""
    sub = results[results["subject"] == results["subject"].iloc[-1]].merge(
        schools[["school_id", "free_lunch_share"]], on="school_id", how="left").dropna(subset=["free_lunch_share"])
    if len(sub) < 4:
        return pd.DataFrame()
    median = float(sub["free_lunch_share"].median())
    sub = sub.assign(poverty=np.where(sub["free_lunch_share"] > median, "high_poverty", "low_poverty"))
    if sub["poverty"].nunique() != 2 or sub["poverty"].value_counts().min() < 2:
        return pd.DataFrame()
    gap = group_gap(sub, value="mean_score", group="poverty", reference="low_poverty", confidence=confidence)
    gap.insert(0, "subject", sub["subject"].iloc[0])
    gap.insert(0, "grade", np.nan)
    gap.insert(0, "contrast", "poverty")
    return gap


def _as_text(frame: pd.DataFrame, cols=("group", "reference")) -> pd.DataFrame:
    """Group codes as text (True → "True"): one type per column, so tables store as parquet."""
    if frame is None or frame.empty:
        return frame
    frame = frame.copy()
    for c in cols:
        if c in frame.columns:
            frame[c] = frame[c].astype(str)
    return frame


def _coverage_rows(cov: pd.DataFrame) -> pd.DataFrame:
    out = cov[[c for c in COVERAGE_COLUMNS if c in cov.columns]].copy()
    for c in ("numerator", "denominator", "rate", "target", "gap", "close_within"):
        out[c] = out[c].astype("float64")
    out["n_unknown"] = out["n_unknown"].astype("int64")
    return out.reset_index(drop=True)


# ------------------------------------------------------------------------------------------------ main
def _one(ds, county: str, school_year: int, settings: Settings, contrasts: tuple, targets_apply: bool,
         schools: pd.DataFrame,
         scores: pd.DataFrame | None, results: pd.DataFrame | None, teachers: pd.DataFrame | None,
         cov: pd.DataFrame) -> EquityResult:
    k = int(settings.min_cell_size)
    conf = float(settings.confidence_level)
    S = "equity"
    unavailable: list[NotComputed] = []
    by_locale = "locale" in contrasts
    student_groups = {g: r for g, r in STUDENT_GROUPS.items() if g in contrasts}

    # who has no locale: counted and stated, never silently dropped
    lm_rows = []
    no_loc_schools = pd.DataFrame(columns=["school_id", "school_name", "students"])
    if by_locale:
        no_loc = schools["locale"].isna()
        comp = [c for c in ("students_primary", "students_junior") if c in schools.columns]
        stud = schools[comp].apply(pd.to_numeric).fillna(0).sum(axis=1) if comp else pd.Series(0.0, index=schools.index)
        no_loc_schools = pd.DataFrame({"school_id": schools.loc[no_loc, "school_id"].astype(str),
                                       "school_name": schools.loc[no_loc, "school_name"].astype(str),
                                       "students": stud[no_loc].astype("float64")}).reset_index(drop=True)
        lm_rows += [{"what": "schools", "n_missing": int(no_loc.sum()), "n_total": int(len(schools))},
                    {"what": "students", "n_missing": float(stud[no_loc].sum()), "n_total": float(stud.sum())}]
    gaps = pd.DataFrame()
    headline = pd.DataFrame()
    composition = pd.DataFrame(columns=["variable", "grade", "subject", "locale", "group", "n", "n_state",
                                        "mean_score"])
    res_gaps = pd.DataFrame()
    sch_scores = pd.DataFrame()
    if scores is None or scores.empty:
        if by_locale or student_groups:
            unavailable.append(not_computed(S, "gaps", "eq_no_scores"))
    else:
        loc = schools[["school_id", "locale"]].drop_duplicates("school_id")
        sc = scores.merge(loc, on="school_id", how="left")
        if by_locale:
            takers = ~sc["absent"].astype(bool) & sc["score"].notna()
            lm_rows.append({"what": "test_takers", "n_missing": float((takers & sc["locale"].isna()).sum()),
                            "n_total": float(takers.sum())})
        groups = {g: r for g, r in student_groups.items() if g in sc.columns}
        if by_locale:
            if (sc["locale"] == "urban").any():
                groups["locale"] = "urban"
            else:
                unavailable.append(not_computed(S, "gaps.locale", "eq_no_urban_schools"))
        if groups:
            gaps = _as_text(achievement_gaps(sc, groups=groups, min_cell_size=k, confidence=conf))
        if by_locale:
            headline = _headline_locale(sc, k, conf)
            if headline.empty:
                unavailable.append(not_computed(S, "urban_rural_gap", "eq_too_few_locales", min_cell_size=k))
            composition = _composition(sc, k)
            sch_scores = school_scores(scores, schools)
            if "full_marks" in scores.columns:
                res_gaps, notes = results_gaps(scores, schools, settings=settings)
                unavailable += notes
            else:
                unavailable.append(not_computed(S, "results_gaps", "eq_no_full_marks"))
    if "poverty" in contrasts:
        if results is not None and len(results) and "free_lunch_share" in schools.columns:
            headline = _headline_poverty(results, schools, conf)
        if headline.empty:
            unavailable.append(not_computed(S, "poverty_gap", "eq_too_few_units", min_units=4))

    # resources, staffing, inequality by locale
    rgaps, ineq_parts = [], []
    staff = pd.DataFrame()
    sframe = pd.DataFrame()
    if by_locale:
        sections = school_sections(schools, small_teaching_point_rule=settings.teaching_point_rule,
                                   min_teaching_point_students=settings.teaching_point_min_students)
        ind = quality_balance_indicators(sections) if len(sections) else sections
        if len(ind):
            ind = ind[pd.to_numeric(ind["students"]) > 0]
            for stage, sub in ind.groupby("stage", sort=False):
                if (sub["locale"] == "urban").any() and sub["locale"].nunique() > 1:
                    for key in INDICATOR_KEYS:
                        s2 = sub.dropna(subset=[key, "locale"])
                        if s2["locale"].nunique() > 1 and (s2["locale"] == "urban").any():
                            gg = urban_rural_gap(s2, value=key, weight="students", confidence=conf)
                            gg.insert(0, "indicator", key)
                            gg.insert(0, "stage", stage)
                            rgaps.append(gg)
            ineq_parts.append(inequality_table(ind.dropna(subset=["locale"]), values=list(INDICATOR_KEYS),
                                               weight="students", group="locale", stage="stage"))
        else:
            unavailable.append(not_computed(S, "resource_gaps", "eq_no_sections"))
        if len(sections):
            sframe = staffing_frame(sections, teachers, school_year=school_year)
            staff = staffing_gaps(sframe, min_cell_size=k, confidence=conf)
            if not (sections["locale"] == "urban").any():
                unavailable.append(not_computed(S, "staffing_gaps", "eq_reference_town"))
        if teachers is None:
            unavailable.append(not_computed(S, "staffing_gaps.share_50_plus", "eq_no_teacher_records"))
        if not sch_scores.empty:
            ineq_parts.append(score_inequality(sch_scores, group="locale"))
    parts = [p for p in ineq_parts if len(p)]
    inequality = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if len(inequality) and "grade" in inequality:
        inequality["grade"] = inequality["grade"].astype("float64")

    lm = pd.DataFrame(lm_rows, columns=["what", "n_missing", "n_total"])
    if len(lm):
        lm["n_missing"] = lm["n_missing"].astype("float64")
        lm["n_total"] = lm["n_total"].astype("float64")
        if (lm["n_missing"] > 0).any():
            unavailable.append(not_computed(S, "locale", "eq_locale_missing",
                                            schools=int(lm.loc[lm["what"] == "schools", "n_missing"].sum())))
    return EquityResult(county=county, school_year=int(school_year), min_cell_size=k, contrasts=tuple(contrasts),
                        gaps=gaps, headline_gaps=_as_text(headline),
                        resource_gaps=_as_text(pd.concat(rgaps, ignore_index=True) if rgaps else pd.DataFrame()),
                        staffing_gaps=staff, results_gaps=res_gaps, inequality=inequality,
                        coverage=_coverage_rows(cov[cov["unit"] == county]), composition=composition,
                        locale_missing=lm, school_sections=sframe, schools_without_locale=no_loc_schools,
                        targets_apply=bool(targets_apply), unavailable=tuple(unavailable))


def analyse(ds, *, county: str | None = None, school_year: int, settings: Settings | None = None
            ) -> EquityResult | dict[str, EquityResult]:
    """The equity results of one county, or of every county (``county=None``: a dict keyed by county).

    The year's tables are filtered once and split by county; the coverage table (whose small-cell
    suppression looks at every unit) is computed once for all counties.

    Parameters
    ----------
    ds : lyganalysis.datasets.Dataset
    county : str, optional
    school_year : int
    settings : Settings, optional
        ``min_cell_size``, ``confidence_level``, ``close_within``, the teaching-point rule, score cut-offs and
        ``value_added_min_schools`` are used.

    Raises
    ------
    KeyError
        ``county`` is not in the data.
    ValueError
        ``county`` has no school in ``school_year``.
    """
    settings = settings or Settings()
    profile = profile_of(ds)
    contrasts = tuple(profile.group_contrasts)
    year_schools = ds.schools[ds.schools["school_year"] == school_year]
    if county is not None:
        if county not in set(ds.schools["county"]):
            raise KeyError(f"county {county!r} is not in the data; counties: {ds.counties()}")
        if not (year_schools["county"] == county).any():
            raise ValueError(f"{county}: 数据中没有 {school_year} 学年的学校 / no schools in school year {school_year}")
    wanted = [county] if county is not None else [c for c in ds.counties() if (year_schools["county"] == c).any()]
    cov = coverage_table(ds, school_year=school_year, min_cell_size=settings.min_cell_size,
                         close_within=settings.close_within)

    def year_of(df, cols=None):
        if df is None:
            return None
        d = df[df["school_year"] == school_year]
        return d if cols is None else d[[c for c in cols if c in d.columns]]

    scores = year_of(ds.scores, ["school_id", "exam", "grade", "subject", "score", "full_marks", "absent",
                                 "prior_score", "gender", "migrant", "left_behind"])
    results = year_of(ds.school_results)
    teachers = ds.teachers
    county_of = year_schools.drop_duplicates("school_id").set_index("school_id")["county"]

    def split(df):
        if df is None or df.empty:
            return {}
        return {c: g for c, g in df.groupby(df["school_id"].map(county_of), sort=False)}

    sc_by, res_by, tea_by = split(scores), split(results), split(teachers if teachers is None else
                                                                teachers[teachers["school_year"] == school_year])
    out = {}
    for c in wanted:
        sch = year_schools[year_schools["county"] == c]
        tea = None if teachers is None else tea_by.get(c, teachers.iloc[0:0])
        out[c] = _one(ds, c, school_year, settings, contrasts, profile.city_targets, sch, sc_by.get(c), res_by.get(c), tea, cov)
    return out[county] if county is not None else out
