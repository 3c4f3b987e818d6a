"""A project's settings, archive and members pages, as each persona uses them."""

from __future__ import annotations

import datetime
import html

import pytest
from django.urls import reverse

from projects import services
from projects.models import (
    ChecklistItem,
    Framework,
    ItemState,
    Membership,
    Project,
    ProjectRole,
)
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

READ_ONLY_FOR_SETTINGS = ["lead", "contributor", "reviewer", "viewer"]


def url(name, project, **kwargs):
    return reverse(f"projects:{name}", kwargs={"slug": project.slug, **kwargs})


def text_of(response):
    return html.unescape(response.content.decode())


def details(project, **changes):
    """The edit form as the browser posts it, with the project's current values."""
    data = {
        "name": project.name,
        "summary": project.summary,
        "team": project.team_id,
        "status": project.status,
        "use_case": project.use_case,
        "prototype_origin": project.prototype_origin,
        "data_classification": project.data_classification,
        "frameworks": [f.pk for f in project.frameworks.all()],
        "target_launch_date": project.target_launch_date or "",
        "operating_owner": project.operating_owner_id or "",
        "metric_gate_window_days": project.metric_gate_window_days,
    }
    data.update(changes)
    return data


def snapshot(project):
    project = Project.objects.get(pk=project.pk)
    return (
        project.name,
        project.summary,
        project.team_id,
        project.status,
        project.use_case,
        project.prototype_origin,
        project.data_classification,
        sorted(project.frameworks.values_list("code", flat=True)),
        project.target_launch_date,
        project.operating_owner_id,
        project.archived_at,
    )


def codes(*names):
    return [f.pk for f in Framework.objects.filter(code__in=names)]


def roles_of(project):
    return dict(
        Membership.objects.filter(project=project).values_list("user_id", "role")
    )


# Editing the details


@pytest.mark.parametrize("persona", ["owner", "admin"])
def test_the_owner_and_admins_open_the_settings(as_, people, admin_user, persona):
    user = admin_user if persona == "admin" else people[persona]
    response = as_(user).get(url("edit", people["project"]))
    assert response.status_code == 200
    body = text_of(response)
    assert 'name="name"' in body and "Claims Triage Assistant" in body
    assert url("archive", people["project"]) in body


@pytest.mark.parametrize("persona", ["owner", "admin"])
def test_the_owner_and_admins_save_every_field(as_, people, admin_user, persona):
    project = people["project"]
    user = admin_user if persona == "admin" else people[persona]
    new_team = TeamFactory(name="Payments")
    operator = people["lead"]
    response = as_(user).post(
        url("edit", project),
        details(
            project,
            name="Claims Copilot",
            summary="Drafts claim decisions for adjusters.",
            team=new_team.pk,
            status="at_risk",
            use_case="copilot",
            prototype_origin="replit",
            data_classification="confidential",
            frameworks=codes("soc2", "gdpr"),
            target_launch_date="2026-11-30",
            operating_owner=operator.pk,
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == url("edit", project)
    project = Project.objects.get(pk=project.pk)
    assert project.name == "Claims Copilot"
    assert project.summary == "Drafts claim decisions for adjusters."
    assert project.team == new_team
    assert project.status == "at_risk"
    assert project.use_case == "copilot"
    assert project.prototype_origin == "replit"
    assert project.data_classification == "confidential"
    assert sorted(project.frameworks.values_list("code", flat=True)) == [
        "gdpr",
        "soc2",
    ]
    assert project.target_launch_date == datetime.date(2026, 11, 30)
    assert project.operating_owner == operator
    # The slug is the address: renaming keeps links working.
    assert project.slug == people["project"].slug


def test_saved_details_are_shown_back_in_the_form(as_, people):
    project = people["project"]
    client = as_(people["owner"])
    client.post(
        url("edit", project),
        details(project, summary="Answers adjusters' questions.", status="paused"),
    )
    body = text_of(client.get(url("edit", project)))
    assert "Answers adjusters' questions." in body
    assert '<option value="paused" selected>' in body


@pytest.mark.parametrize("persona", READ_ONLY_FOR_SETTINGS)
def test_other_members_get_403_on_the_settings_page(as_, people, persona):
    assert as_(people[persona]).get(url("edit", people["project"])).status_code == 403


@pytest.mark.parametrize("persona", READ_ONLY_FOR_SETTINGS)
def test_other_members_get_403_on_saving_and_nothing_changes(as_, people, persona):
    project = people["project"]
    before = snapshot(project)
    response = as_(people[persona]).post(
        url("edit", project),
        details(project, name="Hijacked", status="retired", frameworks=[]),
    )
    assert response.status_code == 403
    assert snapshot(project) == before


def test_outsiders_get_404_on_the_settings(as_, people):
    project = people["project"]
    before = snapshot(project)
    client = as_(people["outsider"])
    assert client.get(url("edit", project)).status_code == 404
    assert (
        client.post(url("edit", project), details(project, name="X")).status_code == 404
    )
    assert snapshot(project) == before


def test_the_settings_answer_405_to_other_methods(as_, people):
    client = as_(people["owner"])
    assert client.put(url("edit", people["project"])).status_code == 405
    assert client.delete(url("edit", people["project"])).status_code == 405


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"name": ""}, "This field is required."),
        ({"target_launch_date": "2026-13-45"}, "Enter a valid date."),
        ({"team": "999999"}, "Select a valid choice."),
        ({"status": "launched"}, "Select a valid choice."),
    ],
    ids=["missing-name", "bad-date", "unknown-team", "launched-is-derived"],
)
def test_invalid_details_re_render_with_200_and_change_nothing(
    as_, people, changes, error
):
    project = people["project"]
    before = snapshot(project)
    items_before = ChecklistItem.objects.filter(project=project).count()
    response = as_(people["owner"]).post(
        url("edit", project),
        details(project, summary="Should not be saved.", **changes),
    )
    assert response.status_code == 200
    body = text_of(response)
    assert error in body
    assert "Please correct the following" in body
    assert snapshot(project) == before
    assert ChecklistItem.objects.filter(project=project).count() == items_before


