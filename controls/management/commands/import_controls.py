"""Import control libraries: the ones Runway ships, or the files named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from controls.library_file import LibraryError
from controls.services import library_import, shipped_files


class Command(BaseCommand):
    help = (
        "Import control libraries (YAML, one framework and version per file). Without "
        "arguments, imports every library in controls/libraries. Importing a file "
        "again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        files: list[Path] = options["files"] or shipped_files()
        # All or nothing: a broken file stops the run with none of them imported.
        with transaction.atomic():
            self._import(files)

    def _import(self, files: list[Path]) -> None:
        for path in files:
            try:
                text = path.read_text(encoding="utf-8")
                library, created = library_import(path.name, text)
            except (OSError, UnicodeDecodeError, LibraryError) as error:
                raise CommandError(str(error)) from error
            verb = "imported" if created else "already imported, unchanged"
            self.stdout.write(f"{library.framework.name} {library.version}: {verb}")
