"""pending admin actions: maker-checker (dual control) for large or admin-on-admin actions

Revision ID: 0003_dual_control
Revises: 0002
Create Date: 2026-11-30 20:20:00

Issue 12 item 4: one admin could do everything alone (credit an account they own, lock
or demote the other admins). Adjustments and reversals above DUAL_CONTROL_THRESHOLD_CENTS,
and any lock, demotion or two-factor reset of another admin, are now written to
`pending_admin_actions` by the admin who asks (the maker) and only take effect when a
different admin (the checker) approves them.

Upgrade: create the table (empty; nothing existing becomes pending).

Downgrade: drop the table, but only while no request is still pending: dropping one
would silently forget an action an admin asked for and another has not yet decided.
Decided rows are history the audit log also holds (both admins are in its rows), so
they may go.

Self-contained and hand-written: it creates only its own table and depends on nothing
but `users` (0001).
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0003_dual_control"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "pending_admin_actions",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("request_key", sa.String(length=80), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("maker_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checker_id", ID, nullable=True),
        sa.Column("checker_reason", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')",
            name=op.f("ck_pending_admin_actions_status_valid"),
        ),
        sa.CheckConstraint(
            "amount IS NULL OR amount > 0", name=op.f("ck_pending_admin_actions_amount_positive")
        ),
        sa.CheckConstraint(
            "checker_id IS NULL OR checker_id <> maker_id",
            name=op.f("ck_pending_admin_actions_checker_not_maker"),
        ),
        sa.ForeignKeyConstraint(
            ["maker_id"], ["users.id"], name=op.f("fk_pending_admin_actions_maker_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["checker_id"], ["users.id"], name=op.f("fk_pending_admin_actions_checker_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_admin_actions")),
        sa.UniqueConstraint("request_key", name=op.f("uq_pending_admin_actions_request_key")),
    )
    with op.batch_alter_table("pending_admin_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_admin_actions_maker_id"), ["maker_id"], unique=False
        )
        batch_op.create_index(
            "ix_pending_admin_actions_status_created", ["status", "created_at"], unique=False
        )


def downgrade():
    waiting = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM pending_admin_actions WHERE status = 'pending'")
    )
    if waiting:
        raise RuntimeError(
            f"{waiting} admin action(s) still await a second admin's decision; approve or "
            "reject them before downgrading (dropping them would forget the requests)."
        )
    with op.batch_alter_table("pending_admin_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_pending_admin_actions_status_created")
        batch_op.drop_index(batch_op.f("ix_pending_admin_actions_maker_id"))
    op.drop_table("pending_admin_actions")
