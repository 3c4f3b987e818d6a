"""The risks part of a project's activity: the register, acceptances above the
threshold and the EU AI Act tier, read from their audit trail and told as sentences.

A fixed handful of queries whatever the number of rows: each kind is read once, its
newest ``WINDOW`` rows, with the people and the linked items it names.
"""

from __future__ import annotations

from typing import Any

from projects.activity import WINDOW, ActivityEntry, history_pairs, newest, person
from projects.models import AiActTier, ChecklistItem, Project
from risks.models import (
    AcceptanceStatus,
    AiActAssessment,
    AiActTierChange,
    Risk,
    RiskAcceptance,
    RiskStatus,
    Treatment,
)
from risks.scoring import needs_executive
from risks.services import acceptance_threshold

# simple_history keeps each risk row's mitigations, as they were then, in its own
# table; this is the reverse accessor from a history row to them.
MITIGATIONS_THEN = "historicalrisk_mitigations_set"
# Told in sentences of their own, or not worth telling.
_TOLD_APART = {
    "title",
    "owner",
    "inherent_likelihood",
    "inherent_impact",
    "residual_likelihood",
    "residual_impact",
    "treatment",
    "status",
    "project",
    "source",
    "created_at",
    "updated_at",
}


def _score(likelihood: int, impact: int) -> str:
    return f"{likelihood} × {impact} = {likelihood * impact}"


def _tier(value: str) -> str:
    return AiActTier(value).label if value else "not assessed"


def _status_text(row: Any, prev: Any, title: str) -> str | None:
    if prev.status == RiskStatus.SUGGESTED:
        if row.status == RiskStatus.DISMISSED:
            return f"dismissed the suggestion {title}"
        owner = f", owned by {person(row.owner, 'someone')}" if row.owner_id else ""
        return f"accepted the suggestion {title} into the register{owner}"
    if row.status == RiskStatus.OPEN:
        return f"reopened {title}"
    if row.status == RiskStatus.MITIGATED:
        return f"marked {title} mitigated"
    if row.status == RiskStatus.CLOSED:
        return f"closed {title}"
    if row.status == RiskStatus.ACCEPTED:
        # At or above the threshold only an executive's approval accepts a risk,
        # and that approval is told with its expiry and comment.
        if needs_executive(
            row.residual_likelihood * row.residual_impact, acceptance_threshold()
        ):
            return None
        return f"accepted {title}"
    return f"set {title} to {RiskStatus(row.status).label.lower()}"


def _risk_texts(row: Any, prev: Any | None) -> list[str]:
    """What a history row of a risk says happened, compared with the row before."""
    title = f"“{row.title}”"
    if row.history_type == "+":
        # Suggestions are Runway's own, dozens at a time: the owner's answer to
        # each one is the news, not the suggestion.
        return [] if row.status == RiskStatus.SUGGESTED else [f"added {title}"]
    if row.history_type == "-":
        return [f"removed {title} from the register"]
    if prev is None:
        return []
    if row.status != prev.status:
        text = _status_text(row, prev, title)
        if prev.status == RiskStatus.SUGGESTED:
            # Accepting or dismissing a suggestion changes nothing else.
            return [text] if text else []
        texts = [text] if text else []
    else:
        texts = []
    if row.title != prev.title:
        texts.append(f"renamed “{prev.title}” to {title}")
    for kind in ("inherent", "residual"):
        now = (getattr(row, f"{kind}_likelihood"), getattr(row, f"{kind}_impact"))
        before = (getattr(prev, f"{kind}_likelihood"), getattr(prev, f"{kind}_impact"))
        if now != before:
            texts.append(
                f"judged the {kind} score of {title} {_score(*now)} "
                f"(was {_score(*before)})"
            )
    if row.treatment != prev.treatment and not (
        row.status == RiskStatus.ACCEPTED and row.treatment == Treatment.ACCEPT
    ):
        label = Treatment(row.treatment).label.lower()
        texts.append(f"set the treatment of {title} to {label}")
    if row.owner_id != prev.owner_id:
        texts.append(
            f"made {person(row.owner, 'a former user')} the owner of {title}"
            if row.owner_id
            else f"left {title} without an owner"
        )
    changed = [
        str(f.verbose_name)
        for f in Risk._meta.concrete_fields
        if f.name not in _TOLD_APART
        and getattr(row, f.attname, None) != getattr(prev, f.attname, None)
    ]
    if changed:
        texts.append(f"changed the {', '.join(changed)} of {title}")
    return texts


