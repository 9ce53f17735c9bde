"""The 自评报告 skeleton (.docx): four blocks in the official order, every table filled."""

from __future__ import annotations

import math

import docx
import pandas as pd
import pytest
from forms_demo import demo_dataset, gy_inputs

from lyganalysis.analysis.readiness import readiness
from lyganalysis.cli import main
from lyganalysis.forms.cv_sheet import cv_sheet
from lyganalysis.forms.self_evaluation import (
    readiness_rows,
    resource_verdict,
    self_evaluation_document,
    write_self_evaluation,
)
from lyganalysis.forms.submission import FORM_FILES, county_forms
from lyganalysis.metrics.balance import school_compliance
from lyganalysis.standards import QUALITY_INDICATORS

BLOCK_HEADINGS = ["一、资源配置", "二、政府保障程度", "三、教育质量", "四、社会认可度"]
PLACEHOLDER = "【请填写："


def headings(doc):
    return [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]


def body_cells(doc):
    return [c.text for t in doc.tables for r in t.rows[1:] for c in r.cells]


@pytest.fixture(scope="module")
def gy_docx(tmp_path_factory):
    out = tmp_path_factory.mktemp("forms")
    return county_forms(demo_dataset(), "赣榆区", 2022, out)


def test_demo_county_docx_opens_with_the_blocks_in_order_and_tables_filled(gy_docx):
    assert set(gy_docx) == set(FORM_FILES) and all(p.exists() for p in gy_docx.values())
    doc = docx.Document(gy_docx["self_evaluation"])  # python-docx reads it back
    assert round(doc.sections[0].page_width.mm) == 210 and round(doc.sections[0].page_height.mm) == 297  # A4
    h = headings(doc)
    assert [x for x in h if x in BLOCK_HEADINGS] == BLOCK_HEADINGS
    assert h.index("五、一票否决项") > h.index("四、社会认可度")
    # 1 verdict + 2 CV tables (primary, junior) + compliance + guarantee + quality + satisfaction + S1 + veto
    assert len(doc.tables) == 9
    cells = body_cells(doc)
    assert cells and all(c.strip() for c in cells)
    # no body cell is empty; the only cells without a figure are the clerk's (evidence) placeholders
    assert all(c.startswith(PLACEHOLDER) for c in cells if "请填写" in c)
    assert any(p.text.startswith(PLACEHOLDER) for p in doc.paragraphs)  # narrative left for the clerk
    g = doc.tables[4]
    assert [c.text for c in g.rows[0].cells] == ["序号", "评估内容", "标准要求", "本县区数据", "达成情况"]
    assert len(g.rows) == 1 + 15 and len(doc.tables[5].rows) == 1 + 9
    assert [r.cells[0].text for r in g.rows[1:]] == [str(i) for i in range(1, 16)]
    for t in doc.tables[4:6] + doc.tables[7:9]:  # readiness tables: a figure, a declaration or a placeholder
        for r in t.rows[1:]:
            fig = r.cells[3].text
            assert any(ch.isdigit() for ch in fig) or fig.startswith(PLACEHOLDER) or fig in ("是", "否"), fig
    # resource tables: real figures, not only dashes (the verdict's last row states the two conditions)
    rows = list(doc.tables[0].rows[1:3]) + [r for t in doc.tables[1:4] for r in t.rows[1:]]
    assert all(any(ch.isdigit() for c in r.cells for ch in c.text) for r in rows)


