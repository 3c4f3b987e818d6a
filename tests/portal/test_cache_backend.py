"""The Redis cache backend shares one client per connection pool, and still behaves
as Django's own: values, expiry, atomic add and counters, across threads."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import uuid

import pytest
from django.conf import settings

from portal.cache import SharedClientRedisCache
from tests.conftest import require


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def cache():
    require(redis_answers(), "Redis on 127.0.0.1:6379")
    backend = SharedClientRedisCache(
        "redis://127.0.0.1:6379/14", {"KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"}
    )
    yield backend
    backend.clear()


def test_it_stores_reads_adds_counts_and_deletes(cache):
    cache.set("a", {"figures": [1, 2]}, 60)
    assert cache.get("a") == {"figures": [1, 2]}
    assert cache.add("a", "other", 60) is False
    assert cache.add("b", 1, 60) is True
    assert cache.incr("b") == 2
    assert cache.get_many(["a", "b", "missing"]) == {"a": {"figures": [1, 2]}, "b": 2}
    cache.delete("a")
    assert cache.get("a") is None
    cache.set("gone", 1, 0)  # a timeout of 0 stores nothing
    assert cache.get("gone") is None


def test_one_client_serves_every_call_and_every_thread(cache):
    client = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is client
    seen = []

    def work(n):
        cache.set(f"t{n}", n, 60)
        seen.append((cache.get(f"t{n}"), cache._cache.get_client()))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(value for value, _ in seen) == list(range(8))
    assert all(c is client for _, c in seen)


def test_a_redis_cache_url_selects_it():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CACHES['default']['BACKEND'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "CACHE_URL": "redis://127.0.0.1:6379/14",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "portal.cache.SharedClientRedisCache"
