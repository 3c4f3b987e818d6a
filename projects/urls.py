from __future__ import annotations

from django.urls import path

from projects.views import projects, steps

app_name = "projects"
urlpatterns = [
    path("", projects.project_list, name="list"),
    path("new/", projects.project_create, name="create"),
    path("<slug:slug>/", projects.project_detail, name="detail"),
    path("<slug:slug>/settings/", projects.project_edit, name="edit"),
    path("<slug:slug>/archive/", projects.project_archive, name="archive"),
    path("<slug:slug>/members/", projects.project_members, name="members"),
    path("<slug:slug>/activity/", projects.project_activity, name="activity"),
    path(
        "<slug:slug>/members/<int:pk>/remove/",
        projects.member_remove,
        name="member_remove",
    ),
    path("<slug:slug>/steps/", steps.current_step, name="steps"),
    path("<slug:slug>/steps/<int:number>/", steps.step_detail, name="step"),
    path(
        "<slug:slug>/steps/<int:number>/update/", steps.step_update, name="step_update"
    ),
    path(
        "<slug:slug>/steps/<int:number>/done/", steps.step_mark_done, name="step_done"
    ),
    path(
        "<slug:slug>/steps/<int:number>/reopen/", steps.step_reopen, name="step_reopen"
    ),
    path(
        "<slug:slug>/steps/<int:number>/items/new/",
        steps.custom_item_add,
        name="item_add",
    ),
    path(
        "<slug:slug>/steps/<int:number>/items/bulk/",
        steps.checklist_bulk,
        name="checklist_bulk",
    ),
    path(
        "<slug:slug>/steps/<int:number>/refresh/",
        steps.checklist_refresh,
        name="checklist_refresh",
    ),
    path(
        "<slug:slug>/steps/<int:number>/signoffs/new/",
        steps.signoff_request,
        name="signoff_request",
    ),
    path(
        "<slug:slug>/signoffs/<int:pk>/decide/",
        steps.signoff_decide,
        name="signoff_decide",
    ),
    path("<slug:slug>/items/<int:pk>/state/", steps.item_state, name="item_state"),
    path("<slug:slug>/items/<int:pk>/details/", steps.item_update, name="item_update"),
    path(
        "<slug:slug>/items/<int:pk>/evidence/", steps.evidence_add, name="evidence_add"
    ),
    path(
        "<slug:slug>/evidence/<int:pk>/remove/",
        steps.evidence_remove,
        name="evidence_remove",
    ),
    path(
        "<slug:slug>/evidence/<int:pk>/download/",
        steps.evidence_download,
        name="evidence_download",
    ),
]
