"""Model instances and typed values from one hand-written SELECT, for the few reads
too hot for the ORM's query compiler.

Compiling a query with two ``select_related`` joins and an annotation costs the ORM
more than PostgreSQL takes to run it (bench/README.md). ``Columns`` names a model's columns under a table alias for
such a statement, written once, and builds the instance back from its part of a
row, with the same conversions the ORM applies (time zones on SQLite, encrypted
fields), so the instances behave as if the ORM had loaded them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import Any, Generic, TypeVar, cast

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model, Value

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, Any], Any]


class Columns(Generic[M]):
    """The columns of ``model`` under ``alias`` (its table's name unless given):
    every concrete one in the model's order, or ``only`` those named."""

    def __init__(
        self, model: type[M], alias: str = "", *, only: Sequence[str] = ()
    ) -> None:
        self.model = model
        self.alias = alias or f'"{model._meta.db_table}"'
        # Columns are concrete fields (a reverse relation has none).
        self.fields: list[Field[Any, Any]] = (
            [cast("Field[Any, Any]", model._meta.get_field(name)) for name in only]
            if only
            else list(model._meta.concrete_fields)
        )
        self.attnames = [f.attname for f in self.fields]

    @cached_property
    def sql(self) -> str:
        return ", ".join(f'{self.alias}."{f.column}"' for f in self.fields)

    @cached_property
    def _pk_index(self) -> int:
        return self.attnames.index(self.model._meta.pk.attname)

    def __len__(self) -> int:
        return len(self.fields)

    def convert(
        self, values: Sequence[Any], using: str = DEFAULT_DB_ALIAS
    ) -> list[Any]:
        """This model's slice of a row as the ORM would return its values (aware
        datetimes on SQLite, decrypted fields)."""
        return _converted(values, self._converters(using), connections[using])

    def build(self, values: Sequence[Any], using: str = DEFAULT_DB_ALIAS) -> M | None:
        """The instance from this model's slice of a row; None for the NULLs of a
        LEFT JOIN that found nothing (the primary key is NULL)."""
        converted = self.convert(values, using)
        if converted[self._pk_index] is None:
            return None
        return self.model.from_db(using, self.attnames, converted)

    def _converters(self, using: str) -> list[tuple[int, Any, list[Converter]]]:
        """(position, column expression, converters) of the fields that have any,
        as the ORM's compiler finds them; worked out once per database."""
        cache: dict[str, list[tuple[int, Any, list[Converter]]]] = (
            self.__dict__.setdefault("_by_database", {})
        )
        if using not in cache:
            connection = connections[using]
            found = []
            for index, field in enumerate(self.fields):
                column = field.get_col(self.alias)
                converters = connection.ops.get_db_converters(
                    column
                ) + column.get_db_converters(connection)
                if converters:
                    found.append((index, column, converters))
            cache[using] = found
        return cache[using]


class Values:
    """The named values of a row of a written-out statement, each converted as the
    ORM converts an annotation of its type (``types``; None: kept as the database
    returns it), since SQLite returns dates, times, decimals and booleans as text
    and numbers."""

    def __init__(self, types: dict[str, Field[Any, Any] | None]) -> None:
        self.names = list(types)
        self._types = types
        self._by_database: dict[str, list[tuple[int, Any, list[Converter]]]] = {}

    def convert(
        self, row: Sequence[Any], using: str = DEFAULT_DB_ALIAS
    ) -> dict[str, Any]:
        converted = _converted(row, self._converters(using), connections[using])
        return dict(zip(self.names, converted, strict=True))

    def _converters(self, using: str) -> list[tuple[int, Any, list[Converter]]]:
        if using not in self._by_database:
            connection = connections[using]
            found = []
            for index, field in enumerate(self._types.values()):
                if field is None:
                    continue
                expression = Value(None, output_field=field)
                converters = connection.ops.get_db_converters(
                    expression
                ) + expression.get_db_converters(connection)
                if converters:
                    found.append((index, expression, converters))
            self._by_database[using] = found
        return self._by_database[using]


def _converted(
    values: Sequence[Any],
    converters: list[tuple[int, Any, list[Converter]]],
    connection: Any,
) -> list[Any]:
    """``values`` with each (position, expression, converters) applied, as the ORM's
    compiler applies them (never to NULL)."""
    converted = list(values)
    for index, expression, functions in converters:
        value = converted[index]
        if value is not None:
            for convert in functions:
                value = convert(value, expression, connection)
            converted[index] = value
    return converted


@contextmanager
def statement_cursor(using: str = DEFAULT_DB_ALIAS) -> Iterator[Any]:
    """A cursor for a written-out statement, which the server prepares.

    On PostgreSQL the statement goes with its parameters bound on the server, and
    each pooled connection parses and plans it once (``prepare_threshold`` in the
    settings): planning a hot read took longer than running it (bench/README.md).
    Django's own cursors bind
    on the client and never prepare.

    Django's query log records each statement with its values, which a prepared
    statement is not sent with; so while queries are logged (DEBUG, query-count
    tests, the bench's capture of each page's SQL), or where prepared statements
    are off (``DATABASE_PREPARED_STATEMENTS=False``, for a pooler that cannot keep
    them) or on other databases, Django's own cursor runs the statement."""
    connection = connections[using]
    if connection.vendor == "postgresql" and not connection.queries_logged:
        connection.ensure_connection()
        raw = connection.connection
        if raw is not None and raw.prepare_threshold is not None:
            connection.validate_thread_sharing()
            with connection.make_cursor(cast(Any, psycopg.Cursor(raw))) as cursor:
                yield cursor
            return
    with connection.cursor() as cursor:
        yield cursor
