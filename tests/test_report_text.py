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


def _threshold_spellings() -> set[str]:
    """How each threshold of standards.py could be typed into a sentence (0.50, 0.5, 85%, 2000, 45 …)."""
    out = set()
    for v in standard_params().values():
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            continue
        f = float(v)
        if 0 < f < 1:
            out |= {f"{f:.2f}", f"{f:g}", f"{100 * f:g}%", f"{100 * f:g}％"}
        elif f.is_integer() and (f < 100 or 1900 <= f <= 2100):
            continue  # small whole numbers (counts, "1:", T = 50 + 10Z, aged 50+) and years (教督〔2017〕6号) are
            # too common in prose to tell a threshold by; shares, decimals and large limits (2000, 6000) are checked
        elif f.is_integer():
            out.add(str(int(f)))
        else:
            out |= {f"{f:g}", f"{f:.1f}"}
    return out


def test_no_threshold_typed_into_prose():
    # thresholds come from lyganalysis.standards through placeholders ({cv_limit_primary:.2f}); a threshold typed
    # into a sentence would contradict the page as soon as a standard changes. Codes (L3), age bands and years
    # are not thresholds; a number is flagged when it spells a threshold value.
    spellings = _threshold_spellings()
    number = re.compile(r"(?<![A-Za-z0-9.:])(\d+(?:\.\d+)?[%％]?)(?![A-Za-z0-9.])(?!\s*(?:岁|年|月|日|and over|years))")
    bad = []
    for lang in LANGUAGES:
        for key, text in catalogue(lang).items():
            for m in number.finditer(_PLACEHOLDER.sub(" ", text)):
                if m.group(1) in spellings:
                    bad.append(f"{lang}:{key}: {m.group(1)} in {text[:80]}")
    assert not bad, "\n".join(bad)


def test_the_threshold_check_catches_a_typed_limit(monkeypatch):
    from lyganalysis.report import text

    monkeypatch.setattr(text, "catalogue", lambda lang: {"x": "差异系数不超过0.50"})
    spellings = _threshold_spellings()
    assert "0.50" in spellings


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
