"""The equity section of a county report (lyganalysis.report.sections.equity)."""

import io
import json
import math
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from lyganalysis import plots  # noqa: E402
from lyganalysis.datasets import load_dataset  # noqa: E402
from lyganalysis.report.sections import equity  # noqa: E402


@pytest.fixture(scope="module")
def ds(request):
    return load_dataset("lianyungang_demo", cache_dir=request.config.cache.mkdir("lyg_demo_cache"))


@pytest.fixture(scope="module")
def sec(ds):
    start = time.perf_counter()
    s = equity.build(ds, county="赣榆区", school_year=2022)
    assert time.perf_counter() - start < 3.0
    return s


def test_section_builds_and_serialises(sec):
    d = sec.to_dict()
    json.dumps(d, allow_nan=False, ensure_ascii=False)
    assert d["county"] == "赣榆区" and d["gaps"] and d["coverage"] and d["inequality"]
    assert set(sec.gaps["variable"]) == {"gender", "migrant", "left_behind", "locale"}
    assert set(sec.coverage["unit"]) == {"赣榆区"}


def test_html_shows_gaps_with_intervals_n_and_coverage_numbers(sec):
    h = sec.html()
    g = sec.gaps[(sec.gaps["variable"] == "migrant") & (sec.gaps["grade"] == 6) & (sec.gaps["subject"] == "math")].iloc[0]
    key = "equity.gap.migrant.6.math.True"
    assert f'data-key="{key}.difference">{g["difference"]:+.1f}<' in h
    assert f'data-key="{key}.interval">[{g["ci_low"]:+.1f}, {g["ci_high"]:+.1f}]<' in h
    assert f'data-key="{key}.n">{int(g["n"])}<' in h
    c = sec.coverage.set_index("key").loc["disabled_placement_rate"]
    assert f'data-key="equity.coverage.disabled_placement_rate.rate">{100 * c["rate"]:.1f}%<' in h
    assert f'{int(c["denominator"]):,}' in h and "适龄残疾儿童少年数" in h  # the denominator, stated
    t = sec.inequality.set_index(["stage", "measure"]).loc[("primary", "L1")]
    assert f'data-key="equity.theil.primary.L1.theil_between">{t["theil_between"]:.4f}<' in h


def test_no_group_under_the_minimum_is_shown(ds):
    k = 600  # large enough to withhold some migrant / left-behind groups of a small county
    s = equity.build(ds, county="连云区", school_year=2022, min_cell_size=k)
    g = s.gaps
    assert g["suppressed"].any()
    shown = g[~g["suppressed"]]
    assert (shown["n"] >= k).all() and (shown["n_reference"] >= k).all()
    h = s.html()
    for r in g[g["suppressed"]].itertuples():
        key = f"equity.gap.{r.variable}.{r.grade}.{r.subject}.{r.group}"
        assert f'data-key="{key}.mean">—<' in h
        assert f'data-key="{key}.n">&lt;{k}<' in h or f'data-key="{key}.n">*<' in h
    for st in s.composition.values():  # C27: crosstab cells under k are withheld, with complements
        counts = st.masked[[c for c in st.count_columns]]
        assert not ((counts > 0) & (counts < k)).any().any()


def test_figures_return_ax_without_missing_glyphs(sec):
    plots.setup_fonts()
    assert sec.figure_names() == ["gaps", "coverage", "theil_locale", "staffing_gaps"]
    for name in sec.figure_names():
        fig, ax = plt.subplots()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert sec.plot(name, ax=ax) is ax
            fig.savefig(io.BytesIO(), format="png")
        assert not [w for w in caught if "missing from font" in str(w.message)]
        plt.close(fig)
    with pytest.raises(ValueError):
        sec.plot("nope")


def test_errors(ds):
    with pytest.raises(KeyError):
        equity.build(ds, county="新浦区", school_year=2022)
    with pytest.raises(ValueError):
        equity.build(ds, county="赣榆区", school_year=1999)


# ------------------------------------------------------------------ staffing and result gaps by locale
def _sections():
    return pd.DataFrame({"school_id": ["A", "B", "C", "D"], "stage": "primary",
                         "locale": ["urban", "urban", "rural", "rural"], "students": [100, 200, 60, 30],
                         "teachers": [10.0, 10, 6, 5], "above_required_qualification": [10.0, 8, 3, 4],
                         "backbone_teachers": [2.0, 1, 0, 1]})


