"""Deterministic synthetic Lianyungang data (模拟数据) for demos, tests and the default report run.

No school-level data of Lianyungang are public, so the bundled data are SIMULATED. Their scale
and mix follow published figures of comparable places (references/demo_calibration.md); every assumption is listed in data/README.md together with the city
totals this generator prints (``python -m lyganalysis.datasets.synthetic``).

Order of construction (so that the tables agree by construction):

1. schools (type, locale, ownership, students per stage, classes) for 2021;
   students evolve to 2022 (same schools, plausible change);
2. teachers for 2021 (one row per teacher), then 2022 (retirements and leavers dropped, stayers
   one year older in post, rotation 交流轮岗 within county and stage, new hires);
3. the schools' teacher columns are aggregated FROM the teachers table;
4. physical resources (county-specific levels, size elasticity and dispersion, so that counties
   differ and some fail 优质均衡 indicators), 2022 = 2021 plus additions;
5. scores of the grade-6 and grade-9 unified exams (school effects → between-school variance
   share ≈ 0.2, urban–rural gap, prior attainment, absences, migrant / left-behind flags);
6. county_facts (disabled children and placements, pre-school-age and migrant children).

Everything comes from one ``numpy.random.Generator`` seeded with ``seed``: the same seed gives
identical tables.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lyganalysis.datasets import Dataset

__all__ = ["make_demo_data", "GENERATOR_VERSION", "COUNTIES", "CALIBRATION", "city_totals",
           "county_totals", "DEMO_SALT", "demo_id_number", "demo_teacher_ids"]

GENERATOR_VERSION = "2"  # 2: teacher_key = salted key of a synthetic ID number (raw round trip)

#: Salt of the demo's pseudonymous teacher keys. PUBLIC, so it protects nothing: it exists only so
#: that the demo's raw exports (with SYNTHETIC ID numbers) read back into exactly the demo's keys.
#: Real data must be keyed with a secret salt (see lyganalysis.intake.read_dataset).
DEMO_SALT = "lyganalysis-demo-public-salt"
# region prefixes of the synthetic ID numbers (Lianyungang districts, incl. the old 新浦区 and
# 赣榆县 codes that people born before 2014 still carry)
_ID_REGIONS = ("320706", "320703", "320707", "320722", "320723", "320724", "320705", "320721")
YEARS = (2021, 2022)

#: City-wide targets (2021) and where they come from (see data/README.md).
CALIBRATION = {
    "primary_students": 330_000,   # ~4.6 M residents; prefecture example 621,791 pupils for a larger city
    "junior_students": 150_000,    # primary:junior ≈ 2.2 (prefecture example 621,791 : 243,085 = 2.56)
    "preschool_children": 140_000,  # county bulletin: 34,153 children vs 44,786 pupils, births falling
    "primary_pupils_per_teacher": 14.6,  # county bulletin 44,786 / 3,057
    "junior_students_per_teacher": 13.8,  # prefecture example 243,085 / 16,591 = 14.65; county 13–15
    "preschool_children_per_teacher": 16.0,  # county bulletin 34,153 / 2,000 = 17.1; standard ≤ 15
    "special_pupils_per_teacher": 9.8,  # county bulletin 206 / 21
    "senior_students_per_teacher": 12.0,
}


@dataclass(frozen=True)
class CountySpec:
    name: str
    code: str
    primary_share: float
    junior_share: float
    locale_p: tuple[float, float, float]  # urban, town, rural
    n: dict  # school counts by type
    res_level: float  # resource level multiplier
    res_beta: float  # size elasticity of per-student resources (small schools have more per pupil)
    res_sigma: float  # school-to-school dispersion (log sd)
    multimedia_per_class: float
    room_shortfall: float  # probability a school has one music/art room fewer than ⌈classes/12⌉
    score_shift: float  # county effect on results (sd units)
    rotation_rate: float  # share of all teachers rotated per year
    disabled_placement_rate: float
    migrant_public_rate: float
    quality_kg_private: float  # probability a private kindergarten is quality-rated
    affordable_private: float  # probability a private kindergarten is 普惠


def _n(primary, tp, junior, nine, cm, twelve, kg, special):
    return {"primary": primary, "teaching_point": tp, "junior": junior, "nine_year": nine,
            "complete_middle": cm, "twelve_year": twelve, "kindergarten": kg, "special": special}


#: The ten reporting units (data/README.md; codes from lyganalysis/data/admin_units.csv): 320700 is
#: the city's own code (市直), 320771 the NBS code of 连云港经济技术开发区, and LYGX72/LYGX73 are
#: local codes for 徐圩新区 and 云台山景区, which have no official code.
COUNTIES: tuple[CountySpec, ...] = (
    CountySpec("海州区", "320706", .20, .18, (.75, .10, .15), _n(45, 4, 15, 12, 1, 1, 110, 1),
               0.95, .35, .30, 1.05, .15, .15, .13, .990, .90, .82, .70),
    CountySpec("连云区", "320703", .05, .05, (.60, .15, .25), _n(14, 3, 5, 4, 0, 0, 28, 1),
               1.00, .30, .35, 1.00, .20, .00, .11, .985, .88, .75, .65),
    CountySpec("赣榆区", "320707", .20, .20, (.30, .30, .40), _n(50, 18, 20, 14, 2, 1, 120, 1),
               1.12, .08, .15, 1.18, .05, .05, .15, .990, .92, .85, .75),
    CountySpec("东海县", "320722", .19, .19, (.00, .42, .58), _n(55, 30, 22, 16, 2, 1, 120, 1),
               1.00, .35, .38, .95, .25, -.05, .12, .975, .86, .70, .62),
    CountySpec("灌云县", "320723", .15, .15, (.00, .38, .62), _n(48, 28, 18, 14, 2, 1, 100, 1),
               0.92, .50, .50, .85, .35, -.15, .09, .955, .83, .60, .55),
    CountySpec("灌南县", "320724", .11, .11, (.00, .40, .60), _n(38, 20, 14, 10, 1, 1, 80, 1),
               0.90, .42, .45, .85, .30, -.12, .10, .965, .84, .65, .58),
    CountySpec("开发区", "320771", .05, .05, (.70, .15, .15), _n(12, 2, 4, 5, 0, 0, 30, 0),
               1.15, .08, .15, 1.15, .05, .10, .14, .985, .80, .88, .70),
    CountySpec("徐圩新区", "LYGX72", .006, .006, (.00, .50, .50), _n(2, 1, 1, 1, 0, 0, 4, 0),
               1.20, .15, .20, 1.20, .10, -.05, .10, .950, .95, .70, .60),
    CountySpec("云台山景区", "LYGX73", .004, .004, (.00, .34, .66), _n(1, 1, 0, 1, 0, 0, 2, 0),
               0.90, .20, .30, 0.90, .30, -.10, .08, 1.00, .95, .60, .60),
    CountySpec("市直", "320700", .04, .06, (1.0, 0.0, 0.0), _n(3, 0, 3, 1, 1, 0, 5, 1),
               1.05, .15, .20, 1.20, .05, .30, .15, 1.00, 1.00, .90, .90),
)

_TYPE_ORDER = ("primary", "nine_year", "twelve_year", "junior", "complete_middle",
               "teaching_point", "special", "kindergarten")
_TYPE_ZH = {"primary": "小学", "nine_year": "九年一贯制学校", "twelve_year": "十二年一贯制学校",
            "junior": "初级中学", "complete_middle": "完全中学", "teaching_point": "教学点",
            "special": "特殊教育学校", "kindergarten": "幼儿园"}
_LOCALE_CODES = {"urban": (["111", "112"], [.8, .2]), "town": (["121", "122", "123"], [.75, .2, .05]),
                 "rural": (["210", "220"], [.35, .65])}
_LOCALES = ("urban", "town", "rural")

# per-locale parameters: index 0 urban, 1 town, 2 rural
_PRIMARY_SIZE = {"primary": (1800, 1000, 380), "nine_year": (1300, 800, 320), "twelve_year": (900, 800, 600)}
_JUNIOR_SIZE = {"junior": (1500, 1300, 650), "complete_middle": (1000, 900, 700), "twelve_year": (700, 650, 500)}
_KG_SIZE = (380, 260, 150)
_CLASS_TARGET = {"primary": (44, 41, 33), "junior": (48, 46, 40), "senior": (50, 50, 48),
                 "preschool": (32, 30, 27)}
_RATIO = {"primary": (17.0, 15.0, 12.0), "junior": (14.5, 13.0, 11.5), "senior": (12.5, 12.0, 11.5),
          "preschool": (15.0, 16.5, 18.5)}
_MIN_PER_CLASS = {"primary": 1.4, "junior": 2.6, "senior": 3.0, "preschool": 1.5}

_SUBJECTS = ("chinese", "math", "english", "science", "moral_education", "pe", "music", "fine_art",
             "it", "labour", "mental_health", "other")
_SUBJ_P = {
    ("primary", 0): (.30, .22, .09, .06, .04, .08, .06, .05, .03, .01, .01, .05),
    ("primary", 2): (.34, .27, .08, .05, .04, .05, .025, .025, .02, .005, .005, .07),
    ("junior", 0): (.17, .17, .15, .17, .06, .07, .03, .03, .03, .01, .01, .10),
    ("junior", 2): (.19, .19, .16, .17, .06, .05, .015, .015, .02, .005, .005, .10),
    ("senior", 0): (.15, .15, .15, .25, .06, .06, .02, .02, .03, .00, .01, .10),
    ("preschool", 0): (0, 0, 0, 0, 0, .05, .05, .05, 0, 0, 0, .85),
    ("special", 0): (.15, .12, 0, 0, 0, .08, .08, .07, 0, .05, .05, .40),
    # new hires: the plan asks for more music, PE, art, labour and mental-health teachers
    ("new", 0): (.20, .16, .10, .07, .03, .12, .10, .10, .02, .04, .04, .02),
}


def _subj_p(stage: str, loc: int) -> np.ndarray:
    if stage in ("primary", "junior"):
        u, r = np.array(_SUBJ_P[(stage, 0)]), np.array(_SUBJ_P[(stage, 2)])
        p = {0: u, 1: (u + r) / 2, 2: r}[loc]
    else:
        p = np.array(_SUBJ_P[(stage, 0)])
    return p / p.sum()


def _key(prefix: str, seed: int, n: int, start: int = 0) -> list[str]:
    """Pseudonymous keys: first 16 hex digits of sha256 of a salted serial number."""
    return [hashlib.sha256(f"lyganalysis-demo|{seed}|{prefix}|{i}".encode()).hexdigest()[:16]
            for i in range(start, start + n)]


def demo_id_number(birth_year: int, gender: str, k: int) -> str:
    """SYNTHETIC 18-digit 身份证号 of the ``k``-th (0-based) demo teacher born in ``birth_year``
    with ``gender``: birth date = 1 January + (k mod 365) days, sequence = 2·(k div 365) + 1 for
    men, + 0 for women (GB 11643: odd 17th digit = male), valid MOD 11-2 check digit. Distinct
    ``k`` give distinct numbers (up to 182,500 per birth year and gender). Never stored in the
    Dataset: only its salted key is (``teacher_key``)."""
    from lyganalysis import ids

    block, day = divmod(int(k), 365)
    if block >= 500:
        raise ValueError(f"k={k} too large for a synthetic ID number")
    birth = _dt.date(int(birth_year), 1, 1) + _dt.timedelta(days=day)
    seq = 2 * block + (1 if gender == "male" else 0)
    region = _ID_REGIONS[(int(k) * 7 + int(birth_year)) % len(_ID_REGIONS)]
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + ids.check_digit(first17)


def _rekey_teachers(t21: pd.DataFrame, t22: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replace the serial keys by ``pseudonymous_key(demo_id_number(...), salt=DEMO_SALT)``.

    People are numbered in order of first appearance (2021 rows, then 2022 hires); ``k`` counts
    people of the same birth year and gender in that order. No random numbers are drawn, so the
    rest of the demo is unchanged."""
    from lyganalysis import ids

    people = pd.concat([t21[["teacher_key", "birth_year", "gender"]],
                        t22[["teacher_key", "birth_year", "gender"]]], ignore_index=True)
    people = people.drop_duplicates("teacher_key").reset_index(drop=True)
    k = people.groupby(["birth_year", "gender"], sort=False).cumcount().to_numpy()
    new = {old: ids.pseudonymous_key(demo_id_number(by, g, kk), salt=DEMO_SALT)
           for old, by, g, kk in zip(people.teacher_key, people.birth_year, people.gender, k)}
    t21 = t21.assign(teacher_key=t21.teacher_key.map(new))
    t22 = t22.assign(teacher_key=t22.teacher_key.map(new))
    return t21, t22


