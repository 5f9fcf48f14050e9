"""What reminds a signatory of the folders waiting for them, as each person chose.

- ``step_activated``: when a folder reaches a step, each of its participants gets an e-mail and/or a
  push notification right away (queued in the same transaction, delivered after commit);
- ``daily_digest`` (a daily job, once per day across workers — ``services.jobs``): one e-mail per
  person listing every folder waiting for them, overdue first (most overdue on top), then by the
  nearest deadline, then the ones without a deadline (longest waiting first);
- ``preferences`` / ``set_preferences``: digest on/off, e-mail per new folder on/off, push on/off
  (no row means the defaults: digest and e-mail on, push off).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, select
from sqlmodel import Session

from mrasla_app.i18n import translate
from mrasla_app.models import (
    Folder,
    FolderStatus,
    FolderStep,
    NotificationPreference,
    StepAction,
    StepParticipant,
    StepStatus,
    User,
)
from mrasla_app.models.base import utcnow
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.parapheur import push
from mrasla_app.services.platform import audit, notifications
from mrasla_app.settings import TIMEZONE, get_settings

DEFAULTS = NotificationPreference(user_id=0, digest=True, email_new=True, push=False)


@dataclass(frozen=True)
class Preferences:
    digest: bool
    email_new: bool
    push: bool


def preferences(session: Session, user_id: int) -> Preferences:
    row = session.get(NotificationPreference, user_id) or DEFAULTS
    return Preferences(row.digest, row.email_new, row.push)


def _preferences_of(session: Session, user_ids: set[int]) -> dict[int, Preferences]:
    rows = (
        {
            p.user_id: p
            for p in session.execute(
                select(NotificationPreference).where(NotificationPreference.user_id.in_(user_ids))
            ).scalars()
        }
        if user_ids
        else {}
    )
    return {uid: Preferences(r.digest, r.email_new, r.push) for uid in user_ids for r in [rows.get(uid, DEFAULTS)]}


def set_preferences(
    session: Session, actor: Actor | None, *, digest: bool, email_new: bool, push_on: bool
) -> Preferences:
    """The actor's own choices (with an audit event)."""
    actor = permissions.require_actor(actor)
    row = session.get(NotificationPreference, actor.user_id) or NotificationPreference(user_id=actor.user_id)
    row.digest, row.email_new, row.push, row.updated_at = bool(digest), bool(email_new), bool(push_on), utcnow()
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "account.notification_preferences",
        object_type="user",
        object_id=actor.user_id,
        administration_id=actor.administration_id,
        data={"digest": row.digest, "email_new": row.email_new, "push": row.push},
    )
    return Preferences(row.digest, row.email_new, row.push)


@dataclass(frozen=True)
class Waiting:
    """A folder waiting for one person: its active step and deadline."""

    folder_id: int
    reference: str
    title: str
    kind: str
    due_on: datetime | None
    activated_at: datetime | None

    def overdue(self, now: datetime) -> bool:
        return self.due_on is not None and self.due_on < now


def order_key(item: Waiting, now: datetime) -> tuple:
    """Overdue first (the most overdue on top), then the nearest deadline, then no deadline (oldest first)."""
    if item.due_on is not None:
        return (0 if item.overdue(now) else 1, item.due_on, item.folder_id)
    return (2, item.activated_at or now, item.folder_id)


def waiting(session: Session, user_ids: set[int] | None = None) -> dict[int, list[Waiting]]:
    """Per participant (of ``user_ids``, or everyone): the folders whose active step waits for them."""
    acted = exists().where(
        StepAction.step_id == FolderStep.id,
        StepAction.round == FolderStep.round,
        StepAction.for_user_id == StepParticipant.user_id,
    )
    stmt = (
        select(
            StepParticipant.user_id,
            Folder.id,
            Folder.reference,
            Folder.title,
            FolderStep.kind,
            FolderStep.due_on,
            FolderStep.activated_at,
        )
        .join(FolderStep, StepParticipant.step_id == FolderStep.id)
        .join(
            Folder,
            and_(
                Folder.id == FolderStep.folder_id,
                Folder.version == FolderStep.version,
                Folder.current_step == FolderStep.position,
            ),
        )
        .where(Folder.status == FolderStatus.in_progress, FolderStep.status == StepStatus.active, ~acted)
    )
    if user_ids is not None:
        stmt = stmt.where(StepParticipant.user_id.in_(user_ids))
    out: dict[int, list[Waiting]] = defaultdict(list)
    now = utcnow()
    for uid, fid, ref, title, kind, due, activated in session.execute(stmt).all():
        out[uid].append(Waiting(fid, ref, title, kind.value, due, activated))
    for items in out.values():
        items.sort(key=lambda w: order_key(w, now))
    return out


