from __future__ import annotations

from django.urls import path

from controls.views import coverage, libraries

app_name = "controls"
urlpatterns = [
    path("projects/<slug:slug>/controls/", coverage.project_controls, name="project"),
    path(
        "projects/<slug:slug>/controls/<slug:code>/",
        coverage.framework_controls,
        name="framework",
    ),
    path(
        "projects/<slug:slug>/controls/<slug:code>/statement.csv",
        coverage.soa_csv,
        name="soa_csv",
    ),
    path(
        "projects/<slug:slug>/controls/<slug:code>/statement.pdf",
        coverage.soa_pdf,
        name="soa_pdf",
    ),
    path(
        "projects/<slug:slug>/controls/<slug:code>/move/",
        coverage.library_move,
        name="move",
    ),
    path("portfolio/controls/", coverage.portfolio_coverage, name="portfolio"),
    path("manage/control-libraries/", libraries.library_list, name="libraries"),
]