def demo_teacher_ids(teachers: pd.DataFrame, *, max_k: int = 20_000) -> pd.Series:
    """The synthetic ID number behind each row's ``teacher_key`` (same index as ``teachers``).

    Works for the demo and any subset of it (one county, some years): for each birth year and
    gender the candidate numbers k = 0, 1, … are keyed until every key of the group is found.
    A key that is not a demo key raises ``ValueError`` (only the demo can be exported with ID
    numbers)."""
    from lyganalysis import ids

    out = pd.Series(index=teachers.index, dtype=object)
    for (by, g), grp in teachers.groupby(["birth_year", "gender"], sort=True):
        wanted = set(grp.teacher_key)
        found: dict[str, str] = {}
        k = 0
        while wanted - found.keys() and k < max_k:
            number = demo_id_number(int(by), str(g), k)
            key = ids.pseudonymous_key(number, salt=DEMO_SALT)
            if key in wanted:
                found[key] = number
            k += 1
        missing = wanted - found.keys()
        if missing:
            raise ValueError(
                f"{len(missing)} teacher_key(s) of birth year {by}, {g} are not keys of the demo's "
                "synthetic ID numbers: only the simulated demo can be exported with ID numbers")
        out.loc[grp.index] = grp.teacher_key.map(found)
    return out


# =============================================================================================
# 1. schools
# =============================================================================================
def _draw_locale(rng, county: CountySpec, stype: str) -> str:
    if county.name == "市直" or stype == "special":
        return "urban" if county.locale_p[0] > 0 else "town"
    if stype == "teaching_point":
        return "rural"
    p = np.array(county.locale_p, dtype=float)
    if stype in ("junior", "complete_middle", "twelve_year"):  # middle schools sit in town centres
        p = np.array([p[0], p[1] + 0.6 * p[2], 0.4 * p[2]])
    return _LOCALES[rng.choice(3, p=p / p.sum())]


def _ownership(rng, stype: str, loc: str, county: str) -> str:
    if county == "市直":  # city-run schools are public by definition
        rng.random()
        return "public"
    p_private = {"primary": .06 if loc == "urban" else .01, "junior": .10 if loc == "urban" else .02,
                 "nine_year": .08, "twelve_year": .6, "complete_middle": .0, "teaching_point": 0,
                 "special": 0, "kindergarten": {"urban": .45, "town": .55, "rural": .6}[loc]}[stype]
    return "private" if rng.random() < p_private else "public"


def _scale_to_total(raw: np.ndarray, total: float, lo: float, hi: float) -> np.ndarray:
    x = raw.astype(float)
    for _ in range(8):
        x = np.clip(x * total / x.sum(), lo, hi)
    return np.round(x).astype(np.int64)


