"""Framework coverage by what is on the screen: a compliance reviewer opens a
project's Controls tab, reads HIPAA's coverage, finds the controls still open and
the evidence behind a met one, downloads the statement of applicability, and sees
the same figure on the portfolio's coverage page."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from controls.services import import_shipped
from projects import services
from projects.models import ChecklistItem, Framework, ProjectRole
from tests.browser.helpers import page_problems, sign_in
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_reads_hipaa_coverage_and_downloads_the_statement(live_server, page):
    problems = page_problems(page)
    import_shipped()
    owner = UserFactory(first_name="Olive")
    reviewer = UserFactory(
        email="reviewer@runway.example", first_name="Rae", last_name="Viewer"
    )
    project = services.project_create(
        name="Claims Triage Assistant",
        team=TeamFactory(name="Claims"),
        owner=owner,
        data_classification="regulated",
        frameworks=Framework.objects.filter(code="hipaa"),
    )
    MembershipFactory(project=project, user=reviewer, role=ProjectRole.REVIEWER)
    for key in ("s3-encryption-at-rest", "s5-secrets-manager"):
        item = ChecklistItem.objects.get(project=project, template__key=key)
        services.item_set_state(item=item, state="done", actor=owner)
        services.evidence_add(item=item, actor=owner, url=f"https://wiki.example/{key}")

    sign_in(page, live_server, "reviewer@runway.example")
    page.goto(f"{live_server.url}/projects/{project.slug}/")
    page.get_by_role("link", name="Controls", exact=True).click()
    coverage = page.get_by_role("region", name="Coverage per framework")
    hipaa_row = coverage.get_by_role("row", name=re.compile("^HIPAA"))
    expect(hipaa_row).to_contain_text("2013")
    expect(hipaa_row).to_contain_text(re.compile(r"\d+%"))

    hipaa_row.get_by_role("link", name="HIPAA", exact=True).click()
    expect(page.get_by_role("heading", name="HIPAA Security Rule")).to_be_visible()
    page.get_by_label("Status").select_option(label="Met")
    page.get_by_role("button", name="Filter").click()
    met = page.get_by_role("row", name=re.compile("Encryption and decryption"))
    expect(met).to_contain_text("Met")
    expect(
        met.get_by_role("link", name="https://wiki.example/s3-encryption-at-rest")
    ).to_be_visible()
    page.get_by_label("Status").select_option(label="Open")
    page.get_by_role("button", name="Filter").click()
    expect(
        page.get_by_role("row", name=re.compile("Encryption and decryption"))
    ).to_have_count(0)
    expect(page.get_by_role("row", name=re.compile("Risk analysis"))).to_contain_text(
        "Open"
    )

    with page.expect_download() as download:
        page.get_by_role("link", name="Statement of applicability, CSV").click()
    assert download.value.suggested_filename == (
        "claims-triage-assistant-hipaa-statement-of-applicability.csv"
    )
    with open(download.value.path(), encoding="utf-8") as handle:
        rows = list(csv.reader(io.StringIO(handle.read())))
    assert rows[0][:4] == ["Reference", "Group", "Control", "Applicable"]
    by_ref = {row[0]: row for row in rows[1:]}
    assert by_ref["164.312(a)(2)(iv)"][4] == "Met"
    assert "https://wiki.example/s5-secrets-manager" in by_ref["164.312(a)(2)(iv)"][7]

    page.goto(f"{live_server.url}/portfolio/controls/")
    projects_table = page.get_by_role(
        "region", name="Coverage by project and framework"
    )
    expect(
        projects_table.get_by_role("row", name=re.compile("Claims Triage Assistant"))
    ).to_contain_text("%")
    assert problems == []
