"""Who is acting, for the audit trail, outside a web request.

Web requests are attributed by simple_history's middleware. Celery tasks and
management commands wrap their work in ``acting_as(user)`` so that history rows
name the person (or leave it empty for the system itself).

The history rows themselves are written by simple_history, through its own code:
``AuditTrail`` only passes ``history_user`` as the documented ``get_user`` hook.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from portal.models import User

_actor: ContextVar[User | None] = ContextVar("runway_actor", default=None)


@contextmanager
def acting_as(user: User | None) -> Iterator[None]:
    """Attribute the history rows written inside the block to ``user``. ``None``
    names nobody: outside a request, the rows are the system's own."""
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


class AuditTrail(HistoricalRecords):  # type: ignore[misc]
    """The history of a model's rows, each change attributed by ``history_user``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("get_user", history_user)
        super().__init__(**kwargs)
