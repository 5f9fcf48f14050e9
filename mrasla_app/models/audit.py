"""Append-only audit trail, hash-chained per chain (one chain per administration + a platform one).

Per-administration chains keep writers of different administrations from contending on one row,
while each chain stays strictly linear (``AuditHead`` is locked in the writing transaction).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from mrasla_app.models.base import UTCDateTime, utcnow


class AuditHead(SQLModel, table=True):
    __tablename__ = "audit_head"

    chain: str = Field(primary_key=True, max_length=32)
    seq: int = Field(default=0)
    hash: str = Field(default="0" * 64, max_length=64)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("chain", "seq", name="uq_audit_chain_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    chain: str = Field(max_length=32, index=True)
    seq: int
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    actor_id: int | None = Field(default=None, index=True)
    actor_label: str = Field(default="", max_length=255)
    action: str = Field(max_length=64, index=True)
    object_type: str = Field(default="", max_length=32)
    object_id: str = Field(default="", max_length=64, index=True)
    administration_id: int | None = Field(default=None, index=True)
    data: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
