"""The personas of a project made the way users make them, and what its connected
services report per model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from metrics import services as metric_services
from metrics.models import ConnectedService
from metrics.vocabulary import Bucket, Metric, Sample
from tests.projects import conftest as project_fixtures

people = project_fixtures.people


def day_ago(n):
    return timezone.localdate() - timedelta(days=n)


def report(project, rows, *, kind="push", name="Push API", service=None):
    """Write what a source reports: ``rows`` of (metric, dimension, days ago, value).
    Returns the service."""
    if service is None:
        service = ConnectedService.objects.create(project=project, kind=kind, name=name)
    samples = []
    for metric, dimension, ago, value in rows:
        day = day_ago(ago)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        samples.append(
            Sample(Metric(metric), start, Bucket.DAY, Decimal(value), dimension)
        )
    metric_services.samples_write(project=project, service=service, samples=samples)
    return service
