"""A project's channels: the list with the form to add one, and each channel's page
(settings, test message, switch off and on, new signing secret, removal, delivery log).
The project's owner and lead manage channels; only the owner lets spend figures out."""

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
from integrations import selectors, services
from integrations.forms import ChannelForm, ChannelSettingsForm
from integrations.models import Channel, Delivery
from projects.access import Action, can, get_project_for_user, project_role
from projects.models import Project, ProjectRole
from projects.selectors import with_members

if TYPE_CHECKING:
    from core.http import AuthedRequest

LOG_PAGE_SIZE = 50
# The log refreshes itself while a delivery this recent is still being sent.
POLL_WHILE_NEWER_THAN = timedelta(minutes=2)


def _project(request: AuthedRequest, slug: str) -> Project:
    return with_members(
        get_project_for_user(request.user, slug, Action.CONNECT_SERVICES)
    )


def _channel(request: AuthedRequest, slug: str, pk: int) -> Channel:
    project = _project(request, slug)
    # No page shows the address or the secret: they are not even decrypted.
    channel = get_object_or_404(
        Channel.objects.defer(*services.SECRET_FIELDS), project=project, pk=pk
    )
    channel.project = project  # keeps the members the header shows
    return channel


def _may_set_spend(request: AuthedRequest, project: Project) -> bool:
    """Spend figures leave Runway only if the project's owner says so: not its lead,
    not an admin who is not the owner."""
    return project_role(request.user, project) == ProjectRole.OWNER


@require_GET
def channels(request: AuthedRequest, slug: str) -> HttpResponse:
    project = _project(request, slug)
    form = ChannelForm(may_set_spend=_may_set_spend(request, project))
    return _list_page(request, project, form)


def _list_page(
    request: AuthedRequest, project: Project, form: ChannelForm
) -> HttpResponse:
    return render(
        request,
        "integrations/channels.html",
        {
            "project": project,
            "tab": "metrics",
            "may_edit": can(request.user, project, Action.EDIT),
            "channels": selectors.channels_of(project),
            "form": form,
        },
    )


@require_POST
def channel_add(request: AuthedRequest, slug: str) -> HttpResponse:
    project = _project(request, slug)
    form = ChannelForm(request.POST, may_set_spend=_may_set_spend(request, project))
    if not form.is_valid():
        # The address is a credential: the page does not send it back, so it is
        # pasted again.
        if request.POST.get("url"):
            form.add_error("url", ChannelForm.PASTE_AGAIN)
        return _list_page(request, project, form)
    channel, secret = services.channel_create(
        project=project,
        kind=form.cleaned_data["kind"],
        name=form.cleaned_data["name"],
        url=form.cleaned_data["url"],
        events=form.cleaned_data["events"],
        include_spend=form.cleaned_data["include_spend"],
        created_by=request.user,
    )
    if secret:
        # The page answers the POST itself, so that the secret never passes through
        # the session, a cookie or a cache.
        return _secret_page(request, channel, secret)
    messages.success(
        request, f"{channel.name} is added. Send a test to check that it arrives."
    )
    return redirect("integrations:channel", slug=slug, pk=channel.pk)


def _secret_page(request: AuthedRequest, channel: Channel, secret: str) -> HttpResponse:
    response = _detail_page(request, channel, new_secret=secret)
    add_never_cache_headers(response)
    return response


@require_GET
def channel_detail(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    channel = _channel(request, slug, pk)
    return _detail_page(request, channel)


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
    channel: Channel,
    *,
    form: ChannelSettingsForm | None = None,
    new_secret: str = "",
) -> HttpResponse:
    project = channel.project
    template = "integrations/channel_detail.html"
    if request.htmx and request.htmx.target == "delivery-log":
        template += "#delivery-log"
    return render(
        request,
        template,
        {
            "project": project,
            "tab": "metrics",
            "may_edit": can(request.user, project, Action.EDIT),
            "channel": channel,
            "form": form
            or ChannelSettingsForm(
                initial=ChannelSettingsForm.initial_of(channel),
                may_set_spend=_may_set_spend(request, project),
            ),
            "new_secret": new_secret,
            **_log_context(request, channel),
        },
    )


@require_POST
def channel_settings(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    channel = _channel(request, slug, pk)
    form = ChannelSettingsForm(
        request.POST,
        initial=ChannelSettingsForm.initial_of(channel),
        may_set_spend=_may_set_spend(request, channel.project),
    )
    if not form.is_valid():
        return _detail_page(request, channel, form=form)
    services.channel_settings_update(
        channel=channel,
        name=form.cleaned_data["name"],
        events=form.cleaned_data["events"],
        include_spend=form.cleaned_data["include_spend"],
    )
    messages.success(request, f"{channel.name}'s settings are saved.")
    return redirect("integrations:channel", slug=slug, pk=pk)


@require_POST
def channel_test(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """Queue a test message; an htmx request gets the delivery log back, which
    refreshes itself until the worker has sent it."""
    channel = _channel(request, slug, pk)
    services.channel_test(channel=channel, actor=request.user)
    if request.htmx:
        return render(
            request,
            "integrations/channel_detail.html#delivery-log",
            {
                "project": channel.project,
                "channel": channel,
                **_log_context(request, channel),
            },
        )
    messages.success(request, f"A test message to {channel.name} is on its way.")
    return redirect("integrations:channel", slug=slug, pk=pk)


@require_POST
def channel_switch(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """Switch a channel off (``enabled`` absent or not "1") or on again."""
    channel = _channel(request, slug, pk)
    if request.POST.get("enabled") == "1":
        services.channel_enable(channel=channel)
        messages.success(request, f"{channel.name} is on again.")
    else:
        services.channel_disable(
            channel=channel, reason=f"Switched off by {request.user}."
        )
        messages.success(request, f"{channel.name} is off; nothing is sent to it.")
    return redirect("integrations:channel", slug=slug, pk=pk)


@require_POST
def channel_rotate_secret(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    channel = _channel(request, slug, pk)
    if channel.kind != Channel.Kind.WEBHOOK:
        messages.error(request, "Only a signed webhook has a signing secret.")
        return redirect("integrations:channel", slug=slug, pk=pk)
    secret = services.signing_secret_rotate(channel=channel)
    return _secret_page(request, channel, secret)


@require_POST
def channel_delete(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    channel = _channel(request, slug, pk)
    services.channel_delete(channel=channel)
    messages.success(request, f"{channel.name} is removed; nothing more is sent to it.")
    return redirect("integrations:channels", slug=slug)
