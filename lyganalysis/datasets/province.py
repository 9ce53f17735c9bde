"""A simulated province (模拟数据): about 100 counties, ten times the demo city's schools and
teachers, for measuring the batch beyond ten counties (``lyganalysis demo-data --scale province``).

How it is built
---------------
The same generator as the demo (:mod:`lyganalysis.datasets.synthetic`), run with a longer county
list and ten times the city-wide targets, so every school is drawn exactly as a demo school is
(same sizes by type and locale, same class targets, the same teacher ratios, ages, titles and
rotation, the same resource and score models):

* Counties: the nine territorial units of the demo (districts, rural counties and functional
  zones; the city-run 市直 group is left out because a province has no single one) are the
  *templates*.  County ``i`` (0-based) follows template ``i mod 9``: the same school-type counts
  and locale mix, with its resource level, dispersion, score shift, rotation rate and
  kindergarten / placement rates jittered (±5 % levels, ±0.05 sd score shift) so that counties
  differ; a county with teaching points has at least three primary schools (one of them must be
  a public central school).  Names are ``<city>市<template name>`` for 12 simulated cities (甲市 … ), codes
  ``3299xx`` (placeholders, not GB/T 2260 codes).
* Scale: each county's school counts are the template's times ``f`` (stochastically rounded),
  with ``f`` chosen so that the province has ten times the demo's schools; enrolment targets are
  ten times the city's, shared in proportion to the counties' schools, so schools have the demo's
  sizes, and teachers follow from the same ratios (hence ≈ ten times the demo's teachers).
* Scores: a full province would hold ≈ 6 M score rows (ten times the demo's ≈ 0.6 M).  Each
  school's exam cohort is drawn at ``score_fraction`` (default 1/3) of its size, with the
  school's classes kept, which is a stratified random sample of students within every class of
  every school: ≈ 2 M rows.  Per-school and per-county means and spreads are unbiased; counts of
  *students in the score table* are sample counts, not enrolment (enrolment is in ``schools``).

The generator's module-level county list and targets are swapped in for the duration of the call
(the demo itself is unchanged; not thread-safe).
"""

from __future__ import annotations

import contextlib
import dataclasses
import warnings

import numpy as np

from lyganalysis.datasets import Dataset

__all__ = ["make_province_data", "province_counties", "PROVINCE_NAME", "CITY_PREFIXES"]

PROVINCE_NAME = "lianyungang_province"
CITY_PREFIXES = ("甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸", "子", "丑")


