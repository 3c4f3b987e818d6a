"""What the demo shows a compliance reviewer: framework coverage on every project
under a framework, and one project sending traffic to a model nobody approved."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from controls.selectors import project_frameworks
from inventory.models import ProjectModel
from metrics.models import Alert
from portal.demo_data import SHADOW_MODEL
from projects.models import Project
from projects.selectors import risk_reasons_of

pytestmark = pytest.mark.django_db


def test_the_demo_has_coverage_and_one_unapproved_model(settings):
    settings.RUNWAY_DEMO_PASSWORD = "demo-password-for-tests"
    call_command("seed_demo", stdout=io.StringIO())

    for project in Project.objects.filter(frameworks__isnull=False).distinct():
        for followed in project_frameworks(project):
            assert followed.library is not None, (project.name, followed.framework.name)
            assert followed.coverage is not None
    launched = Project.objects.get(name="IT Helpdesk Agent")  # ISO/IEC 42001, step 8
    (iso,) = project_frameworks(launched)
    # Launched, yet not every control is met: items done without the evidence some
    # controls ask for are the reviewer's to chase.
    assert 0 < iso.coverage.count_met < iso.coverage.applicable

    name, model = SHADOW_MODEL
    shadow = Project.objects.get(name=name)
    alerts = Alert.objects.filter(status=Alert.Status.OPEN, kind=Alert.Kind.MODEL)
    assert [a.project for a in alerts] == [shadow]
    assert model in alerts.get().message
    assert f"model not approved for its data ({alerts.get().message})" in (
        risk_reasons_of(shadow)
    )
    uses = {
        u.model.name: u.declared for u in ProjectModel.objects.filter(project=shadow)
    }
    assert uses == {"gpt-4o-mini": True, "claude-sonnet-4": False, model: False}
