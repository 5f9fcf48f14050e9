"""Shared by the load benchmarks (2: deposit throughput, 4: concurrent agents): a production server
started the way the browser suite starts it (``tests/e2e/conftest.py``), in one of two topologies,
plus latency statistics and the machine's load.

- ``embedded``: the default — SQLite in the data directory, Reflex state on disk, one worker;
- ``pg-redis``: a fresh PostgreSQL database ``benchload_<name>`` (dropped and created), Reflex state in
  Redis (a DB index other than the test suite's 3, flushed first) and ``GRANIAN_WORKERS=2``.

The data directory is seeded with ``mrasla seed --quiet`` (demo directory and accounts); the server is
``reflex run --env prod`` on one free port, stopped with its process group.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import _free_port, _server_env, running_server  # noqa: E402

TOPOLOGIES = ("embedded", "pg-redis")


@dataclass
class Server:
    topology: str
    base_url: str
    data_dir: Path
    env: dict[str, str]
    proc: subprocess.Popen
    lifted: dict[str, str] = field(default_factory=dict)  # limits lifted for the benchmark

    def _tree_sum(self, measure) -> float:
        import psutil

        try:
            root = psutil.Process(self.proc.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0.0
        total = 0.0
        for p in procs:
            try:
                total += measure(p)
            except psutil.NoSuchProcess:
                pass
        return total

    def rss_mb(self) -> float:
        """Resident memory of the whole server process tree (supervisor, workers, anything they run)."""
        return self._tree_sum(lambda p: p.memory_info().rss) / 2**20

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the live server processes."""
        return self._tree_sum(lambda p: sum(p.cpu_times()[:2]))

    def processes(self) -> int:
        import psutil

        return 1 + len(psutil.Process(self.proc.pid).children(recursive=True))


def available(pg_url: str | None, redis_url: str | None) -> str:
    """Why the PostgreSQL + Redis topology cannot run here ('' when both answer)."""
    if not pg_url or not redis_url:
        return "no --pg / --redis given"
    try:
        import psycopg
        import redis

        with psycopg.connect(_libpq(pg_url, "postgres"), connect_timeout=3):
            pass
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not available", said in the output
        return f"{type(exc).__name__}: {exc}"
    return ""


def add_topology_args(parser: argparse.ArgumentParser) -> None:
    """The options both load benchmarks take to choose their topologies."""
    parser.add_argument("--pg", default="", help="PostgreSQL base URL (postgresql+psycopg://user@host:port)")
    parser.add_argument("--redis", default="", help="Redis URL for Reflex state (not DB 3, the tests')")
    parser.add_argument("--only", choices=TOPOLOGIES, help="run one topology")


def each_topology(args: argparse.Namespace, bench: Callable[[str], dict]) -> list[dict]:
    """``bench(topology)`` for each topology chosen by ``args``; one PostgreSQL + Redis cannot reach is
    recorded as skipped, with the reason."""
    results = []
    for topology in TOPOLOGIES:
        if args.only and topology != args.only:
            continue
        why = available(args.pg, args.redis) if topology == "pg-redis" else ""
        if why:
            print(f"[{topology}] skipped: {why}")
            results.append({"topology": topology, "skipped": why})
            continue
        results.append(bench(topology))
    return results


def _libpq(url: str, db: str) -> str:
    """``postgresql+psycopg://user@host:port`` → a libpq URL for database ``db``."""
    return url.replace("postgresql+psycopg://", "postgresql://").rstrip("/") + f"/{db}"


