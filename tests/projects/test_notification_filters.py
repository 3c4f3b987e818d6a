"""The notification list filtered by unread, kind and project, and marked read in bulk."""

from __future__ import annotations

import html

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects import notifications
from projects.models import Notification, NotificationKind
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "notification-list"}


def note(user, message, kind=NotificationKind.ITEM_ASSIGNED, project=None, read=False):
    return Notification.objects.create(
        user=user,
        kind=kind,
        message=message,
        project=project,
        read_at=timezone.now() if read else None,
    )


@pytest.fixture
def inbox(db):
    """A person's notifications about two projects, one of them read."""
    me = UserFactory()
    claims, support = (
        ProjectFactory(name="Claims Helper"),
        ProjectFactory(name="Support Copilot"),
    )
    notes = {
        "item": note(me, "Item on claims", project=claims),
        "signoff": note(
            me, "Sign-off on claims", NotificationKind.SIGNOFF_REQUESTED, claims
        ),
        "alert": note(me, "Alert on support", NotificationKind.ALERT_OPENED, support),
        "old": note(me, "Old item on support", project=support, read=True),
    }
    someone_else = note(UserFactory(), "Not yours", project=claims)
    return me, claims, support, notes, someone_else


def shown(client, **params):
    page = html.unescape(
        client.get(reverse("notifications:list"), params).content.decode()
    )
    messages = [
        "Item on claims",
        "Sign-off on claims",
        "Alert on support",
        "Old item on support",
        "Not yours",
    ]
    return [m for m in messages if f">{m}</button>" in page]


def test_the_list_filters_by_unread_kind_and_project(client, inbox):
    me, claims, support, _, _ = inbox
    client.force_login(me)

    assert shown(client) == [
        "Item on claims",
        "Sign-off on claims",
        "Alert on support",
        "Old item on support",
    ]
    assert "Old item on support" not in shown(client, unread="1")
    assert shown(client, kind=NotificationKind.SIGNOFF_REQUESTED) == [
        "Sign-off on claims"
    ]
    assert shown(client, project=support.pk) == [
        "Alert on support",
        "Old item on support",
    ]
    assert shown(
        client, unread="1", kind=NotificationKind.ITEM_ASSIGNED, project=claims.pk
    ) == ["Item on claims"]


def test_values_that_are_not_choices_are_ignored(client, inbox):
    me, *_ = inbox
    client.force_login(me)
    everything = shown(client)
    for params in (
        {"kind": "nonsense"},
        {"project": "abc"},
        {"project": "-1"},
        {"project": "99999999999999999999999"},
        {"unread": "yes"},
        {"page": "²"},
        {"page": "-3"},
    ):
        response = client.get(reverse("notifications:list"), params)
        assert response.status_code == 200, params
        assert shown(client, **params) == everything, params


def test_a_project_filter_never_shows_someone_elses_notifications(client, inbox):
    me, claims, *_ = inbox
    client.force_login(me)
    assert "Not yours" not in shown(client, project=claims.pk)


def test_the_project_choices_are_the_projects_of_my_notifications(client, inbox):
    me, claims, support, _, _ = inbox
    ProjectFactory(name="Unrelated Project")
    client.force_login(me)
    page = client.get(reverse("notifications:list")).content.decode()
    assert f'<option value="{claims.pk}" >Claims Helper</option>' in page
    assert f'<option value="{support.pk}" selected>' not in page
    assert "Unrelated Project" not in page
    chosen = client.get(reverse("notifications:list"), {"project": support.pk})
    assert f'<option value="{support.pk}" selected>' in chosen.content.decode()


