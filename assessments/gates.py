"""Gate checks that steps 1 and 2 need from this app, registered into projects' gates."""

from __future__ import annotations

from assessments.models import GapAssessment, RequirementsDocument
from assessments.requirements import missing_targets
from assessments.selectors import version_values
from projects.gates import CheckResult
from projects.models import Project


def requirements_approved(project: Project, step_number: int) -> CheckResult:
    name = "Requirements approved"
    document = (
        RequirementsDocument.objects.select_related("approved_version")
        .filter(project=project)
        .first()
    )
    if document is None or document.approved_version is None:
        return CheckResult(
            name, False, "The owner has not approved a requirements version yet."
        )
    version = document.approved_version
    missing = missing_targets(version_values(version))
    if missing:
        return CheckResult(
            name,
            False,
            f"Version {version.number} is approved but leaves empty: {', '.join(missing)}.",
        )
    return CheckResult(
        name, True, f"Version {version.number} is approved with every target filled in."
    )


def gaps_owned(project: Project, step_number: int) -> CheckResult:
    name = "Gap assessment recorded"
    latest = GapAssessment.objects.filter(project=project).first()
    if latest is None:
        return CheckResult(name, False, "No gap assessment has been recorded yet.")
    scores = list(latest.scores.select_related("criterion", "checklist_item"))
    unowned = [
        score.criterion.name
        for score in scores
        if score.is_gap
        and (score.checklist_item is None or score.checklist_item.assignee_id is None)
    ]
    # A criterion not assessed yet makes no gap, so it cannot hold the gate; it is
    # named so that passing does not read as "everything was looked at".
    skipped = sum(1 for score in scores if score.not_assessed)
    aside = (
        f" {skipped} criteri{'on' if skipped == 1 else 'a'} not assessed yet."
        if skipped
        else ""
    )
    if unowned:
        shown = "; ".join(unowned[:5]) + (
            f" and {len(unowned) - 5} more" if len(unowned) > 5 else ""
        )
        return CheckResult(
            name, False, f"{len(unowned)} gap(s) have no owner yet: {shown}."
        )
    return CheckResult(
        name,
        True,
        f"Assessed on {latest.created_at:%Y-%m-%d}; every gap has an owner.{aside}",
    )
