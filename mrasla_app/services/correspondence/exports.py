"""The legal registers (سجل الضبط / registre chronologique) of a period, as CSV and PDF.

One register per administration and direction (incoming ``A``, outgoing ``D``, internal ``I``),
listing in number order every correspondence registered between two Morocco dates (both
included): number, date and time (Africa/Casablanca), channel, correspondent, subject, status and
the unit concerned. Only the administration's registry clerks may export it: the register names
citizens and subjects, which administrators (who manage the directory) do not otherwise see.

- CSV: UTF-8 with a byte-order mark so Excel reads the Arabic correctly; ``;`` separated by
  default (the list separator of French-locale Excel, usual in Moroccan administrations); headers
  in both languages ("N° / الرقم"); cells that a spreadsheet would take for a formula are quoted
  with a leading apostrophe (the subjects come from the public).
- PDF: A4 landscape, bilingual title, administration and period, the table with its header
  repeated on every page, and "page n / N" in the footer. Built with the receipt toolkit.

The subject of a confidential correspondence is not printed (its access is restricted to named
people; the register only proves that a number was used).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.models import Administration, Channel, Correspondence, Direction, Party, Role, Status, Unit
from mrasla_app.models.base import utcnow
from mrasla_app.documents.labels import fit, font_for, use_font
from mrasla_app.documents.receipt_layout import FONT_AR, FONT_LATIN, new_document
from mrasla_app.documents.receipts import FILL, GREEN, INK, MUTED, RED, RULE
from mrasla_app.services.correspondence import paper
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, PermissionDenied
from mrasla_app.settings import TIMEZONE

#: Longest period one export may cover (a leap year, both ends included).
MAX_PERIOD_DAYS = 366
#: A PDF register longer than this is refused (use the CSV, or a shorter period).
PDF_MAX_ROWS = 5000
CONFIDENTIAL = ("Confidentiel", "سري")

TITLES: dict[Direction, tuple[str, str]] = {
    Direction.incoming: ("Registre du courrier arrivée", "سجل البريد الوارد"),
    Direction.outgoing: ("Registre du courrier départ", "سجل البريد الصادر"),
    Direction.internal: ("Registre du courrier interne", "سجل المراسلات الداخلية"),
}
CHANNELS: dict[Channel, tuple[str, str]] = {
    Channel.portal: ("Portail", "البوابة"),
    Channel.paper: ("Papier", "ورقي"),
    Channel.email: ("E-mail", "بريد إلكتروني"),
    Channel.inter_administration: ("Inter-administrations", "بين الإدارات"),
    Channel.platform: ("Plateforme (interne)", "المنصة (داخلي)"),
}
STATUSES: dict[Status, tuple[str, str]] = {
    Status.to_qualify: ("À qualifier", "في انتظار التأهيل"),
    Status.dispatched: ("Imputé", "محال"),
    Status.in_progress: ("En cours", "قيد المعالجة"),
    Status.answered: ("Répondu", "تم الرد"),
    Status.closed: ("Clôturé", "مغلق"),
    Status.archived: ("Archivé", "مؤرشف"),
    Status.returned: ("Retourné", "مرجع"),
    Status.to_send: ("À envoyer", "للإرسال"),
    Status.sent: ("Envoyé", "مرسل"),
}
#: Per direction: (correspondent column, unit column) headers.
PARTY_HEADERS: dict[Direction, tuple[tuple[str, str], tuple[str, str]]] = {
    Direction.incoming: (("Expéditeur", "المرسل"), ("Entité d'imputation", "الوحدة المحال إليها")),
    Direction.outgoing: (("Destinataire", "المرسل إليه"), ("Entité émettrice", "الوحدة المصدرة")),
    Direction.internal: (("Entité émettrice", "الوحدة المرسلة"), ("Entité destinataire", "الوحدة المرسل إليها")),
}


@dataclass(frozen=True)
class RegisterRow:
    number: str
    registered_at: datetime  # Morocco time (aware)
    channel: Channel
    correspondent: str
    subject: str
    status: Status
    unit_fr: str
    unit_ar: str
    confidential: bool = False

    @property
    def channel_label(self) -> tuple[str, str]:
        return CHANNELS[self.channel]

    @property
    def status_label(self) -> tuple[str, str]:
        return STATUSES[self.status]


def headers(direction: Direction) -> list[tuple[str, str]]:
    """The register's columns as (French, Arabic)."""
    party, unit = PARTY_HEADERS[direction]
    return [("N°", "الرقم"), ("Date et heure", "التاريخ والساعة"), ("Canal", "القناة"), party,
            ("Objet", "الموضوع"), ("Statut", "الحالة"), unit]


