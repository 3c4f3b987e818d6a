from __future__ import annotations

from django.urls import path

from assessments.views import decisions, gaps, index, requirements

app_name = "assessments"
urlpatterns = [
    path("assessments/", index.index, name="index"),
    path(
        "projects/<slug:slug>/requirements/",
        requirements.requirements,
        name="requirements",
    ),
    path(
        "projects/<slug:slug>/requirements/compare/",
        requirements.requirements_compare,
        name="requirements_compare",
    ),
    path(
        "projects/<slug:slug>/requirements/<int:number>/approve/",
        requirements.requirements_approve,
        name="requirements_approve",
    ),
    path("projects/<slug:slug>/assessments/", gaps.project_assessments, name="project"),
    path(
        "projects/<slug:slug>/assessments/new/",
        gaps.assessment_new,
        name="assessment_new",
    ),
    path(
        "projects/<slug:slug>/assessments/draft/discard/",
        gaps.assessment_draft_discard,
        name="assessment_draft_discard",
    ),
    path(
        "projects/<slug:slug>/assessments/gaps/owner/",
        gaps.gaps_assign,
        name="gaps_assign",
    ),
    path(
        "projects/<slug:slug>/assessments/gaps/<int:pk>/item/",
        gaps.gap_to_item,
        name="gap_to_item",
    ),
    path("projects/<slug:slug>/build-vs-partner/", decisions.partner, name="partner"),
    path(
        "projects/<slug:slug>/build-vs-partner/preview/",
        decisions.partner_preview,
        name="partner_preview",
    ),
    path("projects/<slug:slug>/costs/", decisions.cost_scenarios, name="costs"),
    path(
        "projects/<slug:slug>/costs/preview/",
        decisions.cost_preview,
        name="cost_preview",
    ),
    path(
        "projects/<slug:slug>/costs/<int:pk>/",
        decisions.cost_scenarios,
        name="cost_scenario",
    ),
    path(
        "projects/<slug:slug>/costs/<int:pk>/delete/",
        decisions.cost_scenario_delete,
        name="cost_scenario_delete",
    ),
]
