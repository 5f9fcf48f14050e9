"""Registration by the registry office (flow 2) of mail that did not come through the portal.

- ``register_incoming``: a paper letter or an e-mail received by the administration. The clerk
  uploads the scan(s), the letter gets the next ``A`` number — the same incoming register and
  counter as portal deposits — status *to qualify*, and a QR token for the label stuck on the
  paper original (``documents/labels.py``).
- ``register_outgoing``: a letter sent by a unit (``D`` numbers), to a named correspondent or to
  another administration. Registered as sent: status *closed*.
- ``register_internal``: a note from one unit to another unit of the same administration
  (``I`` numbers), routed (dispatched for action) to the receiving unit at once.

Like the portal deposit, every file is checked by content (``files.inspect``: PDF, JPEG, PNG;
images become PDF pages) before anything is written, blobs are stored durably *before* the rows,
and everything else — number, party (and its entry in the contacts directory), correspondence,
documents, audit event — happens in the caller's write transaction: a failure gives the number
back, so the registers stay gap-free.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.models import (
    Administration,
    Channel,
    Correspondence,
    Direction,
    Dispatch,
    DispatchPurpose,
    DocumentKind,
    Party,
    PartyKind,
    Priority,
    Role,
    Status,
    Unit,
)
from mrasla_app.models.base import utcnow
from mrasla_app.services.correspondence import deadlines, intake, registry
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, FieldErrors, PermissionDenied
from mrasla_app.services.platform import files
from mrasla_app.services.platform.files import inspect_and_store
from mrasla_app.services.platform.text import clean
from mrasla_app.services.portal import deposits
from mrasla_app.settings import get_settings

#: Channels a clerk may register incoming mail from (portal deposits register themselves).
INCOMING_CHANNELS = (Channel.paper, Channel.email)
TYPE_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class Registration:
    """A registered correspondence and the QR token printed on its label (shown once)."""

    correspondence: Correspondence
    verify_token: str

    @property
    def registry_number(self) -> str:
        return self.correspondence.registry_number

    @property
    def reference(self) -> str:
        return registry.reference_slug(self.correspondence.registry_number)

    @property
    def verify_url(self) -> str:
        return intake.verify_url(self.reference, self.verify_token)


def _channel(value: str, errors: dict[str, str]) -> Channel | None:
    """How the mail came in (paper or e-mail: the channels a clerk registers); a field error otherwise."""
    try:
        chan: Channel | None = Channel(value)
    except ValueError:
        chan = None
    if chan not in INCOMING_CHANNELS:
        errors["channel"] = "error.invalid_channel"
    return chan


def label_pdf(session: Session, registration: Registration, *, sheet: str = "label") -> bytes:
    """The QR label of a fresh registration (the token is only known now: print it right away)."""
    from mrasla_app.documents.labels import render_label

    corr = registration.correspondence
    adm = session.get(Administration, corr.administration_id)
    return render_label(
        corr.registry_number,
        adm.name_ar,
        adm.name_fr,
        corr.registered_at,
        corr.subject,
        registration.verify_url,
        sheet=sheet,
    )


# ------------------------------------------------------------------------------------ checks


def _administration(session: Session, administration_id: int) -> Administration:
    adm = session.get(Administration, administration_id) if administration_id else None
    if adm is None or not adm.active:
        raise DomainError("error.unknown_administration")
    return adm


def units_of(session: Session, actor: Actor, administration_id: int, *roles: Role | str) -> set[int]:
    """The units of ``administration_id`` where ``actor`` holds any of ``roles`` (any role if none)."""
    ids = actor.unit_ids(*roles)
    if not ids:
        return set()
    return set(
        session.execute(select(Unit.id).where(Unit.id.in_(ids), Unit.administration_id == administration_id)).scalars()
    )


def _require_units(session: Session, actor: Actor | None, administration_id: int, *roles: Role) -> set[int]:
    actor = permissions.require_actor(actor)
    units = units_of(session, actor, administration_id, *roles)
    if not units:
        raise PermissionDenied()
    return units


def _unit(
    session: Session, unit_id: int | None, administration_id: int, field: str, errors: dict[str, str]
) -> Unit | None:
    if not unit_id:
        return None
    unit = session.get(Unit, unit_id)
    if unit is None or unit.administration_id != administration_id or not unit.active:
        errors[field] = "error.unknown_unit"
        return None
    return unit


def _text(
    value: str, field: str, errors: dict[str, str], *, max_len: int, required: bool = False, multiline: bool = False
) -> str:
    value = clean(value, multiline=multiline)
    if required and not value:
        errors[field] = "error.required"
    elif len(value) > max_len:
        errors[field] = "error.too_long"
    return value


def _contact(errors: dict[str, str], id_kind: str, id_value: str, email: str, phone: str) -> tuple[str, str, str, str]:
    kind = (id_kind or "").strip().upper()
    value = re.sub(r"[\s-]", "", id_value or "").upper()
    if kind or value:
        if kind not in ("CIN", "ICE"):
            errors["sender_id_kind"] = "error.id_kind"
        elif kind == "CIN" and not deposits.CIN_RE.match(value):
            errors["sender_id_value"] = "error.cin_format"
        elif kind == "ICE" and not deposits.ICE_RE.match(value):
            errors["sender_id_value"] = "error.ice_format"
    email = clean(email, multiline=False).lower()
    if email and (not deposits.EMAIL_RE.match(email) or len(email) > 255):
        errors["sender_email"] = "error.invalid_email"
    phone = re.sub(r"[\s.()-]", "", phone or "")
    if phone and not deposits.PHONE_RE.match(phone):
        errors["sender_phone"] = "error.invalid_phone"
    return kind, value, email, phone


def _check_files(items: list[tuple[str, bytes]], errors: dict[str, str]) -> None:
    if len(items) > get_settings().max_files:
        errors["files"] = "error.too_many_files"


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise FieldErrors(errors)


# ------------------------------------------------------------------------------------ writes


def _register(
    session: Session,
    actor: Actor,
    adm: Administration,
    direction: Direction,
    channel: Channel,
    columns: dict[str, Any],
    accepted: list[files.InspectedFile],
    *,
    words: tuple[str, ...],
    party: Party | None = None,
    contact_id: int | None = None,
    at: datetime | None = None,
    **data: object,
) -> Registration:
    """Number and insert the correspondence (``columns``) with its party (linked to the contacts
    directory), its scans and its one audit event (``intake.register``); its label's QR token is new."""
    token = secrets.token_urlsafe(24)
    done = intake.register(
        session,
        adm,
        direction,
        channel,
        columns=columns,
        words=words,
        verify_token=token,
        at=at,
        party=party,
        link_contact=True,
        contact_id=contact_id,
        accepted=accepted,
        kind=DocumentKind.scan,
        actor=actor,
        data={"channel": channel.value, **data},
    )
    return Registration(done.correspondence, token)


