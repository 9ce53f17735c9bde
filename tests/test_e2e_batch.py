"""End to end: the real batch, once per test session, on four demo counties whose data include school names
with ``<``, ``&`` and ``"``; numbers read back from the HTML by their ``data-key`` and compared with the
metrics JSON and with the library; the combined verdict read from all five places it appears; page budgets,
school pages, links and escaping checked on every output."""

import dataclasses
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from lyganalysis.analysis import analyse_county
from lyganalysis.datasets import load_dataset, write_processed
from lyganalysis.report.batch import build_reports
from lyganalysis.report.format import fmt

pytestmark = pytest.mark.e2e
COUNTIES = ["连云区", "赣榆区", "东海县", "徐圩新区"]  # 东海县: the largest demo page (the budget)
TRICKY = '实验<小学> & "星光"'
BUDGET = {"county": 1.5 * 2**20, "school": 150 * 2**10, "city": 1.5 * 2**20}


class _Page(HTMLParser):
    """Every element's data-key text and data-value, every href and src, and the <title>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: dict[str, str] = {}
        self.value: dict[str, str] = {}
        self.links: list[str] = []
        self.title = ""
        self._stack: list[str | None] = []
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        key = a.get("data-key")
        if key and "data-value" in a:
            self.value[key] = a["data-value"]
        for attr in ("href", "src"):
            if a.get(attr):
                self.links.append(a[attr])
        self._in_title = tag == "title"
        if tag not in ("br", "img", "meta", "link", "input", "hr"):
            self._stack.append(key)

    def handle_endtag(self, tag):
        self._in_title = False
        if tag not in ("br", "img", "meta", "link", "input", "hr") and self._stack:
            self._stack.pop()

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        for key in self._stack:
            if key:
                self.text[key] = self.text.get(key, "") + data


def _parse(path: Path) -> _Page:
    p = _Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


@pytest.fixture(scope="session")
def dataset(tmp_path_factory):
    """The demo with one school per county renamed to a name that needs escaping."""
    ds = load_dataset("lianyungang_demo")
    schools = ds.schools.copy()
    for c in COUNTIES:
        first = schools.loc[schools["county"] == c, "school_id"].iloc[0]
        schools.loc[schools["school_id"] == first, "school_name"] = f"{c}{TRICKY}"
    ds = dataclasses.replace(ds, schools=schools)
    folder = tmp_path_factory.mktemp("processed")
    write_processed(ds, folder)
    return ds, folder


@pytest.fixture(scope="session")
def batch(dataset, tmp_path_factory):
    ds, folder = dataset
    out = tmp_path_factory.mktemp("reports")
    return build_reports(str(folder), out, counties=COUNTIES, workers=2, city_overview=True,
                         processed_dir=tmp_path_factory.mktemp("processed2"))


@pytest.fixture(scope="session")
def library(dataset):
    ds, _ = dataset
    return {c: analyse_county(ds, county=c, school_year=2022) for c in COUNTIES}


def _stem(batch, county):
    return next(r.stem for r in batch.batch.results if r.county == county)


def test_batch_succeeds_and_writes_every_file(batch, dataset):
    ds, _ = dataset
    assert batch.exit_code == 0, batch.batch.to_frame()
    out = batch.output_dir
    for c in COUNTIES:
        stem = _stem(batch, c)
        assert (out / f"{stem}.html").is_file() and (out / f"{stem}.metrics.json").is_file()
        ids = set(ds.schools.loc[(ds.schools["county"] == c) & (ds.schools["school_year"] == 2022), "school_id"])
        pages = {p.stem for p in (out / stem / "schools").glob("*.html")}
        assert pages == ids, f"{c}: every school has a page"
        with zipfile.ZipFile(out / "bundles" / f"{stem}.zip") as z:
            names = set(z.namelist())
        assert f"{stem}.html" in names and "assets/style.css" in names
        assert {f"{stem}/schools/{i}.html" for i in ids} <= names
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert all(len(f["sha256"]) == 64 for f in manifest["inputs"])
    assert "settings" in json.dumps(manifest["parameters"], ensure_ascii=False)


def test_combined_verdict_is_the_same_in_all_five_places(batch):
    out = batch.output_dir
    index = _parse(out / "index.html")
    index_html = (out / "index.html").read_text(encoding="utf-8")
    city = _parse(out / "city_overview.html")
    for c in COUNTIES:
        stem = _stem(batch, c)
        metrics = json.loads((out / f"{stem}.metrics.json").read_text(encoding="utf-8"))
        verdict = metrics["figures"]["resources.verdict"]["value"]
        assert verdict in ("met", "not_met", "undecided")
        assert metrics["resources"]["verdict"]["verdict"] == verdict
        head = [h for h in metrics["headline"] if h["key"] == "resources.verdict"]
        assert head and head[0]["value"] == verdict
        page = _parse(out / f"{stem}.html")
        assert page.value["summary.verdict.resources"] == verdict, c  # the headline card
        shown = fmt(verdict, "verdict", "zh")
        assert page.text["summary.verdict.resources"].strip() == shown
        section = [v for k, v in page.value.items() if k.startswith("resources.verdict")]
        assert verdict in section, f"{c}: the resource section shows the verdict"
        row = re.search(rf'<tr[^>]*data-county="{re.escape(c)}".*?</tr>', index_html, re.S).group(0)
        assert f'lyg-verdict {verdict}' in row, f"{c}: the index row"
        assert city.value.get(f"city.resources.verdict.{c}") == verdict, f"{c}: the city overview"
        if c == "赣榆区":  # the 2022 work plan names 赣榆区 for national recognition: its scorecard row
            assert city.value.get("city.scorecard.ganyu_national_recognition.赣榆区") == verdict
    assert index.title


def test_headline_numbers_on_the_page_equal_the_json_and_the_library(batch, library):
    out = batch.output_dir
    for c in COUNTIES:
        stem = _stem(batch, c)
        metrics = json.loads((out / f"{stem}.metrics.json").read_text(encoding="utf-8"))
        lib = library[c].figures()
        for h in metrics["headline"]:
            if isinstance(h["value"], float):
                assert h["value"] == pytest.approx(lib[h["key"]].value, rel=1e-12), (c, h["key"])
            else:
                assert h["value"] == lib[h["key"]].value
        # a detail number: the enrolment-weighted 差异系数 of L5 for primary sections, as the page prints it
        cv = lib.get("resources.cv.primary.L5")
        if cv is not None:
            page = (out / f"{stem}.html").read_text(encoding="utf-8")
            assert fmt(cv.value, "cv", "zh") in page


def test_page_budgets(batch):
    out = batch.output_dir
    for c in COUNTIES:
        stem = _stem(batch, c)
        assert (out / f"{stem}.html").stat().st_size <= BUDGET["county"], c
        for p in (out / stem / "schools").glob("*.html"):
            assert p.stat().st_size <= BUDGET["school"], p.name
    assert (out / "city_overview.html").stat().st_size <= BUDGET["city"]


def test_every_link_resolves_to_a_file_in_the_output_folder(batch):
    out = batch.output_dir.resolve()
    bad = []
    for page in out.rglob("*.html"):
        for href in _parse(page).links:
            if href.startswith(("#", "data:", "mailto:")):
                continue
            assert not href.startswith(("http:", "https:", "//")), f"{page.name} links outside: {href}"
            target = (page.parent / unquote(href.split("#")[0])).resolve()
            if not target.is_file() or out not in target.parents:
                bad.append(f"{page.relative_to(out)} → {href}")
    assert not bad, bad[:20]


def test_tricky_school_names_are_escaped_everywhere(batch):
    out = batch.output_dir
    raw = TRICKY
    escaped = raw.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for c in COUNTIES:
        stem = _stem(batch, c)
        county_page = (out / f"{stem}.html").read_text(encoding="utf-8")
        assert raw not in county_page, f"{c}: an unescaped name in the county page"
        school_pages = list((out / stem / "schools").glob("*.html"))
        tricky = [p for p in school_pages if _parse(p).title and raw in _parse(p).title]
        assert tricky, f"{c}: the renamed school's page (its <title> holds the name, decoded)"
        text = tricky[0].read_text(encoding="utf-8")
        assert raw not in text and escaped.split("&amp;")[0] in text
        assert re.search(r"<title>[^<]*&lt;小学&gt;[^<]*</title>", text), "escaped in <title>"


def test_pages_are_labelled_simulated_and_hold_no_code(batch):
    out = batch.output_dir
    for c in COUNTIES:
        html = (out / f"{_stem(batch, c)}.html").read_text(encoding="utf-8")
        assert "模拟数据" in html
        assert "import " not in html and "load_or_compute(" not in html
        assert not re.search(r"<script[^>]+src=", html)
        assert "@font-face" in html
