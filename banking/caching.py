"""Cache-aside for read-heavy data, keyed per user, that degrades to the database.

Never cache a rendered signed-in page by path: one customer would get another's.
Cache *data* under namespaced keys instead. A user's keys are deleted after every
commit that changes what their dashboard shows, by session events (`init_app`) rather
than by each caller, so a new way of moving money cannot forget to. A cache error is
logged and treated as a miss.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from flask import Flask, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from banking import metrics
from banking.core.ledger.movements import TOUCHED_OWNERS
from banking.core.models import (
    Account,
    CategoryOverride,
    JournalTransaction,
    Payee,
    SavingsGoal,
    ScheduledTransfer,
    User,
)
from banking.extensions import cache

log = logging.getLogger(__name__)
T = TypeVar("T")


def user_key(namespace: str, user_id: int) -> str:
    return f"user:{user_id}:{namespace}"


def get_or_load(key: str, loader: Callable[[], T], timeout: int) -> T:
    """Return the cached value for `key`, or load, store and return it.

    Each look-up is counted (hit, miss, or error): a hit rate falling to zero is how
    operators notice a cache that no longer helps, or a Redis that no longer answers.
    """
    try:
        value = cache.get(key)
    except Exception as exc:  # noqa: BLE001 - Redis down must not break a page
        log.warning("cache read failed", extra={"error_type": type(exc).__name__})
        metrics.count_cache("error")
        return loader()
    if value is not None:
        metrics.count_cache("hit")
        return value
    metrics.count_cache("miss")
    value = loader()
    try:
        cache.set(key, value, timeout=timeout)
    except Exception as exc:  # noqa: BLE001
        log.warning("cache write failed", extra={"error_type": type(exc).__name__})
    return value


def delete(keys: Iterable[str]) -> None:
    keys = list(keys)
    if not keys:
        return
    try:
        cache.delete_many(*keys)
    except Exception as exc:  # noqa: BLE001
        log.warning("cache delete failed", extra={"error_type": type(exc).__name__})


# Namespaces cached per user; every money movement deletes all of them for each party.
USER_NAMESPACES = ("dashboard",)
# A counter per user, bumped by the same commits: cached whole pages record the value
# they were rendered under (`banking.web.page_cache`), so bumping it outdates them all
# (whatever their keys) and a render that raced the commit cannot store old numbers.
DATA_VERSION = "data_v"


def invalidate_users(user_ids: Iterable[int | None]) -> None:
    """Outdate everything cached about these users' money, in one round trip to Redis."""
    outdate(*_money_keys(user_ids))


def _money_keys(user_ids: Iterable[int | None]) -> Outdated:
    ids = sorted({uid for uid in user_ids if uid is not None})
    stale = [user_key(ns, uid) for uid in ids for ns in USER_NAMESPACES]
    return [user_key(DATA_VERSION, uid) for uid in ids], stale


# (counters to increment, entries to delete): cache keys without the backend's prefix.
Outdated = tuple[list[str], list[str]]


def outdate(counters: list[str], entries: list[str]) -> None:
    """Increment the version counters, then delete the entries: one pipeline on Redis.

    Counters first: a reader that misses a deleted entry renders under the new version,
    so what it stores is current (see `banking.web.page_cache`).
    """
    if not counters and not entries:
        return
    try:
        backend = cache.cache
        client = getattr(backend, "_write_client", None)
        if client is None:  # in-process cache (development, tests): no pipelines
            for counter in counters:
                backend.inc(counter)
            if entries:
                backend.delete_many(*entries)
            return
        prefix = backend._get_prefix()
        pipe = client.pipeline(transaction=False)
        for counter in counters:
            pipe.incr(prefix + counter)
        if entries:
            pipe.delete(*(prefix + key for key in entries))
        pipe.execute()
    except Exception as exc:  # noqa: BLE001 - entries also expire; a page must not fail
        log.warning("cache invalidation failed", extra={"error_type": type(exc).__name__})


# What else a commit outdates (the user snapshots, `banking.user_cache`), told by the
# modules that know, and sent in the same pipeline as the money keys: a transfer's commit
# outdates both parties' pages and its recipient's unread count in one round trip.
_AFTER_COMMIT: list[Callable[[Session], Outdated | None]] = []


