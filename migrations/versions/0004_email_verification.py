"""email verification: users.email_verified_at (nullable), existing users verified now

Revision ID: 0004
Revises: 0003_dual_control
Create Date: 2026-11-30 20:10:00

Sign-up no longer opens a usable account on the spot (issue 12, item 5): a new address
gets a signed, single-use link, and the account can sign in only once that link is
followed. `email_verified_at` records when that happened; NULL means "still waiting".

Upgrade: add the nullable column, then stamp every existing row with the migration
time. Those users (customers, admins, demo data) signed up or were created before the
check existed and have been using their accounts; leaving them NULL would lock every
one of them out at the next sign-in.

Downgrade: drop the column. Accounts still waiting for verification become usable
again, which is what the code before this revision did with every sign-up.

Hand-written. NOTE for the lead: down_revision points at 0002 while 0003 is written in
parallel; re-chain it to 0003 when both are merged.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003_dual_control"
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN, not batch mode: SQLite (3.35+) does both in place, while a
# batch "move and copy" of `users` would fail on the foreign keys that point at it.
def upgrade():
    op.add_column("users", sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE users SET email_verified_at = CURRENT_TIMESTAMP")


def downgrade():
    op.drop_column("users", "email_verified_at")
