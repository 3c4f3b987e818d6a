"""Cached pages belong to one release: the cache key prefix names it."""

from __future__ import annotations

import os
import time

from django.conf import settings

from portal.settings import code_fingerprint


def _tree(base, text):
    (base / "portal").mkdir(parents=True)
    (base / "templates").mkdir()
    (base / "portal" / "views.py").write_text("x = 1\n")
    (base / "templates" / "page.html").write_text(text)


def test_the_fingerprint_follows_the_content_not_the_host(tmp_path):
    one, other = tmp_path / "host-a", tmp_path / "host-b"
    _tree(one, "<p>v1</p>")
    _tree(other, "<p>v1</p>")
    past = time.time() - 86400
    os.utime(other / "templates" / "page.html", (past, past))
    assert code_fingerprint(one) == code_fingerprint(other)

    (other / "templates" / "page.html").write_text("<p>v2</p>")
    assert code_fingerprint(one) != code_fingerprint(other)


def test_every_cache_key_carries_the_release():
    from django.core.cache import cache

    assert settings.RUNWAY_RELEASE
    assert cache.make_key("k").startswith(f"runway-{settings.RUNWAY_RELEASE}")


def test_a_change_in_any_app_is_a_new_release(tmp_path):
    """Every app counts, not a hand-kept list: a change in one added later (its
    templatetags, its selectors) must not be served from the last release's cache."""
    _tree(tmp_path, "<p>v1</p>")
    app = tmp_path / "newapp"
    app.mkdir()
    (app / "apps.py").write_text("x = 1\n")
    (app / "selectors.py").write_text("y = 1\n")
    before = code_fingerprint(tmp_path)

    (app / "selectors.py").write_text("y = 2\n")

    assert code_fingerprint(tmp_path) != before
