from __future__ import annotations

import factory
from django.contrib.auth.models import Group

from portal.models import User
from projects.models import Membership, Project, ProjectRole, Team

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set(
                [Group.objects.get_or_create(name=str(r))[0] for r in extracted]
            )


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    slug = factory.Sequence(lambda n: f"project-{n}")
    team = factory.SubFactory(TeamFactory)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = ProjectRole.CONTRIBUTOR


COMPLETE_REQUIREMENTS = {
    "users": 800,
    "requests_per_day": 20000,
    "peak_rps": "12",
    "p95_latency_ms": 2500,
    "error_rate_pct": "1",
    "uptime_pct": "99.9",
    "quality_score_name": "helpfulness",
    "quality_score_target": "0.85",
    "monthly_budget_usd": "8000",
    "data_classification": "regulated",
    "cloud": "AWS",
    "region": "eu-west-1",
    "integration_points": [
        {"system": "Claims system", "direction": "both", "protocol": "REST"}
    ],
    "success_criteria": [
        {
            "statement": "Quality on the eval set",
            "metric": "helpfulness",
            "comparison": ">=",
            "target": "0.85",
        }
    ],
}


def approve_requirements(project, owner, **changes):
    """Save complete requirements as the owner and approve them (step 1's sign-off)."""
    from decimal import Decimal

    from assessments import services

    values = {**COMPLETE_REQUIREMENTS, **changes}
    for key in (
        "peak_rps",
        "error_rate_pct",
        "uptime_pct",
        "quality_score_target",
        "monthly_budget_usd",
    ):
        if values.get(key) is not None:
            values[key] = Decimal(values[key])
    version = services.requirements_save(project=project, author=owner, values=values)
    services.requirements_approve(version=version, actor=owner)
    return version


def record_daily_metrics(project, days=8, **overrides):
    """Write daily production metrics for the last ``days`` days that meet
    COMPLETE_REQUIREMENTS' targets unless overridden (values per day)."""
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from django.utils import timezone

    from metrics import services
    from metrics.models import ConnectedService
    from metrics.vocabulary import Bucket, Metric, Sample

    service = ConnectedService.objects.create(
        project=project, kind="push", name="Push API"
    )
    values = {
        Metric.REQUESTS: Decimal(20000),
        Metric.ERRORS: Decimal(100),  # 0.5 %
        Metric.LATENCY_P95_MS: Decimal(2000),
        Metric.COST_OBSERVED_USD: Decimal(200),  # × 31 days stays under $8,000
        Metric.QUALITY_SCORE: Decimal("0.9"),
        **overrides,
    }
    today = timezone.localdate()
    samples = []
    for n in range(1, days + 1):
        day = today - timedelta(days=n)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        for metric, value in values.items():
            if value is None:
                continue
            per_day = value(day) if callable(value) else value
            if per_day is None:
                continue
            dimension = "helpfulness" if metric == Metric.QUALITY_SCORE else ""
            samples.append(
                Sample(metric, start, Bucket.DAY, Decimal(per_day), dimension)
            )
    services.samples_write(project=project, service=service, samples=samples)
    return service
