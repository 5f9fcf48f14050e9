"""Webhooks through the REST API, delivered to a REAL HTTP receiver started by the test: the
administrator registers an endpoint (the secret comes once), a deposit is made, the job sends it,
the receiver checks the signature with the secret; a receiver that fails twice gets the event on
the third attempt and the administrator sees every attempt."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mrasla_app.models.base import utcnow
from mrasla_app.services.platform import jobs, webhooks
from mrasla_app.settings import get_settings
from tests.api.conftest import deposit_form
from tests.api.test_auth_and_directory import login
from tests.files import pdf_bytes


class Receiver:
    """An HTTP server on a free loopback port that records requests and answers ``statuses`` in turn."""

    def __init__(self, *statuses: int) -> None:
        self.statuses, self.requests = list(statuses), []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((dict(self.headers), body))
                status = outer.statuses.pop(0) if len(outer.statuses) > 1 else outer.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/mrasla/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory(monkeypatch) -> Iterator:
    monkeypatch.setenv("MRASLA_WEBHOOK_ALLOW_PRIVATE", "1")
    get_settings.cache_clear()
    started: list[Receiver] = []

    def start(*statuses: int) -> Receiver:
        started.append(Receiver(*statuses))
        return started[-1]

    yield start
    for r in started:
        r.close()
    get_settings.cache_clear()


def register(client, url: str, events=("deposit.received",)) -> dict:
    r = client.post("/api/v1/webhooks", json={"url": url, "events": list(events), "description": "SI"})
    assert r.status_code == 201, r.text
    return r.json()


def deposit(client) -> str:
    r = client.post(
        "/api/v1/deposits", data=deposit_form(), files=[("files", ("lettre.pdf", pdf_bytes(), "application/pdf"))]
    )
    assert r.status_code == 201, r.text
    return r.json()["reference"]


def test_admin_api_registers_lists_disables_and_checks_rights(client, receiver_factory):
    assert client.get("/api/v1/webhooks").status_code == 401
    login(client, "clerk.mef@mrasla.ma")
    assert (
        client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/", "events": ["deposit.received"]}).status_code
        == 403
    )
    login(client, "admin.mef@mrasla.ma")
    bad = client.post("/api/v1/webhooks", json={"url": "ftp://x.example/", "events": ["deposit.received"]})
    assert bad.status_code == 400 and bad.json()["error"] == "error.webhook_url" and bad.json()["message"]["ar"]
    assert client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/", "events": ["nope"]}).status_code == 422
    created = register(client, "http://127.0.0.1:9/hook", ("deposit.received", "folder.signed"))
    assert created["secret"].startswith("whsec_") and created["events"] == ["deposit.received", "folder.signed"]
    listed = client.get("/api/v1/webhooks").json()
    assert [w["id"] for w in listed] == [created["id"]] and "secret" not in listed[0]
    off = client.patch(f"/api/v1/webhooks/{created['id']}", json={"active": False})
    assert off.status_code == 200 and off.json()["active"] is False
    assert client.post(f"/api/v1/webhooks/{created['id']}/test").status_code == 400
    login(client, "admin.crb@mrasla.ma")  # another administration's administrator: not even its existence
    assert client.get(f"/api/v1/webhooks/{created['id']}/deliveries").status_code == 404
    assert client.patch(f"/api/v1/webhooks/{created['id']}", json={"active": True}).status_code == 404
    assert client.get("/api/v1/webhooks").json() == []


def test_a_real_receiver_checks_the_signature_and_a_failing_one_gets_the_event_on_the_third_try(
    client, receiver_factory
):
    good, flaky, other = receiver_factory(200), receiver_factory(500, 502, 204), receiver_factory(200)
    login(client, "admin.mef@mrasla.ma")
    good_hook, flaky_hook = register(client, good.url), register(client, flaky.url)
    login(client, "admin.crb@mrasla.ma")
    register(client, other.url)  # CRB's endpoint: never told about MEF's mail
    client.cookies.clear()
    reference = deposit(client)

    now = utcnow()
    job = next(j for j in jobs.JOBS if j.name == "webhooks")
    assert jobs.run_due(now, (job,)) == {"webhooks": "1 delivered"}  # the job queue's every-minute run
    assert len(good.requests) == 1 and len(flaky.requests) == 1 and other.requests == []
    headers, body = good.requests[0]
    assert webhooks.verify(good_hook["secret"], headers["Mrasla-Signature"], body)
    assert not webhooks.verify(flaky_hook["secret"], headers["Mrasla-Signature"], body)
    event = json.loads(body)
    assert event["type"] == headers["Mrasla-Event-Type"] == "deposit.received"
    assert event["id"] == headers["Mrasla-Event-Id"] and event["data"]["reference"].replace("/", "-") == reference
    assert "Salma" not in body.decode() and "AB123456" not in body.decode()

    webhooks.deliver_due(now + timedelta(minutes=2), worker="worker-b")  # retried after 1 minute
    webhooks.deliver_due(now + timedelta(minutes=3), worker="worker-a")  # not yet: 2 minutes after the 2nd
    webhooks.deliver_due(now + timedelta(minutes=5), worker="worker-a")
    assert [h["Mrasla-Delivery-Attempt"] for h, _ in flaky.requests] == ["1", "2", "3"]
    assert {h["Mrasla-Event-Id"] for h, _ in flaky.requests} == {event["id"]}
    for h, b in flaky.requests:
        assert webhooks.verify(flaky_hook["secret"], h["Mrasla-Signature"], b)
    assert len(good.requests) == 1  # delivered once, never again

    login(client, "admin.mef@mrasla.ma")
    (seen,) = client.get(f"/api/v1/webhooks/{flaky_hook['id']}/deliveries").json()
    assert (seen["status"], seen["attempts"], seen["last_status_code"]) == ("delivered", 3, 204)
    assert [(a["status_code"], a["worker"]) for a in seen["history"]] == [
        (500, jobs.WORKER),
        (502, "worker-b"),
        (204, "worker-a"),
    ]
    assert all(a["latency_ms"] >= 0 for a in seen["history"]) and seen["history"][0]["error"] == "HTTP 500"

    test = client.post(f"/api/v1/webhooks/{good_hook['id']}/test")
    assert test.status_code == 202 and test.json()["event_type"] == "webhook.test"
    webhooks.deliver_due(utcnow() + timedelta(minutes=6))
    assert json.loads(good.requests[-1][1])["type"] == "webhook.test"
