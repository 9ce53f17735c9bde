"""Metric functions: DataFrame in, numbers/frames out, full precision, sources in the docstrings.

Modules: :mod:`.descriptive` (weighted mean/SD), :mod:`.balance` (差异系数 and 优质均衡 indicators),
:mod:`.staffing` (生师比, 编制, 缺编), :mod:`.academic` (三率一分, ICC), :mod:`.equity` (group gaps),
:mod:`.inequality` (基尼系数, 泰尔指数 with between/within decomposition, McLoone, range ratio).
"""

from lyganalysis.metrics.academic import (
    ICCResult,
    intraclass_correlation,
    ratio_composite,
    score_distribution,
    standard_scores,
    three_rates_one_score,
)
from lyganalysis.metrics.balance import (
    QualityBalanceAssessment,
    coefficient_of_variation,
    quality_balance_assessment,
    quality_balance_indicators,
    school_compliance,
    school_sections,
)
from lyganalysis.metrics.descriptive import weighted_mean, weighted_sd
from lyganalysis.metrics.early_warning import early_warning
from lyganalysis.metrics.equity import group_gap, urban_rural_gap
from lyganalysis.metrics.inequality import (
    TheilDecomposition,
    gini_coefficient,
    mcloone_index,
    range_ratio,
    theil_index,
)
from lyganalysis.metrics.staffing import (
    TeacherShortfall,
    student_teacher_ratio,
    teacher_need,
    teacher_shortfall,
)
from lyganalysis.metrics.value_added import ValueAddedResult, value_added

__all__ = [
    "ICCResult", "intraclass_correlation", "three_rates_one_score",
    "QualityBalanceAssessment", "coefficient_of_variation", "quality_balance_assessment",
    "quality_balance_indicators", "school_compliance", "school_sections",
    "weighted_mean", "weighted_sd", "group_gap", "urban_rural_gap",
    "TeacherShortfall", "student_teacher_ratio", "teacher_need", "teacher_shortfall",
    "ratio_composite", "score_distribution", "standard_scores", "early_warning", "ValueAddedResult", "value_added",
    "TheilDecomposition", "gini_coefficient", "mcloone_index", "range_ratio", "theil_index",
]
