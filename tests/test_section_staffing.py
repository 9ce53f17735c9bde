"""The staffing section renderer (lyganalysis.report.sections.staffing) on the demo and an invented dataset."""

from __future__ import annotations

import re
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from lyganalysis import plots  # noqa: E402
from lyganalysis.analysis import staffing as A  # noqa: E402
from lyganalysis.datasets import load_dataset  # noqa: E402
from lyganalysis.datasets.plant import plant_subject_shortage  # noqa: E402
from lyganalysis.report.format import fmt  # noqa: E402
from lyganalysis.report.sections import staffing as sec  # noqa: E402
from lyganalysis.report.text import catalogue  # noqa: E402
from lyganalysis.settings import Settings  # noqa: E402

COUNTY = "东海县"
YEAR = 2022


@pytest.fixture(scope="module")
def result(demo):
    return A.analyse(demo, county=COUNTY, school_year=YEAR)


def _cell(page, key):
    m = re.search(r'data-key="' + re.escape(key) + r'"[^>]*>([^<]*)<', page)
    assert m, f"no cell {key}"
    return m.group(1)


def test_numbers_match_raw_data(result, demo):
    page = sec.render(result, language="zh")
    c = demo.for_county(COUNTY)
    t = c.teachers[(c.teachers.school_year == YEAR) & c.teachers.stage.isin(["primary", "junior"])]
    assert _cell(page, "staffing.rotation.all.rotated") == fmt(int(t.rotated.sum()), "count", "zh")
    p = t[t.stage == "primary"]
    share = float(((YEAR - p.birth_year) >= 50).mean())
    assert _cell(page, "staffing.age.primary.share_50_plus") == fmt(share, "rate", "zh")
    sch = c.schools[c.schools.school_year == YEAR]
    ratio = sch.students_junior.sum() / sch.teachers_junior.sum()
    assert _cell(page, "staffing.ratios.junior.student_teacher_ratio") == fmt(float(ratio), "ratio", "zh")
    need = result.school_actions[result.school_actions.needs_any]
    assert len(need) == result.scalars["n_schools_needing_teachers"] > 0
    for sid in need.school_id.head(5):
        assert f'data-key="staffing.school_actions.{sid}.students"' in page
        assert f'href="schools/{sid}.html"' in page


def test_caveat_is_loud_and_both_languages_render(result):
    zh = sec.render(result, language="zh")
    en = sec.render(result, language="en")
    assert 'class="lyg-staffing-caveat"' in zh and "教职工" in zh
    assert "counts all staff" in en and "Rotation rate" in en and "学历" not in en
    for page, lang in ((zh, "zh"), (en, "en")):
        # no catalogue key or code leaks into the words of the page
        text = re.sub(r"<[^>]+>", " ", page)
        assert not re.search(r"\bstf_\w+|\bnc_stf|\bshare_50_plus\b|\bteacher_shortfall\b", text), lang
        assert "data-key=" in page
    assert set(catalogue("zh")) == set(catalogue("en"))


def test_school_names_are_escaped_and_links_optional():
    s = pd.DataFrame({
        "school_year": YEAR, "school_id": ["x1", "x2"], "school_name": ['A<b>&"1', "B"], "county": "C",
        "county_code": "1", "locale": ["urban", "rural"], "school_type": "primary",
        "students_primary": [400, 100], "students_junior": [0, 0], "teachers_primary": [10, 10],
        "teachers_junior": [0, 0], "classes_primary": [10, 4], "classes_junior": [0, 0]})
    t = pd.DataFrame({"school_year": YEAR, "teacher_key": [f"k{i}" for i in range(20)],
                      "school_id": ["x1"] * 10 + ["x2"] * 10, "stage": "primary", "birth_year": 1980,
                      "gender": ["female", "male"] * 10, "qualification": "bachelor", "title": "first",
                      "subject": "chinese", "backbone_level": "none", "years_in_school": 3, "rotated": False})
    from lyganalysis.datasets import Dataset

    ds = Dataset(name="esc", schools=s, teachers=t, scores=None, county_facts=None, school_results=None,
                 simulated=True, language="zh", description="")
    r = A.analyse(ds, county="C", school_year=YEAR)
    page = sec.render(r, language="en")
    assert 'A<b>&"1' not in str(page) and 'A&lt;b&gt;&amp;' in str(page) and ('&#34;1' in str(page) or '&quot;1' in str(page))
    assert 'href="schools/x1.html"' in page
    plain = sec.render(r, language="en", school_href=None)
    assert "schools/x1.html" not in plain and "<a " not in plain


