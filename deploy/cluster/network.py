"""Network namespaces as "hosts" on one private bridge, and their removal.

Each host is a namespace (`ip netns`) with one veth whose other end sits on a bridge in
the root namespace. The bridge has the subnet's `.1`, so the machine itself (the test,
the load generator) reaches every host, and the hosts reach each other through it;
nothing is routed anywhere else (no default route, no forwarding), so all traffic stays
between the namespaces this module created.

Names carry a prefix with the creating process's id (`bkc<pid>-app1`, bridge
`bkc<pid>br`): a run never touches another run's hosts, and `sweep_stale` removes what a
killed run (its pid gone) left behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass

PREFIX = "bkc"
STALE = re.compile(rf"^{PREFIX}(\d+)(?:-|br$)")


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ip", *args], capture_output=True, text=True, check=check, timeout=30
    )


def unavailable_reason() -> str | None:
    """Why this machine cannot run a cluster (None when it can)."""
    if os.geteuid() != 0:
        return "not root: network namespaces need CAP_SYS_ADMIN"
    if not shutil.which("ip"):
        return "no `ip` command (iproute2)"
    probe = f"{PREFIX}{os.getpid()}-probe"
    made = ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"`ip netns add` failed: {made.stderr.strip()}"
    ip("netns", "del", probe, check=False)
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def namespace_pids(ns: str) -> list[int]:
    result = ip("netns", "pids", ns, check=False)
    return [int(line) for line in result.stdout.split() if line.isdigit()]


def kill_namespace(ns: str) -> None:
    """SIGKILL whatever still runs in `ns` (only this run's processes live there), delete it."""
    for pid in namespace_pids(ns):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    ip("netns", "del", ns, check=False)


def sweep_stale() -> list[str]:
    """Remove namespaces and bridges of earlier runs whose process is gone."""
    removed = []
    listed = ip("netns", "list", check=False).stdout.split("\n")
    for line in listed:
        name = line.split(" ", 1)[0]
        match = STALE.match(name)
        if match and not _alive(int(match.group(1))):
            kill_namespace(name)
            removed.append(name)
    for line in ip("-o", "link", "show", check=False).stdout.splitlines():
        name = line.split(":", 2)[1].strip().split("@", 1)[0] if ":" in line else ""
        match = STALE.match(name)
        if match and not _alive(int(match.group(1))):
            ip("link", "del", name, check=False)
            removed.append(name)
    return removed


def free_subnet() -> str:
    """The first 10.77.N.0/24 that no interface on this machine uses ("10.77.N")."""
    used = ip("-4", "-o", "addr", "show", check=False).stdout
    for n in range(256):
        if f" 10.77.{n}." not in used:
            return f"10.77.{n}"
    raise RuntimeError("no free 10.77.N.0/24 subnet")


@dataclass(frozen=True)
class Host:
    name: str  # "app1", "lb", "data"
    ns: str  # the namespace
    ip: str
    veth: str  # the root namespace's end


class Network:
    """The bridge and one namespace per host; `remove` undoes everything, idempotently."""

    def __init__(self, subnet: str | None = None) -> None:
        self.tag = f"{PREFIX}{os.getpid()}"
        self.subnet = subnet or free_subnet()
        self.bridge = f"{self.tag}br"
        self.gateway = f"{self.subnet}.1"
        self.hosts: dict[str, Host] = {}
        self._bridge_made = False

    def create_bridge(self) -> None:
        ip("link", "add", self.bridge, "type", "bridge")
        self._bridge_made = True
        ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")

    def add_host(self, name: str, last_octet: int) -> Host:
        short = name.replace("app", "a")[:4]
        host = Host(name, f"{self.tag}-{name}", f"{self.subnet}.{last_octet}", f"{self.tag}{short}")
        self.hosts[name] = host  # registered first: a half-made host is removed too
        ip("netns", "add", host.ns)
        ip("link", "add", host.veth, "type", "veth", "peer", "name", "eth0", "netns", host.ns)
        ip("link", "set", host.veth, "master", self.bridge, "up")
        ip("-n", host.ns, "addr", "add", f"{host.ip}/24", "dev", "eth0")
        ip("-n", host.ns, "link", "set", "eth0", "up")
        ip("-n", host.ns, "link", "set", "lo", "up")
        return host

    def cut(self, name: str) -> None:
        """Unplug a host (its link goes down: packets to and from it are dropped)."""
        ip("link", "set", self.hosts[name].veth, "down")

    def plug(self, name: str) -> None:
        ip("link", "set", self.hosts[name].veth, "up")

    def remove(self) -> None:
        for host in self.hosts.values():
            kill_namespace(host.ns)
            ip("link", "del", host.veth, check=False)  # gone with the namespace, normally
        self.hosts.clear()
        if self._bridge_made:
            ip("link", "del", self.bridge, check=False)
            self._bridge_made = False

    def leftovers(self) -> list[str]:
        """Anything of this run still on the machine (empty after `remove`)."""
        names = [
            line.split(" ", 1)[0] for line in ip("netns", "list", check=False).stdout.splitlines()
        ]
        links = ip("-o", "link", "show", check=False).stdout
        found = [n for n in names if n.startswith(f"{self.tag}-")]
        found += [m for m in re.findall(rf"\d+: ({self.tag}\w+)[@:]", links)]
        return found
