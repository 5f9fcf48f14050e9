"""Benchmark 4 — concurrent agents: N real Reflex websocket sessions of logged-in staff on a prod server.

The server runs as in production (``reflex run --env prod``, ``bench/loadserver.py``): the embedded
default (SQLite, Reflex state on disk, one worker), then PostgreSQL + Redis with two workers. The demo
directory is seeded and ``--items`` (40) letters per administration (MEF, CRB) are deposited through the
service layer; three quarters are qualified and dispatched to the agents' units (MEF ``DB.DSS``, CRB
``SEC``), the rest wait in the registry's queue; the background work the deposits leave (document
text, the receipts' B-LTA extension) is done in process before the sessions start, so the server's jobs
do not run during the measured steps. The login limit per IP is lifted in the server's environment
(every session logs in from 127.0.0.1).

Each session is what a browser tab does, over python-socketio on ``/_event``:
- log in through the API (``/api/v1/auth/login`` → ticket → ``/auth/session``: the HttpOnly
  ``mrasla_session`` cookie), one login — one server-side session — per websocket session. Sessions
  share the five demo accounts that have an inbox (``agent.mef``, ``head.mef``, ``clerk.mef``,
  ``agent.crb``, ``clerk.crb``), round robin: 100 sessions per account at N = 500;
- connect with that cookie in the handshake and a fresh client token; the CONNECT packet carries
  ``hydrate_and_load`` for ``/inbox`` with the compiled frontend's state hashes and schema (read from
  ``.web/utils/context.jsx``) and the ``mrasla_lang`` local-storage var, as the browser sends them;
- then, until the window ends, with a think time between actions (``--think`` 10 s mean, uniform
  ±50 %): open a letter seen in the inbox (client-side navigation: ``update_vars_internal`` +
  ``on_load_internal`` on ``/mail/<id>`` → ``MailState.on_load``), back to the inbox (the same on
  ``/inbox`` → ``InboxState.on_load``: counts, first page, unit filter), refresh the inbox
  (``InboxState.refresh``), and the baseline below.

Round trip = from the emit of the action's (last) event to the websocket message whose delta carries
the page's data (``MailState.loaded`` / ``InboxState.loaded`` true, the refreshed rows, the language):
the final delta of that action, i.e. what the agent waits for. The first delta's time is kept too.

Baseline in the same run, same sessions, same N, interleaved with the other actions:
``LangState.set_lang`` — a real state event through the same socket, event queue and state manager
(disk or Redis: load, lock, save) that does no database work. Its round trip is the framework's own
cost at that load; the inbox/detail figures minus it are the app's.

Reported per topology and N (``--sessions``, default 100,300,500; sessions are added to the running
ones between steps): p50 / p95 / max per action, actions per second, errors (timeouts of
``--timeout`` s, disconnects, missing data), total server RSS (the whole process tree, psutil;
sampled every 2 s, the peak kept), server CPU, the client's CPU (same 2 CPUs) and the load average.
Server CPU is given per action and per Reflex event: the events are the socket.io ``event`` packets the
clients sent in the step, counted by handler name (a navigation sends two, ``update_vars_internal`` and
``on_load_internal``; a refresh or ``set_lang`` one). The events the server chains itself (the page's
``on_load`` queued by ``on_load_internal``, ``set_is_hydrated``, what ``on_load`` returns) are work done
for those packets and count in their CPU. ``--pyspy`` samples the server during each step (``sampled``,
``hot_functions`` of ``bench/loadserver.py``).
Targets: issue #7, 500 sessions with p95 ≤ 300 ms and total RSS ≤ 3 GB; issue 19, 1,000 sessions on
PostgreSQL + Redis with p95 ≤ 300 ms and ≤ 6 ms of server CPU per event.
Usage: ``python bench/concurrent_agents.py [--sessions 100,300,500] [--duration 60] [--pg URL --redis URL]
[--pyspy]``.
Prints a table; writes ``bench/out/concurrent_agents.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.deposit_throughput import template_pdf, unique_pdf  # noqa: E402
from bench.loadserver import (  # noqa: E402
    ROOT,
    Server,
    add_topology_args,
    each_topology,
    hot_functions,
    latency,
    load,
    machine,
    pointed_at,
    prod_server,
    sampled,
)

PASSWORD = "Mrasla@2026"
ACCOUNTS = ("agent.mef", "head.mef", "clerk.mef", "agent.crb", "clerk.crb")
DISPATCH_TO = {"MEF": ("DB.DSS", "clerk.mef"), "CRB": ("SEC", "clerk.crb")}
LIFTED = {"MRASLA_LOGINS_PER_MINUTE": "1000000"}
TARGET = {"sessions": 500, "p95_ms": 300.0, "rss_mb": 3072.0}
NAMESPACE = "/_event"  # Reflex's socket.io namespace (and path)
ROOT_STATE = "reflex___state____state"
LANG = f"{ROOT_STATE}.mrasla_app___ui___state____lang_state"
SESSION = f"{LANG}.mrasla_app___ui___state____session_state"
INBOX = f"{SESSION}.mrasla_app___ui___pages___inbox____inbox_state"
MAIL = f"{SESSION}.mrasla_app___ui___pages___mail____mail_state"
ON_LOAD = f"{ROOT_STATE}.reflex___state____on_load_internal_state.on_load_internal"
UPDATE_VARS = f"{ROOT_STATE}.reflex___state____update_vars_internal_state.update_vars_internal"
LANG_VAR = f"{LANG}.lang_rx_state_"
OUT = ROOT / "bench" / "out"
ACTIONS = ("open_item", "inbox_load", "inbox_refresh", "baseline_set_lang")


def event_label(name: str) -> str:
    """The handler's short name: ``…___inbox____inbox_state.refresh`` → ``inbox_state.refresh``."""
    state, _, handler = name.rpartition(".")
    return f"{state.rpartition('____')[2]}.{handler}"


