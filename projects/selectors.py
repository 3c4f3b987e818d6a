"""Reads for project pages, with the joins that keep query counts flat."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import router
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.names import display_name
from core.rows import Columns, statement_cursor
from core.versions import digest
from projects import gates
from projects.access import audience, role_sql, visible_projects
from projects.models import (
    ChecklistItem,
    Evidence,
    ItemState,
    Membership,
    Project,
    ProjectRole,
    ProjectStatus,
    ProjectStep,
    SignOff,
    Step,
    StepStatus,
)
from projects.progress import (
    current_step_number,
    is_overdue,
    is_stalled,
    percent,
    step_status_label,
)
from projects.roles import GlobalRole
from projects.versions import cached_for_projects

if TYPE_CHECKING:
    from portal.models import User


LAUNCHED = 8  # the "current step" of a project whose seven steps are all done


@dataclass(frozen=True)
class ProjectFilters:
    """The project list's filters, as they appear in the URL."""

    query: str = ""
    step: int | None = None
    status: str = ""
    team: str = ""
    framework: str = ""
    owner: int | None = None
    mine: bool = False
    flagged: bool = False
    sort: str = "name"


SORTS = {
    "name": ("name",),
    "-name": ("-name",),
    "step": ("current_step", "name"),
    "-step": ("-current_step", "name"),
    "launch": ("target_launch_date", "name"),
    "-launch": ("-target_launch_date", "name"),
    "updated": ("updated_at",),
    "-updated": ("-updated_at",),
}


def _with_step_facts(projects: QuerySet[Project]) -> QuerySet[Project]:
    """Annotate the derived current step, its last activity, and the overdue flag."""
    not_done = ProjectStep.objects.filter(project=OuterRef("pk")).exclude(
        status=StepStatus.DONE
    )
    current = not_done.order_by("step__number")
    return projects.annotate(
        # Launched only once step 7 is done; a project without step rows is at step 1.
        current_step=Coalesce(
            Subquery(current.values("step__number")[:1]),
            Case(
                When(
                    Exists(
                        ProjectStep.objects.filter(
                            project=OuterRef("pk"),
                            step__number=7,
                            status=StepStatus.DONE,
                        )
                    ),
                    then=Value(LAUNCHED),
                ),
                default=Value(1),
            ),
        ),
        current_step_status=Subquery(current.values("status")[:1]),
        current_activity=Subquery(
            current.annotate(at=Coalesce("last_activity_at", "started_at")).values(
                "at"
            )[:1]
        ),
        has_overdue_step=Exists(not_done.filter(due_date__lt=timezone.localdate())),
    )


def member_name(role: ProjectRole) -> Subquery:
    """The name of the project's member in ``role`` as ``User.display_name`` shows it
    (full name, else email): one column instead of every membership and user."""
    return Subquery(
        Membership.objects.filter(project=OuterRef("pk"), role=role)
        .order_by("pk")
        .annotate(
            shown=Coalesce(
                NullIf(
                    Trim(Concat("user__first_name", Value(" "), "user__last_name")),
                    Value(""),
                ),
                F("user__email"),
                output_field=CharField(),
            )
        )
        .values("shown")[:1],
        output_field=CharField(),
    )


