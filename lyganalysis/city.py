"""City overview (全市概览): all counties side by side, between/within-county inequality, 2022 scorecard.

:func:`city_overview` computes everything the city overview report shows:

* every county's headline figures side by side (:func:`lyganalysis.summary.county_summary` →
  ``headline()`` for each county, so the city page and the county pages cannot disagree);
* the Theil T of school resources (优质均衡 L1–L7, per stage, schools weighted by students) and of
  school mean scores (weighted by test-takers), split into between-county (县区之间) and
  within-county (县区内部) parts, with Gini, McLoone and the P95/P5 range ratio;
* coverage of every unit against the targets (:func:`lyganalysis.metrics.coverage.coverage_table`);
* a scorecard against the 2022 city targets of standards.md §8 (met / close / not met, with the
  numbers behind each verdict); targets the data cannot measure are listed as ``not_measurable`` with
  the reason;
* a city-wide staffing summary (:func:`staffing_summary`): teachers, ratios and shortfalls, age and
  retirements, qualifications, missing specialists, backbone concentration and rotation, every county and
  the city side by side, with the county staffing section's definitions.

Rendering helpers ``html_*`` return HTML fragments; ``plot_*`` draw on ``ax=`` and return it.
"""

from __future__ import annotations

import html as _html
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lyganalysis.labels import t
from lyganalysis.metrics.balance import INDICATOR_KEYS, quality_balance_indicators, school_sections
from lyganalysis.metrics.coverage import coverage_table, reason_text, verdict
from lyganalysis.metrics.equity import inequality_table
from lyganalysis.report.sections.equity import (
    html_coverage,
    html_inequality,
    html_table,
    lab,
    plain,
    plot_theil,
    records,
    school_scores,
    score_inequality,
)
from lyganalysis.standards import CITY_TARGETS_2022

__all__ = ["CityOverview", "city_overview", "rotation_rate", "html_header", "html_side_by_side",
           "html_decomposition", "html_coverage_table", "html_scorecard", "html_scorecard_details",
           "plot_scorecard", "plot_decomposition", "plot_headline", "SCORECARD_TARGETS", "html_heading",
           "staffing_summary", "staffing_targets", "html_staffing", "plot_staffing", "STAFFING_STAGES"]

esc = _html.escape
CITY = {"zh": "全市", "en": "City"}

RETIREMENT_AGE = 60
"""[U] Retirement age used for the rotation pool (> 5 years to retirement); a parameter of
:func:`rotation_rate`. Women teachers may retire at 55 in some posts."""

SCORECARD_TARGETS = (
    "monitoring_point_school_share", "quality_kindergarten_coverage_rate", "public_affordable_kindergarten_coverage_rate",
    "disabled_placement_rate", "disabled_regular_school_share", "rotation_rate", "new_teachers", "pe_hours_per_day",
    "ganyu_national_recognition", "development_zone_provincial_recognition",
)
"""The 2022 targets of standards.md §8, in the plan's order."""

_COVERAGE_KEY = {
    "quality_kindergarten_coverage_rate": "quality_kindergarten_coverage",
    "public_affordable_kindergarten_coverage_rate": "public_affordable_kindergarten_coverage",
    "disabled_placement_rate": "disabled_placement_rate",
    "disabled_regular_school_share": "disabled_ordinary_school_share",
}

_RECOGNITION = {
    "ganyu_national_recognition": ("赣榆区", "赣榆区创成国家义务教育优质均衡发展县区", "Ganyu: national 优质均衡 recognition"),
    "development_zone_provincial_recognition": ("开发区", "开发区创成省义务教育优质均衡发展县区",
                                                "Development zone: provincial 优质均衡 recognition"),
}


