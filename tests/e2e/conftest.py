"""Browser fixtures: the real app under gunicorn, headless Chromium, and a strict page guard.

The server is a separate process with its own fresh database (a temp-file SQLite db, or
`<name>_e2e` on PostgreSQL when TEST_DATABASE_URL is set), migrated and given an admin
through the same `flask` commands an operator uses. Every test's browser context is
watched by a `PageGuard`: a console error, a CSP violation, a failed asset or a 4xx/5xx
page fails the test unless the test said it expected exactly that response.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
DEFAULT_CHROMIUM = "/usr/bin/chromium"


def chromium_path(environ) -> str:
    """The browser binary: CHROMIUM, as the Makefile and .ci/run export it (so `make test`
    checks the same file the tests launch); the older E2E_CHROMIUM name when it is unset."""
    return environ.get("CHROMIUM") or environ.get("E2E_CHROMIUM") or DEFAULT_CHROMIUM


CHROMIUM = chromium_path(os.environ)
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICE_TESTS") == "1"
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
ADMIN_EMAIL = "admin@e2e.example.com"
PASSWORD = "correct horse battery staple"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# The live server's environment (its database), for `server_flask` (set by live_server).
SERVER_ENV: dict[str, str] = {}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


def _unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"browser tests are required (REQUIRE_SERVICE_TESTS=1): {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


def pytest_collection_modifyitems(items) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


def pytest_terminal_summary(terminalreporter) -> None:
    if SCREENSHOTS.exists() and any(SCREENSHOTS.iterdir()):
        terminalreporter.write_line(f"e2e screenshots: {SCREENSHOTS}")


# The server -------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _e2e_postgres_url(base: str) -> str:
    """Create (fresh) `<db>_e2e` next to the test database, so unit runs never collide."""
    import psycopg

    parts = urlsplit(base)
    name = (parts.path.lstrip("/") or "banking") + "_e2e"
    admin_url = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path="/" + name))


def _server_env(database_url: str, base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "REDIS_URL")}
    env.update(
        APP_ENV="development",
        DATABASE_URL=database_url,
        PUBLIC_BASE_URL=base_url,  # emailed links must lead back to this server
        SECRET_KEY="e2e-" + "x" * 40,
        FLASK_APP="wsgi",
        # Cheap hashes and room for the handful of sign-ups a run makes from one IP.
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_COST="1024",
        SIGNUP_RATE_LIMIT="200/hour",
        LOGIN_RATE_LIMIT="200/minute",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def _wait_until_ready(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the e2e server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the e2e server did not answer in 30 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def live_server():
    """The base URL of a gunicorn serving the app on a fresh, migrated database."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is not installed")

    workdir = Path(tempfile.mkdtemp(prefix="banking-e2e-"))
    test_db = os.environ.get("TEST_DATABASE_URL", "")
    if test_db.startswith("postgres"):
        database_url = _e2e_postgres_url(test_db)
    else:
        database_url = f"sqlite:///{workdir / 'e2e.db'}"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = _server_env(database_url, url)
    SERVER_ENV.clear()
    SERVER_ENV.update(env)
    flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(
        [*flask, "create-admin", "--email", ADMIN_EMAIL, "--name", "Ada Admin", "--password-stdin"],
        cwd=ROOT,
        env=env,
        input=PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
    log = workdir / "server.log"
    # One worker: development uses an in-process cache, which two workers would not share.
    with log.open("w") as log_file:
        command = [str(VENV_BIN / "gunicorn"), "-w", "1", "--threads", "8"]
        command += ["-b", f"127.0.0.1:{port}", "--graceful-timeout", "2", "wsgi:app"]
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_ready(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def server_flask(*args: str) -> str:
    """Run `flask <args>` on the live server's database, as its operator would; its output.

    For what only an operator or the worker does (issuing last month's statements needs
    last month's history, which only the demo seed can post in the past)."""
    assert SERVER_ENV, "use the live_server fixture first"
    done = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=SERVER_ENV,
        text=True,
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


# The browser ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser(live_server):
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _is_favicon(url: str) -> bool:
    path = urlsplit(url).path
    return path == "/favicon.ico" or path.endswith("/favicon.svg")


CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('securitypolicyviolation: ' + e.violatedDirective + ' blocked ' + e.blockedURI);
});
"""


@dataclass
class PageGuard:
    """Collects everything that would make a page broken or unsafe in a real browser."""

    base_url: str
    problems: list[str] = field(default_factory=list)
    expected: list[tuple[int, str]] = field(default_factory=list)

    def expect_status(self, status: int, path: str) -> None:
        """The test provokes this response on purpose (e.g. a refused transfer is a 400)."""
        self.expected.append((status, path))

    def watch(self, context) -> None:
        context.on("console", self._console)
        context.on("weberror", lambda error: self.problems.append(f"page error: {error.error}"))
        context.on("requestfailed", self._failed)
        context.on("response", self._response)

    def _console(self, message) -> None:
        text = message.text
        if message.type == "error" or "Content Security Policy" in text:
            if "Failed to load resource" in text and self._is_expected(message.location):
                return
            self.problems.append(f"console {message.type}: {text} ({message.location})")

    def _failed(self, request) -> None:
        # A download aborts the navigation that started it; that is not a broken page.
        if request.url.endswith((".csv", ".pdf")) or ".csv?" in request.url:
            return
        # Chromium fetches the favicon after the load event, so the next navigation
        # cancels it (net::ERR_ABORTED). The favicon's own 404 is still caught in
        # _response; only the cancellation is benign.
        if _is_favicon(request.url) and "ERR_ABORTED" in (request.failure or ""):
            return
        self.problems.append(f"request failed: {request.url} ({request.failure})")

    def _response(self, response) -> None:
        if response.status < 400:
            return
        request = response.request
        path = urlsplit(response.url).path
        is_asset = path.startswith("/static/") or path == "/favicon.ico"
        if not (is_asset or request.resource_type == "document"):
            return
        for status, expected_path in self.expected:
            if status == response.status and path == expected_path:
                return
        self.problems.append(f"{response.status} for {request.resource_type} {response.url}")

    def _is_expected(self, location: dict) -> bool:
        path = urlsplit(location.get("url", "")).path
        return any(path == expected_path for _, expected_path in self.expected)

    def check(self) -> None:
        problems, self.problems = self.problems, []
        assert not problems, "the browser saw problems:\n" + "\n".join(problems)


@contextmanager
def setup_pages(browser, live_server) -> Iterator:
    """Watched desktop pages for a module's set-up (its customer, an admin, a friend).

    Yields a factory; when the block ends, every page's guard is checked (no console
    error, no unexpected status) and its context closed.
    """
    made: list[tuple[object, PageGuard]] = []

    def new_page():
        context = browser.new_context(base_url=live_server, viewport=DESKTOP)
        guard = PageGuard(live_server)
        guard.watch(context)
        made.append((context, guard))
        page = context.new_page()
        page.guard = guard
        return page

    yield new_page
    for context, guard in made:
        guard.check()
        context.close()


@pytest.fixture
def new_context(browser, live_server):
    """Factory for watched browser contexts; every guard is checked when the test ends."""
    made: list[tuple[object, PageGuard]] = []

    def make(
        viewport=DESKTOP,
        *,
        javascript: bool = True,
        bypass_csp: bool = False,
        color_scheme: str = "light",
    ):
        context = browser.new_context(
            base_url=live_server,
            viewport=viewport,
            java_script_enabled=javascript,
            bypass_csp=bypass_csp,
            accept_downloads=True,
            locale="en-US",
            timezone_id="UTC",
            color_scheme=color_scheme,
        )
        context.set_default_timeout(10_000)
        guard = PageGuard(live_server)
        guard.watch(context)
        if not bypass_csp:
            context.add_init_script(CSP_LISTENER)
        made.append((context, guard))
        page = context.new_page()
        page.guard = guard
        return page

    yield make
    failures = []
    for context, guard in made:
        try:
            guard.check()
        except AssertionError as exc:
            failures.append(str(exc))
        context.close()
    assert not failures, "\n".join(failures)


@pytest.fixture
def page(new_context):
    return new_context()


@pytest.fixture(scope="session")
def admin_email() -> str:
    return ADMIN_EMAIL
