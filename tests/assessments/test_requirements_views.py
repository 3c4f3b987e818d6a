"""Step 1's requirements: the form, its versions, the comparison and the owner's approval."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from assessments import selectors, services
from assessments.models import RequirementsDocument, RequirementsVersion
from projects import services as project_services
from projects.models import ChecklistItem, ItemState, StepStatus
from tests.assessments.conftest import HTMX, field_error, shown
from tests.factories import approve_requirements
from tests.projects.conftest import step_of

pytestmark = pytest.mark.django_db

FORM = {
    "users": "800",
    "requests_per_day": "20000",
    "peak_rps": "12",
    "p95_latency_ms": "2500",
    "error_rate_pct": "1",
    "uptime_pct": "99.9",
    "quality_score_name": "helpfulness",
    "quality_score_target": "0.85",
    "monthly_budget_usd": "8000",
    "data_classification": "regulated",
    "cloud": "AWS",
    "region": "eu-west-1",
    "infrastructure_constraints": "",
    "integration_points": "Claims system | both | REST\nOkta | in | OIDC",
    "success_criteria": (
        "Quality on the eval set | helpfulness | >= | 0.85\n"
        "Deflected tickets | deflection_rate | >= | 0.30"
    ),
    "change_note": "First draft",
}


def url(project, name="requirements", **kwargs):
    return reverse(f"assessments:{name}", kwargs={"slug": project.slug, **kwargs})


def approve_url(project, number):
    return url(project, "requirements_approve", number=number)


def versions(project):
    return list(
        RequirementsVersion.objects.filter(document__project=project).order_by("number")
    )


def save(client, project, **changes):
    return client.post(url(project), {**FORM, **changes})


# Saving versions


def test_the_owner_saves_the_requirements_as_version_1(as_, people):
    project = people["project"]
    response = save(as_(people["owner"]), project)
    assert response.status_code == 302 and response["Location"] == url(project)
    [version] = versions(project)
    assert version.number == 1
    assert version.author == people["owner"]
    assert version.change_note == "First draft"
    assert (version.users, version.requests_per_day, version.peak_rps) == (
        800,
        20000,
        Decimal("12"),
    )
    assert (version.p95_latency_ms, version.error_rate_pct, version.uptime_pct) == (
        2500,
        Decimal("1"),
        Decimal("99.9"),
    )
    assert (version.quality_score_name, version.quality_score_target) == (
        "helpfulness",
        Decimal("0.85"),
    )
    assert version.monthly_budget_usd == Decimal("8000")
    assert (version.cloud, version.region) == ("AWS", "eu-west-1")
    assert version.integration_points == [
        {"system": "Claims system", "direction": "both", "protocol": "REST"},
        {"system": "Okta", "direction": "in", "protocol": "OIDC"},
    ]
    assert version.success_criteria == [
        {
            "statement": "Quality on the eval set",
            "metric": "helpfulness",
            "comparison": ">=",
            "target": "0.85",
        },
        {
            "statement": "Deflected tickets",
            "metric": "deflection_rate",
            "comparison": ">=",
            "target": "0.30",
        },
    ]
    # The project's frameworks are written into the version as its compliance needs.
    assert version.compliance_needs == ["HIPAA", "SOC 2"]


def test_saving_a_change_creates_version_2_and_leaves_version_1_as_it_was(as_, people):
    project, client = people["project"], as_(people["owner"])
    save(client, project)
    save(client, project, p95_latency_ms="1800", change_note="Faster")
    first, second = versions(project)
    assert (first.number, first.p95_latency_ms, first.change_note) == (
        1,
        2500,
        "First draft",
    )
    assert (second.number, second.p95_latency_ms, second.change_note) == (
        2,
        1800,
        "Faster",
    )
    assert second.users == 800  # unchanged fields are carried into the new version


def test_a_saved_version_cannot_be_overwritten(as_, people):
    save(as_(people["owner"]), people["project"])
    [version] = versions(people["project"])
    version.p95_latency_ms = 1
    with pytest.raises(ValueError, match="immutable"):
        version.save()
    version.refresh_from_db()
    assert version.p95_latency_ms == 2500


def test_saving_without_a_change_creates_no_version(as_, people):
    project, client = people["project"], as_(people["owner"])
    save(client, project)
    response = save(client, project, change_note="Just looking", peak_rps="12.00")
    assert response.status_code == 302
    assert len(versions(project)) == 1
    page = client.get(url(project)).content.decode()
    assert "Nothing changed, so no new version was saved." in page


def test_the_form_starts_from_the_latest_version(as_, people):
    project, client = people["project"], as_(people["owner"])
    save(client, project)
    save(client, project, region="eu-central-1")
    body = client.get(url(project)).content.decode()
    assert 'value="eu-central-1"' in body
    assert "You are editing from version 2." in body
    assert "Okta | in | OIDC" in body


# Validation


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("users", "-1", "Ensure this value is greater than or equal to 0."),
        (
            "users",
            "99999999999",
            "Ensure this value is less than or equal to 2147483647.",
        ),
        (
            "p95_latency_ms",
            "99999999999",
            "Ensure this value is less than or equal to 2147483647.",
        ),
        ("requests_per_day", "-20", "Ensure this value is greater than or equal to 0."),
        ("p95_latency_ms", "0", "Ensure this value is greater than or equal to 1."),
        ("uptime_pct", "0", "Uptime must be above 0 % and at most 100 %."),
        ("uptime_pct", "100.5", "Ensure this value is less than or equal to 100."),
        ("error_rate_pct", "101", "Ensure this value is less than or equal to 100."),
        (
            "quality_score_target",
            "1.2",
            "Ensure this value is less than or equal to 1.",
        ),
        (
            "integration_points",
            "Claims system | both | REST\nOkta, inbound",
            "Line 2: write system | direction | protocol.",
        ),
        (
            "integration_points",
            "Claims system | sideways | REST",
            "Line 1: the direction is in, out or both.",
        ),
        (
            "success_criteria",
            "Quality on the eval set | helpfulness | => | 0.85",
            "Line 1: the comparison is one of >=, <=, >, <, =.",
        ),
    ],
)
def test_an_invalid_value_is_rejected_next_to_its_field_and_nothing_is_saved(
    as_, people, field, value, message
):
    project = people["project"]
    response = save(as_(people["owner"]), project, **{field: value})
    assert response.status_code == 200
    assert field_error(response.content.decode(), field) == shown(message)
    assert not RequirementsVersion.objects.exists()


def test_a_peak_below_the_daily_average_is_rejected_at_the_peak(as_, people):
    response = save(
        as_(people["owner"]),
        people["project"],
        requests_per_day="100000",
        peak_rps="1",
    )
    assert response.status_code == 200
    assert field_error(response.content.decode(), "peak_rps") == shown(
        "The peak must be at least the average of 1.16 requests per second "
        "(100,000 a day)."
    )
    assert not RequirementsVersion.objects.exists()


def test_an_invalid_edit_leaves_the_versions_as_they_were(as_, people):
    project, client = people["project"], as_(people["owner"])
    save(client, project)
    response = save(client, project, uptime_pct="100.5", p95_latency_ms="900")
    assert response.status_code == 200
    [version] = versions(project)
    assert version.p95_latency_ms == 2500


# Comparing versions


def test_compare_shows_only_the_changed_fields_with_before_and_after(as_, people):
    project, client = people["project"], as_(people["owner"])
    save(client, project)
    save(client, project, p95_latency_ms="1800", region="eu-central-1")
    response = client.get(url(project, "requirements_compare"), {"a": 1, "b": 2})
    assert response.status_code == 200
    body = response.content.decode()
    table = body[body.index('<table class="table diff">') :]
    rows = table.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert rows == [
        '<th scope="row">p95 latency target (ms)</th>'
        '<td class="diff-old">2500</td><td class="diff-new">1800</td></tr>',
        '<th scope="row">Region</th>'
        '<td class="diff-old">eu-west-1</td><td class="diff-new">eu-central-1</td></tr>',
    ]


def test_compare_reads_the_older_version_as_before_whatever_the_order(as_, people):
    project, client = people["project"], as_(people["owner"])
    save(client, project)
    save(client, project, p95_latency_ms="1800")
    body = client.get(
        url(project, "requirements_compare"), {"a": 2, "b": 1}
    ).content.decode()
    assert "Version 1 → version 2" in body
    assert '<td class="diff-old">2500</td><td class="diff-new">1800</td>' in body


@pytest.mark.parametrize("query", [{"a": 1, "b": 9}, {"a": 1}, {"a": "x", "b": 1}])
def test_compare_with_unknown_versions_is_404(as_, people, query):
    project, client = people["project"], as_(people["owner"])
    save(client, project)
    save(client, project, p95_latency_ms="1800")
    assert client.get(url(project, "requirements_compare"), query).status_code == 404


def test_outsiders_get_404_on_compare(as_, people):
    project = people["project"]
    save(as_(people["owner"]), project)
    response = as_(people["outsider"]).get(
        url(project, "requirements_compare"), {"a": 1, "b": 1}
    )
    assert response.status_code == 404


# Approval


def test_the_owner_approves_a_complete_version(as_, people):
    project, owner = people["project"], people["owner"]
    client = as_(owner)
    save(client, project)
    response = client.post(approve_url(project, 1))
    assert response.status_code == 302 and response["Location"] == url(project)
    document = RequirementsDocument.objects.get(project=project)
    assert document.approved_version == versions(project)[0]
    assert document.approved_by == owner
    assert document.approved_at is not None
    body = client.get(url(project)).content.decode()
    assert "Version 1 is approved. Its targets now drive the gates." in body


@pytest.mark.parametrize(
    "persona", ["lead", "contributor", "reviewer", "viewer", "admin"]
)
def test_only_the_owner_may_approve(as_, people, admin_user, persona):
    project = people["project"]
    save(as_(people["owner"]), project)
    user = admin_user if persona == "admin" else people[persona]
    assert as_(user).post(approve_url(project, 1)).status_code == 403
    assert RequirementsDocument.objects.get(project=project).approved_version is None


def test_outsiders_get_404_on_approve(as_, people):
    project = people["project"]
    save(as_(people["owner"]), project)
    assert as_(people["outsider"]).post(approve_url(project, 1)).status_code == 404


def test_approving_an_unknown_version_is_404(as_, people):
    project, client = people["project"], as_(people["owner"])
    save(client, project)
    assert client.post(approve_url(project, 2)).status_code == 404


def test_approving_an_incomplete_version_is_refused_naming_the_missing_targets(
    as_, people
):
    project, owner = people["project"], people["owner"]
    # The form requires every target, so an incomplete version comes from elsewhere
    # (an import, an older form); approval must still refuse it.
    services.requirements_save(
        project=project,
        author=owner,
        values={"users": 800, "requests_per_day": 20000, "p95_latency_ms": 2500},
    )
    client = as_(owner)
    response = client.post(approve_url(project, 1), follow=True)
    body = response.content.decode()
    assert (
        "Version 1 cannot be approved: fill in Peak requests per second, "
        "Error-rate target (%), Uptime target (%), Quality score that counts, "
        "Quality score target, Monthly model budget (USD), Data classification, "
        "Success criteria first."
    ) in body
    assert RequirementsDocument.objects.get(project=project).approved_version is None


def test_approve_refuses_get(as_, people):
    project, client = people["project"], as_(people["owner"])
    save(client, project)
    assert client.get(approve_url(project, 1)).status_code == 405


# Access to the page


@pytest.mark.parametrize(
    "persona", ["owner", "lead", "contributor", "reviewer", "viewer"]
)
def test_members_open_the_requirements(as_, people, persona):
    project = people["project"]
    save(as_(people["owner"]), project)
    response = as_(people[persona]).get(url(project))
    assert response.status_code == 200
    assert '<h2 id="versions-heading">Versions</h2>' in response.content.decode()


@pytest.mark.parametrize("persona", ["lead", "contributor", "reviewer", "viewer"])
def test_read_only_members_see_the_version_and_no_form(as_, people, persona):
    project = people["project"]
    save(as_(people["owner"]), project)
    body = as_(people[persona]).get(url(project)).content.decode()
    assert '<h2 id="latest-heading">Version 1</h2>' in body
    assert "Claims system · both · REST" in body
    assert "Quality on the eval set (helpfulness &gt;= 0.85)" in body
    assert 'name="users"' not in body
    assert "Save as a new version" not in body
    assert approve_url(project, 1) not in body


def test_the_owner_sees_the_form_and_the_approve_button(as_, people):
    project = people["project"]
    client = as_(people["owner"])
    save(client, project)
    body = client.get(url(project)).content.decode()
    assert 'name="users"' in body and "Save as a new version" in body
    assert approve_url(project, 1) in body


def test_outsiders_get_404_for_the_requirements(as_, people):
    assert as_(people["outsider"]).get(url(people["project"])).status_code == 404


@pytest.mark.parametrize("persona", ["lead", "viewer"])
def test_members_who_may_not_edit_get_403_on_saving(as_, people, persona):
    response = save(as_(people[persona]), people["project"])
    assert response.status_code == 403
    assert not RequirementsVersion.objects.exists()


def test_an_admin_may_edit_the_requirements(as_, people, admin_user):
    save(as_(admin_user), people["project"])
    assert [v.author for v in versions(people["project"])] == [admin_user]


def test_the_requirements_page_refuses_other_methods(as_, people):
    response = as_(people["owner"]).delete(url(people["project"]))
    assert response.status_code == 405


# The approved targets other apps read


def test_approved_targets_is_none_before_approval(as_, people):
    project = people["project"]
    assert selectors.approved_targets(project) is None
    save(as_(people["owner"]), project)
    assert selectors.approved_targets(project) is None


def test_approved_targets_are_the_approved_versions_targets(people):
    project, owner = people["project"], people["owner"]
    approve_requirements(project, owner)
    targets = selectors.approved_targets(project)
    assert targets is not None
    assert targets.version == 1
    assert targets.approved_at is not None
    assert (targets.p95_latency_ms, targets.error_rate_pct, targets.uptime_pct) == (
        2500,
        Decimal("1"),
        Decimal("99.9"),
    )
    assert (targets.quality_score_name, targets.quality_score_target) == (
        "helpfulness",
        Decimal("0.85"),
    )
    assert (targets.monthly_budget_usd, targets.requests_per_day) == (
        Decimal("8000"),
        20000,
    )


def test_a_newer_unapproved_version_does_not_change_the_approved_targets(as_, people):
    project, owner = people["project"], people["owner"]
    approve_requirements(project, owner)
    save(as_(owner), project, p95_latency_ms="900", monthly_budget_usd="100")
    assert len(versions(project)) == 2
    targets = selectors.approved_targets(project)
    assert targets is not None
    assert (targets.version, targets.p95_latency_ms, targets.monthly_budget_usd) == (
        1,
        2500,
        Decimal("8000"),
    )
    body = as_(owner).get(url(project)).content.decode()
    assert "Version 2 is newer and not approved." in body


# Step 1's gate


def done_url(project, number):
    return reverse(
        "projects:step_done", kwargs={"slug": project.slug, "number": number}
    )


def finish_step_1_checklist(project, actor):
    for item in ChecklistItem.objects.filter(
        project=project, step__number=1, required=True
    ):
        if item.evidence_required:
            project_services.evidence_add(
                item=item, actor=actor, url="https://wiki.example.com/requirements"
            )
        project_services.item_set_state(item=item, state=ItemState.DONE, actor=actor)


def test_step_1_cannot_be_done_until_the_owner_approves_a_version(as_, people):
    project, owner = people["project"], people["owner"]
    finish_step_1_checklist(project, people["lead"])
    client = as_(owner)
    save(client, project)
    refused = client.post(done_url(project, 1), **HTMX)
    assert "has not approved a requirements version" in refused.content.decode()
    assert step_of(project, 1).status != StepStatus.DONE
    client.post(approve_url(project, 1))
    response = client.post(done_url(project, 1), **HTMX)
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    assert step_of(project, 1).status == StepStatus.DONE


def test_the_step_1_check_passes_once_a_complete_version_is_approved(as_, people):
    from projects.step_selectors import gate_result

    project, owner = people["project"], people["owner"]

    def check():
        result = gate_result(step_of(project, 1))
        [found] = [c for c in result.checks if c.name == "Requirements approved"]
        return found

    assert not check().passed
    save(as_(owner), project)
    as_(owner).post(approve_url(project, 1))
    assert check().passed
    assert check().reason == "Version 1 is approved with every target filled in."
