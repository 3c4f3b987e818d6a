"""Pages, htmx partials and the checklist tick, each next to its floor.

Each item's SQL is captured once in-process (``CaptureQueriesContext``); then, in
interleaved rounds at one client, every item is requested through gunicorn, then the
empty view, and each item's own SQL is replayed through one psycopg cursor as many
times. An item's floor is its SQL's replay time plus the empty view's time: what the
request would cost if the app did nothing beyond running its statements.
"""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import psycopg

from bench import config
from bench.config import log
from bench.fixture import (
    EMPTIES,
    EMPTY_OF,
    PAGE_ITEMS,
    Fixture,
    page_requests,
)
from bench.server import Request, Server, before, pct, send

COLD_OF = {"portfolio_cold": "portfolio", "project_page_cold": "project_page"}
# Items timed while nothing changes: each round fills their cached renderings
# again before timing them. The tick writes, so it is measured as it comes.
WARM_ITEMS = frozenset(
    {"portfolio", "projects_list", "project_page", "chart_partial", "table_partial"}
)
_LITERALS = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")


def normalise(sql: str) -> str:
    """The statement with its literal values blanked, to match it across requests."""
    return _LITERALS.sub("?", sql)


def capture(req: Request, fx: Fixture) -> list[str]:
    """Run the request in this process through Django's test client (the same
    middleware, the same session) and return the SQL it executed, in order."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    before(req)
    client = Client(enforce_csrf_checks=False)
    client.cookies["sessionid"] = req.session
    headers: dict[str, str] = {}
    if req.htmx_target:
        headers = {"HX-Request": "true", "HX-Target": req.htmx_target}
    with CaptureQueriesContext(connection) as ctx:
        if req.method == "POST":
            response = client.post(
                req.path,
                data=req.body,
                content_type="application/x-www-form-urlencoded",
                headers=headers,
            )
        else:
            response = client.get(req.path, headers=headers)
    if response.status_code >= 400:
        raise RuntimeError(f"{req.item}: {req.path} answered {response.status_code}")
    return [q["sql"] for q in ctx.captured_queries]


def own_statements(page: list[str], empty: list[str]) -> list[str]:
    """The page's statements minus those the empty view also runs (session, user):
    those are already inside the empty view's time, so the floor counts them once."""
    shared = Counter(normalise(s) for s in empty)
    kept = []
    for sql in page:
        key = normalise(sql)
        if shared[key] > 0:
            shared[key] -= 1
        else:
            kept.append(sql)
    return kept


def replay(conn: psycopg.Connection[Any], statements: Sequence[str]) -> float:
    """Run the statements through one cursor in a transaction that is rolled back
    (a replayed write changes nothing); returns milliseconds."""
    started = time.perf_counter()
    with conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql.encode())
            if cur.description is not None:
                cur.fetchall()
    elapsed = (time.perf_counter() - started) * 1000
    conn.rollback()
    return elapsed


def measure_pages(
    server: Server, fx: Fixture, scale: config.Scale, url: str
) -> dict[str, dict[str, Any]]:
    makers = page_requests(fx)
    log("capturing each page's SQL in-process")
    # Each request runs twice and the second is kept: the first of a session creates
    # its allauth UserSession row and fills per-process caches, which happens once.
    # The toggle alternates, so it ends where it started (item open).
    captured = {}
    for item in [*EMPTIES, *PAGE_ITEMS]:
        capture(makers[item](1), fx)
        captured[item] = capture(makers[item](0), fx)
    capture(makers["checklist_toggle"](1), fx)
    for cold, warm in COLD_OF.items():
        # A cold page that ran no more SQL than its warm twin was not rebuilt: its
        # figures would describe the cached page under the wrong name.
        if len(captured[cold]) <= len(captured[warm]):
            raise RuntimeError(
                f"{cold}: dropping the cached rendering did not rebuild the page "
                f"({len(captured[cold])} queries, {len(captured[warm])} when cached)"
            )
    statements = {
        item: own_statements(captured[item], captured[EMPTY_OF[item]])
        for item in PAGE_ITEMS
    }
    for item in PAGE_ITEMS:
        send(server.port, makers[item](0), fx, "warmup")  # warm both workers' caches
        send(server.port, makers[item](1), fx, "warmup")
    replay_ms: dict[str, list[list[float]]] = defaultdict(list)
    counter = 0
    with psycopg.connect(url) as conn:
        for round_ in range(scale.rounds):
            log(f"round {round_ + 1}/{scale.rounds}")
            for item in [*PAGE_ITEMS, *EMPTIES]:
                if item in WARM_ITEMS:
                    # "Nothing changed" is measured with nothing changed: the cold
                    # items and the tick before it dropped the cached renderings it
                    # reads, and its first request would time their rebuild (with
                    # 20 requests a round, the nearest-rank p95 is the slowest).
                    send(server.port, makers[item](0), fx, "warmup")
                    send(server.port, makers[item](1), fx, "warmup")
                for _ in range(scale.per_round):
                    counter += 1
                    send(server.port, makers[item](counter), fx, f"{item}:{round_}")
                if item not in EMPTIES:
                    replay_ms[item].append(
                        [replay(conn, statements[item]) for _ in range(scale.per_round)]
                    )
    by_round: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    errors: Counter[str] = Counter()
    for tag, status, ms in server.log_lines():
        if ":" not in tag:
            continue
        item, round_text = tag.split(":")
        by_round[item][int(round_text)].append(ms)
        if status >= 400:
            errors[item] += 1
    results: dict[str, dict[str, Any]] = {}
    empty_p50s = {
        empty: statistics.median(statistics.median(v) for v in by_round[empty].values())
        for empty in EMPTIES
    }
    for item in PAGE_ITEMS:
        empty_p50 = empty_p50s[EMPTY_OF[item]]
        rounds = [by_round[item][r] for r in range(scale.rounds)]
        p50 = statistics.median(statistics.median(r) for r in rounds)
        p95 = statistics.median(pct(r, 95) for r in rounds)
        sql = statistics.median(statistics.median(r) for r in replay_ms[item])
        floor = sql + empty_p50
        results[item] = {
            "p50_ms": round(p50, 2),
            "p95_ms": round(p95, 2),
            "floor_ms": round(floor, 2),
            "floor_sql_ms": round(sql, 2),
            "floor_empty_view_ms": round(empty_p50, 2),
            "ratio": round(p50 / floor, 2),
            "queries": len(captured[item]),
            "requests": sum(len(r) for r in rounds),
            "errors": errors[item],
            "clients": 1,
        }
    return results
