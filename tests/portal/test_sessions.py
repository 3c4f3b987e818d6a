"""Sessions slide their idle window and record activity without writing on every
request (portal.sessions, portal.middleware.UserSessionsMiddleware)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.usersessions.models import UserSession
from allauth.usersessions.signals import session_client_changed
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PAGE = "/notifications/"


@pytest.fixture
def signed_in(client):
    client.force_login(UserFactory())
    client.get(PAGE)  # the session's first request records its activity
    return client


def writes(ctx, table):
    return [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith(("UPDATE", "INSERT")) and f'"{table}"' in q["sql"]
    ]


def stored(client):
    return Session.objects.get(session_key=client.session.session_key)


def test_an_unchanged_session_used_again_at_once_is_not_written(signed_in):
    before = stored(signed_in).expire_date
    with CaptureQueriesContext(connection) as ctx:
        assert signed_in.get(PAGE).status_code == 200
    assert writes(ctx, "django_session") == []
    assert writes(ctx, "usersessions_usersession") == []
    assert stored(signed_in).expire_date == before


def test_the_idle_window_slides_once_the_stored_expiry_lags_a_minute(signed_in):
    session = stored(signed_in)
    lagging = session.expire_date - timedelta(seconds=settings.SESSION_REFRESH_SECONDS)
    Session.objects.filter(pk=session.pk).update(expire_date=lagging)
    started = timezone.now()
    signed_in.get(PAGE)
    expiry = stored(signed_in).expire_date
    assert expiry >= started + timedelta(seconds=settings.SESSION_COOKIE_AGE)


def test_a_session_never_outlives_the_idle_timeout(signed_in):
    for _ in range(3):
        signed_in.get(PAGE)
        latest = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
        assert stored(signed_in).expire_date <= latest


def test_a_changed_session_is_always_written(signed_in):
    from portal.sessions import SessionStore

    session = SessionStore(signed_in.session.session_key)
    session["theme"] = "dark"
    session.save()
    assert SessionStore(signed_in.session.session_key)["theme"] == "dark"


def test_activity_is_recorded_again_after_the_interval(signed_in, settings):
    user_session = UserSession.objects.get()
    seen = user_session.last_seen_at
    settings.USERSESSIONS_ACTIVITY_INTERVAL_SECONDS = 0
    signed_in.get(PAGE)
    user_session.refresh_from_db()
    assert user_session.last_seen_at > seen


def test_a_new_address_or_browser_is_recorded_at_once(signed_in):
    changes = []

    def listen(sender, from_session, to_session, **kwargs):
        changes.append((from_session.ip, to_session.ip, to_session.user_agent))

    session_client_changed.connect(listen)
    try:
        signed_in.get(PAGE, REMOTE_ADDR="10.1.2.3")
        signed_in.get(PAGE, REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="Firefox")
    finally:
        session_client_changed.disconnect(listen)
    assert changes == [
        ("127.0.0.1", "10.1.2.3", ""),
        ("10.1.2.3", "10.1.2.3", "Firefox"),
    ]
    user_session = UserSession.objects.get()
    assert (user_session.ip, user_session.user_agent) == ("10.1.2.3", "Firefox")
