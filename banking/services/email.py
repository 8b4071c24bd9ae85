"""Outgoing email, chosen per environment: printed to stderr in development, kept in
memory in tests, sent over SMTP in staging and production."""

from __future__ import annotations

import logging
import smtplib
import sys
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


outbox: list[Email] = []  # the "memory" backend's mailbox, read by tests
# The "log" backend's last emails, for development's /dev/mail page (banking.dev_mail):
# bounded, in this process only, and never filled by the smtp backend.
RECENT_CAPACITY = 50
recent: deque[Email] = deque(maxlen=RECENT_CAPACITY)


def send_email(to: str, subject: str, body: str) -> None:
    message = Email(to=to, subject=subject, body=body)
    backend = current_app.config.get("MAIL_BACKEND", "log")
    if backend == "memory":
        outbox.append(message)
    elif backend == "smtp":
        _send_smtp(message)
    else:
        _write_to_console(message)


def _write_to_console(message: Email) -> None:
    """Development's mailbox: the terminal's stderr.

    Not the JSON log, because the body may hold a one-time link that must never be in
    the logs; and not stdout, because stdout carries only JSON log lines (whatever
    collects them would choke on, or keep, the plain-text email). The log line says
    where to look, without the body. It is also kept in `recent` for /dev/mail.
    """
    log.info("email written to stderr", extra={"subject": message.subject})
    recent.append(message)
    print(  # noqa: T201
        f"\n--- email to {message.to}: {message.subject} ---\n{message.body}\n---\n",
        file=sys.stderr,
        flush=True,
    )


def _send_smtp(message: Email) -> None:
    cfg = current_app.config
    email = EmailMessage()
    email["From"] = cfg["MAIL_SENDER"]
    email["To"] = message.to
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(email)
    log.info("email sent", extra={"subject": message.subject})
