"""Outgoing email, chosen per environment: logged in development, kept in memory in
tests, sent over SMTP in staging and production."""

from __future__ import annotations

import logging
import smtplib
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


def send_email(to: str, subject: str, body: str) -> None:
    message = Email(to=to, subject=subject, body=body)
    backend = current_app.config.get("MAIL_BACKEND", "log")
    if backend == "memory":
        outbox.append(message)
    elif backend == "smtp":
        _send_smtp(message)
    else:
        # Development: the console is the mailbox. The body is printed to stderr, not the
        # JSON log, because it may hold a one-time link that must never be in the logs.
        log.info("email written to console", extra={"subject": subject})
        print(f"\n--- email to {to}: {subject} ---\n{body}\n---\n", flush=True)  # noqa: T201


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
