"""A project's risk register, the library of AI risks it is suggested from, and the
executive sign-offs that accept a high risk for a while.

Scores are likelihood × impact on a 5 × 5 scale (``risks.scoring``); a register keeps
the inherent score (before treatment) and the residual score the owner judges after
it. Mitigations are the project's own checklist items, so whether a risk is really
mitigated is read off the checklist, never claimed.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from projects.audit import AuditTrail
from projects.models import (
    AiActTier,
    ChecklistItem,
    ChecklistTemplate,
    DataClassification,
    Framework,
    Project,
)


class RiskCategory(models.TextChoices):
    SECURITY = "security", "Security and prompt injection"
    PRIVACY = "privacy", "Privacy and PII exposure"
    HARMFUL_OUTPUT = "harmful_output", "Harmful or wrong output"
    BIAS = "bias", "Bias"
    DEPENDENCY = "dependency", "Model or vendor dependency"
    COST = "cost", "Cost overrun"
    AVAILABILITY = "availability", "Availability"
    LEGAL = "legal", "Legal and compliance"
    DATA_QUALITY = "data_quality", "Data quality"


class Treatment(models.TextChoices):
    MITIGATE = "mitigate", "Mitigate"
    ACCEPT = "accept", "Accept"
    TRANSFER = "transfer", "Transfer"
    AVOID = "avoid", "Avoid"


class RiskStatus(models.TextChoices):
    SUGGESTED = "suggested", "Suggested"  # from the library, waiting for the owner
    OPEN = "open", "Open"
    MITIGATED = "mitigated", "Mitigated"  # only while every mitigation is done
    ACCEPTED = "accepted", "Accepted"  # by an acceptance in force above the threshold
    CLOSED = "closed", "Closed"
    DISMISSED = "dismissed", "Dismissed"  # a suggestion the owner turned down


# Statuses of a risk the project still carries (a suggestion is not yet in the
# register; a closed or dismissed one no longer is).
LIVE_STATUSES = (RiskStatus.OPEN, RiskStatus.MITIGATED, RiskStatus.ACCEPTED)


class Indicator(models.TextChoices):
    """A live metric that raises a risk's flag when it is off target."""

    COST_OVER_BUDGET = "cost_over_budget", "Spend forecast over the monthly budget"
    QUALITY_BELOW_TARGET = "quality_below_target", "Quality score below its target"
    ERRORS_OVER_TARGET = "errors_over_target", "Error rate over its target"
    LATENCY_OVER_TARGET = "latency_over_target", "p95 latency over its target"


def _scale(verbose_name: str) -> models.PositiveSmallIntegerField:  # type: ignore[type-arg]
    return models.PositiveSmallIntegerField(
        verbose_name,
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )


def _on_the_scale(prefix: str, *fields: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(**{f"{field}__gte": 1, f"{field}__lte": 5}),
            name=f"{prefix}_{field}_1_to_5",
        )
        for field in fields
    ]


class LibraryRisk(models.Model):
    """An entry of the library of AI risks, suggested to the projects it applies to.

    Applicability, as for checklist templates: ``use_cases`` empty means any use case;
    ``frameworks`` empty means any project; ``min_classification`` empty means any
    data class, else only data at least this sensitive."""

    key = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=RiskCategory.choices)
    cause = models.TextField(help_text="What could make it happen.")
    consequence = models.TextField(help_text="What happens if it does.")
    likelihood = _scale("likelihood")
    impact = _scale("impact")
    use_cases = models.JSONField(
        default=list,
        blank=True,
        help_text="Use cases it applies to (chatbot, copilot, rag_assistant, agent, "
        "other); empty means every use case.",
    )
    min_classification = models.CharField(
        max_length=20,
        choices=DataClassification.choices,
        blank=True,
        help_text="Applies only when the project's data is at least this sensitive.",
    )
    frameworks = models.ManyToManyField(
        Framework,
        blank=True,
        related_name="library_risks",
        help_text="Applies only to projects under one of these frameworks; none means "
        "every project.",
    )
    mitigations = models.ManyToManyField(
        ChecklistTemplate,
        blank=True,
        related_name="library_risks",
        help_text="The checklist items that treat it.",
    )
    indicator = models.CharField(max_length=30, choices=Indicator.choices, blank=True)
    active = models.BooleanField(
        default=True, help_text="Inactive entries are no longer suggested."
    )

    history = AuditTrail(m2m_fields=[frameworks, mitigations])

    class Meta:
        ordering = ["category", "title"]
        constraints = _on_the_scale("library_risk", "likelihood", "impact")

    def __str__(self) -> str:
        return self.title


