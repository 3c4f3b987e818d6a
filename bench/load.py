"""Many clients at once on mixed journeys, for a fixed time, counting every error.

Seven clients in ten are executives (portfolio, projects list, table page, project
page, dashboard partial), two are project owners (project page, dashboard partial,
checklist ticks) and one is a service pushing 1,000-event batches. Any answer other
than 2xx/3xx (429 included) or a failed connection counts as an error.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from bench import config
from bench.fixture import Fixture, page_requests
from bench.push import ingest_payload, push_request
from bench.server import Request, Server, pct, send

EXECUTIVE_JOURNEY = [
    "portfolio",
    "projects_list",
    "table_partial",
    "project_page",
    "chart_partial",
]
OWNER_JOURNEY = [
    "project_page",
    "chart_partial",
    "checklist_toggle",
    "checklist_toggle",
]


def measure_load(server: Server, fx: Fixture, scale: config.Scale) -> dict[str, Any]:
    makers = page_requests(fx)
    lock = threading.Lock()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    latencies: list[float] = []
    payloads = [ingest_payload(1000 + n, 0, datetime.now(UTC))[0] for n in range(4)]

    def next_request(number: int, n: int) -> Request:
        kind = number % 10
        if kind == 9:  # one client in ten is a service pushing metrics
            _, secret = fx.tokens[(number * 7 + n) % len(fx.tokens)]
            body = json.loads(payloads[n % len(payloads)])
            for event in body["events"]:
                event["idempotency_key"] = uuid.uuid4().hex
            return push_request(json.dumps(body).encode(), secret)
        if kind in (7, 8):
            return makers[OWNER_JOURNEY[n % len(OWNER_JOURNEY)]](n)
        return makers[EXECUTIVE_JOURNEY[n % len(EXECUTIVE_JOURNEY)]](n)

    def client(number: int, deadline: float) -> None:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            req = next_request(number, n)
            started = time.perf_counter()
            try:
                status = send(server.port, req, fx, "load", timeout=120)
            except OSError as exc:
                with lock:
                    failures.append(f"{req.item}: {exc!r}")
                continue
            with lock:
                statuses[status] += 1
                latencies.append((time.perf_counter() - started) * 1000)

    # The deadline is set as the clients start, so the run lasts the whole duration.
    started = time.monotonic()
    deadline = started + scale.load_seconds
    threads = [
        threading.Thread(target=client, args=(n, deadline))
        for n in range(scale.load_clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    total = sum(statuses.values()) + len(failures)
    errors = len(failures) + sum(c for s, c in statuses.items() if not 200 <= s < 400)
    server_ms = [ms for tag, _, ms in server.log_lines() if tag == "load"]
    return {
        "clients": scale.load_clients,
        "seconds": round(elapsed, 1),
        "planned_seconds": scale.load_seconds,
        "requests": total,
        "requests_per_s": round(total / elapsed, 1),
        "errors": errors,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "failures": failures[:10],
        "p50_ms": round(pct(server_ms, 50), 2),
        "p95_ms": round(pct(server_ms, 95), 2),
        "client_p95_ms": round(pct(latencies, 95), 2),
    }
