"""Admins keep the inventory of vendors and models in Runway's own pages: list and
filter them, add and edit them; a vendor whose next review has passed is flagged, and
every change names the admin in the audit trail."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inventory import services
from inventory.models import AIModel, ApprovalStatus, ProjectModel, Vendor
from tests.html import page, table_headers, table_rows, text
from tests.portal import people_helpers

mfa_off, admin_client = people_helpers.mfa_off, people_helpers.admin_client

pytestmark = pytest.mark.django_db

VENDORS = reverse("inventory:vendors")
VENDOR_NEW = reverse("inventory:vendor_new")
MODELS = reverse("inventory:models")
MODEL_NEW = reverse("inventory:model_new")


def _vendor_edit(vendor):
    return reverse("inventory:vendor_edit", args=[vendor.pk])


def _model_edit(model):
    return reverse("inventory:model_edit", args=[model.pk])


def _vendor_form(**changes):
    data = {
        "name": "Anthropic",
        "kind": "model_provider",
        "dpa_status": "signed",
        "baa_status": "not_needed",
        "data_residency": "US",
        "training_terms": "no_training",
        "last_reviewed_on": "2026-06-01",
        "next_review_on": "2027-06-01",
        "notes": "Zero data retention on the API.",
    }
    data.update(changes)
    return data


def _model_form(**changes):
    data = {
        "name": "claude-sonnet-4",
        "vendor": "",
        "approval": "approved",
        "max_classification": "confidential",
        "notes": "",
    }
    data.update(changes)
    return data


def _summary(response):
    return text(page(response).find(class_="error-summary"))


@pytest.fixture
def openai(db):
    return Vendor.objects.create(
        name="OpenAI",
        kind="model_provider",
        dpa_status="signed",
        baa_status="signed",
        data_residency="EU",
        training_terms="no_training",
        last_reviewed_on=date(2025, 1, 10),
        next_review_on=timezone.localdate() - timedelta(days=1),
    )


# --- Vendors ---------------------------------------------------------------------------


def test_an_admin_sees_the_vendors_with_overdue_reviews_flagged(admin_client, openai):
    Vendor.objects.create(
        name="Pinecone",
        kind="vector_database",
        next_review_on=timezone.localdate(),
    )
    AIModel.objects.create(name="gpt-4o", vendor=openai)
    response = admin_client.get(VENDORS)
    assert response.status_code == 200
    table = page(response).find("table")
    assert table_headers(table) == [
        "Vendor",
        "Kind",
        "DPA",
        "BAA",
        "Data residency",
        "Training on our data",
        "Last review",
        "Next review",
        "Models",
    ]
    yesterday = timezone.localdate() - timedelta(days=1)
    assert table_rows(table) == [
        [
            "OpenAI",
            "Model provider",
            "Signed",
            "Signed",
            "EU",
            "Does not train on our data",
            "2025-01-10",
            f"{yesterday:%Y-%m-%d} review overdue",
            "1",
        ],
        [
            "Pinecone",
            "Vector database",
            "None",
            "None",
            "—",
            "Unknown",
            "—",
            f"{timezone.localdate():%Y-%m-%d}",  # due today: not overdue yet
            "0",
        ],
    ]
    nav = page(response).find("nav", attrs={"aria-label": "Administration"})
    assert text(nav.find("a", attrs={"aria-current": "page"})) == "Vendors and models"


def test_the_vendors_filter_on_overdue_reviews_and_answer_htmx_with_the_table(
    admin_client, openai
):
    Vendor.objects.create(name="AWS", kind="cloud")
    response = admin_client.get(
        VENDORS,
        {"review": "overdue"},
        headers={"HX-Request": "true", "HX-Target": "vendor-table"},
    )
    doc = page(response)
    assert doc.find("h1") is None
    assert [row[0] for row in table_rows(doc.find("table"))] == ["OpenAI"]
    cloud = table_rows(page(admin_client.get(VENDORS, {"kind": "cloud"})).find("table"))
    assert [row[0] for row in cloud] == ["AWS"]


def test_the_vendor_list_is_paginated_and_keeps_its_filters(admin_client):
    Vendor.objects.bulk_create(
        [Vendor(name=f"Cloud {n:02}", kind="cloud") for n in range(51)]
    )
    first = admin_client.get(VENDORS, {"kind": "cloud"})
    assert len(table_rows(page(first).find("table"))) == 50
    assert page(first).find("a", rel="next")["href"] == "?kind=cloud&page=2"
    second = admin_client.get(VENDORS, {"kind": "cloud", "page": "2"})
    assert [row[0] for row in table_rows(page(second).find("table"))] == ["Cloud 50"]


def test_an_empty_inventory_offers_to_add_a_vendor(admin_client):
    doc = page(admin_client.get(VENDORS))
    assert "No vendors yet" in text(doc)
    assert doc.find("a", string="Add a vendor")["href"] == VENDOR_NEW


def test_an_admin_adds_a_vendor(admin_client, admin_user):
    response = admin_client.post(VENDOR_NEW, _vendor_form(), follow=True)
    assert response.redirect_chain == [(VENDORS, 302)]
    assert "“Anthropic” added to the inventory." in text(
        page(response).find(id="toasts")
    )
    vendor = Vendor.objects.get(name="Anthropic")
    assert (vendor.dpa_status, vendor.baa_status, vendor.training_terms) == (
        "signed",
        "not_needed",
        "no_training",
    )
    assert vendor.next_review_on == date(2027, 6, 1)
    assert vendor.history.get().history_user == admin_user


def test_the_next_review_must_come_after_the_last(admin_client):
    response = admin_client.post(VENDOR_NEW, _vendor_form(next_review_on="2026-06-01"))
    assert response.status_code == 200
    assert _summary(response) == (
        "Please correct the following "
        "Next review: The next review must come after the last one."
    )
    assert not Vendor.objects.exists()


def test_a_vendor_name_is_unique_whatever_its_case(admin_client, openai):
    response = admin_client.post(VENDOR_NEW, _vendor_form(name="openai"))
    assert response.status_code == 200
    assert "Name: Another vendor has this name already" in _summary(response)
    assert Vendor.objects.count() == 1


def test_an_admin_edits_a_vendor(admin_client, openai):
    response = admin_client.post(
        _vendor_edit(openai), _vendor_form(name="OpenAI", data_residency="EU, US")
    )
    assert response.status_code == 302
    openai.refresh_from_db()
    assert openai.data_residency == "EU, US"
    page_ = page(admin_client.get(_vendor_edit(openai)))
    assert page_.find("input", attrs={"name": "data_residency"})["value"] == "EU, US"
    assert page_.find("h1").get_text() == "OpenAI"


def test_the_vendor_page_says_when_the_admins_were_told_of_a_lapse(admin_client):
    vendor = Vendor.objects.create(
        name="OpenAI", kind="model_provider", next_review_on=date(2026, 1, 1)
    )
    services.vendor_reviews_check(today=date(2026, 1, 5))
    header = page(admin_client.get(_vendor_edit(vendor))).find(class_="page-header")
    assert (
        "review overdue The admins were told on 2026-01-05 that its review was due "
        "on 2026-01-01." in text(header)
    )


# --- Models ----------------------------------------------------------------------------


def test_an_admin_sees_the_models_with_their_approval_and_use(
    admin_client, openai, people
):
    gpt = AIModel.objects.create(
        name="gpt-4o",
        vendor=openai,
        approval=ApprovalStatus.APPROVED,
        max_classification="regulated",
    )
    AIModel.objects.create(name="gpt-4o-mini", vendor=openai, approval="non_sensitive")
    AIModel.objects.create(name="mystery")
    ProjectModel.objects.create(project=people["project"], model=gpt, declared=True)
    response = admin_client.get(MODELS)
    table = page(response).find("table")
    assert table_headers(table) == [
        "Model",
        "Vendor",
        "Approval",
        "Most sensitive data",
        "Projects",
    ]
    assert table_rows(table) == [
        ["gpt-4o", "OpenAI", "Approved", "Regulated", "1"],
        [
            "gpt-4o-mini",
            "OpenAI",
            "Approved for non-sensitive data only",
            "Internal",
            "0",
        ],
        ["mystery", "Not classified yet", "Not reviewed yet", "none", "0"],
    ]
    unclassified = admin_client.get(MODELS, {"vendor": "none"})
    assert [r[0] for r in table_rows(page(unclassified).find("table"))] == ["mystery"]
    reviewed = admin_client.get(MODELS, {"approval": "not_reviewed", "vendor": "nope"})
    assert [r[0] for r in table_rows(page(reviewed).find("table"))] == ["mystery"]


def test_the_model_list_is_paginated(admin_client):
    AIModel.objects.bulk_create([AIModel(name=f"model-{n:02}") for n in range(51)])
    first = admin_client.get(MODELS, {"approval": "not_reviewed"})
    assert len(table_rows(page(first).find("table"))) == 50
    assert page(first).find("a", rel="next")["href"] == "?approval=not_reviewed&page=2"


def test_an_admin_adds_a_model(admin_client, openai):
    response = admin_client.post(MODEL_NEW, _model_form(vendor=openai.pk))
    assert response.status_code == 302
    assert response.url == MODELS
    model = AIModel.objects.get(name="claude-sonnet-4")
    assert (model.vendor, model.approval, model.max_classification) == (
        openai,
        "approved",
        "confidential",
    )


def test_an_approved_model_needs_its_most_sensitive_data_class(admin_client):
    response = admin_client.post(MODEL_NEW, _model_form(max_classification=""))
    assert response.status_code == 200
    assert (
        "Most sensitive data it may see: Say the most sensitive data an approved "
        "model may see." in _summary(response)
    )
    assert not AIModel.objects.exists()


def test_a_model_name_is_unique_whatever_its_case(admin_client):
    AIModel.objects.create(name="gpt-4o")
    response = admin_client.post(MODEL_NEW, _model_form(name="GPT-4o"))
    assert response.status_code == 200
    assert "Name: Another model has this name already" in _summary(response)


def test_an_admin_reviews_a_detected_model_and_sees_its_projects(
    admin_client, admin_user, openai, people
):
    model = AIModel.objects.create(name="o3")
    ProjectModel.objects.create(
        project=people["project"],
        model=model,
        first_seen=date(2026, 11, 1),
        last_seen=date(2026, 11, 30),
    )
    doc = page(admin_client.get(_model_edit(model)))
    uses = text(doc.find("section", attrs={"aria-labelledby": "uses-heading"}))
    assert "Claims Triage Assistant seen 2026-11-01 to 2026-11-30" in uses
    response = admin_client.post(
        _model_edit(model),
        _model_form(name="o3", vendor=openai.pk, approval="not_approved"),
    )
    assert response.status_code == 302
    model.refresh_from_db()
    assert (model.vendor, model.approval) == (openai, "not_approved")
    assert [h.history_user for h in model.history.all()] == [admin_user, None]


def test_an_unknown_vendor_or_model_is_not_found(admin_client):
    assert (
        admin_client.get(reverse("inventory:vendor_edit", args=[999999])).status_code
        == 404
    )
    assert (
        admin_client.get(reverse("inventory:model_edit", args=[999999])).status_code
        == 404
    )


# --- Access ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["executive", "pm"])
def test_people_who_are_not_admins_are_forbidden(client, persona, request, openai):
    client.force_login(request.getfixturevalue(persona))
    model = AIModel.objects.create(name="gpt-4o")
    for url in (
        VENDORS,
        VENDOR_NEW,
        _vendor_edit(openai),
        MODELS,
        MODEL_NEW,
        _model_edit(model),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(VENDOR_NEW, _vendor_form()).status_code == 403
    assert (
        client.post(_vendor_edit(openai), _vendor_form(name="Hijacked")).status_code
        == 403
    )
    assert client.post(MODEL_NEW, _model_form()).status_code == 403
    assert (
        client.post(_model_edit(model), _model_form(name="hijacked")).status_code == 403
    )
    assert list(Vendor.objects.values_list("name", flat=True)) == ["OpenAI"]
    assert list(AIModel.objects.values_list("name", flat=True)) == ["gpt-4o"]


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    for url in (VENDORS, MODELS):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_wrong_methods_are_refused(admin_client, openai):
    assert admin_client.post(VENDORS).status_code == 405
    assert admin_client.post(MODELS).status_code == 405
    assert admin_client.delete(_vendor_edit(openai)).status_code == 405
    assert admin_client.put(MODEL_NEW).status_code == 405


def test_a_post_without_the_csrf_token_is_refused(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.post(VENDOR_NEW, _vendor_form()).status_code == 403
    assert not Vendor.objects.exists()


def test_the_admin_navigation_links_to_the_inventory(admin_client):
    doc = page(admin_client.get(reverse("portal:user_list")))
    nav = doc.find("nav", attrs={"aria-label": "Administration"})
    assert nav.find("a", string="Vendors and models")["href"] == VENDORS
    here = page(admin_client.get(MODELS))
    inventory_nav = here.find("nav", attrs={"aria-label": "Inventory"})
    assert text(inventory_nav.find("a", attrs={"aria-current": "page"})) == "Models"
