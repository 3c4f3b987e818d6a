from __future__ import annotations

from django.urls import path

from projects import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path("<slug:slug>/", views.project_detail, name="detail"),
]
