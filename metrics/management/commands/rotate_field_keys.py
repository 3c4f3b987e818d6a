"""Re-encrypt every stored credential under the newest FIELD_ENCRYPTION_KEYS key.

Every encrypted column of every model is covered (a connected service's credentials, a
notification channel's address and signing secret, ...), found by its field type.

Rotation: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it),
deploy, run this command, then drop the old keys.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import models, transaction

from metrics.fields import EncryptedTextField


def encrypted_columns() -> list[tuple[type[models.Model], list[str]]]:
    """Each model with encrypted fields, and their names."""
    found = []
    for model in apps.get_models():
        names = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, EncryptedTextField)
        ]
        if names:
            found.append((model, names))
    return found


class Command(BaseCommand):
    help = "Re-encrypt stored credentials under the newest FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args: Any, **options: Any) -> None:
        counts: list[str] = []
        with transaction.atomic():
            # The field decrypts what it reads with whichever key fits, and encrypts
            # what it writes with the newest: writing each value back re-encrypts it.
            # The rows stay locked, so a credential replaced meanwhile is not undone.
            for model, names in encrypted_columns():
                count = 0
                manager = model._base_manager  # every row, whatever a manager hides
                stored = manager.select_for_update().values_list("pk", *names)
                for pk, *values in stored:
                    changed = {
                        name: value
                        for name, value in zip(names, values, strict=True)
                        if value not in (None, "")
                    }
                    if changed:
                        manager.filter(pk=pk).update(**changed)
                        count += 1
                counts.append(f"{count} {model._meta.label}")
        self.stdout.write("Re-encrypted the credentials of " + ", ".join(counts) + ".")
