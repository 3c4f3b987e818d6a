"""A text field encrypted at rest with MultiFernet, keys from FIELD_ENCRYPTION_KEYS.

The keys are separate from SECRET_KEY so that rotating one never locks out the other.
Values are decrypted only when read in Python; the column holds Fernet tokens.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

# Development only: lets `make run` store credentials without any set-up. Settings
# refuse to start without real keys outside development.
DEVELOPMENT_KEY = "cnVud2F5LWRldmVsb3BtZW50LW9ubHkta2V5LTMyYiE="


def fernet() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEYS or (
        [DEVELOPMENT_KEY] if settings.IS_DEVELOPMENT else []
    )
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored credential cannot be decrypted with FIELD_ENCRYPTION_KEYS; "
            "was a key removed before `manage.py rotate_field_keys` ran?"
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt a token under the newest key."""
    return fernet().rotate(token.encode()).decode()


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Stores ``encrypt(value)``; gives back the plain value. Not searchable, by design."""

    def from_db_value(
        self, value: str | None, expression: Any, connection: Any
    ) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return value if value in (None, "") else encrypt(str(value))
