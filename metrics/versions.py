"""The metrics side of ``core.fragments``: a project's dashboard is the
"project-dashboard" fragment (portal/fragments.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from core import fragments

T = TypeVar("T")


def metrics_changed(project_id: int | None) -> None:
    """A project's rollups (or its services' last sync) were written around their
    signals: what shows its figures is built again."""
    fragments.data_changed("metrics.DailyRollup", project_id=project_id)


def cached_for_project(
    project_id: int, name: str, build: Callable[[], T], *, timeout: int | None = None
) -> T:
    """``build()``'s value, kept until what the project's dashboard reads changes."""
    return fragments.cached("project-dashboard", name, build, project_id=project_id)
