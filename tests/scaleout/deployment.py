"""The deployment the scale-out test (tests/scaleout/test_scale_out.py) makes: its
sizes and timings, the production environment of the processes on the hosts, the broker
options of the workers and what is left in the broker, and the services that sync."""

from __future__ import annotations

import json
import os
import secrets
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from metrics import services as metric_services
from metrics.models import ConnectedService
from tests.factories import ProjectFactory
from tests.scaleout.standin import StandIn

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
HOSTS = ["a", "b"]
WEB_PORT = 8000
VENV_BIN = Path(sys.executable).parent


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
