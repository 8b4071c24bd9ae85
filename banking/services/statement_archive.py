"""Statement documents: each account's monthly statement produced once, kept, listed, served.

On the 1st of each month the worker (`banking.tasks.periodic`, beat) — or an operator
with `flask statements produce --period YYYY-MM` — calls `produce`: every customer account
that was open at some time in the month gets one document for it (a closed account gets
the months it was open). A document is the journal as posted: the statement's figures,
its PDF (`banking.services.statement_pdf`, the print view's own template) and its CSV
(the rows of the statement's CSV download), stored together and never rewritten.

Idempotent: an account that already has the month's document is skipped, and the unique
(account_id, period) constraint settles two runs at once (the loser's insert fails and
counts as "already produced"). Each document commits on its own, so one account that
fails (a render error, a statement that does not reconcile) loses no other; the run
reports the failures, the worker puts the run in the admin's failed-jobs list, and a
retry produces only what is missing.

Months are the bank's calendar months (DISPLAY_TIMEZONE), the same days as the statement
page, and a month is produced only once it has ended there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from banking.core.clock import SYSTEM_CLOCK
from banking.core.csv_export import iter_csv
from banking.core.history import day_bounds
from banking.core.models import Account, AccountKind, StatementDocument, User
from banking.core.periods import MALFORMED, InvalidMonth, Month, local_today
from banking.core.statements import STATEMENT_HEADER, build_statement, statement_csv_rows
from banking.services.actor import Actor
from banking.services.admin import work
from banking.services.statement_pdf import DocumentAccount, render_statement_pdf

log = logging.getLogger(__name__)

PRODUCTION_RUN = "statement.production_run"
PDF_MIMETYPE = "application/pdf"
CSV_MIMETYPE = "text/csv"


class PeriodNotOver(InvalidMonth):
    """A month that is malformed or has not ended yet in the bank's calendar."""


@dataclass
class ProductionReport:
    period: str
    produced: int = 0  # documents this run wrote
    already: int = 0  # accounts whose document existed (a replay, or a concurrent run)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (account id, error type)

    def summary(self) -> str:
        return (
            f"{self.produced} produced, {self.already} already produced, {len(self.failed)} failed"
        )


@dataclass(frozen=True)
class ArchivedStatement:
    """One line of the archive page (the files stay in the database until downloaded)."""

    period: Month
    opening: int
    closing: int
    credits: int
    debits: int
    entry_count: int
    created_at: datetime


def _tz() -> str:
    return current_app.config.get("DISPLAY_TIMEZONE", "UTC")


def _bounds(period: Month, tz: str) -> tuple[datetime, datetime]:
    start, end = day_bounds(period.first_day, period.last_day, tz)
    return start, end


def default_period(now: datetime | None = None) -> Month:
    """The month before today in the bank's calendar: what the run on the 1st produces."""
    return Month.of(local_today(_tz(), now or SYSTEM_CLOCK.now())).previous()


def parse_period(text: str, *, now: datetime | None = None) -> Month:
    """Parse "YYYY-MM"; refuse a malformed month and one that has not ended yet (its
    statement could still change, and a document is never rewritten)."""
    try:
        period = Month.parse(text)
    except InvalidMonth as exc:
        if exc.code == MALFORMED:
            raise PeriodNotOver("Give the period as YYYY-MM, e.g. 2026-05.") from None
        raise PeriodNotOver(f"{text!r} is not a valid month.", code=exc.code) from None
    _refuse_open_month(period, now)
    return period


def _refuse_open_month(period: Month, now: datetime | None) -> None:
    _start, end = _bounds(period, _tz())
    if end > (now or SYSTEM_CLOCK.now()):
        raise PeriodNotOver(
            f"{period} has not ended yet; statements are produced for past months.",
            code="month_open",
        )


def _accounts_open_in(session: Session, start: datetime, end: datetime):
    """Customer accounts open at some instant of [start, end), with their holder's name."""
    return session.execute(
        select(Account, User.full_name)
        .join(User, User.id == Account.owner_id)
        .where(
            Account.kind != AccountKind.SYSTEM.value,
            Account.opened_at < end,
            or_(Account.closed_at.is_(None), Account.closed_at >= start),
        )
        .order_by(Account.id)
    ).all()


