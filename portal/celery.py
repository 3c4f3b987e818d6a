"""The Celery app: configured from Django settings (CELERY_*), tasks autodiscovered."""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery
from celery.signals import beat_init, before_task_publish, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_broker_folders() -> None:
    """Create the embedded broker's folders, which kombu expects to exist. Idempotent
    and cheap, so it runs before every publish: a management command on a fresh clone
    (``seed_demo``) sends tasks before any worker has started."""
    options = app.conf.broker_transport_options or {}
    for key in (
        "data_folder_in",
        "data_folder_out",
        "data_folder_processed",
        "control_folder",
    ):
        if folder := options.get(key):
            Path(folder).mkdir(parents=True, exist_ok=True)


@worker_init.connect
@beat_init.connect
@before_task_publish.connect
def _prepare_broker(**_: object) -> None:
    ensure_broker_folders()
