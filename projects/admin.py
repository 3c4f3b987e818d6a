from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from projects.models import Membership, Project, Team


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    list_display = ["name", "team", "status", "archived_at"]
    list_filter = ["status", "team"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    list_display = ["name", "slug"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
