"""JSON logging: one object per line on stdout (and a rotating file), every line redacted.

The file handler is concurrent-log-handler's, because the stdlib RotatingFileHandler
corrupts or loses lines when several gunicorn workers rotate the same file.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request
from flask_login import current_user
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy import inspect as sa_inspect

from banking.core import audit
from banking.core.redaction import SENSITIVE_KEYS

REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
REDACTED = "[REDACTED]"
_STD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message"}
_NOT_EXTRA = frozenset(_STD_ATTRS | {"request_id"})  # what RedactionFilter leaves as it is


class RequestIdFilter(logging.Filter):
    """Stamp every record with the current request id ('-' outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class RedactionFilter(logging.Filter):
    """Scrub secrets from messages and extra fields before any handler sees them.

    Known secret values (SECRET_KEY, the database password, ...) are registered at
    start-up and replaced wherever they appear; extra fields whose *name* looks
    sensitive are replaced whole; `password=...`-style pairs in text are masked.
    """

    # `password=x`, `csrf_token: x`, `'password': 'x'`, `banking_session=x`, `Cookie: x`.
    PAIR = re.compile(
        r"(?i)\b([\w-]*(?:password|passwd|secret|token|csrf|session|cookie|api_key))"
        r"(['\"]?\s*[=:]\s*['\"]?)([^\s&,;'\"}]+)"
    )
    URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)([^@\s]+)(@)")

    # Short strings repeat on every request (the message, method, route, client address):
    # the ones found clean are remembered, since the scrub is a pure function of the text
    # and the registered secrets (emptied whenever a secret is added). A string that had
    # something to hide is never kept.
    MEMO_MAX_LENGTH = 120
    MEMO_SIZE = 2048

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self._memo: dict[str, str] = {}  # clean strings (a dict keeps insertion order)
        self._sensitive_names: dict[str, bool] = {}

    def add_secret(self, value: str | None) -> None:
        if value and len(value) >= 4:
            self.secrets.add(value)
            self._memo.clear()

    def scrub(self, text: str) -> str:
        if len(text) > self.MEMO_MAX_LENGTH:
            return self._scrub(text)
        if text in self._memo:
            return text
        scrubbed = self._scrub(text)
        if scrubbed == text:
            if len(self._memo) >= self.MEMO_SIZE:
                self._memo.clear()
            self._memo[text] = text
        return scrubbed

    def _scrub(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        text = self.URL_PASSWORD.sub(r"\1" + REDACTED + r"\3", text)
        return self.PAIR.sub(r"\1\2" + REDACTED, text)

    def sensitive(self, key: object) -> bool:
        """Whether a field's name alone makes it secret (memoised: the names repeat)."""
        name = str(key)
        known = self._sensitive_names.get(name)
        if known is None:
            known = SENSITIVE_KEYS.search(name) is not None
            if len(self._sensitive_names) >= self.MEMO_SIZE:
                self._sensitive_names.clear()
            self._sensitive_names[name] = known
        return known

    def scrub_value(self, key: str, value, depth: int = 0):
        """Redact a field by its name, or scrub inside it (strings, dicts, lists)."""
        if self.sensitive(key):
            return REDACTED
        if isinstance(value, str):
            return self.scrub(value)
        if depth < 4 and isinstance(value, dict):
            return {k: self.scrub_value(k, v, depth + 1) for k, v in value.items()}
        if depth < 4 and isinstance(value, list | tuple):
            return [self.scrub_value("", v, depth + 1) for v in value]
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not leak its args
            message = str(record.msg)
        record.msg = self.scrub(message)
        record.args = ()
        if record.exc_info and record.exc_info[1] is not None:
            # Exception text can carry SQL parameters; keep only the type in logs.
            exc_type = record.exc_info[0].__name__ if record.exc_info[0] else "Exception"
            record.error_type = exc_type
        # No stack traces in logs: they carry local values and paths.
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        fields = record.__dict__
        for key in fields.keys() - _NOT_EXTRA:  # a set difference: no loop over the ~25 others
            fields[key] = self.scrub_value(key, fields[key])
        return True


class BankingJsonFormatter(JsonFormatter):
    """Fields every line carries: timestamp (UTC ISO 8601), level, logger, message, request_id."""

    def format(self, record: logging.LogRecord) -> str:
        """The line python-json-logger would write, made without its general machinery.

        Every request writes an access line, and the library's path (required fields,
        static fields, renames, an extra-field merge that asks each of ~25 attributes
        two questions, the hooks) cost more than the JSON encoding itself. For the plain
        records the app writes (a text message, no exception or stack, and this class's
        configuration: the message field only, no defaults, renames or static fields) the
        same dict is built directly and serialised by the library's own encoder; anything
        else takes the library's path. tests/app/test_logging_format.py holds the two
        outputs equal.
        """
        if (
            type(record.msg) is not str
            or record.exc_info
            or record.exc_text
            or record.stack_info
            or not self._plain
        ):
            return super().format(record)
        record.message = record.getMessage()
        log_data: dict = {"message": record.message}
        skip = self._skip_fields
        for key, value in record.__dict__.items():
            if key not in skip and not key.startswith("_"):
                log_data[key] = value
        self._add_banking_fields(log_data, record)
        return self.prefix + self.jsonify_log_record(log_data)

    @functools.cached_property
    def _plain(self) -> bool:
        """Whether this formatter is configured so that `format`'s direct path applies."""
        return (
            self._required_fields == ["message"]
            and not self.defaults
            and not self.static_fields
            and not self.rename_fields
            and not self.rename_fields_keep_missing
            and not self.timestamp
            and type(self).process_log_record is JsonFormatter.process_log_record
        )

    def add_fields(self, log_record: dict, record: logging.LogRecord, message_dict: dict) -> None:
        super().add_fields(log_record, record, message_dict)
        self._add_banking_fields(log_record, record)

    @staticmethod
    def _add_banking_fields(log_record: dict, record: logging.LogRecord) -> None:
        log_record["timestamp"] = datetime.fromtimestamp(record.created, UTC).isoformat(
            timespec="milliseconds"
        )
        log_record["level"] = record.levelname
        log_record["logger"] = record.name
        log_record.setdefault("request_id", getattr(record, "request_id", "-"))
        log_record.pop("levelname", None)
        log_record.pop("name", None)


redaction_filter = RedactionFilter()


def get_redaction_filter() -> RedactionFilter:
    """The process-wide filter (gunicorn's logconfig_dict shares it with the app's handlers)."""
    return redaction_filter


def build_handlers(app: Flask) -> list[logging.Handler]:
    formatter = BankingJsonFormatter("%(message)s")
    stdout = logging.StreamHandler(sys.stdout)
    handlers: list[logging.Handler] = [stdout]
    if app.config.get("LOG_FILE"):
        from concurrent_log_handler import ConcurrentRotatingFileHandler

        handlers.append(
            ConcurrentRotatingFileHandler(
                app.config["LOG_FILE"],
                maxBytes=app.config["LOG_MAX_BYTES"],
                backupCount=app.config["LOG_BACKUP_COUNT"],
                encoding="utf-8",
            )
        )
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(RequestIdFilter())
        handler.addFilter(redaction_filter)
    return handlers


class HideTaskArguments(logging.Filter):
    """Celery logs a failed task's arguments; one of ours is an email address. Keep the
    task's name and id, drop its arguments (the failed-jobs list keeps them, to retry)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for context in (getattr(record, "data", None), record.args):
            if isinstance(context, dict):
                for key in ("args", "kwargs"):
                    if key in context:
                        context[key] = "[HIDDEN]"
        return True


_hide_task_arguments = HideTaskArguments()


def configure_logging(app: Flask) -> None:
    """Route the app's and the stack's loggers to JSON handlers, replacing earlier ones."""
    for name in ("celery.app.trace", "celery.worker.request"):
        logging.getLogger(name).addFilter(_hide_task_arguments)  # a set: added once
    for value in (
        app.config.get("SECRET_KEY"),
        _database_password(app.config.get("SQLALCHEMY_DATABASE_URI")),
        app.config.get("MAIL_PASSWORD"),
        *app.config.get("SECRET_KEY_FALLBACKS", []),
    ):
        redaction_filter.add_secret(value)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_banking", False):
            root.removeHandler(handler)
            handler.close()
    for handler in build_handlers(app):
        handler._banking = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    _skip_unused_record_fields()
    app.logger.handlers.clear()
    app.logger.propagate = True
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    register_request_logging(app)


def _skip_unused_record_fields() -> None:
    """Stop making, for every record, fields no line of ours prints: the caller's file,
    line and function (a stack walk), the thread, process and multiprocessing names.

    The logging HOWTO's "Optimization" section names exactly these switches. Every line is
    a JSON object of the message, its extra fields, time, level, logger and request id
    (BankingJsonFormatter), so none of them ever reached a log; making them was ~10 % of
    the access line's cost, on every request. A formatter that wants them back must turn
    these on again.
    """
    logging._srcfile = None  # type: ignore[attr-defined]  # documented: skips findCaller()
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def _database_password(url: str | None) -> str | None:
    if not url:
        return None
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).password
    except Exception:  # noqa: BLE001 - a malformed URL simply has no password to hide
        return None


access_log = logging.getLogger("banking.access")


def register_request_logging(app: Flask) -> None:
    """Accept or mint an X-Request-ID, echo it, and write one access line per request."""

    # These run on every request: each reads `request` and `g` once (every LocalProxy
    # access is a context-variable lookup, and they add up over a request's hooks).
    @app.before_request
    def assign_request_id() -> None:
        req = request._get_current_object()
        ctx = g._get_current_object()
        headers = req.headers
        incoming = headers.get("X-Request-ID", "")
        request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else str(uuid.uuid4())
        ctx.request_id = request_id
        ctx.request_started = time.perf_counter()
        # Every audit row written during this request carries where it came from.
        ctx.audit_origin_token = audit.set_origin(
            audit.Origin(
                ip=req.remote_addr,
                user_agent=headers.get("User-Agent", ""),  # what `request.user_agent` holds
                request_id=request_id,
            )
        )

    @app.teardown_request
    def forget_audit_origin(_exc) -> None:
        token = g.pop("audit_origin_token", None)
        if token is not None:
            try:
                audit.reset_origin(token)
            except ValueError:  # set in another context (a copied one): just clear it
                audit.set_origin(None)

    @app.after_request
    def log_request(response):
        ctx = g._get_current_object()
        request_id = ctx.get("request_id") or str(uuid.uuid4())
        response.headers["X-Request-ID"] = request_id
        if not access_log.isEnabledFor(logging.INFO):
            return response  # nothing below would be written
        started = ctx.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 2) if started else None
        user_id = None
        try:
            user_id = _signed_in_user_id()
        except Exception:  # noqa: BLE001 - logging must never fail a request
            user_id = None
        req = request._get_current_object()
        access_log.info(
            "request",
            extra={
                "method": req.method,
                "route": req.url_rule.rule if req.url_rule else None,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": user_id,
                "remote_addr": req.remote_addr,
            },
        )
        return response


def _signed_in_user_id() -> int | None:
    """The user's id, from the identity map when the request already loaded the user.

    A commit expires every loaded object, so `current_user.id` after (say) a transfer
    would cost one more SELECT of the user just to write this log line.
    """
    user = g.get("_login_user")
    if user is None:
        user = current_user  # not loaded yet: load it as before
    if not user or not user.is_authenticated:
        return None
    state = sa_inspect(user, raiseerr=False)
    if state is not None and state.identity:
        return state.identity[0]
    return user.id
