"""HAProxy's runtime API (its stats socket) for the cluster: who is up, drain, put back."""

from __future__ import annotations

import socket

from deploy.cluster.processes import wait_until


class BalancerControl:
    """Mixed into Cluster, which provides `stats_socket` and `apps`."""

    def haproxy(self, command: str) -> str:
        """One command on HAProxy's runtime API (its stats socket)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.stats_socket))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def server_stats(self) -> dict[str, dict[str, str]]:
        """`show stat` for the app servers: {name: {"status": "UP", "stot": ..., ...}}."""
        lines = self.haproxy("show stat").strip().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:]]
        return {
            row["svname"]: row
            for row in rows
            if row.get("pxname") == "app" and row["svname"] not in ("BACKEND", "FRONTEND")
        }

    def up_servers(self) -> set[str]:
        return {name for name, row in self.server_stats().items() if row["status"] == "UP"}

    def wait_balanced(self, names: set[str] | None = None, seconds: float = 30) -> None:
        wanted = names if names is not None else {h.name for h in self.apps}
        if not wait_until(lambda: wanted <= self.up_servers(), seconds, 0.2):
            raise RuntimeError(f"balancer sees {self.server_stats()}, wanted {wanted} up")

    def drain(self, name: str) -> None:
        """No new requests for `name`; the ones it has finish (a deploy's first step)."""
        self.haproxy(f"set server app/{name} state drain")

    def undrain(self, name: str) -> None:
        self.haproxy(f"set server app/{name} state ready")

    def in_flight(self, name: str) -> int:
        return int(self.server_stats()[name]["scur"] or 0)
