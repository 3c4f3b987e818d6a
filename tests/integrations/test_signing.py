"""Signed webhooks: a receiver that follows the recipe in docs/integrations.md verifies
Runway's real deliveries, and rejects a tampered body or an old timestamp."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from integrations import signing
from integrations.models import Delivery

DOCS = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"


def documented_recipe():
    """The receiver's check, executed exactly as the documentation prints it."""
    text = DOCS.read_text()
    block = re.search(
        r"<!-- verify-recipe:start -->\s*```python\n(.*?)```\s*<!-- verify-recipe:end -->",
        text,
        re.DOTALL,
    )
    assert block, "docs/integrations.md lost its verification recipe"
    namespace: dict = {}
    exec(block.group(1), namespace)
    return namespace["runway_signature_is_valid"]


def test_a_signature_covers_the_timestamp_and_the_body():
    body = b'{"id":"1"}'
    header = signing.signature_header("whsec_x", 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=")
    assert signing.verify("whsec_x", header, body, now=1_700_000_100)
    assert not signing.verify("whsec_x", header, body + b" ", now=1_700_000_100)
    assert not signing.verify("whsec_y", header, body, now=1_700_000_100)
    assert not signing.verify("whsec_x", header, body, now=1_700_000_000 + 301)
    assert not signing.verify("whsec_x", "v1=abc", body, now=1_700_000_000)


def test_new_secrets_are_long_and_different():
    first, second = signing.new_secret(), signing.new_secret()
    assert first != second
    assert first.startswith("whsec_") and len(first) > 40


@pytest.fixture
def delivered(make_channel, receiver, owner, django_capture_on_commit_callbacks):
    from integrations import queue_services

    channel = make_channel("webhook")
    with django_capture_on_commit_callbacks(execute=True):
        queue_services.channel_test(channel=channel, actor=owner)
    assert len(receiver.requests) == 1
    return channel, receiver.requests[0]


def test_a_receiver_following_the_documented_recipe_verifies_a_delivery(delivered):
    channel, request = delivered
    is_valid = documented_recipe()
    assert is_valid(
        channel.secret_shown, request.headers["X-Runway-Signature"], request.body
    )
    delivery = Delivery.objects.get(channel=channel)
    assert request.headers["X-Runway-Delivery"] == str(delivery.uuid)
    assert request.headers["X-Runway-Event"] == "test"
    assert request.headers["Content-Type"] == "application/json"
    payload = json.loads(request.body)
    assert payload["id"] == str(delivery.uuid)
    assert payload["type"] == "test"
    assert payload["project"]["name"] == "Support Copilot"
    assert payload["url"].endswith(f"/projects/{channel.project.slug}/channels/")


def test_the_recipe_rejects_a_tampered_body_another_secret_and_an_old_timestamp(
    delivered,
):
    channel, request = delivered
    is_valid = documented_recipe()
    header = request.headers["X-Runway-Signature"]
    tampered = request.body.replace(b"Support Copilot", b"Support Capilot")
    assert not is_valid(channel.secret_shown, header, tampered)
    assert not is_valid("whsec_someone-else", header, request.body)
    old = signing.signature_header(
        channel.secret_shown, int(time.time()) - 6 * 60, request.body
    )
    assert not is_valid(channel.secret_shown, old, request.body)
    assert not is_valid(channel.secret_shown, "t=nonsense,v1=00", request.body)


def test_a_new_secret_signs_from_then_on_and_the_old_one_no_longer_verifies(
    make_channel, receiver, owner, django_capture_on_commit_callbacks
):
    from integrations import queue_services, services

    channel = make_channel("webhook")
    old_secret = channel.secret_shown
    new_secret = services.signing_secret_rotate(channel=channel)
    assert new_secret != old_secret
    with django_capture_on_commit_callbacks(execute=True):
        queue_services.channel_test(channel=channel, actor=owner)
    request = receiver.requests[-1]
    is_valid = documented_recipe()
    header = request.headers["X-Runway-Signature"]
    assert is_valid(new_secret, header, request.body)
    assert not is_valid(old_secret, header, request.body)


def test_the_recipe_says_no_to_a_signature_with_non_ascii_characters(delivered):
    channel, request = delivered
    is_valid = documented_recipe()
    timestamp = int(time.time())
    for header in (f"t={timestamp},v1=é", f"t={timestamp},v1=∂∂∂", "t=١٢٣,v1=00"):
        assert is_valid(channel.secret_shown, header, request.body) is False
        assert not signing.verify(
            channel.secret_shown, header, request.body, now=timestamp
        )
