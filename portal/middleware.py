from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from typing import Any

from allauth.account.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.usersessions import app_settings as usersessions_settings
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from projects.roles import is_admin

# Paths an admin without MFA may still reach: setting MFA up, signing out, assets.
_MFA_SETUP_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/logout/",
    "/accounts/reauthenticate/",
    "/static/",
    "/healthz",
)


class MfaRequiredMiddleware:
    """Send admins without TOTP to set it up, when RUNWAY_MFA_REQUIRED_FOR_ADMINS is on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        # Decided here rather than in __call__: process_view runs once every
        # middleware has seen the request, so the warning can be stored whatever
        # this class's place before MessageMiddleware in settings.MIDDLEWARE.
        if not self._must_set_up_mfa(request):
            return None
        messages.warning(
            request,
            "Administrators must use two-factor authentication. "
            "Set up an authenticator app to continue.",
        )
        setup = reverse("mfa_activate_totp")
        if getattr(request, "htmx", False):
            # A plain redirect would be followed by htmx and swapped into a region.
            return HttpResponseClientRedirect(setup)
        return HttpResponseRedirect(setup)

    def _must_set_up_mfa(self, request: HttpRequest) -> bool:
        user = request.user
        if not settings.RUNWAY_MFA_REQUIRED_FOR_ADMINS or not user.is_authenticated:
            return False
        if request.path.startswith(_MFA_SETUP_PREFIXES):
            return False
        if not (is_admin(user) or user.is_superuser):
            return False
        return not Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).exists()


# The session key under which the last recorded activity is remembered.
_SEEN = "_runway_usersession_seen"
_USER_AGENT_LENGTH = UserSession._meta.get_field("user_agent").max_length


class UserSessionsMiddleware:
    """allauth's UserSessionsMiddleware, throttled.

    allauth records each request's IP address, user agent and time on the session's
    UserSession row (five statements on every request). This records the same, with
    the same signal when the IP address or browser changes, but only when they change
    or when the last record is USERSESSIONS_ACTIVITY_INTERVAL_SECONDS old: the
    "last seen" of the sessions page is then at most that stale.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            usersessions_settings.TRACK_ACTIVITY
            and hasattr(request, "session")
            and request.session.session_key
            and hasattr(request, "user")
            and request.user.is_authenticated
        ):
            self._record(request)
        return self.get_response(request)

    def _record(self, request: HttpRequest) -> None:
        session = request.session
        ip = get_adapter().get_client_ip(request)
        agent = request.META.get("HTTP_USER_AGENT", "")[:_USER_AGENT_LENGTH]
        now = time.time()
        seen = [session.session_key, ip, zlib.crc32(agent.encode())]
        last = session.get(_SEEN)
        interval = settings.USERSESSIONS_ACTIVITY_INTERVAL_SECONDS
        if last and last[:3] == seen and 0 <= now - last[3] < interval:
            return
        UserSession.objects.create_from_request(request)
        session[_SEEN] = [*seen, now]


class NulBytesMiddleware:
    """Refuse a request whose path, query string or form fields hold a NUL character,
    with 400, before any view reads it: PostgreSQL cannot store or compare text with
    one, so it would otherwise surface as a server error wherever the value reached a
    query. One place for every view, form and API filter."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _holds_nul(request):
            return HttpResponseBadRequest(
                "The request holds a NUL character (%00), which no field accepts.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def _holds_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    fields = [request.GET]
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        fields.append(request.POST)
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for query in fields
        for key, values in query.lists()
    )
