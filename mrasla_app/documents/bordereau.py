"""The parapheur's PDFs: the signature page, the visible stamps, field signing and the bordereau.

pyHanko refuses to *add* a visible signature field once a document is certified, so a folder's
document is prepared ONCE when its circuit starts (``prepare_document``): one incremental update
appends the signature page (bilingual labels, the verification QR code, one framed slot per
signature or seal) and creates every empty signature field on it. Each signature then fills its
own pre-created field (``sign_field``); the first one certifies with DocMDP ``FILL_FORMS`` so the
later ones stay allowed.

The visible stamp of a signature is drawn with fpdf2 (the receipt toolkit: bundled fonts,
HarfBuzz shaping) as a tiny one-page PDF and imported as the field's appearance, so it can say
in French *and* Arabic who signed, in which capacity, by delegation of whom, and when (Morocco
time) — pyHanko's own text stamps only have Courier/WinAnsi (no Arabic).

``render_bordereau`` is the signature summary page (bordereau de signature / بيان التوقيعات)
listing every step, actor, delegation, decision, time and comment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from typing import cast
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from pyhanko.pdf_utils import content, generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import MDPPerm
from pyhanko.stamp import StaticStampStyle

from mrasla_app.documents.labels import fit, font_for, use_font
from mrasla_app.documents.receipt_layout import (
    FONT_AR,
    FONT_LATIN,
    FONT_MONO,
    PAGE_H_MM,
    SealSlot,
    draw_qr,
    new_document,
)
from mrasla_app.documents.receipts import FILL, GREEN, INK, MUTED, RED, RULE, _is_arabic
from mrasla_app.pki import ltv
from mrasla_app.pki.ca import Platform, load_or_create_pki
from mrasla_app.pki.signing import async_run_signer, run_sync, timestamper, validation_context
from mrasla_app.settings import TIMEZONE

# Size of one signature slot on the signature page (mm) and of the stamp drawn in it.
SLOT_W, SLOT_H = 82.0, 30.0
_SLOT_LABEL_H = 9.0
_ROW_H = SLOT_H + _SLOT_LABEL_H + 5.0


def local(dt: datetime) -> datetime:
    return dt.astimezone(ZoneInfo(TIMEZONE))


# ------------------------------------------------------------------------ signature page


@dataclass(frozen=True)
class SlotSpec:
    """One empty signature field to create: what the labels above its frame say."""

    field_name: str
    label_fr: str  # e.g. "Étape 2 · Signature"
    label_ar: str
    names_fr: str  # who is expected, e.g. "Mohammed Berrada"
    names_ar: str


@dataclass(frozen=True)
class SignaturePageData:
    title: str
    reference: str
    administration_fr: str
    administration_ar: str
    verify_url: str
    slots: tuple[SlotSpec, ...] = field(default_factory=tuple)


def _band(pdf: FPDF) -> None:
    pdf.set_fill_color(*GREEN)
    pdf.rect(0, 0, 210, 6, style="F")
    pdf.set_fill_color(*RED)
    pdf.rect(0, 6, 210, 0.8, style="F")


def _header(pdf: FPDF, adm_fr: str, adm_ar: str, title_fr: str, title_ar: str) -> None:
    w, x0 = pdf.epw, pdf.l_margin
    _band(pdf)
    pdf.set_y(11)
    use_font(pdf, FONT_LATIN, 8, color=MUTED)
    pdf.cell(w / 2, 4, "Mrasla · Parapheur électronique")
    use_font(pdf, FONT_AR, 8.5, color=MUTED)
    pdf.cell(w / 2, 4, "مراسلة · الحامل الإلكتروني", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    y = pdf.get_y() + 1
    pdf.set_xy(x0, y)
    use_font(pdf, FONT_LATIN, 9.5, "B", sample=adm_fr)
    pdf.cell(w / 2 - 2, 5, fit(pdf, adm_fr, w / 2 - 2))
    use_font(pdf, FONT_AR, 10, "B")
    pdf.cell(w / 2 + 2, 5, fit(pdf, adm_ar, w / 2 - 2), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    use_font(pdf, FONT_AR, 15, "B", GREEN)
    pdf.cell(w, 8, title_ar, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    use_font(pdf, FONT_LATIN, 13, "B", GREEN)
    pdf.cell(w, 7, title_fr, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _rule(pdf: FPDF, gap: float = 2.5) -> None:
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.3)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())
    pdf.ln(gap)


def _text_line(pdf: FPDF, text: str, size: float, width: float, style: str = "", color=INK, h: float = 4.6) -> None:
    """One line in the text's own script and alignment, shortened to fit."""
    family = font_for(text)
    use_font(pdf, family, size + (0.6 if family == FONT_AR else 0), style, color, sample=text)
    x = pdf.get_x()
    pdf.cell(width, h, fit(pdf, text, width), align="R" if _is_arabic(text) else "L", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_x(x)


def _line_count(pdf: FPDF, w: float, h: float, text: str) -> int:
    """How many lines ``multi_cell`` would take for ``text`` in the current font (a dry run)."""
    lines = pdf.multi_cell(w, h, text, dry_run=True, output="LINES")
    assert isinstance(lines, list)  # only LINES asked for: fpdf2 returns the list itself
    return len(lines)


def render_signature_page(data: SignaturePageData) -> tuple[bytes, list[SealSlot]]:
    """The signature page(s) appended to a folder's document; returns the PDF and one slot per field.

    Slots are 0-based *within this PDF*; ``prepare_document`` offsets them by the page count of
    the document they are appended to.
    """
    pdf = new_document(title=f"Signatures — {data.reference}")
    pdf.set_auto_page_break(False)
    slots: list[SealSlot] = []
    w, x0 = pdf.epw, pdf.l_margin
    qr_block = 44.0
    bottom = PAGE_H_MM - 14 - qr_block

    def new_page() -> None:
        pdf.add_page()
        _header(pdf, data.administration_fr, data.administration_ar, "Page des signatures", "صفحة التوقيعات")
        y = pdf.get_y()
        _text_line(pdf, data.title, 10.5, w, "B")
        use_font(pdf, FONT_LATIN, 8.5, color=MUTED, sample="ء")
        pdf.cell(w, 4.5, f"Parapheur / الحامل : {data.reference}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(max(pdf.get_y(), y + 9) + 1)
        _rule(pdf, 4)

    new_page()
    col_w = (w - 6) / 2
    y = pdf.get_y()
    for i, slot in enumerate(data.slots):
        col = i % 2
        if col == 0:
            if pdf.get_y() + _ROW_H > bottom:
                new_page()
            y = pdf.get_y()
        x = x0 + col * (col_w + 6)
        pdf.set_xy(x, y)
        use_font(pdf, FONT_LATIN, 7.5, "B", GREEN)
        pdf.cell(col_w / 2, 4, fit(pdf, slot.label_fr, col_w / 2))
        use_font(pdf, FONT_AR, 8, "B", GREEN)
        pdf.cell(col_w / 2, 4, fit(pdf, slot.label_ar, col_w / 2), align="R")
        pdf.set_xy(x, y + 4.2)
        use_font(pdf, FONT_LATIN, 7, color=MUTED, sample=slot.names_fr)
        pdf.cell(col_w / 2, 3.8, fit(pdf, slot.names_fr, col_w / 2))
        use_font(pdf, FONT_AR, 7.5, color=MUTED)
        pdf.cell(col_w / 2, 3.8, fit(pdf, slot.names_ar, col_w / 2), align="R")
        bx, by = x + (col_w - SLOT_W) / 2, y + _SLOT_LABEL_H
        pdf.set_draw_color(*GREEN)
        pdf.set_line_width(0.3)
        pdf.set_dash_pattern(dash=1.2, gap=1)
        pdf.rect(bx - 0.8, by - 0.8, SLOT_W + 1.6, SLOT_H + 1.6, style="D")
        pdf.set_dash_pattern()
        slots.append(SealSlot.from_mm(pdf.page - 1, bx, by, SLOT_W, SLOT_H))
        if col == 1 or i == len(data.slots) - 1:
            pdf.set_y(y + _ROW_H)
    # Verification block at the bottom of the last page.
    pdf.set_y(bottom + 4)
    _rule(pdf, 2)
    y = pdf.get_y()
    draw_qr(pdf, data.verify_url, x0, y, 34)
    pdf.set_xy(x0 + 38, y)
    use_font(pdf, FONT_LATIN, 8.2)
    pdf.multi_cell(
        w - 38,
        3.9,
        "Ce document est signé électroniquement (PAdES, horodaté). Scannez le code QR "
        "ou ouvrez l'adresse ci-dessous pour vérifier les signatures et l'état du parapheur.",
        align="L",
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
    )
    pdf.set_xy(x0 + 38, pdf.get_y() + 1)
    use_font(pdf, FONT_AR, 9)
    pdf.multi_cell(
        w - 38,
        4.6,
        "هذه الوثيقة موقعة إلكترونيا ومؤرخة. امسح رمز الاستجابة السريعة أو افتح العنوان "
        "أدناه للتحقق من التوقيعات ومن وضعية الحامل.",
        align="R",
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
    )
    pdf.set_xy(x0 + 38, pdf.get_y() + 1)
    use_font(pdf, FONT_MONO, 6.5, color=MUTED)
    pdf.multi_cell(w - 38, 3.2, data.verify_url, align="L")
    return bytes(pdf.output()), slots


def prepare_document(pdf_bytes: bytes, data: SignaturePageData) -> tuple[bytes, dict[str, SealSlot]]:
    """Append the signature page and create every empty signature field, in ONE incremental update.

    Must run before the first signature: after a certification pyHanko refuses new fields.
    Returns the prepared PDF and, per field name, its page (0-based, in the whole document) and box.
    """
    page_pdf, slots = render_signature_page(data)
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    base_pages = int(writer.root["/Pages"]["/Count"])
    sig_reader = PdfFileReader(BytesIO(page_pdf), strict=False)
    n_sig_pages = int(sig_reader.root["/Pages"]["/Count"])
    for ix in range(n_sig_pages):
        xobj = writer.import_page_as_xobject(sig_reader, page_ix=ix)
        mb = xobj.get_object()["/BBox"]  # the imported page's MediaBox
        stream = generic.StreamObject(stream_data=b"q /MraslaSigPage Do Q")
        page = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Page"),
                pdf_name("/MediaBox"): generic.ArrayObject([generic.FloatObject(float(v)) for v in mb]),
                pdf_name("/Resources"): generic.DictionaryObject(
                    {
                        pdf_name("/XObject"): generic.DictionaryObject({pdf_name("/MraslaSigPage"): xobj}),
                    }
                ),
                pdf_name("/Contents"): writer.add_object(stream),
            }
        )
        writer.insert_page(page)
    placed: dict[str, SealSlot] = {}
    for spec, slot in zip(data.slots, slots, strict=True):
        where = SealSlot(base_pages + slot.page, slot.box_pt)
        # pyHanko types the box in integers; a PDF rectangle takes real numbers, as written here
        box = cast("tuple[int, int, int, int]", tuple(round(v, 2) for v in where.box_pt))
        fields.append_signature_field(writer, fields.SigFieldSpec(spec.field_name, on_page=where.page, box=box))
        placed[spec.field_name] = where
    out = BytesIO()
    writer.write(out)
    return out.getvalue(), placed


