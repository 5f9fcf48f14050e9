"""Encrypted, consistent backups of a whole installation, and their restoration.

The archive holds a snapshot of the database (SQLite's online backup API: consistent while the
app keeps running), the private documents (``blobs/``), the PKI (certificates and sealed keys) and
the master key — everything needed to bring the platform back, so the archive is encrypted with a
key derived from a passphrase (scrypt), in AES-256-GCM chunks that are authenticated one by one and
in order (a truncated or altered archive is refused). PostgreSQL installations back up their
database with ``pg_dump`` and this archive for the files.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import sqlite3
import struct
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from mrasla_app.pki import ca
from mrasla_app.services.errors import DomainError
from mrasla_app.settings import Settings, get_settings

MAGIC = b"MRASLA-BACKUP-1\n"
CHUNK = 1 << 20
DB_NAME = "mrasla.db"


def _key(passphrase: str, salt: bytes) -> bytes:
    if len(passphrase) < 12:
        raise DomainError("error.password_too_short", min=12)
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if last else 0)  # 7 + 4 + 1 = 12 bytes


def _sqlite_path(settings: Settings) -> Path:
    if not settings.is_sqlite:
        raise DomainError("error.backup_needs_sqlite")
    return Path(settings.database_url.split("sqlite:///", 1)[1])


def _stage(settings: Settings, tmp: Path) -> tuple[bytes, ...]:
    """Snapshot the database and copy the PKI into ``tmp``; return the master keys. Done under the
    PKI lock, which a master-key rotation holds too, so the three match each other."""
    with ca.pki_lock(settings.pki_dir):
        with sqlite3.connect(_sqlite_path(settings)) as src, sqlite3.connect(tmp / DB_NAME) as dst:
            src.backup(dst)  # consistent even while the app writes
        src.close()
        dst.close()
        shutil.copytree(settings.pki_dir, tmp / "pki", ignore=shutil.ignore_patterns(".lock", ".*.tmp"))
        # the master key, and the one a rotation under way is retiring (secrets may be under either)
        return settings.master_keys()


def _tar(settings: Settings, staged: Path, keys: tuple[bytes, ...]) -> Path:
    """A temporary tar of the staged snapshot and PKI, the blobs and the master keys (the caller deletes it)."""
    fd, name = tempfile.mkstemp(prefix="mrasla-tar-")
    os.close(fd)
    with tarfile.open(name, "w") as tar:
        tar.add(staged / DB_NAME, arcname=DB_NAME)
        tar.add(staged / "pki", arcname="pki")
        if settings.blobs_dir.exists():  # content-addressed: never rewritten, safe to read without the lock
            tar.add(settings.blobs_dir, arcname="blobs")
        for path, key in zip((settings.master_key_path, settings.retiring_master_key_path), keys):
            encoded = base64.b64encode(key)  # same format as <data>/master.key
            info = tarfile.TarInfo(path.name)
            info.size, info.mode = len(encoded), 0o600
            tar.addfile(info, io.BytesIO(encoded))
    return Path(name)


def create(out: Path, passphrase: str) -> int:
    """Write the encrypted archive to ``out``; returns its size in bytes."""
    settings = get_settings()
    salt, prefix = os.urandom(16), os.urandom(7)
    key = AESGCM(_key(passphrase, salt))
    with tempfile.TemporaryDirectory(prefix="mrasla-backup-") as tmp:
        keys = _stage(settings, Path(tmp))
        tar_path = _tar(settings, Path(tmp), keys)
        try:
            tmp_out = out.with_suffix(out.suffix + ".part")
            with tar_path.open("rb") as fh, tmp_out.open("wb") as w:
                w.write(MAGIC + salt + prefix)
                index, chunk = 0, fh.read(CHUNK)
                while True:
                    nxt = fh.read(CHUNK)
                    sealed = key.encrypt(_nonce(prefix, index, not nxt), chunk, MAGIC)
                    w.write(struct.pack(">I", len(sealed)) + sealed)
                    if not nxt:
                        break
                    index, chunk = index + 1, nxt
                w.flush()
                os.fsync(w.fileno())
            os.replace(tmp_out, out)
        finally:
            tar_path.unlink(missing_ok=True)
    return out.stat().st_size


def _chunks(path: Path, passphrase: str) -> Iterator[bytes]:
    with path.open("rb") as r:
        if r.read(len(MAGIC)) != MAGIC:
            raise DomainError("error.backup_invalid")
        salt, prefix = r.read(16), r.read(7)
        key, index, last = AESGCM(_key(passphrase, salt)), 0, False
        while not last:
            head = r.read(4)
            if len(head) != 4:
                raise DomainError("error.backup_invalid")  # truncated: the final chunk never came
            sealed = r.read(struct.unpack(">I", head)[0])
            for final in (False, True):
                try:
                    plain = key.decrypt(_nonce(prefix, index, final), sealed, MAGIC)
                    last = final
                    break
                except InvalidTag:
                    continue
            else:
                raise DomainError("error.backup_invalid")
            yield plain
            index += 1
        if r.read(1):
            raise DomainError("error.backup_invalid")


def restore(archive: Path, passphrase: str, data_dir: Path) -> None:
    """Bring an archive back into an EMPTY data directory (database, documents, PKI, master key)."""
    if data_dir.exists() and any(data_dir.iterdir()):
        raise DomainError("error.restore_not_empty")
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile() as tar_file:
        for plain in _chunks(archive, passphrase):
            tar_file.write(plain)
        tar_file.seek(0)
        with tarfile.open(fileobj=tar_file, mode="r") as tar:
            tar.extractall(data_dir, filter="data")
    os.chmod(data_dir / "master.key", 0o600)
