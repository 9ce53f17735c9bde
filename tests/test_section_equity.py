"""The equity section renderer (lyganalysis.report.sections.equity): escaping, both languages, data-keys, no key
names on the page, small groups withheld."""

import dataclasses
import re

import pytest

from lyganalysis.analysis import equity
from lyganalysis.datasets import load_dataset
from lyganalysis.report.sections import equity as sec
from lyganalysis.report.text import catalogue
from lyganalysis.settings import Settings

NASTY = 'A<b>&"小学'


@pytest.fixture(scope="module")
def ds(demo):
    return demo


@pytest.fixture(scope="module")
def result(ds):
    return equity.analyse(ds, county="赣榆区", school_year=2022)


@pytest.fixture(scope="module")
def nasty(ds):
    """赣榆区 with one school renamed to a name with <, & and " and its locale removed (so it is listed)."""
    sch = ds.schools.copy()
    sid = sch.loc[(sch["county"] == "赣榆区") & (sch["school_year"] == 2022), "school_id"].iloc[0]
    sch.loc[sch["school_id"] == sid, "school_name"] = NASTY
    sch.loc[sch["school_id"] == sid, "locale"] = None
    return sid, equity.analyse(dataclasses.replace(ds, schools=sch), county="赣榆区", school_year=2022)


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_both_languages_render_with_data_keys_and_no_key_names(result, language):
    html = str(sec.render(result, language=language))
    keys = re.findall(r'data-key="([^"]+)"', html)
    dup = sorted({k for k in keys if keys.count(k) > 1})
    assert len(keys) > 500 and not dup, dup[:5]
    assert 'data-key="equity.gaps.locale.6.chinese.rural.difference"' in html
    assert 'data-key="equity.coverage.public_affordable_kindergarten_coverage.rate"' in html
    text = _text(html)
    for leak in ("eq_", "nc_", "city_", "equity.", "w_students", "share_50_plus", "public_affordable"):
        assert leak not in text, leak
    assert "<details" in html  # long tables folded
    if language == "zh":
        assert "城乡" in text and "乡村" in text
    else:
        assert "Urban" in text and "Rural" in text


def test_numbers_on_the_page_are_the_results_rounded(result):
    html = str(sec.render(result, language="en"))
    g = result.gaps
    r = g[(g["variable"] == "locale") & (g["grade"] == 6) & (g["subject"] == "chinese") & (g["group"] == "rural")].iloc[0]
    m = re.search(r'data-key="equity.gaps.locale.6.chinese.rural.difference" data-value="([^"]+)">([^<]+)<', html)
    assert float(m.group(1)) == pytest.approx(r["difference"]) and m.group(2) == f"{r['difference']:+.1f}"


def test_school_name_escaped_and_linked(nasty):
    sid, r = nasty
    for lang in ("zh", "en"):
        html = str(sec.render(r, language=lang))
        assert NASTY not in html and "A&lt;b&gt;&amp;&#34;小学" in html
        assert f'href="schools/{sid}.html"' in html
        html = str(sec.render(r, language=lang, school_href=None))
        assert f"schools/{sid}.html" not in html


def test_small_groups_withheld_on_the_page(ds):
    r = equity.analyse(ds, county="连云区", school_year=2022, settings=Settings(min_cell_size=1000))
    html = str(sec.render(r, language="zh"))
    sup = r.gaps[r.gaps["suppressed"]]
    assert len(sup)
    row = sup.iloc[0]
    k = f"equity.gaps.{row['variable']}.{row['grade']}.{row['subject']}.{row['group']}"
    assert re.search(rf'data-key="{re.escape(k)}.n">(&lt;1000|\*)<', html)
    assert re.search(rf'data-key="{re.escape(k)}.mean">—<', html)


def test_caschools_section_shows_the_poverty_gap():
    ca = load_dataset("caschools")
    r = equity.analyse(ca, county="Los Angeles", school_year=1999)
    html = str(sec.render(r, language="en"))
    assert "high poverty" in html and 'data-key="equity.headline_gaps.poverty.testscr.high_poverty.difference"' in html
    assert "Coverage against the city targets" not in html  # the 2022 targets do not apply
    assert sec.figures(r, language="en") == []


def test_catalogue_languages_have_the_same_equity_and_city_keys():
    for prefix in ("eq_", "nc_eq_", "city_", "nc_city_"):
        zh = {k for k in catalogue("zh") if k.startswith(prefix)}
        en = {k for k in catalogue("en") if k.startswith(prefix)}
        assert zh == en and zh


def test_no_threshold_typed_into_equity_or_city_prose():
    # the minimum cell size, the confidence level, targets and cuts come from placeholders, never typed
    for lang in ("zh", "en"):
        for k, v in catalogue(lang).items():
            if k.startswith(("eq_", "nc_eq_", "city_", "nc_city_")):
                if k.startswith(("eq_", "nc_eq_")):
                    assert not re.search(r"(?<![{:.\w])(5|95%|0\.95)(?![\w}])", v), (k, v)
                assert not re.search(r"(?<![{\w.:])\d+(\.\d+)?\s*%|[≥≤]\s*\d", v), (k, v)