# ------------------------------------------------------------------------------- stamps


@dataclass(frozen=True)
class StampData:
    """What a visible signature says, in both languages."""

    seal: bool
    name_fr: str
    name_ar: str
    role_fr: str
    role_ar: str
    unit_fr: str
    unit_ar: str
    signed_at: datetime
    for_fr: str = ""  # "par délégation de …" when acting for someone
    for_ar: str = ""

    def text_fr(self) -> str:
        """The stamp's French text, also used as the signature's /Reason (searchable, Latin)."""
        lines = ["Cacheté électroniquement par" if self.seal else "Signé électroniquement par", self.name_fr]
        if self.role_fr or self.unit_fr:
            lines.append(", ".join(v for v in (self.role_fr, self.unit_fr) if v))
        if self.for_fr:
            lines.append(f"par délégation de {self.for_fr}")
        lines.append(f"le {local(self.signed_at):%d/%m/%Y à %H:%M} (heure du Maroc)")
        return "\n".join(lines)


def render_stamp(data: StampData, w_mm: float = SLOT_W, h_mm: float = SLOT_H) -> bytes:
    """A one-page PDF of the stamp (French on the left, Arabic on the right)."""
    pdf = new_document(title="Signature")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.add_page(format=(w_mm, h_mm))
    pdf.set_fill_color(*FILL)
    pdf.set_draw_color(*GREEN)
    pdf.set_line_width(0.4)
    pdf.rect(0.3, 0.3, w_mm - 0.6, h_mm - 0.6, style="DF")
    half = (w_mm - 4) / 2
    t = local(data.signed_at)
    fr = [
        "Cacheté électroniquement par" if data.seal else "Signé électroniquement par",
        data.name_fr,
        ", ".join(v for v in (data.role_fr, data.unit_fr) if v),
    ]
    ar = [
        "ختم إلكترونيا من طرف" if data.seal else "وقع إلكترونيا من طرف",
        data.name_ar or data.name_fr,
        "، ".join(v for v in (data.role_ar, data.unit_ar) if v),
    ]
    if data.for_fr:
        fr.append(f"par délégation de {data.for_fr}")
        ar.append(f"بالتفويض عن {data.for_ar or data.for_fr}")
    fr.append(f"le {t:%d/%m/%Y à %H:%M} (heure du Maroc)")
    ar.append(f"بتاريخ {t:%d/%m/%Y} على الساعة {t:%H:%M}")
    line_h = min(4.6, (h_mm - 3) / max(len(fr), len(ar)))
    for col, lines in ((0, fr), (1, ar)):
        x = 1.5 + col * (half + 1)
        pdf.set_xy(x, 1.5)
        for i, text in enumerate(lines):
            if not text:
                continue
            is_ar = _is_arabic(text) or col == 1 and font_for(text) == FONT_AR
            family = FONT_AR if is_ar else FONT_LATIN
            style = "B" if i == 1 else ""
            size = 6.6 if i == 1 else 5.6
            use_font(pdf, family, size + (0.5 if is_ar else 0), style, GREEN if i == 0 else INK, sample=text)
            pdf.set_x(x)
            pdf.cell(
                half, line_h, fit(pdf, text, half), align="R" if col == 1 else "L", new_x=XPos.LEFT, new_y=YPos.NEXT
            )
    return bytes(pdf.output())