def frontend() -> dict[str, object]:
    """The compiled frontend's state hashes and schema (what a browser of this build sends)."""
    ctx = (ROOT / ".web" / "utils" / "context.jsx").read_text()
    hashes = json.loads(re.search(r"initialStateHashes = (\[.*?\])", ctx).group(1))  # type: ignore[union-attr]
    schema = re.search(r'stateSchema = "([0-9a-f]+)"', ctx).group(1)  # type: ignore[union-attr]
    return {"hashes": hashes, "schema": schema}


def populate(server: Server, per_administration: int) -> int:
    """Letters in the agents' scope, in the server's database (``populate_here``)."""
    with pointed_at(server):
        return populate_here(per_administration)


def populate_here(per_administration: int) -> int:
    """Letters in the agents' scope: deposited, three quarters qualified and dispatched, in the database this
    process is pointed at; the deposits' background work done (``settle``)."""
    from sqlalchemy import select

    from mrasla_app import db
    from mrasla_app.models import Administration, Unit, User
    from mrasla_app.services.correspondence import dispatch
    from mrasla_app.services.directory.accounts import load_actor
    from mrasla_app.services.portal import deposits

    template, n = template_pdf(20_000), 0
    for code, (unit_code, clerk) in DISPATCH_TO.items():
        with db.read_session() as s:
            adm = s.execute(select(Administration).where(Administration.code == code)).scalar_one()
            unit = s.execute(select(Unit).where(Unit.administration_id == adm.id, Unit.code == unit_code)).scalar_one()
            actor = load_actor(s, s.execute(select(User).where(User.email == f"{clerk}@mrasla.ma")).scalar_one())
        for i in range(per_administration):
            n += 1
            done = deposits.submit_and_notify(
                deposits.DepositForm(
                    administration_id=adm.id,
                    full_name="Salma Bennis",
                    id_kind="CIN",
                    id_value="AB123456",
                    email="",  # type: ignore[arg-type]
                    phone="0612345678",
                    subject=f"Demande d'attestation n° {n}",
                    message="Ci-joint ma demande.",
                    files=[("demande.pdf", unique_pdf(template, n))],
                )
            )
            if i % 4:
                with db.write_session() as s:
                    dispatch.qualify(s, actor, done.correspondence_id, type_code="request")
                    dispatch.dispatch(s, actor, done.correspondence_id, action_unit_id=unit.id)  # type: ignore[arg-type]
    settle()
    return n


