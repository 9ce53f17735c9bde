"""Report section "staffing structure" (教师队伍结构): who the teachers are, where, and who is missing.

``build(ds, county=..., school_year=...)`` computes everything with :mod:`lyganalysis.metrics.staffing`
at full precision; :meth:`StaffingSection.html` rounds for display (via
:func:`lyganalysis.summary.format_value`) and puts every number in a ``data-key`` attribute
(``staffing_structure.<table>.<row keys>.<column>``); :meth:`StaffingSection.plot` draws the figures
with :mod:`lyganalysis.plots` (and matplotlib directly for the age pyramid).

Privacy: shares of groups with fewer than ``min_cell_size`` teachers are withheld (shown "*"), and the
age pyramid's band × gender counts go through :func:`lyganalysis.privacy.suppress_small_cells`
(primary and complementary suppression) before they are shown or drawn.
"""

from __future__ import annotations

import html as _html
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lyganalysis.labels import has, t
from lyganalysis.metrics import staffing as S
from lyganalysis.privacy import suppress_group_stats, suppress_small_cells
from lyganalysis.standards import (
    CITY_TARGETS_2022,
    RETIREMENT_REFORM_2025,
    ROTATION_TARGETS,
    SPECIALIST_SUBJECTS,
    staffing_standard,
)
from lyganalysis.summary import format_value

from lyganalysis.jsonable import plain as _plain
from lyganalysis.jsonable import records


def _records(df):
    """Rows as JSON-able dicts; None (not []) when there is no table."""
    return records(df, missing=None)

__all__ = ["StaffingSection", "build", "LABELS"]

esc = _html.escape
KEY = "staffing_structure"
STAGES = ("primary", "junior")
LOCALES = ("urban", "town", "rural")

#: Labels this section needs that lyganalysis.labels does not have (yet).
LABELS: dict[str, dict[str, str]] = {
    "postgraduate": {"zh": "研究生", "en": "Postgraduate"}, "bachelor": {"zh": "本科", "en": "Bachelor"},
    "associate": {"zh": "专科", "en": "Associate"}, "high_school_or_below": {"zh": "高中及以下", "en": "High school or below"},
    "senior_professor": {"zh": "正高级", "en": "Senior professor"}, "senior_title": {"zh": "高级", "en": "Senior"},
    "first": {"zh": "一级", "en": "First grade"}, "second": {"zh": "二级", "en": "Second grade"},
    "third": {"zh": "三级", "en": "Third grade"}, "unrated": {"zh": "未定级", "en": "Unrated"},
    "chinese": {"zh": "语文", "en": "Chinese"}, "math": {"zh": "数学", "en": "Mathematics"},
    "english": {"zh": "英语", "en": "English"}, "science": {"zh": "科学", "en": "Science"},
    "moral_education": {"zh": "道德与法治", "en": "Moral education"}, "pe": {"zh": "体育", "en": "PE"},
    "music": {"zh": "音乐", "en": "Music"}, "fine_art": {"zh": "美术", "en": "Fine art"},
    "it": {"zh": "信息技术", "en": "IT"}, "labour": {"zh": "劳动", "en": "Labour"},
    "mental_health": {"zh": "心理健康", "en": "Mental health"}, "other": {"zh": "其他", "en": "Other"},
    "female": {"zh": "女", "en": "Female"}, "male": {"zh": "男", "en": "Male"},
    "all": {"zh": "合计", "en": "All"},
    "student_share": {"zh": "学生占比", "en": "Share of students"},
    "backbone_share": {"zh": "骨干教师占比", "en": "Share of backbone teachers"},
}

_TEXT = {
    "title": {"zh": "教师队伍结构", "en": "Staffing structure"},
    "ratios": {"zh": "生师比与编制标准", "en": "Student–teacher ratio and the staffing standard"},
    "pooled": {"zh": "生师比（Σ学生/Σ教师）", "en": "Ratio (Σstudents/Σteachers)"},
    "mean_of_schools": {"zh": "各校生师比均值", "en": "Mean of school ratios"},
    "actions": {"zh": "各校缺什么教师（人事部门可据此补充）",
                "en": "Which teachers each school lacks (for the personnel office)"},
    "actions_note": {"zh": "缺编 = 按编制标准应配 − 现有专任教师（标准按教职工计，偏大）；体艺缺口 = 达到L3（每百名学生0.9人）"
                           "还需的体育、音乐、美术教师；骨干缺口 = 达到L2（每百名学生1.0人）还需的县级以上骨干教师；"
                           "缺专任学科 = 没有该学科专任教师（教学点不列入，由中心校统筹）。",
                     "en": "Shortfall = posts under the staffing standard − full-time teachers (the standard counts all "
                           "staff, so this overstates); PE/arts gap = PE, music and art teachers still needed for L3 "
                           "(0.9 per 100 students); backbone gap = backbone teachers still needed for L2 (1.0 per 100 "
                           "students); missing subjects = no specialist of the subject (teaching points excluded: "
                           "their central school covers them)."},
    "age": {"zh": "年龄结构", "en": "Age structure"},
    "retire": {"zh": "退休与补充需求", "en": "Retirements and replacement need"},
    "qual": {"zh": "学历结构", "en": "Qualification structure"},
    "title_s": {"zh": "职称结构", "en": "Title structure"},
    "subjects": {"zh": "学科结构（每百名学生教师数）", "en": "Subject structure (teachers per 100 students)"},
    "backbone": {"zh": "骨干教师分布", "en": "Backbone teachers"},
    "rotation": {"zh": "交流轮岗", "en": "Teacher rotation"},
    "flows": {"zh": "交流流向（原学校 → 现学校）", "en": "Direction of rotation (origin → destination)"},
    "unavailable": {"zh": "以下内容数据不支持，未计算：", "en": "Not computed, because the data do not allow it:"},
    "suppressed": {"zh": "教师数少于 {k} 的组不显示比例（“*”），年龄金字塔中少于 {k} 人的格不显示。",
                   "en": "Shares of groups with fewer than {k} teachers are withheld ('*'); pyramid cells under {k} "
                         "are withheld."},
}


