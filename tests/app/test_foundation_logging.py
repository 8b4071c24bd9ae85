"""JSON log lines: the fields every line carries, the access line, request ids, redaction."""

from __future__ import annotations

import io
import json
import logging
import sys
import uuid
from datetime import datetime

import pytest
from flask import request

from banking.app import create_app
from banking.extensions import csrf
from banking.logging import BankingJsonFormatter, build_handlers
from config import TestingConfig

# Extra apps re-bind the shared limiter: put it back after each test.
pytestmark = pytest.mark.usefixtures("restore_limiter")


log = logging.getLogger("banking.tests")


@pytest.fixture
def logs(app):
    """Collect what the app's JSON handlers write, through the same formatter and filters."""
    stream = io.StringIO()
    root = logging.getLogger()
    template = next(h for h in root.handlers if getattr(h, "_banking", False))
    handler = logging.StreamHandler(stream)
    handler.setFormatter(template.formatter)
    for log_filter in template.filters:
        handler.addFilter(log_filter)
    root.addHandler(handler)

    def read() -> tuple[str, list[dict]]:
        text = stream.getvalue()
        return text, [json.loads(line) for line in text.splitlines()]

    yield read
    root.removeHandler(handler)


@pytest.fixture
def talkative_app(app):
    """A fresh app with routes that log what careless code might log."""
    new = create_app(TestingConfig())

    @new.post("/t/echo-form")
    def echo_form():
        log.info("form received %s", dict(request.form))
        log.info(
            "headers", extra={"cookie": request.headers.get("Cookie"), "form": dict(request.form)}
        )
        return "ok"

    csrf.exempt(echo_form)
    return new


def access_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "banking.access"]


def test_the_app_logs_json_to_stdout(app, capsys):
    """Every handler the app installed formats JSON, one of them is the console one, and
    the console handler writes to stdout (built again here, under capsys, so where it
    writes can be checked: the installed one holds whatever stdout was at start-up)."""
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_banking", False)]
    assert ours
    assert all(isinstance(h.formatter, BankingJsonFormatter) for h in ours)
    assert [type(h) for h in ours].count(logging.StreamHandler) == 1
    (console,) = [h for h in build_handlers(app) if type(h) is logging.StreamHandler]
    assert console.stream is sys.stdout
    console.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, "to stdout", (), None))
    out, err = capsys.readouterr()
    assert json.loads(out)["message"] == "to stdout"
    assert err == ""


def test_the_log_file_rotates_at_log_max_bytes_keeping_log_backup_count_files(app, tmp_path):
    app.config.update(LOG_FILE=str(tmp_path / "app.log"), LOG_MAX_BYTES=1000, LOG_BACKUP_COUNT=2)
    handlers = build_handlers(app)
    (rotating,) = [h for h in handlers if type(h) is not logging.StreamHandler]
    writer = logging.getLogger("banking.tests.rotation")
    writer.propagate = False
    writer.addHandler(rotating)
    try:
        for number in range(80):  # ~10 KB of lines: many rotations
            writer.warning("line %d", number, extra={"padding": "x" * 40})
    finally:
        writer.removeHandler(rotating)
        rotating.close()
    files = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("app.log"))
    assert files == ["app.log", "app.log.1", "app.log.2"]
    numbers = []
    for name in files:
        text = (tmp_path / name).read_text()
        size = len(text.encode())
        longest = max(len(line.encode()) + 1 for line in text.splitlines())
        assert size < 1000 + longest, name  # rotated once the file reached LOG_MAX_BYTES
        numbers += [int(json.loads(line)["message"].split()[1]) for line in text.splitlines()]
    assert max(numbers) == 79  # the newest lines are kept, the oldest rotated away
    assert min(numbers) > 0


def test_every_line_has_timestamp_level_logger_message_and_request_id(logs, client):
    log.warning("outside a request")
    client.get("/healthz")
    _, lines = logs()
    assert lines
    for line in lines:
        assert {"timestamp", "level", "logger", "message", "request_id"} <= set(line)
    first = lines[0]
    assert first["level"] == "WARNING"
    assert first["logger"] == "banking.tests"
    assert first["message"] == "outside a request"
    assert first["request_id"] == "-"
    stamp = datetime.fromisoformat(first["timestamp"])
    assert stamp.utcoffset().total_seconds() == 0


def test_each_request_writes_one_access_line(logs, client):
    client.get("/healthz", headers={"X-Request-ID": "req-1"})
    _, lines = logs()
    (line,) = access_lines(lines)
    assert line["method"] == "GET"
    assert line["route"] == "/healthz"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], int | float) and line["duration_ms"] >= 0
    assert line["user_id"] is None
    assert line["remote_addr"] == "127.0.0.1"
    assert line["request_id"] == "req-1"


def test_access_line_names_the_url_rule_not_the_path(logs, client):
    client.get("/nowhere/123")
    _, lines = logs()
    (line,) = access_lines(lines)
    assert line["status"] == 404
    assert line["route"] is None


@pytest.mark.parametrize("sane", ["abc", "A.b-c_9", "x" * 64, str(uuid.uuid4())])
def test_a_sane_request_id_is_accepted_echoed_and_logged(logs, client, sane):
    response = client.get("/healthz", headers={"X-Request-ID": sane})
    assert response.headers["X-Request-ID"] == sane
    _, lines = logs()
    assert access_lines(lines)[0]["request_id"] == sane


