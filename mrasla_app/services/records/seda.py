"""SEDA 2.2 ArchiveTransfer messages (Standard d'échange de données pour l'archivage), the format
French public archives (Vitam, Pastell, Maarch, esup-signature) take in.

A transfer describes one archive unit per letter (title, registry number, file-plan position,
document type, tags, custom fields as keywords, the appraisal rule from its retention rule) with
one child unit per file: the letter's originals, its receipts, the ETSI validation report of each
signed PDF and the letter's audit extract. Every file is a ``BinaryDataObject`` with its SHA-256
and its path inside the package. The message is validated against the vendored SEDA 2.2 schemas
(``xsd/seda-2.2/``) before it leaves: a message the archives would refuse is never built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from lxml import etree

NS = "fr:gouv:culture:archivesdefrance:seda:v2.2"
XSD = Path(__file__).parent / "xsd" / "seda-2.2" / "seda-2.2-main.xsd"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# SEDA AppraisalRule/FinalAction: a transfer keeps the records, a destruction rule destroys them.
SEDA_FINAL_ACTION = {"destroy": "Destroy", "transfer": "Keep", "review": "Keep"}


class SchemaError(ValueError):
    """The message does not validate against the SEDA 2.2 schemas (lxml's log in the message)."""


@dataclass(frozen=True)
class DataObject:
    """One file of the package: ``uri`` is its path inside the package (relative to ``manifest.xml``)."""

    id: str
    uri: str
    sha256: str
    size: int
    filename: str
    mime_type: str
    title: str


@dataclass(frozen=True)
class LetterUnit:
    """One letter: its description, management rule and files."""

    id: str
    registry_number: str
    subject: str
    registered_at: datetime
    file_plan_position: str  # "01.02 — Personnel"
    document_type: str
    appraisal_rule: str  # the document type's code
    appraisal_start: date | None
    final_action: str  # records.FinalAction value
    originating_agency: str  # administration code
    tags: tuple[str, ...] = ()
    keywords: tuple[tuple[str, str], ...] = ()  # (custom field code, value)
    objects: tuple[DataObject, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Transfer:
    message_id: str
    comment: str
    created_at: datetime
    archival_agency: str
    transferring_agency: str
    letters: tuple[LetterUnit, ...]


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    e = etree.SubElement(parent, f"{{{NS}}}{tag}", **attrs)
    if text is not None:
        e.text = text
    return e


def _organization(parent: etree._Element, tag: str, identifier: str) -> None:
    _el(_el(parent, tag), "Identifier", identifier)


def _binary(package: etree._Element, obj: DataObject) -> None:
    bdo = _el(package, "BinaryDataObject", id=obj.id)
    _el(bdo, "DataObjectVersion", "BinaryMaster_1")
    _el(bdo, "Uri", obj.uri)
    _el(bdo, "MessageDigest", obj.sha256, algorithm="SHA-256")
    _el(bdo, "Size", str(obj.size))
    fmt = _el(bdo, "FormatIdentification")
    _el(fmt, "MimeType", obj.mime_type)
    _el(_el(bdo, "FileInfo"), "Filename", obj.filename)


def _letter(parent: etree._Element, letter: LetterUnit) -> None:
    unit = _el(parent, "ArchiveUnit", id=letter.id)
    rule = _el(_el(unit, "Management"), "AppraisalRule")
    _el(rule, "Rule", letter.appraisal_rule or "NONE")
    if letter.appraisal_start:
        _el(rule, "StartDate", letter.appraisal_start.isoformat())
    _el(rule, "FinalAction", SEDA_FINAL_ACTION.get(letter.final_action, "Keep"))
    content = _el(unit, "Content")
    _el(content, "DescriptionLevel", "File")
    _el(content, "Title", letter.subject)
    if letter.file_plan_position:
        _el(content, "FilePlanPosition", letter.file_plan_position)
    _el(content, "OriginatingSystemId", letter.registry_number)
    if letter.document_type:
        _el(content, "DocumentType", letter.document_type)
    for tag in letter.tags:
        _el(content, "Tag", tag)
    for code, value in letter.keywords:
        kw = _el(content, "Keyword")
        _el(kw, "KeywordContent", value)
        _el(kw, "KeywordReference", code)
    _organization(content, "OriginatingAgency", letter.originating_agency)
    _el(content, "RegisteredDate", letter.registered_at.replace(microsecond=0).isoformat())
    for obj in letter.objects:
        child = _el(unit, "ArchiveUnit", id=f"{letter.id}-{obj.id}")
        c = _el(child, "Content")
        _el(c, "DescriptionLevel", "Item")
        _el(c, "Title", obj.title)
        _el(_el(child, "DataObjectReference"), "DataObjectReferenceId", obj.id)


def build(transfer: Transfer) -> bytes:
    """The ArchiveTransfer message as UTF-8 XML, validated (``SchemaError`` when it does not)."""
    root = etree.Element(f"{{{NS}}}ArchiveTransfer", nsmap={None: NS, "xlink": "http://www.w3.org/1999/xlink"})
    _el(root, "Comment", transfer.comment)
    _el(root, "Date", transfer.created_at.replace(microsecond=0).isoformat())
    _el(root, "MessageIdentifier", transfer.message_id)
    codes = _el(root, "CodeListVersions")
    _el(codes, "ReplyCodeListVersion", "ReplyCodeListVersion0")
    _el(codes, "MessageDigestAlgorithmCodeListVersion", "MessageDigestAlgorithmCodeListVersion0")
    _el(codes, "MimeTypeCodeListVersion", "MimeTypeCodeListVersion0")
    _el(codes, "FileFormatCodeListVersion", "FileFormatCodeListVersion0")
    _el(codes, "AppraisalRuleCodeListVersion", "AppraisalRuleCodeListVersion0")
    package = _el(root, "DataObjectPackage")
    for letter in transfer.letters:
        for obj in letter.objects:
            _binary(package, obj)
    descriptive = _el(package, "DescriptiveMetadata")
    for letter in transfer.letters:
        _letter(descriptive, letter)
    management = _el(package, "ManagementMetadata")
    _el(management, "AcquisitionInformation", "Versement")
    _el(management, "LegalStatus", "Public Archive")
    _el(management, "OriginatingAgencyIdentifier", transfer.transferring_agency)
    _el(management, "SubmissionAgencyIdentifier", transfer.transferring_agency)
    _organization(root, "ArchivalAgency", transfer.archival_agency)
    _organization(root, "TransferringAgency", transfer.transferring_agency)
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate(xml)
    return xml


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    """The SEDA 2.2 schema set, parsed once per process (local files only: no network)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(XSD), parser))


def validate(xml: bytes) -> None:
    """Raise ``SchemaError`` unless ``xml`` is a valid SEDA 2.2 message."""
    doc = etree.fromstring(xml, etree.XMLParser(no_network=True, resolve_entities=False))
    s = schema()
    if not s.validate(doc):
        raise SchemaError("; ".join(f"line {e.line}: {e.message}" for e in s.error_log))
