"""bound idempotency keys, administrator TOTP enrolment codes, single-use TOTP codes

- ``correspondence.idempotency_key`` now holds the SHA-256 of the portal's key (existing clear keys
  are hashed here) and ``idempotency_fingerprint`` the SHA-256 of the request it came with
  (``services.deposits.request_fingerprint``). Deposits made before have none: a replay of their
  key is refused (409) rather than trusted.
- ``user.totp_vouched``: the second factor was enrolled with a one-time enrolment code issued by
  another administrator or the CLI; administrator rights need it. Factors enrolled before this
  revision are kept as vouched (they were the administrators' working factors).
- ``user.totp_enrolment_hash`` / ``totp_enrolment_expires_at``: the pending enrolment code (hashed).
- ``user.totp_last_step``: the last accepted TOTP time step, so a code is accepted once.

Revision ID: 3c8e2f6a9d11
Revises: 3c7a9e51d2b8
Create Date: 2026-12-05 03:10:00
"""

import hashlib
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import mrasla_app.models.base

revision: str = "3c8e2f6a9d11"
down_revision: Union[str, None] = "3c7a9e51d2b8"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("correspondence") as batch:
        batch.add_column(sa.Column("idempotency_fingerprint", sa.String(length=64), nullable=True))
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("totp_vouched", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("totp_enrolment_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("totp_enrolment_expires_at", mrasla_app.models.base.UTCDateTime(), nullable=True))
    conn = op.get_bind()
    conn.execute(sa.text('UPDATE "user" SET totp_vouched = :yes WHERE totp_enabled = :yes').bindparams(yes=True))
    rows = conn.execute(
        sa.text("SELECT id, idempotency_key FROM correspondence WHERE idempotency_key IS NOT NULL")
    ).all()
    for row_id, key in rows:
        conn.execute(
            sa.text("UPDATE correspondence SET idempotency_key = :h WHERE id = :id").bindparams(
                h=hashlib.sha256(key.encode()).hexdigest(), id=row_id
            )
        )


def downgrade() -> None:
    # Hashed keys cannot be turned back into clear ones: they stay hashed (retries of old deposits
    # then register anew, as with any unknown key).
    with op.batch_alter_table("user") as batch:
        batch.drop_column("totp_enrolment_expires_at")
        batch.drop_column("totp_enrolment_hash")
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_vouched")
    with op.batch_alter_table("correspondence") as batch:
        batch.drop_column("idempotency_fingerprint")