def test_an_unchanged_save_reports_no_checklist_refresh(as_, people):
    project = people["project"]
    response = as_(people["owner"]).post(
        url("edit", project), details(project), follow=True
    )
    body = text_of(response)
    assert "Project details saved." in body
    assert "Checklist refreshed" not in body


def test_adding_a_framework_adds_its_items_and_keeps_earlier_ticks(as_, people):
    project, owner = people["project"], people["owner"]
    ticked = ChecklistItem.objects.filter(
        project=project, template__key="s3-hipaa-baa"
    ).get()
    services.item_set_state(item=ticked, state=ItemState.DONE, actor=people["lead"])
    assert not ChecklistItem.objects.filter(
        project=project, template__frameworks__code="pci_dss"
    ).exists()

    response = as_(owner).post(
        url("edit", project),
        details(project, frameworks=codes("hipaa", "soc2", "pci_dss")),
        follow=True,
    )

    assert response.status_code == 200
    pci = ChecklistItem.objects.filter(
        project=project, template__frameworks__code="pci_dss"
    )
    assert set(pci.values_list("template__key", flat=True)) == {
        "s3-pci-no-cardholder-data",
        "s3-pci-tokenisation",
    }
    assert all(item.applicable and item.state == ItemState.OPEN for item in pci)
    ticked.refresh_from_db()
    assert ticked.state == ItemState.DONE
    assert ticked.completed_by == people["lead"]
    assert ticked.applicable
    body = text_of(response)
    assert "Project details saved." in body
    assert "Checklist refreshed: 2 item(s) added, 0 no longer apply." in body


def test_dropping_a_framework_flags_its_items_and_keeps_their_ticks(as_, people):
    project = people["project"]
    ticked = ChecklistItem.objects.get(project=project, template__key="s3-hipaa-baa")
    services.item_set_state(item=ticked, state=ItemState.DONE, actor=people["lead"])
    hipaa_items = ChecklistItem.objects.filter(
        project=project, template__frameworks__code="hipaa"
    ).count()

    response = as_(people["owner"]).post(
        url("edit", project), details(project, frameworks=codes("soc2")), follow=True
    )

    ticked.refresh_from_db()
    assert ticked.state == ItemState.DONE and not ticked.applicable
    assert (
        ChecklistItem.objects.filter(
            project=project, template__frameworks__code="hipaa"
        ).count()
        == hipaa_items
    )
    assert (
        f"Checklist refreshed: 0 item(s) added, {hipaa_items} no longer apply."
        in text_of(response)
    )


# Archiving


def test_archiving_hides_the_project_from_lists_and_the_portfolio(as_, people):
    project = people["project"]
    viewer = as_(people["viewer"])
    assert project.name in text_of(viewer.get(reverse("projects:list")))
    assert project.name in text_of(viewer.get(reverse("portal:home")))

    response = as_(people["owner"]).post(url("archive", project), follow=True)

    assert response.status_code == 200
    assert "Claims Triage Assistant is archived. Its history is kept." in text_of(
        response
    )
    project.refresh_from_db()
    assert project.archived_at is not None
    for persona in ("owner", "viewer"):
        client = as_(people[persona])
        assert project.name not in text_of(client.get(reverse("projects:list")))
        assert project.name not in text_of(client.get(reverse("portal:home")))


