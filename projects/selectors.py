"""Reads for project pages, with the joins that keep query counts flat."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
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

from core import fragments
from core.names import display_name
from projects.access import audience, visible_projects
from projects.models import (
    Membership,
    Project,
    ProjectRole,
    ProjectStep,
    StepStatus,
)
from projects.progress import LAUNCHED
from projects.risk import risk_reasons, signal_columns, with_risk, with_signals
from projects.roles import GlobalRole

if TYPE_CHECKING:
    from portal.models import User


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
    at_risk: bool = False
    sort: str = "name"
    # An AiActTier value, or NOT_ASSESSED for the projects nobody has classified yet.
    ai_act_tier: str = ""


NOT_ASSESSED = "unassessed"

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
    """Visible, unarchived projects with team, members, step facts and why each is
    at risk (``projects.risk``), filtered and sorted."""
    filters = filters or ProjectFilters(query=query)
    projects = with_risk(
        _with_step_facts(
            visible_projects(user)
            .filter(archived_at__isnull=True)
            .select_related("team")
            .prefetch_related(
                Prefetch(
                    "memberships", queryset=Membership.objects.select_related("user")
                )
            )
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
    if filters.at_risk:
        projects = projects.filter(at_risk=True)  # type: ignore[misc]
    if filters.ai_act_tier:
        projects = projects.filter(
            ai_act_tier=""
            if filters.ai_act_tier == NOT_ASSESSED
            else filters.ai_act_tier
        )
    if filters.framework or filters.owner or filters.mine:
        # Only these joins can repeat a project. DISTINCT otherwise made the page's
        # count compute every step-fact subquery for every visible project.
        projects = projects.distinct()
    return projects.order_by(*SORTS.get(filters.sort, SORTS["name"]))


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

    return fragments.cached("project-owners", audience(user), build)


def risk_reasons_of(project: Project) -> list[str]:
    """Why the project is at risk (``projects.risk``), in one query; empty if it is not."""
    row = (
        with_signals(Project.objects.filter(pk=project.pk))
        .values("status", *signal_columns())
        .get()
    )
    return risk_reasons(SimpleNamespace(**row))


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
            )
            .order_by("role", "user")
            .values_list(
                "user_id", "user__first_name", "user__last_name", "user__email"
            )
        ]

    return fragments.cached("project-members", "choices", build, project_id=project.pk)


def signoff_candidates(project: Project, *roles: str) -> QuerySet[User]:
    """The active people who may be asked to sign off ``project`` in any of ``roles``.

    The one rule behind the request form's choices and ``step_services.signoff_request``:
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
