"""Each signed-in person's personal access tokens for the read-only API."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from core.http import AuthedRequest
from portal import tokens
from portal.forms import ApiTokenForm
from portal.models import PersonalAccessToken


@require_GET
def token_list(request: AuthedRequest) -> HttpResponse:
    return _tokens_page(request)


@require_POST
def token_create(request: AuthedRequest) -> HttpResponse:
    """Make a token and show its secret once. The page is rendered in answer to the
    POST rather than after a redirect, so the secret never passes through the session
    or a cookie."""
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, form=form)
    days = form.lifetime_days()
    _, secret = tokens.api_token_create(
        user=request.user,
        name=form.cleaned_data["name"],
        lifetime=timedelta(days=days) if days else None,
    )
    response = _tokens_page(request, new_secret=secret)
    add_never_cache_headers(response)
    return response


@require_POST
def token_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    # Someone else's token is as unknown as a token that does not exist.
    token = get_object_or_404(PersonalAccessToken, pk=pk, user=request.user)
    tokens.api_token_revoke(token=token)
    messages.success(
        request, f"The token “{token.name}” is revoked; it no longer works."
    )
    return redirect("portal:api_tokens")


def _tokens_page(
    request: AuthedRequest, *, form: ApiTokenForm | None = None, new_secret: str = ""
) -> HttpResponse:
    template = "portal/tokens.html"
    if request.htmx and request.htmx.target == "api-tokens":
        template += "#api-tokens"
    return render(
        request,
        template,
        {
            "tokens": tokens.api_tokens_of(request.user),
            "form": form or ApiTokenForm(),
            "new_secret": new_secret,
            "now": timezone.now(),
            "portfolio_url": request.build_absolute_uri(reverse("api:portfolio")),
            "schema_url": request.build_absolute_uri(reverse("api:openapi-json")),
        },
    )
