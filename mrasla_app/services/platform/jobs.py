"""Background jobs: deadline alerts, signature-step reminders, the signatories' daily digest, notification
retries, webhook deliveries, scanned batches, the text of stored documents read (``document_text``: PDF text
layer or OCR), CRL refresh, receipts extended to PAdES B-LTA (``archive``), directory accounts checked against
their LDAP directory, retention ends, e-mail intake from the administrations' mailboxes (exactly once per message).

Each job has a *period* (a minute, a day). A worker inserts ``JobRun(job, period)``; the unique
constraint lets exactly one worker win, so a job runs once per due period however many workers
there are. Jobs whose work is database rows (the digests) insert that claim in the same transaction
as the rows they queue: a worker killed mid-run leaves neither, and the period is run again. Jobs
with outside effects (sending e-mail, writing the CRL) claim first, in their own transaction, and
rely on their own idempotence (messages are claimed queued→sending one by one). The embedded server
runs the loop as a Reflex lifespan task; production can also run it alone with ``mrasla worker``.
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
    Correspondence,
    FolderStep,
    JobRun,
    Role,
    RoleMembership,
    StepAction,
    StepParticipant,
    StepStatus,
    User,
)
from mrasla_app.models.base import utcnow
from mrasla_app.services.correspondence import batches, deadlines, extraction, mail_intake
from mrasla_app.services.correspondence.inbox import OPEN
from mrasla_app.services.parapheur import reminders
from mrasla_app.services.platform import archive, notifications, webhooks
from mrasla_app.services.records import retention
from mrasla_app.services.signin.provisioning import sync_ldap
from mrasla_app.settings import TIMEZONE

log = logging.getLogger(__name__)
WORKER = f"{socket.gethostname()}:{os.getpid()}"
DAILY_AT_HOUR = 7  # local (Casablanca) hour from which the daily jobs run


@dataclass(frozen=True)
class Job:
    name: str
    period: Callable[[datetime], str | None]  # the due period for ``now``, or None when not due yet
    run: Callable[[], str] | None = None  # outside effects: runs after its claim is committed
    run_in: Callable[[Session], str] | None = None  # database work: runs in the claim's transaction


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
            notifications.queue(
                session,
                emails[uid],
                notifications.bilingual_subject(f"{key}.subject", **params),
                notifications.bilingual_body(f"{key}.body", "ar", ar=params, fr=params),
            )
    return len(per_user)


def deadline_alerts(session: Session) -> str:
    """One daily digest per person: open items due within 2 working days or overdue (with days late)."""
    today = deadlines.today()
    rows = (
        session.execute(
            select(Correspondence).where(
                Correspondence.status.in_(OPEN),
                Correspondence.deadline.is_not(None),
                Correspondence.deadline <= today + timedelta(days=7),
            )
        )
        .scalars()
        .all()
    )
    heads: dict[int, set[int]] = defaultdict(set)
    for unit_id, user_id in session.execute(
        select(RoleMembership.unit_id, RoleMembership.user_id).where(RoleMembership.role == Role.head)
    ).all():
        heads[unit_id].add(user_id)
    holidays: dict[int, set] = {}
    per_user: dict[int, list[str]] = defaultdict(list)
    for c in rows:
        if c.administration_id not in holidays:
            holidays[c.administration_id] = deadlines.holidays_for(
                session, c.administration_id, {today.year, today.year + 1}
            )
        state, days = deadlines.deadline_state(c.deadline, today, holidays[c.administration_id])
        if state not in ("due_soon", "overdue"):
            continue
        line = f"{c.registry_number} — {c.subject} ({'-' if state == 'overdue' else '+'}{days})"
        for uid in {c.assignee_id} if c.assignee_id else heads.get(c.action_unit_id or 0, set()):
            per_user[uid].append(line)
    return f"{_queue_digest(session, 'mail.deadline', per_user)} digests"


def step_reminders(session: Session) -> str:
    """Remind participants of active signature-book steps past their due date who have not acted."""
    now = utcnow()
    late = (
        session.execute(
            select(FolderStep).where(
                FolderStep.status == StepStatus.active, FolderStep.due_on.is_not(None), FolderStep.due_on < now
            )
        )
        .scalars()
        .all()
    )
    per_user: dict[int, list[str]] = defaultdict(list)
    for step in late:
        acted = set(
            session.execute(
                select(StepAction.for_user_id).where(StepAction.step_id == step.id, StepAction.withdrawn_at.is_(None))
            ).scalars()
        )
        for p in session.execute(select(StepParticipant.user_id).where(StepParticipant.step_id == step.id)).scalars():
            if p not in acted:
                per_user[p].append(f"#{step.folder_id} — {step.label_fr or step.kind.value}")
    return f"{_queue_digest(session, 'mail.reminder', per_user)} reminders"


def retry_notifications() -> str:
    return f"{notifications.deliver()} sent"


def deliver_webhooks() -> str:
    """Due webhook deliveries (each claimed on its own: idempotent across workers)."""
    return f"{webhooks.deliver_due(worker=WORKER)} delivered"


def refresh_crl() -> str:
    from mrasla_app.pki.ca import load_or_create_pki

    load_or_create_pki().crl_der()  # re-issued when close to its nextUpdate
    return "ok"


JOBS = (
    Job("notifications", every_minute, retry_notifications),
    Job("webhooks", every_minute, deliver_webhooks),
    Job("deadline_alerts", daily, run_in=deadline_alerts),
    Job("step_reminders", daily, run_in=step_reminders),
    Job("signatory_digest", daily, run_in=reminders.daily_digest),
    Job("crl_refresh", daily, refresh_crl),
    Job("signature_extension", every_minute, archive.extend_job),
    Job("scan_batches", every_minute, batches.process_pending),  # left behind by a dead worker (or queued)
    Job("directory_sync", daily, run_in=sync_ldap),  # disabled or gone in the LDAP directory → disabled here
    Job("retention", daily, run_in=retention.retention_job),
    Job("records_purge", daily, retention.purge_job),
    Job("document_text", every_minute, extraction.run_job),
    Job("mail_intake", every_minute, mail_intake.run_all),
)


def _claim_in(session: Session, job: str, period: str, result: str = "") -> JobRun | None:
    """Insert the run row in ``session``; None when another worker already holds the period."""
    try:
        with session.begin_nested():
            run = JobRun(job=job, period=period, worker=WORKER, result=result[:255])
            session.add(run)
        return run
    except IntegrityError:
        return None


def claim(job: str, period: str, result: str = "") -> JobRun | None:
    """Claim the period in a transaction of its own (committed before the job's work starts)."""
    with db.write_session() as session:
        return _claim_in(session, job, period, result)


def _run(job: Job, period: str) -> str | None:
    """Run ``job`` for ``period`` unless another worker has; its result, or None when it did not run."""
    if job.run_in is not None:
        with db.write_session() as session:
            run = _claim_in(session, job.name, period)
            if run is None:
                return None
            run.result = job.run_in(session)[:255]
            return run.result
    run = claim(job.name, period)
    if run is None:
        return None
    try:
        result = job.run()  # type: ignore[misc]  # a job's run is a plain callable field
    except Exception as exc:  # noqa: BLE001 - logged; the period is spent, the next one retries
        log.exception("job %s failed", job.name)
        result = f"error: {type(exc).__name__}"
    with db.write_session() as session:
        row = session.get(JobRun, run.id)
        if row is not None:
            row.result = result[:255]
    return result


def run_due(now: datetime | None = None, jobs: tuple[Job, ...] = JOBS) -> dict[str, str]:
    """Run every job whose current period nobody has claimed yet; returns what ran."""
    now = now or utcnow()
    ran: dict[str, str] = {}
    for job in jobs:
        period = job.period(now)
        if period is None:
            continue
        try:
            result = _run(job, period)
        except Exception as exc:  # noqa: BLE001 - a failed job is logged and retried next period
            log.exception("job %s failed", job.name)
            result = f"error: {type(exc).__name__}"
            claim(job.name, period, result)  # its work rolled back: record the failure for the period
        if result is not None:
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
