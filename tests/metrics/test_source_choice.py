"""One source of truth per metric: the default order, or the project's own choice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics import services
from metrics.dashboard import project_dashboard
from metrics.models import ConnectedService
from metrics.vocabulary import Bucket, Metric, Sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_sources(people):
    project = people["project"]
    day = timezone.localdate() - timedelta(days=1)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    langfuse = ConnectedService.objects.create(
        project=project, kind="langfuse", name="Langfuse"
    )
    push = ConnectedService.objects.create(
        project=project, kind="push", name="Push API"
    )
    services.samples_write(
        project=project,
        service=langfuse,
        samples=[Sample(Metric.REQUESTS, start, Bucket.DAY, Decimal(100))],
    )
    services.samples_write(
        project=project,
        service=push,
        samples=[Sample(Metric.REQUESTS, start, Bucket.DAY, Decimal(90))],
    )
    return project, day, langfuse, push


def test_the_observability_tool_counts_by_default_and_sources_are_never_added(
    two_sources,
):
    project, day, _, _ = two_sources
    data = project_dashboard(project, start=day, end=day)
    assert data.series[Metric.REQUESTS].source == "Langfuse"
    assert data.series[Metric.REQUESTS].total(day) == Decimal(100)


def test_the_lead_chooses_another_source(client, people, two_sources):
    project, day, _, push = two_sources
    url = reverse("metrics:sources", kwargs={"slug": project.slug})
    client.force_login(people["viewer"])
    assert client.post(url, {"source-requests": push.pk}).status_code == 403
    client.force_login(people["lead"])
    page = client.get(
        reverse("metrics:project", kwargs={"slug": project.slug})
    ).content.decode()
    assert "Which source counts" in page
    client.post(url, {"source-requests": push.pk})
    data = project_dashboard(project, start=day, end=day)
    assert data.series[Metric.REQUESTS].source == "Push API"
    assert data.series[Metric.REQUESTS].total(day) == Decimal(90)
    client.post(url, {"source-requests": ""})
    assert (
        project_dashboard(project, start=day, end=day).series[Metric.REQUESTS].source
        == "Langfuse"
    )
    assert client.get(url).status_code == 405
