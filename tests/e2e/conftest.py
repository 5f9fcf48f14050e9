"""Browser tests on the real production build: `reflex run --env prod` on a free port, with a
fresh data directory seeded with the demo directory, driven by Playwright + Debian Chromium."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("MRASLA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "Mrasla@2026"
# Assertions wait up to 15 s (Playwright's default is 5 s), as long as a socket's (re)connection and first state
# can take on a loaded 2-core CI host running two workers, PostgreSQL and Redis: a page that is right passes as
# soon as it is (no run is slower), one that is wrong still fails. Actions wait 20 s (``new_page``).
expect.set_options(timeout=15_000)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 820, "height": 1180}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env(data_dir: Path, port: int) -> dict[str, str]:
    """A clean environment; ``MRASLA_TEST_PG`` / ``MRASLA_TEST_REDIS`` switch the server to the production
    topology (a fresh PostgreSQL database, Reflex state in Redis, two workers)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MRASLA_", "REFLEX_"))}
    if os.environ.get("MRASLA_TEST_PG"):
        from tests.conftest import _pg_clone

        env["MRASLA_DATABASE_URL"] = _pg_clone("", "mrasla_e2e")
    if os.environ.get("MRASLA_TEST_REDIS"):
        env.update(REFLEX_REDIS_URL=os.environ["MRASLA_TEST_REDIS"], GRANIAN_WORKERS="2")
    env.update(
        MRASLA_DATA_DIR=str(data_dir),
        MRASLA_PUBLIC_URL=f"http://localhost:{port}",
        MRASLA_LOGINS_PER_MINUTE="1000",  # every browser test logs in from 127.0.0.1
        MRASLA_UPLOADS_PER_MINUTE="1000",  # and uploads from there too
        REFLEX_USE_SYSTEM_BUN="1",
        REFLEX_TELEMETRY_ENABLED="false",
        PATH=f"{ROOT / '.tools' / 'node_modules' / '.bin'}:{Path(sys.executable).parent}:{env.get('PATH', '')}",
    )
    return env


@contextmanager
def running_server(data_dir: Path, port: int, env: dict[str, str], *, ready: str = "/") -> Iterator[subprocess.Popen]:
    """Seed ``data_dir``, serve the prod build on ``port`` (log in ``data_dir/server.log``) until ``/ping``
    and ``ready`` answer, and stop the whole process group afterwards. The browser suite and the load
    benchmarks (``bench/loadserver.py``) start their servers here."""
    subprocess.run([sys.executable, "-m", "mrasla_app.cli", "seed", "--quiet"], cwd=ROOT, env=env, check=True)
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reflex",
                "run",
                "--env",
                "prod",
                "--frontend-port",
                str(port),
                "--backend-port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://localhost:{port}"
    deadline = time.monotonic() + 600
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {log_path.read_text()[-3000:]}")
            try:
                if (
                    httpx.get(f"{base}/ping", timeout=2).status_code == 200
                    and httpx.get(f"{base}{ready}", timeout=5).status_code == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start in 600 s")
            time.sleep(1)
        yield proc
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """The built app, serving on one port; yields base_url, data_dir, env and pid (its process group)."""
    data_dir = tmp_path_factory.mktemp("data")
    port = _free_port()
    env = _server_env(data_dir, port)
    with running_server(data_dir, port, env) as proc:
        yield {"base_url": f"http://localhost:{port}", "data_dir": data_dir, "env": env, "pid": proc.pid}


@pytest.fixture(scope="session")
def base_url(server: dict[str, object]) -> str:
    return str(server["base_url"])


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """One Playwright driver per session (a second one in the same thread is refused)."""
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()


def new_page(browser: Browser, viewport: dict[str, int], *, lang: str | None = None) -> Page:
    """A fresh context (no cookies, empty storage) with ``viewport``; ``lang`` preselects the UI language."""
    ctx = browser.new_context(viewport=viewport, locale="fr-FR")
    if lang:
        ctx.add_init_script(
            f"window.localStorage.getItem('mrasla_lang') || window.localStorage.setItem('mrasla_lang', '{lang}')"
        )
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    return page


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    p = new_page(browser, DESKTOP)
    yield p
    p.context.close()
