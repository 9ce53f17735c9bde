"""The academic section renderer (lyganalysis.report.sections.academic): words, escaping, data-keys, privacy.

Numbers come from lyganalysis.analysis.academic (tested in test_analysis_academic.py); here the page must show
exactly those numbers, formatted by report.format.fmt, in both languages, with no key name and no unescaped
school name on the page.
"""

from __future__ import annotations

import dataclasses
import html as _html
import io
import re
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402

from lyganalysis.analysis import academic as A  # noqa: E402
from lyganalysis.datasets import load_dataset  # noqa: E402
from lyganalysis.report import text as T  # noqa: E402
from lyganalysis.report.format import fmt  # noqa: E402
from lyganalysis.report.sections import academic as S  # noqa: E402
from lyganalysis.settings import Settings  # noqa: E402

YEAR = 2022
KEY = re.compile(r'data-key="([^"]+)"[^>]*>([^<]*)<')


def _keys(page: str) -> dict[str, str]:
    return {_html.unescape(k): _html.unescape(v) for k, v in KEY.findall(page)}


@pytest.fixture(scope="module")
def results(all_counties):
    """Every demo county in one pass (computed once per session, tests/conftest.py)."""
    return all_counties("academic", school_year=YEAR)


@pytest.fixture(scope="module")
def weird(demo, results):
    """赣榆区 with school names holding <, & and " (the escaping check)."""
    r = results["赣榆区"]
    bad = lambda s: s.map(lambda x: f'<b>{x} & "co"</b>')  # noqa: E731
    return dataclasses.replace(
        r, schools=r.schools.assign(school_name=bad(r.schools["school_name"])),
        warning_schools=r.warning_schools.assign(school_name=bad(r.warning_schools["school_name"])),
        subjects=r.subjects.assign(school_name=bad(r.subjects["school_name"])))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_both_languages_render_with_the_numbers_of_the_result(results, language):
    r = results["赣榆区"]
    page = str(S.render(r, language=language))
    keys = _keys(page)
    cr = r.county_results.set_index("block")
    assert keys["academic.county.6.math.mean_score"] == fmt(cr.loc["6.math", "mean_score"], "score", language)
    assert keys["academic.county.9.chinese.icc1"] == fmt(cr.loc["9.chinese", "icc1"], "icc", language)
    assert keys["academic.n_warnings"] == str(r.n_warnings)
    row = r.schools[(r.schools.block == "6.math") & ~r.schools.suppressed].iloc[0]
    k = f"academic.schools.6.math.{row['school_id']}"
    assert keys[k + ".mean_score"] == fmt(row["mean_score"], "score", language)
    assert keys[k + ".pass_rate"] == fmt(row["pass_rate"], "rate", language)
    assert keys[k + ".ci"].startswith(fmt(row["ci_low"], "score", language))
    assert keys[k + ".va_effect"] == fmt(row["va_effect"], "signed", language)
    # interval marks, not images
    assert "lyg-interval" in page and "<img" not in page
    # long lists are folded (details closed by default)
    assert page.count('<details class="lyg-fold">') >= 6 + 2 + 1
    # the league tables are sortable and filterable and every number cell has a data-key
    for cell in re.findall(r"<td[^>]*data-value=[^>]*>", page):
        assert "data-key=" in cell


def test_words_come_from_the_catalogue_in_the_page_language(demo, results):
    zh = _html.unescape(str(S.render(results["赣榆区"], language="zh")))
    en = _html.unescape(str(S.render(results["赣榆区"], language="en")))
    assert "增值评价" in zh and "Raudenbush & Bryk (2002)" in zh and "收缩" in zh
    assert "Value-added" in en and "shrunken" in en and "Raudenbush" in en
    assert "平均分" not in en and "Value-added" not in zh
    # thresholds are filled from the settings, not typed
    loose = A.analyse(demo, county="连云区", school_year=YEAR,
                      settings=Settings(early_warning_k_sd=1.5, pass_cut=0.5))
    p = _html.unescape(str(S.render(loose, language="en")))
    assert "more than 1.5 SD" in p and "≥ 50%" in p


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_key_name_or_code_leaks_into_the_page(results, language):
    page = str(S.render(results["徐圩新区"], language=language)) + str(S.render(results["赣榆区"], language=language))
    text = re.sub(r"<[^>]+>", " ", page)
    for key in T.catalogue(language):
        if key.startswith(("aca_", "nc_aca_")):
            assert key not in text, key
    for code in ("value_added_below_zero", "mean_below_county", "pass_rate_drop", "too_few_schools", "{", "}"):
        assert code not in text, code


