"""The first screen's ranking rule: findings ordered by how far each figure lies beyond its limit, relative to
the limit; the action list ordered by how far each school is from passing the school rule."""

import pytest

from lyganalysis.analysis import analyse_county
from lyganalysis.analysis.findings import N_TOP, actions, findings, severity
from lyganalysis.datasets import load_dataset


def test_severity_hand_worked():
    assert severity(0.58, 0.50, "max") == pytest.approx(0.16)        # a CV of 0.58 against 0.50
    assert severity(0.465, 1.0, "min") == pytest.approx(0.535)       # 46.5 % of sections where all must comply
    assert severity(0.12, 0.15, "min") == pytest.approx(0.2)         # rotation 12 % against 15 %
    assert severity(0.40, 0.50, "max") == 0 and severity(0.9, 0.85, "min") == 0  # standards met: no finding
    with pytest.raises(ValueError):
        severity(1, 1, "between")
    with pytest.raises(ValueError):
        severity(1, 0, "max")


@pytest.fixture(scope="module")
def results():
    return analyse_county(load_dataset("lianyungang_demo"), county="灌云县", school_year=2022)


def test_findings_are_ranked_by_severity_and_capped(results):
    s = findings(results)
    sev = [f.severity for f in s.all]
    assert sev == sorted(sev, reverse=True) and all(v > 0 for v in sev)
    assert list(s.top) == list(s.all[:N_TOP])
    # 灌云县 fails both conditions: its CV findings carry the CV and the limit they miss
    cv = [f for f in s.all if f.code == "cv_over_limit"]
    assert cv and all(f.value > f.limit and f.severity == pytest.approx((f.value - f.limit) / f.limit) for f in cv)
    assert s.to_frame()["severity"].is_monotonic_decreasing


def test_actions_are_the_schools_furthest_from_passing(results):
    a = actions(results)
    assert 0 < len(a.top) <= N_TOP and a.n_schools >= len(a.top)
    assert all(x.needs for x in a.top), "every listed school says what it needs"
