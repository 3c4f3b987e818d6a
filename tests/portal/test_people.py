"""Admins manage people and their global roles in Runway's own pages (teams:
test_teams.py)."""

from __future__ import annotations

import re
from importlib import import_module

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal import services
from portal.models import User
from projects.models import ProjectRole, Team
from projects.roles import GlobalRole
from tests.factories import (
    TEST_PASSWORD,
    MembershipFactory,
    ProjectFactory,
    TeamFactory,
    UserFactory,
)
from tests.portal import people_helpers

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"
LINK = re.compile(r"http://testserver(/invitations/[^\s]+/)")

# Fixtures shared with test_teams.py.
mfa_off, admin_client, team = (
    people_helpers.mfa_off,
    people_helpers.admin_client,
    people_helpers.team,
)


@pytest.fixture
def person(db):
    return UserFactory(
        first_name="Pat", last_name="Person", roles=[GlobalRole.REVIEWER]
    )


def _roles(user):
    return set(user.groups.values_list("name", flat=True))


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def _admin_pages(person, team):
    """Every admin page as (method, url, data)."""
    detail = reverse("portal:user_detail", args=[person.pk])
    return [
        ("get", reverse("portal:user_list"), None),
        ("get", reverse("portal:user_invite"), None),
        (
            "post",
            reverse("portal:user_invite"),
            {"email": "x@example.com", "first_name": "X"},
        ),
        ("get", detail, None),
        ("post", detail, {"roles": [GlobalRole.ADMIN.value]}),
        ("post", reverse("portal:user_deactivate", args=[person.pk]), {}),
        ("post", reverse("portal:user_reactivate", args=[person.pk]), {}),
        ("get", reverse("portal:team_list"), None),
        ("get", reverse("portal:team_create"), None),
        ("post", reverse("portal:team_create"), {"name": "Sneaky"}),
        ("get", reverse("portal:team_edit", args=[team.pk]), None),
        ("post", reverse("portal:team_edit", args=[team.pk]), {"name": "Renamed"}),
    ]


# Who may open the admin pages


