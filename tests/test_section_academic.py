"""Tests for lyganalysis.report.sections.academic (issue 6, item 6: the academic report section)."""

from __future__ import annotations

import html as _html
import io
import json
import math
import re
import time
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from lyganalysis import plots  # noqa: E402
from lyganalysis.datasets import load_dataset  # noqa: E402
from lyganalysis.metrics.academic import intraclass_correlation, three_rates_one_score  # noqa: E402
from lyganalysis.metrics.value_added import value_added  # noqa: E402
from lyganalysis.report.sections import academic  # noqa: E402
from lyganalysis.summary import format_value  # noqa: E402

YEAR = 2022
LARGE = "赣榆区"
TINY = ("云台山景区", "徐圩新区")
KEY = re.compile(r'data-key="([^"]+)">([^<]*)<')


def _keys(html_text: str) -> dict[str, str]:
    return {_html.unescape(k): _html.unescape(v) for k, v in KEY.findall(html_text)}


@pytest.fixture(scope="module")
def ds():
    return load_dataset("lianyungang_demo")


@pytest.fixture(scope="module")
def large(ds):
    t0 = time.perf_counter()
    sec = academic.build(ds, county=LARGE, school_year=YEAR)
    return sec, time.perf_counter() - t0


@pytest.fixture(scope="module")
def tiny(ds):
    return {c: academic.build(ds, county=c, school_year=YEAR) for c in TINY}


@pytest.fixture(scope="module")
def strict(ds):
    """A large min_cell_size so that some schools are withheld on the demo."""
    return academic.build(ds, county=LARGE, school_year=YEAR, language="en", min_cell_size=40)


def _county_scores(ds, county, year=YEAR):
    ids = set(ds.schools.loc[ds.schools["county"] == county, "school_id"])
    s = ds.scores
    return s[(s["school_year"] == year) & s["school_id"].isin(ids)].reset_index(drop=True)


# --------------------------------------------------------------------------------------- large county
def test_large_county_computes_everything_fast(large):
    sec, seconds = large
    assert seconds < 4.0, f"build took {seconds:.2f} s"
    assert list(sec.blocks["block"]) == ["6.chinese", "6.english", "6.math", "9.chinese", "9.english", "9.math"]
    assert (sec.value_added_models["status"] == "computed").all()
    cr = sec.county_results
    assert cr[["icc1", "icc2", "icc_reml", "mean_score", "pass_rate"]].notna().all().all()
    assert (cr["icc_reason_en"] == "").all()
    assert sec.previous_year == YEAR - 1
    # a league row per school × block, with intervals around the mean and around the value-added effect
    lg = sec.league[~sec.league["suppressed"]]
    assert (lg["ci_low"] < lg["mean_score"]).all() and (lg["mean_score"] < lg["ci_high"]).all()
    assert (lg["va_lower"] < lg["va_effect"]).all() and (lg["va_effect"] < lg["va_upper"]).all()
    assert lg["ratio_score"].between(0, 100 + 1e-9).all()
    assert set(sec.subjects["subject"]) == {"chinese", "math", "english"}


def test_to_dict_is_json_serialisable(large, tiny, strict):
    for sec in [large[0], strict, *tiny.values()]:
        d = sec.to_dict()
        text = json.dumps(d, ensure_ascii=False, allow_nan=False)
        back = json.loads(text)
        assert back["county"] == sec.county and back["school_year"] == YEAR
        assert len(back["league"]) == len(sec.league)


def test_html_and_dict_equal_the_library(ds, large):
    sec, _ = large
    d = sec.to_dict()
    keys = _keys(sec.html())
    scores = _county_scores(ds, LARGE)
    sub = scores[(scores["grade"] == 6) & (scores["subject"] == "math")]
    # one value-added effect, recomputed with the library directly
    res = value_added(sub, by="school_id").to_frame()
    row = res[res["n"] >= 5].iloc[3]
    sid = row["school_id"]
    lg = [r for r in d["league"] if r["block"] == "6.math" and r["school_id"] == sid][0]
    assert lg["va_effect"] == pytest.approx(row["effect"], rel=1e-12, abs=1e-12)
    assert lg["va_upper"] == pytest.approx(row["effect_upper"], rel=1e-12, abs=1e-12)
    va = [r for r in d["value_added_schools"] if r["block"] == "6.math" and r["school_id"] == sid][0]
    assert va["effect_se"] == pytest.approx(row["effect_se"], rel=1e-12)
    assert keys[f"academic_detail.league.6.math.{sid}.va_effect"] == format_value(row["effect"], "signed")
    assert keys[f"academic_detail.league.6.math.{sid}.va_lower"] == format_value(row["effect_lower"], "signed")
    # one school mean, recomputed with the library directly
    own = three_rates_one_score(sub[sub["school_id"] == sid], by=None).iloc[0]
    assert lg["mean_score"] == pytest.approx(own["mean_score"], rel=1e-12)
    assert lg["pass_rate"] == pytest.approx(own["pass_rate"], rel=1e-12)
    assert keys[f"academic_detail.league.6.math.{sid}.mean_score"] == format_value(own["mean_score"], "score")
    assert keys[f"academic_detail.league.6.math.{sid}.pass_rate"] == format_value(own["pass_rate"], "rate")
    # county mean and ICC(1)
    taken = sub[~sub["absent"]]
    icc = intraclass_correlation(taken, value="score", by="school_id", method="anova")
    cr = [r for r in d["county_results"] if r["block"] == "6.math"][0]
    assert cr["icc1"] == pytest.approx(icc.icc1, rel=1e-12)
    assert keys["academic_detail.county.6.math.icc1"] == format_value(icc.icc1, "icc")
    county = three_rates_one_score(sub, by=None).iloc[0]
    assert keys["academic_detail.county.6.math.mean_score"] == format_value(county["mean_score"], "score")


