"""A counter that moves whenever daily rollups change, so that what is computed from
them across many projects (the portfolio's weekly charts) can be cached until then."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

ROLLUPS_VERSION_KEY = "metrics:rollups-version"


def rollups_version() -> int:
    return int(cache.get(ROLLUPS_VERSION_KEY, 0))


def rollups_changed() -> None:
    """Move the counter once the current transaction commits (a reader that cached in
    between would otherwise keep the old figures under the new version)."""
    transaction.on_commit(_bump)


def _bump() -> None:
    try:
        cache.incr(ROLLUPS_VERSION_KEY)
    except ValueError:  # not set yet, or evicted: any new value invalidates
        cache.add(ROLLUPS_VERSION_KEY, 1, timeout=None)
