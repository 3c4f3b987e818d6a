"""Fewer clicks on the step page: a gate naming every missing item with a link, a
sign-off request offering only people who may sign, an approval that looks like
one, a skip link and bulk actions on the checklist."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse

from projects import selectors, services, step_services
from projects.forms import SignOffRequestForm
from projects.models import (
    ChecklistItem,
    ItemState,
    Membership,
    ProjectRole,
    SignOff,
    StepStatus,
)
from projects.roles import GlobalRole
from tests.factories import COMPLETE_REQUIREMENTS, UserFactory
from tests.projects.conftest import step_of

pytestmark = pytest.mark.django_db


def step_url(project, number=3):
    return reverse("projects:step", kwargs={"slug": project.slug, "number": number})


def bulk_url(project, number=3):
    return reverse(
        "projects:checklist_bulk", kwargs={"slug": project.slug, "number": number}
    )


def items_of(project, number=3):
    return list(
        ChecklistItem.objects.filter(
            project=project, step__number=number, applicable=True
        ).order_by("order", "id")
    )


# 1. The gate names every missing item and links to it


def test_the_gate_lists_every_open_required_item_with_a_link(as_, people):
    project = people["project"]
    required = [i for i in items_of(project) if i.required]
    assert len(required) > 5  # more than the old "and N more" limit
    page = as_(people["lead"]).get(step_url(project)).text
    gate = page[page.index('id="gate"') :]
    for item in required:
        assert f'href="#item-{item.pk}"' in gate
        assert f'id="item-{item.pk}"' in page  # the anchor is on the page
    assert " more" not in re.sub(r"<[^>]+>", "", gate.split("</ul>")[0])
    assert f"{len(required)} required item(s) still open:" in gate


def test_the_gate_names_every_item_missing_evidence_with_a_link(as_, people):
    project = people["project"]
    needing = [i for i in items_of(project) if i.evidence_required]
    assert needing
    for item in items_of(project):
        item.state = ItemState.DONE
        item.save()
    page = as_(people["lead"]).get(step_url(project)).text
    gate = page[page.index('id="gate"') :]
    assert "Evidence is required but missing for:" in gate
    for item in needing:
        assert f'<a href="#item-{item.pk}">' in gate


def test_a_refused_mark_done_names_every_missing_item(people):
    project = people["project"]
    required = [i for i in items_of(project) if i.required]
    with pytest.raises(step_services.GateFailed) as refused:
        step_services.step_mark_done(project_step=step_of(project, 3))
    assert all(f"“{i.title}”" in str(refused.value) for i in required)


# 2. A sign-off request offers only the people who may sign


def test_the_reviewer_sign_off_offers_reviewers_only(people):
    project = people["project"]
    newcomer = UserFactory(roles=[GlobalRole.REVIEWER])
    UserFactory(roles=[GlobalRole.REVIEWER], is_active=False)
    UserFactory(roles=[GlobalRole.PRODUCT_MANAGER])
    # A member in another role is not offered, even with the Reviewer role.
    group, _ = Group.objects.get_or_create(name=GlobalRole.REVIEWER.value)
    people["contributor"].groups.add(group)
    form = SignOffRequestForm(project=project, roles=["reviewer"])
    offered = set(form.fields["signer"].queryset)
    assert offered == {people["reviewer"], newcomer}


def test_step_seven_offers_its_owner_and_lead(people):
    project = people["project"]
    UserFactory(roles=[GlobalRole.REVIEWER])
    form = SignOffRequestForm(project=project, roles=["lead", "owner"])
    assert set(form.fields["signer"].queryset) == {people["owner"], people["lead"]}


def test_the_form_and_the_service_follow_one_rule(people):
    project = people["project"]
    step = step_of(project, 3)
    everyone = [*people.values()][1:] + [UserFactory(roles=[GlobalRole.REVIEWER])]
    candidates = set(selectors.signoff_candidates(project, "reviewer"))
    assert len(candidates) == 2
    for person in everyone:
        form = SignOffRequestForm(
            {"role": "reviewer", "signer": person.pk},
            project=project,
            roles=["reviewer"],
        )
        assert form.is_valid() == (person in candidates), person
        if person in candidates:
            step_services.signoff_request(
                project_step=step, role="reviewer", signer=person, actor=people["lead"]
            )
        else:
            with pytest.raises(ValidationError):
                step_services.signoff_request(
                    project_step=step,
                    role="reviewer",
                    signer=person,
                    actor=people["lead"],
                )


def test_the_form_says_why_someone_may_not_sign(people):
    project = people["project"]
    form = SignOffRequestForm(
        {"role": "reviewer", "signer": people["contributor"].pk},
        project=project,
        roles=["reviewer"],
    )
    assert not form.is_valid()
    assert "is the project's contributor, not a reviewer" in form.errors["signer"][0]


def test_the_step_page_offers_only_candidates(as_, people):
    project = people["project"]
    stranger = UserFactory(first_name="Zelda", last_name="Stranger")
    page = as_(people["lead"]).get(step_url(project)).text
    select = page[page.index('name="signer"') :]
    select = select[: select.index("</select>")]
    assert f'value="{people["reviewer"].pk}"' in select
    assert f'value="{stranger.pk}"' not in select
    assert f'value="{people["contributor"].pk}"' not in select


# 3. Approving requirements is a primary action


def test_approving_requirements_is_a_primary_button(as_, people):
    from assessments import services as assessment_services

    project, owner = people["project"], people["owner"]
    values = dict(COMPLETE_REQUIREMENTS)
    for key in (
        "peak_rps",
        "error_rate_pct",
        "uptime_pct",
        "quality_score_target",
        "monthly_budget_usd",
    ):
        values[key] = Decimal(values[key])
    assessment_services.requirements_save(project=project, author=owner, values=values)
    page = (
        as_(owner)
        .get(reverse("assessments:requirements", kwargs={"slug": project.slug}))
        .text
    )
    button = re.search(r'<button[^>]*form="approve-1"[^>]*>', page)
    assert button and 'class="button-primary"' in button.group(0)
    assert 'data-confirm-kind="primary"' in page
    assert "button-danger" not in page


# 4. Keyboard: a skip link to the checklist, and ids that keep focus after a tick


def test_the_step_page_has_a_skip_link_to_the_checklist(as_, people):
    project = people["project"]
    page = as_(people["lead"]).get(step_url(project)).text
    assert '<a class="skip-link" href="#checklist">Skip to checklist</a>' in page
    assert 'id="checklist"' in page


def test_a_tick_gives_back_a_control_with_the_same_id(as_, people):
    item = items_of(people["project"])[0]
    url = reverse(
        "projects:item_state", kwargs={"slug": item.project.slug, "pk": item.pk}
    )
    page = as_(people["lead"]).get(step_url(item.project)).text
    assert f'id="tick-{item.pk}"' in page
    response = as_(people["lead"]).post(
        url,
        {"state": "done"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"item-{item.pk}-head",
    )
    assert f'id="tick-{item.pk}"' in response.text


# 5. Bulk actions


def test_several_items_are_ticked_in_one_post(as_, people):
    project = people["project"]
    chosen = items_of(project)[:3]
    response = as_(people["contributor"]).post(
        bulk_url(project),
        {"items": [str(i.pk) for i in chosen], "action": "done"},
        follow=True,
    )
    assert "3 item(s) ticked." in response.text
    for item in chosen:
        item.refresh_from_db()
        assert item.state == ItemState.DONE
        assert item.completed_by == people["contributor"]
        assert item.history.count() >= 2  # audited as a single tick is
    assert items_of(project)[3].state == ItemState.OPEN


def test_several_items_are_assigned_to_a_member_who_is_told(as_, people):
    project = people["project"]
    chosen = items_of(project)[:2]
    as_(people["lead"]).post(
        bulk_url(project),
        {
            "items": [str(i.pk) for i in chosen],
            "action": "assign",
            "assignee": people["contributor"].pk,
        },
    )
    for item in chosen:
        item.refresh_from_db()
        assert item.assignee == people["contributor"]
    assert people["contributor"].notifications.count() == 2


def test_several_items_are_marked_not_applicable_with_one_justification(as_, people):
    project = people["project"]
    chosen = items_of(project)[:2]
    as_(people["owner"]).post(
        bulk_url(project),
        {
            "items": [str(i.pk) for i in chosen],
            "action": "not_applicable",
            "justification": "  No card data here. ",
        },
    )
    for item in chosen:
        item.refresh_from_db()
        assert (item.state, item.na_justification) == (
            ItemState.NOT_APPLICABLE,
            "No card data here.",
        )


def test_not_applicable_needs_a_justification_and_changes_nothing(as_, people):
    project = people["project"]
    chosen = items_of(project)[:2]
    response = as_(people["lead"]).post(
        bulk_url(project),
        {"items": [str(i.pk) for i in chosen], "action": "not_applicable"},
        follow=True,
    )
    assert "Say why the selected items do not apply." in response.text
    assert all(i.state == ItemState.OPEN for i in items_of(project)[:2])


def test_an_item_of_another_step_changes_nothing(people):
    project = people["project"]
    here, elsewhere = items_of(project, 3)[0], items_of(project, 4)[0]
    with pytest.raises(ValidationError):
        services.items_bulk_update(
            project=project,
            step=here.step,
            item_ids=[here.pk, elsewhere.pk],
            action="done",
            actor=people["lead"],
        )
    here.refresh_from_db()
    assert here.state == ItemState.OPEN


def test_a_failure_on_one_item_undoes_the_others(people, monkeypatch):
    project = people["project"]
    chosen = items_of(project)[:3]
    real = services.item_set_state
    calls = []

    def fails_on_the_third(**kwargs):
        calls.append(kwargs["item"].pk)
        if len(calls) == 3:
            raise ValidationError("Refused.")
        return real(**kwargs)

    monkeypatch.setattr(services, "item_set_state", fails_on_the_third)
    with pytest.raises(ValidationError):
        services.items_bulk_update(
            project=project,
            step=chosen[0].step,
            item_ids=[i.pk for i in chosen],
            action="done",
            actor=people["lead"],
        )
    assert all(i.state == ItemState.OPEN for i in items_of(project)[:3])


def test_a_done_step_refuses_bulk_changes(people):
    project = people["project"]
    project_step = step_of(project, 3)
    project_step.status = StepStatus.DONE
    project_step.save()
    item = items_of(project)[0]
    with pytest.raises(ValidationError, match="Reopen it"):
        services.items_bulk_update(
            project=project,
            step=item.step,
            item_ids=[item.pk],
            action="done",
            actor=people["lead"],
        )


def test_only_members_are_assigned(people):
    project = people["project"]
    item = items_of(project)[0]
    with pytest.raises(ValidationError, match="not a member"):
        services.items_bulk_update(
            project=project,
            step=item.step,
            item_ids=[item.pk],
            action="assign",
            actor=people["lead"],
            assignee=people["outsider"],
        )


@pytest.mark.parametrize("persona", ["reviewer", "viewer"])
def test_read_only_members_get_403_as_for_one_item(as_, people, persona):
    project = people["project"]
    item = items_of(project)[0]
    response = as_(people[persona]).post(
        bulk_url(project), {"items": [str(item.pk)], "action": "done"}
    )
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.state == ItemState.OPEN


def test_outsiders_get_404(as_, people):
    project = people["project"]
    item = items_of(project)[0]
    response = as_(people["outsider"]).post(
        bulk_url(project), {"items": [str(item.pk)], "action": "done"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("raw", ["abc", "-1", "1.5", "²", "0", "9" * 30])
def test_unreadable_ids_are_refused_with_a_message(as_, people, raw):
    project = people["project"]
    item = items_of(project)[0]
    response = as_(people["lead"]).post(
        bulk_url(project), {"items": [str(item.pk), raw], "action": "done"}, follow=True
    )
    assert response.status_code == 200
    assert "The selection could not be read." in response.text
    item.refresh_from_db()
    assert item.state == ItemState.OPEN


def test_nothing_selected_says_so(as_, people):
    response = as_(people["lead"]).post(
        bulk_url(people["project"]), {"action": "done"}, follow=True
    )
    assert "Select at least one item." in response.text


def test_the_bulk_controls_show_only_to_people_who_work_the_checklist(as_, people):
    project = people["project"]
    item = items_of(project)[0]
    page = as_(people["contributor"]).get(step_url(project)).text
    assert 'id="bulk-form"' in page
    assert f'id="select-{item.pk}"' in page and 'form="bulk-form"' in page
    page = as_(people["viewer"]).get(step_url(project)).text
    assert 'id="bulk-form"' not in page and f'id="select-{item.pk}"' not in page


def test_the_roles_of_a_signoff_still_match_the_service(people):
    # Unchanged behaviour: a reviewer asked becomes a member, once.
    project = people["project"]
    newcomer = UserFactory(roles=[GlobalRole.REVIEWER])
    step_services.signoff_request(
        project_step=step_of(project, 3),
        role="reviewer",
        signer=newcomer,
        actor=people["lead"],
    )
    assert Membership.objects.get(project=project, user=newcomer).role == (
        ProjectRole.REVIEWER
    )
    assert SignOff.objects.filter(signer=newcomer).count() == 1
