"""Report text: one catalogue per language, with placeholders filled from :mod:`lyganalysis.standards`.

The catalogue of a language is every ``*.yaml`` file in ``lyganalysis/report/text/<language>/`` (one file per
topic, merged; a key defined twice is an error). Each entry is ``key: "text with {named} placeholders"``.
Placeholders are filled from the keyword arguments of :func:`t` and, for thresholds, from
:func:`standard_params` — so no threshold is ever typed into prose: the catalogue says
``{cv_limit_primary:.2f}`` and the value comes from ``standards.QUALITY_CV_LIMITS``.

A new language is one more folder with the same keys (a test checks that every language has every key).
"""

from __future__ import annotations

import string
from collections import ChainMap
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["LANGUAGES", "t", "has", "catalogue", "standard_params", "CatalogueError"]

LANGUAGES = ("zh", "en")
_DIR = Path(__file__).with_name("text")


class CatalogueError(KeyError):
    """An unknown text key or language, or a placeholder the call did not fill."""

    def __str__(self) -> str:  # KeyError quotes its argument; show the sentence as written
        return str(self.args[0])


@cache
def catalogue(language: str) -> dict[str, str]:
    """All text entries of ``language`` (merged from the topic files)."""
    if language not in LANGUAGES:
        raise CatalogueError(f"unknown report language {language!r}; use one of {LANGUAGES}")
    merged: dict[str, str] = {}
    for p in sorted((_DIR / language).glob("*.yaml")):
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise CatalogueError(f"{p}: a text catalogue file must be a mapping of key: text")
        for k, v in data.items():
            if k in merged:
                raise CatalogueError(f"{p}: text key {k!r} is defined twice in the {language} catalogue")
            merged[str(k)] = str(v)
    return merged


@lru_cache(maxsize=1)
def standard_params() -> dict[str, Any]:
    """Threshold values prose may name, keyed as the catalogue's placeholders use them.

    ``cv_limit_<stage>`` (2017 per-indicator CV limits), ``basic_cv_limit_<stage>`` (2012 composite limits),
    ``school_rule_min_met``, ``school_rule_n``, ``school_rule_floor`` (a proportion: format it with ``:.0%``),
    ``threshold_<L>_<stage>`` for each 优质均衡 indicator, ``staffing_standard_<stage>`` (students per staff,
    2014 standard); for resources ``class_size_limit_<quality|jiangsu>_<stage>``, ``guarantee_school_size``,
    ``guarantee_through_school_size``, ``guarantee_classes_per_music_art_room``, ``band_lower_<band>`` /
    ``band_upper_<band>`` (MoE class-size bands), ``monitoring_school_cut`` and ``monitoring_target``
    (proportions); ``monitoring_point_cut`` (share of the provincial monitoring points a school must meet,
    a proportion).
    """
    from lyganalysis import standards as S

    p: dict[str, Any] = {
        "school_rule_min_met": S.SCHOOL_RULE.min_met,
        "school_rule_n": S.SCHOOL_RULE.n_indicators,
        "school_rule_floor": S.SCHOOL_RULE.min_ratio_others,
        "teaching_point_min_students": S.SMALL_TEACHING_POINT_STUDENTS,
        "quality_balance_from_year": S.QUALITY_BALANCE_FROM_YEAR,
        "monitoring_point_cut": S.MONITORING_POINT_SCHOOL_SHARE_CUT.value,
    }
    for stage, std in S.QUALITY_CV_LIMITS.items():
        p[f"cv_limit_{stage}"] = std.value
    for stage, std in S.BASIC_BALANCE_COMPOSITE_LIMITS.items():
        p[f"basic_cv_limit_{stage}"] = std.value
    for key, ind in S.QUALITY_INDICATORS.items():
        for stage in ("primary", "junior"):
            p[f"threshold_{key}_{stage}"] = ind.threshold(stage)
    # resources: government-guarantee limits, class-size bands and the monitoring-point reading
    for key, std in S.CLASS_SIZE_LIMITS.items():
        p[f"class_size_limit_{key}"] = std.value
    for key in ("school_size", "through_school_size", "classes_per_music_art_room"):
        p[f"guarantee_{key}"] = S.GOVERNMENT_GUARANTEE[key].value
    for band in S.CLASS_SIZE_BANDS:
        p[f"band_lower_{band.key}"] = band.lower
        p[f"band_upper_{band.key}"] = band.upper if band.upper is not None else ""
    p["monitoring_school_cut"] = S.MONITORING_POINT_SCHOOL_SHARE_CUT.value
    p["monitoring_target"] = S.CITY_TARGETS_2022["monitoring_point_school_share"].value
    for stage in ("primary", "junior", "senior"):
        try:
            p[f"staffing_standard_{stage}"] = S.staffing_standard(stage, school_year=2022)
        except (KeyError, ValueError):
            pass
    return p


def has(key: str, language: str = "zh") -> bool:
    """Whether the catalogue of ``language`` has ``key``."""
    return key in catalogue(language)


def t(key: str, language: str = "zh", /, **params: Any) -> str:
    """The text of ``key`` in ``language`` with its placeholders filled.

    Raises
    ------
    CatalogueError
        Unknown language or key, or a placeholder neither ``params`` nor :func:`standard_params` fills.
    """
    cat = catalogue(language)
    try:
        text = cat[key]
    except KeyError:
        raise CatalogueError(f"no text {key!r} in the {language} report catalogue "
                             f"(lyganalysis/report/text/{language}/*.yaml)") from None
    values = ChainMap(params, standard_params())
    try:
        return string.Formatter().vformat(text, (), values)
    except KeyError as exc:
        raise CatalogueError(f"text {key!r} ({language}) needs the placeholder {exc.args[0]!r}, "
                             f"which the call did not give") from None
