"""The results store writes parquet + JSON and loads the same objects back (no pickle)."""

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from lyganalysis.analysis import store
from lyganalysis.analysis.base import ResultMixin, not_computed
from lyganalysis.settings import DatasetProfile, Settings


@dataclass(frozen=True)
class _Inner(ResultMixin):
    table: pd.DataFrame
    label: str


@dataclass(frozen=True)
class _Outer(ResultMixin):
    inner: _Inner
    settings: Settings
    profile: DatasetProfile
    by_stage: dict
    years: tuple
    value: float
    missing: float
    notes: list


def _example():
    frame = pd.DataFrame({
        "school_id": pd.array(["0012", "0013", None], dtype="string"),
        "n": pd.array([1, None, 3], dtype="Int64"),
        "x": [0.1, np.nan, 2.5],
        "ok": pd.array([True, None, False], dtype="boolean"),
    })
    return _Outer(inner=_Inner(frame, "a"), settings=Settings(min_cell_size=7), profile=DatasetProfile(),
                  by_stage={"primary": 0.25, "junior": None}, years=(2021, 2022), value=1 / 3,
                  missing=float("nan"), notes=[not_computed("resources", "L4", "missing_column", column="x")])


def test_round_trip_keeps_classes_dtypes_and_values(tmp_path):
    obj = _example()
    store.save(obj, tmp_path / "s")
    back = store.load(tmp_path / "s", allowed_modules=("lyganalysis", __name__))
    assert type(back) is _Outer and type(back.inner) is _Inner
    pd.testing.assert_frame_equal(back.inner.table, obj.inner.table)
    assert back.settings == obj.settings and back.profile == obj.profile
    assert back.years == (2021, 2022) and back.value == 1 / 3 and math.isnan(back.missing)
    assert back.notes == obj.notes
    assert back.to_dict() == obj.to_dict()


def test_store_holds_no_pickle_and_refuses_foreign_classes(tmp_path):
    store.save(_example(), tmp_path / "s")
    names = sorted(p.suffix for p in (tmp_path / "s").iterdir())
    assert set(names) == {".json", ".parquet"}
    doc = json.loads((tmp_path / "s" / "result.json").read_text(encoding="utf-8"))
    doc["root"]["__class__"] = "os:system"  # a store must not make the loader import anything
    (tmp_path / "s" / "result.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(store.StoreError, match="not a lyganalysis class"):
        store.load(tmp_path / "s")


def test_missing_store_says_what_to_do(tmp_path):
    with pytest.raises(store.StoreError, match="run `lyganalysis report` again"):
        store.load(tmp_path / "nothing")


def test_unstorable_value_names_its_place(tmp_path):
    bad = _Inner(pd.DataFrame({"x": [1]}), label=object())
    with pytest.raises(store.StoreError, match="cannot store a value of type object"):
        store.save(bad, tmp_path / "s")
