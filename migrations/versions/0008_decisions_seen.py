"""users.decisions_seen_at: until when the customer has seen the outcome of held transfers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 07:20:00

A transfer held for review is approved or declined later, by an admin or by time. The
dashboard announces each outcome to its sender until they dismiss it (issue 16, item 4);
`decisions_seen_at` is the moment up to which they have: a hold released after it is
announced. One timestamp per user, not a row per announcement: dismissing says "I have
seen everything up to what you showed me", and nothing else needs remembering.

Upgrade: add the nullable column, then stamp existing users with the migration time, so
decisions made before the feature existed (already explained on the dashboard's recent
activity and in history) are not announced all at once. NULL (a user created later)
means "nothing seen yet": every decision on their transfers is news.

Downgrade: drop the column; the dashboard of the previous release never read it.

Hand-written. NOTE for the lead: other branches of issue 16 may add a 0008 too; re-chain
down_revision to whichever is merged first.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN, not batch mode (as 0004): SQLite does both in place, while a
# batch copy of `users` would fail on the foreign keys that point at it.
def upgrade():
    op.add_column("users", sa.Column("decisions_seen_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE users SET decisions_seen_at = CURRENT_TIMESTAMP")


def downgrade():
    op.drop_column("users", "decisions_seen_at")
