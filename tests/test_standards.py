"""Standards as data: each value with its official document, clause and certainty (references/standards.md)."""

import dataclasses

import pytest

from lyganalysis import standards as S


def test_seven_quality_indicators_thresholds_standards_md_section_1():
    expected = {"L1": (4.2, 5.3), "L2": (1.0, 1.0), "L3": (0.9, 0.9), "L4": (4.5, 5.8),
                "L5": (7.5, 10.2), "L6": (2000, 2500), "L7": (2.3, 2.4)}
    assert list(S.QUALITY_INDICATORS) == list(expected)
    for key, (p, j) in expected.items():
        ind = S.QUALITY_INDICATORS[key]
        assert (ind.primary, ind.junior) == (p, j)
        assert S.quality_threshold(key, "primary") == p and S.quality_threshold(key, "junior") == j
        assert ind.name_zh and ind.name_en and ind.unit and ind.certainty == "S"
        assert "教督〔2017〕6号" in ind.document
    assert {k for k, i in S.QUALITY_INDICATORS.items() if i.per_students == 100} == {"L1", "L2", "L3", "L7"}


def test_threshold_unknown_stage_or_key_raises():
    with pytest.raises(ValueError, match="primary"):
        S.QUALITY_INDICATORS["L1"].threshold("senior")
    with pytest.raises(ValueError, match="unknown indicator"):
        S.quality_threshold("L9", "primary")


def test_school_rule_and_cv_limits():
    assert (S.SCHOOL_RULE.min_met, S.SCHOOL_RULE.n_indicators, S.SCHOOL_RULE.min_ratio_others) == (6, 7, 0.85)
    assert S.QUALITY_CV_LIMITS["primary"].value == 0.50 and S.QUALITY_CV_LIMITS["junior"].value == 0.45
    assert S.BASIC_BALANCE_COMPOSITE_LIMITS["primary"].value == 0.65
    assert S.BASIC_BALANCE_COMPOSITE_LIMITS["junior"].value == 0.55
    assert len(S.BASIC_BALANCE_INDICATORS) == 8


@pytest.mark.parametrize("stage,year,locale,expected", [
    ("primary", 2022, None, 19.0), ("junior", 2014, "rural", 13.5), ("senior", 2020, None, 12.5),
    ("primary", 2013, "urban", 19.0), ("primary", 2013, "town", 21.0), ("primary", 2010, "rural", 23.0),
    ("junior", 2013, "urban", 13.5), ("junior", 2013, "town", 16.0), ("junior", 2013, "rural", 18.0),
    ("senior", 2013, "urban", 12.5), ("senior", 2013, "town", 13.0), ("senior", 2013, "rural", 13.5),
    ("preschool", 2022, None, 15.0),
])
def test_staffing_standard_2014_and_2001_tables(stage, year, locale, expected):
    assert S.staffing_standard(stage, school_year=year, locale=locale) == expected


def test_staffing_standard_errors():
    with pytest.raises(ValueError, match="locale"):
        S.staffing_standard("primary", school_year=2012)
    with pytest.raises(ValueError, match="unknown stage"):
        S.staffing_standard("college", school_year=2022)
    with pytest.raises(ValueError, match="unknown locale"):
        S.staffing_standard("primary", school_year=2012, locale="city")


@pytest.mark.parametrize("size,band", [(30, "normal"), (45, "normal"), (46, "moderately_large_class"),
                                       (55, "moderately_large_class"), (56, "large_class"), (65, "large_class"),
                                       (66, "super_large_class"), (90, "super_large_class")])
def test_class_size_bands(size, band):
    assert S.class_size_band(size) == band


def test_targets_values():
    assert S.ROTATION_TARGETS["jiangsu_teachers"].value == 0.15
    assert S.ROTATION_TARGETS["jiangsu_teachers"].certainty == "P"
    assert S.ROTATION_TARGETS["national"].value == 0.10
    assert S.ROTATION_TARGETS["national_backbone_share"].value == 0.20
    t = S.CITY_TARGETS_2022
    assert t["monitoring_point_school_share"].value == 0.70 and t["monitoring_point_school_share"].certainty == "U"
    assert t["quality_kindergarten_coverage_rate"].value == 0.90
    assert t["public_affordable_kindergarten_coverage_rate"].value == 0.85
    assert t["disabled_placement_rate"].value == 0.98
    assert t["disabled_regular_school_share"].value == 0.80
    assert t["rotation_rate"].value == 0.15
    assert t["new_teachers"].value == 1500
    assert S.KINDERGARTEN_CHILDREN_PER_TEACHER.value == 15
    assert dict(S.STUDENT_WEIGHTS) == {"primary": 1.0, "junior": 1.1, "senior": 1.32}
    assert t["rotation_rate"].meets(0.16) and not t["rotation_rate"].meets(0.14)
    assert S.CLASS_SIZE_LIMITS["quality_primary"].meets(45) and not S.CLASS_SIZE_LIMITS["quality_junior"].meets(51)


def test_every_standard_has_source_and_certainty_and_is_frozen():
    records = [*S.QUALITY_CV_LIMITS.values(), *S.BASIC_BALANCE_COMPOSITE_LIMITS.values(),
               *S.STAFFING_2014.values(), *S.STAFFING_2001.values(), S.KINDERGARTEN_CHILDREN_PER_TEACHER,
               *S.CLASS_SIZE_LIMITS.values(), *S.ROTATION_TARGETS.values(), *S.PRESCHOOL_TARGETS_2020.values(),
               *S.GOVERNMENT_GUARANTEE.values(), *S.CITY_TARGETS_2022.values(), S.MONITORING_POINT_SCHOOL_SHARE_CUT]
    for r in records:
        assert r.document and r.clause and r.certainty in ("P", "S", "U"), r
        assert r.direction in ("min", "max")
        assert r.document in r.citation
    with pytest.raises(dataclasses.FrozenInstanceError):
        S.QUALITY_INDICATORS["L1"].primary = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        S.QUALITY_INDICATORS["L8"] = None  # type: ignore[index]