def settle(rounds: int = 10) -> None:
    """Do here the background work the deposits left (their documents' text, their receipts' B-LTA
    extension), as the server's jobs would within minutes: otherwise the jobs run during the measured
    steps and their CPU counts as the events'."""
    from mrasla_app.models.base import utcnow
    from mrasla_app.services.correspondence import extraction
    from mrasla_app.services.platform import archive

    for _ in range(rounds):
        if not (extraction.sweep() + extraction.extract_pending()):
            break
    for _ in range(rounds):
        if not archive.extend_receipts(now=utcnow() + archive.GRACE):
            break


@dataclass
class Results:
    samples: dict[str, list[float]] = field(default_factory=lambda: {a: [] for a in ACTIONS})
    first: dict[str, list[float]] = field(default_factory=lambda: {a: [] for a in ACTIONS})
    errors: dict[str, int] = field(default_factory=dict)
    # Reflex events the clients sent while recording (socket.io "event" packets, by handler name), and
    # the actions they belong to (one action = one or two events, whatever its outcome)
    events: dict[str, int] = field(default_factory=dict)
    actions: int = 0
    recording: bool = False

    def error(self, kind: str) -> None:
        if self.recording:
            self.errors[kind] = self.errors.get(kind, 0) + 1


class Agent:
    """One browser tab of a logged-in staff member."""

    def __init__(self, base: str, account: str, fe: dict[str, object]) -> None:
        self.base, self.account, self.fe = base, account, fe
        self.sio = socketio.AsyncClient(reconnection=False)
        self.inbox: asyncio.Queue[tuple[float, dict]] = asyncio.Queue()
        self.sio.on("event", self._on_event, namespace=NAMESPACE)
        self.sio.on("disconnect", self._on_disconnect, namespace=NAMESPACE)
        self.items: list[str] = []
        self.connected = False

    async def _on_event(self, update: dict) -> None:
        await self.inbox.put((time.perf_counter(), update.get("delta") or {}))

    async def _on_disconnect(self, *_args) -> None:
        self.connected = False

    async def login(self, http: httpx.AsyncClient) -> str:
        r = await http.post("/api/v1/auth/login", json={"email": f"{self.account}@mrasla.ma", "password": PASSWORD})
        r.raise_for_status()
        s = await http.post("/api/v1/auth/session", json=r.json())
        s.raise_for_status()
        return s.cookies["mrasla_session"]

    @staticmethod
    def _route(path: str) -> dict[str, object]:
        if path.startswith("/mail/"):
            return {"pathname": path, "asPath": path, "query": {"mail_id": path.rsplit("/", 1)[1]}}
        return {"pathname": path, "asPath": path}

    async def connect(self, http: httpx.AsyncClient, timeout: float) -> None:
        cookie = await self.login(http)
        boot = {
            "name": f"{ROOT_STATE}.hydrate_and_load",
            "router_data": self._route("/inbox"),
            "payload": {"vars": {LANG_VAR: "fr"}, "hashes": self.fe["hashes"]},
        }
        await self.sio.connect(
            f"{self.base}?token={uuid.uuid4()}",
            headers={"Cookie": f"mrasla_session={cookie}"},
            transports=["websocket"],
            socketio_path="/_event",
            namespaces=[NAMESPACE],
            auth={"event": boot, "state_schema": self.fe["schema"]},
            wait_timeout=timeout,
        )
        self.connected = True
        await self._until(lambda d: d.get(INBOX, {}).get("loaded_rx_state_") is True, timeout)

    async def _until(self, done, timeout: float) -> tuple[float, float, dict]:
        """(first message time, matching message time, its delta) after now; raises TimeoutError."""
        first = None
        deadline = time.perf_counter() + timeout
        while True:
            at, delta = await asyncio.wait_for(self.inbox.get(), max(0.001, deadline - time.perf_counter()))
            first = first or at
            if done(delta):
                self._seen(delta)
                return first, at, delta

    def _seen(self, delta: dict) -> None:
        rows = delta.get(INBOX, {}).get("rows_rx_state_")
        if rows:
            self.items = [r["id"] for r in rows if r.get("id")]

    async def act(self, action: str, results: Results, timeout: float) -> None:
        while not self.inbox.empty():  # late messages of an earlier action
            self._seen(self.inbox.get_nowait()[1])
        if action == "open_item":
            if not self.items:
                results.error("no_item_in_scope")
                return
            path = f"/mail/{random.choice(self.items)}"
            events = [{"name": UPDATE_VARS, "payload": {"vars": {LANG_VAR: "fr"}}}, {"name": ON_LOAD, "payload": {}}]

            def done(d):
                return d.get(MAIL, {}).get("loaded_rx_state_") is True
        elif action == "inbox_load":
            path, events = (
                "/inbox",
                [{"name": UPDATE_VARS, "payload": {"vars": {LANG_VAR: "fr"}}}, {"name": ON_LOAD, "payload": {}}],
            )

            def done(d):
                return d.get(INBOX, {}).get("loaded_rx_state_") is True
        elif action == "inbox_refresh":
            path, events = "/inbox", [{"name": f"{INBOX}.refresh", "payload": {}}]

            def done(d):
                return "rows_rx_state_" in d.get(INBOX, {})
        else:
            path, events = "/inbox", [{"name": f"{LANG}.set_lang", "payload": {"lang": "fr"}}]

            def done(d):
                return "lang_rx_state_" in d.get(LANG, {})

        try:
            if results.recording:
                results.actions += 1
            for ev in events:
                ev["router_data"] = self._route(path)
                t0 = time.perf_counter()
                await self.sio.emit("event", ev, namespace=NAMESPACE)
                if results.recording:
                    name = event_label(str(ev["name"]))
                    results.events[name] = results.events.get(name, 0) + 1
            first, final, delta = await self._until(done, timeout)
        except (TimeoutError, asyncio.TimeoutError):
            results.error(f"{action}_timeout")
            return
        except socketio.exceptions.SocketIOError:
            results.error("disconnected")
            return
        if action == "open_item" and delta[MAIL].get("found_rx_state_") is not True:
            results.error("item_not_shown")
        if results.recording:
            results.samples[action].append(final - t0)
            results.first[action].append(first - t0)

    async def run(self, results: Results, stop: asyncio.Event, think: float, timeout: float) -> None:
        while not stop.is_set():
            for action in ACTIONS:
                try:
                    await asyncio.wait_for(stop.wait(), think * random.uniform(0.5, 1.5))
                    return
                except (TimeoutError, asyncio.TimeoutError):
                    pass
                if not self.connected:
                    results.error("disconnected")
                    return
                await self.act(action, results, timeout)


