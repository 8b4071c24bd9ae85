"""notifications and notification_preferences: the in-app inbox and per-kind email choices

Revision ID: 0013_notifications
Revises: 0012_statement_documents
Create Date: 2026-12-01 10:55:00

Issue 17, item 4. `notifications`: one row per message in a user's inbox, its text final
(worded when the event happened, no full account number), `link` a path inside the app,
`read_at` NULL while unread. Two indexes: (user_id, id) pages the inbox newest first by
keyset; (user_id, read_at) counts the unread (the header's badge, read in the same
statement as the signed-in user). Rows are deleted with their user (ON DELETE CASCADE):
they are the user's messages, not records the bank must keep (the audit trail is that).

`notification_preferences`: (user_id, kind) -> email on/off; no row means the kind's
default (on). Security kinds are always emailed whatever a row says (the application
enforces it, and refuses to store "off" for them).

Both tables are new and nothing refers to them: downgrade drops them (losing inboxes and
choices only; no money, no audit row). Hand-written; re-chain down_revision at merge.
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0013_notifications"
down_revision = "0012_statement_documents"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "notifications",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.String(length=500), nullable=False),
        sa.Column("link", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index("ix_notifications_user_id_id", "notifications", ["user_id", "id"])
    op.create_index("ix_notifications_user_id_read_at", "notifications", ["user_id", "read_at"])
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_notification_preferences")),
    )


def downgrade():
    op.drop_table("notification_preferences")
    op.drop_index("ix_notifications_user_id_read_at", table_name="notifications")
    op.drop_index("ix_notifications_user_id_id", table_name="notifications")
    op.drop_table("notifications")
