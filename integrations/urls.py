"""A project's channels under its pages; a team's under the team's admin page. Both
sets of URLs reach the same views (``integrations.access.Owner`` names them)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpResponse
from django.urls import path

from integrations import views

app_name = "integrations"

# The pages of one owner's channels: (path after ".../channels/", view, name).
_PAGES: list[tuple[str, Callable[..., HttpResponse], str]] = [
    ("", views.channels, "channels"),
    ("add/", views.channel_add, "add"),
    ("<int:pk>/", views.channel_detail, "channel"),
    ("<int:pk>/settings/", views.channel_settings, "settings"),
    ("<int:pk>/test/", views.channel_test, "test"),
    ("<int:pk>/switch/", views.channel_switch, "switch"),
    ("<int:pk>/rotate-secret/", views.channel_rotate_secret, "rotate_secret"),
    ("<int:pk>/delete/", views.channel_delete, "delete"),
]

urlpatterns = [
    path(f"projects/<slug:slug>/channels/{tail}", view, name=name)
    for tail, view, name in _PAGES
] + [
    path(f"manage/teams/<int:team_pk>/channels/{tail}", view, name=f"team_{name}")
    for tail, view, name in _PAGES
]
