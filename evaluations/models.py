"""Evaluation runs: a project's offline evaluations on an evaluation set and its load
tests, as summaries pushed from a CI pipeline or read from Langfuse's dataset runs, and
the baseline each new run is compared with."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from metrics.models import ConnectedService
from projects.audit import AuditTrail
from projects.models import Project

ZERO = Decimal(0)
ONE = Decimal(1)
# How far a tracked metric may fall against the baseline before step 6 refuses it:
# 2 points on the 0–1 scale scores are given on.
DEFAULT_TOLERANCE = Decimal("0.02")


class EvaluationPlan(models.Model):
    """What step 6 judges for one project: the evaluation set its runs are read from,
    and how far a tracked metric may fall against the baseline."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="evaluation_plan"
    )
    dataset_name = models.CharField(
        "evaluation set",
        max_length=200,
        blank=True,
        help_text="The evaluation set step 6 judges, as your evaluation tool names it.",
    )
    tolerance = models.DecimalField(
        "regression tolerance",
        max_digits=5,
        decimal_places=4,
        default=DEFAULT_TOLERANCE,
        validators=[MinValueValidator(ZERO), MaxValueValidator(ONE)],
        help_text="How far a metric may fall against the baseline (0–1 scale; 0.02 is "
        "two points).",
    )

    history = AuditTrail()

    def __str__(self) -> str:
        return f"evaluation plan of {self.project_id}"


class EvaluationRun(models.Model):
    """One evaluation of an evaluation set, or one load test, as its tool summed it up."""

    class Kind(models.TextChoices):
        EVALUATION = "evaluation", "Evaluation"
        LOAD_TEST = "load_test", "Load test"

    class Origin(models.TextChoices):
        PUSH = "push", "Push API"
        LANGFUSE = "langfuse", "Langfuse"
        DEMO = "demo", "Demo data"

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="evaluation_runs"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    origin = models.CharField(max_length=12, choices=Origin.choices)
    # The run's id where it came from (the caller's run id, Langfuse's dataset run id):
    # a run sent twice is stored once.
    external_id = models.CharField("run id", max_length=200)
    # The connected service it was read from (Langfuse); empty for pushed runs.
    service = models.ForeignKey(
        ConnectedService,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evaluation_runs",
    )
    name = models.CharField(max_length=200, blank=True)
    ran_at = models.DateTimeField("run at")
    dataset_name = models.CharField("evaluation set", max_length=200, blank=True)
    dataset_version = models.CharField(max_length=100, blank=True)
    item_count = models.PositiveIntegerField("items", null=True, blank=True)
    items_passed = models.PositiveIntegerField(null=True, blank=True)
    items_failed = models.PositiveIntegerField(null=True, blank=True)
    # What was evaluated.
    model = models.CharField(max_length=200, blank=True)
    app_version = models.CharField("prompt or app version", max_length=200, blank=True)
    commit = models.CharField(max_length=64, blank=True)
    source_url = models.URLField("link to the source", max_length=500, blank=True)
    # A load test's summary.
    target_rps = models.DecimalField(
        "target requests per second",
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
    )
    achieved_rps = models.DecimalField(
        "achieved requests per second",
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
    )
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    p95_latency_ms = models.DecimalField(
        "p95 latency (ms)", max_digits=12, decimal_places=3, null=True, blank=True
    )
    error_rate_pct = models.DecimalField(
        "error rate (%)", max_digits=7, decimal_places=4, null=True, blank=True
    )
    received_at = models.DateTimeField(auto_now_add=True)

    history = AuditTrail()

    class Meta:
        ordering = ["-ran_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "origin", "external_id"], name="run_stored_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["project", "kind", "-ran_at"], name="run_project_recent"
            )
        ]

    def __str__(self) -> str:
        return self.name or self.external_id


class EvaluationScore(models.Model):
    """A run's aggregate score for one metric, on a 0–1 scale."""

    run = models.ForeignKey(
        EvaluationRun, on_delete=models.CASCADE, related_name="scores"
    )
    metric = models.CharField(max_length=120)
    value = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        validators=[MinValueValidator(ZERO), MaxValueValidator(ONE)],
    )

    class Meta:
        ordering = ["metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "metric"], name="one_score_per_metric"
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric}={self.value}"


class BaselineAcceptance(models.Model):
    """Someone accepted a run as the baseline of its evaluation set: later runs on that
    set are compared with it. The newest acceptance is the baseline."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="baseline_acceptances"
    )
    run = models.ForeignKey(
        EvaluationRun, on_delete=models.CASCADE, related_name="acceptances"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField()
    accepted_at = models.DateTimeField(auto_now_add=True)

    history = AuditTrail()

    class Meta:
        ordering = ["-accepted_at", "-id"]

    def __str__(self) -> str:
        return f"baseline {self.run_id} of {self.project_id}"


class DatasetSync(models.Model):
    """How the last read of a Langfuse service's dataset runs went, so the Evaluations
    tab can say when runs were last read and why a read failed (the metrics sync's own
    record stays about metrics)."""

    service = models.OneToOneField(
        ConnectedService, on_delete=models.CASCADE, related_name="dataset_sync"
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    # Why the last read failed, without any credential; empty when it succeeded.
    last_error = models.CharField(max_length=500, blank=True)
    runs_stored = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"dataset sync of {self.service_id}"
