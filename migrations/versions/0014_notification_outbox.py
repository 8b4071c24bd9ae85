"""notifications.email_pending: the notification emails' outbox, swept by the worker

Revision ID: 0014_notification_outbox
Revises: 0013_notifications
Create Date: 2026-12-02 09:00:00

A payment to another customer used to publish one Celery task per notification from the
request that confirmed it (the largest CPU item left in the transfer confirmation), and
an unreachable broker put the email in the failed-jobs list for an admin to retry. Now the
row says whether its email is still to be considered, in the same statement that writes
it, and a periodic sweep on the worker sends what is pending
(`banking.services.notification_outbox`).

`email_pending` is NOT NULL with a server default of false: the rows that already exist
are not pending, so a deploy never emails old notices. The application sets it true on
the new rows whose kind may be emailed (`banking.core.notifications.build`).

`ix_notifications_email_pending` is partial (id WHERE email_pending): it holds only what
waits for the sweep, a handful of rows whatever the table's size, so the sweep's
"pending, in id order" is an index probe, and an inserted row that is not pending (or a
sent one) costs the index nothing.

Downgrade drops the index and the column: any email still pending is forgotten (it was
at most one sweep away; the notification itself stays in the inbox). Hand-written.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014_notification_outbox"
down_revision = "0013_notifications"
branch_labels = None
depends_on = None

PENDING = sa.text("email_pending")


def upgrade():
    op.add_column(
        "notifications",
        sa.Column("email_pending", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index(
        "ix_notifications_email_pending",
        "notifications",
        ["id"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )


def downgrade():
    op.drop_index("ix_notifications_email_pending", table_name="notifications")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("email_pending")
