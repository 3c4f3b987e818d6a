"""Runway's settings for the scale-out test's web processes: production's, except that
static files are named plainly, as in every other test (tests/conftest.py), since a
test run has no ``collectstatic`` manifest to look hashed names up in."""

from __future__ import annotations

from portal.settings import *  # noqa: F403
from portal.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
