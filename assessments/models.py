from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from projects.audit import AuditTrail
from projects.models import ChecklistItem, DataClassification, Project

# --- Requirements (step 1) --------------------------------------------------------


class RequirementsDocument(models.Model):
    """A project's production requirements: a series of immutable versions, one approved."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="requirements"
    )
    approved_version = models.ForeignKey(
        "RequirementsVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditTrail()

    def __str__(self) -> str:
        return f"Requirements of {self.project}"


class RequirementsVersion(models.Model):
    """One saved state of the requirements. Never changed after it is written."""

    document = models.ForeignKey(
        RequirementsDocument, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    change_note = models.CharField(max_length=300, blank=True)

    users = models.PositiveIntegerField(null=True, blank=True)
    requests_per_day = models.PositiveIntegerField(null=True, blank=True)
    peak_rps = models.DecimalField(
        "peak requests per second",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
    )
    p95_latency_ms = models.PositiveIntegerField(
        "p95 latency target (ms)", null=True, blank=True
    )
    error_rate_pct = models.DecimalField(
        "error-rate target (%)", max_digits=6, decimal_places=3, null=True, blank=True
    )
    uptime_pct = models.DecimalField(
        "uptime target (%)", max_digits=6, decimal_places=3, null=True, blank=True
    )
    data_classification = models.CharField(
        max_length=20, choices=DataClassification.choices, blank=True
    )
    # The project's frameworks when this version was written, as names.
    compliance_needs = models.JSONField(default=list, blank=True)
    monthly_budget_usd = models.DecimalField(
        "monthly model budget (USD)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    cloud = models.CharField(max_length=60, blank=True)
    region = models.CharField(max_length=60, blank=True)
    infrastructure_constraints = models.TextField(blank=True)
    # [{"system": "Claims system", "direction": "both", "protocol": "REST"}]
    integration_points = models.JSONField(default=list, blank=True)
    # [{"statement": "...", "metric": "quality_score", "comparison": ">=", "target": "0.85"}]
    success_criteria = models.JSONField(default=list, blank=True)
    quality_score_name = models.CharField(
        "quality score that counts", max_length=60, blank=True
    )
    quality_score_target = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="one_number_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"Version {self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Approval names a version, so a version must never change under it.
        if self.pk is not None:
            raise ValueError("Requirements versions are immutable: save a new version.")
        super().save(*args, **kwargs)


# --- Gap assessment (step 2) ------------------------------------------------------


class AssessmentCriterion(models.Model):
    """A criterion of the gap assessment, with a description of each maturity level."""

    area = models.CharField(
        max_length=30
    )  # architecture, security, data, evaluation, operations
    area_name = models.CharField(max_length=60)
    key = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    question = models.TextField(blank=True)
    levels = models.JSONField(default=dict)  # {"0": "...", ..., "4": "..."}
    default_target = models.PositiveSmallIntegerField(default=3)
    remediation_step = models.PositiveSmallIntegerField(default=2)
    remediation = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    history = AuditTrail()

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.area_name}: {self.name}"


class GapAssessment(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="assessments"
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)
    # Stored for lists and trends; always recomputed from the scores when they change.
    overall_readiness = models.DecimalField(
        max_digits=5, decimal_places=1, default=Decimal(0)
    )

    history = AuditTrail()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Assessment of {self.project} on {self.created_at:%Y-%m-%d}"

    @property
    def not_assessed_count(self) -> int:
        """Criteria marked not assessed (reads prefetched scores when there are)."""
        return sum(1 for score in self.scores.all() if score.level is None)


class CriterionScore(models.Model):
    assessment = models.ForeignKey(
        GapAssessment, on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(
        AssessmentCriterion, on_delete=models.PROTECT, related_name="+"
    )
    # None: the criterion is marked "not assessed yet", which is not level 0: it makes
    # no gap and counts in no average (assessments.readiness).
    level = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(4)]
    )
    target = models.PositiveSmallIntegerField(validators=[MaxValueValidator(4)])
    note = models.TextField(blank=True)
    # The checklist item a gap became, so closing it shows on the assessment.
    checklist_item = models.ForeignKey(
        ChecklistItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = AuditTrail()

    class Meta:
        ordering = ["criterion__order", "criterion_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "criterion"], name="one_score_per_criterion"
            ),
            models.CheckConstraint(
                condition=(models.Q(level__isnull=True) | models.Q(level__lte=4))
                & models.Q(target__lte=4),
                name="levels_0_to_4",
            ),
        ]

    def __str__(self) -> str:
        level = "not assessed" if self.level is None else self.level
        return f"{self.criterion}: {level}/{self.target}"

    @property
    def not_assessed(self) -> bool:
        return self.level is None

    @property
    def is_gap(self) -> bool:
        return self.level is not None and self.level < self.target


class AssessmentDraft(models.Model):
    """The gap assessment a project's lead or owner is still writing.

    A draft is kept apart from ``GapAssessment`` on purpose: every reader of
    assessments (readiness, step 2's gate, the portfolio, the API) takes a
    project's latest ``GapAssessment`` as its current one, so a draft must never
    be one. One per project, shared by those who may run assessments; recording
    the assessment removes it.
    """

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="assessment_draft"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who saved it last.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    note = models.TextField(blank=True)
    # {"<criterion pk>": {"level": 2 | None, "not_assessed": bool, "target": 3 | None,
    #  "note": "..."}}: what the form held, validated but possibly incomplete.
    values = models.JSONField(default=dict, blank=True)

    history = AuditTrail()

    def __str__(self) -> str:
        return f"Draft assessment of {self.project}"


# --- Build vs partner --------------------------------------------------------------


class PartnerScoring(models.Model):
    """One build-vs-partner scoring, kept with its history."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="partner_scorings"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    scores = models.JSONField()  # {"ml_expertise": 4, ...}
    weights = models.JSONField()
    outcome = models.CharField(max_length=10)  # build, hybrid, partner
    build_score = models.DecimalField(max_digits=5, decimal_places=1)
    reasoning = models.TextField()
    note = models.TextField(blank=True)

    history = AuditTrail()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.outcome} for {self.project}"


