"""Authentication events as structured log lines (never passwords or tokens)."""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.signals import password_changed, password_reset
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.dispatch import receiver
from django.http import HttpRequest

log = logging.getLogger("runway.security")


def _client_ip(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest, user: Any, **_: Any) -> None:
    log.info(
        "signed in",
        extra={"event": "auth.login", "user_id": user.pk, "ip": _client_ip(request)},
    )


@receiver(user_logged_out)
def _logged_out(sender: Any, request: HttpRequest, user: Any, **_: Any) -> None:
    log.info(
        "signed out",
        extra={
            "event": "auth.logout",
            "user_id": getattr(user, "pk", None),
            "ip": _client_ip(request),
        },
    )


@receiver(user_login_failed)
def _login_failed(
    sender: Any,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **_: Any,
) -> None:
    # Only the identifier: Django already masks the password, and we drop it anyway.
    identifier = credentials.get("email") or credentials.get("username")
    log.warning(
        "sign-in failed",
        extra={
            "event": "auth.login_failed",
            "email": identifier,
            "ip": _client_ip(request),
        },
    )


@receiver(password_changed)
@receiver(password_reset)
def _password_event(
    sender: Any, request: HttpRequest, user: Any, **kwargs: Any
) -> None:
    log.info(
        "password set",
        extra={
            "event": "auth.password_set",
            "user_id": user.pk,
            "ip": _client_ip(request),
        },
    )


@receiver(authenticator_added)
@receiver(authenticator_removed)
def _mfa_event(
    sender: Any, request: HttpRequest, user: Any, authenticator: Any, **_: Any
) -> None:
    log.info(
        "authenticator changed",
        extra={
            "event": "auth.mfa_changed",
            "user_id": user.pk,
            "type": authenticator.type,
        },
    )
