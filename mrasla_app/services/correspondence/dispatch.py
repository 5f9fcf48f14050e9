"""Qualification and dispatch (imputation), and the work done on a correspondence afterwards.

The registry qualifies (type, priority, confidentiality, deadline) and dispatches to one unit — or
one person in it — for action and to any number of units for information. The action unit may
take it, re-dispatch it, return it to the registry with a reason, or close it. Every step is a
status transition from ``registry.TRANSITIONS`` with its audit event, allowed by ``letter_actions.RULES``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select, update
from sqlmodel import Session

from mrasla_app.models import (
    AuditEvent,
    ConfidentialAccess,
    Correspondence,
    CorrespondenceLink,
    Dispatch,
    DispatchPurpose,
    LinkKind,
    Note,
    Priority,
    RoleMembership,
    Status,
    Unit,
    User,
)
from mrasla_app.models.base import utcnow
from mrasla_app.services.correspondence import letter_actions, registry, scoping
from mrasla_app.services.correspondence.letter_actions import LetterAction
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.services.platform import audit, validation
from mrasla_app.services.records import file_plan
from mrasla_app.services.records.file_plan import Classification

TYPES = ("request", "complaint", "invoice", "information", "other")


def _record(session: Session, actor: Actor, corr: Correspondence, action: str, **data: object) -> None:
    audit.record(
        session,
        actor,
        action,
        object_type="correspondence",
        object_id=corr.id or "",
        administration_id=corr.administration_id,
        data=data,
    )


def qualify(
    session: Session,
    actor: Actor | None,
    correspondence_id: int,
    *,
    type_code: str,
    priority: str = "normal",
    confidential: bool = False,
    deadline: date | None = None,
    named_user_ids: Iterable[int] = (),
    classification: Classification | None = None,
) -> Correspondence:
    """The registry sets type, priority, confidentiality and deadline (default from the SLA table),
    and files the letter in the file plan (``records.file_plan.classify``) when given."""
    corr = scoping.get_visible(session, actor, correspondence_id, for_update=True)
    assert actor is not None
    letter_actions.require(session, actor, corr, LetterAction.qualify)
    if type_code not in TYPES:
        raise DomainError("error.invalid_request")
    try:
        corr.priority = Priority(priority)
    except ValueError:
        raise DomainError("error.invalid_request") from None
    if deadline is None:
        from mrasla_app.services.correspondence import deadlines

        deadline = deadlines.default_deadline(session, corr.administration_id, type_code, corr.priority, utcnow())
    corr.type_code, corr.deadline, corr.confidential = type_code, deadline, bool(confidential)
    named = sorted(set(named_user_ids))
    if confidential:
        if not named:
            raise DomainError("error.confidential_needs_names")
        named = sorted({*named, actor.user_id})  # the clerk still has to dispatch it
        same_adm = set(
            session.execute(
                select(User.id).where(User.id.in_(named), User.administration_id == corr.administration_id)
            ).scalars()
        )
        if same_adm != set(named):
            raise DomainError("error.invalid_request")
        for uid in named:
            if session.get(ConfidentialAccess, (corr.id, uid)) is None:
                session.add(ConfidentialAccess(correspondence_id=corr.id, user_id=uid))
    session.add(corr)
    filed = file_plan.classify(session, actor, corr, classification) if classification else {}
    _record(
        session,
        actor,
        corr,
        "correspondence.qualified",
        type=type_code,
        priority=corr.priority.value,
        confidential=corr.confidential,
        deadline=str(deadline or ""),
        named=named,
        **filed,
    )
    return corr


def _unit_of(session: Session, corr: Correspondence, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or unit.administration_id != corr.administration_id or not unit.active:
        raise DomainError("error.unknown_unit")
    return unit


def dispatch(
    session: Session,
    actor: Actor | None,
    correspondence_id: int,
    *,
    action_unit_id: int,
    action_user_id: int | None = None,
    info_unit_ids: Iterable[int] = (),
    instructions: str = "",
) -> Correspondence:
    """Route for action (one unit, optionally one person in it) and for information (copies).

    The registry dispatches; the action unit may re-dispatch. A new action dispatch replaces the
    previous one; information copies accumulate.
    """
    corr = scoping.get_visible(session, actor, correspondence_id, for_update=True)
    assert actor is not None
    letter_actions.require(session, actor, corr, LetterAction.dispatch)
    unit = _unit_of(session, corr, action_unit_id)
    if action_user_id is not None:
        member = session.execute(
            select(User.id)
            .join(RoleMembership, RoleMembership.user_id == User.id)
            .where(User.id == action_user_id, RoleMembership.unit_id == unit.id, User.active.is_(True))
        ).first()
        if member is None:
            raise DomainError("error.invalid_request")
    infos = sorted(set(info_unit_ids) - {unit.id})
    for uid in infos:
        _unit_of(session, corr, uid)
    text = validation.text(instructions, "instructions", max_len=2000, required=False)
    session.execute(
        update(Dispatch)
        .where(Dispatch.correspondence_id == corr.id, Dispatch.purpose == DispatchPurpose.action)
        .values(active=False)
    )
    session.add(
        Dispatch(
            correspondence_id=corr.id,
            unit_id=unit.id,
            user_id=action_user_id,
            purpose=DispatchPurpose.action,
            instructions=text,
            created_by=actor.user_id or None,
        )
    )
    for uid in infos:
        session.add(
            Dispatch(
                correspondence_id=corr.id,
                unit_id=uid,
                purpose=DispatchPurpose.information,
                instructions=text,
                created_by=actor.user_id or None,
            )
        )
    corr.action_unit_id, corr.assignee_id = unit.id, action_user_id
    registry.transition(
        session, actor, corr, Status.dispatched, unit=unit.code, user=action_user_id, info=infos, instructions=text
    )
    return corr


def take(session: Session, actor: Actor | None, correspondence_id: int) -> Correspondence:
    """An agent of the action unit starts processing: it becomes theirs, status in progress."""
    corr = scoping.get_visible(session, actor, correspondence_id, for_update=True)
    assert actor is not None
    letter_actions.require(session, actor, corr, LetterAction.take)
    corr.assignee_id = actor.user_id
    registry.transition(session, actor, corr, Status.in_progress)
    return corr


def return_to_registry(session: Session, actor: Actor | None, correspondence_id: int, reason: str) -> Correspondence:
    """Not for us: back to the registry with a mandatory reason."""
    corr = scoping.get_visible(session, actor, correspondence_id, for_update=True)
    assert actor is not None
    letter_actions.require(session, actor, corr, LetterAction.return_)
    why = validation.text(reason, "reason", max_len=1000)
    session.execute(
        update(Dispatch)
        .where(Dispatch.correspondence_id == corr.id, Dispatch.purpose == DispatchPurpose.action)
        .values(active=False)
    )
    corr.action_unit_id, corr.assignee_id = None, None
    registry.transition(session, actor, corr, Status.returned, reason=why)
    return corr


def close(session: Session, actor: Actor | None, correspondence_id: int, reason: str = "") -> Correspondence:
    """Closed without (further) follow-up, by the action unit or the registry."""
    corr = scoping.get_visible(session, actor, correspondence_id, for_update=True)
    assert actor is not None
    letter_actions.require(session, actor, corr, LetterAction.close)
    corr.closed_at = utcnow()
    registry.transition(
        session, actor, corr, Status.closed, reason=validation.text(reason, "reason", max_len=1000, required=False)
    )
    return corr


def add_note(session: Session, actor: Actor | None, correspondence_id: int, body: str) -> Note:
    corr = scoping.get_visible(session, actor, correspondence_id)
    assert actor is not None
    note = Note(correspondence_id=corr.id, author_id=actor.user_id, body=validation.text(body, "note", max_len=5000))
    session.add(note)
    session.flush()
    _record(session, actor, corr, "correspondence.note_added", note_id=note.id)
    return note


def link(session: Session, actor: Actor | None, from_id: int, to_id: int, kind: str) -> CorrespondenceLink:
    """Link two correspondences the actor can both see (reply-to, same file)."""
    a = scoping.get_visible(session, actor, from_id)
    b = scoping.get_visible(session, actor, to_id)
    assert actor is not None
    if a.id == b.id:
        raise DomainError("error.invalid_request")
    try:
        link_kind = LinkKind(kind)
    except ValueError:
        raise DomainError("error.invalid_request") from None
    existing = session.execute(
        select(CorrespondenceLink).where(
            CorrespondenceLink.from_id == a.id, CorrespondenceLink.to_id == b.id, CorrespondenceLink.kind == link_kind
        )
    ).scalar()
    if existing:
        return existing
    row = CorrespondenceLink(from_id=a.id, to_id=b.id, kind=link_kind, created_by=actor.user_id or None)
    session.add(row)
    session.flush()
    _record(session, actor, a, "correspondence.linked", to=b.registry_number, kind=link_kind.value)
    return row


def link_number(session: Session, actor: Actor | None, from_id: int, number: str, kind: str) -> CorrespondenceLink:
    """Link to the correspondence whose registry number was typed (spaces, case and "-" forgiven)."""
    typed = " ".join(str(number).split()).upper().replace("-", "/")[:40]
    target = session.execute(
        select(Correspondence.id).where(Correspondence.registry_number == typed, scoping.visible_clause(session, actor))
    ).scalar()
    if target is None:
        raise DomainError("error.not_found")  # not "NotFound": the page the clerk is on stays
    return link(session, actor, from_id, target, kind)


def history(session: Session, actor: Actor | None, correspondence_id: int) -> list[AuditEvent]:
    """The timeline of a correspondence, for those who may see it."""
    corr = scoping.get_visible(session, actor, correspondence_id)
    return list(
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.object_type == "correspondence", AuditEvent.object_id == str(corr.id))
            .order_by(AuditEvent.id)
        ).scalars()
    )
