"""The projects table: one page of rows, cached until the projects change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from django.core.paginator import Paginator
from django.db.models import (
    QuerySet,
)
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core import fragments
from core.versions import digest
from projects.access import audience
from projects.models import (
    Project,
    ProjectRole,
    ProjectStatus,
)
from projects.progress import LAUNCHED
from projects.risk import risk_reasons, signal_columns
from projects.selectors import (
    ProjectFilters,
    member_name,
    project_list_for_user,
)

if TYPE_CHECKING:
    from portal.models import User


@dataclass(frozen=True, slots=True)
class ProjectRow:
    """One row of the projects table."""

    name: str
    url: str
    team: str
    current_step: int
    status: str
    status_label: str
    owner: str
    lead: str
    target_launch: date | None
    risk_reasons: list[str]

    @property
    def is_launched(self) -> bool:
        return self.current_step == LAUNCHED


ROW_FIELDS = (
    "id",
    "name",
    "slug",
    "team__name",
    "status",
    "target_launch_date",
    "current_step",
    *signal_columns(),
)


def project_row_values(projects: QuerySet[Project]) -> QuerySet[Any]:
    """``project_list_for_user`` narrowed to the columns the table prints, as dicts:
    no model instances and no member prefetch (owner and lead named in SQL)."""
    rows: QuerySet[Any] = (
        projects.prefetch_related(None)
        .annotate(
            owner_name=member_name(ProjectRole.OWNER),
            lead_name=member_name(ProjectRole.LEAD),
        )
        .values(*ROW_FIELDS, "owner_name", "lead_name")
    )
    return rows


def project_rows(values: Iterable[dict[str, Any]]) -> list[ProjectRow]:
    """Rows of the table from ``project_row_values`` dicts (one page of them)."""
    return [
        ProjectRow(
            name=v["name"],
            url=reverse("projects:detail", kwargs={"slug": v["slug"]}),
            team=v["team__name"],
            current_step=v["current_step"],
            status=v["status"],
            status_label=ProjectStatus(v["status"]).label,
            owner=v["owner_name"] or "",
            lead=v["lead_name"] or "",
            target_launch=v["target_launch_date"],
            risk_reasons=risk_reasons(SimpleNamespace(**v)),
        )
        for v in values
    ]


@dataclass(frozen=True)
class TablePage:
    """One page of the projects table, rendered: how many projects match, which page
    this is (after clamping an out-of-range request) and its rows."""

    count: int
    number: int
    rows_html: str  # rendered from the template: safe to print as it is


def project_table_page(
    user: User, filters: ProjectFilters, page: str | None, per_page: int
) -> TablePage:
    """The requested page of ``project_list_for_user``, kept until the projects change
    (the "projects-table" fragment): every filter, sort and page of the table is a lookup
    while nothing changes, and executives share their pages."""
    key = digest(
        audience(user, personal=filters.mine),
        filters,
        page,
        per_page,
        timezone.localdate(),
    )

    def build() -> TablePage:
        found = Paginator(
            project_row_values(project_list_for_user(user, filters=filters)), per_page
        ).get_page(page)
        return TablePage(
            found.paginator.count,
            found.number,
            render_to_string(
                "projects/_project_table.html#project-rows",
                {"rows": project_rows(found.object_list)},
            ),
        )

    return fragments.cached("projects-table", key, build)