def _t(key: str, lang: str, **kw) -> str:
    if key in _TEXT:
        return _TEXT[key][lang].format(**kw)
    if key in LABELS:
        return LABELS[key][lang]
    return t(key, lang, **kw) if has(key) else key


def _lab(code: Any, lang: str) -> str:
    s = str(code)
    if s == "senior" and lang:  # stage label; the title "senior" is mapped to "senior_title" before display
        return t("senior", lang)
    if s in LABELS:
        return LABELS[s][lang]
    return t(s, lang) if has(s) else s


_NOTES_ZH = [
    (r"origin = the teacher's school in school year (\d+) \(same teacher_key\); (\d+) rotated teacher\(s\) have no "
     r"row that year and (\d+) came from schools outside these data: not counted",
     r"原学校 = 该教师 \1 学年所在的学校（同一化名键）；\2 名交流教师当年没有记录，\3 名来自数据以外的学校：均未计入"),
    (r"no teacher rotated in this school year", "本学年没有教师交流"),
    (r"the teachers table records no origin school, and school year (\d+) is not in the data to find it: the "
     r"direction of flows is unavailable", r"教师表不记录原学校，数据中也没有 \1 学年可供追溯：无法给出交流流向"),
    (r"the teachers table records no origin school, and no earlier school year is present to find it: the "
     r"direction of flows is unavailable", "教师表不记录原学校，数据中也没有更早的学年可供追溯：无法给出交流流向"),
    (r"flows need the schools table \(locale of the origin and destination schools\)",
     "交流流向需要学校表（原学校与现学校的城乡类型）"),
    (r"the teachers table records each teacher's own subject, not the lessons taught",
     "是否主要由非专业教师任教：教师表只记录教师本人的学科，不记录所任课程，无法判断"),
    (r"no agreed measure of school strength in the data; flows are shown by locale only",
     "强校→薄弱校的交流方向：数据中没有公认的学校强弱指标，流向只按城乡给出"),
]


def _note(text: str | None, language: str) -> str:
    """A note of this section in the report's language (notes are stored in English for the JSON)."""
    import re

    if not text or language != "zh":
        return text or ""
    for pattern, zh in _NOTES_ZH:
        m = re.fullmatch(pattern, str(text).strip())
        if m:
            return m.expand(zh)
    return str(text)


