"""Column types and helpers shared by every table."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime
from sqlalchemy import Enum as SAEnum
from sqlalchemy.types import TypeDecorator

#: Largest primary key: ids are 32-bit integers on PostgreSQL (and a larger number overflows SQLite's).
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """Aware UTC now: the only clock the data model uses (display converts to Africa/Casablanca)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores UTC without zone (portable across SQLite and PostgreSQL), returns aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def enum_column(enum_cls: type, default=None, index: bool = False) -> Column:
    """A VARCHAR-backed enum column: new values need no ``ALTER TYPE`` on PostgreSQL."""
    return Column(
        SAEnum(enum_cls, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e]),
        nullable=False,
        default=default,
        index=index,
    )
