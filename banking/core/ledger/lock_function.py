"""The customer-transfer lock as one PostgreSQL function: the user lock, then the accounts.

A customer's transfer must take their user lock before it reads their running total, and
read that total with a snapshot taken *after* the lock was granted (READ COMMITTED: one
snapshot per statement), or it would miss the transfer that committed while it waited.
As plain SQL that takes two statements, so two round trips while the locks are held.
Inside a PL/pgSQL function every statement still takes its own snapshot, so the same
order fits in one call (`sqlpath.lock`):

1. the user row, FOR NO KEY UPDATE;
2. the customer's latest transfer (running total and stamp): one index probe, where the
   single statement it replaces probed three times for the same row;
3. with a window start (`since`), what they sent since then, by `sent`'s arithmetic:
   latest total - the last total before the window - holds in the window given back.
   When the latest transfer is itself before the window, the last total before the
   window *is* the latest one, so the second probe is skipped (the answer is the same);
4. the journal id the posting will take (nextval, once);
5. both account rows, ascending id, FOR NO KEY UPDATE, returned with the figures above,
   in the column order `sqlpath.lock` reads.

What is allowed is still decided in Python by the rule book, on the rows this returns:
the function only locks and reads. The figures are `sent.py`'s (its docstring explains
them); `tests/core/test_ledger_lock_function.py` holds the two to the same answers, and
the migration that creates the function (0015) keeps a frozen copy of this text, held
equal by a test.

SQLite has no such function and no need of one: its posting path is the ORM's, and
SQLite serializes writers anyway.
"""

from __future__ import annotations

from datetime import datetime

NAME = "ledger_lock_customer_transfer"

# The kind and the statuses are written into the text (not bound): PostgreSQL uses the
# partial index `ix_journal_transactions_released` only when it sees the constants its
# WHERE names. They are `sent.TRANSFER` and `sent.RELEASED` (a test holds them equal).
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

CALL_SQL = "SELECT * FROM ledger_lock_customer_transfer(%(user_id)s, %(a)s, %(b)s, %(since)s)"


def call_literal(user_id: int, a: int, b: int, since: datetime | None) -> str:
    """`CALL_SQL` with its values written in, for the simple query protocol (which has no
    parameters; see `driver.open_with`). Integers go through `int` and the timestamp is
    its ISO form, so no text of a caller's reaches the SQL."""
    if since is None:
        stamp = "NULL"
    elif since.tzinfo is None:  # naive would be read in the server's time zone
        raise ValueError("the window's start must carry its time zone")
    else:
        stamp = f"'{since.isoformat()}'::timestamptz"
    values = f"{int(user_id)}, {int(a)}, {int(b)}, {stamp}"
    return f"SELECT * FROM ledger_lock_customer_transfer({values})"  # noqa: S608  # nosec B608
