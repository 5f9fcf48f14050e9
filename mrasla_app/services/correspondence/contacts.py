"""The contacts directory: lasting entries for the people, companies and administrations an
administration corresponds with.

Intake (an e-mail's sender), registration and answers call ``remember`` with what they know; it
returns the matching entry (same e-mail, phone or CIN/ICE) or a new one, and the letter's ``Party``
points to it. Nothing is merged automatically: names are too ambiguous for that. ``suggestions``
lists pairs that look like one correspondent (same folded name, e-mail or phone) and registry staff
``merge`` them, with an audit event; a merged entry keeps pointing to the one it went into.

Normalisation: names are folded like search (``text.normalize``: Arabic letter forms, accents,
case) with punctuation dropped and words sorted, so "EL FASSI Ahmed" and "Ahmed El-Fassi" meet;
e-mails are lower-cased; Moroccan phones are kept in national form (``+212 6…`` → ``06…``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import func, or_, select, update
from sqlmodel import Session

from mrasla_app.models import Contact, Party, PartyKind, Role
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, FieldErrors, NotFound, PermissionDenied
from mrasla_app.services.platform import audit
from mrasla_app.services.platform.text import clean, normalize
from mrasla_app.services.portal import deposits

_ARABIC = re.compile(r"[\u0600-\u06FF]")
_WORD = re.compile(r"[^\W_]+")
MAX_RESULTS = 50


def is_arabic(text: str) -> bool:
    return bool(_ARABIC.search(text or ""))


def norm_name(*names: str) -> str:
    """Folded words of the names, de-duplicated and sorted: word order, case, accents, hyphens and
    Arabic letter variants do not matter (the article ``al``/``el`` is kept: it is part of names)."""
    words = {w for name in names for w in _WORD.findall(normalize(name or ""))}
    return " ".join(sorted(words))[:255]


def norm_email(email: str) -> str:
    return clean(email or "", multiline=False).lower()


def norm_phone(phone: str) -> str:
    """Digits only; Moroccan international forms (``+212``, ``00212``) become national (``0…``)."""
    digits = re.sub(r"\D", "", phone or "")
    for prefix in ("00212", "212"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 9:
            return "0" + digits[len(prefix) :]
    return digits[:32]


def _normalise(contact: Contact) -> None:
    contact.norm_name = norm_name(contact.name_ar, contact.name_latin)
    contact.norm_email = norm_email(contact.email)
    contact.norm_phone = norm_phone(contact.phone)


def display_name(contact: Contact) -> str:
    return " — ".join(filter(None, (contact.name_latin, contact.name_ar)))


# ------------------------------------------------------------------------------------ rights


def _require_registry(actor: Actor | None, administration_id: int) -> Actor:
    """Registry staff (clerks) and administrators of the administration; platform administrators."""
    actor = permissions.require_member_of(actor, administration_id)
    if not (actor.is_platform_admin or actor.has_role(Role.clerk, Role.admin)):
        raise PermissionDenied()
    return actor


def _require_staff(actor: Actor | None, administration_id: int) -> Actor:
    """Anyone of the administration's staff may look contacts up (addressee picker)."""
    return permissions.require_member_of(actor, administration_id)


def _get(session: Session, administration_id: int, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id) if contact_id else None
    if contact is None or contact.administration_id != administration_id:
        raise NotFound()
    return contact


# ------------------------------------------------------------------------------------ matching


def find_match(
    session: Session, administration_id: int, *, email: str = "", phone: str = "", id_value: str = ""
) -> Contact | None:
    """An active entry with the same e-mail, phone or CIN/ICE (strong identifiers), oldest first."""
    conditions = []
    if norm_email(email):
        conditions.append(Contact.norm_email == norm_email(email))
    if norm_phone(phone):
        conditions.append(Contact.norm_phone == norm_phone(phone))
    if id_value:
        conditions.append(Contact.id_value == id_value)
    if not conditions:
        return None
    return session.execute(
        select(Contact)
        .where(
            Contact.administration_id == administration_id,
            Contact.merged_into_id.is_(None),
            or_(*conditions),
        )
        .order_by(Contact.id)
        .limit(1)
    ).scalar_one_or_none()