def test_demo_docx_figures_are_the_computed_ones(gy_docx):
    inp = gy_inputs()
    doc = docx.Document(gy_docx["self_evaluation"])
    verdict = doc.tables[0]
    n_bad = {st: int((~inp.compliance.loc[inp.compliance["stage"] == st, "compliant"].astype(bool)).sum())
             for st in ("primary", "junior")}
    assert f"未达标{n_bad['primary']}所" in verdict.rows[1].cells[1].text
    assert f"未达标{n_bad['junior']}所" in verdict.rows[1].cells[1].text
    assert verdict.rows[3].cells[2].text == ("达标" if inp.resource["verdict"] else "未达标")
    cv_primary = doc.tables[1]
    summ = inp.cv.summary.set_index(["stage", "indicator"])
    for row, k in zip(cv_primary.rows[1:8], QUALITY_INDICATORS):
        assert row.cells[0].text == k
        assert float(row.cells[4].text) == pytest.approx(summ.loc[("primary", k), "coefficient_of_variation"], abs=5e-5)
    assert float(cv_primary.rows[8].cells[4].text) == pytest.approx(inp.cv.composite_cv["primary"], abs=5e-5)
    sat = doc.tables[6]
    groups = [r.cells[0].text for r in sat.rows[1:]]
    assert groups[-1] == "总体" and set(groups[:-1]) == set(inp.satisfaction["group"]) - {"overall"}
    for r in sat.rows[1:]:
        assert "%" in r.cells[4].text and "–" in r.cells[5].text


def test_replacing_the_layout_file_changes_the_headings(tmp_path):
    inp = gy_inputs()
    lay = tmp_path / "province.yaml"
    lay.write_text(
        "title: \"{county}优质均衡自评\"\n"
        "sections:\n"
        "  - block: resources\n    heading: 第一部分 资源配置情况\n    tables:\n      - kind: resource_verdict\n"
        "  - block: guarantee\n    heading: 第二部分 政府保障\n    tables:\n      - kind: readiness_items\n"
        "  - block: quality\n    heading: 第三部分 质量\n"
        "  - block: recognition\n    heading: 第四部分 认可度\n    tables:\n      - kind: satisfaction\n",
        encoding="utf-8")
    path = write_self_evaluation(tmp_path / "r.docx", readiness=inp.readiness, resource=inp.resource,
                                 cv_summary=inp.cv.to_frame(), compliance=inp.compliance,
                                 satisfaction=inp.satisfaction, layout=lay)
    doc = docx.Document(path)
    assert headings(doc) == ["第一部分 资源配置情况", "第二部分 政府保障", "第三部分 质量", "第四部分 认可度"]
    assert doc.paragraphs[0].text == "赣榆区优质均衡自评"
    assert len(doc.tables) == 3
    bad = tmp_path / "bad.yaml"
    bad.write_text("sections:\n  - block: finance\n    heading: 经费\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown block 'finance'"):
        self_evaluation_document(readiness=inp.readiness, resource=inp.resource, cv_summary=inp.cv.to_frame(),
                                 compliance=inp.compliance, layout=bad)


def small_county():
    """Invented county: three primary sections, two meet every threshold, one lacks L2 and L7."""
    base = {"county": "测试县", "county_code": "000000", "locale": "urban", "school_type": "primary",
            "school_year": 2022, "stage": "primary"}
    ind = pd.DataFrame([{**base, "school_id": f"P{i}", "school_name": f"第{i}小学", "students": n,
                         "L1": 5.0, "L2": l2, "L3": 1.0, "L4": 5.0, "L5": 8.0, "L6": 2500.0, "L7": l7,
                         "above_required_qualification": 5.0 * n / 100, "backbone_teachers": l2 * n / 100,
                         "pe_arts_teachers": n / 100, "teaching_area_m2": 5.0 * n, "sports_area_m2": 8.0 * n,
                         "equipment_value_yuan": 2500.0 * n, "multimedia_classrooms": l7 * n / 100}
                        for i, (n, l2, l7) in enumerate([(100, 1.0, 3.0), (200, 1.5, 3.0), (100, 0.0, 2.0)], 1)])
    return ind