def test_an_htmx_filter_swaps_only_the_list_and_pushes_the_url(client, inbox):
    me, _, support, _, _ = inbox
    client.force_login(me)
    response = client.get(
        reverse("notifications:list"), {"unread": "1", "project": support.pk}, **HTMX
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="notification-list">')
    assert "Save preferences" not in body and "Alert on support" in body
    assert response["HX-Push-Url"] == f"/notifications/?unread=1&project={support.pk}"


def test_filters_that_match_nothing_say_so(client, inbox):
    me, *_ = inbox
    client.force_login(me)
    page = client.get(
        reverse("notifications:list"),
        {"unread": "1", "kind": NotificationKind.SERVICE_DISABLED},
    ).content.decode()
    assert "No notifications match these filters" in page


def test_mark_selected_read_marks_only_my_ticked_ones(client, inbox):
    me, _, _, notes, someone_else = inbox
    client.force_login(me)
    response = client.post(
        reverse("notifications:mark_read"),
        {
            "scope": "selected",
            "notification": [notes["item"].pk, notes["alert"].pk, someone_else.pk, "x"],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:list")
    unread = set(
        Notification.objects.filter(read_at__isnull=True).values_list(
            "message", flat=True
        )
    )
    assert unread == {"Sign-off on claims", "Not yours"}


def test_mark_all_shown_read_marks_what_the_filters_show(client, inbox):
    me, claims, _, _, someone_else = inbox
    client.force_login(me)
    response = client.post(
        reverse("notifications:mark_read"),
        {"scope": "shown", "unread": "1", "project": claims.pk},
    )
    assert response["Location"] == f"/notifications/?unread=1&project={claims.pk}"
    unread = set(
        Notification.objects.filter(read_at__isnull=True).values_list(
            "message", flat=True
        )
    )
    assert unread == {"Alert on support", "Not yours"}
    someone_else.refresh_from_db()
    assert someone_else.read_at is None


def test_marking_nothing_ticked_asks_to_tick_first(client, inbox):
    me, *_ = inbox
    client.force_login(me)
    response = client.post(
        reverse("notifications:mark_read"), {"scope": "selected"}, follow=True
    )
    assert "Tick the notifications to mark read first." in response.content.decode()
    assert Notification.objects.filter(user=me, read_at__isnull=True).count() == 3


def test_bulk_read_moves_the_bell(client, inbox):
    me, _, _, notes, _ = inbox
    client.force_login(me)
    assert 'class="bell-count">3<' in client.get("/").content.decode()
    client.post(
        reverse("notifications:mark_read"),
        {"scope": "selected", "notification": [notes["item"].pk]},
    )
    assert 'class="bell-count">2<' in client.get("/").content.decode()


def test_bulk_read_takes_only_a_post_with_its_csrf_token(inbox):
    me, _, _, notes, _ = inbox
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(me)
    url = reverse("notifications:mark_read")
    assert strict.get(url).status_code == 405
    assert strict.post(url, {"scope": "shown"}).status_code == 403
    assert Notification.objects.filter(user=me, read_at__isnull=True).count() == 3


def test_bulk_read_needs_a_signed_in_user(client, inbox):
    response = client.post(reverse("notifications:mark_read"), {"scope": "shown"})
    assert response.status_code == 302
    assert Notification.objects.filter(read_at__isnull=True).count() == 4


def test_the_page_has_the_bulk_form_with_a_labelled_checkbox_per_row(client, inbox):
    me, _, _, notes, _ = inbox
    client.force_login(me)
    page = client.get(reverse("notifications:list")).content.decode()
    pk = notes["item"].pk
    assert (
        f'<input type="checkbox" id="pick-{pk}" name="notification" value="{pk}" form="bulk-read">'
        in page
    )
    assert (
        f'<label for="pick-{pk}" class="visually-hidden">Select: Item on claims</label>'
        in page
    )
    assert "Mark selected read" in page and "Mark all shown read" in page


def test_the_service_marks_by_filters_or_ids_and_only_the_users(inbox):
    me, claims, _, notes, someone_else = inbox
    changed = notifications.mark_read(
        user=me, filters=notifications.NotificationFilters(project=claims.pk)
    )
    assert changed == 2
    assert notifications.mark_read(user=me, ids=[someone_else.pk]) == 0
    assert notifications.mark_read(user=me, ids=[notes["alert"].pk]) == 1
    assert notifications.unread_count(me) == 0


def test_filters_read_from_a_query_string():
    from django.http import QueryDict

    parsed = notifications.filters_from(
        QueryDict("unread=1&kind=alert_opened&project=7")
    )
    assert parsed == notifications.NotificationFilters(True, "alert_opened", 7)
    assert parsed.query() == "unread=1&kind=alert_opened&project=7"
    assert notifications.filters_from(QueryDict("kind=x&project=0")) == (
        notifications.NotificationFilters()
    )
    assert not notifications.NotificationFilters().active


def test_every_kind_has_a_short_name_in_the_filter(client, inbox):
    me, *_ = inbox
    client.force_login(me)
    page = client.get(reverse("notifications:list")).content.decode()
    assert set(notifications.KIND_FILTER_NAMES) == set(NotificationKind.values)
    for kind, name in notifications.KIND_FILTER_NAMES.items():
        assert f'<option value="{kind}" >{name}</option>' in page
