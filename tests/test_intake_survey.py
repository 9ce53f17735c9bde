"""Survey intake from a 问卷星-style export: long table kept, IP and free text never stored."""

from __future__ import annotations

import pandas as pd
import pytest

from lyganalysis.datasets import load_dataset
from lyganalysis.datasets.inspection_demo import SURVEY_QUESTIONS, write_survey_export
from lyganalysis.intake_survey import SURVEY_COLUMNS, read_survey_export
from lyganalysis.metrics.survey import satisfaction

FREE_TEXT = ("希望增加课后服务时间", "建议改善食堂伙食", "老师很负责")


@pytest.fixture(scope="module")
def one_county():
    ds = load_dataset("lianyungang_demo")
    return ds.survey[ds.survey.county == "赣榆区"].reset_index(drop=True)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_round_trip_and_nothing_private_stored(one_county, tmp_path, suffix):
    path = write_survey_export(one_county, tmp_path / f"wjx{suffix}")
    raw = pd.read_excel(path, dtype=str) if suffix == ".xlsx" else pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    assert list(raw.columns[:5]) == ["序号", "提交答卷时间", "所用时间", "来源", "来自IP"]
    assert raw["来自IP"].str.contains(r"198\.51\.100\.").all()  # the export does carry addresses
    r = read_survey_export(path, county="赣榆区", school_year=2022)
    f = r.frame
    assert list(f.columns) == list(SURVEY_COLUMNS)
    assert r.rows_read == r.rows_kept + r.rows_rejected == one_county["respondent"].nunique()
    assert [p for p in r.problems if p.severity == "error"] == [] and r.answers_rejected == 0
    # IP addresses and free-text answers are absent from every stored value
    text = f.astype(str).to_numpy().ravel()
    assert not any("198.51.100." in v for v in text)
    assert not any(ft in v for v in text for ft in FREE_TEXT)
    assert "来自IP" in r.dropped_columns and any(c.startswith("11、") for c in r.dropped_columns)
    assert not any("意见和建议" in q for q in f["item"].unique())
    # same answers as the table that was written
    key = ["respondent", "item"]
    back = f.sort_values(key).reset_index(drop=True)
    orig = one_county.sort_values(key).reset_index(drop=True)
    pd.testing.assert_series_equal(back["answer"], orig["answer"], check_dtype=False)
    pd.testing.assert_series_equal(back["respondent_group"], orig["respondent_group"], check_dtype=False)
    pd.testing.assert_series_equal(back["place"], orig["place"], check_dtype=False)
    assert set(f["item"]) == set(SURVEY_QUESTIONS)
    assert satisfaction(f).overall_rate == pytest.approx(satisfaction(one_county).overall_rate)


def _export(tmp_path, rows):
    cols = ["序号", "提交答卷时间", "所用时间", "来源", "来自IP", "1、您的身份是：", "2、您所在的学校：",
            "3、您对学校满意吗？", "4、您对老师满意吗？", "5、其他意见："]
    p = tmp_path / "small.csv"
    pd.DataFrame(rows, columns=cols).to_csv(p, index=False, encoding="utf-8-sig")
    return p


def test_missing_group_and_unknown_answer_are_reported(tmp_path):
    rows = [[1, "t", "60秒", "微信", "203.0.113.5(江苏)", "家长", "一小", "非常满意", "比较满意", "很好"],
            [2, "t", "60秒", "微信", "203.0.113.6(江苏)", "", "一小", "一般", "一般", "无"],
            [3, "t", "60秒", "微信", "203.0.113.7(江苏)", "学生", "二小", "满意极了", "(跳过)", "(跳过)"],
            [4, "t", "60秒", "微信", "203.0.113.8(江苏)", "学生", "二小", "不太满意", "很不满意", "203.0.113.8"]]
    r = read_survey_export(_export(tmp_path, rows), county="灌南县", school_year=2022)
    assert (r.rows_read, r.rows_kept, r.rows_rejected) == (4, 3, 1)
    probs = {(p.row, p.column): p for p in r.problems if p.severity == "error"}
    assert "group missing" in probs[(3, "1、您的身份是：")].message
    assert "not an option" in probs[(4, "3、您对学校满意吗？")].message and r.answers_rejected == 1
    f = r.frame
    assert len(f) == 2 + 0 + 2  # respondent 1: 2 answers; 3: skipped + rejected; 4: 2 answers
    assert f["respondent"].tolist() == [1, 1, 3, 3]
    assert "5、其他意见：" in r.dropped_columns
    assert not f.astype(str).apply(lambda s: s.str.contains("203.0.113")).any().any()
    assert not any("203.0.113" in p.message for p in r.problems)


def test_errors(tmp_path):
    p = tmp_path / "x.csv"
    pd.DataFrame({"序号": [1], "来自IP": ["1.2.3.4"]}).to_csv(p, index=False)
    with pytest.raises(ValueError, match="no question columns"):
        read_survey_export(p)
    pd.DataFrame({"1、您对学校满意吗？": ["一般"]}).to_csv(p, index=False)
    with pytest.raises(ValueError, match="identity"):
        read_survey_export(p)
    with pytest.raises(FileNotFoundError):
        read_survey_export(tmp_path / "none.csv")


def test_gb18030_csv_is_read(tmp_path):
    cols = ["序号", "来自IP", "1、您的身份是：", "2、您对学校满意吗？"]
    p = tmp_path / "gbk.csv"
    pd.DataFrame([[1, "203.0.113.9", "教师", "比较满意"]], columns=cols).to_csv(p, index=False, encoding="gb18030")
    r = read_survey_export(p)
    assert r.frame[["respondent_group", "answer"]].values.tolist() == [["教师", "比较满意"]]
    assert r.frame["place"].isna().all() and "来自IP" in r.dropped_columns
