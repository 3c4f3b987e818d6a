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
