"""Forms the county fills in (Excel), written and read back by the library.

:mod:`lyganalysis.forms.county_facts` — the county-facts form (县区优质均衡填报表): the county-level
figures of the 优质均衡 inspection that the school and teacher tables do not hold.
"""
