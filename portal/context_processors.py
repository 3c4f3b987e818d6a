from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from projects.notifications import unread_count
from projects.roles import is_admin, primary_role


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the base layout needs: the CSP nonce under the name django-htmx reads
    (django-csp calls it CSP_NONCE), and the signed-in user's role."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "csp_nonce": getattr(request, "csp_nonce", None),
        "user_is_admin": signed_in and is_admin(user),  # type: ignore[arg-type]
        "user_role": primary_role(user) if signed_in else "",  # type: ignore[arg-type]
        # Counted only when a template prints it (the layout does, htmx partials
        # do not), and once per request however often it is printed.
        "unread_notifications": _once(unread_count, user) if signed_in else 0,
    }


def _once(function: Callable[[Any], int], argument: Any) -> Callable[[], int]:
    """A callable the template language calls on first use; later uses reuse it."""
    memo: list[int] = []

    def value() -> int:
        if not memo:
            memo.append(function(argument))
        return memo[0]

    return value
