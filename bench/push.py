"""The push API's ingest against COPY, and the incremental rollup after it.

Batches of 1,000 events go to ``/api/v1/ingest`` with a project's bearer token
(tokens rotate over projects, as many services would push). After each batch the
incremental rollup of that project runs in-process, timed alone; then the same
events are COPYed into the same table in one transaction: the floor.

Each token first sends one batch on its own: a project's first push makes its push
source and stamps the token's first use, once in the project's life. Those first
pushes are timed and reported apart (``first_push``); the budget compares the
batches after them, as a service sends them all day, with the floor, whose COPY
goes to a source that exists already.
"""

from __future__ import annotations

import json
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from bench import config
from bench.fixture import Fixture, project_of
from bench.server import Request, Server, pct, send

BATCH = 1000
COPY_COLUMNS = (
    "project_id, service_id, timestamp, model, latency_ms, input_tokens, output_tokens, "
    "cost_usd, error, quality_score_name, quality_score, feedback, idempotency_key, "
    "received_at, rolled_up_at"
)


def ingest_payload(
    batch: int, project_id: int, now: datetime
) -> tuple[bytes, list[tuple[Any, ...]]]:
    """1,000 events of one project's last hour, as JSON and as table rows for COPY."""
    rng = random.Random(batch)
    events = []
    rows = []
    for n in range(BATCH):
        moment = now - timedelta(seconds=rng.randint(60, 3600))
        event = {
            "timestamp": moment.isoformat(),
            "model": rng.choice(["gpt-4o-mini", "claude-haiku-4"]),
            "latency_ms": round(rng.lognormvariate(6.5, 0.5), 1),
            "input_tokens": rng.randint(200, 3000),
            "output_tokens": rng.randint(20, 800),
            "cost_usd": f"{rng.random() * 0.02:.8f}",
            "error": rng.random() < 0.02,
            "idempotency_key": f"bench-{batch}-{n}-{uuid.uuid4().hex[:8]}",
        }
        if rng.random() < 0.2:
            event |= {
                "quality_score_name": "helpfulness",
                "quality_score": round(rng.random(), 3),
            }
        if rng.random() < 0.05:
            event["feedback"] = rng.choice([1, -1])
        events.append(event)
        rows.append(
            (
                moment,
                event["model"],
                event["latency_ms"],
                event["input_tokens"],
                event["output_tokens"],
                event["cost_usd"],
                event["error"],
                event.get("quality_score_name", ""),
                event.get("quality_score"),
                event.get("feedback"),
                "copy-" + str(event["idempotency_key"]),
            )
        )
    return json.dumps({"events": events}).encode(), rows


def push_request(body: bytes, secret: str) -> Request:
    """A service's push of one batch, signed with its project's bearer token."""
    return Request(
        "ingest",
        "POST",
        "/api/v1/ingest",
        "",
        body=body,
        headers={
            "Authorization": f"Bearer {secret}",
            "Content-Type": "application/json",
        },
    )


def measure_ingest(
    server: Server, fx: Fixture, scale: config.Scale, url: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ingest batches through the API, each followed by the incremental rollup of its
    project (in-process, timed alone) and by COPY of the same events into the same
    table (marked rolled up, so the next rollup does not count them)."""
    from metrics import ingest

    copy_ms: list[float] = []
    rollup_ms: list[float] = []
    statuses: list[int] = []
    now = datetime.now(UTC)
    for first, (project_id, secret) in enumerate(fx.tokens):
        body, _ = ingest_payload(-1 - first, project_id, now)
        statuses.append(
            send(server.port, push_request(body, secret), fx, "ingest:first")
        )
        # Rolled up untimed, so that each timed rollup adds one batch, as it would.
        ingest.events_rollup(project=project_of(project_id))
    with psycopg.connect(url) as conn:
        for batch in range(scale.ingest_batches):
            project_id, secret = fx.tokens[batch % len(fx.tokens)]
            body, rows = ingest_payload(batch, project_id, now)
            statuses.append(
                send(server.port, push_request(body, secret), fx, "ingest:0")
            )
            started = time.perf_counter()
            ingest.events_rollup(project=project_of(project_id))
            rollup_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            with conn.transaction(), conn.cursor() as cur:
                stamp = datetime.now(UTC)
                with cur.copy(
                    f"COPY metrics_requestevent ({COPY_COLUMNS}) FROM STDIN"
                ) as copy:
                    for row in rows:
                        copy.write_row(
                            (fx.copy_project, fx.copy_service, *row, stamp, stamp)
                        )
            copy_ms.append((time.perf_counter() - started) * 1000)
    logged = server.log_lines()
    server_ms = [ms for tag, _, ms in logged if tag == "ingest:0"]
    first_ms = [ms for tag, _, ms in logged if tag == "ingest:first"]
    bad = sum(1 for s in statuses if not 200 <= s < 400)
    ingest_p50 = statistics.median(server_ms)
    copy_p50 = statistics.median(copy_ms)
    ingest_result = {
        "p50_ms": round(ingest_p50, 2),
        "p95_ms": round(pct(server_ms, 95), 2),
        "floor_ms": round(copy_p50, 2),
        "rows_per_s": round(BATCH / ingest_p50 * 1000),
        "copy_rows_per_s": round(BATCH / copy_p50 * 1000),
        "ratio": round(copy_p50 / ingest_p50, 2),
        "first_push": {
            "p50_ms": round(statistics.median(first_ms), 2),
            "p95_ms": round(pct(first_ms, 95), 2),
            "ratio": round(copy_p50 / statistics.median(first_ms), 2),
            "requests": len(first_ms),
        },
        "requests": len(statuses),
        "errors": bad,
        "clients": 1,
    }
    rollup_result = {
        "p50_ms": round(statistics.median(rollup_ms), 2),
        "p95_ms": round(pct(rollup_ms, 95), 2),
        "requests": len(rollup_ms),
    }
    return ingest_result, rollup_result
