"""Deposit CPU (issue 19): server CPU time per acknowledged deposit, measured in one process, and where it goes.

The FastAPI app that serves ``/api/v1`` (``mrasla_app.api.api_app``: the same middleware, multipart
parsing, route and ``deposits.submit_and_notify`` the production server runs) is driven in this process
through httpx's ASGI transport, on a fresh SQLite data directory seeded like the load benchmarks'
(``mrasla seed --quiet``). The requests are those of ``bench/deposit_throughput.py`` (``_deposit``: a
~100 KB one-page PDF, distinct per deposit, the portal's form fields, an e-mail address and an
``Idempotency-Key``), one after the other, to the seeded administrations round robin.

Measured, as process CPU time (``time.process_time()``: user + system, every thread):
- ``request``: per acknowledged deposit, the whole request (client encoding included);
- ``deferred``: per deposit, the background work those deposits left to the jobs of the same server
  process (``notifications`` and ``document_text``, run to completion afterwards): the server pays it too;
- baselines in the same run: ``GET /healthz`` (the HTTP stack and one database read) and the client's own
  multipart encoding of one deposit request.
Afterwards every acknowledged deposit is checked as the throughput benchmark checks it (``verify``:
registered once, its file and sealed receipt whole on disk, numbers gap-free, ``mrasla fsck``).

``--profile`` runs as many deposits again under cProfile (per-thread CPU clocks: one profiler on the event
loop's thread, one on the worker thread the route hands the deposit to, merged) and writes
``bench/out/deposit_cpu.prof``,
``bench/out/deposit_cpu_profile.txt`` (top entries by cumulative time) and a table of the deposit's phases.

Before/after: run it on the parent commit and on the branch (``git stash``/``git worktree``), same machine.
Usage: ``python bench/deposit_cpu.py [--deposits 200] [--warmup 10] [--profile]``; prints a table and
writes ``bench/out/deposit_cpu.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.deposit_throughput import Run, _deposit, template_pdf, unique_pdf, verify  # noqa: E402
from bench.loadserver import ROOT, latency, load, machine  # noqa: E402
from tests.e2e.conftest import _server_env  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
TARGET_MS = 20.0
#: The deposit's phases as the profile names them: (label, file suffix, function or alternatives, the
#: first one the profile has). Nested phases are inside the one above them; cumulative CPU per deposit.
PHASES = (
    ("HTTP stack and route (event-loop thread)", "mrasla_app/api/http.py", "__call__"),
    ("  multipart parsing", "starlette/formparsers.py", "parse"),
    ("  submit_and_notify (worker thread)", "services/portal/deposits.py", "submit_and_notify"),
    ("    prepare: form check + idempotency", "services/portal/deposits.py", "_clean"),
    ("    inspect uploaded PDF (pypdf)", "services/platform/pdf_checks.py", "page_count"),
    ("    store blobs (write + fsync)", "services/platform/storage.py", "put"),
    ("    registry number", "services/correspondence/registry.py", "allocate"),
    ("    receipt: render + seal", "documents/receipts.py", "issue_receipt"),
    ("    audit event", "services/platform/audit.py", "record"),
    ("      webhook endpoints lookup", "services/platform/webhooks.py", "on_audit"),
    ("    text extraction queued", "services/correspondence/extraction.py", "queue"),
    ("    notification queued", "services/platform/notifications.py", "queue"),
    ("    commit", "sqlalchemy/orm/session.py", "commit"),
    ("    notification sent", "services/platform/notifications.py", ("deliver", "deliver_claimed")),
)


def _environment() -> Path:
    """A fresh seeded data directory; this process's settings point at it."""
    data_dir = Path(tempfile.mkdtemp(prefix="deposit-cpu-"))
    env = _server_env(data_dir, 8000)
    subprocess.run([sys.executable, "-m", "mrasla_app.cli", "seed", "--quiet"], cwd=ROOT, env=env, check=True)
    for key in [k for k in os.environ if k.startswith("MRASLA_")]:
        del os.environ[key]
    os.environ.update({k: v for k, v in env.items() if k.startswith("MRASLA_")})
    return data_dir


def _client():
    from mrasla_app.api import api_app
    from mrasla_app.api.deposits import deposit_limit, read_limit

    for limiter in (deposit_limit, read_limit):  # every request comes from one address
        limiter.limit = 10**9
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api_app, client=("127.0.0.1", 50000)),
        base_url="http://testserver",
        timeout=60,
    )


