"""Splitting a scanned stack at its separator sheets.

Each page is rendered small (``pdftoppm``, grey, ``DETECT_DPI``) and searched for a QR code with
zbar (``zbarimg``); a page whose code is one of ours (``separators.parse``) is a separator. The
letters are the runs of pages between separators (pages before the first separator form a letter
too; two separators in a row make no empty letter). Each letter's PDF is copied page by page from
the stack (pypdf), so the scanned pages are kept as scanned.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from PIL import Image
from pypdf import PdfReader, PdfWriter

from mrasla_app.services.correspondence import separators
from mrasla_app.services.correspondence.separators import Separator

DETECT_DPI = 100  # a separator's 10 cm QR code is ~390 px wide at 100 dpi: plenty for zbar
PREVIEW_WIDTH = 620  # px of the first-page preview shown to the clerk (a JPEG of ~40 KB)
TIMEOUT = 120
CHUNK = 10  # pages rendered and searched per tool run (two processes per chunk, progress after each)
_ZBAR_NS = "{http://zbar.sourceforge.net/2008/barcode}"


@dataclass(frozen=True)
class Segment:
    """A letter of the stack: its first page (1-based), its number of pages, the separator before it."""

    first_page: int
    pages: int
    separator: Separator | None


def render_page(pdf_path: Path, page: int, out_stem: Path, dpi: int = DETECT_DPI) -> Path:
    """Page ``page`` (1-based) of ``pdf_path`` as a grey PNG."""
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(dpi),
            "-gray",
            "-png",
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(pdf_path),
            str(out_stem),
        ],
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
    )
    return out_stem.with_suffix(".png")


def _render_chunk(pdf_path: Path, first: int, last: int, workdir: Path) -> dict[int, Path]:
    """Pages ``first``..``last`` as grey PNGs in one ``pdftoppm`` run (page → file)."""
    for old in workdir.glob("c-*.png"):
        old.unlink()
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(DETECT_DPI),
            "-gray",
            "-png",
            "-f",
            str(first),
            "-l",
            str(last),
            str(pdf_path),
            str(workdir / "c"),
        ],
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
    )
    return {int(png.stem.rsplit("-", 1)[1]): png for png in workdir.glob("c-*.png")}  # c-7.png, c-07.png…


def _zbar(images: list[Path], xml: bool) -> subprocess.CompletedProcess:
    done = subprocess.run(
        ["zbarimg", "--xml" if xml else "--raw", "-q", "-Sdisable", "-Sqrcode.enable", *map(str, images)],
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )
    if done.returncode not in (0, 4):  # 4: no symbol at all
        raise RuntimeError(f"zbarimg failed: {done.stderr[:200]!r}")
    return done


def qr_codes(images: list[Path]) -> dict[Path, list[str]]:
    """The QR payloads zbar finds in each image, in one ``zbarimg`` run (its XML names each source)."""
    found: dict[Path, list[str]] = {image: [] for image in images}
    try:
        root = ElementTree.fromstring(_zbar(images, xml=True).stdout)
    except ElementTree.ParseError:  # a payload that breaks zbar's XML: read the pages one by one
        for image in images:
            found[image] = [x for x in _zbar([image], xml=False).stdout.decode("utf-8", "replace").splitlines() if x]
        return found
    for source in root.iter(f"{_ZBAR_NS}source"):
        found[Path(source.get("href", ""))] = [d.text or "" for d in source.iter(f"{_ZBAR_NS}data")]
    return found


def segments(page_count: int, found: dict[int, Separator]) -> list[Segment]:
    """The letters of a stack of ``page_count`` pages whose separators are ``found`` (page → sheet)."""
    out: list[Segment] = []
    start, sep = 1, None
    for page in range(1, page_count + 2):
        if page > page_count or page in found:
            if page > start:
                out.append(Segment(start, page - start, sep))
            if page <= page_count:
                start, sep = page + 1, found[page]
    return out


def find_separators(pdf_path: Path, on_page: Callable[[int], None] | None = None) -> tuple[int, dict[int, Separator]]:
    """(page count, separators by page) of the stack; ``on_page(n)`` after each chunk of pages (progress)."""
    count = len(PdfReader(str(pdf_path)).pages)
    found: dict[int, Separator] = {}
    with tempfile.TemporaryDirectory(prefix="mrasla-split-") as tmp:
        for first in range(1, count + 1, CHUNK):
            last = min(count, first + CHUNK - 1)
            pages = _render_chunk(pdf_path, first, last, Path(tmp))
            codes = qr_codes([pages[p] for p in sorted(pages)])
            for page, image in pages.items():
                sep = next((s for s in map(separators.parse, codes.get(image, [])) if s is not None), None)
                if sep is not None:
                    found[page] = sep
            if on_page is not None:
                on_page(last)
    return count, found


def extract(pdf_path: Path, segment: Segment) -> bytes:
    """The letter's own PDF: its pages of the stack, unchanged."""
    reader = PdfReader(str(pdf_path))
    writer = PdfWriter()
    for index in range(segment.first_page - 1, segment.first_page - 1 + segment.pages):
        writer.add_page(reader.pages[index])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def preview(pdf_path: Path, page: int) -> bytes:
    """A small JPEG of one page, for the confirmation screen."""
    with tempfile.TemporaryDirectory(prefix="mrasla-preview-") as tmp:
        png = render_page(pdf_path, page, Path(tmp) / "p", dpi=75)
        with Image.open(png) as img:
            img.thumbnail((PREVIEW_WIDTH, PREVIEW_WIDTH * 2))
            out = io.BytesIO()
            img.convert("L").save(out, format="JPEG", quality=70)
            return out.getvalue()
