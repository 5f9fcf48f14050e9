"""The portal's atomic deposit (flow 1): one function shared by the web wizard and the REST API.

``submit`` checks everything first (identity, addressee, every file by content) and only then
writes: blobs to private storage (fsynced), then ONE transaction with the registry number, the
party, the correspondence, its documents, the sealed receipt, an audit event and the depositor's
notification. Any failure rolls the whole transaction back — the number included — so a deposit
is either fully stored or clearly refused.

``submit_and_notify`` (the portal and the API) checks the form and inspects and stores the files
*before* opening the write transaction, so the writer lock (SQLite) or the registry counter's row
lock (PostgreSQL) is held only for the number, the rows and the receipt — whose storage (its fsyncs)
runs beside the last rows, the commit waiting for it — and sends the depositor's e-mail after the
commit, the message queued already claimed (no transaction of its own to claim it) and its outcome
written back with those of the other requests of the same half second. A blob stored by a
request that then fails is unreferenced, as after a rollback, and ``mrasla fsck --gc`` reclaims it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from mrasla_app.models import (
    Administration,
    Channel,
    Correspondence,
    Direction,
    Notification,
    Party,
    PartyKind,
    Unit,
)
from mrasla_app.services.correspondence import intake, registry
from mrasla_app.services.directory.accounts import hash_secret
from mrasla_app.services.errors import Conflict, FieldErrors
from mrasla_app.services.platform import files, notifications
from mrasla_app.services.platform.text import clean
from mrasla_app.settings import get_settings

CIN_RE = re.compile(r"^[A-Z]{1,2}[0-9]{1,6}$")
ICE_RE = re.compile(r"^[0-9]{15}$")
PHONE_RE = re.compile(r"^\+?[0-9]{9,15}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MAX_MESSAGE = 10_000


@dataclass
class DepositForm:
    """What a depositor submits, as received (the service normalises and checks it)."""

    administration_id: int
    full_name: str
    id_kind: str  # "CIN" (person) or "ICE" (company)
    id_value: str
    email: str
    phone: str
    subject: str
    message: str = ""
    unit_id: int | None = None
    lang: str = "fr"
    idempotency_key: str | None = None
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (filename, content)
    administration_code: str = ""  # when ``administration_id`` is 0 (the REST API takes either)


@dataclass(frozen=True)
class DepositResult:
    registry_number: str
    reference: str  # URL-safe registry number
    registered_at: datetime
    access_token: str
    verify_token: str
    correspondence_id: int
    notifications: tuple[Notification, ...]  # the depositor's message, queued in the deposit's transaction

    @property
    def receipt_url(self) -> str:
        return intake.receipt_url(self.reference, self.access_token)

    @property
    def verify_url(self) -> str:
        return intake.verify_url(self.reference, self.verify_token)

    @property
    def tracking_url(self) -> str:
        return intake.tracking_url(self.reference, self.access_token)


def _token(purpose: str, idempotency_key: str | None) -> str:
    """Random, or derived from the idempotency key so a retried submission gets the same links."""
    if not idempotency_key:
        return secrets.token_urlsafe(24)
    mac = hmac.new(get_settings().master_key(), f"{purpose}:{idempotency_key}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:24]).decode().rstrip("=")


def _clean(form: DepositForm, session: Session) -> tuple[DepositForm, Administration, Unit | None]:
    errors: dict[str, str] = {}
    if form.administration_id:
        adm = session.get(Administration, form.administration_id)
    else:
        code = form.administration_code.strip().upper()
        adm = session.execute(select(Administration).where(Administration.code == code)).scalar() if code else None
    if adm is None or not adm.active:
        errors["administration"] = "error.unknown_administration"
    unit = None
    if form.unit_id:
        unit = session.get(Unit, form.unit_id)
        if unit is None or adm is None or unit.administration_id != adm.id or not unit.active:
            errors["unit"] = "error.unknown_unit"
    name = clean(form.full_name, multiline=False)
    if not name:
        errors["full_name"] = "error.required"
    elif len(name) > 150:
        errors["full_name"] = "error.too_long"
    kind = (form.id_kind or "").upper()
    id_value = re.sub(r"[\s-]", "", form.id_value or "").upper()
    if kind not in ("CIN", "ICE"):
        errors["id_kind"] = "error.id_kind"
    elif kind == "CIN" and not CIN_RE.match(id_value):
        errors["id_value"] = "error.cin_format"
    elif kind == "ICE" and not ICE_RE.match(id_value):
        errors["id_value"] = "error.ice_format"
    email = clean(form.email, multiline=False).lower()
    phone = re.sub(r"[\s.()-]", "", form.phone or "")
    if not email and not phone:
        errors["email"] = "error.contact_required"
    if email and (not EMAIL_RE.match(email) or len(email) > 255):
        errors["email"] = "error.invalid_email"
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = "error.invalid_phone"
    subject = clean(form.subject, multiline=False)
    if not subject:
        errors["subject"] = "error.required"
    elif len(subject) > 255:
        errors["subject"] = "error.too_long"
    message = clean(form.message)
    if len(message) > MAX_MESSAGE:
        errors["message"] = "error.too_long"
    if len(form.files) > get_settings().max_files:
        errors["files"] = "error.too_many_files"
    if errors:
        raise FieldErrors(errors)
    cleaned = DepositForm(
        administration_id=adm.id,
        full_name=name,
        id_kind=kind,
        id_value=id_value,
        email=email,
        phone=phone,
        subject=subject,
        message=message,
        unit_id=unit.id if unit else None,
        lang=form.lang if form.lang in ("ar", "fr") else "fr",
        idempotency_key=(form.idempotency_key or "").strip()[:80] or None,
        files=form.files,
    )
    return cleaned, adm, unit  # type: ignore[return-value]  # both found above (else DomainError)


def validate(session: Session, form: DepositForm) -> list[files.InspectedFile]:
    """Every check, no write: raises ``FieldErrors`` / ``DomainError``; returns the accepted files."""
    _clean(form, session)
    return [files.inspect(name, data) for name, data in form.files]


def request_fingerprint(form: DepositForm) -> str:
    """What an ``Idempotency-Key`` is bound to: a SHA-256 of the key and of what the deposit is, once
    cleaned — administration, unit, identity, contact, subject, message and each file's content hash,
    in order (not the interface language nor the files' names: a retry from another tab is the same
    letter). Only this and the key's own hash are stored (``Correspondence``)."""
    parts = [
        form.idempotency_key or "",
        form.administration_id,
        form.unit_id,
        form.full_name,
        form.id_kind,
        form.id_value,
        form.email,
        form.phone,
        form.subject,
        form.message,
        [hashlib.sha256(data).hexdigest() for _name, data in form.files],
    ]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def _existing(session: Session, form: DepositForm) -> DepositResult | None:
    """The deposit already registered under ``form``'s key, if any (``form`` cleaned by ``_clean``).

    A key sent again with anything else (another administration, identity, subject, file…) is a
    ``Conflict`` that says nothing of the first deposit: a key alone never opens someone's links.
    Deposits registered before keys were bound (no fingerprint) refuse every replay the same way."""
    key = form.idempotency_key
    if not key:
        return None
    corr = session.execute(
        select(Correspondence).where(Correspondence.idempotency_key == hash_secret(key))
    ).scalar_one_or_none()
    if corr is None:
        return None
    if corr.idempotency_fingerprint is None or not hmac.compare_digest(
        corr.idempotency_fingerprint, request_fingerprint(form)
    ):
        raise Conflict("error.idempotency_key_reused")
    return DepositResult(
        corr.registry_number,
        registry.reference_slug(corr.registry_number),
        corr.registered_at,
        _token("access", key),
        _token("verify", key),
        corr.id,
        (),
    )


