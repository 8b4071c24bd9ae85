"""The daily limit from running totals: journal_transactions.sent_total

Revision ID: 0010_sent_totals
Revises: 0009_savings_goals
Create Date: 2026-12-01 10:45:00

The daily limit used to SUM a customer's transfers of the last 24 hours under their user
lock, on every transfer: O(transfers sent today), so a customer who sends thousands a day
(a business paying suppliers, a payroll) made each of their transfers slower than the
last. Each transfer now carries the customer's running total of everything they have
sent (`sent_total`, set under the user lock); the last 24 hours are the latest total minus
the last total before the window, minus the few holds released in it — two index probes
and a scan of a small partial index, whatever the volume.

Upgrade: add the column, fill it for every existing customer transfer (a window SUM per
initiator in id order, the order the postings took their locks; rejected and expired
holds included, as they were counted when made), then swap the indexes:
ix_journal_transactions_spend (the rows the old SUM read) gives way to
ix_journal_transactions_sent and ix_journal_transactions_released.
Downgrade restores the old index and drops the column; nothing else reads it.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_sent_totals"
down_revision = "0009_savings_goals"
branch_labels = None
depends_on = None

COUNTED = "kind = 'transfer' AND status IN ('posted', 'pending')"
RELEASED = "kind = 'transfer' AND status IN ('rejected', 'expired')"
BACKFILL = """
UPDATE journal_transactions
SET sent_total = (
    SELECT totals.running FROM (
        SELECT id, SUM(amount) OVER (PARTITION BY initiator_id ORDER BY id) AS running
        FROM journal_transactions
        WHERE kind = 'transfer' AND initiator_id IS NOT NULL
    ) AS totals
    WHERE totals.id = journal_transactions.id
)
WHERE kind = 'transfer' AND initiator_id IS NOT NULL
"""
BACKFILL_POSTGRESQL = """
UPDATE journal_transactions AS j
SET sent_total = totals.running
FROM (
    SELECT id, SUM(amount) OVER (PARTITION BY initiator_id ORDER BY id) AS running
    FROM journal_transactions
    WHERE kind = 'transfer' AND initiator_id IS NOT NULL
) AS totals
WHERE totals.id = j.id
"""


def upgrade():
    op.add_column("journal_transactions", sa.Column("sent_total", sa.BigInteger(), nullable=True))
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.execute(BACKFILL_POSTGRESQL if postgresql else BACKFILL)
    op.create_index(
        "ix_journal_transactions_sent",
        "journal_transactions",
        ["initiator_id", "created_at", "id"],
        postgresql_include=["sent_total"],
        postgresql_where=sa.text("sent_total IS NOT NULL"),
        sqlite_where=sa.text("sent_total IS NOT NULL"),
    )
    op.create_index(
        "ix_journal_transactions_released",
        "journal_transactions",
        ["initiator_id", "created_at"],
        postgresql_include=["amount"],
        postgresql_where=sa.text(RELEASED),
        sqlite_where=sa.text(RELEASED),
    )
    op.drop_index("ix_journal_transactions_spend", table_name="journal_transactions")


def downgrade():
    op.create_index(
        "ix_journal_transactions_spend",
        "journal_transactions",
        ["initiator_id", "created_at"],
        postgresql_include=["amount"],
        postgresql_where=sa.text(COUNTED),
        sqlite_where=sa.text(COUNTED),
    )
    op.drop_index("ix_journal_transactions_released", table_name="journal_transactions")
    op.drop_index("ix_journal_transactions_sent", table_name="journal_transactions")
    op.drop_column("journal_transactions", "sent_total")