# ---------------------------------------------------------------------------------------------- rotation
def rotation_rate(teachers: pd.DataFrame, schools: pd.DataFrame, *, school_year: int, by: str | None = "county",
                  retirement_age: int | None = None, min_years_in_school: int = 6) -> pd.DataFrame:
    """Teacher rotation (交流轮岗) rate: rotated teachers / eligible teachers, per unit.

    The same rule as the county reports: :func:`lyganalysis.metrics.staffing.rotation` (compulsory
    stages; eligible = ≥ ``min_years_in_school`` years in the same school and more than 5 years to the
    statutory retirement age by gender, standards.md §4 [S]; teachers rotated this year count as
    eligible, their ``years_in_school`` having been reset by the move).  ``retirement_age`` (one age
    for everyone) overrides the statutory ages.

    Returns
    -------
    DataFrame
        ``unit, rotated, eligible, rate``.
    """
    from lyganalysis.metrics.staffing import rotation

    ages = None if retirement_age is None else {"male": retirement_age, "female": retirement_age}
    r = rotation(teachers, school_year=school_year, by="county" if by else None, schools=schools,
                 min_years_in_school=min_years_in_school, retirement_age=ages).table
    out = pd.DataFrame({"unit": r["county"] if by else "all", "rotated": r["rotated"].to_numpy(),
                        "eligible": r["eligible"].to_numpy()})
    out["rate"] = np.where(out["eligible"] > 0, out["rotated"] / out["eligible"].where(out["eligible"] > 0), np.nan)
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- container
@dataclass(frozen=True)
class CityOverview:
    """Everything the city overview shows (full precision; rounding happens in the html_* helpers).

    Attributes
    ----------
    school_year, dataset, simulated, language, min_cell_size, counties
    headlines : DataFrame
        Long: ``county, key, label, value, kind, display`` (each county's ``headline()``).
    decomposition : DataFrame
        ``kind`` ("resource" | "score"), ``stage, measure, grade, subject, n_units, population, mean,
        gini, theil, theil_between, theil_within, between_share, mcloone, range_ratio``; between =
        between counties, within = within counties.
    coverage : DataFrame
        :func:`coverage_table` (every unit and the city; small cells withheld).
    scorecard : DataFrame
        One row per 2022 target × unit: ``target, name, unit, is_city, value, numerator, denominator,
        target_value, direction, verdict, definition, reason, certainty, source``.
    staffing : DataFrame
        :func:`staffing_summary`: one row per county and one for the city (empty without teacher records).
    unavailable : list of dict
    """

    school_year: int
    dataset: str
    simulated: bool
    language: str
    min_cell_size: int
    counties: list
    headlines: pd.DataFrame
    decomposition: pd.DataFrame
    coverage: pd.DataFrame
    scorecard: pd.DataFrame
    staffing: pd.DataFrame = field(default_factory=pd.DataFrame)
    description: str = ""
    unavailable: list = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """Counties side by side: one row per county, one column per headline key (values, full precision)
        plus ``coverage.<measure>`` rates (withheld → NaN)."""
        if self.headlines.empty:
            wide = pd.DataFrame(index=pd.Index(self.counties, name="county"))
        else:
            wide = self.headlines.pivot(index="county", columns="key", values="value")
            keys = list(dict.fromkeys(self.headlines["key"]))
            wide = wide.reindex(index=self.counties, columns=keys)
        cov = self.coverage[~self.coverage["is_city"]].pivot(index="unit", columns="key", values="rate")
        cov.columns = [f"coverage.{c}" for c in cov.columns]
        out = wide.join(cov.reindex(self.counties))
        out.index.name = "county"
        return out

    def side_by_side(self) -> pd.DataFrame:
        """Display strings: one row per headline figure (label), one column per county."""
        if self.headlines.empty:
            return pd.DataFrame()
        h = self.headlines
        labels = h.drop_duplicates("key").set_index("key")["label"]
        wide = h.pivot(index="key", columns="county", values="display")
        wide = wide.reindex(index=list(labels.index), columns=self.counties).fillna("—")
        wide.insert(0, "label", labels.reindex(wide.index))
        return wide

    def to_dict(self) -> dict:
        """Plain JSON-able data (``city_overview.metrics.json``)."""
        return {
            "school_year": self.school_year, "dataset": self.dataset, "simulated": self.simulated,
            "language": self.language, "min_cell_size": self.min_cell_size, "counties": list(self.counties),
            "headlines": records(self.headlines), "decomposition": records(self.decomposition),
            "coverage": records(self.coverage), "scorecard": records(self.scorecard),
            "staffing": records(self.staffing),
            "staffing_targets": {k: plain(v) for k, v in staffing_targets(self.school_year).items()},
            "unavailable": [{k: plain(v) for k, v in u.items()} for u in self.unavailable],
        }


# ---------------------------------------------------------------------------------------------- build
def city_overview(ds, *, school_year: int, language: str = "zh", min_cell_size: int = 5,
                  close_within: float = 0.05, retirement_age: int = RETIREMENT_AGE) -> CityOverview:
    """Compute the city overview for ``school_year`` (see the module docstring).

    Parameters
    ----------
    ds : lyganalysis.datasets.Dataset
    school_year : int
    language : {"zh", "en"}
    min_cell_size : int, default 5
    close_within : float, default 0.05
        A rate this many proportion points (5 percentage points) below its target is "close".
    retirement_age : int, default 60
        [U] For the rotation pool.

    Raises
    ------
    ValueError
        No school in ``school_year``; unknown language.
    """
    from lyganalysis.summary import county_summary

    if language not in ("zh", "en"):
        raise ValueError(f"language must be 'zh' or 'en', got {language!r}")
    schools = ds.schools[ds.schools["school_year"] == school_year]
    if schools.empty:
        raise ValueError(f"no schools in school year {school_year}")
    counties = [c for c in ds.counties() if (schools["county"] == c).any()]
    unavailable: list[dict] = []

    rows = []
    summaries = {}
    for c in counties:
        try:
            s = county_summary(ds, county=c, school_year=school_year, language=language, min_cell_size=min_cell_size)
        except Exception as exc:  # one county's failure must not hide the others
            unavailable.append({"item": f"headline:{c}", "reason": f"{type(exc).__name__}: {exc}"})
            continue
        summaries[c] = s
        for h in s.headline():
            rows.append({"county": c, **h})
    headlines = pd.DataFrame(rows, columns=["county", "key", "label", "value", "kind", "display"])

    decomposition = _decomposition(ds, schools, school_year)
    cov = coverage_table(ds, school_year=school_year, min_cell_size=min_cell_size, close_within=close_within,
                         city_label=CITY[language])
    scorecard = _scorecard(ds, schools, cov, summaries, counties, school_year=school_year, language=language,
                           close_within=close_within, retirement_age=retirement_age)
    staffing = pd.DataFrame()
    if ds.teachers is None or ds.teachers.empty:
        unavailable.append({"item": "staffing", "reason": "no teacher records"})
    else:
        try:
            staffing = staffing_summary(ds, school_year=school_year, counties=counties, language=language)
        except Exception as exc:  # the rest of the overview must still render
            unavailable.append({"item": "staffing", "reason": f"{type(exc).__name__}: {exc}"})
    return CityOverview(school_year=int(school_year), dataset=ds.name, simulated=bool(ds.simulated), language=language,
                        min_cell_size=int(min_cell_size), counties=counties, headlines=headlines,
                        decomposition=decomposition, coverage=cov, scorecard=scorecard, staffing=staffing,
                        description=getattr(ds, "description", ""), unavailable=unavailable)


