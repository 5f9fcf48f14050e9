"""Private spool of uploaded files that a wizard holds until it is submitted or abandoned.

An upload handler copies each file here chunk by chunk (never whole into memory) and keeps only
its name and spool id in the page's state; the bytes are read back once, when the wizard is
submitted. Before, the accepted bytes lived in the Reflex state for the life of the client token:
any visitor could make the server hold gigabytes (issue #12, finding 2).

Layout: ``<data>/spool/<sha256 of the client token>/<random id>`` — directories 0700, files 0600
(citizens' documents), no client token in clear on disk. Bounds:
- per client: the wizard's own limit (``max_files`` × ``max_upload_mb``);
- in all: ``MRASLA_SPOOL_MAX_MB``; a file that would pass either is refused while it is copied and
  removed. One client's copies take turns (an ``flock`` on its directory, which holds across workers),
  so its quota is exact; copies of different clients run side by side, so the global bound may be
  overshot by at most what they are writing at that moment;
- age: a file untouched for ``TTL_SECONDS`` is deleted by ``purge_expired``, run at each new upload
  (on access), so an abandoned wizard's files go even if nobody comes back.
A wizard removes its own files when it is submitted, reset or a file is taken out (``remove``).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from mrasla_app.services.errors import DomainError
from mrasla_app.settings import get_settings

MB = 1024 * 1024
CHUNK = MB
TTL_SECONDS = 2 * 3600  # longer than a wizard's client state lives in the server's memory (1 h)
_ID_CHARS = set("0123456789abcdef")


@dataclass(frozen=True)
class Spooled:
    file_id: str
    size: int


def _client_dir(client: str) -> Path:
    return get_settings().spool_dir / hashlib.sha256(f"spool:{client}".encode()).hexdigest()[:32]


def _path(client: str, file_id: str) -> Path:
    if len(file_id) != 32 or not set(file_id) <= _ID_CHARS:
        raise DomainError("error.spool_expired")
    return _client_dir(client) / file_id


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)  # mkdir's mode is masked by the umask; an existing directory is fixed too


def _usage(directory: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(directory):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except FileNotFoundError:  # removed meanwhile (a purge, a submit)
                pass
    return total


def client_quota() -> int:
    s = get_settings()
    return s.max_files * s.max_upload_mb * MB


def global_quota() -> int:
    return get_settings().spool_max_mb * MB


def store(client: str, source: BinaryIO, cap: int, name: str) -> Spooled:
    """Copy ``source`` (the file ``name``) into the client's spool; at most ``cap`` bytes
    (``error.file_too_large`` beyond) and within both quotas (``error.spool_quota`` for this client,
    ``error.spool_full`` for the server). Nothing is left behind on a refusal."""
    purge_expired()
    directory = _client_dir(client)
    _private_dir(directory.parent)
    _private_dir(directory)
    lock = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when ``lock`` is closed
        return _copy(directory, source, cap, name)
    finally:
        os.close(lock)


def _copy(directory: Path, source: BinaryIO, cap: int, name: str) -> Spooled:
    """``store``'s copy, run while the client's directory is locked (its usage cannot change meanwhile)."""
    client_room = client_quota() - _usage(directory)
    global_room = global_quota() - _usage(directory.parent)
    file_id = secrets.token_hex(16)
    path = directory / file_id
    size = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > cap:
                    raise DomainError("error.file_too_large", name=name, max=cap // MB)
                if size > client_room:
                    raise DomainError("error.spool_quota")
                if size > global_room:
                    raise DomainError("error.spool_full")
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Spooled(file_id, size)


def read(client: str, file_id: str) -> bytes:
    """The bytes of a spooled file (``error.spool_expired`` when it is gone: purged or never there)."""
    try:
        return _path(client, file_id).read_bytes()
    except FileNotFoundError:
        raise DomainError("error.spool_expired") from None


def remove(client: str, file_ids: list[str]) -> None:
    """Delete these spooled files of ``client`` (those already gone are ignored)."""
    for file_id in file_ids:
        try:
            _path(client, file_id).unlink(missing_ok=True)
        except DomainError:  # not a spool id: nothing of ours to delete
            pass


def purge_expired(ttl: float = TTL_SECONDS, now: float | None = None) -> int:
    """Delete spooled files untouched for ``ttl`` seconds and client directories empty and idle as long
    (a directory a concurrent ``store`` has just made is fresh, so it is never pulled from under it);
    returns how many files went."""
    root = get_settings().spool_dir
    if not root.is_dir():
        return 0
    cutoff, removed = (now or time.time()) - ttl, 0
    for directory in root.iterdir():
        if not directory.is_dir():
            continue
        try:
            idle = directory.stat().st_mtime < cutoff  # nothing added or removed there for ``ttl``
        except FileNotFoundError:
            continue
        for path in directory.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                pass
        try:
            if idle:  # not one a concurrent copy has just made
                directory.rmdir()  # only when empty
        except OSError:
            pass
    return removed


def usage() -> int:
    """Bytes in the whole spool (reported by ``mrasla fsck``)."""
    root = get_settings().spool_dir
    return _usage(root) if root.is_dir() else 0