def test_school_names_are_escaped_and_linked(weird):
    page = str(S.render(weird, language="zh"))
    assert "<b>" not in page and "&lt;b&gt;" in page and "&amp; &#34;co&#34;" in page
    sid = weird.warning_schools["school_id"].iloc[0]
    assert f'href="schools/{sid}.html"' in page
    plain = str(S.render(weird, language="zh", school_href=None))
    assert "<a href=" not in plain
    other = str(S.render(weird, language="en", school_href="../s/{school_id}/index.html"))
    assert f'href="../s/{sid}/index.html"' in other


def test_withheld_schools_show_no_number(demo):
    r = A.analyse(demo, county="赣榆区", school_year=YEAR, settings=Settings(min_cell_size=40))
    withheld = r.schools[r.schools.suppressed]
    assert len(withheld) > 0
    keys = _keys(str(S.render(r, language="zh")))
    for row in withheld.head(20).to_dict(orient="records"):
        k = f"academic.schools.{row['block']}.{row['school_id']}"
        assert keys[k + ".n_takers"] == "—" and keys[k + ".mean_score"] == "—" and keys[k + ".ci"] == "—"


def test_tiny_county_says_what_is_not_computed(results):
    zh = _html.unescape(str(S.render(results["徐圩新区"], language="zh")))
    assert "不计算增值评价" in zh and "不计算校际差异" in zh
    assert "6年级数学" in zh  # the reason names the grade and subject in words


def test_school_level_results_and_no_scores(demo, results):
    la = A.analyse(load_dataset("caschools"), county="Los Angeles", school_year=1999)
    page = _html.unescape(str(S.render(la, language="en")))
    assert "Average of reading and math" in page and "School mean scores only" in page
    assert "Not computed, because the data do not allow it" in page  # shared macros in the page language
    assert S.figures(la, language="en") == []
    none = A.analyse(dataclasses.replace(demo, scores=None), county="赣榆区", school_year=YEAR)
    assert "2022学年的成绩" in _html.unescape(str(S.render(none, language="zh")))


def test_figures_are_few_and_light(results):
    figs = S.figures(results["赣榆区"], language="zh")
    assert [k for k, _ in figs] == ["academic.county_rates"]
    for _, fig in figs:
        assert fig.dpi <= 100
        with warnings.catch_warnings(record=True) as caught:  # glyph warnings come at draw time
            warnings.simplefilter("always")
            fig.savefig(io.BytesIO(), format="png")
        assert not [w for w in caught if "missing from font" in str(w.message)]
        plt.close(fig)


def test_catalogues_have_the_same_keys():
    here = Path(T.__file__).with_name("text")
    zh = yaml.safe_load((here / "zh" / "academic.yaml").read_text(encoding="utf-8"))
    en = yaml.safe_load((here / "en" / "academic.yaml").read_text(encoding="utf-8"))
    assert set(zh) == set(en)
    assert all(k.startswith(("aca_", "nc_aca_")) for k in zh)
    # every early-warning reason code and every refusal code has words
    from lyganalysis.metrics.early_warning import REASONS
    for code in (*REASONS, "withheld", "value_added_not_computed"):
        assert f"aca_ew_reason_{code}" in zh, code


@pytest.mark.parametrize("language", ["zh", "en"])
def test_school_page_part(results, language):
    r = results["赣榆区"]
    sid = r.warning_schools["school_id"].iloc[0]
    page = str(S.render_school(r, sid, language=language))
    keys = _keys(page)
    att = r.for_school(sid)["attainment"].set_index("block")
    k = f"academic.school.{sid}.6.math"
    assert keys[k + ".mean_score"] == fmt(att.loc["6.math", "mean_score"], "score", language)
    assert keys[k + ".county_mean_score"] == fmt(att.loc["6.math", "county_mean_score"], "score", language)
    assert keys[k + ".mean_score_change"] == fmt(att.loc["6.math", "mean_score_change"], "signed", language)
    n_flags = int(r.warning_schools.set_index("school_id").loc[sid, "n_flags"])
    assert page.count("<li data-key=") == n_flags
    text = re.sub(r"<[^>]+>", " ", page)
    assert not any(key in text for key in T.catalogue(language) if key.startswith("aca_"))
    assert len(page.encode()) < 20_000  # a school page has a budget of 150 KB for everything
    with pytest.raises(KeyError):
        S.render_school(r, "no-such-school", language=language)


def test_school_page_part_of_a_school_not_assessed(demo):
    r = A.analyse(demo, county="连云区", school_year=YEAR, settings=Settings(early_warning_min_n=10_000))
    sid = r.schools["school_id"].iloc[0]
    zh = _html.unescape(str(S.render_school(r, sid, language="zh")))
    assert "不作预警" in zh and "10000" in zh.replace(",", "")
