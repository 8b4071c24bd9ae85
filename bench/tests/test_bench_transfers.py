"""The wrk transfer load: its client file, its report, its error kinds, and the Lua
script itself run by wrk against a stub server that checks every POST."""

import json
import re
import subprocess
import threading
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

import pytest

from bench.tests.stub_server import stub_server
from bench.transfers import (
    CONFIRM_PATH,
    LUA_SCRIPT,
    Client,
    client_lines,
    key_prefix,
    transfer_figures,
)
from bench.wrk import ensure_wrk, report_json, wrk_command

NONCE = "0123456789abcd"
CLIENTS = [
    Client("session=abc; remember=1", "tok.en-1/+", 11, ["222", "333"]),
    Client("session=def", "tok2", 22, ["111", "333"]),
]


def test_key_prefix_makes_a_version_4_uuid_unique_per_run_and_thread():
    keys = {key_prefix(NONCE, i) + f"{7:012x}" for i in range(3)}
    assert len(keys) == 3
    for key in keys:
        assert uuid.UUID(key).version == 4
    assert key_prefix(NONCE, 1) != key_prefix("fedcba98765432", 1)
    with pytest.raises(ValueError):
        key_prefix("short", 0)


def test_client_file_has_one_encoded_line_per_thread():
    text = client_lines(CLIENTS, NONCE)
    lines = text.splitlines()
    assert len(lines) == 2
    cookie, body, prefix, numbers = lines[0].split("\t")
    assert cookie == "session=abc; remember=1"
    assert parse_qs(body) == {
        "csrf_token": ["tok.en-1/+"],
        "flow": ["pay"],
        "from_account": ["11"],
        "amount": ["0.01"],
        "memo": ["bench"],
    }
    assert prefix == key_prefix(NONCE, 0)
    assert numbers == "222,333"
    assert lines[1].split("\t")[2] == key_prefix(NONCE, 1)


def test_a_tab_in_a_field_is_refused_not_written():
    with pytest.raises(ValueError):
        client_lines([Client("a\tb", "t", 1, ["2"])], NONCE)


REPORT = {
    "requests": 1010,
    "duration_us": 5_000_000,
    "made": 1000,
    "kinds": {"500": 4, "302 /auth/login": 6},
    "connect_errors": 0,
    "read_errors": 2,
    "write_errors": 0,
    "timeouts": 1,
    "p50_us": 12000,
    "p95_us": 30000,
    "p99_us": 45500,
    "max_us": 90000,
    "threads": 16,
}


def test_report_gives_transfers_rate_and_errors_by_kind_with_socket_errors():
    figures = transfer_figures(REPORT)
    assert figures["transfers"] == 1000
    assert figures["tps"] == 200.0
    assert figures["clients"] == 16
    assert figures["errors"] == 13
    assert figures["error_kinds"] == {"500": 4, "302 /auth/login": 6, "read": 2, "timeout": 1}
    assert (figures["p50_ms"], figures["p95_ms"], figures["p99_ms"]) == (12.0, 30.0, 45.5)


def test_wrk_runs_one_thread_per_client_with_the_transfer_script():
    command = wrk_command(
        "http://h/transfers/confirm",
        connections=16,
        threads=16,
        duration_s=5,
        script=LUA_SCRIPT,
        script_args=("/tmp/c.tsv",),
    )
    assert command[:3] == ["wrk", "-t16", "-c16"]
    assert command[command.index("-s") + 1].endswith("transfer.lua")
    assert command[-3:] == ["http://h/transfers/confirm", "--", "/tmp/c.tsv"]


class _Stub(BaseHTTPRequestHandler):
    """Answers the confirm POST as the app would; every 5th from the second client is
    bounced to the sign-in page, every 7th from the first is a 500."""

    protocol_version = "HTTP/1.1"
    seen: list = []
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        fields = {k: v[0] for k, v in parse_qs(body).items()}
        with self.lock:
            self.seen.append(
                (self.path, self.headers.get("Cookie"), self.headers["Content-Type"], fields)
            )
            count = len([s for s in self.seen if s[1] == self.headers.get("Cookie")])
        if self.headers.get("Cookie") == "session=def" and count % 5 == 0:
            self.send_response(302)
            self.send_header("Location", "/auth/login?next=%2Ftransfers%2Fconfirm")
        elif self.headers.get("Cookie") != "session=def" and count % 7 == 0:
            self.send_response(500)
        else:
            self.send_response(302)
            self.send_header("Location", "/transfers/42")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_lua_script_posts_the_confirm_form_and_classes_the_answers(tmp_path):
    ensure_wrk()
    with stub_server(_Stub) as base_url:
        clients_file = tmp_path / "clients.tsv"
        clients_file.write_text(client_lines(CLIENTS, NONCE))
        command = wrk_command(
            f"{base_url}{CONFIRM_PATH}",
            connections=2,
            threads=2,
            duration_s=1,
            script=LUA_SCRIPT,
            script_args=(str(clients_file),),
        )
        completed = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert completed.returncode == 0, completed.stderr
    raw = report_json(completed.stdout)
    seen = _Stub.seen
    assert raw["requests"] == raw["made"] + sum(raw["kinds"].values())
    assert raw["made"] > 0
    assert set(raw["kinds"]) == {"500", "302 /auth/login"}
    assert {cookie for _path, cookie, _type, _f in seen} == {
        "session=abc; remember=1",
        "session=def",
    }
    keys = [fields["idempotency_key"] for *_rest, fields in seen]
    assert len(set(keys)) == len(keys)  # fresh each time, across both threads
    assert all(uuid.UUID(key).version == 4 for key in keys)
    for path, cookie, content_type, fields in seen:
        assert path == CONFIRM_PATH
        assert content_type == "application/x-www-form-urlencoded"
        mine = CLIENTS[0] if cookie.startswith("session=abc") else CLIENTS[1]
        assert fields["csrf_token"] == mine.csrf
        assert fields["from_account"] == str(mine.source_id)
        assert fields["to_number"] in mine.destinations
        assert (fields["flow"], fields["amount"], fields["memo"]) == ("pay", "0.01", "bench")
        assert re.fullmatch(r"[0-9a-f-]{36}", fields["idempotency_key"])
    json.dumps(raw)  # the report is plain JSON all the way down
