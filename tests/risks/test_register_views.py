"""A project's risk register page: suggestions from the library taken in or dismissed,
who sees and may do what, and the CSV download."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from projects.models import ChecklistItem, ItemState, ProjectRole
from risks import services
from risks.models import Risk, RiskStatus
from risks.views import register as register_views
from tests.factories import MembershipFactory, ProjectFactory
from tests.html import page, table_rows, text
from tests.risks.register_helpers import (
    CSV_HEADER,
    buttons,
    flash,
    form_data,
    items_of,
    own_risk,
    register_row,
    register_table,
    section,
    suggestion_with_mitigations,
    suggestions_of,
    url,
)

pytestmark = pytest.mark.django_db


def test_a_new_project_gets_suggestions_from_the_library_and_the_page_lists_them(
    as_, people
):
    project = people["project"]
    suggested = suggestion_with_mitigations(project)
    assert suggested is not None, "the library suggests risks treated by the checklist"

    response = as_(people["owner"]).get(url(project))

    assert response.status_code == 200
    shown = section(response, "suggestions-heading")
    assert f"Suggestions ({suggestions_of(project).count()})" in text(shown)
    entry = shown.find(id=f"risk-{suggested.pk}")
    assert suggested.title in text(entry)
    assert suggested.get_category_display() in text(entry)
    assert suggested.cause in text(entry)
    assert suggested.consequence in text(entry)
    score = suggested.inherent_score
    assert f"{score} {register_views.band(score).label}" in text(entry)
    band = text(entry.find(class_=f"band-{register_views.band(score).name}"))
    assert band == register_views.band(score).label
    for item in suggested.mitigations.select_related("step"):
        assert f"Step {item.step.number} · {item.title}" in text(entry)
    assert buttons(entry) == [
        f"Accept into register : {suggested.title}",
        f"Dismiss : {suggested.title}",
    ]
    assert "No risks in the register yet" in text(page(response))


def test_the_page_says_what_the_register_is_and_offers_a_download(as_, people):
    project = people["project"]
    response = as_(people["viewer"]).get(url(project))

    body = page(response)
    assert "how likely and how bad" in text(body)
    tabs = body.find("nav", attrs={"aria-label": "Project"})
    assert text(tabs.find(attrs={"aria-current": "page"})) == "Risks"
    assert body.find("a", string="Download CSV")["href"] == url(project, "csv")


def test_a_project_with_nothing_suggested_shows_both_empty_states(as_, db):
    project = ProjectFactory()
    owner = MembershipFactory(project=project, role=ProjectRole.OWNER).user

    response = as_(owner).get(url(project))

    body = text(page(response))
    assert "No suggestions waiting" in body
    assert "No risks in the register yet" in body
    empty = page(response).find(class_="empty-state")
    assert empty.find("a", string="Add a risk")["href"] == url(project, "new")


def test_the_owner_accepts_a_suggestion_and_owns_it(as_, people):
    project, owner = people["project"], people["owner"]
    suggested = suggestions_of(project).order_by("title").first()
    client = as_(owner)

    response = client.post(
        url(project, "suggestion", pk=suggested.pk), {"decision": "accept"}
    )

    assert response.status_code == 302
    assert response.url == f"{url(project)}#risk-{suggested.pk}"
    assert any("is in the register" in m for m in flash(response))
    suggested.refresh_from_db()
    assert suggested.status == RiskStatus.OPEN
    assert suggested.owner == owner
    page_after = client.get(url(project))
    row = register_row(page_after, suggested.title)
    assert row is not None
    assert owner.display_name in row
    assert "Open" in row
    assert suggested.title not in text(section(page_after, "suggestions-heading"))


def test_the_lead_dismisses_a_suggestion_and_it_moves_to_the_closed_list(as_, people):
    project = people["project"]
    suggested = suggestions_of(project).order_by("title").first()
    client = as_(people["lead"])

    response = client.post(
        url(project, "suggestion", pk=suggested.pk), {"decision": "dismiss"}
    )

    assert response.status_code == 302
    suggested.refresh_from_db()
    assert suggested.status == RiskStatus.DISMISSED
    page_after = client.get(url(project))
    assert suggested.title not in text(section(page_after, "suggestions-heading"))
    closed = page(page_after).find("details", id="closed")
    assert "Closed and dismissed (1)" in text(closed.find("summary"))
    assert "open" not in closed.attrs
    assert [suggested.title, suggested.get_category_display()] == table_rows(
        closed.find("table")
    )[0][:2]
    assert "Dismissed" in table_rows(closed.find("table"))[0]


@pytest.mark.parametrize("decision", ["", "approve", "ACCEPT"])
def test_an_unknown_decision_is_refused_and_changes_nothing(as_, people, decision):
    project = people["project"]
    suggested = suggestions_of(project).first()

    response = as_(people["owner"]).post(
        url(project, "suggestion", pk=suggested.pk), {"decision": decision}
    )

    assert response.status_code == 400
    suggested.refresh_from_db()
    assert suggested.status == RiskStatus.SUGGESTED
    assert suggested.owner is None


def test_a_risk_already_in_the_register_cannot_be_dismissed(as_, people):
    project = people["project"]
    suggested = suggestions_of(project).first()
    services.suggestion_accept(risk=suggested, owner=people["lead"])

    response = as_(people["owner"]).post(
        url(project, "suggestion", pk=suggested.pk), {"decision": "dismiss"}
    )

    assert response.status_code == 302
    assert "Only a suggested risk can be dismissed." in flash(response)
    suggested.refresh_from_db()
    assert suggested.status == RiskStatus.OPEN
    assert suggested.owner == people["lead"]


# Who may do what


@pytest.mark.parametrize("role", ["contributor", "reviewer", "viewer"])
def test_members_without_the_right_see_the_register_but_no_buttons(as_, people, role):
    project = people["project"]
    own_risk(project, people["owner"])

    response = as_(people[role]).get(url(project))

    assert response.status_code == 200
    body = page(response)
    assert not [b for b in buttons(body) if "Accept" in b or "Dismiss" in b]
    assert not body.find("a", string="Add a risk")
    row = register_table(response).find("tbody").find("tr")
    assert row.find("th").find("a") is None  # the title is not a link to edit
    assert suggestion_with_mitigations(project).title in text(body)


@pytest.mark.parametrize("role", ["contributor", "reviewer", "viewer"])
def test_members_without_the_right_get_403_on_every_write(as_, people, role):
    project = people["project"]
    suggested = suggestions_of(project).first()
    risk = own_risk(project, people["owner"])
    client = as_(people[role])

    assert client.get(url(project, "new")).status_code == 403
    assert client.post(url(project, "new"), form_data()).status_code == 403
    assert client.get(url(project, "edit", pk=risk.pk)).status_code == 403
    edited = client.post(
        url(project, "edit", pk=risk.pk), form_data(risk, title="Renamed")
    )
    assert edited.status_code == 403
    decided = client.post(
        url(project, "suggestion", pk=suggested.pk), {"decision": "accept"}
    )
    assert decided.status_code == 403
    suggested.refresh_from_db()
    risk.refresh_from_db()
    assert suggested.status == RiskStatus.SUGGESTED
    assert risk.title == "Agent loops on the refund tool"
    assert Risk.objects.filter(project=project, source__isnull=True).count() == 1


def test_every_member_may_download_the_csv(as_, people):
    response = as_(people["viewer"]).get(url(people["project"], "csv"))
    assert response.status_code == 200


def test_outsiders_get_404_everywhere(as_, people):
    project = people["project"]
    suggested = suggestions_of(project).first()
    risk = own_risk(project, people["owner"])
    client = as_(people["outsider"])

    for target in (
        url(project),
        url(project, "csv"),
        url(project, "new"),
        url(project, "edit", pk=risk.pk),
    ):
        assert client.get(target).status_code == 404, target
    decided = client.post(
        url(project, "suggestion", pk=suggested.pk), {"decision": "dismiss"}
    )
    assert decided.status_code == 404
    suggested.refresh_from_db()
    assert suggested.status == RiskStatus.SUGGESTED


def test_a_risk_of_another_project_is_not_found(as_, people):
    project, owner = people["project"], people["owner"]
    other = ProjectFactory()
    MembershipFactory(project=other, user=owner, role=ProjectRole.OWNER)
    theirs = own_risk(other, owner, title="Another project's risk")
    client = as_(owner)

    assert client.get(url(project, "edit", pk=theirs.pk)).status_code == 404
    posted = client.post(url(project, "edit", pk=theirs.pk), form_data(theirs))
    assert posted.status_code == 404
    decided = client.post(
        url(project, "suggestion", pk=theirs.pk), {"decision": "dismiss"}
    )
    assert decided.status_code == 404


def test_wrong_methods_are_refused(as_, people):
    project = people["project"]
    suggested = suggestions_of(project).first()
    client = as_(people["owner"])

    assert client.get(url(project, "suggestion", pk=suggested.pk)).status_code == 405
    assert client.post(url(project)).status_code == 405
    assert client.post(url(project, "csv")).status_code == 405


def test_a_decision_without_the_csrf_token_is_refused(people):
    project = people["project"]
    suggested = suggestions_of(project).first()
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["owner"])

    response = client.post(
        url(project, "suggestion", pk=suggested.pk), {"decision": "accept"}
    )

    assert response.status_code == 403
    suggested.refresh_from_db()
    assert suggested.status == RiskStatus.SUGGESTED


# Adding and editing a risk


def test_the_register_page_queries_do_not_grow_with_the_risks(as_, people):
    project = people["project"]
    items = items_of(project, 3)
    client = as_(people["owner"])
    client.get(url(project))  # the session's and the bell's first-visit queries

    def queries_with(count):
        Risk.objects.filter(project=project, source__isnull=True).delete()
        for n in range(count):
            own_risk(project, people["lead"], title=f"Risk {n}", mitigations=items)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(project)).status_code == 200
        return len(ctx.captured_queries)

    assert queries_with(10) == queries_with(2)


# The CSV download


def test_the_csv_holds_the_register_and_not_the_suggestions(as_, people):
    project, owner = people["project"], people["owner"]
    taken, turned_down, *waiting = suggestions_of(project).order_by("title")
    services.suggestion_accept(risk=taken, owner=owner)
    services.suggestion_dismiss(risk=turned_down)
    first, second = items_of(project, 2)
    ChecklistItem.objects.filter(pk=first.pk).update(state=ItemState.DONE)
    mine = own_risk(
        project,
        owner,
        title='=HYPERLINK("http://evil.example")',
        cause="Tool calls repeat",
        consequence="Refunds paid twice",
        review_date=date(2031, 2, 28),
        indicator="errors_over_target",
        mitigations=[first, second],
    )
    closed = own_risk(project, owner, title="Old risk")
    services.risk_update(risk=closed, status=RiskStatus.CLOSED)

    response = as_(people["viewer"]).get(url(project, "csv"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        f'attachment; filename="{project.slug}-risks.csv"'
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == CSV_HEADER
    titles = [row[0] for row in rows[1:]]
    assert sorted(titles) == sorted([taken.title, "'" + mine.title, "Old risk"])
    assert turned_down.title not in titles
    assert not {w.title for w in waiting} & set(titles)
    by_title = {row[0]: dict(zip(CSV_HEADER, row, strict=True)) for row in rows[1:]}
    assert by_title["'" + mine.title] == {
        "Title": "'" + mine.title,
        "Category": "Availability",
        "Status": "Open",
        "Owner": owner.display_name,
        "Cause": "Tool calls repeat",
        "Consequence": "Refunds paid twice",
        "Inherent likelihood": "3",
        "Inherent impact": "4",
        "Inherent score": "12",
        "Residual likelihood": "2",
        "Residual impact": "3",
        "Residual score": "6",
        "Treatment": "Mitigate",
        "Review date": "2031-02-28",
        "Mitigations": f"{first.title} (done); {second.title} (open)",
        "Indicator": "Error rate over its target",
    }
    assert by_title["Old risk"]["Status"] == "Closed"