# ---------------------------------------------------------------------------------------- tiny county
@pytest.mark.parametrize("county", TINY)
def test_tiny_county_refuses_with_reasons_and_no_numbers(tiny, county):
    sec = tiny[county]
    d = sec.to_dict()
    models = d["value_added_models"]
    assert models and all(m["status"] == "refused" for m in models)
    assert all("少于5所" in m["reason_zh"] and "fewer than 5" in m["reason_en"] for m in models)
    assert all(m.get("tau00") is None and m.get("n_schools") is None for m in models)
    assert d["value_added_schools"] == []
    assert all(r["va_effect"] is None and r["va_lower"] is None and r["va_upper"] is None for r in d["league"])
    assert all(r["icc1"] is None and r["icc_reml"] is None and r["icc_reason_zh"] for r in d["county_results"])
    h = sec.html()
    keys = _keys(h)
    assert all(v in ("—", "*") for k, v in keys.items() if k.endswith((".va_effect", ".icc1", ".icc_reml")))
    assert "不计算增值评价" in h and "校际方差无法可靠估计" in h
    assert not any(n.startswith("value_added_") for n in sec.figure_names())
    with pytest.raises(KeyError):
        sec.plot("value_added_6_math")
    # value-added rule: never assessed, and the reason says why
    ew = sec.early_warning
    va_rule = ew[ew["rule"] == "value_added_below_zero"]
    assert not va_rule["assessed"].any() and not va_rule["flagged"].any()
    assert va_rule["reason_zh"].str.contains("增值").all()


# -------------------------------------------------------------------------------------- early warning
def test_early_warning_flags_carry_reasons(large):
    sec, _ = large
    ew = sec.early_warning
    flagged = ew[ew["flagged"]]
    assert len(flagged) > 0
    assert flagged["assessed"].all()
    assert (flagged["reason_zh"].str.len() > 10).all() and (flagged["reason_en"].str.len() > 10).all()
    assert (flagged["n"] >= sec.min_n_effective).all()
    keys = _keys(sec.html())
    for _, r in flagged.head(20).iterrows():
        text = keys[f"academic_detail.early_warning.{r['block']}.{r['school_id']}.{r['rule']}"]
        assert r["reason_zh"] in text
    # the league marks the same schools
    lg = sec.league
    marked = set(zip(lg.loc[lg["flagged"], "block"], lg.loc[lg["flagged"], "school_id"]))
    assert marked == set(zip(flagged["block"], flagged["school_id"]))


def test_schools_under_min_n_are_not_flagged_and_said_so(ds):
    sec = academic.build(ds, county="连云区", school_year=YEAR, min_n=150)
    ew = sec.early_warning
    small = ew[ew["n"].astype("float64") < 150]
    assert len(small) > 0
    assert not small["flagged"].any() and not small["assessed"].any()
    assert small["reason_zh"].str.contains("不作预警").all()
    assert small["reason_en"].str.contains("min_n").all()
    h = sec.html()
    assert "少于150人" in h and "不作预警" in h


def test_no_previous_year_says_rule_not_assessed(ds):
    sec = academic.build(ds, county="连云区", school_year=2021)
    assert sec.previous_year is None
    rows = sec.early_warning[sec.early_warning["rule"] == "pass_rate_drop"]
    assert not rows["assessed"].any() and not rows["flagged"].any()
    assert any(d["item"] == "pass_rate_drop" for d in sec.not_computed)


