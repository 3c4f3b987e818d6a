"""Re-encrypt every stored credential under the newest FIELD_ENCRYPTION_KEYS key.

Rotation: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it),
deploy, run this command, then drop the old keys.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from metrics.fields import rotate
from metrics.models import ConnectedService


class Command(BaseCommand):
    help = "Re-encrypt stored credentials under the newest FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args: Any, **options: Any) -> None:
        table = connection.ops.quote_name(ConnectedService._meta.db_table)
        count = 0
        with transaction.atomic(), connection.cursor() as cursor:
            # The raw column: the field itself would hand back decrypted values.
            cursor.execute(
                f"SELECT id, credentials FROM {table} WHERE credentials <> ''"
            )  # noqa: S608
            for pk, token in cursor.fetchall():
                cursor.execute(
                    f"UPDATE {table} SET credentials = %s WHERE id = %s",
                    [rotate(token), pk],
                )  # noqa: S608
                count += 1
        self.stdout.write(f"Re-encrypted the credentials of {count} service(s).")
