"""Webhooks: signatures a receiver can check, events queued in the transaction of the change (the
outbox), retries with exponential backoff on an injected clock, payloads without personal data,
endpoints administered by their administration's administrators only."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from mrasla_app import db
from mrasla_app.crypto import unseal
from mrasla_app.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from mrasla_app.services.correspondence import dispatch
from mrasla_app.services.errors import DomainError, NotFound, PermissionDenied
from mrasla_app.services.platform import webhooks
from mrasla_app.services.portal import deposits
from mrasla_app.settings import get_settings

SECRET = "whsec_test-secret"
# The injected clock runs ahead of the real one: deliveries created during the test (at real time) are due by then.
T0 = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)


@pytest.fixture
def private_ok(monkeypatch):
    monkeypatch.setenv("MRASLA_WEBHOOK_ALLOW_PRIVATE", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def endpoint(
    seeded, adm="MEF", events=("deposit.received", "correspondence.status_changed"), url="http://127.0.0.1:9/hook"
) -> webhooks.Created:
    with db.write_session() as s:
        return webhooks.create_endpoint(
            s, seeded.actor(f"admin.{adm.lower()}@mrasla.ma"), seeded.adm_id(adm), url, list(events)
        )


def deposit(seeded, adm="MEF") -> int:
    form = deposits.DepositForm(
        administration_id=seeded.adm_id(adm),
        full_name="Salma Bennis",
        id_kind="CIN",
        id_value="AB123456",
        email="salma@example.ma",
        phone="0612345678",
        subject="Demande d'attestation de salaire",
        message="Merci",
    )
    with db.write_session() as s:
        return deposits.submit(s, form).correspondence_id


def deliveries(endpoint_id: int | None = None) -> list[WebhookDelivery]:
    stmt = select(WebhookDelivery).order_by(WebhookDelivery.id)
    if endpoint_id is not None:
        stmt = stmt.where(WebhookDelivery.endpoint_id == endpoint_id)
    with db.read_session() as s:
        return list(s.execute(stmt).scalars())


# --- signatures -----------------------------------------------------------------------------------


def test_a_receiver_verifies_the_signature_and_refuses_tampering_or_replay():
    body = b'{"id":"evt_1","type":"webhook.test"}'
    now = int(time.time())
    header = webhooks.signature(SECRET, now, body)
    assert header.startswith(f"t={now},v1=") and len(header.split("v1=")[1]) == 64
    assert webhooks.verify(SECRET, header, body)
    assert not webhooks.verify(SECRET, header, body + b" ")  # body changed
    assert not webhooks.verify("whsec_other", header, body)  # another endpoint's secret
    assert not webhooks.verify(SECRET, header, body, now=now + 301)  # replayed 5 minutes later
    assert not webhooks.verify(SECRET, header.replace(f"t={now}", f"t={now + 1}"), body)  # time edited
    assert not webhooks.verify(SECRET, "v1=" + header.split("v1=")[1], body)  # no timestamp
    assert webhooks.verify(SECRET, f"{header},v1={'0' * 64}", body)  # several v1 (secret rollover) accepted


# --- URLs (SSRF) ----------------------------------------------------------------------------------


def test_only_public_http_urls_unless_private_addresses_are_allowed(monkeypatch):
    monkeypatch.delenv("MRASLA_WEBHOOK_ALLOW_PRIVATE", raising=False)
    get_settings.cache_clear()
    for url in ("ftp://example.org/x", "file:///etc/passwd", "https://user:pw@example.org/", "not a url", "http://"):
        with pytest.raises(DomainError) as exc:
            webhooks.check_url(url)
        assert exc.value.code == "error.webhook_url", url
    for url in (
        "http://127.0.0.1:8080/",
        "http://localhost/",
        "https://10.1.2.3/",
        "http://169.254.169.254/latest",
        "http://[::1]/",
        "http://[::ffff:192.168.1.1]/",
        "http://0.0.0.0/",
    ):
        with pytest.raises(DomainError) as exc:
            webhooks.check_url(url)
        assert exc.value.code == "error.webhook_private", url
    assert webhooks.check_url("https://8.8.8.8/hook") == "https://8.8.8.8/hook"
    monkeypatch.setenv("MRASLA_WEBHOOK_ALLOW_PRIVATE", "1")
    get_settings.cache_clear()
    assert webhooks.check_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080/"
    get_settings.cache_clear()


# --- endpoints ------------------------------------------------------------------------------------


def test_the_secret_is_returned_once_and_stored_sealed(seeded, private_ok):
    created = endpoint(seeded)
    assert created.secret.startswith("whsec_") and len(created.secret) > 40
    with db.read_session() as s:
        row = s.get(WebhookEndpoint, created.endpoint.id)
    assert created.secret.encode() not in row.secret_sealed
    assert unseal(row.secret_sealed, webhooks.secret_purpose(row.id)).decode() == created.secret
    assert row.events == "deposit.received,correspondence.status_changed"


def test_only_the_administrations_administrators_manage_its_endpoints(seeded, private_ok):
    with db.write_session() as s, pytest.raises(PermissionDenied):
        webhooks.create_endpoint(
            s, seeded.actor("clerk.mef@mrasla.ma"), seeded.adm_id("MEF"), "http://127.0.0.1:9/", ["deposit.received"]
        )
    with db.write_session() as s, pytest.raises(PermissionDenied):
        webhooks.create_endpoint(
            s, seeded.actor("admin.crb@mrasla.ma"), seeded.adm_id("MEF"), "http://127.0.0.1:9/", ["deposit.received"]
        )
    with db.write_session() as s, pytest.raises(DomainError) as exc:
        webhooks.create_endpoint(
            s,
            seeded.actor("admin.mef@mrasla.ma"),
            seeded.adm_id("MEF"),
            "http://127.0.0.1:9/",
            ["deposit.received", "user.created"],
        )
    assert exc.value.code == "error.webhook_events"
    created = endpoint(seeded)
    with db.write_session() as s:
        for call in (
            lambda: webhooks.set_active(s, seeded.actor("admin.crb@mrasla.ma"), created.endpoint.id, False),
            lambda: webhooks.send_test(s, seeded.actor("clerk.mef@mrasla.ma"), created.endpoint.id),
            lambda: webhooks.recent_deliveries(
                s, seeded.actor("admin.crb@mrasla.ma"), 0, endpoint_id=created.endpoint.id
            ),
        ):
            with pytest.raises(NotFound):
                call()
        assert webhooks.list_endpoints(s, seeded.actor("admin@mrasla.ma"), seeded.adm_id("MEF"))  # platform admin


# --- the outbox -----------------------------------------------------------------------------------


def test_events_are_queued_in_the_changes_transaction_for_subscribers_of_that_administration(seeded, private_ok):
    mef = endpoint(seeded).endpoint
    crb = endpoint(seeded, "CRB").endpoint
    only_signed = endpoint(seeded, events=("folder.signed",)).endpoint
    cid = deposit(seeded)
    queued = deliveries(mef.id)
    assert [d.event_type for d in queued] == ["deposit.received"]
    assert deliveries(crb.id) == [] and deliveries(only_signed.id) == []  # another administration; not subscribed

    form = deposits.DepositForm(
        administration_id=seeded.adm_id("MEF"),
        full_name="Ali",
        id_kind="CIN",
        id_value="AB123457",
        email="ali@example.ma",
        phone="",
        subject="x",
        message="",
    )
    with pytest.raises(RuntimeError), db.write_session() as s:
        deposits.submit(s, form)
        raise RuntimeError("the deposit's transaction fails after the event")
    assert len(deliveries(mef.id)) == 1  # rolled back with the change

    clerk = seeded.actor("clerk.mef@mrasla.ma")
    with db.write_session() as s:
        dispatch.qualify(s, clerk, cid, type_code="request", priority="normal", deadline=None, confidential=False)
        dispatch.dispatch(s, clerk, cid, action_unit_id=seeded.unit_id("MEF", "DB.DSS"), info_unit_ids=[])
    changed = deliveries(mef.id)[1:]
    assert [d.event_type for d in changed] == ["correspondence.status_changed"]
    payload = json.loads(changed[0].payload)
    assert payload["data"]["status"] == "dispatched" and payload["data"]["previous_status"] == "to_qualify"
    assert len({d.event_id for d in deliveries()}) == len(deliveries())  # one id per event


def test_payloads_carry_identifiers_and_links_never_personal_data(seeded, private_ok):
    mef = endpoint(seeded).endpoint
    cid = deposit(seeded)
    (delivery,) = deliveries(mef.id)
    payload = json.loads(delivery.payload)
    assert payload["id"] == delivery.event_id and payload["type"] == "deposit.received"
    assert payload["administration"] == {"id": seeded.adm_id("MEF"), "code": "MEF"}
    data = payload["data"]
    assert set(data) == {"object", "id", "reference", "status", "direction", "channel", "registered_at", "links"}
    assert data["id"] == cid and data["reference"].startswith("MEF/") and data["status"] == "to_qualify"
    assert data["links"]["self"].endswith(f"/api/v1/correspondence/{cid}")
    for personal in ("Salma", "Bennis", "AB123456", "0612345678", "salma@example.ma", "attestation", "Merci"):
        assert personal not in delivery.payload


# --- delivery, retries and backoff -----------------------------------------------------------------


class Receiver:
    """An injected HTTP poster answering the given statuses in turn."""

    def __init__(self, *statuses: int | Exception):
        self.statuses, self.calls = list(statuses), []

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        self.calls.append((url, body, headers))
        answer = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_backoff_doubles_from_a_minute_up_to_six_hours():
    assert [webhooks.backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert webhooks.backoff(20) == timedelta(hours=6)


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(seeded, private_ok):
    created = endpoint(seeded)
    deposit(seeded)
    receiver = Receiver(500, OSError("connection refused"), 204)
    assert webhooks.deliver_due(T0, post=receiver, worker="w1") == 0
    (d,) = deliveries()
    assert (d.status, d.attempts, d.last_status_code, d.next_attempt_at) == (
        DeliveryStatus.pending,
        1,
        500,
        T0 + timedelta(minutes=1),
    )
    assert webhooks.deliver_due(T0 + timedelta(seconds=59), post=receiver) == 0 and len(receiver.calls) == 1
    assert webhooks.deliver_due(T0 + timedelta(minutes=1), post=receiver, worker="w2") == 0
    (d,) = deliveries()
    assert d.attempts == 2 and d.last_error.startswith("OSError") and d.next_attempt_at == T0 + timedelta(minutes=3)
    assert webhooks.deliver_due(T0 + timedelta(minutes=3), post=receiver, worker="w1") == 1
    (d,) = deliveries()
    assert (d.status, d.attempts, d.last_status_code, d.delivered_at) == (
        DeliveryStatus.delivered,
        3,
        204,
        T0 + timedelta(minutes=3),
    )
    assert webhooks.deliver_due(T0 + timedelta(hours=1), post=receiver) == 0 and len(receiver.calls) == 3
    ids = {headers["Mrasla-Event-Id"] for _, _, headers in receiver.calls}
    assert ids == {d.event_id}  # the same event id on every retry: the receiver can deduplicate
    for url, body, headers in receiver.calls:
        assert webhooks.verify(created.secret, headers["Mrasla-Signature"], body, now=T0.timestamp() + 180)
    with db.read_session() as s:
        attempts = s.execute(select(WebhookAttempt).order_by(WebhookAttempt.number)).scalars().all()
        views = webhooks.recent_deliveries(s, seeded.actor("admin.mef@mrasla.ma"), seeded.adm_id("MEF"))
    assert [(a.number, a.worker, a.status_code) for a in attempts] == [(1, "w1", 500), (2, "w2", None), (3, "w1", 204)]
    assert [len(v.attempts) for v in views] == [3]


def test_after_the_last_attempt_the_delivery_is_failed(seeded, private_ok):
    endpoint(seeded)
    deposit(seeded)
    receiver, now = Receiver(503), T0
    for attempt in range(1, webhooks.MAX_ATTEMPTS + 1):
        webhooks.deliver_due(now, post=receiver)
        now += webhooks.backoff(attempt)
    (d,) = deliveries()
    assert (d.status, d.attempts, d.last_error) == (DeliveryStatus.failed, webhooks.MAX_ATTEMPTS, "HTTP 503")
    webhooks.deliver_due(now + timedelta(days=1), post=receiver)
    assert len(receiver.calls) == webhooks.MAX_ATTEMPTS


def test_a_claim_is_taken_once_and_a_stale_one_is_retried(seeded, private_ok):
    endpoint(seeded)
    deposit(seeded)
    (d,) = deliveries()
    assert webhooks._claim(d.id, T0) and not webhooks._claim(d.id, T0)  # a second worker loses
    receiver = Receiver(200)
    assert webhooks.deliver_due(T0 + timedelta(minutes=5), post=receiver) == 0  # still claimed by the first
    assert webhooks.deliver_due(T0 + webhooks.CLAIM_TIMEOUT + timedelta(seconds=1), post=receiver) == 1


def test_disabling_an_endpoint_stops_its_deliveries_and_a_test_event_is_queued(seeded, private_ok):
    created = endpoint(seeded)
    deposit(seeded)
    admin = seeded.actor("admin.mef@mrasla.ma")
    with db.write_session() as s:
        test = webhooks.send_test(s, admin, created.endpoint.id)
    assert test.event_type == "webhook.test"
    with db.write_session() as s:
        webhooks.set_active(s, admin, created.endpoint.id, False)
    assert {d.status for d in deliveries()} == {DeliveryStatus.failed}
    with db.write_session() as s, pytest.raises(DomainError):
        webhooks.send_test(s, admin, created.endpoint.id)
    deposit(seeded)
    with db.read_session() as s:
        assert s.execute(select(func.count()).select_from(WebhookDelivery)).scalar_one() == 2  # nothing new


def test_which_audit_actions_are_webhook_events():
    assert webhooks.event_type_for("correspondence.deposited", {}) == "deposit.received"
    assert (
        webhooks.event_type_for("correspondence.received", {"from": "CRB/2026/D/000001"}) == "correspondence.registered"
    )
    assert (
        webhooks.event_type_for("correspondence.dispatched", {"from": "to_qualify", "to": "dispatched"})
        == "correspondence.status_changed"
    )
    assert (
        webhooks.event_type_for("correspondence.sent", {"from": "to_send", "to": "sent"})
        == "correspondence.status_changed"
    )  # a registry transition to "sent" is a status change
    assert webhooks.event_type_for("correspondence.sent", {"number": "MEF/2026/D/000001"}) == "correspondence.sent"
    assert webhooks.event_type_for("folder.completed", {}) == "folder.signed"
    for quiet in ("correspondence.note_added", "user.created", "folder.annotated", "webhook.endpoint_created"):
        assert webhooks.event_type_for(quiet, {}) is None
    assert set(webhooks.ACTION_EVENTS.values()) | {"correspondence.status_changed"} == set(webhooks.EVENT_TYPES)


def test_a_deposit_answered_through_the_signature_book_tells_its_whole_story(seeded, private_ok):
    from tests.answered import answered_deposit

    hook = endpoint(seeded, events=tuple(webhooks.EVENT_TYPES)).endpoint
    done = answered_deposit(seeded)
    events = [(d.event_type, json.loads(d.payload)["data"]) for d in deliveries(hook.id)]
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "deposit.received" and "folder.signed" in kinds and "correspondence.sent" in kinds
    assert kinds.index("folder.signed") < kinds.index("correspondence.sent")
    folder = next(data for kind, data in events if kind == "folder.signed")
    assert folder == {
        "object": "folder",
        "id": done.folder_id,
        "reference": done.folder_reference,
        "status": "completed",
        "links": {"document": folder["links"]["document"]},
    }
    sent = next(data for kind, data in events if kind == "correspondence.sent")
    assert sent["reference"] == done.outgoing_number and sent["direction"] == "outgoing"
    assert "Salma" not in "".join(d.payload for d in deliveries(hook.id))
