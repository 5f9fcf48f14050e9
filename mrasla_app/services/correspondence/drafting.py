"""Drafting a letter in the application: the agent writes it (from a template with merge fields,
``services.answers``), sees the PDF, and starts the signature circuit with it — no download and
re-upload. A new version is the same text edited.

The letter is kept as data (``LetterDraft``, one per folder version) and rendered with the receipt
toolkit (bundled fonts, HarfBuzz-shaped Arabic, ``pki.receipt_layout``): letterhead in both
languages, place and date, reference, addressee, subject, body, and the signatory block of the
circuit's last signature step. When the circuit starts, ``submission`` asks ``prepared_letter`` for
the document to sign: the same letter rendered again with the verification QR code, and the last
signatory's empty signature field created *in the signatory block of the last page*, so the
visible signature sits where a signature belongs and the letter keeps its page count. Other
signature fields (several signatories) still go on the appended signatures page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from io import BytesIO

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields
from pypdf import PdfReader
from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.documents.bordereau import SLOT_H, SLOT_W
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
from mrasla_app.documents.receipts import GREEN, MUTED, RULE
from mrasla_app.i18n import translate
from mrasla_app.models import (
    Administration,
    CompletionMode,
    Correspondence,
    Folder,
    FolderDocument,
    FolderStep,
    LetterDraft,
    Role,
    RoleMembership,
    StepKind,
    StepParticipant,
    Unit,
    User,
)
from mrasla_app.services.correspondence import answers, deadlines, scoping
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotFound, PermissionDenied
from mrasla_app.services.parapheur import circuits, lifecycle, submission, views
from mrasla_app.services.parapheur.lifecycle import FolderAction
from mrasla_app.services.platform import audit
from mrasla_app.services.platform import validation as checks

LANGS = ("fr", "ar")
MAX_BODY = 20_000
_MARGIN = 20.0
_FOOTER_H = 26.0  # verification block at the bottom of the last page (mm)
_BLOCK_H = 12.0 + SLOT_H  # signatory title and name, then the signature box


@dataclass(frozen=True)
class LetterText:
    """What the agent edits: the letter's language, merge-field values and body."""

    lang: str
    addressee: str
    subject: str
    body: str
    place: str = ""

    def cleaned(self) -> LetterText:
        """Validated copy (bilingual errors on empty or too long fields)."""
        if self.lang not in LANGS:
            raise DomainError("error.invalid_request")
        return LetterText(
            self.lang,
            checks.text(self.addressee, "addressee", max_len=1000, required=False),
            checks.text(self.subject, "subject", max_len=500),
            checks.text(self.body, "body", max_len=MAX_BODY),
            checks.text(self.place, "place", max_len=120, required=False),
        )


@dataclass(frozen=True)
class Signatory:
    """The signatory block: who signs (the circuit's last signature step) and in which capacity."""

    name_fr: str
    name_ar: str
    title_fr: str = ""
    title_ar: str = ""


@dataclass(frozen=True)
class Prefill:
    """A template merged with the incoming letter's fields, ready for the editor."""

    text: LetterText
    reference: str


# ------------------------------------------------------------------------------ rendering


def _city(adm: Administration | None, lang: str) -> str:
    if adm is None:
        return ""
    return (adm.city_ar or adm.city_fr) if lang == "ar" else (adm.city_fr or adm.city_ar)


def _dated_line(place: str, dated: date, lang: str) -> str:
    day = f"{dated:%d/%m/%Y}"
    if lang == "ar":
        return f"{place} في {day}" if place else f"بتاريخ {day}"
    return f"{place}, le {day}" if place else f"Le {day}"


