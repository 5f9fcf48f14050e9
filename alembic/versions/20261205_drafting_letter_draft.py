"""letters drafted in the application: ``letter_draft`` (the source of a folder version's letter)

Revision ID: 3c7d1e9a5b21
Revises: 5b1e7c9d2a40
Create Date: 2026-12-05 03:10:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import mrasla_app.models.base

revision: str = "3c7d1e9a5b21"
down_revision: Union[str, None] = "5b1e7c9d2a40"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "letter_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("folder_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("place", sa.String(length=120), nullable=False),
        sa.Column("dated", sa.Date(), nullable=False),
        sa.Column("addressee", sa.String(length=1000), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("signatory_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", mrasla_app.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["folder_id"], ["folder.id"]),
        sa.ForeignKeyConstraint(["signatory_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("folder_id", "version", name="uq_letter_draft"),
    )
    op.create_index(op.f("ix_letter_draft_folder_id"), "letter_draft", ["folder_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_letter_draft_folder_id"), table_name="letter_draft")
    op.drop_table("letter_draft")