def _line(item: Waiting, lang: str, now: datetime) -> str:
    kind = translate(f"parapheur.kind.{item.kind}", lang)
    if item.due_on is None:
        when = translate("pf.digest.no_deadline", lang)
    else:
        due = item.due_on.astimezone(ZoneInfo(TIMEZONE))
        days = (now.astimezone(ZoneInfo(TIMEZONE)).date() - due.date()).days
        when = (
            translate("pf.digest.overdue", lang, date=f"{due:%d/%m/%Y}", days=max(days, 0))
            if item.overdue(now)
            else translate("pf.digest.due", lang, date=f"{due:%d/%m/%Y}")
        )
    return f"• {item.reference} — {item.title} ({kind}) — {when}"


def digest_for(items: list[Waiting], now: datetime) -> tuple[str, str]:
    """(subject, body) of one person's digest, both languages (Arabic first)."""
    url = f"{get_settings().public_url}/parapheur"
    overdue = sum(1 for i in items if i.overdue(now))
    params = {
        lang: {
            "count": len(items),
            "overdue": overdue,
            "url": url,
            "items": "\n".join(_line(i, lang, now) for i in items),
        }
        for lang in ("ar", "fr")
    }
    subject = notifications.bilingual_subject("pf.digest.subject", count=len(items), overdue=overdue)
    return subject, notifications.bilingual_body("pf.digest.body", "ar", ar=params["ar"], fr=params["fr"])


def daily_digest(session: Session) -> str:
    """The daily job: one digest per person with something waiting, unless they turned it off."""
    now = utcnow()
    per_user = waiting(session)
    prefs = _preferences_of(session, set(per_user))
    emails: dict[int, str] = (
        dict(
            session.execute(select(User.id, User.email).where(User.id.in_(set(per_user)), User.active.is_(True))).all()
        )
        if per_user
        else {}
    )
    sent = 0
    for uid, items in per_user.items():
        if uid in emails and prefs[uid].digest:
            subject, body = digest_for(items, now)
            notifications.queue(session, emails[uid], subject, body)
            sent += 1
    return f"{sent} digests"


def step_activated(session: Session, folder: Folder, step: FolderStep) -> None:
    """A folder reached ``step``: tell each participant at once, as they chose (e-mail, push)."""
    people = set(session.execute(select(StepParticipant.user_id).where(StepParticipant.step_id == step.id)).scalars())
    if not people:
        return
    prefs = _preferences_of(session, people)
    emails: dict[int, str] = dict(
        session.execute(select(User.id, User.email).where(User.id.in_(people), User.active.is_(True))).all()
    )
    url = f"{get_settings().public_url}/parapheur/{folder.id}"
    params = {
        lang: {
            "reference": folder.reference,
            "title": folder.title,
            "url": url,
            "kind": translate(f"parapheur.kind.{step.kind.value}", lang),
        }
        for lang in ("ar", "fr")
    }
    for uid in sorted(people):
        if uid not in emails:
            continue
        if prefs[uid].email_new:
            notifications.queue(
                session,
                emails[uid],
                notifications.bilingual_subject("pf.arrived.subject", reference=folder.reference),
                notifications.bilingual_body("pf.arrived.body", "ar", ar=params["ar"], fr=params["fr"]),
            )
        if prefs[uid].push:
            notifications.queue(
                session,
                push.address(uid),
                notifications.bilingual_subject("pf.arrived.subject", reference=folder.reference),
                f"{folder.title}\n/parapheur/{folder.id}",
            )  # text, then the page it opens


__all__ = [
    "Preferences",
    "preferences",
    "set_preferences",
    "Waiting",
    "waiting",
    "order_key",
    "digest_for",
    "daily_digest",
    "step_activated",
]