def test_archiving_keeps_the_project_and_its_history(as_, people):
    project = people["project"]
    item = ChecklistItem.objects.filter(project=project).first()
    services.item_set_state(item=item, state=ItemState.DONE, actor=people["lead"])
    items = ChecklistItem.objects.filter(project=project).count()
    history = project.history.count()
    members = roles_of(project)

    as_(people["owner"]).post(url("archive", project))

    assert Project.objects.filter(pk=project.pk).exists()
    assert ChecklistItem.objects.filter(project=project).count() == items
    assert project.history.count() == history + 1
    assert roles_of(project) == members
    item.refresh_from_db()
    assert item.state == ItemState.DONE
    # Members still reach the archived project itself.
    response = as_(people["viewer"]).get(url("detail", project))
    assert response.status_code == 200
    assert '<span class="badge badge-retired">Archived</span>' in text_of(response)


def test_archiving_again_restores_the_project(as_, people):
    project = people["project"]
    client = as_(people["owner"])
    client.post(url("archive", project))
    response = client.post(url("archive", project), follow=True)
    assert "Claims Triage Assistant is active again." in text_of(response)
    project.refresh_from_db()
    assert project.archived_at is None
    assert project.name in text_of(as_(people["viewer"]).get(reverse("projects:list")))


def test_an_admin_archives_a_project(as_, people, admin_user):
    response = as_(admin_user).post(url("archive", people["project"]))
    assert response.status_code == 302
    people["project"].refresh_from_db()
    assert people["project"].archived_at is not None


def test_archive_answers_405_to_get_and_changes_nothing(as_, people):
    response = as_(people["owner"]).get(url("archive", people["project"]))
    assert response.status_code == 405
    people["project"].refresh_from_db()
    assert people["project"].archived_at is None


@pytest.mark.parametrize("persona", READ_ONLY_FOR_SETTINGS)
def test_other_members_get_403_on_archiving(as_, people, persona):
    assert (
        as_(people[persona]).post(url("archive", people["project"])).status_code == 403
    )
    people["project"].refresh_from_db()
    assert people["project"].archived_at is None


def test_outsiders_get_404_on_archiving(as_, people):
    assert (
        as_(people["outsider"]).post(url("archive", people["project"])).status_code
        == 404
    )
    people["project"].refresh_from_db()
    assert people["project"].archived_at is None


# Members


def add_member(client, project, user, role):
    return client.post(
        url("members", project),
        {"user": user.pk, "role": role, "add_member": "1"},
        follow=True,
    )


def test_the_owner_sees_the_members_with_the_forms(as_, people):
    response = as_(people["owner"]).get(url("members", people["project"]))
    assert response.status_code == 200
    body = text_of(response)
    for persona in ("owner", "lead", "contributor", "reviewer", "viewer"):
        assert people[persona].email in body
    assert 'name="add_member"' in body and 'name="transfer"' in body


def test_the_owner_adds_a_member_with_a_role(as_, people):
    project, newcomer = people["project"], UserFactory(first_name="Nia")
    response = add_member(as_(people["owner"]), project, newcomer, "contributor")
    assert response.status_code == 200
    assert f"{newcomer} is now a member." in text_of(response)
    assert roles_of(project)[newcomer.pk] == ProjectRole.CONTRIBUTOR
    # Membership is what lets them see the project.
    assert as_(newcomer).get(url("detail", project)).status_code == 200


def test_an_admin_adds_a_member(as_, people, admin_user):
    newcomer = UserFactory()
    add_member(as_(admin_user), people["project"], newcomer, "viewer")
    assert roles_of(people["project"])[newcomer.pk] == ProjectRole.VIEWER


def test_the_owner_changes_a_members_role(as_, people):
    project, viewer = people["project"], people["viewer"]
    add_member(as_(people["owner"]), project, viewer, "lead")
    assert roles_of(project)[viewer.pk] == ProjectRole.LEAD
    assert Membership.objects.filter(project=project, user=viewer).count() == 1


def test_the_member_form_cannot_make_anyone_owner(as_, people):
    project = people["project"]
    before = roles_of(project)
    response = add_member(as_(people["owner"]), project, people["lead"], "owner")
    assert response.status_code == 200
    assert "Select a valid choice." in text_of(response)
    assert roles_of(project) == before


def test_the_member_form_cannot_demote_the_owner(as_, people):
    project = people["project"]
    before = roles_of(project)
    response = add_member(as_(people["owner"]), project, people["owner"], "viewer")
    assert response.status_code == 200
    assert "Name a new owner before changing the owner's role." in text_of(response)
    assert roles_of(project) == before


