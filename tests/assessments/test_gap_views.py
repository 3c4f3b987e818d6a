"""Step 2: recording gap assessments, readiness and its trend, gaps made checklist items."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from assessments import readiness
from assessments.forms import LEVEL_ERROR
from assessments.models import AssessmentCriterion, CriterionScore, GapAssessment
from projects import services as project_services
from projects.models import ChecklistItem, ItemState
from projects.step_selectors import gate_result
from tests.factories import UserFactory
from tests.projects.conftest import step_of

pytestmark = pytest.mark.django_db

# Two gaps; every other criterion sits at its default target.
FIRST = {"arch-secrets-out-of-code": (1, 4), "ops-alerting": (0, 3)}
# The secrets gap narrowed, the alerting gap untouched.
SECOND = {"arch-secrets-out-of-code": (3, 4), "ops-alerting": (0, 3)}
GAP_NAMES = {"arch-secrets-out-of-code", "ops-alerting"}


def url(project, name="project", **kwargs):
    return reverse(f"assessments:{name}", kwargs={"slug": project.slug, **kwargs})


def criteria():
    return list(AssessmentCriterion.objects.filter(active=True))


def scores_for(changes):
    """(criterion, level, target) for every active criterion."""
    return [
        (c, *changes.get(c.key, (c.default_target, c.default_target)))
        for c in criteria()
    ]


def form_data(changes, note="", notes=None):
    data = {"note": note}
    for criterion, level, target in scores_for(changes):
        data[f"level-{criterion.pk}"] = str(level)
        data[f"target-{criterion.pk}"] = str(target)
        data[f"note-{criterion.pk}"] = (notes or {}).get(criterion.key, "")
    return data


def expected_readiness(changes):
    return readiness.readiness(
        [
            readiness.CriterionScore(c.area_name, c.name, level, target)
            for c, level, target in scores_for(changes)
        ]
    )


def record(client, project, changes, **kwargs):
    return client.post(url(project, "assessment_new"), form_data(changes, **kwargs))


def gap_score(assessment, key):
    return assessment.scores.select_related("criterion").get(criterion__key=key)


def tile(label, value):
    return f'<p class="tile-label">{label}</p><p class="tile-value">{value}%</p>'


# Recording an assessment


def test_the_lead_records_an_assessment_with_its_scores_and_readiness(as_, people):
    project, lead = people["project"], people["lead"]
    response = record(
        as_(lead),
        project,
        FIRST,
        note="Audit of the March prototype",
        notes={"ops-alerting": "Nobody is paged."},
    )
    assert response.status_code == 302 and response["Location"] == url(project)
    assessment = GapAssessment.objects.get(project=project)
    assert assessment.assessor == lead
    assert assessment.note == "Audit of the March prototype"
    stored = {
        s.criterion.key: (s.level, s.target)
        for s in assessment.scores.select_related("criterion")
    }
    assert stored == {c.key: (lv, t) for c, lv, t in scores_for(FIRST)}
    assert len(stored) == len(criteria()) == 25
    assert gap_score(assessment, "ops-alerting").note == "Nobody is paged."
    expected = expected_readiness(FIRST)
    assert assessment.overall_readiness == Decimal(str(expected.overall))
    assert expected.overall == 93.0  # (85 + 100 + 100 + 100 + 80) / 5


def test_the_page_shows_readiness_per_area_and_the_gaps(as_, people):
    project, client = people["project"], as_(people["lead"])
    record(client, project, FIRST)
    body = client.get(url(project)).content.decode()
    expected = expected_readiness(FIRST)
    assert tile("Overall readiness", expected.overall) in body
    for area, value in expected.by_area.items():
        assert tile(area, value) in body
    assert tile("Architecture", 85.0) in body and tile("Operations", 80.0) in body
    assert "Gaps (2)" in body
    gaps = body[body.index('id="gaps-heading"') : body.index('id="history-heading"')]
    for key in GAP_NAMES:
        name = AssessmentCriterion.objects.get(key=key).name
        assert f"<strong>{name}</strong>" in gaps
    assert "1 → 4" in gaps and "0 → 3" in gaps
    assert "points since the previous assessment" not in body


def test_a_second_assessment_shows_the_trend_and_the_previous_bars(as_, people):
    project, client = people["project"], as_(people["lead"])
    record(client, project, FIRST)
    first_page = client.get(url(project)).content.decode()
    assert "Maturity by area: now and target" in first_page
    record(client, project, SECOND)
    assert GapAssessment.objects.filter(project=project).count() == 2
    body = client.get(url(project)).content.decode()
    before, after = expected_readiness(FIRST), expected_readiness(SECOND)
    change = readiness.trend(before, after)
    assert change["overall"] == 2.0 and change["Architecture"] == 10.0
    assert tile("Overall readiness", after.overall) in body
    assert "+2.0 points since the previous assessment" in body
    assert tile("Architecture", 95.0) + '<p class="tile-state">+10.0 points</p>' in body
    assert tile("Operations", 80.0) + '<p class="tile-state">+0.0 points</p>' in body
    assert "Maturity by area: now, previous and target" in body
    # Architecture's average level: 2.6 before, 3.0 now, target 3.2.
    assert (
        '<th scope="row">Architecture</th><td class="num">3.0</td>'
        '<td class="num">3.2</td><td class="num">2.6</td>'
    ) in body
    assert '"name": "Previous"' in body


def test_the_new_assessment_form_starts_from_the_previous_values(as_, people):
    project, client = people["project"], as_(people["lead"])
    record(client, project, FIRST, notes={"ops-alerting": "Nobody is paged."})
    body = client.get(url(project, "assessment_new")).content.decode()
    by_key = {c.key: c for c in criteria()}

    def selected(name, pk):
        select = re.search(rf'<select id="{name}-{pk}".*?</select>', body, re.S)
        assert select is not None
        return re.findall(r'<option value="(\d*)" selected>', select.group(0))

    secrets, alerting = by_key["arch-secrets-out-of-code"], by_key["ops-alerting"]
    assert selected("level", secrets.pk) == ["1"]
    assert selected("target", secrets.pk) == ["4"]
    assert selected("level", alerting.pk) == ["0"]
    assert f'name="note-{alerting.pk}" value="Nobody is paged."' in body


def test_the_first_assessment_form_starts_with_no_level_and_the_default_targets(
    as_, people
):
    project = people["project"]
    body = as_(people["lead"]).get(url(project, "assessment_new")).content.decode()
    secrets = AssessmentCriterion.objects.get(key="arch-secrets-out-of-code")
    level = re.search(rf'<select id="level-{secrets.pk}".*?</select>', body, re.S)
    target = re.search(rf'<select id="target-{secrets.pk}".*?</select>', body, re.S)
    assert level is not None and " selected>" not in level.group(0)
    assert target is not None and '<option value="4" selected>' in target.group(0)


def test_the_owner_may_record_an_assessment_too(as_, people):
    record(as_(people["owner"]), people["project"], FIRST)
    assert GapAssessment.objects.get().assessor == people["owner"]


# Refused assessments


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("level", None),
        ("level", ""),
        ("level", "5"),
        ("level", "-1"),
        ("target", "7"),
        ("level", "²"),  # isdigit() says yes, int() says no
        ("target", "٣"),
    ],
)
def test_a_missing_or_out_of_range_level_is_refused_and_nothing_is_recorded(
    as_, people, field, value
):
    project = people["project"]
    data = form_data(FIRST)
    pk = AssessmentCriterion.objects.get(key="ops-monitoring").pk
    if value is None:
        del data[f"{field}-{pk}"]
    else:
        data[f"{field}-{pk}"] = value
    response = as_(people["lead"]).post(url(project, "assessment_new"), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<div class="error-summary" role="alert">' in body
    assert (
        f'<a href="#level-{pk}">Monitoring of latency, errors and quality: '
        f"{LEVEL_ERROR}</a>"
    ) in body
    assert body.count(f'<p class="field-error">{LEVEL_ERROR}</p>') == 1
    assert not GapAssessment.objects.exists()


def test_a_later_assessment_missing_a_level_is_refused_rather_than_copying_the_last(
    as_, people
):
    project, client = people["project"], as_(people["lead"])
    record(client, project, FIRST)
    data = form_data(SECOND)
    pk = AssessmentCriterion.objects.get(key="ops-monitoring").pk
    del data[f"level-{pk}"]
    response = client.post(url(project, "assessment_new"), data)
    assert response.status_code == 200
    assert LEVEL_ERROR in response.content.decode()
    assert GapAssessment.objects.filter(project=project).count() == 1


@pytest.mark.parametrize("persona", ["contributor", "reviewer", "viewer"])
def test_members_who_do_not_run_assessments_get_403(as_, people, persona):
    project, client = people["project"], as_(people[persona])
    assert client.get(url(project, "assessment_new")).status_code == 403
    assert record(client, project, FIRST).status_code == 403
    assert not GapAssessment.objects.exists()


def test_outsiders_get_404_on_the_assessment_pages(as_, people):
    project, client = people["project"], as_(people["outsider"])
    assert client.get(url(project)).status_code == 404
    assert client.get(url(project, "assessment_new")).status_code == 404
    assert record(client, project, FIRST).status_code == 404
    assert not GapAssessment.objects.exists()


@pytest.mark.parametrize(
    "persona", ["owner", "lead", "contributor", "reviewer", "viewer"]
)
def test_members_see_the_assessment_page(as_, people, persona):
    project = people["project"]
    record(as_(people["lead"]), project, FIRST)
    response = as_(people[persona]).get(url(project))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Gaps (2)" in body
    may_run = persona in {"owner", "lead"}
    assert (url(project, "assessment_new") in body) is may_run
    assert ("Make it a checklist item" in body) is may_run


def test_the_assessment_page_refuses_post(as_, people):
    assert as_(people["lead"]).post(url(people["project"])).status_code == 405


# Gaps become checklist items


def item_url(project, score):
    return url(project, "gap_to_item", pk=score.pk)


@pytest.fixture
def assessed(as_, people):
    record(as_(people["lead"]), people["project"], FIRST)
    return GapAssessment.objects.get(project=people["project"])


def test_a_gap_becomes_a_checklist_item_with_its_owner_and_due_date(
    as_, people, assessed
):
    project, client = people["project"], as_(people["lead"])
    score = gap_score(assessed, "ops-alerting")
    response = client.post(
        item_url(project, score),
        {"step": "7", "assignee": people["contributor"].pk, "due_date": "2026-12-24"},
    )
    assert response.status_code == 302 and response["Location"] == url(project)
    score.refresh_from_db()
    item = ChecklistItem.objects.get(pk=score.checklist_item_id)
    assert (item.project, item.step.number) == (project, 7)
    assert item.required is True
    assert item.assignee == people["contributor"]
    assert item.due_date == date(2026, 12, 24)
    assert item.title == "Close the gap: Alerting (level 0 → 3)"
    body = client.get(url(project)).content.decode()
    step_link = reverse("projects:step", kwargs={"slug": project.slug, "number": 7})
    assert f'<a href="{step_link}#item-{item.pk}">Step 7</a>' in body
    assert people["contributor"].display_name in body
    assert ">Open</span>" in body


def test_a_gap_with_an_item_cannot_become_a_second_one(as_, people, assessed):
    project, client = people["project"], as_(people["lead"])
    score = gap_score(assessed, "ops-alerting")
    posted = {"step": "7", "assignee": people["lead"].pk}
    client.post(item_url(project, score), posted)
    response = client.post(item_url(project, score), posted, follow=True)
    assert "This gap already has a checklist item." in response.content.decode()
    assert ChecklistItem.objects.filter(title__startswith="Close the gap").count() == 1


def test_a_criterion_at_its_target_cannot_become_an_item(as_, people, assessed):
    project, client = people["project"], as_(people["lead"])
    score = gap_score(assessed, "ops-monitoring")
    response = client.post(
        item_url(project, score),
        {"step": "7", "assignee": people["lead"].pk},
        follow=True,
    )
    assert "This criterion has no gap to close." in response.content.decode()
    score.refresh_from_db()
    assert score.checklist_item is None
    assert not ChecklistItem.objects.filter(title__startswith="Close the gap").exists()


@pytest.mark.parametrize(
    "posted",
    [
        {"step": "7", "assignee": "stranger"},
        {"step": "7", "assignee": ""},
        {"step": "8", "assignee": "lead"},
        {"step": "", "assignee": "lead"},
    ],
)
def test_a_gap_needs_a_step_and_an_owner_who_is_a_member(as_, people, assessed, posted):
    project, client = people["project"], as_(people["lead"])
    assignee = {
        "stranger": UserFactory().pk,
        "lead": people["lead"].pk,
        "": "",
    }[posted["assignee"]]
    score = gap_score(assessed, "ops-alerting")
    response = client.post(
        item_url(project, score), {**posted, "assignee": assignee}, follow=True
    )
    assert (
        "Choose a step and an owner from the project&#x27;s members."
        in response.content.decode()
    )
    score.refresh_from_db()
    assert score.checklist_item is None
    assert not ChecklistItem.objects.filter(title__startswith="Close the gap").exists()


@pytest.mark.parametrize("due_date", ["2026-02-30", "next week"])
def test_a_due_date_that_is_not_a_date_is_refused_and_creates_nothing(
    as_, people, assessed, due_date
):
    project, client = people["project"], as_(people["lead"])
    score = gap_score(assessed, "ops-alerting")
    response = client.post(
        item_url(project, score),
        {"step": "7", "assignee": people["lead"].pk, "due_date": due_date},
        follow=True,
    )
    assert response.status_code == 200
    assert (
        "Give the due date as a date (YYYY-MM-DD), or none."
        in response.content.decode()
    )
    score.refresh_from_db()
    assert score.checklist_item is None


@pytest.mark.parametrize("persona", ["contributor", "viewer"])
def test_members_who_do_not_run_assessments_cannot_make_gaps_items(
    as_, people, assessed, persona
):
    project = people["project"]
    score = gap_score(assessed, "ops-alerting")
    response = as_(people[persona]).post(
        item_url(project, score), {"step": "7", "assignee": people[persona].pk}
    )
    assert response.status_code == 403
    score.refresh_from_db()
    assert score.checklist_item is None


def test_outsiders_get_404_on_making_a_gap_an_item(as_, people, assessed):
    score = gap_score(assessed, "ops-alerting")
    response = as_(people["outsider"]).post(
        item_url(people["project"], score), {"step": "7", "assignee": ""}
    )
    assert response.status_code == 404


def test_making_a_gap_an_item_refuses_get(as_, people, assessed):
    score = gap_score(assessed, "ops-alerting")
    response = as_(people["lead"]).get(item_url(people["project"], score))
    assert response.status_code == 405


def test_a_score_of_another_project_is_404(as_, people, assessed):
    other = project_services.project_create(
        name="Other", team=people["project"].team, owner=people["lead"]
    )
    record(as_(people["lead"]), other, FIRST)
    foreign = gap_score(GapAssessment.objects.get(project=other), "ops-alerting")
    response = as_(people["lead"]).post(
        item_url(people["project"], foreign),
        {"step": "7", "assignee": people["lead"].pk},
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.checklist_item is None


def test_closing_the_item_shows_the_gap_as_closed(as_, people, assessed):
    project, client = people["project"], as_(people["lead"])
    score = gap_score(assessed, "ops-alerting")
    client.post(item_url(project, score), {"step": "7", "assignee": people["lead"].pk})
    score.refresh_from_db()
    assert ">Open</span>" in client.get(url(project)).content.decode()
    project_services.item_set_state(
        item=score.checklist_item, state=ItemState.DONE, actor=people["lead"]
    )
    body = client.get(url(project)).content.decode()
    assert ">Closed</span>" in body and ">Open</span>" not in body


# Step 2's gate


def gaps_check(project):
    result = gate_result(step_of(project, 2))
    [check] = [c for c in result.checks if c.name == "Gap assessment recorded"]
    return check


def test_step_2_needs_an_assessment(people):
    check = gaps_check(people["project"])
    assert not check.passed
    assert "No gap assessment" in check.reason


def test_step_2_names_the_gaps_without_an_owner(as_, people, assessed):
    project, client = people["project"], as_(people["lead"])
    check = gaps_check(project)
    assert not check.passed
    assert check.reason.startswith("2 gap(s) have no owner yet: ")
    for key in GAP_NAMES:
        assert AssessmentCriterion.objects.get(key=key).name in check.reason
    client.post(
        item_url(project, gap_score(assessed, "arch-secrets-out-of-code")),
        {"step": "3", "assignee": people["lead"].pk},
    )
    check = gaps_check(project)
    assert not check.passed
    alerting = AssessmentCriterion.objects.get(key="ops-alerting").name
    assert check.reason == f"1 gap(s) have no owner yet: {alerting}."


def test_step_2_check_passes_once_every_gap_has_an_owned_item(as_, people, assessed):
    project, client = people["project"], as_(people["lead"])
    for key in GAP_NAMES:
        client.post(
            item_url(project, gap_score(assessed, key)),
            {"step": "3", "assignee": people["contributor"].pk},
        )
    assert CriterionScore.objects.filter(checklist_item__isnull=False).count() == 2
    check = gaps_check(project)
    assert check.passed, check.reason
    assert check.reason.endswith("every gap has an owner.")


def test_step_2_reads_only_the_latest_assessment(as_, people, assessed):
    project, client = people["project"], as_(people["lead"])
    for key in GAP_NAMES:
        client.post(
            item_url(project, gap_score(assessed, key)),
            {"step": "3", "assignee": people["lead"].pk},
        )
    assert gaps_check(project).passed
    record(client, project, SECOND)
    assert not gaps_check(project).passed


@pytest.mark.parametrize(
    ("step", "assignee"), [("²", "me"), ("7", "abc"), ("7", "²"), ("99", "me")]
)
def test_a_step_or_owner_that_is_not_a_number_is_refused_with_a_message(
    as_, people, assessed, step, assignee
):
    project, client = people["project"], as_(people["lead"])
    score = gap_score(assessed, "ops-alerting")
    owner = str(people["lead"].pk) if assignee == "me" else assignee
    response = client.post(
        item_url(project, score), {"step": step, "assignee": owner}, follow=True
    )
    assert response.status_code == 200
    assert "Choose a step and an owner" in response.content.decode()
    score.refresh_from_db()
    assert score.checklist_item_id is None
