"""The notification list, marking read, and the email preferences."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import push_url

from core.query import whole_number
from projects import notifications
from projects.models import Notification, NotificationKind, NotificationPreference

if TYPE_CHECKING:
    from core.http import AuthedRequest
    from portal.models import User

PAGE_SIZE = 50
# A page shows 50; more ticked than a few pages' worth is not a person's doing.
MAX_SELECTED = 500


class PreferencesForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        choices=NotificationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Also send me an email when",
    )


@require_GET
def notification_list(request: AuthedRequest) -> HttpResponse:
    """The user's notifications, filtered in the URL (unread, kind, project); htmx
    swaps only the list when a filter changes."""
    filters = notifications.filters_from(request.GET)
    page = Paginator(
        notifications.notifications_for(request.user, filters), PAGE_SIZE
    ).get_page(whole_number(request.GET.get("page"), 1))
    context: dict[str, Any] = {
        "page": page,
        "filters": filters,
        "query": filters.query(),
    }
    template = "projects/notifications.html"
    if request.htmx and request.htmx.target == "notification-list":
        template += "#notification-list"
    else:  # the filters and the email preferences, around the list
        context |= {
            "form": _preferences_form(request.user),
            "kinds": [
                (kind, notifications.KIND_FILTER_NAMES[kind])
                for kind in NotificationKind.values
            ],
            "projects": notifications.notification_projects(request.user),
        }
    response = render(request, template, context)
    if request.htmx:
        page_number = f"page={page.number}" if page.number > 1 else ""
        shown = "&".join(part for part in (context["query"], page_number) if part)
        push_url(response, f"{request.path}?{shown}" if shown else request.path)
    return response


def _preferences_form(user: User) -> PreferencesForm:
    off = set(
        NotificationPreference.objects.filter(user=user, email=False).values_list(
            "kind", flat=True
        )
    )
    return PreferencesForm(
        initial={"email_kinds": [k for k in NotificationKind.values if k not in off]}
    )


@require_POST
def notification_open(request: AuthedRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go where it points."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    notifications.mark_read(user=request.user, notifications=[notification])
    safe = url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}
    )
    return redirect(
        notification.url if notification.url and safe else "notifications:list"
    )


@require_POST
def notification_mark_all_read(request: AuthedRequest) -> HttpResponse:
    count = notifications.mark_read(user=request.user)
    messages.success(
        request, f"{count} notification{'s' if count != 1 else ''} marked read."
    )
    return redirect("notifications:list")


@require_POST
def notification_mark_read(request: AuthedRequest) -> HttpResponse:
    """Mark read the ticked notifications (``scope=selected``) or every one the
    posted filters show (``scope=shown``), then show the same filtered list."""
    filters = notifications.filters_from(request.POST)
    count: int | None
    if request.POST.get("scope") == "shown":
        count = notifications.mark_read(user=request.user, filters=filters)
    else:
        ids = [
            pk
            for value in request.POST.getlist("notification")[:MAX_SELECTED]
            if (pk := whole_number(value)) is not None
        ]
        count = notifications.mark_read(user=request.user, ids=ids) if ids else None
    if count is None:
        messages.info(request, "Tick the notifications to mark read first.")
    else:
        messages.success(
            request, f"{count} notification{'s' if count != 1 else ''} marked read."
        )
    query = filters.query()
    return redirect(reverse("notifications:list") + (f"?{query}" if query else ""))


@require_POST
def notification_preferences(request: AuthedRequest) -> HttpResponse:
    form = PreferencesForm(request.POST)
    if form.is_valid():
        notifications.preferences_save(
            user=request.user, email_kinds=form.cleaned_data["email_kinds"]
        )
        messages.success(request, "Email preferences saved.")
    else:
        messages.error(request, "Those preferences could not be saved.")
    return redirect("notifications:list")