def _build_schools(rng, seed: int) -> pd.DataFrame:
    cal = CALIBRATION
    rows = []
    for ci, c in enumerate(COUNTIES):
        serial = 0
        start = len(rows)
        for stype in _TYPE_ORDER:
            for k in range(c.n[stype]):
                serial += 1
                loc = _draw_locale(rng, c, stype)
                codes, probs = _LOCALE_CODES[loc]
                lcode = "220" if stype == "teaching_point" else codes[rng.choice(len(codes), p=probs)]
                rows.append({
                    "school_id": f"2132{c.code[4:6]}{serial:04d}", "county_idx": ci,
                    "county": c.name, "county_code": c.code, "school_type": stype,
                    "school_name": f"{c.name}第{k + 1}{_TYPE_ZH[stype]}" if c.n[stype] > 1
                    else f"{c.name}{_TYPE_ZH[stype]}",
                    "locale": loc, "locale_code": lcode, "ownership": _ownership(rng, stype, loc, c.name),
                })
        sub = rows[start:]
        li = np.array([_LOCALES.index(r["locale"]) for r in sub])
        types = np.array([r["school_type"] for r in sub])
        prim = np.zeros(len(sub), np.int64)
        jun = np.zeros(len(sub), np.int64)
        sen = np.zeros(len(sub), np.int64)
        pre = np.zeros(len(sub), np.int64)
        spe = np.zeros(len(sub), np.int64)
        # teaching points: 10–80 pupils (some under 50), not rescaled
        tp = types == "teaching_point"
        prim[tp] = rng.integers(10, 81, tp.sum())
        # primary sections
        m = np.isin(types, list(_PRIMARY_SIZE))
        raw = np.array([_PRIMARY_SIZE[t][loc] for t, loc in zip(types[m], li[m])], float)
        raw *= np.exp(rng.normal(0, 0.42, m.sum()) - 0.42**2 / 2)
        prim[m] = _scale_to_total(raw, cal["primary_students"] * c.primary_share - prim[tp].sum(), 90, 3000)
        # junior sections
        m = np.isin(types, ["junior", "complete_middle", "twelve_year", "nine_year"])
        raw = np.array([(_JUNIOR_SIZE[t][loc] if t != "nine_year" else 0.5 * _PRIMARY_SIZE[t][loc])
                        for t, loc in zip(types[m], li[m])], float)
        raw *= np.exp(rng.normal(0, 0.35, m.sum()) - 0.35**2 / 2)
        jun[m] = _scale_to_total(raw, cal["junior_students"] * c.junior_share, 60, 3000)
        # senior sections of complete middle / twelve-year schools
        m = types == "complete_middle"
        sen[m] = np.round(jun[m] * rng.uniform(1.0, 1.6, m.sum()))
        m = types == "twelve_year"
        sen[m] = np.round(jun[m] * rng.uniform(0.8, 1.2, m.sum()))
        # kindergartens
        m = types == "kindergarten"
        raw = np.array([_KG_SIZE[loc] for loc in li[m]], float) * np.exp(rng.normal(0, .4, m.sum()))
        pre[m] = _scale_to_total(raw, cal["preschool_children"] * c.primary_share, 30, 900)
        # special schools
        m = types == "special"
        spe[m] = 320 if c.name == "市直" else rng.integers(150, 261, m.sum())
        for r, a, b, s_, p_, q in zip(sub, prim, jun, sen, pre, spe):
            r.update(students_primary=int(a), students_junior=int(b), students_senior=int(s_),
                     students_preschool=int(p_), students_special=int(q))
    df = pd.DataFrame(rows)
    # central schools of teaching points: a primary / nine-year school of the same county,
    # preferring rural and town schools
    central = []
    for r in df.itertuples():
        if r.school_type != "teaching_point":
            central.append(None)
            continue
        cand = df[(df.county_idx == r.county_idx) & df.school_type.isin(["primary", "nine_year"])
                  & (df.ownership == "public")]
        pref = cand[cand.locale != "urban"]
        cand = pref if len(pref) else cand
        central.append(cand.school_id.iloc[rng.integers(len(cand))])
    df["central_school_id"] = central
    return df


def _evolve_students(rng, df: pd.DataFrame) -> pd.DataFrame:
    """2022 enrolment from 2021: pupils drift down slightly (falling births), junior up."""
    out = df.copy()
    n = len(df)
    tp = (df.school_type == "teaching_point").to_numpy()
    f_p = np.where(tp, rng.normal(0.94, 0.08, n), rng.normal(0.99, 0.035, n))
    f_j = rng.normal(1.02, 0.035, n)
    f_s = rng.normal(1.0, 0.03, n)
    f_k = rng.normal(0.94, 0.04, n)
    f_x = rng.normal(1.02, 0.04, n)
    out["students_primary"] = np.maximum(np.round(df.students_primary * f_p), 0).astype(np.int64)
    out.loc[tp, "students_primary"] = out.loc[tp, "students_primary"].clip(lower=5)
    out["students_junior"] = np.round(df.students_junior * f_j).astype(np.int64)
    out["students_senior"] = np.round(df.students_senior * f_s).astype(np.int64)
    out["students_preschool"] = np.round(df.students_preschool * f_k).astype(np.int64)
    out["students_special"] = np.round(df.students_special * f_x).astype(np.int64)
    return out


def _classes(rng, df: pd.DataFrame, year: int) -> pd.DataFrame:
    out = df.copy()
    li = df.locale.map(_LOCALES.index).to_numpy()
    tp = (df.school_type == "teaching_point").to_numpy()
    n = len(df)
    for stage, ngr in (("primary", 6), ("junior", 3), ("senior", 3), ("preschool", 3)):
        s = df[f"students_{stage}"].to_numpy()
        target = np.array(_CLASS_TARGET[stage])[li] * rng.uniform(0.93, 1.07, n)
        cls = np.maximum(np.round(s / target), np.minimum(ngr, np.ceil(s / 10)))
        if stage == "primary":
            cls = np.where(tp, np.clip(np.ceil(s / 16), 1, 4), cls)  # 复式班 in teaching points
        cls = np.where(s > 0, np.maximum(cls, 1), 0).astype(np.int64)
        out[f"classes_{stage}"] = cls
        if stage in ("primary", "junior"):
            mean = np.divide(s, cls, out=np.zeros(n), where=cls > 0)
            mx = np.ceil(mean * rng.uniform(1.02, 1.14, n))
            # some crowded urban schools keep a large class (大班额), fewer in 2022
            big = (li == 0) & (rng.random(n) < (0.10 if year == 2021 else 0.04)) & (cls > 0)
            mx = np.where(big, np.maximum(mx, rng.integers(56, 63, n)), mx)
            mx = np.minimum(mx, np.where(cls > 0, s, 0))
            mx = np.maximum(mx, np.ceil(mean))
            out[f"max_class_size_{stage}"] = pd.array(
                np.where(cls > 0, mx, 0).astype(np.int64), dtype="Int64")
            out.loc[cls == 0, f"max_class_size_{stage}"] = pd.NA
    return out


# =============================================================================================
# 2. teachers
# =============================================================================================
_STAGE_STUDENTS = {"primary": "students_primary", "junior": "students_junior",
                   "senior": "students_senior", "preschool": "students_preschool",
                   "special": "students_special"}


def _teacher_need(df: pd.DataFrame, stage: str, k: float) -> np.ndarray:
    """Teachers a school's stage section has, given the ratio scale k (calibrated city-wide)."""
    s = df[_STAGE_STUDENTS[stage]].to_numpy().astype(float)
    if stage == "special":
        need = np.maximum(np.round(s / (k * CALIBRATION["special_pupils_per_teacher"])), 8)
        return np.where(s > 0, need, 0).astype(np.int64)
    li = df.locale.map(_LOCALES.index).to_numpy()
    ratio = np.array(_RATIO[stage])[li] * k
    cls = df[f"classes_{stage}"].to_numpy().astype(float)
    mpc = _MIN_PER_CLASS[stage]
    if stage == "primary":
        tp = (df.school_type == "teaching_point").to_numpy()
        mpc = np.where(tp, 1.0, np.where(li == 2, 1.5, mpc))
    need = np.maximum(np.round(s / ratio), np.ceil(cls * mpc))
    return np.where(s > 0, np.maximum(need, 1), 0).astype(np.int64)


def _calibrate_ratio_scale(df: pd.DataFrame, stage: str, per_teacher: float) -> float:
    s = df[_STAGE_STUDENTS[stage]].sum()
    lo, hi = 0.3, 3.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if s / _teacher_need(df, stage, mid).sum() < per_teacher:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _draw_ages(rng, loc: np.ndarray, stage: np.ndarray, tp: np.ndarray) -> np.ndarray:
    n = len(loc)
    p_old = np.select([loc == 0, loc == 1, tp], [0.12, 0.30, 0.62], 0.48)
    old = rng.random(n) < p_old
    young_mu = np.select([loc == 0, loc == 1], [37.0, 36.0], 34.0)
    age = np.where(old, rng.normal(53.5, 3.0, n), rng.normal(young_mu, 8.5, n))
    age = np.where(stage == "preschool", rng.normal(31, 7, n), age)
    age = np.where(stage == "special", rng.normal(40, 9, n), age)
    return np.clip(np.round(age), 22, 59).astype(np.int64)


