"""Forms the county fills in or submits, written (and, for the county-facts form, read back) by the library.

:mod:`lyganalysis.forms.county_facts` — the county-facts form (县区优质均衡填报表): the county-level
figures of the 优质均衡 inspection that the school and teacher tables do not hold.

The forms the county submits (layouts in ``lyganalysis/forms/layouts/*.yaml``, replaceable by a
bureau's own):

* :mod:`lyganalysis.forms.cv_sheet` — the 差异系数计算表 (every term of the CV per stage and indicator);
* :mod:`lyganalysis.forms.school_form` — the 学校指标表 (the seven indicators of every school section);
* :mod:`lyganalysis.forms.self_evaluation` — the 自评报告 skeleton (.docx, tables filled);
* :mod:`lyganalysis.forms.submission` — :func:`~lyganalysis.forms.submission.county_forms` writes all
  three for one county and school year from a dataset.
"""

# ``county_forms`` is resolved lazily by __getattr__ below (documented in :mod:`lyganalysis.forms.submission`);
# it is not in __all__, which documentation tools read as a list of attributes already present.
__all__: list[str] = []


def __getattr__(name: str):
    # lazy, so that reading the county-facts form does not import python-docx
    if name == "county_forms":
        from lyganalysis.forms.submission import county_forms

        return county_forms
    raise AttributeError(f"module 'lyganalysis.forms' has no attribute {name!r}")
