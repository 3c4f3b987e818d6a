"""The project's AI Act page: the owner answers the questionnaire, everyone who sees
the project reads the tier, its reasoning and its history; the header and the tabs
show it."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from projects.models import ChecklistItem
from risks.models import AiActAssessment, AiActTierChange
from tests.html import page, text
from tests.projects import conftest as project_fixtures

pytestmark = pytest.mark.django_db

people = project_fixtures.people

HIGH = {
    "users": ["staff"],
    "purpose": "Rank job applicants for recruiters",
    "prohibited_practices": ["none"],
    "safety_component": "no",
    "annex_iii_area": "employment",
    "profiles_people": "yes",
    "transparency": ["none"],
}
LIMITED = {**HIGH, "annex_iii_area": "none", "transparency": ["interacts"]}


def url(project):
    return reverse("risks:ai_act", kwargs={"slug": project.slug})


def tier_heading(response):
    return text(page(response).find(id="tier-heading"))


def header_fact(response, term):
    for dt in page(response).select(".project-header dt"):
        if text(dt) == term:
            return dt.find_next_sibling("dd")
    return None


def field_error(response, name):
    return text(page(response).find(id=f"id_{name}_error"))


def test_the_owner_sees_the_questionnaire_and_the_guidance_note(as_, people):
    response = as_(people["owner"]).get(url(people["project"]))
    assert response.status_code == 200
    assert tier_heading(response) == "EU AI Act tier: not assessed"
    assert "Guidance, not legal advice." in text(page(response))
    doc = page(response)
    legends = [text(legend) for legend in doc.select("form legend")]
    assert "Is it used in one of these areas? (Annex III)" in legends
    area = doc.find(id="id_annex_iii_area")
    assert [r["type"] for r in area.select("input")] == ["radio"] * 9
    # The first answers need no reason: there is no tier to change yet.
    assert doc.find("textarea", attrs={"name": "reason"}) is None


def test_answering_classifies_the_project_and_adds_the_obligations(as_, people):
    project, client = people["project"], as_(people["owner"])
    response = client.post(url(project), HIGH)
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.ai_act_tier == "high"
    news = [str(m) for m in get_messages(response.wsgi_request)]
    assert news[0].startswith("The EU AI Act tier is now High-risk.")
    assert "obligations added to the checklist" in news[0]
    assert ChecklistItem.objects.filter(
        project=project, template__key="s7-euaia-serious-incidents", step__number=7
    ).exists()
    response = client.get(url(project))
    assert tier_heading(response) == "EU AI Act tier: High-risk"
    reasons = text(
        page(response).find("section", attrs={"aria-labelledby": "tier-heading"})
    )
    assert "Art. 6(2) and Annex III point 4" in reasons
    assert (
        "Art. 3(12), intended purpose: “Rank job applicants for recruiters”" in reasons
    )
    history = text(
        page(response).find("section", attrs={"aria-labelledby": "changes-heading"})
    )
    assert "Not assessed → High-risk" in history
    assert "Olive" in history
    # The form keeps the answers given.
    area = page(response).find(
        "input", attrs={"name": "annex_iii_area", "value": "employment"}
    )
    assert area.has_attr("checked")


def test_a_change_of_tier_asks_why_and_changes_nothing_without_a_reason(as_, people):
    project, client = people["project"], as_(people["owner"])
    client.post(url(project), HIGH)
    response = client.post(url(project), LIMITED)
    assert response.status_code == 200
    assert field_error(response, "reason").startswith(
        "These answers change the tier from High-risk to Limited risk. Say why the "
        "tier changes"
    )
    project.refresh_from_db()
    assert project.ai_act_tier == "high"
    assert AiActTierChange.objects.filter(project=project).count() == 1

    response = client.post(
        url(project), {**LIMITED, "reason": "Recruiters now screen by hand."}
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.ai_act_tier == "limited"
    history = text(
        page(client.get(url(project))).find(
            "section", attrs={"aria-labelledby": "changes-heading"}
        )
    )
    assert "High-risk → Limited risk" in history
    assert "“Recruiters now screen by hand.”" in history


def test_missing_or_contradictory_answers_are_refused(as_, people):
    project, client = people["project"], as_(people["owner"])
    response = client.post(
        url(project),
        {**HIGH, "prohibited_practices": ["none", "social_scoring"], "users": []},
    )
    assert response.status_code == 200
    assert "cannot be ticked together" in field_error(response, "prohibited_practices")
    assert field_error(response, "users") == "Tick at least one group of users."
    summary = text(page(response).find(class_="error-summary"))
    assert "Tick at least one group of users." in summary
    assert not AiActAssessment.objects.filter(project=project).exists()
    project.refresh_from_db()
    assert project.ai_act_tier == ""


def test_members_read_the_tier_and_the_answers_without_the_form(as_, people):
    project = people["project"]
    as_(people["owner"]).post(url(project), HIGH)
    response = as_(people["viewer"]).get(url(project))
    assert response.status_code == 200
    assert tier_heading(response) == "EU AI Act tier: High-risk"
    doc = page(response)
    assert doc.find(id="questions-heading") is None
    assert doc.find("input", attrs={"name": "annex_iii_area"}) is None
    answers = text(doc.find("section", attrs={"aria-labelledby": "answers-heading"}))
    assert "Employment and workers management" in answers


@pytest.mark.parametrize("role", ["lead", "contributor", "reviewer", "viewer"])
def test_only_the_owner_answers(as_, people, role):
    project = people["project"]
    response = as_(people[role]).post(url(project), HIGH)
    assert response.status_code == 403
    project.refresh_from_db()
    assert project.ai_act_tier == ""


def test_admins_answer_too(as_, people, admin_user, settings):
    settings.RUNWAY_MFA_REQUIRED_FOR_ADMINS = False
    project = people["project"]
    assert as_(admin_user).post(url(project), HIGH).status_code == 302
    project.refresh_from_db()
    assert project.ai_act_tier == "high"


def test_outsiders_get_404(as_, people):
    client = as_(people["outsider"])
    assert client.get(url(people["project"])).status_code == 404
    assert client.post(url(people["project"]), HIGH).status_code == 404


def test_other_methods_are_refused(as_, people):
    assert as_(people["owner"]).put(url(people["project"])).status_code == 405


def test_answers_without_the_csrf_token_are_refused(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["owner"])
    assert client.post(url(people["project"]), HIGH).status_code == 403
    people["project"].refresh_from_db()
    assert people["project"].ai_act_tier == ""


def test_the_project_header_shows_the_tier_and_links_to_the_page(as_, people):
    project, client = people["project"], as_(people["viewer"])
    overview = reverse("projects:detail", kwargs={"slug": project.slug})
    fact = header_fact(client.get(overview), "EU AI Act")
    assert text(fact) == "not assessed"
    assert fact.find("a")["href"] == url(project)
    as_(people["owner"]).post(url(project), HIGH)
    fact = header_fact(as_(people["viewer"]).get(overview), "EU AI Act")
    assert text(fact) == "High-risk"


def test_the_ai_act_tab_is_there_for_everyone_who_sees_the_project(as_, people):
    response = as_(people["viewer"]).get(url(people["project"]))
    tabs = page(response).find("nav", attrs={"aria-label": "Project"})
    current = tabs.find("a", attrs={"aria-current": "page"})
    assert text(current) == "AI Act"
    assert current["href"] == url(people["project"])