def test_staffing_gap_hand_worked():
    teachers = pd.DataFrame({"school_year": 2022, "school_id": ["A", "A", "B", "C", "C", "C"], "stage": "primary",
                             "birth_year": [1970, 1990, 1980, 1960, 1965, 1990], "gender": "female"})
    fr = equity.staffing_frame(_sections(), teachers, school_year=2022).set_index("school_id")
    assert list(fr["student_teacher_ratio"]) == [10.0, 20.0, 10.0, 6.0]
    assert list(fr["teacher_records"]) == [2.0, 1.0, 3.0, 0.0] and math.isnan(fr.loc["D", "share_50_plus"])
    g = equity.staffing_gaps(fr.reset_index(), min_cell_size=1).set_index("measure")
    r = g.loc["student_teacher_ratio"]  # weighted by students
    assert r["weighting"] == "w_students" and (r["group"], r["reference"]) == ("rural", "urban")
    assert r["mean_reference"] == pytest.approx((100 * 10 + 200 * 20) / 300)
    assert r["mean"] == pytest.approx((60 * 10 + 30 * 6) / 90) and r["difference"] == pytest.approx(-8.0)
    assert r["hedges_g"] == pytest.approx((1 - 3 / 5.4) * -8 / math.sqrt(29))
    q = g.loc["share_above_required"]  # weighted by teachers = the pooled share of teachers
    assert q["weighting"] == "w_teachers"
    assert q["mean_reference"] == pytest.approx(18 / 20) and q["mean"] == pytest.approx(7 / 11)
    assert (q["count"], q["count_reference"]) == (11.0, 20.0)
    b = g.loc["backbone_per_100"]  # L2, weighted by students: pooled backbone per 100 students
    assert b["mean_reference"] == pytest.approx(3 * 100 / 300) and b["mean"] == pytest.approx(1 * 100 / 90)
    a = g.loc["share_50_plus"]  # 2022 − birth year ≥ 50; D has no records and is left out
    assert a["mean_reference"] == pytest.approx(1 / 3) and a["mean"] == pytest.approx(2 / 3)
    assert (a["n_units"], a["n_units_reference"]) == (1, 2) and math.isnan(a["ci_low"])  # one school: no interval
    # with the default minimum of 5 people the share aged 50+ (3 + 3 records) is withheld
    g5 = equity.staffing_gaps(fr.reset_index(), min_cell_size=5).set_index("measure")
    assert g5.loc["share_50_plus", "suppressed"] and math.isnan(g5.loc["share_50_plus", "difference"])
    assert not g5.loc["student_teacher_ratio", "suppressed"]


def test_staffing_and_results_gaps_on_the_demo(sec):
    sg, rg = sec.staffing_gaps, sec.results_gaps
    assert set(sg["measure"]) == set(equity.STAFFING_MEASURES) and set(sg["stage"]) == {"primary", "junior"}
    assert set(sg["group"]) == {"town", "rural"} and set(sg["reference"]) == {"urban"}
    assert sg["hedges_g"].notna().all() and (sg["n_units"] >= 2).all()
    assert set(rg["measure"]) == set(equity.RESULT_MEASURES)
    assert set(zip(rg["grade"], rg["subject"])) == {(g, s) for g in (6, 9) for s in ("chinese", "math", "english")}
    # the school-level mean gap weighted by takers has the student-level means as its point estimates
    r = rg[(rg["grade"] == 6) & (rg["subject"] == "math") & (rg["measure"] == "mean_score") & (rg["group"] == "rural")].iloc[0]
    s = sec.gaps[(sec.gaps["variable"] == "locale") & (sec.gaps["grade"] == 6) & (sec.gaps["subject"] == "math")
                 & (sec.gaps["group"] == "rural")].iloc[0]
    assert r["mean"] == pytest.approx(s["mean"]) and r["count"] == s["n"]
    assert rg.loc[rg["measure"] == "value_added", "difference"].notna().all()
    d = sec.to_dict()
    json.dumps(d, allow_nan=False, ensure_ascii=False)
    assert len(d["staffing_gaps"]) == len(sg) and len(d["results_gaps"]) == len(rg)