@dataclass(frozen=True)
class StaffingSection:
    """The staffing-structure section of one county report (full precision; see :func:`build`)."""

    county: str
    school_year: int
    language: str
    min_cell_size: int
    simulated: bool
    ratios: pd.DataFrame
    school_actions: pd.DataFrame
    age: pd.DataFrame
    age_by_locale: pd.DataFrame
    pyramid: pd.DataFrame
    retirements: pd.DataFrame
    retirements_by_year: pd.DataFrame
    qualification: pd.DataFrame
    titles: pd.DataFrame
    subjects: pd.DataFrame
    backbone_by_locale: pd.DataFrame
    backbone_inequality: pd.DataFrame
    rotation: pd.DataFrame
    rotation_flows: pd.DataFrame | None
    rotation_note: str
    scalars: dict
    unavailable: tuple = field(default=())

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict:
        """Everything, JSON-serialisable, full precision (NaN → null)."""
        tables = {name: _records(getattr(self, name)) for name in (
            "ratios", "school_actions", "age", "age_by_locale", "pyramid", "retirements", "retirements_by_year",
            "qualification", "titles", "subjects", "backbone_by_locale", "backbone_inequality", "rotation",
            "rotation_flows")}
        return {"section": KEY, "county": self.county, "school_year": int(self.school_year),
                "language": self.language, "min_cell_size": int(self.min_cell_size),
                "simulated": bool(self.simulated), "scalars": {k: _plain(v) for k, v in self.scalars.items()},
                "rotation_flows_note": self.rotation_note, "unavailable": [dict(u) for u in self.unavailable],
                **tables}

    # ------------------------------------------------------------------ HTML
    def _table(self, df: pd.DataFrame | None, cols: list[tuple[str, str, str]], name: str,
               key_cols: tuple[str, ...] = ()) -> str:
        lang = self.language
        if df is None or df.empty:
            return f"<p class=\"lyg-muted\">{esc(t('unavailable', lang))}</p>"
        cols = [c for c in cols if c[0] in df.columns]
        head = "".join(f"<th>{esc(h)}</th>" for _, h, _ in cols)
        rows = []
        for _, r in df.iterrows():
            cells = []
            for col, _, kind in cols:
                v = r.get(col)
                missing = v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
                if kind == "label":
                    txt = "—" if missing else _lab(v, lang)
                elif kind == "subjects":
                    txt = "、".join(_lab(s, lang) for s in v) if lang == "zh" else ", ".join(_lab(s, lang) for s in v)
                    txt = txt or "—"
                elif kind == "raw":
                    txt = "—" if missing else str(v)
                else:
                    withheld = f"_withheld_{col}" in r.index and bool(r[f"_withheld_{col}"])
                    txt = "*" if withheld else format_value(None if missing else v, kind, lang)
                attr = ""
                if kind not in ("label", "raw", "subjects"):
                    key = ".".join([KEY, name, *[str(r.get(k)) for k in key_cols], col])
                    attr = f" data-key=\"{esc(key)}\""
                cells.append(f"<td{attr}>{esc(txt)}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"

    def html(self) -> str:
        """HTML fragment (h3 sub-headings, tables, notes) in ``self.language``."""
        L = self.language
        zh = L == "zh"
        h = lambda key: f"<h3>{esc(_t(key, L))}</h3>"  # noqa: E731
        p = []
        p.append(h("ratios"))
        p.append(self._table(self.ratios, [
            ("stage", t("stage", L), "label"), ("students", t("students", L), "count"),
            ("teachers", t("teachers", L), "count"), ("student_teacher_ratio", _t("pooled", L), "ratio"),
            ("mean_of_schools_ratio", _t("mean_of_schools", L), "ratio"),
            ("staffing_standard", t("staffing_standard", L), "ratio"),
            ("teacher_need", "按标准应配教师" if zh else "Posts under the standard", "count"),
            ("teacher_shortfall", t("teacher_shortfall", L), "count"),
            ("gross_shortfall", "缺编学校合计缺口" if zh else "Sum of school shortfalls", "count"),
            ("n_schools_short", "缺编学校数" if zh else "Schools short", "count")], "ratios", ("stage",)))
        p.append(h("actions"))
        p.append(f"<p class=\"lyg-muted\">{esc(_t('actions_note', L))}</p>")
        acts = self.school_actions
        if acts is not None and not acts.empty:
            acts = acts[acts["needs_any"]]
        p.append(self._table(acts, [
            ("school_name", t("school", L), "raw"), ("locale", t("locale", L), "label"),
            ("students", t("students", L), "count"), ("teachers", t("teachers", L), "count"),
            ("teacher_shortfall", "缺编（人）" if zh else "Shortfall", "ratio"),
            ("L3_gap_teachers", "体艺教师缺口" if zh else "PE/arts gap", "count"),
            ("L2_gap_teachers", "骨干教师缺口" if zh else "Backbone gap", "count"),
            ("missing", "缺专任学科教师" if zh else "No specialist teacher of", "subjects")],
            "school_actions", ("school_id",)) if acts is not None and not acts.empty
            else f"<p>{esc('没有需要补充教师的学校。' if zh else 'No school lacks teachers by these measures.')}</p>")
        p.append(h("age"))
        age_cols = [("teachers", t("teachers", L), "count"), ("share_under_35", "35岁以下" if zh else "Under 35", "rate"),
                    ("share_35_49", "35–49岁" if zh else "35–49", "rate"),
                    ("share_50_plus", "50岁及以上" if zh else "50 and over", "rate"),
                    ("mean_age", "平均年龄" if zh else "Mean age", "ratio")]
        p.append(self._table(self.age, [("stage", t("stage", L), "label"), *age_cols], "age", ("stage",)))
        p.append(self._table(self.age_by_locale, [("stage", t("stage", L), "label"), ("locale", t("locale", L), "label"),
                                                  *age_cols], "age_by_locale", ("stage", "locale")))
        p.append(h("retire"))
        sc = self.scalars
        p.append(self._table(self.retirements, [
            ("scenario", "口径" if zh else "Rule", "raw"), ("horizon", "年限" if zh else "Years", "count"),
            ("headcount", t("teachers", L), "count"), ("retirements", "退休人数" if zh else "Retirements", "count"),
            ("share_of_headcount", "占现有教师" if zh else "Share of teachers", "rate"),
            ("new_teachers_per_year", "每年需补充教师" if zh else "New teachers needed per year", "count")],
            "retirements", ("scenario_key", "horizon")))
        past = sc.get("n_past_retirement_age")
        if past:
            p.append(f"<p class=\"lyg-muted\">{esc(('已超过所设法定退休年龄仍在岗的教师约 %s 人，计入第1年。' % format_value(past, 'count', L)) if zh else ('About %s teachers are already past the assumed statutory age; they are counted in year 1.' % format_value(past, 'count', L)))}</p>")
        p.append(f"<p class=\"lyg-muted\">{esc(sc.get('retirement_note_' + L, ''))}</p>")
        p.append(h("qual"))
        qcols = [(f"share_{q}", _lab(q, L), "rate") for q in S.QUALIFICATIONS]
        p.append(self._table(self.qualification, [("stage", t("stage", L), "label"), ("locale", t("locale", L), "label"),
                                                  ("teachers", t("teachers", L), "count"), *qcols,
                                                  ("share_above_required", "高于规定学历（L1口径）" if zh
                                                   else "Above required qualification (L1)", "rate")],
                             "qualification", ("stage", "locale")))
        p.append(h("title_s"))
        tcols = [(f"share_{x}", _lab("senior_title" if x == "senior" else x, L), "rate") for x in S.TITLES]
        p.append(self._table(self.titles, [("stage", t("stage", L), "label"), ("locale", t("locale", L), "label"),
                                           ("teachers", t("teachers", L), "count"), *tcols],
                             "titles", ("stage", "locale")))
        p.append(h("subjects"))
        p.append(self._table(self.subjects, [("stage", t("stage", L), "label"), ("students", t("students", L), "count"),
                                             *[(f"per_100_{s}", _lab(s, L), "cv") for s in S.SUBJECTS],
                                             ("L3", "L3 体艺" if zh else "L3 PE+arts", "cv"),
                                             ("n_schools_L3_short", "L3未达标学校" if zh else "Schools below L3", "count"),
                                             *[(f"n_schools_without_{s}", ("无" + _lab(s, L) + "教师学校") if zh
                                                else f"Schools without {_lab(s, L)}", "count") for s in SPECIALIST_SUBJECTS]],
                             "subjects", ("stage",)))
        p.append(f"<p class=\"lyg-muted\">{esc('学科是否主要由非专业教师任教：教师表只记录教师本人的学科，不记录所任课程，无法判断。' if zh else 'Whether subjects are taught mainly by non-specialists cannot be told: the teachers table records each teacher’s subject, not the lessons taught.')}</p>")
        p.append(h("backbone"))
        p.append(self._table(self.backbone_by_locale, [
            ("stage", t("stage", L), "label"), ("locale", t("locale", L), "label"),
            ("students", t("students", L), "count"), ("backbone_teachers", "骨干教师" if zh else "Backbone teachers", "count"),
            ("student_share", _lab("student_share", L), "rate"), ("backbone_share", _lab("backbone_share", L), "rate"),
            ("concentration_ratio", "集中度（骨干占比/学生占比）" if zh else "Concentration (backbone / student share)", "cv"),
            ("L2", "L2 每百名学生骨干教师" if zh else "L2 per 100 students", "cv")], "backbone_by_locale", ("stage", "locale")))
        p.append(self._table(self.backbone_inequality, [
            ("stage", t("stage", L), "label"), ("n_schools", "学校数" if zh else "Schools", "count"),
            ("L2_pooled", "L2（县域）" if zh else "L2 (county)", "cv"),
            ("gini_coefficient", "基尼系数" if zh else "Gini coefficient", "cv"),
            ("coefficient_of_variation", t("coefficient_of_variation", L), "cv"),
            ("n_schools_L2_short", "L2未达标学校" if zh else "Schools below L2", "count")], "backbone_inequality", ("stage",)))
        p.append(h("rotation"))
        p.append(self._table(self.rotation, [
            ("stage", t("stage", L), "label"), ("teachers", t("teachers", L), "count"),
            ("eligible", "符合交流条件" if zh else "Eligible", "count"), ("rotated", "已交流" if zh else "Rotated", "count"),
            ("rotation_rate", "交流比例" if zh else "Rotation rate", "rate"),
            ("gap_to_city", "距15%还需交流（人）" if zh else "More to rotate for 15%", "count"),
            ("meets_national", "达到全国10%" if zh else "Meets national 10%", "verdict"),
            ("backbone_share_of_rotated", "交流中骨干占比" if zh else "Backbone share of rotated", "rate"),
            ("meets_backbone_share", "达到20%" if zh else "Meets 20%", "verdict"),
            ("backbone_rotation_rate", "骨干教师交流比例" if zh else "Backbone rotation rate", "rate")],
            "rotation", ("stage",)))
        d = self.scalars
        p.append(f"<p class=\"lyg-muted\">{esc(d.get('rotation_rule_' + L, ''))}</p>")
        p.append(f"<h4>{esc(_t('flows', L))}</h4>")
        if self.rotation_flows is not None and not self.rotation_flows.empty:
            p.append(self._table(self.rotation_flows, [
                ("origin_locale", "原学校城乡" if zh else "From", "label"),
                ("destination_locale", "现学校城乡" if zh else "To", "label"),
                ("teachers", t("teachers", L), "count")], "rotation_flows", ("origin_locale", "destination_locale")))
        p.append(f"<p class=\"lyg-muted\">{esc(_note(self.rotation_note, L))}</p>")
        if self.unavailable:
            lis = "".join(f"<li>{esc(_note(u['reason'], L))}</li>" if L == "zh" else
                          f"<li>{esc(u['item'])}: {esc(u['reason'])}</li>" for u in self.unavailable)
            p.append(f"<div class=\"lyg-muted\"><p>{esc(_t('unavailable', L))}</p><ul>{lis}</ul></div>")
        p.append(f"<p class=\"lyg-muted\">{esc(_t('suppressed', L, k=self.min_cell_size))}</p>")
        return f"<section data-section=\"{KEY}\">" + "".join(p) + "</section>"

    # ------------------------------------------------------------------ figures
    def figure_names(self) -> list[str]:
        """Names accepted by :meth:`plot`."""
        names = [f"age_pyramid_{st}" for st in STAGES if (self.pyramid["stage"] == st).any()]
        return names + ["qualification_structure", "title_structure", "backbone_concentration"]

    def plot(self, name: str, *, ax=None):
        """Draw figure ``name`` (see :meth:`figure_names`) on ``ax`` (new figure if None); return the axes."""
        from lyganalysis import plots

        L = self.language
        if name.startswith("age_pyramid_"):
            return self._pyramid(name[len("age_pyramid_"):], ax)
        if name in ("qualification_structure", "title_structure"):
            df = self.qualification if name == "qualification_structure" else self.titles
            levels = S.QUALIFICATIONS if name == "qualification_structure" else S.TITLES
            sub = df[df["locale"] == "all"]
            long = pd.DataFrame([{"stage": r["stage"], "level": lv, "share": r[f"share_{lv}"]}
                                 for _, r in sub.iterrows() for lv in levels])
            labels = {**{st: _lab(st, L) for st in STAGES},
                      **{lv: _lab("senior_title" if lv == "senior" else lv, L) for lv in levels}}
            return plots.bars_by_group(long, value="share", label="stage", by="level", ax=ax, labels=labels,
                                       by_order=list(levels), fmt="{:.0%}", annotate=False,
                                       title=_t("qual" if name == "qualification_structure" else "title_s", L),
                                       ylabel="占比" if L == "zh" else "Share")
        if name == "backbone_concentration":
            sub = self.backbone_by_locale[self.backbone_by_locale["stage"] == "all"]
            long = pd.DataFrame([{"locale": r["locale"], "measure": m, "share": r[m]}
                                 for _, r in sub.iterrows() for m in ("student_share", "backbone_share")])
            labels = {**{lc: _lab(lc, L) for lc in LOCALES},
                      "student_share": _lab("student_share", L), "backbone_share": _lab("backbone_share", L)}
            return plots.bars_by_group(long, value="share", label="locale", by="measure", ax=ax, labels=labels,
                                       order=list(LOCALES), fmt="{:.0%}", title=_t("backbone", L),
                                       ylabel="占比" if L == "zh" else "Share")
        raise ValueError(f"unknown figure {name!r}; expected one of {self.figure_names()}")

    def _pyramid(self, stage: str, ax):
        import matplotlib.pyplot as plt

        L = self.language
        pyr = self.pyramid[self.pyramid["stage"] == stage]
        if pyr.empty:
            raise ValueError(f"no teachers of stage {stage!r} in the pyramid")
        if ax is None:
            _, ax = plt.subplots()
        bands = list(pyr["age_band"].cat.categories) if hasattr(pyr["age_band"], "cat") else list(dict.fromkeys(pyr["age_band"]))
        y = np.arange(len(bands))
        for gender, sign, color in (("male", -1, "#0072B2"), ("female", 1, "#E69F00")):
            g = pyr[pyr["gender"] == gender].set_index("age_band")["teachers_shown"].reindex(bands)
            v = g.astype("float64").to_numpy()
            keep = ~np.isnan(v)
            ax.barh(y[keep], sign * v[keep], color=color, label=_lab(gender, L), height=0.8)
        ax.set_yticks(y, bands)
        ax.axvline(0, color="#333333", linewidth=0.8)
        ticks = ax.get_xticks()
        ax.set_xticks(ticks, [f"{abs(int(x))}" for x in ticks])
        ax.set_xlabel("教师数（左男右女）" if L == "zh" else "Teachers (men left, women right)")
        ax.set_ylabel("年龄" if L == "zh" else "Age")
        ax.set_title(("年龄金字塔：" if L == "zh" else "Age pyramid: ") + _lab(stage, L))
        ax.legend(loc="best")
        return ax


# ====================================================================================================
def _withhold(df: pd.DataFrame, n: str, stats: list[str], k: int) -> pd.DataFrame:
    out = suppress_group_stats(df, n=n, statistics=stats, min_cell_size=k, flag="_suppressed", mask_n=False)
    for c in stats:
        out[f"_withheld_{c}"] = out["_suppressed"] & df[c].notna().to_numpy()
    return out.drop(columns=["_suppressed"])


def _with_all_locale(fn, teachers, schools, year, stages):
    by_loc = fn(teachers, school_year=year, by=["stage", "locale"], schools=schools)
    by_st = fn(teachers, school_year=year, by=["stage"]).assign(locale="all")
    out = pd.concat([by_st, by_loc], ignore_index=True)
    out = out[out["stage"].isin(stages)]
    order = {st: i for i, st in enumerate(stages)}
    lorder = {"all": 0, "urban": 1, "town": 2, "rural": 3}
    return out.sort_values(["stage", "locale"], key=lambda s: s.map(order if s.name == "stage" else lorder),
                           kind="stable").reset_index(drop=True)


def _pyramid_masked(pyr: pd.DataFrame, k: int) -> pd.DataFrame:
    parts = []
    for stage, g in pyr.groupby("stage", sort=False, observed=True):
        wide = g.pivot(index="age_band", columns="gender", values="teachers").reindex(columns=list(S.GENDERS),
                                                                                       fill_value=0)
        wide.index = wide.index.astype(str)
        st = suppress_small_cells(wide, count_columns=list(S.GENDERS), min_cell_size=k)
        m = st.masked.reset_index().melt(id_vars="age_band", var_name="gender", value_name="teachers_shown")
        m["stage"] = stage
        parts.append(m)
    out = pd.concat(parts, ignore_index=True)
    out = pyr.assign(age_band=pyr["age_band"].astype(str)).merge(out, on=["stage", "age_band", "gender"], how="left")
    out["teachers_shown"] = out["teachers_shown"].astype("Float64").astype("float64")
    out["age_band"] = pd.Categorical(out["age_band"], categories=list(pyr["age_band"].cat.categories), ordered=True)
    return out


def build(ds, *, county: str, school_year: int, language: str = "zh", min_cell_size: int = 5) -> StaffingSection:
    """Build the staffing-structure section of ``county`` for ``school_year``.

    Parameters
    ----------
    ds : Dataset
        With a schools and a teachers table (CONTRACT.md).
    county : str
    school_year : int
    language : {"zh", "en"}
    min_cell_size : int, default 5
        Shares of groups with fewer teachers are withheld; pyramid cells below it are suppressed.

    Returns
    -------
    StaffingSection

    Raises
    ------
    ValueError
        No teachers table, unknown language, or the county has no schools in that year.
    """
    if language not in ("zh", "en"):
        raise ValueError(f"language must be 'zh' or 'en', got {language!r}")
    if ds.teachers is None or ds.teachers.empty:
        raise ValueError(f"dataset {ds.name!r} has no teachers table: the staffing-structure section needs one")
    cds = ds.for_county(county)
    year = int(school_year)
    sch = cds.schools[cds.schools["school_year"] == year]
    if sch.empty:
        raise ValueError(f"{county} has no schools in school year {year}")
    tea_all = cds.teachers
    tea = tea_all[tea_all["school_year"] == year]
    k = int(min_cell_size)
    unavailable: list[dict] = []

    # ratios against the staffing standard, per stage and per school
    rows, shorts = [], []
    for st in STAGES:
        sc, tc = f"students_{st}", f"teachers_{st}"
        sub = sch[pd.to_numeric(sch[sc]).fillna(0) > 0]
        if sub.empty:
            continue
        sub = sub.assign(**{sc: pd.to_numeric(sub[sc]).astype("float64"), tc: pd.to_numeric(sub[tc]).fillna(0).astype("float64")})
        locale = "locale" if year < 2014 else None
        sf = S.teacher_shortfall(sub, students=sc, teachers=tc, stage=st, school_year=year, locale=locale, by=None)
        tot = sf.totals.iloc[0]
        has_t = sub[sub[tc] > 0]
        rows.append({"stage": st, "students": float(tot["students"]), "teachers": float(tot["teachers"]),
                     "student_teacher_ratio": S.student_teacher_ratio(sub, students=sc, teachers=tc),
                     "mean_of_schools_ratio": S.student_teacher_ratio(has_t, students=sc, teachers=tc,
                                                                      method="mean_of_schools") if len(has_t) else np.nan,
                     "n_schools_without_teachers": int((sub[tc] == 0).sum()),
                     "staffing_standard": staffing_standard(st, school_year=year) if year >= 2014 else np.nan,
                     "teacher_need": float(tot["teacher_need"]), "teacher_shortfall": float(tot["teacher_shortfall"]),
                     "gross_shortfall": float(tot["gross_shortfall"]), "n_schools_short": int(tot["n_schools_short"])})
        s = sf.schools[["school_id", "teacher_need", "teacher_shortfall"]].copy()
        s["classes"] = pd.to_numeric(sub[f"classes_{st}"]).astype("float64").to_numpy()
        shorts.append(s)
    ratios = pd.DataFrame(rows)
    per_school_short = (pd.concat(shorts).groupby("school_id")[["teacher_need", "teacher_shortfall", "classes"]].sum()
                        if shorts else pd.DataFrame(columns=["teacher_need", "teacher_shortfall", "classes"]))

    # subjects, specialists, backbone (per section) → one action row per school
    subj = S.subject_structure(tea, sch, school_year=year, stages=STAGES)
    miss = S.missing_specialists(tea, sch, school_year=year, stages=STAGES)
    bb = S.backbone_concentration(tea, sch, school_year=year, stages=STAGES)
    per_sec = subj[["school_id", "stage", "students", "teachers", "L3_gap_teachers"]].merge(
        bb.schools[["school_id", "stage", "L2_gap_teachers"]], on=["school_id", "stage"], how="left")
    acts = per_sec.groupby("school_id", sort=False)[["students", "teachers", "L3_gap_teachers", "L2_gap_teachers"]].sum()
    info = sch.drop_duplicates("school_id").set_index("school_id")[["school_name", "locale", "school_type"]]
    acts = info.join(acts, how="inner").join(per_school_short)
    acts["class_teacher_ratio"] = acts["teachers"] / acts["classes"].where(acts["classes"] > 0)
    acts = acts.join(miss.set_index("school_id")[["missing", "n_missing"]])
    acts["missing"] = [m if isinstance(m, tuple) else () for m in acts["missing"]]
    acts["n_missing"] = acts["n_missing"].fillna(0).astype("int64")
    for c in ("L3_gap_teachers", "L2_gap_teachers"):
        acts[c] = acts[c].fillna(0).astype("int64")
    acts["needs_any"] = (acts["teacher_shortfall"] > 0) | (acts["L3_gap_teachers"] > 0) | (acts["n_missing"] > 0)
    acts = acts.reset_index().sort_values(["n_missing", "teacher_shortfall"], ascending=False, kind="stable")
    acts = acts.reset_index(drop=True)

    # subject structure, county level per stage
    subj_rows = []
    for st in STAGES:
        g = subj[subj["stage"] == st]
        if g.empty:
            continue
        r = {"stage": st, "students": float(g["students"].sum()), "teachers": int(g["teachers"].sum())}
        for s_ in S.SUBJECTS:
            r[f"per_100_{s_}"] = float(g[f"n_{s_}"].sum() * 100.0 / g["students"].sum())
        r["L3"] = float(g["pe_arts_teachers"].sum() * 100.0 / g["students"].sum())
        r["n_schools_L3_short"] = int((~g["L3_meets"]).sum())
        m = miss[miss["school_id"].isin(g["school_id"])]
        for s_ in SPECIALIST_SUBJECTS:
            r[f"n_schools_without_{s_}"] = int((m[f"n_{s_}"] == 0).sum())
        subj_rows.append(r)
    subjects = pd.DataFrame(subj_rows)

    # age and retirements
    stages_present = [st for st in ("primary", "junior", "senior", "preschool") if (tea["stage"] == st).any()]
    ag = S.age_structure(tea, school_year=year, by=["stage"])
    age = ag.shares[ag.shares["stage"].isin(stages_present)].reset_index(drop=True)
    age_loc = S.age_structure(tea, school_year=year, by=["stage", "locale"], schools=sch).shares
    age_loc = age_loc[age_loc["stage"].isin(STAGES)].reset_index(drop=True)
    shares = ["share_under_35", "share_35_49", "share_50_plus", "mean_age"]
    age = _withhold(age, "teachers", shares, k)
    age_loc = _withhold(age_loc, "teachers", shares, k)
    pyr = ag.pyramid[ag.pyramid["stage"].isin(STAGES)].copy()
    pyr["stage"] = pyr["stage"].astype(str)
    pyramid = _pyramid_masked(pyr, k)
    ret_rows, by_year = [], []
    for key, reform in (("statutory", False), ("gradual_reform", True)):
        r = S.retirements(tea, school_year=year, gradual_reform=reform)
        tot = r.totals.assign(scenario_key=key)
        ret_rows.append(tot)
        by_year.append(r.by_year.assign(scenario_key=key))
    retire = pd.concat(ret_rows, ignore_index=True)
    names = {"statutory": {"zh": "现行法定退休年龄（男60、女55）", "en": "Current statutory ages (men 60, women 55)"},
             "gradual_reform": {"zh": "2025年起渐进式延迟退休（男60→63、女55→58）",
                                "en": "Gradual reform from 2025 (men 60→63, women 55→58)"}}
    retire["scenario"] = retire["scenario_key"].map(lambda s: names[s][language])
    retire_by_year = pd.concat(by_year, ignore_index=True)

    # qualification and title
    qual = _with_all_locale(S.qualification_structure, tea, sch, year, list(STAGES))
    qstats = [f"share_{q}" for q in S.QUALIFICATIONS] + ["share_above_required"]
    qual = _withhold(qual, "teachers", qstats, k)
    titles = _with_all_locale(S.title_structure, tea, sch, year, list(STAGES))
    tstats = [f"share_{x}" for x in S.TITLES] + ["share_first_or_higher"]
    titles = _withhold(titles, "teachers", tstats, k)

    # backbone
    bl = bb.by_locale.copy()
    bineq = bb.inequality.copy()
    bineq["n_schools_L2_short"] = [int((~bb.schools.loc[bb.schools["stage"] == st, "L2_meets"]).sum())
                                   for st in bineq["stage"]]

    # rotation
    ro_st = S.rotation(tea_all, school_year=year, by="stage", schools=cds.schools, stages=STAGES)
    ro_all = S.rotation(tea_all, school_year=year, schools=cds.schools, stages=STAGES)
    rot = pd.concat([ro_st.table, ro_all.table.assign(stage="all")], ignore_index=True)
    if ro_st.flows is None:
        unavailable.append({"item": "rotation_flows", "reason": ro_all.flows_note})
    unavailable.append({"item": "non_specialist_teaching",
                        "reason": "the teachers table records each teacher's own subject, not the lessons taught"})
    unavailable.append({"item": "rotation_strong_to_weak",
                        "reason": "no agreed measure of school strength in the data; flows are shown by locale only"})

    past = float(retire.loc[(retire["scenario_key"] == "statutory") & (retire["horizon"] == 5),
                            "n_past_retirement_age"].iloc[0])
    d = ro_all.definition
    scalars = {
        "teachers": int(len(tea)),
        "n_past_retirement_age": past,
        "rotation_rate": float(ro_all.table["rotation_rate"].iloc[0]),
        "rotation_target_city": ROTATION_TARGETS["city_2022"].value,
        "rotation_target_national": ROTATION_TARGETS["national"].value,
        "rotation_backbone_share_target": ROTATION_TARGETS["national_backbone_share"].value,
        "city_new_teachers_target": CITY_TARGETS_2022["new_teachers"].value,
        "n_schools_needing_teachers": int(acts["needs_any"].sum()),
        "n_schools_missing_specialist": int((acts["n_missing"] > 0).sum()),
        "retirement_note_zh": "按出生年份计（出生月份按全年均匀分布估计，故为期望人数）；第1年为本学年（9月至次年8月）。"
                              f"延迟退休口径：{RETIREMENT_REFORM_2025[60].clause}；{RETIREMENT_REFORM_2025[55].clause}"
                              "（未核实 [U]）。每年需补充教师 = 退休人数（保持教师总数不变，未计其他流失）。",
        "retirement_note_en": "From birth years (birth months spread evenly over the year, so counts are expected "
                              "values); year 1 is this school year (September to August). Reform rule: +1 month per "
                              "4 months from 2025, men 60→63, women 55→58 (unconfirmed [U]). New teachers per year = "
                              "retirements (to keep the headcount; other leavers not counted).",
        "rotation_rule_zh": f"符合交流条件：在同一学校任教满{d['min_years_in_school']}年且距退休超过"
                            f"{d['min_years_to_retirement']}年；本学年已交流的教师计入分母。目标：符合条件教师的15%（市、江苏），"
                            "10%（国家）；交流教师中骨干教师≥20%。仅义务教育学段。",
        "rotation_rule_en": f"Eligible: ≥ {d['min_years_in_school']} years in the same school and > "
                            f"{d['min_years_to_retirement']} years to retirement; teachers rotated this year are in the "
                            "pool. Targets: 15% of eligible teachers (city, Jiangsu), 10% (national); backbone ≥ 20% of "
                            "those rotated. Compulsory stages only.",
    }
    return StaffingSection(
        county=county, school_year=year, language=language, min_cell_size=k, simulated=bool(ds.simulated),
        ratios=ratios, school_actions=acts, age=age, age_by_locale=age_loc, pyramid=pyramid, retirements=retire,
        retirements_by_year=retire_by_year, qualification=qual, titles=titles, subjects=subjects,
        backbone_by_locale=bl, backbone_inequality=bineq, rotation=rot, rotation_flows=ro_st.flows,
        rotation_note=ro_st.flows_note, scalars=scalars, unavailable=tuple(unavailable))
