"""Search normalisation: Arabic spelling variants and French accents fold to the same form."""

from __future__ import annotations

import pytest

from mrasla_app.services.platform.text import normalize


@pytest.mark.parametrize(
    "a,b",
    [
        ("أحمد", "احمد"),
        ("إدارة", "اداره"),
        ("آمنة", "امنه"),
        ("ٱلرباط", "الرباط"),
        ("مدرسة", "مدرسه"),  # ta marbuta / ha
        ("مصطفى", "مصطفي"),  # alef maqsura / ya
        ("مؤسسة", "موسسه"),  # hamza on waw
        ("رئيس", "رييس"),  # hamza on ya
        ("مُرَاسَلَة", "مراسلة"),  # tashkeel
        ("مـــراسلة", "مراسلة"),  # tatweel
        ("Économie", "economie"),
        ("FÈS-MEKNÈS", "fes-meknes"),
        ("Conservation  Foncière", "conservation fonciere"),
        ("  Rabat\t", "rabat"),
    ],
)
def test_variants_fold_together(a, b):
    assert normalize(a) == normalize(b)


def test_distinct_words_stay_distinct():
    assert normalize("الرباط") != normalize("سلا")
    assert normalize("budget") != normalize("tresor")


def test_idempotent_and_empty():
    for s in ("وزارة الاقتصاد والمالية", "Éducation nationale", "MEF/2026/A/000123"):
        assert normalize(normalize(s)) == normalize(s)
    assert normalize("") == ""
    assert normalize(None) == ""  # type: ignore[arg-type]


def test_arabic_letters_kept():
    # accent stripping must not eat Arabic letters (e.g. alef with hamza decomposes under NFKD)
    assert normalize("وزارة الاقتصاد") == "وزاره الاقتصاد"
    assert normalize("ﻻ") in ("لا",)  # presentation-form ligature → letters


# --- clean: what may enter the database ---------------------------------------------------------

from mrasla_app.services.platform.text import clean  # noqa: E402


@pytest.mark.parametrize(
    "raw,single,multi",
    [
        ("a\x00b", "ab", "ab"),  # NUL: FTS "unterminated string", PostgreSQL refuses it
        ("Facture \u202egnp.exe\u202c", "Facture gnp.exe", "Facture gnp.exe"),  # RLO … PDF: shows as "exe.png"
        ("\u2066نص\u2069 \u202bمضمن\u202c", "نص مضمن", "نص مضمن"),  # isolates and embeddings too
        ("x\u206ey", "xy", "xy"),  # deprecated format controls
        ("\ufeffBonjour", "Bonjour", "Bonjour"),  # BOM
        (
            "ligne 1\r\nligne 2\rligne 3\u2028ligne 4",
            "ligne 1 ligne 2 ligne 3 ligne 4",
            "ligne 1\nligne 2\nligne 3\nligne 4",
        ),
        ("a\tb\x1b[31mc\x7f\x85d", "a b[31mc d", "a\tb[31mc\nd"),  # ANSI escape, DEL, C1 NEL
        ("\ud800x", "x", "x"),  # lone surrogate: not encodable
        ("  Rabat  \n", "Rabat", "Rabat"),
    ],
)
def test_clean_removes_controls_and_bidi_overrides(raw, single, multi):
    assert clean(raw, multiline=False) == single
    assert clean(raw) == multi
    assert clean(clean(raw)) == clean(raw)  # idempotent


def test_clean_keeps_what_arabic_and_french_need():
    for value in (
        "مُرَاسَلَة",
        "Éducation nationale — l'œuvre",
        "ZWNJ\u200cZWJ\u200d",
        "RLM\u200f LRM\u200e ALM\u061c",
        "Réf. 2026/123 (n°4) : 15 % « urgent »",
        "شارع محمد الخامس، الرباط",
    ):
        assert clean(value) == value
    assert clean(None) == ""
