"""Crash-safe file writes shared by storage, the PKI, the master key and the e-mail outbox.

A file is written to a temporary name in the same directory, fsynced, renamed over its final name
and the directory entry fsynced: after a SIGKILL or a power cut, readers find the old content or
the new one, never half of either. A killed writer may leave a ``.<name>.*.tmp`` file behind;
nothing reads those (``mrasla fsck`` lists stray blobs as collectable).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


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