def _require_registry_reader(session: Session, actor: Actor | None, administration_id: int) -> Actor:
    actor = permissions.require_actor(actor)
    if paper.units_of(session, actor, administration_id, Role.clerk):
        return actor
    raise PermissionDenied()


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    if not isinstance(start, date) or not isinstance(end, date) or end < start:
        raise DomainError("error.invalid_period")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise DomainError("error.period_too_long", max=MAX_PERIOD_DAYS)
    tz = ZoneInfo(TIMEZONE)
    lo = datetime.combine(start, time.min, tzinfo=tz).astimezone(timezone.utc)
    hi = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz).astimezone(timezone.utc)
    return lo, hi


def register_rows(session: Session, actor: Actor | None, administration_id: int, direction: Direction | str,
                  start: date, end: date) -> list[RegisterRow]:
    """The register of ``direction`` for the Morocco dates ``start``..``end`` (included), in number order."""
    direction = Direction(direction)
    if session.get(Administration, administration_id) is None:
        raise DomainError("error.unknown_administration")
    _require_registry_reader(session, actor, administration_id)
    lo, hi = _bounds(start, end)
    corrs = list(session.execute(
        select(Correspondence)
        .where(Correspondence.administration_id == administration_id, Correspondence.direction == direction,
               Correspondence.registered_at >= lo, Correspondence.registered_at < hi)
        .order_by(Correspondence.year, Correspondence.seq)
    ).scalars())
    party_ids = {c.sender_party_id for c in corrs} | {c.recipient_party_id for c in corrs}
    adm_ids = {c.sender_administration_id for c in corrs} | {c.recipient_administration_id for c in corrs}
    unit_ids = {c.unit_id for c in corrs} | {c.action_unit_id for c in corrs}
    parties = _by_id(session, Party, party_ids)
    adms = _by_id(session, Administration, adm_ids)
    units = _by_id(session, Unit, unit_ids)
    tz = ZoneInfo(TIMEZONE)

    def party_label(party_id: int | None, adm_id: int | None) -> str:
        party, adm = parties.get(party_id), adms.get(adm_id)
        names = [party.full_name if party else "", adm.name_fr if adm else ""]
        return " — ".join(dict.fromkeys(n for n in names if n))  # no "X — X"

    rows: list[RegisterRow] = []
    for c in corrs:
        if direction is Direction.incoming:
            who = party_label(c.sender_party_id, c.sender_administration_id)
            unit = units.get(c.action_unit_id) or units.get(c.unit_id)
        elif direction is Direction.outgoing:
            who = party_label(c.recipient_party_id, c.recipient_administration_id)
            unit = units.get(c.unit_id)
        else:
            source = units.get(c.unit_id)
            who = source.name_fr if source else ""
            unit = units.get(c.action_unit_id)
        rows.append(RegisterRow(
            number=c.registry_number, registered_at=c.registered_at.astimezone(tz), channel=c.channel,
            correspondent=who, subject=c.subject, status=c.status,
            unit_fr=unit.name_fr if unit else "", unit_ar=unit.name_ar if unit else "",
            confidential=c.confidential,
        ))
    return rows


def _by_id(session: Session, model, ids: set) -> dict:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {o.id: o for o in session.execute(select(model).where(model.id.in_(ids))).scalars()}


# ----------------------------------------------------------------------------------------- CSV

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection): ``=HYPERLINK(…)`` → ``'=HYPERLINK(…)``."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _both(pair: tuple[str, str]) -> str:
    return f"{pair[0]} / {pair[1]}"


def _subject(row: RegisterRow) -> str:
    return _both(CONFIDENTIAL) if row.confidential else row.subject


def register_csv(session: Session, actor: Actor | None, administration_id: int, direction: Direction | str,
                 start: date, end: date, *, delimiter: str = ";") -> bytes:
    """The register as CSV bytes (UTF-8 with BOM, bilingual header)."""
    direction = Direction(direction)
    rows = register_rows(session, actor, administration_id, direction, start, end)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([_both(h) for h in headers(direction)])
    for r in rows:
        unit = " / ".join(v for v in (r.unit_fr, r.unit_ar) if v)
        writer.writerow([_cell(v) for v in (
            r.number, f"{r.registered_at:%d/%m/%Y %H:%M}", _both(r.channel_label), r.correspondent,
            _subject(r), _both(r.status_label), unit,
        )])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# ----------------------------------------------------------------------------------------- PDF

