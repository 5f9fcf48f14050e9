"""Message catalogues: Arabic, French and English complete, and every error a service can raise translated."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mrasla_app import i18n

ROOT = Path(__file__).resolve().parents[2]
I18N = ROOT / "mrasla_app" / "i18n"
SOURCES = [p for p in (ROOT / "mrasla_app").rglob("*.py")]
# English phrases spelt exactly like their French original (checked by hand).
ALLOWED_SAME = {"verify.sig.intact", "citizen.pages_one", "citizen.pages_two"}  # "Document intact", "1 page", "2 pages"


def load(lang: str) -> dict[str, str]:
    return json.loads((I18N / f"{lang}.json").read_text(encoding="utf-8"))


def test_three_languages():
    assert i18n.LANGS == ("ar", "fr", "en") and i18n.RTL_LANGS == {"ar"}


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_same_keys(lang):
    other, fr = load(lang), load("fr")
    assert set(other) - set(fr) == set(), f"keys only in {lang}.json"
    assert set(fr) - set(other) == set(), f"keys missing in {lang}.json"


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_no_empty_values(lang):
    for key, value in load(lang).items():
        assert isinstance(value, str) and value.strip(), f"{lang}:{key} is empty"


def test_arabic_error_messages_are_arabic():
    # (UI labels such as a language switch may legitimately be Latin, e.g. "FR"; messages may not)
    for key, value in load("ar").items():
        if key.startswith("error."):
            assert any("\u0600" <= c <= "\u06ff" for c in value), f"ar:{key} has no Arabic text"


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_placeholders_match(lang):
    other, fr = load(lang), load("fr")
    field = re.compile(r"\{(\w+)\}")
    for key in fr:
        assert set(field.findall(other[key])) == set(field.findall(fr[key])), key


def test_english_is_english():
    """The English catalogue is a translation, not a copy of the French one: apart from names, codes and
    words both languages spell alike ("Administration"), no value is left in French."""
    en, fr = load("en"), load("fr")
    french_letters = re.compile(r"[àâçéèêëîïôûùüÿœ«»]", re.IGNORECASE)
    accented = sorted(k for k, v in en.items() if french_letters.search(v))
    assert accented == [], f"French left in en.json: {accented}"
    same = sorted(k for k in fr if en[k] == fr[k] and " " in fr[k].strip() and k not in ALLOWED_SAME)
    assert same == [], f"copied from fr.json: {same}"


def _error_codes_in_source() -> set[str]:
    codes: set[str] = set()
    pattern = re.compile(r"""["'](error\.[a-z0-9_]+)["']""")
    for path in SOURCES:
        codes |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return codes


def test_source_scan_finds_errors():
    codes = _error_codes_in_source()
    assert {"error.invalid_credentials", "error.not_found", "error.forbidden", "error.same_user"} <= codes


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_error_code_in_catalogue(lang):
    missing = sorted(_error_codes_in_source() - set(load(lang)))
    assert missing == [], f"missing in {lang}.json: {missing}"


def test_translate_and_bilingual():
    assert i18n.translate("error.password_too_short", "fr", min=10).startswith("Le mot de passe")
    assert "10" in i18n.translate("error.password_too_short", "ar", min=10)
    assert i18n.translate("no.such.key", "ar") == "no.such.key"
    assert i18n.translate("error.password_too_short", "en", min=10).startswith("The password")
    assert i18n.translate("error.forbidden", "de") == i18n.translate("error.forbidden", "fr")  # unknown: French
    every = i18n.bilingual("error.not_found")  # the API's message: ar and fr (the contract) and en
    assert set(every) == {"ar", "fr", "en"} and len(set(every.values())) == 3
