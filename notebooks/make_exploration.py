"""Write the exploration notebooks (thin, output-free, typed parameters, Chinese and English text).

Run ``python notebooks/make_exploration.py`` after editing a cell here; the notebooks are committed without
outputs, and the test suite runs each of them top to bottom through the project's kernel.
"""

from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).parent


def md(text):
    return nbf.v4.new_markdown_cell(text.strip())


def code(text, tags=None):
    c = nbf.v4.new_code_cell(text.strip())
    if tags:
        c.metadata["tags"] = tags
    return c


def params(text):
    return code(text, ["parameters"])


NOTEBOOKS = {
    "01_quick_start.ipynb": [
        md("""# 快速入门 / Quick start

加载模拟数据，一行代码计算一个指标，画一张图，再看一个县区的全部结果对象。
Load the demo, compute a metric on a DataFrame in one line, draw a chart, and explore one county's result
objects — every table of the county report is a DataFrame you can call `.to_frame()` on."""),
        params("""county: str = "赣榆区"
school_year: int = 2022"""),
        code("""import matplotlib.pyplot as plt

from lyganalysis import plots
from lyganalysis.analysis import analyse_county
from lyganalysis.datasets import load_dataset
from lyganalysis.metrics.balance import coefficient_of_variation, quality_balance_indicators, school_sections

plots.setup_fonts()
ds = load_dataset("lianyungang_demo")
schools = ds.schools.query("county == @county and school_year == @school_year")
schools[["school_id", "school_name", "school_type", "locale", "students_primary", "students_junior"]].head()"""),
        md("""## 一行一个指标 / One metric in one line
生均体育运动场馆面积（L5）的校际差异系数，按在校生数加权（官方方法）。
The between-school coefficient of variation (差异系数) of sports area per pupil, enrolment-weighted."""),
        code("""sections = quality_balance_indicators(school_sections(schools))
primary = sections.query("stage == 'primary' and students > 0")
coefficient_of_variation(primary, value="L5", weight="students")"""),
        code("""fig, ax = plt.subplots(figsize=(6, 3.5))
cvs = [{"indicator": k, "cv": coefficient_of_variation(primary, value=k, weight="students")}
       for k in ["L1", "L2", "L3", "L4", "L5", "L6", "L7"]]
import pandas as pd
plots.bar_against_limit(pd.DataFrame(cvs), value="cv", label="indicator", limit=0.50, ax=ax,
                        title=f"{county} 小学差异系数 / primary CV")
plt.show()"""),
        md("""## 结果对象 / The result objects
`analyse_county` computes every topic of the county report once; the page, its metrics JSON, the index
and the city overview all read these objects."""),
        code("""results = analyse_county(ds, county=county, school_year=school_year)
results.resources.verdict.to_frame()"""),
        code("""results.to_frame().head(15)  # the key figures, selected by key by the headline and the index"""),
        code("""{name: frame.shape for name, frame in results.resources.tables().items()}"""),
        code("""results.academic.to_frame().head()"""),
    ],
    "02_own_files.ipynb": [
        md("""# 使用自有数据 / Your own files

教育局导出的 Excel/CSV 通常带合并表头、合计行、全角数字和单位。这里先把一个县区的模拟数据写成这样的“脏”导出文件，
再像处理真实文件一样检查、读取和计算。With real exports, point `folder` at your own folder.
(For real data set your own secret salt: it turns ID numbers into keys that cannot be reversed.)"""),
        params("""county: str = "连云区"
school_year: int = 2022
folder: str = ""  # a folder of bureau exports; empty: write the demo's exports of `county` into a temporary folder
salt: str = ""  # the secret salt for ID numbers (empty: the demo exports carry the public demo salt)"""),
        code("""import tempfile
from pathlib import Path

from lyganalysis.analysis import analyse_county
from lyganalysis.datasets import load_dataset
from lyganalysis.datasets.raw_export import write_raw_exports
from lyganalysis.intake import read_dataset, validate_directory

if not folder:
    folder = str(Path(tempfile.mkdtemp()) / "exports")
    write_raw_exports(load_dataset("lianyungang_demo").for_county(county), folder)
sorted(p.name for p in Path(folder).iterdir())"""),
        md("""## 检查 / Validate
每个文件读取、保留、拒绝的行数；每个问题写明文件、工作表、行、列和处理办法。"""),
        code("""report = validate_directory(folder, salt=salt or None)
print(report.render())"""),
        code("""ds = read_dataset(folder, salt=salt or None)
{name: len(frame) for name, frame in ds.tables().items()}"""),
        code("""results = analyse_county(ds, county=county, school_year=school_year)
results.resources.verdict.to_frame()"""),
    ],
    "03_quality_balance.ipynb": [
        md("""# 优质均衡 / High-quality balanced development, step by step

加权与不加权差异系数、一贯制学校按 1 : 1.1 : 1.32 拆分、校际达标规则，以及同时满足两个条件的资源配置结论。
Weighted vs unweighted CV, the split of combined schools, the school rule, and the resource verdict that
needs both conditions."""),
        params("""county: str = "赣榆区"
school_year: int = 2022"""),
        code("""import pandas as pd

from lyganalysis.analysis import analyse_county
from lyganalysis.datasets import load_dataset
from lyganalysis.metrics.balance import (coefficient_of_variation, quality_balance_indicators, school_compliance,
                                         school_sections)

ds = load_dataset("lianyungang_demo")
schools = ds.schools.query("county == @county and school_year == @school_year")"""),
        md("""## 一贯制学校的拆分 / Splitting combined schools
九年一贯制学校的场地、设备按小学 : 初中 = 1 : 1.1 的学生权重分给两个学段。"""),
        code("""sections = school_sections(schools)
combined = sections[sections["school_type"].isin(["nine_year", "twelve_year", "complete_middle"])]
combined[["school_id", "stage", "students", "teaching_area_m2", "sports_area_m2"]].head(6)"""),
        md("""## 加权与不加权 / Weighted and unweighted
官方方法按在校生数加权、以全县总量为均值（总体标准差）；不加权的结果可能改变结论。"""),
        code("""ind = quality_balance_indicators(sections)
rows = []
for stage, g in ind[ind["students"] > 0].groupby("stage"):
    for k in ["L1", "L2", "L3", "L4", "L5", "L6", "L7"]:
        rows.append({"stage": stage, "indicator": k,
                     "weighted": coefficient_of_variation(g, value=k, weight="students"),
                     "unweighted": coefficient_of_variation(g, value=k, weight=None)})
pd.DataFrame(rows)"""),
        md("""## 校际达标与结论 / The school rule and the verdict"""),
        code("""compliance = school_compliance(ind)
compliance.groupby("stage")["compliant"].mean()"""),
        code("""results = analyse_county(ds, county=county, school_year=school_year)
verdict = results.resources.verdict
verdict.verdict, verdict.school_rule, verdict.cv_verdict"""),
        code("""verdict.to_frame()"""),
        code("""results.resources.schools_in_need.head(10)"""),
    ],
    "04_value_added.ipynb": [
        md("""# 增值评价 / Value-added

随机截距模型：本次成绩对上年成绩回归，学校效应经收缩（经验贝叶斯），并给出区间；与 statsmodels 在同一数据上的结果比较。
A random-intercept model of this year's score on prior attainment with shrunken school effects and intervals,
compared with statsmodels' MixedLM on the same data."""),
        params("""county: str = "赣榆区"
school_year: int = 2022
grade: int = 9
subject: str = "math\""""),
        code("""import statsmodels.formula.api as smf

from lyganalysis.datasets import load_dataset
from lyganalysis.metrics.value_added import value_added

ds = load_dataset("lianyungang_demo").for_county(county)
scores = ds.scores.query("school_year == @school_year and grade == @grade and subject == @subject")
exam = sorted(scores["exam"].unique())[-1]
data = scores[(scores["exam"] == exam) & ~scores["absent"] & scores["prior_score"].notna()]
len(data), data["school_id"].nunique()"""),
        code("""va = value_added(data, value="score", prior="prior_score", cluster="school_id")
va.to_frame().head(10)"""),
        md("""## 收缩 / Shrinkage
小学校的原始平均残差被拉向 0：学生越少，收缩越多。"""),
        code("""t = va.to_frame()
t[[c for c in t.columns if c in ("school_id", "n", "effect", "raw_effect", "mean_residual", "effect_lower", "effect_upper")]].sort_values(t.columns[1]).head(10)"""),
        code("""fit = smf.mixedlm("score ~ prior_score", data, groups=data["school_id"]).fit(reml=True)
{"statsmodels_intercept": fit.fe_params["Intercept"], "statsmodels_slope": fit.fe_params["prior_score"],
 "statsmodels_tau00": float(fit.cov_re.iloc[0, 0]), "statsmodels_sigma2": fit.scale}"""),
        code("""va.summary_frame()  # the fitted model: fixed effects, variance components, likelihood"""),
    ],
    "05_staffing_rotation.ipynb": [
        md("""# 教师队伍与交流轮岗 / Staffing and rotation

生师比与编制标准、年龄结构、退休预测，以及交流轮岗：符合条件的教师池、轮岗比例与 15% 目标。
Student–teacher ratios against the staffing standard, age structure, retirements ahead, and rotation."""),
        params("""county: str = "东海县"
school_year: int = 2022"""),
        code("""from lyganalysis.analysis import analyse_county
from lyganalysis.datasets import load_dataset
from lyganalysis.metrics.staffing import retirements, rotation

ds = load_dataset("lianyungang_demo")
results = analyse_county(ds, county=county, school_year=school_year)
results.staffing.to_frame()"""),
        code("""{name: frame.shape for name, frame in results.staffing.tables().items()}"""),
        code("""teachers = ds.for_county(county).teachers
rot = rotation(teachers, school_year=school_year, by="stage")
rot.to_frame()"""),
        code("""ret = retirements(teachers, school_year=school_year, horizon=(5, 10), by="stage")
ret.to_frame()"""),
    ],
}


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        nb = nbf.v4.new_notebook()
        nb.cells = cells
        nb.metadata["kernelspec"] = {"name": "lyganalysis", "display_name": "Python (lyganalysis)",
                                     "language": "python"}
        nb.metadata["language_info"] = {"name": "python"}
        nbf.write(nb, HERE / name)
        print(HERE / name)


if __name__ == "__main__":
    main()