def _mitigation_texts(row: Any, prev: Any | None, items: dict[int, str]) -> list[str]:
    """Checklist items linked to or unlinked from a risk between two history rows."""
    # A suggestion's links are written in bulk, without history: its first rows
    # hold none, so comparing with them would report links nobody made.
    if prev is None or row.history_type != "~" or prev.status == RiskStatus.SUGGESTED:
        return []
    now = {link.checklistitem_id for link in getattr(row, MITIGATIONS_THEN).all()}
    before = {link.checklistitem_id for link in getattr(prev, MITIGATIONS_THEN).all()}
    texts = []
    for verb, place, ids in (
        ("linked", "to", now - before),
        ("unlinked", "from", before - now),
    ):
        if ids:
            names = ", ".join(
                sorted(f"“{items.get(i, 'a removed item')}”" for i in ids)
            )
            noun = "mitigation" if len(ids) == 1 else "mitigations"
            texts.append(f"{verb} the {noun} {names} {place} “{row.title}”")
    return texts


def _acceptance_entry(row: Any, prev: Any | None) -> ActivityEntry | None:
    title = f"“{row.risk.title}”"
    until = f"{row.expires_on:%Y-%m-%d}"
    comment = f": “{row.comment}”" if row.comment else ""
    if row.history_type == "+":
        who = row.requested_by or row.history_user
        text = f"asked for the acceptance of {title} until {until}: {row.reason}"
    elif prev is None or row.status == prev.status:
        return None
    elif row.status == AcceptanceStatus.APPROVED:
        who = row.decided_by or row.history_user
        text = f"approved the acceptance of {title} until {until}{comment}"
    elif row.status == AcceptanceStatus.REJECTED:
        who = row.decided_by or row.history_user
        text = f"rejected the acceptance of {title}{comment}"
    elif row.status == AcceptanceStatus.EXPIRED:
        who = row.history_user
        text = f"ended the acceptance of {title}, which expired on {until}"
    elif row.status == AcceptanceStatus.WITHDRAWN:
        who = row.history_user or row.requested_by
        text = f"withdrew the request to accept {title}"
    else:
        return None
    return ActivityEntry(row.history_date, person(who), text, None)


def risks_activity(project: Project) -> list[ActivityEntry]:
    """Changes to the project's risk register, its acceptances and its EU AI Act tier,
    newest first (a bounded window of each kind)."""
    entries: list[ActivityEntry] = []

    risk_rows = newest(
        Risk.history.filter(project_id=project.pk)
        .select_related("history_user", "owner")
        .prefetch_related(MITIGATIONS_THEN)
    )
    # Named from the items themselves: a renamed item reads as it is called now.
    items: dict[int, str] = dict(
        ChecklistItem.objects.filter(project=project).values_list("id", "title")
    )
    for row, prev in history_pairs(risk_rows):
        who = person(row.history_user)
        for text in _risk_texts(row, prev) + _mitigation_texts(row, prev, items):
            entries.append(ActivityEntry(row.history_date, who, text, None))

    acceptance_rows = newest(
        RiskAcceptance.history.filter(risk__project_id=project.pk).select_related(
            "risk", "history_user", "requested_by", "decided_by"
        )
    )
    for row, prev in history_pairs(acceptance_rows):
        entry = _acceptance_entry(row, prev)
        if entry is not None:
            entries.append(entry)

    for row, prev in history_pairs(
        newest(
            AiActAssessment.history.filter(project_id=project.pk).select_related(
                "history_user", "answered_by"
            )
        )
    ):
        who = person(row.answered_by or row.history_user)
        if row.history_type == "+":
            text = f"answered the EU AI Act questionnaire ({_tier(row.tier)})"
        elif prev is not None and row.tier == prev.tier and row.answers != prev.answers:
            # A change of tier is told by its AiActTierChange, with the reason.
            text = f"revised the EU AI Act answers (still {_tier(row.tier)})"
        else:
            continue
        entries.append(ActivityEntry(row.history_date, who, text, None))

    for change in (
        AiActTierChange.objects.filter(project=project)
        .exclude(from_tier="")  # the first answers, told above
        .select_related("changed_by")
        .order_by("-changed_at", "-id")[:WINDOW]
    ):
        entries.append(
            ActivityEntry(
                change.changed_at,
                person(change.changed_by),
                f"changed the EU AI Act tier from {_tier(change.from_tier)} to "
                f"{_tier(change.to_tier)}"
                + (f": {change.reason}" if change.reason else ""),
                None,
            )
        )

    entries.sort(key=lambda e: e.when, reverse=True)
    return entries
