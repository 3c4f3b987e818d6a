"""Queue the metrics app's Celery tasks by their registered names.

Tasks call services; the services and the push ingest queue work without importing
``metrics.tasks``, so the two never import each other. The names here are the ones
``metrics.tasks`` registers its tasks under (and beat's rows run).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from celery import current_app
from django.db import transaction

SYNC_SERVICE = "metrics.sync_service"
ROLLUP_EVENTS = "metrics.rollup_events"
EVALUATE_ALERTS = "metrics.evaluate_alerts"
PRUNE_HOURLY_SAMPLES = "metrics.prune_hourly_samples"


def task_send(name: str, *args: Any, countdown: float | None = None) -> None:
    """Queue the task registered as ``name`` with ``args``.

    ``send_task`` publishes by name alone, but ignores ``task_always_eager``; while
    tasks run eagerly (the tests), the task is looked up in the registry, its module
    imported by Celery's own discovery if nothing has imported it yet, and run in
    place, as ``apply_async`` would run it."""
    app = current_app
    options: dict[str, Any] = {} if countdown is None else {"countdown": countdown}
    if app.conf.task_always_eager:
        if name not in app.tasks:
            app.loader.import_default_modules()
        app.tasks[name].apply_async(args, **options)
        return
    app.send_task(name, args=args, **options)


def task_send_on_commit(name: str, *args: Any) -> None:
    """Queue the task once the current transaction commits: the task then sees what
    the transaction wrote, and a rollback queues nothing."""
    transaction.on_commit(partial(task_send, name, *args))