def _draw_attributes(rng, loc, stage, age, urban_boost, new_hire=False) -> dict:
    n = len(loc)
    is_mid = np.isin(stage, ["junior", "senior"])
    # qualification from a latent score (urban, middle-school and younger teachers higher)
    q = (rng.normal(0, 1, n) + np.select([loc == 0, loc == 1], [0.5, 0.0], -0.4)
         + np.where(is_mid, 0.8, 0.0) + np.where(stage == "preschool", -0.6, 0.0)
         - 0.035 * (age - 38) + (1.2 if new_hire else 0.0))
    qual = np.select([q > 2.0, q > -0.6, q > -2.2], ["postgraduate", "bachelor", "associate"],
                     "high_school_or_below")
    exp_years = age - 22
    t = (0.09 * exp_years + rng.normal(0, 0.9, n) + np.select([loc == 0, loc == 1], [0.3, 0.0], -0.2)
         + np.where(is_mid, 0.2, 0.0) + np.where(stage == "preschool", -0.5, 0.0))
    title = np.select([t > 5.4, t > 3.4, t > 1.6, t > 0.6], ["senior_professor", "senior", "first",
                                                             "second"], "third")
    title = np.where(exp_years < 1, "unrated", title)
    p_fem = np.select([stage == "preschool", stage == "special", is_mid],
                      [0.97, 0.75, np.select([loc == 0, loc == 1], [0.60, 0.52], 0.45)],
                      np.select([loc == 0, loc == 1], [0.84, 0.74], 0.64))
    p_fem = np.where((age >= 50) & (loc == 2), p_fem - 0.2, p_fem)
    gender = np.where(rng.random(n) < p_fem, "female", "male")
    subject = np.empty(n, dtype=object)
    for st in np.unique(stage):
        for li in range(3):
            m = (stage == st) & (loc == li)
            if m.any():
                p = _subj_p("new", 0) if new_hire and st in ("primary", "junior") else _subj_p(st, li)
                subject[m] = np.array(_SUBJECTS)[rng.choice(len(_SUBJECTS), m.sum(), p=p)]
    p_bb = np.select([loc == 0, loc == 1], [0.22, 0.13], 0.05) + np.where(is_mid, 0.03, 0.0) + urban_boost
    p_bb = np.where(stage == "preschool", 0.08, np.where(stage == "special", 0.10, p_bb))
    bb = (exp_years >= 8) & (rng.random(n) < p_bb)
    level = np.array(["county", "city", "province"])[rng.choice(3, n, p=[.6, .3, .1])]
    backbone = np.where(bb, level, "none")
    return {"gender": gender, "qualification": qual, "title": title, "subject": subject,
            "backbone_level": backbone}


def _teachers_2021(rng, seed: int, sch: pd.DataFrame, ks: dict) -> pd.DataFrame:
    parts = []
    for stage in ("primary", "junior", "senior", "preschool", "special"):
        need = _teacher_need(sch, stage, ks[stage])
        idx = np.repeat(np.arange(len(sch)), need)
        parts.append(pd.DataFrame({"sidx": idx, "stage": stage}))
    t = pd.concat(parts, ignore_index=True)
    n = len(t)
    sidx = t.sidx.to_numpy()
    loc = sch.locale.map(_LOCALES.index).to_numpy()[sidx]
    stage = t.stage.to_numpy()
    tp = (sch.school_type == "teaching_point").to_numpy()[sidx]
    age = _draw_ages(rng, loc, stage, tp)
    boost = np.where(sch.county.to_numpy()[sidx] == "市直", 0.08, 0.0)
    attrs = _draw_attributes(rng, loc, stage, age, boost)
    exp_years = age - 22
    yis = np.minimum(exp_years, np.floor(rng.exponential(9.0, n))).astype(np.int64)
    # rotated into this school this year: drawn among eligible teachers (≥ 6 years, ≤ 54)
    cidx = sch.county_idx.to_numpy()[sidx]
    rate = np.array([c.rotation_rate for c in COUNTIES])[cidx]
    elig = (exp_years >= 6) & (age <= 54) & (stage != "special")
    share_elig = pd.Series(elig).groupby(cidx).transform("mean").to_numpy()
    rotated = elig & (rng.random(n) < np.minimum(0.9, rate / np.maximum(share_elig, 1e-9)))
    yis = np.where(rotated, 0, yis)
    return pd.DataFrame({
        "school_year": np.int64(2021), "teacher_key": _key("teacher", seed, n),
        "school_id": sch.school_id.to_numpy()[sidx], "stage": stage,
        "birth_year": (2021 - age).astype(np.int64), **attrs,
        "years_in_school": yis.astype(np.int64), "rotated": rotated.astype(bool),
    })


def _teachers_2022(rng, seed: int, t21: pd.DataFrame, sch22: pd.DataFrame, ks: dict) -> pd.DataFrame:
    t = t21.copy()
    n = len(t)
    age = 2022 - t.birth_year.to_numpy()
    leave = (age >= 60) | (rng.random(n) < 0.015)
    t = t.loc[~leave].reset_index(drop=True)
    n = len(t)
    age = 2022 - t.birth_year.to_numpy()
    exp_years = age - 22
    t["school_year"] = np.int64(2022)
    t["years_in_school"] = t.years_in_school + 1
    t["rotated"] = False
    # careers move on
    title = t.title.to_numpy().copy()
    u = rng.random(n)
    title = np.where((title == "unrated"), np.where(u < 0.5, "third", "second"), title)
    title = np.where((title == "third") & (u < 0.3), "second", title)
    title = np.where((title == "second") & (exp_years >= 8) & (u < 0.08), "first", title)
    title = np.where((title == "first") & (exp_years >= 15) & (u < 0.04), "senior", title)
    t["title"] = title
    qual = t.qualification.to_numpy()
    t["qualification"] = np.where((qual == "associate") & (age < 45) & (rng.random(n) < 0.04),
                                  "bachelor", qual)
    bb = t.backbone_level.to_numpy()
    t["backbone_level"] = np.where((bb == "none") & (exp_years >= 8) & (rng.random(n) < 0.02),
                                   "county", bb)
    # rotation (交流轮岗) within county and stage: the chosen teachers swap schools
    sid_to_idx = pd.Series(np.arange(len(sch22)), index=sch22.school_id)
    sidx = sid_to_idx.loc[t.school_id].to_numpy()
    cidx = sch22.county_idx.to_numpy()[sidx]
    stage = t.stage.to_numpy()
    elig = (t.years_in_school.to_numpy() >= 6) & (age <= 54) & (stage != "special")
    rate = np.array([c.rotation_rate for c in COUNTIES])[cidx]
    share_elig = pd.Series(elig).groupby(cidx).transform("mean").to_numpy()
    chosen = elig & (rng.random(n) < np.minimum(0.9, rate / np.maximum(share_elig, 1e-9)))
    new_sidx = sidx.copy()
    order = rng.permutation(n)
    grp = pd.DataFrame({"c": cidx[order], "s": stage[order], "i": order})[chosen[order]]
    for _, g in grp.groupby(["c", "s"], sort=True):
        ii = g.i.to_numpy()
        if len(np.unique(sidx[ii])) < 2:
            continue
        new_sidx[ii] = np.roll(sidx[ii], 1)
    moved = chosen & (new_sidx != sidx)
    t["school_id"] = sch22.school_id.to_numpy()[new_sidx]
    t.loc[moved, "years_in_school"] = 0
    t.loc[moved, "rotated"] = True
    # new hires where 2022 enrolment needs more teachers than remain
    parts = []
    have = t.groupby(["school_id", "stage"]).size()
    for st in ("primary", "junior", "senior", "preschool", "special"):
        need = _teacher_need(sch22, st, ks[st])
        cur = have.reindex(pd.MultiIndex.from_arrays([sch22.school_id, [st] * len(sch22)]),
                           fill_value=0).to_numpy()
        hires = np.maximum(need - cur, 0)
        parts.append(pd.DataFrame({"sidx": np.repeat(np.arange(len(sch22)), hires), "stage": st}))
    h = pd.concat(parts, ignore_index=True)
    m = len(h)
    hs = h.sidx.to_numpy()
    loc = sch22.locale.map(_LOCALES.index).to_numpy()[hs]
    hstage = h.stage.to_numpy()
    hage = rng.integers(22, 28, m)
    attrs = _draw_attributes(rng, loc, hstage, hage, 0.0, new_hire=True)
    attrs["title"] = np.full(m, "unrated")
    attrs["backbone_level"] = np.full(m, "none")
    new = pd.DataFrame({
        "school_year": np.int64(2022), "teacher_key": _key("teacher", seed, m, start=len(t21)),
        "school_id": sch22.school_id.to_numpy()[hs], "stage": hstage,
        "birth_year": (2022 - hage).astype(np.int64), **attrs,
        "years_in_school": np.zeros(m, np.int64), "rotated": np.zeros(m, bool),
    })
    return pd.concat([t, new], ignore_index=True)


