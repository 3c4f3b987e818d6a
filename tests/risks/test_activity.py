"""The risks part of a project's activity: what people did to the register, its
acceptances and the EU AI Act tier, told as sentences that name them; Runway's own
suggestions stay silent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from projects.activity import project_activity
from projects.audit import acting_as
from projects.models import ChecklistItem
from projects.roles import GlobalRole
from risks import services
from risks.activity import risks_activity
from risks.ai_act import Answers
from risks.ai_act_services import ai_act_answer
from risks.models import AcceptanceStatus, Risk, RiskStatus, Treatment
from tests.factories import UserFactory
from tests.risks.register_helpers import items_of, own_risk, suggestions_of

pytestmark = pytest.mark.django_db

HIGH = Answers(
    users=("staff",), purpose="Rank job applicants", annex_iii_area="employment"
)
LIMITED = Answers(users=("customers",), purpose="Chat", transparency=("interacts",))
MINIMAL = Answers(users=("staff",), purpose="Summarise notes")


@pytest.fixture
def executive(db):
    return UserFactory(roles=[GlobalRole.EXECUTIVE], first_name="Eve")


def told(project):
    return [(e.who, e.text) for e in risks_activity(project)]


def high_risk(project, owner, title="Agent loops on the refund tool"):
    """A risk of the project's own whose residual score needs an executive (4 × 4)."""
    with acting_as(owner):
        return own_risk(
            project, owner, title=title, residual_likelihood=4, residual_impact=4
        )


def ask(risk, by, reason="Ten handlers check every answer."):
    with acting_as(by):
        return services.acceptance_request(
            risk=risk,
            requested_by=by,
            reason=reason,
            expires_on=timezone.localdate() + timedelta(days=30),
        )


# The register


def test_runway_suggestions_are_silent(people):
    project = people["project"]
    assert suggestions_of(project).exists()
    assert risks_activity(project) == []
    assert not any("suggest" in e.text for e in project_activity(project))


def test_a_risk_added_by_hand_is_told_with_its_mitigations(people):
    project, lead = people["project"], people["lead"]
    first, second = items_of(project, 2)
    with acting_as(lead):
        own_risk(project, lead, mitigations=[first, second])
    assert told(project) == [
        (
            lead.display_name,
            f"linked the mitigations {', '.join(sorted([f'“{first.title}”', f'“{second.title}”']))} "
            "to “Agent loops on the refund tool”",
        ),
        (lead.display_name, "added “Agent loops on the refund tool”"),
    ]


def test_accepting_and_dismissing_suggestions_are_told(people):
    project, owner, lead = people["project"], people["owner"], people["lead"]
    kept, turned_down = suggestions_of(project).order_by("title")[:2]
    with acting_as(owner):
        services.suggestion_accept(risk=kept, owner=lead)
        services.suggestion_dismiss(risk=turned_down)
    assert told(project) == [
        (owner.display_name, f"dismissed the suggestion “{turned_down.title}”"),
        (
            owner.display_name,
            f"accepted the suggestion “{kept.title}” into the register, "
            f"owned by {lead.display_name}",
        ),
    ]


def test_accepting_a_suggestion_does_not_claim_its_links_were_made_then(people):
    project, owner = people["project"], people["owner"]
    suggestion = (
        suggestions_of(project).filter(mitigations__isnull=False).distinct().first()
    )
    assert suggestion is not None
    with acting_as(owner):
        services.suggestion_accept(risk=suggestion, owner=owner)
        services.risk_update(risk=suggestion, mitigations=[])
    texts = [text for _, text in told(project)]
    assert not any(text.startswith("linked") for text in texts)
    assert any(
        text.startswith("unlinked the mitigation") and suggestion.title in text
        for text in texts
    )


