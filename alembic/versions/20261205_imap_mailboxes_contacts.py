"""e-mail intake (mailboxes, messages read) and the contacts directory

- ``contact``: an administration's lasting correspondents (person, company, administration), with
  folded name/e-mail/phone columns for de-duplication and ``merged_into_id`` for merges.
- ``party.contact_id``: the entry a letter's sender or addressee belongs to.
- ``mailbox``: IMAP-over-TLS mailboxes per administration, password sealed under the master key,
  with the UIDVALIDITY/last UID read.
- ``mail_message``: one row per message read, unique per (mailbox, UIDVALIDITY, UID) and per
  (administration, Message-ID): what makes intake register a message once.

Revision ID: 5e1a7c3b9f20
Revises: 5a1b7c3d9e20
Create Date: 2026-12-05 07:00:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import mrasla_app.models.base

revision: str = "5e1a7c3b9f20"
down_revision: Union[str, None] = "5a1b7c3d9e20"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_KIND = sa.Enum("person", "company", "administration", name="partykind", native_enum=False, length=24)


def upgrade() -> None:
    op.create_table(
        "contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("kind", _KIND, nullable=False),
        sa.Column("name_ar", sa.String(length=255), nullable=False),
        sa.Column("name_latin", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("id_kind", sa.String(length=8), nullable=False),
        sa.Column("id_value", sa.String(length=32), nullable=False),
        sa.Column("correspondent_administration_id", sa.Integer(), nullable=True),
        sa.Column("norm_name", sa.String(length=255), nullable=False),
        sa.Column("norm_email", sa.String(length=255), nullable=False),
        sa.Column("norm_phone", sa.String(length=32), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_at", mrasla_app.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["administration_id"], ["administration.id"]),
        sa.ForeignKeyConstraint(["correspondent_administration_id"], ["administration.id"]),
        sa.ForeignKeyConstraint(["merged_into_id"], ["contact.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("administration_id", "norm_name", "norm_email", "norm_phone"):
        op.create_index(f"ix_contact_{column}", "contact", [column])
    with op.batch_alter_table("party") as batch:
        batch.add_column(sa.Column("contact_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_party_contact_id_contact", "contact", ["contact_id"], ["id"])
        batch.create_index("ix_party_contact_id", ["contact_id"])
    op.create_table(
        "mailbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("folder", sa.String(length=255), nullable=False),
        sa.Column("password_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("last_uid", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("last_checked_at", mrasla_app.models.base.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=255), nullable=False),
        sa.Column("created_at", mrasla_app.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["administration_id"], ["administration.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mailbox_administration_id", "mailbox", ["administration_id"])
    op.create_table(
        "mail_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("mailbox_id", sa.Integer(), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("message_id_hash", sa.String(length=64), nullable=True),
        sa.Column("correspondence_id", sa.Integer(), nullable=True),
        sa.Column("refused", sa.Text(), nullable=False),
        sa.Column("created_at", mrasla_app.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["administration_id"], ["administration.id"]),
        sa.ForeignKeyConstraint(["mailbox_id"], ["mailbox.id"]),
        sa.ForeignKeyConstraint(["correspondence_id"], ["correspondence.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mailbox_id", "uidvalidity", "uid", name="uq_mail_message_uid"),
        sa.UniqueConstraint("administration_id", "message_id_hash", name="uq_mail_message_message_id"),
    )
    op.create_index("ix_mail_message_mailbox_id", "mail_message", ["mailbox_id"])
    op.create_index("ix_mail_message_correspondence_id", "mail_message", ["correspondence_id"])


def downgrade() -> None:
    op.drop_index("ix_mail_message_correspondence_id", table_name="mail_message")
    op.drop_index("ix_mail_message_mailbox_id", table_name="mail_message")
    op.drop_table("mail_message")
    op.drop_index("ix_mailbox_administration_id", table_name="mailbox")
    op.drop_table("mailbox")
    with op.batch_alter_table("party") as batch:
        batch.drop_index("ix_party_contact_id")
        batch.drop_constraint("fk_party_contact_id_contact", type_="foreignkey")
        batch.drop_column("contact_id")
    for column in ("norm_phone", "norm_email", "norm_name", "administration_id"):
        op.drop_index(f"ix_contact_{column}", table_name="contact")
    op.drop_table("contact")
