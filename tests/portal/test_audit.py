"""The audit trail: every change names who made it, and never keeps a password hash."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from simple_history.utils import update_change_reason

from evaluations.models import (
    BaselineAcceptance,
    EvaluationPlan,
    EvaluationRun,
    EvaluationScore,
)
from metrics.models import ConnectedService
from portal import services
from portal.demo import PORTFOLIO
from portal.models import User
from projects.audit import acting_as, history_user
from projects.models import Membership, Project, ProjectRole, Team
from projects.roles import GlobalRole
from tests.factories import ProjectFactory, TeamFactory, UserFactory

HistoricalUser = User.history.model


@pytest.fixture(autouse=True)
def _mfa_off(settings):
    # MFA enforcement for admins has its own tests; here it would only redirect.
    settings.RUNWAY_MFA_REQUIRED_FOR_ADMINS = False


def test_a_project_created_in_the_browser_names_its_creator(client, pm):
    lead = UserFactory(roles=[GlobalRole.ENGINEERING_LEAD])
    client.force_login(pm)
    client.post(
        reverse("projects:create"),
        {
            "name": "Support Copilot",
            "team": TeamFactory().pk,
            "owner": pm.pk,
            "lead": lead.pk,
            "use_case": "copilot",
            "prototype_origin": "bolt",
            "data_classification": "internal",
        },
    )
    project = Project.objects.get()
    created = project.history.get()
    assert created.history_type == "+"
    assert created.history_user == pm
    memberships = Membership.history.filter(project_id=project.pk)
    assert memberships.count() == 2
    assert {row.history_user for row in memberships} == {pm}


def test_a_role_change_in_the_browser_is_recorded_with_the_admin_who_made_it(
    client, admin_user
):
    person = UserFactory(roles=[GlobalRole.REVIEWER])
    team = TeamFactory()
    before = HistoricalUser.objects.filter(id=person.pk).count()
    client.force_login(admin_user)

    client.post(
        reverse("portal:user_detail", args=[person.pk]),
        {"roles": [GlobalRole.EXECUTIVE.value], "teams": [team.pk]},
    )

    rows = HistoricalUser.objects.filter(id=person.pk)
    assert rows.count() > before
    latest = rows.first()
    assert latest.history_type == "~"
    assert latest.history_user == admin_user
    assert [row.group.name for row in latest.groups.all()] == ["Executive"]
    # The team records its new member, also naming the admin.
    team_row = team.history.first()
    assert team_row.history_user == admin_user
    assert [row.user_id for row in team_row.members.all()] == [person.pk]


def test_granting_admin_records_the_staff_flags_with_the_admin_who_granted_them(
    client, admin_user
):
    person = UserFactory()
    client.force_login(admin_user)
    client.post(
        reverse("portal:user_detail", args=[person.pk]),
        {"roles": [GlobalRole.ADMIN.value]},
    )
    flagged = HistoricalUser.objects.filter(id=person.pk, is_superuser=True).get()
    assert flagged.is_staff
    assert flagged.history_user == admin_user


def test_a_deactivation_is_recorded_with_the_admin_who_made_it(client, admin_user):
    person = UserFactory()
    client.force_login(admin_user)
    client.post(reverse("portal:user_deactivate", args=[person.pk]))
    latest = HistoricalUser.objects.filter(id=person.pk).first()
    assert latest.is_active is False
    assert latest.history_user == admin_user


def test_user_history_has_no_password_or_login_time():
    fields = {f.name for f in HistoricalUser._meta.get_fields()}
    assert "password" not in fields
    assert "last_login" not in fields
    assert {"email", "is_active", "is_staff", "is_superuser"} <= fields


def test_setting_a_password_leaves_no_hash_in_the_history(db, admin_user):
    invitee = services.user_invite(
        email="ivy@example.com",
        first_name="Ivy",
        last_name="",
        roles=[],
        teams=[],
        invited_by=admin_user,
        base_url="http://testserver/",
    )
    services.invitation_accept(
        user=invitee, password="a-long-and-unusual-passphrase-42"
    )
    invitee.refresh_from_db()
    rows = list(HistoricalUser.objects.filter(id=invitee.pk).values())
    assert len(rows) >= 2
    for row in rows:
        assert invitee.password not in {str(value) for value in row.values()}


# Work outside a request: acting_as


def test_acting_as_names_the_actor_over_the_requests_user(db):
    actor, requester = UserFactory(), UserFactory()

    class Request:
        user = requester

    assert history_user(Request()) == requester
    with acting_as(actor):
        assert history_user(Request()) == actor
        with acting_as(None):
            assert history_user(Request()) == requester
        assert history_user(Request()) == actor
    assert history_user(None) is None


def test_acting_as_attributes_writes_outside_a_request(db):
    actor = UserFactory()
    with acting_as(actor):
        team = TeamFactory()
    assert team.history.get().history_user == actor


# seed_demo


DOMAIN_MODELS = [
    User,
    Group,
    Team,
    Project,
    Membership,
    Team.members.through,
    User.groups.through,
    EvaluationPlan,
    EvaluationRun,
    EvaluationScore,
    BaselineAcceptance,
]


def _seed():
    call_command("seed_demo", stdout=io.StringIO())


def _counts(models):
    return {model._meta.label: model.objects.count() for model in models}


# Seeding the demo takes about a minute on a busy CI machine, so one test seeds it
# twice and checks everything a second run must leave alone.


def test_seed_demo_run_twice_changes_nothing_and_attributes_its_history(db, settings):
    settings.RUNWAY_DEMO_PASSWORD = "demo-password-for-tests"
    history = [
        User.history.model,
        Team.history.model,
        Project.history.model,
        Membership.history.model,
    ]
    _seed()
    first = _counts(DOMAIN_MODELS)
    first_history = _counts(history)
    _assert_history_attributed_as_the_command_declares()

    settings.RUNWAY_DEMO_PASSWORD = "another-password-entirely"
    out = io.StringIO()
    call_command("seed_demo", stdout=out)

    assert _counts(DOMAIN_MODELS) == first
    assert first[Project._meta.label] == len(PORTFOLIO) >= 25
    assert first[User._meta.label] == 8
    owners = Membership.objects.filter(role=ProjectRole.OWNER)
    assert owners.count() == len(PORTFOLIO)
    assert owners.values("project").distinct().count() == len(PORTFOLIO)
    # No history for changes the second run did not make, and passwords kept.
    assert _counts(history) == first_history
    assert "already in place" in out.getvalue()
    assert User.objects.get(email="pm@runway.example").check_password(
        "demo-password-for-tests"
    )


def _assert_history_attributed_as_the_command_declares():
    pm = User.objects.get(email="pm@runway.example")
    # Accounts and teams are made by the system itself ...
    assert set(User.history.values_list("history_user", flat=True)) == {None}
    assert set(Team.history.values_list("history_user", flat=True)) == {None}
    # ... and the projects in their owners' names, the members by owners and leads.
    owners = set(
        Membership.objects.filter(role=ProjectRole.OWNER).values_list("user", flat=True)
    )
    leads = set(
        Membership.objects.filter(role=ProjectRole.LEAD).values_list("user", flat=True)
    )
    assert pm.pk in owners
    assert set(Project.history.values_list("history_user", flat=True)) <= owners
    assert (
        set(Membership.history.values_list("history_user", flat=True)) <= owners | leads
    )


# What a history row keeps


def test_a_history_row_keeps_the_values_the_actor_and_the_reason_but_no_secret(db):
    """A JSON field, foreign keys, dates and the change reason are kept as saved;
    the encrypted credentials are left out of the history."""
    actor = UserFactory()
    with acting_as(actor):
        service = ConnectedService.objects.create(
            kind=ConnectedService.Kind.LANGFUSE,
            name="Langfuse EU",
            project=ProjectFactory(),
            config={"project_id": "p-1", "tags": ["prod", "ü"]},
            credentials='{"secret_key": "sk-lf-1234"}',
            created_by=actor,
            last_sync_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
        )
        service.name = "Langfuse EU (prod)"
        service.save()
    update_change_reason(service, "renamed")

    created, changed = service.history.order_by("history_id")
    assert [created.history_type, changed.history_type] == ["+", "~"]
    assert {created.history_user, changed.history_user} == {actor}
    assert changed.history_change_reason == "renamed"
    assert (created.name, changed.name) == ("Langfuse EU", "Langfuse EU (prod)")
    assert changed.config == {"project_id": "p-1", "tags": ["prod", "ü"]}
    assert changed.project_id == service.project_id
    assert changed.last_sync_at == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    assert "credentials" not in {f.name for f in type(changed)._meta.get_fields()}
    for row in ConnectedService.history.filter(id=service.pk).values():
        assert "sk-lf-1234" not in {str(value) for value in row.values()}


def test_a_model_with_m2m_history_records_its_members(db):
    team, person = TeamFactory(), UserFactory()
    team.members.add(person)
    latest = team.history.order_by("history_id").last()
    assert [m.user_id for m in latest.members.all()] == [person.pk]
