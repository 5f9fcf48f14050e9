"""The letter's allowed actions: one table, read by the commands and by the detail views.

Walks a letter through its lifecycle and checks, for each role and status, that the actions the
view offers are exactly those the commands accept.
"""

from __future__ import annotations

import pytest

from mrasla_app import db
from mrasla_app.i18n import catalog
from mrasla_app.models import Status
from mrasla_app.services.correspondence import dispatch, letter_actions, registry, views
from mrasla_app.services.correspondence.letter_actions import RULES, LetterAction
from mrasla_app.services.errors import DomainError, PermissionDenied
from mrasla_app.services.vocabulary import TRACKED_STATUSES
from tests.unit.test_dispatch_inbox import deposit, qualify_and_dispatch

CLERK, AGENT, HEAD, OUTSIDER = (
    "clerk.mef@mrasla.ma",
    "agent.mef@mrasla.ma",
    "head.mef@mrasla.ma",
    "clerk.crb@mrasla.ma",
)


def test_tracking_shows_what_an_incoming_letter_can_reach_and_names_each_status():
    """The statuses a depositor's tracking labels are read from the lifecycle: an incoming letter never
    waits to be sent; each has its wording in every catalogue."""
    assert registry.INCOMING_STATUSES == (
        Status.to_qualify,
        Status.dispatched,
        Status.in_progress,
        Status.answered,
        Status.closed,
        Status.archived,
        Status.returned,
    )
    assert registry.reachable(Status.to_send) == (Status.closed, Status.archived, Status.to_send, Status.sent)
    for lang in ("ar", "fr", "en"):
        labels = catalog(lang)
        assert all(f"track.status.{s}" in labels for s in TRACKED_STATUSES), lang


def test_every_rule_agrees_with_the_lifecycle():
    """A rule that moves the letter starts only where ``registry.TRANSITIONS`` lets it reach its target."""
    for action, rule in RULES.items():
        assert rule.starts, action
        assert rule.parties, action
        if rule.target is not None:
            for status in rule.starts:
                assert rule.target in registry.TRANSITIONS[status], (action, status)
    # every status has its row in the lifecycle, and archived is final
    assert set(registry.TRANSITIONS) == set(Status)
    assert registry.TRANSITIONS[Status.archived] == frozenset()
    assert set(registry.OPEN_STATUSES) <= set(RULES[LetterAction.close].starts)


def _actions(seeded, email: str, cid: int) -> set[str]:
    with db.read_session() as s:
        return {a.value for a in views.letter_view(s, seeded.actor(email), cid).actions}


def test_allowed_actions_per_role_and_status(seeded):
    cid = deposit(seeded)
    # to qualify: only the registry acts
    assert _actions(seeded, CLERK, cid) == {"qualify", "dispatch", "close"}
    qualify_and_dispatch(seeded, cid)
    # dispatched to the unit: its staff may take, return, re-dispatch, close, answer; the clerk may re-dispatch
    assert _actions(seeded, AGENT, cid) == {"take", "return", "dispatch", "close", "answer"}
    assert _actions(seeded, HEAD, cid) == {"take", "return", "dispatch", "close", "answer"}
    assert _actions(seeded, CLERK, cid) == {"dispatch", "close", "answer"}
    with db.write_session() as s:
        dispatch.take(s, seeded.actor(AGENT), cid)
    assert _actions(seeded, AGENT, cid) == {"return", "dispatch", "close", "answer"}
    with db.write_session() as s:
        dispatch.close(s, seeded.actor(AGENT), cid, "traité")
    assert _actions(seeded, AGENT, cid) == set()
    assert _actions(seeded, CLERK, cid) == set()


def test_commands_refuse_what_the_view_does_not_offer(seeded):
    cid = deposit(seeded)
    with db.read_session() as s, pytest.raises(DomainError):  # another administration does not even see it
        views.letter_view(s, seeded.actor(OUTSIDER), cid)
    qualify_and_dispatch(seeded, cid)
    assert "take" not in _actions(seeded, CLERK, cid)  # the registry routes; the unit takes
    with db.write_session() as s, pytest.raises(PermissionDenied):
        dispatch.take(s, seeded.actor(CLERK), cid)
    assert "qualify" not in _actions(seeded, CLERK, cid)  # qualified once, until it comes back
    with db.write_session() as s, pytest.raises(DomainError) as err:
        dispatch.qualify(s, seeded.actor(CLERK), cid, type_code="request")
    assert err.value.code == "error.invalid_transition"


def test_closed_letters_refuse_every_command_with_the_lifecycle_error(seeded):
    cid = deposit(seeded)
    qualify_and_dispatch(seeded, cid)
    with db.write_session() as s:
        dispatch.close(s, seeded.actor(CLERK), cid)
    for command in (
        lambda s, a: dispatch.take(s, a, cid),
        lambda s, a: dispatch.close(s, a, cid),
        lambda s, a: dispatch.return_to_registry(s, a, cid, "x"),
    ):
        with db.write_session() as s, pytest.raises(DomainError) as err:
            command(s, seeded.actor(AGENT))
        assert err.value.code == "error.invalid_transition"
        assert not isinstance(err.value, PermissionDenied)


def test_require_names_the_wrong_person_before_the_wrong_status(seeded):
    cid = deposit(seeded)
    with db.read_session() as s:
        corr = s.get(registry.Correspondence, cid)
        with pytest.raises(PermissionDenied):
            letter_actions.require(s, seeded.actor(AGENT), corr, LetterAction.qualify)
        letter_actions.require(s, seeded.actor(CLERK), corr, LetterAction.qualify)
