from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from projects.audit import history_user


class Team(models.Model):
    """A business unit or team; every project belongs to one."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teams", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(get_user=history_user, m2m_fields=[members])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(get_user=history_user)

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

    history = HistoricalRecords(get_user=history_user)

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
