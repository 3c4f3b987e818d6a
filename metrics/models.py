from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from metrics.fields import EncryptedTextField
from metrics.vocabulary import Bucket, Metric
from projects.audit import AuditTrail
from projects.models import Project

METRIC_CHOICES = [(m.value, m.value) for m in Metric]
BUCKET_CHOICES = [(b.value, b.value) for b in Bucket]


class ConnectedService(models.Model):
    """A source of metrics: a provider account, an observability project, a Prometheus
    server, the push API, or the demo generator."""

    class Kind(models.TextChoices):
        LANGFUSE = "langfuse", "Langfuse"
        OPENAI = "openai", "OpenAI usage and costs"
        ANTHROPIC = "anthropic", "Anthropic usage and costs"
        HELICONE = "helicone", "Helicone"
        LANGSMITH = "langsmith", "LangSmith"
        PROMETHEUS = "prometheus", "Prometheus"
        PUSH = "push", "Push API"
        DEMO = "demo", "Demo generator"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=120)
    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        related_name="services",
        null=True,
        blank=True,
    )
    base_url = models.URLField(max_length=300, blank=True)
    # Non-secret settings: provider project ids, filters, PromQL per metric.
    config = models.JSONField(default=dict, blank=True)
    # Secrets, as an encrypted JSON object; never shown back, only their last four.
    credentials = EncryptedTextField(blank=True)
    credentials_hint = models.CharField(max_length=20, blank=True)
    environment = models.CharField(max_length=60, default="production")
    interval_minutes = models.PositiveIntegerField(default=60)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Deleting keeps the history and the samples, labelled as coming from a removed source.
    deleted_at = models.DateTimeField(null=True, blank=True)

    history = AuditTrail(excluded_fields=["credentials"])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class SyncRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"
        ABANDONED = "abandoned", "Abandoned"

    service = models.ForeignKey(
        ConnectedService, on_delete=models.CASCADE, related_name="runs"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.RUNNING
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    rows_written = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # The run's requests that were retried (429s, 5xx, network failures): without them a
    # run that succeeded after many rate limits shows only as a slow one.
    retry_count = models.PositiveIntegerField(default=0)
    # The status of the last answer retried; None when the network failed (or no retry).
    retry_last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    retry_wait_seconds = models.FloatField(default=0)
    # The Celery task that runs it. The broker hands a task back (same id) only when
    # the worker that had it is gone without acknowledging it, so a run still marked
    # running under this id when its task comes back is over.
    task_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # Two workers never sync one service at once: the second insert fails.
            models.UniqueConstraint(
                fields=["service"],
                condition=Q(status="running"),
                name="one_running_sync_per_service",
            )
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.status} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class MetricSample(models.Model):
    """A value as the source reported it for one bucket; re-pulling a bucket replaces it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(
        ConnectedService, on_delete=models.CASCADE, related_name="samples"
    )
    metric = models.CharField(max_length=30, choices=METRIC_CHOICES)
    dimension = models.CharField(max_length=120, blank=True, default="")
    bucket = models.CharField(max_length=4, choices=BUCKET_CHOICES)
    bucket_start = models.DateTimeField()
    value = models.DecimalField(max_digits=20, decimal_places=6)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "metric", "dimension", "bucket", "bucket_start"],
                name="one_sample_per_bucket",
            )
        ]
        indexes = [
            models.Index(
                fields=["project", "metric", "bucket", "bucket_start"],
                name="sample_lookup",
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.bucket_start:%Y-%m-%d %H:%M} = {self.value}"


class DailyRollup(models.Model):
    """One value per day, kept current on every write, so dashboards never scan samples."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(
        ConnectedService, on_delete=models.CASCADE, related_name="rollups"
    )
    metric = models.CharField(max_length=30, choices=METRIC_CHOICES)
    dimension = models.CharField(max_length=120, blank=True, default="")
    day = models.DateField()
    value = models.DecimalField(max_digits=20, decimal_places=6)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "metric", "dimension", "day"],
                name="one_rollup_per_day",
            )
        ]
        indexes = [
            # Covering on PostgreSQL: the portfolio sums a month of every project's
            # rollups from the index alone (other databases ignore ``include``).
            models.Index(
                fields=["project", "metric", "day"],
                include=["value", "dimension", "service"],
                name="rollup_lookup_covering",
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.day} = {self.value}"


class IngestToken(models.Model):
    """A bearer token a project's own code uses to push metrics.

    Only the SHA-256 of the secret is kept: the secret is shown once, when it is made,
    and a leaked database cannot be replayed against the API.
    """

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="ingest_tokens"
    )
    name = models.CharField(max_length=120)
    token_hash = models.CharField(max_length=64, unique=True)
    # The first characters of the secret, so people can tell their tokens apart.
    prefix = models.CharField(max_length=8)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    history = AuditTrail(excluded_fields=["token_hash"])

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


# The constraint that makes a resent event a duplicate (metrics.ingest tells its
# violation from any other).
ONE_EVENT_PER_KEY = "one_event_per_key"


