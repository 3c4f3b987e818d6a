from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
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
