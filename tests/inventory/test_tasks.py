"""Beat runs the detection every hour and the vendor review check every day; a
vendor whose next review has passed is brought to the admins once per lapse."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from inventory import services, tasks
from inventory.models import ProjectModel, Vendor
from metrics.models import Alert
from projects.models import Notification, NotificationKind
from tests.factories import UserFactory
from tests.inventory.conftest import report

pytestmark = pytest.mark.django_db

ADMIN = "Admin"


@pytest.fixture
def admins(db):
    return [UserFactory(roles=[ADMIN]), UserFactory(roles=[ADMIN])]


def _told():
    return Notification.objects.filter(kind=NotificationKind.ALERT_OPENED)


def test_both_jobs_are_scheduled():
    scheduled = {
        t.task: (t.interval.every, t.interval.period, t.enabled)
        for t in PeriodicTask.objects.filter(task__startswith="inventory.")
    }
    assert scheduled == {
        "inventory.models_detect_all": (1, "hours", True),
        "inventory.vendor_reviews_check": (1, "days", True),
    }


def test_the_hourly_sweep_detects_and_alerts(people):
    report(people["project"], [("requests", "o3", 1, 12)])
    assert tasks.models_detect_all.delay().get() == 1
    assert ProjectModel.objects.get().model.name == "o3"
    alert = Alert.objects.get(kind=Alert.Kind.MODEL)
    assert alert.history.get().history_user is None


def test_a_lapsed_review_is_told_to_the_admins_once(admins, pm):
    today = timezone.localdate()
    lapsed = Vendor.objects.create(
        name="OpenAI", kind="model_provider", next_review_on=today - timedelta(days=1)
    )
    Vendor.objects.create(
        name="AWS", kind="cloud", next_review_on=today + timedelta(days=1)
    )
    Vendor.objects.create(name="Pinecone", kind="vector_database")
    assert tasks.vendor_reviews_check.delay().get() == 1
    assert {n.user for n in _told()} == set(admins)
    note = _told().first()
    assert note.message == (
        f"The review of the vendor OpenAI was due on "
        f"{today - timedelta(days=1):%Y-%m-%d}: review its terms and set the next "
        "review date."
    )
    assert note.url == f"/manage/vendors/{lapsed.pk}/"
    lapsed.refresh_from_db()
    assert lapsed.review_lapse_notified_on == today
    # The next days, the same lapse is not told again.
    assert services.vendor_reviews_check(today=today + timedelta(days=1)) == 0
    assert _told().count() == 2


def test_new_review_dates_start_a_new_lapse(admins):
    today = timezone.localdate()
    vendor = Vendor.objects.create(
        name="OpenAI", kind="model_provider", next_review_on=today - timedelta(days=1)
    )
    services.vendor_reviews_check(today=today)
    vendor.refresh_from_db()
    vendor.notes = "Reworded"
    services.vendor_save(vendor=vendor)  # no new dates: the lapse stays told
    assert services.vendor_reviews_check(today=today) == 0
    vendor.last_reviewed_on = today
    vendor.next_review_on = today + timedelta(days=30)
    services.vendor_save(vendor=vendor)
    vendor.refresh_from_db()
    assert vendor.review_lapse_notified_on is None
    assert services.vendor_reviews_check(today=today + timedelta(days=31)) == 1
    assert _told().count() == 4


def test_an_inactive_admin_is_not_told(admins):
    admins[1].is_active = False
    admins[1].save()
    Vendor.objects.create(
        name="OpenAI", kind="model_provider", next_review_on=date(2020, 1, 1)
    )
    services.vendor_reviews_check()
    assert [n.user for n in _told()] == [admins[0]]
