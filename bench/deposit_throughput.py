"""Benchmark 2 — deposit throughput through ``POST /api/v1/deposits`` on a production server.

The app runs as in production (``reflex run --env prod``, see ``bench/loadserver.py``), seeded with the
demo directory; the per-IP deposit and read limits (``MRASLA_DEPOSITS_PER_MINUTE`` /
``MRASLA_READS_PER_MINUTE``, 30 / 120 by default) are lifted in the benchmark server's environment
because every client comes from 127.0.0.1 — the output says so. Everything else is the default.

Load: ``--clients`` (20) concurrent httpx async clients, each depositing in a loop for ``--duration``
seconds (60) after a short warm-up: one ~100 KB valid PDF per deposit (an fpdf2 page with an
incompressible image; a fixed-width serial in the document title makes every file distinct, so the
content-addressed storage never deduplicates), form fields as the portal sends them, an e-mail
address (the notification goes to the outbox) and an ``Idempotency-Key``. Deposits go round robin to
the administrations of the public directory (the five seeded ones; ``--administrations N`` keeps the
first N): each has its own gap-free counter and audit chain, whose row locks serialise that
administration's deposits from the number to the commit — ``--administrations 1`` is the hot spot.

Measured: acknowledged (2xx) deposits per second over the window, latency median / p95 / max,
errors (any other answer or a transport error), and the server's CPU time per deposit (all its
processes). The client runs on the same 2 CPUs as the server: its own CPU time is reported.

Baseline in the same run, same server, same concurrency: ``GET /healthz`` (FastAPI route through the
same middleware stack, one database read) — what the HTTP stack and the worker(s) serve when a request
does no deposit work; the deposit figure is read against that ceiling. The two topologies (embedded
SQLite with one worker; PostgreSQL + Redis with two workers) are the second comparison.

Afterwards, against the server's database: every acknowledged deposit exists with its registry
number, its attachment (the uploaded file's SHA-256, the blob on disk matching it) and its receipt;
there are exactly as many portal deposits as acknowledgements; numbers are gap-free per
administration, year and direction (1…n); ``mrasla fsck`` passes; a sample of receipts validates.

Target (issue #7): ≥ 40 deposits/s sustained for 60 s, p95 ≤ 400 ms, zero errors. With ``--rate 40`` the
clients are paced (open loop): 40 deposits/s are offered whatever the answers' speed, and each latency counts
from the deposit's due time. The closed loop measures capacity; 20 closed-loop clients at 40/s wait
20 / 40 = 500 ms on average (Little's law), so p95 ≤ 400 ms at 40/s is a paced figure.
Usage: ``python bench/deposit_throughput.py [--duration 60] [--clients 20] [--pg URL --redis URL]``.
Prints a table; writes ``bench/out/deposit_throughput.json`` (paced: ``deposit_throughput_paced.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import subprocess
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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

SERIAL = "BENCH-0000000000"  # fixed-width placeholder in the PDF's /Title, replaced per deposit
LIFTED = {"MRASLA_DEPOSITS_PER_MINUTE": "1000000", "MRASLA_READS_PER_MINUTE": "1000000"}
OUT = Path(__file__).resolve().parent / "out"
TARGET = {"per_second": 40.0, "p95_ms": 400.0, "errors": 0}


def template_pdf(size: int = 100_000) -> bytes:
    """A valid one-page PDF of about ``size`` bytes: text plus an image of random pixels."""
    from fpdf import FPDF
    from PIL import Image

    rng = random.Random(7)
    side = int((size / 3) ** 0.5)
    img = Image.frombytes("RGB", (side, side), bytes(rng.getrandbits(8) for _ in range(side * side * 3)))
    pdf = FPDF()
    pdf.set_title(SERIAL)
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.multi_cell(0, 8, "Demande d'attestation administrative.\n" * 6)
    pdf.image(img, x=20, y=90, w=120)
    data = bytes(pdf.output())
    assert data.count(SERIAL.encode()) == 1, "the serial must appear once, uncompressed"
    return data


def unique_pdf(template: bytes, n: int) -> bytes:
    """The template with its serial replaced (same length: the cross-reference table stays valid)."""
    return template.replace(SERIAL.encode(), f"BENCH-{n:010d}".encode())


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    acknowledged: dict[str, dict] = field(default_factory=dict)  # idempotency key → 2xx body
    uploaded: dict[str, str] = field(default_factory=dict)  # idempotency key → SHA-256 of the PDF sent
    errors: list[str] = field(default_factory=list)
    administrations: list[str] = field(default_factory=list)  # codes, deposited to round robin


async def _deposit(
    client: httpx.AsyncClient, template: bytes, n: int, run: Run, measured: bool, due: float | None = None
) -> None:
    """One deposit; its latency counts from ``due`` (its scheduled time, paced runs) when given."""
    codes = run.administrations
    key, pdf = f"bench-{n}", unique_pdf(template, n)
    run.uploaded[key] = hashlib.sha256(pdf).hexdigest()
    t0 = due if due is not None else time.perf_counter()
    try:
        r = await client.post(
            "/api/v1/deposits",
            headers={"Idempotency-Key": key},
            data={
                "administration": codes[n % len(codes)],
                "full_name": "Salma Bennis",
                "id_kind": "CIN",
                "id_value": "AB123456",
                "email": f"citoyen{n}@example.ma",
                "phone": "0612345678",
                "subject": f"Demande d'attestation n° {n}",
                "message": "Veuillez trouver ci-joint ma demande.",
                "lang": "fr",
            },
            files={"files": ("demande.pdf", pdf, "application/pdf")},
        )
    except httpx.HTTPError as exc:
        run.errors.append(f"{key}: {type(exc).__name__} {exc}")
        return
    took = time.perf_counter() - t0
    if 200 <= r.status_code < 300:
        run.acknowledged[key] = r.json()
        if measured:
            run.latencies.append(took)
    else:
        run.errors.append(f"{key}: HTTP {r.status_code} {r.text[:200]}")


async def _paced_loop(base: str, clients: int, rate: float, seconds: float, one) -> tuple[float, int]:
    """Open loop: call ``i`` is due at ``start + i / rate`` and is sent by the first of ``clients`` free
    then; ``one(client, i, due)`` measures from ``due``, so time spent waiting for a free client counts
    (no coordinated omission). (elapsed, calls started)."""
    counter = iter(range(10**9))
    start = time.perf_counter()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def loop() -> None:
            while True:
                i = next(counter)
                due = start + i / rate
                if due >= start + seconds:
                    return
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                await one(client, i, due)

        await asyncio.gather(*(loop() for _ in range(clients)))
        return time.perf_counter() - start, next(counter)


async def _closed_loop(base: str, clients: int, seconds: float, one) -> tuple[float, int]:
    """``clients`` loops calling ``one(client, i)`` until ``seconds`` pass; (elapsed, calls started)."""
    counter = iter(range(10**9))
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def loop() -> None:
            while time.perf_counter() < stop:
                await one(client, next(counter))

        t0 = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(clients)))
        return time.perf_counter() - t0, next(counter)


def deposits(
    server: Server,
    clients: int,
    seconds: float,
    warmup: float,
    template: bytes,
    administrations: int,
    pyspy: bool = False,
    rate: float = 0.0,
) -> tuple[Run, dict]:
    """Warm-up, then the measured window: closed loop (each client deposits again as soon as answered), or
    paced at ``rate`` deposits/s over the same clients (``_paced_loop``)."""
    directory = httpx.get(f"{server.base_url}/api/v1/administrations", timeout=30).json()
    run = Run(administrations=sorted(a["code"] for a in directory)[: administrations or None])
    offset = 10**6 if server.topology == "pg-redis" else 0  # distinct files across topologies
    asyncio.run(
        _closed_loop(
            server.base_url, clients, warmup, lambda c, i: _deposit(c, template, offset + i, run, measured=False)
        )
    )
    warm_acks, warm_errors = len(run.acknowledged), len(run.errors)
    cpu0, server_cpu0, load0 = time.process_time(), server.cpu_seconds(), load()
    with sampled(server, f"deposit_pyspy_{server.topology}", OUT) if pyspy else nullcontext():
        first = offset + 10**5
        elapsed, _ = asyncio.run(
            _paced_loop(
                server.base_url,
                clients,
                rate,
                seconds,
                lambda c, i, due: _deposit(c, template, first + i, run, measured=True, due=due),
            )
            if rate
            else _closed_loop(
                server.base_url, clients, seconds, lambda c, i: _deposit(c, template, first + i, run, measured=True)
            )
        )
    measured_ok = len(run.acknowledged) - warm_acks
    return run, {
        **latency(run.latencies),
        "seconds": round(elapsed, 1),
        "acknowledged": measured_ok,
        "per_second": round(measured_ok / elapsed, 1),
        "errors": len(run.errors) - warm_errors,
        "warmup_acknowledged": warm_acks,
        "warmup_errors": warm_errors,
        "client_cpu_s": round(time.process_time() - cpu0, 1),
        "server_cpu_ms_per_deposit": round((server.cpu_seconds() - server_cpu0) * 1000 / max(1, measured_ok), 1),
        "load_before": load0,
        "load_after": load(),
        "server_rss_mb": round(server.rss_mb()),
        "error_samples": run.errors[:5],
        "administrations": run.administrations,
    }


def healthz(server: Server, clients: int, seconds: float) -> dict:
    samples: list[float] = []
    errors = 0

    async def one(client: httpx.AsyncClient, _i: int) -> None:
        nonlocal errors
        t0 = time.perf_counter()
        try:
            ok = (await client.get("/healthz")).status_code == 200
        except httpx.HTTPError:
            ok = False
        if ok:
            samples.append(time.perf_counter() - t0)
        else:
            errors += 1

    load0 = load()
    elapsed, _ = asyncio.run(_closed_loop(server.base_url, clients, seconds, one))
    return {
        **latency(samples),
        "seconds": round(elapsed, 1),
        "per_second": round(len(samples) / elapsed, 1),
        "errors": errors,
        "load_before": load0,
        "load_after": load(),
    }


def verify(server: Server, run: Run) -> dict:
    """Every acknowledged deposit whole, nothing else registered, gap-free numbers, fsck, sample receipts."""
    from sqlalchemy import func, select

    from mrasla_app import db
    from mrasla_app.models import Channel, Correspondence, Document, DocumentKind
    from mrasla_app.pki.validation import validate_pdf
    from mrasla_app.services.directory.accounts import hash_secret
    from mrasla_app.services.platform import storage

    problems: list[str] = []
    with pointed_at(server), db.read_session() as s:
        rows = {
            c.registry_number: c
            for c in s.execute(select(Correspondence).where(Correspondence.channel == Channel.portal)).scalars()
        }
        docs: dict[int, list[Document]] = {}
        for d in s.execute(select(Document)).scalars():
            docs.setdefault(d.correspondence_id, []).append(d)
        for key, body in run.acknowledged.items():
            corr = rows.get(body["registry_number"])
            if corr is None or corr.idempotency_key != hash_secret(key):  # keys are stored hashed
                problems.append(f"{body['registry_number']} ({key}) acknowledged but not registered")
                continue
            kinds = {d.kind: d for d in docs.get(corr.id, [])}
            att, rec = kinds.get(DocumentKind.attachment), kinds.get(DocumentKind.receipt)
            if att is None or att.sha256 != run.uploaded[key]:
                problems.append(f"{corr.registry_number}: attachment missing or not the file sent")
            if rec is None:
                problems.append(f"{corr.registry_number}: no receipt")
            for d in (att, rec):
                if d is not None and not (
                    storage.blob_path(d.sha256).exists()
                    and hashlib.sha256(storage.get(d.sha256)).hexdigest() == d.sha256
                ):
                    problems.append(f"{corr.registry_number}: blob {d.sha256[:12]} missing or altered")
        if len(rows) != len(run.acknowledged):
            problems.append(f"{len(rows)} portal deposits registered for {len(run.acknowledged)} acknowledged")
        counters = s.execute(
            select(
                Correspondence.administration_id,
                Correspondence.year,
                Correspondence.direction,
                func.count(),
                func.min(Correspondence.seq),
                func.max(Correspondence.seq),
            ).group_by(Correspondence.administration_id, Correspondence.year, Correspondence.direction)
        ).all()
        for adm, year, direction, n, lo, hi in counters:
            if (lo, hi) != (1, n):
                problems.append(f"administration {adm} {year} {direction}: {n} numbers spanning {lo}…{hi}")
        sample = [rows[b["registry_number"]] for b in list(run.acknowledged.values())[:: max(1, len(rows) // 5)]][:5]
        receipts = [
            next(d for d in docs[c.id] if d.kind == DocumentKind.receipt)
            for c in sample
            if c.id in docs and any(d.kind == DocumentKind.receipt for d in docs[c.id])
        ]
        valid = sum(bool(validate_pdf(storage.get(d.sha256)).authentic) for d in receipts)
    fsck = subprocess.run(
        [sys.executable, "-m", "mrasla_app.cli", "fsck"],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if fsck.returncode:
        problems.append(f"mrasla fsck: {fsck.stdout[-1000:]}")
    if valid != len(receipts):
        problems.append(f"only {valid} of {len(receipts)} sampled receipts validate")
    return {
        "registered": len(rows),
        "acknowledged": len(run.acknowledged),
        "numbering_groups": len(counters),
        "receipts_validated": f"{valid}/{len(receipts)}",
        "fsck": fsck.stdout.strip().splitlines()[-1:],
        "problems": problems[:20],
        "ok": not problems,
    }


def bench_topology(topology: str, args: argparse.Namespace, template: bytes) -> dict:
    quiet = load()  # before this topology's server starts: the machine's own load
    with prod_server(topology, "deposits", pg_url=args.pg, redis_url=args.redis, extra_env=LIFTED) as server:
        print(
            f"[{topology}] server up on {server.base_url} ({server.processes()} processes); "
            f"baseline GET /healthz for {args.baseline_seconds:.0f} s…",
            flush=True,
        )
        base = healthz(server, args.clients, args.baseline_seconds)
        print(f"[{topology}] deposits: warm-up {args.warmup:.0f} s, then {args.duration:.0f} s…", flush=True)
        run, dep = deposits(
            server, args.clients, args.duration, args.warmup, template, args.administrations, args.pyspy, args.rate
        )
        print(f"[{topology}] checking {len(run.acknowledged)} acknowledged deposits…", flush=True)
        check = verify(server, run)
        met = {
            "per_second": dep["per_second"] >= TARGET["per_second"],
            "p95": dep["p95_ms"] <= TARGET["p95_ms"],
            "zero_errors": dep["errors"] == 0 and dep["warmup_errors"] == 0,
            "all_present_gap_free": check["ok"],
        }
        return {
            "topology": topology,
            "workers": 2 if topology == "pg-redis" else 1,
            "load_before_server": quiet,
            "limits_lifted": server.lifted,
            "baseline_healthz": base,
            "deposits": dep,
            "check": check,
            "targets_met": met,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="measured seconds (default 60)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--warmup", type=float, default=5, help="unmeasured seconds first (default 5)")
    parser.add_argument("--baseline-seconds", type=float, default=10, help="GET /healthz seconds (default 10)")
    parser.add_argument(
        "--administrations",
        type=int,
        default=0,
        help="deposit to the first N administrations of the directory (default: all)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="offer this many deposits/s over the clients (open loop, latency from each deposit's due time) "
        "instead of the closed loop; 20 closed-loop clients at 40/s wait 500 ms on average (Little's law)",
    )
    parser.add_argument(
        "--pyspy",
        action="store_true",
        help="sample the server with py-spy during the measured deposits (flame graph and folded stacks in "
        "bench/out/deposit_pyspy_<topology>.*; sampling costs the server some CPU: not for the figures)",
    )
    add_topology_args(parser)
    args = parser.parse_args()

    template = template_pdf()
    result: dict = {
        "benchmark": "deposit_throughput",
        "machine": machine(),
        "load_at_start": load(),
        "clients": args.clients,
        "mode": f"paced at {args.rate:g}/s" if args.rate else "closed loop",
        "duration_s": args.duration,
        "pdf_bytes": len(template),
        "target": TARGET,
        "limits_lifted": LIFTED,
        "topologies": [],
    }
    print(
        f"{len(template) // 1000} KB PDF per deposit, {args.clients} clients ({result['mode']}), "
        f"{args.duration:.0f} s; "
        f"load {result['load_at_start']}, {result['machine']['cpus']} CPUs; lifted for the run: {LIFTED}"
    )
    result["topologies"] = each_topology(args, lambda topology: bench_topology(topology, args, template))

    print(
        f"\n{'topology':<10} {'what':<15} {'median ms':>10} {'p95 ms':>8} {'per s':>7} {'errors':>7} "
        f"{'load 1m':>8} {'RSS MB':>7} {'CPU ms':>7}  check"
    )
    for t in result["topologies"]:
        if "skipped" in t:
            print(f"{t['topology']:<10} skipped: {t['skipped']}")
            continue
        b, d = t["baseline_healthz"], t["deposits"]
        print(
            f"{t['topology']:<10} {'GET /healthz':<15} {b['median_ms']:>10.1f} {b['p95_ms']:>8.1f} "
            f"{b['per_second']:>7.1f} {b['errors']:>7} {b['load_before'][0]:>8.2f}"
        )
        print(
            f"{'':<10} {'POST deposits':<15} {d['median_ms']:>10.1f} {d['p95_ms']:>8.1f} {d['per_second']:>7.1f} "
            f"{d['errors']:>7} {d['load_before'][0]:>8.2f} {d['server_rss_mb']:>7} "
            f"{d['server_cpu_ms_per_deposit']:>7.1f}  "
            f"{'ok' if t['check']['ok'] else 'PROBLEMS'} ({t['check']['acknowledged']} acknowledged, "
            f"fsck {t['check']['fsck']})"
        )
        print(f"{'':<10} targets: {t['targets_met']}")
        for p in t["check"]["problems"]:
            print(f"{'':<10} PROBLEM: {p}")
        if args.pyspy:
            folded = OUT / f"deposit_pyspy_{t['topology']}.folded"
            print(f"{'':<10} py-spy, inclusive share of the server's samples ({folded}):")
            for share, function in hot_functions(folded):
                print(f"{'':<10} {share:>5.1f} %  {function}")
    OUT.mkdir(exist_ok=True)
    written = OUT / ("deposit_throughput_paced.json" if args.rate else "deposit_throughput.json")
    written.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(f"written {written}")


if __name__ == "__main__":
    main()
