"""A project's profile (use case, data class, frameworks) and the apps that act when
it is set or changes: the risk register suggests the risks that now apply. Apps above
this one register in ``AppConfig.ready()``; ``projects.services`` runs the hooks."""

from __future__ import annotations

from collections.abc import Callable

from projects.models import Project

_PROFILE_HOOKS: list[Callable[[Project], object]] = []


def on_profile_change(hook: Callable[[Project], object]) -> None:
    """Run ``hook(project)`` after a project is created and whenever its profile
    changes, inside the same transaction (registered in ``AppConfig.ready()``)."""
    if hook not in _PROFILE_HOOKS:
        _PROFILE_HOOKS.append(hook)


def profile_of(project: Project) -> tuple[str, str, frozenset[int]]:
    return (
        project.use_case,
        project.data_classification,
        frozenset(project.frameworks.values_list("pk", flat=True)),
    )


def profile_changed(project: Project) -> None:
    for hook in _PROFILE_HOOKS:
        hook(project)
