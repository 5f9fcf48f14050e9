"""Office documents (DOCX, XLSX, ODT, ODS): inspected without opening them, converted to PDF apart.

An Office file is a ZIP archive. Before any converter opens it, its listing and its XML parts are read
as text: legacy binary formats, macros (VBA projects, ActiveX, OLE embeddings, Basic/Scripts folders,
script event listeners), external references other than hyperlinks (templates, linked images and
objects, DDE) and archives that inflate beyond a bound (ZIP bombs) are refused. An accepted file is
converted by LibreOffice headless in its own process group, with a CPU-time, memory and wall-clock
limit and a throw-away profile; its PDF is checked like an uploaded PDF. The original is kept beside
the PDF rendition, and both hashes are on the receipt.
"""

from __future__ import annotations

import io
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mrasla_app.services.errors import DomainError
from mrasla_app.settings import get_settings

#: Content types by what the archive declares inside (never by the file name).
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
EXTENSIONS: dict[str, tuple[str, ...]] = {DOCX: (".docx",), XLSX: (".xlsx",), ODT: (".odt",), ODS: (".ods",)}
_OOXML_MAIN = {"wordprocessingml.document.main": DOCX, "spreadsheetml.sheet.main": XLSX}

#: Archive bounds: a real letter or table is far below; a ZIP bomb is far above.
MAX_ENTRIES = 2_000
MAX_INFLATED = 150 * 1024 * 1024
MAX_RATIO = 200  # inflated / compressed, per entry larger than 1 MB

_OOXML_ACTIVE = re.compile(r"(^|/)(vbaProject\.bin|vbaData\.xml|activeX/|embeddings/.*\.(bin|docm|xlsm))$", re.I)
_ODF_ACTIVE = re.compile(r"^(Basic|Scripts|Dialogs)/", re.I)
_ACTIVE_XML = re.compile(
    rb"vbaProject|macroEnabled|script:event-listener|vnd\.sun\.star\.script|office:dde|"
    rb"ddeLink|externalLink",
    re.I,
)
_RELATIONSHIP = re.compile(rb"<Relationship\b[^>]*>", re.I)
_EXTERNAL_HREF = re.compile(
    rb"<(draw:image|draw:object|draw:object-ole|text:section-source|table:table-source)\b"
    rb"[^>]*xlink:href=\"(?!\./|#)[^\"]*\"",
    re.I,
)


@dataclass(frozen=True)
class OfficeFile:
    content_type: str
    extension: str


def _refuse(code: str, name: str) -> DomainError:
    return DomainError(code, name=name)


def _entries(archive: zipfile.ZipFile, name: str) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES or sum(i.file_size for i in infos) > MAX_INFLATED:
        raise _refuse("error.office_too_large", name)
    for i in infos:
        if i.file_size > 1024 * 1024 and i.file_size > MAX_RATIO * max(1, i.compress_size):
            raise _refuse("error.office_too_large", name)
    return infos


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """An XML part, read with a bound even if its header lies about its size."""
    with archive.open(info) as fh:
        data = fh.read(MAX_INFLATED + 1)
    if len(data) > MAX_INFLATED:
        raise DomainError("error.office_too_large", name=info.filename)
    return data


def _kind(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    if "mimetype" in names:
        declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
        return declared if declared in (ODT, ODS) else None
    if "[Content_Types].xml" in names:
        types = archive.read("[Content_Types].xml")
        found = {ctype for key, ctype in _OOXML_MAIN.items() if key.encode() in types}
        return found.pop() if len(found) == 1 else None
    return None


def _external(rel: bytes) -> bool:
    """An external relationship other than a plain hyperlink (templates, linked images, OLE, frames)."""
    return b'TargetMode="External"' in rel and b'/hyperlink"' not in rel


def inspect(name: str, data: bytes) -> OfficeFile:
    """The Office type of ``data``, or a ``DomainError`` saying why it is refused; nothing is executed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = _entries(archive, name)
            names = {i.filename for i in infos}
            ctype = _kind(archive, names)
            if ctype is None:
                raise _refuse("error.file_type", name)
            if any(_OOXML_ACTIVE.search(n) or _ODF_ACTIVE.match(n) for n in names):
                raise _refuse("error.office_active", name)
            for info in infos:
                if not info.filename.endswith((".xml", ".rels")):
                    continue
                part = _read(archive, info)
                if _ACTIVE_XML.search(part):
                    raise _refuse("error.office_active", name)
                if any(_external(rel) for rel in _RELATIONSHIP.findall(part)) or _EXTERNAL_HREF.search(part):
                    raise _refuse("error.office_external", name)
    except zipfile.BadZipFile:
        raise _refuse("error.file_type", name) from None
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
        raise _refuse("error.file_type", name) from None  # encrypted, unknown compression, truncated
    return OfficeFile(ctype, EXTENSIONS[ctype][0])


def soffice() -> str | None:
    """The LibreOffice binary, if this machine has one (Debian: ``libreoffice-writer-nogui``)."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _limits(memory_mb: int, cpu_seconds: int):
    def apply() -> None:  # in the child, before exec: its own session (group) and hard resource limits
        os.setsid()
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024,) * 2)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))

    return apply


def to_pdf(name: str, data: bytes, office: OfficeFile) -> bytes:
    """Convert with LibreOffice headless in a sandboxed child; refuse what does not finish in bounds."""
    binary = soffice()
    if binary is None:
        raise _refuse("error.office_unavailable", name)
    settings = get_settings()
    with tempfile.TemporaryDirectory(prefix="mrasla-convert-") as tmp:
        work = Path(tmp)
        source = work / f"document{office.extension}"
        source.write_bytes(data)
        cmd = [
            binary,
            f"-env:UserInstallation=file://{work / 'profile'}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(work),
            "LANG": "C.UTF-8",
            "SAL_USE_VCLPLUGIN": "svp",
        }
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=work,
            preexec_fn=_limits(settings.convert_memory_mb, settings.convert_seconds),
        )
        try:
            proc.wait(timeout=settings.convert_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise _refuse("error.office_conversion", name) from None
        finally:
            try:  # LibreOffice may leave helpers behind in its group: none survives the conversion
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        out = work / "out" / "document.pdf"
        if proc.returncode != 0 or not out.is_file():
            raise _refuse("error.office_conversion", name)
        return out.read_bytes()
