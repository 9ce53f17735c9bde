"""Read a questionnaire export (问卷星 layout) into the long survey table of 社会认可度.

The layout the common platforms write (问卷星 "按选项文本下载"): one row per respondent; the
columns 序号, 提交答卷时间, 所用时间, 来源, 来自IP (sometimes 来源详情, 总分), then one column per question
headed ``"1、…"``, ``"2、…"`` with the chosen option as text (``(跳过)`` for a skipped question).

:func:`read_survey_export` keeps, per respondent × scale question, the respondent group, the school
or township and the answer:

=================  =============================================================================
column             meaning
=================  =============================================================================
county             county (given by the caller: an export is one county's survey)
school_year        school year (given by the caller)
respondent         running number of the respondent in the file (1, 2, …), not the platform's 序号
respondent_group   answer to the identity question (学生 / 家长 / 教师 / …)
place              answer to the school-or-township question (NA when the survey has none)
item               the question header as written (e.g. ``"3、您对学校的教学质量满意吗？"``)
answer             the option text, one of the scale
=================  =============================================================================

Never stored: 来自IP and the other platform columns (submission time, duration, source), and every
free-text question (a question whose answers are not options of the scale). Their contents are
not copied into problems either. A respondent without a group is rejected; a scale question's
answer outside the scale is reported by cell and left out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lyganalysis.metrics.survey import FIVE_POINT_SCALE

__all__ = ["PLATFORM_COLUMNS", "SURVEY_COLUMNS", "SurveyProblem", "SurveyReading", "read_survey_export"]

#: Platform columns dropped at intake (never stored).
PLATFORM_COLUMNS = ("序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "IP", "IP地址", "总分", "答题时间")
SURVEY_COLUMNS = ("county", "school_year", "respondent", "respondent_group", "place", "item", "answer")
_SKIPPED = {"(跳过)", "（跳过）", "(空)", "（空）", "-3", "-2"}
_QUESTION = re.compile(r"^\s*(\d+)\s*[、.．]")
_IP_LIKE = re.compile(r"\b\d{1,3}(\.\d{1,3}){3}\b")


@dataclass(frozen=True)
class SurveyProblem:
    """A problem of the export: file, row as seen in Excel (header = row 1), column, what and what to do."""

    file: str
    row: int | None
    column: str | None
    message: str
    action: str
    severity: str = "error"


@dataclass(frozen=True)
class SurveyReading:
    """Result of :func:`read_survey_export`; unpacks as ``frame, problems``.

    ``rows_read == rows_kept + rows_rejected`` (respondents); ``dropped_columns``: headers dropped
    (platform columns and free-text questions, by header only); ``answers_rejected``: scale answers
    outside the scale (each also a problem).
    """

    frame: pd.DataFrame
    problems: tuple[SurveyProblem, ...]
    rows_read: int
    rows_kept: int
    rows_rejected: int
    dropped_columns: tuple[str, ...]
    answers_rejected: int

    def __iter__(self) -> Iterator[Any]:
        return iter((self.frame, self.problems))


def _norm(x: Any) -> str:
    return unicodedata.normalize("NFKC", str(x)).strip()


def _read_table(p: Path) -> pd.DataFrame:
    if p.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return pd.read_excel(p, dtype=str, header=0)
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(p, dtype=str, encoding=enc, keep_default_na=False)
        except UnicodeDecodeError:
            continue
    raise ValueError(f"{p.name}: cannot decode the CSV as UTF-8 or GB18030; save it as UTF-8 or .xlsx")


def _find(questions: Sequence[str], given: str | None, words: Sequence[str], what: str, file: str) -> str | None:
    if given is not None:
        hits = [q for q in questions if given in q]
        if not hits:
            raise ValueError(f"{file}: no question contains {given!r} ({what}); questions: {list(questions)}")
        return hits[0]
    for q in questions:
        if any(w in q for w in words):
            return q
    return None


def read_survey_export(path: str | Path, *, county: str | None = None, school_year: int | None = None,
                       group_question: str | None = None, place_question: str | None = None,
                       scale: Sequence[str] = FIVE_POINT_SCALE) -> SurveyReading:
    """Read a 问卷星-style export (``.xlsx`` or ``.csv``) into the long survey table.

    Parameters
    ----------
    path : str or Path
        The export.
    county, school_year : optional
        Stored in every row (an export is one county's survey of one school year).
    group_question, place_question : str, optional
        Text contained in the header of the respondent-group (identity) question and of the
        school-or-township question. Default: the first question mentioning 身份 / 您是; and 学校 /
        乡镇 (without 满意).
    scale : sequence of str
        Options of the satisfaction scale, best first.

    Returns
    -------
    SurveyReading
        ``frame`` has the columns of :data:`SURVEY_COLUMNS` (respondent int64, the rest str; place NA
        when absent).

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        No question column ("1、…"), no identity question, an undecodable CSV.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"survey export {p} not found")
    raw = _read_table(p)
    raw.columns = [str(c).strip() for c in raw.columns]
    questions = [c for c in raw.columns if _QUESTION.match(c)]
    dropped = [c for c in raw.columns if c not in questions]
    problems: list[SurveyProblem] = []
    for c in dropped:
        if _norm(c) not in {_norm(x) for x in PLATFORM_COLUMNS}:
            problems.append(SurveyProblem(p.name, 1, c, "不是题目列，已丢弃 / not a question column, dropped",
                                          "题目列表头应以“1、”等题号开头", "warning"))
    if not questions:
        raise ValueError(f"{p.name}: no question columns headed '1、…'; is this a 问卷星 export (按选项文本)?")
    gq = _find(questions, group_question, ("身份", "您是"), "respondent group", p.name)
    if gq is None:
        raise ValueError(f"{p.name}: no identity question (身份); pass group_question= with a word of its header")
    rest = [q for q in questions if q != gq]
    pq = _find([q for q in rest if "满意" not in q], place_question, ("学校", "乡镇", "街道"), "school or township",
               p.name)
    scale = tuple(scale)
    scale_set = set(scale)
    scale_qs: list[str] = []
    for q in rest:
        if q == pq:
            continue
        vals = [_norm(v) for v in raw[q] if not pd.isna(v) and _norm(v) and _norm(v) not in _SKIPPED]
        inside = sum(v in scale_set for v in vals)
        if vals and inside * 2 > len(vals):
            scale_qs.append(q)
        else:
            dropped.append(q)  # free text (or not a scale question): never stored
    rows: list[dict] = []
    rows_read = rows_kept = 0
    answers_rejected = 0
    for i in range(len(raw)):
        excel_row = i + 2
        rec = raw.iloc[i]
        rows_read += 1
        g = rec[gq]
        g = None if pd.isna(g) or not _norm(g) or _norm(g) in _SKIPPED else _norm(g)
        if g is None:
            problems.append(SurveyProblem(p.name, excel_row, gq, "缺少调查对象身份 / respondent group missing",
                                          "该答卷不计入满意度；如需计入请补充身份"))
            continue
        rows_kept += 1
        place = None
        if pq is not None:
            v = rec[pq]
            place = None if pd.isna(v) or not _norm(v) or _norm(v) in _SKIPPED else _norm(v)
        for q in scale_qs:
            v = rec[q]
            if pd.isna(v) or not _norm(v) or _norm(v) in _SKIPPED:
                continue
            a = _norm(v)
            if a not in scale_set:
                answers_rejected += 1
                shown = a[:12] if not _IP_LIKE.search(a) else "…"
                problems.append(SurveyProblem(p.name, excel_row, q, f"答案“{shown}”不是量表选项 / answer not an option "
                                              "of the scale", "核对导出方式（按选项文本）或量表选项"))
                continue
            rows.append({"county": county, "school_year": school_year, "respondent": rows_kept,
                         "respondent_group": g, "place": place, "item": q, "answer": a})
    frame = pd.DataFrame(rows, columns=list(SURVEY_COLUMNS))
    frame["respondent"] = frame["respondent"].astype("int64")
    for c in ("county", "respondent_group", "place", "item", "answer"):
        frame[c] = frame[c].astype("str") if frame[c].notna().all() else frame[c].astype("object").where(
            frame[c].notna(), None).astype("str").where(frame[c].notna())
    if school_year is not None:
        frame["school_year"] = frame["school_year"].astype("int64")
    return SurveyReading(frame, tuple(problems), rows_read, rows_kept, rows_read - rows_kept, tuple(dropped),
                         answers_rejected)
