"""Telling people about work that waits for them: in the app, and by email if they wish."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from portal import versions
from projects.models import (
    Notification,
    NotificationKind,
    NotificationPreference,
    Project,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from portal.models import User


def wants_email(user: User, kind: str) -> bool:
    preference = NotificationPreference.objects.filter(user=user, kind=kind).first()
    return preference.email if preference is not None else True


def notify(
    *,
    user: User,
    kind: NotificationKind,
    message: str,
    url: str = "",
    project: Project | None = None,
    actor: User | None = None,
) -> Notification | None:
    """Record a notification for ``user`` (not for what they did themselves) and
    queue its email once the surrounding transaction commits."""
    if actor is not None and actor.pk == user.pk:
        return None
    if not user.is_active:
        return None
    notification = Notification.objects.create(
        user=user, kind=kind, project=project, message=message[:300], url=url
    )
    if wants_email(user, kind):
        from projects.tasks import send_notification_email

        # celery-types does not know Celery 5.4's delay_on_commit yet.
        send_notification_email.delay_on_commit(notification.pk)  # type: ignore[attr-defined]
    return notification


# The bell's count is on every full page. It is kept until one of the person's
# notifications is made, read or deleted, and a day at most.
UNREAD_CACHE_SECONDS = 24 * 3600


def _version_key(user_id: int) -> str:
    return f"notifications:version:{user_id}"


def unread_count(user: User) -> int:
    def count() -> int:
        return Notification.objects.filter(user=user, read_at__isnull=True).count()

    return versions.cached(
        [_version_key(user.pk)],
        f"notifications:unread:{user.pk}",
        count,
        timeout=UNREAD_CACHE_SECONDS,
    )


def notifications_changed(user_ids: Iterable[int]) -> None:
    """Move the bell's count of these people (for writes that bypass ``save``)."""
    versions.changed(_version_key(pk) for pk in set(user_ids))


def _saved_or_deleted(instance: Notification, **kwargs: object) -> None:
    notifications_changed([instance.user_id])


def connect() -> None:
    post_save.connect(
        _saved_or_deleted, sender=Notification, dispatch_uid="notifications-save"
    )
    post_delete.connect(
        _saved_or_deleted, sender=Notification, dispatch_uid="notifications-delete"
    )


@transaction.atomic
def mark_read(
    *, user: User, notifications: Iterable[Notification] | None = None
) -> int:
    """Mark the given notifications (or all of them) read; returns how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notifications is not None:
        unread = unread.filter(pk__in=[n.pk for n in notifications])
    changed = unread.update(read_at=timezone.now())
    if changed:
        notifications_changed([user.pk])
    return changed


@transaction.atomic
def preferences_save(*, user: User, email_kinds: Iterable[str]) -> None:
    """Store, for every kind, whether it also comes by email."""
    chosen = set(email_kinds)
    for kind in NotificationKind:
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"email": kind.value in chosen}
        )
