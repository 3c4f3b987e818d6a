"""A project's Models tab: everyone on the project sees the models it uses and
whether each may see its data; the owner declares a model or withdraws a declaration,
with a confirmation; nobody else may."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from inventory import services
from inventory.models import AIModel, ApprovalStatus, ProjectModel, Vendor
from tests.html import page, table_headers, table_rows, text
from tests.inventory.conftest import day_ago, report

pytestmark = pytest.mark.django_db


def _tab(project):
    return reverse("inventory:project", kwargs={"slug": project.slug})


def _remove(project, use):
    return reverse("inventory:remove", kwargs={"slug": project.slug, "pk": use.pk})


@pytest.fixture
def catalogue(db):
    openai = Vendor.objects.create(name="OpenAI", kind="model_provider")
    return {
        "gpt-4o": AIModel.objects.create(
            name="gpt-4o",
            vendor=openai,
            approval=ApprovalStatus.APPROVED,
            max_classification="regulated",
        ),
        "gpt-4o-mini": AIModel.objects.create(
            name="gpt-4o-mini", vendor=openai, approval=ApprovalStatus.NON_SENSITIVE
        ),
    }


def test_the_tab_lists_declared_and_detected_models(people, catalogue, as_):
    project = people["project"]
    services.model_declare(
        project=project, declared_by=people["owner"], model=catalogue["gpt-4o"]
    )
    report(
        project,
        [
            ("requests", "gpt-4o-mini", 1, 1234),
            ("requests", "gpt-4o-mini", 20, 766),
            ("input_tokens", "mystery-model", 1, 5000),
        ],
    )
    services.models_detect(project=project, days=30)
    response = as_(people["viewer"]).get(_tab(project))
    assert response.status_code == 200
    doc = page(response)
    nav = doc.find("nav", attrs={"aria-label": "Project"})
    assert text(nav.find("a", attrs={"aria-current": "page"})) == "Models"
    table = doc.find("table")
    assert table_headers(table) == [
        "Model",
        "Vendor",
        "Approval",
        "This project's data",
        "How we know",
        "First seen",
        "Last seen",
        "Last 30 days",
    ]
    owner_name = people["owner"].display_name
    assert table_rows(table) == [
        [
            "gpt-4o",
            "OpenAI",
            "Approved",
            "Allowed",
            f"Declared by {owner_name}",
            "—",
            "—",
            "—",
        ],
        [
            "gpt-4o-mini",
            "OpenAI",
            "Approved for non-sensitive data only",
            "Not allowed",
            "Seen in the metrics",
            f"{day_ago(20):%Y-%m-%d}",
            f"{day_ago(1):%Y-%m-%d}",
            "2,000 requests",
        ],
        [
            "mystery-model",
            "Not classified yet",
            "Not reviewed yet",
            "Not allowed",
            "Seen in the metrics",
            f"{day_ago(1):%Y-%m-%d}",
            f"{day_ago(1):%Y-%m-%d}",
            "5,000 tokens",
        ],
    ]
    notice = text(doc.find(class_="notice"))
    assert notice.startswith(
        "Model not approved: gpt-4o-mini is not approved for regulated data"
    )
    # A viewer may not declare anything.
    assert doc.find("h3", string="Declare a model") is None
    assert doc.find("button", string="Withdraw") is None


def test_the_tab_has_an_empty_state(people, as_):
    doc = page(as_(people["owner"]).get(_tab(people["project"])))
    assert "No models yet" in text(doc)
    assert doc.find("select", attrs={"name": "model"}) is not None


def test_the_owner_declares_a_model_from_the_inventory(people, catalogue, as_):
    project = people["project"]
    response = as_(people["owner"]).post(
        _tab(project), {"model": catalogue["gpt-4o"].pk, "name": ""}, follow=True
    )
    assert response.redirect_chain == [(_tab(project), 302)]
    assert "gpt-4o declared." in text(page(response).find(id="toasts"))
    use = ProjectModel.objects.get(project=project)
    assert (use.model, use.declared, use.declared_by) == (
        catalogue["gpt-4o"],
        True,
        people["owner"],
    )
    assert use.history.get().history_user == people["owner"]


def test_the_owner_declares_a_model_the_inventory_does_not_know(people, as_):
    project = people["project"]
    response = as_(people["owner"]).post(_tab(project), {"name": "acme-llm-7b"})
    assert response.status_code == 302
    model = AIModel.objects.get(name="acme-llm-7b")
    assert model.approval == ApprovalStatus.NOT_REVIEWED
    assert ProjectModel.objects.get(project=project).model == model


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Choose a model from the inventory or type a new name (one of the two)."),
        (
            {"name": "x", "model": "PICK"},
            "Choose a model from the inventory or type a new name (one of the two).",
        ),
        ({"model": "999999"}, "Select a valid choice."),
    ],
)
def test_a_declaration_must_name_one_model(people, catalogue, as_, data, error):
    project = people["project"]
    if data.get("model") == "PICK":
        data["model"] = catalogue["gpt-4o"].pk
    response = as_(people["owner"]).post(_tab(project), data)
    assert response.status_code == 200
    assert error in text(page(response).find(class_="error-summary"))
    assert not ProjectModel.objects.exists()


def test_a_model_declared_already_is_refused(people, catalogue, as_):
    project = people["project"]
    services.model_declare(
        project=project, declared_by=people["owner"], model=catalogue["gpt-4o"]
    )
    response = as_(people["owner"]).post(_tab(project), {"name": "GPT-4o"})
    assert response.status_code == 200
    assert "gpt-4o is declared for this project already." in text(
        page(response).find(class_="error-summary")
    )


def test_the_owner_withdraws_a_declaration_after_a_confirmation(people, catalogue, as_):
    project = people["project"]
    use = services.model_declare(
        project=project, declared_by=people["owner"], model=catalogue["gpt-4o"]
    )
    client = as_(people["owner"])
    form = page(client.get(_tab(project))).find("form", action=_remove(project, use))
    assert form["data-confirm"] == "Withdraw the declaration of gpt-4o?"
    response = client.post(_remove(project, use), follow=True)
    assert response.redirect_chain == [(_tab(project), 302)]
    assert "gpt-4o is no longer declared." in text(page(response).find(id="toasts"))
    assert not ProjectModel.objects.exists()


def test_a_detected_model_stays_listed_when_its_declaration_is_withdrawn(
    people, catalogue, as_
):
    project = people["project"]
    report(project, [("requests", "gpt-4o", 1, 3)])
    services.models_detect(project=project)
    use = services.model_declare(
        project=project, declared_by=people["owner"], name="gpt-4o"
    )
    client = as_(people["owner"])
    form = page(client.get(_tab(project))).find("form", action=_remove(project, use))
    assert "It stays listed, as the metrics show it in use." in form["data-confirm"]
    client.post(_remove(project, use))
    use.refresh_from_db()
    assert not use.declared


def test_htmx_posts_get_a_client_redirect(people, catalogue, as_):
    project = people["project"]
    response = as_(people["owner"]).post(
        _tab(project), {"name": "o3"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == _tab(project)


# --- Access -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["lead", "contributor", "reviewer", "viewer"])
def test_members_who_are_not_the_owner_may_not_declare_or_withdraw(
    people, catalogue, as_, persona
):
    project = people["project"]
    use = services.model_declare(
        project=project, declared_by=people["owner"], model=catalogue["gpt-4o"]
    )
    client = as_(people[persona])
    assert client.get(_tab(project)).status_code == 200
    assert client.post(_tab(project), {"name": "o3"}).status_code == 403
    assert client.post(_remove(project, use)).status_code == 403
    assert ProjectModel.objects.filter(declared=True).count() == 1
    assert not AIModel.objects.filter(name="o3").exists()


def test_outsiders_do_not_learn_the_project_exists(people, catalogue, as_):
    project = people["project"]
    use = services.model_declare(
        project=project, declared_by=people["owner"], model=catalogue["gpt-4o"]
    )
    client = as_(people["outsider"])
    assert client.get(_tab(project)).status_code == 404
    assert client.post(_tab(project), {"name": "o3"}).status_code == 404
    assert client.post(_remove(project, use)).status_code == 404
    assert ProjectModel.objects.filter(declared=True).count() == 1


def test_an_admin_may_declare(people, as_, admin_user, settings):
    settings.RUNWAY_MFA_REQUIRED_FOR_ADMINS = False
    project = people["project"]
    assert as_(admin_user).post(_tab(project), {"name": "o3"}).status_code == 302


def test_another_projects_declaration_is_not_found(people, catalogue, as_):
    from projects import services as project_services

    other = project_services.project_create(
        name="Other", team=people["project"].team, owner=people["owner"]
    )
    use = services.model_declare(
        project=other, declared_by=people["owner"], model=catalogue["gpt-4o"]
    )
    response = as_(people["owner"]).post(_remove(people["project"], use))
    assert response.status_code == 404
    assert ProjectModel.objects.filter(pk=use.pk).exists()


def test_wrong_methods_are_refused(people, catalogue, as_):
    project = people["project"]
    use = services.model_declare(
        project=project, declared_by=people["owner"], model=catalogue["gpt-4o"]
    )
    client = as_(people["owner"])
    assert client.put(_tab(project)).status_code == 405
    assert client.get(_remove(project, use)).status_code == 405


def test_a_post_without_the_csrf_token_is_refused(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["owner"])
    assert client.post(_tab(people["project"]), {"name": "o3"}).status_code == 403
    assert not ProjectModel.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(people, client):
    response = client.get(_tab(people["project"]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
