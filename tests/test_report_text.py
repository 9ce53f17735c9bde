"""The text catalogues: every language has every key, placeholders are filled, no threshold typed into prose."""

import re
import string

import pytest

from lyganalysis.report.text import LANGUAGES, CatalogueError, catalogue, standard_params, t

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def test_every_language_has_the_same_keys():
    keys = {lang: set(catalogue(lang)) for lang in LANGUAGES}
    zh = keys["zh"]
    for lang, ks in keys.items():
        assert ks == zh, f"{lang}: missing {sorted(zh - ks)[:20]}, extra {sorted(ks - zh)[:20]}"


def test_no_digits_in_prose_outside_placeholders():
    # thresholds come from lyganalysis.standards through placeholders ({cv_limit_primary:.2f}); a digit typed
    # into a sentence would contradict the page as soon as a standard changes
    bad = []
    for lang in LANGUAGES:
        for key, text in catalogue(lang).items():
            if re.search(r"\d", _PLACEHOLDER.sub("", text)):
                bad.append(f"{lang}:{key}: {text[:80]}")
    assert not bad, "\n".join(bad)


def test_placeholders_name_standards_or_call_parameters():
    params = standard_params()
    for lang in LANGUAGES:
        for key, text in catalogue(lang).items():
            for _, field, _, _ in string.Formatter().parse(text):
                if field and field in params:
                    t(key, lang, **{f: 1 for _, f, _, _ in string.Formatter().parse(text) if f and f not in params})


def test_thresholds_in_prose_follow_standards(monkeypatch):
    from lyganalysis.report import text

    assert "0.50" in t("page_methods_verdict_rule", "zh")
    monkeypatch.setattr(text, "standard_params", lambda: {**standard_params(), "cv_limit_primary": 0.4})
    assert "0.40" in t("page_methods_verdict_rule", "zh") and "0.50" not in t("page_methods_verdict_rule", "zh")


def test_unknown_key_and_missing_placeholder_are_clear_errors():
    with pytest.raises(CatalogueError, match="no text 'nope'"):
        t("nope", "zh")
    with pytest.raises(CatalogueError, match="needs the placeholder 'county'"):
        t("page_title", "zh", year=2022)
    with pytest.raises(CatalogueError, match="unknown report language"):
        t("page_title", "fr")
