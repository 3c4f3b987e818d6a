from __future__ import annotations

from django.urls import path

from projects.views import notifications

app_name = "notifications"
urlpatterns = [
    path("", notifications.notification_list, name="list"),
    path("read/", notifications.notification_mark_all_read, name="mark_all_read"),
    path("read/some/", notifications.notification_mark_read, name="mark_read"),
    path("preferences/", notifications.notification_preferences, name="preferences"),
    path("<int:pk>/open/", notifications.notification_open, name="open"),
]
