"""Indexing proposals: what the registry clerk would otherwise type, read from a letter's text.

From the text of a letter (its PDF text layer or the OCR of its scan) propose the sender, the
letter's reference, its date, the sender's CIN or ICE and the subject. These are proposals: the
clerk confirms or corrects each field before anything is registered.

Arabic and French letters are both handled: Arabic-Indic digits, Moroccan and Mashriq month names
(مارس, غشت, شتنبر…), labelled lines (``Objet :``, ``الموضوع:``, ``N°``, ``رقم``/``عدد``). A PDF
text layer gives Arabic lines in visual order, so a number can come out on the other side of its
label (``٤٥/٢٠٢٦ … رقم``): the patterns accept both sides.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date

FIELDS = ("sender", "reference", "dated", "id_kind", "id_value", "subject")

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_DIAC = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u0640\u200e\u200f\u202a-\u202e\u2066-\u2069]")

MONTHS = {
    # French
    "janvier": 1,
    "février": 2,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "août": 8,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "décembre": 12,
    "decembre": 12,
    # Arabic, Moroccan usage
    "يناير": 1,
    "فبراير": 2,
    "مارس": 3,
    "أبريل": 4,
    "ابريل": 4,
    "ماي": 5,
    "يونيو": 6,
    "يوليوز": 7,
    "يوليو": 7,
    "غشت": 8,
    "أغسطس": 8,
    "شتنبر": 9,
    "سبتمبر": 9,
    "أكتوبر": 10,
    "اكتوبر": 10,
    "نونبر": 11,
    "نوفمبر": 11,
    "دجنبر": 12,
    "ديسمبر": 12,
}
_MONTH = "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True))
_DATE_PATTERNS = (
    re.compile(rf"(?<!\d)(\d{{1,2}})(?:er)?\s*({_MONTH})\s*(\d{{4}})(?!\d)", re.IGNORECASE),  # 12 mars 2026
    re.compile(rf"(?<!\d)(\d{{4}})\s*({_MONTH})\s*(\d{{1,2}})(?!\d)", re.IGNORECASE),  # visual order: 2026 مارس 12
    re.compile(r"(?<![\d/])(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?![\d/])"),  # 12/03/2026
    re.compile(r"(?<![\d/])(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})(?![\d/])"),  # 2026-03-12 (or visual 2026/03/12)
)
_REF_TOKEN = r"([0-9A-Za-z\u0621-\u064a][0-9A-Za-z\u0621-\u064a/.\-_]*\d[0-9A-Za-z\u0621-\u064a/\-_]*)"
_REF_LABEL = r"(?:V/\s*R[ée]f|N/\s*R[ée]f|R[ée]f[ée]rence|R[ée]f\.?|N°|Nº|No\.|رقم|عدد|المرجع)"
_REF_AFTER = re.compile(rf"{_REF_LABEL}\s*[:：]?\s*{_REF_TOKEN}", re.IGNORECASE)
_REF_BEFORE = re.compile(rf"^{_REF_TOKEN}\s+.*(?:رقم|عدد|المرجع)\s*[:：]?\s*$")
_CIN_LABEL = re.compile(r"(?:C\.?I\.?N\.?|CNIE|carte nationale|ب\.?\s?ت\.?\s?و|البطاقة الوطنية)", re.IGNORECASE)
_CIN = re.compile(r"(?<![A-Za-z0-9])([A-Z]{1,2}\s?\d{3,6})(?![A-Za-z0-9])")
_ICE = re.compile(r"(?<!\d)(\d{3}\s?\d{3}\s?\d{3}\s?\d{3}\s?\d{3})(?!\d)")
_SUBJECT = re.compile(r"^\s*(?:Objet|OBJET|Object|الموضوع|موضوع)\s*[:：]\s*(.+?)\s*$|^\s*(.+?)\s*[:：]\s*الموضوع\s*$")
_SENDER = re.compile(r"^\s*(?:Exp[ée]diteur|De|From|المرسل|الجهة المرسلة|من)\s*[:：]\s*(.+?)\s*$")
_HEADER = re.compile(
    r"royaume du maroc|المملكة المغربية|^\s*(?:à|a|إلى|الى|السيد|monsieur|madame|objet|الموضوع)\b|"
    r"\d{4}|^\s*(?:n°|réf|رقم|عدد)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Proposal:
    """Proposed values ("" when nothing was found); ``dated`` is ISO (YYYY-MM-DD)."""

    sender: str = ""
    reference: str = ""
    dated: str = ""
    id_kind: str = ""
    id_value: str = ""
    subject: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def normalise(text: str) -> str:
    """NFKC (Arabic presentation forms → letters), Western digits, no harakat, tatweel or bidi marks."""
    return _DIAC.sub("", unicodedata.normalize("NFKC", text or "")).translate(_DIGITS)


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def find_date(text: str) -> str:
    """The first plausible date of the letter (ISO), "" when none."""
    found: list[tuple[int, date]] = []
    for index, pattern in enumerate(_DATE_PATTERNS):
        for m in pattern.finditer(text):
            a, b, c = m.groups()
            try:
                if index == 0:
                    d = date(int(c), MONTHS[b.lower()], int(a))
                elif index == 1:
                    d = date(int(a), MONTHS[b.lower()], int(c))
                elif index == 2:
                    d = date(int(c), int(b), int(a))
                else:
                    d = date(int(a), int(b), int(c))
            except (ValueError, KeyError):
                continue
            if 1900 <= d.year <= 2100:
                found.append((m.start(), d))
    return min(found)[1].isoformat() if found else ""


def find_reference(lines: list[str]) -> str:
    for line in lines:
        if _CIN_LABEL.search(line) or re.search(r"\bICE\b", line):
            continue
        m = _REF_AFTER.search(line) or _REF_BEFORE.search(line)
        if m:
            return m.group(1).strip("./-")
    return ""


def find_identity(lines: list[str]) -> tuple[str, str]:
    """("CIN", value) or ("ICE", value) from a labelled line, else from any lone pattern."""
    for line in lines:
        if re.search(r"\bICE\b|ت\.?\s?م\.?\s?م|التعريف الموحد", line, re.IGNORECASE) and (m := _ICE.search(line)):
            return "ICE", re.sub(r"\s", "", m.group(1))
        if _CIN_LABEL.search(line) and (m := _CIN.search(line)):
            return "CIN", re.sub(r"\s", "", m.group(1))
    return "", ""


def find_subject(lines: list[str]) -> str:
    for line in lines:
        m = _SUBJECT.match(line)
        if m:
            return (m.group(1) or m.group(2) or "").strip()[:255]
    return ""


def find_sender(lines: list[str]) -> str:
    """A labelled sender line, else the first line of the letterhead that is not a header, an
    addressee, a date or a reference."""
    for line in lines:
        m = _SENDER.match(line)
        if m:
            return m.group(1).strip(" ,،|.-")[:150]
    for line in lines[:8]:
        if not _HEADER.search(line) and len(line) >= 3 and not _CIN_LABEL.search(line):
            return line.strip(" ,،|.-")[:150]
    return ""


def propose(text: str) -> Proposal:
    """Indexing proposals for a letter whose text is ``text`` (all pages joined)."""
    norm = normalise(text)
    lines = _lines(norm)
    kind, value = find_identity(lines)
    return Proposal(
        sender=find_sender(lines),
        reference=find_reference(lines),
        dated=find_date(norm),
        id_kind=kind,
        id_value=value,
        subject=find_subject(lines),
    )
