"""Tests for lyganalysis.plots (case C01: Chinese labels must not be drawn as boxes)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402

from lyganalysis import plots  # noqa: E402
from lyganalysis.privacy import suppress_group_stats  # noqa: E402

C01 = Path(__file__).parent / "cases" / "C01-mpl-cjk-tofu"


@contextmanager
def no_missing_glyphs():
    """Record all warnings; fail on any 'missing from font' warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == [], missing


def render(ax) -> None:
    """Glyph warnings are emitted at draw time: draw to a PNG in memory."""
    ax.figure.savefig(io.BytesIO(), format="png")


@pytest.fixture(autouse=True)
def _fonts_and_cleanup():
    plots.setup_fonts()
    yield
    plt.close("all")


# --------------------------------------------------------------------------- C01


def test_c01_chart_with_setup_has_no_missing_glyph_warnings():
    df = pd.read_csv(C01 / "scores.csv")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        family = plots.setup_fonts()
        fig, ax = plt.subplots()
        ax.bar(df["学校"], df["平均分"], label="语文平均分")
        ax.axhline(-1, label="合计−0")
        ax.set_title("各校语文平均分")
        ax.set_ylabel("平均分")
        ax.set_ylim(-5, 90)  # negative tick labels use U+2212
        ax.legend(title="图例")
        fig.savefig(io.BytesIO(), format="png")
    assert family == "Noto Sans CJK SC"
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []
    assert [t.get_text() for t in ax.get_xticklabels()] == ["城关一小", "城关二小", "河口小学"]


