"""ledger_lock_customer_transfer(): a customer transfer's locks in one round trip

Revision ID: 0015_ledger_lock_function
Revises: 0014_notification_outbox
Create Date: 2026-12-03 09:00:00

The PostgreSQL posting path used to lock a customer's transfer with two statements: the
user row, then both accounts with the customer's running totals, read by a second
statement so that its snapshot follows the user lock. This PL/pgSQL function runs the same
steps in one call (each statement inside it still takes its own snapshot), so a transfer
makes one round trip less while its locks are held, and reads the customer's latest
transfer with one index probe instead of three. `banking/core/ledger/lock_function.py`
explains it; the text below is a frozen copy of its `CREATE_SQL` at this revision, and
`tests/app/test_migrations_lock_function.py` holds the two equal while this is the newest
definition.

PostgreSQL only: SQLite has no functions and keeps the ORM posting path. Nothing about the
data changes, so the downgrade only drops the function (the code of the revision before
this one does not call it). Hand-written.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0015_ledger_lock_function"
down_revision = "0014_notification_outbox"
branch_labels = None
depends_on = None

CREATE_SQL = """
CREATE OR REPLACE FUNCTION ledger_lock_customer_transfer(
    p_user_id bigint, p_a bigint, p_b bigint, p_since timestamptz
) RETURNS TABLE (
    id bigint, owner_id bigint, kind varchar, currency varchar, balance bigint,
    available_balance bigint, overdraft_limit bigint, status varchar,
    spent bigint, next_id bigint, sent_total bigint, sent_at timestamptz
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    v_total bigint;
    v_at timestamptz;
    v_before bigint;
    v_released bigint;
    v_spent bigint;
    v_next bigint;
BEGIN
    PERFORM 1 FROM users u WHERE u.id = p_user_id FOR NO KEY UPDATE;
    SELECT j.sent_total, j.created_at INTO v_total, v_at
      FROM journal_transactions j
     WHERE j.initiator_id = p_user_id AND j.sent_total IS NOT NULL
     ORDER BY j.created_at DESC, j.id DESC
     LIMIT 1;
    IF p_since IS NOT NULL THEN
        IF v_at IS NULL OR v_at < p_since THEN
            v_before := v_total;
        ELSE
            SELECT j.sent_total INTO v_before
              FROM journal_transactions j
             WHERE j.initiator_id = p_user_id AND j.sent_total IS NOT NULL
               AND j.created_at < p_since
             ORDER BY j.created_at DESC, j.id DESC
             LIMIT 1;
        END IF;
        SELECT coalesce(sum(j.amount), 0) INTO v_released
          FROM journal_transactions j
         WHERE j.initiator_id = p_user_id
           AND j.kind = 'transfer'
           AND j.status IN ('rejected', 'expired')
           AND j.created_at >= p_since;
        v_spent := coalesce(v_total, 0) - coalesce(v_before, 0) - v_released;
    END IF;
    v_next := nextval('journal_transactions_id_seq'::regclass);
    RETURN QUERY
        SELECT a.id, a.owner_id, a.kind, a.currency, a.balance, a.available_balance,
               a.overdraft_limit, a.status, v_spent, v_next, coalesce(v_total, 0), v_at
          FROM accounts a
         WHERE a.id IN (p_a, p_b)
         ORDER BY a.id
           FOR NO KEY UPDATE;
END;
$$
"""

DROP_SQL = (
    "DROP FUNCTION IF EXISTS ledger_lock_customer_transfer(bigint, bigint, bigint, timestamptz)"
)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE_SQL)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_SQL)
