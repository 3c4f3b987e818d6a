"""The metrics version of a project (``core.versions``): it moves whenever its
dashboard's inputs do (its daily rollups, its connected services and their last
successful sync, the source chosen per metric, its approved targets). The
portfolio's token moves with any project's."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from core import versions

T = TypeVar("T")

PORTFOLIO_KEY = "metrics:version:all"


def _key(project_id: int | None) -> str:
    return PORTFOLIO_KEY if project_id is None else f"metrics:version:{project_id}"


def metrics_changed(project_id: int | None) -> None:
    """New tokens for the project and the portfolio, at once for this transaction's
    own reads and again once it commits (``core.versions.changed``)."""
    versions.changed(
        [PORTFOLIO_KEY] if project_id is None else [PORTFOLIO_KEY, _key(project_id)]
    )


def cached_for_project(
    project_id: int, name: str, build: Callable[[], T], *, timeout: int
) -> T:
    """``build()``'s value, kept until the project's metrics change."""
    return versions.cached(
        [_key(project_id)],
        f"metrics:cached:{project_id}:{name}",
        build,
        timeout=timeout,
    )
