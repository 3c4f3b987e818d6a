"""Reads of the channels of a project or a team, and their delivery log."""

from __future__ import annotations

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from integrations.models import Channel, Delivery, DeliveryAttempt
from projects.models import Project, Team


def channels_of(owner: Project | Team) -> QuerySet[Channel]:
    """The channels of a project (its own, not its team's) or of a team, by name,
    each with its latest delivery's status and time (``latest_status``,
    ``latest_at``), in one query."""
    latest = Delivery.objects.filter(channel=OuterRef("pk")).order_by(
        "-created_at", "-pk"
    )
    mine = {"team": owner} if isinstance(owner, Team) else {"project": owner}
    return (
        Channel.objects.filter(**mine)
        # The list never shows the address or the secret: they are not even decrypted.
        .defer("url", "signing_secret")
        .annotate(
            latest_status=Subquery(latest.values("status")[:1]),
            latest_at=Subquery(latest.values("created_at")[:1]),
        )
        .order_by("name", "pk")
    )


def deliveries_of(channel: Channel) -> QuerySet[Delivery]:
    """The channel's delivery log, newest first, each with its attempts."""
    return (
        Delivery.objects.filter(channel=channel)
        .prefetch_related(
            Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("number"))
        )
        .order_by("-created_at", "-pk")
    )