class Risk(models.Model):
    """A risk in a project's register."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="risks")
    source = models.ForeignKey(
        LibraryRisk,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="risks",
        help_text="The library entry it was suggested from; empty for the project's own.",
    )
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=RiskCategory.choices)
    cause = models.TextField(blank=True)
    consequence = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_risks",
    )
    inherent_likelihood = _scale("inherent likelihood")
    inherent_impact = _scale("inherent impact")
    residual_likelihood = _scale("residual likelihood")
    residual_impact = _scale("residual impact")
    treatment = models.CharField(
        max_length=20, choices=Treatment.choices, default=Treatment.MITIGATE
    )
    review_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=RiskStatus.choices, default=RiskStatus.OPEN
    )
    indicator = models.CharField(max_length=30, choices=Indicator.choices, blank=True)
    mitigations = models.ManyToManyField(
        ChecklistItem, blank=True, related_name="risks"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = AuditTrail(m2m_fields=[mitigations])

    class Meta:
        ordering = ["project", "-created_at", "-id"]
        constraints = [
            *_on_the_scale(
                "risk",
                "inherent_likelihood",
                "inherent_impact",
                "residual_likelihood",
                "residual_impact",
            ),
            # A library entry is suggested to a project once; dismissing it is final
            # until the owner adds it back by hand.
            models.UniqueConstraint(
                fields=["project", "source"],
                condition=Q(source__isnull=False),
                name="one_risk_per_library_entry",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def inherent_score(self) -> int:
        return int(self.inherent_likelihood) * int(self.inherent_impact)

    @property
    def residual_score(self) -> int:
        return int(self.residual_likelihood) * int(self.residual_impact)


class AcceptanceStatus(models.TextChoices):
    PENDING = "pending", "Waiting for an executive"
    APPROVED = "approved", "Accepted"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"


class RiskAcceptance(models.Model):
    """Accepting a high residual risk: asked for with a reason and an expiry, decided by
    an executive. When it expires the risk opens again."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="acceptances")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField()
    expires_on = models.DateField()
    status = models.CharField(
        max_length=20,
        choices=AcceptanceStatus.choices,
        default=AcceptanceStatus.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)

    history = AuditTrail()

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["risk"],
                condition=Q(status="pending"),
                name="one_pending_acceptance_per_risk",
            )
        ]

    def __str__(self) -> str:
        return f"Acceptance of {self.risk}"


# --- EU AI Act tier ---------------------------------------------------------------


class AiActAssessment(models.Model):
    """A project's answers to the EU AI Act questionnaire and the tier they give
    (``risks.ai_act``); ``Project.ai_act_tier`` carries the tier for the apps below."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="ai_act_assessment"
    )
    # ``risks.ai_act.Answers.as_dict()``: read back with ``Answers.from_dict``.
    answers = models.JSONField(default=dict)
    tier = models.CharField(max_length=20, choices=AiActTier.choices)
    reasons = models.JSONField(default=list)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField()

    history = AuditTrail()

    def __str__(self) -> str:
        return f"EU AI Act tier of {self.project}"


class AiActTierChange(models.Model):
    """A change of answers that changed the tier: who, when and why."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="ai_act_tier_changes"
    )
    from_tier = models.CharField(
        max_length=20, choices=AiActTier.choices, blank=True
    )  # blank: the first assessment
    to_tier = models.CharField(max_length=20, choices=AiActTier.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField()
    reason = models.TextField(blank=True)

    history = AuditTrail()

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.project}: {self.from_tier or 'not assessed'} → {self.to_tier}"
