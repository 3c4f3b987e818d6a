"""Statements of the metrics app written out by hand, each beside the reason and with a
test that it does what its ORM twin does (tests/metrics/test_sql.py).

They all serve the push API (``metrics.ingest``): every pushed batch reads its token
and its push source and writes its events, and the budget of a batch is a share of
what a bare COPY of its events costs (see bench/README.md). Compiling the ORM's form
of the two reads took longer than PostgreSQL took to run them; written out, each is
also prepared on the server (``core.rows.statement_cursor``), so a pooled connection
plans it once. The batch's other statements (the source's "synced" update, the
token's last use) cost too little against the budget to be worth writing out.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection

from core.rows import Columns, statement_cursor
from metrics.models import ConnectedService, IngestToken, RequestEvent
from projects.models import Project

# The columns of RequestEvent a pushed event fills, in the order the rows given to
# ``events_copy`` and ``events_copy_new`` hold them.
EVENT_COLUMNS = (
    "timestamp",
    "model",
    "latency_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "error",
    "quality_score_name",
    "quality_score",
    "feedback",
    "idempotency_key",
)
# Their PostgreSQL types, for binary COPY and the staging table.
_EVENT_TYPES = (
    "timestamptz",
    "text",
    "float8",
    "int4",
    "int4",
    "numeric",
    "bool",
    "text",
    "float8",
    "int2",
    "text",
)
_EVENT_COLUMN_LIST = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
_EVENTS_TABLE = f'"{RequestEvent._meta.db_table}"'


@functools.cache
def _live_token_statement() -> tuple[str, Columns[IngestToken], Columns[Project]]:
    tokens, projects = Columns(IngestToken), Columns(Project)
    sql = (
        f"SELECT {tokens.sql}, {projects.sql} FROM {tokens.alias}"
        f" INNER JOIN {projects.alias}"
        f' ON {projects.alias}."id" = {tokens.alias}."project_id"'
        f' WHERE {tokens.alias}."token_hash" = %s'
        f' AND {tokens.alias}."revoked_at" IS NULL'
    )
    return sql, tokens, projects


# ORM twin: IngestToken.objects.select_related("project")
#     .filter(token_hash=token_hash, revoked_at__isnull=True).first()
def live_ingest_token(token_hash: str) -> IngestToken | None:
    """The unrevoked push token stored with this hash, its project loaded, or None.
    Written out as every pushed batch starts with it."""
    sql, token_columns, project_columns = _live_token_statement()
    with statement_cursor() as cursor:
        cursor.execute(sql, [token_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    token = token_columns.build(row[: len(token_columns)])
    assert token is not None  # noqa: S101  (the token's own id is never NULL)
    IngestToken.project.field.set_cached_value(
        token, project_columns.build(row[len(token_columns) :])
    )
    return token


@functools.cache
def _live_push_service_statement() -> tuple[str, Columns[ConnectedService]]:
    services = Columns(ConnectedService)
    sql = (
        f"SELECT {services.sql} FROM {services.alias}"
        f' WHERE {services.alias}."project_id" = %s'
        f' AND {services.alias}."kind" = %s'
        f' AND {services.alias}."deleted_at" IS NULL'
        f' ORDER BY {services.alias}."id" LIMIT 1'
    )
    return sql, services


# ORM twin: ConnectedService.objects.filter(project=project,
#     kind=ConnectedService.Kind.PUSH, deleted_at__isnull=True).order_by("pk").first()
def live_push_service(project: Project) -> ConnectedService | None:
    """The project's oldest push source not removed, or None. Written out as every
    pushed batch reads it."""
    sql, columns = _live_push_service_statement()
    with statement_cursor() as cursor:
        cursor.execute(sql, [project.pk, ConnectedService.Kind.PUSH.value])
        row = cursor.fetchone()
    if row is None:
        return None
    service = columns.build(row)
    assert service is not None  # noqa: S101  (the source's own id is never NULL)
    ConnectedService.project.field.set_cached_value(service, project)
    return service


# ORM twin: RequestEvent.objects.bulk_create([RequestEvent(...) for each row])
def events_copy(
    project_id: int,
    service_id: int,
    received_at: datetime,
    rows: Iterable[tuple[Any, ...]],
) -> None:
    """COPY events (``rows`` of EVENT_COLUMNS) into the table, PostgreSQL only. It
    fails whole on an idempotency key the project stored before
    (``psycopg.errors.UniqueViolation``). A binary COPY, as the push API's budget is
    a share of a bare COPY's time, and ``bulk_create`` ran far slower than one: it
    builds a model instance per row and sends every value as a parameter."""
    before = (project_id, service_id, received_at)
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg's own cursor, for COPY
        with cursor.copy(
            f"COPY {_EVENTS_TABLE} (project_id, service_id, received_at,"
            f" {_EVENT_COLUMN_LIST}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(("int8", "int8", "timestamptz", *_EVENT_TYPES))
            for row in rows:
                copy.write_row((*before, *row))


_STAGE_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS runway_event_stage ("
    + ", ".join(f'"{c}" {t}' for c, t in zip(EVENT_COLUMNS, _EVENT_TYPES, strict=True))
    + ") ON COMMIT DELETE ROWS"
)
_STAGE_TO_EVENTS = (
    f"INSERT INTO {_EVENTS_TABLE} (project_id, service_id, {_EVENT_COLUMN_LIST},"
    " received_at, rolled_up_at)"
    f" SELECT %s, %s, {_EVENT_COLUMN_LIST}, %s, NULL FROM runway_event_stage"
    " ON CONFLICT (project_id, idempotency_key) DO NOTHING"
)


# ORM twin: RequestEvent.objects.bulk_create([RequestEvent(...) for each row],
#     ignore_conflicts=True), counting the keys the project did not hold before
def events_copy_new(
    project_id: int,
    service_id: int,
    received_at: datetime,
    rows: Iterable[tuple[Any, ...]],
) -> int:
    """Store the events (``rows`` of EVENT_COLUMNS) whose idempotency key the project
    has not stored, PostgreSQL only; returns how many. The batch is COPYed into a
    session-local staging table and moved with ``INSERT … ON CONFLICT DO NOTHING``,
    which skips the keys stored before, by an earlier batch or a concurrent request:
    the resent batch's path of the push API, kept close to a bare COPY's time."""
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg's own cursor, for COPY
        cursor.execute(_STAGE_TABLE)
        with cursor.copy(
            f"COPY runway_event_stage ({_EVENT_COLUMN_LIST}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(_EVENT_TYPES)
            for row in rows:
                copy.write_row(row)
        cursor.execute(_STAGE_TO_EVENTS, [project_id, service_id, received_at])
        inserted: int = cursor.rowcount
        cursor.execute("TRUNCATE runway_event_stage")
    return inserted
