"""The controls part of a project's activity: which version of each framework's
library it follows, and who moved it, read from the audit trail."""

from __future__ import annotations

from controls.models import ControlLibrary, ProjectLibrary
from projects.activity import ActivityEntry, history_pairs, newest, person
from projects.models import Project


def controls_activity(project: Project) -> list[ActivityEntry]:
    rows = newest(
        ProjectLibrary.history.filter(project_id=project.pk).select_related(
            "history_user"
        )
    )
    libraries = {
        library.pk: library
        for library in ControlLibrary.objects.filter(
            pk__in={row.library_id for row in rows}
        ).select_related("framework")
    }
    entries = []
    for row, prev in history_pairs(rows):
        library = libraries.get(row.library_id)
        if library is None or row.history_type == "-":
            continue
        name = f"{library.framework.name} {library.version}"
        if row.history_type == "+":
            text = f"started following {name}"
        elif prev is not None and prev.library_id != row.library_id:
            text = f"moved the project to {name}"
        else:
            continue
        entries.append(
            ActivityEntry(row.history_date, person(row.history_user), text, None)
        )
    return entries
