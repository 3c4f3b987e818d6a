"""Adding and judging a risk: the form, the rules of "mitigated" and "accepted", the
acceptances history, unchanged saves and live indicator flags."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from projects.models import ChecklistItem, ItemState
from risks import services
from risks.models import AcceptanceStatus, Risk, RiskStatus, Treatment
from tests.factories import ProjectFactory, UserFactory
from tests.html import page, table_headers, table_rows, text
from tests.projects.test_forms_keep_their_dates import _submit_unchanged
from tests.risks.register_helpers import (
    error_summary,
    flash,
    form_data,
    items_of,
    own_risk,
    register_row,
    section,
    suggestions_of,
    url,
)

pytestmark = pytest.mark.django_db


def test_the_form_offers_words_for_the_scale_members_as_owners_and_items_by_step(
    as_, people
):
    project = people["project"]
    response = as_(people["owner"]).get(url(project, "new"))

    body = page(response)
    likelihood = body.find("select", attrs={"name": "inherent_likelihood"})
    assert "4 · Likely" in [text(o) for o in likelihood.find_all("option")]
    impact = body.find("select", attrs={"name": "residual_impact"})
    assert "5 · Severe" in [text(o) for o in impact.find_all("option")]
    owners = [text(o) for o in body.find("select", attrs={"name": "owner"})("option")]
    assert people["lead"].display_name in owners
    assert people["viewer"].display_name in owners
    assert people["outsider"].display_name not in owners
    status = body.find("select", attrs={"name": "status"})
    assert status is None  # a new risk starts open
    first = items_of(project, 1)[0]
    box = body.find("input", attrs={"name": "mitigations", "value": str(first.pk)})
    assert first.title in text(box.find_parent("label"))
    group = box.find_parent("details")
    assert (
        text(group.find("summary")) == f"Step {first.step.number} · {first.step.name}"
    )
    assert body.find("input", attrs={"name": "review_date"})["type"] == "date"


def test_the_owner_adds_a_risk_with_mitigations(as_, people):
    project, owner, lead = people["project"], people["owner"], people["lead"]
    first, second = items_of(project, 2)
    ChecklistItem.objects.filter(pk=first.pk).update(state=ItemState.DONE)
    client = as_(owner)

    response = client.post(
        url(project, "new"),
        form_data(
            owner=str(lead.pk),
            review_date="2031-03-31",
            indicator="quality_below_target",
            mitigations=[str(first.pk), str(second.pk)],
        ),
    )

    risk = Risk.objects.get(project=project, title=form_data()["title"])
    assert response.status_code == 302
    assert response.url == f"{url(project)}#risk-{risk.pk}"
    assert risk.status == RiskStatus.OPEN
    assert risk.owner == lead
    assert (risk.inherent_score, risk.residual_score) == (20, 10)
    assert risk.review_date == date(2031, 3, 31)
    assert set(risk.mitigations.all()) == {first, second}
    row = register_row(client.get(url(project)), risk.title)
    assert row[1:4] == ["Privacy and PII exposure", lead.display_name, "20 Critical"]
    assert row[4] == "10 High"
    assert row[5:7] == ["Mitigate", "Open"]
    assert row[7].startswith("1 of 2 done mitigations open")
    assert row[8] == "2031-03-31"
    assert row[9] == "Quality score below its target"


def test_a_risk_needs_a_title_and_an_owner_from_the_members(as_, people):
    project = people["project"]
    before = Risk.objects.count()

    response = as_(people["owner"]).post(
        url(project, "new"), form_data(title="", owner=str(people["outsider"].pk))
    )

    assert response.status_code == 200
    summary = error_summary(response)
    assert "Title: This field is required." in summary
    assert "Owner: Select a valid choice." in summary
    assert Risk.objects.count() == before


def test_a_mitigation_from_another_project_is_refused(as_, people):
    project = people["project"]
    other = ProjectFactory()
    foreign = ChecklistItem.objects.create(
        project=other, step=items_of(project, 1)[0].step, title="Someone else's item"
    )
    before = Risk.objects.count()

    response = as_(people["owner"]).post(
        url(project, "new"), form_data(mitigations=[str(foreign.pk)])
    )

    assert response.status_code == 200
    assert "Mitigations: Select a valid choice." in error_summary(response)
    assert Risk.objects.count() == before


def test_the_lead_edits_a_risk_and_returns_to_its_row(as_, people):
    project = people["project"]
    risk = own_risk(project, people["owner"])
    item = items_of(project, 1)[0]

    response = as_(people["lead"]).post(
        url(project, "edit", pk=risk.pk),
        form_data(
            risk,
            residual_likelihood="1",
            treatment=Treatment.TRANSFER,
            status=RiskStatus.CLOSED,
            mitigations=[str(item.pk)],
        ),
    )

    assert response.status_code == 302
    assert response.url == f"{url(project)}#risk-{risk.pk}"
    assert any("saved" in m for m in flash(response))
    risk.refresh_from_db()
    assert (risk.residual_likelihood, risk.treatment, risk.status) == (
        1,
        Treatment.TRANSFER,
        RiskStatus.CLOSED,
    )
    assert list(risk.mitigations.all()) == [item]


def test_a_risk_is_not_mitigated_while_a_mitigation_is_open(as_, people):
    project = people["project"]
    done, still_open = items_of(project, 2)
    ChecklistItem.objects.filter(pk=done.pk).update(state=ItemState.DONE)
    risk = own_risk(project, people["owner"], mitigations=[done, still_open])
    client = as_(people["owner"])

    response = client.post(
        url(project, "edit", pk=risk.pk),
        form_data(risk, title="Renamed meanwhile", status=RiskStatus.MITIGATED),
    )

    assert response.status_code == 200
    summary = error_summary(response)
    assert "Not mitigated while its mitigations are open" in summary
    assert still_open.title in summary
    assert done.title not in summary
    risk.refresh_from_db()
    assert risk.status == RiskStatus.OPEN
    assert risk.title == "Agent loops on the refund tool"
    headings = [text(h) for h in page(response).find_all("h2")]
    assert (
        "Agent loops on the refund tool" in headings
    )  # the saved title, not the typed one
    # The form keeps what was typed, to fix and send again.
    assert page(response).find("input", attrs={"name": "title"})["value"] == (
        "Renamed meanwhile"
    )

    ChecklistItem.objects.filter(pk=still_open.pk).update(
        state=ItemState.NOT_APPLICABLE
    )
    again = client.post(
        url(project, "edit", pk=risk.pk), form_data(risk, status=RiskStatus.MITIGATED)
    )
    assert again.status_code == 302
    risk.refresh_from_db()
    assert risk.status == RiskStatus.MITIGATED


def test_unlinking_mitigations_in_the_same_save_is_not_saved_when_refused(as_, people):
    project = people["project"]
    item = items_of(project, 1)[0]
    risk = own_risk(project, people["owner"], mitigations=[item])

    response = as_(people["owner"]).post(
        url(project, "edit", pk=risk.pk),
        form_data(risk, status=RiskStatus.MITIGATED, mitigations=[]),
    )

    assert response.status_code == 200
    assert "Link the checklist items" in error_summary(response)
    assert list(risk.mitigations.all()) == [item]


def test_a_mitigated_risk_whose_item_reopened_says_mitigations_open(as_, people):
    project = people["project"]
    item = items_of(project, 1)[0]
    ChecklistItem.objects.filter(pk=item.pk).update(state=ItemState.DONE)
    item.refresh_from_db()
    risk = own_risk(project, people["owner"], mitigations=[item])
    services.risk_update(risk=risk, status=RiskStatus.MITIGATED)
    ChecklistItem.objects.filter(pk=item.pk).update(state=ItemState.OPEN)

    response = as_(people["viewer"]).get(url(project))

    row = register_row(response, risk.title)
    assert row[6] == "Mitigated"
    assert row[7].startswith("0 of 1 done mitigations open")


def test_accepting_a_high_residual_risk_points_to_an_executive(as_, people):
    project = people["project"]
    risk = own_risk(project, people["owner"], residual_likelihood=4, residual_impact=4)
    client = as_(people["owner"])

    response = client.post(
        url(project, "edit", pk=risk.pk), form_data(risk, status=RiskStatus.ACCEPTED)
    )

    assert response.status_code == 200
    summary = error_summary(response)
    assert "A residual score of 16 is at or above 15" in summary
    assert "executive's sign-off" in summary
    risk.refresh_from_db()
    assert (risk.status, risk.treatment) == (RiskStatus.OPEN, Treatment.MITIGATE)
    link = page(response).find("a", string="Ask an executive to accept this risk")
    assert link["href"] == url(project, "acceptance_request", pk=risk.pk)


def test_the_owner_accepts_a_risk_below_the_threshold_without_an_executive(as_, people):
    project = people["project"]
    risk = own_risk(project, people["owner"], residual_likelihood=2, residual_impact=3)
    client = as_(people["owner"])

    edit_page = client.get(url(project, "edit", pk=risk.pk))
    assert not page(edit_page).find("a", string="Ask an executive to accept this risk")
    response = client.post(
        url(project, "edit", pk=risk.pk), form_data(risk, status=RiskStatus.ACCEPTED)
    )

    assert response.status_code == 302
    risk.refresh_from_db()
    assert (risk.status, risk.treatment) == (RiskStatus.ACCEPTED, Treatment.ACCEPT)


def test_the_edit_page_shows_the_acceptances_history(as_, people, executive):
    project, owner = people["project"], people["owner"]
    risk = own_risk(project, owner, residual_likelihood=5, residual_impact=4)
    expiry = timezone.localdate() + timedelta(days=30)
    asked = services.acceptance_request(
        risk=risk,
        requested_by=owner,
        reason="Launch to pilot users only",
        expires_on=expiry,
    )
    services.acceptance_decide(
        acceptance=asked,
        decided_by=executive,
        approve=False,
        comment="Not before the red team reports",
    )
    services.acceptance_request(
        risk=risk, requested_by=owner, reason="Red team done", expires_on=expiry
    )

    response = as_(people["lead"]).get(url(project, "edit", pk=risk.pk))

    history = section(response, "acceptances-heading").find("table")
    assert table_headers(history) == [
        "Status",
        "Asked by",
        "Asked on",
        "Reason",
        "Expires",
        "Decided by",
        "Decided on",
        "Comment",
    ]
    rows = table_rows(history)
    today = timezone.localdate().isoformat()
    assert rows[1] == [
        "Rejected",
        owner.display_name,
        today,
        "Launch to pilot users only",
        expiry.isoformat(),
        executive.display_name,
        today,
        "Not before the red team reports",
    ]
    assert rows[0][0] == str(AcceptanceStatus.PENDING.label)
    # One request waits already: the page says so instead of offering another.
    body = page(response)
    assert not body.find("a", string="Ask an executive to accept this risk")
    assert "waiting for an executive's decision" in text(body)


@pytest.mark.parametrize("status", [RiskStatus.SUGGESTED, RiskStatus.DISMISSED])
def test_a_suggestion_cannot_be_edited(as_, people, status):
    project = people["project"]
    suggested = suggestions_of(project).first()
    Risk.objects.filter(pk=suggested.pk).update(status=status)
    client = as_(people["owner"])

    shown = client.get(url(project, "edit", pk=suggested.pk))
    posted = client.post(
        url(project, "edit", pk=suggested.pk), form_data(title="Sneaked in")
    )

    for response in (shown, posted):
        assert response.status_code == 302
        assert response.url == f"{url(project)}#risk-{suggested.pk}"
        assert any("only a risk in the register" in m for m in flash(response))
    suggested.refresh_from_db()
    assert suggested.status == status
    assert suggested.title != "Sneaked in"


def test_a_risk_saved_unchanged_keeps_its_review_date_owner_and_mitigations(
    as_, people
):
    project = people["project"]
    items = items_of(project, 2)
    risk = own_risk(
        project,
        people["lead"],
        review_date=date(2031, 1, 31),
        indicator="cost_over_budget",
        mitigations=items,
    )
    client = as_(people["owner"])
    edit = url(project, "edit", pk=risk.pk)
    field = page(client.get(edit)).find("input", attrs={"name": "review_date"})
    assert field["value"] == "2031-01-31"

    _submit_unchanged(client, edit, edit)

    risk.refresh_from_db()
    assert risk.review_date == date(2031, 1, 31)
    assert risk.owner == people["lead"]
    assert risk.indicator == "cost_over_budget"
    assert set(risk.mitigations.all()) == set(items)


def test_an_owner_who_left_the_project_stays_on_an_unchanged_save(as_, people):
    project = people["project"]
    gone = UserFactory()
    risk = own_risk(project, gone)
    client = as_(people["owner"])
    edit = url(project, "edit", pk=risk.pk)

    _submit_unchanged(client, edit, edit)

    risk.refresh_from_db()
    assert risk.owner == gone


# What the register shows beside each risk


def test_a_past_review_date_is_marked_overdue(as_, people):
    project = people["project"]
    late = own_risk(
        project,
        people["owner"],
        title="Late",
        review_date=timezone.localdate() - timedelta(days=1),
    )
    own_risk(
        project,
        people["owner"],
        title="On time",
        review_date=timezone.localdate() + timedelta(days=1),
    )

    response = as_(people["viewer"]).get(url(project))

    assert register_row(response, "Late")[8] == (
        f"{late.review_date.isoformat()} overdue"
    )
    assert "overdue" not in register_row(response, "On time")[8]


def test_a_live_indicator_flag_is_shown_next_to_its_risk(as_, people):
    from metrics.models import Alert

    project = people["project"]
    risk = own_risk(project, people["owner"], indicator="cost_over_budget")
    quiet = as_(people["owner"]).get(url(project))
    assert quiet.context["flags"] == {}
    assert (
        register_row(quiet, risk.title)[9] == "Spend forecast over the monthly budget"
    )

    Alert.objects.create(
        project=project, kind=Alert.Kind.BUDGET, message="forecast $9,200 of $8,000"
    )
    flagged = as_(people["owner"]).get(url(project))

    assert register_row(flagged, risk.title)[9] == (
        "Spend forecast over the monthly budget forecast $9,200 of $8,000"
    )


def test_managers_reach_the_edit_page_from_the_title(as_, people):
    project = people["project"]
    risk = own_risk(project, people["owner"])

    response = as_(people["lead"]).get(url(project))

    row = page(response).find(id=f"risk-{risk.pk}")
    assert row.find("th").find("a")["href"] == url(project, "edit", pk=risk.pk)
    assert page(response).find("a", string="Add a risk")["href"] == url(project, "new")
