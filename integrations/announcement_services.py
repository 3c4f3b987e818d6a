"""The daily announcements: each project's overdue checklist items and the approved
risk acceptances about to expire, told to the channels that want them, once each."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone

from integrations.models import Announcement
from projects.models import ChecklistItem, ItemState, Project
from projects.notifications import ChannelEventKind, announce
from risks.models import AcceptanceStatus, RiskAcceptance
from risks.services import register_url

# Registered by integrations.tasks (Beat queues it by name).
DAILY_ANNOUNCEMENTS = "integrations.daily_announcements"
# Approved risk acceptances are announced this many days before they expire.
EXPIRY_NOTICE_DAYS = 7


def _projects_with_channels() -> list[Project]:
    """The live projects that an enabled channel hears about: their own, or their
    team's."""
    return list(
        Project.objects.filter(
            Q(channels__enabled=True) | Q(team__channels__enabled=True),
            archived_at__isnull=True,
        )
        .distinct()
        .order_by("pk")
    )


def _first_time(kind: str, key: str) -> bool:
    """Record that ``kind`` was announced for ``key``; False when it already was (by
    an earlier or a concurrent run, which then holds the row until it commits)."""
    try:
        with transaction.atomic():
            Announcement.objects.create(kind=kind, key=key)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def overdue_items_announce(*, today: date | None = None) -> int:
    """Tell each project's channels how many of its checklist items are overdue (open,
    applicable, due before today), at most once a day per project, however often this
    runs. Returns how many projects were told."""
    today = today or timezone.localdate()
    projects = {p.pk: p for p in _projects_with_channels()}
    overdue = (
        ChecklistItem.objects.filter(
            project__in=list(projects),
            state=ItemState.OPEN,
            applicable=True,
            due_date__lt=today,
        )
        .values("project")
        .annotate(count=Count("pk"), oldest=Min("due_date"))
        .order_by("project")
    )
    told = 0
    for row in overdue:
        project = projects[row["project"]]
        if not _first_time(ChannelEventKind.ITEMS_OVERDUE, f"{project.pk}:{today}"):
            continue
        count = row["count"]
        announce(
            project=project,
            kind=ChannelEventKind.ITEMS_OVERDUE,
            title=f"{project.name}: {count} checklist item{'s are' if count != 1 else ' is'} "
            f"overdue, the oldest due {row['oldest']:%Y-%m-%d}",
            url=reverse("projects:steps", kwargs={"slug": project.slug}),
        )
        told += 1
    return told


@transaction.atomic
def expiring_acceptances_announce(*, today: date | None = None) -> int:
    """Tell the channels of approved risk acceptances that expire within
    EXPIRY_NOTICE_DAYS days, once per acceptance and expiry date: a run that came late
    (or not at all on a day) still tells them, a repeated one does not tell them twice.
    Returns how many were announced."""
    today = today or timezone.localdate()
    acceptances = list(
        RiskAcceptance.objects.filter(
            status=AcceptanceStatus.APPROVED,
            expires_on__gt=today,
            expires_on__lte=today + timedelta(days=EXPIRY_NOTICE_DAYS),
            risk__project__in=_projects_with_channels(),
        )
        .select_related("risk__project")
        .order_by("expires_on", "pk")
    )
    told = 0
    for acceptance in acceptances:
        key = f"{acceptance.pk}:{acceptance.expires_on}"
        if not _first_time(ChannelEventKind.RISK_ACCEPTANCE_EXPIRING, key):
            continue
        risk = acceptance.risk
        announce(
            project=risk.project,
            kind=ChannelEventKind.RISK_ACCEPTANCE_EXPIRING,
            title=f"{risk.project.name}: the acceptance of the risk “{risk.title}” "
            f"expires on {acceptance.expires_on:%Y-%m-%d}",
            url=register_url(risk.project, risk),
        )
        told += 1
    return told