class RequestEvent(models.Model):
    """One request of the project's AI feature, pushed raw; the rollup task adds the
    new events to their day's totals (``EventDayTotal``) and writes that day's
    samples, so percentiles come from the requests, not from averages."""

    # No index of its own: the indexes below lead with the project, and every event
    # pushed would write a third one.
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    service = models.ForeignKey(
        ConnectedService, on_delete=models.CASCADE, related_name="events"
    )
    timestamp = models.DateTimeField()
    model = models.CharField(max_length=120)
    latency_ms = models.FloatField()
    input_tokens = models.PositiveIntegerField()
    output_tokens = models.PositiveIntegerField()
    cost_usd = models.DecimalField(max_digits=16, decimal_places=8)
    error = models.BooleanField(default=False)
    quality_score_name = models.CharField(max_length=120, blank=True, default="")
    quality_score = models.FloatField(null=True, blank=True)
    feedback = models.SmallIntegerField(null=True, blank=True)  # -1, 0 or 1
    idempotency_key = models.CharField(max_length=120)
    received_at = models.DateTimeField(auto_now_add=True)
    # Null until the rollup task has added the event to its day's totals, in the same
    # transaction; a lost task is caught up by the next one, which takes every event
    # still null.
    rolled_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A client resending a batch (a retry after a timeout) is not counted twice.
            models.UniqueConstraint(
                fields=["project", "idempotency_key"], name=ONE_EVENT_PER_KEY
            ),
            models.CheckConstraint(
                condition=Q(feedback__isnull=True) | Q(feedback__in=[-1, 0, 1]),
                name="event_feedback_is_a_vote",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "timestamp"], name="event_day_lookup"),
            # Only the events waiting for the rollup: the index stays as small as the
            # backlog, and a project's pending ids are read from it alone
            # (ingest.events_rollup).
            models.Index(
                fields=["project", "id"],
                condition=Q(rolled_up_at__isnull=True),
                name="event_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.timestamp:%Y-%m-%d %H:%M:%S} {self.latency_ms} ms"


class EventDayTotal(models.Model):
    """What one push source's rolled-up events of one UTC day and model add up to.

    The rollup adds each batch of new events to these totals and writes the day's
    samples from them, so a batch costs what the batch costs however busy the day
    (``metrics.ingest.events_rollup``). Latencies are kept in a mergeable sketch
    (``metrics.latency_sketch``) for the day's percentiles.
    """

    service = models.ForeignKey(
        ConnectedService, on_delete=models.CASCADE, related_name="event_totals"
    )
    day = models.DateField()
    model = models.CharField(max_length=120)
    requests = models.PositiveBigIntegerField(default=0)
    errors = models.PositiveBigIntegerField(default=0)
    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=24, decimal_places=8, default=0)
    # {score name: [sum of the scores, how many]}: a day's mean is across models.
    quality = models.JSONField(default=dict)
    feedback_votes = models.PositiveBigIntegerField(default=0)  # 0 is a vote too
    feedback_positive = models.PositiveBigIntegerField(default=0)
    feedback_negative = models.PositiveBigIntegerField(default=0)
    latency_sketch = models.BinaryField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "day", "model"], name="one_event_total_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.day:%Y-%m-%d}: {self.requests} requests"


class Alert(models.Model):
    """A target broken for long enough to tell people; it resolves itself on recovery."""

    class Kind(models.TextChoices):
        BUDGET = "budget", "Budget forecast"
        LATENCY = "latency", "Latency p95"
        ERROR_RATE = "error_rate", "Error rate"
        QUALITY = "quality", "Quality score"
        SYNC = "sync", "Sync failing"
        MODEL = "model", "Model not approved"
        EVALUATION = "evaluation", "Evaluation regression"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="alerts"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # For sync alerts: the failing service; empty for metric alerts.
    service = models.ForeignKey(
        ConnectedService,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alerts",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    message = models.CharField(max_length=400)
    opened_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    history = AuditTrail()

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            # One open alert per metric rule of a project...
            models.UniqueConstraint(
                fields=["project", "kind"],
                condition=Q(status="open", service__isnull=True),
                name="one_open_metric_alert",
            ),
            # ...and one per failing source.
            models.UniqueConstraint(
                fields=["project", "kind", "service"],
                condition=Q(status="open", service__isnull=False),
                name="one_open_sync_alert",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} alert on {self.project}: {self.status}"

    @property
    def page_url(self) -> str:
        """Where the alert is explained (``metrics.alert_pages``)."""
        from metrics.alert_pages import alert_page

        return alert_page(self)


class MetricSource(models.Model):
    """The project's own choice of which source counts for one metric (else the default)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=30, choices=METRIC_CHOICES)
    service = models.ForeignKey(
        ConnectedService, on_delete=models.CASCADE, related_name="+"
    )

    history = AuditTrail()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "metric"], name="one_source_per_metric"
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric} of {self.project} from {self.service}"
