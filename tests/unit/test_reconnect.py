"""A tab that reconnects while its old socket is still being closed keeps its token, so its state
(the tracking code step, a deposit in progress); a duplicated tab still gets its own (ui/reconnect.py)."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from redis.asyncio import Redis
from reflex.utils.token_manager import LocalTokenManager, RedisTokenManager

from mrasla_app.ui import reconnect

REDIS_URL = os.environ.get("MRASLA_TEST_REDIS")


@pytest.fixture(autouse=True)
def _patched():
    import mrasla_app.mrasla_app  # noqa: F401  (the app applies the patch when imported)

    assert getattr(LocalTokenManager.link_token_to_sid, "awaits_handover", False)
    assert getattr(RedisTokenManager.link_token_to_sid, "awaits_handover", False)
    patched = LocalTokenManager.link_token_to_sid
    reconnect.keep_token_on_reconnect()  # idempotent: not wrapped twice
    assert LocalTokenManager.link_token_to_sid is patched


async def _close_later(manager: LocalTokenManager, token: str, sid: str, delay: float) -> None:
    await asyncio.sleep(delay)
    await manager.disconnect_token(token, sid)


def test_a_tab_reconnecting_before_its_old_socket_is_closed_keeps_its_token():
    async def run() -> None:
        manager = LocalTokenManager()
        assert await manager.link_token_to_sid("tab", "old-socket") is None
        closing = asyncio.create_task(_close_later(manager, "tab", "old-socket", 0.2))
        assert await manager.link_token_to_sid("tab", "new-socket") is None  # not a fresh, empty state
        await closing
        assert manager.token_to_socket["tab"].sid == "new-socket"
        assert manager.sid_to_token["new-socket"] == "tab"

    asyncio.run(run())


def test_a_duplicated_tab_gets_its_own_token_once_the_handover_time_is_out(monkeypatch):
    monkeypatch.setattr(reconnect, "HANDOVER_SECONDS", 0.1)

    async def run() -> None:
        manager = LocalTokenManager()
        await manager.link_token_to_sid("tab", "first-tab")
        fresh = await manager.link_token_to_sid("tab", "duplicate")
        assert fresh and fresh != "tab"
        assert manager.token_to_socket["tab"].sid == "first-tab"  # the first tab keeps its state
        assert manager.sid_to_token["duplicate"] == fresh

    asyncio.run(run())


@pytest.mark.skipif(not REDIS_URL, reason="MRASLA_TEST_REDIS not set (make test-pg sets it)")
def test_two_workers_a_tab_reconnecting_on_the_other_worker_keeps_its_token(monkeypatch):
    """The old socket is on worker A, the new one lands on worker B: B waits for A's delete in Redis."""
    monkeypatch.setattr(reconnect, "HANDOVER_SECONDS", 1.0)

    async def run() -> None:
        worker_a = RedisTokenManager(Redis.from_url(str(REDIS_URL)))
        worker_b = RedisTokenManager(Redis.from_url(str(REDIS_URL)))
        tab, duplicated = f"tab-{uuid.uuid4()}", f"tab-{uuid.uuid4()}"
        try:
            assert await worker_a.link_token_to_sid(tab, "old-socket") is None
            closing = asyncio.create_task(_close_later(worker_a, tab, "old-socket", 0.2))
            assert await worker_b.link_token_to_sid(tab, "new-socket") is None
            await closing
            assert await worker_b.redis.exists(worker_b._get_redis_key(tab))  # linked to B's socket now

            await worker_a.link_token_to_sid(duplicated, "first-tab")  # stays open: a duplicated tab
            fresh = await worker_b.link_token_to_sid(duplicated, "duplicate")
            assert fresh and fresh != duplicated
        finally:
            await worker_b.disconnect_token(tab, "new-socket")
            await worker_a.disconnect_token(duplicated, "first-tab")
            for manager in (worker_a, worker_b):
                for token, record in list(manager.token_to_socket.items()):
                    await manager.disconnect_token(token, record.sid)
                await manager.close()

    asyncio.run(run())
