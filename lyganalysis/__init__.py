"""lyganalysis — education-balance analyses for Lianyungang (连云港) county reports.

Layers look only down: io → cleaning/schema → metrics → plots → report/cli.
"""

__version__ = "0.1.0"
