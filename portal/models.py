from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models

from core.names import display_name
from projects.audit import AuditTrail


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with their email address (no usernames)."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    invited_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_at = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]
    # Password hashes and login times stay out of the audit trail.
    history = AuditTrail(
        excluded_fields=["password", "last_login"], m2m_fields=["groups"]
    )

    class Meta:
        ordering = ["first_name", "last_name", "email"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return display_name(self.first_name, self.last_name, self.email)

    @property
    def has_accepted_invitation(self) -> bool:
        return self.has_usable_password() or self.last_login is not None


class PersonalAccessToken(models.Model):
    """A bearer token for the read-only API, acting as its owner.

    It carries no rights of its own: every request reads only what the owner may see
    at that moment. Only the SHA-256 of the secret is kept (as for push tokens), so the
    secret is shown once, when it is made.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=120)
    token_hash = models.CharField(max_length=64, unique=True)
    # The first characters of the secret, so people can tell their tokens apart.
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    history = AuditTrail(excluded_fields=["token_hash"])

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AuditPackKind(models.TextChoices):
    PDF = "pdf", "PDF"
    ZIP = "zip", "ZIP with the evidence files"


class AuditPackDownload(models.Model):
    """Who made a project's audit pack, when and in which form: the record itself is
    the log (it is never changed, so it keeps no history of its own)."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="audit_packs"
    )
    made_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    made_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=10, choices=AuditPackKind.choices)
    evidence_files = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-made_at", "-id"]

    def __str__(self) -> str:
        return f"Audit pack of {self.project} ({self.get_kind_display()})"
