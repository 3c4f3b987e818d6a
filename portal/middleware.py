from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from projects.roles import is_admin

# Paths an admin without MFA may still reach: setting MFA up, signing out, assets.
_MFA_SETUP_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/accounts/reauthenticate/", "/static/", "/healthz")


class MfaRequiredMiddleware:
    """Send admins without TOTP to set it up, when RUNWAY_MFA_REQUIRED_FOR_ADMINS is on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._must_set_up_mfa(request):
            messages.warning(
                request,
                "Administrators must use two-factor authentication. "
                "Set up an authenticator app to continue.",
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

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
