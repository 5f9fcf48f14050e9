"""document signature levels (PAdES B-T → B-LTA) and archive timestamp expiry

``document.signature_level``: NULL while a platform-signed file is as issued (receipts: B-T), set
when the background job extends it (B-LTA). ``document.archive_expires_at``: notAfter of the newest
document timestamp's TSA certificate, what ``mrasla archive-refresh`` selects on.

Revision ID: 3c7a9e51d2b8
Revises: 3c7d1e9a5b21
Create Date: 2026-12-05 03:00:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from mrasla_app.models.base import UTCDateTime

revision: str = "3c7a9e51d2b8"
down_revision: Union[str, None] = "3c7d1e9a5b21"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("signature_level", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("archive_expires_at", UTCDateTime(), nullable=True))
    op.create_index("ix_document_signature_level", "document", ["signature_level"])
    op.create_index("ix_document_archive_expires_at", "document", ["archive_expires_at"])


def downgrade() -> None:
    op.drop_index("ix_document_archive_expires_at", table_name="document")
    op.drop_index("ix_document_signature_level", table_name="document")
    with op.batch_alter_table("document") as batch:
        batch.drop_column("archive_expires_at")
        batch.drop_column("signature_level")
