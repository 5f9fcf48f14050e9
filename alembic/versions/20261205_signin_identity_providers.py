"""directory sign-in: identity providers (LDAP / AD, OpenID Connect), group → role rules, linked accounts

- ``identity_provider``: an administration's directories; the LDAP bind password and the OIDC client
  secret are sealed under the master key.
- ``provider_role_rule``: group → role in a unit.
- ``user.provider_id`` / ``user.external_id``: an account that signs in through a provider.

Revision ID: 9d4b7e2a1c55
Revises: 7d4b1e9c5a23
Create Date: 2026-12-05 07:00:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import mrasla_app.models.base

revision: str = "9d4b7e2a1c55"
down_revision: Union[str, None] = "7d4b1e9c5a23"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _enum(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=24)


def upgrade() -> None:
    op.create_table(
        "identity_provider",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("ldap", "oidc", name="providerkind"), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("server_url", sa.String(length=255), nullable=False),
        sa.Column("start_tls", sa.Boolean(), nullable=False),
        sa.Column("bind_dn", sa.String(length=255), nullable=False),
        sa.Column("bind_secret", sa.LargeBinary(), nullable=True),
        sa.Column("user_dn_template", sa.String(length=255), nullable=False),
        sa.Column("search_base", sa.String(length=255), nullable=False),
        sa.Column("search_filter", sa.String(length=512), nullable=False),
        sa.Column("login_domain", sa.String(length=120), nullable=False),
        sa.Column("name_attribute", sa.String(length=64), nullable=False),
        sa.Column("email_attribute", sa.String(length=64), nullable=False),
        sa.Column("group_attribute", sa.String(length=64), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("client_secret", sa.LargeBinary(), nullable=True),
        sa.Column("groups_claim", sa.String(length=64), nullable=False),
        sa.Column("created_at", mrasla_app.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["administration_id"], ["administration.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_identity_provider_administration_id", "identity_provider", ["administration_id"])
    op.create_index("ix_identity_provider_login_domain", "identity_provider", ["login_domain"])
    op.create_table(
        "provider_role_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("group", sa.String(length=255), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("role", _enum("clerk", "agent", "head", "signatory", "admin", name="role"), nullable=False),
        sa.ForeignKeyConstraint(["provider_id"], ["identity_provider.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_id", "group", "unit_id", "role", name="uq_provider_rule"),
    )
    op.create_index("ix_provider_role_rule_provider_id", "provider_role_rule", ["provider_id"])
    op.create_index("ix_provider_role_rule_unit_id", "provider_role_rule", ["unit_id"])
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("provider_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("external_id", sa.String(length=255), nullable=True))
        batch.create_index("ix_user_provider_id", ["provider_id"])
        batch.create_foreign_key("fk_user_provider_id", "identity_provider", ["provider_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_constraint("fk_user_provider_id", type_="foreignkey")
        batch.drop_index("ix_user_provider_id")
        batch.drop_column("external_id")
        batch.drop_column("provider_id")
    op.drop_index("ix_provider_role_rule_unit_id", table_name="provider_role_rule")
    op.drop_index("ix_provider_role_rule_provider_id", table_name="provider_role_rule")
    op.drop_table("provider_role_rule")
    op.drop_index("ix_identity_provider_login_domain", table_name="identity_provider")
    op.drop_index("ix_identity_provider_administration_id", table_name="identity_provider")
    op.drop_table("identity_provider")