def province_counties(n_counties: int = 100, *, seed: int = 2022, school_factor: float | None = None):
    """The ``CountySpec`` list of the simulated province and the enrolment shares of its counties.

    Returns
    -------
    tuple of CountySpec
        ``n_counties`` counties built from the demo's nine territorial units (see the module
        docstring), school counts scaled by ``school_factor`` (default: ten times the demo's
        schools in total).
    """
    from lyganalysis.datasets import synthetic as syn

    if not 1 <= n_counties <= 100:
        raise ValueError(f"n_counties must be between 1 and 100 (county codes 329900–329999), got {n_counties}")
    templates = [c for c in syn.COUNTIES if c.name != "市直"]
    demo_schools = sum(sum(c.n.values()) for c in syn.COUNTIES)
    chosen = [templates[i % len(templates)] for i in range(n_counties)]
    if school_factor is None:
        school_factor = 10 * demo_schools / sum(sum(c.n.values()) for c in chosen)
    rng = np.random.default_rng([seed, 14])
    specs = []
    for i, c in enumerate(chosen):
        city = CITY_PREFIXES[(i // len(templates)) % len(CITY_PREFIXES)]
        n = {k: int(np.floor(v * school_factor + rng.random())) for k, v in c.n.items()}
        if n["teaching_point"]:  # teaching points need a public central school in their county
            n["primary"] = max(n["primary"], 3)
        jitter = lambda v, s=0.05: float(v * rng.uniform(1 - s, 1 + s))  # noqa: E731
        specs.append(dataclasses.replace(
            c, name=f"{city}市{c.name}", code=f"3299{i:02d}", n=n,
            res_level=jitter(c.res_level), res_sigma=jitter(c.res_sigma, 0.1),
            score_shift=float(c.score_shift + rng.normal(0, 0.05)),
            rotation_rate=float(np.clip(c.rotation_rate * rng.uniform(0.8, 1.2), 0, 0.3)),
            disabled_placement_rate=float(np.clip(c.disabled_placement_rate + rng.normal(0, 0.005), 0.9, 1.0)),
            migrant_public_rate=float(np.clip(c.migrant_public_rate + rng.normal(0, 0.02), 0.5, 1.0)),
        ))
    # enrolment shares in proportion to each county's schools (so schools keep the demo's sizes)
    weights = np.array([sum(s.n.values()) for s in specs], float)
    tmpl_w = np.array([c.primary_share / max(sum(c.n.values()), 1) for c in chosen])
    share = weights * tmpl_w
    share = share / share.sum()
    jshare = weights * np.array([c.junior_share / max(sum(c.n.values()), 1) for c in chosen])
    jshare = jshare / jshare.sum()
    return tuple(dataclasses.replace(s, primary_share=float(p), junior_share=float(j))
                 for s, p, j in zip(specs, share, jshare))


@contextlib.contextmanager
def _generator_for(counties, calibration, score_fraction: float):
    from lyganalysis.datasets import synthetic as syn

    saved = syn.COUNTIES, syn.CALIBRATION, syn._scores_year
    original_scores = syn._scores_year

    def sampled_scores(rng, seed, sch, year, school_u, key_start):
        s = sch.copy()
        for col in ("students_primary", "students_junior"):
            s[col] = np.round(s[col].to_numpy(float) * score_fraction).astype(np.int64)
        return original_scores(rng, seed, s, year, school_u, key_start)

    syn.COUNTIES, syn.CALIBRATION = tuple(counties), dict(calibration)
    if score_fraction < 1:
        syn._scores_year = sampled_scores
    try:
        yield syn
    finally:
        syn.COUNTIES, syn.CALIBRATION, syn._scores_year = saved


def make_province_data(seed: int = 2022, *, n_counties: int = 100, score_fraction: float = 1 / 3,
                       scale: float = 10.0) -> Dataset:
    """Build the simulated province (deterministic for a given ``seed``).

    Parameters
    ----------
    seed : int
    n_counties : int, default 100
        Counties (1–100).  The province has ``scale`` times the demo's schools whatever their number.
    score_fraction : float, default 1/3
        Share of each class's students drawn into the score table (≈ 2 M rows at the defaults).
    scale : float, default 10
        Schools, enrolment and teachers relative to the demo city.

    Returns
    -------
    Dataset
        Named ``lianyungang_province``, ``simulated=True``, Chinese.

    Raises
    ------
    ValueError
        If ``n_counties`` is outside 1–100 or ``score_fraction`` outside (0, 1].
    """
    from lyganalysis.datasets import synthetic as syn

    if not 0 < score_fraction <= 1:
        raise ValueError(f"score_fraction must be in (0, 1], got {score_fraction}")
    demo_schools = sum(sum(c.n.values()) for c in syn.COUNTIES)
    territorial = [c for c in syn.COUNTIES if c.name != "市直"]
    chosen = [territorial[i % len(territorial)] for i in range(n_counties)]
    factor = scale * demo_schools / sum(sum(c.n.values()) for c in chosen)
    counties = province_counties(n_counties, seed=seed, school_factor=factor)
    calibration = dict(syn.CALIBRATION)
    for key in ("primary_students", "junior_students", "preschool_children"):
        calibration[key] = syn.CALIBRATION[key] * scale
    with _generator_for(counties, calibration, score_fraction) as gen, warnings.catch_warnings():
        # the demo's two "recognition target" districts have no namesake in the province
        warnings.filterwarnings("ignore", "All-NaN slice encountered", RuntimeWarning)
        ds = gen.make_demo_data(seed=seed)
    return dataclasses.replace(
        ds, name=PROVINCE_NAME,
        description=(f"模拟数据 (SIMULATED): a synthetic province of {n_counties} counties with {scale:g}× the "
                     f"demo city's schools and teachers, school years 2021 and 2022 (seed {seed}); exam scores "
                     f"are a {score_fraction:.0%} sample of the students of every class."))