async def _sample_server(server: Server, stop: asyncio.Event, peak: list[float]) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], server.rss_mb())
        try:
            await asyncio.wait_for(stop.wait(), 2)
        except (TimeoutError, asyncio.TimeoutError):
            pass


async def bench_server(server: Server, args: argparse.Namespace, fe: dict[str, object]) -> list[dict]:
    agents: list[Agent] = []
    steps: list[dict] = []
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=120, limits=limits) as http:
        for n in args.sessions:
            t0, failed = time.perf_counter(), 0
            new = [Agent(server.base_url, ACCOUNTS[i % len(ACCOUNTS)], fe) for i in range(len(agents), n)]
            gate = asyncio.Semaphore(args.connect_concurrency)

            async def start(agent: Agent) -> None:
                nonlocal failed
                async with gate:
                    try:
                        await agent.connect(http, args.timeout)
                    except Exception as exc:  # noqa: BLE001 - counted and shown
                        failed += 1
                        if failed <= 3:
                            print(f"  session failed to start: {type(exc).__name__}: {exc}", flush=True)

            await asyncio.gather(*(start(a) for a in new))
            agents += new
            live = [a for a in agents if a.connected]
            print(
                f"[{server.topology}] {len(live)}/{n} sessions up ({len(new)} new in "
                f"{time.perf_counter() - t0:.0f} s, {failed} failed); measuring {args.duration:.0f} s…",
                flush=True,
            )
            await asyncio.sleep(args.think)  # let the connection burst settle
            results, stop, peak = Results(), asyncio.Event(), [server.rss_mb()]
            sampler = asyncio.create_task(_sample_server(server, stop, peak))
            loops = [asyncio.create_task(a.run(results, stop, args.think, args.timeout)) for a in live]
            await asyncio.sleep(args.think * 1.5)  # every loop past its first think time
            results.recording = True
            cpu0, server_cpu0, load0, m0 = time.process_time(), server.cpu_seconds(), load(), time.perf_counter()
            spy = f"agents_pyspy_{server.topology}_{n}"
            with sampled(server, spy, OUT) if args.pyspy else nullcontext():
                await asyncio.sleep(args.duration)
                results.recording = False
            elapsed = time.perf_counter() - m0
            server_cpu = server.cpu_seconds() - server_cpu0
            sent = sum(results.events.values())
            step = {
                "sessions": n,
                "connected": len([a for a in agents if a.connected]),
                "start_failures": failed,
                "accounts": len({a.account for a in live}),
                "seconds": round(elapsed, 1),
                "load_before": load0,
                "load_after": load(),
                "client_cpu_s": round(time.process_time() - cpu0, 1),
                "server_cpu_s": round(server_cpu, 1),
                "actions": results.actions,
                "events": sent,
                "events_by_name": dict(sorted(results.events.items())),
                "server_cpu_ms_per_action": round(server_cpu * 1000 / max(1, results.actions), 2),
                "server_cpu_ms_per_event": round(server_cpu * 1000 / max(1, sent), 2),
                "server_rss_mb_peak": round(peak[0]),
                "server_rss_mb_end": round(server.rss_mb()),
                "server_processes": server.processes(),
                "errors": results.errors,
            }
            if args.pyspy:
                step["pyspy_top"] = hot_functions(OUT / f"{spy}.folded")
            for action in ACTIONS:
                step[action] = {
                    **latency(results.samples[action]),
                    "first_delta_p50_ms": latency(results.first[action])["median_ms"],
                    "per_second": round(len(results.samples[action]) / elapsed, 1),
                }
            app = [x for a in ("open_item", "inbox_load", "inbox_refresh") for x in results.samples[a]]
            step["app_events"] = {**latency(app), "per_second": round(len(app) / elapsed, 1)}
            stop.set()
            await asyncio.gather(*loops, sampler)
            steps.append(step)
            print(
                f"[{server.topology}] N={n}: app events p50 {step['app_events']['median_ms']} ms, "
                f"p95 {step['app_events']['p95_ms']} ms ({step['app_events']['per_second']}/s); baseline p95 "
                f"{step['baseline_set_lang']['p95_ms']} ms; RSS peak {step['server_rss_mb_peak']} MB; server CPU "
                f"{step['server_cpu_ms_per_event']} ms per event ({sent} sent), "
                f"{step['server_cpu_ms_per_action']} ms per action; load {load0[0]}; "
                f"errors {results.errors}",
                flush=True,
            )
        await asyncio.gather(*(a.sio.disconnect() for a in agents if a.connected), return_exceptions=True)
    return steps