def remember(
    session: Session,
    administration_id: int,
    *,
    kind: PartyKind = PartyKind.person,
    name: str = "",
    email: str = "",
    phone: str = "",
    id_kind: str = "",
    id_value: str = "",
    correspondent_administration_id: int | None = None,
) -> Contact:
    """The entry for this correspondent (found by e-mail, phone or CIN/ICE, completed with what was
    missing), or a new one — in the caller's transaction. Used by intake and registration."""
    name = clean(name, multiline=False)[:255]
    contact = find_match(session, administration_id, email=email, phone=phone, id_value=id_value)
    if contact is None:
        contact = Contact(
            administration_id=administration_id,
            kind=kind,
            correspondent_administration_id=correspondent_administration_id,
        )
    field = "name_ar" if is_arabic(name) else "name_latin"
    for attr, value in (
        (field, name),
        ("email", norm_email(email)),
        ("phone", norm_phone(phone)),
        ("id_kind", id_kind),
        ("id_value", id_value),
    ):
        if value and not getattr(contact, attr):
            setattr(contact, attr, value)
    _normalise(contact)
    session.add(contact)
    session.flush()
    return contact


def link_party(session: Session, party: Party, administration_id: int, contact_id: int | None = None) -> Contact:
    """Attach a letter's ``Party`` to its directory entry: ``contact_id`` when the user picked one
    (it must be the administration's), else the entry matching it (created when new)."""
    if contact_id:
        contact = _current(session, _get(session, administration_id, contact_id))
    else:
        contact = remember(
            session,
            administration_id,
            kind=party.kind,
            name=party.full_name,
            email=party.email,
            phone=party.phone,
            id_kind=party.id_kind,
            id_value=party.id_value,
            correspondent_administration_id=party.administration_id,
        )
    party.contact_id = contact.id
    session.add(party)
    return contact


# ------------------------------------------------------------------------------------ staff actions


@dataclass(frozen=True)
class ContactInput:
    kind: str = PartyKind.person.value
    name_ar: str = ""
    name_latin: str = ""
    email: str = ""
    phone: str = ""
    id_kind: str = ""
    id_value: str = ""


def _checked(data: ContactInput) -> dict[str, object]:
    errors: dict[str, str] = {}
    try:
        kind = PartyKind(data.kind)
    except ValueError:
        kind = PartyKind.person
        errors["kind"] = "error.invalid_kind"
    name_ar = clean(data.name_ar, multiline=False)
    name_latin = clean(data.name_latin, multiline=False)
    if not name_ar and not name_latin:
        errors["name_latin"] = "error.required"
    if len(name_ar) > 255 or len(name_latin) > 255:
        errors["name_latin"] = "error.too_long"
    email = norm_email(data.email)
    if email and (not deposits.EMAIL_RE.match(email) or len(email) > 255):
        errors["email"] = "error.invalid_email"
    phone = re.sub(r"[\s.()-]", "", data.phone or "")
    if phone and not deposits.PHONE_RE.match(phone):
        errors["phone"] = "error.invalid_phone"
    id_kind = (data.id_kind or "").strip().upper()
    id_value = re.sub(r"[\s-]", "", data.id_value or "").upper()
    if id_kind or id_value:
        if id_kind not in ("CIN", "ICE"):
            errors["id_kind"] = "error.id_kind"
        elif not (deposits.CIN_RE if id_kind == "CIN" else deposits.ICE_RE).match(id_value):
            errors["id_value"] = "error.cin_format" if id_kind == "CIN" else "error.ice_format"
    if errors:
        raise FieldErrors(errors)
    return {
        "kind": kind,
        "name_ar": name_ar,
        "name_latin": name_latin,
        "email": email,
        "phone": norm_phone(phone),
        "id_kind": id_kind,
        "id_value": id_value,
    }


def create(session: Session, actor: Actor | None, administration_id: int, data: ContactInput) -> Contact:
    """A contact entered by registry staff (audited)."""
    actor = _require_registry(actor, administration_id)
    contact = Contact(administration_id=administration_id, **_checked(data))
    _normalise(contact)
    session.add(contact)
    session.flush()
    audit.record(
        session,
        actor,
        "contact.created",
        object_type="contact",
        object_id=contact.id,
        administration_id=administration_id,
        data={"kind": contact.kind.value},
    )
    return contact


