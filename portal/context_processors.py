from __future__ import annotations

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
        "unread_notifications": unread_count(user) if signed_in else 0,  # type: ignore[arg-type]
    }
