"""Crash safety: the production server is SIGKILLed in the middle of a burst of deposits and
signatures, restarted on the same data directory, and everything it acknowledged is there, whole.

The server under test is the production backend (Granian, one worker, ``--env prod``) started the way
``reflex run --env prod --backend-only`` starts it, minus what that command does to the checkout:
it would clear ``.states`` and ``.web/backend`` of the session server that the other browser tests use.
Here the Reflex work directories point into the test's own temporary directory and nothing is compiled.

Checked after the restart: every deposit answered 201 exists with its files (blobs matching their
SHA-256) and a sealed receipt that validates; retrying the unanswered ones with their Idempotency-Key
registers each exactly once; every signature answered 200 is in its folder's history and the signed
PDF validates; registry numbers have no gap; ``mrasla fsck`` and ``mrasla audit verify`` pass (blobs
left by killed requests are reported as collectable, not as problems); the server answers again.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import (
    Channel,
    Correspondence,
    Decision,
    Document,
    DocumentKind,
    Folder,
    FolderStatus,
    StepAction,
)
from mrasla_app.pki import ca
from mrasla_app.pki.validation import validate_pdf
from mrasla_app.services.parapheur import signing_keys, submission
from mrasla_app.services.platform import storage
from mrasla_app.services.portal import verification
from tests.e2e.conftest import ROOT, _free_port
from tests.files import pdf_bytes

PIN = "314159"
PASSWORD = "Mrasla@2026"
AGENT, DIRECTOR = "agent.mef@mrasla.ma", "director.mef@mrasla.ma"
DEPOSIT_THREADS, SIGNING_THREADS, FOLDERS = 8, 2, 24
ROUND_DEPOSITS, ROUND_SIGNATURES = 8, 2  # acknowledged in a round before its kill
# Each round's SIGKILL lands this fraction of a request's service time after an acknowledgement:
# requests are served one at a time (one SQLite writer), so the rounds hit different stages of it.
PHASES = (0.2, 0.5, 0.8)

# What `reflex run --env prod --backend-only` ends up calling (reflex/reflex.py: _run_prod).
LAUNCH = (
    "import sys; from reflex import constants; from reflex.environment import environment; "
    "environment.REFLEX_ENV_MODE.set(constants.Env.PROD); environment.REFLEX_SKIP_COMPILE.set(True); "
    "from reflex.utils import exec; exec.run_backend_prod('127.0.0.1', int(sys.argv[1]))"
)


@dataclass
class Burst:
    """What the clients saw: acknowledged deposits and signatures, and what was in flight at the kill."""

    deposits: dict[str, dict] = field(default_factory=dict)  # idempotency key → 201 body
    uploads: dict[str, bytes] = field(default_factory=dict)  # idempotency key → the uploaded PDF
    signed: list[int] = field(default_factory=list)  # folder ids answered 200
    refused: list[str] = field(default_factory=list)  # any other answer (there should be none)
    in_flight: int = 0
    in_flight_at_kills: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)


class Server:
    """The production backend on its own port and data directory, in its own process group."""

    def __init__(self, env: dict[str, str], port: int, log: Path, folders: list[int]) -> None:
        self.env, self.port, self.log = env, port, log
        self.folders = folders  # started, awaiting the director's signature
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", LAUNCH, str(self.port)],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError("server did not start in 180 s")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)
        while _group_alive(self.proc.pid):  # the Granian worker dies with its supervisor's group
            time.sleep(0.05)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mrasla_app.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def crash_server(seeded, tmp_path: Path) -> Iterator[Server]:
    """A seeded data directory (this process points at it too), the director's key, started folders
    awaiting the director's signature, and the server process (not started yet)."""
    ca.clear_cache()
    ca.load_or_create_pki()
    with db.write_session() as s:
        signing_keys.enroll(s, seeded.actor(DIRECTOR), PIN)
    agent, folders = seeded.actor(AGENT), []
    for i in range(FOLDERS):
        with db.write_session() as s:
            folder = submission.create_folder(
                s, agent, f"Réponse n° {i}", [("reponse.pdf", pdf_bytes(text=f"Réponse {i}"))]
            )
            submission.start(s, agent, folder.id, steps=[{"kind": "signature", "user_ids": [seeded.user_id(DIRECTOR)]}])
            folders.append(folder.id)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFLEX_")}  # MRASLA_* point at `seeded`
    env.update(
        MRASLA_PUBLIC_URL=f"http://127.0.0.1:{port}",
        MRASLA_DEPOSITS_PER_MINUTE="100000",
        MRASLA_READS_PER_MINUTE="100000",
        REFLEX_STATE_MANAGER_MODE="memory",
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_WEB_WORKDIR=str(tmp_path / "web"),
        REFLEX_STATES_WORKDIR=str(tmp_path / "states"),
    )
    server = Server(env, port, seeded.data_dir / "server.log", folders)
    yield server
    if server.proc is not None and _group_alive(server.proc.pid):
        server.kill(signal.SIGTERM)
    ca.clear_cache()