# --- Model prices and cost scenarios ----------------------------------------------


class ModelPrice(models.Model):
    """A model in the price catalog (admins keep the prices current)."""

    class Tier(models.TextChoices):
        SMALL = "small", "Small"
        LARGE = "large", "Large"

    class Latency(models.TextChoices):
        FAST = "fast", "Fast"
        STANDARD = "standard", "Standard"
        SLOW = "slow", "Slow"

    provider = models.CharField(max_length=60)
    name = models.CharField(max_length=80, unique=True)
    input_per_mtok = models.DecimalField(
        "input price per million tokens (USD)", max_digits=10, decimal_places=4
    )
    output_per_mtok = models.DecimalField(
        "output price per million tokens (USD)", max_digits=10, decimal_places=4
    )
    context_window = models.PositiveIntegerField()
    latency_class = models.CharField(max_length=10, choices=Latency.choices)
    tier = models.CharField(max_length=10, choices=Tier.choices)
    prices_as_of = models.DateField()
    active = models.BooleanField(default=True)

    history = AuditTrail()

    class Meta:
        ordering = ["provider", "name"]

    def __str__(self) -> str:
        return f"{self.provider} {self.name}"


class CostScenario(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="cost_scenarios"
    )
    name = models.CharField(max_length=120)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    requests_per_day = models.PositiveIntegerField()
    input_tokens = models.PositiveIntegerField("input tokens per request")
    output_tokens = models.PositiveIntegerField("output tokens per request")
    retrieval_tokens = models.PositiveIntegerField(
        "retrieval tokens added per request", default=0
    )
    monthly_growth_pct = models.DecimalField(
        "monthly growth (%)", max_digits=6, decimal_places=2, default=Decimal(0)
    )

    history = AuditTrail()

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.name


class ScenarioTier(models.Model):
    scenario = models.ForeignKey(
        CostScenario, on_delete=models.CASCADE, related_name="tiers"
    )
    model = models.ForeignKey(ModelPrice, on_delete=models.PROTECT, related_name="+")
    share_pct = models.DecimalField(
        "share of traffic (%)", max_digits=6, decimal_places=2
    )

    history = AuditTrail()

    class Meta:
        ordering = ["-share_pct", "id"]

    def __str__(self) -> str:
        return f"{self.share_pct}% on {self.model}"
