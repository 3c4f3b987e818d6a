"""Scale-out, proved (issue 21, part 4): Runway spread over two hosts.

Two hosts are two network namespaces on a bridge of their own; PostgreSQL and Redis
stay on this machine's loopback and are reached across the bridge through a relay. On
the hosts run two Celery workers, beat, and two gunicorns, with production settings.
100 OpenAI services sync against a slow stand-in (tests/scaleout/standin.py); one worker
is SIGKILLed in the middle of its syncs. Then every service has synced, the syncs the
kill interrupted were redelivered to the other host and finished there, no sample is
doubled, every value is the one served and no day served is missing. Meanwhile a person
signs in through one host's web process, and a tick made through it is seen through the
other at once.

Needs root and ``ip`` (namespaces), PostgreSQL and Redis (DATABASE_URL, CELERY_BROKER_URL,
CACHE_URL): skipped without them on a developer machine, a failure under CI.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import UTC, date
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
import redis
from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from metrics import services as metric_services
from metrics.models import ConnectedService, DailyRollup, MetricSample, SyncRun
from portal.celery import app
from projects import services as project_services
from projects.models import ChecklistItem, ItemState
from tests.conftest import require
from tests.factories import ProjectFactory, TeamFactory, UserFactory
from tests.scaleout.hosts import Network, Processes, Relay, wait_for
from tests.scaleout.standin import MODEL, StandIn, figures

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SERVICES = 100
PROJECTS = 20
# Each answer of the stand-in takes this long; a first sync asks five pages (94 days,
# 31 a page, then the costs), so a worker always has syncs in flight.
STANDIN_DELAY = 0.4
CONCURRENCY = 8  # pool processes per worker
BEAT_EVERY = 20  # seconds between two syncs of one service, as beat schedules them
# The broker hands an unacknowledged task back after this: seconds here rather than the
# settings' hour (see _transport_options), yet still well above the longest sync here
# (a few seconds), or a task still running would be handed out a second time.
VISIBILITY_TIMEOUT = 20
TEST_TIMEOUT = 300  # the whole test, whatever happens
# Seconds after the kill for the tasks host a lost to have run on host b.
REDELIVERED_WITHIN = 120
HOSTS = ["a", "b"]
WEB_PORT = 8000
VENV_BIN = Path(sys.executable).parent

TASK = r"metrics\.sync_service\[([0-9a-f-]{36})\]"
RECEIVED = re.compile(TASK + r" received")
FINISHED = re.compile(TASK + r" (?:succeeded in [0-9.]+s: '?(\w+)|failed|raised)")


@contextmanager
def time_limit(seconds: int):
    """Fail the test (and so run every finaliser) if it is still going after ``seconds``."""

    def expired(signum, frame):
        raise TimeoutError(f"the scale-out test ran past {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _redis_url_parts(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or 6379, parts.path.lstrip("/") or "0"


@pytest.fixture
def ready():
    """What this test needs from the machine, checked before anything is made."""
    require(
        os.geteuid() == 0 and shutil.which("ip") is not None,
        "the scale-out test makes network namespaces: it needs root and `ip`",
    )
    require(
        connection.vendor == "postgresql"
        and connection.settings_dict["HOST"] in ("127.0.0.1", "localhost"),
        "the scale-out test needs PostgreSQL on 127.0.0.1 (DATABASE_URL)",
    )
    require(
        settings.CELERY_BROKER_URL.startswith("redis://")
        and settings.CACHE_URL.startswith("redis://")
        and all(
            _redis_url_parts(url)[0] in ("127.0.0.1", "localhost")
            for url in (settings.CELERY_BROKER_URL, settings.CACHE_URL)
        ),
        "the scale-out test needs Redis on 127.0.0.1 as broker and cache "
        "(CELERY_BROKER_URL, CACHE_URL)",
    )


@pytest.fixture
def network(ready):
    net = Network(HOSTS)
    try:
        yield net.up()
    finally:
        net.down()


@pytest.fixture
def relay(network):
    ports = {int(connection.settings_dict["PORT"] or 5432)}
    ports |= {
        _redis_url_parts(url)[1]
        for url in (settings.CELERY_BROKER_URL, settings.CACHE_URL)
    }
    forward = Relay(network.hub, sorted(ports))
    try:
        yield forward.start()
    finally:
        forward.stop()


@pytest.fixture
def standin(network):
    server = StandIn(network.hub, keys={}, delay=STANDIN_DELAY).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def queue(network):
    """A queue of this run's own, so nothing another run left in the broker is taken;
    afterwards nothing of this run is left in the broker (its queue, bindings, the
    killed worker's remote-control binding, unacknowledged messages)."""
    name = f"scaleout-{os.getpid()}"
    nodes = [f"{host}@{network.namespaces[host]}" for host in HOSTS]
    host, port, db = _redis_url_parts(settings.CELERY_BROKER_URL)
    broker = redis.Redis(host=host, port=port, db=int(db))
    # What this process queues (the first syncs service_create sends) goes there too.
    default_queue = app.conf.task_default_queue
    app.conf.task_default_queue = name
    try:
        yield name
    finally:
        app.conf.task_default_queue = default_queue
        ours = [mark.encode() for mark in (name, *nodes)]
        broker.delete(
            name,
            f"_kombu.binding.{name}",
            f"_kombu.binding_permanent.{name}",
            *(f"{node}.celery.pidbox" for node in nodes),
        )
        for key in broker.scan_iter("_kombu.binding*"):
            if broker.type(key) == b"set":
                for member in broker.smembers(key):
                    if any(mark in member for mark in ours):
                        broker.srem(key, member)
        for tag, payload in broker.hgetall("unacked").items():
            if name.encode() in payload:
                broker.hdel("unacked", tag)
                broker.zrem("unacked_index", tag)
        broker.close()


@pytest.fixture
def processes(network, relay, standin, queue, tmp_path):
    """The processes on the hosts; stopped (and the broker cleaned after them) even when
    the test fails."""
    children = Processes(tmp_path)
    try:
        yield children
    finally:
        children.stop_all()


def _stranded(queue: str) -> list[str]:
    """Messages of ``queue`` the broker still holds as delivered and never acknowledged."""
    host, port, db = _redis_url_parts(settings.CELERY_BROKER_URL)
    broker = redis.Redis(host=host, port=port, db=int(db))
    try:
        return [
            tag.decode()
            for tag, payload in broker.hgetall("unacked").items()
            if queue in json.loads(payload)[1:]
        ]
    finally:
        broker.close()


def _transport_options() -> dict[str, float]:
    """The broker options for the workers: a visibility timeout of seconds rather than
    the settings' hour, so a killed worker's tasks come back within the test, and the
    sweep that hands them back run every second rather than every 100 s (kombu's
    default interval times throttle)."""
    return {
        "visibility_timeout": VISIBILITY_TIMEOUT,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }


def _child_env(network, relay, tmp_path, secret_key, fernet_key) -> dict[str, str]:
    """Production settings, as a deployment's environment holds them, pointing at the
    relay on the hub."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = quote(db["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    db_port = relay.ports[int(db["PORT"] or 5432)]

    def via_relay(url: str) -> str:
        _, port, number = _redis_url_parts(url)
        return f"redis://{network.hub}:{relay.ports[port]}/{number}"

    return {
        "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "RUNWAY_ENV": "production",
        "SECRET_KEY": secret_key,
        "FIELD_ENCRYPTION_KEYS": fernet_key,
        # One name for the release on every host, as a deployment sets it.
        "RUNWAY_RELEASE": f"scaleout-{os.getpid()}",
        "ALLOWED_HOSTS": ",".join(network.addresses.values()),
        "DATABASE_URL": f"postgres://{credentials}{network.hub}:{db_port}/{db['NAME']}",
        "DATABASE_POOL_MAX": "2",
        "CELERY_BROKER_URL": via_relay(settings.CELERY_BROKER_URL),
        "CACHE_URL": via_relay(settings.CACHE_URL),
        # The stand-in is on a private address, which only an admin's allow-list opens.
        "RUNWAY_CONNECTOR_ALLOWED_HOSTS": network.hub,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_LEVEL": "INFO",
    }


def _connect_services(standin: StandIn, queue: str) -> dict[int, str]:
    """SERVICES OpenAI services over PROJECTS projects, connected as a lead connects
    one (its first sync queued at once), then scheduled by beat every BEAT_EVERY
    seconds on this run's queue; service id → its OpenAI project id."""
    projects = [ProjectFactory() for _ in range(PROJECTS)]
    services: dict[int, str] = {}
    for n in range(SERVICES):
        project_id = f"proj_{n:03d}"
        standin.keys[project_id] = f"sk-admin-scaleout-{secrets.token_hex(8)}"
        service = metric_services.service_create(
            project=projects[n % PROJECTS],
            kind=ConnectedService.Kind.OPENAI,
            name=f"OpenAI {project_id}",
            created_by=None,
            base_url=standin.url,
            credentials={"admin_key": standin.keys[project_id]},
            config={"project_id": project_id},
        )
        services[service.pk] = project_id
    every, _ = IntervalSchedule.objects.get_or_create(
        every=BEAT_EVERY, period=IntervalSchedule.SECONDS
    )
    scheduled = PeriodicTask.objects.filter(
        name__in=[f"sync service {pk}" for pk in services]
    ).update(interval=every, queue=queue, last_run_at=timezone.now())
    assert scheduled == SERVICES
    return services


def _web_project():
    """A project whose lead signs in with a password the web processes can check (the
    suite's fast hasher is not one production settings know)."""
    from importlib import import_module

    from django.apps import apps

    from projects.models import Step
    from tests.browser.conftest import REFERENCE_DATA

    if not Step.objects.exists():  # flushed by an earlier test that committed
        for module, function in REFERENCE_DATA:
            getattr(import_module(module), function)(apps, None)
    password = secrets.token_urlsafe(16)
    lead = UserFactory(email="lead@scaleout.example", first_name="Leo")
    lead.password = PBKDF2PasswordHasher().encode(password, secrets.token_hex(8))
    lead.save()
    project = project_services.project_create(
        name="Scale-out Assistant", team=TeamFactory(), owner=UserFactory(), lead=lead
    )
    return project, lead, password


class Visitor:
    """One browser behind a TLS proxy: the app sees https (X-Forwarded-Proto), so its
    cookies are Secure, and this keeps and sends them itself over the plain link."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, method: str, base: str, path: str, **kwargs) -> httpx.Response:
        host = base.split("//", 1)[1]
        headers = {
            "Host": host,
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            **kwargs.pop("headers", {}),
        }
        if method == "POST":
            headers |= {"Origin": f"https://{host}", "Referer": f"https://{host}/"}
        response = httpx.request(
            method,
            base + path,
            headers=headers,
            follow_redirects=False,
            trust_env=False,
            timeout=30,
            **kwargs,
        )
        for raw in response.headers.get_list("set-cookie"):
            name, _, rest = raw.partition("=")
            value = rest.split(";", 1)[0]
            if "expires=Thu, 01 Jan 1970" in raw or "Max-Age=0" in raw:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return response


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, f"no CSRF token in the page ({page.status_code})"
    return found.group(1)


def _step_one_progress(page: httpx.Response) -> tuple[int, int]:
    found = re.search(r'class="stepper-progress">(\d+)/(\d+) items', page.text)
    assert found, f"no stepper in the overview ({page.status_code})"
    return int(found.group(1)), int(found.group(2))


def _tick_is_seen_across_hosts(web: dict[str, str], project, lead, password) -> None:
    """Sign in through host a; through host b the same session is signed in, and a
    checklist tick made through a is on b's step page and overview at once."""
    a, b = web["a"], web["b"]
    visitor = Visitor()
    login = visitor.request("GET", a, "/accounts/login/")
    assert login.status_code == 200, login.text[:500]
    signed_in = visitor.request(
        "POST",
        a,
        "/accounts/login/",
        data={
            "login": lead.email,
            "password": password,
            "csrfmiddlewaretoken": _csrf(login),
        },
    )
    assert signed_in.status_code == 302, signed_in.text[:2000]
    assert "sessionid" in visitor.cookies

    overview = f"/projects/{project.slug}/"
    before = visitor.request("GET", b, overview)  # b renders and caches the overview
    assert before.status_code == 200, "host b does not know the session host a made"
    done_before, applicable = _step_one_progress(before)

    item = ChecklistItem.objects.filter(
        project=project, step__number=1, applicable=True, state=ItemState.OPEN
    ).first()
    step = f"/projects/{project.slug}/steps/1/"
    page = visitor.request("GET", a, step)
    assert page.status_code == 200
    ticked = visitor.request(
        "POST",
        a,
        f"/projects/{project.slug}/items/{item.pk}/state/",
        data={"state": ItemState.DONE, "csrfmiddlewaretoken": _csrf(page)},
        headers={"HX-Request": "true", "HX-Target": f"item-{item.pk}-head"},
    )
    assert ticked.status_code == 200, ticked.text[:2000]
    assert 'aria-pressed="true"' in ticked.text

    seen = visitor.request("GET", b, step)
    assert seen.status_code == 200
    assert f'id="tick-{item.pk}" class="check checked"' in seen.text, (
        "host b's step page does not show the tick made through host a"
    )
    after = visitor.request("GET", b, overview)
    assert _step_one_progress(after) == (done_before + 1, applicable), (
        "host b's overview (a cached fragment) did not move with the tick made "
        "through host a: the version tokens are not shared"
    )


def _task_ids(log: str) -> tuple[set[str], dict[str, str]]:
    """The sync tasks a worker's log says it received, and those it finished, with
    their results."""
    received = set(RECEIVED.findall(log))
    finished = {task: result or "error" for task, result in FINISHED.findall(log)}
    return received, finished


def test_two_hosts_share_the_syncs_and_the_sessions_and_survive_a_killed_worker(
    network, relay, standin, processes, queue, settings, tmp_path
):
    started = time.monotonic()

    def phase(what: str) -> None:  # shown with the output of a failed run
        print(f"{time.monotonic() - started:6.1f} s  {what}")

    with time_limit(TEST_TIMEOUT):
        secret_key = secrets.token_urlsafe(50)
        fernet_key = Fernet.generate_key().decode()
        # The workers decrypt the admin keys the test process stores.
        settings.FIELD_ENCRYPTION_KEYS = [fernet_key]
        services = _connect_services(standin, queue)
        web_project, lead, password = _web_project()

        phase(f"{SERVICES} services connected, their first syncs queued")
        env = _child_env(network, relay, tmp_path, secret_key, fernet_key)
        celery = [str(VENV_BIN / "celery"), "-A", "portal"]
        on_queue = [f"task.default_queue={queue}"]
        for host in HOSTS:
            processes.start(
                f"worker-{host}",
                [
                    *network.run_in(host),
                    *celery,
                    "worker",
                    "--loglevel",
                    "INFO",
                    "--without-heartbeat",
                    "--without-mingle",
                    "--without-gossip",
                    "--concurrency",
                    str(CONCURRENCY),
                    "--queues",
                    queue,
                    "--hostname",
                    f"{host}@{network.namespaces[host]}",
                    # Celery's own command-line configuration, after "--".
                    "--",
                    f"broker.transport_options=(json){json.dumps(_transport_options())}",
                    *on_queue,
                ],
                env=env,
                cwd=settings.BASE_DIR,
            )
            processes.start(
                f"web-{host}",
                [
                    *network.run_in(host),
                    str(VENV_BIN / "gunicorn"),
                    "portal.wsgi:application",
                    "--bind",
                    f"{network.addresses[host]}:{WEB_PORT}",
                    # One process per host: were anything kept in a process (a
                    # local cache, sessions), host b would show its own stale copy.
                    "--workers",
                    "1",
                    "--no-control-socket",
                    "--access-logfile",
                    "-",
                    "--error-logfile",
                    "-",
                ],
                env={**env, "DJANGO_SETTINGS_MODULE": "tests.scaleout.web_settings"},
                cwd=settings.BASE_DIR,
            )
        processes.start(
            "beat",
            [
                *network.run_in("b"),
                *celery,
                "beat",
                "--loglevel",
                "INFO",
                "--max-interval",
                "2",
                "--pidfile",
                str(tmp_path / "beat.pid"),
                "--",
                *on_queue,
            ],
            env=env,
            cwd=settings.BASE_DIR,
        )
        host_a = network.addresses["a"]

        # Host a's worker is killed while it has syncs under way: some asked, some not.
        def a_is_mid_sync() -> bool:
            return (
                len(standin.in_flight(host_a)) >= 2
                and len(standin.projects_asked_by(host_a)) > CONCURRENCY + 2
            )

        assert wait_for(a_is_mid_sync, timeout=90), (
            "host a's worker never got going:\n" + processes.log("worker-a")[-3000:]
        )
        interrupted_requests = standin.in_flight(host_a)
        killed_at = timezone.now()
        processes.kill("worker-a")
        phase(f"worker a killed with requests open for {sorted(interrupted_requests)}")
        assert (
            SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED)
            .values("service")
            .distinct()
            .count()
            < SERVICES
        ), "every service had synced before the kill: nothing was in the middle"

        # While host b carries the syncs alone, the web processes are tried.
        web = {h: f"http://{network.addresses[h]}:{WEB_PORT}" for h in HOSTS}
        for host, base in web.items():
            assert wait_for(
                lambda base=base: _answers(base), timeout=60, interval=0.5
            ), (
                f"gunicorn on host {host} never answered:\n"
                + processes.log(f"web-{host}")[-3000:]
            )
        _tick_is_seen_across_hosts(web, web_project, lead, password)
        phase("a tick through host a's web process seen through host b's")

        received_a, finished_a = _task_ids(processes.log("worker-a"))
        lost = received_a - finished_a.keys()

        def interrupted() -> set[int]:
            return set(
                SyncRun.objects.filter(started_at__lt=killed_at)
                .filter(status__in=[SyncRun.Status.RUNNING, SyncRun.Status.ABANDONED])
                .values_list("service_id", flat=True)
            )

        def recovered_after(since) -> set[int]:
            return set(
                SyncRun.objects.filter(
                    status=SyncRun.Status.SUCCEEDED, started_at__gt=since
                ).values_list("service_id", flat=True)
            )

        def redelivered() -> bool:
            return lost <= _task_ids(processes.log("worker-b"))[1].keys()

        def everything_synced() -> bool:
            return (
                interrupted() <= recovered_after(killed_at)
                and ConnectedService.objects.filter(
                    pk__in=services, last_success_at__isnull=False
                ).count()
                == SERVICES
            )

        # The tasks host a lost come back once the visibility timeout has passed, behind
        # what is queued; after them, beat's next rounds are the last chance.
        wait_for(redelivered, timeout=REDELIVERED_WITHIN, interval=1)
        phase(f"the {len(lost)} tasks worker a lost ran on worker b: {redelivered()}")
        wait_for(everything_synced, timeout=2 * BEAT_EVERY, interval=1)
        phase(f"every service synced: {everything_synced()}")

        # Stop scheduling, then let host b finish what it runs (a warm shutdown).
        processes.stop("beat")
        assert processes.stop("worker-b", grace=30) == 0, processes.log("worker-b")[
            -3000:
        ]
        for host in HOSTS:
            processes.stop(f"web-{host}")
        phase("beat, worker b and the web processes stopped")
        scheduled = processes.log("beat").count("Sending due task sync service")
        assert scheduled >= SERVICES, f"beat sent only {scheduled} syncs"

        _check_the_syncs(
            services,
            standin,
            processes,
            queue,
            hosts=network.addresses,
            killed_at=killed_at,
            interrupted_requests=interrupted_requests,
            lost=lost,
            finished_a=finished_a,
        )


