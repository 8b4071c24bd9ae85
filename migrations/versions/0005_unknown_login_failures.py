"""unknown_login_failures: sign-in failures for addresses with no account, in the database

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 20:30:00

Failures against an address with no account were counted in the cache; with Redis
down they were not counted at all, so only real addresses ever locked (an oracle for
which addresses have an account). They now live beside `users.failed_logins`.

Upgrade: create the table (empty: the cache's counts are short-lived and not carried
over; the worst case is a few more tries for an address probed just before the deploy).
Downgrade: drop it (the cache-based counting it replaced no longer exists in the code
that would run after a downgrade's matching deploy, so nothing is lost that matters).
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "unknown_login_failures",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("lockout_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_unknown_login_failures")),
    )
    with op.batch_alter_table("unknown_login_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unknown_login_failures_last_failure_at"),
            ["last_failure_at"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("unknown_login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unknown_login_failures_last_failure_at"))
    op.drop_table("unknown_login_failures")
