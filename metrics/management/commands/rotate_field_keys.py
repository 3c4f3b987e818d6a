"""Re-encrypt every stored credential under the newest FIELD_ENCRYPTION_KEYS key.

Rotation: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it),
deploy, run this command, then drop the old keys.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from metrics.models import ConnectedService


class Command(BaseCommand):
    help = "Re-encrypt stored credentials under the newest FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with transaction.atomic():
            # The field decrypts what it reads with whichever key fits, and encrypts
            # what it writes with the newest: writing each value back re-encrypts it.
            # The rows stay locked, so a credential replaced meanwhile is not undone.
            stored = (
                ConnectedService.objects.select_for_update()
                .exclude(credentials="")
                .values_list("pk", "credentials")
            )
            for pk, credentials in stored:
                ConnectedService.objects.filter(pk=pk).update(credentials=credentials)
                count += 1
        self.stdout.write(f"Re-encrypted the credentials of {count} service(s).")
