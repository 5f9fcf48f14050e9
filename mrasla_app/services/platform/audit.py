"""The audit trail: one event per state-changing action, written in the action's transaction.

Events form hash chains (one per administration, one for the platform): each event stores the
hash of the previous one, so an edited or deleted row breaks the chain and ``verify`` finds it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, cast

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from mrasla_app.models import AuditEvent, AuditHead
from mrasla_app.models.base import utcnow

if TYPE_CHECKING:
    from mrasla_app.services.directory.accounts import Actor

GENESIS = "0" * 64
audit_head, audit_event = AuditHead.__table__, AuditEvent.__table__


def chain_for(administration_id: int | None) -> str:
    return f"adm:{administration_id}" if administration_id else "platform"


_HASHED = (
    "chain",
    "seq",
    "at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "administration_id",
    "data",
    "prev_hash",
)


def _digest(ev: Mapping[str, object]) -> str:
    """The event's hash: SHA-256 of its canonical JSON (every field but its id and its own hash)."""
    payload = {name: ev[name] for name in _HASHED}
    payload["at"] = cast(datetime, ev["at"]).isoformat()
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _event_digest(ev: AuditEvent) -> str:
    """``_digest`` of a stored event."""
    return _digest({name: getattr(ev, name) for name in _HASHED})


#: Built once (every state-changing action runs them). Plain table statements on the session's connection:
#: an event is written, never read back in its transaction, so it needs no ORM object and no flush.
_HEAD = audit_head.select().where(audit_head.c.chain == bindparam("chain")).with_for_update()
_MOVE_HEAD = audit_head.update().where(audit_head.c.chain == bindparam("chain_key"))
_APPEND = audit_event.insert()


def _lock_head(session: Session, chain: str) -> tuple[int, str]:
    """The chain head's (seq, hash), locked for the rest of the transaction (the chain created the first time)."""
    connection = session.connection()
    head = connection.execute(_HEAD, {"chain": chain}).one_or_none()
    if head is None:  # a chain's first event: every other one costs one statement here
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        connection.execute(insert(audit_head).values(chain=chain, seq=0, hash=GENESIS).on_conflict_do_nothing())
        head = connection.execute(_HEAD, {"chain": chain}).one()
    return head.seq, head.hash


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
) -> None:
    """Append one event to the chain of ``administration_id`` inside the caller's transaction; an
    action that is also a webhook event is queued for its subscribers in the same transaction."""
    chain = chain_for(administration_id)
    seq, prev_hash = _lock_head(session, chain)
    ev: dict[str, object] = {
        "chain": chain,
        "seq": seq + 1,
        "at": utcnow().replace(microsecond=0),
        "actor_id": actor.user_id if actor and actor.user_id else None,
        "actor_label": actor_label or (actor.email if actor else "anonymous"),
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "administration_id": administration_id,
        "data": json.dumps(dict(data or {}), sort_keys=True, ensure_ascii=False, default=str),
        "prev_hash": prev_hash,
    }
    ev["hash"] = _digest(ev)
    connection = session.connection()
    connection.execute(_APPEND, ev)
    connection.execute(_MOVE_HEAD, {"chain_key": chain, "seq": ev["seq"], "hash": ev["hash"]})
    from mrasla_app.services.platform import webhooks  # imported here: webhooks records audit events itself

    webhooks.on_audit(
        session,
        action,
        object_type=object_type,
        object_id=str(object_id),
        administration_id=administration_id,
        data=dict(data or {}),
    )


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
        if _event_digest(ev) != ev.hash:
            problems.append(f"{ev.chain}#{ev.seq}: content does not match its hash (edited)")
        expected[ev.chain] = (ev.seq, ev.hash)
    for chain, head in heads.items():
        seq, last = expected.get(chain, (0, GENESIS))
        if (head.seq, head.hash) != (seq, last):
            problems.append(f"{chain}: head says #{head.seq} but the chain ends at #{seq} (events deleted)")
    return problems
