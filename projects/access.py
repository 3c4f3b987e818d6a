"""Who may see or change a project, exactly as "Who may do what" in domain.md.

Outsiders get 404 (a project's existence is not disclosed); members without the
right get 403. Every denial is logged.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import BigIntegerField, OuterRef, QuerySet, Subquery, Value
from django.http import Http404

from projects.models import Membership, Project, ProjectRole
from projects.roles import is_admin, sees_all_projects

if TYPE_CHECKING:
    from portal.models import User

security_log = logging.getLogger("runway.security")


class Action(StrEnum):
    VIEW = "view"
    EDIT = "edit"  # details, members, requirements, build-vs-partner, cost scenarios
    APPROVE_REQUIREMENTS = "approve_requirements"
    WORK_CHECKLIST = "work_checklist"  # tick items, add evidence, add custom items
    RUN_ASSESSMENT = "run_assessment"  # gap assessments, mark steps done or reopen
    CONNECT_SERVICES = "connect_services"  # project-scoped services, push tokens
    ACKNOWLEDGE_ALERTS = "acknowledge_alerts"
    MANAGE_RISKS = "manage_risks"  # the risk register: add, judge, link mitigations
    ACCEPT_BASELINE = "accept_baseline"  # the evaluation run later runs are judged by
    EXPORT = "export"


_ALL = frozenset(ProjectRole)
PROJECT_RULES: dict[Action, frozenset[ProjectRole]] = {
    Action.VIEW: _ALL,
    Action.EXPORT: _ALL,
    Action.EDIT: frozenset({ProjectRole.OWNER}),
    Action.APPROVE_REQUIREMENTS: frozenset({ProjectRole.OWNER}),
    Action.WORK_CHECKLIST: frozenset(
        {ProjectRole.OWNER, ProjectRole.LEAD, ProjectRole.CONTRIBUTOR}
    ),
    Action.RUN_ASSESSMENT: frozenset({ProjectRole.OWNER, ProjectRole.LEAD}),
    Action.CONNECT_SERVICES: frozenset({ProjectRole.OWNER, ProjectRole.LEAD}),
    Action.ACKNOWLEDGE_ALERTS: frozenset({ProjectRole.OWNER, ProjectRole.LEAD}),
    Action.MANAGE_RISKS: frozenset({ProjectRole.OWNER, ProjectRole.LEAD}),
    Action.ACCEPT_BASELINE: frozenset({ProjectRole.OWNER, ProjectRole.LEAD}),
}
# Admins may do everything except approvals and sign-offs, which belong to people
# with the project role the step names, and accepting an evaluation baseline, which is
# the lead's or owner's judgement of their own system.
ADMIN_EXCLUDED: frozenset[Action] = frozenset(
    {Action.APPROVE_REQUIREMENTS, Action.ACCEPT_BASELINE}
)


def visible_projects(user: User) -> QuerySet[Project]:
    """The projects the user may see: members see theirs, executives and admins all."""
    projects = Project.objects.all()
    if sees_all_projects(user):
        return projects
    return projects.filter(memberships__user=user).distinct()


def audience(user: User, *, personal: bool = False) -> str:
    """Who may share a rendering of projects the user sees: everyone who sees every
    project ("all"), else only the user; ``personal`` when it shows the user's own
    (the "mine" filter)."""
    return "all" if sees_all_projects(user) and not personal else f"user-{user.pk}"


def viewer_role(user: User) -> Subquery:
    """The role of ``user`` on each project of a queryset, as an annotation."""
    return Subquery(
        Membership.objects.filter(project=OuterRef("pk"), user=user).values("role")[:1]
    )


def project_role(user: User, project: Project) -> ProjectRole | None:
    """The user's role on the project, or None: the role ``get_project_for_user``
    annotated when the project was loaded for this user, else read on its own."""
    if getattr(project, "viewer_id", None) == user.pk:
        role = getattr(project, "viewer_role", None)
    else:
        role = (
            Membership.objects.filter(project=project, user=user)
            .values_list("role", flat=True)
            .first()
        )
    return ProjectRole(role) if role else None


def can(user: User, project: Project, action: Action) -> bool:
    if is_admin(user) and action not in ADMIN_EXCLUDED:
        return True
    role = project_role(user, project)
    if role is None:
        return action in {Action.VIEW, Action.EXPORT} and sees_all_projects(user)
    return role in PROJECT_RULES[action]


def get_project_for_user(
    user: User, slug: str, action: Action = Action.VIEW
) -> Project:
    """Load a project by slug for ``action``: 404 if the user may not see it, 403 if
    they see it but may not do ``action``. The project carries the user's role
    (``viewer_role``, for ``viewer_id``), which ``can`` reads without a query."""
    try:
        project = (
            Project.objects.select_related("team")
            .annotate(
                viewer_id=Value(user.pk, output_field=BigIntegerField()),
                viewer_role=viewer_role(user),
            )
            .get(slug=slug)
        )
    except Project.DoesNotExist:
        raise Http404("No such project.") from None
    check_access(user, project, action)
    return project


def check_access(user: User, project: Project, action: Action = Action.VIEW) -> None:
    """404 if the user may not see the loaded project, 403 if they see it but may not
    do ``action`` (``get_project_for_user`` for a project loaded another way)."""
    slug = project.slug
    if not can(user, project, Action.VIEW):
        security_log.warning(
            "access denied",
            extra={
                "event": "access.denied",
                "user_id": user.pk,
                "project": slug,
                "action": str(action),
                "outcome": 404,
            },
        )
        raise Http404("No such project.")
    if action is not Action.VIEW and not can(user, project, action):
        # Logged by the 403 handler, with the path and method.
        raise PermissionDenied(f"Your role on {project.name} does not allow this.")
