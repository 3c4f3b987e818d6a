from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "ok", 10)
    if cache.get(key) != "ok":
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)


def _broker() -> None:
    from portal.celery import ensure_broker_folders

    ensure_broker_folders()
    with Connection(
        settings.CELERY_BROKER_URL,
        transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        connect_timeout=2,
    ) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "cache": _cache,
    "broker": _broker,
}


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, cache and broker status: 200 when all are up, 503 when one is down."""
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # any failure means "down"; the reason is shown
            results[name] = {"status": "down", "error": type(exc).__name__}
        else:
            results[name] = {"status": "up"}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    healthy = all(r["status"] == "up" for r in results.values())
    return JsonResponse(
        {"status": "up" if healthy else "down", "checks": results},
        status=200 if healthy else 503,
    )
