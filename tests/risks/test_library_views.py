"""Admins maintain the library of AI risks in Runway's own pages: list and filter it,
add entries, reword them and retire them; what they change is what new projects are
suggested, and every change names the admin in the audit trail."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from projects import services as project_services
from projects.models import ChecklistTemplate, Framework
from risks import services
from risks.models import LibraryRisk, Risk, RiskCategory
from tests.factories import TeamFactory
from tests.html import page, table_headers, table_rows, text
from tests.portal import people_helpers

mfa_off, admin_client = people_helpers.mfa_off, people_helpers.admin_client

pytestmark = pytest.mark.django_db

LIST = reverse("risks:library")
NEW = reverse("risks:library_new")


def _edit(entry):
    return reverse("risks:library_edit", args=[entry.pk])


@pytest.fixture
def universal_template(db):
    """A checklist item every project gets: no framework, any data class."""
    return (
        ChecklistTemplate.objects.filter(
            active=True, frameworks__isnull=True, min_classification=""
        )
        .select_related("step")
        .order_by("step__number", "order")
        .first()
    )


@pytest.fixture
def hipaa(db):
    return Framework.objects.get(code="hipaa")


def _form(**changes):
    data = {
        "key": "voice-clone-fraud",
        "title": "Cloned voices talk staff into payments",
        "category": RiskCategory.SECURITY,
        "cause": "Attackers feed recorded speech to a voice model.",
        "consequence": "Money leaves on a fake instruction.",
        "likelihood": "2",
        "impact": "5",
        "use_cases": [],
        "min_classification": "",
        "frameworks": [],
        "mitigations": [],
        "indicator": "",
        "active": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _table(response):
    return page(response).find("table")


def _project(owner, **profile):
    return project_services.project_create(
        name=profile.pop("name", "Claims Assistant"),
        team=TeamFactory(),
        owner=owner,
        **profile,
    )


# --- The list ------------------------------------------------------------------


def test_an_admin_sees_the_library_with_scores_and_applicability(admin_client):
    response = admin_client.get(LIST)
    assert response.status_code == 200
    table = _table(response)
    assert table_headers(table) == [
        "Risk",
        "Category",
        "Default score",
        "Applies to",
        "Mitigations",
        "Indicator",
        "State",
    ]
    rows = table_rows(table)
    assert rows[0][1] == "Security and prompt injection"  # categories as listed
    entry = LibraryRisk.objects.get(key="prompt-injection-direct")
    row = next(r for r in rows if r[0].startswith(entry.title))
    assert row[1] == "Security and prompt injection"
    assert row[2] == "4 × 3 = 12 High"
    assert row[4] == str(entry.mitigations.count())
    assert row[6] == "Active"
    assert page(response).find("a", string="Add an entry")["href"] == NEW
    assert "Inactive entries are no longer suggested." in text(page(response))


def test_the_list_says_where_an_entry_applies(admin_client, hipaa):
    entry = LibraryRisk.objects.create(
        key="phi-in-logs",
        title="Aardvark PHI in prompt logs",
        category=RiskCategory.PRIVACY,
        cause="c",
        consequence="c",
        use_cases=["chatbot", "agent"],
        min_classification="confidential",
    )
    entry.frameworks.set([hipaa])
    rows = table_rows(_table(admin_client.get(LIST, {"category": "privacy"})))
    row = next(r for r in rows if r[0].startswith(entry.title))
    assert row[3] == "Chatbot, Agent · Confidential data or more sensitive · HIPAA"


def test_the_list_is_paginated_and_keeps_its_filters(admin_client):
    active = LibraryRisk.objects.filter(active=True).count()
    assert active > 50  # the seed library fills more than one page
    first = admin_client.get(LIST, {"active": "yes"})
    assert len(table_rows(_table(first))) == 50
    following = page(first).find("a", rel="next")
    assert following["href"] == "?active=yes&page=2"
    second = admin_client.get(LIST, {"active": "yes", "page": "2"})
    assert len(table_rows(_table(second))) == active - 50


def test_an_admin_filters_by_category(admin_client):
    response = admin_client.get(LIST, {"category": RiskCategory.COST})
    rows = table_rows(_table(response))
    expected = LibraryRisk.objects.filter(category=RiskCategory.COST).count()
    assert expected > 0
    assert len(rows) == expected
    assert {row[1] for row in rows} == {"Cost overrun"}


def test_an_admin_filters_inactive_entries(admin_client):
    retired = LibraryRisk.objects.get(key="prompt-injection-direct")
    retired.active = False
    services.library_risk_save(entry=retired)
    rows = table_rows(_table(admin_client.get(LIST, {"active": "no"})))
    assert [row[0] for row in rows] == [f"{retired.title} {retired.key}"]
    assert rows[0][6] == "Inactive"
    active_rows = table_rows(_table(admin_client.get(LIST, {"active": "yes"})))
    assert all(not row[0].startswith(retired.title) for row in active_rows)


def test_a_filter_with_no_match_offers_to_show_everything(admin_client):
    LibraryRisk.objects.filter(category=RiskCategory.BIAS).update(active=True)
    response = admin_client.get(LIST, {"category": RiskCategory.BIAS, "active": "no"})
    assert _table(response) is None
    assert "No entry matches these filters" in text(page(response))
    assert page(response).find("a", string="Show every entry")["href"] == LIST


def test_a_filter_value_that_is_not_a_choice_filters_nothing(admin_client):
    response = admin_client.get(LIST, {"category": "nonsense", "active": "maybe"})
    assert response.status_code == 200
    assert len(table_rows(_table(response))) == 50
    assert page(response).find("a", rel="next")["href"] == "?page=2"


def test_the_filters_answer_htmx_with_the_table_only(admin_client):
    response = admin_client.get(
        LIST,
        {"category": RiskCategory.COST},
        headers={"HX-Request": "true", "HX-Target": "library-table"},
    )
    doc = page(response)
    assert doc.find("h1") is None
    assert doc.find(id="library-table") is not None
    assert {row[1] for row in table_rows(doc.find("table"))} == {"Cost overrun"}


# --- Adding and editing ---------------------------------------------------------


def test_an_admin_adds_an_entry(admin_client, hipaa, universal_template):
    response = admin_client.post(
        NEW,
        _form(
            use_cases=["chatbot", "agent"],
            min_classification="confidential",
            frameworks=[hipaa.pk],
            mitigations=[universal_template.pk],
            indicator="cost_over_budget",
        ),
        follow=True,
    )
    assert response.redirect_chain == [(LIST, 302)]
    assert "“Cloned voices talk staff into payments” added to the library." in text(
        page(response).find(id="toasts")
    )
    entry = LibraryRisk.objects.get(key="voice-clone-fraud")
    assert (entry.likelihood, entry.impact) == (2, 5)
    assert entry.use_cases == ["chatbot", "agent"]
    assert entry.min_classification == "confidential"
    assert list(entry.frameworks.all()) == [hipaa]
    assert list(entry.mitigations.all()) == [universal_template]
    assert entry.indicator == "cost_over_budget"
    assert entry.active


def test_the_form_offers_words_for_the_scales_and_steps_for_the_mitigations(
    admin_client, universal_template
):
    doc = page(admin_client.get(NEW))
    likelihood = doc.find("select", attrs={"name": "likelihood"})
    assert [text(o) for o in likelihood.find_all("option")] == [
        "1 · Rare",
        "2 · Unlikely",
        "3 · Possible",
        "4 · Likely",
        "5 · Almost certain",
    ]
    impact = doc.find("select", attrs={"name": "impact"})
    assert text(impact.find("option", selected=True)) == "3 · Moderate"
    box = doc.find(
        "input", attrs={"name": "mitigations", "value": str(universal_template.pk)}
    )
    label = doc.find("label", attrs={"for": box["id"]})
    assert text(label) == (
        f"Step {universal_template.step.number} · {universal_template.title}"
    )
    active = doc.find("input", attrs={"name": "active"})
    assert active.has_attr("checked")
    assert "it is no longer suggested to projects" in text(
        doc.find(id=f"{active['id']}_helptext")
    )


def test_retired_checklist_items_are_not_offered_as_mitigations(
    admin_client, universal_template
):
    universal_template.active = False
    universal_template.save()
    doc = page(admin_client.get(NEW))
    offered = {i["value"] for i in doc.find_all("input", attrs={"name": "mitigations"})}
    assert offered
    assert str(universal_template.pk) not in offered


def test_an_admin_edits_an_entry_and_its_key_stays(admin_client, universal_template):
    entry = LibraryRisk.objects.get(key="prompt-injection-direct")
    response = admin_client.post(
        _edit(entry),
        _form(
            key="renamed-key",
            title="Users override the system prompt",
            category=RiskCategory.SECURITY,
            likelihood="5",
            impact="4",
            mitigations=[universal_template.pk],
        ),
    )
    assert response.status_code == 302
    assert response.url == LIST
    entry.refresh_from_db()
    assert entry.key == "prompt-injection-direct"
    assert entry.title == "Users override the system prompt"
    assert (entry.likelihood, entry.impact) == (5, 4)
    assert list(entry.mitigations.all()) == [universal_template]


def test_the_edit_page_shows_the_key_read_only_and_the_current_values(admin_client):
    entry = LibraryRisk.objects.get(key="prompt-injection-direct")
    doc = page(admin_client.get(_edit(entry)))
    assert doc.find(attrs={"name": "key"}) is None
    assert "Key prompt-injection-direct" in text(doc)
    assert doc.find("input", attrs={"name": "title"})["value"] == entry.title
    chosen = {
        int(i["value"])
        for i in doc.find_all("input", attrs={"name": "mitigations"})
        if i.has_attr("checked")
    }
    assert chosen == set(entry.mitigations.values_list("pk", flat=True))
    assert chosen  # the seed entry has mitigations to show


def test_editing_keeps_a_mitigation_that_was_retired_since(
    admin_client, universal_template
):
    entry = LibraryRisk.objects.get(key="prompt-injection-direct")
    entry.mitigations.set([universal_template])
    universal_template.active = False
    universal_template.save()
    doc = page(admin_client.get(_edit(entry)))
    box = doc.find(
        "input", attrs={"name": "mitigations", "value": str(universal_template.pk)}
    )
    assert box.has_attr("checked")
    response = admin_client.post(
        _edit(entry), _form(mitigations=[universal_template.pk])
    )
    assert response.status_code == 302
    assert list(entry.mitigations.all()) == [universal_template]


def test_an_unknown_entry_is_not_found(admin_client):
    assert (
        admin_client.get(reverse("risks:library_edit", args=[999999])).status_code
        == 404
    )


def test_each_change_names_the_admin_in_the_history(admin_client, admin_user):
    admin_client.post(NEW, _form())
    entry = LibraryRisk.objects.get(key="voice-clone-fraud")
    admin_client.post(_edit(entry), _form(title="Reworded", active=None))
    history = list(entry.history.order_by("history_date", "history_id"))
    assert [(h.history_type, h.title, h.active) for h in history] == [
        ("+", "Cloned voices talk staff into payments", True),
        ("~", "Reworded", False),
    ]
    assert {h.history_user for h in history} == {admin_user}


# --- What projects are suggested ------------------------------------------------


def test_an_entry_for_a_framework_is_suggested_only_under_that_framework(
    admin_client, admin_user, hipaa
):
    admin_client.post(NEW, _form(frameworks=[hipaa.pk]))
    entry = LibraryRisk.objects.get(key="voice-clone-fraud")
    under = _project(admin_user, name="Clinic Scheduler", frameworks=[hipaa])
    other = _project(admin_user, name="Marketing Copy Helper")
    assert Risk.objects.filter(project=under, source=entry).exists()
    assert not Risk.objects.filter(project=other, source=entry).exists()


def test_a_deactivated_entry_is_no_longer_suggested_to_new_projects(
    admin_client, admin_user
):
    entry = LibraryRisk.objects.get(key="prompt-injection-direct")
    before = _project(admin_user, name="Before")
    assert Risk.objects.filter(project=before, source=entry).exists()
    response = admin_client.post(
        _edit(entry),
        _form(
            title=entry.title,
            category=entry.category,
            likelihood=str(entry.likelihood),
            impact=str(entry.impact),
            active=None,
        ),
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert not entry.active
    after = _project(admin_user, name="After")
    assert not Risk.objects.filter(project=after, source=entry).exists()
    # Registers that had it keep it: entries are never deleted.
    assert Risk.objects.filter(project=before, source=entry).exists()


# --- Bad input -----------------------------------------------------------------


def test_a_likelihood_off_the_scale_is_refused_and_nothing_saved(admin_client):
    count = LibraryRisk.objects.count()
    response = admin_client.post(NEW, _form(likelihood="9"))
    assert response.status_code == 200
    summary = text(page(response).find(class_="error-summary"))
    assert "Default likelihood: Select a valid choice. 9 is not one of" in summary
    assert LibraryRisk.objects.count() == count


def test_a_duplicate_key_is_refused_and_nothing_saved(admin_client):
    count = LibraryRisk.objects.count()
    response = admin_client.post(NEW, _form(key="prompt-injection-direct"))
    assert response.status_code == 200
    summary = text(page(response).find(class_="error-summary"))
    assert "Another entry has this key already" in summary
    assert LibraryRisk.objects.count() == count
    assert not LibraryRisk.objects.filter(
        title="Cloned voices talk staff into payments"
    ).exists()


def test_a_key_must_be_lower_case_words_joined_by_hyphens(admin_client):
    response = admin_client.post(NEW, _form(key="Voice_Clone"))
    assert response.status_code == 200
    summary = text(page(response).find(class_="error-summary"))
    assert "Key: Use lower-case letters and digits" in summary
    assert not LibraryRisk.objects.filter(key__iexact="voice_clone").exists()


def test_a_refused_edit_changes_nothing(admin_client, universal_template):
    entry = LibraryRisk.objects.get(key="prompt-injection-direct")
    before = (entry.title, entry.impact, set(entry.mitigations.all()))
    response = admin_client.post(
        _edit(entry),
        _form(title="", impact="7", mitigations=[universal_template.pk]),
    )
    assert response.status_code == 200
    summary = text(page(response).find(class_="error-summary"))
    assert "Title: This field is required." in summary
    assert page(response).find("h1").get_text() == before[0]
    entry.refresh_from_db()
    assert (entry.title, entry.impact, set(entry.mitigations.all())) == before


def test_a_mitigation_id_that_is_not_a_number_is_refused(admin_client):
    count = LibraryRisk.objects.count()
    response = admin_client.post(NEW, _form(mitigations=["9" * 30]))
    assert response.status_code == 200
    assert "Mitigations:" in text(page(response).find(class_="error-summary"))
    assert LibraryRisk.objects.count() == count


# --- Access -------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["executive", "pm"])
def test_people_who_are_not_admins_are_forbidden(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    entry = LibraryRisk.objects.get(key="prompt-injection-direct")
    count = LibraryRisk.objects.count()
    assert client.get(LIST).status_code == 403
    assert client.get(NEW).status_code == 403
    assert client.get(_edit(entry)).status_code == 403
    assert client.post(NEW, _form()).status_code == 403
    assert client.post(_edit(entry), _form(title="Hijacked")).status_code == 403
    entry.refresh_from_db()
    assert entry.title != "Hijacked"
    assert LibraryRisk.objects.count() == count


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_wrong_methods_are_refused(admin_client):
    entry = LibraryRisk.objects.get(key="prompt-injection-direct")
    assert admin_client.post(LIST).status_code == 405
    assert admin_client.delete(_edit(entry)).status_code == 405
    assert admin_client.put(NEW).status_code == 405


def test_a_post_without_the_csrf_token_is_refused(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    count = LibraryRisk.objects.count()
    assert client.post(NEW, _form()).status_code == 403
    assert LibraryRisk.objects.count() == count


def test_the_admin_navigation_links_to_the_library(admin_client):
    doc = page(admin_client.get(reverse("portal:user_list")))
    nav = doc.find("nav", attrs={"aria-label": "Administration"})
    assert nav.find("a", string="Risk library")["href"] == LIST
    here = page(admin_client.get(LIST)).find(
        "nav", attrs={"aria-label": "Administration"}
    )
    assert text(here.find("a", attrs={"aria-current": "page"})) == "Risk library"


@pytest.mark.parametrize("persona", ["executive", "pm"])
def test_people_who_are_not_admins_get_no_link_to_the_library(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    doc = page(client.get(reverse("portal:home")))
    assert doc.find("a", href=LIST) is None
    assert doc.find("a", string="Risk library") is None