def search(
    session: Session, actor: Actor | None, administration_id: int, query: str = "", limit: int = MAX_RESULTS
) -> list[Contact]:
    """Active entries whose name, e-mail or phone contains ``query`` (folded), names first."""
    _require_staff(actor, administration_id)
    stmt = select(Contact).where(Contact.administration_id == administration_id, Contact.merged_into_id.is_(None))
    words = _WORD.findall(normalize(query or ""))
    for word in words[:5]:
        like = f"%{word}%"
        stmt = stmt.where(
            or_(Contact.norm_name.like(like), Contact.norm_email.like(like), Contact.norm_phone.like(like))
        )
    return list(session.execute(stmt.order_by(Contact.norm_name, Contact.id).limit(limit)).scalars())


@dataclass(frozen=True)
class Suggestion:
    """Two entries that look like one correspondent, and why (``name``, ``email``, ``phone``)."""

    first: Contact
    second: Contact
    reasons: tuple[str, ...]


def suggestions(
    session: Session, actor: Actor | None, administration_id: int, limit: int = MAX_RESULTS
) -> list[Suggestion]:
    """Pairs of active entries sharing a folded name, an e-mail or a phone (older entry first)."""
    _require_registry(actor, administration_id)
    found: dict[tuple[int, int], set[str]] = {}
    for reason, column in (("name", Contact.norm_name), ("email", Contact.norm_email), ("phone", Contact.norm_phone)):
        groups: dict[str, list[int]] = {}
        active = (Contact.administration_id == administration_id, Contact.merged_into_id.is_(None), column != "")
        shared = select(column).where(*active).group_by(column).having(func.count() > 1)
        rows = session.execute(select(column, Contact.id).where(*active, column.in_(shared)).order_by(Contact.id)).all()
        for value, cid in rows:
            groups.setdefault(value, []).append(cid)
        for ids in groups.values():
            for pair in combinations(ids, 2):
                found.setdefault(pair, set()).add(reason)
    pairs = sorted(found.items())[:limit]
    by_id = {
        c.id: c
        for c in session.execute(
            select(Contact).where(Contact.id.in_({i for pair, _ in pairs for i in pair}))
        ).scalars()
    }
    return [Suggestion(by_id[a], by_id[b], tuple(sorted(r))) for (a, b), r in pairs]


def merge(session: Session, actor: Actor | None, administration_id: int, keep_id: int, drop_id: int) -> Contact:
    """Merge ``drop_id`` into ``keep_id``: missing fields completed from it, its letters' parties
    repointed, the entry kept as merged (``merged_into_id``) with an audit event."""
    actor = _require_registry(actor, administration_id)
    if keep_id == drop_id:
        raise DomainError("error.contact_same")
    keep, drop = _get(session, administration_id, keep_id), _get(session, administration_id, drop_id)
    if keep.merged_into_id is not None or drop.merged_into_id is not None:
        raise DomainError("error.contact_merged")
    for attr in ("name_ar", "name_latin", "email", "phone", "id_kind", "id_value", "correspondent_administration_id"):
        if not getattr(keep, attr) and getattr(drop, attr):
            setattr(keep, attr, getattr(drop, attr))
    _normalise(keep)
    drop.merged_into_id = keep.id
    session.add_all([keep, drop])
    moved = session.execute(
        update(Party)
        .where(Party.contact_id == drop.id)
        .values(contact_id=keep.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.execute(
        update(Contact)
        .where(Contact.merged_into_id == drop.id)
        .values(merged_into_id=keep.id)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        actor,
        "contact.merged",
        object_type="contact",
        object_id=keep.id,
        administration_id=administration_id,
        data={"kept": keep.id, "merged": drop.id, "parties": moved},
    )
    return keep


def _current(session: Session, contact: Contact) -> Contact:
    """The entry a merged one went into (merges point to the kept entry, never to a merged one)."""
    return session.get(Contact, contact.merged_into_id) if contact.merged_into_id else contact  # type: ignore[return-value]  # a merge target exists (foreign key)


def addressee(session: Session, actor: Actor | None, administration_id: int, contact_id: int) -> Contact:
    """A contact picked as a letter's addressee (staff of the administration, its own entries only)."""
    _require_staff(actor, administration_id)
    return _current(session, _get(session, administration_id, contact_id))


def for_party(session: Session, party_id: int | None) -> Contact | None:
    """The directory entry behind a letter's party (following merges), for the letter page."""
    party = session.get(Party, party_id) if party_id else None
    contact = session.get(Contact, party.contact_id) if party and party.contact_id else None
    return _current(session, contact) if contact is not None else None
