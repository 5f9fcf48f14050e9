"""What an actor may do with a letter: one table read by the commands and by every page or route.

Each action names the status it moves the letter to (checked against ``registry.TRANSITIONS``), the
statuses it starts from, and who may take it (the registry clerk of the letter's administration, or
someone acting on it: its assignee or staff of its action unit). ``dispatch`` commands call
``require``; the detail views call ``allowed`` — so a button is shown exactly when the command would
accept the click.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session

from mrasla_app.models import Correspondence, Direction, Role, Status
from mrasla_app.services.correspondence import scoping
from mrasla_app.services.correspondence.registry import TRANSITIONS
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, PermissionDenied


class LetterAction(StrEnum):
    qualify = "qualify"
    dispatch = "dispatch"
    take = "take"
    return_ = "return"
    close = "close"
    answer = "answer"


class Party(StrEnum):
    """The two ways someone stands towards a letter."""

    clerk = "clerk"  # registry clerk of the letter's administration
    acting = "acting"  # its assignee, or staff of its action unit (or a head above it)


@dataclass(frozen=True)
class Rule:
    """``target``: the status the command moves to (None: the letter keeps its status)."""

    parties: frozenset[Party]
    starts: frozenset[Status]
    target: Status | None = None
    incoming_only: bool = False


def _moving_to(target: Status, among: set[Status] | None = None) -> frozenset[Status]:
    """The statuses the lifecycle lets move to ``target`` (optionally narrowed to ``among``)."""
    starts = {s for s, nexts in TRANSITIONS.items() if target in nexts}
    return frozenset(starts & among if among is not None else starts)


CLERK, ACTING, BOTH = frozenset({Party.clerk}), frozenset({Party.acting}), frozenset({Party.clerk, Party.acting})
#: Closing files a letter without further follow-up: not one that waits to be sent or has left.
RULES: dict[LetterAction, Rule] = {
    LetterAction.qualify: Rule(CLERK, frozenset({Status.to_qualify, Status.returned})),
    LetterAction.dispatch: Rule(BOTH, _moving_to(Status.dispatched), Status.dispatched),
    LetterAction.take: Rule(ACTING, _moving_to(Status.in_progress), Status.in_progress),
    LetterAction.return_: Rule(
        ACTING, _moving_to(Status.returned, {Status.dispatched, Status.in_progress}), Status.returned
    ),
    LetterAction.close: Rule(
        BOTH,
        _moving_to(
            Status.closed, {Status.to_qualify, Status.dispatched, Status.in_progress, Status.returned, Status.answered}
        ),
        Status.closed,
    ),
    LetterAction.answer: Rule(BOTH, frozenset({Status.dispatched, Status.in_progress}), incoming_only=True),
}


def is_registry_clerk(actor: Actor, corr: Correspondence) -> bool:
    return actor.has_role(Role.clerk) and actor.administration_id == corr.administration_id


def is_acting_on(session: Session, actor: Actor, corr: Correspondence) -> bool:
    """Assignee, or staff of the action unit (or a head above it)."""
    return corr.assignee_id == actor.user_id or (
        corr.action_unit_id is not None and corr.action_unit_id in scoping.unit_scope(session, actor)
    )


def parties(session: Session, actor: Actor, corr: Correspondence) -> frozenset[Party]:
    found = set()
    if is_registry_clerk(actor, corr):
        found.add(Party.clerk)
    if is_acting_on(session, actor, corr):
        found.add(Party.acting)
    return frozenset(found)


def _fits(rule: Rule, corr: Correspondence) -> bool:
    return corr.status in rule.starts and not (rule.incoming_only and corr.direction != Direction.incoming)


def allowed(session: Session, actor: Actor, corr: Correspondence) -> frozenset[LetterAction]:
    """The actions ``actor`` may take on ``corr`` now (what the detail page offers)."""
    who = parties(session, actor, corr)
    return frozenset(a for a, rule in RULES.items() if who & rule.parties and _fits(rule, corr))


def require(session: Session, actor: Actor, corr: Correspondence, action: LetterAction) -> None:
    """Refuse ``action`` unless the table allows it: 403 for the wrong person, then the lifecycle's error."""
    rule = RULES[action]
    if not parties(session, actor, corr) & rule.parties:
        raise PermissionDenied()
    if not _fits(rule, corr):
        raise DomainError(
            "error.invalid_transition",
            current=corr.status.value,
            target=(rule.target.value if rule.target else action.value),
        )
