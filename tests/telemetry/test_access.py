"""/metrics answers only a bearer of the metrics token or an allowed address, with no
session; everyone else gets the 404 of an address that does not exist."""

from __future__ import annotations

import re

import pytest

from tests.telemetry.conftest import TOKEN, URL

pytestmark = pytest.mark.django_db


def get(client, **extra):
    return client.get(URL, **extra)


def test_it_answers_the_right_token_without_a_session(client, token):
    response = get(client, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"runway_alerts_open" in response.content
    assert "sessionid" not in response.cookies
    assert "csrftoken" not in response.cookies


def test_the_scheme_is_not_case_sensitive(client, token):
    assert get(client, HTTP_AUTHORIZATION=f"bearer {token}").status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        None,
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        "Bearer ",
        f"Basic {TOKEN}",
        TOKEN,
    ],
)
def test_it_hides_itself_from_a_missing_or_wrong_token(client, token, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    assert get(client, **extra).status_code == 404


def _masked(response):
    # The page's nonce and CSRF token are new on every response.
    body = re.sub(rb'(nonce="|"X-CSRFToken": ")[^"]+', rb"\1", response.content)
    return response.status_code, sorted(response.headers), body


def test_a_stranger_gets_the_same_404_as_an_unknown_address(client, token):
    hidden = get(client)
    unknown = client.get("/no-such-page")
    assert hidden.status_code == 404
    assert _masked(hidden) == _masked(unknown)


def test_a_strangers_post_gets_404_not_a_csrf_refusal(token):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(URL).status_code == 404


def test_a_scraper_with_the_token_gets_405_for_other_methods(client, token):
    response = client.post(URL, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 405


def test_it_answers_an_allowed_address_or_network(client, settings):
    settings.RUNWAY_METRICS_TOKEN = ""
    settings.RUNWAY_METRICS_ALLOWED_IPS = [
        "10.0.0.5",
        "192.168.10.0/24",
        "2001:db8::/32",
    ]
    for address in ("10.0.0.5", "192.168.10.77", "::ffff:10.0.0.5", "2001:db8::1"):
        assert get(client, REMOTE_ADDR=address).status_code == 200, address


def test_it_hides_itself_from_other_addresses(client, settings):
    settings.RUNWAY_METRICS_TOKEN = ""
    settings.RUNWAY_METRICS_ALLOWED_IPS = ["10.0.0.5", "192.168.10.0/24"]
    for address in ("10.0.0.6", "192.168.11.1", "127.0.0.1", "not-an-ip"):
        assert get(client, REMOTE_ADDR=address).status_code == 404, address


def test_it_ignores_forwarded_for(client, settings):
    settings.RUNWAY_METRICS_TOKEN = ""
    settings.RUNWAY_METRICS_ALLOWED_IPS = ["10.0.0.5"]
    response = get(client, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.0.0.5")
    assert response.status_code == 404


def test_an_invalid_entry_opens_nothing(client, settings):
    settings.RUNWAY_METRICS_TOKEN = ""
    settings.RUNWAY_METRICS_ALLOWED_IPS = ["bogus", ""]
    assert get(client, REMOTE_ADDR="127.0.0.1").status_code == 404


def test_with_nothing_configured_nobody_gets_it(client, settings, admin_user):
    settings.RUNWAY_METRICS_TOKEN = ""
    settings.RUNWAY_METRICS_ALLOWED_IPS = []
    assert get(client).status_code == 404
    assert get(client, HTTP_AUTHORIZATION="Bearer ").status_code == 404
    client.force_login(admin_user)  # being signed in is no way in either
    assert get(client).status_code == 404


def test_a_token_or_an_address_is_enough(client, settings):
    settings.RUNWAY_METRICS_TOKEN = TOKEN
    settings.RUNWAY_METRICS_ALLOWED_IPS = ["10.0.0.5"]
    assert get(client, REMOTE_ADDR="10.0.0.5").status_code == 200
    assert (
        get(
            client, REMOTE_ADDR="10.9.9.9", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
        ).status_code
        == 200
    )
    assert get(client, REMOTE_ADDR="10.9.9.9").status_code == 404


def test_the_checks_name_a_bad_address_and_a_short_token(settings):
    from telemetry.checks import metrics_allowed_ips_check, metrics_token_check

    settings.RUNWAY_METRICS_ALLOWED_IPS = ["10.0.0.0/8", "10.0.0.300"]
    settings.RUNWAY_METRICS_TOKEN = "short"
    assert [e.id for e in metrics_allowed_ips_check()] == ["telemetry.E001"]
    assert [w.id for w in metrics_token_check()] == ["telemetry.W001"]
    settings.RUNWAY_METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    settings.RUNWAY_METRICS_TOKEN = TOKEN
    assert metrics_allowed_ips_check() == metrics_token_check() == []
