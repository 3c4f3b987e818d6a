"""The inventory of the company's AI vendors and models, and which models each project
uses: declared by its owner, or detected from the model names its connected services
report (``inventory.detection``).

A model may serve a project only as far as its approval and the most sensitive data
class it may see allow (``inventory.detection.may_serve``); traffic to any other opens
a metrics alert of kind "model" on the project.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from projects.audit import AuditTrail
from projects.models import DataClassification, Project


class VendorKind(models.TextChoices):
    MODEL_PROVIDER = "model_provider", "Model provider"
    CLOUD = "cloud", "Cloud"
    VECTOR_DATABASE = "vector_database", "Vector database"
    OTHER = "other", "Other"


class DpaStatus(models.TextChoices):
    SIGNED = "signed", "Signed"
    IN_NEGOTIATION = "in_negotiation", "In negotiation"
    NONE = "none", "None"


class BaaStatus(models.TextChoices):
    SIGNED = "signed", "Signed"
    NOT_NEEDED = "not_needed", "Not needed"
    NONE = "none", "None"


class TrainingTerms(models.TextChoices):
    NO_TRAINING = "no_training", "Does not train on our data"
    OPT_OUT = "opt_out", "Trains unless opted out"
    TRAINS = "trains", "Trains on our data"
    UNKNOWN = "unknown", "Unknown"


class Vendor(models.Model):
    """A company the AI projects depend on: a model provider, a cloud, a vector
    database... with the contract terms that decide what data it may be given."""

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=VendorKind.choices)
    dpa_status = models.CharField(
        "data-processing agreement",
        max_length=20,
        choices=DpaStatus.choices,
        default=DpaStatus.NONE,
    )
    baa_status = models.CharField(
        "business associate agreement (HIPAA)",
        max_length=20,
        choices=BaaStatus.choices,
        default=BaaStatus.NONE,
    )
    data_residency = models.CharField(
        max_length=60,
        blank=True,
        help_text="Where it keeps and processes our data, e.g. EU, US.",
    )
    training_terms = models.CharField(
        "training on our data",
        max_length=20,
        choices=TrainingTerms.choices,
        default=TrainingTerms.UNKNOWN,
    )
    last_reviewed_on = models.DateField("last review", null=True, blank=True)
    next_review_on = models.DateField("next review", null=True, blank=True)
    notes = models.TextField(blank=True)
    # The day admins were told that the next review had passed: they are told once
    # per lapse, and told again only after the review dates change.
    review_lapse_notified_on = models.DateField(null=True, blank=True, editable=False)

    history = AuditTrail()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="one_vendor_per_name",
                violation_error_message="Another vendor has this name already.",
            ),
            models.CheckConstraint(
                condition=Q(last_reviewed_on__isnull=True)
                | Q(next_review_on__isnull=True)
                | Q(next_review_on__gt=F("last_reviewed_on")),
                name="vendor_next_review_after_last",
                violation_error_message="The next review must come after the last one.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        last, following = self.last_reviewed_on, self.next_review_on
        if last is not None and following is not None and following <= last:
            raise ValidationError(
                {"next_review_on": "The next review must come after the last one."}
            )


class ApprovalStatus(models.TextChoices):
    APPROVED = "approved", "Approved"
    NON_SENSITIVE = "non_sensitive", "Approved for non-sensitive data only"
    NOT_APPROVED = "not_approved", "Not approved"
    NOT_REVIEWED = "not_reviewed", "Not reviewed yet"  # detected, nobody decided yet


class AIModel(models.Model):
    """An AI model, named as the providers report it (``gpt-4o-mini``); names match
    case-insensitively."""

    # As wide as a rollup's dimension, where detected names come from.
    name = models.CharField(
        max_length=120,
        help_text="The model's id as the provider reports it, e.g. gpt-4o-mini.",
    )
    vendor = models.ForeignKey(
        Vendor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ai_models",
        help_text="Empty for a detected model nobody has classified yet.",
    )
    approval = models.CharField(
        max_length=20,
        choices=ApprovalStatus.choices,
        default=ApprovalStatus.NOT_REVIEWED,
    )
    max_classification = models.CharField(
        "most sensitive data it may see",
        max_length=20,
        choices=DataClassification.choices,
        blank=True,
        help_text="For an approved model: projects with data up to this class may use "
        "it. A model approved for non-sensitive data only sees internal data at most.",
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditTrail()

    class Meta:
        ordering = ["name"]
        verbose_name = "AI model"
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="one_ai_model_per_name",
                violation_error_message="Another model has this name already.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.approval == ApprovalStatus.APPROVED and not self.max_classification:
            raise ValidationError(
                {
                    "max_classification": "Say the most sensitive data an approved "
                    "model may see."
                }
            )


class ProjectModel(models.Model):
    """A model a project uses: declared by its owner, seen in its metrics, or both."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="ai_models"
    )
    model = models.ForeignKey(
        AIModel, on_delete=models.PROTECT, related_name="project_uses"
    )
    declared = models.BooleanField(default=False)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The first and last days the project's connected services reported traffic to it.
    first_seen = models.DateField(null=True, blank=True)
    last_seen = models.DateField(null=True, blank=True)

    history = AuditTrail()

    class Meta:
        ordering = ["project", "model__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "model"], name="one_row_per_project_model"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project} uses {self.model}"

    @property
    def detected(self) -> bool:
        return self.first_seen is not None