class _PdfBytesPage(content.ImportedPdfPage):
    """``ImportedPdfPage`` from bytes in memory (pyHanko's own class wants a file name)."""

    def __init__(self, data: bytes) -> None:
        super().__init__(file_name="<memory>", page_ix=0)
        self._data = data

    def render(self) -> bytes:
        w = self._ensure_writer
        xobj = w.import_page_as_xobject(PdfFileReader(BytesIO(self._data), strict=False), page_ix=0)
        name = "/MraslaStamp"
        self.resources.xobject[name] = xobj
        x1, y1, x2, y2 = xobj.get_object()["/BBox"]
        self.box = content.BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return name.encode() + b" Do"


def signature_count(pdf_bytes: bytes) -> int:
    """Signatures in the file, document timestamps (B-LTA) not counted."""
    return sum(
        1
        for sig in PdfFileReader(BytesIO(pdf_bytes), strict=False).embedded_signatures
        if sig.sig_object_type != "/DocTimeStamp"
    )


async def async_sign_field(
    pdf_bytes: bytes,
    signer: signers.Signer,
    field_name: str,
    stamp_pdf: bytes,
    *,
    certify: bool = False,
    reason: str | None = None,
    location: str | None = None,
    long_term: bool = True,
    platform: Platform | None = None,
) -> bytes:
    """Fill the pre-created field ``field_name``: PAdES B-T (platform TSA), extended to B-LTA when
    ``long_term`` (``ltv``: OCSP after the timestamp, then a document timestamp; for certificates
    of the platform root); ``certify`` adds DocMDP FILL_FORMS (first signature only)."""
    platform = platform or load_or_create_pki()
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=certify,
        docmdp_permissions=MDPPerm.FILL_FORMS,
        reason=reason,
        location=location,
        validation_context=validation_context(platform) if long_term else None,
    )
    style = StaticStampStyle(background=_PdfBytesPage(stamp_pdf), border_width=0)
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper(platform), stamp_style=style)
    signed = await async_run_signer(pdf_signer, writer, platform)
    return await ltv.async_extend(signed, ltv.RevinfoBatch(platform)) if long_term else signed