# ------------------------------------------------------------------------------------ incoming


def register_incoming(
    session: Session,
    actor: Actor | None,
    *,
    administration_id: int,
    channel: Channel | str,
    subject: str,
    message: str = "",
    sender_name: str = "",
    sender_id_kind: str = "",
    sender_id_value: str = "",
    sender_email: str = "",
    sender_phone: str = "",
    sender_administration_id: int | None = None,
    files: list[tuple[str, bytes]] | None = None,  # noqa: A002 - (filename, content) scans
    type_code: str = "",
    priority: Priority | str = Priority.normal,
    unit_id: int | None = None,
) -> Registration:
    """Register paper or e-mail mail in the incoming register (``A``), status *to qualify*.

    The actor must be a registry clerk (role ``clerk``) in a unit of the administration. Paper
    mail needs at least one scan. The default deadline follows ``deadlines.DEFAULT_SLA``.
    """
    adm = _administration(session, administration_id)
    _require_units(session, actor, adm.id, Role.clerk)
    items = list(files or [])
    errors: dict[str, str] = {}
    chan = _channel(channel, errors)
    subject = _text(subject, "subject", errors, max_len=255, required=True)
    message = _text(message, "message", errors, max_len=deposits.MAX_MESSAGE, multiline=True)
    sender_name = _text(sender_name, "sender_name", errors, max_len=150, required=sender_administration_id is None)
    id_kind, id_value, email, phone = _contact(errors, sender_id_kind, sender_id_value, sender_email, sender_phone)
    if sender_administration_id is not None and sender_administration_id == adm.id:
        errors["sender_administration"] = "error.unknown_administration"
    type_code = (type_code or "").strip().lower()
    if type_code and not TYPE_CODE_RE.match(type_code):
        errors["type_code"] = "error.invalid_code"
    try:
        prio = Priority(priority)
    except ValueError:
        prio = Priority.normal
        errors["priority"] = "error.invalid_priority"
    unit = _unit(session, unit_id, adm.id, "unit", errors)
    _check_files(items, errors)
    if chan is Channel.paper and not items:
        errors["files"] = "error.scan_required"
    _raise(errors)
    sender_adm = _administration(session, sender_administration_id) if sender_administration_id else None
    accepted = inspect_and_store(items)

    now = utcnow().replace(microsecond=0)
    if sender_adm is not None:
        party = Party(
            kind=PartyKind.administration,
            full_name=sender_name or sender_adm.name_fr,
            administration_id=sender_adm.id,
            email=email,
            phone=phone,
        )
    else:
        party = Party(
            kind=PartyKind.company if id_kind == "ICE" else PartyKind.person,
            full_name=sender_name,
            id_kind=id_kind,
            id_value=id_value,
            email=email,
            phone=phone,
        )
    sender_label = " ".join(filter(None, (party.full_name, sender_adm.name_ar if sender_adm else "")))
    columns = {
        "unit_id": unit.id if unit else None,
        "status": Status.to_qualify,
        "priority": prio,
        "subject": subject,
        "message": message,
        "sender_administration_id": sender_adm.id if sender_adm else None,
        "deadline": deadlines.default_deadline(session, adm.id, type_code, prio, now),
        "created_by": actor.user_id or None,
        "type_code": type_code,
    }
    return _register(
        session,
        actor,
        adm,
        Direction.incoming,
        chan,
        columns,
        accepted,
        words=(subject, sender_label, id_value, message),
        party=party,
        at=now,
    )


