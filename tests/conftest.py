"""Shared fixtures: personas, a project they relate to, and environment checks.

A test that needs something a fresh machine may lack skips with the reason,
except under CI (CI set), where a missing dependency is a failure.
"""

from __future__ import annotations

import os
import shutil

import pytest

from projects.models import ProjectRole
from projects.roles import GlobalRole
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = bool(os.environ.get("CI"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require(condition: bool, reason: str) -> None:
    """Skip when a dependency is missing on a developer machine; fail under CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must provide this: {reason}")
    pytest.skip(reason)


class FakeDNS(dict[str, list[str]]):
    """Name → addresses, for every name a connector would resolve. A name not in it
    does not resolve: no test asks a real resolver, so none sends traffic off loopback."""

    def resolve(self, host: str, port: int) -> list[str]:
        import socket

        try:
            return self[host.rstrip(".").lower()]
        except KeyError:
            raise socket.gaierror(
                socket.EAI_NONAME, "Name or service not known"
            ) from None


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch) -> FakeDNS:
    from metrics.connectors import outbound

    dns = FakeDNS()
    monkeypatch.setattr(outbound, "resolve", dns.resolve)
    return dns


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters and cached values must not leak from one test to the next.
    from django.core.cache import cache

    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _tasks_run_inline(request):
    """Tasks queued by the code under test run in the test, at commit; only tests
    marked ``worker`` go through a real broker and worker process."""
    if request.node.get_closest_marker("worker"):
        yield
        return
    from portal.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Hashed static names are not served by live_server's finders.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


@pytest.fixture
def as_(client):
    """``as_(user)``: the test client, signed in as ``user``."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def project(db):
    return ProjectFactory(name="Support Copilot")


def _member(project, role):
    return MembershipFactory(project=project, role=role).user


@pytest.fixture
def owner(project):
    return _member(project, ProjectRole.OWNER)


@pytest.fixture
def lead(project):
    return _member(project, ProjectRole.LEAD)


@pytest.fixture
def contributor(project):
    return _member(project, ProjectRole.CONTRIBUTOR)


@pytest.fixture
def reviewer(project):
    return _member(project, ProjectRole.REVIEWER)


@pytest.fixture
def viewer(project):
    return _member(project, ProjectRole.VIEWER)


@pytest.fixture
def outsider(db):
    return UserFactory(roles=[GlobalRole.PRODUCT_MANAGER])


@pytest.fixture
def executive(db):
    return UserFactory(roles=[GlobalRole.EXECUTIVE])


@pytest.fixture
def admin_user(db):
    return UserFactory(roles=[GlobalRole.ADMIN], is_staff=True, is_superuser=True)


@pytest.fixture
def pm(db):
    return UserFactory(roles=[GlobalRole.PRODUCT_MANAGER])


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    require(
        shutil.which(CHROMIUM) is not None,
        f"Debian's Chromium is not installed at {CHROMIUM}",
    )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }
