"""withdrawn (undone) decisions on folder steps

- ``step_action.withdrawn_at``: set when the decision's author undoes it
  (``services.parapheur.undo``); the row stays on file for the history.
- ``uq_step_action`` becomes a unique index over live decisions only (``withdrawn_at IS NULL``),
  so the participant can decide again in the same round of the step.

Revision ID: 5a1b7c3d9e20
Revises: 6d2a4f8c1e37
Create Date: 2026-12-05 07:00:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import mrasla_app.models.base

revision: str = "5a1b7c3d9e20"
down_revision: Union[str, None] = "6d2a4f8c1e37"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_LIVE = sa.text("withdrawn_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("step_action") as batch:
        batch.add_column(sa.Column("withdrawn_at", mrasla_app.models.base.UTCDateTime(), nullable=True))
        batch.drop_constraint("uq_step_action", type_="unique")
    op.create_index(
        "uq_step_action",
        "step_action",
        ["step_id", "round", "for_user_id"],
        unique=True,
        sqlite_where=_LIVE,
        postgresql_where=_LIVE,
    )


def downgrade() -> None:
    op.drop_index("uq_step_action", table_name="step_action")
    op.execute("DELETE FROM step_action WHERE withdrawn_at IS NOT NULL")  # the old constraint cannot hold them
    with op.batch_alter_table("step_action") as batch:
        batch.drop_column("withdrawn_at")
        batch.create_unique_constraint("uq_step_action", ["step_id", "round", "for_user_id"])
