"""Crash-safe file writes shared by storage, the PKI, the master key and the e-mail outbox.

A file is written to a temporary name in the same directory, fsynced, renamed over its final name
and the directory entry fsynced: after a SIGKILL or a power cut, readers find the old content or
the new one, never half of either. A killed writer may leave a ``.<name>.*.tmp`` file behind;
nothing reads those (``mrasla fsck`` lists stray blobs as collectable).

Everything Mrasla writes is private to its own system user: processes run with the umask
``PRIVATE_UMASK`` (set by ``mrasla`` and the server at start), the data directory is 0700 and the
SQLite database with its ``-wal``/``-shm`` companions 0600 (``make_private``); ``mrasla fsck``
reports anything more open.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

PRIVATE_UMASK = 0o077
PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600
#: What SQLite keeps next to a database file (same permissions as the database itself).
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def private_umask() -> None:
    """New files and directories of this process: for its own user only (0600 / 0700)."""
    os.umask(PRIVATE_UMASK)


def make_private(path: Path, directory: bool = False) -> None:
    """Create ``path`` (a directory, or an empty file) for its owner only, or take group and other
    access away from an existing one."""
    if directory:
        path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    elif not path.exists():
        path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, mode & 0o700)


def open_to_others(path: Path) -> int | None:
    """The permission bits of ``path`` if group or others have any access to it, else None."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    return mode if mode & 0o077 else None


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def makedirs(directory: Path) -> None:
    """``mkdir -p`` whose new entries survive a power cut (each new directory's parent is fsynced)."""
    if directory.is_dir():
        return
    makedirs(directory.parent)
    try:
        directory.mkdir()
    except FileExistsError:
        return
    fsync_dir(directory.parent)


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` all at once, with permissions ``mode``."""
    makedirs(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def remove(path: Path) -> None:
    """Delete ``path`` (if present) durably."""
    if path.exists():
        path.unlink()
        fsync_dir(path.parent)
