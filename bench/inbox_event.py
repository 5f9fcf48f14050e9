"""Inbox event (issue 19): the database and service work of an agent's websocket events, measured in one process.

What ``InboxState.refresh`` / ``on_load`` and ``MailState.on_load`` do besides Reflex's own work (state load,
lock, delta, save: ``bench/concurrent_agents.py`` measures the whole event on a production server): resolve the
actor from the session cookie, then, in the same read session, the inbox's counts, its first page and the
administration's holidays (an inbox event), or a letter's view and the holidays (opening a letter). The data is
the agents benchmark's: the demo directory seeded (``mrasla seed``) and ``--items`` letters per administration
deposited, three quarters dispatched to the agents' units (``concurrent_agents.populate_here``); each demo
account with an inbox gets a session. SQLite in a fresh data directory, or ``--pg URL`` (a fresh database).

Measured: process CPU time (``time.process_time()``) per event over ``--events`` events after a warm-up, per
account. Before/after: run it on the parent commit and on the branch (``git worktree``), same machine, alternated.
Usage: ``python bench/inbox_event.py [--items 40] [--events 2000] [--pg URL]``; prints a table and writes
``bench/out/inbox_event.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.concurrent_agents import ACCOUNTS, populate_here  # noqa: E402
from bench.loadserver import ROOT, _fresh_pg, load, machine  # noqa: E402


def _sessions() -> dict[str, str]:
    """A session cookie for each demo account with an inbox (``ACCOUNTS``)."""
    from sqlalchemy import select

    from mrasla_app import db
    from mrasla_app.models import User, UserSession
    from mrasla_app.models.base import utcnow
    from mrasla_app.services.directory.accounts import hash_secret

    tokens = {}
    with db.write_session() as s:
        for account in ACCOUNTS:
            user = s.execute(select(User).where(User.email == f"{account}@mrasla.ma")).scalar_one()
            tokens[account] = secrets.token_urlsafe(32)
            s.add(
                UserSession(
                    user_id=user.id,
                    token_hash=hash_secret(tokens[account]),
                    expires_at=utcnow() + timedelta(hours=2),
                    created_at=utcnow(),
                )
            )
    return tokens


def _inbox_event(token: str) -> int:
    """An inbox load or refresh: the actor, the counts, the first page and the holidays in one read."""
    from mrasla_app import db
    from mrasla_app.services.correspondence import inbox
    from mrasla_app.services.directory import accounts
    from mrasla_app.ui.components.mail import holidays

    with db.read_session() as s:
        actor = accounts.actor_from_token(s, token)
        assert actor is not None
        inbox.counts(s, actor)
        rows, _cursor = inbox.page(s, actor, inbox.InboxFilter(), after="", limit=25)
        holidays(s, actor.administration_id)
    return rows[0].id if rows else 0


def _letter_event(token: str, letter_id: int) -> None:
    """Opening a letter: the actor, the letter's view and the holidays in one read."""
    from mrasla_app import db
    from mrasla_app.services.correspondence import views
    from mrasla_app.services.directory import accounts
    from mrasla_app.ui.components.mail import holidays

    with db.read_session() as s:
        actor = accounts.actor_from_token(s, token)
        assert actor is not None
        view = views.letter_view(s, actor, letter_id)
        holidays(s, view.corr.administration_id)


def _cpu_ms(run, events: int) -> float:
    for _ in range(max(20, events // 10)):
        run()
    started = time.process_time()
    for _ in range(events):
        run()
    return (time.process_time() - started) * 1000 / events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=40, help="letters per administration (default 40)")
    parser.add_argument("--events", type=int, default=2000, help="measured events per account and kind (default 2000)")
    parser.add_argument("--pg", default="", help="PostgreSQL server URL (postgresql+psycopg://user@host:port)")
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="mrasla-inbox-event-")
    os.environ["MRASLA_DATA_DIR"] = data
    if args.pg:
        os.environ["MRASLA_DATABASE_URL"] = _fresh_pg(args.pg, "bench_inbox_event")
    subprocess.run([sys.executable, "-m", "mrasla_app.cli", "seed", "--quiet"], check=True, env=os.environ)
    letters = populate_here(args.items)
    tokens = _sessions()
    result: dict = {
        "benchmark": "inbox_event",
        "machine": machine(),
        "database": "postgresql" if args.pg else "sqlite",
        "letters": letters,
        "load_before": load(),
        "cpu_ms_per_event": {},
    }
    print(f"{'account':<12} {'inbox event ms':>15} {'open a letter ms':>17}")
    for account, token in tokens.items():
        letter = _inbox_event(token)
        inbox_ms = _cpu_ms(lambda token=token: _inbox_event(token), args.events)
        letter_ms = (
            _cpu_ms(lambda token=token, letter=letter: _letter_event(token, letter), args.events) if letter else 0.0
        )
        result["cpu_ms_per_event"][account] = {"inbox": round(inbox_ms, 3), "letter": round(letter_ms, 3)}
        print(f"{account:<12} {inbox_ms:>15.2f} {letter_ms:>17.2f}")
    result["load_after"] = load()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "inbox_event.json").write_text(json.dumps(result, indent=1))
    print(f"load {result['load_before']} -> {result['load_after']}; written {out / 'inbox_event.json'}")


if __name__ == "__main__":
    main()