def _fresh_pg(pg_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(_libpq(pg_url, "postgres"), autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{name}"')
    return f"{pg_url.rstrip('/')}/{name}"


@contextmanager
def prod_server(
    topology: str, name: str, *, pg_url: str = "", redis_url: str = "", extra_env: dict[str, str] | None = None
) -> Iterator[Server]:
    """A seeded prod server for ``topology``; ``name`` labels its data directory and PG database."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"benchload-{name}-{topology}-"))
    port = _free_port()
    saved = {k: os.environ.pop(k) for k in ("MRASLA_TEST_PG", "MRASLA_TEST_REDIS") if k in os.environ}
    try:
        env = _server_env(data_dir, port)  # the browser suite's clean environment, embedded topology
    finally:
        os.environ.update(saved)
    if topology == "pg-redis":
        import redis

        env["MRASLA_DATABASE_URL"] = _fresh_pg(pg_url, f"benchload_{name}")
        redis.Redis.from_url(redis_url).flushdb()
        env.update(REFLEX_REDIS_URL=redis_url, GRANIAN_WORKERS="2")
    env.update(extra_env or {})
    with running_server(data_dir, port, env, ready="/healthz") as proc:
        yield Server(
            topology,
            f"http://127.0.0.1:{port}",
            data_dir,
            env,
            proc,
            {k: v for k, v in (extra_env or {}).items() if k.endswith("_PER_MINUTE")},
        )


@contextmanager
def pointed_at(server: Server) -> Iterator[None]:
    """Point this process's ``mrasla_app`` (settings, engines) at the server's database and data directory."""
    from mrasla_app import db
    from mrasla_app.pki import ca
    from mrasla_app.settings import get_settings

    keys = ("MRASLA_DATA_DIR", "MRASLA_DATABASE_URL", "MRASLA_PUBLIC_URL")
    saved = {k: os.environ.get(k) for k in keys}
    for k in keys:
        os.environ.pop(k, None)
        if k in server.env:
            os.environ[k] = server.env[k]
    get_settings.cache_clear()
    db.reset_engines()
    ca.clear_cache()  # the PKI of the server's data directory, not of a previous one
    try:
        yield
    finally:
        db.reset_engines()
        ca.clear_cache()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()


@contextmanager
def sampled(server: Server, label: str, out: Path) -> Iterator[None]:
    """Sample every server process with py-spy (``--pyspy``) while the block runs: a flame graph
    ``<label>.svg`` and folded stacks ``<label>.folded`` in ``out``, summarised by ``hot_functions``.
    py-spy samples from outside (no profiler inside the server changing what it measures)."""
    import shutil

    import psutil

    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    pid = psutil.Process(server.proc.pid).pid
    out.mkdir(exist_ok=True)
    common = [spy, "record", "--pid", str(pid), "--subprocesses", "--rate", "200", "--nonblocking", "--gil"]
    procs = [
        subprocess.Popen([*common, "--format", fmt, "-o", str(out / f"{label}.{ext}")], stdout=subprocess.DEVNULL)
        for fmt, ext in (("flamegraph", "svg"), ("raw", "folded"))
    ]
    try:
        yield
    finally:
        for p in procs:
            p.send_signal(2)  # SIGINT: py-spy writes its output and exits
        for p in procs:
            p.wait(timeout=60)


def hot_functions(folded: Path, top: int = 40) -> list[tuple[float, str]]:
    """(share of samples in %, function) by inclusive samples, from py-spy's folded stacks: each
    function counted once per stack it appears in."""
    from collections import Counter

    inclusive: Counter[str] = Counter()
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        count = int(n)
        total += count
        for frame in set(stack.split(";")):
            inclusive[frame] += count
    return [(round(100 * n / max(1, total), 1), f) for f, n in inclusive.most_common(top)]


def latency(samples: list[float]) -> dict[str, float]:
    """Median, p95 and max in milliseconds of ``samples`` (seconds); zeros when empty."""
    if not samples:
        return {"count": 0, "median_ms": 0.0, "p95_ms": 0.0, "max_ms": 0.0}
    ordered = sorted(samples)
    return {
        "count": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def machine() -> dict[str, object]:
    return {
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def load() -> list[float]:
    """1, 5 and 15 minute load averages (the machine is shared: figures are read against them)."""
    return [round(x, 2) for x in os.getloadavg()]
