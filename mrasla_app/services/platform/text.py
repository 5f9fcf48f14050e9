"""Text at the boundary (``clean``) and search normalisation for Arabic and French.

``clean`` is applied by every service to every piece of free text that enters (portal deposit, API,
registry, notes, administration): control characters and bidirectional embedding/override/isolate
controls are removed before anything is checked or stored.

Search: applied identically when indexing and querying. Arabic: strip tashkeel (diacritics) and
tatweel, unify alef forms (أ إ آ ٱ → ا), ta marbuta → ha, alef maqsura → ya, hamza carriers
(ؤ → و, ئ → ي). French/Latin: strip accents, lower-case.

On top of that folding, the words stored for full-text search (``index_forms``) carry each Arabic
word's light stem from Snowball's Arabic stemmer (PyStemmer): the article ال and the clitics و ف ب ك ل
and common suffixes are removed, so ضريبة, الضريبة, الضريبه and للضريبة all index ضريب; the folded word is
kept beside its stem so a word typed in part still matches as a prefix. Short Latin texts (names,
subjects) also index their adjacent words joined ("El Fassi", "El-Fassi" → ``elfassi``), so a name is
found however it was spaced or hyphenated. Indexing and querying share this pipeline, and both
databases index its output as it is (FTS5 ``unicode61``; PostgreSQL splits it on spaces only). A word longer
than ``MAX_WORD_CHARS`` (a run of digits or an encoded blob in a document's text, never a word anyone
types) is neither indexed nor searched: PostgreSQL refuses a lexeme over 2 KB.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

_TASHKEEL = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640]")
_ARABIC_MAP = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي"})
_SPACES = re.compile(r"\s+")
#: Bidi controls that reorder the text AROUND them until a terminator that may never come
#: (``Facture \u202egnp.exe`` shows as "Facture exe.png"): LRE RLE PDF LRO RLO, LRI RLI FSI PDI,
#: and the deprecated format controls U+206A–206F. They are removed, not isolated: the pages show each
#: value in its own ``dir="auto"`` element already, and Arabic/French text never needs them. The
#: marks LRM, RLM and ALM (U+200E, U+200F, U+061C) only affect neutral characters next to them, so
#: they are kept; so are ZWJ/ZWNJ, which Arabic and Persian spelling use.
_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069\u206a-\u206f"
#: Other invisible characters that have no place in a letter's fields: BOM/ZWNBSP, interlinear annotations.
_INVISIBLE = "\ufeff\ufff9-\ufffb"
#: Everything ``clean`` removes: C0/C1 controls (Unicode category Cc) but tab and line feed, lone
#: surrogates (Cs), the bidi controls and the invisible characters above. One regular expression: the
#: text of a scanned letter goes through it character by character.
_REMOVED = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff{_BIDI_CONTROLS}{_INVISIBLE}]+")
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")


def clean(value: str | None, *, multiline: bool = True) -> str:
    """``value`` without the characters that may not enter the database, whatever the channel.

    Removed: C0/C1 control characters (NUL included: SQLite's FTS and PostgreSQL both choke on it),
    lone surrogates (not encodable), bidi embedding/override/isolate controls and BOMs. Line breaks of
    any kind become ``\n`` and tabs are kept when ``multiline``; otherwise every run of white space
    becomes one space. Leading and trailing white space is stripped. Idempotent.
    """
    kept = _REMOVED.sub("", _LINE_BREAKS.sub("\n", value or ""))
    if not multiline:
        return " ".join(kept.split())
    return kept.strip()


def normalize(value: str) -> str:
    """Fold ``value`` for matching; both the index and the query go through this."""
    value = _TASHKEEL.sub("", clean(value))
    value = value.translate(_ARABIC_MAP)
    decomposed = unicodedata.normalize("NFKD", value)
    value = "".join(c for c in decomposed if not unicodedata.combining(c) or "\u0600" <= c <= "\u06ff")
    return _SPACES.sub(" ", value).strip().casefold()


def search_document(*parts: str) -> str:
    """The text stored in ``Correspondence.search_text``: every part's ``index_forms`` (registry numbers
    split into words, ``MEF/2026/A/000123`` → ``mef 2026 a 000123``); a short part (a name, a subject)
    also indexes its joined Latin words."""
    return " ".join(f for part in parts if part for f in index_forms(part, join=len(words(part)) <= JOIN_MAX_WORDS))


#: A word: letters and digits (not ``_``) with the Arabic marks inside it, so الضَّرِيبَة stays one word.
_WORD = re.compile(r"(?:[^\W_]|[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640])+")
_ARABIC = re.compile(r"[\u0600-\u06FF]")
_LATIN_WORD = re.compile(r"[a-z]+")
#: A part with at most this many words is a name or a subject: its adjacent Latin words are also joined.
JOIN_MAX_WORDS = 12
_AR_STEMMER = Stemmer.Stemmer("arabic")


#: Longest word indexed or searched (4 bytes a character at most in UTF-8: 1 KB, half PostgreSQL's limit).
MAX_WORD_CHARS = 255


@lru_cache(maxsize=65536)
def word_forms(word: str) -> tuple[str, ...]:
    """The forms one word is indexed and queried under: its folding, then its Arabic light stem when
    different. A final ه the stemmer left (ta marbuta folded to ha) is dropped, so الضريبه = الضريبة.
    No form for a word longer than ``MAX_WORD_CHARS`` or one that folds to nothing (marks alone)."""
    folded = normalize(word)
    if len(folded) > MAX_WORD_CHARS:
        return ()
    if not folded or not _ARABIC.search(folded):
        return (folded,) if folded else ()
    stem = _AR_STEMMER.stemWord(folded)
    if stem.endswith("ه") and len(stem) > 3:
        stem = stem[:-1]
    return (folded,) if stem in ("", folded) else (folded, stem)


def words(value: str) -> list[str]:
    """The words of ``value`` as written (marks included), for snippets and queries."""
    return _WORD.findall(clean(value))


def index_forms(value: str, *, join: bool = False) -> list[str]:
    """Every form ``value`` is indexed under: its folded words in reading order, then their stems; with
    ``join``, runs of Latin words separated only by spaces, hyphens or apostrophes also index their pairs
    and triples joined."""
    forms = [f for f in (word_forms(w) for w in words(value)) if f]
    # A stem that begins its word (only suffixes removed) is matched by prefix through the word itself.
    out = [f[0] for f in forms] + [stem for f in forms for stem in f[1:] if not f[0].startswith(stem)]
    if join:
        for run in re.split(r"[^\w\s'\u2019-]|_", clean(value)):
            latin = [f for w in _WORD.findall(run) for f in word_forms(w)[:1]]
            for size in (2, 3):
                for i in range(len(latin) - size + 1):
                    chunk = latin[i : i + size]
                    if all(_LATIN_WORD.fullmatch(c) for c in chunk):
                        out.append("".join(chunk))
    return out


def search_terms(query: str, limit: int = 8) -> list[tuple[str, ...]]:
    """The query's words, each as the forms any of which may match (as a prefix): the stem alone when it
    begins the word (its prefix matches covers the word's), else the word and its stem."""
    terms = [forms for forms in (word_forms(w) for w in words(query)) if forms][:limit]
    return [(f[1],) if len(f) == 2 and f[0].startswith(f[1]) else f for f in terms]
