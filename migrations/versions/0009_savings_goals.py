"""savings_goals: a customer's target (amount, optional date) on a savings account

Revision ID: 0009_savings_goals
Revises: 0008
Create Date: 2026-12-01 08:20:00

Issue 17, item 7. One goal per account (unique account_id); target_amount in minor units
(BigInteger, CHECK > 0, like every amount); target_date optional. owner_id is indexed:
the service looks goals up by account, the caching layer names the owner whose cached
dashboard a change outdates. Metadata beside the ledger: no money moves, no entry refers
to it, so dropping it on downgrade loses goals only.

Hand-written. NOTE for the lead: another branch of issue 17 may add a 0009 too; re-chain
down_revision to whichever is merged first (this file's revision id is distinct).
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0009_savings_goals"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "savings_goals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("target_amount", sa.BigInteger(), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("target_amount > 0", name=op.f("ck_savings_goals_target_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_savings_goals_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_savings_goals_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_savings_goals")),
        sa.UniqueConstraint("account_id", name=op.f("uq_savings_goals_account_id")),
    )
    op.create_index(op.f("ix_savings_goals_owner_id"), "savings_goals", ["owner_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_savings_goals_owner_id"), table_name="savings_goals")
    op.drop_table("savings_goals")
