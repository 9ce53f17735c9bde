"""The equity section of a county report (lyganalysis.report.sections.equity)."""

import io
import json
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
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
    assert sec.figure_names() == ["gaps", "coverage", "theil_locale"]
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
