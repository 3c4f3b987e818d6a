"""core.rows: instances built from a hand-written SELECT are the ORM's own."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection

from core.rows import Columns, statement_cursor
from metrics.models import ConnectedService
from portal.models import User
from tests.conftest import require
from tests.factories import ProjectFactory, UserFactory


def _field_values(instance):
    return {
        f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields
    }


def _select(columns, *, where, params, join=""):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {join} WHERE {where}", params)
        return cursor.fetchone()


def test_an_instance_built_from_a_row_equals_the_one_the_orm_loads(db):
    service = ConnectedService.objects.create(
        kind=ConnectedService.Kind.OPENAI,
        name="OpenAI org",
        project=ProjectFactory(),
        config={"organization": "org-1"},
        credentials='{"admin_key": "sk-admin-9876"}',
        last_sync_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
    )
    columns = Columns(ConnectedService)
    row = _select(
        columns.sql,
        join=columns.alias,
        where=f'{columns.alias}."id" = %s',
        params=[service.pk],
    )
    built = columns.build(row)
    loaded = ConnectedService.objects.get(pk=service.pk)
    assert _field_values(built) == _field_values(loaded)
    # Converted as the ORM converts: decrypted, parsed, aware.
    assert built.credentials == '{"admin_key": "sk-admin-9876"}'
    assert built.config == {"organization": "org-1"}
    assert built.last_sync_at == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    assert built._state.adding is False and built._state.db == "default"


def test_the_nulls_of_a_left_join_that_found_nothing_build_no_instance(db):
    creator = UserFactory()
    with_creator = ConnectedService.objects.create(
        kind="push", name="a", created_by=creator
    )
    without = ConnectedService.objects.create(kind="push", name="b")
    services, users = Columns(ConnectedService), Columns(User, "u")
    for service, expected in ((with_creator, creator), (without, None)):
        row = _select(
            f"{services.sql}, {users.sql}",
            join=f'{services.alias} LEFT OUTER JOIN "{User._meta.db_table}" u'
            f' ON u."id" = {services.alias}."created_by_id"',
            where=f'{services.alias}."id" = %s',
            params=[service.pk],
        )
        assert users.build(row[len(services) :]) == expected


def test_some_columns_convert_to_the_values_the_orm_returns(db):
    service = ConnectedService.objects.create(
        kind="push",
        name="push",
        credentials='{"token": "t-1"}',
        last_sync_at=datetime(2026, 11, 3, 8, 0, tzinfo=UTC),
    )
    names = ("name", "credentials", "last_sync_at", "config")
    columns = Columns(ConnectedService, only=names)
    row = _select(
        columns.sql,
        join=columns.alias,
        where=f'{columns.alias}."id" = %s',
        params=[service.pk],
    )
    assert columns.convert(row) == list(
        ConnectedService.objects.values_list(*names).get(pk=service.pk)
    )


def _prepared_statements():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_written_out_statement_is_prepared_on_postgresql_and_logged_elsewhere(
    db, django_assert_num_queries
):
    """The server plans it once per connection; while queries are logged it runs
    through Django's cursor, so query counts and the bench's capture still see it
    with its values."""
    require(
        connection.vendor == "postgresql",
        "prepared statements are PostgreSQL's (set DATABASE_URL)",
    )
    user = UserFactory(first_name="Ada")
    columns = Columns(User)
    sql = f'SELECT {columns.sql} FROM {columns.alias} WHERE {columns.alias}."id" = %s'

    with statement_cursor() as cursor:
        cursor.execute(sql, [user.pk])
        row = cursor.fetchone()
    assert columns.build(row).first_name == "Ada"
    assert any(s.startswith(sql.split(" WHERE ")[0]) for s in _prepared_statements())

    with django_assert_num_queries(1) as captured, statement_cursor() as cursor:
        cursor.execute(sql, [user.pk])
        assert columns.build(cursor.fetchone()).first_name == "Ada"
    assert f'"id" = {user.pk}' in captured.captured_queries[0]["sql"]
