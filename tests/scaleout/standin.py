"""A slow stand-in for OpenAI's usage and costs reports (the Admin API's published
shapes, paged by ``limit`` and ``next_page`` as OpenAI pages daily buckets), serving one
OpenAI project per connected service with figures that depend on the project and the
day only. It keeps a record of every call (who asked, for which project, which days,
when it started and ended), which is what the scale-out test checks the database
against: every day served is stored, with the value served, once."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

USAGE_PATH = "/v1/organization/usage/completions"
COSTS_PATH = "/v1/organization/costs"
MODEL = "gpt-4o-mini"


def figures(project_id: str, day: date) -> dict[str, Decimal]:
    """What the stand-in reports for ``project_id`` on ``day``: the same every time it
    is asked, different for every project and day, so a value added twice (or one
    service's value stored under another) cannot pass for the right one."""
    n = int(project_id.rsplit("_", 1)[1])
    requests = 500 + 7 * n + day.toordinal() % 101
    return {
        "requests": Decimal(requests),
        "input_tokens": Decimal(requests * 40 + n),
        "output_tokens": Decimal(requests * 9),
        "cost_billed_usd": Decimal(requests * 3) / 100,
    }


@dataclass
class Call:
    project_id: str
    client: str
    path: str
    started: float
    ended: float | None = None
    days: list[date] = field(default_factory=list)


class StandIn:
    """``StandIn(host, keys, delay)``: serves on ``host`` (a free port) once started;
    ``keys`` maps each OpenAI project id to the admin key that may read it."""

    def __init__(self, host: str, keys: dict[str, str], delay: float) -> None:
        self.keys = keys
        self.delay = delay
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                standin._answer(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> StandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # What the test reads.

    def snapshot(self) -> list[Call]:
        with self.lock:
            return list(self.calls)

    @staticmethod
    def describe(pairs: list[tuple[Call, Call]]) -> list[str]:
        return [
            f"{a.project_id}: {a.client} {a.path} {a.started:.2f}-{a.ended or 0:.2f} "
            f"and {b.client} {b.path} {b.started:.2f}-{b.ended or 0:.2f}"
            for a, b in pairs
        ]

    def in_flight(self, client: str) -> set[str]:
        """The projects ``client`` has a request open for right now."""
        return {
            c.project_id
            for c in self.snapshot()
            if c.client == client and c.ended is None
        }

    def projects_asked_by(self, client: str) -> set[str]:
        return {c.project_id for c in self.snapshot() if c.client == client}

    def served_days(self) -> dict[str, set[date]]:
        """Per project, every day any answer carried (whoever received it)."""
        days: dict[str, set[date]] = {}
        for call in self.snapshot():
            days.setdefault(call.project_id, set()).update(call.days)
        return days

    def overlaps(self) -> list[tuple[Call, Call]]:
        """Pairs of requests for one project that were open at the same time: one sync
        asks page after page, so two open at once are two syncs at once."""
        by_project: dict[str, list[Call]] = {}
        for call in self.snapshot():
            by_project.setdefault(call.project_id, []).append(call)
        pairs = []
        for calls in by_project.values():
            calls.sort(key=lambda c: c.started)
            longest: Call | None = None  # the earlier call that ends last
            for call in calls:
                if longest is not None and (
                    longest.ended is None or call.started < longest.ended
                ):
                    pairs.append((longest, call))
                if longest is None or (
                    longest.ended is not None
                    and (call.ended is None or call.ended > longest.ended)
                ):
                    longest = call
        return pairs

    # Serving.

    def _answer(self, request: BaseHTTPRequestHandler) -> None:
        url = urlparse(request.path)
        query = parse_qs(url.query)
        project_id = (query.get("project_ids") or [""])[0]
        key = self.keys.get(project_id)
        if key is None or request.headers.get("Authorization") != f"Bearer {key}":
            self._send(request, 401, {"error": {"message": "Invalid admin key"}})
            return
        if url.path not in (USAGE_PATH, COSTS_PATH) or query.get("bucket_width") != [
            "1d"
        ]:
            self._send(request, 404, {"error": {"message": "Not found"}})
            return
        start = datetime.fromtimestamp(int(query["start_time"][0]), UTC)
        end = datetime.fromtimestamp(int(query["end_time"][0]), UTC)
        limit = int(query["limit"][0])
        offset = int((query.get("page") or ["page_0"])[0].removeprefix("page_"))
        days = []
        day = start
        while day < end:
            days.append(day)
            day += timedelta(days=1)
        page = days[offset : offset + limit]
        more = offset + limit < len(days)
        body = {
            "object": "page",
            "data": [self._bucket(url.path, project_id, day) for day in page],
            "has_more": more,
            "next_page": f"page_{offset + limit}" if more else None,
        }
        call = Call(
            project_id=project_id,
            client=request.client_address[0],
            path=url.path,
            started=time.monotonic(),
            days=[d.date() for d in page],
        )
        with self.lock:
            self.calls.append(call)
        time.sleep(self.delay)  # a slow provider: syncs are in flight for seconds
        # Ended before the answer goes out: the asker's next request may arrive (and
        # start) before this thread runs again after sending.
        call.ended = time.monotonic()
        self._send(request, 200, body)

    @staticmethod
    def _bucket(path: str, project_id: str, day: datetime) -> dict[str, Any]:
        values = figures(project_id, day.date())
        if path == COSTS_PATH:
            results: list[dict[str, Any]] = [
                {
                    "object": "organization.costs.result",
                    "amount": {
                        "value": float(values["cost_billed_usd"]),
                        "currency": "usd",
                    },
                    "line_item": None,
                    "project_id": project_id,
                }
            ]
        else:
            results = [
                {
                    "object": "organization.usage.completions.result",
                    "input_tokens": int(values["input_tokens"]),
                    "output_tokens": int(values["output_tokens"]),
                    "num_model_requests": int(values["requests"]),
                    "project_id": project_id,
                    "model": MODEL,
                }
            ]
        return {
            "object": "bucket",
            "start_time": int(day.timestamp()),
            "end_time": int((day + timedelta(days=1)).timestamp()),
            "results": results,
        }

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, body: Any) -> None:
        payload = json.dumps(body).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(payload)))
            request.end_headers()
            request.wfile.write(payload)
        except OSError:
            pass  # the worker that asked was killed: nobody is listening
