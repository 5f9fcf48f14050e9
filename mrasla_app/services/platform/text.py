"""Text at the boundary (``clean``) and search normalisation for Arabic and French.

``clean`` is applied by every service to every piece of free text that enters (portal deposit, API,
registry, notes, administration): control characters and bidirectional embedding/override/isolate
controls are removed before anything is checked or stored.

Search: applied identically when indexing and querying. Arabic: strip tashkeel (diacritics) and
tatweel, unify alef forms (أ إ آ ٱ → ا), ta marbuta → ha, alef maqsura → ya, hamza carriers
(ؤ → و, ئ → ي). French/Latin: strip accents, lower-case.
"""

from __future__ import annotations

import re
import unicodedata

_TASHKEEL = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640]")
_ARABIC_MAP = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي"})
_SPACES = re.compile(r"\s+")
#: Bidi controls that reorder the text AROUND them until a terminator that may never come
#: (``Facture \u202egnp.exe`` shows as "Facture exe.png"): LRE RLE PDF LRO RLO, LRI RLI FSI PDI,
#: and the deprecated format controls U+206A–206F. They are removed, not isolated: the pages show each
#: value in its own ``dir="auto"`` element already, and Arabic/French text never needs them. The
#: marks LRM, RLM and ALM (U+200E, U+200F, U+061C) only affect neutral characters next to them, so
#: they are kept; so are ZWJ/ZWNJ, which Arabic and Persian spelling use.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069") | frozenset(
    chr(c) for c in range(0x206A, 0x2070))
#: Other invisible characters that have no place in a letter's fields: BOM/ZWNBSP, interlinear annotations.
_INVISIBLE = frozenset("\ufeff\ufff9\ufffa\ufffb")
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")


def clean(value: str | None, *, multiline: bool = True) -> str:
    """``value`` without the characters that may not enter the database, whatever the channel.

    Removed: C0/C1 control characters (NUL included: SQLite's FTS and PostgreSQL both choke on it),
    lone surrogates (not encodable), bidi embedding/override/isolate controls and BOMs. Line breaks of
    any kind become ``\n`` and tabs are kept when ``multiline``; otherwise every run of white space
    becomes one space. Leading and trailing white space is stripped. Idempotent.
    """
    value = _LINE_BREAKS.sub("\n", value or "")
    kept = "".join(
        c for c in value
        if c in "\n\t" or not (unicodedata.category(c) in ("Cc", "Cs") or c in _BIDI_CONTROLS or c in _INVISIBLE))
    if not multiline:
        return " ".join(kept.split())
    return kept.strip()


def normalize(value: str) -> str:
    """Fold ``value`` for matching; both the index and the query go through this."""
    value = _TASHKEEL.sub("", clean(value))
    value = value.translate(_ARABIC_MAP)
    decomposed = unicodedata.normalize("NFKD", value)
    value = "".join(c for c in decomposed if not unicodedata.combining(c) or "\u0600" <= c <= "\u06FF")
    return _SPACES.sub(" ", value).strip().casefold()


def search_document(*parts: str) -> str:
    """The folded text stored in ``Correspondence.search_text``: registry numbers split into words
    (``MEF/2026/A/000123`` → ``mef 2026 a 000123``) so both SQLite FTS5 and PostgreSQL's parser index
    each part, and queries go through the same split."""
    return normalize(" ".join(parts).replace("/", " "))
