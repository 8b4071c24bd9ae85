"""system accounts per currency: unique (system_code, currency), seeded for every currency

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 21:40:00

Customers may hold EUR, GBP, CAD and CHF accounts, but 0001 seeded the bank's own
accounts (external cash, interest expense, suspense) in USD only and made `system_code`
unique, so a deposit, withdrawal, correction or interest payment on a non-USD account
could never balance (the ledger refuses to move money across currencies).

Upgrade: replace the unique `system_code` with a unique (system_code, currency) and add
the three system accounts in each of those currencies (zero balance, no history).

Downgrade: remove those accounts again and restore the unique `system_code` -- but only
while none of them has ever been used. Once a non-USD system account carries journal
rows, deleting it would unbalance the books, so the downgrade refuses with the ids to
look at instead of destroying history.

Hand-written; the values are frozen here (not imported from the app) so the migration
means the same thing whatever the code looks like later.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# 0001 seeded these codes in USD as 9 00 00000001..3 (+ Luhn digit); every other
# supported currency gets the next block: 9 <currency index> <code index>.
NEW_CURRENCIES = ["EUR", "GBP", "CAD", "CHF"]  # index 1..4; USD is 0
SYSTEM_CODES = [
    ("external_cash", "External cash"),
    ("interest_expense", "Interest expense"),
    ("suspense", "Suspense"),
]

accounts = sa.table(
    "accounts",
    sa.column("id", sa.BigInteger),
    sa.column("number", sa.String),
    sa.column("owner_id", sa.BigInteger),
    sa.column("kind", sa.String),
    sa.column("system_code", sa.String),
    sa.column("currency", sa.String),
    sa.column("nickname", sa.String),
    sa.column("balance", sa.BigInteger),
    sa.column("available_balance", sa.BigInteger),
    sa.column("overdraft_limit", sa.BigInteger),
    sa.column("status", sa.String),
    sa.column("opened_at", sa.DateTime(timezone=True)),
)


def _luhn_check_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def _free_number(bind, body: int) -> str:
    """A Luhn-valid 12-digit number from `body` on, skipping any a customer already has.

    Customer numbers are random 11-digit bodies + check digit, so one could sit on the
    number this block would use; then the next free body in the block is taken.
    """
    while True:
        number = f"{body}{_luhn_check_digit(str(body))}"
        taken = bind.execute(
            sa.select(accounts.c.id).where(accounts.c.number == number)
        ).first()
        if taken is None:
            return number
        body += 10  # stay inside this currency's block, away from the other codes


def upgrade():
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_accounts_system_code", type_="unique")
        batch_op.create_unique_constraint(
            "uq_accounts_system_code_currency", ["system_code", "currency"]
        )

    bind = op.get_bind()
    now = sa.func.now() if bind.dialect.name == "postgresql" else sa.func.current_timestamp()
    for currency_index, currency in enumerate(NEW_CURRENCIES, start=1):
        for code_index, (code, nickname) in enumerate(SYSTEM_CODES, start=1):
            exists = bind.execute(
                sa.select(accounts.c.id).where(
                    accounts.c.system_code == code, accounts.c.currency == currency
                )
            ).first()
            if exists is not None:
                continue
            body = 9 * 10**10 + currency_index * 10**8 + code_index
            bind.execute(
                accounts.insert().values(
                    number=_free_number(bind, body),
                    owner_id=None,
                    kind="system",
                    system_code=code,
                    currency=currency,
                    nickname=nickname,
                    balance=0,
                    available_balance=0,
                    overdraft_limit=0,
                    status="active",
                    opened_at=now,
                )
            )


def downgrade():
    bind = op.get_bind()
    extra = sa.and_(accounts.c.system_code.is_not(None), accounts.c.currency != "USD")
    ids = [row[0] for row in bind.execute(sa.select(accounts.c.id).where(extra))]
    if ids:
        used = []
        for table, column in (
            ("entries", "account_id"),
            ("holds", "account_id"),
            ("journal_transactions", "source_account_id"),
            ("journal_transactions", "destination_account_id"),
        ):
            ref = sa.table(table, sa.column(column, sa.BigInteger))
            used += [
                row[0]
                for row in bind.execute(
                    sa.select(ref.c[column]).where(ref.c[column].in_(ids)).distinct()
                )
            ]
        if used:
            raise RuntimeError(
                "Cannot downgrade below 0002: non-USD system accounts "
                f"{sorted(set(used))} already carry journal history, and deleting them "
                "would unbalance the books."
            )
        bind.execute(accounts.delete().where(accounts.c.id.in_(ids)))

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_accounts_system_code_currency", type_="unique")
        batch_op.create_unique_constraint("uq_accounts_system_code", ["system_code"])
