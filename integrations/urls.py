from __future__ import annotations

from django.urls import path

from integrations import views

app_name = "integrations"
urlpatterns = [
    path("projects/<slug:slug>/channels/", views.channels, name="channels"),
    path("projects/<slug:slug>/channels/add/", views.channel_add, name="add"),
    path(
        "projects/<slug:slug>/channels/<int:pk>/",
        views.channel_detail,
        name="channel",
    ),
    path(
        "projects/<slug:slug>/channels/<int:pk>/settings/",
        views.channel_settings,
        name="settings",
    ),
    path(
        "projects/<slug:slug>/channels/<int:pk>/test/",
        views.channel_test,
        name="test",
    ),
    path(
        "projects/<slug:slug>/channels/<int:pk>/switch/",
        views.channel_switch,
        name="switch",
    ),
    path(
        "projects/<slug:slug>/channels/<int:pk>/rotate-secret/",
        views.channel_rotate_secret,
        name="rotate_secret",
    ),
    path(
        "projects/<slug:slug>/channels/<int:pk>/delete/",
        views.channel_delete,
        name="delete",
    ),
]
