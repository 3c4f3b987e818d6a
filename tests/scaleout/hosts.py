"""Hosts for the scale-out test, made on this machine: network namespaces joined to the
root namespace by a bridge (a small LAN of its own), a TCP relay that lets them reach
the PostgreSQL and Redis that listen on the root namespace's loopback only, and the
processes the test starts inside them, each in its own process group so that it can
be stopped (or killed) whole."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", *args], check=check, capture_output=True, text=True, timeout=30
    )


def _free_prefix() -> str:
    """A 10.231.N.0/24 that no interface or route of this machine uses."""
    used = _ip("-o", "-4", "addr").stdout + _ip("-4", "route").stdout
    networks = [
        ipaddress.ip_network(word, strict=False)
        for word in used.split()
        if word[:1].isdigit() and "/" in word
    ]
    for offset in range(50):
        n = 200 + (os.getpid() + offset) % 50
        candidate = ipaddress.ip_network(f"10.231.{n}.0/24")
        if not any(candidate.overlaps(net) for net in networks):
            return f"10.231.{n}"
    raise RuntimeError("no free 10.231.x.0/24 for the test's network")


class Network:
    """A bridge in the root namespace holding ``hub`` (x.1), and one namespace per host
    name (x.2, x.3, …) with a veth on the bridge and its loopback up. The namespaces
    route nowhere else: whatever runs in them reaches only the hub."""

    def __init__(self, hosts: list[str]) -> None:
        tag = str(os.getpid())
        self.prefix = _free_prefix()
        self.hub = f"{self.prefix}.1"
        self.bridge = f"rw{tag}br"[:15]
        self.namespaces = {name: f"rw-{tag}-{name}" for name in hosts}
        self.addresses = {
            name: f"{self.prefix}.{i + 2}" for i, name in enumerate(hosts)
        }
        self._veths = {name: f"rw{tag}{name}"[:13] for name in hosts}

    def up(self) -> Network:
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.hub}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for name, namespace in self.namespaces.items():
            outer, inner = f"{self._veths[name]}h", f"{self._veths[name]}n"
            _ip("netns", "add", namespace)
            _ip("link", "add", outer, "type", "veth", "peer", "name", inner)
            _ip("link", "set", inner, "netns", namespace)
            _ip("link", "set", outer, "master", self.bridge)
            _ip("link", "set", outer, "up")
            inside = ("netns", "exec", namespace, "ip")
            _ip(*inside, "link", "set", "lo", "up")
            _ip(*inside, "addr", "add", f"{self.addresses[name]}/24", "dev", inner)
            _ip(*inside, "link", "set", inner, "up")
        return self

    def down(self) -> None:
        """Delete the namespaces (their veths go with them) and the bridge; quiet about
        what was never made."""
        for namespace in self.namespaces.values():
            _ip("netns", "del", namespace, check=False)
        _ip("link", "del", self.bridge, check=False)

    def run_in(self, host: str) -> list[str]:
        return ["ip", "netns", "exec", self.namespaces[host]]


class Relay:
    """TCP forwarding from ``listen`` (the hub) to services on 127.0.0.1, on an event
    loop in a thread: ``ports[target_port]`` is where it listens for that target. A
    connection that closes on one side is closed on the other, so a killed worker's
    PostgreSQL session ends (and its transaction rolls back) as it would over a real
    network."""

    def __init__(self, listen: str, targets: list[int]) -> None:
        self.listen = listen
        self.targets = targets
        self.ports: dict[int, int] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._servers: list[asyncio.Server] = []
        self._writers: set[asyncio.StreamWriter] = set()

    def start(self) -> Relay:
        self._thread.start()
        for target in self.targets:
            server = asyncio.run_coroutine_threadsafe(
                asyncio.start_server(
                    lambda r, w, t=target: self._forward(r, w, t), self.listen, 0
                ),
                self._loop,
            ).result(timeout=10)
            self._servers.append(server)
            self.ports[target] = server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close() -> None:
            for server in self._servers:
                server.close()
            for writer in list(self._writers):
                writer.close()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    async def _forward(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, target: int
    ) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        try:
            await asyncio.gather(
                self._pipe(reader, up_writer), self._pipe(up_reader, writer)
            )
        finally:
            self._writers -= {writer, up_writer}

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()


class Processes:
    """Named child processes, each in a new session (its own process group), with its
    output in ``logs/<name>.log``."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self._children: dict[str, subprocess.Popen[bytes]] = {}

    def start(
        self, name: str, args: list[str], *, env: Mapping[str, str], cwd: Path
    ) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("wb") as out:
            child = subprocess.Popen(
                args,
                cwd=cwd,
                env=dict(env),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._children[name] = child
        return child

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def alive(self, name: str) -> bool:
        return self._children[name].poll() is None

    def kill(self, name: str) -> None:
        """SIGKILL the whole group: the process and every child it forked."""
        child = self._children[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=10)

    def stop(self, name: str, grace: float = 20) -> int | None:
        """SIGTERM the process (a Celery worker's warm shutdown, gunicorn's graceful
        one: each stops its own children), SIGKILL what is left of its group after
        ``grace`` seconds; the exit status, None if it had to be killed."""
        child = self._children[name]
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
        try:
            status = child.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            status = None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)  # stragglers of the group, if any
        if status is None:
            child.wait(timeout=10)
        return status

    def stop_all(self) -> None:
        for name in reversed(list(self._children)):
            self.stop(name)


def wait_for(predicate, timeout: float, interval: float = 0.25) -> bool:  # noqa: ANN001
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