def _aggregate_teachers(sch: pd.DataFrame, teachers: pd.DataFrame) -> pd.DataFrame:
    t = teachers
    above = np.where(t.stage == "primary",
                     t.qualification.isin(["postgraduate", "bachelor", "associate"]),
                     t.qualification.isin(["postgraduate", "bachelor"]))
    agg = pd.DataFrame({"school_id": t.school_id, "stage": t.stage, "n": 1, "above": above,
                        "backbone": t.backbone_level != "none",
                        "pe_arts": t.subject.isin(["pe", "music", "fine_art"])})
    g = agg.groupby(["school_id", "stage"])[["n", "above", "backbone", "pe_arts"]].sum()
    out = sch.copy()
    for st in ("primary", "junior", "senior", "preschool", "special"):
        idx = pd.MultiIndex.from_arrays([sch.school_id, [st] * len(sch)])
        gg = g.reindex(idx, fill_value=0)
        out[f"teachers_{st}"] = pd.array(gg.n.to_numpy().astype(np.int64), dtype="Int64")
        if st in ("primary", "junior"):
            out[f"above_required_qualification_{st}"] = pd.array(gg.above.to_numpy().astype(np.int64), dtype="Int64")
            out[f"backbone_teachers_{st}"] = pd.array(gg.backbone.to_numpy().astype(np.int64), dtype="Int64")
            out[f"pe_arts_teachers_{st}"] = pd.array(gg.pe_arts.to_numpy().astype(np.int64), dtype="Int64")
    return out


# =============================================================================================
# 4. physical resources
# =============================================================================================
def _resources_2021(rng, sch: pd.DataFrame) -> pd.DataFrame:
    n = len(sch)
    cidx = sch.county_idx.to_numpy()
    lvl = np.array([c.res_level for c in COUNTIES])[cidx]
    beta = np.array([c.res_beta for c in COUNTIES])[cidx]
    sig = np.array([c.res_sigma for c in COUNTIES])[cidx]
    mmc = np.array([c.multimedia_per_class for c in COUNTIES])[cidx]
    short = np.array([c.room_shortfall for c in COUNTIES])[cidx]
    typ = sch.school_type.to_numpy()
    W = (sch.students_primary + 1.1 * sch.students_junior + 1.32 * sch.students_senior).to_numpy(float)
    W = np.maximum(W, 1.0)
    jr = np.where(typ == "junior", 1.22, 1.0)  # junior schools are built to a higher standard

    def per_student(mean, b_mult, s_mult):
        s = sig * s_mult
        return mean * lvl * jr * (W / 1000.0) ** (-beta * b_mult) * np.exp(rng.normal(0, 1, n) * s - s**2 / 2)

    teach = per_student(5.9, 0.8, 0.8) * W
    sports = per_student(10.5, 1.3, 1.15) * W
    equip = per_student(2900, 0.5, 1.0) * W
    comp = per_student(0.13, 0.3, 0.6) * W
    books = per_student(36, 0.3, 0.5) * W
    classes = (sch.classes_primary + sch.classes_junior + sch.classes_senior).to_numpy(float)
    mm = np.round(classes * mmc * np.exp(rng.normal(0, 0.15, n))) + rng.integers(0, 3, n)
    rooms_std = np.ceil(classes / 12)
    music = np.maximum(rooms_std - (rng.random(n) < short), 0)
    art = np.maximum(rooms_std - (rng.random(n) < short), 0)
    # teaching points, kindergartens and special schools follow their own simple rules
    tp = typ == "teaching_point"
    mm = np.where(tp, np.round(sch.classes_primary.to_numpy() * rng.uniform(0.3, 1.0, n)), mm)
    music = np.where(tp, rng.random(n) < 0.3, music)
    art = np.where(tp, rng.random(n) < 0.3, art)
    kg = typ == "kindergarten"
    kids = sch.students_preschool.to_numpy(float)
    kcls = sch.classes_preschool.to_numpy(float)
    teach = np.where(kg, kids * 6.5 * np.exp(rng.normal(0, .25, n)), teach)
    sports = np.where(kg, kids * 5.0 * np.exp(rng.normal(0, .3, n)), sports)
    equip = np.where(kg, kids * 900 * np.exp(rng.normal(0, .35, n)), equip)
    comp = np.where(kg, np.maximum(1, kids * 0.03), comp)
    books = np.where(kg, kids * rng.uniform(8, 15, n), books)
    mm = np.where(kg, np.round(kcls * rng.uniform(0.5, 1.0, n)), mm)
    music = np.where(kg, (kcls >= 6).astype(float), music)
    art = np.where(kg, (kcls >= 9).astype(float), art)
    sp = typ == "special"
    spn = sch.students_special.to_numpy(float)
    teach = np.where(sp, spn * 25 * rng.uniform(.8, 1.2, n), teach)
    sports = np.where(sp, spn * 20 * rng.uniform(.8, 1.2, n), sports)
    equip = np.where(sp, spn * 12000 * rng.uniform(.8, 1.2, n), equip)
    comp = np.where(sp, 40, comp)
    books = np.where(sp, spn * 30, books)
    mm = np.where(sp, np.ceil(spn / 12), mm)
    music = np.where(sp, 1, music)
    art = np.where(sp, 1, art)
    out = sch.copy()
    out["teaching_area_m2"] = np.round(teach, 1)
    out["sports_area_m2"] = np.round(sports, 1)
    out["equipment_value_yuan"] = np.round(equip, -2)
    for name, v in (("multimedia_classrooms", mm), ("computers", comp), ("books", books),
                    ("music_rooms", music), ("art_rooms", art)):
        out[name] = pd.array(np.round(np.asarray(v, float)).astype(np.int64), dtype="Int64")
    return out