def bench_topology(topology: str, args: argparse.Namespace) -> dict:
    env = {**LIFTED, **dict(kv.split("=", 1) for kv in args.server_env)}
    with prod_server(topology, "agents", pg_url=args.pg, redis_url=args.redis, extra_env=env) as server:
        letters = populate(server, args.items)
        fe = frontend()
        print(
            f"[{topology}] server up on {server.base_url}, {server.processes()} processes, {letters} letters; "
            f"RSS {server.rss_mb():.0f} MB",
            flush=True,
        )
        steps = asyncio.run(bench_server(server, args, fe))
    last = next((s for s in steps if s["sessions"] == TARGET["sessions"]), None)
    met = (
        None
        if last is None
        else {
            "sessions_500_connected": last["connected"] >= TARGET["sessions"],
            "p95": last["app_events"]["p95_ms"] <= TARGET["p95_ms"] and not last["errors"],
            "rss": last["server_rss_mb_peak"] <= TARGET["rss_mb"],
        }
    )
    return {
        "topology": topology,
        "workers": 2 if topology == "pg-redis" else 1,
        "letters": letters,
        "server_env": env,
        "steps": steps,
        "targets_met_at_500": met,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", default="100,300,500", help="session counts, ascending (default 100,300,500)")
    parser.add_argument("--duration", type=float, default=60, help="measured seconds per step (default 60)")
    parser.add_argument("--think", type=float, default=10, help="mean think time between actions, s (default 10)")
    parser.add_argument("--timeout", type=float, default=30, help="seconds before an action counts as failed")
    parser.add_argument("--items", type=int, default=40, help="letters per administration (default 40)")
    parser.add_argument("--connect-concurrency", type=int, default=10, help="sessions starting at once")
    parser.add_argument(
        "--pyspy",
        action="store_true",
        help="sample the server with py-spy during each measured step (flame graph and folded stacks in "
        "bench/out/agents_pyspy_<topology>_<N>.*, hottest functions in the table; sampling costs CPU on the "
        "same machine: not for the latency figures)",
    )
    add_topology_args(parser)
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra server environment, e.g. REFLEX_OPLOCK_ENABLED=true (repeatable)",
    )
    args = parser.parse_args()
    args.sessions = sorted(int(x) for x in args.sessions.split(","))

    result: dict = {
        "benchmark": "concurrent_agents",
        "machine": machine(),
        "load_at_start": load(),
        "sessions": args.sessions,
        "duration_s": args.duration,
        "think_s": args.think,
        "accounts": [f"{a}@mrasla.ma" for a in ACCOUNTS],
        "target": TARGET,
        "round_trip": "emit of the action's last event → the message whose delta carries the page's data",
        "topologies": [],
    }
    print(
        f"sessions {args.sessions}, {args.duration:.0f} s each, think {args.think:.0f} s; load "
        f"{result['load_at_start']}, "
        f"{result['machine']['cpus']} CPUs; lifted for the run: {LIFTED}; extra server env: {args.server_env}"
    )
    result["topologies"] = each_topology(args, lambda topology: bench_topology(topology, args))

    print(
        f"\n{'topology':<10} {'N':>4} {'action':<18} {'p50 ms':>8} {'p95 ms':>8} {'per s':>7} "
        f"{'RSS MB':>7} {'load':>5} {'CPU ms/action':>13} {'CPU ms/event':>12}  errors"
    )
    for t in result["topologies"]:
        if "skipped" in t:
            print(f"{t['topology']:<10} skipped: {t['skipped']}")
            continue
        for s in t["steps"]:
            for i, action in enumerate(("app_events", *ACTIONS)):
                x = s[action]
                head = f"{t['topology']:<10} {s['sessions']:>4}" if i == 0 else f"{'':<15}"
                tail = (
                    f" {s['server_rss_mb_peak']:>7} {s['load_before'][0]:>5.2f} {s['server_cpu_ms_per_action']:>13.2f}"
                    f" {s['server_cpu_ms_per_event']:>12.2f}  {s['errors'] or ''}"
                    if i == 0
                    else ""
                )
                print(f"{head} {action:<18} {x['median_ms']:>8.1f} {x['p95_ms']:>8.1f} {x['per_second']:>7.1f}{tail}")
            print(
                f"{'':<15} {s['actions']} actions, {s['events']} events sent in {s['seconds']:.0f} s: "
                + ", ".join(f"{k} {v}" for k, v in s["events_by_name"].items())
            )
            for share, function in s.get("pyspy_top", [])[:25]:
                print(f"{'':<15} {share:>5.1f} %  {function}")
        print(f"{'':<10} targets at 500: {t['targets_met_at_500']}")
    OUT.mkdir(exist_ok=True)
    (OUT / "concurrent_agents.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(f"written {OUT / 'concurrent_agents.json'}")


if __name__ == "__main__":
    main()