def _decomposition(ds, schools: pd.DataFrame, school_year: int) -> pd.DataFrame:
    parts = []
    sections = school_sections(schools)
    if len(sections):
        ind = quality_balance_indicators(sections)
        ind = ind[pd.to_numeric(ind["students"]) > 0]
        r = inequality_table(ind, values=list(INDICATOR_KEYS), weight="students", by="county", stage="stage")
        r.insert(0, "kind", "resource")
        parts.append(r)
    if ds.scores is not None and len(ds.scores):
        sc = ds.scores.loc[ds.scores["school_year"] == school_year, ["school_id", "grade", "subject", "score", "absent"]]
        if len(sc):
            s = score_inequality(school_scores(sc, schools), by="county")
            if len(s):
                s.insert(0, "kind", "score")
                parts.append(s)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _row(target: str, unit: str, is_city: bool, language: str, **kw) -> dict:
    std = CITY_TARGETS_2022.get(target)
    name = (std.name_zh if language == "zh" else std.name_en) if std else ""
    base = {"target": target, "name": name, "unit": unit, "is_city": is_city, "value": np.nan, "numerator": np.nan,
            "denominator": np.nan, "target_value": std.value if std else np.nan,
            "direction": std.direction if std else "", "verdict": "not_measurable", "definition": "", "reason": "",
            "certainty": std.certainty if std else "", "source": f"{std.document}, {std.clause}" if std else ""}
    base.update(kw)
    return base


def _scorecard(ds, schools, cov, summaries, counties, *, school_year, language, close_within, retirement_age):
    zh = language == "zh"
    city = CITY[language]
    units = [(c, False) for c in counties] + [(city, True)]
    rows = []
    for target in SCORECARD_TARGETS:
        if target in _COVERAGE_KEY:
            sub = cov[cov["key"] == _COVERAGE_KEY[target]].set_index("unit")
            for u, is_city in units:
                if u not in sub.index:
                    rows.append(_row(target, u, is_city, language, reason="no data for this unit"))
                    continue
                r = sub.loc[u]
                rows.append(_row(target, u, is_city, language, value=r["rate"], numerator=r["numerator"],
                                 denominator=r["denominator"], target_value=r["target"], verdict=r["verdict"],
                                 definition=(f"{r['numerator_definition_zh']} ÷ {r['denominator_definition_zh']}" if zh
                                             else f"{r['numerator_definition']} / {r['denominator_definition']}"),
                                 reason=r["reason"]))
        elif target == "rotation_rate":
            std = CITY_TARGETS_2022[target]
            if ds.teachers is None or "rotated" not in ds.teachers.columns:
                for u, is_city in units:
                    rows.append(_row(target, u, is_city, language, reason="no teacher records with rotation status"))
                continue
            per = rotation_rate(ds.teachers, ds.schools, school_year=school_year)
            tot = per[["rotated", "eligible"]].sum()
            per = per.set_index("unit")
            definition = ("本年交流轮岗教师 ÷ 符合条件教师（义务教育学段；同校任教≥6年且距法定退休年龄>5年，[S]）" if zh else
                          "teachers rotated this year / eligible teachers (compulsory stages; ≥ 6 years in the school "
                          "and > 5 years to the statutory retirement age [S])")
            for u, is_city in units:
                num, den = (tot["rotated"], tot["eligible"]) if is_city else (
                    (per.loc[u, "rotated"], per.loc[u, "eligible"]) if u in per.index else (np.nan, np.nan))
                rate = num / den if den and den > 0 else np.nan
                rows.append(_row(target, u, is_city, language, value=rate, numerator=num, denominator=den,
                                 verdict=verdict(rate, std.value, close_within=close_within), definition=definition,
                                 reason="" if rate == rate else "no eligible teachers"))
        elif target == "new_teachers":
            std = CITY_TARGETS_2022[target]
            prev = school_year - 1
            for u, is_city in units:
                if not is_city:
                    rows.append(_row(target, u, is_city, language, reason="city-wide target (not split by county)"))
                    continue
                tt = ds.teachers
                if tt is None or prev not in set(tt["school_year"]):
                    rows.append(_row(target, u, is_city, language, reason=f"no teacher records for {prev}"))
                    continue
                new = set(tt.loc[tt["school_year"] == school_year, "teacher_key"]) - \
                    set(tt.loc[tt["school_year"] == prev, "teacher_key"])
                n = float(len(new))
                rows.append(_row(target, u, is_city, language, value=n, numerator=n,
                                 verdict=verdict(n, std.value, close_within=close_within * std.value),
                                 definition=("教师记录中新出现的教师（新招聘及市外调入）[U]" if zh else
                                             "teacher keys new to the city's records (hires and transfers from outside "
                                             "the city) [U]"),
                                 reason="approximation: the data have no hiring date; the subject mix is not checked"))
        elif target == "monitoring_point_school_share":
            for u, is_city in units:
                rows.append(_row(target, u, is_city, language, reason=(
                    "不可测量：江苏省办学标准监测点清单不在数据中（standards.md §6）" if zh else
                    "not measurable: the provincial list of monitoring points is not in the data (standards.md §6)")))
        elif target == "pe_hours_per_day":
            for u, is_city in units:
                rows.append(_row(target, u, is_city, language, reason=(
                    "不可测量：数据中没有课表或体育活动时间" if zh else
                    "not measurable: the data have no timetables or activity time")))
        elif target in _RECOGNITION:
            unit, name_zh, name_en = _RECOGNITION[target]
            s = summaries.get(unit)
            proxy = ""
            val = np.nan
            if s is not None and s.assessment is not None:
                val = 1.0 if s.assessment.passes else 0.0
                proxy = (f"；参考：{unit} 2017 办法差异系数判定为{'达标' if s.assessment.passes else '未达标'}" if zh else
                         f"; indicator: {unit}'s 2017 CV verdict is {'pass' if s.assessment.passes else 'fail'}")
            rows.append(_row(target, unit, False, language, name=name_zh if zh else name_en, value=val,
                             target_value=np.nan, reason=(
                                 "不可测量：创建验收是行政认定，数据只能给出差异系数等指标" if zh else
                                 "not measurable: recognition is an administrative decision; the data give only the "
                                 "indicators") + proxy,
                             certainty="P", source="2022 work plan, standards.md §8"))
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------- HTML
def html_header(ov: CityOverview) -> str:
    """Title, the 模拟数据 banner for simulated data, and the data-source line."""
    lang = ov.language
    title = (f"连云港市 {ov.school_year}学年 教育均衡发展概览" if lang == "zh"
             else f"Lianyungang: city overview of education balance, school year {ov.school_year}")
    parts = [f"<h1>{esc(title)}</h1>"]
    if ov.simulated:
        parts.append(f"<p class=\"lyg-banner\"><b>{esc(t('simulated_banner', lang))}</b></p>")
    elif ov.description:
        parts.append(f"<p class=\"lyg-muted\">{esc(t('real_data_note', lang, source=ov.description))}</p>")
    return "".join(parts)


