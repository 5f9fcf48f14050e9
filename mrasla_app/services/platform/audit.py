"""The audit trail: one event per state-changing action, written in the action's transaction.

Events form hash chains (one per administration, one for the platform): each event stores the
hash of the previous one, so an edited or deleted row breaks the chain and ``verify`` finds it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from mrasla_app.models import AuditEvent, AuditHead
from mrasla_app.models.base import utcnow

if TYPE_CHECKING:
    from mrasla_app.services.directory.accounts import Actor

GENESIS = "0" * 64


def chain_for(administration_id: int | None) -> str:
    return f"adm:{administration_id}" if administration_id else "platform"


def _digest(ev: AuditEvent) -> str:
    payload = {
        "chain": ev.chain,
        "seq": ev.seq,
        "at": ev.at.isoformat(),
        "actor_id": ev.actor_id,
        "actor_label": ev.actor_label,
        "action": ev.action,
        "object_type": ev.object_type,
        "object_id": ev.object_id,
        "administration_id": ev.administration_id,
        "data": ev.data,
        "prev_hash": ev.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_head(session: Session, chain: str) -> AuditHead:
    """Fetch (creating it the first time) and lock the chain head for the rest of the transaction."""
    locked = select(AuditHead).where(AuditHead.chain == chain).with_for_update()
    head = session.execute(locked).scalar_one_or_none()
    if head is not None:  # every event but a chain's first: one statement
        return head
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(AuditHead).values(chain=chain, seq=0, hash=GENESIS).on_conflict_do_nothing())
    return session.execute(locked).scalar_one()


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    object_type: str = "",
    object_id: str | int = "",
    administration_id: int | None = None,
    data: Mapping[str, object] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one event to the chain of ``administration_id`` inside the caller's transaction; an
    action that is also a webhook event is queued for its subscribers in the same transaction."""
    head = _lock_head(session, chain_for(administration_id))
    ev = AuditEvent(
        chain=head.chain,
        seq=head.seq + 1,
        at=utcnow().replace(microsecond=0),
        actor_id=actor.user_id if actor and actor.user_id else None,
        actor_label=actor_label or (actor.email if actor else "anonymous"),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        administration_id=administration_id,
        data=json.dumps(dict(data or {}), sort_keys=True, ensure_ascii=False, default=str),
        prev_hash=head.hash,
        hash="",  # the digest covers every other field: computed next
    )
    ev.hash = _digest(ev)
    head.seq, head.hash = ev.seq, ev.hash
    session.add(ev)
    session.add(head)
    session.flush()
    from mrasla_app.services.platform import webhooks  # imported here: webhooks records audit events itself

    webhooks.on_audit(
        session,
        action,
        object_type=object_type,
        object_id=str(object_id),
        administration_id=administration_id,
        data=dict(data or {}),
    )
    return ev


def verify(session: Session) -> list[str]:
    """Walk every chain; return human-readable problems (empty list = intact)."""
    problems: list[str] = []
    heads = {h.chain: h for h in session.execute(select(AuditHead)).scalars()}
    expected: dict[str, tuple[int, str]] = {}
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq)).scalars()
    for ev in rows:
        seq, prev = expected.get(ev.chain, (0, GENESIS))
        if ev.seq != seq + 1:
            problems.append(f"{ev.chain}: event #{seq + 1} missing (found #{ev.seq})")
        if ev.prev_hash != prev:
            problems.append(f"{ev.chain}#{ev.seq}: previous-hash link broken")
        if _digest(ev) != ev.hash:
            problems.append(f"{ev.chain}#{ev.seq}: content does not match its hash (edited)")
        expected[ev.chain] = (ev.seq, ev.hash)
    for chain, head in heads.items():
        seq, last = expected.get(chain, (0, GENESIS))
        if (head.seq, head.hash) != (seq, last):
            problems.append(f"{chain}: head says #{head.seq} but the chain ends at #{seq} (events deleted)")
    return problems
