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

from simple_history.manager import HistoryDescriptor
from simple_history.models import HistoricalRecords

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


class AuditTrail(HistoricalRecords):  # type: ignore[misc]
    """The history of a model's rows, each change attributed by ``history_user``.

    simple_history makes a new manager class (``Manager.from_queryset``, which
    inspects the queryset class) every time ``instance.history`` is read, and every
    save reads it to write its history row: a quarter of that row's cost, 0.2 ms.
    Here the class is made once per model."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("get_user", history_user)
        super().__init__(**kwargs)

    def finalize(self, sender: Any, **kwargs: Any) -> None:
        super().finalize(sender, **kwargs)
        found = sender.__dict__.get(self.manager_name)
        if type(found) is HistoryDescriptor:
            setattr(sender, self.manager_name, _KeptManagerDescriptor(found))
