"""Private, content-addressed blob storage under ``<data>/blobs`` (never under Reflex's public
upload directory). A blob is written to a temporary file, fsynced, then renamed into place, so a
crash leaves either the whole file or nothing under its final name. Writing the same content twice
is free (same name). Blobs are written *before* the database transaction that references them;
one whose transaction rolled back is unreferenced and reclaimed by ``mrasla fsck``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from mrasla_app.fsutil import atomic_write
from mrasla_app.settings import get_settings


def blob_path(sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 hex digest")
    return get_settings().blobs_dir / sha256[:2] / sha256[2:4] / sha256


def put(data: bytes) -> str:
    """Store ``data`` durably; return its SHA-256 hex digest (its name)."""
    digest = hashlib.sha256(data).hexdigest()
    path = blob_path(digest)
    if path.exists():
        return digest
    atomic_write(path, data, mode=0o600)
    return digest


def get(sha256: str) -> bytes:
    return blob_path(sha256).read_bytes()


def exists(sha256: str) -> bool:
    return blob_path(sha256).exists()
