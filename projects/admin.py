from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from projects.models import (
    ChecklistTemplate,
    Framework,
    Membership,
    Project,
    Step,
    Team,
)


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    list_display = ["name", "team", "status", "data_classification", "archived_at"]
    list_filter = ["status", "team", "data_classification", "frameworks"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["frameworks"]
    inlines = [MembershipInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Projects are archived, never deleted: their history must stay.
        return False


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    list_display = ["name", "slug"]
    search_fields = ["name"]
    filter_horizontal = ["members"]


@admin.register(Step)
class StepAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    """Admins may reword the seven steps, never add or remove one."""

    list_display = ["number", "short_name", "name", "signoff_roles"]
    readonly_fields = ["number"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Framework)
class FrameworkAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    """The checklist catalog. Projects pick changes up when their checklist is refreshed."""

    list_display = [
        "title",
        "step",
        "required",
        "evidence_required",
        "min_classification",
        "active",
        "order",
    ]
    list_filter = [
        "step",
        "required",
        "evidence_required",
        "active",
        "frameworks",
        "min_classification",
    ]
    search_fields = ["title", "key", "guidance"]
    filter_horizontal = ["frameworks"]
    ordering = ["step__number", "order"]