def test_privacy_small_groups_not_shown(demo):
    r = A.analyse(demo, county="云台山景区", school_year=YEAR, settings=Settings(min_cell_size=30))
    page = sec.render(r, language="en")
    withheld = r.age_by_locale[r.age_by_locale["suppressed"]]
    assert len(withheld) > 0
    for _, row in withheld.iterrows():
        assert _cell(page, f"staffing.age_by_locale.{row.stage}.{row.locale}.share_50_plus") == "—"
    q = r.qualification[r.qualification["suppressed"]]
    for _, row in q.iterrows():
        assert _cell(page, f"staffing.qualification.{row.stage}.{row.locale}.share_bachelor") == "—"
    shown = r.pyramid.teachers_shown.dropna()
    assert not ((shown > 0) & (shown < 30)).any()


def test_without_teacher_records_renders_ratios_only():
    ca = load_dataset("caschools")
    r = A.analyse(ca, county="Los Angeles", school_year=max(ca.school_years()))
    page = sec.render(r, language="en")
    assert 'data-key="staffing.ratios.primary.student_teacher_ratio"' in page
    assert "No teacher records" in page and "staffing standard does not apply" in page
    assert "lyg-staffing-caveat" not in page and sec.figures(r, language="en") == []


def test_planted_shortage_reaches_the_action_table(demo):
    c = demo.for_county("连云区")
    t = c.teachers[(c.teachers.school_year == YEAR) & (c.teachers.subject == "pe")
                   & c.teachers.stage.isin(["primary", "junior"])]
    sch = c.schools[(c.schools.school_year == YEAR) & (c.schools.school_type != "teaching_point")]
    sid = sorted(set(t.school_id) & set(sch.school_id))[0]
    d = plant_subject_shortage(c, sid, "pe")
    r = A.analyse(d, county="连云区", school_year=YEAR)
    row = r.school_actions.set_index("school_id").loc[sid]
    assert "pe" in row["missing"].split(",") and row["needs_any"]
    assert r.for_school(sid)["school"]["missing_pe"]
    page = sec.render(r, language="zh")
    assert "体育" in _cell(page, f"staffing.school_actions.{sid}.missing")


def test_figures_are_pyramids_without_missing_glyphs(result):
    plots.setup_fonts()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        figs = sec.figures(result, language="zh")
        for _, fig in figs:
            fig.canvas.draw()
    assert [n for n, _ in figs] == ["pyramid_primary", "pyramid_junior"]
    assert all(fig.dpi <= 100 for _, fig in figs)
    assert not [x for x in w if "missing from" in str(x.message) or "Glyph" in str(x.message)]
    for _, fig in figs:
        plt.close(fig)


def test_school_block_withholds_structure_of_small_schools(demo):
    r = A.analyse(demo, county="云台山景区", school_year=YEAR, settings=Settings(min_cell_size=30))
    s = r.schools.set_index("school_id")
    small = s.index[s["structure_suppressed"]][0]
    big = s.index[~s["structure_suppressed"]][0]
    page = str(sec.render_school(r, small, language="zh"))
    assert "少于 30 人" in page and f"staffing.school.{small}.structure.share_50_plus" not in page
    want = "、".join(catalogue("zh")[f"stf_subject_{x}"] for x in s.loc[small, "missing"].split(",") if x) or "—"
    assert _cell(page, f"staffing.school.{small}.missing") == want
    page_big = str(sec.render_school(r, big, language="en"))
    assert _cell(page_big, f"staffing.school.{big}.structure.share_50_plus") == fmt(s.loc[big, "share_50_plus"], "rate", "en")
    assert _cell(page_big, f"staffing.school.{big}.L3_gap_teachers") == str(int(s.loc[big, "L3_gap_teachers"]))
    with pytest.raises(KeyError, match="no staffing row"):
        sec.render_school(r, "nope", language="en")
