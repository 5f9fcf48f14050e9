"""Batch signatures and visas: one PIN, one transaction per folder, failures reported, nothing half-done."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mrasla_app import db
from mrasla_app.models import AuditEvent, FolderStatus, SigningKey, StepAction
from mrasla_app.pki.validation import validate_pdf
from mrasla_app.services.errors import DomainError
from mrasla_app.services.parapheur import batch, signing_keys, views
from tests.unit.test_workflow import AGENT, CLERK, DIRECTOR, HEAD, PIN, SG, act, enroll, get, new_folder, pdfsig


def _signature(demo, *emails: str) -> list[dict]:
    return [{"kind": "signature", "user_ids": [demo.user_id(e)]} for e in emails]


def _events(action: str, folder_id: int) -> int:
    with db.read_session() as s:
        return s.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.object_id == str(folder_id))
        ).scalar_one()


def test_batch_of_twenty_signs_eighteen_and_reports_two(seeded, tmp_path):
    enroll(seeded, DIRECTOR, SG, HEAD)
    plain = [new_folder(seeded, _signature(seeded, DIRECTOR)) for _ in range(18)]
    # One folder already carries a signature whose certificate was revoked since...
    revoked = new_folder(seeded, _signature(seeded, SG, DIRECTOR))
    act(seeded, SG, revoked, "signed", pin=PIN)
    # ...and one the director's delegate (head.mef, seeded delegation) signs meanwhile.
    by_delegate = new_folder(seeded, _signature(seeded, DIRECTOR))
    with db.read_session() as s:
        rows = batch.review(s, seeded.actor(DIRECTOR), "signed")
    assert {r.folder_id for r in rows} == {*plain, revoked, by_delegate}
    row = next(r for r in rows if r.folder_id == revoked)
    assert row.pages == 2 and row.previous == (("signed", "Abdelkader Chraïbi"),) and row.initiator
    with db.write_session() as s:
        signing_keys.revoke_for_user(s, seeded.actor(SG), seeded.user_id(SG))
    delegate_step = next(r.step_id for r in rows if r.folder_id == by_delegate)
    act(seeded, HEAD, by_delegate, "signed", pin=PIN, step_id=delegate_step)
    before = {fid: get(fid).current_sha256 for fid in (revoked, by_delegate)}

    outcomes = list(
        batch.run(seeded.actor(DIRECTOR), "signed", [batch.Item(r.folder_id, r.step_id) for r in rows], pin=PIN)
    )

    assert [o.folder_id for o in outcomes] == [r.folder_id for r in rows]  # one outcome per folder, in order
    failed = {o.folder_id: o.error for o in outcomes if not o.ok}
    assert failed == {revoked: "error.previous_signature_revoked", by_delegate: "error.step_already_done"}
    assert sum(o.ok for o in outcomes) == 18
    for fid in plain:
        folder = get(fid)
        assert folder.status == FolderStatus.completed
        signed = views.signed_document(folder)
        assert validate_pdf(signed).authentic
        out = pdfsig(signed, tmp_path)
        assert "Signature is Valid." in out and "Total document signed" in out
        assert _events("folder.signed", fid) == 1
    # Nothing half-done on the two refused folders: same document, no decision of the director, no event.
    for fid in (revoked, by_delegate):
        assert get(fid).current_sha256 == before[fid]
        with db.read_session() as s:
            assert not s.execute(
                select(StepAction).where(StepAction.folder_id == fid, StepAction.actor_id == seeded.user_id(DIRECTOR))
            ).first()
    assert get(revoked).status == FolderStatus.in_progress
    with db.read_session() as s:  # the PIN was checked once and is not counted as failed
        key = signing_keys.active_key(s, seeded.user_id(DIRECTOR))
        assert key.failed_attempts == 0


def test_wrong_pin_signs_nothing_and_counts_once(seeded):
    enroll(seeded, DIRECTOR)
    ids = [new_folder(seeded, _signature(seeded, DIRECTOR)) for _ in range(2)]
    with pytest.raises(DomainError) as exc:
        list(batch.run(seeded.actor(DIRECTOR), "signed", [batch.Item(i) for i in ids], pin="000000"))
    assert exc.value.code == "error.pin_invalid"
    assert all(get(i).status == FolderStatus.in_progress for i in ids)
    with db.read_session() as s:
        assert s.execute(select(SigningKey.failed_attempts)).scalar_one() == 1


def test_batch_visas_need_no_pin_and_refuse_other_kinds(seeded):
    enroll(seeded, DIRECTOR)
    visas = [
        new_folder(
            seeded,
            [
                {"kind": "visa", "user_ids": [seeded.user_id(HEAD)]},
                {"kind": "signature", "user_ids": [seeded.user_id(DIRECTOR)]},
            ],
        )
        for _ in range(3)
    ]
    with db.read_session() as s:
        rows = batch.review(s, seeded.actor(HEAD), "approved")
    assert {r.folder_id for r in rows} == set(visas)
    outcomes = list(batch.run(seeded.actor(HEAD), "approved", [batch.Item(r.folder_id, r.step_id) for r in rows]))
    assert all(o.ok and o.status == "in_progress" for o in outcomes)
    with db.read_session() as s:
        assert {i.folder.id for i in views.queue(s, seeded.actor(DIRECTOR), "to_sign")} == set(visas)
    # a visa step id passed to a signature batch, someone else's folder, an opinion batch: refused
    outcome = batch.act_one(seeded.actor(DIRECTOR), "signed", batch.Item(visas[0], rows[0].step_id), None)
    assert not outcome.ok and outcome.error == "error.invalid_decision"
    outcome = batch.act_one(seeded.actor(AGENT), "approved", batch.Item(visas[0]), None)
    assert not outcome.ok and outcome.reference in ("", get(visas[0]).reference)
    with pytest.raises(DomainError):
        batch.open_batch(seeded.actor(HEAD), "opinion", None)
    with pytest.raises(DomainError):
        batch.check_items([])


def test_seals_in_a_batch_need_no_key(seeded):
    ids = [new_folder(seeded, [{"kind": "seal", "user_ids": [seeded.user_id(CLERK)]}]) for _ in range(2)]
    with db.read_session() as s:
        rows = batch.review(s, seeded.actor(CLERK), "signed")
    items = [batch.Item(r.folder_id, r.step_id) for r in rows]
    assert not batch.needs_key(items)
    outcomes = list(batch.run(seeded.actor(CLERK), "signed", items))  # the clerk has no signing key
    assert [o.ok for o in outcomes] == [True, True]
    assert all(get(i).status == FolderStatus.completed for i in ids)