def _resources_2022(rng, r21: pd.DataFrame, sch22: pd.DataFrame) -> pd.DataFrame:
    n = len(r21)
    out = sch22.copy()
    teach = r21.teaching_area_m2.to_numpy().copy()
    sports = r21.sports_area_m2.to_numpy().copy()
    equip = r21.equipment_value_yuan.to_numpy() * rng.uniform(1.02, 1.10, n)
    books = r21.books.to_numpy(float) * rng.uniform(1.0, 1.05, n)
    comp = r21.computers.to_numpy(float) * rng.uniform(1.0, 1.08, n)
    mm = r21.multimedia_classrooms.to_numpy(float) + (rng.random(n) < 0.15)
    sports = np.where(rng.random(n) < 0.12, sports * rng.uniform(1.1, 1.4, n), sports)
    teach = np.where(rng.random(n) < 0.08, teach * rng.uniform(1.05, 1.25, n), teach)
    # 赣榆区 and 开发区 (recognition targets) invest in their weakest compulsory schools
    W = (sch22.students_primary + 1.1 * sch22.students_junior + 1.32 * sch22.students_senior).to_numpy(float)
    comp_school = sch22.school_type.isin(["primary", "junior", "nine_year", "twelve_year",
                                          "complete_middle"]).to_numpy()
    for cname in ("赣榆区", "开发区"):
        m = (sch22.county == cname).to_numpy() & comp_school
        for arr in (sports, equip):
            ps = np.where(m, arr / np.maximum(W, 1), np.nan)
            low = m & (ps < np.nanquantile(ps, 0.33))
            arr[:] = np.where(low, arr * rng.uniform(1.15, 1.35, n), arr)
        cls = (sch22.classes_primary + sch22.classes_junior).to_numpy(float)
        mm = np.where(m, np.maximum(mm, np.ceil(cls * 1.1)), mm)
    out["teaching_area_m2"] = np.round(teach, 1)
    out["sports_area_m2"] = np.round(sports, 1)
    out["equipment_value_yuan"] = np.round(equip, -2)
    for name, v in (("multimedia_classrooms", mm), ("computers", comp), ("books", books)):
        out[name] = pd.array(np.round(v).astype(np.int64), dtype="Int64")
    classes = (sch22.classes_primary + sch22.classes_junior + sch22.classes_senior).to_numpy(float)
    comp_rooms = np.ceil(classes / 12)
    for name in ("music_rooms", "art_rooms"):
        prev = r21[name].to_numpy(float)
        # a few schools add a room where they fall short of ⌈classes/12⌉
        fix = comp_school & (prev < comp_rooms) & (rng.random(n) < 0.3)
        out[name] = pd.array(np.where(fix, prev + 1, prev).astype(np.int64), dtype="Int64")
    return out


def _kindergarten_flags(rng, sch: pd.DataFrame) -> pd.DataFrame:
    n = len(sch)
    kg = (sch.school_type == "kindergarten").to_numpy()
    pub = (sch.ownership == "public").to_numpy()
    cidx = sch.county_idx.to_numpy()
    p_aff = np.array([c.affordable_private for c in COUNTIES])[cidx]
    p_q = np.where(pub, 0.97, np.array([c.quality_kg_private for c in COUNTIES])[cidx])
    aff = pub | (rng.random(n) < p_aff)
    qual = rng.random(n) < p_q
    out = sch.copy()
    out["affordable_kindergarten"] = pd.array(np.where(kg, aff, False), dtype="boolean")
    out["quality_kindergarten"] = pd.array(np.where(kg, qual, False), dtype="boolean")
    out.loc[~kg, ["affordable_kindergarten", "quality_kindergarten"]] = pd.NA
    return out


# =============================================================================================
# 5. scores
# =============================================================================================
_SCORE_PARAMS = {  # grade: (full marks, {subject: (mean, sd)})
    6: (100.0, {"chinese": (80.0, 12.0), "math": (78.0, 14.0), "english": (77.0, 15.0)}),
    9: (120.0, {"chinese": (86.0, 16.0), "math": (80.0, 22.0), "english": (82.0, 21.0)}),
}
_ICC_TARGET = 0.22  # between-school share of variance of the latent score
_GIRL_EFFECT = {"chinese": 0.15, "math": -0.02, "english": 0.20}


def _scores_year(rng, seed: int, sch: pd.DataFrame, year: int, school_u: dict, key_start: int):
    li_all = sch.locale.map(_LOCALES.index).to_numpy()
    cshift = np.array([c.score_shift for c in COUNTIES])[sch.county_idx.to_numpy()]
    frames = []
    n_keys = 0
    for grade, types, col, ngr in ((6, ["primary", "nine_year", "twelve_year"], "students_primary", 6),
                                   (9, ["junior", "nine_year", "complete_middle", "twelve_year"],
                                    "students_junior", 3)):
        m = sch.school_type.isin(types).to_numpy() & (sch[col].to_numpy() > 0)
        idx = np.flatnonzero(m)
        share = (0.155 if grade == 6 else 1 / 3) * rng.uniform(0.94, 1.06, len(idx))
        cohort = np.maximum(np.round(sch[col].to_numpy()[idx] * share), 1).astype(np.int64)
        cls_col = "classes_primary" if grade == 6 else "classes_junior"
        ncls = np.maximum(np.round(sch[cls_col].to_numpy()[idx] / ngr), 1).astype(np.int64)
        # school effect: persistent part (same school both years) + a yearly part
        u = np.array([school_u[(int(i), grade)] for i in idx])
        u = 0.9 * u + math.sqrt(1 - 0.81) * rng.normal(0, 1, len(idx))
        loc_shift = np.array([0.30, 0.0, -0.25])[li_all[idx]]
        b = loc_shift + cshift[idx] + 0.34 * u  # sd of residual school effect 0.34
        stu_school = np.repeat(np.arange(len(idx)), cohort)
        ns = len(stu_school)
        pos = np.arange(ns) - np.repeat(np.cumsum(cohort) - cohort, cohort)
        cls_k = pos % np.repeat(ncls, cohort)
        cls_offset = np.concatenate([[0], np.cumsum(ncls)[:-1]])
        gcls = np.repeat(cls_offset, cohort) + cls_k
        class_names = [f"{sch.school_id.iat[i]}-G{grade}-{k + 1:02d}" for i, n_ in zip(idx, ncls)
                       for k in range(n_)]
        class_eff = rng.normal(0, math.sqrt(0.03), len(class_names))
        li = li_all[idx][stu_school]
        girl = rng.random(ns) < 0.48
        mig = rng.random(ns) < np.array([0.15, 0.07, 0.03])[li]
        left = ~mig & (rng.random(ns) < np.array([0.04, 0.15, 0.28])[li])
        ability = rng.normal(0, 1, ns)
        keys = _key("student", seed, ns, start=key_start + n_keys)
        n_keys += ns
        full, params = _SCORE_PARAMS[grade]
        for subj, (mu, sd) in params.items():
            w = math.sqrt(1 - _ICC_TARGET - 0.03) * (0.8 * ability + 0.6 * rng.normal(0, 1, ns))
            z = (b[stu_school] + class_eff[gcls] + w + _GIRL_EFFECT[subj] * (girl - 0.48)
                 - 0.08 * mig - 0.12 * left)
            score = np.clip(np.round((mu + sd * z) * 2) / 2, 0, full)
            zp = 0.72 * z + math.sqrt(1 - 0.72**2) * rng.normal(0, 1, ns)
            prior = np.clip(np.round(mu + sd * zp), 0, full)
            prior = np.where(rng.random(ns) < 0.03, np.nan, prior)
            absent = rng.random(ns) < 0.015
            score = np.where(absent, np.nan, score)
            frames.append(pd.DataFrame({
                "school_year": np.int64(year), "exam": f"{year}-G{grade}-unified",
                "student_key": keys, "school_id": sch.school_id.to_numpy()[idx][stu_school],
                "class_id": np.array(class_names, dtype=object)[gcls], "grade": np.int64(grade),
                "subject": subj, "score": score, "full_marks": full, "absent": absent,
                "prior_score": prior, "gender": np.where(girl, "female", "male"),
                "migrant": mig, "left_behind": left,
            }))
    df = pd.concat(frames, ignore_index=True)
    # one row per student × subject, students together
    df = df.sort_values(["exam", "school_id", "class_id", "student_key", "subject"], kind="stable")
    return df.reset_index(drop=True), n_keys


