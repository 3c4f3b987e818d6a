"""COPY of rows shaped like the models, with primary keys handed out in Python.

Rows are given as {attname: value}; every value goes through its field's own
``get_db_prep_save`` so JSON and encrypted fields are stored as the ORM would store
them. Keys are handed out here so related rows can be written in one pass; the
sequences are moved past them at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import psycopg


def copy_rows(
    cursor: psycopg.Cursor[Any], model: Any, rows: Iterable[Mapping[str, Any]]
) -> int:
    """COPY rows given as {attname: value} into ``model``'s table.

    Missing fields take the model's default (or now() for auto_now fields) and every
    value goes through the field's own ``get_db_prep_save``, so JSON and encrypted
    fields are stored exactly as the ORM would store them.
    """
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    fields = list(model._meta.concrete_fields)
    defaults: dict[str, Any] = {}
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
        elif not f.primary_key:
            defaults[f.attname] = f.get_default()
    columns = ", ".join(f'"{f.column}"' for f in fields)
    count = 0
    with cursor.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            values = []
            for f in fields:
                value = row[f.attname] if f.attname in row else defaults.get(f.attname)
                values.append(f.get_db_prep_save(value, connection))
            copy.write_row(values)
            count += 1
    return count


def copy_m2m(
    cursor: psycopg.Cursor[Any], through: Any, pairs: Iterable[tuple[int, int]]
) -> None:
    """COPY (from_id, to_id) pairs into an auto-created many-to-many table."""
    fk_columns = [f.column for f in through._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f'"{c}"' for c in fk_columns)
    with cursor.copy(f'COPY "{through._meta.db_table}" ({columns}) FROM STDIN') as copy:
        for pair in pairs:
            copy.write_row(pair)


class Ids:
    """Primary keys handed out in Python, so related rows can be COPYed in one pass;
    the sequences are moved past them at the end."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def take(self, table: str) -> int:
        value = self._next.get(table, 1)
        self._next[table] = value + 1
        return value


def reset_sequences(cursor: psycopg.Cursor[Any]) -> None:
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models())
    for sql in statements:
        cursor.execute(sql)
