"""A tab that reconnects keeps its session state, even when its old socket is still being closed.

Reflex 0.10.1 names a browser tab by a token (kept in ``sessionStorage``) and keys the tab's state by
it. When a socket connects with a token that is still linked to another socket, Reflex takes it for a
duplicated tab and hands the new socket a fresh token: an empty state. But a tab that comes back from
the mail app (``pagehide`` closes its socket, ``visibilitychange`` opens a new one) or reloads
connects again at once, while its old socket's disconnect is still being handled; with several
workers that happens on another process, which deletes the link in Redis a moment later. On a loaded
machine the new socket sometimes arrived first (1 reconnect in 60 measured with the CPU busy), and the
citizen who had asked for a tracking code found the page back at step 1, their code refused.

So before the duplicate check, a connecting socket waits (at most ``HANDOVER_SECONDS``) for another
socket's link to its token to go away. A reconnecting tab then keeps its token and its state; a
really duplicated tab, whose first socket stays, waits that long and gets its own token, as before.
A socket that died without closing (a network change) stays linked until Reflex's ping timeout, so
that case keeps Reflex's behaviour.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from reflex.utils.token_manager import LocalTokenManager, RedisTokenManager

HANDOVER_SECONDS = 3.0
POLL_SECONDS = 0.02

Link = Callable[[LocalTokenManager, str, str], Awaitable[str | None]]


async def linked_elsewhere(manager: LocalTokenManager, token: str, sid: str) -> bool:
    """``token`` is linked to a socket other than ``sid``: in Redis for every worker, else in this process."""
    if isinstance(manager, RedisTokenManager):
        try:
            return bool(await manager.redis.exists(manager._get_redis_key(token)))
        except Exception:  # Redis down: Reflex's own link falls back to the local maps and logs it
            return False
    record = manager.token_to_socket.get(token)
    return record is not None and record.sid != sid


async def await_handover(manager: LocalTokenManager, token: str, sid: str, within: float) -> None:
    """Wait until no other socket holds ``token``, or ``within`` seconds have passed."""
    deadline = time.monotonic() + within
    while await linked_elsewhere(manager, token, sid) and time.monotonic() < deadline:
        await asyncio.sleep(POLL_SECONDS)


def _waiting(link: Link) -> Link:
    async def link_token_to_sid(self: LocalTokenManager, token: str, sid: str) -> str | None:
        await await_handover(self, token, sid, HANDOVER_SECONDS)
        return await link(self, token, sid)

    link_token_to_sid.awaits_handover = True
    return link_token_to_sid


def keep_token_on_reconnect() -> None:
    """Make Reflex's token managers wait for a closing socket before calling a token duplicated (idempotent)."""
    for cls in (LocalTokenManager, RedisTokenManager):
        link = cls.__dict__.get("link_token_to_sid")
        if link is not None and not getattr(link, "awaits_handover", False):
            cls.link_token_to_sid = _waiting(link)  # type: ignore[method-assign,assignment]  # each class its own