def html_side_by_side(ov: CityOverview) -> str:
    """Every county's headline figures side by side (display strings carry data-key="city.<key>.<county>")."""
    wide = ov.side_by_side()
    if wide.empty:
        return "<p class=\"lyg-muted\">—</p>"
    head = ["指标" if ov.language == "zh" else "Figure"] + list(ov.counties)
    rows = [[(r["label"], None)] + [(str(r[c]), f"city.{key}.{c}") for c in ov.counties] for key, r in wide.iterrows()]
    return html_table(rows, head, cls="lyg-wide")


def html_decomposition(ov: CityOverview) -> str:
    """Gini and Theil T with the between-county / within-county split (resources, then scores)."""
    zh = ov.language == "zh"
    d = ov.decomposition
    if d.empty:
        return "<p class=\"lyg-muted\">—</p>"
    note = ("泰尔指数 T 按学生数（成绩按实考人数）加权，可分解为县区之间与县区内部两部分，二者之和等于总体；"
            "县区之间占比越高，说明差距主要在县区之间。" if zh else
            "Theil T weighted by students (scores: by test-takers) splits exactly into a between-county and a "
            "within-county part; a high between share means the gaps lie mainly between counties.")
    return (html_inequality(d, ov.language, by_label="县区" if zh else "counties", key_prefix="city.theil")
            + f"<p class=\"lyg-muted\">{esc(note)}</p>")


def html_coverage_table(ov: CityOverview) -> str:
    """Coverage of every unit with numerators, denominators and their definitions."""
    k = ov.min_cell_size
    note = (f"“*”：涉及少于 {k} 人的数字（或为防止推算而一并隐藏的数字）不予公布。" if ov.language == "zh" else
            f"'*': counts involving fewer than {k} people (or withheld so they cannot be recovered) are not shown.")
    return html_coverage(ov.coverage, ov.language, key_prefix="city.coverage", unit_column=True) + \
        f"<p class=\"lyg-muted\">{esc(note)}</p>"


_MARK = {"met": "✓", "close": "≈", "not_met": "✗", "not_measurable": "—", "withheld": "*"}


def _value_text(r) -> str:
    v = r["value"]
    if r["verdict"] == "withheld":
        return "*"
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if r["target"] == "new_teachers":
        return f"{v:,.0f}"
    if r["target"] in _RECOGNITION:
        return ""
    return f"{100 * v:.1f}%"


def html_scorecard(ov: CityOverview) -> str:
    """Targets × units matrix: value and verdict (✓ met, ≈ close, ✗ not met, — not measurable, * withheld)."""
    lang = ov.language
    zh = lang == "zh"
    sc = ov.scorecard
    units = list(ov.counties) + [CITY[lang]]
    head = ["目标" if zh else "Target", "目标值" if zh else "Target value"] + units
    rows = []
    for target, g in sc.groupby("target", sort=False):
        g = g.set_index("unit")
        first = g.iloc[0]
        tv = first["target_value"]
        tv_txt = "" if pd.isna(tv) else (f"≥ {tv:,.0f}" if target == "new_teachers" else
                                         f"≥ {100 * tv:.0f}%" if target != "pe_hours_per_day" else f"≥ {tv:g} h")
        cells = [(str(first["name"]), None), (tv_txt, None)]
        for u in units:
            if u not in g.index:
                cells.append(("", None))
                continue
            r = g.loc[u]
            txt = f"{_value_text(r)} {_MARK[r['verdict']]} {lab(r['verdict'], lang)}".strip()
            cells.append((txt, f"city.scorecard.{target}.{u}"))
        rows.append(cells)
    legend = ("✓ 达标；≈ 接近（差距在 5 个百分点以内）；✗ 未达标；— 无法测量（原因见下表）；* 人数过少不予公布。" if zh else
              "✓ met; ≈ close (within 5 percentage points); ✗ not met; — not measurable (see the reasons below); "
              "* withheld (small numbers).")
    return html_table(rows, head, cls="lyg-wide") + f"<p class=\"lyg-muted\">{esc(legend)}</p>"