def outdate_after_commit(contributor: Callable[[Session], Outdated | None]) -> None:
    """Register `contributor`: after each root commit it pops what it collected in the
    session and says which keys that outdates (registering twice is harmless)."""
    if contributor not in _AFTER_COMMIT:
        _AFTER_COMMIT.append(contributor)


# Invalidation by session events ---------------------------------------------------------
# The account fields the dashboard summary shows; a change to any of them makes it stale.
DASHBOARD_ACCOUNT_FIELDS = ("balance", "available_balance", "status", "status_reason", "nickname")
_STALE_USERS = "banking.caching.stale_users"  # key in Session.info


def init_app(app: Flask) -> None:
    """Register the session events once per process (every session, every app)."""
    for name, listener in (
        ("after_flush", _collect_stale_users),
        ("after_commit", _outdate_committed),
        ("after_transaction_end", _forget_rolled_back),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _collect_stale_users(session: Session, _flush_context) -> None:
    """Note whose dashboard this flush changed; the keys are deleted only once it commits.

    Deleting now would let a concurrent reader cache the pre-commit state again.
    """
    stale: set[int] = session.info.setdefault(_STALE_USERS, set())
    for obj in session.deleted:
        if isinstance(obj, Payee | SavingsGoal | ScheduledTransfer):
            stale.add(obj.owner_id)
        if isinstance(obj, CategoryOverride):
            stale.add(obj.user_id)
    for obj in (*session.new, *session.dirty):
        is_new = obj in session.new
        # Payees are listed on the transfer form (a cached page): any change outdates it.
        if isinstance(obj, Payee):
            stale.add(obj.owner_id)
        # A savings goal's progress bar is on the (cached) dashboard.
        if isinstance(obj, SavingsGoal):
            stale.add(obj.owner_id)
        # "Coming up" and the month-end projection: a schedule created, paused, resumed,
        # cancelled, advanced by a run or failed changes what the dashboard foresees.
        if isinstance(obj, ScheduledTransfer):
            stale.add(obj.owner_id)
        # A category rule recategorises history rows (cached first page) and insights.
        if isinstance(obj, CategoryOverride):
            stale.add(obj.user_id)
        if isinstance(obj, Account) and (is_new or _changed(obj, DASHBOARD_ACCOUNT_FIELDS)):
            stale.add(obj.owner_id)
        # A held transfer moves no balance on the receiving side, yet its "pending" row
        # appears (and disappears on a decision) in the recipient's recent movements.
        if isinstance(obj, JournalTransaction) and (is_new or _changed(obj, ("status",))):
            stale.update(_owners_of(session, obj.source_account_id, obj.destination_account_id))
        # The dashboard announces decided transfers until the customer has seen them.
        if isinstance(obj, User) and not is_new and _changed(obj, ("decisions_seen_at",)):
            stale.add(obj.id)
    stale.discard(None)


def _changed(obj: object, fields: Iterable[str]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in fields)


def _owners_of(session: Session, *account_ids: int | None) -> list[int | None]:
    # The ledger has just locked (loaded) both accounts, so this is an identity-map hit.
    accounts = (session.get(Account, account_id) for account_id in account_ids if account_id)
    return [account.owner_id for account in accounts if account is not None]


def _outdate_committed(session: Session) -> None:
    """After a root commit: everything it outdated, money and snapshots, in one pipeline."""
    if session.in_nested_transaction():
        return  # a released savepoint is not yet visible to anyone else
    # Flushed Account changes, plus the owners a posting touched with plain SQL (the
    # ledger's PostgreSQL path flushes no Account object, so it announces them itself).
    stale = session.info.pop(_STALE_USERS, set()) | session.info.pop(TOUCHED_OWNERS, set())
    counters, entries = _money_keys(stale)
    for contributor in _AFTER_COMMIT:  # each pops its own collection, app context or not
        more = contributor(session)
        if more:
            counters += more[0]
            entries += more[1]
    if has_app_context():
        # Contributors may name the same key (a payee's data version: their balance moved
        # and their notification's badge is on the same pages): each goes once.
        outdate(list(dict.fromkeys(counters)), list(dict.fromkeys(entries)))


def _forget_rolled_back(session: Session, transaction) -> None:
    # Not after_rollback: that also fires for a savepoint, while the outer transaction's
    # changes still stand. A committed root transaction has already emptied the stash.
    if transaction.parent is None:
        session.info.pop(_STALE_USERS, None)
        session.info.pop(TOUCHED_OWNERS, None)
