"""category_overrides: a customer's "always put <merchant> under <category>" rules

Revision ID: 0011_categories
Revises: 0010_sent_totals
Create Date: 2026-12-01 10:40:00

Issue 17, item 1. Categories are worked out when a movement is read (merchant + these
rules + the default rules in banking/core/categories), never stored beside the journal,
so this is the only table: one row per (user, merchant key), unique, which is also the
index every read uses (user_id is its leading column). Removing a rule deletes its row.
Metadata beside the ledger: dropping the table on downgrade loses customers' rules only.

Hand-written.
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0011_categories"
down_revision = "0010_sent_totals"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "category_overrides",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("merchant_key", sa.String(length=200), nullable=False),
        sa.Column("merchant", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_category_overrides_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_overrides")),
        sa.UniqueConstraint(
            "user_id", "merchant_key", name=op.f("uq_category_overrides_user_id")
        ),
    )


def downgrade():
    op.drop_table("category_overrides")
