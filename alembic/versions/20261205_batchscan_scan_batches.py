"""batch scanning: ``scan_batch`` (a scanned stack) and ``batch_letter`` (its letters awaiting confirmation)

Revision ID: 6d2b9f4e1a70
Revises: 3c8e2f6a9d11
Create Date: 2026-12-05 07:00:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import mrasla_app.models.base

revision: str = "6d2b9f4e1a70"
down_revision: Union[str, None] = "3c8e2f6a9d11"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "scan_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "uploaded", "processing", "ready", "failed", "closed", name="batchstatus", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("stack_sha256", sa.String(length=64), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("pages_done", sa.Integer(), nullable=False),
        sa.Column("separators", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=80), nullable=False),
        sa.Column("type_code", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", mrasla_app.models.base.UTCDateTime(), nullable=False),
        sa.Column("claimed_at", mrasla_app.models.base.UTCDateTime(), nullable=True),
        sa.Column("closed_at", mrasla_app.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["administration_id"], ["administration.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_scan_batch_admin_status", "scan_batch", ["administration_id", "status", "id"], unique=False)
    op.create_table(
        "batch_letter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "ready", "confirmed", "discarded", name="letterstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("first_page", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("preview_sha256", sa.String(length=64), nullable=False),
        sa.Column("type_code", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("proposal", sa.Text(), nullable=False),
        sa.Column("correspondence_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", mrasla_app.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["scan_batch.id"]),
        sa.ForeignKeyConstraint(["correspondence_id"], ["correspondence.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("batch_id", "position", name="uq_batch_letter"),
    )
    op.create_index(op.f("ix_batch_letter_batch_id"), "batch_letter", ["batch_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_batch_letter_batch_id"), table_name="batch_letter")
    op.drop_table("batch_letter")
    op.drop_index("ix_scan_batch_admin_status", table_name="scan_batch")
    op.drop_table("scan_batch")
