"""The app under gunicorn on loopback, and the client side of one timed request.

gunicorn logs each request's server time (``%(D)s``, µs) with the ``X-Bench`` tag the
client sent, so every figure is the server's own time for the request, found by tag.
"""

from __future__ import annotations

import functools
import http.client
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bench import config

if TYPE_CHECKING:
    from bench.fixture import Fixture


@dataclass(frozen=True)
class Request:
    """One HTTP request of an item, as a client sends it."""

    item: str
    method: str
    path: str
    session: str
    htmx_target: str = ""
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def before(req: Request) -> None:
    """A cold portfolio request first drops every cached rendering of the projects,
    as any change to a project would; a cold project page drops that project's, as
    a tick of its checklist would."""
    from core import fragments

    if req.item == "portfolio_cold":
        fragments.data_changed("projects.Project")
    elif req.item == "project_page_cold":
        project_id = _project_id(req.path.split("/")[2])
        fragments.data_changed("projects.ChecklistItem", project_id=project_id)


@functools.cache
def _project_id(slug: str) -> int:
    from projects.models import Project

    pk: int = Project.objects.values_list("pk", flat=True).get(slug=slug)
    return pk


def send(port: int, req: Request, fx: Fixture, tag: str, timeout: float = 60) -> int:
    """Send one request on a new connection (gunicorn's sync workers close each one);
    returns the status. ``tag`` goes into the access log to find the server time."""
    before(req)
    headers = {
        "Host": "127.0.0.1",
        "Cookie": f"sessionid={req.session}; csrftoken={fx.csrf}",
        "X-Bench": tag,
        **req.headers,
    }
    if req.htmx_target:
        headers |= {"HX-Request": "true", "HX-Target": req.htmx_target}
    if req.method == "POST" and req.session:
        headers |= {
            "X-CSRFToken": fx.csrf,
            "Content-Type": headers.get(
                "Content-Type", "application/x-www-form-urlencoded"
            ),
        }
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(req.method, req.path, body=req.body or None, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


class Server:
    """gunicorn with two sync workers on loopback, logging each request's time in µs."""

    def __init__(self, env: dict[str, str], workdir: Path, workers: int = 2) -> None:
        self.port = _free_port()
        self.access_log = workdir / "access.log"
        self.error_log = workdir / "error.log"
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "portal.wsgi:application",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--no-control-socket",
                "--backlog",
                "2048",
                "--timeout",
                "120",
                "--access-logfile",
                str(self.access_log),
                "--access-logformat",
                "%({x-bench}i)s %(s)s %(D)s",
                "--error-logfile",
                str(self.error_log),
            ],
            cwd=config.BASE_DIR,
            env={**os.environ, **env},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(
            f"gunicorn did not start; see {self.error_log}:\n"
            + self.error_log.read_text()[-3000:]
        )

    def log_lines(self) -> list[tuple[str, int, float]]:
        """(tag, status, server ms) of every tagged request so far."""
        rows = []
        for line in self.access_log.read_text().splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] != "-":
                rows.append((parts[0], int(parts[1]), int(parts[2]) / 1000))
        return rows

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile by nearest rank (NaN for no values)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]