def html_scorecard_details(ov: CityOverview) -> str:
    """The numbers behind each verdict: numerator, denominator, definition, reason, source."""
    lang = ov.language
    zh = lang == "zh"
    head = (["目标", "单位", "分子", "分母", "数值", "目标值", "判定", "口径", "说明", "依据"] if zh else
            ["Target", "Unit", "Numerator", "Denominator", "Value", "Target value", "Verdict", "Definition", "Note", "Source"])
    rows = []
    for _, r in ov.scorecard.iterrows():
        key = f"city.scorecard_detail.{r['target']}.{r['unit']}"
        withheld = r["verdict"] == "withheld"

        def cnt(v, w=withheld):
            return "—" if v is None or pd.isna(v) else ("*" if w else f"{v:,.0f}")

        tv = r["target_value"]
        tv_txt = "—" if pd.isna(tv) else (f"{tv:,.0f}" if r["target"] == "new_teachers" else
                                          f"{tv:g} h" if r["target"] == "pe_hours_per_day" else f"{100 * tv:.0f}%")
        rows.append([(str(r["name"]), None), (str(r["unit"]), None), (cnt(r["numerator"]), f"{key}.numerator"),
                     (cnt(r["denominator"], False) if not pd.isna(r["denominator"]) else ("*" if withheld else "—"),
                      f"{key}.denominator"),
                     (_value_text(r) or "—", f"{key}.value"), (tv_txt, None),
                     (lab(r["verdict"], lang), f"{key}.verdict"), (str(r["definition"]), None),
                     (reason_text(r["reason"], ov.language), None), (str(r["source"]), None)])
    return html_table(rows, head)


# ---------------------------------------------------------------------------------------------- plots
def plot_scorecard(ov: CityOverview, *, ax=None):
    """Heatmap of rate ÷ target for the measurable rate targets (units × targets; 1 = on target)."""
    from lyganalysis import plots

    sc = ov.scorecard
    sc = sc[sc["target"].isin(list(_COVERAGE_KEY) + ["rotation_rate"])].copy()
    sc["ratio"] = sc["value"].astype("float64") / sc["target_value"].astype("float64")
    lang = ov.language
    short = {"quality_kindergarten_coverage_rate": ("优质园覆盖率", "Quality KG"),
             "public_affordable_kindergarten_coverage_rate": ("公办普惠园覆盖率", "Public+affordable KG"),
             "disabled_placement_rate": ("残疾儿童入学安置率", "Disabled placed"),
             "disabled_regular_school_share": ("普通学校就读占比", "Disabled in ordinary schools"),
             "rotation_rate": ("交流轮岗比例", "Rotation")}
    sc["target_label"] = sc["target"].map(lambda k: short[k][0 if lang == "zh" else 1])
    return plots.compliance_heatmap(sc, row="unit", column="target_label", value="ratio", ax=ax,
                                    row_order=list(ov.counties) + [CITY[lang]],
                                    column_order=[short[k][0 if lang == "zh" else 1] for k in short],
                                    colorbar_label="数值 ÷ 目标" if lang == "zh" else "value / target",
                                    title="2022 年目标达成情况（灰色：无法测量或不予公布）" if lang == "zh"
                                    else "2022 targets (grey: not measurable or withheld)")


def plot_decomposition(ov: CityOverview, *, ax=None, kind: str = "resource", stage: str | None = "primary"):
    """Theil T of each measure split into between-county and within-county parts."""
    d = ov.decomposition
    d = d[d["kind"] == kind]
    if kind != "resource":
        stage = None
    return plot_theil(d, ov.language, ax=ax, by_label="县区" if ov.language == "zh" else "counties", stage=stage)


def plot_headline(ov: CityOverview, key: str, *, ax=None):
    """One headline figure for every county (bars)."""
    from lyganalysis import plots

    h = ov.headlines[ov.headlines["key"] == key].copy()
    if h.empty:  # a figure these data do not have: say so instead of stopping the page
        import matplotlib.pyplot as plt

        ax = ax if ax is not None else plt.subplots(figsize=(6, 0.5))[1]
        ax.axis("off")
        ax.text(0.5, 0.5, t("unavailable", ov.language), ha="center", va="center", color="#666")
        return ax
    h["v"] = pd.to_numeric(h["value"], errors="coerce").astype("float64")
    scale = 100.0 if h["kind"].iloc[0] == "rate" else 1.0
    h["v"] = h["v"] * scale
    return plots.bar_against_limit(h, value="v", label="county", ax=ax, order=list(ov.counties),
                                   fmt="{:.1f}", title=str(h["label"].iloc[0]))


_HEADINGS = {
    "side_by_side": {"zh": "一、各县区主要指标对照", "en": "1. Counties side by side"},
    "scorecard": {"zh": "二、2022 年目标达成情况", "en": "2. Scorecard against the 2022 targets"},
    "scorecard_details": {"zh": "判定依据（分子、分母与口径）", "en": "The numbers behind each verdict"},
    "coverage": {"zh": "三、覆盖率（特殊教育、学前教育、随迁子女）",
                 "en": "3. Coverage (special education, kindergartens, migrant children)"},
    "decomposition": {"zh": "四、校际差距：县区之间与县区内部", "en": "4. Inequality between and within counties"},
    "staffing": {"zh": "五、教师队伍结构（全市汇总）", "en": "5. Staffing structure (city-wide summary)"},
}


def html_heading(key: str, language: str, level: int = 2) -> str:
    """A section heading of the city overview (keys: side_by_side, scorecard, scorecard_details, coverage,
    decomposition, staffing)."""
    return f"<h{level}>{esc(_HEADINGS[key][language])}</h{level}>"


