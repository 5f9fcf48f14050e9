"""Encryption at rest under the master key.

Every secret the platform keeps (platform private keys, TOTP seeds) is sealed with AES-256-GCM
under a key derived from the master key with HKDF and a *purpose* label, so a key leaked for one
purpose cannot open another and rotating the master key is a matter of re-sealing.
"""

from __future__ import annotations

import os

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


def unseal(blob: bytes, purpose: str, master: bytes | None = None) -> bytes:
    """Decrypt what ``seal`` produced; raises ``cryptography.exceptions.InvalidTag`` if tampered."""
    if blob[:2] != _VERSION:
        raise ValueError("unknown sealed format")
    key = _derive(master or get_settings().master_key(), purpose)
    return AESGCM(key).decrypt(blob[2:14], blob[14:], purpose.encode())