def test_the_owner_transfers_ownership_and_stays_a_contributor(as_, people):
    project, old, new = people["project"], people["owner"], people["lead"]
    response = as_(old).post(
        url("members", project), {"new_owner": new.pk, "transfer": "1"}, follow=True
    )
    assert response.status_code == 200
    assert f"{new} now owns the project." in text_of(response)
    owners = Membership.objects.filter(project=project, role=ProjectRole.OWNER)
    assert list(owners.values_list("user_id", flat=True)) == [new.pk]
    assert roles_of(project)[old.pk] == ProjectRole.CONTRIBUTOR
    # The former owner can no longer change the settings; the new one can.
    assert as_(old).get(url("edit", project)).status_code == 403
    assert as_(new).get(url("edit", project)).status_code == 200


def test_ownership_can_go_to_someone_not_yet_a_member(as_, people):
    project, newcomer = people["project"], UserFactory()
    as_(people["owner"]).post(
        url("members", project), {"new_owner": newcomer.pk, "transfer": "1"}
    )
    owners = Membership.objects.filter(project=project, role=ProjectRole.OWNER)
    assert list(owners.values_list("user_id", flat=True)) == [newcomer.pk]
    assert roles_of(project)[people["owner"].pk] == ProjectRole.CONTRIBUTOR


def remove_url(project, user):
    membership = Membership.objects.get(project=project, user=user)
    return url("member_remove", project, pk=membership.pk)


def test_the_owner_removes_a_member(as_, people):
    project, viewer = people["project"], people["viewer"]
    response = as_(people["owner"]).post(remove_url(project, viewer), follow=True)
    assert response.status_code == 200
    assert f"{viewer} is no longer a member." in text_of(response)
    assert viewer.pk not in roles_of(project)
    assert as_(viewer).get(url("detail", project)).status_code == 404


def test_removing_the_owner_is_refused_with_a_message(as_, people):
    project, owner = people["project"], people["owner"]
    before = roles_of(project)
    response = as_(owner).post(remove_url(project, owner), follow=True)
    assert response.status_code == 200
    assert "A project always has an owner: name a new one first." in text_of(response)
    assert roles_of(project) == before


def test_removal_answers_405_to_get(as_, people):
    project = people["project"]
    before = roles_of(project)
    response = as_(people["owner"]).get(remove_url(project, people["viewer"]))
    assert response.status_code == 405
    assert roles_of(project) == before


def test_a_membership_of_another_project_cannot_be_removed_through_this_one(
    as_, people
):
    project = people["project"]
    other = services.project_create(
        name="Other", team=project.team, owner=people["owner"], lead=people["viewer"]
    )
    foreign = Membership.objects.get(project=other, user=people["viewer"])
    response = as_(people["owner"]).post(url("member_remove", project, pk=foreign.pk))
    assert response.status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


@pytest.mark.parametrize("persona", ["lead", "contributor", "reviewer", "viewer"])
def test_members_see_the_member_list_without_the_forms(as_, people, persona):
    response = as_(people[persona]).get(url("members", people["project"]))
    assert response.status_code == 200
    body = text_of(response)
    assert people["owner"].email in body and people["viewer"].email in body
    assert 'name="add_member"' not in body
    assert 'name="transfer"' not in body
    assert "/remove/" not in body


@pytest.mark.parametrize("persona", ["lead", "viewer"])
def test_members_without_the_right_get_403_on_changing_members(as_, people, persona):
    project = people["project"]
    before = roles_of(project)
    client = as_(people[persona])
    newcomer = UserFactory()
    assert (
        client.post(
            url("members", project),
            {"user": newcomer.pk, "role": "lead", "add_member": "1"},
        ).status_code
        == 403
    )
    assert (
        client.post(
            url("members", project), {"new_owner": people[persona].pk, "transfer": "1"}
        ).status_code
        == 403
    )
    assert client.post(remove_url(project, people["contributor"])).status_code == 403
    assert roles_of(project) == before


def test_outsiders_get_404_on_the_members_pages(as_, people):
    project = people["project"]
    before = roles_of(project)
    client = as_(people["outsider"])
    assert client.get(url("members", project)).status_code == 404
    assert (
        client.post(
            url("members", project),
            {"user": people["outsider"].pk, "role": "lead", "add_member": "1"},
        ).status_code
        == 404
    )
    assert client.post(remove_url(project, people["viewer"])).status_code == 404
    assert roles_of(project) == before


def test_the_members_page_answers_405_to_other_methods(as_, people):
    assert (
        as_(people["owner"]).put(url("members", people["project"])).status_code == 405
    )