# =============================================================================================
# 6. county facts
# =============================================================================================
def _county_facts(rng, sch: pd.DataFrame, year: int) -> pd.DataFrame:
    rows = []
    li = sch.locale.map(_LOCALES.index).to_numpy()
    comp = (sch.students_primary + sch.students_junior).to_numpy(float)
    mig_expected = comp * np.array([0.15, 0.07, 0.03])[li]
    city_special = sch.loc[(sch.county == "市直") & (sch.school_type == "special"), "students_special"].sum()
    pop_share = {c.name: c.primary_share for c in COUNTIES if c.name != "市直"}
    tot_share = sum(pop_share.values())
    for ci, c in enumerate(COUNTIES):
        m = (sch.county_idx == ci).to_numpy()
        if c.name == "市直":  # city-run schools: not a territory, no resident population
            rows.append({"school_year": year, "county_code": c.code, "county": c.name,
                         **{k: pd.NA for k in ("disabled_children_school_age",
                                               "disabled_placed_regular_class",
                                               "disabled_placed_special_school",
                                               "disabled_placed_home_teaching",
                                               "preschool_age_children")},
                         "migrant_children": int(round(mig_expected[m].sum())),
                         "migrant_children_public": int(round(mig_expected[m].sum()))})
            continue
        ccomp = comp[m].sum()
        # registered school-age disabled children ≈ 0.5–0.65% of compulsory enrolment; most are
        # placed in regular classes (target ≥ 80% in ordinary schools), ~60% of a special
        # school's pupils are of compulsory age
        disabled = int(round(ccomp * rng.uniform(0.0050, 0.0065)))
        own_special = sch.loc[m & (sch.school_type == "special").to_numpy(), "students_special"].sum()
        special = int(round(0.6 * own_special + 0.6 * city_special * pop_share[c.name] / tot_share))
        placed = int(math.floor(disabled * c.disabled_placement_rate * rng.uniform(0.997, 1.0)))
        special = min(special, int(0.35 * placed))
        home = int(round((placed - special) * rng.uniform(0.08, 0.14)))
        regular = placed - special - home
        enrolled_pre = sch.loc[m, "students_preschool"].sum()
        pre_age = int(round(enrolled_pre / rng.uniform(0.93, 1.02)))
        mig = int(round(mig_expected[m].sum() * rng.uniform(0.95, 1.05)))
        rows.append({"school_year": year, "county_code": c.code, "county": c.name,
                     "disabled_children_school_age": disabled,
                     "disabled_placed_regular_class": regular,
                     "disabled_placed_special_school": special,
                     "disabled_placed_home_teaching": home, "preschool_age_children": pre_age,
                     "migrant_children": mig,
                     "migrant_children_public": int(round(mig * c.migrant_public_rate))})
    df = pd.DataFrame(rows)
    df["school_year"] = df.school_year.astype("int64")
    for col in df.columns[3:]:
        df[col] = pd.array(df[col].tolist(), dtype="Int64")
    return df


# =============================================================================================
# assembly
# =============================================================================================
_SCHOOL_COLUMNS = [
    "school_year", "school_id", "school_name", "county_code", "county", "school_type",
    "central_school_id", "locale_code", "locale", "ownership",
    "students_primary", "students_junior", "students_senior", "students_preschool", "students_special",
    "classes_primary", "classes_junior", "classes_senior", "classes_preschool",
    "max_class_size_primary", "max_class_size_junior",
    "teachers_primary", "teachers_junior", "teachers_senior", "teachers_preschool", "teachers_special",
    "above_required_qualification_primary", "above_required_qualification_junior",
    "backbone_teachers_primary", "backbone_teachers_junior",
    "pe_arts_teachers_primary", "pe_arts_teachers_junior",
    "teaching_area_m2", "sports_area_m2", "equipment_value_yuan",
    "multimedia_classrooms", "computers", "books", "music_rooms", "art_rooms",
    "affordable_kindergarten", "quality_kindergarten",
]
_STR_COLS = {
    "schools": ["school_id", "school_name", "county_code", "county", "school_type",
                "central_school_id", "locale_code", "locale", "ownership"],
    "teachers": ["teacher_key", "school_id", "stage", "gender", "qualification", "title", "subject",
                 "backbone_level"],
    "scores": ["exam", "student_key", "school_id", "class_id", "subject", "gender"],
    "county_facts": ["county_code", "county"],
}


def _finish(df: pd.DataFrame, table: str) -> pd.DataFrame:
    for c in _STR_COLS[table]:
        df[c] = df[c].astype("str")
        if c == "central_school_id":
            df[c] = df[c].where(df[c] != "None")
    return df


def make_demo_data(seed: int = 2022) -> Dataset:
    """Build the simulated Lianyungang dataset (deterministic for a given ``seed``)."""
    rng = np.random.default_rng(seed)
    base = _build_schools(rng, seed)
    s21 = _classes(rng, base, 2021)
    s22 = _classes(rng, _evolve_students(rng, base), 2022)
    ks = {st: _calibrate_ratio_scale(s21, st, CALIBRATION[key]) for st, key in (
        ("primary", "primary_pupils_per_teacher"), ("junior", "junior_students_per_teacher"),
        ("preschool", "preschool_children_per_teacher"))}
    ks["senior"] = _calibrate_ratio_scale(s21, "senior", CALIBRATION["senior_students_per_teacher"])
    ks["special"] = 1.0
    t21 = _teachers_2021(rng, seed, s21, ks)
    t22 = _teachers_2022(rng, seed, t21, s22, ks)
    t21, t22 = _rekey_teachers(t21, t22)
    s21 = _aggregate_teachers(s21, t21)
    s22 = _aggregate_teachers(s22, t22)
    r21 = _resources_2021(rng, s21)
    r22 = _resources_2022(rng, r21, s22)
    r21 = _kindergarten_flags(rng, r21)
    # kindergarten flags persist; a few private kindergartens become 普惠 / quality-rated in 2022
    r22["affordable_kindergarten"] = r21["affordable_kindergarten"].array.copy()
    r22["quality_kindergarten"] = r21["quality_kindergarten"].array.copy()
    kg = (r22.school_type == "kindergarten").to_numpy()
    up = kg & (rng.random(len(r22)) < 0.05)
    r22.loc[up, "affordable_kindergarten"] = True
    up = kg & (rng.random(len(r22)) < 0.04)
    r22.loc[up, "quality_kindergarten"] = True
    r21["school_year"] = np.int64(2021)
    r22["school_year"] = np.int64(2022)
    schools = pd.concat([r21, r22], ignore_index=True)
    # school effects that persist across years (value-added needs stable schools)
    school_u = {(i, g): rng.normal() for i in range(len(base)) for g in (6, 9)}
    sc21, nk = _scores_year(rng, seed, r21, 2021, school_u, 0)
    sc22, _ = _scores_year(rng, seed, r22, 2022, school_u, nk)
    scores = pd.concat([sc21, sc22], ignore_index=True)
    cf = pd.concat([_county_facts(rng, r21, 2021), _county_facts(rng, r22, 2022)], ignore_index=True)
    schools = _finish(schools[_SCHOOL_COLUMNS].copy(), "schools")
    for c in ("students_primary", "students_junior", "students_senior", "students_preschool",
              "students_special", "classes_primary", "classes_junior", "classes_senior",
              "classes_preschool"):
        schools[c] = pd.array(schools[c].to_numpy().astype(np.int64), dtype="Int64")
    for c in ("teaching_area_m2", "sports_area_m2", "equipment_value_yuan"):
        schools[c] = schools[c].astype("float64")
    teachers = _finish(pd.concat([t21, t22], ignore_index=True), "teachers")
    scores = _finish(scores, "scores")
    cf = _finish(cf, "county_facts")
    return Dataset(
        name="lianyungang_demo", schools=schools, teachers=teachers, scores=scores,
        county_facts=cf, school_results=None, simulated=True, language="zh",
        description=("模拟数据 (SIMULATED): synthetic Lianyungang schools, teachers, exam scores "
                     f"and county facts for school years 2021 and 2022 (seed {seed}); scale and "
                     "mix calibrated to published figures of comparable places, see data/README.md."))


def city_totals(ds: Dataset) -> pd.DataFrame:
    """City totals per school year (for data/README.md and sanity checks)."""
    s, t, sc = ds.schools, ds.teachers, ds.scores
    rows = []
    for y in ds.school_years():
        sy = s[s.school_year == y]
        r = {"school_year": y}
        for typ, n in sy.school_type.value_counts().sort_index().items():
            r[f"schools_{typ}"] = int(n)
        for st in ("primary", "junior", "senior", "preschool", "special"):
            r[f"students_{st}"] = int(sy[f"students_{st}"].sum())
            r[f"teachers_{st}"] = int(sy[f"teachers_{st}"].sum())
        r["teachers_total"] = int((t.school_year == y).sum())
        r["rotated_share"] = round(float(t.loc[t.school_year == y, "rotated"].mean()), 3)
        r["pupils_per_teacher_primary"] = round(r["students_primary"] / r["teachers_primary"], 2)
        r["students_per_teacher_junior"] = round(r["students_junior"] / r["teachers_junior"], 2)
        r["children_per_teacher_preschool"] = round(r["students_preschool"] / r["teachers_preschool"], 2)
        r["score_rows"] = int((sc.school_year == y).sum())
        r["score_rows_grade6"] = int(((sc.school_year == y) & (sc.grade == 6)).sum())
        r["score_rows_grade9"] = int(((sc.school_year == y) & (sc.grade == 9)).sum())
        rows.append(r)
    return pd.DataFrame(rows).set_index("school_year").T


