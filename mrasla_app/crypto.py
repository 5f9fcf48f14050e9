"""Encryption at rest under the master key.

Every secret the platform keeps (platform private keys, TOTP seeds) is sealed with AES-256-GCM
under a key derived from the master key with HKDF and a *purpose* label, so a key leaked for one
purpose cannot open another and rotating the master key is a matter of re-sealing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from mrasla_app.settings import get_settings

_VERSION = b"M1"


def _derive(master: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(master)


def seal(plaintext: bytes, purpose: str, master: bytes | None = None) -> bytes:
    """Encrypt ``plaintext``; ``purpose`` is bound as associated data and key-derivation label."""
    key = _derive(master or get_settings().master_key(), purpose)
    nonce = os.urandom(12)
    return _VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, purpose.encode())


def _open(blob: bytes, purpose: str, master: bytes) -> bytes:
    if blob[:2] != _VERSION:
        raise ValueError("unknown sealed format")
    return AESGCM(_derive(master, purpose)).decrypt(blob[2:14], blob[14:], purpose.encode())


def unseal(blob: bytes, purpose: str, master: bytes | None = None) -> bytes:
    """Decrypt what ``seal`` produced; raises ``cryptography.exceptions.InvalidTag`` if tampered.

    Without ``master``: the master key, then the key an unfinished rotation is retiring.
    """
    keys = (master,) if master else get_settings().master_keys()
    return unseal_with(blob, purpose, keys)


def unseal_with(blob: bytes, purpose: str, keys: Sequence[bytes]) -> bytes:
    """``unseal`` trying each of ``keys`` in turn (InvalidTag when none opens it)."""
    for key in keys[:-1]:
        try:
            return _open(blob, purpose, key)
        except InvalidTag:
            continue
    return _open(blob, purpose, keys[-1])


def reseal(blob: bytes, purpose: str, keys: Sequence[bytes], new: bytes) -> bytes:
    """The same secret sealed under ``new`` (it may be sealed under any of ``keys`` now)."""
    return seal(unseal_with(blob, purpose, keys), purpose, new)
