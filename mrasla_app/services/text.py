"""Search normalisation for Arabic and French, applied identically when indexing and querying.

Arabic: strip tashkeel (diacritics) and tatweel, unify alef forms (أ إ آ ٱ → ا), ta marbuta → ha,
alef maqsura → ya, hamza carriers (ؤ → و, ئ → ي). French/Latin: strip accents, lower-case.
"""

from __future__ import annotations

import re
import unicodedata

_TASHKEEL = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640]")
_ARABIC_MAP = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي"})
_SPACES = re.compile(r"\s+")


def normalize(value: str) -> str:
    """Fold ``value`` for matching; both the index and the query go through this."""
    value = _TASHKEEL.sub("", value or "")
    value = value.translate(_ARABIC_MAP)
    decomposed = unicodedata.normalize("NFKD", value)
    value = "".join(c for c in decomposed if not unicodedata.combining(c) or "\u0600" <= c <= "\u06FF")
    return _SPACES.sub(" ", value).strip().casefold()


def search_document(*parts: str) -> str:
    """The folded text stored in ``Correspondence.search_text``: registry numbers split into words
    (``MEF/2026/A/000123`` → ``mef 2026 a 000123``) so both SQLite FTS5 and PostgreSQL's parser index
    each part, and queries go through the same split."""
    return normalize(" ".join(parts).replace("/", " "))