def project_list_for_user(
    user: User, *, query: str = "", filters: ProjectFilters | None = None
) -> QuerySet[Project]:
    """Visible, unarchived projects with team, members and step facts, filtered and sorted."""
    filters = filters or ProjectFilters(query=query)
    projects = _with_step_facts(
        visible_projects(user)
        .filter(archived_at__isnull=True)
        .select_related("team")
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("user"))
        )
    )
    if filters.query:
        projects = projects.filter(name__icontains=filters.query)
    if filters.step:
        projects = projects.filter(current_step=filters.step)  # type: ignore[misc]
    if filters.status == "launched":
        projects = projects.filter(current_step=LAUNCHED)  # type: ignore[misc]
    elif filters.status:
        projects = projects.filter(status=filters.status)
    if filters.team:
        projects = projects.filter(team__slug=filters.team)
    if filters.framework:
        projects = projects.filter(frameworks__code=filters.framework)
    if filters.owner:
        projects = projects.filter(
            memberships__user_id=filters.owner, memberships__role=ProjectRole.OWNER
        )
    if filters.mine:
        projects = projects.filter(memberships__user=user)
    if filters.flagged:
        stalled_before = timezone.now() - timedelta(
            days=settings.RUNWAY_STALLED_AFTER_DAYS
        )
        projects = projects.filter(
            Q(has_overdue_step=True)
            | Q(current_activity__lt=stalled_before, current_step__lt=LAUNCHED)
            & ~Q(current_step_status=StepStatus.NOT_STARTED)
        )
    if filters.framework or filters.owner or filters.mine:
        # Only these joins can repeat a project. DISTINCT otherwise made the page's
        # count compute every step-fact subquery for every visible project.
        projects = projects.distinct()
    return projects.order_by(*SORTS.get(filters.sort, SORTS["name"]))


def is_project_stalled(project: Project) -> bool:
    """For a project from ``project_list_for_user``: no activity in its current step lately."""
    return _stalled(
        getattr(project, "current_step", LAUNCHED),
        getattr(project, "current_step_status", None),
        getattr(project, "current_activity", None),
        timezone.now(),
    )


