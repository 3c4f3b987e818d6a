"""Writes that bypass ``save()`` say what they changed (``core.fragments``)."""

from __future__ import annotations

from core import fragments


def projects_changed() -> None:
    """Projects were written around their signals (a bulk update)."""
    fragments.data_changed("projects.Project")