PAGE_W, PAGE_H = 297.0, 210.0
MARGIN = 10.0
#: Column widths in mm (sum = 277, the landscape A4 width between margins).
WIDTHS = (33.0, 25.0, 20.0, 52.0, 83.0, 24.0, 40.0)
LINE_H = 3.6


class _RegisterPDF:
    def __init__(self, adm: Administration, direction: Direction, start: date, end: date, count: int,
                 generated_by: str) -> None:
        self.adm, self.direction, self.start, self.end, self.count = adm, direction, start, end, count
        self.generated_at = utcnow().astimezone(ZoneInfo(TIMEZONE))
        self.generated_by = generated_by
        fr, _ = TITLES[direction]
        self.pdf: FPDF = new_document(title=f"{fr} — {adm.code} — {start:%d/%m/%Y}–{end:%d/%m/%Y}")
        self.pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.pdf.set_auto_page_break(False)  # rows are placed by hand, the header repeated
        self.pdf.alias_nb_pages()
        self.pdf.footer = self.footer
        self.bottom = PAGE_H - MARGIN - 8

    def add_page(self) -> None:
        self.pdf.add_page(orientation="L", format="A4")

    def title(self) -> None:
        pdf, w = self.pdf, PAGE_W - 2 * MARGIN
        pdf.set_fill_color(*GREEN)
        pdf.rect(0, 0, PAGE_W, 4.5, style="F")
        pdf.set_fill_color(*RED)
        pdf.rect(0, 4.5, PAGE_W, 0.6, style="F")
        fr, ar = TITLES[self.direction]
        pdf.set_xy(MARGIN, 8)
        use_font(pdf, FONT_LATIN, 15, "B", GREEN)
        pdf.cell(w / 2, 7, fr)
        use_font(pdf, FONT_AR, 16, "B", GREEN)
        pdf.cell(w / 2, 7, ar, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        use_font(pdf, FONT_LATIN, 10, "B", sample=self.adm.name_fr)
        pdf.cell(w / 2, 6, fit(pdf, f"{self.adm.name_fr} ({self.adm.code})", w / 2 - 2))
        use_font(pdf, FONT_AR, 11, "B")
        pdf.cell(w / 2, 6, fit(pdf, self.adm.name_ar, w / 2 - 2), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        use_font(pdf, FONT_LATIN, 9, color=MUTED)
        pdf.cell(w / 2, 5, f"Période du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y} (heure du Maroc) · "
                           f"{self.count} enregistrement(s)")
        use_font(pdf, FONT_AR, 9.5, color=MUTED)
        pdf.cell(w / 2, 5, f"الفترة من {self.start:%d/%m/%Y} إلى {self.end:%d/%m/%Y} (بتوقيت المغرب) · "
                           f"عدد التسجيلات: {self.count}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)

    def header_row(self) -> None:
        pdf = self.pdf
        y, x = pdf.get_y(), MARGIN
        h = 9.0
        pdf.set_fill_color(*GREEN)
        pdf.rect(MARGIN, y, sum(WIDTHS), h, style="F")
        for (fr, ar), w in zip(headers(self.direction), WIDTHS):
            pdf.set_xy(x + 1, y + 0.6)
            use_font(pdf, FONT_LATIN, 7.5, "B", (255, 255, 255))
            pdf.cell(w - 2, 3.6, fr)
            pdf.set_xy(x + 1, y + 4)
            use_font(pdf, FONT_AR, 8, "B", (255, 255, 255))
            pdf.cell(w - 2, 4.4, ar, align="R")
            x += w
        pdf.set_y(y + h)

    def _cell_lines(self, col: int, row: RegisterRow) -> list[tuple[str, str, float, str]]:
        """(text, font, size, align) paragraphs of one cell."""
        def para(text: str, size: float = 7.5) -> tuple[str, str, float, str]:
            family = font_for(text)
            return text, family, size + (0.5 if family == FONT_AR else 0), "R" if family == FONT_AR else "L"

        if col == 0:
            return [(row.number, FONT_LATIN, 7.5, "L")]
        if col == 1:
            return [(f"{row.registered_at:%d/%m/%Y %H:%M}", FONT_LATIN, 7.5, "L")]
        if col == 2:
            fr, ar = row.channel_label
            return [para(fr), para(ar)]
        if col == 3:
            return [para(row.correspondent)] if row.correspondent else []
        if col == 4:
            return [para(v) for v in CONFIDENTIAL] if row.confidential else [para(row.subject)]
        if col == 5:
            fr, ar = row.status_label
            return [para(fr), para(ar)]
        return [para(v) for v in (row.unit_fr, row.unit_ar) if v]

    def _wrap(self, text: str, family: str, size: float, width: float) -> list[str]:
        use_font(self.pdf, family, size, sample=text)
        lines = self.pdf.multi_cell(width, LINE_H, text, dry_run=True, output=MethodReturnValue.LINES)
        return lines[:6] or [""]  # a 255-character subject takes at most ~4 lines

    def row(self, index: int, row: RegisterRow) -> None:
        pdf = self.pdf
        cells = []
        for col, w in enumerate(WIDTHS):
            cells.append([(self._wrap(t, f, s, w - 2), f, s, a) for t, f, s, a in self._cell_lines(col, row)])
        h = max(sum(len(lines) for lines, *_ in cell) for cell in cells) * LINE_H + 1.6
        if pdf.get_y() + h > self.bottom:
            self.add_page()
            pdf.set_y(MARGIN)
            self.header_row()
        y = pdf.get_y()
        if index % 2:
            pdf.set_fill_color(*FILL)
            pdf.rect(MARGIN, y, sum(WIDTHS), h, style="F")
        x = MARGIN
        for cell, w in zip(cells, WIDTHS):
            yy = y + 0.8
            for lines, family, size, align in cell:
                for line in lines:
                    pdf.set_xy(x + 1, yy)
                    use_font(pdf, family, size, color=INK, sample=line)
                    pdf.cell(w - 2, LINE_H, line, align=align)
                    yy += LINE_H
            x += w
        pdf.set_draw_color(*RULE)
        pdf.set_line_width(0.2)
        pdf.line(MARGIN, y + h, MARGIN + sum(WIDTHS), y + h)
        pdf.set_y(y + h)

    def footer(self) -> None:
        pdf = self.pdf
        w = PAGE_W - 2 * MARGIN
        y = PAGE_H - MARGIN - 4
        pdf.set_draw_color(*RULE)
        pdf.set_line_width(0.2)
        pdf.line(MARGIN, y - 1, MARGIN + w, y - 1)
        pdf.set_xy(MARGIN, y)
        use_font(pdf, FONT_LATIN, 7, color=MUTED)
        pdf.cell(w / 3, 4, f"Mrasla · édité le {self.generated_at:%d/%m/%Y %H:%M} par {self.generated_by}")
        pdf.cell(w / 3, 4, f"Page {pdf.page_no()} / {{nb}}", align="C")
        use_font(pdf, FONT_AR, 7.5, color=MUTED)
        pdf.cell(w / 3, 4, f"مراسلة · {TITLES[self.direction][1]}", align="R")

    def build(self, rows: list[RegisterRow]) -> bytes:
        self.add_page()
        self.title()
        self.header_row()
        if not rows:
            self.pdf.ln(3)
            use_font(self.pdf, FONT_LATIN, 9, color=MUTED, sample="ء")
            self.pdf.cell(sum(WIDTHS), 6, "Aucun enregistrement pour cette période — لا توجد تسجيلات خلال هذه الفترة",
                          align="C")
        for i, r in enumerate(rows):
            self.row(i, r)
        return bytes(self.pdf.output())


def register_pdf(session: Session, actor: Actor | None, administration_id: int, direction: Direction | str,
                 start: date, end: date) -> bytes:
    """The register as a bilingual A4 landscape PDF (title, period, table, page numbers)."""
    direction = Direction(direction)
    rows = register_rows(session, actor, administration_id, direction, start, end)
    if len(rows) > PDF_MAX_ROWS:
        raise DomainError("error.export_too_large", max=PDF_MAX_ROWS)
    adm = session.get(Administration, administration_id)
    return _RegisterPDF(adm, direction, start, end, len(rows), actor.email if actor else "").build(rows)  # type: ignore[arg-type]
