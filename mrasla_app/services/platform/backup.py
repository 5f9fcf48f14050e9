"""Encrypted, consistent backups of a whole installation, and their restoration.

The archive holds a snapshot of the database (SQLite's online backup API: consistent while the
app keeps running), the private documents (``blobs/``), the PKI (certificates and sealed keys) and
the master key — everything needed to bring the platform back, so the archive is encrypted with a
key derived from a passphrase (scrypt), in AES-256-GCM chunks that are authenticated one by one and
in order (a truncated or altered archive is refused). PostgreSQL installations back up their
database with ``pg_dump`` and this archive for the files.

Nothing of it is ever written in clear outside the data directory: the tar is streamed straight
into the encryption (and, on restore, from the decryption into the new data directory), and the
database snapshot is staged inside the data directory itself, beside the database it copies.
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


def _check(passphrase: str) -> None:
    if len(passphrase) < 12:
        raise DomainError("error.password_too_short", min=12)


def _key(passphrase: str, salt: bytes) -> bytes:
    _check(passphrase)
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


class _SealedWriter:
    """A write-only stream that seals what it is given in ``CHUNK``-sized, numbered AES-GCM chunks;
    the last one (flagged in its nonce) is written by ``close``, so a cut archive cannot pass."""

    def __init__(self, out, passphrase: str) -> None:
        salt, self._prefix = os.urandom(16), os.urandom(7)
        self._key, self._out, self._buf, self._index = AESGCM(_key(passphrase, salt)), out, bytearray(), 0
        out.write(MAGIC + salt + self._prefix)

    def _seal(self, chunk: bytes, last: bool) -> None:
        sealed = self._key.encrypt(_nonce(self._prefix, self._index, last), chunk, MAGIC)
        self._out.write(struct.pack(">I", len(sealed)) + sealed)
        self._index += 1

    def write(self, data: bytes) -> int:
        self._buf += data
        while len(self._buf) > CHUNK:  # keep at least one byte back: the final chunk is sealed on close
            self._seal(bytes(self._buf[:CHUNK]), last=False)
            del self._buf[:CHUNK]
        return len(data)

    def close(self) -> None:
        self._seal(bytes(self._buf), last=True)
        self._buf.clear()


def _tar(settings: Settings, staged: Path, keys: tuple[bytes, ...], sink: _SealedWriter) -> None:
    """Stream a tar of the staged snapshot and PKI, the blobs and the master keys into ``sink``."""
    with tarfile.open(fileobj=sink, mode="w|") as tar:
        tar.add(staged / DB_NAME, arcname=DB_NAME)
        tar.add(staged / "pki", arcname="pki")
        if settings.blobs_dir.exists():  # content-addressed: never rewritten, safe to read without the lock
            tar.add(settings.blobs_dir, arcname="blobs")
        for path, key in zip((settings.master_key_path, settings.retiring_master_key_path), keys):
            encoded = base64.b64encode(key)  # same format as <data>/master.key
            info = tarfile.TarInfo(path.name)
            info.size, info.mode = len(encoded), 0o600
            tar.addfile(info, io.BytesIO(encoded))


def create(out: Path, passphrase: str) -> int:
    """Write the encrypted archive to ``out``; returns its size in bytes."""
    settings = get_settings()
    _check(passphrase)  # before any work
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=settings.data_dir) as tmp:
        keys = _stage(settings, Path(tmp))
        tmp_out = out.with_suffix(out.suffix + ".part")
        try:
            with tmp_out.open("wb") as w:
                sink = _SealedWriter(w, passphrase)
                _tar(settings, Path(tmp), keys, sink)
                sink.close()
                w.flush()
                os.fsync(w.fileno())
            os.replace(tmp_out, out)
        finally:
            tmp_out.unlink(missing_ok=True)
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


class _OpenedReader:
    """A read-only stream over the decrypted chunks, for ``tarfile``'s streaming mode."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._buf = chunks, bytearray()

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buf) < size:
            nxt = next(self._chunks, None)
            if nxt is None:
                break
            self._buf += nxt
        size = len(self._buf) if size < 0 else size
        out = bytes(self._buf[:size])
        del self._buf[:size]
        return out


def restore(archive: Path, passphrase: str, data_dir: Path) -> None:
    """Bring an archive back into an EMPTY data directory (database, documents, PKI, master key)."""
    if data_dir.exists() and any(data_dir.iterdir()):
        raise DomainError("error.restore_not_empty")
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(fileobj=_OpenedReader(_chunks(archive, passphrase)), mode="r|") as tar:
            tar.extractall(data_dir, filter="data")
    except (DomainError, tarfile.TarError) as exc:
        for child in data_dir.iterdir():  # a cut or altered archive leaves nothing half-restored
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        raise exc if isinstance(exc, DomainError) else DomainError("error.backup_invalid") from None
    os.chmod(data_dir / "master.key", 0o600)
