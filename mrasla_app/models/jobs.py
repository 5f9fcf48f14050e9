"""Background job runs: one row per (job, due period) makes a run happen once across all workers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from mrasla_app.models.base import UTCDateTime, utcnow


class JobRun(SQLModel, table=True):
    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "period", name="uq_job_period"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=40)
    period: str = Field(max_length=40)  # e.g. "2026-11-25" for a daily job, "2026-11-25T10:05" per minute
    started_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    worker: str = Field(default="", max_length=80)
    result: str = Field(default="", max_length=255)
