"""SMTP over TLS verifies the server: real TLS on 127.0.0.1 with a throwaway CA (trustme).

`starttls()` without a context used to accept any certificate: a fake server with a
self-signed certificate for another name captured the SMTP login and a reset link.
"""

from __future__ import annotations

import logging
import socket
import ssl

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from banking.services.email import send_email

MAIL_PASSWORD = "smtp-secret-pw-1234"


class Recorder:
    """The fake mail server's handler and authenticator: what reached it."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def probe_tls(port: int) -> None:
    probe = ssl.create_default_context()
    probe.check_hostname = False
    probe.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", port), 5) as raw,
        probe.wrap_socket(raw) as tls,
    ):
        tls.recv(1024)  # the banner: the server's protocol factory has run


@pytest.fixture
def ca():
    return trustme.CA()


def server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


@pytest.fixture
def start_server():
    """Start an aiosmtpd server on 127.0.0.1 (STARTTLS or implicit TLS); stop it after."""
    controllers: list[Controller] = []

    def start(context: ssl.SSLContext, *, implicit: bool) -> tuple[int, Recorder]:
        recorder = Recorder()
        options = {"authenticator": recorder, "auth_require_tls": True}
        if implicit:
            # The whole connection is TLS; aiosmtpd only counts a STARTTLS upgrade as TLS
            # for AUTH, so its own check is turned off here (the client's is what's tested).
            options.update(ssl_context=context, auth_require_tls=False)
        else:
            options.update(tls_context=context, require_starttls=True)
        port = free_port()
        controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
        if implicit:
            # aiosmtpd's start-up probe would wrap its socket in the *server's* context;
            # probe as a client that skips verification (only this readiness check does).
            controller._trigger_server = lambda: probe_tls(port)
        controller.start()
        controllers.append(controller)
        return port, recorder

    yield start
    for controller in controllers:
        controller.stop()


def smtp_config(app, port: int, *, implicit: bool, ca_file: str | None) -> None:
    app.config.update(
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_USE_TLS=not implicit,
        MAIL_USE_SSL=implicit,
        MAIL_CA_FILE=ca_file,
        MAIL_USERNAME="bank-relay",
        MAIL_PASSWORD=MAIL_PASSWORD,
        MAIL_TIMEOUT=5,
    )


def send(app) -> None:
    with app.app_context():
        send_email("victim@example.com", "Reset", "https://bank.example.com/auth/reset/TOKEN")


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "implicit-tls"])
def test_a_server_whose_certificate_is_not_trusted_gets_nothing(
    app, ca, start_server, implicit, caplog, tmp_path
):
    port, recorder = start_server(server_context(ca, "127.0.0.1"), implicit=implicit)
    smtp_config(app, port, implicit=implicit, ca_file=None)  # the throwaway CA is unknown
    with caplog.at_level(logging.WARNING), pytest.raises(ssl.SSLCertVerificationError):
        send(app)
    assert recorder.logins == []
    assert recorder.messages == []
    failures = [r for r in caplog.records if r.getMessage().startswith("email not sent")]
    assert failures and failures[0].error_type == "SSLCertVerificationError"
    logged = caplog.text + " ".join(str(vars(r)) for r in caplog.records)
    assert MAIL_PASSWORD not in logged
    assert "TOKEN" not in logged


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "implicit-tls"])
def test_a_certificate_for_another_name_is_refused_even_from_a_trusted_ca(
    app, ca, start_server, implicit, tmp_path
):
    port, recorder = start_server(server_context(ca, "mail.other.example"), implicit=implicit)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    smtp_config(app, port, implicit=implicit, ca_file=str(ca_file))
    with pytest.raises(ssl.SSLCertVerificationError):
        send(app)
    assert recorder.logins == []
    assert recorder.messages == []


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "implicit-tls"])
def test_a_trusted_server_gets_the_login_and_the_message(app, ca, start_server, implicit, tmp_path):
    port, recorder = start_server(server_context(ca, "127.0.0.1"), implicit=implicit)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    smtp_config(app, port, implicit=implicit, ca_file=str(ca_file))
    send(app)
    assert recorder.logins == [(b"bank-relay", MAIL_PASSWORD.encode())]
    assert len(recorder.messages) == 1
    assert "https://bank.example.com/auth/reset/TOKEN" in recorder.messages[0]
