"""Version tokens (core.versions): a value is kept until one of its tokens moves."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from core import versions

pytestmark = pytest.mark.django_db(transaction=True)


def _counting_build(builds: list[int], value: str):
    def build() -> str:
        builds.append(1)
        return value

    return build


def test_a_value_is_kept_until_its_token_moves() -> None:
    builds: list[int] = []
    build = _counting_build(builds, "first")
    assert versions.cached(["t:a", "t:b"], "v:x", build, timeout=60) == "first"
    assert versions.cached(["t:a", "t:b"], "v:x", build, timeout=60) == "first"
    assert len(builds) == 1

    versions.changed(["t:b"])
    rebuilt = _counting_build(builds, "second")
    assert versions.cached(["t:a", "t:b"], "v:x", rebuilt, timeout=60) == "second"
    assert versions.cached(["t:a", "t:b"], "v:x", rebuilt, timeout=60) == "second"
    assert len(builds) == 2


def test_a_token_another_process_made_first_is_the_one_kept() -> None:
    # Another process renewed the token between this one's read and its own add:
    # both must then cache under the same token, the first one's.
    cache.set("t:raced", "theirs", timeout=None)
    assert versions._renew("t:raced") == "theirs"
    assert cache.get("t:raced") == "theirs"
    cache.delete("t:raced")
    made = versions._renew("t:raced")
    assert made and made == cache.get("t:raced")


def test_a_value_cached_under_a_token_since_dropped_is_built_again() -> None:
    builds: list[int] = []
    versions.cached(["t:c"], "v:y", _counting_build(builds, "old"), timeout=60)
    cache.delete("t:c")  # evicted, or dropped by a change
    assert (
        versions.cached(["t:c"], "v:y", _counting_build(builds, "new"), timeout=60)
        == "new"
    )
    assert len(builds) == 2
