"""Every write to control libraries and to the version of each framework a project
follows. History rows are written by django-simple-history (``AuditTrail``)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from controls.library_file import LibraryError, LibraryFile, read
from controls.models import NEWEST_FIRST, Control, ControlLibrary, ProjectLibrary
from projects.models import ChecklistTemplate, Framework, Project

if TYPE_CHECKING:
    from portal.models import User

# The libraries Runway ships, one file per framework and version.
SHIPPED = Path(__file__).resolve().parent / "libraries"


def shipped_files() -> list[Path]:
    return sorted(SHIPPED.glob("*.yaml"))


def library_import(
    name: str, text: str, *, by: User | None = None
) -> tuple[ControlLibrary, bool]:
    """Import one library file; (the library, whether it is new).

    The same file imported again changes nothing. A different file under a version
    already imported is refused: a library is never edited in place, a change is a
    new version. Projects under the framework that follow no version yet are pinned
    to the version that was newest before this one (or to this one if it is the
    first), so an import never moves a project by itself.
    """
    parsed = read(name, text)
    spec = parsed.spec
    if not Framework.objects.filter(code=spec.framework).exists():
        known = ", ".join(
            Framework.objects.order_by("code").values_list("code", flat=True)
        )
        raise LibraryError(
            f"{name}, line {parsed.framework_line}: framework {spec.framework!r} is "
            "not one Runway knows "
            f"(known: {known})"
        )
    digest = hashlib.sha256(spec.model_dump_json().encode()).hexdigest()
    templates = _templates_of(parsed)
    with transaction.atomic():
        # One import of a framework at a time: two uploads of one new version, or an
        # upload beside a project joining the framework, wait for each other.
        framework = Framework.objects.select_for_update().get(code=spec.framework)
        existing = ControlLibrary.objects.filter(
            framework=framework, version=spec.version
        ).first()
        if existing is not None:
            if existing.digest == digest:
                return existing, False
            raise LibraryError(
                f"{name}: {framework.name} version {spec.version} is already imported "
                f"with different content (from {existing.file_name}); a changed "
                "library needs a new version"
            )
        previous = newest_library(framework)
        library = ControlLibrary.objects.create(
            framework=framework,
            version=spec.version,
            released=spec.released,
            title=spec.title,
            source=spec.source,
            file_name=name,
            digest=digest,
            imported_by=by,
        )
        controls = Control.objects.bulk_create(
            Control(
                library=library,
                ref=c.ref,
                group=c.group,
                title=c.title,
                description=c.description,
                evidence_required=c.evidence,
                order=index,
            )
            for index, c in enumerate(spec.controls)
        )
        Control.templates.through.objects.bulk_create(
            Control.templates.through(
                control_id=control.pk, checklisttemplate_id=templates[key]
            )
            for control, c in zip(controls, spec.controls, strict=True)
            for key in dict.fromkeys(c.items)
        )
        pin_unpinned(framework, previous or library)
    return library, True


def import_shipped(*, by: User | None = None) -> list[tuple[ControlLibrary, bool]]:
    """Import every library Runway ships (what ``import_controls`` does by default)."""
    return [
        library_import(path.name, path.read_text(encoding="utf-8"), by=by)
        for path in shipped_files()
    ]


def _templates_of(parsed: LibraryFile) -> dict[str, int]:
    """Catalog key → template id for every key the file names; an unknown key is an
    error naming the control's line."""
    keys = {key for c in parsed.spec.controls for key in c.items}
    found = dict(
        ChecklistTemplate.objects.filter(key__in=keys).values_list("key", "pk")
    )
    for index, control in enumerate(parsed.spec.controls):
        for key in control.items:
            if key not in found:
                raise LibraryError(
                    f"{parsed.where(index)}: control {control.ref} names checklist "
                    f"item {key!r}, which is not in the catalog"
                )
    return found


def newest_library(framework: Framework) -> ControlLibrary | None:
    return (
        ControlLibrary.objects.filter(framework=framework)
        .order_by(*NEWEST_FIRST)
        .first()
    )


def pin_unpinned(framework: Framework, library: ControlLibrary) -> None:
    """Pin the projects under ``framework`` that follow no version of it to ``library``."""
    projects = Project.objects.filter(frameworks=framework).exclude(
        control_libraries__framework=framework
    )
    bulk_create_with_history(
        [
            ProjectLibrary(project=p, framework=framework, library=library)
            for p in projects
        ],
        ProjectLibrary,
    )


def pin_project(project: Project) -> None:
    """Keep the project's pins in step with its frameworks: a framework it joined is
    followed in its newest version, one it left is no longer followed."""
    frameworks = set(project.frameworks.values_list("pk", flat=True))
    for pin in ProjectLibrary.objects.filter(project=project).exclude(
        framework_id__in=frameworks
    ):
        pin.delete()  # one by one: each leaves its row in the audit trail
    pinned = set(project.control_libraries.values_list("framework_id", flat=True))
    for framework in Framework.objects.filter(pk__in=frameworks - pinned):
        library = newest_library(framework)
        if library is not None:
            ProjectLibrary.objects.get_or_create(
                project=project, framework=framework, defaults={"library": library}
            )


def library_adopt(
    project: Project, library: ControlLibrary, *, by: User
) -> ProjectLibrary:
    """Move the project to another version of one of its frameworks (its owner's choice)."""
    if not project.frameworks.filter(pk=library.framework_id).exists():
        raise ValidationError(
            f"{project.name} is not under {library.framework.name}; add the framework "
            "in the project's settings first."
        )
    with transaction.atomic():
        adoption, _ = ProjectLibrary.objects.select_for_update().get_or_create(
            project=project,
            framework_id=library.framework_id,
            defaults={"library": library, "chosen_by": by},
        )
        if adoption.library_id != library.pk:
            adoption.library = library
            adoption.chosen_by = by
            adoption.save()
    return adoption
