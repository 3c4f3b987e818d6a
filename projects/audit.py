"""Who is acting, for the audit trail, outside a web request.

Web requests are attributed by simple_history's middleware. Celery tasks and
management commands wrap their work in ``acting_as(user)`` so that history rows
name the person (or leave it empty for the system itself).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.db import connections, router
from django.utils import timezone
from simple_history.manager import HistoryDescriptor
from simple_history.models import HistoricalRecords
from simple_history.signals import (
    post_create_historical_record,
    pre_create_historical_record,
)

from core.rows import statement_cursor

if TYPE_CHECKING:
    from portal.models import User

_actor: ContextVar[User | None] = ContextVar("runway_actor", default=None)


@contextmanager
def acting_as(user: User | None) -> Iterator[None]:
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


def history_user(request: Any = None, **_: Any) -> User | None:
    """simple_history's ``get_user`` hook: the explicit actor, else the request's user."""
    actor = _actor.get()
    if actor is not None:
        return actor
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user  # type: ignore[no-any-return]
    return None


class _KeptManagerDescriptor(HistoryDescriptor):  # type: ignore[misc]
    """``instance.history`` from a manager class made once, not on every access."""

    def __init__(self, found: HistoryDescriptor) -> None:
        super().__init__(
            found.model, manager=found.manager_class, queryset=found.queryset_class
        )
        self.kept_manager_class = self.manager_class.from_queryset(self.queryset_class)

    def __get__(self, instance: Any, owner: Any) -> Any:
        return self.kept_manager_class(self.model, instance)


_TRAILS: dict[type, AuditTrail] = {}


class AuditTrail(HistoricalRecords):  # type: ignore[misc]
    """The history of a model's rows, each change attributed by ``history_user``.

    simple_history makes a new manager class (``Manager.from_queryset``, which
    inspects the queryset class) every time ``instance.history`` is read, and every
    save reads it to write its history row: a quarter of that row's cost, 0.2 ms.
    Here the class is made once per model."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("get_user", history_user)
        super().__init__(**kwargs)

    @staticmethod
    def of(model: type) -> AuditTrail:
        """The trail that records ``model``."""
        return _TRAILS[model]

    def finalize(self, sender: Any, **kwargs: Any) -> None:
        super().finalize(sender, **kwargs)
        if sender is self.cls:
            _TRAILS[sender] = self
        found = sender.__dict__.get(self.manager_name)
        if type(found) is HistoryDescriptor:
            setattr(sender, self.manager_name, _KeptManagerDescriptor(found))

    def create_historical_record(
        self, instance: Any, history_type: str, using: str | None = None
    ) -> None:
        """Write the history row with one prepared INSERT.

        simple_history builds a historical model instance and saves it through the
        ORM: 1.5 M instructions (half a millisecond) on every audited save, a
        checklist tick's largest single cost after its read. The row written here
        has the same columns and values. Models with m2m history, a history
        relation or listeners on simple_history's create signals take its own path,
        which those need."""
        history_model = self.cls.__dict__[self.manager_name].model
        if (
            self.m2m_fields
            or hasattr(history_model, "history_relation")
            or pre_create_historical_record.has_listeners(history_model)
            or post_create_historical_record.has_listeners(history_model)
        ):
            super().create_historical_record(instance, history_type, using=using)
            return
        using = using if self.use_base_model_db else None
        connection = connections[using or router.db_for_write(history_model)]
        user = self.get_history_user(instance)
        values = {
            f.attname: getattr(instance, f.attname) for f in self._copied(instance)
        }
        values |= {
            "history_date": getattr(instance, "_history_date", timezone.now()),
            "history_type": history_type,
            "history_user_id": user.pk if user is not None else None,
            "history_change_reason": self.get_change_reason_for_object(
                instance, history_type, using
            ),
        }
        sql, fields = _insert_statement(history_model, tuple(values))
        with statement_cursor(connection.alias) as cursor:
            cursor.execute(
                sql,
                [
                    field.get_db_prep_save(values[field.attname], connection)
                    for field in fields
                ],
            )

    def _copied(self, instance: Any) -> list[Any]:
        """The fields of the audited model that its history copies."""
        fields: list[Any] | None = self.__dict__.get("_copied_fields")
        if fields is None:
            fields = self._copied_fields = self.fields_included(instance)
        return fields


_INSERTS: dict[tuple[type, tuple[str, ...]], tuple[str, list[Any]]] = {}


def _insert_statement(model: Any, attnames: tuple[str, ...]) -> tuple[str, list[Any]]:
    """``INSERT`` of the history model's row for these columns, and their fields."""
    key = (model, attnames)
    if key not in _INSERTS:
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        fields = [by_attname[name] for name in attnames]
        columns = ", ".join(f'"{f.column}"' for f in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        _INSERTS[key] = (
            f'INSERT INTO "{model._meta.db_table}" ({columns}) VALUES ({placeholders})',
            fields,
        )
    return _INSERTS[key]
