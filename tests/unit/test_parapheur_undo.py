"""Undo of one's own last decision: per decision kind, the refused cases, history and audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import AuditEvent, FolderStatus, FolderStep, StepAction, StepStatus
from mrasla_app.services.errors import DomainError
from mrasla_app.services.parapheur import folders, lifecycle, submission, undo, views
from mrasla_app.services.platform import audit, storage
from tests.unit.test_workflow import AGENT, DIRECTOR, HEAD, PIN, SG, act, enroll, get, new_folder


def _undo(demo, email: str, fid: int, **kw):
    with db.write_session() as s:
        return undo.undo(s, demo.actor(email), fid, **kw)


def _refused(demo, email: str, fid: int) -> str:
    with pytest.raises(DomainError) as exc:
        _undo(demo, email, fid)
    return exc.value.code


def _visa_then_signature(demo, visa_kind: str = "visa") -> int:
    return new_folder(
        demo,
        [
            {"kind": visa_kind, "user_ids": [demo.user_id(HEAD)]},
            {"kind": "signature", "user_ids": [demo.user_id(DIRECTOR)]},
        ],
    )


def _actions(fid: int) -> list[StepAction]:
    with db.read_session() as s:
        return list(s.execute(select(StepAction).where(StepAction.folder_id == fid).order_by(StepAction.id)).scalars())


@pytest.mark.parametrize("kind,decision", [("visa", "approved"), ("opinion", "opinion")])
def test_undo_visa_or_opinion_until_the_next_participant_acts(seeded, kind, decision):
    enroll(seeded, DIRECTOR)
    fid = _visa_then_signature(seeded, kind)
    act(seeded, HEAD, fid, decision, comment="Avis favorable")
    with db.read_session() as s:
        assert undo.undoable(s, seeded.actor(HEAD), fid) is not None
        assert undo.undoable(s, seeded.actor(DIRECTOR), fid) is None
    assert _refused(seeded, DIRECTOR, fid) == "error.nothing_to_undo"  # not theirs
    folder = _undo(seeded, HEAD, fid)
    assert (folder.status, folder.current_step) == (FolderStatus.in_progress, 1)
    with db.read_session() as s:
        assert [i.folder.id for i in views.queue(s, seeded.actor(HEAD), "to_visa")] == [fid]
        assert views.queue(s, seeded.actor(DIRECTOR), "to_sign") == []
        steps = (
            s.execute(select(FolderStep.status).where(FolderStep.folder_id == fid).order_by(FolderStep.position))
            .scalars()
            .all()
        )
        assert steps == [StepStatus.active, StepStatus.pending]
        detail = views.folder_detail(s, seeded.actor(AGENT), fid)
        assert [h.action.withdrawn_at is not None for h in detail.history] == [True]  # kept in the history
        ev = s.execute(select(AuditEvent).where(AuditEvent.action == "folder.decision_withdrawn")).scalar_one()
        assert f'"decision": "{decision}"' in ev.data
        assert audit.verify(s) == []
    # decide again in the same round, then the director signs: too late to undo the visa
    act(seeded, HEAD, fid, decision, comment="Vu, finalement")
    act(seeded, DIRECTOR, fid, "signed", pin=PIN)
    assert _refused(seeded, HEAD, fid) == "error.undo_too_late"


def test_undo_rejection_reopens_the_step(seeded):
    fid = _visa_then_signature(seeded)
    act(seeded, HEAD, fid, "rejected", comment="Pièce manquante")
    assert get(fid).status == FolderStatus.rejected
    folder = _undo(seeded, HEAD, fid)
    assert (folder.status, folder.reject_reason, folder.current_step) == (FolderStatus.in_progress, "", 1)
    act(seeded, HEAD, fid, "approved")
    assert get(fid).current_step == 2


def test_undo_rejection_refused_after_a_new_version(seeded):
    from tests.answered import two_page_pdf

    fid = _visa_then_signature(seeded)
    act(seeded, HEAD, fid, "rejected", comment="Pièce manquante")
    with db.write_session() as s:
        submission.new_version(s, seeded.actor(AGENT), fid, [("v2.pdf", two_page_pdf())])
    assert _refused(seeded, HEAD, fid) == "error.undo_too_late"


def test_undo_signature_restores_the_previous_version_and_keeps_the_signed_one(seeded):
    enroll(seeded, DIRECTOR, SG)
    fid = new_folder(
        seeded,
        [
            {"kind": "signature", "user_ids": [seeded.user_id(DIRECTOR)]},
            {"kind": "signature", "user_ids": [seeded.user_id(SG)]},
        ],
    )
    prepared = get(fid).current_sha256
    act(seeded, DIRECTOR, fid, "signed", pin=PIN)
    signed = get(fid).current_sha256
    assert signed != prepared
    folder = _undo(seeded, DIRECTOR, fid)
    assert (folder.current_sha256, folder.current_step) == (prepared, 1)
    [withdrawn] = _actions(fid)
    assert withdrawn.withdrawn_at is not None and withdrawn.document_sha256 == signed
    assert storage.get(signed)  # the withdrawn signed version is never deleted
    with db.read_session() as s:
        assert views.queue(s, seeded.actor(SG), "to_sign") == []
    act(seeded, DIRECTOR, fid, "signed", pin=PIN)  # signs again, in the same round
    act(seeded, SG, fid, "signed", pin=PIN)
    assert get(fid).status == FolderStatus.completed
    # the SG's signature completed the folder: undoable while not sent ...
    folder = _undo(seeded, SG, fid)
    assert folder.status == FolderStatus.in_progress and folder.completed_at is None
    act(seeded, SG, fid, "signed", pin=PIN)
    # ... and the director's is no longer (a later step acted)
    assert _refused(seeded, DIRECTOR, fid) == "error.undo_too_late"


def test_undo_signature_refused_once_sent(seeded):
    enroll(seeded, DIRECTOR)
    fid = new_folder(seeded, [{"kind": "signature", "user_ids": [seeded.user_id(DIRECTOR)]}])
    act(seeded, DIRECTOR, fid, "signed", pin=PIN)
    with db.write_session() as s:
        folder = folders.get_visible(s, seeded.actor(AGENT), fid, for_update=True)
        lifecycle.move(s, seeded.actor(AGENT), folder, FolderStatus.sent)
    assert _refused(seeded, DIRECTOR, fid) == "error.undo_too_late"


def test_return_is_not_undone_and_stale_action_id_refused(seeded):
    fid = _visa_then_signature(seeded)
    act(seeded, HEAD, fid, "approved")
    with db.read_session() as s:
        action = undo.undoable(s, seeded.actor(HEAD), fid)
    with pytest.raises(DomainError) as exc:
        _undo(seeded, HEAD, fid, action_id=action.id + 1)
    assert exc.value.code == "error.undo_too_late"
    act(seeded, DIRECTOR, fid, "returned", comment="À revoir")
    assert _refused(seeded, DIRECTOR, fid) == "error.undo_not_allowed"
    assert _refused(seeded, HEAD, fid) == "error.undo_too_late"
