"""The assessments part of a project's activity: versions, approvals, assessments, decisions."""

from __future__ import annotations

from assessments.models import (
    CostScenario,
    GapAssessment,
    PartnerScoring,
    RequirementsDocument,
    RequirementsVersion,
)
from projects.activity import WINDOW, ActivityEntry, person
from projects.models import Project


def assessments_activity(project: Project) -> list[ActivityEntry]:
    """Entries for steps 1 and 2 and the PM's decisions, newest first (a bounded window)."""
    entries = [
        ActivityEntry(
            v.created_at,
            person(v.author),
            f"saved requirements version {v.number}"
            + (f": {v.change_note}" if v.change_note else ""),
            1,
        )
        for v in RequirementsVersion.objects.filter(document__project=project)
        .select_related("author")
        .order_by("-created_at")[:WINDOW]
    ]
    approvals = (
        RequirementsDocument.history.filter(
            project_id=project.pk, approved_version__isnull=False
        )
        .select_related("history_user", "approved_by")
        .order_by("history_date")[:WINDOW]
    )
    numbers = dict(
        RequirementsVersion.objects.filter(document__project=project).values_list(
            "pk", "number"
        )
    )
    previous = None
    for row in approvals:
        if row.approved_version_id != previous:
            entries.append(
                ActivityEntry(
                    row.history_date,
                    person(row.approved_by or row.history_user),
                    f"approved requirements version {numbers.get(row.approved_version_id, '?')}",
                    1,
                )
            )
        previous = row.approved_version_id
    entries += [
        ActivityEntry(
            a.created_at,
            person(a.assessor),
            f"recorded a gap assessment ({a.overall_readiness}% ready)",
            2,
        )
        for a in GapAssessment.objects.filter(project=project).select_related(
            "assessor"
        )[:WINDOW]
    ]
    entries += [
        ActivityEntry(
            s.created_at,
            person(s.author),
            f"scored build vs partner: {s.outcome.capitalize()}",
            None,
        )
        for s in PartnerScoring.objects.filter(project=project).select_related(
            "author"
        )[:WINDOW]
    ]
    entries += [
        ActivityEntry(
            c.created_at, person(c.author), f"saved the cost scenario “{c.name}”", None
        )
        for c in CostScenario.objects.filter(project=project).select_related("author")[
            :WINDOW
        ]
    ]
    return entries
