"""My work: each list holds exactly what waits for the person, on projects they may
still see, read with a number of queries that does not grow with the rows."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import AssessmentCriterion, CriterionScore
from metrics.models import Alert
from portal import my_work as work
from projects import services, step_services
from projects.models import (
    ChecklistItem,
    ItemState,
    Membership,
    ProjectRole,
    ProjectStep,
    SignOffStatus,
    StepStatus,
)
from projects.roles import GlobalRole
from tests.factories import (
    MembershipFactory,
    TeamFactory,
    UserFactory,
    approve_requirements,
)

pytestmark = pytest.mark.django_db
ITEM_LINK = re.compile(r'href="/projects/[\w-]+/steps/\d/#item-\d+"')


def text_of(response):
    return html.unescape(response.content.decode())


def make_project(owner, lead, name="Claims Triage Assistant"):
    return services.project_create(
        name=name, team=TeamFactory(), owner=owner, lead=lead
    )


def step(project, number):
    return ProjectStep.objects.select_related("step", "project").get(
        project=project, step__number=number
    )


def ask_signoff(project, signer, actor, number=3, role="reviewer"):
    return step_services.signoff_request(
        project_step=step(project, number), role=role, signer=signer, actor=actor
    )


def items_of(project, number=3):
    return list(
        ChecklistItem.objects.filter(project=project, step__number=number).order_by(
            "order", "id"
        )
    )


def assign(item, user, due=None, actor=None):
    return services.item_update(
        item=item, assignee=user, due_date=due, notes="", actor=actor
    )


def record_gaps(project, lead, gaps=2):
    """An assessment with ``gaps`` criteria below their target, the rest at it."""
    criteria = list(AssessmentCriterion.objects.order_by("order", "id"))
    return assessment_services.assessment_record(
        project=project,
        assessor=lead,
        scores=[
            assessment_services.ScoreInput(c, 1 if i < gaps else 3, 3)
            for i, c in enumerate(criteria)
        ],
    )


def gap_scores(assessment):
    return list(
        CriterionScore.objects.filter(
            assessment=assessment, level__lt=3
        ).select_related("criterion", "assessment__project")
    )


def own_gap(score, user, actor, due=None):
    return assessment_services.gap_to_checklist(
        score=score, step_number=2, assignee=user, due_date=due, actor=actor
    )


@pytest.fixture
def cast(db):
    owner = UserFactory(first_name="Olive", roles=[GlobalRole.PRODUCT_MANAGER])
    lead = UserFactory(first_name="Leo", roles=[GlobalRole.ENGINEERING_LEAD])
    reviewer = UserFactory(first_name="Rita", roles=[GlobalRole.REVIEWER])
    project = make_project(owner, lead)
    contributor = MembershipFactory(project=project, role=ProjectRole.CONTRIBUTOR).user
    return SimpleNamespace(
        project=project,
        owner=owner,
        lead=lead,
        reviewer=reviewer,
        contributor=contributor,
    )


# --- Sign-offs ------------------------------------------------------------------


def test_sign_offs_waiting_are_the_pending_ones_asked_of_me(cast):
    decided = ask_signoff(cast.project, cast.reviewer, cast.lead)
    step_services.signoff_decide(signoff=decided, approve=False, comment="No pen test.")
    mine = ask_signoff(cast.project, cast.reviewer, cast.lead)
    other_reviewer = UserFactory(roles=[GlobalRole.REVIEWER])
    ask_signoff(cast.project, other_reviewer, cast.lead)

    assert list(work.signoffs_waiting(cast.reviewer)) == [mine]
    assert list(work.signoffs_waiting(cast.lead)) == []


def test_sign_offs_leave_out_done_steps_archived_projects_and_lost_access(cast):
    on_done_step = ask_signoff(cast.project, cast.reviewer, cast.lead)
    ProjectStep.objects.filter(project=cast.project, step__number=3).update(
        status=StepStatus.DONE
    )
    archived = make_project(cast.owner, cast.lead, name="Archived")
    ask_signoff(archived, cast.reviewer, cast.lead)
    services.project_archive(project=archived)
    left = make_project(cast.owner, cast.lead, name="Left")
    ask_signoff(left, cast.reviewer, cast.lead)
    Membership.objects.filter(project=left, user=cast.reviewer).delete()
    still = make_project(cast.owner, cast.lead, name="Still mine")
    waiting = ask_signoff(still, cast.reviewer, cast.lead)

    assert list(work.signoffs_waiting(cast.reviewer)) == [waiting]
    assert on_done_step.status == SignOffStatus.PENDING


def test_the_lead_and_owner_sign_offs_of_step_seven_wait_for_them(cast):
    asked = ask_signoff(cast.project, cast.owner, cast.lead, number=7, role="owner")
    assert list(work.signoffs_waiting(cast.owner)) == [asked]


# --- Checklist items -----------------------------------------------------------


def test_items_assigned_are_my_open_applicable_ones(cast):
    a, b, c, d, e = items_of(cast.project)[:5]
    for item in (a, b, c, d):
        assign(item, cast.contributor, actor=cast.lead)
    assign(e, cast.lead)
    services.item_set_state(item=b, state=ItemState.DONE, actor=cast.contributor)
    services.item_set_state(
        item=c,
        state=ItemState.NOT_APPLICABLE,
        actor=cast.contributor,
        justification="No personal data here.",
    )
    ChecklistItem.objects.filter(pk=d.pk).update(applicable=False)

    assert list(work.items_assigned(cast.contributor)) == [a]
    assert list(work.items_assigned(cast.lead)) == [e]


def test_items_come_overdue_first_then_by_due_date_then_undated(cast):
    today = timezone.localdate()
    undated, later, overdue, soon = items_of(cast.project)[:4]
    assign(undated, cast.contributor)
    assign(later, cast.contributor, due=today + timedelta(days=30))
    assign(overdue, cast.contributor, due=today - timedelta(days=2))
    assign(soon, cast.contributor, due=today)

    rows = list(work.items_assigned(cast.contributor, today))

    assert rows == [overdue, soon, later, undated]
    assert [r.overdue for r in rows] == [True, False, False, False]


def test_items_on_archived_projects_or_projects_i_left_are_not_mine_to_do(cast):
    other = make_project(cast.owner, cast.lead, name="Other")
    MembershipFactory(project=other, user=cast.contributor)
    kept = items_of(cast.project)[0]
    assign(kept, cast.contributor)
    assign(items_of(other)[0], cast.contributor)
    services.project_archive(project=other)
    third = make_project(cast.owner, cast.lead, name="Third")
    MembershipFactory(project=third, user=cast.contributor)
    assign(items_of(third)[0], cast.contributor)
    Membership.objects.filter(project=third, user=cast.contributor).delete()

    assert list(work.items_assigned(cast.contributor)) == [kept]


# --- Gaps ------------------------------------------------------------------------


def test_gaps_owned_are_open_gaps_of_the_latest_assessment_assigned_to_me(cast):
    first, second = gap_scores(record_gaps(cast.project, cast.lead))
    own_gap(first, cast.contributor, cast.lead)
    own_gap(second, cast.lead, cast.lead)

    assert [s.pk for s in work.gaps_owned(cast.contributor)] == [first.pk]
    assert [s.pk for s in work.gaps_owned(cast.lead)] == [second.pk]
    assert list(work.gaps_owned(cast.owner)) == []


def test_a_closed_gap_item_or_a_newer_assessment_ends_the_gap(cast):
    first, second = gap_scores(record_gaps(cast.project, cast.lead))
    own_gap(first, cast.contributor, cast.lead)
    own_gap(second, cast.contributor, cast.lead)
    first.refresh_from_db()
    services.item_set_state(
        item=first.checklist_item, state=ItemState.DONE, actor=cast.contributor
    )
    assert [s.pk for s in work.gaps_owned(cast.contributor)] == [second.pk]

    # The gate reads the latest assessment: the gaps of an older one are history.
    newer = gap_scores(record_gaps(cast.project, cast.lead, gaps=1))
    assert list(work.gaps_owned(cast.contributor)) == []
    own_gap(newer[0], cast.contributor, cast.lead)
    assert [s.pk for s in work.gaps_owned(cast.contributor)] == [newer[0].pk]


def test_gap_items_also_count_as_my_items_and_say_so(cast):
    (gap,) = gap_scores(record_gaps(cast.project, cast.lead, gaps=1))
    own_gap(gap, cast.contributor, cast.lead)
    plain = items_of(cast.project)[0]
    assign(plain, cast.contributor)

    rows = {row.pk: row.from_gap for row in work.items_assigned(cast.contributor)}

    gap.refresh_from_db()
    assert rows == {gap.checklist_item_id: True, plain.pk: False}


# --- Requirements ---------------------------------------------------------------


def test_requirements_wait_for_the_owner_until_the_newest_version_is_approved(cast):
    from assessments import services as requirement_services

    assert list(work.requirements_to_approve(cast.owner)) == []
    requirement_services.requirements_save(
        project=cast.project, author=cast.lead, values={"users": 10}
    )
    (waiting,) = work.requirements_to_approve(cast.owner)
    assert waiting.project == cast.project and waiting.newest_number == 1
    assert list(work.requirements_to_approve(cast.lead)) == []

    approve_requirements(cast.project, cast.owner)
    assert list(work.requirements_to_approve(cast.owner)) == []

    requirement_services.requirements_save(
        project=cast.project, author=cast.lead, values={"users": 20}
    )
    (waiting,) = work.requirements_to_approve(cast.owner)
    assert waiting.newest_number == 3 and waiting.approved_version.number == 2


def test_requirements_of_archived_projects_wait_for_nobody(cast):
    from assessments import services as requirement_services

    requirement_services.requirements_save(
        project=cast.project, author=cast.owner, values={"users": 10}
    )
    services.project_archive(project=cast.project)
    assert list(work.requirements_to_approve(cast.owner)) == []


# --- Alerts ----------------------------------------------------------------------


def test_open_alerts_are_those_on_projects_i_lead_or_own(cast):
    executive = UserFactory(roles=[GlobalRole.EXECUTIVE])
    open_alert = Alert.objects.create(
        project=cast.project, kind=Alert.Kind.LATENCY, message="p95 3.1 s"
    )
    Alert.objects.create(
        project=cast.project,
        kind=Alert.Kind.BUDGET,
        message="Over",
        status=Alert.Status.RESOLVED,
    )
    archived = make_project(cast.owner, cast.lead, name="Archived")
    Alert.objects.create(project=archived, kind=Alert.Kind.BUDGET, message="Old")
    services.project_archive(project=archived)

    assert list(work.alerts_open(cast.lead)) == [open_alert]
    assert list(work.alerts_open(cast.owner)) == [open_alert]
    assert list(work.alerts_open(cast.contributor)) == []
    assert list(work.alerts_open(executive)) == []


def test_unacknowledged_alerts_come_first(cast):
    acknowledged = Alert.objects.create(
        project=cast.project,
        kind=Alert.Kind.LATENCY,
        message="slow",
        acknowledged_by=cast.lead,
        acknowledged_at=timezone.now(),
    )
    fresh = Alert.objects.create(
        project=cast.project, kind=Alert.Kind.ERROR_RATE, message="errors"
    )
    assert list(work.alerts_open(cast.owner)) == [fresh, acknowledged]


# --- All of it, and what it costs ------------------------------------------------


def fill(cast, projects):
    """One more of everything waiting for the owner, on ``projects`` new projects
    (two checklist items each, one of them from a gap)."""
    from assessments import services as requirement_services

    for n in range(projects):
        project = make_project(cast.owner, cast.lead, name=f"Load {n} {cast.owner.pk}")
        ask_signoff(project, cast.owner, cast.lead, number=7, role="owner")
        assign(items_of(project)[0], cast.owner)
        (gap,) = gap_scores(record_gaps(project, cast.lead, gaps=1))
        own_gap(gap, cast.owner, cast.lead)
        requirement_services.requirements_save(
            project=project, author=cast.lead, values={"users": n}
        )
        Alert.objects.create(project=project, kind=Alert.Kind.LATENCY, message="!")


def queries_of(call):
    with CaptureQueriesContext(connection) as ctx:
        result = call()
    return result, len(ctx.captured_queries)


def test_my_work_is_read_with_one_query_a_list_whatever_the_rows(cast):
    fill(cast, 1)
    owner = type(cast.owner).objects.get(pk=cast.owner.pk)
    few, few_queries = queries_of(lambda: work.my_work(owner, cap=3))
    fill(cast, 3)
    owner = type(cast.owner).objects.get(pk=cast.owner.pk)
    many, many_queries = queries_of(lambda: work.my_work(owner, cap=3))

    assert few_queries == many_queries == 6  # the roles, then one per list
    assert [w.count for w in few.lists] == [1, 2, 1, 1, 1]
    assert [w.count for w in many.lists] == [4, 8, 4, 4, 4]
    assert [len(w.rows) for w in many.lists] == [3, 3, 3, 3, 3]
    assert all(w.more for w in many.lists) and many.total == 24


def test_an_empty_list_counts_zero(cast):
    mine = work.my_work(UserFactory())
    assert [w.count for w in mine.lists] == [0, 0, 0, 0, 0]
    assert mine.total == 0 and not any(w.more for w in mine.lists)


# --- The page --------------------------------------------------------------------


def test_my_work_needs_a_signed_in_user(client):
    response = client.get(reverse("portal:my_work"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_my_work_takes_only_get(client, cast):
    client.force_login(cast.reviewer)
    assert client.post(reverse("portal:my_work")).status_code == 405


def test_someone_with_nothing_to_do_sees_every_empty_state(client):
    client.force_login(UserFactory())
    page = text_of(client.get(reverse("portal:my_work")))

    assert "Nothing waits for you" in page
    for heading in (
        "Sign-offs waiting for me",
        "Checklist items assigned to me",
        "Gaps I own",
        "Requirements waiting for my approval",
        "Open alerts on projects I lead or own",
    ):
        assert f'{heading} <span class="subtle">(0)</span>' in page
    for empty in (
        "No sign-offs wait for you",
        "No checklist items are assigned to you",
        "You own no open gaps",
        "No requirements wait for your approval",
        "No open alerts on your projects",
    ):
        assert empty in page


def test_each_row_links_to_where_the_work_is_done(client, cast):
    from assessments import services as requirement_services

    slug = cast.project.slug
    ask_signoff(cast.project, cast.lead, cast.owner, number=7, role="lead")
    item = items_of(cast.project)[0]
    assign(item, cast.lead, due=timezone.localdate() - timedelta(days=1))
    (gap,) = gap_scores(record_gaps(cast.project, cast.lead, gaps=1))
    own_gap(gap, cast.lead, cast.owner)
    gap.refresh_from_db()
    requirement_services.requirements_save(
        project=cast.project, author=cast.owner, values={"users": 5}
    )
    Alert.objects.create(project=cast.project, kind=Alert.Kind.LATENCY, message="slow")

    client.force_login(cast.lead)
    page = text_of(client.get(reverse("portal:my_work")))

    assert "5 things wait for you" in page
    assert (
        f'href="/projects/{slug}/steps/7/#signoff-heading">Sign off step 7 of Claims Triage Assistant</a>'
        in page
    )
    assert f'href="/projects/{slug}/steps/3/#item-{item.pk}">{item.title}</a>' in page
    assert "Overdue" in page
    assert (
        f'href="/projects/{slug}/assessments/#gaps-heading">{gap.criterion.name}: level 1 → 3</a>'
        in page
    )
    assert f'href="/projects/{slug}/steps/2/#item-{gap.checklist_item_id}"' in page
    assert (
        f'href="/projects/{slug}/dashboard/#alerts-heading">Latency p95 alert on Claims Triage Assistant</a>'
        in page
    )
    # Approving is the owner's: the lead is not asked.
    assert "Approve version" not in page

    client.force_login(cast.owner)
    page = text_of(client.get(reverse("portal:my_work")))
    assert (
        f'href="/projects/{slug}/requirements/#approval-heading">Approve version 1 of the requirements of Claims Triage Assistant</a>'
        in page
    )


def test_a_long_list_is_capped_with_a_link_to_all_of_it(client, cast):
    items = ChecklistItem.objects.filter(project=cast.project)
    total = items.update(assignee=cast.contributor)
    assert total > work.LIST_CAP
    client.force_login(cast.contributor)

    page = text_of(client.get(reverse("portal:my_work")))
    assert len(ITEM_LINK.findall(page)) == work.LIST_CAP
    assert (
        f'Checklist items assigned to me <span class="subtle">({total})</span>' in page
    )
    assert f'href="/my-work/?list=items">Show all {total}' in page

    full = text_of(client.get(reverse("portal:my_work"), {"list": "items"}))
    assert len(ITEM_LINK.findall(full)) == min(total, 50)
    assert (
        f'<h1>Checklist items assigned to me <span class="subtle">({total})</span></h1>'
        in full
    )


def test_the_full_list_pages_by_fifty_and_survives_odd_page_numbers(client, cast):
    other = make_project(cast.owner, cast.lead, name="Second")
    MembershipFactory(project=other, user=cast.contributor)
    third = make_project(cast.owner, cast.lead, name="Third")
    MembershipFactory(project=third, user=cast.contributor)
    ChecklistItem.objects.filter(project__in=[cast.project, other, third]).update(
        assignee=cast.contributor
    )
    total = ChecklistItem.objects.filter(assignee=cast.contributor).count()
    assert total > 50
    client.force_login(cast.contributor)
    url = reverse("portal:my_work")

    first = text_of(client.get(url, {"list": "items"}))
    assert len(ITEM_LINK.findall(first)) == 50 and "Page 1 of" in first
    assert 'href="?list=items&page=2" rel="next"' in first
    for odd in ("0", "-1", "abc", "²", "99999999999999999999999"):
        assert client.get(url, {"list": "items", "page": odd}).status_code == 200


def test_an_empty_full_list_says_so(client, cast):
    client.force_login(cast.reviewer)
    page = text_of(client.get(reverse("portal:my_work"), {"list": "gaps"}))
    assert '<h1>Gaps I own <span class="subtle">(0)</span></h1>' in page
    assert "You own no open gaps." in page


def test_an_unknown_list_name_shows_every_list(client, cast):
    client.force_login(cast.reviewer)
    response = client.get(reverse("portal:my_work"), {"list": "<script>"})
    assert response.status_code == 200 and "<h1>My work</h1>" in text_of(response)


def test_the_page_costs_the_same_whatever_the_rows(client, cast):
    client.force_login(cast.owner)
    url = reverse("portal:my_work")
    fill(cast, 1)
    client.get(url)  # the bell's count, cached from then on
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    fill(cast, 4)
    client.get(url)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(few.captured_queries) == len(many.captured_queries)


def test_the_main_navigation_leads_to_my_work(client, cast):
    client.force_login(cast.reviewer)
    page = client.get(reverse("portal:my_work")).content.decode()
    assert '<a href="/my-work/" aria-current="page">My work</a>' in page
    assert re.search(
        r'<a href="/my-work/"\s*>My work</a>', client.get("/").content.decode()
    )


def test_an_outsider_sees_nothing_of_a_project_they_are_not_on(client, cast):
    ask_signoff(cast.project, cast.reviewer, cast.lead)
    Alert.objects.create(project=cast.project, kind=Alert.Kind.LATENCY, message="x")
    outsider = UserFactory(roles=[GlobalRole.PRODUCT_MANAGER])
    client.force_login(outsider)
    page = text_of(client.get(reverse("portal:my_work")))
    assert "Claims Triage Assistant" not in page