# ------------------------------------------------------------------------------------ outgoing


def register_outgoing(
    session: Session,
    actor: Actor | None,
    *,
    administration_id: int,
    subject: str,
    unit_id: int,
    recipient_name: str = "",
    recipient_administration_id: int | None = None,
    recipient_email: str = "",
    recipient_phone: str = "",
    message: str = "",
    files: list[tuple[str, bytes]] | None = None,  # noqa: A002
    channel: Channel | str = Channel.paper,
    recipient_contact_id: int | None = None,
) -> Registration:
    """Register a letter sent by ``unit_id`` in the outgoing register (``D``): status *closed* (sent
    outside the platform), or *to send* when the recipient is an administration on the platform.

    Clerks register for any unit of the administration; agents and heads for their own units.
    The recipient is a named correspondent or another administration (or both: a named contact
    in it); ``recipient_contact_id`` is the contacts-directory entry picked for it, if any.
    """
    adm = _administration(session, administration_id)
    actor = permissions.require_actor(actor)
    clerk_units = units_of(session, actor, adm.id, Role.clerk)
    own_units = units_of(session, actor, adm.id, Role.agent, Role.head)
    if not clerk_units and not own_units:
        raise PermissionDenied()
    items = list(files or [])
    errors: dict[str, str] = {}
    unit = _unit(session, unit_id, adm.id, "unit", errors)
    if not unit_id:
        errors["unit"] = "error.required"
    elif unit is not None and not clerk_units and unit.id not in own_units:
        raise PermissionDenied()
    chan = _channel(channel, errors)
    subject = _text(subject, "subject", errors, max_len=255, required=True)
    message = _text(message, "message", errors, max_len=deposits.MAX_MESSAGE, multiline=True)
    recipient_name = _text(
        recipient_name, "recipient_name", errors, max_len=150, required=recipient_administration_id is None
    )
    _, _, email, phone = _contact(errors, "", "", recipient_email, recipient_phone)
    if recipient_administration_id is not None and recipient_administration_id == adm.id:
        errors["recipient_administration"] = "error.unknown_administration"
    _check_files(items, errors)
    _raise(errors)
    recipient_adm = _administration(session, recipient_administration_id) if recipient_administration_id else None
    accepted = inspect_and_store(items)

    now = utcnow().replace(microsecond=0)
    party = None
    if recipient_name:
        party = Party(
            kind=PartyKind.administration if recipient_adm else PartyKind.person,
            full_name=recipient_name,
            administration_id=recipient_adm.id if recipient_adm else None,
            email=email,
            phone=phone,
        )
    recipient_label = " ".join(
        filter(
            None,
            (
                recipient_name,
                recipient_adm.name_fr if recipient_adm else "",
                recipient_adm.name_ar if recipient_adm else "",
            ),
        )
    )
    columns = {
        "unit_id": unit.id,
        # a recipient administration on the platform gets it through ``sending.send_outgoing``
        "status": Status.to_send if recipient_adm else Status.closed,
        "closed_at": None if recipient_adm else now,
        "subject": subject,
        "message": message,
        "recipient_administration_id": recipient_adm.id if recipient_adm else None,
        "created_by": actor.user_id or None,
    }
    return _register(
        session,
        actor,
        adm,
        Direction.outgoing,
        chan,
        columns,
        accepted,
        words=(subject, recipient_label, message),
        party=party,
        contact_id=recipient_contact_id,
        at=now,
        unit_id=unit.id,
    )


