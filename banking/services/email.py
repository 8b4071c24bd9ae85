"""Outgoing email, chosen per environment: printed to stderr in development, kept in
memory in tests, sent over SMTP in staging and production."""

from __future__ import annotations

import logging
import smtplib
import ssl
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
# The "log" backend's last emails, for development's /dev/mail page (banking.web.dev_mail):
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


def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """The TLS settings for the mail server: verify its certificate and its name.

    `starttls()` without a context used to accept any certificate, so a server on the
    path could present a self-signed one for another name and collect the SMTP login and
    every reset link. `create_default_context` checks the chain and the host name;
    MAIL_CA_FILE adds a private CA (an internal relay) without turning checks off.
    """
    return ssl.create_default_context(cafile=ca_file or None)


def _smtp_connection(cfg) -> smtplib.SMTP:
    """An authenticated-ready connection: implicit TLS (port 465) or STARTTLS.

    MAIL_USE_SSL connects over TLS from the first byte; MAIL_USE_TLS upgrades a plain
    connection with STARTTLS and refuses a server that does not offer it (a stripped
    STARTTLS must not silently send the login in clear text). Neither is for a local
    relay on the same host only.
    """
    host, port = cfg["MAIL_SERVER"], cfg["MAIL_PORT"]
    timeout = cfg.get("MAIL_TIMEOUT", 10)
    if cfg.get("MAIL_USE_SSL"):
        context = tls_context(cfg.get("MAIL_CA_FILE"))
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls(context=tls_context(cfg.get("MAIL_CA_FILE")))
    except BaseException:
        smtp.close()
        raise
    return smtp


def _send_smtp(message: Email) -> None:
    cfg = current_app.config
    email = EmailMessage()
    email["From"] = cfg["MAIL_SENDER"]
    email["To"] = message.to
    email["Subject"] = message.subject
    email.set_content(message.body)
    try:
        with _smtp_connection(cfg) as smtp:
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
            smtp.send_message(email)
    except (OSError, smtplib.SMTPException) as exc:
        # The type only: an SMTP error's text can echo the address or the server's
        # reply to our login, and the email itself may hold a one-time link.
        log.warning(
            "email not sent: mail server failed",
            extra={"subject": message.subject, "error_type": type(exc).__name__},
        )
        raise
    log.info("email sent", extra={"subject": message.subject})