# ---------------------------------------------------------------------------------------------- staffing
STAFFING_STAGES = ("primary", "junior")
"""Stages of the ratio, structure, backbone and rotation figures (compulsory education, as the county section)."""
TEACHER_STAGES = ("primary", "junior", "senior", "preschool", "special")

_STAGE_TEXT = {"primary": ("小学", "primary"), "junior": ("初中", "junior"), "senior": ("高中", "senior"),
               "preschool": ("学前", "preschool"), "special": ("特殊教育", "special")}
_SUBJECT_TEXT = {"music": ("音乐", "music"), "pe": ("体育", "PE"), "fine_art": ("美术", "fine art"),
                 "it": ("信息技术", "IT"), "mental_health": ("心理健康", "mental health")}


def staffing_targets(school_year: int) -> dict:
    """The standards and targets the city staffing summary is read against (values and sources)."""
    from lyganalysis.analysis.staffing import staffing_targets as _targets

    return _targets(school_year)


def staffing_summary(ds, *, school_year: int, counties: list | None = None, language: str = "zh") -> pd.DataFrame:
    """City-wide staffing summary (教师队伍全市汇总): every county and the city side by side.

    The table of :func:`lyganalysis.analysis.staffing.analyse_city` (one computation for the county pages,
    the school pages and this overview; see its ``CityStaffing.table`` for the columns), with the city row
    labelled in ``language`` (全市 / City).

    Raises
    ------
    ValueError
        No teachers table, or no school in ``school_year``.
    """
    from lyganalysis.analysis.staffing import CITY as CITY_CODE
    from lyganalysis.analysis.staffing import analyse_city

    out = analyse_city(ds, school_year=school_year, counties=counties).table.copy()
    out["unit"] = out["unit"].where(out["unit"] != CITY_CODE, CITY[language])
    return out


# (column, zh label, en label, display kind, target text zh, target text en, withheld when this count < k)
_STAFFING_TABLES = {
    "teachers": [
        ("teachers", "专任教师（全部学段）", "Full-time teachers (all stages)", "count", "", "", None),
        *[(f"teachers_{st}", f"  其中{_STAGE_TEXT[st][0]}", f"  of which {_STAGE_TEXT[st][1]}", "count", "", "", None)
          for st in TEACHER_STAGES],
        *[row for st in STAFFING_STAGES for row in (
            (f"ratio_{st}", f"{_STAGE_TEXT[st][0]}生师比（Σ学生/Σ教师）", f"Student–teacher ratio, {_STAGE_TEXT[st][1]} "
             "(Σstudents/Σteachers)", "ratio", "standard", "standard", None),
            (f"shortfall_{st}", f"{_STAGE_TEXT[st][0]}缺编（净，按编制标准）", f"Net shortfall, {_STAGE_TEXT[st][1]}",
             "count", "", "", None),
            (f"gross_shortfall_{st}", f"{_STAGE_TEXT[st][0]}缺编学校合计缺口", f"Sum of school shortfalls, "
             f"{_STAGE_TEXT[st][1]}", "count", "", "", None),
            (f"n_schools_short_{st}", f"{_STAGE_TEXT[st][0]}缺编学校数", f"Schools short, {_STAGE_TEXT[st][1]}",
             "count", "", "", None))],
    ],
    "age": [
        ("share_50_plus", "50岁及以上教师占比（全部学段）", "Share of teachers aged 50+ (all stages)", "rate", "", "",
         "teachers"),
        *[(f"share_50_plus_{st}", f"  其中{_STAGE_TEXT[st][0]}", f"  {_STAGE_TEXT[st][1]}", "rate", "", "",
           f"teachers_{st}") for st in STAFFING_STAGES],
        ("retirements_5y", "未来5年退休（现行年龄）", "Retirements, next 5 years (current ages)", "count", "", "", None),
        ("retirements_10y", "未来10年退休（现行年龄）", "Retirements, next 10 years (current ages)", "count", "", "", None),
        ("new_teachers_per_year_5y", "每年需补充教师（5年均值）", "New teachers needed per year (5-year mean)", "count",
         "全市≥1,500/年", "city ≥ 1,500/yr", None),
        ("new_teachers_per_year_10y", "每年需补充教师（10年均值）", "New teachers needed per year (10-year mean)",
         "count", "全市≥1,500/年", "city ≥ 1,500/yr", None),
        ("retirements_10y_reform", "未来10年退休（渐进式延迟退休）", "Retirements, next 10 years (gradual reform)",
         "count", "", "", None),
        ("new_teachers_per_year_10y_reform", "每年需补充教师（延迟退休，10年均值）",
         "New teachers per year (gradual reform, 10-year mean)", "count", "全市≥1,500/年", "city ≥ 1,500/yr", None),
    ],
    "structure": [
        *[(f"share_above_required_{st}", f"{_STAGE_TEXT[st][0]}高于规定学历占比（L1）",
           f"Above required qualification, {_STAGE_TEXT[st][1]} (L1)", "rate", "", "", f"teachers_{st}")
          for st in STAFFING_STAGES],
        *[(f"n_schools_L3_short_{st}", f"{_STAGE_TEXT[st][0]} L3 未达标学校数", f"Schools below L3, {_STAGE_TEXT[st][1]}",
           "count", "每百名学生≥0.9", "≥ 0.9 per 100", None) for st in STAFFING_STAGES],
        ("n_schools_specialist_checked", "参与统计学校数（不含教学点）", "Schools looked at (no teaching points)", "count",
         "", "", None),
        *[(f"n_schools_without_{s}", f"无{z}专任教师学校数", f"Schools with no {e} teacher", "count", "", "", None)
          for s, (z, e) in _SUBJECT_TEXT.items()],
        ("n_schools_missing_specialist", "至少缺一科专任教师学校数", "Schools missing at least one of them", "count",
         "", "", None),
    ],
    "backbone_rotation": [
        ("backbone_teachers", "骨干教师（县级及以上）", "Backbone teachers (county level or above)", "count", "", "", None),
        ("urban_student_share", "城区学校学生占比", "Urban schools' share of students", "rate", "", "", None),
        ("urban_backbone_share", "城区学校骨干教师占比", "Urban schools' share of backbone teachers", "rate", "", "", None),
        ("urban_concentration_ratio", "城区集中度（骨干占比/学生占比）", "Urban concentration (backbone / student share)",
         "cv", "1 = 均衡", "1 = in proportion", None),
        ("rural_student_share", "乡村学校学生占比", "Rural schools' share of students", "rate", "", "", None),
        ("rural_backbone_share", "乡村学校骨干教师占比", "Rural schools' share of backbone teachers", "rate", "", "", None),
        *[(f"gini_L2_{st}", f"{_STAGE_TEXT[st][0]} L2 基尼系数", f"Gini of L2, {_STAGE_TEXT[st][1]}", "cv", "", "", None)
          for st in STAFFING_STAGES],
        ("rotation_eligible", "符合交流条件教师", "Teachers eligible for rotation", "count", "", "", None),
        ("rotated", "本年交流教师", "Teachers rotated this year", "count", "", "", None),
        ("rotation_rate", "交流比例", "Rotation rate", "rate", "≥15%", "≥ 15%", None),
        ("rotation_gap_to_target", "距15%还需交流（人）", "More to rotate for 15%", "count", "", "", None),
        ("backbone_share_of_rotated", "交流教师中骨干占比", "Backbone share of those rotated", "rate", "≥20%", "≥ 20%",
         None),
    ],
}
_STAFFING_SUBHEADS = {"teachers": ("专任教师、生师比与缺编", "Teachers, ratios and shortfalls"),
                      "age": ("年龄结构、退休与补充需求", "Age, retirements and replacement need"),
                      "structure": ("学历与学科结构", "Qualifications and subject specialists"),
                      "backbone_rotation": ("骨干教师分布与交流轮岗", "Backbone teachers and rotation")}