async def _deposits(run: Run, template: bytes, first: int, count: int, measured: bool) -> None:
    async with _client() as client:
        if not run.administrations:
            directory = (await client.get("/api/v1/administrations")).json()
            run.administrations = sorted(a["code"] for a in directory)
        for n in range(first, first + count):
            await _deposit(client, template, n, run, measured)


async def _healthz(count: int) -> None:
    async with _client() as client:
        for _ in range(count):
            assert (await client.get("/healthz")).status_code == 200


def _cpu(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def _thread_cpu() -> dict[str, float]:
    """CPU seconds (user + system) so far of each live thread of this process, by thread name."""
    import threading

    import psutil

    names = {t.native_id: t.name.split("_")[0].split("-")[0] for t in threading.enumerate()}
    out: dict[str, float] = {}
    for t in psutil.Process().threads():
        name = names.get(t.id, "other")
        out[name] = out.get(name, 0.0) + t.user_time + t.system_time
    return out


def _by_thread(before: dict[str, float], after: dict[str, float], cpu: float, count: int) -> dict[str, float]:
    """CPU ms per deposit of each thread alive at the end; the rest (``ended``) is the threads the run's
    event loop started and stopped with it: the worker threads the route hands the deposits to."""
    spent = {k: v - before.get(k, 0.0) for k, v in after.items() if v - before.get(k, 0.0) > 0}
    spent["ended (the route's worker threads)"] = cpu - sum(spent.values())
    return {k: round(v * 1000 / max(1, count), 2) for k, v in spent.items()}


def _encode_cost(template: bytes, count: int = 200) -> float:
    """CPU seconds the client spends building one deposit request (multipart body included)."""

    def build() -> None:
        with httpx.Client(base_url="http://testserver") as c:
            for n in range(count):
                c.build_request(
                    "POST",
                    "/api/v1/deposits",
                    data={"administration": "MEF", "subject": "x"},
                    files={"files": ("demande.pdf", unique_pdf(template, n), "application/pdf")},
                ).read()

    return _cpu(build) / count


def _deferred() -> dict[str, float]:
    """CPU seconds of the jobs' work the deposits queued, run to completion now."""
    from mrasla_app.services.correspondence import extraction
    from mrasla_app.services.platform import notifications

    return {
        "notifications": _cpu(notifications.deliver),
        "document_text": _cpu(lambda: extraction.extract_pending(budget=3600)),
    }


#: Functions timed by ``--phases`` (module, attribute): thread CPU time inside each call, inclusive of the calls
#: it makes; the module attribute is what callers look up, so wrapping it times every call.
TIMED = (
    ("mrasla_app.services.portal.deposits", "submit_and_notify"),
    ("mrasla_app.services.portal.deposits", "prepare"),
    ("mrasla_app.services.platform.files", "inspect_and_store"),
    ("mrasla_app.services.platform.pdf_checks", "page_count"),
    ("mrasla_app.services.platform.storage", "put"),
    ("mrasla_app.services.portal.deposits", "submit"),
    ("mrasla_app.services.correspondence.registry", "allocate"),
    ("mrasla_app.services.portal.deposits", "issue_receipt"),
    ("mrasla_app.services.platform.audit", "record"),
    ("mrasla_app.services.platform.webhooks", "on_audit"),
    ("mrasla_app.services.correspondence.extraction", "queue"),
    ("mrasla_app.services.platform.notifications", "queue"),
    ("mrasla_app.services.platform.notifications", "deliver"),
    ("mrasla_app.services.platform.notifications", "deliver_claimed"),
    ("sqlmodel", "Session.commit"),
)


def _phases(template: bytes, first: int, count: int, run: Run) -> list[tuple[str, float, float]]:
    """The same deposits with ``TIMED`` wrapped: (function, thread CPU ms per deposit, calls per deposit);
    then the write transactions (``db.write_session``): wall-clock ms per deposit from asking for the
    writer's turn to the end of the commit, and how many per deposit — one after the other here, so
    no waiting: how long each deposit holds SQLite's single writer (and PostgreSQL's row locks); last,
    work counted rather than timed (SQL statements, ``os.fsync`` calls), which the machine's load does
    not blur."""
    import importlib
    from contextlib import contextmanager

    from sqlalchemy import Engine, event

    from mrasla_app import db

    spent: dict[str, list[float]] = {}
    held: list[float] = []
    write_session = db.write_session
    counted = {"SQL statements": 0, "fsyncs": 0}
    fsync = os.fsync

    def count_statement(*_args) -> None:
        counted["SQL statements"] += 1

    def counted_fsync(fd: int) -> None:
        counted["fsyncs"] += 1  # the files' and directories'; SQLite's own (the WAL's) are not Python calls
        fsync(fd)

    @contextmanager
    def timed_write_session():
        t0 = time.perf_counter()
        try:
            with write_session() as session:
                yield session
        finally:
            held.append(time.perf_counter() - t0)

    def timed(label: str, fn):
        def wrapper(*args, **kwargs):
            t0 = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label].append(time.thread_time() - t0)

        return wrapper

    undo = []
    for module_name, attr in TIMED:
        owner = importlib.import_module(module_name)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        if not hasattr(owner, name):  # a function the code under test no longer has
            continue
        label = f"{module_name.rsplit('.', 1)[-1]}.{attr}"
        spent[label] = []
        undo.append((owner, name, getattr(owner, name)))
        setattr(owner, name, timed(label, getattr(owner, name)))
    db.write_session = timed_write_session
    os.fsync = counted_fsync
    event.listen(Engine, "before_cursor_execute", count_statement)
    try:
        asyncio.run(_deposits(run, template, first, count, measured=False))
    finally:
        event.remove(Engine, "before_cursor_execute", count_statement)
        os.fsync = fsync
        db.write_session = write_session
        for owner, name, fn in reversed(undo):
            setattr(owner, name, fn)
    return [
        *((label, round(sum(v) * 1000 / count, 2), round(len(v) / count, 2)) for label, v in spent.items()),
        ("write transactions (wall, writer held)", round(sum(held) * 1000 / count, 2), round(len(held) / count, 2)),
        *((name, 0.0, round(n / count, 2)) for name, n in counted.items()),
    ]


