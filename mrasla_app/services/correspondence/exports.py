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
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.documents.register import CONFIDENTIAL, RegisterPDF, RegisterRow, headers
from mrasla_app.models import Administration, Correspondence, Direction, Party, Role, Unit
from mrasla_app.services.correspondence import paper
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, PermissionDenied
from mrasla_app.settings import TIMEZONE

#: Longest period one export may cover (a leap year, both ends included).
MAX_PERIOD_DAYS = 366
#: A PDF register longer than this is refused (use the CSV, or a shorter period).
PDF_MAX_ROWS = 5000


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


def register_rows(
    session: Session, actor: Actor | None, administration_id: int, direction: Direction | str, start: date, end: date
) -> list[RegisterRow]:
    """The register of ``direction`` for the Morocco dates ``start``..``end`` (included), in number order."""
    direction = Direction(direction)
    if session.get(Administration, administration_id) is None:
        raise DomainError("error.unknown_administration")
    _require_registry_reader(session, actor, administration_id)
    lo, hi = _bounds(start, end)
    corrs = list(
        session.execute(
            select(Correspondence)
            .where(
                Correspondence.administration_id == administration_id,
                Correspondence.direction == direction,
                Correspondence.registered_at >= lo,
                Correspondence.registered_at < hi,
            )
            .order_by(Correspondence.year, Correspondence.seq)
        ).scalars()
    )
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
        rows.append(
            RegisterRow(
                number=c.registry_number,
                registered_at=c.registered_at.astimezone(tz),
                channel=c.channel,
                correspondent=who,
                subject=c.subject,
                status=c.status,
                unit_fr=unit.name_fr if unit else "",
                unit_ar=unit.name_ar if unit else "",
                confidential=c.confidential,
            )
        )
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


def register_csv(
    session: Session,
    actor: Actor | None,
    administration_id: int,
    direction: Direction | str,
    start: date,
    end: date,
    *,
    delimiter: str = ";",
) -> bytes:
    """The register as CSV bytes (UTF-8 with BOM, bilingual header)."""
    direction = Direction(direction)
    rows = register_rows(session, actor, administration_id, direction, start, end)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([_both(h) for h in headers(direction)])
    for r in rows:
        unit = " / ".join(v for v in (r.unit_fr, r.unit_ar) if v)
        writer.writerow(
            [
                _cell(v)
                for v in (
                    r.number,
                    f"{r.registered_at:%d/%m/%Y %H:%M}",
                    _both(r.channel_label),
                    r.correspondent,
                    _subject(r),
                    _both(r.status_label),
                    unit,
                )
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def register_pdf(
    session: Session, actor: Actor | None, administration_id: int, direction: Direction | str, start: date, end: date
) -> bytes:
    """The register as a bilingual A4 landscape PDF (title, period, table, page numbers)."""
    direction = Direction(direction)
    rows = register_rows(session, actor, administration_id, direction, start, end)
    if len(rows) > PDF_MAX_ROWS:
        raise DomainError("error.export_too_large", max=PDF_MAX_ROWS)
    adm = session.get(Administration, administration_id)
    return RegisterPDF(adm, direction, start, end, len(rows), actor.email if actor else "").build(rows)
