"""query indexes for a million correspondences

Indexes shaped like the inbox's queries (see services/correspondence/inbox.py and services/correspondence/scoping.py):
- ``ix_corr_admin_id`` (administration, id) replaces the administration index: lists read one
  administration newest first without a sort (SQLite had it implicitly through the rowid);
- ``ix_corr_action_unit_status`` (action unit, status, id) replaces the action-unit index: the
  "my unit" queue reads the unit's open items only;
- ``ix_corr_admin_queues`` (administration, status, deadline, then every column the queues and the
  scoping test) replaces (administration, deadline): overdue items are open ones past their deadline,
  and the queue counts read the index alone instead of ~1 KB rows;
- ``ix_dispatch_corr_unit_active`` (correspondence, unit, active) replaces the correspondence index
  of dispatches: "is this item dispatched to one of my units" is one index probe;
- ``ix_corr_admin_registered`` (administration, registration time): the date filters;
- PostgreSQL: the folded text's ``tsvector`` is stored (generated column ``search_vector``) and
  GIN-indexed, so matches are rechecked without re-parsing each candidate's text.

Revision ID: 5b1e7c9d2a40
Revises: fa7e1b240de6
Create Date: 2026-11-29 12:50:00
"""

from typing import Sequence, Union

from alembic import op

revision: str = "5b1e7c9d2a40"
down_revision: Union[str, None] = "fa7e1b240de6"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# (table, old index, old columns, new index, new columns)
REPLACED = (
    (
        "correspondence",
        "ix_correspondence_administration_id",
        ["administration_id"],
        "ix_corr_admin_id",
        ["administration_id", "id"],
    ),
    (
        "correspondence",
        "ix_correspondence_action_unit_id",
        ["action_unit_id"],
        "ix_corr_action_unit_status",
        ["action_unit_id", "status", "id"],
    ),
    (
        "correspondence",
        "ix_corr_deadline",
        ["administration_id", "deadline"],
        "ix_corr_admin_queues",
        [
            "administration_id",
            "status",
            "deadline",
            "direction",
            "confidential",
            "action_unit_id",
            "unit_id",
            "assignee_id",
            "created_by",
            "id",
        ],
    ),
    (
        "dispatch",
        "ix_dispatch_correspondence_id",
        ["correspondence_id"],
        "ix_dispatch_corr_unit_active",
        ["correspondence_id", "unit_id", "active"],
    ),
)


def upgrade() -> None:
    for table, old, _, new, columns in REPLACED:
        op.create_index(new, table, columns)
        op.drop_index(old, table_name=table)
    op.create_index("ix_corr_admin_registered", "correspondence", ["administration_id", "registered_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE correspondence ADD COLUMN search_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED"
        )
        op.execute("DROP INDEX IF EXISTS ix_corr_search")
        op.execute("CREATE INDEX ix_corr_search ON correspondence USING GIN (search_vector)")
        op.execute("ANALYZE correspondence")  # the rewritten table's new column has no statistics yet


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_corr_search")
        op.execute("ALTER TABLE correspondence DROP COLUMN search_vector")
        op.execute("CREATE INDEX ix_corr_search ON correspondence USING GIN (to_tsvector('simple', search_text))")
    op.drop_index("ix_corr_admin_registered", table_name="correspondence")
    for table, old, columns, new, _ in REPLACED:
        op.create_index(old, table, columns)
        op.drop_index(new, table_name=table)