def produce(
    *, actor: Actor, period: Month | None = None, now: datetime | None = None
) -> ProductionReport:
    """Produce `period`'s document (default: last month) for every account open in it,
    once; one audit row for the run, naming the door (`via`) and the totals."""
    chosen = period or default_period(now)
    _refuse_open_month(chosen, now)
    tz = _tz()
    start, end = _bounds(chosen, tz)
    report = ProductionReport(period=str(chosen))
    issued_on = local_today(tz, now or SYSTEM_CLOCK.now())
    session = work.session()
    done = set(
        session.scalars(
            select(StatementDocument.account_id).where(StatementDocument.period == chosen.first_day)
        )
    )
    to_produce = []
    for account, holder in _accounts_open_in(session, start, end):
        if account.id in done:
            report.already += 1
        else:
            to_produce.append((_document_account(account), holder))
    session.rollback()  # end the read transaction: each document commits on its own
    for account, holder in to_produce:
        _produce_one(session, account, holder, chosen, tz, issued_on, report)
    with work.unit_of_work() as unit:
        work.record(
            unit,
            PRODUCTION_RUN,
            actor,
            target_type="statement_period",
            target_id=str(chosen),
            success=not report.failed,
            details={
                "produced": report.produced,
                "already": report.already,
                "failed": len(report.failed),
            },
        )
    log.info(
        "statements produced",
        extra={"period": report.period, "summary": report.summary(), "via": actor.via},
    )
    return report


def _document_account(account: Account) -> DocumentAccount:
    return DocumentAccount(
        id=account.id,
        number=account.number,
        kind=account.kind,
        currency=account.currency,
        display_name=account.display_name,
        masked_number=account.masked_number,
    )


def _produce_one(
    session: Session,
    account: DocumentAccount,
    holder: str,
    period: Month,
    tz: str,
    issued_on: date,
    report: ProductionReport,
) -> None:
    """One account's document in its own transaction; a failure is reported, not raised."""
    try:
        statement = build_statement(session, account.id, period, tz=tz)
        if not statement.reconciles:
            raise StatementDoesNotReconcile()
        pdf = render_statement_pdf(account, holder, statement, issued_on)
        csv = "".join(iter_csv(STATEMENT_HEADER, statement_csv_rows(statement)))
        session.add(
            StatementDocument(
                account_id=account.id,
                period=period.first_day,
                opening=statement.opening_balance,
                closing=statement.closing_balance,
                credits=statement.money_in,
                debits=statement.money_out,
                entry_count=len(statement.entries),
                pdf=pdf,
                csv=csv.encode("utf-8"),
            )
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        report.already += 1  # another run produced it between our read and our insert
    except Exception as exc:  # noqa: BLE001 - one account's failure must not stop the rest
        session.rollback()
        log.error(
            "statement document not produced",
            extra={
                "account_id": account.id,
                "period": str(period),
                "error_type": type(exc).__name__,
            },
        )
        report.failed.append((account.id, type(exc).__name__))
    else:
        report.produced += 1


class StatementDoesNotReconcile(Exception):
    """The journal disagrees with itself: run `flask ledger verify`; no document is issued."""


# Reading them back (the caller has checked the account is the signed-in customer's) ----
def archive(account_id: int) -> list[ArchivedStatement]:
    """The account's documents, newest month first (the files themselves are not read)."""
    rows = work.session().scalars(
        select(StatementDocument)
        .where(StatementDocument.account_id == account_id)
        .order_by(StatementDocument.period.desc())
    )
    return [
        ArchivedStatement(
            period=Month.of(row.period),
            opening=row.opening,
            closing=row.closing,
            credits=row.credits,
            debits=row.debits,
            entry_count=row.entry_count,
            created_at=row.created_at,
        )
        for row in rows
    ]


def document_file(account_id: int, period: Month, kind: str) -> bytes | None:
    """The stored PDF or CSV (`kind`: "pdf" | "csv") of one month, or None."""
    column = {"pdf": StatementDocument.pdf, "csv": StatementDocument.csv}[kind]
    return work.session().scalar(
        select(column).where(
            and_(
                StatementDocument.account_id == account_id,
                StatementDocument.period == period.first_day,
            )
        )
    )