def submit(
    session: Session,
    form: DepositForm,
    *,
    ip: str = "",
    prepared: Prepared | None = None,
    send_after_commit: bool = False,
) -> DepositResult:
    """Register a deposit atomically in the caller's write transaction (see module docstring).

    ``prepared``: ``form`` already checked, and its files inspected and stored, by ``prepare`` (else done
    here), which also found its ``Idempotency-Key`` unregistered; a request with the same key committed
    since then makes this insert fail on the key's unique index (``IntegrityError``, the whole transaction
    rolled back, number included), which ``submit_and_notify`` answers like a retry.
    ``send_after_commit``: the caller sends the depositor's message itself once the transaction has
    committed (``submit_and_notify``): it is queued claimed (``notifications.queue``), else queued for
    any deliverer."""
    if prepared is not None:
        form, adm, unit = prepared.form, prepared.administration, prepared.unit
    else:
        form, adm, unit = _clean(form, session)
        previous = _existing(session, form)
        if previous is not None:
            return previous
    accepted = prepared.accepted if prepared is not None else files.inspect_and_store(form.files)
    access, verify = _token("access", form.idempotency_key), _token("verify", form.idempotency_key)
    done = intake.register(
        session,
        adm,
        Direction.incoming,
        Channel.portal,
        columns={
            "unit_id": form.unit_id,
            "subject": form.subject,
            "message": form.message,
            "idempotency_key": hash_secret(form.idempotency_key) if form.idempotency_key else None,
            "idempotency_fingerprint": request_fingerprint(form) if form.idempotency_key else None,
        },
        words=(form.subject, form.full_name, form.message),
        verify_token=verify,
        access_token=access,
        party=Party(
            kind=PartyKind.company if form.id_kind == "ICE" else PartyKind.person,
            full_name=form.full_name,
            id_kind=form.id_kind,
            id_value=form.id_value,
            email=form.email,
            phone=form.phone,
        ),
        accepted=accepted,
        receipt=intake.Receipt(form.full_name, unit, form.id_kind, form.id_value),
        event="correspondence.deposited",
        actor_label=f"portal:{ip}" if ip else "portal",
        hashes=False,
        notice=intake.Notice(form.email, form.lang, claimed=send_after_commit) if form.email else None,
    )
    corr = done.correspondence
    return DepositResult(
        corr.registry_number,
        done.reference,
        corr.registered_at,
        access,
        verify,
        corr.id,
        (done.notification,) if done.notification else (),
    )


