"""Self-dealing refusals: an admin never acts on money or access that is their own.

A customer promoted to admin could otherwise credit their own account and withdraw it,
approve their own held transfer, reverse a payment they made, or unlock themselves.
Core banking systems (Apache Fineract's maker-checker, for one) refuse that outright,
whatever the amount: the only safe number of people who can move their own money
with admin powers is zero. Account owners never change, so unlocked reads suffice.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from banking.core.models import Account, JournalTransaction
from banking.core.money import format_money
from banking.services.actor import Actor
from banking.services.admin.errors import AdminActionRefused

OWN_ACCOUNT = "That account is yours: another admin must do this."
OWN_TRANSACTION = "That transaction touches an account of yours: another admin must do this."
OWN_USER = "That is your own user: another admin must do this."


def refuse_own_account(session: Session, account_id: int, actor_id: int | None) -> None:
    owner_id = session.scalar(select(Account.owner_id).where(Account.id == account_id))
    if owner_id is not None and owner_id == actor_id:
        raise AdminActionRefused(OWN_ACCOUNT)


def refuse_own_transaction(
    session: Session, transaction_id: int, actor_id: int | None
) -> None:
    """Refuse when either side of the transaction (sender or recipient) is the admin's."""
    txn = session.get(JournalTransaction, transaction_id)
    if txn is None:
        return  # the action itself says "not found"
    owners = session.scalars(
        select(Account.owner_id).where(
            Account.id.in_([txn.source_account_id, txn.destination_account_id])
        )
    )
    if actor_id is not None and actor_id in set(owners):
        raise AdminActionRefused(OWN_TRANSACTION)


def refuse_own_user(user_id: int, actor_id: int | None, message: str = OWN_USER) -> None:
    if actor_id is not None and user_id == actor_id:
        raise AdminActionRefused(message)


def needs_second_admin(actor: Actor) -> bool:
    """Whether this actor's change to an admin, or large money action, waits for a checker.

    Dual control answers a stolen or rogue admin *session*: a web click. The operator at
    the server's shell (the CLI) already holds the database and is the one who creates
    admins (`flask create-admin`), so a second admin adds nothing there; their changes
    apply at once and are audited with `via: cli`.
    """
    return actor.via == "web"


def dual_control_threshold() -> int:
    """Cents above which an admin money action needs a second admin (strictly above)."""
    return int(current_app.config.get("DUAL_CONTROL_THRESHOLD_CENTS", 100_000))


def adjustment_max() -> int:
    return int(current_app.config.get("ADJUSTMENT_MAX_CENTS", 10_000_000))


def refuse_oversized_adjustment(amount: int, currency: str | None = None) -> None:
    """A sane ceiling: a typo of three extra zeros is refused, never queued for approval.

    The ceiling is written like every other amount on the admin pages ("$100,000.00"); the
    form, which does not know the account yet, says it in the default currency."""
    ceiling = adjustment_max()
    if amount > ceiling:
        config = current_app.config
        shown = format_money(
            ceiling,
            currency or config.get("DEFAULT_CURRENCY", "USD"),
            config.get("BABEL_LOCALE", "en_US"),
        )
        raise AdminActionRefused(
            f"An adjustment can be at most {shown}; larger movements are not a teller's "
            "correction."
        )