def sign_field(pdf_bytes: bytes, signer: signers.Signer, field_name: str, stamp_pdf: bytes, **kwargs) -> bytes:
    """Sync ``async_sign_field`` (``signing.run_sync``: not from inside a running event loop)."""
    return run_sync(async_sign_field(pdf_bytes, signer, field_name, stamp_pdf, **kwargs))


# ---------------------------------------------------------------------------- bordereau


@dataclass(frozen=True)
class BordereauRow:
    position: int
    kind_fr: str
    kind_ar: str
    actor: str
    on_behalf_of: str  # "" when acting in one's own name
    decision_fr: str
    decision_ar: str
    at: datetime | None
    comment: str = ""


@dataclass(frozen=True)
class AnnotationLine:
    """A participant's comment on the document (``services.parapheur.annotations``)."""

    page: int | None  # None: on the folder as a whole
    version: int
    author: str
    author_ar: str
    at: datetime
    body: str


@dataclass(frozen=True)
class BordereauData:
    title: str
    reference: str
    administration_fr: str
    administration_ar: str
    initiator: str
    status_fr: str
    status_ar: str
    document_sha256: str
    generated_at: datetime
    verify_url: str = ""
    rows: tuple[BordereauRow, ...] = field(default_factory=tuple)
    annotations: tuple[AnnotationLine, ...] = field(default_factory=tuple)


