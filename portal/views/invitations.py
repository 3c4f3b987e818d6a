from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.http import require_http_methods

from portal import services
from portal.invitations import invitation_tokens
from portal.models import User


def _invited_user(uidb64: str, token: str) -> User | None:
    try:
        user = User.objects.get(
            pk=force_str(urlsafe_base64_decode(uidb64)), is_active=True
        )
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        return None
    return user if invitation_tokens.check_token(user, token) else None


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Set a first password from a one-time invitation link, then sign in as usual."""
    user = _invited_user(uidb64, token)
    if user is None:
        return render(request, "portal/invitation_invalid.html", status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.invitation_accept(
            user=user, password=form.cleaned_data["new_password1"]
        )
        messages.success(
            request, "Your password is set. Sign in to start using Runway."
        )
        return redirect("account_login")
    return render(
        request, "portal/invitation_accept.html", {"form": form, "invitee": user}
    )
