"""Dates as people in Morocco read them: stored UTC, shown in Africa/Casablanca, day first."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from mrasla_app.settings import TIMEZONE


def local_dt(at: datetime | None) -> str:
    """``dd/mm/yyyy HH:MM`` in Africa/Casablanca (stored UTC)."""
    if at is None:
        return ""
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo("UTC"))
    return at.astimezone(ZoneInfo(TIMEZONE)).strftime("%d/%m/%Y %H:%M")


def local_day(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def today() -> date:
    return datetime.now(ZoneInfo(TIMEZONE)).date()
