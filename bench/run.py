"""Time Runway through gunicorn on loopback against a generated portfolio.

``python -m bench.run`` (what ``make bench`` calls): build a fresh database at the
chosen SCALE, start gunicorn with production settings, sign sessions in, then

1. capture each page's SQL in-process (``CaptureQueriesContext``) for its query count
   and for the floor;
2. time pages, htmx partials and the checklist toggle in interleaved rounds at one
   client, with the server time from gunicorn's access log (``%(D)s``, µs), next to
   their floors measured in the same rounds: the page's own SQL replayed through one
   psycopg cursor plus the bench-only empty view through the same middleware;
3. time ingest batches of 1,000 events against COPY of the same events into the same
   table, and the incremental rollup after each batch on its own;
4. run 50 concurrent clients on mixed journeys for the load check;
5. write bench/results.json and bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg

from bench import config, report

PAGE_ITEMS = [
    "portfolio",
    "portfolio_cold",
    "projects_list",
    "project_page",
    "project_page_cold",
    "chart_partial",
    "table_partial",
    "checklist_toggle",
]
EMPTY = "empty"
EMPTY_POST = "empty_post"
EMPTY_URL = "/__bench__/empty/"
# Each item's floor counts the empty view as that item's own requests reach it: the
# same signed-in session and method, so a form post's CSRF check is in both.
EMPTY_OF = dict.fromkeys(PAGE_ITEMS, EMPTY) | {"checklist_toggle": EMPTY_POST}
EMPTIES = [EMPTY, EMPTY_POST]
BATCH = 1000


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


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


@dataclass
class Fixture:
    """The signed-in sessions and the objects the timed requests use."""

    executive_session: str
    pm_session: str
    csrf: str
    project_slug: str
    toggle_slug: str
    toggle_item: int
    tokens: list[tuple[int, str]]  # (project id, secret)
    copy_project: int
    copy_service: int


# --- Sessions and fixtures, made directly in the database -------------------------------


def sign_in(user: Any) -> str:
    """A session as allauth's login leaves it, made without a password round trip."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    assert session.session_key is not None
    return session.session_key


