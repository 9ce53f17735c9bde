"""Fixtures shared by the whole test session.

The demo data set and the all-county analyses of each topic are the expensive inputs of many modules; they are
built once per session here, so a module asks for ``demo`` or ``all_counties("equity")`` instead of rebuilding
them. Tests must not modify what these return (the tables are copy-on-write, results are frozen dataclasses —
assign to a copy when a test needs changed data).
"""

from pathlib import Path

import pytest

from lyganalysis.datasets import load_dataset

CASES = Path(__file__).parent / "cases"


@pytest.fixture
def cases_dir() -> Path:
    return CASES


@pytest.fixture(scope="session")
def demo():
    """The ``lianyungang_demo`` Dataset (generated once per process by :func:`load_dataset`)."""
    return load_dataset("lianyungang_demo")


@pytest.fixture(scope="session")
def demo_generated():
    """``synthetic.make_demo_data(seed=2022)``: the generator's tables without the inspection inputs."""
    from lyganalysis.datasets import synthetic

    return synthetic.make_demo_data(seed=2022)


@pytest.fixture(scope="session")
def caschools_ds():
    """The CASchools Dataset (real public data, school year 1999)."""
    return load_dataset("caschools")


@pytest.fixture(scope="session")
def all_counties(demo, caschools_ds):
    """``all_counties(topic, dataset="lianyungang_demo", school_year=None)``: the topic's analysis of every
    county in one grouped pass (``analysis.topic(topic).analyse(ds, county=None, ...)``, default Settings),
    computed once per session. ``school_year`` defaults to the dataset's latest year."""
    from lyganalysis.analysis import topic

    datasets = {"lianyungang_demo": demo, "caschools": caschools_ds}
    done: dict[tuple[str, str, int], dict] = {}

    def get(name: str, dataset: str = "lianyungang_demo", school_year: int | None = None) -> dict:
        ds = datasets[dataset]
        year = max(ds.school_years()) if school_year is None else school_year
        key = (name, dataset, year)
        if key not in done:
            done[key] = topic(name).analyse(ds, county=None, school_year=year)
        return done[key]

    return get
