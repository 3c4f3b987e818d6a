"""A lead connects two billed providers and an observability source to one project (a
local server answers in the providers' published shapes), syncs, and asks the
dashboard's cost tile why it says what it says."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from metrics import services as metric_services
from projects import services
from tests.browser.helpers import page_problems, sign_in
from tests.factories import TeamFactory, UserFactory, approve_requirements
from tests.fake_providers import fake_providers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider_server(settings):
    settings.RUNWAY_CONNECTOR_ALLOWED_HOSTS = ["127.0.0.1"]
    with fake_providers() as base_url:
        yield base_url


@pytest.fixture
def project_with_org_accounts(provider_server):
    """An admin has added the organisation's OpenAI and Anthropic admin keys."""
    owner = UserFactory(email="olive@runway.example", first_name="Olive")
    lead = UserFactory(email="leo@runway.example", first_name="Leo")
    project = services.project_create(
        name="Claims Triage Assistant", team=TeamFactory(), owner=owner, lead=lead
    )
    approve_requirements(project, owner, monthly_budget_usd="2000")
    for kind, name, key in (
        ("openai", "OpenAI organisation", "sk-admin-browser-0001"),
        ("anthropic", "Anthropic organisation", "sk-ant-admin-browser-0002"),
    ):
        metric_services.service_create(
            project=None,
            kind=kind,
            name=name,
            created_by=owner,
            base_url=provider_server,
            credentials={"admin_key": key},
        )
    return project


def map_account(page, live_server, project, provider, option, name):
    page.goto(f"{live_server.url}/projects/{project.slug}/metrics/")
    page.get_by_role("link", name=f"Use the organisation's {provider} account").click()
    page.get_by_role("combobox", name=option[0]).select_option(label=option[1])
    page.get_by_label(re.compile(r"^Name")).fill(name)
    page.get_by_role("button", name="Map this project").click()
    expect(page.get_by_role("cell", name=name).first).to_be_visible()


def test_two_billed_providers_and_langfuse_then_why_this_number(
    live_server, page, provider_server, project_with_org_accounts
):
    project = project_with_org_accounts
    problems = page_problems(page)
    sign_in(page, live_server, "leo@runway.example")

    map_account(
        page,
        live_server,
        project,
        "OpenAI",
        ("OpenAI project", "Claims (proj_claims)"),
        "OpenAI (Claims)",
    )
    map_account(
        page,
        live_server,
        project,
        "Anthropic",
        ("Anthropic workspace", "Claims (wrkspc_claims)"),
        "Anthropic (Claims)",
    )

    page.get_by_role("link", name="Langfuse", exact=True).click()
    page.get_by_label("Base URL").fill(provider_server)
    page.get_by_label("Public key").fill("pk-lf-browser")
    page.get_by_label("Secret key").fill("sk-lf-browser-0003")
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text("Connected:")).to_be_visible()
    # Secrets are never sent back to the browser, so they are typed again to save.
    page.get_by_label("Public key").fill("pk-lf-browser")
    page.get_by_label("Secret key").fill("sk-lf-browser-0003")
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page.get_by_text("Langfuse is connected")).to_be_visible()

    # Each service synced once when connected; sync one again by hand.
    row = (
        page.get_by_role("row")
        .filter(has=page.get_by_role("button", name="Sync now"))
        .filter(has_text="OpenAI (Claims)")
    )
    row.get_by_role("button", name="Sync now").click()
    expect(row.get_by_text("OK", exact=True)).to_be_visible()

    page.goto(f"{live_server.url}/projects/{project.slug}/dashboard/")
    expect(page.get_by_text("Cost this month (billed)")).to_be_visible()
    page.get_by_role("link", name="Why this number: Cost this month (billed)").click()

    expect(page.get_by_role("heading", name="Why this number")).to_contain_text("Cost")
    expect(page.get_by_text("The sum of the providers' own reports")).to_be_visible()
    sources = page.get_by_role("table").first
    for name in ("OpenAI (Claims)", "Anthropic (Claims)"):
        source_row = sources.get_by_role("row").filter(has_text=name)
        expect(source_row).to_contain_text("Billed (provider report)")
        expect(source_row).to_contain_text("Counts")
    # Langfuse's observed cost is not in the billed figure at all.
    expect(sources).not_to_contain_text("Langfuse")
    expect(page.get_by_text("(today, incomplete)")).to_be_visible()
    # Today: OpenAI's $31.25 + Anthropic's $18.50 = $49.75.
    today_row = page.get_by_role("row").filter(has_text="(today, incomplete)")
    expect(today_row).to_contain_text("31.25")
    expect(today_row).to_contain_text("18.5")
    expect(today_row).to_contain_text("49.75")
    assert problems == [], problems
