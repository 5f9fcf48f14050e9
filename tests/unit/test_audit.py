"""The hash-chained audit trail: every change recorded, tampering detected."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from mrasla_app import db
from mrasla_app.models import AuditEvent, AuditHead
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.platform import audit


def verify() -> list[str]:
    with db.read_session() as s:
        return audit.verify(s)


def sql(statement: str, **params) -> None:
    with db.write_session() as s:
        s.execute(text(statement), params)


def chain_of(code_adm_id: int) -> list[AuditEvent]:
    with db.read_session() as s:
        return list(
            s.execute(
                select(AuditEvent).where(AuditEvent.chain == audit.chain_for(code_adm_id)).order_by(AuditEvent.seq)
            ).scalars()
        )


def test_empty_database_verifies(fresh_db):
    assert verify() == []


def test_seeded_database_verifies(seeded):
    assert verify() == []


def test_seed_is_in_the_audit_trail(seeded):
    with db.read_session() as s:
        actions = dict(s.execute(select(AuditEvent.action, func.count()).group_by(AuditEvent.action)).all())
    assert actions["seed.platform_admin"] == 1
    assert actions["administration.created"] >= 5
    assert actions["unit.created"] >= 30
    assert actions["user.created"] == len(seeded.accounts) - 1
    assert actions["membership.added"] >= len(seeded.accounts) - 1
    assert actions["delegation.created"] == 1


def test_chains_are_per_administration_and_linked(seeded):
    mef = seeded.adm_id("MEF")
    events = chain_of(mef)
    assert events and all(ev.administration_id == mef for ev in events)
    assert [ev.seq for ev in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == audit.GENESIS
    for prev, ev in zip(events, events[1:]):
        assert ev.prev_hash == prev.hash
    with db.read_session() as s:
        head = s.get(AuditHead, audit.chain_for(mef))
    assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
    assert chain_of(None)[0].action == "seed.platform_admin"


def test_record_appends_and_stays_valid(seeded):
    admin = seeded.actor("admin.mef@mrasla.ma")
    mef = seeded.adm_id("MEF")
    before = len(chain_of(mef))
    with db.write_session() as s:
        directory.save_unit(
            s,
            admin,
            administration_id=mef,
            parent_id=None,
            code="CAB",
            name_ar="الديوان",
            name_fr="Cabinet du Ministre",
        )
    events = chain_of(mef)
    assert len(events) == before + 1
    assert events[-1].action == "unit.created" and events[-1].actor_id == admin.user_id
    assert verify() == []


def test_rolled_back_action_leaves_no_event(seeded):
    mef = seeded.adm_id("MEF")
    before = len(chain_of(mef))
    with pytest.raises(RuntimeError), db.write_session() as s:
        directory.save_unit(
            s,
            seeded.actor("admin.mef@mrasla.ma"),
            administration_id=mef,
            parent_id=None,
            code="CAB",
            name_ar="الديوان",
            name_fr="Cabinet",
        )
        raise RuntimeError("boom")
    assert len(chain_of(mef)) == before
    assert verify() == []


def test_detects_edited_row(seeded):
    ev = chain_of(seeded.adm_id("MEF"))[3]
    sql("UPDATE audit_event SET data = :d WHERE id = :id", d='{"code": "FORGED"}', id=ev.id)
    problems = verify()
    assert any(f"#{ev.seq}: content does not match its hash (edited)" in p for p in problems)


def test_detects_edited_actor(seeded):
    ev = chain_of(seeded.adm_id("CRB"))[1]
    sql("UPDATE audit_event SET actor_label = 'someone.else@mrasla.ma' WHERE id = :id", id=ev.id)
    assert verify()


def test_detects_edited_row_with_recomputed_hash(seeded):
    """Recomputing the edited row's own hash still breaks the link to the next event."""
    events = chain_of(seeded.adm_id("MEF"))
    target = events[2]
    with db.write_session() as s:
        ev = s.get(AuditEvent, target.id)
        ev.data = '{"code": "FORGED"}'
        ev.hash = audit._event_digest(ev)
        s.add(ev)
    problems = verify()
    assert any(f"#{events[3].seq}: previous-hash link broken" in p for p in problems)


def test_detects_deleted_row(seeded):
    mef = seeded.adm_id("MEF")
    ev = chain_of(mef)[4]
    sql("DELETE FROM audit_event WHERE id = :id", id=ev.id)
    problems = verify()
    chain = audit.chain_for(mef)
    assert f"{chain}: event #{ev.seq} missing (found #{ev.seq + 1})" in problems
    assert f"{chain}#{ev.seq + 1}: previous-hash link broken" in problems


def test_detects_deleted_last_row(seeded):
    mef = seeded.adm_id("MEF")
    last = chain_of(mef)[-1]
    sql("DELETE FROM audit_event WHERE id = :id", id=last.id)
    problems = verify()
    assert problems == [
        f"{audit.chain_for(mef)}: head says #{last.seq} but the chain ends at #{last.seq - 1} (events deleted)"
    ]


def test_detects_whole_chain_deleted(seeded):
    crb = seeded.adm_id("CRB")
    sql("DELETE FROM audit_event WHERE chain = :c", c=audit.chain_for(crb))
    assert any("events deleted" in p for p in verify())


def test_other_chains_unaffected_by_tampering(seeded):
    mef, crb = seeded.adm_id("MEF"), seeded.adm_id("CRB")
    sql("DELETE FROM audit_event WHERE id = :id", id=chain_of(mef)[-1].id)
    problems = verify()
    assert problems and all(p.startswith(audit.chain_for(mef)) for p in problems)
    assert not any(
        p.startswith(audit.chain_for(crb) + ":") or p.startswith(audit.chain_for(crb) + "#") for p in problems
    )
