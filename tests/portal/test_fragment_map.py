"""The map of cached fragments (portal/fragments.py) names every model each one reads.

Each declared fragment is built with an empty cache while its queries are recorded;
a table its queries touch that its declaration does not name fails the test, so a
new column fed by a new model can never go stale silently. Then a change to each
model a fragment reads is shown to build it again."""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import AssessmentCriterion
from core import fragments
from evaluations import services as evaluation_services
from metrics.models import Alert
from projects import membership_services, services
from projects.models import ChecklistItem, NotificationKind
from projects.notifications import notify
from projects.roles import GlobalRole
from tests.factories import (
    TeamFactory,
    UserFactory,
    approve_requirements,
    record_daily_metrics,
)

pytestmark = pytest.mark.django_db

TABLE = re.compile(r'(?:FROM|JOIN)\s+"?(\w+)"?', re.IGNORECASE)


def _tables_by_model() -> dict[str, str]:
    return {
        model._meta.db_table: model._meta.label
        for model in apps.get_models(include_auto_created=True)
    }


@pytest.fixture
def world():
    executive = UserFactory(roles=[GlobalRole.EXECUTIVE])
    owner = UserFactory()
    project = services.project_create(
        name="Claims Triage Assistant", team=TeamFactory(), owner=owner
    )
    membership_services.membership_set(project=project, user=executive, role="viewer")
    approve_requirements(project, owner)
    record_daily_metrics(project, days=3)
    Alert.objects.create(project=project, kind=Alert.Kind.LATENCY, message="slow")
    assessment_services.assessment_record(
        project=project,
        assessor=owner,
        scores=[
            assessment_services.ScoreInput(c, 2, 3)
            for c in AssessmentCriterion.objects.filter(active=True)
        ],
    )
    notify(user=executive, kind=NotificationKind.ALERT_OPENED, message="An alert")
    # An evaluation run with a score, so the portfolio's last evaluation reads them.
    evaluation_services.run_record(
        project=project,
        summary=evaluation_services.RunSummary(
            kind="evaluation",
            external_id="probe",
            ran_at=timezone.now(),
            dataset_name="golden",
            scores={"faithfulness": Decimal("0.9")},
        ),
        origin="push",
    )
    return {"executive": executive, "owner": owner, "project": project}


def _probe(client, world):
    """Requests that build every fragment: each page that shows one."""
    project = world["project"]
    step = reverse("projects:step", kwargs={"slug": project.slug, "number": 1})
    for url in (
        "/",
        "/projects/",
        project.get_absolute_url(),
        reverse("metrics:dashboard", kwargs={"slug": project.slug}),
    ):
        assert client.get(url).status_code == 200, url
    # A checklist row re-rendered after a tick shows the assignee picker (the
    # project's members) to those who may work.
    client.force_login(world["owner"])
    assert client.get(step).status_code == 200
    item = ChecklistItem.objects.filter(project=project, step__number=1).first()
    ticked = client.post(
        reverse("projects:item_state", kwargs={"slug": project.slug, "pk": item.pk}),
        {"state": "not_applicable", "justification": "Not for this project"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"item-{item.pk}",
    )
    assert ticked.status_code == 200
    client.force_login(world["executive"])


@pytest.fixture
def recorded(monkeypatch, client, world):
    """{fragment: the model labels its build read} over every page of ``_probe``."""
    touched: dict[str, set[str]] = defaultdict(set)
    original = fragments.cached
    by_table = _tables_by_model()

    def recording(name, key, build, **owners):
        def traced():
            with CaptureQueriesContext(connection) as queries:
                value = build()
            for query in queries.captured_queries:
                for table in TABLE.findall(query["sql"]):
                    if table in by_table:
                        touched[name].add(by_table[table])
            return value

        return original(name, key, traced, **owners)

    monkeypatch.setattr(fragments, "cached", recording)
    client.force_login(world["executive"])
    _probe(client, world)
    return touched


def test_every_fragment_is_built_by_the_probe(recorded):
    assert set(recorded) == {f.name for f in fragments.declared()}


def test_every_fragment_declares_each_model_it_reads(recorded):
    declared = {f.name: f.reads for f in fragments.declared()}
    undeclared = {
        name: sorted(models - declared[name])
        for name, models in recorded.items()
        if models - declared[name]
    }
    assert undeclared == {}


def test_the_reader_sees_queries(recorded):
    # Guards the test: a recorder that saw nothing would pass the check above.
    assert "projects.Project" in recorded["projects-table"]
    assert "metrics.DailyRollup" in recorded["project-dashboard"]


def test_a_change_to_what_a_fragment_reads_builds_it_again(client, world):
    project = world["project"]
    client.force_login(world["executive"])
    builds: list[str] = []
    original = fragments.cached

    def counting(name, key, build, **owners):
        def traced():
            builds.append(name)
            return build()

        return original(name, key, traced, **owners)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fragments, "cached", counting)
        client.get(project.get_absolute_url())
        builds.clear()
        client.get(project.get_absolute_url())
        assert builds == []  # kept while nothing changes

        # A tick rebuilds the stepper, which shows the checklist, and not the rest.
        item = ChecklistItem.objects.filter(project=project).first()
        item.notes = "Checked with security"
        item.save()
        client.get(project.get_absolute_url())
        assert "project-stepper" in builds
        assert "project-overview" not in builds

        builds.clear()
        project.summary = "Triage of incoming claims"
        project.save()
        client.get(project.get_absolute_url())
        assert {"project-overview", "project-stepper"} <= set(builds)

        builds.clear()
        Alert.objects.filter(project=project).first().save()
        client.get("/projects/")
        assert "projects-table" in builds


def test_a_change_to_one_project_keeps_anothers_copy(client, world):
    other = services.project_create(
        name="Other", team=TeamFactory(), owner=world["owner"]
    )
    builds: list[tuple[str, int | None]] = []
    original = fragments.cached

    def counting(name, key, build, **owners):
        def traced():
            builds.append((name, owners.get("project_id")))
            return build()

        return original(name, key, traced, **owners)

    client.force_login(world["owner"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fragments, "cached", counting)
        client.get(other.get_absolute_url())
        builds.clear()
        item = ChecklistItem.objects.filter(project=world["project"]).first()
        item.notes = "Only this project's"
        item.save()
        client.get(other.get_absolute_url())
        assert ("project-stepper", other.pk) not in builds
