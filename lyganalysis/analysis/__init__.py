"""Analysis layer: functions of a Dataset (or of figures) that decide verdicts, codes only.

:mod:`lyganalysis.analysis.readiness` — readiness for the national 优质均衡 inspection.
"""