# -------------------------------------------------------------------------------------------- privacy
def test_no_group_under_min_cell_size_is_shown(strict):
    sec = strict
    k = sec.min_cell_size
    lg = sec.league
    withheld = lg[lg["suppressed"]]
    assert len(withheld) > 0, "the test needs withheld schools"
    d = sec.to_dict()
    keys = _keys(sec.html())
    stats = ["mean_score", "ci_low", "ci_high", "pass_rate", "excellence_rate", "low_score_rate", "ratio_score",
             "va_effect", "va_lower", "va_upper"]
    for r in d["league"]:
        if r["suppressed"]:
            assert all(r[c] is None for c in stats) and r["n_takers"] is None
            prefix = f"academic_detail.league.{r['block']}.{r['school_id']}."
            shown = {kk: v for kk, v in keys.items() if kk.startswith(prefix)}
            assert shown[prefix + "n_takers"] == f"<{k}"
            assert all(v == "*" for kk, v in shown.items() if not kk.endswith("n_takers"))
        else:
            assert r["n_takers"] >= k
    for r in d["value_added_schools"]:
        if r["n"] is None or r["n"] < k:
            assert r["effect"] is None and r["effect_upper"] is None and r["raw_mean"] is None
    for r in d["subjects"]:
        if r["suppressed"]:
            assert r["mean_t"] is None and r["mean_score"] is None
    tiny_ew = [r for r in d["early_warning"] if r["n"] is None]
    assert tiny_ew and all(not r["flagged"] and r["value"] is None for r in tiny_ew)
    assert all(re.search(r"\d", r["reason_en"].replace(str(k), "").replace(str(sec.min_n_effective), "")) is None
               for r in tiny_ew)
    # withheld schools are not drawn
    plots.setup_fonts()
    block = withheld["block"].iloc[0]
    fig, ax = plt.subplots()
    sec.plot("league_" + block.replace(".", "_"), ax=ax)
    drawn = sum(len(c.get_offsets()) for c in ax.collections if hasattr(c, "get_offsets") and c.get_offsets().ndim == 2
                and c.get_offsets().shape[1] == 2 and type(c).__name__ == "PathCollection")
    shown_n = int((~lg.loc[lg["block"] == block, "suppressed"]).sum())
    assert drawn == shown_n
    labels = {t.get_text() for t in ax.get_yticklabels()}
    assert not labels & set(lg.loc[(lg["block"] == block) & lg["suppressed"], "label"])
    plt.close(fig)


# ---------------------------------------------------------------------------------------------- plots
def _draw_without_missing_glyphs(ax) -> None:
    """Glyph warnings are emitted at draw time: draw to a small PNG in memory."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax.figure.savefig(io.BytesIO(), format="png", dpi=30)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == [], missing


def test_every_plot_returns_its_ax_without_missing_glyphs(large, strict):
    plots.setup_fonts()
    sec, _ = large
    names = sec.figure_names()
    assert {n.split("_")[0] for n in names} == {"value", "league", "subjects"}
    assert len(names) == 6 + 6 + 2
    rendered = set()
    for name in names:
        fig, ax = plt.subplots(figsize=(5, 6))
        out = sec.plot(name, ax=ax)
        assert out is ax
        kind = name.split("_")[0]
        if kind not in rendered:  # drawing is the slow part: one figure of each kind per language
            _draw_without_missing_glyphs(ax)
            rendered.add(kind)
        plt.close(fig)
    # English labels, and ax=None creates a figure
    for name in ("value_added_9_math", "league_6_english", "subjects_9"):
        ax = strict.plot(name)
        assert isinstance(ax, Axes)
        _draw_without_missing_glyphs(ax)
        plt.close(ax.figure)
    with pytest.raises(KeyError):
        sec.plot("no_such_figure")


def test_html_language_and_method_notes(large, strict):
    zh = _html.unescape(large[0].html())
    assert "增值评价" in zh and "Raudenbush & Bryk (2002)" in zh and "Goldstein (2011)" in zh
    assert "《深化新时代教育评价改革总体方案》" in zh and "比较方差" in zh and "收缩" in zh
    en = _html.unescape(strict.html())
    assert "Value-added" in en and "comparative" in en and "shrunken" in en and "Raudenbush" in en
    assert "平均分" not in en
    for v in _keys(zh).values():
        assert v and not (isinstance(v, float) and math.isnan(v))


def test_bad_arguments(ds):
    with pytest.raises(ValueError):
        academic.build(ds, county=LARGE, school_year=YEAR, language="fr")
    with pytest.raises(KeyError):
        academic.build(ds, county="不存在区", school_year=YEAR)
    with pytest.raises(ValueError):
        academic.build(ds, county=LARGE, school_year=1999)
