"""Telling people about work that waits for them: in the app, and by email if they wish."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import Signal
from django.utils import timezone

from core import fragments
from core.query import whole_number
from projects.models import (
    Membership,
    Notification,
    NotificationKind,
    NotificationPreference,
    Project,
    ProjectRole,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.http import QueryDict

    from portal.models import User

logger = logging.getLogger(__name__)


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


def notify_owner_and_lead(
    *, project: Project, kind: NotificationKind, message: str, url: str
) -> None:
    """Notify the people who run ``project`` day to day: its owner and engineering
    lead (alerts, a source or a channel switched off)."""
    for membership in Membership.objects.filter(
        project=project, role__in=[ProjectRole.OWNER, ProjectRole.LEAD]
    ).select_related("user"):
        notify(
            user=membership.user,
            kind=kind,
            message=message,
            url=url,
            project=project,
        )


# --- Project channels (Slack, Teams, signed webhooks) ---------------------------------
# The channels live in a higher app (``integrations``), which connects to this signal in
# its AppConfig.ready(): the apps that tell people about events only announce them here.


class ChannelEventKind:
    """What a project's channels can be told about (a channel picks which)."""

    ALERT_OPENED = "alert.opened"
    SIGNOFF_REQUESTED = "signoff.requested"
    SIGNOFF_DECIDED = "signoff.decided"
    RISK_ACCEPTANCE_EXPIRING = "risk_acceptance.expiring"
    RISK_ACCEPTANCE_EXPIRED = "risk_acceptance.expired"
    ITEMS_OVERDUE = "checklist.overdue"


CHANNEL_EVENT_LABELS: dict[str, str] = {
    ChannelEventKind.ALERT_OPENED: "Alerts opened",
    ChannelEventKind.SIGNOFF_REQUESTED: "Sign-offs requested",
    ChannelEventKind.SIGNOFF_DECIDED: "Sign-offs decided",
    ChannelEventKind.RISK_ACCEPTANCE_EXPIRING: "Risk acceptances about to expire",
    ChannelEventKind.RISK_ACCEPTANCE_EXPIRED: "Risk acceptances expired",
    ChannelEventKind.ITEMS_OVERDUE: "Overdue checklist items (daily)",
}


@dataclass(frozen=True)
class ChannelEvent:
    """One project-level event, as a channel may be told it.

    ``title`` goes to every channel, so it never carries spend figures; the same news
    with the figures is ``spend_detail``, sent only to channels the project's owner
    allowed them. ``url`` is the page in Runway (a path)."""

    project: Project
    kind: str
    title: str
    url: str
    spend_detail: str = ""


channel_event = Signal()  # sent with ``event``: a ChannelEvent


def announce(
    *, project: Project, kind: str, title: str, url: str, spend_detail: str = ""
) -> None:
    """Tell the project's channels about an event (once per event, not per person).
    Inside a transaction, nothing is sent unless it commits.

    The channels never veto the change being announced: a receiver that fails is
    logged and the caller carries on (receivers that write run in a savepoint, so a
    failed query does not break the caller's transaction either)."""
    responses = channel_event.send_robust(
        sender=ChannelEvent,
        event=ChannelEvent(
            project=project,
            kind=kind,
            title=title[:300],
            url=url,
            spend_detail=spend_detail[:300],
        ),
    )
    for receiver, response in responses:
        if isinstance(response, Exception):
            logger.error(
                "announcing %s for project %s failed in %r",
                kind,
                project.pk,
                receiver,
                exc_info=response,
            )


def unread_count(user: User) -> int:
    """The bell's count, on every full page (the "unread-notifications" fragment)."""

    def count() -> int:
        return Notification.objects.filter(user=user, read_at__isnull=True).count()

    return fragments.cached("unread-notifications", "count", count, user_id=user.pk)


def notifications_changed(user_ids: Iterable[int]) -> None:
    """Move the bell's count of these people (for writes that bypass ``save``)."""
    for pk in set(user_ids):
        fragments.data_changed(Notification, user_id=pk)


# The kinds as the list's filter names them: short, so that the filter fits a phone.
KIND_FILTER_NAMES: dict[str, str] = {
    NotificationKind.ITEM_ASSIGNED: "Item assigned to me",
    NotificationKind.STEP_ASSIGNED: "Step assigned to me",
    NotificationKind.SIGNOFF_REQUESTED: "Sign-off asked of me",
    NotificationKind.SIGNOFF_DECIDED: "Sign-off decided",
    NotificationKind.SERVICE_DISABLED: "Service stopped working",
    NotificationKind.ALERT_OPENED: "Alert opened",
    NotificationKind.RISK_ACCEPTANCE_REQUESTED: "Risk acceptance asked of me",
    NotificationKind.RISK_ACCEPTANCE_DECIDED: "Risk acceptance decided",
    NotificationKind.RISK_ACCEPTANCE_EXPIRED: "Risk acceptance expired",
    NotificationKind.CHANNEL_DISABLED: "Channel stopped working",
}


@dataclass(frozen=True)
class NotificationFilters:
    """What the notification list is narrowed to: unread only, one kind, one project."""

    unread: bool = False
    kind: str = ""
    project: int | None = None

    @property
    def active(self) -> bool:
        return self.unread or bool(self.kind) or self.project is not None

    def apply(self, notifications: QuerySet[Notification]) -> QuerySet[Notification]:
        if self.unread:
            notifications = notifications.filter(read_at__isnull=True)
        if self.kind:
            notifications = notifications.filter(kind=self.kind)
        if self.project is not None:
            notifications = notifications.filter(project_id=self.project)
        return notifications

    def query(self) -> str:
        """The filters as a query string (empty values left out), for links and redirects."""
        values: dict[str, str | int] = {}
        if self.unread:
            values["unread"] = 1
        if self.kind:
            values["kind"] = self.kind
        if self.project is not None:
            values["project"] = self.project
        return urlencode(values)


def filters_from(data: QueryDict) -> NotificationFilters:
    """The filters of a query string or a posted form; a value that is not one of
    the choices (an unknown kind, a project that is not a number) is ignored."""
    kind = data.get("kind", "")
    return NotificationFilters(
        unread=data.get("unread") == "1",
        kind=kind if kind in NotificationKind.values else "",
        project=whole_number(data.get("project"), 1),
    )


def notifications_for(
    user: User, filters: NotificationFilters | None = None
) -> QuerySet[Notification]:
    """The user's notifications, newest first, narrowed by ``filters``."""
    notifications = Notification.objects.filter(user=user).select_related("project")
    return (filters or NotificationFilters()).apply(notifications)


def notification_projects(user: User) -> list[tuple[int, str]]:
    """(id, name) of the projects the user's notifications are about, by name: the
    choices of the project filter."""
    about = Notification.objects.filter(user=user, project__isnull=False)
    return list(
        Project.objects.filter(pk__in=about.values("project"))
        .order_by("name", "pk")
        .values_list("pk", "name")
    )


@transaction.atomic
def mark_read(
    *,
    user: User,
    notifications: Iterable[Notification] | None = None,
    ids: Iterable[int] | None = None,
    filters: NotificationFilters | None = None,
) -> int:
    """Mark the user's notifications read: the given ones, those with the given ids,
    those matching ``filters``, or (with none of these) all of them. Only ever the
    user's own: ids of other people's notifications change nothing. Returns how
    many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notifications is not None:
        unread = unread.filter(pk__in=[n.pk for n in notifications])
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    if filters is not None:
        unread = filters.apply(unread)
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
