"""A covering partial index for the daily limit's 24-hour SUM

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 03:30:00

The daily limit SUMs a customer's posted or held transfers of the last 24 hours under
their user lock, on every transfer. With (initiator_id, created_at) alone, every row
counted costs a heap visit; this index holds only the rows the SUM counts and carries the
amount, so PostgreSQL answers from the index (an index-only scan). It replaces
ix_journal_transactions_initiator_created, whose only reader was that SUM.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

COUNTED = "kind = 'transfer' AND status IN ('posted', 'pending')"


def upgrade():
    op.create_index(
        'ix_journal_transactions_spend',
        'journal_transactions',
        ['initiator_id', 'created_at'],
        postgresql_include=['amount'],
        postgresql_where=sa.text(COUNTED),
        sqlite_where=sa.text(COUNTED),
    )
    op.drop_index('ix_journal_transactions_initiator_created', table_name='journal_transactions')


def downgrade():
    op.create_index(
        'ix_journal_transactions_initiator_created',
        'journal_transactions',
        ['initiator_id', 'created_at'],
    )
    op.drop_index('ix_journal_transactions_spend', table_name='journal_transactions')
