"""Message catalogues (Arabic, French, English) and the lookup helpers used by services, API and UI.

``ar.json``, ``fr.json`` and ``en.json`` must hold exactly the same keys with the same ``{name}``
placeholders (a unit test checks it); ``translate`` fills the placeholders. Documents with legal
weight (receipts, labels, signature pages) stay Arabic/French bilingual: English is an interface
language only.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

LANGS = ("ar", "fr", "en")
DEFAULT_LANG = "fr"
RTL_LANGS = frozenset({"ar"})


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    """The catalogue of ``lang`` (falls back to French for unknown languages)."""
    lang = lang if lang in LANGS else DEFAULT_LANG
    return json.loads((Path(__file__).parent / f"{lang}.json").read_text(encoding="utf-8"))


def translate(key: str, lang: str = DEFAULT_LANG, **params: object) -> str:
    """The message for ``key`` in ``lang``; unknown keys come back as the key itself (visible bug)."""
    text = catalog(lang).get(key, key)
    try:
        return text.format(**params) if params else text
    except (KeyError, IndexError):
        return text


def bilingual(key: str, **params: object) -> dict[str, str]:
    """``{"ar": ..., "fr": ..., "en": ...}``: how the API reports messages (``ar``/``fr`` are the contract)."""
    return {lang: translate(key, lang, **params) for lang in LANGS}
