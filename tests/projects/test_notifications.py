"""In-app notifications, the bell, and email by preference."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from projects import notifications, services, step_services
from projects.models import ChecklistItem, Notification, NotificationKind
from tests.projects.conftest import step_of

pytestmark = pytest.mark.django_db


def test_assigning_an_item_notifies_the_assignee_in_the_app_and_by_email(
    people, django_capture_on_commit_callbacks
):
    item = ChecklistItem.objects.filter(
        project=people["project"], step__number=3
    ).first()
    with django_capture_on_commit_callbacks(execute=True):
        services.item_update(
            item=item,
            assignee=people["contributor"],
            due_date=None,
            notes="",
            actor=people["lead"],
        )
    notification = Notification.objects.get(user=people["contributor"])
    assert notification.kind == NotificationKind.ITEM_ASSIGNED
    assert item.title in notification.message
    assert notification.url.endswith(f"/steps/3/#item-{item.pk}")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [people["contributor"].email]
    assert item.title in mail.outbox[0].subject
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_nobody_is_notified_of_what_they_did_themselves(people):
    item = ChecklistItem.objects.filter(project=people["project"]).first()
    services.item_update(
        item=item,
        assignee=people["lead"],
        due_date=None,
        notes="",
        actor=people["lead"],
    )
    assert not Notification.objects.exists()


def test_saving_the_same_assignee_again_sends_nothing_new(people):
    item = ChecklistItem.objects.filter(project=people["project"]).first()
    services.item_update(
        item=item,
        assignee=people["contributor"],
        due_date=None,
        notes="",
        actor=people["lead"],
    )
    services.item_update(
        item=item,
        assignee=people["contributor"],
        due_date=None,
        notes="x",
        actor=people["lead"],
    )
    assert Notification.objects.count() == 1


def test_a_new_step_owner_is_notified(people):
    step_services.step_update(
        project_step=step_of(people["project"], 4),
        owner=people["contributor"],
        due_date=None,
        status="in_progress",
        blocked_reason="",
        actor=people["lead"],
    )
    assert (
        Notification.objects.get(user=people["contributor"]).kind
        == NotificationKind.STEP_ASSIGNED
    )


def test_sign_off_requests_and_decisions_are_notified(
    people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signoff = step_services.signoff_request(
            project_step=step_of(people["project"], 3),
            role="reviewer",
            signer=people["reviewer"],
            actor=people["lead"],
        )
        step_services.signoff_decide(
            signoff=signoff, approve=False, comment="No pen test yet."
        )
    asked = Notification.objects.get(user=people["reviewer"])
    decided = Notification.objects.get(user=people["lead"])
    assert asked.kind == NotificationKind.SIGNOFF_REQUESTED
    assert (
        decided.kind == NotificationKind.SIGNOFF_DECIDED
        and "No pen test yet." in decided.message
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [people["reviewer"].email, people["lead"].email]
    )


def test_people_choose_which_kinds_also_come_by_email(
    people, django_capture_on_commit_callbacks
):
    notifications.preferences_save(
        user=people["reviewer"], email_kinds=[NotificationKind.SIGNOFF_DECIDED]
    )
    with django_capture_on_commit_callbacks(execute=True):
        step_services.signoff_request(
            project_step=step_of(people["project"], 3),
            role="reviewer",
            signer=people["reviewer"],
            actor=people["lead"],
        )
    assert (
        Notification.objects.filter(user=people["reviewer"]).count() == 1
    )  # still in the app
    assert mail.outbox == []


def test_an_email_is_sent_once_even_if_the_task_runs_twice(
    people, django_capture_on_commit_callbacks
):
    from projects.tasks import send_notification_email

    item = ChecklistItem.objects.filter(project=people["project"]).first()
    with django_capture_on_commit_callbacks(execute=True):
        services.item_update(
            item=item,
            assignee=people["contributor"],
            due_date=None,
            notes="",
            actor=people["lead"],
        )
    notification = Notification.objects.get()
    assert send_notification_email(notification.pk) is False
    assert len(mail.outbox) == 1


def test_the_bell_counts_unread_and_opening_marks_read(client, people):
    reviewer = people["reviewer"]
    step_services.signoff_request(
        project_step=step_of(people["project"], 3),
        role="reviewer",
        signer=reviewer,
        actor=people["lead"],
    )
    client.force_login(reviewer)
    page = client.get("/").content.decode()
    assert 'class="bell-count">1<' in page
    notification = Notification.objects.get(user=reviewer)
    response = client.post(
        reverse("notifications:open", kwargs={"pk": notification.pk})
    )
    assert (
        response.status_code == 302
        and response["Location"] == "/projects/claims-triage-assistant/steps/3/"
    )
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert "bell-count" not in client.get("/").content.decode()


def test_the_bell_is_counted_once_until_a_notification_changes(client, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    reviewer = people["reviewer"]
    client.force_login(reviewer)
    client.get("/")

    def page_and_counts():
        with CaptureQueriesContext(connection) as ctx:
            page = client.get("/").content.decode()
        counts = [
            q
            for q in ctx.captured_queries
            if 'FROM "projects_notification"' in q["sql"]
        ]
        return page, len(counts)

    page, counted = page_and_counts()
    assert "bell-count" not in page and counted == 0  # kept from the first page
    for number in (3, 4):
        notifications.notify(
            user=reviewer,
            kind=NotificationKind.SIGNOFF_REQUESTED,
            message=f"Sign-off wanted on step {number}",
            project=people["project"],
            actor=people["lead"],
        )
    page, counted = page_and_counts()
    assert 'class="bell-count">2<' in page and counted == 1
    client.post(reverse("notifications:mark_all_read"))
    page, counted = page_and_counts()
    assert "bell-count" not in page and counted == 1
    Notification.objects.filter(user=reviewer).delete()
    assert page_and_counts()[1] == 1


def test_notifications_are_private(client, people):
    step_services.signoff_request(
        project_step=step_of(people["project"], 3),
        role="reviewer",
        signer=people["reviewer"],
        actor=people["lead"],
    )
    notification = Notification.objects.get()
    client.force_login(people["outsider"])
    assert (
        client.post(
            reverse("notifications:open", kwargs={"pk": notification.pk})
        ).status_code
        == 404
    )
    assert (
        notification.message
        not in client.get(reverse("notifications:list")).content.decode()
    )


def test_the_notification_list_and_preferences_pages(client, people):
    client.force_login(people["viewer"])
    response = client.get(reverse("notifications:list"))
    assert (
        response.status_code == 200 and "No notifications" in response.content.decode()
    )
    client.post(
        reverse("notifications:preferences"),
        {"email_kinds": [NotificationKind.ITEM_ASSIGNED]},
    )
    assert (
        notifications.wants_email(people["viewer"], NotificationKind.ITEM_ASSIGNED)
        is True
    )
    assert (
        notifications.wants_email(people["viewer"], NotificationKind.SIGNOFF_REQUESTED)
        is False
    )
    assert client.get(reverse("notifications:mark_all_read")).status_code == 405
    assert client.post(reverse("notifications:mark_all_read")).status_code == 302
