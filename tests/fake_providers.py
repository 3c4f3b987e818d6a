"""A local stand-in for OpenAI's and Anthropic's admin APIs and Langfuse's public API, on
127.0.0.1, answering in their published shapes (tests/metrics/fixtures hold recorded
pages of the same shapes) with the same figures for every day asked for. Tests point
connectors at it to sync for real over HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

OPENAI_PROJECT = "proj_claims"
ANTHROPIC_WORKSPACE = "wrkspc_claims"
# Per day: what each provider bills and what Langfuse observes (per model).
OPENAI_COST_USD = 31.25
ANTHROPIC_COST_CENTS = "1850"  # $18.50: Anthropic reports cents as decimal strings
LANGFUSE_MODELS = {
    "gpt-4o": {"cost": 30.0, "count": 640, "p50": 700, "p95": 1500},
    "claude-sonnet-4": {"cost": 14.0, "count": 360, "p50": 1100, "p95": 2600},
}
LANGFUSE_P95_PROJECT = 2100  # as Langfuse computes it over every observation


def _days(start: datetime, end: datetime) -> Iterator[datetime]:
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        yield day
        day += timedelta(days=1)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _openai(path: str, query: dict[str, list[str]]) -> Any:
    if path == "/v1/organization/projects":
        return {
            "object": "list",
            "data": [
                {
                    "id": OPENAI_PROJECT,
                    "object": "organization.project",
                    "name": "Claims",
                    "created_at": 1767225600,
                    "archived_at": None,
                    "status": "active",
                }
            ],
            "first_id": OPENAI_PROJECT,
            "last_id": OPENAI_PROJECT,
            "has_more": False,
        }
    start = datetime.fromtimestamp(int(query["start_time"][0]), UTC)
    end = datetime.fromtimestamp(int(query["end_time"][0]), UTC)
    buckets = []
    for day in _days(start, end):
        if path.endswith("/costs"):
            results = [
                {
                    "object": "organization.costs.result",
                    "amount": {"value": OPENAI_COST_USD, "currency": "usd"},
                    "line_item": None,
                    "project_id": OPENAI_PROJECT,
                }
            ]
        else:
            results = [
                {
                    "object": "organization.usage.completions.result",
                    "input_tokens": 9000,
                    "output_tokens": 2000,
                    "num_model_requests": 600,
                    "project_id": OPENAI_PROJECT,
                    "model": "gpt-4o",
                }
            ]
        buckets.append(
            {
                "object": "bucket",
                "start_time": int(day.timestamp()),
                "end_time": int((day + timedelta(days=1)).timestamp()),
                "results": results,
            }
        )
    return {"object": "page", "data": buckets, "has_more": False, "next_page": None}


def _anthropic(path: str, query: dict[str, list[str]]) -> Any:
    if path == "/v1/organizations/workspaces":
        return {
            "data": [
                {
                    "id": ANTHROPIC_WORKSPACE,
                    "type": "workspace",
                    "name": "Claims",
                    "created_at": "2026-01-01T00:00:00Z",
                    "archived_at": None,
                    "display_color": "#6C5BB9",
                }
            ],
            "has_more": False,
            "first_id": ANTHROPIC_WORKSPACE,
            "last_id": ANTHROPIC_WORKSPACE,
        }
    start = datetime.fromisoformat(query["starting_at"][0].replace("Z", "+00:00"))
    ending = query.get("ending_at")
    end = (
        datetime.fromisoformat(ending[0].replace("Z", "+00:00"))
        if ending
        else datetime.now(UTC)
    )
    buckets = []
    for day in _days(start, end):
        if path.endswith("/cost_report"):
            results: list[dict[str, Any]] = [
                {
                    "currency": "USD",
                    "amount": ANTHROPIC_COST_CENTS,
                    "workspace_id": ANTHROPIC_WORKSPACE,
                    "description": None,
                    "cost_type": None,
                    "model": None,
                    "service_tier": None,
                    "token_type": None,
                    "context_window": None,
                }
            ]
        else:
            results = [
                {
                    "uncached_input_tokens": 5000,
                    "output_tokens": 900,
                    "cache_creation": None,
                    "cache_read_input_tokens": None,
                    "server_tool_use": {"web_search_requests": 0},
                    "model": "claude-sonnet-4",
                    "workspace_id": ANTHROPIC_WORKSPACE,
                    "api_key_id": None,
                    "service_tier": None,
                    "context_window": None,
                }
            ]
        buckets.append(
            {
                "starting_at": _iso(day),
                "ending_at": _iso(day + timedelta(days=1)),
                "results": results,
            }
        )
    return {"data": buckets, "has_more": False, "next_page": None}


def _langfuse(path: str, query: dict[str, list[str]]) -> Any:
    if path.endswith("/scores"):
        return {"data": [], "meta": {"cursor": None}}
    body = json.loads(query["query"][0])
    start = datetime.fromisoformat(body["fromTimestamp"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(body["toTimestamp"].replace("Z", "+00:00"))
    by_model = any(
        d.get("field") == "providedModelName" for d in body.get("dimensions", [])
    )
    errors_only = any(f.get("column") == "level" for f in body.get("filters", []))
    rows: list[dict[str, Any]] = []
    if errors_only:
        return {"data": rows}  # a day without errors has no error rows
    for day in _days(start, end):
        stamp = day.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        if not by_model:
            rows.append(
                {
                    "time_dimension": stamp,
                    "p50_latency": 800,
                    "p95_latency": LANGFUSE_P95_PROJECT,
                    "count_count": str(
                        sum(m["count"] for m in LANGFUSE_MODELS.values())
                    ),
                }
            )
            continue
        for model, figures in LANGFUSE_MODELS.items():
            rows.append(
                {
                    "providedModelName": model,
                    "time_dimension": stamp,
                    "sum_totalCost": figures["cost"],
                    "sum_inputTokens": "1000",
                    "sum_outputTokens": "200",
                    "p50_latency": figures["p50"],
                    "p95_latency": figures["p95"],
                    "count_count": str(figures["count"]),
                }
            )
    return {"data": rows}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path.startswith("/v1/organization/"):
            body = _openai(url.path, query)
        elif url.path.startswith("/v1/organizations/"):
            body = _anthropic(url.path, query)
        elif url.path.startswith("/api/public/"):
            body = _langfuse(url.path, query)
        else:
            self.send_error(404)
            return
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # quiet: the test output is the test's


@contextmanager
def fake_providers() -> Iterator[str]:
    """Serve on a free port of 127.0.0.1; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
