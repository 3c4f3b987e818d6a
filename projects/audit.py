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
