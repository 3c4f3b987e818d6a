from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from projects.audit import AuditTrail


class Team(models.Model):
    """A business unit or team; every project belongs to one."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teams", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditTrail(m2m_fields=[members])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Framework(models.Model):
    """A compliance framework a project may be under (HIPAA, SOC 2...); admins extend it."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80, unique=True)
    description = models.TextField(blank=True)

    history = AuditTrail()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DataClassification(models.TextChoices):
    """Ordered from least to most sensitive; applicability compares ranks."""

    PUBLIC = "public", "Public"
    INTERNAL = "internal", "Internal"
    CONFIDENTIAL = "confidential", "Confidential"
    REGULATED = "regulated", "Regulated"

    @classmethod
    def rank(cls, value: str) -> int:
        return list(cls.values).index(value)


class PrototypeOrigin(models.TextChoices):
    CHAT_ASSISTANT = "chat_assistant", "ChatGPT or Claude"
    BOLT = "bolt", "Bolt"
    LOVABLE = "lovable", "Lovable"
    V0 = "v0", "Vercel v0"
    REPLIT = "replit", "Replit"
    HAND_WRITTEN = "hand_written", "Hand-written"
    OTHER = "other", "Other"


class UseCase(models.TextChoices):
    CHATBOT = "chatbot", "Chatbot"
    COPILOT = "copilot", "Copilot"
    RAG_ASSISTANT = "rag_assistant", "RAG assistant"
    AGENT = "agent", "Agent"
    OTHER = "other", "Other"


class AiActTier(models.TextChoices):
    """The EU AI Act risk tier a project's questionnaire gave (risks.ai_act); blank on
    the project means not assessed yet."""

    PROHIBITED = "prohibited", "Prohibited"
    HIGH = "high", "High-risk"
    LIMITED = "limited", "Limited risk"
    MINIMAL = "minimal", "Minimal risk"


class ProjectStatus(models.TextChoices):
    """The status the owner sets; "launched" is derived from step 7, never set."""

    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    BLOCKED = "blocked", "Blocked"
    PAUSED = "paused", "Paused"
    RETIRED = "retired", "Retired"