def test_c01_without_setup_the_warning_occurs(tmp_path):
    """The original script, fresh matplotlib and default rcParams: boxes + warnings."""
    shutil.copy(C01 / "scores.csv", tmp_path)
    shutil.copy(C01 / "make_chart.py", tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MPL")}
    env["MPLCONFIGDIR"] = str(tmp_path / "mplconfig")  # no user matplotlibrc, fresh font cache
    out = subprocess.run(
        [sys.executable, "make_chart.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    n_missing = int(out.stdout.split()[0])
    assert n_missing > 0, out.stdout


def test_c01_same_script_with_setup_fonts_in_subprocess_is_clean(tmp_path):
    shutil.copy(C01 / "scores.csv", tmp_path)
    script = (C01 / "make_chart.py").read_text(encoding="utf-8")
    script = script.replace(
        "import matplotlib.pyplot as plt, pandas as pd",
        "import matplotlib.pyplot as plt, pandas as pd\nfrom lyganalysis.plots import setup_fonts; setup_fonts()",
    )
    (tmp_path / "make_chart.py").write_text(script, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MPL")}
    env["MPLCONFIGDIR"] = str(tmp_path / "mplconfig")
    out = subprocess.run(
        [sys.executable, "make_chart.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == "0", out.stdout


def test_setup_fonts_is_idempotent_and_sets_rcparams():
    from matplotlib import font_manager

    path = str(plots.font_path())
    first = plots.setup_fonts()
    n_entries = sum(e.fname == path for e in font_manager.fontManager.ttflist)
    second = plots.setup_fonts()
    assert first == second == "Noto Sans CJK SC"
    assert sum(e.fname == path for e in font_manager.fontManager.ttflist) == n_entries
    assert matplotlib.rcParams["font.sans-serif"][0] == "Noto Sans CJK SC"
    assert matplotlib.rcParams["font.sans-serif"].count("Noto Sans CJK SC") == 1
    assert matplotlib.rcParams["font.family"] == ["sans-serif"]
    assert matplotlib.rcParams["axes.unicode_minus"] is True  # the font has U+2212
    assert matplotlib.rcParams["figure.dpi"] == 110
    assert font_manager.findfont(font_manager.FontProperties(family=["sans-serif"])).endswith("NotoSansCJKsc-Regular.otf")


def test_probe_with_character_missing_from_font_raises():
    with pytest.raises(RuntimeError, match=r"U\+E000"):
        plots.setup_fonts(probe="城关\ue000")


def test_missing_font_file_raises(tmp_path):
    with pytest.raises(RuntimeError, match="not found"):
        plots.setup_fonts(path=tmp_path / "nope.otf")


# --------------------------------------------------------------------------- plot functions


@pytest.fixture
def cv_frame():
    return pd.DataFrame(
        {
            "indicator": ["生师比", "生师比", "校舍面积", "校舍面积", "设备值", "设备值"],
            "stage": ["primary", "junior"] * 3,
            "cv": [0.30, 0.52, 0.61, np.nan, 0.20, 0.44],
            "limit": [0.50, 0.45] * 3,
        }
    )


def test_bar_against_limit_scalar_and_column_limits(cv_frame):
    with no_missing_glyphs():
        fig, given = plt.subplots()
        ax = plots.bar_against_limit(
            cv_frame, value="cv", label="indicator", hue="stage", limit="limit", limit_label="标准",
            over_label="超过标准", labels={"primary": "小学", "junior": "初中"}, ax=given,
            title="差异系数", xlabel="差异系数",
        )
        render(ax)
    assert ax is given
    assert len(ax.patches) == 5  # the NaN row is skipped, not drawn as a zero bar
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 2  # 0.52 > 0.45 and 0.61 > 0.50
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["小学", "初中", "标准", "超过标准"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["生师比", "校舍面积", "设备值"]

    with no_missing_glyphs():
        one = cv_frame[cv_frame["stage"] == "primary"]
        ax2 = plots.bar_against_limit(one, value="cv", label="indicator", limit=0.5)
        render(ax2)
    assert len(ax2.patches) == 3
    red = [p for p in ax2.patches if matplotlib.colors.same_color(p.get_facecolor(), plots.ALERT_COLOR)]
    assert len(red) == 1
    assert ax2.get_xlabel() == ""  # no text is made up by the function


def test_bar_against_limit_rejects_display_strings(cv_frame):
    df = cv_frame.assign(cv=["0.3", "<5", "*", "0.1", "0.2", "0.4"])
    with pytest.raises(TypeError, match="display table"):
        plots.bar_against_limit(df, value="cv", label="indicator")


def test_bar_against_limit_missing_column(cv_frame):
    with pytest.raises(KeyError, match="nope"):
        plots.bar_against_limit(cv_frame, value="nope", label="indicator")


def test_bars_by_group_with_standard_and_suppressed_groups():
    df = pd.DataFrame(
        {
            "locale": ["urban", "urban", "town", "town", "rural", "rural"],
            "stage": ["primary", "junior"] * 3,
            "ratio": [18.2, 12.9, 16.1, 14.0, 9.0, 11.5],
            "n": [900, 400, 300, 250, 3, 60],
            "standard": [19.0, 13.5] * 3,
        }
    )
    safe = suppress_group_stats(df, n="n", statistics=["ratio"])
    with no_missing_glyphs():
        ax = plots.bars_by_group(
            safe, value="ratio", label="locale", by="stage", standard="standard", standard_label="标准",
            highlight="above", labels={"urban": "城区", "town": "镇区", "rural": "乡村", "primary": "小学", "junior": "初中"},
            ylabel="生师比",
        )
        render(ax)
    assert len(ax.patches) == 5  # rural primary (n=3) withheld -> no bar
    heights = sorted(round(p.get_height(), 1) for p in ax.patches)
    assert 9.0 not in heights
    assert sum(bool(p.get_hatch()) for p in ax.patches) == 1  # 14.0 > 13.5
    assert [t.get_text() for t in ax.get_xticklabels()] == ["城区", "镇区", "乡村"]


def test_compliance_heatmap_nan_grey_and_annotations():
    schools = ["城关一小", "城关二小", "河口小学"]
    inds = ["生师比", "校舍面积", "设备值", "图书"]
    rows = [(s, i, 0.7 + 0.1 * k) for k, (s, i) in enumerate((s, i) for s in schools for i in inds)]
    df = pd.DataFrame(rows, columns=["school", "indicator", "ratio"])
    df.loc[5, "ratio"] = np.nan
    df = df.drop(index=7)  # absent pair
    with no_missing_glyphs():
        fig, given = plt.subplots()
        ax = plots.compliance_heatmap(df, row="school", column="indicator", value="ratio", ax=given,
                                      colorbar_label="与标准之比", title="达标情况")
        render(ax)
    assert ax is given
    assert len(ax.images) == 1
    arr = ax.images[0].get_array()
    assert arr.shape == (3, 4)
    assert int(np.ma.getmaskarray(arr).sum()) == 2
    assert len(ax.texts) == 10
    norm = ax.images[0].norm
    assert norm.vcenter == 1.0

    with no_missing_glyphs():
        ax2 = plots.compliance_heatmap(df, row="school", column="indicator", value="ratio", annotate=False)
        render(ax2)
    assert len(ax2.texts) == 0


def test_compliance_heatmap_duplicates_raise():
    df = pd.DataFrame({"s": ["a", "a"], "i": ["x", "x"], "r": [1.0, 1.1]})
    with pytest.raises(ValueError, match="duplicated"):
        plots.compliance_heatmap(df, row="s", column="i", value="r")


def _points(ax) -> int:
    return sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))


def test_dot_interval_sorted_with_highlight_and_nan():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"school": [f"学校{i}" for i in range(8)], "est": rng.normal(size=8)})
    df["lo"], df["hi"] = df["est"] - 0.4, df["est"] + 0.4
    df.loc[2, "est"] = np.nan
    df.loc[4, "lo"] = np.nan  # point without interval
    with no_missing_glyphs():
        fig, given = plt.subplots()
        ax = plots.dot_interval(df, estimate="est", lower="lo", upper="hi", label="school", ax=given,
                                reference=0.0, reference_label="全市平均", highlight="学校1", xlabel="增值")
        render(ax)
    assert ax is given
    assert _points(ax) == 7
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert "学校2" not in ticks and len(ticks) == 7
    expected = df.dropna(subset=["est"]).sort_values("est")["school"].tolist()
    assert ticks == expected
    assert len(ax.collections[0].get_segments()) == 6  # intervals


@pytest.mark.parametrize("kind", ["hist", "box"])
def test_distribution_by_group(kind):
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"locale": ["urban"] * 40 + ["town"] * 30 + ["rural"] * 20 + ["tiny"] * 3,
                       "score": rng.normal(70, 10, 93)})
    df.loc[[0, 45], "score"] = np.nan
    with no_missing_glyphs():
        fig, given = plt.subplots()
        ax = plots.distribution_by_group(df, value="score", by="locale", kind=kind, ax=given,
                                         labels={"urban": "城区", "town": "镇区", "rural": "乡村"},
                                         xlabel="分数", title="成绩分布")
        render(ax)
    assert ax is given
    assert len(ax.patches) == 3  # 'tiny' (n=3 < 5) is not drawn
    if kind == "hist":
        texts = [t.get_text() for t in ax.get_legend().get_texts()]
        assert texts == ["城区 (n=39)", "镇区 (n=29)", "乡村 (n=20)"]
    else:
        assert [t.get_text() for t in ax.get_xticklabels()] == ["城区 (n=39)", "镇区 (n=29)", "乡村 (n=20)"]


def test_scatter_with_fit_recovers_line_and_skips_nan():
    x = np.linspace(10, 25, 20)
    df = pd.DataFrame({"ratio": x, "score": 100 - 2 * x, "n": np.arange(20) + 1.0})
    df.loc[3, "score"] = np.nan
    with no_missing_glyphs():
        fig, given = plt.subplots()
        ax = plots.scatter_with_fit(df, x="ratio", y="score", weight="n", ax=given,
                                    xlabel="生师比", ylabel="平均分", title="成绩与生师比")
        render(ax)
    assert ax is given
    assert _points(ax) == 19
    assert len(ax.lines) == 1
    xs, ys = ax.lines[0].get_data()
    np.testing.assert_allclose(ys, 100 - 2 * xs, atol=1e-8)
    with pytest.raises(ValueError, match="non-negative"):
        plots.scatter_with_fit(df.assign(n=-1.0), x="ratio", y="score", weight="n")


def test_new_axes_created_when_none(cv_frame):
    ax = plots.bar_against_limit(cv_frame, value="cv", label="indicator")
    assert ax.figure is not None
    assert len(ax.patches) == 5
