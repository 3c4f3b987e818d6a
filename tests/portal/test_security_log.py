"""Sign-ins and refusals leave structured JSON lines on "runway.security", never secrets."""

from __future__ import annotations

import json
import logging

import pytest
from django.urls import reverse

from portal.logging import JsonFormatter
from tests.factories import TEST_PASSWORD

WRONG_PASSWORD = "not-the-password-but-still-a-secret-7"


@pytest.fixture
def log(caplog):
    # Everything that reaches the root handler, so a secret cannot hide in another logger.
    caplog.set_level(logging.DEBUG)
    return caplog


def formatted(caplog) -> list[str]:
    formatter = JsonFormatter()
    return [formatter.format(record) for record in caplog.records]


def security_events(caplog, event: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "runway.security" and getattr(r, "event", None) == event
    ]


def sign_in(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_it_renders_a_record_as_one_json_object_on_one_line():
    record = logging.makeLogRecord(
        {
            "name": "runway.security",
            "levelno": logging.WARNING,
            "levelname": "WARNING",
            "msg": 'forged\n{"event": "auth.login"}',
            "event": "access.denied",
            "user_id": 7,
        }
    )

    line = JsonFormatter().format(record)

    assert "\n" not in line
    payload = json.loads(line)
    assert payload["event"] == "access.denied"
    assert payload["user_id"] == 7
    assert payload["level"] == "warning"
    assert payload["logger"] == "runway.security"
    assert payload["message"] == 'forged\n{"event": "auth.login"}'


def test_it_logs_a_successful_sign_in_with_the_user_id(client, pm, log):
    response = sign_in(client, pm.email, TEST_PASSWORD)

    assert response.status_code == 302
    [record] = security_events(log, "auth.login")
    payload = json.loads(JsonFormatter().format(record))
    assert payload["event"] == "auth.login"
    assert payload["user_id"] == pm.pk
    assert payload["level"] == "info"
    assert TEST_PASSWORD not in "".join(formatted(log))


def test_it_logs_a_failed_sign_in_with_the_email_and_never_the_password(
    client, pm, log
):
    response = sign_in(client, pm.email, WRONG_PASSWORD)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    [record] = security_events(log, "auth.login_failed")
    payload = json.loads(JsonFormatter().format(record))
    assert payload["email"] == pm.email
    assert payload["level"] == "warning"
    assert not security_events(log, "auth.login")
    lines = formatted(log)
    assert lines
    for line in lines:
        json.loads(line)
        assert WRONG_PASSWORD not in line
        assert TEST_PASSWORD not in line


def test_it_logs_an_outsider_opening_a_project_as_denied_with_404(
    client, outsider, project, log
):
    client.force_login(outsider)

    response = client.get(f"/projects/{project.slug}/")

    assert response.status_code == 404
    [record] = security_events(log, "access.denied")
    payload = json.loads(JsonFormatter().format(record))
    assert payload["outcome"] == 404
    assert payload["user_id"] == outsider.pk
    assert payload["project"] == project.slug


def test_it_logs_a_forbidden_page_as_denied_with_403(client, pm, log):
    client.force_login(pm)

    response = client.get("/manage/people/")

    assert response.status_code == 403
    [record] = security_events(log, "access.denied")
    payload = json.loads(JsonFormatter().format(record))
    assert payload["outcome"] == 403
    assert payload["user_id"] == pm.pk
    assert payload["path"] == "/manage/people/"
    assert payload["method"] == "GET"
