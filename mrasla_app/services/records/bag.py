"""BagIt (RFC 8493) wrapping of archive packages, with the Library of Congress ``bagit`` library.

The bag's payload (``data/``) is the SEDA package: ``manifest.xml`` plus the files it names; the
bag adds SHA-256 and SHA-512 manifests of every payload file and tag file, so the receiving archives
(or anyone restoring the package) can prove nothing changed on the way. The bag travels as one
ZIP file (``bag/…`` inside); ``open_bag`` unpacks one safely and validates it.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

import bagit

BAG_ROOT = "bag"
CHECKSUMS = ("sha256", "sha512")


class BagError(ValueError):
    """The ZIP is not a complete, unaltered bag."""


def make_zip(payload: Mapping[str, bytes], info: Mapping[str, str]) -> bytes:
    """A zipped bag whose payload is ``payload`` (path inside ``data/`` → bytes)."""
    with tempfile.TemporaryDirectory(prefix="mrasla-bag-") as tmp:
        root = Path(tmp) / BAG_ROOT
        for name, data in payload.items():
            path = root / _safe(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        bagit.make_bag(str(root), dict(info), processes=1, checksums=list(CHECKSUMS))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    z.write(path, str(path.relative_to(tmp)))
        return out.getvalue()


def _safe(name: str) -> PurePosixPath:
    """A relative path with no ``..``, absolute part or empty segment (zip-slip)."""
    path = PurePosixPath(name)
    if path.is_absolute() or any(part in ("", "..", ".") for part in path.parts):
        raise BagError(f"unsafe path in package: {name!r}")
    return path


def open_bag(zip_bytes: bytes, into: Path) -> bagit.Bag:
    """Unpack a zipped bag under ``into`` and validate it (every checksum, no missing or extra
    file); raises ``BagError`` otherwise. Returns the validated ``bagit.Bag``."""
    try:
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as z:
            for member in z.infolist():
                target = into / _safe(member.filename)
                if member.is_dir():
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(z.read(member))
        bag = bagit.Bag(str(into / BAG_ROOT))
        bag.validate(processes=1)
    except (zipfile.BadZipFile, bagit.BagError) as exc:
        raise BagError(str(exc)) from exc
    return bag
