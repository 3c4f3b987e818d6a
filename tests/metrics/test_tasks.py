"""The metrics app's background work is queued by task name (metrics.enqueue), and the
names lead to the tasks: a new service's first sync, the pushed events' rollup and
beat's schedules all reach a registered task."""

from __future__ import annotations

import pytest
from celery import current_app
from django.db import transaction
from django_celery_beat.models import PeriodicTask

from metrics import enqueue, services
from metrics.models import ConnectedService, SyncRun

pytestmark = pytest.mark.django_db


def registered_tasks() -> set[str]:
    current_app.loader.import_default_modules()  # what a worker imports at start
    return set(current_app.tasks)


def new_service(project, owner) -> ConnectedService:
    return services.service_create(
        project=project,
        kind="langfuse",
        name="Langfuse",
        created_by=owner,
        base_url="https://cloud.langfuse.com",
        credentials={"public_key": "pk-lf-1", "secret_key": "sk-lf-1"},
    )


def test_every_name_work_is_queued_by_is_a_registered_task():
    assert {
        enqueue.SYNC_SERVICE,
        enqueue.ROLLUP_EVENTS,
        enqueue.EVALUATE_ALERTS,
        enqueue.PRUNE_HOURLY_SAMPLES,
    } <= registered_tasks()


def test_every_task_beat_runs_is_a_registered_task(project, owner):
    new_service(project, owner)
    scheduled = set(PeriodicTask.objects.values_list("task", flat=True))
    # The sync of the service, and the sweeps the migrations schedule.
    assert {
        enqueue.SYNC_SERVICE,
        enqueue.EVALUATE_ALERTS,
        enqueue.PRUNE_HOURLY_SAMPLES,
    } <= scheduled
    assert scheduled <= registered_tasks()


@pytest.fixture
def syncs(monkeypatch) -> list[int]:
    """The services whose sync the queued task started."""
    started: list[int] = []

    def sync(*, service: ConnectedService, task_id: str = "") -> SyncRun:
        started.append(service.pk)
        return SyncRun(service=service, status=SyncRun.Status.SUCCEEDED)

    monkeypatch.setattr(services, "service_sync", sync)
    return started


def test_a_new_service_is_synced_once_its_creation_commits(
    project, owner, syncs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        service = new_service(project, owner)
        assert syncs == []  # the task would not see the service before the commit
    for callback in callbacks:
        callback()
    assert syncs == [service.pk]


def test_a_service_whose_creation_rolls_back_is_never_synced(
    project, owner, syncs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        new_service(project, owner)
        transaction.set_rollback(True)
    assert syncs == []
    assert not ConnectedService.objects.exists()


def test_outside_the_tests_a_task_goes_to_the_broker_by_name(monkeypatch, syncs):
    sent = []
    monkeypatch.setitem(current_app.conf, "task_always_eager", False)
    monkeypatch.setattr(
        current_app,
        "send_task",
        lambda name, args, **options: sent.append((name, args, options)),
    )

    enqueue.task_send(enqueue.SYNC_SERVICE, 7)
    enqueue.task_send(enqueue.ROLLUP_EVENTS, 3, countdown=30)

    assert sent == [
        (enqueue.SYNC_SERVICE, (7,), {}),
        (enqueue.ROLLUP_EVENTS, (3,), {"countdown": 30}),
    ]
    assert syncs == []  # queued for a worker, not run here
