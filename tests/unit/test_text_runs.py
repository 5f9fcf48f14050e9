"""Text runs: what the receipt draws from its memo is what fpdf2 itself would have drawn."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from fpdf.enums import XPos, YPos

from mrasla_app.documents import text_runs
from mrasla_app.documents.receipt_layout import FONT_AR, FONT_LATIN, FONT_MONO, new_document
from mrasla_app.documents.text_runs import TextStyle

LATIN = TextStyle(FONT_LATIN, 10)
LATIN_BOLD = TextStyle(FONT_LATIN, 9.5, "B")
MONO = TextStyle(FONT_MONO, 7.6)
ARABIC = TextStyle(FONT_AR, 10.5, direction="rtl")
MIXED = TextStyle(FONT_LATIN, 8, "B", direction="ltr")

# (style, width, line height, text, multiline): plain one-liners (written directly), one
# line through multi_cell (recorded with cell), wrapped, shaped, mixed, fallback, escapes.
CASES = [
    (LATIN, 96, 5.4, "Fatima Zahra El Amrani 12", False),
    (LATIN, 96, 5.4, "14/05/2026 à 11:05:07 (heure du Maroc)", True),
    (LATIN, 40, 5.4, "Ministère de l'Économie et des Finances — Direction Régionale", True),
    (LATIN, 96, 5.4, "Parenthèses (a) \\ b) et « guillemets » · 3 pages · 245,0 Ko", True),
    (LATIN, 96, 5.4, "double  space and trailing ", True),
    (LATIN_BOLD, 60, 5, "MEF/2026/A/000123", False),
    (MONO, 157, 4.2, "0123456789abcdef" * 4, True),
    (MONO, 48, 3, "https://mrasla.example.ma/v/MEF-2026-A-000123?t=Xk3f9QpL2mZ8", True),
    # Verification URLs as receipts print them: no break opportunity, cut where a character overflows.
    (
        TextStyle(FONT_MONO, 6.3),
        50,
        3,
        "http://localhost:8000/verify/MEF-2026-A-000123?t=" + "Xk3f9QpL2mZ8-_aB" * 2,
        True,
    ),
    (TextStyle(FONT_MONO, 6.3), 50, 3, "https://bo.finances.gov.ma/verify/DGI-RABAT-2026-A-001234?t=" + "q" * 96, True),
    (LATIN, 30, 4, "https://portail.example.ma/verify/MEF-2026-A-000123?t=Zz9-_Yy8", True),
    (ARABIC, 96, 5.4, "فاطمة الزهراء العمراني", True),
    (ARABIC, 96, 5.4, "14/05/2026 على الساعة 11:05:07 (بتوقيت المغرب)", True),
    (ARABIC, 60, 4.6, "امسح رمز الاستجابة السريعة أو افتح العنوان المبين للتحقق", True),
    (MIXED, 62, 3.9, "Suivi / التتبع : code 7K4P-92QD", True),
    (LATIN, 96, 5.4, "Ahmed 😀 漢字 (no glyph)", True),
    (LATIN, 96, 5.4, "Line one\nLine two", True),
]


def _fpdf2(style: TextStyle, w: float, h: float, text: str, align: str, multiline: bool) -> tuple[bytes, float]:
    """What fpdf2 writes for the box at the top-left corner of a fresh page, and its height."""
    pdf = new_document("reference")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font(style.family, style.style, style.size)
    if style.direction is None:
        pdf.set_text_shaping(False)
    else:
        pdf.set_text_shaping(True, direction=style.direction)
    contents = pdf.pages[1].contents
    start = len(contents)
    pdf.set_xy(0, 0)
    if multiline:
        pdf.multi_cell(w, h, text, align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)
        return bytes(contents[start:]), pdf.get_y()
    pdf.cell(w, h, text, align=align)
    return bytes(contents[start:]), h


@pytest.mark.parametrize("align", ["L", "R", "C"])
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0].family}-{c[3][:18]}" for c in CASES])
def test_run_is_what_fpdf2_writes(case, align):
    style, w, h, text, multiline = case
    run = text_runs.run(style, w, h, text, align, multiline=multiline)
    ops, height = _fpdf2(style, w, h, text, align, multiline)
    assert run.ops == ops
    assert run.height == pytest.approx(height)
    assert run.fonts  # every font the bytes select becomes a page resource


def test_runs_are_memoised_per_text_style_and_box():
    first = text_runs.run(LATIN, 96, 5.4, "Déposant unique")
    assert text_runs.run(LATIN, 96, 5.4, "Déposant unique") is first
    assert text_runs.run(LATIN, 90, 5.4, "Déposant unique") is not first
    assert text_runs.run(LATIN_BOLD, 96, 5.4, "Déposant unique") is not first


def _words(pdf_bytes: bytes, tmp_path) -> list[tuple[str, float, float]]:
    path = tmp_path / "words.pdf"
    path.write_bytes(pdf_bytes)
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return sorted(
        (w, float(x), float(y))
        for x, y, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([^<]*)</word>', html
        )
    )


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils required")
def test_placed_runs_land_where_fpdf2_draws(tmp_path):
    """Same page drawn twice, by fpdf2 and from runs: every word at the same place."""
    from mrasla_app.documents.receipt_pdf import write_unsigned

    boxes = [(15, 20 + 12 * i, *case) for i, case in enumerate(CASES[:12])]
    direct = new_document("direct")
    direct.add_page()
    placed = new_document("placed")
    placed.add_page()
    for x, y, style, w, h, text, multiline in boxes:
        direct.set_font(style.family, style.style, style.size)
        direct.set_text_shaping(style.direction is not None, direction=style.direction)
        direct.set_xy(x, y)
        if multiline:
            direct.multi_cell(w, h, text, align="L")
        else:
            direct.cell(w, h, text, align="L")
        text_runs.place(placed, text_runs.run(style, w, h, text, "L", multiline), x, y, (0, 0, 0))
    expected, actual = _words(write_unsigned(direct), tmp_path), _words(write_unsigned(placed), tmp_path)
    assert [w for w, _, _ in actual] == [w for w, _, _ in expected]
    for (_, x1, y1), (_, x2, y2) in zip(actual, expected):
        assert abs(x1 - x2) < 0.05 and abs(y1 - y2) < 0.05


def test_runs_only_on_a4_portrait_pages():
    pdf = new_document("landscape")
    pdf.add_page(orientation="L")
    with pytest.raises(ValueError):
        text_runs.place(pdf, text_runs.run(LATIN, 96, 5.4, "x"), 10, 10, (0, 0, 0))
