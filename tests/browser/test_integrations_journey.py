"""A project's lead sends its alerts to Slack: from the Metrics tab to the channels
page, adds a Slack incoming webhook (a local server stands in for Slack, its loopback
address allow-listed as an admin would allow-list an internal host), sends a test and
sees it delivered in the log, without the address ever shown again."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from projects import services
from tests.browser.helpers import page_problems, sign_in
from tests.factories import TeamFactory, UserFactory
from tests.integrations.conftest import receiver  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lead_adds_a_slack_webhook_and_sends_a_test(live_server, page, receiver):  # noqa: F811
    problems = page_problems(page)
    owner = UserFactory(first_name="Olive")
    lead = UserFactory(email="lead@runway.example", first_name="Leo", last_name="Lead")
    project = services.project_create(
        name="Support Copilot", team=TeamFactory(name="Support"), owner=owner, lead=lead
    )

    sign_in(page, live_server, "lead@runway.example")
    page.goto(f"{live_server.url}/projects/{project.slug}/")
    page.get_by_role("navigation", name="Project").get_by_role(
        "link", name="Metrics"
    ).click()
    page.get_by_role("link", name="Notification channels").click()
    expect(page.get_by_role("heading", name="Notification channels")).to_be_visible()
    expect(page.get_by_text("No channel yet")).to_be_visible()

    page.get_by_label("Kind").select_option(label="Slack")
    page.get_by_label("Name").fill("#copilot-alerts")
    page.get_by_label("Webhook address").fill(receiver.url)
    expect(page.get_by_label("Alerts opened")).to_be_checked()
    # Spend figures are the owner's call; the lead sees the switch, greyed out.
    expect(page.get_by_label("Include spend figures")).to_be_disabled()
    page.get_by_role("button", name="Add channel").click()

    expect(
        page.get_by_role("heading", name=re.compile("#copilot-alerts"))
    ).to_be_visible()
    expect(page.get_by_text("Send a test to check that it arrives")).to_be_visible()
    assert "secret-part" not in page.content()
    expect(page.get_by_text("Nothing sent yet")).to_be_visible()

    page.get_by_role("button", name="Send test").click()
    log = page.get_by_role("region", name="Delivery log table")
    expect(log).to_contain_text("Delivered")
    expect(log).to_contain_text("HTTP 200")
    expect(log).to_contain_text(re.compile(r"\d+ ms"))

    (request,) = receiver.requests
    payload = json.loads(request.body)
    assert "a test message from Runway, sent by Leo Lead" in payload["text"]
    assert "Open in Runway" in payload["blocks"][0]["text"]["text"]

    page.get_by_role("link", name="Notification channels").click()
    row = page.get_by_role("row", name=re.compile("#copilot-alerts"))
    expect(row).to_contain_text("Slack")
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("127.0.0.1/…part")
    assert problems == []
