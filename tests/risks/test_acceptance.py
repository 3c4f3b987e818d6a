"""Accepting a high residual risk: the owner or lead asks the executives with a reason
and an expiry, an executive accepts it until then or rejects it with a comment, beat
ends it when it expires, and the project is at risk while nobody accepted it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import current_app
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from projects import membership_services
from projects import services as project_services
from projects.models import Notification, NotificationKind, ProjectRole
from projects.roles import GlobalRole
from risks import scoring, services
from risks.models import (
    AcceptanceStatus,
    RiskAcceptance,
    RiskCategory,
    RiskStatus,
    Treatment,
)
from risks.tasks import EXPIRE_RISK_ACCEPTANCES, expire_risk_acceptances
from tests.factories import TeamFactory, UserFactory
from tests.html import page, table_headers, table_rows, text

pytestmark = pytest.mark.django_db

REASON = "The pilot serves ten claims handlers, who check every answer."
HIGH_RISK_REASON = "high residual risk not accepted"


@pytest.fixture
def owner():
    return UserFactory(roles=[GlobalRole.PRODUCT_MANAGER], first_name="Olivia")


@pytest.fixture
def project(owner):
    return project_services.project_create(
        name="Claims Triage Assistant", team=TeamFactory(), owner=owner
    )


def _member(project, role):
    user = UserFactory()
    membership_services.membership_set(project=project, user=user, role=role)
    return user


@pytest.fixture
def lead(project):
    return _member(project, ProjectRole.LEAD)


@pytest.fixture
def contributor(project):
    return _member(project, ProjectRole.CONTRIBUTOR)


@pytest.fixture
def executive():
    return UserFactory(roles=[GlobalRole.EXECUTIVE], first_name="Eve")


def make_risk(project, likelihood=4, impact=4, **fields):
    defaults = {
        "title": "Prompt injection through uploaded claims",
        "category": RiskCategory.SECURITY,
        "inherent_likelihood": 5,
        "inherent_impact": 5,
        "residual_likelihood": likelihood,
        "residual_impact": impact,
    }
    return services.risk_create(project=project, **(defaults | fields))


def url(risk):
    return reverse(
        "risks:acceptance_request", kwargs={"slug": risk.project.slug, "pk": risk.pk}
    )


def decide_url(acceptance, project=None):
    project = project or acceptance.risk.project
    return reverse(
        "risks:acceptance_decide", kwargs={"slug": project.slug, "pk": acceptance.pk}
    )


def in_days(days):
    return timezone.localdate() + timedelta(days=days)


def ask(client, risk, reason=REASON, expires_on=None):
    expires_on = expires_on or in_days(30)
    return client.post(url(risk), {"reason": reason, "expires_on": str(expires_on)})


def requested(risk, by, days=30):
    return services.acceptance_request(
        risk=risk, requested_by=by, reason=REASON, expires_on=in_days(days)
    )


def errors(response):
    return text(page(response).find(class_="error-summary"))


def toasts(response):
    return text(page(response).find(id="toasts"))


def form_of(response):
    """The request form, found by its field labelled "Reason" (None when not shown)."""
    label = page(response).find("label", string="Reason:")
    return label.find_parent("form") if label else None


def notified(user, kind):
    return Notification.objects.filter(user=user, kind=kind).count()


# The threshold


def test_a_score_from_the_threshold_on_needs_an_executive():
    assert not scoring.needs_executive(14, 15)
    assert scoring.needs_executive(15, 15)


def test_below_the_threshold_the_page_says_the_owner_accepts_it_alone(
    as_, owner, project
):
    risk = make_risk(project, likelihood=3, impact=4)  # 12
    response = as_(owner).get(url(risk))
    assert response.status_code == 200
    body = page(response)
    assert "no executive is needed" in text(body)
    assert body.find("a", string="the risk's edit page")["href"] == reverse(
        "risks:edit", kwargs={"slug": project.slug, "pk": risk.pk}
    )
    assert form_of(response) is None


def test_below_the_threshold_a_request_is_refused_and_nothing_saved(
    as_, owner, executive, project
):
    risk = make_risk(project, likelihood=3, impact=4)
    response = ask(as_(owner), risk)
    assert response.status_code == 200
    assert "no executive is needed" in errors(response)
    assert not RiskAcceptance.objects.exists()
    assert notified(executive, NotificationKind.RISK_ACCEPTANCE_REQUESTED) == 0


def test_at_the_threshold_the_owner_gets_the_form_with_a_default_expiry(
    as_, owner, project
):
    risk = make_risk(project, likelihood=3, impact=5)  # 15
    response = as_(owner).get(url(risk))
    form = form_of(response)
    assert form is not None
    expiry = form.find("input", attrs={"name": "expires_on"})
    assert expiry["type"] == "date"
    assert expiry["value"] == str(in_days(90))
    assert "Ask the executives" in text(form)


def test_the_threshold_is_the_setting(as_, owner, project, settings):
    settings.RUNWAY_RISK_ACCEPTANCE_THRESHOLD = 20
    below = make_risk(project, likelihood=4, impact=4)  # 16
    at = make_risk(project, likelihood=4, impact=5, title="Wrong refunds")  # 20
    client = as_(owner)
    assert form_of(client.get(url(below))) is None
    assert form_of(client.get(url(at))) is not None
    assert ask(client, below).status_code == 200
    assert ask(client, at).status_code == 302
    assert [a.risk for a in RiskAcceptance.objects.all()] == [at]

    settings.RUNWAY_RISK_ACCEPTANCE_THRESHOLD = 10
    lower = make_risk(project, likelihood=3, impact=4, title="Stale answers")  # 12
    assert form_of(client.get(url(lower))) is not None


# Asking


def test_the_owner_asks_and_every_executive_is_notified(as_, owner, executive, project):
    other_executive = UserFactory(roles=[GlobalRole.EXECUTIVE])
    risk = make_risk(project, likelihood=4, impact=4, owner=owner)
    client = as_(owner)
    body = text(page(client.get(url(risk))))
    assert "Prompt injection through uploaded claims" in body
    assert "16 of 25 · Critical" in body
    assert "Mitigate" in body  # the treatment

    response = ask(client, risk, expires_on=in_days(45))
    assert response.status_code == 302
    assert response["Location"] == services.register_url(project, risk)
    acceptance = RiskAcceptance.objects.get()
    assert (acceptance.status, acceptance.reason, acceptance.expires_on) == (
        AcceptanceStatus.PENDING,
        REASON,
        in_days(45),
    )
    assert acceptance.requested_by == owner
    for person in (executive, other_executive):
        assert notified(person, NotificationKind.RISK_ACCEPTANCE_REQUESTED) == 1

    later = client.get(url(risk))
    assert "executives were asked" in toasts(later)
    listed = text(page(later).find(id=f"acceptance-{acceptance.pk}"))
    assert "Waiting for an executive" in listed and REASON in listed
    assert form_of(later) is None  # one request at a time
    assert "already waiting" in text(page(later))


def test_the_lead_may_ask_too(as_, lead, project):
    risk = make_risk(project)
    assert ask(as_(lead), risk).status_code == 302
    assert RiskAcceptance.objects.get().requested_by == lead


def test_only_one_request_per_risk_waits_at_a_time(as_, owner, executive, project):
    risk = make_risk(project)
    client = as_(owner)
    assert ask(client, risk).status_code == 302
    response = ask(client, risk, reason="Asking again")
    assert response.status_code == 200
    assert "already waiting for a decision" in errors(response)
    assert RiskAcceptance.objects.count() == 1
    assert notified(executive, NotificationKind.RISK_ACCEPTANCE_REQUESTED) == 1


@pytest.mark.parametrize(
    ("reason", "expires_on", "error"),
    [
        ("", str(in_days(30)), "Reason: This field is required."),
        ("   ", str(in_days(30)), "Reason: This field is required."),
        (REASON, str(in_days(0)), "Accept until: Choose a day after today."),
        (REASON, str(in_days(-3)), "Accept until: Choose a day after today."),
        (REASON, "next quarter", "Accept until: Enter a valid date."),
        (REASON, "", "Accept until: This field is required."),
    ],
)
def test_a_request_needs_a_reason_and_an_expiry_after_today(
    as_, owner, executive, project, reason, expires_on, error
):
    risk = make_risk(project)
    response = as_(owner).post(url(risk), {"reason": reason, "expires_on": expires_on})
    assert response.status_code == 200
    assert error in errors(response)
    assert not RiskAcceptance.objects.exists()
    assert notified(executive, NotificationKind.RISK_ACCEPTANCE_REQUESTED) == 0


def test_a_closed_risk_cannot_be_put_up_for_acceptance(as_, owner, project):
    risk = make_risk(project)
    services.risk_update(risk=risk, status=RiskStatus.CLOSED)
    client = as_(owner)
    assert form_of(client.get(url(risk))) is None
    response = ask(client, risk)
    assert "Only an open or mitigated risk" in errors(response)
    assert not RiskAcceptance.objects.exists()


# Who may see and ask


def test_outsiders_get_404(as_, outsider, project):
    risk = make_risk(project)
    client = as_(outsider)
    assert client.get(url(risk)).status_code == 404
    assert ask(client, risk).status_code == 404
    assert not RiskAcceptance.objects.exists()


def test_a_risk_of_another_project_is_not_found(as_, owner, project):
    other = project_services.project_create(
        name="Other", team=TeamFactory(), owner=UserFactory()
    )
    risk = make_risk(other)
    wrong = reverse(
        "risks:acceptance_request", kwargs={"slug": project.slug, "pk": risk.pk}
    )
    assert as_(owner).get(wrong).status_code == 404


def test_members_who_do_not_manage_risks_see_the_page_but_may_not_ask(
    as_, contributor, project
):
    risk = make_risk(project)
    client = as_(contributor)
    response = client.get(url(risk))
    assert response.status_code == 200
    assert form_of(response) is None
    assert "owner or engineering lead asks" in text(page(response))
    assert ask(client, risk).status_code == 403
    assert not RiskAcceptance.objects.exists()


def test_executives_see_any_project_but_ask_for_nothing(as_, executive, project):
    risk = make_risk(project)
    client = as_(executive)
    response = client.get(url(risk))
    assert response.status_code == 200
    assert form_of(response) is None
    assert ask(client, risk).status_code == 403


def test_the_page_takes_get_and_post_only_and_a_post_needs_its_csrf_token(
    as_, owner, project
):
    risk = make_risk(project)
    client = as_(owner)
    assert client.put(url(risk)).status_code == 405
    assert client.delete(url(risk)).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    assert ask(strict, risk).status_code == 403
    assert not RiskAcceptance.objects.exists()


# Deciding


def decision_form(response, acceptance):
    item = page(response).find(id=f"acceptance-{acceptance.pk}")
    return item.find("form") if item else None


def test_executives_see_the_pending_request_with_accept_and_reject(
    as_, owner, executive, project
):
    risk = make_risk(project)
    acceptance = requested(risk, owner, days=60)
    form = decision_form(as_(executive).get(url(risk)), acceptance)
    assert form["action"] == decide_url(acceptance)
    buttons = [text(b) for b in form.find_all("button")]
    assert buttons == [f"Accept until {in_days(60)}", "Reject"]
    assert form.find("label", string="Comment (required to reject)")


def test_only_executives_get_the_decision_buttons(as_, owner, project):
    risk = make_risk(project)
    acceptance = requested(risk, owner)
    assert decision_form(as_(owner).get(url(risk)), acceptance) is None


def test_an_executive_accepts_the_risk_until_the_date_asked(
    as_, owner, executive, project
):
    risk = make_risk(project)
    acceptance = requested(risk, owner, days=60)
    client = as_(executive)
    response = client.post(decide_url(acceptance), {"decision": "approve"})
    assert response.status_code == 302 and response["Location"] == url(risk)
    acceptance.refresh_from_db()
    risk.refresh_from_db()
    assert acceptance.status == AcceptanceStatus.APPROVED
    assert acceptance.decided_by == executive
    assert (risk.status, risk.treatment) == (RiskStatus.ACCEPTED, Treatment.ACCEPT)
    assert notified(owner, NotificationKind.RISK_ACCEPTANCE_DECIDED) == 1
    later = client.get(url(risk))
    assert f"accepted until {in_days(60)}" in toasts(later)
    assert decision_form(later, acceptance) is None


def test_a_rejection_needs_a_comment(as_, owner, executive, project):
    risk = make_risk(project)
    acceptance = requested(risk, owner)
    client = as_(executive)
    response = client.post(
        decide_url(acceptance), {"decision": "reject", "comment": " "}
    )
    assert response.status_code == 200
    assert "Say why the risk is not accepted." in errors(response)
    acceptance.refresh_from_db()
    assert acceptance.status == AcceptanceStatus.PENDING
    assert notified(owner, NotificationKind.RISK_ACCEPTANCE_DECIDED) == 0

    response = client.post(
        decide_url(acceptance),
        {"decision": "reject", "comment": "Add the output filter first."},
    )
    assert response.status_code == 302
    acceptance.refresh_from_db()
    risk.refresh_from_db()
    assert acceptance.status == AcceptanceStatus.REJECTED
    assert acceptance.comment == "Add the output filter first."
    assert risk.status == RiskStatus.OPEN
    assert notified(owner, NotificationKind.RISK_ACCEPTANCE_DECIDED) == 1
    assert "Add the output filter first." in text(page(client.get(url(risk))))


def test_a_decided_request_cannot_be_decided_again(as_, owner, executive, project):
    risk = make_risk(project)
    acceptance = requested(risk, owner)
    client = as_(executive)
    client.post(decide_url(acceptance), {"decision": "approve"})
    response = client.post(
        decide_url(acceptance), {"decision": "reject", "comment": "Changed my mind"}
    )
    assert "decided already" in errors(response)
    acceptance.refresh_from_db()
    assert acceptance.status == AcceptanceStatus.APPROVED


def test_an_unknown_decision_changes_nothing(as_, owner, executive, project):
    risk = make_risk(project)
    acceptance = requested(risk, owner)
    response = as_(executive).post(decide_url(acceptance), {"decision": "maybe"})
    assert "Choose Accept or Reject." in errors(response)
    acceptance.refresh_from_db()
    assert acceptance.status == AcceptanceStatus.PENDING


@pytest.mark.parametrize("who", ["owner", "lead", "admin"])
def test_only_executives_decide(as_, owner, lead, project, who):
    admin = UserFactory(roles=[GlobalRole.ADMIN])
    user = {"owner": owner, "lead": lead, "admin": admin}[who]
    risk = make_risk(project)
    acceptance = requested(risk, owner)
    response = as_(user).post(decide_url(acceptance), {"decision": "approve"})
    assert response.status_code == 403
    acceptance.refresh_from_db()
    assert acceptance.status == AcceptanceStatus.PENDING


def test_deciding_is_a_post_of_an_acceptance_of_that_project(
    as_, owner, outsider, executive, project
):
    risk = make_risk(project)
    acceptance = requested(risk, owner)
    other = project_services.project_create(
        name="Other", team=TeamFactory(), owner=UserFactory()
    )
    assert (
        as_(outsider).post(decide_url(acceptance), {"decision": "approve"}).status_code
        == 404
    )
    client = as_(executive)
    assert client.get(decide_url(acceptance)).status_code == 405
    wrong = decide_url(acceptance, project=other)
    assert client.post(wrong, {"decision": "approve"}).status_code == 404
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(executive)
    assert (
        strict.post(decide_url(acceptance), {"decision": "approve"}).status_code == 403
    )
    acceptance.refresh_from_db()
    assert acceptance.status == AcceptanceStatus.PENDING


# Expiry


def approved(risk, by, executive, expires_on):
    acceptance = requested(risk, by)
    services.acceptance_decide(
        acceptance=acceptance, decided_by=executive, approve=True
    )
    # Asked for a future day, then the days went by.
    RiskAcceptance.objects.filter(pk=acceptance.pk).update(expires_on=expires_on)
    return acceptance


def test_the_task_ends_acceptances_that_expired_and_tells_the_risk_owner(
    owner, lead, executive, project
):
    expired_risk = make_risk(project, owner=lead)
    in_force_risk = make_risk(project, title="Wrong refund amounts", owner=lead)
    expired = approved(expired_risk, owner, executive, in_days(-1))
    in_force = approved(in_force_risk, owner, executive, in_days(0))

    assert expire_risk_acceptances.delay().get() == 1

    expired.refresh_from_db()
    expired_risk.refresh_from_db()
    assert expired.status == AcceptanceStatus.EXPIRED
    assert expired_risk.status == RiskStatus.OPEN
    notes = Notification.objects.filter(
        user=lead, kind=NotificationKind.RISK_ACCEPTANCE_EXPIRED
    )
    assert [n.message for n in notes] == [
        f"{project.name}: the acceptance of the risk “Prompt injection through "
        f"uploaded claims” expired on {in_days(-1)}; it is open again."
    ]
    in_force.refresh_from_db()
    in_force_risk.refresh_from_db()
    assert in_force.status == AcceptanceStatus.APPROVED
    assert in_force_risk.status == RiskStatus.ACCEPTED

    assert expire_risk_acceptances.run() == 0  # nothing left to end


def test_beat_runs_the_expiry_every_day():
    current_app.loader.import_default_modules()  # what a worker imports at start
    task = PeriodicTask.objects.get(task=EXPIRE_RISK_ACCEPTANCES)
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (1, "days")
    assert EXPIRE_RISK_ACCEPTANCES in current_app.tasks


# The at-risk reason on the portfolio


def at_risk_because(client, project):
    table = page(client.get("/")).find(id="portfolio-table").find("table")
    headers = table_headers(table)
    for row in table_rows(table):
        if row[0] == project.name:
            return row[headers.index("At risk because")]
    raise AssertionError(f"{project.name} is not in the portfolio")


def test_a_high_residual_risk_puts_the_project_at_risk_until_accepted_and_after_expiry(
    as_, owner, executive, project
):
    client = as_(executive)
    assert HIGH_RISK_REASON not in at_risk_because(client, project)

    risk = make_risk(project, likelihood=3, impact=5, owner=owner)
    assert HIGH_RISK_REASON in at_risk_because(client, project)
    overview = text(page(client.get("/")).find("section", class_="tiles"))
    assert "At risk 1 needs attention" in overview

    acceptance = approved(risk, owner, executive, in_days(10))
    assert HIGH_RISK_REASON not in at_risk_because(client, project)

    RiskAcceptance.objects.filter(pk=acceptance.pk).update(expires_on=in_days(-1))
    expire_risk_acceptances.run()
    assert HIGH_RISK_REASON in at_risk_because(client, project)


# My work


def test_executives_find_the_requests_waiting_for_them_in_my_work(
    as_, owner, executive, project
):
    risk = make_risk(project, likelihood=4, impact=5)
    acceptance = requested(risk, owner, days=60)
    response = as_(executive).get(reverse("portal:my_work"))
    section = page(response).find(id="acceptances-heading").find_parent("section")
    assert text(section.find("h2")) == "Risk acceptances waiting for me (1)"
    item = section.find("li")
    link = item.find("a")
    assert link["href"] == f"{url(risk)}#acceptance-{acceptance.pk}"
    words = text(item)
    assert project.name in words and risk.title in words
    assert "Residual score 20" in words
    assert f"by {owner.display_name}" in words
    assert f"until {in_days(60)}" in words
    assert "1 thing waits for you" in text(page(response))

    services.acceptance_decide(
        acceptance=acceptance, decided_by=executive, approve=True
    )
    response = as_(executive).get(reverse("portal:my_work"))
    assert "No risk acceptance waits for you." in text(page(response))


def test_my_work_shows_risk_acceptances_to_executives_only(as_, owner, project):
    requested(make_risk(project), owner)
    response = as_(owner).get(reverse("portal:my_work"))
    assert "Risk acceptances waiting for me" not in text(page(response))
    response = as_(owner).get(reverse("portal:my_work") + "?list=acceptances")
    assert "Risk acceptances waiting for me" not in text(page(response))


def test_the_whole_list_of_requests_has_its_own_page(as_, owner, executive, project):
    for n in range(12):
        requested(make_risk(project, title=f"Risk {n:02}"), owner)
    client = as_(executive)
    section = (
        page(client.get(reverse("portal:my_work")))
        .find(id="acceptances-heading")
        .find_parent("section")
    )
    assert len(section.find_all("li")) == 10
    assert "Show all 12" in text(section)
    response = client.get(reverse("portal:my_work") + "?list=acceptances")
    assert "Risk acceptances waiting for me (12)" in text(page(response).find("h1"))
    assert (
        len(page(response).find("ul", class_="notification-list").find_all("li")) == 12
    )