def test_hand_worked_small_county(tmp_path):
    ind = small_county()
    comp = school_compliance(ind)
    sheet = cv_sheet(ind)
    res = resource_verdict(comp, sheet.to_frame())
    # L2: P = 400, X = 1, 1.5, 0 with shares .25, .5, .25 → X̄ = 1.0; S² = .25·0 + .5·.25 + .25·1 = .375;
    # CV = √.375 = 0.6124 > 0.50 → fails; L7: X̄ = 2.75, S² = .25·.0625·3 … = 0.1875, CV = 0.157 → passes
    l2 = sheet.summary.set_index("indicator").loc["L2"]
    assert l2["coefficient_of_variation"] == pytest.approx(math.sqrt(0.375))
    assert res == {"primary": {"n_sections": 3, "n_not_compliant": 1, "cv_failing": ("L2",)},
                   "school_rule": False, "cv_verdict": False, "verdict": False}
    figs = {"county": "测试县", "school_year": 2022, "zoned_admission_primary_rate": 1.0,
            "zoned_admission_junior_rate": 0.934, "veto_exam_admission": False}
    ready = readiness(figs)
    rows = {r["number"]: r for r in readiness_rows(ready, "guarantee")}
    assert rows["13"]["figure"] == "小学就近划片入学比例：100.0%；初中就近划片入学比例：93.4%"
    assert rows["13"]["threshold"] == "小学就近划片入学比例 ≥ 100%；初中就近划片入学比例 ≥ 95%"
    assert rows["13"]["status"] == "未达标"
    assert rows["7"]["status"] == "缺少数据" and rows["7"]["figure"].count(PLACEHOLDER) == 1
    assert rows["1"]["status"] == "需提供佐证材料"
    veto = readiness_rows(ready, "veto")
    assert veto[0]["figure"] == "否" and veto[0]["status"] == "不存在（县区申报）"
    path = write_self_evaluation(tmp_path / "s.docx", readiness=ready, resource=res,
                                 cv_summary=sheet.to_frame(), compliance=comp, satisfaction=None)
    doc = docx.Document(path)
    assert [x for x in headings(doc) if x in BLOCK_HEADINGS] == BLOCK_HEADINGS
    assert len(doc.tables) == 8  # one CV table: the county has primary sections only
    cells = body_cells(doc)
    assert all(c.strip() for c in cells)
    verdict = doc.tables[0]
    assert verdict.rows[1].cells[1].text == "小学：参评3所，未达标1所"
    assert verdict.rows[2].cells[1].text == "小学：超过限值的指标1项（L2）"
    assert [verdict.rows[i].cells[2].text for i in (1, 2, 3)] == ["未达标"] * 3
    sat = doc.tables[5]  # no survey: the clerk's placeholder in every cell
    assert all(c.text.startswith(PLACEHOLDER) for c in sat.rows[1].cells)


def test_resource_mapping_errors_are_explained():
    ind = small_county()
    comp = school_compliance(ind)
    sheet = cv_sheet(ind)
    ready = readiness({"county": "测试县"})
    with pytest.raises(ValueError, match="lacks 'cv_failing'"):
        self_evaluation_document(readiness=ready, resource={"verdict": False, "school_rule": False,
                                                           "cv_verdict": True,
                                                           "primary": {"n_sections": 3, "n_not_compliant": 1}},
                                 cv_summary=sheet.to_frame(), compliance=comp)


def test_cli_writes_the_three_forms(tmp_path, capsys):
    for cmd, name in (("cv-sheet", "cv.xlsx"), ("school-indicators", "sf.xlsx"), ("self-evaluation", "se.docx")):
        rc = main(["form", cmd, "--county", "赣榆区", "--school-year", "2022", "--dataset", "lianyungang_demo",
                   "--out", str(tmp_path / name)])
        assert rc == 0 and (tmp_path / name).exists()
    assert "赣榆区 2022学年" in capsys.readouterr().out
    assert main(["form", "cv-sheet", "--county", "无此县", "--out", str(tmp_path / "x.xlsx")]) == 2
