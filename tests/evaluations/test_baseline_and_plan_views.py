"""A project's Evaluations tab, who may do what on it: everyone on the project sees the
plan, the baseline and the runs; the lead or owner names the set step 6 judges and
accepts a run as the baseline, with a comment; nobody else may."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from evaluations import selectors
from evaluations.models import BaselineAcceptance, EvaluationPlan
from metrics.models import Alert
from tests.evaluations.pages import compare_url, plan_url, run_url, tab_url
from tests.factories import ProjectFactory
from tests.html import page, text

pytestmark = pytest.mark.django_db


# --- Who may see and change what ------------------------------------------------------


def test_an_outsider_finds_no_page_of_the_tab(history, as_):
    client = as_(history["outsider"])
    project, latest = history["project"], history["latest"]
    for url in (tab_url(project), run_url(latest), compare_url(project)):
        assert client.get(url).status_code == 404, url
    assert client.post(plan_url(project), {"dataset_name": "x"}).status_code == 404
    assert (
        client.post(
            run_url(latest, "evaluations:accept"), {"comment": "mine"}
        ).status_code
        == 404
    )
    assert BaselineAcceptance.objects.count() == 1


def test_a_viewer_sees_everything_but_may_neither_accept_nor_edit_the_plan(
    history, as_
):
    client = as_(history["viewer"])
    project, latest = history["project"], history["latest"]
    tab = page(client.get(tab_url(project)))
    assert "Change the plan" not in text(tab)
    assert tab.find("form", attrs={"action": plan_url(project)}) is None
    detail = page(client.get(run_url(latest)))
    assert text(detail.find("h2")) == "Evaluation run “Nightly 2”"
    assert detail.find("button", string="Accept as baseline") is None

    refused = client.post(run_url(latest, "evaluations:accept"), {"comment": "Fine."})
    assert refused.status_code == 403
    refused = client.post(
        plan_url(project), {"dataset_name": "other", "tolerance": "0.5"}
    )
    assert refused.status_code == 403
    assert selectors.baseline_run(project, "golden") == history["baseline"]
    assert selectors.plan_of(project).dataset_name == "golden"


def test_an_admin_may_set_the_plan_but_not_accept_a_baseline(history, as_, admin_user):
    # Accepting a baseline is the lead's or owner's judgement, as approvals are.
    client = as_(admin_user)
    project, latest = history["project"], history["latest"]
    detail = page(client.get(run_url(latest)))
    assert detail.find("button", string="Accept as baseline") is None

    refused = client.post(run_url(latest, "evaluations:accept"), {"comment": "Fine."})
    assert refused.status_code == 403
    assert selectors.baseline_run(project, "golden") == history["baseline"]
    saved = client.post(
        plan_url(project), {"dataset_name": "other", "tolerance": "0.05"}
    )
    assert saved.status_code == 302
    assert selectors.plan_of(project).dataset_name == "other"


def test_the_writes_take_only_posts_and_the_pages_only_gets(history, as_):
    client = as_(history["lead"])
    project, latest = history["project"], history["latest"]
    assert client.get(plan_url(project)).status_code == 405
    assert client.get(run_url(latest, "evaluations:accept")).status_code == 405
    assert client.post(tab_url(project)).status_code == 405
    assert client.post(run_url(latest)).status_code == 405
    assert client.post(compare_url(project)).status_code == 405


def test_the_posts_need_the_csrf_token(history):
    client = Client(enforce_csrf_checks=True)
    client.force_login(history["lead"])
    project, latest = history["project"], history["latest"]
    accept = client.post(run_url(latest, "evaluations:accept"), {"comment": "Go."})
    plan = client.post(plan_url(project), {"dataset_name": "x", "tolerance": "0.1"})
    assert accept.status_code == plan.status_code == 403
    assert BaselineAcceptance.objects.count() == 1
    assert selectors.plan_of(project).dataset_name == "golden"


def test_a_run_of_another_project_is_not_found(history, ui_record, as_):
    other = ui_record(ProjectFactory(), "elsewhere", scores={"helpfulness": "0.5"})
    client = as_(history["lead"])
    wrong = {"slug": history["project"].slug, "pk": other.pk}
    assert client.get(reverse("evaluations:run", kwargs=wrong)).status_code == 404
    refused = client.post(reverse("evaluations:accept", kwargs=wrong), {"comment": "x"})
    assert refused.status_code == 404
    assert not BaselineAcceptance.objects.filter(run=other).exists()


# --- Accepting a baseline ---------------------------------------------------------------


def test_the_lead_accepts_the_latest_run_as_the_baseline_with_a_comment(history, as_):
    client = as_(history["lead"])
    project, latest = history["project"], history["latest"]
    assert Alert.objects.get(kind=Alert.Kind.EVALUATION).status == Alert.Status.OPEN
    response = client.post(
        run_url(latest, "evaluations:accept"),
        {"comment": "Faithfulness traded for speed."},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == run_url(latest)
    doc = page(response)
    assert "“Nightly 2” is now the baseline of “golden”." in text(doc.find(id="toasts"))
    assert "This run is the baseline of “golden”" in text(doc)
    assert "Faithfulness traded for speed." in text(doc)
    acceptance = selectors.baseline_acceptance(project, "golden")
    assert acceptance.run == latest and acceptance.accepted_by == history["lead"]
    assert acceptance.comment == "Faithfulness traded for speed."
    # Audited: the history row names who accepted it.
    assert acceptance.history.get().history_user == history["lead"]
    # The regression is gone: the alert resolves and the tab's check passes.
    assert Alert.objects.get(kind=Alert.Kind.EVALUATION).status == Alert.Status.RESOLVED
    tab = text(page(client.get(tab_url(project))))
    assert "No regression against the baseline passes:" in tab


def test_a_missing_comment_is_a_clear_error_and_changes_nothing(history, as_):
    response = as_(history["owner"]).post(
        run_url(history["latest"], "evaluations:accept"), {"comment": "   "}
    )
    assert response.status_code == 200
    doc = page(response)
    message = "Say why this run is the new baseline."
    assert message in text(doc.find(class_="error-summary"))
    assert message in text(doc.find(class_="field-error"))
    assert selectors.baseline_run(history["project"], "golden") == history["baseline"]
    assert BaselineAcceptance.objects.count() == 1


def test_a_load_test_cannot_become_a_baseline(history, ui_record, as_):
    load = ui_record(history["project"], "load-1", kind="load_test", achieved_rps=20)
    client = as_(history["lead"])
    assert (
        page(client.get(run_url(load))).find("button", string="Accept as baseline")
        is None
    )
    response = client.post(
        run_url(load, "evaluations:accept"), {"comment": "Yes."}, follow=True
    )
    assert "Only an evaluation run of this project can be a baseline." in text(
        page(response).find(id="toasts")
    )
    assert BaselineAcceptance.objects.count() == 1


# --- The plan ---------------------------------------------------------------------------


def test_the_lead_names_the_set_and_the_tolerance(ui_people, ui_record, as_):
    project = ui_people["project"]
    ui_record(project, "run-1", dataset_name="regression-suite")
    client = as_(ui_people["lead"])
    form = page(client.get(tab_url(project))).find(
        "form", attrs={"action": plan_url(project)}
    )
    assert form.find("label", string="Evaluation set:") is not None
    assert form.find("option", attrs={"value": "regression-suite"}) is not None
    response = client.post(
        plan_url(project),
        {"dataset_name": " regression-suite ", "tolerance": "0.05"},
        follow=True,
    )
    assert "Evaluation plan saved." in text(page(response).find(id="toasts"))
    plan = EvaluationPlan.objects.get(project=project)
    assert plan.dataset_name == "regression-suite" and plan.tolerance == Decimal("0.05")


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"dataset_name": "", "tolerance": "0.02"},
            "Name the evaluation set step 6 judges.",
        ),
        (
            {"dataset_name": "golden", "tolerance": "1.5"},
            "The tolerance cannot be above 1",
        ),
        (
            {"dataset_name": "golden", "tolerance": "-0.1"},
            "The tolerance cannot be below 0.",
        ),
        (
            {"dataset_name": "golden", "tolerance": "lots"},
            "as a number between 0 and 1",
        ),
        (
            {"dataset_name": "golden", "tolerance": "0.00001"},
            "at most 4 decimal places",
        ),
    ],
)
def test_a_bad_plan_is_refused_with_a_message_and_nothing_saved(
    ui_people, as_, data, message
):
    response = as_(ui_people["owner"]).post(plan_url(ui_people["project"]), data)
    assert response.status_code == 200
    doc = page(response)
    assert message in text(doc.find(class_="error-summary"))
    assert doc.find("details", open=True) is not None  # the form stays open
    assert not EvaluationPlan.objects.exists()
