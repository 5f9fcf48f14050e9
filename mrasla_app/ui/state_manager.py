"""Reflex's disk state manager (the embedded topology), purging expired states at a sane rate.

Reflex 0.10.1's ``StateManagerDisk`` writes each client's states to one file per substate and, after
every pass of its write queue, lists the whole states directory and stats each file to delete the
expired ones (``_purge_expired_states``). A pass runs each time a queued state becomes due, i.e. at
about the event rate: with 300 sessions (≈ 1,000 files) the listing took 22 % of the server's CPU
(py-spy, ``bench/concurrent_agents.py --pyspy``), more than the inbox's queries. States expire after
``token_expiration`` (30 minutes by default), so purging once a minute deletes the same files, at most
a minute later. The PostgreSQL + Redis topology is not concerned (Redis expires its keys itself).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from reflex.istate.manager.disk import StateManagerDisk

PURGE_EVERY_SECONDS = 60.0


def throttle_disk_purge(every: float = PURGE_EVERY_SECONDS) -> None:
    """Make ``StateManagerDisk`` purge its directory at most once per ``every`` seconds (idempotent).
    The first call of each manager (at its creation) purges as before."""
    original: Callable[[Any], None] | None = getattr(StateManagerDisk, "_purge_expired_states", None)
    if original is None or getattr(original, "throttled", False):
        return  # another Reflex without this method: nothing to throttle

    def purge(self: StateManagerDisk) -> None:
        now = time.monotonic()
        if now - getattr(self, "_mrasla_last_purge", -math.inf) < every:
            return
        self._mrasla_last_purge = now  # the manager is a plain dataclass: a new attribute is fine
        original(self)

    purge.throttled = True
    StateManagerDisk._purge_expired_states = purge  # type: ignore[method-assign]