def _para(
    pdf: FPDF, text: str, size: float, width: float, style: str = "", color=None, h: float = 6.0, rtl: bool = False
) -> None:
    """A paragraph in the script of its text (Arabic right-aligned), wrapped to ``width``."""
    family = font_for(text) if text.strip() else (FONT_AR if rtl else FONT_LATIN)
    kwargs = {"color": color} if color is not None else {}
    use_font(pdf, family, size + (0.6 if family == FONT_AR else 0), style, sample=text, **kwargs)
    if rtl:  # an Arabic letter reads right to left even where a line is mostly Latin (a name, a subject)
        pdf.set_text_shaping(True, direction="rtl")
    align = "R" if (rtl or family == FONT_AR) else "L"
    pdf.multi_cell(width, h, text or " ", align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render(
    adm: Administration,
    unit: Unit | None,
    text: LetterText,
    dated: date,
    reference: str,
    signatory: Signatory,
    verify_url: str | None = None,
) -> tuple[bytes, SealSlot]:
    """The letter as a PDF and where its signature box is (last page, PDF points).

    Without ``verify_url`` (the preview, before the circuit exists) the verification block is a
    placeholder of the same size, so the preview and the signed letter have the same pages.
    """
    ar = text.lang == "ar"
    pdf = new_document(f"{'جواب' if ar else 'Réponse'} — {reference or text.subject}"[:200])
    pdf.set_margins(_MARGIN, 16, _MARGIN)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    w = pdf.epw
    half = w / 2
    # Letterhead: French on the left, Arabic on the right, whatever the letter's language.
    use_font(pdf, FONT_LATIN, 8.5, "B", MUTED)
    pdf.cell(half, 4.5, "ROYAUME DU MAROC")
    use_font(pdf, FONT_AR, 9.5, "B", MUTED)
    pdf.cell(half, 4.5, "المملكة المغربية", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    use_font(pdf, FONT_LATIN, 10, "B", GREEN, sample=adm.name_fr)
    pdf.cell(half, 5.5, fit(pdf, adm.name_fr, half - 2))
    use_font(pdf, FONT_AR, 11, "B", GREEN)
    pdf.cell(half, 5.5, fit(pdf, adm.name_ar, half - 2), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if unit is not None:
        use_font(pdf, FONT_LATIN, 8.5, sample=unit.name_fr)
        pdf.cell(half, 4.5, fit(pdf, unit.name_fr, half - 2))
        use_font(pdf, FONT_AR, 9.5)
        pdf.cell(half, 4.5, fit(pdf, unit.name_ar, half - 2), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.3)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + w, pdf.get_y())
    pdf.ln(5)
    place = text.place or _city(adm, text.lang)
    dated_line = _dated_line(place, dated, text.lang)
    use_font(pdf, font_for(dated_line), 10.5, sample=dated_line)
    pdf.cell(w, 6, dated_line, align="L" if ar else "R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if reference:
        ref = f"المرجع: جوابا على مراسلتكم رقم {reference}" if ar else f"Réf. : votre courrier n° {reference}"
        _para(pdf, ref, 10, w, rtl=ar)
    pdf.ln(3)
    if text.addressee:
        # The addressee block sits on the side opposite the reading start (French: right half).
        x = pdf.l_margin + (0 if ar else half)
        for line in (["إلى السيد(ة)"] if ar else ["À l'attention de"]) + text.addressee.splitlines():
            family = font_for(line) if line.strip() else FONT_LATIN
            use_font(pdf, family, 10.5 + (0.6 if family == FONT_AR else 0), sample=line)
            pdf.set_x(x)
            pdf.multi_cell(half, 5.6, line or " ", align="R" if ar else "L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)
    subject = f"الموضوع: {text.subject}" if ar else f"Objet : {text.subject}"
    _para(pdf, subject, 11, w, "B", rtl=ar)
    pdf.ln(4)
    for paragraph in text.body.split("\n"):
        _para(pdf, paragraph, 11, w, h=6.2, rtl=ar)
    # Signatory block (opposite side of the reading start), then the verification footer.
    pdf.ln(6)
    if pdf.get_y() + _BLOCK_H > PAGE_H_MM - 18 - _FOOTER_H:
        pdf.add_page()
    y = pdf.get_y()
    bx = pdf.l_margin if ar else pdf.l_margin + w - SLOT_W
    for line, size, style in (
        (signatory.title_ar if ar else signatory.title_fr, 9.5, ""),
        (signatory.name_ar if ar else signatory.name_fr, 10.5, "B"),
    ):
        if line:
            use_font(pdf, font_for(line), size + (0.6 if font_for(line) == FONT_AR else 0), style, sample=line)
            pdf.set_xy(bx, pdf.get_y())
            pdf.cell(SLOT_W, 5.5, fit(pdf, line, SLOT_W), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    by = max(pdf.get_y() + 1, y + 12)
    pdf.set_draw_color(*RULE)
    pdf.set_dash_pattern(dash=1.2, gap=1)
    pdf.rect(bx, by, SLOT_W, SLOT_H, style="D")
    pdf.set_dash_pattern()
    block = SealSlot.from_mm(pdf.page - 1, bx, by, SLOT_W, SLOT_H)
    _footer(pdf, verify_url, ar)
    return bytes(pdf.output()), block


def _footer(pdf: FPDF, verify_url: str | None, ar: bool) -> None:
    """The verification block at the bottom of the last page: QR code and address (or placeholder)."""
    pdf.set_auto_page_break(False)
    w, x0 = pdf.epw, pdf.l_margin
    y = PAGE_H_MM - 14 - _FOOTER_H + 4
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.3)
    pdf.line(x0, y - 2, x0 + w, y - 2)
    size = _FOOTER_H - 6
    qx = x0 + w - size if ar else x0
    tx = x0 if ar else x0 + size + 4
    if verify_url:
        draw_qr(pdf, verify_url, qx, y, size)
    else:
        pdf.set_dash_pattern(dash=1, gap=1)
        pdf.rect(qx, y, size, size, style="D")
        pdf.set_dash_pattern()
        use_font(pdf, FONT_LATIN, 6, color=MUTED)
        pdf.set_xy(qx, y + size / 2 - 2)
        pdf.cell(size, 4, "QR", align="C")
    pdf.set_xy(tx, y)
    footer = "draft.footer_signed" if verify_url else "draft.footer_preview"
    for lang, font, font_size, line_h, align in (("fr", FONT_LATIN, 7.5, 3.6, "L"), ("ar", FONT_AR, 8, 4.2, "R")):
        pdf.set_x(tx)
        use_font(pdf, font, font_size, color=MUTED)
        pdf.multi_cell(w - size - 4, line_h, translate(footer, lang), align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)
    if verify_url:
        pdf.set_x(tx)
        use_font(pdf, FONT_MONO, 6, color=MUTED)
        pdf.multi_cell(w - size - 4, 3, verify_url, align="L")


def _with_field(pdf_bytes: bytes, field_name: str, where: SealSlot) -> bytes:
    """The letter with an empty signature field over its signatory block (before any signature)."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    fields.append_signature_field(
        writer, fields.SigFieldSpec(field_name, on_page=where.page, box=tuple(round(v, 2) for v in where.box_pt))
    )
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


# ------------------------------------------------------------------------------ who signs


def _signatory(session: Session, user_ids: list[int]) -> Signatory:
    """The block's name and capacity: one person by name, several as "A / B" (any of them signs)."""
    people = [u for u in (session.get(User, uid) for uid in user_ids) if u is not None]
    if not people:
        return Signatory("", "")
    title_fr = title_ar = ""
    if len(people) == 1:
        unit, role = circuits.signing_capacity(session, people[0].id)
        if unit is not None:
            fr, ar = circuits.role_labels(role)
            title_fr, title_ar = (
                ", ".join(v for v in (fr, unit.name_fr) if v),
                "، ".join(v for v in (ar, unit.name_ar) if v),
            )
    return Signatory(
        " / ".join(u.full_name for u in people),
        " / ".join(u.full_name_ar or u.full_name for u in people),
        title_fr,
        title_ar,
    )


def _last_signer_ids(session: Session, administration_id: int, specs: list[circuits.StepSpec]) -> list[int]:
    signing = [s for s in specs if s.kind == StepKind.signature]
    return circuits.resolve(session, administration_id, signing[-1]) if signing else []


# ------------------------------------------------------------------------------ commands


def _context(
    session: Session, actor: Actor | None, incoming_id: int | None
) -> tuple[Actor, Administration, Correspondence | None]:
    actor = permissions.require_actor(actor)
    if not actor.administration_id or not actor.memberships:
        raise PermissionDenied()
    corr = None
    if incoming_id is not None:
        corr = scoping.get_visible(session, actor, incoming_id)
        if corr.administration_id != actor.administration_id:
            raise NotFound()
    adm = session.get(Administration, actor.administration_id)
    assert adm is not None
    return actor, adm, corr


def prefill(session: Session, actor: Actor | None, incoming_id: int, template: str, lang: str = "fr") -> Prefill:
    """The template merged with the incoming letter: addressee, subject, place and body to edit."""
    lang = "ar" if lang == "ar" else "fr"
    body = answers.merge(session, actor, incoming_id, template, lang)  # checks the actor acts on the item
    actor, adm, corr = _context(session, actor, incoming_id)
    assert corr is not None
    ctx = answers.fields(session, corr, lang)
    return Prefill(LetterText(lang, ctx["sender_name"], corr.subject, body, _city(adm, lang)), corr.registry_number)


def _unit(session: Session, actor: Actor, corr: Correspondence | None) -> Unit | None:
    """The letterhead's unit: the one the letter answered was sent to, else the drafter's (as the folder's)."""
    unit_id = (corr.action_unit_id if corr is not None else None) or submission.default_unit(actor)
    return session.get(Unit, unit_id) if unit_id else None


def _specs(
    session: Session, actor: Actor, template_id: int | None, steps: list[dict] | None
) -> list[circuits.StepSpec]:
    if (template_id is None) == (steps is None):
        raise DomainError("error.invalid_circuit")
    if template_id is not None:
        return circuits.template_steps(session, actor, template_id)[1]
    return circuits.parse_steps(list(steps or []))


def preview(
    session: Session,
    actor: Actor | None,
    incoming_id: int | None,
    text: LetterText,
    *,
    template_id: int | None = None,
    steps: list[dict] | None = None,
) -> bytes:
    """The letter as it will be signed (with a QR placeholder), signed by the circuit's last signatory."""
    return _draft(session, actor, incoming_id, text, template_id, steps).pdf


@dataclass(frozen=True)
class _Draft:
    actor: Actor
    corr: Correspondence | None
    text: LetterText  # cleaned
    specs: list[circuits.StepSpec]
    signer_ids: list[int]
    reference: str  # the registry number of the letter answered, if any
    dated: date
    pdf: bytes


def _draft(
    session: Session,
    actor: Actor | None,
    incoming_id: int | None,
    text: LetterText,
    template_id: int | None,
    steps: list[dict] | None,
) -> _Draft:
    """The letter dated today, rendered for the circuit's last signatory (``preview`` and ``start``)."""
    actor, adm, corr = _context(session, actor, incoming_id)
    text = text.cleaned()
    specs = _specs(session, actor, template_id, steps)
    signer_ids = _last_signer_ids(session, adm.id, specs)
    reference = corr.registry_number if corr else ""
    dated = deadlines.today()
    pdf, _ = render(adm, _unit(session, actor, corr), text, dated, reference, _signatory(session, signer_ids))
    return _Draft(actor, corr, text, specs, signer_ids, reference, dated, pdf)


def _filename(reference: str, lang: str) -> str:
    stem = "jawab" if lang == "ar" else "reponse"
    return f"{stem}-{reference.replace('/', '-')}.pdf" if reference else f"{stem}.pdf"


def start(
    session: Session,
    actor: Actor | None,
    incoming_id: int | None,
    text: LetterText,
    *,
    template_id: int | None = None,
    steps: list[dict] | None = None,
) -> Folder:
    """A folder whose main document is the drafted letter, its circuit started at once."""
    draft = _draft(session, actor, incoming_id, text, template_id, steps)
    actor, corr, text, specs, reference = draft.actor, draft.corr, draft.text, draft.specs, draft.reference
    # Titled in the letter's language: the citizen's verification page shows this title.
    title = (f"{translate('dockind.answer', text.lang)} — {corr.subject}" if corr else text.subject)[:255]
    folder = submission.create_folder(
        session, actor, title, [(_filename(reference, text.lang), draft.pdf)], correspondence_id=incoming_id
    )
    _save(session, actor, folder, 1, text, draft.dated, reference, draft.signer_ids)
    submission.start(
        session,
        actor,
        folder.id,
        template_id=template_id,
        steps=None if template_id is not None else [s.as_dict() for s in specs],
    )
    return folder


def _save(
    session: Session,
    actor: Actor,
    folder: Folder,
    version: int,
    text: LetterText,
    dated: date,
    reference: str,
    signer_ids: list[int],
) -> LetterDraft:
    draft = LetterDraft(
        folder_id=folder.id,
        version=version,
        lang=text.lang,
        reference=reference,
        place=text.place,
        dated=dated,
        addressee=text.addressee,
        subject=text.subject,
        body=text.body,
        signatory_id=signer_ids[0] if len(signer_ids) == 1 else None,
        created_by=actor.user_id,
    )
    session.add(draft)
    session.flush()
    audit.record(
        session,
        actor,
        "folder.letter_drafted",
        object_type="folder",
        object_id=folder.id or "",
        administration_id=folder.administration_id,
        data={
            "version": version,
            "lang": text.lang,
            "reference": reference,
            "body_sha256": hashlib.sha256(text.body.encode()).hexdigest(),
        },
    )
    return draft


def draft_of(session: Session, actor: Actor | None, folder_id: int) -> LetterDraft | None:
    """The drafted letter of the folder's current version (None when its document was uploaded)."""
    folder = views.folder_detail(session, actor, folder_id).folder  # visibility check
    return current_draft(session, folder)


def current_draft(session: Session, folder: Folder) -> LetterDraft | None:
    return session.execute(
        select(LetterDraft).where(LetterDraft.folder_id == folder.id, LetterDraft.version == folder.version)
    ).scalar_one_or_none()


def revise(session: Session, actor: Actor | None, folder_id: int, text: LetterText) -> Folder:
    """A new version of a drafted letter from the edited text (the circuit restarts, ``submission.new_version``)."""
    actor = permissions.require_actor(actor)
    folder = views.folder_detail(session, actor, folder_id).folder
    folder = session.execute(select(Folder).where(Folder.id == folder.id).with_for_update()).scalar_one()
    if folder.initiator_id != actor.user_id:
        raise PermissionDenied()
    lifecycle.require(folder, FolderAction.new_version)
    previous = current_draft(session, folder)
    if previous is None:
        raise DomainError("error.invalid_request")
    text = text.cleaned()
    adm = session.get(Administration, folder.administration_id)
    corr = session.get(Correspondence, folder.correspondence_id) if folder.correspondence_id else None
    signer_ids = _current_signer_ids(session, folder)
    dated = deadlines.today()
    pdf, _ = render(
        adm,
        _unit(session, actor, corr),
        text,
        dated,
        previous.reference,
        _signatory(session, signer_ids),
    )
    _save(session, actor, folder, folder.version + 1, text, dated, previous.reference, signer_ids)
    return submission.new_version(session, actor, folder.id, [(_filename(previous.reference, text.lang), pdf)])


def _current_signer_ids(session: Session, folder: Folder) -> list[int]:
    step = session.execute(
        select(FolderStep)
        .where(
            FolderStep.folder_id == folder.id,
            FolderStep.version == folder.version,
            FolderStep.kind == StepKind.signature,
        )
        .order_by(FolderStep.position.desc())
        .limit(1)
    ).scalar_one_or_none()
    if step is None:
        return []
    return list(
        session.execute(
            select(StepParticipant.user_id).where(StepParticipant.step_id == step.id).order_by(StepParticipant.position)
        ).scalars()
    )


# ------------------------------------------------------------------------- circuit start


def prepared_letter(
    session: Session, folder: Folder, steps: list[FolderStep], verify_url: str
) -> tuple[bytes, set[str]] | None:
    """For the circuit's preparation (``submission.start``): the drafted letter rendered with its QR
    code and, when the last signature step has one field, that field created in the signatory block.

    Returns the PDF and the field names already placed (the others go on the signatures page),
    or None when the folder's current version was not drafted here.
    """
    draft = current_draft(session, folder)
    if draft is None:
        return None
    adm = session.get(Administration, folder.administration_id)
    corr = session.get(Correspondence, folder.correspondence_id) if folder.correspondence_id else None
    unit_id = (corr.action_unit_id if corr is not None else None) or folder.unit_id
    unit = session.get(Unit, unit_id) if unit_id else None
    signing = [s for s in steps if s.kind == StepKind.signature]
    parts = (
        list(
            session.execute(
                select(StepParticipant)
                .where(StepParticipant.step_id == signing[-1].id)
                .order_by(StepParticipant.position)
            ).scalars()
        )
        if signing
        else []
    )
    text = LetterText(draft.lang, draft.addressee, draft.subject, draft.body, draft.place)
    pdf, block = render(
        adm,
        unit,
        text,
        draft.dated,
        draft.reference,
        _signatory(session, [p.user_id for p in parts]),
        verify_url,
    )
    names = {p.field_name for p in parts}
    if len(names) != 1 or (signing[-1].mode != CompletionMode.any and len(parts) != 1):
        return pdf, set()
    name = names.pop()
    return _with_field(pdf, name, block), {name}


def main_pages(session: Session, folder: Folder) -> int:
    """Pages of the main document as it stands (the letter, plus a signatures page if one was added)."""
    from mrasla_app.services.platform import storage

    main = session.execute(
        select(FolderDocument).where(
            FolderDocument.folder_id == folder.id,
            FolderDocument.version == folder.version,
            FolderDocument.role == "main",
        )
    ).scalar_one_or_none()
    sha = folder.current_sha256 or (main.pdf_sha256 if main else "")
    if not sha:
        return 0
    try:
        return page_count(storage.get(sha))
    except Exception:  # noqa: BLE001 - an unreadable file shows its stored count
        return main.pages if main else 0


def signatories(session: Session, actor: Actor | None) -> list[User]:
    """Active holders of the signatory role in the actor's administration (who may sign a letter)."""
    actor = permissions.require_actor(actor)
    if not actor.administration_id:
        return []
    return list(
        session.execute(
            select(User)
            .join(RoleMembership, RoleMembership.user_id == User.id)
            .where(
                User.administration_id == actor.administration_id,
                User.active.is_(True),
                RoleMembership.role == Role.signatory,
            )
            .distinct()
            .order_by(User.full_name)
        ).scalars()
    )


def preview_revision(session: Session, actor: Actor | None, folder_id: int, text: LetterText) -> bytes:
    """The preview of a new version: same reference and signatory as the folder's circuit."""
    actor = permissions.require_actor(actor)
    folder = views.folder_detail(session, actor, folder_id).folder
    previous = current_draft(session, folder)
    if previous is None or folder.initiator_id != actor.user_id:
        raise PermissionDenied()
    adm = session.get(Administration, folder.administration_id)
    corr = session.get(Correspondence, folder.correspondence_id) if folder.correspondence_id else None
    pdf, _ = render(
        adm,
        _unit(session, actor, corr),
        text.cleaned(),
        deadlines.today(),
        previous.reference,
        _signatory(session, _current_signer_ids(session, folder)),
    )
    return pdf


def page_count(pdf: bytes) -> int:
    return len(PdfReader(BytesIO(pdf)).pages)


__all__ = [
    "LetterText",
    "Signatory",
    "Prefill",
    "render",
    "prefill",
    "preview",
    "start",
    "revise",
    "draft_of",
    "signatories",
    "preview_revision",
    "page_count",
    "prepared_letter",
    "main_pages",
    "LANGS",
]
