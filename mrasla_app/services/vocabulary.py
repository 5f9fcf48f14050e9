"""The domain's closed lists as the interfaces offer and label them: plain strings, in the models' order.

Pages fill their select options, badges and filters from these tuples (and name roles by these
strings) without importing the ORM models; the services take the same strings back and check them.
"""

from __future__ import annotations

import enum

from mrasla_app.models import (
    AdministrationKind,
    BatchStatus,
    Channel,
    Direction,
    FieldKind,
    FinalAction,
    Priority,
    RetentionStart,
    Role,
    Status,
    UnitLevel,
)
from mrasla_app.services.correspondence import registry


def _values(kind: type[enum.Enum]) -> tuple[str, ...]:
    return tuple(str(member.value) for member in kind)


ROLES = _values(Role)
STATUSES = _values(Status)
#: The statuses a depositor's tracking can show (those an incoming letter can reach).
TRACKED_STATUSES = tuple(s.value for s in registry.INCOMING_STATUSES)
PRIORITIES = _values(Priority)
DIRECTIONS = _values(Direction)
CHANNELS = _values(Channel)
ADMINISTRATION_KINDS = _values(AdministrationKind)
UNIT_LEVELS = _values(UnitLevel)
RETENTION_STARTS = _values(RetentionStart)
FINAL_ACTIONS = _values(FinalAction)
FIELD_KINDS = _values(FieldKind)
#: A scanned batch the worker has not finished splitting and reading yet.
BATCH_WORKING = (BatchStatus.uploaded.value, BatchStatus.processing.value)
