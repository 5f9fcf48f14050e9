"""The parapheur's lifecycle tables: every status × action is allowed or refused by the table, and
every command agrees with it (refused with the table's own error exactly when the table refuses)."""

from __future__ import annotations

import itertools

import pytest

from mrasla_app import db
from mrasla_app.models import Decision, Folder, FolderStatus, FolderStep, StepKind, StepStatus
from mrasla_app.services.errors import DomainError
from mrasla_app.services.parapheur import decisions, lifecycle, submission, undo
from mrasla_app.services.parapheur.lifecycle import FOLDER_TRANSITIONS, RULES, STEP_TRANSITIONS, UNDOABLE, FolderAction
from tests.answered import two_page_pdf
from tests.unit.test_workflow import AGENT, HEAD, act, new_folder, visa_then_signature


def _refusal(status: FolderStatus, action: FolderAction) -> tuple[str, dict] | None:
    """What ``lifecycle.require`` says about ``action`` on a folder in ``status`` (None: allowed)."""
    try:
        lifecycle.require(Folder(status=status), action)
    except DomainError as exc:
        return exc.code, exc.params
    return None


@pytest.mark.parametrize(("status", "action"), list(itertools.product(FolderStatus, FolderAction)))
def test_every_status_and_action_is_decided_by_the_table(status, action):
    refusal = _refusal(status, action)
    assert (refusal is None) == (status in RULES[action].starts)
    assert (action in lifecycle.allowed(Folder(status=status))) == (refusal is None)
    if refusal is not None and status in RULES[action].late:
        assert refusal[0] == "error.step_already_done"  # someone completed the circuit first
    elif refusal is not None:
        assert refusal[0] == RULES[action].refusal


def test_every_rule_follows_the_folder_lifecycle():
    for action, rule in RULES.items():
        assert rule.starts, action
        for start in rule.starts:  # from every start, the action ends somewhere the lifecycle allows
            assert rule.ends & ({start} | FOLDER_TRANSITIONS[start]), (action, start)
        for end in rule.ends:  # and every end is reachable from one of its starts
            assert any(end == s or end in FOLDER_TRANSITIONS[s] for s in rule.starts), (action, end)
    assert set(FOLDER_TRANSITIONS) == set(FolderStatus) and set(STEP_TRANSITIONS) == set(StepStatus)
    assert {a.value for a in lifecycle.DECISION_ACTIONS} == {d.value for d in Decision}
    assert set().union(*UNDOABLE.values()) == RULES[FolderAction.undo].starts


class _Unsaved:
    """Stands for the session: the moves below only hand the row to it."""

    def add(self, row: object) -> None:
        pass


@pytest.mark.parametrize(("old", "new"), list(itertools.product(FolderStatus, FolderStatus)))
def test_folder_moves_follow_the_table(old, new):
    folder = Folder(status=old)
    if new in FOLDER_TRANSITIONS[old]:
        lifecycle.enter(_Unsaved(), folder, new)  # type: ignore[arg-type]
        assert folder.status == new
    else:
        with pytest.raises(DomainError) as exc:
            lifecycle.enter(_Unsaved(), folder, new)  # type: ignore[arg-type]
        assert exc.value.code == "error.invalid_transition" and folder.status == old


@pytest.mark.parametrize(("old", "new"), list(itertools.product(StepStatus, StepStatus)))
def test_step_moves_follow_the_table(old, new):
    step = FolderStep(status=old, kind=StepKind.visa, position=1)
    if new in STEP_TRANSITIONS[old]:
        lifecycle.move_step(_Unsaved(), step, new)  # type: ignore[arg-type]
        assert step.status == new
    else:
        with pytest.raises(DomainError):
            lifecycle.move_step(_Unsaved(), step, new)  # type: ignore[arg-type]
        assert step.status == old


def test_step_decisions_come_from_the_kind_table():
    for kind, position in itertools.product(StepKind, (1, 2)):
        step = FolderStep(kind=kind, position=position)
        offered = lifecycle.step_decisions(step)
        for decision in Decision:
            if decision in offered:
                lifecycle.require_decision(step, decision)
            else:
                with pytest.raises(DomainError):
                    lifecycle.require_decision(step, decision)
        assert (Decision.returned in offered) == (position > 1)


def _folder_in(seeded, status: FolderStatus, *, approved: bool = False) -> int:
    """A folder in ``status``: a real draft, else a started circuit (step 1: HEAD's visa, given
    when ``approved``: HEAD has a decision to undo) put in ``status``."""
    if status == FolderStatus.draft and not approved:
        with db.write_session() as s:
            return submission.create_folder(s, seeded.actor(AGENT), "Brouillon", [("a.pdf", two_page_pdf())]).id
    fid = new_folder(seeded, visa_then_signature(seeded))
    if approved:
        act(seeded, HEAD, fid, "approved")
    with db.write_session() as s:
        s.get(Folder, fid).status = status
    return fid


def _run(seeded, action: FolderAction, fid: int) -> None:
    """The command behind ``action``, as the folder page or the API calls it."""
    with db.write_session() as s:
        if action == FolderAction.start:
            submission.start(s, seeded.actor(AGENT), fid, steps=visa_then_signature(seeded))
        elif action == FolderAction.new_version:
            submission.new_version(s, seeded.actor(AGENT), fid, [("v2.pdf", two_page_pdf())])
        elif action == FolderAction.cancel:
            submission.cancel(s, seeded.actor(AGENT), fid)
        elif action == FolderAction.undo:
            undo.undo(s, seeded.actor(HEAD), fid)
        else:
            decisions.act(s, seeded.actor(HEAD), fid, action.value, comment="Motif")


@pytest.mark.parametrize(
    ("status", "action"),
    [(status, action) for status in FolderStatus for action in FolderAction if action != FolderAction.send],
)
def test_every_command_agrees_with_the_table(seeded, status, action):
    fid = _folder_in(seeded, status, approved=action == FolderAction.undo)
    expected = _refusal(status, action)
    if action == FolderAction.undo and expected is None and status not in UNDOABLE[Decision.approved]:
        expected = ("error.undo_too_late", {})  # a visa is not undone from a rejected folder
    try:
        _run(seeded, action, fid)
    except DomainError as exc:
        if expected is not None:
            assert (exc.code, exc.params) == expected
        else:  # allowed by the table: refused only for another reason (not this step's decision...)
            assert exc.code not in (RULES[action].refusal, "error.step_already_done"), exc.code
        return
    assert expected is None, f"{action} accepted from {status}"
