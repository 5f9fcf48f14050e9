"""Test documents built on the fly: real PDFs, photos, and hostile look-alikes."""

from __future__ import annotations

import io

from fpdf import FPDF
from PIL import Image


def pdf_bytes(pages: int = 1, text: str = "Lettre de test", pad_to: int = 0) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=14)
    for i in range(pages):
        pdf.add_page()
        pdf.cell(0, 10, f"{text} - page {i + 1}")
    data = bytes(pdf.output())
    if pad_to > len(data):  # a valid PDF of a given size: padding in a trailing comment
        data += b"\n%" + b"0" * (pad_to - len(data) - 2)
    return data


def jpeg_bytes(size: tuple[int, int] = (640, 480), color: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG", quality=80)
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (300, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (200, 30, 30, 255)).save(out, format="PNG")
    return out.getvalue()


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