def _answers(base: str) -> bool:
    try:
        host = base.split("//", 1)[1]
        response = httpx.get(
            base + "/healthz",
            headers={"Host": host, "X-Forwarded-Proto": "https"},
            trust_env=False,
            timeout=5,
        )
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def _check_the_syncs(
    services,
    standin,
    processes,
    queue,
    *,
    hosts,
    killed_at,
    interrupted_requests,
    lost,
    finished_a,
):
    finished_b = _task_ids(processes.log("worker-b"))[1]
    runs = defaultdict(list)
    for run in SyncRun.objects.filter(service__in=services).order_by("started_at"):
        runs[run.service_id].append(run)

    # The kill really landed in the middle of syncs, and both hosts did work.
    assert interrupted_requests, "no request of host a was open when it was killed"
    assert lost, "host a's log shows no task it received and did not finish"
    assert finished_a, "host a was killed before it finished any sync"
    asked = {c.client for c in standin.snapshot()}
    assert asked == set(hosts.values()), f"the stand-in was asked by {asked}"

    # Every task host a took and never finished was handed back and run by host b.
    not_redelivered = lost - set(finished_b)
    assert not not_redelivered, (
        f"{len(not_redelivered)} of the {len(lost)} tasks host a lost were never run "
        f"to the end on host b: {sorted(not_redelivered)[:5]}"
    )
    redelivered_results = {finished_b[task] for task in lost}
    # The Redis broker holds no message of this run as delivered but never acknowledged.
    assert not _stranded(queue), (
        "messages of the killed worker are still unacknowledged"
    )

    # Every service synced; none is left with a run that looks alive but is not.
    interrupted = {
        pk
        for pk, service_runs in runs.items()
        if any(
            r.started_at < killed_at
            and r.status in (SyncRun.Status.RUNNING, SyncRun.Status.ABANDONED)
            for r in service_runs
        )
    }
    assert interrupted, "no sync run was cut short by the kill"
    left_running = {
        pk: [r.started_at.isoformat() for r in rs if r.status == SyncRun.Status.RUNNING]
        for pk, rs in runs.items()
        if any(r.status == SyncRun.Status.RUNNING for r in rs)
    }
    not_recovered = {
        pk: [(r.status, r.error[:60]) for r in runs[pk] if r.started_at > killed_at]
        for pk in interrupted
        if not any(
            r.status == SyncRun.Status.SUCCEEDED and r.started_at > killed_at
            for r in runs[pk]
        )
    }
    assert not not_recovered, (
        f"{len(not_recovered)} of the {len(interrupted)} services whose sync the kill "
        f"cut short have not synced since, {BEAT_EVERY * 2} s after the tasks were "
        f"redelivered; the runs since "
        f"the kill of a few: {dict(list(not_recovered.items())[:3])}; the results of "
        f"the redelivered tasks: {sorted(redelivered_results)}"
    )
    # Beat's schedule ran syncs too (a second successful run of a service is one).
    assert any(
        sum(r.status == SyncRun.Status.SUCCEEDED for r in rs) > 1
        for rs in runs.values()
    ), "no service synced again on beat's schedule"
    never = [
        pk
        for pk in services
        if not any(r.status == SyncRun.Status.SUCCEEDED for r in runs[pk])
    ]
    assert not never, f"{len(never)} services never synced"
    assert not ConnectedService.objects.filter(
        pk__in=services, last_success_at__isnull=True
    ).exists()
    assert not left_running, (
        f"{len(left_running)} services still have a run marked running with no "
        "worker behind it"
    )

    # Never two syncs of one service at once, on one host or across both.
    overlaps = standin.overlaps()
    assert not overlaps, standin.describe(overlaps[:3])

    # No sample doubled, every value the one served, no day served missing.
    doubled = (
        MetricSample.objects.filter(service__in=services)
        .values("service", "metric", "dimension", "bucket", "bucket_start")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not doubled.exists(), list(doubled[:5])
    served = standin.served_days()
    stored: dict[int, dict[tuple[str, str, date], object]] = defaultdict(dict)
    for pk, metric, dimension, bucket, start, value in MetricSample.objects.filter(
        service__in=services
    ).values_list("service", "metric", "dimension", "bucket", "bucket_start", "value"):
        assert bucket == "day"
        stored[pk][(metric, dimension, start.astimezone(UTC).date())] = value
    rolled: dict[int, dict[tuple[str, str, date], object]] = defaultdict(dict)
    for pk, metric, dimension, day, value in DailyRollup.objects.filter(
        service__in=services
    ).values_list("service", "metric", "dimension", "day", "value"):
        rolled[pk][(metric, dimension, day)] = value
    for pk, project_id in services.items():
        days = served[project_id]
        expected = {
            (metric, "" if metric == "cost_billed_usd" else MODEL, day): value
            for day in days
            for metric, value in figures(project_id, day).items()
        }
        missing = sorted({day for (_, _, day) in expected.keys() - stored[pk].keys()})
        assert not missing, f"{project_id}: days served but not stored: {missing[:5]}"
        extra = stored[pk].keys() - expected.keys()
        assert not extra, f"{project_id}: samples nobody served: {sorted(extra)[:5]}"
        wrong = {k: (v, expected[k]) for k, v in stored[pk].items() if v != expected[k]}
        assert not wrong, f"{project_id}: values unlike those served: {wrong}"
        assert rolled[pk] == stored[pk], f"{project_id}: rollups unlike the samples"