def test_county_without_urban_schools_compares_with_town(ds):
    s = equity.build(ds, county="东海县", school_year=2022)
    assert len(s.staffing_gaps) and set(s.staffing_gaps["reference"]) == {"town"}
    assert set(s.staffing_gaps["group"]) == {"rural"}
    assert len(s.results_gaps) and set(s.results_gaps["reference"]) == {"town"}
    assert any(u["item"] == "staffing_gaps_urban" for u in s.unavailable)
    json.dumps(s.to_dict(), allow_nan=False, ensure_ascii=False)
    h = s.html()
    r = s.staffing_gaps.set_index(["stage", "measure"]).loc[("junior", "share_above_required")]
    assert f'data-key="equity.staffing_gap.junior.share_above_required.rural.difference">{100 * r["difference"]:+.1f} pp<' in h


def test_value_added_refused_with_few_schools_is_said(ds):
    s = equity.build(ds, county="云台山景区", school_year=2022)
    va = [u for u in s.unavailable if u["item"].startswith("value_added")]
    assert va and all("too few schools" in u["reason"] for u in va)
    assert "value_added" not in set(s.results_gaps.get("measure", []))
    assert "too few schools" in s.html()


def test_html_shows_staffing_and_results_gaps(sec):
    h = sec.html()
    r = sec.staffing_gaps.set_index(["stage", "measure", "group"]).loc[("primary", "student_teacher_ratio", "rural")]
    key = "equity.staffing_gap.primary.student_teacher_ratio.rural"
    assert f'data-key="{key}.difference">{r["difference"]:+.1f}<' in h
    assert f'data-key="{key}.interval">[{r["ci_low"]:+.1f}, {r["ci_high"]:+.1f}]<' in h
    assert f'data-key="{key}.n_units">{r["n_units"]}<' in h and f'data-key="{key}.count">{r["count"]:,.0f}<' in h
    assert f'data-key="{key}.hedges_g">{r["hedges_g"]:+.2f}<' in h
    a = sec.staffing_gaps.set_index(["stage", "measure", "group"]).loc[("junior", "share_50_plus", "town")]
    assert f'data-key="equity.staffing_gap.junior.share_50_plus.town.mean">{100 * a["mean"]:.1f}%<' in h
    rg = sec.results_gaps.set_index(["grade", "subject", "measure", "group"])
    p = rg.loc[(9, "math", "pass_rate", "rural")]
    key = "equity.results_gap.9.math.pass_rate.rural"
    assert f'data-key="{key}.difference">{100 * p["difference"]:+.1f} pp<' in h
    assert f'data-key="{key}.interval">[{100 * p["ci_low"]:+.1f} pp, {100 * p["ci_high"]:+.1f} pp]<' in h
    v = rg.loc[(6, "chinese", "value_added", "town")]
    assert f'data-key="equity.results_gap.6.chinese.value_added.town.difference">{v["difference"]:+.2f}<' in h
    assert "按学生数加权" in h and "按教师数加权" in h and "按参考人数加权" in h  # the weighting is stated


def test_small_locale_groups_withheld_in_staffing_and_results(ds):
    k = 600
    s = equity.build(ds, county="连云区", school_year=2022, min_cell_size=k)
    h = s.html()
    for df, what in ((s.staffing_gaps, "staffing"), (s.results_gaps, "results")):
        assert df["suppressed"].any()
        shown = df[~df["suppressed"]]
        assert (shown["count"].fillna(k) >= k).all()
        for r in df[df["suppressed"]].itertuples():
            key = (f"equity.staffing_gap.{r.stage}.{r.measure}.{r.group}" if what == "staffing" else
                   f"equity.results_gap.{r.grade}.{r.subject}.{r.measure}.{r.group}")
            assert f'data-key="{key}.mean">—<' in h and f'data-key="{key}.difference">—<' in h
            assert f'data-key="{key}.count">&lt;{k}<' in h or f'data-key="{key}.count">*<' in h
    json.dumps(s.to_dict(), allow_nan=False, ensure_ascii=False)


def test_staffing_gaps_plot(sec):
    plots.setup_fonts()
    for lang in ("zh", "en"):
        s = sec if lang == "zh" else equity.EquitySection(**{**sec.__dict__, "language": "en"})
        fig, ax = plt.subplots()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert s.plot("staffing_gaps", ax=ax) is ax
            fig.savefig(io.BytesIO(), format="png")
        assert not [w for w in caught if "missing from font" in str(w.message)]
        assert sum(len(c.get_offsets()) for c in ax.collections if hasattr(c, "get_offsets")) >= len(sec.staffing_gaps)
        plt.close(fig)
