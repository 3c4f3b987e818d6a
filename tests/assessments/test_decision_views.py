"""The owner's decisions: build vs partner, and model cost scenarios with live previews."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from assessments import costs, scoring
from assessments.models import CostScenario, ModelPrice, PartnerScoring, ScenarioTier
from core.money import usd
from projects import services as project_services
from tests.assessments.conftest import HTMX, shown
from tests.factories import approve_requirements

pytestmark = pytest.mark.django_db


def url(project, name, **kwargs):
    return reverse(f"assessments:{name}", kwargs={"slug": project.slug, **kwargs})


# Build vs partner

SCORES = {
    "ml_expertise": 5,
    "devops": 4,
    "security": 2,
    "timeline": 4,
    "maintenance": 3,
}


def partner_data(scores=None, weights=None, note=""):
    scores = {**SCORES, **(scores or {})}
    weights = {**scoring.DEFAULT_WEIGHTS, **(weights or {})}
    data = {"note": note}
    for key, value in scores.items():
        data[key] = str(value)
    for key, value in weights.items():
        data[f"{key}_weight"] = str(value)
    return data


def test_the_page_shows_the_recommendation_for_the_default_scores(as_, people):
    project = people["project"]
    response = as_(people["owner"]).get(url(project, "partner"))
    assert response.status_code == 200
    body = response.content.decode()
    expected = scoring.score_build_vs_partner(
        {c.key: 3 for c in scoring.CRITERIA}, scoring.DEFAULT_WEIGHTS
    )
    assert expected.outcome == "hybrid"
    assert (
        f'<span class="badge badge-outcome-hybrid">Hybrid</span> '
        f'<span class="subtle">build score {expected.build_score} / 100</span>'
    ) in body
    assert shown(expected.reasoning) in body
    assert expected.flip is not None and shown(expected.flip.text) in body
    assert "No scoring saved yet." in body


def test_the_preview_returns_only_the_result_for_the_typed_scores(as_, people):
    project = people["project"]
    response = as_(people["owner"]).post(
        url(project, "partner_preview"), partner_data(), **HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert body.lstrip().startswith('<section id="partner-result"')
    assert body.rstrip().endswith("</section>")
    expected = scoring.score_build_vs_partner(SCORES, scoring.DEFAULT_WEIGHTS)
    assert f'badge-outcome-{expected.outcome}">{expected.label}</span>' in body
    assert f"build score {expected.build_score} / 100" in body
    assert shown(expected.reasoning) in body
    assert expected.flip is not None
    assert f'<p class="notice notice-amber">{shown(expected.flip.text)}</p>' in body
    assert not PartnerScoring.objects.exists()


def test_the_preview_follows_the_weights(as_, people):
    project = people["project"]
    # Only timeline pressure counts, and it is high: a partner.
    weights = dict.fromkeys(scoring.DEFAULT_WEIGHTS, 0) | {"timeline": 5}
    body = (
        as_(people["owner"])
        .post(url(project, "partner_preview"), partner_data(weights=weights))
        .content.decode()
    )
    expected = scoring.score_build_vs_partner(SCORES, weights)
    assert expected.outcome == "partner"
    assert ">Partner</span>" in body and shown(expected.reasoning) in body


def test_the_preview_of_invalid_scores_asks_to_fix_them(as_, people):
    body = (
        as_(people["owner"])
        .post(
            url(people["project"], "partner_preview"),
            partner_data(scores={"devops": 6}),
        )
        .content.decode()
    )
    assert "Fix the scores to see a recommendation." in body


def test_the_owner_saves_a_scoring_and_the_history_lists_it(as_, people):
    project, owner = people["project"], people["owner"]
    client = as_(owner)
    response = client.post(
        url(project, "partner"), partner_data(note="After the vendor call")
    )
    assert response.status_code == 302
    assert response["Location"] == url(project, "partner")
    saved = PartnerScoring.objects.get(project=project)
    expected = scoring.score_build_vs_partner(SCORES, scoring.DEFAULT_WEIGHTS)
    assert (saved.outcome, saved.reasoning) == (expected.outcome, expected.reasoning)
    assert saved.build_score == Decimal(str(expected.build_score))
    assert saved.scores == SCORES
    assert saved.weights == scoring.DEFAULT_WEIGHTS
    assert (saved.author, saved.note) == (owner, "After the vendor call")
    body = client.get(url(project, "partner")).content.decode()
    history = body[body.index('id="history-heading"') :]
    assert f"{expected.outcome.capitalize()}</span> {saved.build_score}" in history
    assert shown(expected.reasoning) in history
    assert "“After the vendor call”" in history
    assert "No scoring saved yet." not in body


def test_the_form_starts_from_the_latest_scoring(as_, people):
    project, client = people["project"], as_(people["owner"])
    client.post(url(project, "partner"), partner_data())
    body = client.get(url(project, "partner")).content.decode()
    select = re.search(r'<select name="ml_expertise".*?</select>', body, re.S)
    assert select is not None
    assert re.findall(r'<option value="(\d)" selected>', select.group(0)) == ["5"]


def test_all_weights_at_zero_is_an_error_and_saves_nothing(as_, people):
    weights = dict.fromkeys(scoring.DEFAULT_WEIGHTS, 0)
    response = as_(people["owner"]).post(
        url(people["project"], "partner"), partner_data(weights=weights)
    )
    assert response.status_code == 200
    assert "Give at least one criterion a weight above 0." in response.content.decode()
    assert not PartnerScoring.objects.exists()


def test_a_score_of_6_is_an_error_and_saves_nothing(as_, people):
    response = as_(people["owner"]).post(
        url(people["project"], "partner"), partner_data(scores={"devops": 6})
    )
    assert response.status_code == 200
    assert (
        '<a href="#id_devops">DevOps and infrastructure capability: '
        "Select a valid choice. 6 is not one of the available choices.</a>"
    ) in response.content.decode()
    assert not PartnerScoring.objects.exists()


@pytest.mark.parametrize("persona", ["lead", "contributor", "reviewer", "viewer"])
def test_members_who_may_not_edit_get_403_on_saving_a_scoring(as_, people, persona):
    response = as_(people[persona]).post(
        url(people["project"], "partner"), partner_data()
    )
    assert response.status_code == 403
    assert not PartnerScoring.objects.exists()


def test_read_only_members_see_the_scores_without_inputs(as_, people):
    body = as_(people["viewer"]).get(url(people["project"], "partner")).content.decode()
    assert "Recommendation" in body
    assert '<select name="ml_expertise"' not in body
    assert "Save this scoring" not in body


def test_outsiders_get_404_on_build_vs_partner(as_, people):
    project, client = people["project"], as_(people["outsider"])
    assert client.get(url(project, "partner")).status_code == 404
    assert client.post(url(project, "partner"), partner_data()).status_code == 404
    assert (
        client.post(url(project, "partner_preview"), partner_data()).status_code == 404
    )


def test_the_preview_refuses_get(as_, people):
    response = as_(people["owner"]).get(url(people["project"], "partner_preview"))
    assert response.status_code == 405


# Model costs


@pytest.fixture
def small():
    return ModelPrice.objects.get(name="gpt-4o-mini")


@pytest.fixture
def large():
    return ModelPrice.objects.get(name="gpt-4o")


def scenario_data(small, large, **changes):
    data = {
        "name": "Routed setup",
        "requests_per_day": "20000",
        "input_tokens": "1000",
        "output_tokens": "300",
        "retrieval_tokens": "500",
        "monthly_growth_pct": "5",
        "tier0_model": str(small.pk),
        "tier0_share": "75",
        "tier1_model": str(large.pk),
        "tier1_share": "25",
        "tier2_model": "",
        "tier2_share": "",
        "tier3_model": "",
        "tier3_share": "",
    }
    data.update(changes)
    return data


def expected_projection(small, large, budget=None, requests_per_day=20000):
    return costs.project_costs(
        costs.Scenario(
            requests_per_day=requests_per_day,
            input_tokens=1000,
            output_tokens=300,
            retrieval_tokens=500,
            tiers=[
                costs.Tier(
                    small.name,
                    small.input_per_mtok,
                    small.output_per_mtok,
                    Decimal("0.75"),
                ),
                costs.Tier(
                    large.name,
                    large.input_per_mtok,
                    large.output_per_mtok,
                    Decimal("0.25"),
                ),
            ],
            monthly_growth=Decimal("0.05"),
            budget=budget,
        )
    )


def monthly(projection):
    return f"<strong>{usd(projection.monthly_total)}</strong> a month"


def test_the_owner_saves_a_scenario_with_its_tiers(as_, people, small, large):
    project, owner = people["project"], people["owner"]
    response = as_(owner).post(url(project, "costs"), scenario_data(small, large))
    scenario = CostScenario.objects.get(project=project)
    assert response.status_code == 302
    assert response["Location"] == url(project, "cost_scenario", pk=scenario.pk)
    assert (scenario.name, scenario.author) == ("Routed setup", owner)
    assert (
        scenario.requests_per_day,
        scenario.input_tokens,
        scenario.output_tokens,
        scenario.retrieval_tokens,
        scenario.monthly_growth_pct,
    ) == (20000, 1000, 300, 500, Decimal("5"))
    tiers = {
        (t.model, t.share_pct) for t in ScenarioTier.objects.filter(scenario=scenario)
    }
    assert tiers == {(small, Decimal("75")), (large, Decimal("25"))}


def test_the_saved_scenario_shows_its_projection(as_, people, small, large):
    project, client = people["project"], as_(people["owner"])
    client.post(url(project, "costs"), scenario_data(small, large))
    scenario = CostScenario.objects.get()
    body = client.get(url(project, "cost_scenario", pk=scenario.pk)).content.decode()
    expected = expected_projection(small, large)
    assert monthly(expected) in body
    assert f"{usd(expected.monthly_total)}</td>" in body  # the saved list


def test_shares_that_do_not_add_up_to_100_are_refused_naming_the_sum(
    as_, people, small, large
):
    response = as_(people["owner"]).post(
        url(people["project"], "costs"),
        scenario_data(small, large, tier0_share="70", tier1_share="20"),
    )
    assert response.status_code == 200
    assert (
        "The shares of traffic must add up to 100 % (they add up to 90 %)."
        in response.content.decode()
    )
    assert not CostScenario.objects.exists()
    assert not ScenarioTier.objects.exists()


def test_a_tier_share_without_a_model_is_refused(as_, people, small, large):
    response = as_(people["owner"]).post(
        url(people["project"], "costs"), scenario_data(small, large, tier1_model="")
    )
    assert "Choose a model and its share of traffic." in response.content.decode()
    assert not CostScenario.objects.exists()


def test_the_cost_preview_returns_only_the_result_with_the_projection(
    as_, people, small, large
):
    project = people["project"]
    response = as_(people["owner"]).post(
        url(project, "cost_preview"), scenario_data(small, large), **HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert body.lstrip().startswith('<section id="cost-result"')
    assert body.rstrip().endswith("</section>")
    expected = expected_projection(small, large)
    assert monthly(expected) == "<strong>$1,211.34</strong> a month"
    assert monthly(expected) in body
    assert f"{usd(expected.single_model_monthly)}" in body
    assert "No approved budget yet: approve the requirements to compare." in body
    assert not CostScenario.objects.exists()


def test_the_cost_preview_compares_with_the_approved_budget(as_, people, small, large):
    project, client = people["project"], as_(people["owner"])
    approve_requirements(project, people["owner"])
    within = client.post(url(project, "cost_preview"), scenario_data(small, large))
    body = within.content.decode()
    assert monthly(expected_projection(small, large, Decimal("8000"))) in body
    assert "Within the $8,000.00 monthly budget" in body
    over = client.post(
        url(project, "cost_preview"),
        scenario_data(small, large, requests_per_day="200000"),
    )
    body = over.content.decode()
    projection = expected_projection(small, large, Decimal("8000"), 200000)
    assert projection.over_budget is True
    assert monthly(projection) in body
    assert "Over the $8,000.00 monthly budget" in body


def test_the_cost_preview_of_bad_shares_shows_no_projection(as_, people, small, large):
    body = (
        as_(people["owner"])
        .post(
            url(people["project"], "cost_preview"),
            scenario_data(small, large, tier1_share="5"),
        )
        .content.decode()
    )
    assert "a month" not in body
    assert "Fill in traffic, tokens and the model tiers" in body


def test_editing_a_saved_scenario_updates_it(as_, people, small, large):
    project, client = people["project"], as_(people["owner"])
    client.post(url(project, "costs"), scenario_data(small, large))
    scenario = CostScenario.objects.get()
    page = client.get(url(project, "cost_scenario", pk=scenario.pk))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="name" value="Routed setup"' in body
    assert 'name="requests_per_day" value="20000"' in body
    tier0 = re.search(r'<select name="tier0_model".*?</select>', body, re.S)
    assert tier0 is not None
    assert f'<option value="{small.pk}" selected>' in tier0.group(0)
    assert 'name="tier0_share" value="75.00"' in body
    response = client.post(
        url(project, "cost_scenario", pk=scenario.pk),
        scenario_data(
            small, large, name="Mostly small", tier0_share="90", tier1_share="10"
        ),
    )
    assert response.status_code == 302
    updated = CostScenario.objects.get()
    assert (updated.pk, updated.name) == (scenario.pk, "Mostly small")
    assert {
        (t.model, t.share_pct) for t in ScenarioTier.objects.filter(scenario=updated)
    } == {(small, Decimal("90")), (large, Decimal("10"))}


def delete_url(project, scenario):
    return url(project, "cost_scenario_delete", pk=scenario.pk)


def test_the_owner_deletes_a_scenario_with_post(as_, people, small, large):
    project, client = people["project"], as_(people["owner"])
    client.post(url(project, "costs"), scenario_data(small, large))
    scenario = CostScenario.objects.get()
    assert client.get(delete_url(project, scenario)).status_code == 405
    assert CostScenario.objects.exists()
    response = client.post(delete_url(project, scenario))
    assert response.status_code == 302 and response["Location"] == url(project, "costs")
    assert not CostScenario.objects.exists()
    assert not ScenarioTier.objects.exists()


@pytest.mark.parametrize("persona", ["lead", "viewer"])
def test_members_who_may_not_edit_cannot_delete_a_scenario(
    as_, people, small, large, persona
):
    project = people["project"]
    as_(people["owner"]).post(url(project, "costs"), scenario_data(small, large))
    scenario = CostScenario.objects.get()
    assert as_(people[persona]).post(delete_url(project, scenario)).status_code == 403
    assert CostScenario.objects.exists()


def test_a_scenario_of_another_project_is_404(as_, people, small, large):
    project, owner = people["project"], people["owner"]
    other = project_services.project_create(
        name="Other", team=project.team, owner=owner
    )
    client = as_(owner)
    client.post(url(other, "costs"), scenario_data(small, large, name="Theirs"))
    foreign = CostScenario.objects.get(project=other)
    assert client.get(url(project, "cost_scenario", pk=foreign.pk)).status_code == 404
    assert (
        client.post(
            url(project, "cost_scenario", pk=foreign.pk),
            scenario_data(small, large, name="Hijacked"),
        ).status_code
        == 404
    )
    assert client.post(delete_url(project, foreign)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.name == "Theirs"


@pytest.mark.parametrize("persona", ["lead", "viewer"])
def test_members_who_may_not_edit_get_403_on_saving_a_scenario(
    as_, people, small, large, persona
):
    response = as_(people[persona]).post(
        url(people["project"], "costs"), scenario_data(small, large)
    )
    assert response.status_code == 403
    assert not CostScenario.objects.exists()


def test_viewers_see_the_costs_page_without_save_buttons(as_, people, small, large):
    project = people["project"]
    as_(people["owner"]).post(url(project, "costs"), scenario_data(small, large))
    scenario = CostScenario.objects.get()
    response = as_(people["viewer"]).get(url(project, "cost_scenario", pk=scenario.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Save scenario" not in body
    assert delete_url(project, scenario) not in body


def test_outsiders_get_404_on_costs(as_, people, small, large):
    project, client = people["project"], as_(people["outsider"])
    assert client.get(url(project, "costs")).status_code == 404
    assert (
        client.post(url(project, "costs"), scenario_data(small, large)).status_code
        == 404
    )
    assert (
        client.post(
            url(project, "cost_preview"), scenario_data(small, large)
        ).status_code
        == 404
    )
    assert not CostScenario.objects.exists()


@pytest.mark.parametrize(
    "field", ["requests_per_day", "input_tokens", "output_tokens", "retrieval_tokens"]
)
def test_a_number_larger_than_its_column_is_a_form_error_and_nothing_is_saved(
    as_, people, small, large, field
):
    project = people["project"]
    response = as_(people["owner"]).post(
        url(project, "costs"), scenario_data(small, large, **{field: "9" * 12})
    )
    assert response.status_code == 200
    assert "less than or equal to 2147483647" in response.content.decode()
    assert not CostScenario.objects.exists()
