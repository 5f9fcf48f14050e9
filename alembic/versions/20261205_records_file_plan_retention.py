"""records management: file plan, document types (retention rules), tags, custom fields, letters'
classification and disposals (SEDA transfers, destructions)

Revision ID: 4a1f7c3e9b20
Revises: 9d4b7e2a1c55
Create Date: 2026-12-05 07:00:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import mrasla_app.models.base

revision: str = "4a1f7c3e9b20"
down_revision: Union[str, None] = "9d4b7e2a1c55"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _enum(*values: str) -> sa.Enum:
    return sa.Enum(*values, native_enum=False, length=24)


def upgrade() -> None:
    op.create_table(
        "file_plan_node",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("administration_id", sa.Integer(), sa.ForeignKey("administration.id"), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("file_plan_node.id"), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_ar", sa.String(length=255), nullable=False),
        sa.Column("name_fr", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("administration_id", "code", name="uq_file_plan_code"),
    )
    op.create_index("ix_file_plan_node_administration_id", "file_plan_node", ["administration_id"])
    op.create_index("ix_file_plan_node_parent_id", "file_plan_node", ["parent_id"])
    op.create_table(
        "document_type",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("administration_id", sa.Integer(), sa.ForeignKey("administration.id"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_ar", sa.String(length=255), nullable=False),
        sa.Column("name_fr", sa.String(length=255), nullable=False),
        sa.Column("retention_years", sa.Integer(), nullable=False),
        sa.Column("retention_months", sa.Integer(), nullable=False),
        sa.Column("retention_start", _enum("registered", "closed"), nullable=False),
        sa.Column("final_action", _enum("destroy", "transfer", "review"), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("administration_id", "code", name="uq_document_type_code"),
    )
    op.create_index("ix_document_type_administration_id", "document_type", ["administration_id"])
    op.create_table(
        "tag",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("administration_id", sa.Integer(), sa.ForeignKey("administration.id"), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.UniqueConstraint("administration_id", "label", name="uq_tag_label"),
    )
    op.create_index("ix_tag_administration_id", "tag", ["administration_id"])
    op.create_table(
        "custom_field",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("administration_id", sa.Integer(), sa.ForeignKey("administration.id"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_ar", sa.String(length=255), nullable=False),
        sa.Column("name_fr", sa.String(length=255), nullable=False),
        sa.Column("kind", _enum("text", "number", "date", "choice"), nullable=False),
        sa.Column("choices", sa.Text(), nullable=False),
        sa.UniqueConstraint("administration_id", "code", name="uq_custom_field_code"),
    )
    op.create_index("ix_custom_field_administration_id", "custom_field", ["administration_id"])
    op.create_table(
        "disposal",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("administration_id", sa.Integer(), sa.ForeignKey("administration.id"), nullable=False),
        sa.Column("kind", _enum("transfer", "destruction"), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False, unique=True),
        sa.Column("package_sha256", sa.String(length=64), nullable=False),
        sa.Column("certificate_sha256", sa.String(length=64), nullable=False),
        sa.Column("acknowledgement", sa.String(length=255), nullable=False),
        sa.Column("decided_by", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("created_at", mrasla_app.models.base.UTCDateTime(), nullable=False),
        sa.Column("completed_at", mrasla_app.models.base.UTCDateTime(), nullable=True),
    )
    op.create_index("ix_disposal_administration_id", "disposal", ["administration_id"])
    op.create_table(
        "record_info",
        sa.Column("correspondence_id", sa.Integer(), sa.ForeignKey("correspondence.id"), primary_key=True),
        sa.Column("administration_id", sa.Integer(), sa.ForeignKey("administration.id"), nullable=False),
        sa.Column("file_plan_node_id", sa.Integer(), sa.ForeignKey("file_plan_node.id"), nullable=True),
        sa.Column("document_type_id", sa.Integer(), sa.ForeignKey("document_type.id"), nullable=True),
        sa.Column("retention_due_on", sa.Date(), nullable=True),
        sa.Column(
            "disposal_status", _enum("active", "due", "transfer_pending", "transferred", "destroyed"), nullable=False
        ),
        sa.Column("disposal_id", sa.Integer(), sa.ForeignKey("disposal.id"), nullable=True),
    )
    for col in ("administration_id", "file_plan_node_id", "document_type_id", "disposal_status", "disposal_id"):
        op.create_index(f"ix_record_info_{col}", "record_info", [col])
    op.create_table(
        "correspondence_tag",
        sa.Column("correspondence_id", sa.Integer(), sa.ForeignKey("correspondence.id"), primary_key=True),
        sa.Column("tag_id", sa.Integer(), sa.ForeignKey("tag.id"), primary_key=True),
    )
    op.create_index("ix_correspondence_tag_tag_id", "correspondence_tag", ["tag_id"])
    op.create_table(
        "custom_field_value",
        sa.Column("correspondence_id", sa.Integer(), sa.ForeignKey("correspondence.id"), primary_key=True),
        sa.Column("field_id", sa.Integer(), sa.ForeignKey("custom_field.id"), primary_key=True),
        sa.Column("value", sa.String(length=255), nullable=False),
    )
    op.create_index("ix_custom_field_value_field_id", "custom_field_value", ["field_id"])


def downgrade() -> None:
    for table in (
        "custom_field_value",
        "correspondence_tag",
        "record_info",
        "disposal",
        "custom_field",
        "tag",
        "document_type",
        "file_plan_node",
    ):
        op.drop_table(table)
