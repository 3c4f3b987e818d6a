from __future__ import annotations

from django.urls import path

from evaluations import views

app_name = "evaluations"
urlpatterns = [
    path("projects/<slug:slug>/evaluations/", views.evaluations, name="project"),
    path("projects/<slug:slug>/evaluations/plan/", views.plan, name="plan"),
    path("projects/<slug:slug>/evaluations/compare/", views.compare, name="compare"),
    path(
        "projects/<slug:slug>/evaluations/runs/<int:pk>/",
        views.run_detail,
        name="run",
    ),
    path(
        "projects/<slug:slug>/evaluations/runs/<int:pk>/accept/",
        views.accept,
        name="accept",
    ),
]