@pytest.mark.parametrize(
    "malformed", ["", "has space", "x" * 65, "semi;colon", "<script>", "ünïcode", "a/b"]
)
def test_a_malformed_request_id_is_replaced_by_a_uuid4(logs, client, malformed):
    response = client.get("/healthz", headers={"X-Request-ID": malformed})
    returned = response.headers["X-Request-ID"]
    assert returned != malformed
    assert uuid.UUID(returned).version == 4
    assert str(uuid.UUID(returned)) == returned
    _, lines = logs()
    assert access_lines(lines)[0]["request_id"] == returned


def test_a_request_without_an_id_gets_a_fresh_uuid4_each_time(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert first != second
    assert uuid.UUID(first).version == 4


def test_lines_logged_during_a_request_carry_its_id(logs, talkative_app):
    talkative_app.test_client().post(
        "/t/echo-form", data={"a": "1"}, headers={"X-Request-ID": "trace-42"}
    )
    _, lines = logs()
    assert {line["request_id"] for line in lines} == {"trace-42"}


def test_the_secret_key_never_appears_in_a_log_line(logs, app):
    secret = app.config["SECRET_KEY"]
    log.info("config dump: SECRET_KEY is %s", secret)
    log.info("dump", extra={"config": {"SECRET_KEY": secret}, "note": f"key {secret}"})
    text, _ = logs()
    assert secret not in text
    assert "[REDACTED]" in text


def test_the_database_password_never_appears_in_a_log_line(logs, app, monkeypatch):
    monkeypatch.setenv("TEST_DATABASE_URL", "postgresql://bank:Db-Pa55word-XYZ@127.0.0.1:1/bank")
    create_app(TestingConfig())  # registers the database password with the log filter
    log.error("cannot connect to postgresql+psycopg://bank:Db-Pa55word-XYZ@127.0.0.1:1/bank")
    log.error("auth failed for bank using Db-Pa55word-XYZ")
    text, _ = logs()
    assert "Db-Pa55word-XYZ" not in text


def test_passwords_csrf_tokens_and_session_cookies_never_appear(logs, talkative_app):
    client = talkative_app.test_client()
    client.get("/auth/login")  # sets the session cookie (it holds the CSRF secret)
    cookie = client.get_cookie("banking_session")
    assert cookie is not None
    client.post(
        "/t/echo-form",
        data={
            "email": "jane@example.com",
            "password": "hunter2-is-my-password",
            "new_password": "Another-Secret-99",
            "csrf_token": "csrf-token-value-1234567890",
        },
    )
    log.info("password=Plain-Text-Pw-1 retry")
    log.info("login", extra={"password": "Extra-Field-Pw-2", "csrf_token": "csrf-extra-333"})
    text, _ = logs()
    for leaked in (
        "hunter2-is-my-password",
        "Another-Secret-99",
        "csrf-token-value-1234567890",
        "Plain-Text-Pw-1",
        "Extra-Field-Pw-2",
        "csrf-extra-333",
        cookie.value,
    ):
        assert leaked not in text, leaked
    assert "jane@example.com" in text  # redaction is targeted, not a blanket wipe


def test_a_sensitive_field_name_is_redacted_every_time_not_only_the_first(logs):
    # Field names are remembered once judged (they repeat on every line): the memo must
    # keep a secret name secret and a plain name plain, whatever came first.
    for attempt in range(3):
        log.info("fields", extra={"status": attempt, "api_token": f"tok-{attempt}-9876"})
    text, lines = logs()
    assert "9876" not in text
    assert [line["status"] for line in lines[-3:]] == [0, 1, 2]
    assert all(line["api_token"] == "[REDACTED]" for line in lines[-3:])


def test_exception_tracebacks_are_reduced_to_their_type(logs):
    try:
        raise ValueError("password=from-an-exception-777")
    except ValueError:
        log.exception("something failed")
    text, lines = logs()
    assert "Traceback" not in text
    assert "from-an-exception-777" not in text
    assert lines[-1]["error_type"] == "ValueError"


def test_development_emails_go_to_stderr_and_stdout_stays_json(app, client, capsys):
    """The dev mailbox is the terminal, but stdout is for JSON log lines only: a reset
    email (with its one-time link) printed there would corrupt the log stream."""
    from tests.support.builders import make_customer
    from tests.support.forms import submit

    app.config["MAIL_BACKEND"] = "log"
    customer = make_customer(app)
    capsys.readouterr()
    submit(client, "/auth/forgot", {"email": customer.email})
    out, err = capsys.readouterr()
    assert "/auth/reset/" in err
    assert "/auth/reset/" not in out
    for line in filter(None, out.splitlines()):
        json.loads(line)


def test_a_payment_by_account_number_leaves_no_full_account_number_in_the_logs(logs, app, client):
    """Numbers are typed into forms and shown masked; the access line names the URL rule."""
    from tests.support.builders import make_customer
    from tests.support.sessions import login_as
    from tests.support.transfers import pay

    jane = make_customer(app, "Jane Doe", balance="100.00")
    john = make_customer(app, "John Smith")
    login_as(client, app, jane.id)

    paid = pay(client, jane.account_id, john.account_number, "5.00", memo="rent")
    client.get(f"/accounts/{jane.account_id}/history?q={john.account_number}")

    assert paid.result is not None and paid.result.status_code == 302
    text, lines = logs()
    assert any(line.get("route") == "/transfers/confirm" for line in lines)
    for number in (jane.account_number, john.account_number):
        assert number not in text
