"""The page load's wrk clients keep the cookies the app sets, as a browser does.

A signed-in page re-signs the session cookie when its idle clock moves; a load client
that kept sending the sign-in's cookie would make every later request pay for that,
which no customer's browser does. Runs wrk (Debian's package) against a stub server.
"""

import subprocess
import threading
from http.server import BaseHTTPRequestHandler

from bench.tests.stub_server import stub_server
from bench.wrk import ensure_wrk, parse_wrk_output, wrk_command


class _Stub(BaseHTTPRequestHandler):
    """Sets `session=two` on the answer to a request still carrying `session=one`, and
    deletes the `gone` cookie the first time it sees it; records every Cookie header."""

    protocol_version = "HTTP/1.1"
    seen: list = []
    lock = threading.Lock()

    def do_GET(self):
        cookie = self.headers.get("Cookie", "")
        with self.lock:
            self.seen.append(cookie)
        self.send_response(200)
        if "session=one" in cookie:
            self.send_header("Set-Cookie", "session=two; Path=/; HttpOnly; SameSite=Lax")
        elif "gone=x" in cookie:
            self.send_header("Set-Cookie", "gone=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_each_wrk_thread_sends_the_cookie_the_server_last_set_and_drops_a_deleted_one():
    ensure_wrk()
    _Stub.seen = []
    with stub_server(_Stub) as base_url:
        command = wrk_command(
            f"{base_url}/",
            connections=2,
            duration_s=1,
            cookie="session=one; gone=x; theme=dark",
        )
        completed = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert completed.returncode == 0, completed.stderr
    result = parse_wrk_output(completed.stdout)
    seen = _Stub.seen
    assert result["requests"] > 20 and result["errors"] == 0
    # Each of the two threads starts with the given cookie, takes the new session, then
    # loses the deleted one; everything after is the cookie it kept.
    assert seen.count("session=one; gone=x; theme=dark") <= 2
    assert seen.count("session=two; gone=x; theme=dark") <= 2
    assert len([c for c in seen if c != "session=two; theme=dark"]) <= 4
    assert seen[-1] == "session=two; theme=dark"
    assert result["cookie_updates"] == 4
