"""Background jobs run once per period across workers, and do what users expect of them."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from mrasla_app import db
from mrasla_app.models import JobRun, Notification, NotificationStatus
from mrasla_app.models.base import utcnow
from mrasla_app.services.correspondence import dispatch
from mrasla_app.services.platform import jobs, notifications
from mrasla_app.services.portal import deposits

NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_each_period_runs_once_whatever_the_number_of_workers(seeded):
    calls = []
    job = jobs.Job("probe", jobs.daily, lambda: calls.append(1) or "ok")
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: jobs.run_due(NOON, (job,)), range(6)))
    assert len(calls) == 1 and sum(1 for r in results if r) == 1
    assert jobs.run_due(NOON + timedelta(hours=3), (job,)) == {}  # same day: already done
    assert jobs.run_due(NOON + timedelta(days=1), (job,)) == {"probe": "ok"}
    with db.read_session() as s:
        assert s.execute(select(func.count()).select_from(JobRun)).scalar_one() == 2


def test_daily_jobs_wait_for_the_morning(seeded):
    early = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)  # 06:00 in Casablanca
    assert jobs.daily(early) is None and jobs.daily(NOON) == "2026-11-25"


def test_deadline_alert_reaches_the_assignee_with_days_late(seeded):
    form = deposits.DepositForm(
        administration_id=seeded.adm_id("MEF"),
        full_name="Driss Alami",
        id_kind="CIN",
        id_value="C123456",
        email="",
        phone="0611223344",
        subject="Réclamation impôt",
    )
    with db.write_session() as s:
        cid = deposits.submit(s, form).correspondence_id
    clerk, agent = seeded.actor("clerk.mef@mrasla.ma"), seeded.actor("agent.mef@mrasla.ma")
    with db.write_session() as s:
        dispatch.qualify(s, clerk, cid, type_code="complaint", deadline=date.today() - timedelta(days=10))
        dispatch.dispatch(s, clerk, cid, action_unit_id=seeded.unit_id("MEF", "DB.DSS"), action_user_id=agent.user_id)
    with db.write_session() as s:
        assert jobs.deadline_alerts(s) == "1 digests"
    with db.read_session() as s:
        mail = s.execute(select(Notification).where(Notification.to_address == "agent.mef@mrasla.ma")).scalar_one()
    assert "Réclamation impôt" in mail.body and "(-" in mail.body


def test_failed_sending_is_retried_then_given_up(seeded, monkeypatch):
    with db.write_session() as s:
        nid = notifications.queue(s, "x@example.ma", "Sujet", "Corps").id

    def broken(*_args):
        raise OSError("smtp down")

    monkeypatch.setattr(notifications, "_send", broken)
    for _ in range(notifications.MAX_ATTEMPTS):
        assert notifications.deliver([nid]) == 0
    with db.read_session() as s:
        n = s.get(Notification, nid)
    assert n.status is NotificationStatus.failed and n.attempts == notifications.MAX_ATTEMPTS
    assert "smtp down" in n.last_error


def test_two_deliverers_send_a_message_once(seeded, monkeypatch):
    with db.write_session() as s:
        ids = [notifications.queue(s, f"p{i}@example.ma", "Sujet", "Corps").id for i in range(20)]
    sent = []
    monkeypatch.setattr(notifications, "_send", lambda msg, settings, n: sent.append(n.id))
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: notifications.deliver(ids), range(4)))
    assert sorted(sent) == sorted(ids)


def test_a_message_queued_claimed_is_sent_by_its_caller_or_after_the_claim_goes_stale(seeded, monkeypatch):
    """A deposit's e-mail is queued claimed and sent by the request once it has committed (no claim
    transaction); the retry job leaves it alone meanwhile, and sends it if the request died first."""
    with db.write_session() as s:
        delivered, abandoned = (
            notifications.queue(s, f"{who}@example.ma", "Sujet", "Corps", claimed=True)
            for who in ("delivered", "abandoned")
        )
    sent = []
    monkeypatch.setattr(notifications, "_send", lambda msg, settings, n: sent.append(n.id))
    assert notifications.deliver_claimed([delivered]) == 1 and sent == [delivered.id]
    assert notifications.deliver() == 0 and sent == [delivered.id]  # the abandoned claim is still fresh
    later = utcnow() + notifications.CLAIM_TIMEOUT + timedelta(seconds=1)
    monkeypatch.setattr(notifications, "utcnow", lambda: later)
    assert notifications.deliver() == 1 and sent == [delivered.id, abandoned.id]  # once, by the job
    with db.read_session() as s:
        rows = {n.id: n for n in s.execute(select(Notification)).scalars()}
    assert (rows[delivered.id].status, rows[delivered.id].attempts) == (NotificationStatus.sent, 1)
    assert (rows[abandoned.id].status, rows[abandoned.id].attempts) == (NotificationStatus.sent, 2)


def test_request_outcomes_are_written_back_together_and_a_lost_write_back_means_a_resend(seeded, monkeypatch):
    """Requests write their e-mails' outcomes back together, half a second later (one transaction for
    many deposits); a process that dies before that leaves the claims to go stale: sent again, never lost."""
    with db.write_session() as s:
        first, second, lost = (
            notifications.queue(s, f"{who}@example.ma", "Sujet", "Corps", claimed=True)
            for who in ("first", "second", "lost")
        )
    sent = []
    monkeypatch.setattr(notifications, "_send", lambda msg, settings, n: sent.append(n.id))
    transactions = []
    write_session = db.write_session
    monkeypatch.setattr(db, "write_session", lambda url=None: transactions.append(url) or write_session(url))

    def statuses() -> dict[int, NotificationStatus]:
        with db.read_session() as s:
            return dict(s.execute(select(Notification.id, Notification.status)).all())

    assert notifications.deliver_claimed([first], write_back_later=True) == 1
    assert notifications.deliver_claimed([second], write_back_later=True) == 1
    assert statuses()[first.id] is NotificationStatus.sending and transactions == []  # not yet written
    deadline = time.monotonic() + 5
    while statuses()[second.id] is not NotificationStatus.sent and time.monotonic() < deadline:
        time.sleep(0.05)
    assert statuses()[first.id] is statuses()[second.id] is NotificationStatus.sent
    assert len(transactions) == 1  # both in one write transaction

    assert notifications.deliver_claimed([lost], write_back_later=True) == 1
    notifications._OUTCOMES._pending.clear()  # the process died before writing it back
    later = utcnow() + notifications.CLAIM_TIMEOUT + timedelta(seconds=1)
    monkeypatch.setattr(notifications, "utcnow", lambda: later)
    assert notifications.deliver() == 1 and sent == [first.id, second.id, lost.id, lost.id]
    assert statuses()[lost.id] is NotificationStatus.sent


def test_a_digest_killed_mid_run_leaves_nothing_and_runs_again(seeded):
    """The claim commits with the queued messages: a worker killed in between leaves the period open."""

    def queue_then_die(session):
        notifications.queue(session, "agent@example.ma", "Rappel · تذكير", "…")
        raise KeyboardInterrupt  # what a SIGKILL looks like from the transaction's point of view

    def count() -> tuple[int, int]:
        with db.read_session() as s:
            return (
                s.execute(select(func.count()).select_from(JobRun)).scalar_one(),
                s.execute(select(func.count()).select_from(Notification)).scalar_one(),
            )

    before = count()
    with pytest.raises(KeyboardInterrupt):
        jobs.run_due(NOON, (jobs.Job("digest", jobs.daily, run_in=queue_then_die),))
    assert count() == before
    job = jobs.Job("digest", jobs.daily, run_in=lambda s: "1 digests")
    assert jobs.run_due(NOON, (job,)) == {"digest": "1 digests"}
    assert jobs.run_due(NOON, (job,)) == {}


def test_a_failing_digest_is_recorded_once_for_its_period(seeded):
    def broken(session):
        raise RuntimeError("database hiccup")

    job = jobs.Job("digest", jobs.daily, run_in=broken)
    assert jobs.run_due(NOON, (job,)) == {"digest": "error: RuntimeError"}
    assert jobs.run_due(NOON, (job,)) == {}
