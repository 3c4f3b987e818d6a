"""The channels (Slack, Microsoft Teams, signed generic webhooks) of a project or of a
team, and the log of what was delivered to them, attempt by attempt."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from metrics.fields import EncryptedTextField
from projects.audit import AuditTrail
from projects.models import Project, Team


class Channel(models.Model):
    """Where a project's events are posted: a channel belongs to one project, or to a
    team and then gets the events of every project of the team. The address of a
    Slack or Teams incoming webhook is itself the credential, so it is encrypted like
    the signing secret, and neither is ever shown again after it is entered (or, for
    the secret, made)."""

    class Kind(models.TextChoices):
        SLACK = "slack", "Slack"
        TEAMS = "teams", "Microsoft Teams"
        WEBHOOK = "webhook", "Signed webhook"

    # Exactly one of the two (``channel_has_one_owner``).
    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        related_name="channels",
        null=True,
        blank=True,
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="channels", null=True, blank=True
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=120)
    url = EncryptedTextField()
    # The host and the address's last characters, so people can tell channels apart.
    url_hint = models.CharField(max_length=120)
    signing_secret = EncryptedTextField(blank=True)
    # The event kinds (projects.notifications.ChannelEventKind) this channel receives.
    events = models.JSONField(default=list, blank=True)
    # Off unless the project's owner turns it on: budget alerts then carry their
    # figures. Always off for a team's channel (``team_channel_without_spend``).
    include_spend = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_delivery_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditTrail(excluded_fields=["url", "signing_secret"])

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(project__isnull=False, team__isnull=True)
                    | models.Q(project__isnull=True, team__isnull=False)
                ),
                name="channel_has_one_owner",
            ),
            models.CheckConstraint(
                condition=models.Q(team__isnull=True) | models.Q(include_spend=False),
                name="team_channel_without_spend",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Delivery(models.Model):
    """One event (or test) for one channel: the body as sent, the same on every attempt."""

    class Status(models.TextChoices):
        PENDING = "pending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        # Never sent: the channel was switched off (or disabled) before it went.
        SKIPPED = "skipped", "Skipped"

    # The id a receiver sees (``X-Runway-Delivery``, the body's ``id``): the same on
    # every attempt, so that it can drop a repeat.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40)
    title = models.CharField(max_length=300)
    body = models.TextField()
    is_test = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # Attempts claimed so far (delivery_services.delivery_attempt claims one before posting).
    attempts = models.PositiveSmallIntegerField(default=0)
    # While an attempt is being sent: until when the worker sending it holds it. A run
    # of the same delivery before then does not post.
    claimed_until = models.DateTimeField(null=True, blank=True)
    # Why a delivery was skipped or given up on, when no attempt says it.
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["channel", "-created_at"], name="delivery_channel_recent"
            ),
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="pending"),
                name="delivery_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.channel_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """One POST of a delivery: what came back, and how fast."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField()
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="one_attempt_per_number"
            )
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"


class Announcement(models.Model):
    """That a scheduled announcement was made (the daily overdue items of a project, an
    acceptance about to expire), so that a late or repeated run neither misses nor
    repeats it. ``key`` names what was announced, e.g. ``project:12:2026-01-31``."""

    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="announced_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
