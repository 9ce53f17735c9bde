"""The inspection items as data (lyganalysis.inspection)."""

from __future__ import annotations

import pytest

from lyganalysis.analysis.readiness import FIGURES
from lyganalysis.inspection import BLOCKS, INSPECTION_ITEMS, INSPECTION_UNITS, NON_INSPECTION_UNITS, items_of_block
from lyganalysis.standards import GOVERNMENT_GUARANTEE, QUALITY_CV_LIMITS, ROTATION_TARGETS


def test_31_counted_items_in_three_blocks_plus_recognition_and_veto():
    counted = [it for it in INSPECTION_ITEMS.values() if it.counted]
    assert len(counted) == 31
    assert [len([i for i in counted if i.block == b]) for b in ("resources", "guarantee", "quality")] == [7, 15, 9]
    assert [i.key for i in items_of_block("recognition")] == ["S1"]
    assert [i.key for i in items_of_block("veto")] == ["V1", "V2", "V3", "V4", "V5", "V6"]
    assert set(it.block for it in INSPECTION_ITEMS.values()) == set(BLOCKS)
    with pytest.raises(ValueError, match="unknown block"):
        items_of_block("nope")


def test_numbers_run_1_to_n_within_each_block():
    for b in BLOCKS:
        nums = [it.number for it in items_of_block(b)]
        assert nums == list(range(1, len(nums) + 1)), b


def test_kinds_and_checks_agree():
    for it in INSPECTION_ITEMS.values():
        if it.kind in ("evidence", "rating"):
            assert not it.checks and it.declared is None, it.key
        elif it.kind == "veto":
            assert it.declared and not it.checks, it.key
        else:
            assert it.checks, it.key
        assert it.certainty in ("P", "S", "U") and it.document and it.clause


def test_every_input_and_shown_figure_is_documented():
    for it in INSPECTION_ITEMS.values():
        for k in it.inputs + it.shown:
            assert k in FIGURES, (it.key, k)
            meaning, unit, source = FIGURES[k]
            assert meaning and unit and source


def test_thresholds_match_the_standards_module_and_the_provincial_values():
    """National vs Jiangsu/city values named in the issue: rotation 10/15 %, quotas 50/70 %, migrant
    85/90 %, retention 95/99 %, disabled enrolment 95/98 %."""
    def chk(key, fig):
        return next(c for c in INSPECTION_ITEMS[key].checks if c.figure == fig)

    pairs = {("G11", "rotation_rate"): (0.10, 0.15), ("G14", "quota_allocation_share"): (0.50, 0.70),
             ("G15", "migrant_public_place_rate"): (0.85, 0.90), ("Q1", "junior_retention_rate"): (0.95, 0.99),
             ("Q2", "disabled_enrolment_rate"): (0.95, 0.98)}
    for (key, fig), (nat, js) in pairs.items():
        c = chk(key, fig)
        assert c.threshold("national") == nat and c.threshold("jiangsu") == js, key
    assert chk("G11", "rotation_rate").national == ROTATION_TARGETS["national"].value
    assert chk("G11", "rotation_rate").threshold("jiangsu") == ROTATION_TARGETS["jiangsu_teachers"].value
    assert chk("G7", "special_school_funding_per_pupil_yuan").national == GOVERNMENT_GUARANTEE["special_school_funding"].value
    assert chk("G13", "zoned_admission_junior_rate").national == GOVERNMENT_GUARANTEE["zoned_admission_junior"].value
    assert chk("Q9", "monitoring_max_difference_rate").op == "lt"
    assert chk("Q9", "monitoring_max_difference_rate").national == GOVERNMENT_GUARANTEE["monitoring_difference_rate"].value
    for i in range(1, 8):
        assert chk(f"R{i}", f"cv_L{i}_primary").national == QUALITY_CV_LIMITS["primary"].value
        assert chk(f"R{i}", f"cv_L{i}_junior").national == QUALITY_CV_LIMITS["junior"].value
    with pytest.raises(ValueError, match="unknown threshold profile"):
        chk("G11", "rotation_rate").threshold("shanghai")


def test_lt_is_strict():
    c = next(c for c in INSPECTION_ITEMS["Q9"].checks if c.op == "lt")
    assert c.passes(0.1499) and not c.passes(0.15)


def test_units_partition():
    assert len(INSPECTION_UNITS) == 6 and len(NON_INSPECTION_UNITS) == 4
    assert not set(INSPECTION_UNITS) & set(NON_INSPECTION_UNITS)


def test_every_item_says_which_input_decides_it():
    from lyganalysis.inspection import DECIDED_BY

    assert set(DECIDED_BY) == set(INSPECTION_ITEMS)
    for it in INSPECTION_ITEMS.values():
        assert (it.decided_by == "evidence") == (it.kind in ("evidence", "rating")), it.key
        if it.decided_by in ("form", "survey", "county_facts"):
            for k in it.inputs:
                assert FIGURES[k][2].split(":")[0].strip() in ("form", "survey", "county_facts"), (it.key, k)
