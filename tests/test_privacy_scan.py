"""The privacy scan finds each kind of personal data planted in each kind of output file."""

import json
import zipfile

import openpyxl
import pytest

from lyganalysis.report.privacy_scan import PrivacyLeak, check_outputs, scan_outputs, scan_text

W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id(body17: str) -> str:
    """A synthetic ID number with a correct GB 11643 MOD 11-2 check digit (invented, not a person's)."""
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, W)) % 11]


ID = _id("32070720100101123")  # 2010-01-01, county code 320707: synthetic
KEY = "795c5e09edfdd8b0"
NAME = "王小明"


def test_hand_made_check_digit():
    # GB 11643 example: 11010519491231002 -> check digit X (the standard's worked example)
    assert _id("11010519491231002") == "11010519491231002X"


def test_scan_text_finds_each_kind_and_masks():
    text = f"<td>{ID}</td><td>{NAME}同学</td><td data-key='x'>{KEY}</td>"
    found = scan_text(text, keys={KEY}, names={NAME})
    kinds = sorted(f.kind for f in found)
    assert kinds == ["id_number", "key", "name"]
    assert all(ID not in f.masked and KEY not in f.masked for f in found)


def test_no_false_alarm_on_numbers_school_ids_and_school_names():
    text = ("学校标识码 2132070012 在校生 12345678901234567 张庄小学 海州区第1小学 "
            "0.123456789012345678 data-value=\"-13.815894760711402\" iVBOR+320707201001011231/xyz ")
    assert scan_text(text, keys={KEY}, names={NAME}) == []
    assert scan_text(ID[:17] + ("0" if ID[17] != "0" else "1")) == []  # wrong check digit


@pytest.mark.parametrize("kind", ["html", "json", "csv", "xlsx", "docx", "zip"])
def test_each_output_kind_is_read(tmp_path, kind):
    payload = f"{NAME} {ID} {KEY}"
    p = tmp_path / f"out.{kind}"
    if kind == "html":
        p.write_text(f"<html><body><p>{payload}</p></body></html>", encoding="utf-8")
    elif kind == "json":
        p.write_text(json.dumps({"x": payload}, ensure_ascii=False), encoding="utf-8")
    elif kind == "csv":
        p.write_text("a,b\n1," + payload + "\n", encoding="utf-8-sig")
    elif kind == "xlsx":
        wb = openpyxl.Workbook()
        wb.active["A1"] = payload
        wb.save(p)
    elif kind == "docx":  # a .docx is a zip of XML parts
        with zipfile.ZipFile(p, "w") as z:
            z.writestr("word/document.xml", f"<w:document><w:t>{payload}</w:t></w:document>")
    else:
        inner = tmp_path / "inner.html"
        inner.write_text(payload, encoding="utf-8")
        with zipfile.ZipFile(p, "w") as z:
            z.write(inner, "county/page.html")
        inner.unlink()
    found = scan_outputs(tmp_path, keys={KEY}, names={NAME})
    assert sorted({f.kind for f in found}) == ["id_number", "key", "name"], found
    with pytest.raises(PrivacyLeak, match="do not send"):
        check_outputs(tmp_path, keys={KEY}, names={NAME})


def test_clean_folder_passes(tmp_path):
    (tmp_path / "page.html").write_text("<p>海州区 平均分 78.2</p>", encoding="utf-8")
    check_outputs(tmp_path, keys={KEY}, names={NAME})
