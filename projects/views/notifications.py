"""The notification list, marking read, and the email preferences."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from projects import notifications
from projects.models import Notification, NotificationKind, NotificationPreference

if TYPE_CHECKING:
    from portal.http import AuthedRequest


class PreferencesForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        choices=NotificationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Also send me an email when",
    )


@require_GET
def notification_list(request: AuthedRequest) -> HttpResponse:
    page = Paginator(
        Notification.objects.filter(user=request.user).select_related("project"), 50
    ).get_page(request.GET.get("page"))
    off = set(
        NotificationPreference.objects.filter(
            user=request.user, email=False
        ).values_list("kind", flat=True)
    )
    form = PreferencesForm(
        initial={"email_kinds": [k for k in NotificationKind.values if k not in off]}
    )
    return render(request, "projects/notifications.html", {"page": page, "form": form})


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
