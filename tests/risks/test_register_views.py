"""A project's risk register: suggestions from the library taken in or dismissed, risks
added and judged by the owner and lead, the rules of "mitigated" and "accepted", the
acceptances history and the CSV download."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects.models import ChecklistItem, ItemState, ProjectRole
from risks import services
from risks.models import AcceptanceStatus, Risk, RiskCategory, RiskStatus, Treatment
from risks.views import register as register_views
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.html import page, table_headers, table_rows, text
from tests.projects import conftest as project_fixtures
from tests.projects.test_forms_keep_their_dates import _submit_unchanged

pytestmark = pytest.mark.django_db

# The personas of a project made the way users make them: its checklist and the
# library's suggestions included.
people = project_fixtures.people

CSV_HEADER = [
    "Title",
    "Category",
    "Status",
    "Owner",
    "Cause",
    "Consequence",
    "Inherent likelihood",
    "Inherent impact",
    "Inherent score",
    "Residual likelihood",
    "Residual impact",
    "Residual score",
    "Treatment",
    "Review date",
    "Mitigations",
    "Indicator",
]


def url(project, name="register", **kwargs):
    return reverse(f"risks:{name}", kwargs={"slug": project.slug, **kwargs})


@pytest.fixture
def as_(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def suggestions_of(project):
    return Risk.objects.filter(project=project, status=RiskStatus.SUGGESTED)


def suggestion_with_mitigations(project):
    return (
        suggestions_of(project)
        .annotate(n=Count("mitigations"))
        .filter(n__gt=0)
        .order_by("title")
        .first()
    )


def items_of(project, count):
    return list(
        ChecklistItem.objects.filter(project=project, applicable=True).order_by(
            "step__number", "order", "id"
        )[:count]
    )


def own_risk(project, owner, **changes):
    fields = {
        "title": "Agent loops on the refund tool",
        "category": RiskCategory.AVAILABILITY,
        "owner": owner,
        "inherent_likelihood": 3,
        "inherent_impact": 4,
        "residual_likelihood": 2,
        "residual_impact": 3,
        **changes,
    }
    return services.risk_create(project=project, **fields)


def form_data(risk_or_none=None, **changes):
    """What the risk form posts: a plausible risk, with ``changes``."""
    data = {
        "title": "Answers quote another customer's claim",
        "category": RiskCategory.PRIVACY,
        "cause": "Retrieval ignores the tenant boundary.",
        "consequence": "A privacy breach to report.",
        "owner": "",
        "inherent_likelihood": "4",
        "inherent_impact": "5",
        "residual_likelihood": "2",
        "residual_impact": "5",
        "treatment": Treatment.MITIGATE,
        "review_date": "",
        "indicator": "",
        "mitigations": [],
    }
    if risk_or_none is not None:
        risk = risk_or_none
        data.update(
            title=risk.title,
            category=risk.category,
            cause=risk.cause,
            consequence=risk.consequence,
            owner=str(risk.owner_id or ""),
            inherent_likelihood=str(risk.inherent_likelihood),
            inherent_impact=str(risk.inherent_impact),
            residual_likelihood=str(risk.residual_likelihood),
            residual_impact=str(risk.residual_impact),
            treatment=risk.treatment,
            review_date=risk.review_date.isoformat() if risk.review_date else "",
            indicator=risk.indicator,
            status=risk.status,
            mitigations=[str(i.pk) for i in risk.mitigations.all()],
        )
    data.update(changes)
    return data


def flash(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def section(response, heading_id):
    return page(response).find(attrs={"aria-labelledby": heading_id})


def register_table(response):
    region = page(response).find(attrs={"aria-label": "Risk register table"})
    return region.find("table") if region else None


def register_row(response, title):
    table = register_table(response)
    assert table is not None, "no register table on the page"
    for row in table_rows(table):
        if row[0] == title:
            return row
    return None


def buttons(node):
    """What each button of ``node`` says (screen-reader text included)."""
    return [text(button) for button in node.find_all("button")]


def error_summary(response):
    return text(page(response).find(class_="error-summary"))


# The register page and its suggestions


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