@dataclass(frozen=True)
class Prepared:
    """A deposit checked and its files stored outside the write transaction (``prepare``): the cleaned
    form, its administration and unit as read then (a change in between is a race of milliseconds, the
    same as a change just after the commit), and the accepted files."""

    form: DepositForm
    administration: Administration
    unit: Unit | None
    accepted: list[files.InspectedFile]


def prepare(form: DepositForm) -> Prepared | None:
    """Outside any write transaction: the form's fields are checked first (their errors come before
    any file's), then every file is inspected and stored durably. None for a retried submission
    (its ``Idempotency-Key`` is registered already: nothing to inspect or store)."""
    from mrasla_app import db

    with db.read_session() as session:
        cleaned, adm, unit = _clean(form, session)
        if _existing(session, cleaned) is not None:
            return None
    return Prepared(cleaned, adm, unit, files.inspect_and_store(cleaned.files))


def submit_and_notify(form: DepositForm, *, ip: str = "") -> DepositResult:
    """``prepare``, ``submit`` in its own transaction, then the depositor's e-mail. Blocking (pyHanko
    seals the receipt with its own event loop): async adapters call it with ``asyncio.to_thread``."""
    from mrasla_app import db

    prepared = prepare(form)
    try:
        with db.write_session() as session:
            result = submit(session, form, ip=ip, prepared=prepared, send_after_commit=True)
    except IntegrityError:
        # Two requests with one key at once (both found it unregistered in ``prepare``): the loser
        # answers like a retry (same deposit, or Conflict), not with a 500.
        with db.read_session() as session:
            previous = _existing(session, _clean(form, session)[0]) if form.idempotency_key else None
        if previous is None:
            raise
        return previous
    notifications.deliver_claimed(result.notifications, write_back_later=True)
    return result
