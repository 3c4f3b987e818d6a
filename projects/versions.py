"""The projects version (``core.versions``): it moves whenever anything the projects
table or the portfolio shows or filters on changes, apart from metrics
(``metrics.versions``): a project, its steps, members, team, frameworks, approved
requirements, gap assessments and alerts, the steps themselves, or a person's name.
Pages of the table and of the portfolio are kept until then.

Saves and deletes move it through signals, whichever code path or the admin made
them; writes that bypass ``save()`` call ``projects_changed`` themselves, except a
step's activity time (each checklist tick): it can only clear a stalled flag that
counts in days, and what was rendered before expires within minutes anyway.

Each project also has a version of its own, which its checklist moves as well: the
project page shows each step's progress, and is kept until either changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models.signals import m2m_changed, post_delete, post_save

from core import versions

T = TypeVar("T")

PROJECTS_KEY = "projects:version"


def projects_changed() -> None:
    versions.changed([PROJECTS_KEY])


def cached_for_projects(name: str, build: Callable[[], T], *, timeout: int) -> T:
    """``build()``'s value, kept until the projects change (or ``timeout`` seconds)."""
    return versions.cached(
        [PROJECTS_KEY], f"projects:cached:{name}", build, timeout=timeout
    )


def project_key(project_id: int) -> str:
    return f"projects:version:{project_id}"


def project_changed(project_id: int) -> None:
    """The project's checklist changed (writes that bypass ``save()``)."""
    versions.changed([project_key(project_id)])


def cached_for_project_page(
    project_id: int, name: str, build: Callable[[], T], *, timeout: int
) -> T:
    """``build()``'s value, kept until the projects or this project's checklist
    change (or ``timeout`` seconds). Not ``metrics.versions.cached_for_project``,
    which follows the project's metrics."""
    return versions.cached(
        [PROJECTS_KEY, project_key(project_id)],
        f"projects:cached:{project_id}:{name}",
        build,
        timeout=timeout,
    )


def _changed(**kwargs: Any) -> None:
    projects_changed()


def _checklist_changed(instance: Any, **kwargs: Any) -> None:
    project_changed(instance.project_id)


NAME_FIELDS = frozenset({"first_name", "last_name", "email"})


def _person_changed(
    created: bool, update_fields: frozenset[str] | None, **kwargs: Any
) -> None:
    # A new person is in no project yet; a sign-in saves only ``last_login``.
    if not created and (update_fields is None or update_fields & NAME_FIELDS):
        projects_changed()


def connect() -> None:
    from projects.models import Project

    for model in (
        "projects.Project",
        "projects.ProjectStep",
        "projects.Membership",
        "projects.Team",
        "projects.Framework",
        "projects.Step",
        "assessments.RequirementsDocument",  # budgets and quality targets
        "assessments.GapAssessment",  # its scores are written with it
        "metrics.Alert",
        "portal.User",
    ):
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"projects-{model}-delete"
        )
        if model != "portal.User":
            post_save.connect(
                _changed, sender=model, dispatch_uid=f"projects-{model}-save"
            )
    post_save.connect(
        _person_changed, sender="portal.User", dispatch_uid="projects-user-save"
    )
    for signal in (post_save, post_delete):
        signal.connect(
            _checklist_changed,
            sender="projects.ChecklistItem",
            dispatch_uid=f"projects-checklist-{signal is post_save}",
        )
    m2m_changed.connect(
        _changed,
        sender=Project.frameworks.through,
        dispatch_uid="projects-frameworks-m2m",
    )