def county_totals(ds: Dataset, year: int = 2022) -> pd.DataFrame:
    """Schools, students and teachers per county in one school year."""
    s = ds.schools[ds.schools.school_year == year]
    cf = ds.county_facts[ds.county_facts.school_year == year].set_index("county")
    out = s.groupby("county", sort=False).agg(
        schools=("school_id", "size"),
        teaching_points=("school_type", lambda x: int((x == "teaching_point").sum())),
        urban_share=("locale", lambda x: round(float((x == "urban").mean()), 2)),
        rural_share=("locale", lambda x: round(float((x == "rural").mean()), 2)),
        primary=("students_primary", "sum"), junior=("students_junior", "sum"),
        preschool=("students_preschool", "sum"), teachers_primary=("teachers_primary", "sum"),
        teachers_junior=("teachers_junior", "sum"))
    placed = (cf.disabled_placed_regular_class + cf.disabled_placed_special_school
              + cf.disabled_placed_home_teaching)
    out["disabled_placement_rate"] = (placed / cf.disabled_children_school_age).round(3)
    return out


def _main() -> None:  # pragma: no cover - used to produce the figures in data/README.md
    t0 = time.perf_counter()
    ds = make_demo_data()
    dt = time.perf_counter() - t0
    with pd.option_context("display.max_rows", 200, "display.width", 160):
        print(city_totals(ds).to_string(float_format=lambda v: f"{v:g}"))
        print()
        print(county_totals(ds).to_string())
    print(f"\nrows: schools {len(ds.schools)}, teachers {len(ds.teachers)}, scores {len(ds.scores)}, "
          f"county_facts {len(ds.county_facts)}; generated in {dt:.1f} s")


if __name__ == "__main__":  # pragma: no cover
    _main()


# ---------------------------------------------------------------------------------------------
# Per-school and per-teacher inputs of the inspection's special rules (optional columns).
# Drawn from their OWN generator (seeded from ``seed`` and a fixed stream number), after the
# tables above are complete, so that every column above keeps exactly its values.

INSPECTION_INPUTS_VERSION = "1"
_INSPECTION_STREAM = 12
_CENTRAL_CITY_UNITS = ("海州区", "连云区", "开发区", "市直")
_COMPULSORY_TYPES = ("primary", "junior", "nine_year", "twelve_year", "complete_middle", "teaching_point")


def add_inspection_inputs(schools: pd.DataFrame, teachers: pd.DataFrame | None, *,
                          seed: int = 2022) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Add the optional inspection columns to copies of the demo's ``schools`` and ``teachers``.

    schools (compulsory school types; NA for the others): ``indoor_sports_area_m2`` (0–15 % of the
    sports area, none for teaching points), ``built_year`` (persistent per school), ``central_city``
    (urban schools of 海州区, 连云区, 开发区 and 市直), ``boarding`` (some rural junior and through
    schools), ``itinerant_pe_arts_teachers`` (走教, rural primary schools and teaching points under
    200 pupils), ``migrant_students``, ``music_room_areas_m2`` / ``art_room_areas_m2`` (one area per
    room, ``"96;88.5"``, persistent per school and room; about one room in eight below the norm).
    teachers: ``certified`` (all, except ≈ 1 % in 灌云县), ``training_hours_5y`` (360–520; ≈ 5 % below
    360 in 灌南县).

    Uses ``numpy.random.default_rng([seed, 12])`` only: the existing columns are unchanged.
    """
    rng = np.random.default_rng([seed, _INSPECTION_STREAM])
    s = schools.copy()
    n = len(s)
    comp = s["school_type"].isin(_COMPULSORY_TYPES).to_numpy()
    ids = s["school_id"].to_numpy()
    uniq = list(dict.fromkeys(ids.tolist()))
    built = dict(zip(uniq, rng.integers(1965, 2021, size=len(uniq))))
    # per school and room: areas drawn once, rooms added later take the next areas
    max_rooms = s.groupby("school_id")[["music_rooms", "art_rooms"]].max()
    areas: dict[tuple[str, str], list[float]] = {}
    for sid in uniq:
        for room, norm, spread in (("music", 96.0, 14.0), ("art", 90.0, 13.0)):
            k = int(0 if pd.isna(max_rooms.at[sid, f"{room}_rooms"]) else max_rooms.at[sid, f"{room}_rooms"])
            a = np.round(norm + np.abs(rng.normal(8.0, spread, size=k)), 1)
            low = rng.random(k) < 0.125
            a[low] = np.round(norm - rng.uniform(4.0, 30.0, size=int(low.sum())), 1)
            areas[(sid, room)] = a.tolist()
    sports = s["sports_area_m2"].to_numpy(dtype=float)
    indoor = np.round(sports * rng.uniform(0.0, 0.15, size=n), 1)
    indoor[(s["school_type"] == "teaching_point").to_numpy()] = 0.0
    s["indoor_sports_area_m2"] = pd.array(np.where(comp, indoor, np.nan), dtype="float64")
    s["built_year"] = pd.array([int(built[i]) if c else None for i, c in zip(ids, comp)], dtype="Int64")
    urban = (s["locale"] == "urban").to_numpy()
    city = s["county"].isin(_CENTRAL_CITY_UNITS).to_numpy()
    s["central_city"] = pd.array([bool(u and c) if k else None for u, c, k in zip(urban, city, comp)], dtype="boolean")
    rural = (s["locale"] == "rural").to_numpy()
    board_type = s["school_type"].isin(["junior", "nine_year", "twelve_year", "complete_middle"]).to_numpy()
    board = rng.random(n) < 0.4
    s["boarding"] = pd.array([bool(b and r and t) if k else None for b, r, t, k in zip(board, rural, board_type, comp)],
                             dtype="boolean")
    small = (s["students_primary"].to_numpy(dtype=float) < 200) & rural & \
        s["school_type"].isin(["primary", "teaching_point"]).to_numpy()
    itin = rng.integers(0, 3, size=n)
    s["itinerant_pe_arts_teachers"] = pd.array([int(i) if sm else (0 if k else None) for i, sm, k in zip(itin, small, comp)],
                                               dtype="Int64")
    pupils = (s["students_primary"].to_numpy(dtype=float) + s["students_junior"].to_numpy(dtype=float))
    mig_share = np.clip(rng.beta(1.2, 9.0, size=n) + np.where(urban, 0.08, 0.0), 0, 0.9)
    s["migrant_students"] = pd.array([int(round(p * m)) if k else None for p, m, k in zip(pupils, mig_share, comp)],
                                     dtype="Int64")
    for room in ("music", "art"):
        vals = []
        for sid, k, have in zip(ids, comp, s[f"{room}_rooms"]):
            if not k or pd.isna(have):
                vals.append(None)
            else:
                vals.append(";".join(f"{a:g}" for a in areas[(sid, room)][: int(have)]))
        s[f"{room}_room_areas_m2"] = pd.array(vals, dtype="str")
    t = None
    if teachers is not None:
        t = teachers.copy()
        m = len(t)
        county = t["school_id"].map(dict(zip(s["school_id"], s["county"]))).to_numpy()
        # certificates and 360 training hours are complete except in two counties (so the demo
        # shows both verdicts): uncertified teachers in 灌云县, short training hours in 灌南县
        u_cert, u_hours = rng.random(m), rng.random(m)
        t["certified"] = pd.array(~((county == "灌云县") & (u_cert < 0.01)), dtype="boolean")
        hours = np.round(rng.uniform(360.0, 520.0, size=m))
        short = (county == "灌南县") & (u_hours < 0.05)
        hours[short] = np.round(rng.uniform(200.0, 359.0, size=int(short.sum())))
        t["training_hours_5y"] = pd.array(hours, dtype="float64")
    return s, t