# ------------------------------------------------------------------------------------ internal


def register_internal(
    session: Session,
    actor: Actor | None,
    *,
    administration_id: int,
    subject: str,
    from_unit_id: int,
    to_unit_id: int,
    message: str = "",
    files: list[tuple[str, bytes]] | None = None,  # noqa: A002
    priority: Priority | str = Priority.normal,
    channel: Channel | str = Channel.paper,
) -> Registration:
    """Register an internal note (``I``) from one unit to another, dispatched for action to the latter.

    The actor is staff of the administration (any role in one of its units); clerks register
    for any sending unit, others only from a unit where they hold a role. ``unit_id`` of the
    correspondence is the sending unit; ``action_unit_id`` (and an action dispatch) the receiving one.
    """
    adm = _administration(session, administration_id)
    actor = permissions.require_actor(actor)
    own_units = _require_units(session, actor, adm.id)
    clerk = bool(units_of(session, actor, adm.id, Role.clerk))
    items = list(files or [])
    errors: dict[str, str] = {}
    if not from_unit_id:
        errors["from_unit"] = "error.required"
    if not to_unit_id:
        errors["to_unit"] = "error.required"
    source = _unit(session, from_unit_id, adm.id, "from_unit", errors)
    target = _unit(session, to_unit_id, adm.id, "to_unit", errors)
    if source is not None and not clerk and source.id not in own_units:
        raise PermissionDenied()
    if source is not None and target is not None and source.id == target.id:
        errors["to_unit"] = "error.same_unit"
    chan = _channel(channel, errors)
    try:
        prio = Priority(priority)
    except ValueError:
        prio = Priority.normal
        errors["priority"] = "error.invalid_priority"
    subject = _text(subject, "subject", errors, max_len=255, required=True)
    message = _text(message, "message", errors, max_len=deposits.MAX_MESSAGE, multiline=True)
    _check_files(items, errors)
    _raise(errors)
    accepted = inspect_and_store(items)

    columns = {
        "unit_id": source.id,
        "status": Status.dispatched,
        "priority": prio,
        "subject": subject,
        "message": message,
        "action_unit_id": target.id,
        "created_by": actor.user_id or None,
    }
    registration = _register(
        session,
        actor,
        adm,
        Direction.internal,
        chan,
        columns,
        accepted,
        words=(subject, source.name_fr, source.name_ar, target.name_fr, target.name_ar, message),
        from_unit_id=source.id,
        to_unit_id=target.id,
    )
    session.add(
        Dispatch(
            correspondence_id=registration.correspondence.id,
            unit_id=target.id,
            purpose=DispatchPurpose.action,
            created_by=actor.user_id or None,
        )
    )
    return registration