def _profile(template: bytes, first: int, count: int, run: Run) -> dict:
    """The same deposits under cProfile with per-thread CPU clocks: one profiler on the event loop's thread
    (HTTP stack, multipart parsing, route), one on the worker thread the route hands the deposit to."""
    import mrasla_app.api.deposits as route

    loop_profiler, worker_profiler = cProfile.Profile(time.thread_time), cProfile.Profile(time.thread_time)

    def profiled(fn, *args, **kwargs):
        worker_profiler.enable()
        try:
            return fn(*args, **kwargs)
        finally:
            worker_profiler.disable()

    original = route.run_in_threadpool
    route.run_in_threadpool = lambda fn, *args, **kwargs: original(profiled, fn, *args, **kwargs)
    try:
        loop_profiler.enable()
        asyncio.run(_deposits(run, template, first, count, measured=False))
        loop_profiler.disable()
    finally:
        route.run_in_threadpool = original
    stats = pstats.Stats(loop_profiler, stream=(text := io.StringIO()))
    stats.add(worker_profiler)
    OUT.mkdir(exist_ok=True)
    stats.dump_stats(OUT / "deposit_cpu.prof")
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(40)
    (OUT / "deposit_cpu_profile.txt").write_text(text.getvalue())
    phases = []
    for label, suffix, names in PHASES:
        found = {
            func: v[3]
            for (path, _line, func), v in stats.stats.items()  # type: ignore[attr-defined]
            if path.endswith(suffix) and func in ((names,) if isinstance(names, str) else names)
        }
        total = next((found[name] for name in ((names,) if isinstance(names, str) else names) if name in found), 0.0)
        phases.append((label, round(total * 1000 / count, 2)))
    top = []
    for (path, line, func), v in sorted(stats.stats.items(), key=lambda kv: -kv[1][3])[:15]:  # type: ignore[attr-defined]
        top.append((f"{'/'.join(Path(path).parts[-2:])}:{line}({func})", round(v[3] * 1000 / count, 2)))
    return {"deposits": count, "phases_ms_per_deposit": phases, "top15_cumulative_ms_per_deposit": top}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deposits", type=int, default=200, help="measured deposits (default 200)")
    parser.add_argument("--warmup", type=int, default=10, help="deposits first, not measured (default 10)")
    parser.add_argument("--profile", action="store_true", help="then profile as many deposits under cProfile")
    args = parser.parse_args()

    data_dir = _environment()
    template, run = template_pdf(), Run()
    load0 = load()
    asyncio.run(_deposits(run, template, 0, args.warmup, measured=False))
    asyncio.run(_healthz(20))
    healthz = _cpu(lambda: asyncio.run(_healthz(args.deposits))) / args.deposits
    deferred0 = _deferred()  # the warm-up's queued work, not counted
    acknowledged0, errors0 = len(run.acknowledged), len(run.errors)
    threads0 = _thread_cpu()
    t0, cpu0 = time.perf_counter(), time.process_time()
    asyncio.run(_deposits(run, template, args.warmup, args.deposits, measured=True))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    by_thread = _thread_cpu()
    acknowledged = len(run.acknowledged) - acknowledged0
    deferred = _deferred()
    request_ms = cpu * 1000 / max(1, acknowledged)
    deferred_ms = {k: round(v * 1000 / max(1, acknowledged), 2) for k, v in deferred.items()}
    result = {
        "benchmark": "deposit_cpu",
        "machine": machine(),
        "pdf_bytes": len(template),
        "deposits": args.deposits,
        "acknowledged": acknowledged,
        "errors": len(run.errors) - errors0,
        "error_samples": run.errors[:5],
        "request_cpu_ms_per_deposit": round(request_ms, 2),
        "deferred_cpu_ms_per_deposit": deferred_ms,
        "total_cpu_ms_per_deposit": round(request_ms + sum(deferred_ms.values()), 2),
        "healthz_cpu_ms_per_request": round(healthz * 1000, 2),
        "client_encoding_cpu_ms_per_deposit": round(_encode_cost(template) * 1000, 2),
        "cpu_ms_per_deposit_by_thread": _by_thread(threads0, by_thread, cpu, acknowledged),
        "sequential_per_second": round(acknowledged / wall, 1),
        "latency": latency(run.latencies),
        "warmup_deferred_cpu_s": {k: round(v, 2) for k, v in deferred0.items()},
        "load_before": load0,
        "load_after": load(),
        "target_ms": TARGET_MS,
    }
    print(
        f"{len(template) // 1000} KB PDF, {acknowledged} deposits acknowledged of {args.deposits} "
        f"({result['errors']} errors); load {load0} → {result['load_after']} on {os.cpu_count()} CPUs"
    )
    print(f"\n{'CPU per deposit (ms)':<46}{'ms':>8}")
    print(f"{'request (server + in-process client)':<46}{request_ms:>8.1f}")
    for k, v in deferred_ms.items():
        print(f"{'deferred: ' + k + ' job':<46}{v:>8.1f}")
    print(f"{'total (target ' + str(TARGET_MS) + ')':<46}{result['total_cpu_ms_per_deposit']:>8.1f}")
    print(
        "request CPU by thread (ms): "
        + ", ".join(f"{k} {v}" for k, v in result["cpu_ms_per_deposit_by_thread"].items())
    )
    print(f"{'baseline: GET /healthz (stack + 1 read)':<46}{result['healthz_cpu_ms_per_request']:>8.1f}")
    print(f"{'baseline: client multipart encoding':<46}{result['client_encoding_cpu_ms_per_deposit']:>8.1f}")
    lat = result["latency"]
    print(
        f"sequential: {result['sequential_per_second']} deposits/s, median {lat['median_ms']} ms, "
        f"p95 {lat['p95_ms']} ms"
    )
    print("checking the acknowledged deposits…", flush=True)
    os.environ.setdefault("MRASLA_PUBLIC_URL", "http://localhost:8000")
    result["check"] = verify(SimpleNamespace(env={**os.environ}), run)  # type: ignore[arg-type]
    print(
        f"check: {'ok' if result['check']['ok'] else 'PROBLEMS'} {result['check']['problems'][:5]} "
        f"fsck {result['check']['fsck']}"
    )
    print(f"timing the phases of {args.deposits} more deposits…", flush=True)
    result["phases"] = _phases(template, 2 * 10**6, args.deposits, run)
    print(f"\n{'function (thread CPU, inclusive)':<46}{'ms/deposit':>11}{'calls':>7}")
    for label, ms, calls in result["phases"]:
        print(f"{label:<46}{ms:>11.2f}{calls:>7}")
    if args.profile:
        print(f"profiling {args.deposits} more deposits…", flush=True)
        result["profile"] = _profile(template, 10**6, args.deposits, run)
        print(f"\n{'phase (cProfile, CPU clock; inflated by the profiler)':<56}{'ms/deposit':>11}")
        for label, ms in result["profile"]["phases_ms_per_deposit"]:
            print(f"{label:<56}{ms:>11.2f}")
        print(f"\n{'top 15 by cumulative CPU':<80}{'ms/deposit':>11}")
        for name, ms in result["profile"]["top15_cumulative_ms_per_deposit"]:
            print(f"{name[-79:]:<80}{ms:>11.2f}")
    OUT.mkdir(exist_ok=True)
    (OUT / "deposit_cpu.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(f"written {OUT / 'deposit_cpu.json'}")
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
