"""The Arabic web font as small WOFF subsets, generated from the TTFs at compile time.

The TTFs in ``assets/fonts`` (≈ 180 KB each, every script the face covers) are what the PDFs embed.
Browsers get subsets instead: the Arabic block (≈ 37 KB, enough for Arabic and French pages) and,
in a second file fetched only when such characters are on the page, the extended Arabic blocks and
presentation forms. Which files exist is read from the ``@font-face`` rules of ``assets/mrasla.css``,
so the stylesheet is the only list: a rule with ``src: url("/fonts/web/<subset>/<Name>.woff")`` and
``unicode-range: …`` gets ``assets/fonts/<Name>.ttf`` cut down to those code points (OpenType
shaping rules kept, hinting dropped), written into Reflex's public directory before each compile.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from fontTools import subset
from reflex.plugins import Plugin
from reflex.utils.prerequisites import get_web_dir

ROOT = Path(__file__).resolve().parents[2]
STYLESHEET = ROOT / "assets" / "mrasla.css"
FONTS = ROOT / "assets" / "fonts"
FONT_FACE = re.compile(r"@font-face\s*\{([^}]*)\}")
WEB_SRC = re.compile(r'url\("(/fonts/web/[\w-]+/([\w-]+)\.woff)"\)')
UNICODE_RANGE = re.compile(r"unicode-range:\s*([^;}]+)")


def web_fonts(css: str) -> list[tuple[str, Path, str]]:
    """(URL, source TTF, unicode-range) of each generated face the stylesheet declares."""
    faces = []
    for rule in FONT_FACE.findall(css):
        src, ranges = WEB_SRC.search(rule), UNICODE_RANGE.search(rule)
        if src and ranges:
            faces.append((src.group(1), FONTS / f"{src.group(2)}.ttf", ranges.group(1).strip()))
    return faces


def subset_woff(ttf: Path, unicode_range: str) -> bytes:
    """``ttf`` reduced to the code points of a CSS ``unicode-range``, as WOFF."""
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]  # Arabic joining forms and ligatures come from GSUB
    options.hinting = False
    font = subset.load_font(str(ttf), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=subset.parse_unicodes(unicode_range.replace(" ", "")))
    subsetter.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    return out.getvalue()


def write_web_fonts(public: Path) -> list[Path]:
    """Write the subsets under ``public`` (skipped when newer than the stylesheet and the TTF)."""
    written = []
    for url, ttf, ranges in web_fonts(STYLESHEET.read_text(encoding="utf-8")):
        target = public / url.lstrip("/")
        newest_source = max(STYLESHEET.stat().st_mtime, ttf.stat().st_mtime)
        if not target.is_file() or target.stat().st_mtime < newest_source:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(subset_woff(ttf, ranges))
        written.append(target)
    return written


class WebFontsPlugin(Plugin):
    """Generates the WOFF subsets the stylesheet declares, for dev and production builds."""

    def pre_compile(self, **context: Any) -> None:
        write_web_fonts(get_web_dir() / "public")
