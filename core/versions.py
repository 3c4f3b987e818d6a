"""Version tokens: a random value in the cache that changes whenever some data does,
so that what is computed from that data can be cached until then.

Readers cache under the token they read *before* reading the database, so a change
that commits while they compute only makes the next reader compute again. Tokens are
random, not counters: a counter evicted from the cache and started again could meet
a value cached under its old number. Writers call ``changed`` inside their
transaction; the tokens move once it commits. A change deletes the tokens (one
command, whatever their number); the next reader makes new ones.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")


def _renew(key: str) -> str:
    """The token under ``key``, made now if the cache has none (``add`` keeps the
    first of two processes that race here: the other reads the winner's)."""
    token: str | None = secrets.token_hex(8)
    if not cache.add(key, token, timeout=None):
        token = cache.get(key)
    return token or ""


def digest(*parts: object) -> str:
    """A short, stable name for a cached value that depends on ``parts`` (filters,
    page, viewer, day...): their repr, hashed."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def changed(keys: Iterable[str]) -> None:
    """Drop the tokens under ``keys`` now, for reads later in this transaction (the
    same request re-rendering what it changed), and again once it commits, for
    readers that cached the old data under a token made in between.

    A delete is one Redis command without a value to serialise; ``set_many`` of new
    tokens took a pipeline, twice for every checklist tick."""
    keys = list(keys)

    def forget() -> None:
        cache.delete_many(keys)

    forget()
    transaction.on_commit(forget)


def cached(
    version_keys: Sequence[str], value_key: str, build: Callable[[], T], *, timeout: int
) -> T:
    """``build()``'s value, kept while the tokens under ``version_keys`` stay the
    same: one cache round trip reads the tokens and the value."""
    found = cache.get_many([*version_keys, value_key])
    current = tuple(found.get(k) or _renew(k) for k in version_keys)
    hit = found.get(value_key)
    if hit is not None and hit[0] == current:
        value: T = hit[1]
        return value
    value = build()
    cache.set(value_key, (current, value), timeout)
    return value
