"""Background jobs: deadline alerts, signature-step reminders, notification retries, CRL refresh.

Each job has a *period* (a minute, a day). Before running, a worker inserts ``JobRun(job, period)``;
the unique constraint lets exactly one worker win, so a job runs once per due period however many
workers there are. The embedded server runs the loop as a Reflex lifespan task; production can
also run it alone with ``mrasla worker``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.models import (
    Correspondence, FolderStep, JobRun, Role, RoleMembership, StepAction, StepParticipant, StepStatus, User,
)
from mrasla_app.models.base import utcnow
from mrasla_app.services import deadlines, notifications
from mrasla_app.services.inbox import OPEN
from mrasla_app.settings import TIMEZONE

log = logging.getLogger(__name__)
WORKER = f"{socket.gethostname()}:{os.getpid()}"
DAILY_AT_HOUR = 7  # local (Casablanca) hour from which the daily jobs run


@dataclass(frozen=True)
class Job:
    name: str
    period: Callable[[datetime], str | None]  # the due period for ``now``, or None when not due yet
    run: Callable[[], str]


def every_minute(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M")


def daily(now: datetime) -> str | None:
    local = now.astimezone(ZoneInfo(TIMEZONE))
    return local.date().isoformat() if local.hour >= DAILY_AT_HOUR else None


def _emails(session: Session, user_ids: set[int]) -> dict[int, str]:
    return dict(session.execute(select(User.id, User.email).where(User.id.in_(user_ids), User.active.is_(True))).all())


def _queue_digest(session: Session, key: str, per_user: dict[int, list[str]]) -> int:
    emails = _emails(session, set(per_user))
    for uid, lines in per_user.items():
        if uid in emails:
            params = {"count": len(lines), "items": "\n".join(sorted(lines))}
            notifications.queue(session, emails[uid], notifications.bilingual_subject(f"{key}.subject", **params),
                                notifications.bilingual_body(f"{key}.body", "ar", ar=params, fr=params))
    return len(per_user)


def deadline_alerts() -> str:
    """One daily digest per person: open items due within 2 working days or overdue (with days late)."""
    today = deadlines.today()
    with db.write_session() as session:
        rows = session.execute(select(Correspondence).where(
            Correspondence.status.in_(OPEN), Correspondence.deadline.is_not(None),
            Correspondence.deadline <= today + timedelta(days=7))).scalars().all()
        heads: dict[int, set[int]] = defaultdict(set)
        for unit_id, user_id in session.execute(select(RoleMembership.unit_id, RoleMembership.user_id).where(
                RoleMembership.role == Role.head)).all():
            heads[unit_id].add(user_id)
        holidays: dict[int, set] = {}
        per_user: dict[int, list[str]] = defaultdict(list)
        for c in rows:
            if c.administration_id not in holidays:
                holidays[c.administration_id] = deadlines.holidays_for(session, c.administration_id,
                                                                       {today.year, today.year + 1})
            state, days = deadlines.deadline_state(c.deadline, today, holidays[c.administration_id])
            if state not in ("due_soon", "overdue"):
                continue
            line = f"{c.registry_number} — {c.subject} ({'-' if state == 'overdue' else '+'}{days})"
            for uid in ({c.assignee_id} if c.assignee_id else heads.get(c.action_unit_id or 0, set())):
                per_user[uid].append(line)
        return f"{_queue_digest(session, 'mail.deadline', per_user)} digests"


def step_reminders() -> str:
    """Remind participants of active signature-book steps past their due date who have not acted."""
    now = utcnow()
    with db.write_session() as session:
        late = session.execute(select(FolderStep).where(FolderStep.status == StepStatus.active,
                                                        FolderStep.due_on.is_not(None), FolderStep.due_on < now)).scalars().all()
        per_user: dict[int, list[str]] = defaultdict(list)
        for step in late:
            acted = set(session.execute(select(StepAction.for_user_id).where(StepAction.step_id == step.id)).scalars())
            for p in session.execute(select(StepParticipant.user_id).where(StepParticipant.step_id == step.id)).scalars():
                if p not in acted:
                    per_user[p].append(f"#{step.folder_id} — {step.label_fr or step.kind.value}")
        return f"{_queue_digest(session, 'mail.reminder', per_user)} reminders"


def retry_notifications() -> str:
    return f"{notifications.deliver()} sent"


def refresh_crl() -> str:
    from mrasla_app.pki.ca import load_or_create_pki

    load_or_create_pki().crl_der()  # re-issued when close to its nextUpdate
    return "ok"


JOBS = (
    Job("notifications", every_minute, retry_notifications),
    Job("deadline_alerts", daily, deadline_alerts),
    Job("step_reminders", daily, step_reminders),
    Job("crl_refresh", daily, refresh_crl),
)


def claim(job: str, period: str) -> int | None:
    """Insert the run row; the id when this worker won the period, None when another one did."""
    try:
        with db.write_session() as session:
            run = JobRun(job=job, period=period, worker=WORKER)
            session.add(run)
            session.flush()
            return run.id
    except IntegrityError:
        return None


def run_due(now: datetime | None = None, jobs: tuple[Job, ...] = JOBS) -> dict[str, str]:
    """Run every job whose current period nobody has claimed yet; returns what ran."""
    now = now or utcnow()
    ran: dict[str, str] = {}
    for job in jobs:
        period = job.period(now)
        if period is None or (run_id := claim(job.name, period)) is None:
            continue
        try:
            result = job.run()
        except Exception as exc:  # noqa: BLE001 - a failed job is logged and retried next period
            log.exception("job %s failed", job.name)
            result = f"error: {type(exc).__name__}"
        with db.write_session() as session:
            row = session.get(JobRun, run_id)
            if row is not None:
                row.result = result[:255]
                session.add(row)
        ran[job.name] = result
    return ran


async def run_forever(interval: float = 30.0) -> None:
    """The scheduler loop (a Reflex lifespan task, or ``mrasla worker``)."""
    while True:
        try:
            await asyncio.to_thread(run_due)
        except Exception:  # noqa: BLE001 - keep the loop alive (database restarting, disk full…)
            log.exception("job loop iteration failed")
        await asyncio.sleep(interval)
