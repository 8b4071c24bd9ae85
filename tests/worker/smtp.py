"""Mail servers for the worker tests: a sink that keeps what it accepts, one that stalls
the first message until told to let go, and one that accepts TCP and never says a word.

They run in threads of the test process and listen on 127.0.0.1; the worker under test
reaches them through MAIL_SERVER / MAIL_PORT (plain SMTP, MAIL_USE_TLS=false).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self, stall_first: bool) -> None:
        self.delivered: list[Message] = []
        self.stall_first = stall_first
        self.stalled = threading.Event()  # the first DATA arrived and is being held
        self.release = threading.Event()  # the test lets the held DATA go (refused)
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            hold = self.stall_first and not self.stalled.is_set()
            if hold:
                self.stalled.set()
        if hold:
            # The sender sits in its DATA command (the task is mid-run) until the test
            # has killed it; the message it was sending never counts as delivered.
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Try again later"
        with self._lock:
            self.delivered.append(message_from_bytes(envelope.content))
        return "250 OK"


class SmtpSink:
    """An SMTP server on `port` (a free one if 0) that keeps every message it accepts."""

    def __init__(self, port: int = 0, *, stall_first: bool = False) -> None:
        self.handler = _Handler(stall_first)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port or free_port())
        self.controller.start()
        self.port = self.controller.port

    @property
    def messages(self) -> list[Message]:
        return list(self.handler.delivered)

    @property
    def stalled(self) -> threading.Event:
        return self.handler.stalled

    def release(self) -> None:
        self.handler.release.set()

    def stop(self) -> None:
        self.handler.release.set()
        self.controller.stop()


class HangingServer:
    """Accepts TCP connections on `port` and never answers (an SMTP server that hangs).

    `accepted` counts the connections it holds, so a test can tell that the worker is
    stuck talking to it; `close` drops them all and frees the port for a working sink.
    """

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port: int = self._listener.getsockname()[1]
        self._held: list[socket.socket] = []
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def accepted(self) -> int:
        return len(self._held)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._held.append(connection)

    def close(self) -> None:
        self._closed.set()
        # shutdown() wakes the thread blocked in accept(); close() alone may not.
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        self._thread.join(timeout=5)
        for connection in self._held:
            connection.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
