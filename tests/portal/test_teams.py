"""Admins create teams and choose their members in Runway's own pages."""

from __future__ import annotations

from django.urls import reverse

from portal import services
from projects.models import Team
from tests.factories import UserFactory
from tests.portal import people_helpers

# Fixtures shared with test_people.py.
mfa_off, admin_client, team = (
    people_helpers.mfa_off,
    people_helpers.admin_client,
    people_helpers.team,
)


def test_an_admin_creates_a_team_with_members(admin_client):
    first, second = UserFactory(), UserFactory()
    response = admin_client.post(
        reverse("portal:team_create"),
        {
            "name": "Claims Operations",
            "description": "Claims intake",
            "members": [first.pk, second.pk],
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("portal:team_list")
    team = Team.objects.get(name="Claims Operations")
    assert team.slug == "claims-operations"
    assert team.description == "Claims intake"
    assert set(team.members.all()) == {first, second}
    listing = admin_client.get(reverse("portal:team_list"))
    assert first.display_name in listing.text


def test_an_admin_edits_a_team_and_its_members(admin_client, team):
    kept, dropped, added = UserFactory(), UserFactory(), UserFactory()
    team.members.set([kept, dropped])
    response = admin_client.post(
        reverse("portal:team_edit", args=[team.pk]),
        {"name": "Claims", "description": "", "members": [kept.pk, added.pk]},
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.name == "Claims"
    assert set(team.members.all()) == {kept, added}


def test_the_team_form_shows_the_current_members_checked(admin_client, team):
    member = UserFactory()
    team.members.add(member)
    form = admin_client.get(reverse("portal:team_edit", args=[team.pk])).context["form"]
    assert list(form["members"].value()) == [member.pk]


def test_editing_a_team_keeps_its_deactivated_members(admin_client, team, admin_user):
    gone = UserFactory()
    team.members.add(gone)
    services.user_deactivate(user=gone, actor=admin_user)
    admin_client.post(
        reverse("portal:team_edit", args=[team.pk]),
        {"name": team.name, "description": "New words", "members": [gone.pk]},
    )
    team.refresh_from_db()
    assert team.description == "New words"
    assert list(team.members.all()) == [gone]


def test_a_team_name_is_unique(admin_client, team):
    response = admin_client.post(reverse("portal:team_create"), {"name": team.name})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert Team.objects.filter(name=team.name).count() == 1
