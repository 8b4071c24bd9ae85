"""statement_documents: each account's monthly statement as issued (PDF, CSV and figures)

Revision ID: 0012_statement_documents
Revises: 0011_categories
Create Date: 2026-12-01 10:40:00

Issue 17, item 5. One row per (account, month) (unique: the monthly job may run twice,
the document exists once); `period` is the month's first day; amounts in minor units
(BigInteger, like every amount), with CHECKs that the totals are not negative and that
closing = opening + credits - debits. The PDF and CSV are stored as issued (LargeBinary:
bytea on PostgreSQL, BLOB on SQLite), so a later change of names or of the display
timezone never rewrites a statement already sent. No index beyond the unique
constraint: its leading column serves "this account's statements".

Metadata beside the ledger: no money moves and no entry refers to it, so dropping it on
downgrade loses the issued copies only (they can be produced again from the journal).

Hand-written.
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0012_statement_documents"
down_revision = "0011_categories"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "statement_documents",
        sa.Column("id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("opening", sa.BigInteger(), nullable=False),
        sa.Column("closing", sa.BigInteger(), nullable=False),
        sa.Column("credits", sa.BigInteger(), nullable=False),
        sa.Column("debits", sa.BigInteger(), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("csv", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "credits >= 0 AND debits >= 0",
            name=op.f("ck_statement_documents_totals_non_negative"),
        ),
        sa.CheckConstraint(
            "entry_count >= 0", name=op.f("ck_statement_documents_entry_count_non_negative")
        ),
        sa.CheckConstraint(
            "closing = opening + credits - debits",
            name=op.f("ck_statement_documents_reconciles"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_statement_documents_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_documents")),
        sa.UniqueConstraint(
            "account_id", "period", name=op.f("uq_statement_documents_account_period")
        ),
    )


def downgrade():
    op.drop_table("statement_documents")