def test_status_score_treatment_and_owner_changes_are_told(people):
    project, owner, lead = people["project"], people["owner"], people["lead"]
    mitigation = items_of(project, 1)[0]
    with acting_as(owner):
        risk = own_risk(project, owner, mitigations=[mitigation])
    with acting_as(lead):
        services.risk_update(risk=risk, residual_likelihood=3, residual_impact=4)
        services.risk_update(risk=risk, treatment=Treatment.TRANSFER)
        services.risk_update(risk=risk, owner=lead)
        services.risk_update(risk=risk, review_date=timezone.localdate(), cause="x")
    ChecklistItem.objects.filter(pk=mitigation.pk).update(state="done")
    with acting_as(lead):
        services.risk_update(risk=risk, status=RiskStatus.MITIGATED)
        services.risk_update(risk=risk, status=RiskStatus.CLOSED)
        services.risk_update(risk=risk, status=RiskStatus.OPEN)
        services.risk_update(risk=risk, title="Agent loops on refunds")
        services.risk_update(risk=risk, owner=None)
    by = lead.display_name
    assert told(project)[:9] == [
        (by, "left “Agent loops on refunds” without an owner"),
        (by, "renamed “Agent loops on the refund tool” to “Agent loops on refunds”"),
        (by, "reopened “Agent loops on the refund tool”"),
        (by, "closed “Agent loops on the refund tool”"),
        (by, "marked “Agent loops on the refund tool” mitigated"),
        (by, "changed the cause, review date of “Agent loops on the refund tool”"),
        (by, f"made {lead.display_name} the owner of “Agent loops on the refund tool”"),
        (by, "set the treatment of “Agent loops on the refund tool” to transfer"),
        (
            by,
            "judged the residual score of “Agent loops on the refund tool” "
            "3 × 4 = 12 (was 2 × 3 = 6)",
        ),
    ]


def test_an_owner_accepting_a_low_risk_is_told(people):
    project, owner = people["project"], people["owner"]
    with acting_as(owner):
        risk = own_risk(project, owner)
        services.risk_update(risk=risk, status=RiskStatus.ACCEPTED)
    assert told(project)[0] == (
        owner.display_name,
        "accepted “Agent loops on the refund tool”",
    )


# Acceptances above the threshold


def test_a_request_and_its_approval_are_told_once_with_reason_and_expiry(
    people, executive
):
    project, owner = people["project"], people["owner"]
    risk = high_risk(project, owner)
    acceptance = ask(risk, owner)
    with acting_as(executive):
        services.acceptance_decide(
            acceptance=acceptance,
            decided_by=executive,
            approve=True,
            comment="Review at the pilot's end",
        )
    until = f"{acceptance.expires_on:%Y-%m-%d}"
    assert told(project)[:2] == [
        (
            executive.display_name,
            "approved the acceptance of “Agent loops on the refund tool” until "
            f"{until}: “Review at the pilot's end”",
        ),
        (
            owner.display_name,
            "asked for the acceptance of “Agent loops on the refund tool” until "
            f"{until}: Ten handlers check every answer.",
        ),
    ]
    # The risk's own change to "accepted" is the approval: not told twice.
    assert not any(text.startswith("accepted “") for _, text in told(project))
    assert not any("treatment" in text for _, text in told(project))


def test_a_rejection_is_told_with_the_executives_comment(people, executive):
    project, owner = people["project"], people["owner"]
    acceptance = ask(high_risk(project, owner), owner)
    # Decided outside a request: the acceptance names the executive all the same.
    services.acceptance_decide(
        acceptance=acceptance,
        decided_by=executive,
        approve=False,
        comment="Not before the pen test",
    )
    assert told(project)[0] == (
        executive.display_name,
        "rejected the acceptance of “Agent loops on the refund tool”: "
        "“Not before the pen test”",
    )


