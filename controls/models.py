"""Frameworks as lists of controls: versioned libraries, the checklist items that
satisfy each control, and the version of each framework a project follows.

A library is imported from a data file (``controls/libraries``) and never edited in
place: a new version is imported beside the old one, and a project moves to it when
its owner chooses. Whether a control is met is read off the project's checklist
(``controls.coverage``), never claimed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from projects.audit import AuditTrail
from projects.models import ChecklistTemplate, Framework, Project

# A framework's libraries, newest first: the latest released, then the latest imported.
NEWEST_FIRST = ("-released", "-imported_at", "-id")


class ControlLibrary(models.Model):
    """One version of one framework's controls, as imported from its file."""

    framework = models.ForeignKey(
        Framework, on_delete=models.PROTECT, related_name="libraries"
    )
    version = models.CharField(max_length=40)
    # When the version was published (YYYY, YYYY-MM or YYYY-MM-DD): the newest version
    # of a framework is the latest released, whatever order they were imported in.
    released = models.CharField(max_length=10)
    title = models.CharField(max_length=200)
    source = models.CharField(max_length=500, blank=True)
    file_name = models.CharField(max_length=255)
    # SHA-256 of the library's content as read (not of its bytes, so line endings and
    # layout do not count): importing it again changes nothing, and different content
    # under a version already imported is refused.
    digest = models.CharField(max_length=64)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = AuditTrail()

    class Meta:
        verbose_name_plural = "control libraries"
        ordering = ["framework__name", *NEWEST_FIRST]
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "version"], name="one_library_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.framework.name} {self.version}"


class Control(models.Model):
    """One requirement of a framework (an article, clause or criterion)."""

    library = models.ForeignKey(
        ControlLibrary, on_delete=models.CASCADE, related_name="controls"
    )
    ref = models.CharField("reference", max_length=40)
    group = models.CharField(max_length=120)
    title = models.CharField(max_length=200)
    description = models.TextField()
    evidence_required = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)
    templates = models.ManyToManyField(
        ChecklistTemplate, related_name="controls", blank=True
    )

    class Meta:
        ordering = ["library", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["library", "ref"], name="one_control_per_ref"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"


class ProjectLibrary(models.Model):
    """The version of a framework's library a project is measured against."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="control_libraries"
    )
    # The library's framework, repeated so that one version per framework is a
    # constraint rather than a hope.
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="+")
    library = models.ForeignKey(
        ControlLibrary, on_delete=models.PROTECT, related_name="adoptions"
    )
    chosen_at = models.DateTimeField(auto_now=True)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = AuditTrail()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "framework"], name="one_version_per_framework"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project} follows {self.library}"