def _stalled(
    current_step: int,
    current_step_status: str | None,
    current_activity: datetime | None,
    now: datetime,
) -> bool:
    return (
        current_step != LAUNCHED
        and current_step_status != StepStatus.NOT_STARTED
        and is_stalled(
            last_activity=current_activity,
            started=None,
            now=now,
            days=settings.RUNWAY_STALLED_AFTER_DAYS,
        )
    )


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
                is_stalled=_stalled(
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


# The stalled flag depends on the clock as well as on the data: a page is kept at most
# this long even when nothing changes.
TABLE_CACHE_SECONDS = 300
# Every change of a membership or a name moves the projects version; the timeout
# only bounds what an unsignalled write (a bulk insert, the shell) could leave.
MEMBERS_CACHE_SECONDS = 3600


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


@dataclass(frozen=True)
class PortfolioSummary:
    projects: int
    by_status: dict[str, int]


def portfolio_summary(user: User) -> PortfolioSummary:
    """Headline counts over the projects the user may see, aggregated in the database."""
    rows = (
        visible_projects(user)
        .filter(archived_at__isnull=True)
        .values("status")
        .annotate(n=Count("id", distinct=True))
    )
    by_status = {row["status"]: row["n"] for row in rows}
    return PortfolioSummary(projects=sum(by_status.values()), by_status=by_status)


def project_owners(user: User) -> list[tuple[int, str]]:
    """(id, name) of the people who own at least one project the user may see, for
    the owner filter: four columns per person, not whole users (hundreds of them in
    a large portfolio), kept until the projects change."""

    def build() -> list[tuple[int, str]]:
        visible = visible_projects(user).filter(archived_at__isnull=True).values("pk")
        return [
            (pk, display_name(first, last, email))
            for pk, first, last, email in get_user_model()
            .objects.filter(
                project_memberships__role=ProjectRole.OWNER,
                project_memberships__project__in=visible,
            )
            .distinct()
            .order_by("first_name", "last_name", "email")
            .values_list("pk", "first_name", "last_name", "email")
        ]

    return cached_for_projects(
        f"owners:{audience(user)}", build, timeout=TABLE_CACHE_SECONDS
    )


def with_members(project: Project) -> Project:
    """Load the project's memberships and their users once, for headers and pickers."""
    prefetch_related_objects(
        [project],
        Prefetch("memberships", queryset=Membership.objects.select_related("user")),
    )
    return project


def member_choices(project: Project) -> list[tuple[int, str]]:
    """(user id, name) of the project's members, for assignee pickers: from the
    prefetched memberships when loaded, else kept until a membership or a name
    changes (a checklist row re-rendered after every tick shows the picker)."""
    cache = getattr(project, "_prefetched_objects_cache", {})
    if "memberships" in cache:
        return [(m.user_id, m.user.display_name) for m in cache["memberships"]]

    def build() -> list[tuple[int, str]]:
        return [
            (user_id, display_name(first, last, email))
            for user_id, first, last, email in Membership.objects.filter(
                project_id=project.pk
            ).values_list(
                "user_id", "user__first_name", "user__last_name", "user__email"
            )
        ]

    return cached_for_projects(
        f"members:{project.pk}", build, timeout=MEMBERS_CACHE_SECONDS
    )


def signoff_candidates(project: Project, *roles: str) -> QuerySet[User]:
    """The active people who may be asked to sign off ``project`` in any of ``roles``.

    The one rule behind the request form's choices and ``services.signoff_request``:
    the owner's and the lead's sign-offs come from the members holding that role; a
    reviewer's from a reviewer member, or from someone with the global Reviewer role
    who is not a member yet (asking makes them one). Nobody else: asking is the only
    way a lead adds a member, so it must not show the project to just anyone."""
    users = get_user_model().objects.filter(is_active=True)
    fits = Q(pk__in=[])
    for role in roles:
        fits |= Q(
            Exists(
                Membership.objects.filter(
                    project=project, user=OuterRef("pk"), role=role
                )
            )
        )
        if role == ProjectRole.REVIEWER:
            reviewer = get_user_model().groups.through.objects.filter(
                user_id=OuterRef("pk"), group__name=GlobalRole.REVIEWER.value
            )
            member = Membership.objects.filter(project=project, user=OuterRef("pk"))
            fits |= Q(Exists(reviewer)) & ~Q(Exists(member))
    return users.filter(fits).order_by("first_name", "last_name", "email")


def signoff_refusal(project: Project, role: str, signer: User) -> str | None:
    """Why ``signer`` may not be asked for ``role``'s sign-off of ``project`` (the
    rule of ``signoff_candidates``), or None if they may."""
    if signoff_candidates(project, role).filter(pk=signer.pk).exists():
        return None
    if not signer.is_active:
        return f"{signer} is not an active user."
    if role != ProjectRole.REVIEWER:
        return f"{signer} does not hold the {role} role on this project."
    membership = Membership.objects.filter(project=project, user=signer).first()
    if membership is None:
        return (
            f"{signer} is not a Reviewer: only people with the Reviewer role can be "
            "asked for a reviewer's sign-off. An admin can give them the role."
        )
    return (
        f"{signer} is the project's {membership.get_role_display().lower()}, "
        "not a reviewer."
    )


def member_of_role(project: Project, role: ProjectRole) -> User | None:
    """The member holding ``role``, from prefetched memberships when present."""
    for membership in project.memberships.all():
        if membership.role == role:
            return membership.user
    return None


# --- Steps, checklists and gates --------------------------------------------------


@functools.cache
def _item_statement() -> tuple[
    str, Columns[ChecklistItem], Columns[Project], Columns[User]
]:
    """The item (``%s``: the viewer's id, then the item's) with its project, its
    assignee and the viewer's role, as ``checklist_item_for`` reads it."""
    items, projects, users = (
        Columns(ChecklistItem),
        Columns(Project),
        Columns(get_user_model()),
    )
    sql = (
        f"SELECT {items.sql}, {projects.sql}, {users.sql},"
        f" ({role_sql(ChecklistItem, 'project_id')})"
        f" FROM {items.alias} INNER JOIN {projects.alias}"
        f' ON {projects.alias}."id" = {items.alias}."project_id"'
        f' LEFT OUTER JOIN {users.alias} ON {users.alias}."id" = {items.alias}."assignee_id"'
        f' WHERE {items.alias}."id" = %s'
    )
    return sql, items, projects, users


def checklist_item_for(user: User, pk: int) -> tuple[ChecklistItem, str | None] | None:
    """The checklist item with its project and assignee loaded, and the user's role
    on that project, in one statement; None if there is no such item.

    Every tick, assignment and evidence change starts here, so the statement is
    written out (``core.rows``) instead of compiled by the ORM on every request,
    which cost more than running it. It is the query
    ``ChecklistItem.objects.select_related("project", "assignee")`` with the role
    annotated as ``role_of_user`` writes it."""
    sql, item_columns, project_columns, user_columns = _item_statement()
    using = router.db_for_read(ChecklistItem)
    with statement_cursor(using) as cursor:
        cursor.execute(sql, [user.pk, pk])
        row = cursor.fetchone()
    if row is None:
        return None
    project_at = len(item_columns)
    user_at = project_at + len(project_columns)
    role_at = user_at + len(user_columns)
    item = item_columns.build(row[:project_at], using)
    assert item is not None  # noqa: S101  (the item's own id is never NULL)
    ChecklistItem.project.field.set_cached_value(
        item, project_columns.build(row[project_at:user_at], using)
    )
    ChecklistItem.assignee.field.set_cached_value(
        item, user_columns.build(row[user_at:role_at], using)
    )
    return item, row[role_at]


@dataclass(frozen=True)
class StepSummary:
    """One step of one project as the stepper and the step header show it."""

    number: int
    name: str
    short_name: str
    status: str
    status_label: str
    owner: str | None
    due_date: date | None
    done: int
    applicable: int
    required_open: int
    progress: int
    overdue: bool
    stalled: bool
    is_current: bool
    reopened_at: datetime | None
    earlier_reopened: bool

    @property
    def ring_style(self) -> str:
        return f"--progress: {self.progress}"


@functools.cache
def _step_summary_statement() -> tuple[str, Columns[ProjectStep]]:
    """The steps of a project (``%s`` twice) in order: their own columns, then the
    reference step's number, name and short name, the owner's names and email, and
    the applicable items counted: all, not open, required and open."""
    steps = Columns(
        ProjectStep,
        only=(
            "step",
            "status",
            "due_date",
            "started_at",
            "last_activity_at",
            "reopened_at",
        ),
    )
    reference = Columns(Step, only=("number", "name", "short_name"))
    owners = Columns(get_user_model(), only=("first_name", "last_name", "email"))
    items = Columns(ChecklistItem).alias
    sql = (
        f"SELECT {steps.sql}, {reference.sql}, {owners.sql},"
        ' COALESCE(c."total", 0), COALESCE(c."done", 0), COALESCE(c."required_open", 0)'
        f" FROM {steps.alias}"
        f' INNER JOIN {reference.alias} ON {reference.alias}."id" = {steps.alias}."step_id"'
        f' LEFT OUTER JOIN {owners.alias} ON {owners.alias}."id" = {steps.alias}."owner_id"'
        ' LEFT OUTER JOIN (SELECT "step_id", COUNT(*) AS "total",'
        f' SUM(CASE WHEN "state" <> \'{ItemState.OPEN}\' THEN 1 ELSE 0 END) AS "done",'
        f' SUM(CASE WHEN "state" = \'{ItemState.OPEN}\' AND "required" THEN 1 ELSE 0 END)'
        f' AS "required_open" FROM {items}'
        ' WHERE "project_id" = %s AND "applicable" GROUP BY "step_id") c'
        f' ON c."step_id" = {steps.alias}."step_id"'
        f' WHERE {steps.alias}."project_id" = %s ORDER BY {reference.alias}."number"'
    )
    return sql, steps


def step_summaries(project: Project) -> list[StepSummary]:
    """The seven steps with checklist progress, in one query whatever the checklist
    size.

    Every project page, step page and stepper refresh starts here. The statement is
    written out: the ORM took 8 M instructions (nearly 3 ms) to compile its two
    queries, ten times what PostgreSQL took to run them."""
    sql, steps = _step_summary_statement()
    using = router.db_for_read(ProjectStep)
    with statement_cursor(using) as cursor:
        cursor.execute(sql, [project.pk, project.pk])
        rows = cursor.fetchall()
    width = len(steps)
    current = current_step_number({row[width]: row[1] for row in rows})
    today, now = timezone.localdate(), timezone.now()
    stall_days = settings.RUNWAY_STALLED_AFTER_DAYS
    labels = dict(StepStatus.choices)
    summaries = []
    reopened_before = False
    for row in rows:
        _, status, due_date, started_at, last_activity_at, reopened_at = steps.convert(
            row[:width], using
        )
        number, name, short_name, first, last, email, total, done, required_open = row[
            width:
        ]
        summaries.append(
            StepSummary(
                number=number,
                name=name,
                short_name=short_name,
                status=status,
                status_label=step_status_label(
                    status=status,
                    label=labels.get(status, status),
                    number=number,
                    current=current,
                ),
                owner=display_name(first, last, email) if email is not None else None,
                due_date=due_date,
                done=done,
                applicable=total,
                required_open=required_open,
                progress=percent(done, total),
                overdue=is_overdue(due=due_date, status=status, today=today),
                stalled=number == current
                and status != StepStatus.NOT_STARTED
                and is_stalled(
                    last_activity=last_activity_at,
                    started=started_at,
                    now=now,
                    days=stall_days,
                ),
                is_current=number == current,
                reopened_at=reopened_at,
                earlier_reopened=reopened_before and status == StepStatus.DONE,
            )
        )
        reopened_before = reopened_before or (
            reopened_at is not None and status != StepStatus.DONE
        )
    return summaries


def _checklist(project: Project) -> QuerySet[ChecklistItem]:
    return (
        ChecklistItem.objects.filter(project=project)
        .select_related("assignee", "completed_by", "template")
        .prefetch_related(
            Prefetch("evidence", queryset=Evidence.objects.select_related("added_by"))
        )
        .order_by("-applicable", "order", "id")
    )


def step_checklist(project: Project, step_id: int) -> list[ChecklistItem]:
    """A step's checklist items with assignee and evidence, in three queries."""
    return list(_checklist(project).filter(step_id=step_id))


def with_evidence(item: ChecklistItem) -> ChecklistItem:
    """(Re)load the item's evidence with who added it, as ``step_checklist`` does."""
    item.__dict__.get("_prefetched_objects_cache", {}).pop("evidence", None)
    prefetch_related_objects(
        [item],
        Prefetch("evidence", queryset=Evidence.objects.select_related("added_by")),
    )
    return item


def checklist_item(project: Project, pk: int) -> ChecklistItem:
    """One item as ``step_checklist`` loads it, for re-rendering its row after a
    change without loading the rest of its step (two queries)."""
    return _checklist(project).get(pk=pk)


def step_signoffs(project: Project, step_id: int) -> list[SignOff]:
    return list(
        SignOff.objects.filter(project=project, step_id=step_id).select_related(
            "signer", "requested_by"
        )
    )


def gate_data(project_step: ProjectStep) -> gates.GateData:
    """Load what the built-in gate checks need for one project step."""
    project = project_step.project
    number = project_step.step.number
    earlier = [
        f"{ps.step.number}. {ps.step.short_name}"
        for ps in ProjectStep.objects.filter(project=project, step__number__lt=number)
        .exclude(status=StepStatus.DONE)
        .select_related("step")
        .order_by("step__number")
    ]
    items = [
        gates.ItemFacts(
            title=item.title,
            required=item.required,
            state=item.state,
            evidence_required=item.evidence_required,
            evidence_count=item.evidence_count,
            na_justification=item.na_justification,
            pk=item.pk,
        )
        for item in ChecklistItem.objects.filter(
            project=project, step_id=project_step.step_id, applicable=True
        )
        .annotate(evidence_count=Count("evidence"))
        .order_by("order", "id")
    ]
    signoffs = [
        gates.SignOffFacts(role=s.role, status=s.status, signer=str(s.signer))
        for s in SignOff.objects.filter(
            project=project, step_id=project_step.step_id
        ).select_related("signer")
    ]
    owner = project.operating_owner
    return gates.GateData(
        step_number=number,
        earlier_steps_not_done=earlier,
        items=items,
        signoff_roles=list(project_step.step.signoff_roles),
        signoffs=signoffs,
        operating_owner=owner.display_name if owner else None,
    )


def gate_result(project_step: ProjectStep) -> gates.GateResult:
    return gates.evaluate(gate_data(project_step), project=project_step.project)