def make_fixture(scale: config.Scale) -> Fixture:
    from django.db import transaction

    from bench.generate import EXECUTIVE_EMAIL
    from metrics import ingest
    from portal.models import User
    from projects.models import ChecklistItem, Membership, ProjectStep

    executive = User.objects.get(email=EXECUTIVE_EMAIL)
    # The project page and dashboard: a project well into the steps, with metrics.
    in_progress = list(
        ProjectStep.objects.filter(status="in_progress", step__number__gte=4)
        .order_by("project_id")
        .values_list("project__slug", "project_id", "step_id")
    )
    slug = in_progress[len(in_progress) // 2][0]
    # The checklist toggle: an item of a current step, ticked by the project's owner.
    _, toggle_project, toggle_step = in_progress[0]
    item = (
        ChecklistItem.objects.filter(project_id=toggle_project, step_id=toggle_step)
        .select_related("project")
        .order_by("pk")
        .first()
    )
    assert item is not None
    owner = Membership.objects.get(project_id=toggle_project, role="owner").user
    projects = list(
        Membership.objects.filter(role="owner")
        .order_by("project_id")
        .values_list("project_id", "user_id")[: max(10, scale.ingest_batches)]
    )
    tokens = []
    for project_id, user_id in projects:
        token, secret = ingest.token_create(
            project=Project_get(project_id), name="bench", created_by=User(pk=user_id)
        )
        tokens.append((project_id, secret))
    copy_project = projects[-1][0]
    with transaction.atomic():
        copy_service = ingest.push_service(Project_get(copy_project)).pk
    return Fixture(
        executive_session=sign_in(executive),
        pm_session=sign_in(owner),
        csrf=secrets.token_hex(16),  # 32 characters: Django's unmasked token format
        project_slug=slug,
        toggle_slug=item.project.slug,
        toggle_item=item.pk,
        tokens=tokens,
        copy_project=copy_project,
        copy_service=copy_service,
    )


def Project_get(pk: int) -> Any:  # noqa: N802  (reads like the model's manager)
    from projects.models import Project

    return Project.objects.get(pk=pk)


def page_requests(fx: Fixture) -> dict[str, Callable[[int], Request]]:
    """Each timed item as a function of the request's number (the toggle alternates)."""
    exe, pm = fx.executive_session, fx.pm_session
    toggle_path = f"/projects/{fx.toggle_slug}/items/{fx.toggle_item}/state/"
    return {
        "portfolio": lambda n: Request("portfolio", "GET", "/", exe),
        "portfolio_cold": lambda n: Request("portfolio_cold", "GET", "/", exe),
        "projects_list": lambda n: Request("projects_list", "GET", "/projects/", exe),
        "project_page": lambda n: Request(
            "project_page", "GET", f"/projects/{fx.project_slug}/", exe
        ),
        "project_page_cold": lambda n: Request(
            "project_page_cold", "GET", f"/projects/{fx.project_slug}/", exe
        ),
        "chart_partial": lambda n: Request(
            "chart_partial",
            "GET",
            f"/projects/{fx.project_slug}/dashboard/?range=30",
            exe,
            htmx_target="dashboard-body",
        ),
        "table_partial": lambda n: Request(
            "table_partial",
            "GET",
            "/projects/?page=2",
            exe,
            htmx_target="project-table",
        ),
        "checklist_toggle": lambda n: Request(
            "checklist_toggle",
            "POST",
            toggle_path,
            pm,
            htmx_target=f"item-{fx.toggle_item}-head",  # as the step page asks
            body=urlencode({"state": "done" if n % 2 == 0 else "open"}).encode(),
        ),
        EMPTY: lambda n: Request(EMPTY, "GET", EMPTY_URL, exe),
        EMPTY_POST: lambda n: Request(
            EMPTY_POST,
            "POST",
            EMPTY_URL,
            pm,
            htmx_target=f"item-{fx.toggle_item}-head",
            body=urlencode({"state": "done" if n % 2 == 0 else "open"}).encode(),
        ),
    }


# --- HTTP ---------------------------------------------------------------------------


def before(req: Request) -> None:
    """A cold portfolio request first drops every cached rendering of the projects,
    as any change to a project would; a cold project page drops that project's, as
    a tick of its checklist would."""
    from projects import versions

    if req.item == "portfolio_cold":
        versions.projects_changed()
    elif req.item == "project_page_cold":
        versions.project_changed(_project_id(req.path.split("/")[2]))


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


# --- In-process capture of each page's SQL ----------------------------------------------


_LITERALS = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")


def normalise(sql: str) -> str:
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


# --- The measurements ---------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


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


def ingest_payload(
    batch: int, project_id: int, now: datetime
) -> tuple[bytes, list[tuple[Any, ...]]]:
    """1,000 events of one project's last hour, as JSON and as table rows for COPY."""
    import random

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


COPY_COLUMNS = (
    "project_id, service_id, timestamp, model, latency_ms, input_tokens, output_tokens, "
    "cost_usd, error, quality_score_name, quality_score, feedback, idempotency_key, "
    "received_at, rolled_up_at"
)


def measure_ingest(
    server: Server, fx: Fixture, scale: config.Scale, url: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ingest batches through the API, each followed by the incremental rollup of its
    project (in-process, timed alone) and by COPY of the same events into the same
    table (marked rolled up, so the next rollup does not count them)."""
    from bench.run import Project_get as project_of
    from metrics import ingest

    copy_ms: list[float] = []
    rollup_ms: list[float] = []
    statuses: list[int] = []
    now = datetime.now(UTC)
    with psycopg.connect(url) as conn:
        for batch in range(scale.ingest_batches):
            project_id, secret = fx.tokens[batch % len(fx.tokens)]
            body, rows = ingest_payload(batch, project_id, now)
            req = Request(
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
            statuses.append(send(server.port, req, fx, "ingest:0"))
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
    server_ms = [ms for tag, _, ms in server.log_lines() if tag == "ingest:0"]
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


def measure_load(server: Server, fx: Fixture, scale: config.Scale) -> dict[str, Any]:
    """Many clients at once on mixed journeys: executives browsing the portfolio and
    a project, project owners ticking items, services pushing batches. Any answer
    that is not 2xx/3xx (429 included) or any failed connection is an error."""
    makers = page_requests(fx)
    executive = [
        "portfolio",
        "projects_list",
        "table_partial",
        "project_page",
        "chart_partial",
    ]
    owner = ["project_page", "chart_partial", "checklist_toggle", "checklist_toggle"]
    deadline = time.monotonic() + scale.load_seconds
    lock = threading.Lock()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    latencies: list[float] = []
    now = datetime.now(UTC)
    payloads = [ingest_payload(1000 + n, 0, now)[0] for n in range(4)]

    def client(number: int) -> None:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            kind = number % 10
            if kind == 9:  # one client in ten is a service pushing metrics
                _, secret = fx.tokens[(number * 7 + n) % len(fx.tokens)]
                body = json.loads(payloads[n % len(payloads)])
                for e in body["events"]:
                    e["idempotency_key"] = uuid.uuid4().hex
                req = Request(
                    "ingest",
                    "POST",
                    "/api/v1/ingest",
                    "",
                    body=json.dumps(body).encode(),
                    headers={
                        "Authorization": f"Bearer {secret}",
                        "Content-Type": "application/json",
                    },
                )
            elif kind in (7, 8):
                req = makers[owner[n % len(owner)]](n)
            else:
                req = makers[executive[n % len(executive)]](n)
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

    threads = [
        threading.Thread(target=client, args=(n,)) for n in range(scale.load_clients)
    ]
    started = time.monotonic()
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
        "requests": total,
        "requests_per_s": round(total / elapsed, 1),
        "errors": errors,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "failures": failures[:10],
        "p50_ms": round(pct(server_ms, 50), 2),
        "p95_ms": round(pct(server_ms, 95), 2),
        "client_p95_ms": round(pct(latencies, 95), 2),
    }


def git_sha() -> str:
    out = subprocess.run(
        ["git", "rev-parse", "HEAD"],
        cwd=config.BASE_DIR,
        capture_output=True,
        text=True,
    )
    sha = out.stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=config.BASE_DIR,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return sha + ("-dirty" if dirty else "")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Runway's benchmark harness")
    parser.add_argument("--database-url", default=config.database_url())
    parser.add_argument(
        "--reuse", action="store_true", help="skip generation and reuse the database"
    )
    parser.add_argument("--output", default=str(config.BENCH_DIR))
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="time the pages and partials only, print them and write no results",
    )
    args = parser.parse_args(argv)
    scale = config.scale_from_env()
    url = args.database_url
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    loadavg_before = list(os.getloadavg())
    env = config.app_environment(url)
    from bench import generate

    generated: dict[str, Any] = {}
    if args.reuse:
        config.setup_django(env)
    else:
        generate.bootstrap(url, env)
        result = generate.generate(scale)
        generated = result.__dict__
        log(f"generated in {result.seconds:.0f} s: {generated}")
    from django.core.cache import cache
    from django.core.management import call_command

    cache.clear()  # no throttle counters or cached fragments from an earlier run
    call_command("collectstatic", interactive=False, verbosity=0)
    fx = make_fixture(scale)
    workdir = Path(tempfile.mkdtemp(prefix="runway-bench-"))
    server = Server(env, workdir)
    try:
        log(f"gunicorn on 127.0.0.1:{server.port}; logs in {workdir}")
        results = measure_pages(server, fx, scale, url)
        if args.pages_only:
            doc = {"scale": scale.name, "projects": scale.projects, **results}
            print(report.table(doc))
            return
        log("ingest and rollup")
        results["ingest"], results["rollup"] = measure_ingest(server, fx, scale, url)
        cache.clear()  # the load run starts with fresh throttle windows
        log(f"load: {scale.load_clients} clients for {scale.load_seconds} s")
        results["load"] = measure_load(server, fx, scale)
    finally:
        server.stop()
    document = {
        "scale": scale.name,
        "projects": scale.projects,
        "git_sha": git_sha(),
        "started_at": started_at,
        "loadavg_before": loadavg_before,
        "loadavg_after": list(os.getloadavg()),
        "machine": report.machine(url),
        "generated": generated,
        **results,
    }
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    (output / "results.json").write_text(json.dumps(document, indent=2) + "\n")
    (output / "RESULTS.md").write_text(report.markdown(document))
    print(report.table(document))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