def html_staffing(ov: CityOverview) -> str:
    """The city-wide staffing summary: one table per topic, counties and the city side by side.

    Every number carries ``data-key="city.staffing.<column>.<unit>"``; shares of groups with fewer than
    ``min_cell_size`` teachers are withheld ("*").
    """
    from lyganalysis.summary import format_value

    lang = ov.language
    zh = lang == "zh"
    st = ov.staffing
    if st is None or st.empty:
        return f"<p class=\"lyg-muted\">{esc('无教师数据，未计算。' if zh else 'No teacher records: not computed.')}</p>"
    units = list(st["unit"])
    rows_by_unit = st.set_index("unit")
    k = ov.min_cell_size
    head = ["指标" if zh else "Figure", "标准/目标" if zh else "Standard / target"] + units
    parts = []
    for key, spec in _STAFFING_TABLES.items():
        rows = []
        for col, lz, le, kind, tz, te, base in spec:
            if col not in rows_by_unit.columns:
                continue
            target = tz if zh else te
            if target == "standard":
                std = rows_by_unit[f"standard_{col.split('_', 1)[1]}"].iloc[-1]
                target = "—" if pd.isna(std) else f"≤ {std:g}"
            cells = [(lz if zh else le, None), (target, None)]
            for u in units:
                v = rows_by_unit.at[u, col]
                withheld = base is not None and rows_by_unit.at[u, base] < k and not pd.isna(v)
                txt = "*" if withheld else format_value(None if pd.isna(v) else v, kind, lang)
                cells.append((txt, f"city.staffing.{col}.{u}"))
            rows.append(cells)
        sub = _STAFFING_SUBHEADS[key][0 if zh else 1]
        parts.append(f"<h3>{esc(sub)}</h3>" + html_table(rows, head, cls="lyg-wide"))
    note = (
        "口径：生师比为 Σ学生/Σ专任教师，编制标准（2014 年统一城乡标准）按教职工计，故缺编数偏大；净缺编 = 应配 − 现有（超编抵减），"
        "合计缺口只计缺编学校。退休按出生年份（月份均匀分布的期望人数），现行法定年龄男60、女55，延迟退休按 2025 年渐进式方案 [U]；"
        "每年需补充教师 = 退休人数 ÷ 年数（保持教师总数，未计其他流失），全市工作方案目标为每年新招聘 1,500 名以上。"
        "学科、骨干、交流轮岗只计小学、初中；L3 按学校学段计，缺专任教师按学校计（不含教学点）。"
        "交流比例 = 本年交流教师 ÷ 符合条件教师（同校任教满6年且距退休超过5年，按性别法定年龄；本年已交流者计入分母），"
        "与县区报告口径一致；“2022 年目标达成情况”表中的交流比例用的是全学段、统一按60岁退休的口径，两者可能不同。"
        f"“*”：教师少于 {k} 人的组不显示比例。" if zh else
        "Definitions: ratio = Σstudents / Σfull-time teachers; the 2014 unified staffing standard counts all staff, so "
        "shortfalls are overstated; net shortfall = need − teachers (surpluses offset), the sum of school shortfalls "
        "counts short schools only. Retirements from birth years (expected counts, birth months spread evenly) at the "
        "current statutory ages (men 60, women 55), or under the 2025 gradual reform [U]; new teachers per year = "
        "retirements ÷ years (keeping the headcount; other leavers not counted), against the plan's 1,500+ new "
        "teachers a year for the city. Subjects, backbone and rotation: primary and junior only; L3 counts school "
        "sections, missing specialists count schools (teaching points excluded). Rotation rate = teachers rotated "
        "this year ÷ eligible teachers (≥ 6 years in the school and > 5 years to retirement at the statutory age by "
        "gender; this year's rotated in the pool), as in the county reports; the scorecard's rotation rate uses all "
        f"stages and retirement at 60 for everyone, so the two can differ. '*': shares of groups under {k} teachers "
        "are withheld.")
    return "".join(parts) + f"<p class=\"lyg-muted\">{esc(note)}</p>"


