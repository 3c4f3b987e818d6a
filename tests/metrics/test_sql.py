"""Each hand-written statement in metrics/sql.py does what its ORM twin does, on the
database the suite runs on (SQLite by default, PostgreSQL in CI); COPY is
PostgreSQL's alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from metrics import ingest, sql
from metrics.models import ConnectedService, IngestToken, RequestEvent
from tests.conftest import require
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 2, tzinfo=UTC)


def fields(instance: Model | None) -> dict[str, Any] | None:
    """Every column's value as the instance holds it."""
    if instance is None:
        return None
    return {
        f.attname: getattr(instance, f.attname)
        for f in type(instance)._meta.concrete_fields
    }


def test_the_live_token_read_equals_the_orm_read(people, django_assert_num_queries):
    project = people["project"]
    live, live_secret = ingest.token_create(
        project=project, name="live", created_by=None
    )
    revoked, revoked_secret = ingest.token_create(
        project=project, name="old", created_by=people["lead"]
    )
    ingest.token_revoke(token=revoked)
    ProjectFactory(name="Someone else's")  # another project is not joined in

    for secret in (live_secret, revoked_secret, "rwy_never-issued"):
        token_hash = ingest.secret_hash(secret)
        by_orm = (
            IngestToken.objects.select_related("project")
            .filter(token_hash=token_hash, revoked_at__isnull=True)
            .first()
        )
        by_hand = sql.live_ingest_token(token_hash)

        assert fields(by_hand) == fields(by_orm)
        if by_orm is not None:
            assert by_hand is not None
            with django_assert_num_queries(0):  # the project came with the token
                assert fields(by_hand.project) == fields(by_orm.project)
    assert sql.live_ingest_token(ingest.secret_hash(live_secret)).pk == live.pk


def test_the_push_source_read_equals_the_orm_read(people):
    project = people["project"]

    def by_orm() -> ConnectedService | None:
        return (
            ConnectedService.objects.filter(
                project=project,
                kind=ConnectedService.Kind.PUSH,
                deleted_at__isnull=True,
            )
            .order_by("pk")
            .first()
        )

    def push_source(name: str, **extra: Any) -> ConnectedService:
        return ConnectedService.objects.create(
            project=project,
            kind=ConnectedService.Kind.PUSH,
            name=name,
            interval_minutes=0,
            **extra,
        )

    assert sql.live_push_service(project) is None and by_orm() is None

    push_source("Removed", deleted_at=timezone.now())
    ConnectedService.objects.create(project=project, kind="langfuse", name="Langfuse")
    ConnectedService.objects.create(
        project=ProjectFactory(name="Elsewhere"), kind="push", name="Theirs"
    )
    assert sql.live_push_service(project) is None and by_orm() is None

    oldest = push_source("Push API", last_error="timeout", consecutive_failures=2)
    push_source("A second one")
    by_hand = sql.live_push_service(project)
    assert by_hand is not None and by_hand.pk == oldest.pk
    assert fields(by_hand) == fields(by_orm())
    assert by_hand.project is project  # the caller's project, not a second read


def pushed(*keys: str) -> list[ingest.PushedEvent]:
    return [
        ingest.PushedEvent(
            DAY + timedelta(minutes=n),
            "claude-haiku-4 ü" if n % 2 else "gpt-4o-mini",
            100.0 + n,
            1000 + n,
            200,
            Decimal("0.00012345"),
            n % 3 == 0,
            key,
            "helpfulness" if n % 2 else "",
            0.5 if n % 2 else None,
            -1 if n == 1 else None,
        )
        for n, key in enumerate(keys, start=1)
    ]


EVENT_FIELDS = ["project_id", "service_id", *sql.EVENT_COLUMNS, "rolled_up_at"]


def stored(project_id: int) -> list[dict[str, Any]]:
    return list(
        RequestEvent.objects.filter(project_id=project_id)
        .order_by("idempotency_key")
        .values(*EVENT_FIELDS)
    )


def orm_rows(project_id: int, service_id: int, events) -> list[RequestEvent]:
    """The ORM's way to store the same events."""
    return [
        RequestEvent(
            project_id=project_id,
            service_id=service_id,
            **dict(zip(sql.EVENT_COLUMNS, values, strict=True)),
        )
        for values in ingest.event_values(events)
    ]


def require_postgresql() -> None:
    require(
        connection.vendor == "postgresql", "COPY needs PostgreSQL (set DATABASE_URL)"
    )


def test_copying_events_equals_the_orm_bulk_create(people):
    require_postgresql()
    project = people["project"]
    service = ingest.push_service(project)
    events = pushed("req-1", "req-2", "req-3", "req-4")

    RequestEvent.objects.bulk_create(orm_rows(project.pk, service.pk, events))
    by_orm = stored(project.pk)
    RequestEvent.objects.filter(project=project).delete()

    received = timezone.now() - timedelta(seconds=5)
    sql.events_copy(project.pk, service.pk, received, ingest.event_values(events))

    assert stored(project.pk) == by_orm
    assert set(RequestEvent.objects.values_list("received_at", flat=True)) == {received}


def test_copying_a_key_stored_before_fails_whole(people):
    require_postgresql()
    project = people["project"]
    service = ingest.push_service(project)
    RequestEvent.objects.bulk_create(orm_rows(project.pk, service.pk, pushed("req-2")))

    with pytest.raises(psycopg.errors.UniqueViolation), transaction.atomic():
        sql.events_copy(
            project.pk,
            service.pk,
            timezone.now(),
            ingest.event_values(pushed("req-1", "req-2", "req-3")),
        )

    assert [e["idempotency_key"] for e in stored(project.pk)] == ["req-2"]


def test_copying_only_new_events_equals_the_orm_bulk_create_ignoring_conflicts(
    people,
):
    require_postgresql()
    project = people["project"]
    service = ingest.push_service(project)
    before = pushed("req-2", "req-4")
    batch = pushed("req-1", "req-2", "req-3", "req-4", "req-5")
    # Another project's identical keys are no conflict.
    elsewhere = ProjectFactory(name="Elsewhere")
    elsewhere_service = ingest.push_service(elsewhere)
    RequestEvent.objects.bulk_create(
        orm_rows(elsewhere.pk, elsewhere_service.pk, batch)
    )

    RequestEvent.objects.bulk_create(orm_rows(project.pk, service.pk, before))
    count_before = RequestEvent.objects.filter(project=project).count()
    RequestEvent.objects.bulk_create(
        orm_rows(project.pk, service.pk, batch), ignore_conflicts=True
    )
    orm_inserted = RequestEvent.objects.filter(project=project).count() - count_before
    by_orm = stored(project.pk)
    RequestEvent.objects.filter(project=project).delete()

    RequestEvent.objects.bulk_create(orm_rows(project.pk, service.pk, before))
    inserted = sql.events_copy_new(
        project.pk, service.pk, timezone.now(), ingest.event_values(batch)
    )

    assert inserted == orm_inserted == 3
    assert stored(project.pk) == by_orm
    # The staging table is left empty for the connection's next batch.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM runway_event_stage")
        assert cursor.fetchone() == (0,)
