"""The staffing-structure report section (lyganalysis.report.sections.staffing) on the demo."""

from __future__ import annotations

import json
import re
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from lyganalysis import plots  # noqa: E402
from lyganalysis.datasets import load_dataset  # noqa: E402
from lyganalysis.datasets.plant import plant_subject_shortage  # noqa: E402
from lyganalysis.report.sections import staffing as sec_mod  # noqa: E402
from lyganalysis.summary import format_value  # noqa: E402

COUNTY = "东海县"  # the largest county: the timing bound holds for the others
YEAR = 2022


@pytest.fixture(scope="module")
def demo(pytestconfig, tmp_path_factory):
    # parquet cache of the generated demo (keyed by generator version and seed) so that test files share it
    cache = pytestconfig.cache.mkdir("lyganalysis_demo") if getattr(pytestconfig, "cache", None) \
        else tmp_path_factory.mktemp("demo")
    return load_dataset("lianyungang_demo", cache_dir=cache)


@pytest.fixture(scope="module")
def section(demo):
    t0 = time.perf_counter()
    s = sec_mod.build(demo, county=COUNTY, school_year=YEAR)
    return s, time.perf_counter() - t0


def _cell(html, key):
    m = re.search(r'data-key="' + re.escape(key) + r'">([^<]*)<', html)
    assert m, f"no cell {key}"
    return m.group(1)


def test_build_fast_and_json(section):
    s, secs = section
    assert secs < 3.0
    d = s.to_dict()
    text = json.dumps(d, allow_nan=False, ensure_ascii=False)
    assert json.loads(text)["county"] == COUNTY and d["section"] == "staffing_structure"
    assert d["rotation"] and d["school_actions"] and d["pyramid"]


def test_numbers_match_raw_data(section, demo):
    s, _ = section
    c = demo.for_county(COUNTY)
    t = c.teachers[(c.teachers.school_year == YEAR) & c.teachers.stage.isin(["primary", "junior"])]
    html = s.html()
    # rotated teachers counted straight from the table
    assert _cell(html, "staffing_structure.rotation.all.rotated") == format_value(int(t.rotated.sum()), "count")
    rate = s.rotation.set_index("stage").loc["all", "rotation_rate"]
    assert _cell(html, "staffing_structure.rotation.all.rotation_rate") == format_value(rate, "rate")
    # share of primary teachers aged 50+
    p = t[t.stage == "primary"]
    share = float(((YEAR - p.birth_year) >= 50).mean())
    assert _cell(html, "staffing_structure.age.primary.share_50_plus") == format_value(share, "rate")
    # pooled ratio from the schools table
    sch = c.schools[c.schools.school_year == YEAR]
    ratio = sch.students_junior.sum() / sch.teachers_junior.sum()
    assert _cell(html, "staffing_structure.ratios.junior.student_teacher_ratio") == format_value(float(ratio), "ratio")
    # every school needing teachers appears in the action table, named
    need = s.school_actions[s.school_actions.needs_any]
    assert len(need) == s.scalars["n_schools_needing_teachers"] > 0
    for sid in need.school_id.head(5):
        assert f"staffing_structure.school_actions.{sid}.students" in html


def test_english_and_privacy(demo):
    s = sec_mod.build(demo, county="云台山景区", school_year=YEAR, language="en", min_cell_size=5)
    h = s.html()
    assert "Rotation rate" in h and "学历" not in h
    small = s.age_by_locale[s.age_by_locale.teachers < 5]
    for _, r in small.iterrows():
        assert _cell(h, f"staffing_structure.age_by_locale.{r.stage}.{r.locale}.share_50_plus") == "*"
    # pyramid cells 1..4 are never shown
    shown = s.pyramid.teachers_shown.dropna()
    assert not ((shown > 0) & (shown < 5)).any()


def test_planted_shortage_reaches_the_action_table(demo):
    c = demo.for_county("连云区")
    t = c.teachers[(c.teachers.school_year == YEAR) & (c.teachers.subject == "pe")
                   & c.teachers.stage.isin(["primary", "junior"])]
    sch = c.schools[(c.schools.school_year == YEAR) & (c.schools.school_type != "teaching_point")]
    sid = sorted(set(t.school_id) & set(sch.school_id))[0]
    d = plant_subject_shortage(c, sid, "pe")
    s = sec_mod.build(d, county="连云区", school_year=YEAR)
    row = s.school_actions.set_index("school_id").loc[sid]
    assert "pe" in row["missing"] and row["needs_any"]
    assert "体育" in re.search(r"<tr>(?:(?!</tr>).)*" + re.escape(f"school_actions.{sid}.") + r"(?:(?!</tr>).)*</tr>",
                               s.html()).group(0)


def test_every_plot_returns_its_ax_without_missing_glyphs(section):
    s, _ = section
    plots.setup_fonts()
    for name in s.figure_names():
        fig, ax = plt.subplots()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = s.plot(name, ax=ax)
            fig.canvas.draw()
        assert out is ax
        assert not [x for x in w if "missing from" in str(x.message) or "Glyph" in str(x.message)], name
        plt.close(fig)
    with pytest.raises(ValueError, match="unknown figure"):
        s.plot("nope")
