"""What telemetry reads from and writes to the Celery broker, when it is Redis.

Celery workers are other processes, often on other hosts, and serve no HTTP: a
counter kept in a worker's memory would never reach ``/metrics``. Task failures are
therefore counted in a Redis hash on the broker every worker already reaches, and
read back when Prometheus scrapes; the hash survives restarts of any process, so the
counter only goes up. With another broker (the embedded filesystem broker in
development) neither queue lengths nor task failures are reported.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

import redis
from celery import current_app
from django.conf import settings

log = logging.getLogger("runway.telemetry")

TASK_FAILURES_KEY = "runway:telemetry:task_failures"
# Short: a scrape and a failing task must not hang on an unreachable broker.
TIMEOUT_SECONDS = 1.0
# kombu's Redis transport keeps a queue's messages of priority p > 0 in the list
# "<queue>\x06\x16<p>", one per priority step; the queue's length is their sum.
PRIORITY_SEPARATOR = "\x06\x16"
DEFAULT_PRIORITY_STEPS = (0, 3, 6, 9)

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def client() -> redis.Redis | None:
    """A client of the broker's Redis (shared by the process's threads), or None when
    the broker is not Redis."""
    # A failover list "redis://a;redis://b" names the broker first tried.
    url = settings.CELERY_BROKER_URL.split(";")[0].strip()
    if not url.startswith(("redis://", "rediss://")):
        return None
    with _clients_lock:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(
                url,
                socket_timeout=TIMEOUT_SECONDS,
                socket_connect_timeout=TIMEOUT_SECONDS,
            )
        return _clients[url]


def queue_names() -> list[str]:
    """The queues workers consume: the default queue and any declared in settings."""
    conf = current_app.conf
    names = {conf.task_default_queue}
    names.update(queue.name for queue in conf.task_queues or ())
    return sorted(names)


def _keys(queue: str) -> list[str]:
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    prefix = options.get("global_keyprefix", "")
    steps: Iterable[int] = options.get("priority_steps", DEFAULT_PRIORITY_STEPS)
    return [
        f"{prefix}{queue}{PRIORITY_SEPARATOR}{step}" if step else f"{prefix}{queue}"
        for step in steps
    ]


def snapshot(broker: redis.Redis) -> tuple[dict[str, int], dict[str, int]]:
    """(messages waiting per queue, task failures per task name), in one round trip.
    Raises redis.RedisError (or OSError) when the broker cannot be reached."""
    queues = queue_names()
    pipe = broker.pipeline(transaction=False)
    for queue in queues:
        for key in _keys(queue):
            pipe.llen(key)
    pipe.hgetall(TASK_FAILURES_KEY)
    *lengths, failures = pipe.execute()
    steps = len(lengths) // len(queues)
    waiting = {
        queue: sum(lengths[i * steps : (i + 1) * steps])
        for i, queue in enumerate(queues)
    }
    return waiting, {
        _text(task): int(count) for task, count in (failures or {}).items()
    }


def task_failure_record(task_name: str) -> None:
    """Count one failure of ``task_name``; never raises, a failing task is enough."""
    broker = client()
    if broker is None:
        return
    try:
        broker.hincrby(TASK_FAILURES_KEY, task_name, 1)
    except (redis.RedisError, OSError):
        log.warning("task failure not counted: broker unreachable")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
