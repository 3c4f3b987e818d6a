from __future__ import annotations

from django.urls import path

from risks.views import acceptance, ai_act, library, register

app_name = "risks"
urlpatterns = [
    path("projects/<slug:slug>/risks/", register.register, name="register"),
    path("projects/<slug:slug>/risks/new/", register.risk_new, name="new"),
    path("projects/<slug:slug>/risks/risks.csv", register.register_csv, name="csv"),
    path("projects/<slug:slug>/risks/<int:pk>/", register.risk_edit, name="edit"),
    path(
        "projects/<slug:slug>/risks/<int:pk>/suggestion/",
        register.suggestion_decide,
        name="suggestion",
    ),
    path(
        "projects/<slug:slug>/risks/<int:pk>/acceptance/",
        acceptance.acceptance_request,
        name="acceptance_request",
    ),
    path(
        "projects/<slug:slug>/risks/acceptances/<int:pk>/decide/",
        acceptance.acceptance_decide,
        name="acceptance_decide",
    ),
    path("projects/<slug:slug>/ai-act/", ai_act.ai_act_page, name="ai_act"),
    path("manage/risk-library/", library.library_list, name="library"),
    path("manage/risk-library/new/", library.library_edit, name="library_new"),
    path("manage/risk-library/<int:pk>/", library.library_edit, name="library_edit"),
]