_STAFFING_PLOTS = {
    "rotation": ("交流轮岗：交流比例与交流教师中骨干占比", "Rotation: rate and backbone share of those rotated"),
    "backbone": ("城区学校：学生占比与骨干教师占比", "Urban schools: share of students and of backbone teachers"),
    "new_teachers": ("每年需补充教师（退休替补）", "New teachers needed per year (replacing retirements)"),
}


def plot_staffing(ov: CityOverview, measure: str = "rotation", *, ax=None):
    """A staffing figure, counties and the city side by side; returns ``ax``.

    ``measure``: ``"rotation"`` (rotation rate against 15 % and backbone share of those rotated against
    20 %; bars below their target in red), ``"backbone"`` (urban schools' share of students versus of
    backbone teachers), ``"new_teachers"`` (new teachers per year over 5 and 10 years, current ages), or any
    numeric column of ``ov.staffing`` (one bar per unit; ``ratio_<stage>`` against its standard).
    """
    from lyganalysis import plots

    lang = ov.language
    zh = lang == "zh"
    st = ov.staffing
    if st is None or st.empty:
        raise ValueError("the overview has no staffing summary (no teacher records)")
    units = list(st["unit"])
    if measure in ("rotation", "backbone", "new_teachers"):
        spec = {"rotation": [("rotation_rate", "交流比例", "Rotation rate", 15.0),
                             ("backbone_share_of_rotated", "交流中骨干占比", "Backbone share of rotated", 20.0)],
                "backbone": [("urban_student_share", "学生占比", "Share of students", np.nan),
                             ("urban_backbone_share", "骨干教师占比", "Share of backbone teachers", np.nan)],
                "new_teachers": [("new_teachers_per_year_5y", "5年均值", "5-year mean", np.nan),
                                 ("new_teachers_per_year_10y", "10年均值", "10-year mean", np.nan)]}[measure]
        scale = 1.0 if measure == "new_teachers" else 100.0
        long = pd.DataFrame([{"unit": u, "measure": c, "v": float(r[c]) * scale, "target": tgt}
                             for _, r in st.iterrows() for c, _, _, tgt in spec for u in [r["unit"]]])
        labels = {c: (z if zh else e) for c, z, e, _ in spec}
        has_target = long["target"].notna().any()
        ylabel = ("人" if zh else "teachers") if measure == "new_teachers" else "%"
        return plots.bars_by_group(long, value="v", label="unit", by="measure", ax=ax, labels=labels, order=units,
                                   by_order=[c for c, *_ in spec], standard="target" if has_target else None,
                                   standard_label=("目标" if zh else "target") if has_target else None,
                                   highlight="below" if has_target else None,
                                   over_label=("未达目标" if zh else "below target") if has_target else None,
                                   fmt="{:,.0f}" if measure == "new_teachers" else "{:.1f}",
                                   title=_STAFFING_PLOTS[measure][0 if zh else 1], ylabel=ylabel)
    if measure not in st.columns or measure in ("unit", "is_city"):
        raise ValueError(f"unknown staffing measure {measure!r}; use 'rotation', 'backbone', 'new_teachers' or a "
                         f"column of ov.staffing: {[c for c in st.columns if c not in ('unit', 'is_city')]}")
    label = next((row[1 if zh else 2] for spec in _STAFFING_TABLES.values() for row in spec if row[0] == measure),
                 measure).strip()
    kind = next((row[3] for spec in _STAFFING_TABLES.values() for row in spec if row[0] == measure), "ratio")
    scale = 100.0 if kind == "rate" else 1.0
    d = pd.DataFrame({"unit": units, "v": st[measure].astype("float64") * scale})
    limit = None
    if measure.startswith("ratio_") and f"standard_{measure[6:]}" in st.columns:
        limit = float(st[f"standard_{measure[6:]}"].iloc[-1])
    elif measure in ("rotation_rate", "backbone_share_of_rotated"):
        limit = 15.0 if measure == "rotation_rate" else 20.0
    if limit is not None and np.isnan(limit):
        limit = None
    if measure in ("rotation_rate", "backbone_share_of_rotated"):  # minimum targets: bars below them in red
        return plots.bars_by_group(d, value="v", label="unit", ax=ax, order=units, standard=limit,
                                   standard_label="目标" if zh else "target", highlight="below",
                                   over_label="未达目标" if zh else "below target", fmt="{:.1f}", title=label,
                                   ylabel="%")
    return plots.bar_against_limit(d, value="v", label="unit", ax=ax, order=units, limit=limit,
                                   limit_label=("标准/目标" if zh else "standard / target") if limit is not None else None,
                                   fmt="{:.1f}" if kind != "count" else "{:,.0f}", title=label)
