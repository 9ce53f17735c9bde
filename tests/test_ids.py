"""身份证号: C11 (float precision / truncation) and C13 (GB 11643 check digit, date, format)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lyganalysis.ids import (
    check_digit,
    check_id_series,
    looks_truncated,
    pseudonymize_ids,
    pseudonymize_text,
    pseudonymous_key,
    upgrade_15_to_18,
    validate_id_number,
)
from lyganalysis.io import read_csv_text

CASES = Path(__file__).parent / "cases"


# --- C11 --------------------------------------------------------------------------------------


def test_c11_ids_read_as_text_blank_stays_missing():
    r = read_csv_text(CASES / "C11-id-number-float-precision" / "teachers.csv")
    col = r.frame["身份证号"]
    assert col.tolist()[:2] == ["110101199003071233", "110101198511200025"]
    checks = check_id_series(col)
    assert checks["normalized"].tolist()[:2] == ["110101199003071233", "110101198511200025"]
    assert pd.isna(checks["normalized"].iloc[2])  # missing, not the text 'nan'
    assert checks["reason"].tolist()[2] == "missing"
    assert checks["valid"].tolist() == [True, True, False]


@pytest.mark.parametrize(
    "raw",
    ["1.1010119900307123e+17", "1.10101199003071E+17", "110101199003071233.0", "110101199003071000",
     1.1010119900307123e17, "１.１０１０１１９９００３０７１Ｅ＋１７"],
)
def test_c11_truncated_values_are_flagged_never_repaired(raw):
    assert looks_truncated(raw)
    check = validate_id_number(raw)
    assert not check.valid and check.reason == "truncated" and check.normalized is None


@pytest.mark.parametrize("raw", ["110101199003071233", "11010120080615007X", "110101900307123", "", None])
def test_c11_intact_values_are_not_flagged(raw):
    assert not looks_truncated(raw)


# --- C13 --------------------------------------------------------------------------------------


def test_c13_exact_verdicts():
    r = read_csv_text(CASES / "C13-id-checksum-gb11643" / "ids.csv")
    checks = [validate_id_number(v, today=dt.date(2025, 1, 1)) for v in r.frame["身份证号"]]
    assert [c.valid for c in checks] == [True, True, True, False, False, False, True, True, False]
    assert [c.normalized for i, c in enumerate(checks) if i in (0, 1, 2, 6, 7)] == [
        "110101199003071233", "11010120080615007X", "11010120080615007X", "110101199003071233", "110101199003071233"
    ]
    assert [checks[i].reason for i in (3, 4, 5, 8)] == ["check_digit", "date", "length", "format"]
    # the reasons agree with the case's own column
    for c, expected in zip(checks, r.frame["期望结果"]):
        if not c.valid:
            word = {"check_digit": "check digit", "date": "date", "length": "characters", "format": "format"}[c.reason]
            assert word in expected


def test_c13_derived_birth_date_and_sex():
    c = validate_id_number("110101199003071233")
    assert c.birth_date == dt.date(1990, 3, 7) and c.sex == "male"
    c = validate_id_number("110101198511200025")
    assert c.birth_date == dt.date(1985, 11, 20) and c.sex == "female"


def test_c13_kind_fifteen_digit_upgrade_same_person():
    old = "110101900307123"
    assert upgrade_15_to_18(old) == "110101199003071233"
    c = validate_id_number(old)
    assert c.valid and c.upgraded and c.normalized == "110101199003071233"
    assert c.birth_date == dt.date(1990, 3, 7) and c.sex == "male"


def test_c13_kind_future_date_and_impossible_dates():
    assert validate_id_number("110101203001010015", today=dt.date(2025, 1, 1)).reason == "future_date"
    first17 = "11010118991231001"
    assert validate_id_number(first17 + check_digit(first17)).reason == "date"  # before 1900
    first17 = "11010119990229001"
    assert validate_id_number(first17 + check_digit(first17)).reason == "date"  # not a leap year
    first17 = "99010119900307123"
    assert validate_id_number(first17 + check_digit(first17)).reason == "region"


@pytest.mark.parametrize(
    "raw, reason",
    [("11010119900307123X1", "length"), ("1101011990030712X3", "format"), ("110101 19900307 1233", "format"),
     ("11010119900307123Y", "format"), ("", "missing"), ("  ", "missing"), (None, "missing"), ("1101011990030712", "length")],
)
def test_c13_kind_structure_errors(raw, reason):
    assert validate_id_number(raw).reason == reason


def test_check_digit_known_values():
    assert check_digit("11010119900307123") == "3"
    assert check_digit("11010120080615007") == "X"


# property: every generated valid ID passes; changing one digit always fails the check digit
_dates = st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2020, 12, 31))


@settings(max_examples=50, deadline=None)
@given(region=st.sampled_from(["110101", "320706", "320722", "440305"]), birth=_dates,
       seq=st.integers(min_value=0, max_value=999), pos=st.integers(min_value=14, max_value=16),
       delta=st.integers(min_value=1, max_value=9))
def test_property_generated_ids(region, birth, seq, pos, delta):
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    number = first17 + check_digit(first17)
    c = validate_id_number(number.lower())
    assert c.valid and c.birth_date == birth and c.sex == ("male" if seq % 2 else "female")
    # a single mistyped digit (in the sequence part, so the date stays valid) is always caught
    wrong = first17[:pos] + str((int(first17[pos]) + delta) % 10) + first17[pos + 1:] + number[17]
    expected = {"check_digit", "truncated"} if wrong.endswith("000") else {"check_digit"}
    assert validate_id_number(wrong).reason in expected


# --- pseudonymous keys ------------------------------------------------------------------------


def test_pseudonymize_same_person_one_key_and_invalid_gets_none():
    s = pd.Series(["110101199003071233", "110101900307123", "１１０１０１１９９００３０７１２３３", "11010120080615007x",
                   "110101199003071230", "", "1.10101199003071E+17"])
    keys = pseudonymize_ids(s, salt="county-secret")
    assert keys.iloc[0] == keys.iloc[1] == keys.iloc[2]
    assert keys.iloc[3] != keys.iloc[0]
    assert keys.iloc[4:].isna().all()
    assert "110101" not in "".join(keys.dropna())
    other = pseudonymize_ids(s, salt="another-salt")
    assert other.iloc[0] != keys.iloc[0]
    with pytest.raises(ValueError):
        pseudonymize_ids(s, salt="")


def test_pseudonymous_key_is_hmac_sha256_of_the_text():
    # independent computation with the standard library
    import hashlib
    import hmac

    want = hmac.new(b"s3cret", b"32070619900101123X", hashlib.sha256).hexdigest()
    assert pseudonymous_key("32070619900101123X", salt="s3cret") == want[:16]
    assert pseudonymous_key("32070619900101123X", salt=b"s3cret", length=32) == want[:32]


def test_pseudonymize_text_stable_salted_aligned_and_blank_is_missing():
    s = pd.Series(["G3207061234", " g3207061234 ", "G3207069999", None], index=[10, 11, 12, 13], name="xjh")
    a = pseudonymize_text(s, salt="s3cret")
    pd.testing.assert_series_equal(a, pseudonymize_text(s, salt="s3cret"))
    assert list(a.index) == [10, 11, 12, 13] and a.name == "xjh"
    assert a.iloc[0] == a.iloc[1] != a.iloc[2]  # whitespace and case do not make another person
    assert a.iloc[0] != pseudonymize_text(s, salt="other").iloc[0]
    assert pd.isna(a.iloc[3])
    assert len(a.iloc[0]) == 16 and set(a.iloc[0]) <= set("0123456789abcdef")


@pytest.mark.parametrize("salt", ["", "   ", b"", b"  "])
def test_keys_require_a_salt(salt):
    with pytest.raises(ValueError, match="salt"):
        pseudonymous_key("a", salt=salt)
    with pytest.raises(ValueError, match="salt"):
        pseudonymize_text(pd.Series(["a"]), salt=salt)


def test_c11_kind_trailing_zeros_use_check_digit_and_column_evidence():
    first17 = next(f for f in (f"110101199003{d:02d}{s}00" for d in range(1, 29) for s in "0123456789") if check_digit(f) == "0")
    genuine = first17 + check_digit(first17)  # a real number may end in '000' …
    assert genuine.endswith("000") and validate_id_number(genuine).valid
    truncated = "110101198511200000"  # … a truncated one fails its check digit
    assert validate_id_number(truncated).reason == "truncated"
    # in a column that shows truncation, every '…000' value is sent back for re-collection
    checks = check_id_series(pd.Series([genuine, truncated, "110101198511200025"]))
    assert checks["reason"].tolist()[:2] == ["truncated", "truncated"]
    assert checks["valid"].tolist()[2]