def test_an_expiry_is_told_as_runways_and_the_risk_opens_again(people, executive):
    project, owner = people["project"], people["owner"]
    acceptance = ask(high_risk(project, owner), owner)
    with acting_as(executive):
        services.acceptance_decide(
            acceptance=acceptance, decided_by=executive, approve=True
        )
    with acting_as(None):
        assert (
            services.acceptances_expire(today=acceptance.expires_on + timedelta(days=1))
            == 1
        )
    until = f"{acceptance.expires_on:%Y-%m-%d}"
    assert set(told(project)[:2]) == {
        (
            "Runway",
            "ended the acceptance of “Agent loops on the refund tool”, "
            f"which expired on {until}",
        ),
        ("Runway", "reopened “Agent loops on the refund tool”"),
    }


def test_a_withdrawn_request_is_told(people):
    project, owner = people["project"], people["owner"]
    acceptance = ask(high_risk(project, owner), owner)
    with acting_as(owner):
        acceptance.status = AcceptanceStatus.WITHDRAWN
        acceptance.save()
    assert told(project)[0] == (
        owner.display_name,
        "withdrew the request to accept “Agent loops on the refund tool”",
    )


# The EU AI Act tier


def test_the_first_answers_and_each_change_of_tier_are_told(people):
    project, owner, lead = people["project"], people["owner"], people["lead"]
    ai_act_answer(project=project, by=owner, answers=LIMITED)
    ai_act_answer(
        project=project,
        by=lead,
        answers=HIGH,
        reason="It now ranks applicants.",
    )
    ai_act_answer(
        project=project,
        by=lead,
        answers=Answers(
            users=("staff", "customers"),
            purpose="Rank job applicants",
            annex_iii_area="employment",
        ),
    )
    assert told(project) == [
        (lead.display_name, "revised the EU AI Act answers (still High-risk)"),
        (
            lead.display_name,
            "changed the EU AI Act tier from Limited risk to High-risk: "
            "It now ranks applicants.",
        ),
        (owner.display_name, "answered the EU AI Act questionnaire (Limited risk)"),
    ]


def test_risk_entries_join_the_projects_activity_without_a_step(people):
    project, owner = people["project"], people["owner"]
    with acting_as(owner):
        own_risk(project, owner)
    ai_act_answer(project=project, by=owner, answers=MINIMAL)
    entries = [e for e in project_activity(project) if "“Agent loops" in e.text]
    assert [(e.who, e.text, e.step) for e in entries] == [
        (owner.display_name, "added “Agent loops on the refund tool”", None)
    ]
    assert (
        owner.display_name,
        "answered the EU AI Act questionnaire (Minimal risk)",
    ) in [(e.who, e.text) for e in project_activity(project)]


# Cost


def work_on(project, owner, executive, count, start=0):
    """``count`` risks, each added, scored, relinked, asked for and decided."""
    items = items_of(project, 3)
    for n in range(start, start + count):
        risk = high_risk(project, owner, title=f"Risk {n:03}")
        with acting_as(owner):
            services.risk_update(
                risk=risk, residual_impact=5, mitigations=items[: 1 + n % 3]
            )
        acceptance = ask(risk, owner)
        with acting_as(executive):
            services.acceptance_decide(
                acceptance=acceptance,
                decided_by=executive,
                approve=bool(n % 2),
                comment="Later",
            )
    suggestions = list(suggestions_of(project).order_by("title")[:count])
    with acting_as(owner):
        for suggestion in suggestions:
            services.suggestion_accept(risk=suggestion, owner=owner)


def test_the_query_count_does_not_grow_with_the_risks(
    people, executive, django_assert_num_queries, django_assert_max_num_queries
):
    project, owner = people["project"], people["owner"]
    ai_act_answer(project=project, by=owner, answers=LIMITED)
    ai_act_answer(project=project, by=owner, answers=HIGH, reason="Ranks people.")
    work_on(project, owner, executive, 2)
    with django_assert_max_num_queries(6) as few:
        risks_activity(project)
    work_on(project, owner, executive, 25, start=2)
    assert Risk.objects.filter(project=project).count() > 40
    with django_assert_num_queries(len(few.captured_queries)):
        many = risks_activity(project)
    assert len(many) > 150
