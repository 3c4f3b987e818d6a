"""Pure rules about steps and checklists: applicability, progress, current step, flags."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime, timedelta

LAUNCHED = 8  # the "current step" of a project whose seven steps are all done

CLASSIFICATION_ORDER = ["public", "internal", "confidential", "regulated"]


def template_applies(
    *,
    template_frameworks: Collection[str],
    min_classification: str,
    project_frameworks: Collection[str],
    project_classification: str,
    template_ai_act_tiers: Collection[str] = (),
    project_ai_act_tier: str = "",
) -> bool:
    """A catalog item applies when the project is under one of its frameworks (if it
    names any) and the project's data is at least as sensitive as it asks.

    An item tied to EU AI Act tiers (``template_ai_act_tiers``) follows the project's
    assessed tier instead of its frameworks: once the questionnaire is answered it
    applies exactly when the tier is one of them (the Act decides, whatever the
    framework scope). Until then it applies only through the frameworks it names, so
    an item tied to tiers alone waits for the assessment."""
    if template_ai_act_tiers and project_ai_act_tier:
        if project_ai_act_tier not in template_ai_act_tiers:
            return False
    else:
        waits_for_tier = bool(template_ai_act_tiers) and not template_frameworks
        outside_frameworks = bool(template_frameworks) and not set(
            template_frameworks
        ) & set(project_frameworks)
        if waits_for_tier or outside_frameworks:
            return False
    if min_classification:
        return CLASSIFICATION_ORDER.index(
            project_classification
        ) >= CLASSIFICATION_ORDER.index(min_classification)
    return True


def current_step_number(statuses: Mapping[int, str]) -> int | None:
    """The lowest-numbered step not done; None once all seven are done (launched)."""
    for number in sorted(statuses):
        if statuses[number] != "done":
            return number
    return None


# What a step after the current one is called when work on it has begun early: it is
# not "In progress", which names the current step (domain.md: the current step is
# derived, the lowest step not done).
WORK_AHEAD_LABEL = "Work started"


def step_status_label(
    *, status: str, label: str, number: int, current: int | None
) -> str:
    """The word a step's status is shown with; ``label`` is the status's own."""
    if status == "in_progress" and current is not None and number > current:
        return WORK_AHEAD_LABEL
    return label


def percent(done: int, total: int) -> int:
    return round(100 * done / total) if total else 0


def is_overdue(*, due: date | None, status: str, today: date) -> bool:
    return due is not None and status != "done" and due < today


def is_stalled(
    *,
    last_activity: datetime | None,
    started: datetime | None,
    now: datetime,
    days: int,
) -> bool:
    """No activity in the current step for ``days`` days."""
    anchor = last_activity or started
    return anchor is not None and now - anchor > timedelta(days=days)
