"""Version tokens for what is computed from a project's metrics, so that the results
can be cached until their inputs change.

A project's token changes whenever its dashboard's inputs do: its daily rollups, its
connected services (and their last successful sync), the source chosen per metric,
or its approved targets. The portfolio's token changes with any project's. Readers
cache under the token they read *before* reading the database, so a change that
commits while they compute only makes the next reader compute again.

Tokens are random, not counters: a counter evicted from the cache and started again
could meet a value cached under its old number.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

PORTFOLIO_KEY = "metrics:version:all"


def _key(project_id: int | None) -> str:
    return PORTFOLIO_KEY if project_id is None else f"metrics:version:{project_id}"


def _renew(key: str) -> str:
    """The token under ``key``, made now if the cache has none (``add`` keeps the
    first of two processes that race here)."""
    cache.add(key, secrets.token_hex(8), timeout=None)
    token: str | None = cache.get(key)
    return token or ""


def metrics_version(project_id: int | None = None) -> str:
    """The current token of a project's metrics (None: of every project's)."""
    token: str | None = cache.get(_key(project_id))
    return token or _renew(_key(project_id))


def metrics_changed(project_id: int | None) -> None:
    """New tokens for the project and the portfolio once the current transaction
    commits (a reader that cached in between would keep the old figures under the
    new token otherwise)."""
    keys = [PORTFOLIO_KEY] if project_id is None else [PORTFOLIO_KEY, _key(project_id)]
    transaction.on_commit(
        lambda: cache.set_many({k: secrets.token_hex(8) for k in keys}, timeout=None)
    )


def cached_for_project(
    project_id: int, name: str, build: Callable[[], T], *, timeout: int
) -> T:
    """``build()``'s value, kept under the project's current token: one cache round
    trip reads both the token and the value."""
    version_key, value_key = _key(project_id), f"metrics:cached:{project_id}:{name}"
    found = cache.get_many([version_key, value_key])
    token = found.get(version_key) or _renew(version_key)
    hit = found.get(value_key)
    if hit is not None and hit[0] == token:
        value: T = hit[1]
        return value
    value = build()
    cache.set(value_key, (token, value), timeout)
    return value
