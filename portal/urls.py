from __future__ import annotations

import os

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from evaluations.api import router as evaluations_router
from metrics.api import api
from portal.api import router as read_router
from portal.views import (
    audit_pack,
    health,
    home,
    invitations,
    my_work,
    people,
    report,
    tokens,
)
from telemetry import views as telemetry_views

# The Django admin signs in through allauth, so it gets the same rate limits and MFA.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Runway administration"
api.add_router("/", read_router)  # the read-only API, beside the push API
api.add_router("/evaluations", evaluations_router)  # runs pushed from CI

portal_patterns = [
    path("", home.home, name="home"),
    path("portfolio.csv", home.portfolio_csv, name="portfolio_csv"),
    path("my-work/", my_work.my_work, name="my_work"),
    path("portfolio/report/", report.board_report, name="board_report"),
    path("portfolio/report.pdf", report.board_report_pdf, name="board_report_pdf"),
    path(
        "projects/<slug:slug>/audit-pack.pdf",
        audit_pack.audit_pack_pdf,
        name="audit_pack_pdf",
    ),
    path(
        "projects/<slug:slug>/audit-pack.zip",
        audit_pack.audit_pack_zip,
        name="audit_pack_zip",
    ),
    path("manage/people/", people.user_list, name="user_list"),
    path("manage/people/invite/", people.user_invite, name="user_invite"),
    path("manage/people/<int:pk>/", people.user_detail, name="user_detail"),
    path(
        "manage/people/<int:pk>/deactivate/",
        people.user_deactivate,
        name="user_deactivate",
    ),
    path(
        "manage/people/<int:pk>/reactivate/",
        people.user_reactivate,
        name="user_reactivate",
    ),
    path("account/tokens/", tokens.token_list, name="api_tokens"),
    path("account/tokens/new/", tokens.token_create, name="api_token_create"),
    path(
        "account/tokens/<int:pk>/revoke/", tokens.token_revoke, name="api_token_revoke"
    ),
    path("manage/teams/", people.team_list, name="team_list"),
    path("manage/teams/new/", people.team_edit, name="team_create"),
    path("manage/teams/<int:pk>/", people.team_edit, name="team_edit"),
    path(
        "invitations/<uidb64>/<token>/",
        invitations.invitation_accept,
        name="invitation_accept",
    ),
]

urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    path("healthz", health.healthz, name="healthz"),
    path("metrics", telemetry_views.metrics, name="telemetry_metrics"),
    path("accounts/", include("allauth.urls")),
    path("projects/", include("projects.urls")),
    path("notifications/", include("projects.notification_urls")),
    path("", include("assessments.urls")),
    path("", include("metrics.urls")),
    path("", include("risks.urls")),
    path("", include("controls.urls")),
    path("", include("inventory.urls")),
    path("", include("integrations.urls")),
    path("", include("evaluations.urls")),
    path("api/v1/", api.urls),
    path(settings.DJANGO_ADMIN_URL, admin.site.urls),
]

handler403 = "portal.views.errors.permission_denied"

if os.environ.get("RUNWAY_BENCH") == "1":
    # The benchmark harness's floor (bench/views.py): only in `make bench` runs.
    from bench.views import empty as bench_empty

    urlpatterns.append(path("__bench__/empty/", bench_empty, name="bench_empty"))
