"""A task makes the round trip through the configured broker and a real worker process."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery.app.backends import by_url
from celery.result import AsyncResult
from django.conf import settings

from portal.celery import app, ensure_broker_folders
from portal.tasks import broker_roundtrip

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture
def result_backend_url(tmp_path):
    broker = settings.CELERY_BROKER_URL
    if broker.startswith("redis"):
        return broker
    return f"file://{tmp_path}"


@pytest.fixture
def worker(result_backend_url, tmp_path):
    # A private queue, so that a worker from `make run` cannot take the task.
    queue = f"roundtrip-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "CELERY_RESULT_BACKEND": result_backend_url}
    log = (tmp_path / "worker.log").open("w")
    ensure_broker_folders()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "INFO",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield queue
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.mark.worker
def test_a_real_worker_runs_a_task_sent_through_the_broker(
    worker, result_backend_url, tmp_path
):
    token = uuid.uuid4().hex
    sent = broker_roundtrip.apply_async(args=[token], queue=worker)
    backend_cls, url = by_url(result_backend_url, app.loader)
    result = AsyncResult(sent.id, backend=backend_cls(app=app, url=url), app=app)
    try:
        value = result.get(timeout=60)
    except Exception:
        print((tmp_path / "worker.log").read_text())
        raise
    assert value["token"] == token


def test_the_worker_settings_favour_reliability():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
    assert conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
