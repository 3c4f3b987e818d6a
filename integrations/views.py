"""The channels of a project or of a team: the list with the form to add one, and each
channel's page (settings, test message, switch off and on, new signing secret,
removal, delivery log). The same views serve both: a project's URLs name it by
``slug``, a team's by ``team_pk`` (``integrations.access.owner_for`` decides who may
manage them). Only a project's owner lets spend figures out; a team's channel never
carries them."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from core.query import whole_number
from integrations import queue_services, selectors, services
from integrations.access import Owner, owner_for
from integrations.forms import ChannelForm, ChannelSettingsForm
from integrations.models import Channel, Delivery

if TYPE_CHECKING:
    from core.http import AuthedRequest

LOG_PAGE_SIZE = 50
# The log refreshes itself while a delivery this recent is still being sent.
POLL_WHILE_NEWER_THAN = timedelta(minutes=2)


def _channel(owner: Owner, pk: int) -> Channel:
    # No page shows the address or the secret: they are not even decrypted.
    channel = get_object_or_404(
        Channel.objects.defer(*services.SECRET_FIELDS), **owner.mine, pk=pk
    )
    # The owner as loaded (the project with the members its header shows).
    if owner.team is not None:
        channel.team = owner.team
    else:
        channel.project = owner.project
    return channel


def _context(owner: Owner, **extra: Any) -> dict[str, Any]:
    return {
        "owner": owner,
        # A project's pages show its header and tabs; a team's, the admin pages'.
        "project": owner.project,
        "team": owner.team,
        "tab": "metrics",
        "may_edit": owner.may_edit,
        **extra,
    }


def _channel_form(owner: Owner, *args: Any, **kwargs: Any) -> ChannelForm:
    return ChannelForm(
        *args,
        may_set_spend=owner.may_set_spend,
        spend_option=owner.team is None,
        **kwargs,
    )


@require_GET
def channels(
    request: AuthedRequest, slug: str | None = None, team_pk: int | None = None
) -> HttpResponse:
    owner = owner_for(request, slug=slug, team_pk=team_pk)
    return _list_page(request, owner, _channel_form(owner))


def _list_page(request: AuthedRequest, owner: Owner, form: ChannelForm) -> HttpResponse:
    team_channels = (
        selectors.channels_of(owner.project.team) if owner.project is not None else []
    )
    return render(
        request,
        "integrations/channels.html",
        _context(
            owner,
            channels=selectors.channels_of(owner.subject),
            team_channels=team_channels,
            form=form,
        ),
    )


@require_POST
def channel_add(
    request: AuthedRequest, slug: str | None = None, team_pk: int | None = None
) -> HttpResponse:
    owner = owner_for(request, slug=slug, team_pk=team_pk)
    form = _channel_form(owner, request.POST)
    if not form.is_valid():
        # The address is a credential: the page does not send it back, so it is
        # pasted again.
        if request.POST.get("url"):
            form.add_error("url", ChannelForm.PASTE_AGAIN)
        return _list_page(request, owner, form)
    channel, secret = services.channel_create(
        project=owner.project,
        team=owner.team,
        kind=form.cleaned_data["kind"],
        name=form.cleaned_data["name"],
        url=form.cleaned_data["url"],
        events=form.cleaned_data["events"],
        include_spend=form.cleaned_data.get("include_spend", False),
        created_by=request.user,
    )
    if secret:
        # The page answers the POST itself, so that the secret never passes through
        # the session, a cookie or a cache.
        return _secret_page(request, owner, channel, secret)
    messages.success(
        request, f"{channel.name} is added. Send a test to check that it arrives."
    )
    return redirect(owner.url("channel", channel.pk))


def _secret_page(
    request: AuthedRequest, owner: Owner, channel: Channel, secret: str
) -> HttpResponse:
    response = _detail_page(request, owner, channel, new_secret=secret)
    add_never_cache_headers(response)
    return response


@require_GET
def channel_detail(
    request: AuthedRequest,
    pk: int,
    slug: str | None = None,
    team_pk: int | None = None,
) -> HttpResponse:
    owner = owner_for(request, slug=slug, team_pk=team_pk)
    return _detail_page(request, owner, _channel(owner, pk))


def _log_context(request: AuthedRequest, channel: Channel) -> dict[str, Any]:
    page = Paginator(selectors.deliveries_of(channel), LOG_PAGE_SIZE).get_page(
        whole_number(request.GET.get("page"), 1)
    )
    recent = timezone.now() - POLL_WHILE_NEWER_THAN
    polling = any(
        d.status == Delivery.Status.PENDING and d.created_at > recent for d in page
    )
    return {"page": page, "polling": polling}


def _detail_page(
    request: AuthedRequest,
    owner: Owner,
    channel: Channel,
    *,
    form: ChannelSettingsForm | None = None,
    new_secret: str = "",
) -> HttpResponse:
    template = "integrations/channel_detail.html"
    if request.htmx and request.htmx.target == "delivery-log":
        template += "#delivery-log"
    return render(
        request,
        template,
        _context(
            owner,
            channel=channel,
            form=form or _settings_form(owner, channel),
            new_secret=new_secret,
            **_log_context(request, channel),
        ),
    )


def _settings_form(
    owner: Owner, channel: Channel, data: Any = None
) -> ChannelSettingsForm:
    return ChannelSettingsForm(
        data,
        initial=ChannelSettingsForm.initial_of(channel),
        may_set_spend=owner.may_set_spend,
        spend_option=owner.team is None,
    )


@require_POST
def channel_settings(
    request: AuthedRequest,
    pk: int,
    slug: str | None = None,
    team_pk: int | None = None,
) -> HttpResponse:
    owner = owner_for(request, slug=slug, team_pk=team_pk)
    channel = _channel(owner, pk)
    form = _settings_form(owner, channel, request.POST)
    if not form.is_valid():
        return _detail_page(request, owner, channel, form=form)
    services.channel_settings_update(
        channel=channel,
        name=form.cleaned_data["name"],
        events=form.cleaned_data["events"],
        include_spend=form.cleaned_data.get("include_spend", False),
    )
    messages.success(request, f"{channel.name}'s settings are saved.")
    return redirect(owner.url("channel", pk))


@require_POST
def channel_test(
    request: AuthedRequest,
    pk: int,
    slug: str | None = None,
    team_pk: int | None = None,
) -> HttpResponse:
    """Queue a test message; an htmx request gets the delivery log back, which
    refreshes itself until the worker has sent it."""
    owner = owner_for(request, slug=slug, team_pk=team_pk)
    channel = _channel(owner, pk)
    queue_services.channel_test(channel=channel, actor=request.user)
    if request.htmx:
        return render(
            request,
            "integrations/channel_detail.html#delivery-log",
            _context(owner, channel=channel, **_log_context(request, channel)),
        )
    messages.success(request, f"A test message to {channel.name} is on its way.")
    return redirect(owner.url("channel", pk))


@require_POST
def channel_switch(
    request: AuthedRequest,
    pk: int,
    slug: str | None = None,
    team_pk: int | None = None,
) -> HttpResponse:
    """Switch a channel off (``enabled`` absent or not "1") or on again."""
    owner = owner_for(request, slug=slug, team_pk=team_pk)
    channel = _channel(owner, pk)
    if request.POST.get("enabled") == "1":
        services.channel_enable(channel=channel)
        messages.success(request, f"{channel.name} is on again.")
    else:
        services.channel_disable(
            channel=channel, reason=f"Switched off by {request.user}."
        )
        messages.success(request, f"{channel.name} is off; nothing is sent to it.")
    return redirect(owner.url("channel", pk))


@require_POST
def channel_rotate_secret(
    request: AuthedRequest,
    pk: int,
    slug: str | None = None,
    team_pk: int | None = None,
) -> HttpResponse:
    owner = owner_for(request, slug=slug, team_pk=team_pk)
    channel = _channel(owner, pk)
    if channel.kind != Channel.Kind.WEBHOOK:
        messages.error(request, "Only a signed webhook has a signing secret.")
        return redirect(owner.url("channel", pk))
    secret = services.signing_secret_rotate(channel=channel)
    return _secret_page(request, owner, channel, secret)


@require_POST
def channel_delete(
    request: AuthedRequest,
    pk: int,
    slug: str | None = None,
    team_pk: int | None = None,
) -> HttpResponse:
    owner = owner_for(request, slug=slug, team_pk=team_pk)
    channel = _channel(owner, pk)
    services.channel_delete(channel=channel)
    messages.success(request, f"{channel.name} is removed; nothing more is sent to it.")
    return redirect(owner.url("channels"))
