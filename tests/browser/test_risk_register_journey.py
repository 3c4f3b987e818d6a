"""The risk register by what is on the screen: a PM creates a project, takes a
suggested risk into its register, links the checklist items that treat it, finds it
cannot be called mitigated while they are open, answers the EU AI Act questions, and
asks for a high residual risk to be accepted; an executive accepts it, the
project's "at risk" reason goes, and the executive downloads the audit pack."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from projects.roles import GlobalRole
from risks.models import Risk, RiskStatus
from tests.browser.helpers import page_problems, sign_in
from tests.conftest import require
from tests.factories import TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_pm_keeps_a_register_and_an_executive_accepts_a_high_risk(live_server, page):
    problems = page_problems(page)
    TeamFactory(name="Claims Operations")
    UserFactory(
        email="pm@runway.example",
        first_name="Priya",
        last_name="Manager",
        roles=[GlobalRole.PRODUCT_MANAGER],
    )
    UserFactory(
        email="exec@runway.example",
        first_name="Erin",
        last_name="Executive",
        roles=[GlobalRole.EXECUTIVE],
    )

    sign_in(page, live_server, "pm@runway.example")
    page.goto(live_server.url + "/projects/new/")
    page.get_by_label("Name").fill("Refund Agent")
    page.get_by_label("Team").select_option(label="Claims Operations")
    page.get_by_label("Use case").select_option(label="Agent")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", name="Refund Agent")).to_be_visible()

    page.get_by_role("link", name="Risks", exact=True).click()
    suggestions = page.get_by_role("region", name="Suggested risks")
    expect(suggestions).to_contain_text("Agent")  # agent-only risks are suggested
    register = page.get_by_role("heading", name=re.compile(r"In the register \(0\)"))
    expect(register).to_be_visible()

    title = "Agent loops and retries burn tokens without limit"
    risk = Risk.objects.get(project__slug="refund-agent", title=title)
    assert risk.status == RiskStatus.SUGGESTED
    page.get_by_role(
        "button", name=re.compile(rf"^Accept into register\W+{re.escape(title)}$")
    ).click()
    expect(
        page.get_by_role("heading", name=re.compile(r"In the register \(1\)"))
    ).to_be_visible()
    table = page.get_by_role("region", name="Risk register table")
    expect(table.get_by_role("row", name=re.compile(title))).to_contain_text(
        "Priya Manager"
    )

    # Judge it after treatment, link one more checklist item, then try to call it
    # mitigated while its items are open.
    risk.refresh_from_db()
    before = risk.residual_score  # the library's rating, until the owner judges
    assert before != 15
    table.get_by_role("link", name=title).click()
    page.get_by_label("Residual likelihood").select_option(label="3 · Possible")
    page.get_by_label("Residual impact").select_option(label="5 · Severe")
    least_privilege = page.get_by_role(
        "checkbox", name=re.compile("least privilege", re.IGNORECASE)
    )
    if not least_privilege.is_visible():  # its step's group opens when one is linked
        page.locator("summary", has_text=re.compile(r"^Step 3 ·")).click()
    expect(least_privilege).not_to_be_checked()
    least_privilege.check()
    page.get_by_label("Status").select_option(label="Mitigated")
    page.get_by_role("button", name="Save risk").click()
    expect(
        page.get_by_text(re.compile("Not mitigated while its mitigations are open"))
    ).to_be_visible()
    risk.refresh_from_db()
    assert (risk.status, risk.residual_score) == (RiskStatus.OPEN, before)
    assert not risk.mitigations.filter(title__icontains="least privilege").exists()

    page.get_by_label("Status").select_option(label="Open")
    page.get_by_role("button", name="Save risk").click()
    expect(page.get_by_role("region", name="Risk register table")).to_contain_text("15")
    risk.refresh_from_db()
    assert (risk.residual_score, risk.status) == (15, RiskStatus.OPEN)
    assert risk.mitigations.filter(title__icontains="least privilege").exists()

    # The EU AI Act questions: customers talk to it, nothing else applies.
    page.get_by_role("link", name="AI Act", exact=True).click()
    expect(
        page.get_by_text(re.compile("not legal advice", re.IGNORECASE))
    ).to_be_visible()

    def group(name):
        return page.get_by_role("group", name=re.compile(re.escape(name)))

    group("Who uses it?").get_by_label("Customers").check()
    page.get_by_label("What is it for?").fill(
        "Approves or refuses small refunds for customers of the web shop."
    )
    group("(Article 5)").get_by_label("None of these").check()
    group("(Annex I)").get_by_label("No").check()
    group("(Annex III)").get_by_label("None of these").check()
    group("Does it profile people?").get_by_label("No").check()
    group("(Article 50)").get_by_label("People interact with it directly").check()
    page.get_by_role("button", name="Classify the project").click()
    expect(
        page.get_by_role("heading", name="EU AI Act tier: Limited risk")
    ).to_be_visible()
    expect(page.get_by_text(re.compile(r"50\(1\)")).first).to_be_visible()

    # The overview now says why the project is at risk.
    page.get_by_role("link", name="Overview").click()
    expect(page.get_by_text("high residual risk not accepted")).to_be_visible()

    # Ask an executive to accept it for a while.
    page.get_by_role("link", name="Risks", exact=True).click()
    page.get_by_role("region", name="Risk register table").get_by_role(
        "link", name=title
    ).click()
    page.get_by_role("link", name="Ask an executive to accept this risk").click()
    page.get_by_label("Reason").fill(
        "Refunds above 50 EUR still need a person's approval during the pilot."
    )
    page.get_by_role("button", name="Ask the executives").click()
    expect(
        page.get_by_text(re.compile("executives", re.IGNORECASE)).first
    ).to_be_visible()

    # The executive accepts it from the same page.
    page.context.clear_cookies()
    sign_in(page, live_server, "exec@runway.example")
    page.get_by_role("link", name="My work").click()
    page.get_by_role("link", name=title).first.click()
    page.get_by_role("button", name=re.compile(r"^Accept until")).click()
    expect(
        page.get_by_text(re.compile("accepted", re.IGNORECASE)).first
    ).to_be_visible()
    risk.refresh_from_db()
    assert risk.status == RiskStatus.ACCEPTED

    page.goto(live_server.url + "/projects/refund-agent/")
    expect(page.get_by_text("high residual risk not accepted")).to_have_count(0)

    # One click gives the audit pack: the PDF, inside a ZIP with the evidence.
    try:
        import weasyprint  # noqa: F401
    except OSError as error:  # pango missing
        require(False, f"The audit pack's PDF needs Debian's pango libraries: {error}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Audit pack, ZIP with evidence").click()
    assert re.fullmatch(
        r"refund-agent-audit-pack-\d{4}-\d{2}-\d{2}\.zip",
        download.value.suggested_filename,
    )
    archive = zipfile.ZipFile(download.value.path())
    assert {"audit-pack.pdf", "evidence/index.csv"} <= set(archive.namelist())
    reader = PdfReader(io.BytesIO(archive.read("audit-pack.pdf")))
    said = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "Audit pack: Refund Agent" in said
    assert title in said and "Accepted by Erin Executive" in said
    assert "Limited risk, from the answers of Priya Manager" in said
    page.get_by_role("link", name="Activity").click()
    expect(
        page.get_by_text("made the audit pack (ZIP with the evidence files)")
    ).to_be_visible()
    assert problems == []
