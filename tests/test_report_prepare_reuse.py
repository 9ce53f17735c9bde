"""Incremental runs: the batch's parent pass (lyganalysis.report.prepare.prepare) is reused as a whole when its
key is unchanged and every file it wrote is still there; otherwise it computes and writes again."""

from __future__ import annotations

import pytest

from lyganalysis.datasets import load_dataset
from lyganalysis.report import prepare as P


@pytest.fixture(scope="module")
def cas():
    return load_dataset("caschools")


@pytest.fixture()
def counted(monkeypatch):
    calls = []
    real = P.compute_all

    def compute_all(*args, **kw):
        calls.append(kw.get("counties"))
        return real(*args, **kw)

    monkeypatch.setattr(P, "compute_all", compute_all)
    return calls


def _run(ds, tmp_path, key, **kw):
    return P.prepare(ds, school_year=1999, stems={"Alameda": "alameda"}, output_dir=tmp_path / "out",
                     language="en", cache_dir=tmp_path / "cache", key=key, **kw)


def test_same_key_reuses_the_pass_and_a_change_or_a_missing_file_computes_again(cas, tmp_path, counted):
    record = tmp_path / "cache" / "prepare.json"
    first = _run(cas, tmp_path, "k1")
    assert len(counted) == 1 and record.is_file()
    pages = dict(first["Alameda"].school_pages)
    assert pages

    again = _run(cas, tmp_path, "k1")
    assert len(counted) == 1  # nothing computed
    a = again["Alameda"]
    assert dict(a.school_pages) == pages and a.source_json == first["Alameda"].source_json
    assert a.results.county == "Alameda" and a.results.school_year == 1999
    assert P.store_hash(a.results_dir) == P.store_hash(first["Alameda"].results_dir)

    # another key (data, code or settings changed), --force, or a file the pass wrote is gone: no reuse
    stems = {"Alameda": "alameda"}
    out = tmp_path / "out"
    assert P._recorded(record, "k2", stems, out, True, True) is None
    assert P._recorded(record, "k1", {"Alameda": "other"}, out, True, True) is None
    assert P._recorded(record, "k1", stems, out, False, True) is None
    assert P._recorded(record, "k1", stems, out, True, True) is not None
    _run(cas, tmp_path, "k1", reuse=False)
    assert len(counted) == 2
    page = next(iter(pages.values()))
    page.unlink()
    assert P._recorded(record, "k1", stems, out, True, True) is None
    _run(cas, tmp_path, "k1")
    assert len(counted) == 3 and page.is_file()
    P.batch_font_path(tmp_path / "cache").unlink()
    assert P._recorded(record, "k1", stems, out, True, True) is None


def test_no_key_records_nothing(cas, tmp_path, monkeypatch):
    monkeypatch.setattr(P, "_write_batch_font", lambda cache, *a: P.batch_font_path(cache))  # not under test
    _run(cas, tmp_path, None, school_pages=False, exports=False)
    assert not (tmp_path / "cache" / "prepare.json").exists()