class Project(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, unique=True)
    summary = models.TextField(blank=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="projects")
    status = models.CharField(
        max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.ON_TRACK
    )
    use_case = models.CharField(
        max_length=20, choices=UseCase.choices, default=UseCase.CHATBOT
    )
    prototype_origin = models.CharField(
        max_length=20,
        choices=PrototypeOrigin.choices,
        default=PrototypeOrigin.HAND_WRITTEN,
    )
    data_classification = models.CharField(
        max_length=20,
        choices=DataClassification.choices,
        default=DataClassification.INTERNAL,
    )
    frameworks = models.ManyToManyField(Framework, blank=True, related_name="projects")
    target_launch_date = models.DateField(null=True, blank=True)
    operating_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="operated_projects",
        help_text="Runs the system in production; must be named before step 7 is done.",
    )
    # Step 7 needs production metrics on target on each of this many complete days.
    metric_gate_window_days = models.PositiveSmallIntegerField(
        "metric gate window (days)",
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    # Set only by the AI Act questionnaire (risks.ai_act_services); kept here so that
    # checklist applicability and the portfolio filters read it without the risks app.
    ai_act_tier = models.CharField(
        "EU AI Act tier",
        max_length=20,
        choices=AiActTier.choices,
        blank=True,
        default="",
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = AuditTrail(m2m_fields=[frameworks])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", kwargs={"slug": self.slug})


class ProjectRole(models.TextChoices):
    OWNER = "owner", "Owner"
    LEAD = "lead", "Engineering lead"
    CONTRIBUTOR = "contributor", "Contributor"
    REVIEWER = "reviewer", "Reviewer"
    VIEWER = "viewer", "Viewer"


class Membership(models.Model):
    """A user's role on one project: the single truth for who is its PM and lead."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="project_memberships",
    )
    role = models.CharField(max_length=20, choices=ProjectRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditTrail()

    class Meta:
        ordering = ["project", "role", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user"], name="one_membership_per_user"
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(role="owner"),
                name="one_owner_per_project",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.project}"


# --- Catalogs -----------------------------------------------------------------


class Step(models.Model):
    """One of the seven transition steps: reference rows admins may reword, never add or remove."""

    number = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=120)
    short_name = models.CharField(max_length=40)
    purpose = models.TextField()
    gate_text = models.TextField()
    # Project roles whose sign-off the gate needs, e.g. ["lead", "owner"] for step 7.
    signoff_roles = models.JSONField(default=list, blank=True)

    history = AuditTrail()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(number__gte=1, number__lte=7), name="step_number_1_to_7"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.short_name}"


class ChecklistTemplate(models.Model):
    """A catalog item; each project's checklist is instantiated from the applicable ones."""

    key = models.SlugField(max_length=80, unique=True)
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="templates")
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    required = models.BooleanField(default=True)
    evidence_required = models.BooleanField(default=False)
    frameworks = models.ManyToManyField(
        Framework,
        blank=True,
        related_name="checklist_templates",
        help_text="Applies only to projects under one of these frameworks; none means every project.",
    )
    min_classification = models.CharField(
        max_length=20,
        choices=DataClassification.choices,
        blank=True,
        help_text="Applies only when the project's data is at least this sensitive.",
    )
    ai_act_tiers = models.JSONField(
        "EU AI Act tiers",
        default=list,
        blank=True,
        help_text="Applies only to projects whose EU AI Act tier is one of these "
        '(e.g. ["high"]); empty means the tier does not matter.',
    )
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(
        default=True, help_text="Inactive items are no longer added to projects."
    )

    history = AuditTrail(m2m_fields=[frameworks])

    class Meta:
        ordering = ["step__number", "order", "id"]

    def __str__(self) -> str:
        return self.title


# --- A project's steps and checklist ------------------------------------------


class StepStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    BLOCKED = "blocked", "Blocked"
    DONE = "done", "Done"


class ProjectStep(models.Model):
    """A project's state in one step."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="steps")
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=20, choices=StepStatus.choices, default=StepStatus.NOT_STARTED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_steps",
    )
    due_date = models.DateField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    blocked_reason = models.TextField(blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.TextField(blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)

    history = AuditTrail()

    class Meta:
        ordering = ["project", "step__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "step"], name="one_state_per_step"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project} — {self.step}"


class ItemState(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class ChecklistItem(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="checklist_items"
    )
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey(
        ChecklistTemplate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
        help_text="Empty for a project's own custom items.",
    )
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    required = models.BooleanField(default=True)
    evidence_required = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)
    state = models.CharField(
        max_length=20, choices=ItemState.choices, default=ItemState.OPEN
    )
    na_justification = models.TextField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_items",
    )
    due_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    # Items whose template stopped applying are kept (with their ticks), flagged.
    applicable = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = AuditTrail()

    class Meta:
        ordering = ["step__number", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "template"],
                condition=Q(template__isnull=False),
                name="one_item_per_template",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_custom(self) -> bool:
        return self.template_id is None


def evidence_upload_path(instance: Evidence, filename: str) -> str:
    # Random folder names: the storage path reveals nothing and never collides.
    return f"evidence/{instance.item.project_id}/{uuid.uuid4().hex}/{filename}"


class Evidence(models.Model):
    """A link or an uploaded file that shows a checklist item is really done."""

    item = models.ForeignKey(
        ChecklistItem, on_delete=models.CASCADE, related_name="evidence"
    )
    url = models.URLField(max_length=500, blank=True)
    file = models.FileField(upload_to=evidence_upload_path, blank=True, max_length=300)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    history = AuditTrail()

    class Meta:
        ordering = ["added_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(url="") & ~Q(file="")) | (~Q(url="") & Q(file="")),
                name="evidence_is_a_link_or_a_file",
            )
        ]

    def __str__(self) -> str:
        return self.original_name or self.url


class SignOffStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    INVALIDATED = "invalidated", "Invalidated"


class SignOff(models.Model):
    """A request for, and the decision of, one person signing off a step in a role."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="signoffs"
    )
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20, choices=ProjectRole.choices)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signoffs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=SignOffStatus.choices, default=SignOffStatus.PENDING
    )
    comment = models.TextField(blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    invalidated_reason = models.CharField(max_length=300, blank=True)

    history = AuditTrail()

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} sign-off of {self.step} by {self.signer}"


# --- Notifications -------------------------------------------------------------


class NotificationKind(models.TextChoices):
    ITEM_ASSIGNED = "item_assigned", "A checklist item is assigned to me"
    STEP_ASSIGNED = "step_assigned", "A step is assigned to me"
    SIGNOFF_REQUESTED = "signoff_requested", "I am asked for a sign-off"
    SIGNOFF_DECIDED = "signoff_decided", "A sign-off I asked for is decided"
    SERVICE_DISABLED = (
        "service_disabled",
        "A connected service of my project stops working",
    )
    ALERT_OPENED = "alert_opened", "A metric of my project breaks its target"
    RISK_ACCEPTANCE_REQUESTED = (
        "risk_acceptance_requested",
        "I am asked to accept a high risk",
    )
    RISK_ACCEPTANCE_DECIDED = (
        "risk_acceptance_decided",
        "A risk acceptance I asked for is decided",
    )
    RISK_ACCEPTANCE_EXPIRED = (
        "risk_acceptance_expired",
        "The acceptance of a risk I own expires",
    )
    CHANNEL_DISABLED = (
        "channel_disabled",
        "A Slack, Teams or webhook channel of my project stops working",
    )


class Notification(models.Model):
    """An in-app notification; some also go out by email, as the user prefers."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    message = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.message


class NotificationPreference(models.Model):
    """Whether one kind of notification also comes by email (the default is yes)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    email = models.BooleanField(default=True)

    history = AuditTrail()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"], name="one_preference_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} by email={self.email}"