@pytest.mark.parametrize("persona", ["executive", "pm", "owner"])
def test_everyone_but_admins_is_refused_every_admin_page(
    client, request, persona, person, team
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    for method, url, data in _admin_pages(person, team):
        response = (
            getattr(client, method)(url, data) if data is not None else client.get(url)
        )
        assert response.status_code == 403, f"{method.upper()} {url}"
    # Nothing the refused POSTs asked for happened.
    person.refresh_from_db()
    team.refresh_from_db()
    assert not User.objects.filter(email="x@example.com").exists()
    assert _roles(person) == {GlobalRole.REVIEWER.value}
    assert person.is_active
    assert team.name == "Claims Operations"
    assert not Team.objects.filter(name="Sneaky").exists()


def test_a_django_superuser_without_the_admin_role_is_refused(client, person, team):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    assert client.get(reverse("portal:user_list")).status_code == 403


def test_an_admin_opens_every_admin_page(admin_client, person, team):
    for method, url, _ in _admin_pages(person, team):
        if method == "get":
            assert admin_client.get(url).status_code == 200, url


@pytest.mark.parametrize("name", ["portal:user_deactivate", "portal:user_reactivate"])
def test_deactivate_and_reactivate_answer_405_to_get(admin_client, person, name):
    response = admin_client.get(reverse(name, args=[person.pk]))
    assert response.status_code == 405
    person.refresh_from_db()
    assert person.is_active


@pytest.mark.parametrize("name", ["portal:user_list", "portal:team_list"])
def test_list_pages_answer_405_to_post(admin_client, name):
    assert admin_client.post(reverse(name)).status_code == 405


def test_an_unknown_person_or_team_is_404(admin_client):
    assert (
        admin_client.get(reverse("portal:user_detail", args=[999999])).status_code
        == 404
    )
    assert (
        admin_client.get(reverse("portal:team_edit", args=[999999])).status_code == 404
    )


def test_the_people_list_searches_by_name_or_email(admin_client, person):
    other = UserFactory(first_name="Quentin", email="quentin@example.com")
    response = admin_client.get(reverse("portal:user_list"), {"q": "pat"})
    assert response.status_code == 200
    assert person.email in response.text
    assert other.email not in response.text
    response = admin_client.get(reverse("portal:user_list"), {"q": "QUENTIN@"})
    assert other.email in response.text
    assert person.email not in response.text


def test_the_people_list_answers_htmx_with_only_the_table(admin_client, person):
    response = admin_client.get(
        reverse("portal:user_list"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="user-table"
    )
    assert response.status_code == 200
    assert person.email in response.text
    assert 'id="user-table"' in response.text
    assert "<html" not in response.text


# Invitations


def _invite(client, django_capture_on_commit_callbacks, **data):
    payload = {
        "email": "Nadia.Noor@Example.com",
        "first_name": "Nadia",
        "last_name": "Noor",
        "roles": [GlobalRole.PRODUCT_MANAGER.value, GlobalRole.ENGINEERING_LEAD.value],
        **data,
    }
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("portal:user_invite"), payload)
    sent_before_commit = len(mail.outbox)
    for callback in callbacks:
        callback()
    return response, sent_before_commit


def test_an_invitee_sets_a_password_once_through_the_emailed_link(
    admin_client, admin_user, team, django_capture_on_commit_callbacks
):
    response, sent_before_commit = _invite(
        admin_client, django_capture_on_commit_callbacks, teams=[team.pk]
    )

    invitee = User.objects.get(email="nadia.noor@example.com")
    assert response.status_code == 302
    assert response.url == reverse("portal:user_detail", args=[invitee.pk])
    assert not invitee.has_usable_password()
    assert invitee.is_active
    assert invitee.invited_by == admin_user
    assert _roles(invitee) == {"Product manager", "Engineering lead"}
    assert list(invitee.teams.all()) == [team]
    assert not invitee.is_staff and not invitee.is_superuser
    # The email went out only once the invitation was committed.
    assert sent_before_commit == 0
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["nadia.noor@example.com"]
    link = LINK.search(email.body)
    assert link, email.body
    path = link.group(1)

    invitee_client = Client()
    page = invitee_client.get(path)
    assert page.status_code == 200
    assert "nadia.noor@example.com" in page.text

    response = invitee_client.post(
        path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("account_login")
    invitee.refresh_from_db()
    assert invitee.check_password(NEW_PASSWORD)
    assert invitee.has_accepted_invitation

    # The link works once.
    again = invitee_client.get(path)
    assert again.status_code == 400
    assert "not valid" in again.text
    replay = invitee_client.post(
        path,
        {
            "new_password1": "someone-else-42-xyz",
            "new_password2": "someone-else-42-xyz",
        },
    )
    assert replay.status_code == 400
    invitee.refresh_from_db()
    assert invitee.check_password(NEW_PASSWORD)


def test_the_invitee_signs_in_with_the_password_they_set(
    admin_client, team, django_capture_on_commit_callbacks
):
    _invite(admin_client, django_capture_on_commit_callbacks)
    path = LINK.search(mail.outbox[0].body).group(1)
    invitee_client = Client()
    invitee_client.post(
        path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    response = invitee_client.post(
        reverse("account_login"),
        {"login": "nadia.noor@example.com", "password": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert invitee_client.get("/").status_code == 200


def test_a_mismatched_password_keeps_the_link_usable(
    admin_client, django_capture_on_commit_callbacks
):
    _invite(admin_client, django_capture_on_commit_callbacks)
    path = LINK.search(mail.outbox[0].body).group(1)
    invitee_client = Client()
    response = invitee_client.post(
        path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"}
    )
    assert response.status_code == 200
    assert not User.objects.get(email="nadia.noor@example.com").has_usable_password()
    assert invitee_client.get(path).status_code == 200


def test_a_bad_invitation_token_is_not_valid(client, admin_user):
    invitee = services.user_invite(
        email="ivy@example.com",
        first_name="Ivy",
        last_name="",
        roles=[],
        teams=[],
        invited_by=admin_user,
        base_url="http://testserver/",
    )
    good = services.invitation_path(invitee)
    uidb64 = good.split("/")[2]
    for path in (
        reverse("portal:invitation_accept", args=[uidb64, "abc-123"]),
        reverse("portal:invitation_accept", args=["not-a-uid", "abc-123"]),
    ):
        response = client.get(path)
        assert response.status_code == 400
        assert "not valid" in response.text
    response = client.post(
        reverse("portal:invitation_accept", args=[uidb64, "abc-123"]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 400
    invitee.refresh_from_db()
    assert not invitee.has_usable_password()


def test_a_password_reset_token_is_no_invitation(client, admin_user):
    from django.contrib.auth.tokens import default_token_generator

    invitee = services.user_invite(
        email="ivy@example.com",
        first_name="Ivy",
        last_name="",
        roles=[],
        teams=[],
        invited_by=admin_user,
        base_url="http://testserver/",
    )
    uidb64 = services.invitation_path(invitee).split("/")[2]
    reset_token = default_token_generator.make_token(invitee)
    response = client.get(
        reverse("portal:invitation_accept", args=[uidb64, reset_token])
    )
    assert response.status_code == 400


def test_a_deactivated_invitee_cannot_use_the_link(client, admin_user):
    invitee = services.user_invite(
        email="ivy@example.com",
        first_name="Ivy",
        last_name="",
        roles=[],
        teams=[],
        invited_by=admin_user,
        base_url="http://testserver/",
    )
    path = services.invitation_path(invitee)
    services.user_deactivate(user=invitee, actor=admin_user)
    assert client.get(path).status_code == 400


def test_inviting_an_existing_email_is_a_form_error_and_creates_nothing(
    admin_client, django_capture_on_commit_callbacks
):
    UserFactory(email="nadia.noor@example.com")
    users_before = User.objects.count()

    response, _ = _invite(admin_client, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert "already exists" in response.text
    assert response.context["form"].errors["email"]
    assert User.objects.count() == users_before
    assert mail.outbox == []  # not even once the transaction committed


def test_an_invitation_without_a_first_name_is_a_form_error(
    admin_client, django_capture_on_commit_callbacks
):
    response, _ = _invite(
        admin_client, django_capture_on_commit_callbacks, first_name=""
    )
    assert response.status_code == 200
    assert response.context["form"].errors["first_name"]
    assert not User.objects.filter(email="nadia.noor@example.com").exists()
    assert mail.outbox == []


def test_the_pending_invitation_link_is_shown_until_it_is_used(
    admin_client, admin_user
):
    invitee = services.user_invite(
        email="ivy@example.com",
        first_name="Ivy",
        last_name="",
        roles=[],
        teams=[],
        invited_by=admin_user,
        base_url="http://testserver/",
    )
    detail = reverse("portal:user_detail", args=[invitee.pk])
    response = admin_client.get(detail)
    assert "Invitation pending" in response.text
    assert services.invitation_path(invitee) in response.text

    services.invitation_accept(user=invitee, password=NEW_PASSWORD)
    assert "Invitation pending" not in admin_client.get(detail).text


# Global roles and teams


def test_an_admin_changes_someones_roles_and_teams(admin_client, person, team):
    second = TeamFactory(name="Sales Enablement")
    detail = reverse("portal:user_detail", args=[person.pk])

    response = admin_client.post(
        detail, {"roles": [GlobalRole.EXECUTIVE.value], "teams": [team.pk, second.pk]}
    )
    assert response.status_code == 302
    assert response.url == detail
    assert _roles(person) == {"Executive"}
    assert set(person.teams.all()) == {team, second}

    admin_client.post(detail, {"roles": [], "teams": [second.pk]})
    assert _roles(person) == set()
    assert list(person.teams.all()) == [second]
    assert list(team.members.all()) == []


def test_the_detail_page_shows_the_current_roles_and_teams_checked(
    admin_client, person, team
):
    services.user_set_access(user=person, roles=[GlobalRole.EXECUTIVE], teams=[team])
    form = admin_client.get(reverse("portal:user_detail", args=[person.pk])).context[
        "form"
    ]
    assert set(form["roles"].value()) == {"Executive"}
    assert list(form["teams"].value()) == [team.pk]


def test_granting_admin_makes_staff_and_superuser_and_revoking_removes_it(
    admin_client, person
):
    detail = reverse("portal:user_detail", args=[person.pk])

    admin_client.post(
        detail, {"roles": [GlobalRole.ADMIN.value, GlobalRole.REVIEWER.value]}
    )
    person.refresh_from_db()
    assert _roles(person) == {"Admin", "Reviewer"}
    assert person.is_staff and person.is_superuser

    admin_client.post(detail, {"roles": [GlobalRole.REVIEWER.value]})
    person.refresh_from_db()
    assert _roles(person) == {"Reviewer"}
    assert not person.is_staff and not person.is_superuser


def test_an_admin_cannot_remove_their_own_admin_role(admin_client, admin_user, team):
    response = admin_client.post(
        reverse("portal:user_detail", args=[admin_user.pk]),
        {"roles": [GlobalRole.EXECUTIVE.value], "teams": [team.pk]},
    )
    assert response.status_code == 200
    assert "cannot remove your own Admin role" in response.text
    assert response.context["form"].errors["roles"]
    admin_user.refresh_from_db()
    assert _roles(admin_user) == {"Admin"}
    assert admin_user.is_staff and admin_user.is_superuser
    assert list(admin_user.teams.all()) == []


def test_an_admin_may_change_their_own_other_roles(admin_client, admin_user):
    admin_client.post(
        reverse("portal:user_detail", args=[admin_user.pk]),
        {"roles": [GlobalRole.ADMIN.value, GlobalRole.EXECUTIVE.value]},
    )
    assert _roles(admin_user) == {"Admin", "Executive"}


def test_an_unknown_role_is_a_form_error(admin_client, person):
    response = admin_client.post(
        reverse("portal:user_detail", args=[person.pk]), {"roles": ["Superhero"]}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["roles"]
    assert _roles(person) == {"Reviewer"}
    assert not Group.objects.filter(name="Superhero").exists()


# Deactivation


def test_deactivating_an_owner_is_refused_naming_the_project(
    admin_client, owner, project
):
    response = admin_client.post(
        reverse("portal:user_deactivate", args=[owner.pk]), follow=True
    )
    assert response.status_code == 200
    messages = _messages(response)
    assert any("Support Copilot" in m for m in messages), messages
    owner.refresh_from_db()
    assert owner.is_active


def test_owning_only_archived_projects_does_not_block_deactivation(admin_client):
    owner = MembershipFactory(
        project=ProjectFactory(archived_at=timezone.now()), role=ProjectRole.OWNER
    ).user
    admin_client.post(reverse("portal:user_deactivate", args=[owner.pk]))
    owner.refresh_from_db()
    assert not owner.is_active


def test_a_deactivated_person_is_signed_out_at_once(admin_client, lead):
    their_client = Client()
    their_client.force_login(lead)
    assert their_client.get("/").status_code == 200
    session_key = their_client.session.session_key

    response = admin_client.post(
        reverse("portal:user_deactivate", args=[lead.pk]), follow=True
    )

    assert response.status_code == 200
    assert any("deactivated" in m for m in _messages(response))
    lead.refresh_from_db()
    assert not lead.is_active
    # Their session is gone from the store, not merely refused on the next request.
    store = import_module(django_settings.SESSION_ENGINE).SessionStore()
    assert not store.exists(session_key)
    next_request = their_client.get("/")
    assert next_request.status_code == 302
    assert next_request.url.startswith(reverse("account_login"))


def test_a_deactivated_person_cannot_sign_in(admin_client, person):
    admin_client.post(reverse("portal:user_deactivate", args=[person.pk]))
    fresh = Client()
    fresh.post(
        reverse("account_login"), {"login": person.email, "password": TEST_PASSWORD}
    )
    assert fresh.get("/").status_code == 302


def test_an_admin_cannot_deactivate_themselves(admin_client, admin_user):
    response = admin_client.post(
        reverse("portal:user_deactivate", args=[admin_user.pk]), follow=True
    )
    assert any("cannot deactivate your own account" in m for m in _messages(response))
    admin_user.refresh_from_db()
    assert admin_user.is_active
    assert admin_client.get(reverse("portal:user_list")).status_code == 200


def test_an_admin_reactivates_someone(admin_client, person):
    person.is_active = False
    person.save()
    response = admin_client.post(
        reverse("portal:user_reactivate", args=[person.pk]), follow=True
    )
    assert any("can sign in again" in m for m in _messages(response))
    person.refresh_from_db()
    assert person.is_active
