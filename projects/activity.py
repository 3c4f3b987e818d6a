"""A project's activity, read from the audit trail and told as sentences.

History rows are the single record of change; this module only reads them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model

from projects.models import (
    ChecklistItem,
    Evidence,
    Framework,
    ItemState,
    Membership,
    Project,
    ProjectRole,
    ProjectStep,
    SignOff,
    Step,
)

# How many of the most recent rows of each kind are read: enough for a long page.
WINDOW = 400
# simple_history keeps each project row's frameworks, as they were then, in its
# own table; this is the reverse accessor from a history row to them.
FRAMEWORKS_THEN = "historicalproject_frameworks_set"


@dataclass(frozen=True)
class ActivityEntry:
    when: datetime
    who: str
    text: str
    step: int | None


def person(user: Any, fallback: str = "Runway") -> str:
    """How an entry names who did it: Runway itself when nobody is named."""
    return getattr(user, "display_name", None) or fallback


def newest(history: Any) -> list[Any]:
    """The newest ``WINDOW`` rows of a history queryset, oldest first, so that each
    row can be compared with the one before (``history_pairs``)."""
    rows = list(history.order_by("-history_date", "-history_id")[:WINDOW])
    rows.reverse()
    return rows


def _rows(model: Any, *prefetch: str, **filters: Any) -> list[Any]:
    return newest(
        model.history.filter(**filters)
        .select_related("history_user")
        .prefetch_related(*prefetch)
    )


def history_pairs(rows: list[Any]) -> list[tuple[Any, Any | None]]:
    """Each history row with the previous row of the same object (or None)."""
    last: dict[int, Any] = {}
    pairs = []
    for row in rows:
        pairs.append((row, last.get(row.id)))
        last[row.id] = row
    return pairs


def _item_text(row: Any, prev: Any | None) -> str | None:
    title = f"“{row.title}”"
    if row.history_type == "+":
        return f"added {title}" if row.template_id is None else None
    if row.history_type == "-":
        return f"removed {title}"
    if prev is None:
        return f"updated {title}"
    if row.state != prev.state:
        if row.state == ItemState.DONE:
            return f"ticked {title}"
        if row.state == ItemState.NOT_APPLICABLE:
            return f"marked {title} not applicable: {row.na_justification}"
        return f"reopened {title}"
    if row.assignee_id != prev.assignee_id:
        return f"assigned {title}" if row.assignee_id else f"unassigned {title}"
    if row.due_date != prev.due_date:
        return f"set the due date of {title} to {row.due_date or 'none'}"
    if row.notes != prev.notes:
        return f"edited the notes of {title}"
    if row.applicable != prev.applicable:
        return f"{title} {'applies again' if row.applicable else 'no longer applies'}"
    return None


def _step_text(row: Any, prev: Any | None, names: dict[int, int]) -> str | None:
    name = f"step {names.get(row.step_id, '?')}"
    if row.history_type != "~" or prev is None:
        return None
    if row.status != prev.status:
        if row.status == "done":
            return f"marked {name} done"
        if prev.status == "done":
            return f"reopened {name}: {row.reopen_reason}"
        if row.status == "blocked":
            return f"marked {name} blocked: {row.blocked_reason}"
        return f"set {name} to {row.get_status_display().lower()}"
    if row.owner_id != prev.owner_id:
        return f"changed the owner of {name}"
    if row.due_date != prev.due_date:
        return f"set the due date of {name} to {row.due_date or 'none'}"
    return None


def _signoff_text(row: Any, prev: Any | None, users: dict[int, str]) -> str | None:
    signer = users.get(row.signer_id, "someone")
    role = ProjectRole(row.role).label.lower()
    if row.history_type == "+":
        return f"asked {signer} for a {role} sign-off"
    if prev is not None and row.status != prev.status:
        if row.status == "approved":
            return f"approved the {role} sign-off" + (
                f": “{row.comment}”" if row.comment else ""
            )
        if row.status == "rejected":
            return f"rejected the {role} sign-off: “{row.comment}”"
        if row.status == "invalidated":
            return f"invalidated {signer}'s {role} sign-off ({row.invalidated_reason})"
    return None


def _project_texts(row: Any, prev: Any, framework_names: dict[int, str]) -> list[str]:
    """What changed on the project itself between two history rows."""
    texts = []
    if row.archived_at != prev.archived_at:
        texts.append(
            "archived the project" if row.archived_at else "restored the project"
        )
    changed = [
        str(f.verbose_name)
        for f in Project._meta.fields
        if f.attname not in {"updated_at", "archived_at"}
        and getattr(row, f.attname, None) != getattr(prev, f.attname, None)
    ]
    if changed:
        texts.append("changed the project's " + ", ".join(changed))
    # Frameworks are many-to-many: each row holds the set as it was then.
    now = {f.framework_id for f in getattr(row, FRAMEWORKS_THEN).all()}
    before = {f.framework_id for f in getattr(prev, FRAMEWORKS_THEN).all()}
    for verb, ids in (("added", now - before), ("removed", before - now)):
        if ids:
            names = ", ".join(sorted(framework_names.get(i, "?") for i in ids))
            place = "to" if verb == "added" else "from"
            texts.append(f"{verb} {names} {place} the project's frameworks")
    return texts


def project_activity(
    project: Project, *, step: int | None = None
) -> list[ActivityEntry]:
    """Readable activity of one project, newest first, optionally for one step."""
    step_numbers = dict(Step.objects.values_list("id", "number"))
    entries: list[ActivityEntry] = []

    def add(row: Any, text: str | None, step_id: int | None) -> None:
        if text:
            entries.append(
                ActivityEntry(
                    row.history_date,
                    person(row.history_user),
                    text,
                    step_numbers.get(step_id) if step_id else None,
                )
            )

    framework_names = dict(Framework.objects.values_list("id", "name"))
    for row, prev in history_pairs(_rows(Project, FRAMEWORKS_THEN, id=project.pk)):
        if row.history_type == "+":
            add(row, f"created the project {row.name}", None)
        elif prev is not None:
            for text in _project_texts(row, prev, framework_names):
                add(row, text, None)
    membership_rows = _rows(Membership, project_id=project.pk)
    signoff_rows = _rows(SignOff, project_id=project.pk)
    # Named from the user table, not the current members: people who have been
    # removed since are still named in what they did and what was done to them.
    users = {
        user.pk: user.display_name
        for user in get_user_model().objects.filter(
            pk__in={row.user_id for row in membership_rows}
            | {row.signer_id for row in signoff_rows}
        )
    }
    for row, _prev in history_pairs(membership_rows):
        who = users.get(row.user_id, "a former member")
        role = ProjectRole(row.role).label.lower()
        text = {
            "+": f"added {who} as {role}",
            "-": f"removed {who}",
            "~": f"made {who} {role}",
        }[row.history_type]
        add(row, text, None)
    for row, prev in history_pairs(_rows(ProjectStep, project_id=project.pk)):
        add(row, _step_text(row, prev, step_numbers), row.step_id)
    for row, prev in history_pairs(_rows(ChecklistItem, project_id=project.pk)):
        add(row, _item_text(row, prev), row.step_id)
    item_steps: dict[int, int] = dict(
        ChecklistItem.objects.filter(project=project).values_list("id", "step_id")
    )
    titles: dict[int, str] = dict(
        ChecklistItem.objects.filter(project=project).values_list("id", "title")
    )
    for row, _prev in history_pairs(_rows(Evidence, item_id__in=list(item_steps))):
        label = row.original_name or row.url
        title = titles.get(row.item_id, "an item")
        evidence_text: str | None = {
            "+": f"attached {label} to “{title}”",
            "-": f"removed evidence {label} from “{title}”",
        }.get(row.history_type)
        add(row, evidence_text, item_steps.get(row.item_id))
    signers = defaultdict(lambda: "someone", users)
    for row, prev in history_pairs(signoff_rows):
        add(row, _signoff_text(row, prev, signers), row.step_id)

    for source in _sources:
        entries.extend(source(project))
    if step is not None:
        entries = [e for e in entries if e.step == step]
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries


# Other apps tell their part of a project's story (requirements, assessments...)
# through sources registered in their AppConfig.ready().
ActivitySource = Callable[[Project], list[ActivityEntry]]
_sources: list[ActivitySource] = []


def register_source(source: ActivitySource) -> None:
    if source not in _sources:
        _sources.append(source)
