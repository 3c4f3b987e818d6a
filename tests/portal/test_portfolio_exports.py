"""The portfolio's exports: the CSV of its table and the board report, as a page to
print and as a PDF."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from projects.exports import neutralise
from projects.models import ProjectStatus
from tests.conftest import require
from tests.factories import TeamFactory, UserFactory
from tests.html import page, table_headers, table_rows, text
from tests.portal import portfolio_helpers
from tests.portal.portfolio_helpers import make

pytestmark = pytest.mark.django_db

# The personas, fixtures shared with test_portfolio.py.
executive, owner = portfolio_helpers.executive, portfolio_helpers.owner


def csv_of(client, url):
    return b"".join(client.get(url).streaming_content).decode()


def test_the_csv_export_lists_the_visible_projects_with_their_risks(
    client, executive, owner
):
    make(owner, "Worried", status=ProjectStatus.BLOCKED)
    make(owner, "Calm")
    client.force_login(executive)
    response = client.get(reverse("portal:portfolio_csv"))
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("project,team,step,status,readiness %")
    assert any(
        line.startswith("Worried,") and "owner says blocked" in line for line in lines
    )
    at_risk_only = b"".join(
        client.get(reverse("portal:portfolio_csv") + "?at_risk=1").streaming_content
    ).decode()
    assert "Calm" not in at_risk_only and "Worried" in at_risk_only
    client.force_login(UserFactory())
    assert b"Worried" not in b"".join(
        client.get(reverse("portal:portfolio_csv")).streaming_content
    )


def test_the_csv_names_each_projects_eu_ai_act_tier(client, executive, owner):
    make(owner, "Screener", ai_act_tier="high")
    make(owner, "Unasked")
    client.force_login(executive)
    rows = list(csv.DictReader(io.StringIO(csv_of(client, "/portfolio.csv"))))
    tiers = {row["project"]: row["EU AI Act tier"] for row in rows}
    assert tiers == {"Screener": "High-risk", "Unasked": "Not assessed"}


def test_a_member_sees_only_their_projects_on_the_page_and_in_the_exports(
    client, owner
):
    make(owner, "Mine", status=ProjectStatus.BLOCKED)
    make(UserFactory(), "Theirs", status=ProjectStatus.BLOCKED)
    client.force_login(owner)
    for url in ("/", "/portfolio/report/"):
        body = client.get(url).content.decode()
        assert "Mine" in body and "Theirs" not in body
    assert "Theirs" not in csv_of(client, "/portfolio.csv")


def test_the_csv_is_the_filtered_table_and_neutralises_formulas(
    client, executive, owner
):
    claims = TeamFactory(name="=HYPERLINK(1)")
    make(owner, "=cmd|' /C calc'!A0", team=claims)
    make(owner, "+plus")
    make(owner, "Plain")
    client.force_login(executive)
    text = csv_of(client, f"/portfolio.csv?team={claims.slug}")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2
    assert rows[1][:3] == ["'=cmd|' /C calc'!A0", "'=HYPERLINK(1)", "1"]
    assert "'+plus" in csv_of(client, "/portfolio.csv")


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=1+2", "'=1+2"),
        ("+33 1 23", "'+33 1 23"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("-12.5", "-12.5"),
        ("plain = fine", "plain = fine"),
        ("", ""),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(cell, shown):
    assert neutralise(cell) == shown


def test_the_board_report_page_lists_the_at_risk_projects_with_the_date_and_filters(
    client, executive, owner
):
    claims = TeamFactory(name="Claims")
    make(
        owner,
        "Blocked one",
        team=claims,
        status=ProjectStatus.BLOCKED,
        ai_act_tier="limited",
    )
    make(owner, "Calm one", team=claims)
    client.force_login(executive)
    body = client.get(f"/portfolio/report/?team={claims.slug}").content.decode()
    assert "Blocked one" in body and "owner says blocked" in body
    at_risk = page(body).find(id="r-risk").find_parent("section").find("table")
    assert (
        dict(zip(table_headers(at_risk), table_rows(at_risk)[0], strict=True))[
            "EU AI Act"
        ]
        == "Limited risk"
    )
    assert "Team Claims" in body
    assert timezone.localdate().isoformat() in body
    document = page(body)
    charts = document.select(".report-charts svg[role=img]")
    names = [document.find(id=chart["aria-labelledby"].split()[0]) for chart in charts]
    assert [text(name) for name in names] == [
        "Projects by transition step",
        "Spend by team, per week",
        "Quality trend",
    ]
    funnel, spend, quality = charts
    assert len(funnel.select("rect.bar")) == 8  # the seven steps, then launched
    values = [text(value) for value in funnel.select("text.value")]
    assert values == ["2", "0", "0", "0", "0", "0", "0", "0"]
    assert text(funnel.find("desc")).startswith("Bar chart, 8 bars. 1. ")
    assert "Launched: 0" in text(funnel.find("desc"))
    for empty in (spend, quality):  # nothing spent or measured yet
        assert text(empty.select_one("text.no-data")) == "No data"
    assert "<script>" not in body  # scripts only with the CSP nonce


def test_the_board_report_pdf_renders_with_the_at_risk_projects(
    client, executive, owner
):
    try:
        import weasyprint  # noqa: F401
    except OSError as error:  # pango missing
        require(False, f"WeasyPrint needs Debian's pango libraries: {error}")
    make(owner, "Blocked one", status=ProjectStatus.BLOCKED)
    client.force_login(executive)
    response = client.get("/portfolio/report.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    # Words as a reader sees them: a table cell wraps where the random team name's
    # length puts the column edge, and the extracted text breaks the line there.
    text = " ".join(
        "".join(
            page.extract_text()
            for page in PdfReader(io.BytesIO(response.content)).pages
        ).split()
    )
    assert "Blocked one" in text and "owner says blocked" in text, text
    for chart in ("Projects by transition step", "Spend by team, per week"):
        assert chart in text  # the charts are drawn into the PDF, their text with them


def test_without_pango_the_pdf_says_so_and_the_print_page_still_works(
    client, executive, without_pango
):
    client.force_login(executive)
    response = client.get("/portfolio/report.pdf")
    assert response.status_code == 503
    assert "pango" in response.content.decode()
    assert client.get("/portfolio/report/").status_code == 200
