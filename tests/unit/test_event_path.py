"""The Reflex event path's costs that are ours to keep small (issue 19: server CPU per event)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from types import SimpleNamespace

from reflex.istate.manager.disk import StateManagerDisk

from mrasla_app.ui import state_manager


def _expired(path) -> None:
    path.write_bytes(b"")
    os.utime(path, (0, 0))


def test_the_disk_state_manager_purges_its_directory_at_most_once_a_minute(tmp_path, monkeypatch):
    import mrasla_app.mrasla_app  # noqa: F401  (the app applies the throttle when imported)

    assert getattr(StateManagerDisk._purge_expired_states, "throttled", False)
    state_manager.throttle_disk_purge()  # idempotent: not wrapped twice
    manager = SimpleNamespace(states_directory=tmp_path, token_expiration=1800)
    first = tmp_path / "first.pkl"
    _expired(first)
    StateManagerDisk._purge_expired_states(manager)  # type: ignore[arg-type]
    assert not first.exists()  # the first purge (at the manager's creation) runs as before

    second = tmp_path / "second.pkl"
    _expired(second)
    StateManagerDisk._purge_expired_states(manager)  # type: ignore[arg-type]
    assert second.exists()  # within the minute: the directory is not listed again

    now = time.monotonic()
    monkeypatch.setattr(state_manager.time, "monotonic", lambda: now + state_manager.PURGE_EVERY_SECONDS + 1)
    StateManagerDisk._purge_expired_states(manager)  # type: ignore[arg-type]
    assert not second.exists()


def _page_state(cls, token: str, path: str):
    """``cls``'s instance in a fresh state tree, with the session cookie and ``path`` in its router."""
    from reflex.istate.data import RouterData

    import mrasla_app.mrasla_app  # noqa: F401  (registers the pages' states)

    root = cls.get_root_state()(_reflex_internal_init=True)
    parts = cls.get_full_name().split(".")[1:]
    router = RouterData.from_router_data(
        {
            "headers": {"cookie": f"mrasla_session={token}"},
            "pathname": path,
            "asPath": path,
            "query": {},
            "ip": "127.0.0.1",
            "token": "t",
            "sid": "s",
        }
    )
    for i in range(len(parts) + 1):
        (root.get_substate(parts[:i]) if i else root).router = router
    return root, root.get_substate(parts)


async def _open_letter(token: str | None, path: str):
    """MailState.on_load with the dispatch and sending panels left open by a previous letter."""
    from mrasla_app.ui.components.dispatch import DispatchState
    from mrasla_app.ui.components.sending import SendState
    from mrasla_app.ui.pages.mail import MailState

    root, mail = _page_state(MailState, token or "", path)
    dispatching = root.get_substate(DispatchState.get_full_name().split(".")[1:])
    sending = root.get_substate(SendState.get_full_name().split(".")[1:])
    dispatching.d_open, dispatching.d_number = True, "MEF-2026-000001"
    sending.s_open, sending.s_sent = True, "MEF-2026-000002"
    chained = await MailState.event_handlers["on_load"].fn(mail)
    return mail, dispatching, sending, chained


def test_opening_a_letter_closes_the_previous_panels_in_the_same_event(seeded):
    """The page's ``on_load`` closes the re-dispatch and sending panels itself (they were two chained
    events per letter opened); the letter is shown as before, and a signed-out visitor is redirected."""
    import asyncio

    from sqlalchemy import select

    from mrasla_app import db
    from mrasla_app.models import Correspondence
    from tests.unit.test_accounts import exchange, login
    from tests.unit.test_query_counts import AGENT, add_mail

    add_mail(seeded, 1, 0)
    with db.read_session() as s:
        letter = s.execute(select(Correspondence.id).where(Correspondence.action_unit_id.is_not(None))).scalar()
    token = exchange(login(email=AGENT, password="Mrasla@2026"))
    mail, dispatching, sending, chained = asyncio.run(_open_letter(token, f"/mail/{letter}"))
    assert chained is None
    assert mail.loaded and mail.found and mail.m.id == str(letter)
    assert not dispatching.d_open and dispatching.d_number == ""
    assert not sending.s_open and sending.s_sent == ""

    mail, dispatching, sending, chained = asyncio.run(_open_letter(None, f"/mail/{letter}"))
    assert "/login" in str(chained) and not mail.found and mail.m.id == ""
    assert not dispatching.d_open and not sending.s_open


def test_an_inbox_event_leaves_the_unchanged_session_state_alone(seeded):
    """The signed-in user's header vars and the cleared messages are set on every event; unchanged, they
    stay out of the delta and the session state is not written back (one state write fewer per event)."""
    from mrasla_app.ui.pages.inbox import InboxState
    from mrasla_app.ui.state import SessionState
    from tests.unit.test_accounts import exchange, login
    from tests.unit.test_query_counts import AGENT, add_mail

    add_mail(seeded, 2, 0)
    token = exchange(login(email=AGENT, password="Mrasla@2026"))
    root, inbox = _page_state(InboxState, token, "/inbox")
    session = root.get_substate(SessionState.get_full_name().split(".")[1:])
    InboxState.event_handlers["on_load"].fn(inbox)
    assert session.logged_in and session.user_email == AGENT and "inbox" in session.nav_pages
    assert session._was_touched

    for handler in ("on_load", "refresh"):
        root._clean()
        session._was_touched = False
        InboxState.event_handlers[handler].fn(inbox)
        delta = root.get_delta()
        assert SessionState.get_full_name() not in delta, handler
        assert not session._was_touched, handler
        assert inbox.loaded and inbox.rows  # the page's own data is sent as before
        assert "rows_rx_state_" in delta[InboxState.get_full_name()]

    session.error_fr = "refusé"  # a message shown before: cleared (and sent) by the next page load
    root._clean()
    InboxState.event_handlers["on_load"].fn(inbox)
    assert session.error_fr == "" and root.get_delta()[SessionState.get_full_name()] == {"error_fr_rx_state_": ""}


def _oplock_after_rxconfig(env: dict[str, str]) -> str:
    """REFLEX_OPLOCK_ENABLED as a server sees it once ``rxconfig`` is loaded with ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REFLEX_")}
    code = "import rxconfig, os; print(os.environ.get('REFLEX_OPLOCK_ENABLED', ''))"
    done = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_redis_sessions_use_reflex_leases_unless_turned_off():
    """With Reflex's state in Redis a worker keeps a session's lease between its events (a navigation's two events
    load, lock and save the state once); ``make test-pg`` runs the browser suite that way."""
    assert _oplock_after_rxconfig({"REFLEX_REDIS_URL": "redis://127.0.0.1:6379/0"}) == "true"
    assert _oplock_after_rxconfig({"REFLEX_REDIS_URL": "redis://x", "REFLEX_OPLOCK_ENABLED": "false"}) == "false"
    assert _oplock_after_rxconfig({}) == ""  # embedded: no Redis, nothing to lease
