"""A real HTTP receiver on 127.0.0.1 that answers with the statuses a test scripts,
and channels pointed at it (loopback allow-listed, as connector tests do)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from integrations import services
from projects.notifications import CHANNEL_EVENT_LABELS
from tests.projects.conftest import people  # noqa: F401  (a fixture, shared)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next scripted status (the last one repeats)."""

    url: str
    statuses: list[int] = field(default_factory=lambda: [200])
    requests: list[Received] = field(default_factory=list)
    # Sent with every answer, e.g. {"Retry-After": "120"}.
    headers: dict[str, str] = field(default_factory=dict)

    def answer(self) -> int:
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.RUNWAY_CONNECTOR_ALLOWED_HOSTS = ["127.0.0.1"]
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            target = state["receiver"]
            target.requests.append(Received(self.path, dict(self.headers), body))
            status = target.answer()
            payload = b"ok" if status < 300 else b"the receiver is unwell"
            self.send_response(status)
            for name, value in target.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["receiver"] = Receiver(
        url=f"http://127.0.0.1:{server.server_port}/hooks/T000/B000/secret-part"
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["receiver"]
    server.shutdown()
    server.server_close()


ALL_EVENTS = list(CHANNEL_EVENT_LABELS)


@pytest.fixture
def make_channel(project, owner, receiver):
    def make(kind="webhook", *, url=None, events=ALL_EVENTS, include_spend=False):
        channel, secret = services.channel_create(
            project=project,
            kind=kind,
            name=f"{kind} channel",
            url=url or receiver.url,
            events=events,
            include_spend=include_spend,
            created_by=owner,
        )
        channel.secret_shown = secret
        return channel

    return make


@pytest.fixture(autouse=True)
def _retries_run_in_place():
    """Eager tasks that propagate errors would raise Celery's Retry into the test;
    without propagation Celery runs the retry at once, as a worker would run it later."""
    from portal.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True
