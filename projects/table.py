"""The projects table: one page of rows, cached until the projects change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from django.core.paginator import Paginator
from django.db.models import (
    QuerySet,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.versions import digest
from projects.access import audience
from projects.models import (
    Project,
    ProjectRole,
    ProjectStatus,
)
from projects.selectors import (
    LAUNCHED,
    TABLE_CACHE_SECONDS,
    ProjectFilters,
    member_name,
    project_list_for_user,
    step_is_stalled,
)
from projects.versions import cached_for_projects

if TYPE_CHECKING:
    from portal.models import User


@dataclass(frozen=True, slots=True)
class ProjectRow:
    """One row of the projects table, every cell already a string or a flag."""

    name: str
    url: str
    team: str
    current_step: int
    status: str
    status_label: str
    owner: str
    lead: str
    target_launch: str
    has_overdue_step: bool
    is_stalled: bool

    @property
    def is_launched(self) -> bool:
        return self.current_step == LAUNCHED

    def html(self) -> str:
        """The row's <tr>, as the table printed it from a template (500 rows of
        template lookups cost more than the page's SQL): every text escaped."""
        flags = ""
        if self.has_overdue_step:
            flags += '<span class="flag flag-red">Overdue step</span>'
        if self.is_stalled:
            flags += '<span class="flag flag-amber">Stalled</span>'
        step = (
            '<span class="badge badge-launched">Launched</span>'
            if self.is_launched
            else f"{self.current_step} of 7"
        )
        return (
            f'<tr><td><a href="{escape(self.url)}">{escape(self.name)}</a>{flags}</td>'
            f"<td>{escape(self.team)}</td>"
            f"<td>{step}</td>"
            f'<td><span class="badge badge-{escape(self.status)}">'
            f"{escape(self.status_label)}</span></td>"
            f"<td>{escape(self.owner)}</td>"
            f"<td>{escape(self.lead)}</td>"
            f'<td class="num">{escape(self.target_launch)}</td></tr>'
        )


def project_rows_html(rows: Iterable[ProjectRow]) -> SafeString:
    """The table body of ``project_rows``, one <tr> per line."""
    return mark_safe("\n".join(row.html() for row in rows))  # noqa: S308  (escaped in ProjectRow.html)


ROW_FIELDS = (
    "id",
    "name",
    "slug",
    "team__name",
    "status",
    "target_launch_date",
    "current_step",
    "current_step_status",
    "current_activity",
    "has_overdue_step",
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
    marker = "project-slug"
    head, tail = reverse("projects:detail", kwargs={"slug": marker}).split(marker)
    labels = dict(ProjectStatus.choices)
    now = timezone.now()
    rows = []
    for v in values:
        launch = v["target_launch_date"]
        rows.append(
            ProjectRow(
                name=v["name"],
                url=f"{head}{v['slug']}{tail}",
                team=v["team__name"],
                current_step=v["current_step"],
                status=v["status"],
                status_label=labels.get(v["status"], v["status"]),
                owner=v["owner_name"] or "",
                lead=v["lead_name"] or "",
                target_launch=launch.isoformat() if launch else "—",
                has_overdue_step=v["has_overdue_step"],
                is_stalled=step_is_stalled(
                    v["current_step"],
                    v["current_step_status"],
                    v["current_activity"],
                    now,
                ),
            )
        )
    return rows


@dataclass(frozen=True)
class TablePage:
    """One page of the projects table, rendered: how many projects match, which page
    this is (after clamping an out-of-range request) and its rows."""

    count: int
    number: int
    rows_html: SafeString


def project_table_page(
    user: User, filters: ProjectFilters, page: str | None, per_page: int
) -> TablePage:
    """The requested page of ``project_list_for_user``, kept until the projects change
    (``projects.versions``): every filter, sort and page of the table is a lookup
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
            project_rows_html(project_rows(found.object_list)),
        )

    return cached_for_projects(f"table:{key}", build, timeout=TABLE_CACHE_SECONDS)