def _login(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    ticket = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert ticket.status_code == 200, ticket.text
    assert client.post("/api/v1/auth/session", json=ticket.json()).status_code == 204
    return client


def _tracked(burst: Burst, send):
    """Run one request, counting it as in flight meanwhile; None when the server died under it."""
    with burst.lock:
        burst.in_flight += 1
    try:
        return send()
    except httpx.HTTPError:
        burst.stop.set()
        return None
    finally:
        with burst.lock:
            burst.in_flight -= 1


def _deposit(client: httpx.Client, key: str, pdf: bytes) -> httpx.Response:
    """One deposit; every other one leaves an e-mail address (its notification goes to the outbox)."""
    email = f"{key}@example.ma" if int(key.rsplit("-", 1)[1]) % 2 else ""
    return client.post(
        "/api/v1/deposits",
        headers={"Idempotency-Key": key},
        data={
            "administration": "MEF",
            "full_name": "Citoyen Crash",
            "id_kind": "CIN",
            "id_value": "AB123456",
            "email": email,
            "phone": "0612345678",
            "subject": f"Demande {key}",
            "message": "",
            "lang": "fr",
        },
        files={"files": ("lettre.pdf", pdf, "application/pdf")},
    )


def _depositor(burst: Burst, base: str, name: str) -> None:
    with httpx.Client(base_url=base, timeout=60) as client:
        i = 0
        while not burst.stop.is_set():
            key, pdf = f"crash-{name}-{i}", pdf_bytes(text=f"Lettre {name}-{i}")
            with burst.lock:
                burst.uploads[key] = pdf
            r = _tracked(burst, lambda: _deposit(client, key, pdf))
            with burst.lock:
                if r is not None and r.status_code == 201:
                    burst.deposits[key] = r.json()
                elif r is not None:
                    burst.refused.append(f"deposit {r.status_code}: {r.text}")
            i += 1


def _signatory(burst: Burst, client: httpx.Client, folders: list[int]) -> None:
    while not burst.stop.is_set():
        with burst.lock:
            if not folders:
                return
            fid = folders.pop()
        r = _tracked(burst, lambda: client.post(f"/api/v1/folders/{fid}/actions", json={"action": "sign", "pin": PIN}))
        with burst.lock:
            if r is not None and r.status_code == 200 and r.json()["status"] == "completed":
                burst.signed.append(fid)
            elif r is not None:
                burst.refused.append(f"signature {r.status_code}: {r.text}")


def _fire_and_kill(server: Server, burst: Burst, round_no: int, phase: float) -> None:
    """One burst against a running server, SIGKILLed once enough was acknowledged (see ``PHASES``)."""
    burst.stop = threading.Event()
    deposits0, signed0 = len(burst.deposits), len(burst.signed)
    director = _login(server.base, DIRECTOR)
    threads = [
        threading.Thread(target=_depositor, args=(burst, server.base, f"r{round_no}t{n}"))
        for n in range(DEPOSIT_THREADS)
    ]
    threads += [
        threading.Thread(target=_signatory, args=(burst, director, server.folders)) for _ in range(SIGNING_THREADS)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()

    def wait(until) -> None:
        while not (until() or burst.stop.is_set()):
            assert time.monotonic() < started + 300, "the burst stalled"
            time.sleep(0.002)

    wait(
        lambda: (
            len(burst.deposits) - deposits0 >= ROUND_DEPOSITS
            and (len(burst.signed) - signed0 >= ROUND_SIGNATURES or not server.folders)
        )
    )
    service = (time.monotonic() - started) / (len(burst.deposits) - deposits0 + len(burst.signed) - signed0)
    acknowledged = len(burst.deposits)
    wait(lambda: len(burst.deposits) > acknowledged)
    time.sleep(phase * service)
    with burst.lock:
        burst.in_flight_at_kills.append(burst.in_flight)
    server.kill()  # SIGKILL the supervisor and its worker, mid-burst
    burst.stop.set()
    for t in threads:
        t.join(timeout=120)
    director.close()


def _validate(pdf: bytes):
    """``validate_pdf`` off this thread: pyHanko runs its own event loop, Playwright's runs here."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(validate_pdf, pdf).result()


def _blob_ok(sha: str) -> bool:
    path = storage.blob_path(sha)
    return path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == sha


def _check_deposit(body: dict, pdf: bytes) -> None:
    """The record, its files and its sealed receipt, as the depositor's links reach them."""
    token = parse_qs(urlsplit(body["verify_url"]).query)["t"][0]
    with db.read_session() as s:
        found = verification.lookup(s, body["reference"], token)
    assert found is not None and found.registry_number == body["registry_number"], body
    kinds = {d.kind: d for d in found.documents}
    assert kinds["attachment"].sha256 == hashlib.sha256(pdf).hexdigest()
    assert all(_blob_ok(d.sha256) for d in found.documents)
    assert found.receipt_sha256, f"{body['registry_number']} has no sealed receipt"
    assert _validate(storage.get(found.receipt_sha256)).authentic


def test_sigkill_mid_burst_loses_nothing_acknowledged_and_leaves_nothing_half_written(crash_server: Server):
    server, burst = crash_server, Burst()
    for round_no, phase in enumerate(PHASES):
        server.start()  # the same data directory each time: SQLite recovers its WAL, nothing else to repair
        _fire_and_kill(server, burst, round_no, phase)
    assert burst.refused == []
    assert min(burst.in_flight_at_kills) >= 1  # each kill did land mid-burst
    print(
        f"\ncrash test: {len(burst.deposits)} deposits and {len(burst.signed)} signatures acknowledged; "
        f"requests in flight at each SIGKILL: {burst.in_flight_at_kills}"
    )

    server.start()

    for key, body in burst.deposits.items():
        _check_deposit(body, burst.uploads[key])
    # A retry of every unanswered deposit (same Idempotency-Key) registers it exactly once.
    unanswered = [k for k in burst.uploads if k not in burst.deposits]
    with httpx.Client(base_url=server.base, timeout=60) as client:
        for key in unanswered:
            r = _deposit(client, key, burst.uploads[key])
            assert r.status_code == 201, r.text
            _check_deposit(r.json(), burst.uploads[key])
        for body in burst.deposits.values():  # the depositor's private link works too
            tracked = client.get(
                f"/api/v1/deposits/{body['reference']}",
                params={"k": parse_qs(urlsplit(body["receipt_url"]).query)["k"][0]},
            )
            assert tracked.status_code == 200 and tracked.json()["registry_number"] == body["registry_number"]
    with db.read_session() as s:
        portal = s.execute(
            select(Correspondence.registry_number, Correspondence.seq).where(Correspondence.channel == Channel.portal)
        ).all()
        assert len(portal) == len(burst.uploads)  # exactly once each, nothing else
        assert sorted(seq for _, seq in portal) == list(range(1, len(portal) + 1))  # gap-free
        receipts = s.execute(select(Document.correspondence_id).where(Document.kind == DocumentKind.receipt)).all()
        assert len(receipts) == len(portal)

        for fid in burst.signed:
            folder = s.get(Folder, fid)
            assert folder is not None and folder.status == FolderStatus.completed
            decisions = s.execute(select(StepAction.decision).where(StepAction.folder_id == fid)).scalars().all()
            assert decisions == [Decision.signed]
            report = _validate(storage.get(folder.current_sha256))
            assert report.authentic and report.signatures[-1].signer_common_name == "Mohammed Berrada"
        for folder in s.execute(select(Folder)).scalars():  # unanswered signatures: all or nothing
            acted = s.execute(select(StepAction.id).where(StepAction.folder_id == folder.id)).first() is not None
            assert acted == (folder.status == FolderStatus.completed), folder.reference

    fsck = _cli(server.env, "fsck")
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    print(f"fsck after restart: {fsck.stdout.strip()}")
    audit = _cli(server.env, "audit", "verify")
    assert audit.returncode == 0, audit.stdout
    assert httpx.get(f"{server.base}/healthz", timeout=10).json() == {"status": "ok", "database": "ok"}
