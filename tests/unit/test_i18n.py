"""Message catalogues: Arabic and French complete, and every error a service can raise translated."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mrasla_app import i18n

ROOT = Path(__file__).resolve().parents[2]
I18N = ROOT / "mrasla_app" / "i18n"
SOURCES = [p for p in (ROOT / "mrasla_app").rglob("*.py")]


def load(lang: str) -> dict[str, str]:
    return json.loads((I18N / f"{lang}.json").read_text(encoding="utf-8"))


def test_same_keys():
    ar, fr = load("ar"), load("fr")
    assert set(ar) - set(fr) == set(), "keys only in ar.json"
    assert set(fr) - set(ar) == set(), "keys only in fr.json"


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_no_empty_values(lang):
    for key, value in load(lang).items():
        assert isinstance(value, str) and value.strip(), f"{lang}:{key} is empty"


def test_arabic_error_messages_are_arabic():
    # (UI labels such as a language switch may legitimately be Latin, e.g. "FR"; messages may not)
    for key, value in load("ar").items():
        if key.startswith("error."):
            assert any("\u0600" <= c <= "\u06FF" for c in value), f"ar:{key} has no Arabic text"


def test_placeholders_match():
    ar, fr = load("ar"), load("fr")
    field = re.compile(r"\{(\w+)\}")
    for key in fr:
        assert set(field.findall(ar[key])) == set(field.findall(fr[key])), key


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
    assert i18n.translate("error.forbidden", "en") == i18n.translate("error.forbidden", "fr")
    both = i18n.bilingual("error.not_found")
    assert set(both) == {"ar", "fr"} and both["ar"] != both["fr"]