def render_bordereau(data: BordereauData) -> bytes:
    """The signature summary (bordereau de signature / بيان التوقيعات), bilingual A4."""
    pdf = new_document(title=f"Bordereau {data.reference}")
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    w, x0 = pdf.epw, pdf.l_margin
    _header(pdf, data.administration_fr, data.administration_ar, "Bordereau de signature", "بيان التوقيعات")
    _rule(pdf)

    def info(label_fr: str, label_ar: str, value: str, mono: bool = False) -> None:
        y = pdf.get_y()
        use_font(pdf, FONT_LATIN, 8, color=MUTED)
        pdf.cell(38, 5, label_fr)
        pdf.set_xy(x0 + w - 38, y)
        use_font(pdf, FONT_AR, 8.5, color=MUTED)
        pdf.cell(38, 5, label_ar, align="R")
        pdf.set_xy(x0 + 38, y)
        if mono:
            use_font(pdf, FONT_MONO, 7)
            pdf.cell(w - 76, 5, value)
        else:
            use_font(pdf, font_for(value), 9.5, sample=value)
            pdf.cell(w - 76, 5, fit(pdf, value, w - 76), align="R" if _is_arabic(value) else "L")
        pdf.ln(5.6)

    info("Objet", "الموضوع", data.title)
    info("Référence", "المرجع", data.reference)
    info("Initiateur", "المبادر", data.initiator)
    info("État", "الحالة", f"{data.status_fr} · {data.status_ar}")
    info("Document (SHA-256)", "بصمة الوثيقة", data.document_sha256, mono=True)
    g = local(data.generated_at)
    info("Édité le", "حرر بتاريخ", f"{g:%d/%m/%Y %H:%M} (heure du Maroc / بتوقيت المغرب)")
    pdf.ln(2)
    # Table: # | step | actor (by delegation of) | decision | time | comment
    cols = [
        (8, "N°", "رقم"),
        (28, "Étape", "المرحلة"),
        (50, "Intervenant", "المتدخل"),
        (28, "Décision", "القرار"),
        (26, "Date (Maroc)", "التاريخ"),
        (w - 140, "Commentaire", "ملاحظة"),
    ]
    y = pdf.get_y()
    pdf.set_fill_color(*GREEN)
    pdf.rect(x0, y, w, 10, style="F")
    x = x0
    for cw, fr, ar in cols:
        pdf.set_xy(x + 1, y + 0.5)
        use_font(pdf, FONT_LATIN, 7.5, "B", (255, 255, 255))
        pdf.cell(cw - 2, 4.2, fr)
        pdf.set_xy(x + 1, y + 4.6)
        use_font(pdf, FONT_AR, 8, "B", (255, 255, 255))
        pdf.cell(cw - 2, 4.6, ar, align="R")
        x += cw
    pdf.set_y(y + 11)
    if not data.rows:
        use_font(pdf, FONT_LATIN, 8.5, color=MUTED, sample="ء")
        pdf.cell(w, 6, "Aucune intervention — لا يوجد أي تدخل", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for i, row in enumerate(data.rows):
        comment = " ".join(row.comment.split())[:300]
        actor_lines = [row.actor] + (
            [f"p.d. {row.on_behalf_of}", f"بالتفويض عن {row.on_behalf_of}"] if row.on_behalf_of else []
        )
        use_font(pdf, font_for(comment), 7.5, sample=comment)
        comment_lines = _line_count(pdf, cols[5][0] - 2, 3.8, comment or "—")
        h = max(len(actor_lines) * 4.0, comment_lines * 3.8, 8.5) + 1.5
        if pdf.will_page_break(h):
            pdf.add_page()
        y = pdf.get_y()
        if i % 2:
            pdf.set_fill_color(*FILL)
            pdf.rect(x0, y - 0.5, w, h, style="F")
        x = x0
        pdf.set_xy(x + 1, y)
        use_font(pdf, FONT_LATIN, 8)
        pdf.cell(cols[0][0] - 2, 4, str(row.position))
        x += cols[0][0]
        pdf.set_xy(x + 1, y)
        use_font(pdf, FONT_LATIN, 7.5)
        pdf.cell(cols[1][0] - 2, 4, row.kind_fr)
        pdf.set_xy(x + 1, y + 4)
        use_font(pdf, FONT_AR, 8)
        pdf.cell(cols[1][0] - 2, 4, row.kind_ar, align="R")
        x += cols[1][0]
        for j, text in enumerate(actor_lines):
            pdf.set_xy(x + 1, y + j * 4)
            use_font(pdf, font_for(text), 7.5, "B" if j == 0 else "", INK if j == 0 else MUTED, sample=text)
            pdf.cell(cols[2][0] - 2, 4, fit(pdf, text, cols[2][0] - 2), align="R" if _is_arabic(text) else "L")
        x += cols[2][0]
        pdf.set_xy(x + 1, y)
        use_font(pdf, FONT_LATIN, 7.5, "B")
        pdf.cell(cols[3][0] - 2, 4, row.decision_fr)
        pdf.set_xy(x + 1, y + 4)
        use_font(pdf, FONT_AR, 8)
        pdf.cell(cols[3][0] - 2, 4, row.decision_ar, align="R")
        x += cols[3][0]
        pdf.set_xy(x + 1, y)
        use_font(pdf, FONT_LATIN, 7.5)
        pdf.cell(cols[4][0] - 2, 4, f"{local(row.at):%d/%m/%Y}" if row.at else "—")
        pdf.set_xy(x + 1, y + 4)
        pdf.cell(cols[4][0] - 2, 4, f"{local(row.at):%H:%M:%S}" if row.at else "")
        x += cols[4][0]
        pdf.set_xy(x + 1, y)
        use_font(pdf, font_for(comment), 7.5, sample=comment)
        pdf.multi_cell(cols[5][0] - 2, 3.8, comment or "—", align="R" if _is_arabic(comment) else "L")
        pdf.set_y(y + h)
        pdf.set_draw_color(*RULE)
        pdf.set_line_width(0.2)
        pdf.line(x0, y + h - 0.5, x0 + w, y + h - 0.5)
    if data.annotations:
        pdf.ln(4)
        _annotation_list(pdf, data.annotations)
    if data.verify_url:
        if pdf.will_page_break(40):
            pdf.add_page()
        pdf.ln(4)
        y = pdf.get_y()
        draw_qr(pdf, data.verify_url, x0, y, 30)
        pdf.set_xy(x0 + 34, y + 4)
        use_font(pdf, FONT_LATIN, 8, sample="ء")
        pdf.multi_cell(
            w - 34, 4.2, "Vérification du parapheur / التحقق من الحامل :", align="L", new_x=XPos.LEFT, new_y=YPos.NEXT
        )
        use_font(pdf, FONT_MONO, 6.5, color=MUTED)
        pdf.multi_cell(w - 34, 3.2, data.verify_url, align="L")
    return bytes(pdf.output())


def _annotation_list(pdf: FPDF, lines: tuple[AnnotationLine, ...] | list[AnnotationLine]) -> None:
    """The comments, one block each: page, version, author (both scripts), time, then the text."""
    w, x0 = pdf.epw, pdf.l_margin
    use_font(pdf, FONT_LATIN, 10, "B", GREEN)
    y = pdf.get_y()
    pdf.cell(w / 2, 6, "Annotations")
    pdf.set_xy(x0 + w / 2, y)
    use_font(pdf, FONT_AR, 10.5, "B", GREEN)
    pdf.cell(w / 2, 6, "التعليقات", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _rule(pdf, 1.5)
    if not lines:
        use_font(pdf, FONT_LATIN, 8.5, color=MUTED, sample="ء")
        pdf.cell(w, 6, "Aucune annotation — لا توجد تعليقات", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for line in lines:
        where_fr = f"Page {line.page}" if line.page else "Dossier"
        where_ar = f"الصفحة {line.page}" if line.page else "الملف"
        head = f"{where_fr} · v{line.version} · {line.author} · {local(line.at):%d/%m/%Y %H:%M}"
        body = " ".join(line.body.split())
        use_font(pdf, font_for(body), 8.5, sample=body)
        n = _line_count(pdf, w, 4.2, body)
        if pdf.will_page_break(5 + n * 4.2 + 2):
            pdf.add_page()
        y = pdf.get_y()
        use_font(pdf, font_for(head), 7.5, "B", MUTED, sample=head)
        pdf.cell(w - 40, 4.5, fit(pdf, head, w - 40))
        pdf.set_xy(x0 + w - 40, y)
        tail = f"{where_ar} · {line.author_ar}"
        use_font(pdf, font_for(tail), 8, color=MUTED, sample=tail)
        pdf.cell(40, 4.5, fit(pdf, tail, 40), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        use_font(pdf, font_for(body), 8.5, sample=body)
        pdf.multi_cell(w, 4.2, body, align="R" if _is_arabic(body) else "L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1.5)


def render_annotation_pages(reference: str, title: str, lines: list[AnnotationLine]) -> bytes:
    """The pages appended to an annotated copy: every comment, and a note that this is a copy."""
    pdf = new_document(title=f"Annotations {reference}")
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    w = pdf.epw
    use_font(pdf, FONT_LATIN, 9, color=MUTED, sample="ء")
    note = (
        f"{reference} — {title}\nCopie annotée, sans valeur de signature : l'original signé est inchangé. "
        "نسخة مع التعليقات، لا تحل محل الوثيقة الموقعة التي تبقى دون تغيير."
    )
    use_font(pdf, font_for(note), 8.5, color=MUTED, sample=note)
    pdf.multi_cell(w, 4.4, note, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    _annotation_list(pdf, lines)
    return bytes(pdf.output())


__all__ = [
    "AnnotationLine",
    "render_annotation_pages",
    "SlotSpec",
    "SignaturePageData",
    "StampData",
    "BordereauRow",
    "BordereauData",
    "render_signature_page",
    "prepare_document",
    "render_stamp",
    "sign_field",
    "async_sign_field",
    "render_bordereau",
    "signature_count",
    "SLOT_W",
    "SLOT_H",
]
