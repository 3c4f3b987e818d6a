"""The risk register's rules: suggestions from the library, mitigations that are
checklist items, the acceptance threshold and its expiry, and the at-risk reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from projects import services as project_services
from projects.models import (
    ChecklistItem,
    DataClassification,
    Framework,
    ItemState,
    Notification,
    NotificationKind,
    UseCase,
)
from projects.roles import GlobalRole
from projects.selectors import project_list_for_user, risk_reasons_of
from risks import scoring, services
from risks.models import (
    AcceptanceStatus,
    LibraryRisk,
    Risk,
    RiskCategory,
    RiskStatus,
    Treatment,
)
from risks.selectors import project_register, residual_heat_map
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return UserFactory(roles=[GlobalRole.PRODUCT_MANAGER])


@pytest.fixture
def executive():
    return UserFactory(roles=[GlobalRole.EXECUTIVE])


def _project(owner, **profile):
    return project_services.project_create(
        name=profile.pop("name", "Claims Triage Assistant"),
        team=TeamFactory(),
        owner=owner,
        **profile,
    )


def _risk(project, likelihood=4, impact=4, **fields):
    defaults = {
        "title": "Prompt injection through uploaded claims",
        "category": RiskCategory.SECURITY,
        "inherent_likelihood": 5,
        "inherent_impact": 4,
        "residual_likelihood": likelihood,
        "residual_impact": impact,
    }
    return services.risk_create(project=project, **(defaults | fields))


def _titles(risks):
    return {r.title for r in risks}


def test_scores_and_bands():
    assert scoring.score(3, 5) == 15
    assert [scoring.band(v).name for v in (4, 5, 9, 10, 14, 15, 25)] == [
        "low",
        "medium",
        "medium",
        "high",
        "high",
        "critical",
        "critical",
    ]
    with pytest.raises(ValueError):
        scoring.score(6, 1)


def test_a_new_project_is_suggested_the_library_risks_that_apply(owner):
    agent = _project(owner, name="Refund Agent", use_case=UseCase.AGENT)
    chatbot = _project(owner, name="Help Chatbot", use_case=UseCase.CHATBOT)

    agent_only = set(
        LibraryRisk.objects.filter(use_cases=["agent"]).values_list("title", flat=True)
    )
    assert agent_only
    suggested_to_agent = Risk.objects.filter(project=agent, status=RiskStatus.SUGGESTED)
    assert agent_only <= _titles(suggested_to_agent)
    assert not agent_only & _titles(Risk.objects.filter(project=chatbot))
    # Every suggestion carries the library's rating and its mitigations as the
    # project's own checklist items.
    for risk in suggested_to_agent:
        assert risk.source is not None
        assert risk.inherent_score == risk.source.likelihood * risk.source.impact
        assert {item.template_id for item in risk.mitigations.all()} <= set(
            risk.source.mitigations.values_list("pk", flat=True)
        )
        assert all(item.project_id == agent.pk for item in risk.mitigations.all())
    assert any(risk.mitigations.exists() for risk in suggested_to_agent)


def test_a_change_of_frameworks_suggests_their_risks_once(owner):
    project = _project(owner)
    hipaa = Framework.objects.get(code="hipaa")
    hipaa_risks = set(
        LibraryRisk.objects.filter(frameworks=hipaa).values_list("pk", flat=True)
    )
    assert hipaa_risks
    assert not Risk.objects.filter(project=project, source__in=hipaa_risks).exists()

    def update(**changes):
        fields = {
            "project": project,
            "name": project.name,
            "summary": project.summary,
            "team": project.team,
            "use_case": project.use_case,
            "prototype_origin": project.prototype_origin,
            "data_classification": project.data_classification,
            "frameworks": list(project.frameworks.all()),
            "status": project.status,
            "target_launch_date": project.target_launch_date,
            "operating_owner": None,
        }
        project_services.project_update(**(fields | changes))

    update(frameworks=[hipaa])
    added = Risk.objects.filter(project=project, source__in=hipaa_risks)
    assert set(added.values_list("source_id", flat=True)) == hipaa_risks

    # A dismissed suggestion is not suggested again by a later change.
    dismissed = added.first()
    services.suggestion_dismiss(risk=dismissed)
    update(frameworks=[hipaa], data_classification=DataClassification.REGULATED)
    dismissed.refresh_from_db()
    assert dismissed.status == RiskStatus.DISMISSED
    assert Risk.objects.filter(project=project, source=dismissed.source).count() == 1


def test_accepting_a_suggestion_puts_it_in_the_register_with_an_owner(owner):
    project = _project(owner)
    suggestion = Risk.objects.filter(project=project).first()
    services.suggestion_accept(risk=suggestion, owner=owner)
    register = project_register(project)
    assert suggestion.pk in {r.pk for r in register.risks}
    assert suggestion.pk not in {r.pk for r in register.suggestions}
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.owner) == (RiskStatus.OPEN, owner)
    with pytest.raises(ValidationError):
        services.suggestion_dismiss(risk=suggestion)


def test_a_risk_is_not_mitigated_while_a_mitigation_is_open(owner):
    project = _project(owner)
    items = list(ChecklistItem.objects.filter(project=project, step__number=3)[:2])
    risk = _risk(project, mitigations=items)

    with pytest.raises(ValidationError, match=items[0].title):
        services.risk_update(risk=risk, status=RiskStatus.MITIGATED)
    risk.refresh_from_db()
    assert risk.status == RiskStatus.OPEN

    project_services.item_set_state(item=items[0], state=ItemState.DONE, actor=owner)
    project_services.item_set_state(
        item=items[1],
        state=ItemState.NOT_APPLICABLE,
        actor=owner,
        justification="The model never sees free text.",
    )
    services.risk_update(risk=risk, status=RiskStatus.MITIGATED)
    risk.refresh_from_db()
    assert risk.status == RiskStatus.MITIGATED
    (row,) = project_register(project).risks
    assert (row.mitigations_total, row.mitigations_open) == (2, 0)


def test_a_risk_without_mitigations_cannot_be_called_mitigated(owner):
    risk = _risk(_project(owner))
    with pytest.raises(ValidationError, match="Link the checklist items"):
        services.risk_update(risk=risk, status=RiskStatus.MITIGATED)


def test_a_mitigation_must_be_an_item_of_the_same_project(owner):
    project, other = _project(owner), _project(owner, name="Other")
    foreign = ChecklistItem.objects.filter(project=other).first()
    with pytest.raises(ValidationError):
        _risk(project, mitigations=[foreign])
    assert not Risk.objects.filter(project=project, status=RiskStatus.OPEN).exists()


def test_the_owner_accepts_a_risk_below_the_threshold_and_not_above(owner):
    project = _project(owner)
    low = _risk(project, likelihood=2, impact=4)
    services.risk_update(risk=low, status=RiskStatus.ACCEPTED)
    low.refresh_from_db()
    assert (low.status, low.treatment) == (RiskStatus.ACCEPTED, Treatment.ACCEPT)

    high = _risk(project, likelihood=3, impact=5, title="Wrong refund amounts")
    with pytest.raises(ValidationError, match="executive"):
        services.risk_update(risk=high, status=RiskStatus.ACCEPTED)
    high.refresh_from_db()
    assert high.status == RiskStatus.OPEN


def test_the_threshold_is_a_setting(owner, settings):
    settings.RUNWAY_RISK_ACCEPTANCE_THRESHOLD = 20
    risk = _risk(_project(owner), likelihood=3, impact=5)
    services.risk_update(risk=risk, status=RiskStatus.ACCEPTED)
    risk.refresh_from_db()
    assert risk.status == RiskStatus.ACCEPTED


def test_an_executive_accepts_a_high_risk_until_it_expires(owner, executive):
    project = _project(owner)
    risk = _risk(project, likelihood=4, impact=4, owner=owner)
    today = timezone.localdate()

    acceptance = services.acceptance_request(
        risk=risk,
        requested_by=owner,
        reason="The pilot serves ten staff users only.",
        expires_on=today + timedelta(days=30),
    )
    assert Notification.objects.filter(
        user=executive, kind=NotificationKind.RISK_ACCEPTANCE_REQUESTED
    ).exists()
    with pytest.raises(ValidationError, match="already waiting"):
        services.acceptance_request(
            risk=risk,
            requested_by=owner,
            reason="Again",
            expires_on=today + timedelta(days=30),
        )

    services.acceptance_decide(
        acceptance=acceptance, decided_by=executive, approve=True
    )
    risk.refresh_from_db()
    assert (risk.status, risk.treatment) == (RiskStatus.ACCEPTED, Treatment.ACCEPT)
    assert Notification.objects.filter(
        user=owner, kind=NotificationKind.RISK_ACCEPTANCE_DECIDED
    ).exists()

    assert services.acceptances_expire(today=today + timedelta(days=30)) == 0
    assert services.acceptances_expire(today=today + timedelta(days=31)) == 1
    risk.refresh_from_db()
    acceptance.refresh_from_db()
    assert acceptance.status == AcceptanceStatus.EXPIRED
    assert risk.status == RiskStatus.OPEN
    assert Notification.objects.filter(
        user=owner, kind=NotificationKind.RISK_ACCEPTANCE_EXPIRED
    ).exists()


def test_an_acceptance_needs_a_reason_a_future_expiry_and_a_comment_to_reject(
    owner, executive
):
    risk = _risk(_project(owner))
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="why"):
        services.acceptance_request(
            risk=risk, requested_by=owner, reason=" ", expires_on=today + timedelta(1)
        )
    with pytest.raises(ValidationError, match="after today"):
        services.acceptance_request(
            risk=risk, requested_by=owner, reason="Pilot", expires_on=today
        )
    acceptance = services.acceptance_request(
        risk=risk, requested_by=owner, reason="Pilot", expires_on=today + timedelta(9)
    )
    with pytest.raises(ValidationError, match="why"):
        services.acceptance_decide(
            acceptance=acceptance, decided_by=executive, approve=False
        )
    services.acceptance_decide(
        acceptance=acceptance,
        decided_by=executive,
        approve=False,
        comment="Fix the output filter first.",
    )
    risk.refresh_from_db()
    assert risk.status == RiskStatus.OPEN


def test_a_high_residual_risk_nobody_accepted_puts_the_project_at_risk(
    owner, executive
):
    project = _project(owner)
    assert "high residual risk not accepted" not in risk_reasons_of(project)

    risk = _risk(project, likelihood=5, impact=3)
    assert "high residual risk not accepted" in risk_reasons_of(project)
    assert project in project_list_for_user(executive).filter(at_risk=True)

    acceptance = services.acceptance_request(
        risk=risk,
        requested_by=owner,
        reason="Pilot",
        expires_on=timezone.localdate() + timedelta(days=10),
    )
    services.acceptance_decide(
        acceptance=acceptance, decided_by=executive, approve=True
    )
    assert "high residual risk not accepted" not in risk_reasons_of(project)

    # Lowered below the threshold after treatment, it no longer counts either.
    other = _risk(project, likelihood=4, impact=4, title="Leaked system prompt")
    assert "high residual risk not accepted" in risk_reasons_of(project)
    services.risk_update(risk=other, residual_likelihood=2)
    assert "high residual risk not accepted" not in risk_reasons_of(project)
    # Suggestions are not in the register yet: they never count.
    assert Risk.objects.filter(project=project, status=RiskStatus.SUGGESTED).exists()


def test_the_heat_map_counts_live_risks_by_residual_likelihood_and_impact(owner):
    project = _project(owner)
    _risk(project, likelihood=4, impact=5)
    _risk(project, likelihood=4, impact=5, title="Second")
    closed = _risk(project, likelihood=1, impact=1, title="Closed")
    services.risk_update(risk=closed, status=RiskStatus.CLOSED)

    heat = residual_heat_map([project.pk])
    assert heat.total == 2
    rows = dict(heat.rows)
    assert list(rows) == [5, 4, 3, 2, 1]
    assert rows[5] == [0, 0, 0, 2, 0]
    assert rows[1] == [0, 0, 0, 0, 0]


def test_an_open_alert_of_the_matching_kind_raises_a_risks_flag(owner):
    from metrics.models import Alert
    from risks.indicators import flags

    project = _project(owner)
    cost = _risk(project, title="Spend overrun", indicator="cost_over_budget")
    quality = _risk(project, title="Wrong answers", indicator="quality_below_target")
    assert flags(project, [cost, quality]) == {}

    Alert.objects.create(
        project=project,
        kind=Alert.Kind.BUDGET,
        message="Forecast $9,400 over the $8,000 budget",
    )
    assert flags(project, [cost, quality]) == {
        cost.pk: "Forecast $9,400 over the $8,000 budget"
    }
