"""Every write to risk registers, the risk library and risk acceptances. History rows
are written by django-simple-history (``AuditTrail``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from core import fragments
from projects.models import (
    ChecklistItem,
    ItemState,
    NotificationKind,
    Project,
    ProjectRole,
)
from projects.notifications import ChannelEventKind, announce, notify
from projects.progress import template_applies
from projects.roles import GlobalRole
from risks.models import (
    AcceptanceStatus,
    LibraryRisk,
    Risk,
    RiskAcceptance,
    RiskStatus,
    Treatment,
)
from risks.scoring import needs_executive

if TYPE_CHECKING:
    from portal.models import User

# What an owner may write on a risk of the register (the status has rules of its own).
RISK_FIELDS = (
    "title",
    "category",
    "cause",
    "consequence",
    "owner",
    "inherent_likelihood",
    "inherent_impact",
    "residual_likelihood",
    "residual_impact",
    "treatment",
    "review_date",
    "indicator",
)


def acceptance_threshold() -> int:
    threshold: int = settings.RUNWAY_RISK_ACCEPTANCE_THRESHOLD
    return threshold


def register_url(project: Project, risk: Risk | None = None) -> str:
    url = reverse("risks:register", kwargs={"slug": project.slug})
    return f"{url}#risk-{risk.pk}" if risk is not None else url


def acceptance_url(risk: Risk) -> str:
    """Where a risk's acceptances are asked for and decided."""
    return reverse(
        "risks:acceptance_request", kwargs={"slug": risk.project.slug, "pk": risk.pk}
    )


# --- Suggestions from the library ----------------------------------------------


def library_applies(
    entry: LibraryRisk, project: Project, project_frameworks: Iterable[str]
) -> bool:
    """The entry applies to the project's use case, frameworks (their codes) and data
    class (the same rule as checklist templates, plus the use case)."""
    if entry.use_cases and project.use_case not in entry.use_cases:
        return False
    return template_applies(
        template_frameworks=[f.code for f in entry.frameworks.all()],
        min_classification=entry.min_classification,
        project_frameworks=list(project_frameworks),
        project_classification=project.data_classification,
    )


@transaction.atomic
def risks_suggest(*, project: Project) -> list[Risk]:
    """Suggest each active library entry that applies to the project and is not in its
    register yet (a dismissed one stays dismissed), with its mitigations linked to the
    project's own checklist items. Run when a project is created and when its use
    case, data class or frameworks change."""
    already = set(
        Risk.objects.filter(project=project, source__isnull=False).values_list(
            "source_id", flat=True
        )
    )
    frameworks = set(project.frameworks.values_list("code", flat=True))
    entries = [
        entry
        for entry in LibraryRisk.objects.filter(active=True)
        .exclude(pk__in=already)
        .prefetch_related("frameworks", "mitigations")
        if library_applies(entry, project, frameworks)
    ]
    items_by_template = {
        item.template_id: item
        for item in ChecklistItem.objects.filter(
            project=project, template__isnull=False, applicable=True
        )
    }
    suggested = [
        Risk(
            project=project,
            source=entry,
            title=entry.title,
            category=entry.category,
            cause=entry.cause,
            consequence=entry.consequence,
            inherent_likelihood=entry.likelihood,
            inherent_impact=entry.impact,
            residual_likelihood=entry.likelihood,
            residual_impact=entry.impact,
            indicator=entry.indicator,
            status=RiskStatus.SUGGESTED,
        )
        for entry in entries
    ]
    if not suggested:
        return []
    # Dozens of suggestions come with every new project: written in three inserts
    # (the rows, their history, their links) instead of a save and a history row
    # and a link history per risk. The first edit of a link records its history.
    bulk_create_with_history(suggested, Risk)
    Risk.mitigations.through.objects.bulk_create(
        [
            Risk.mitigations.through(risk_id=risk.pk, checklistitem_id=item.pk)
            for risk, entry in zip(suggested, entries, strict=True)
            for template in entry.mitigations.all()
            if (item := items_by_template.get(template.pk)) is not None
        ]
    )
    fragments.data_changed(Risk, project_id=project.pk)  # bulk inserts send no signals
    return suggested


@transaction.atomic
def suggestion_accept(*, risk: Risk, owner: User | None) -> Risk:
    """Take a suggested risk into the register, owned by ``owner``."""
    if risk.status != RiskStatus.SUGGESTED:
        raise ValidationError(
            "Only a suggested risk can be accepted into the register."
        )
    risk.status = RiskStatus.OPEN
    risk.owner = owner
    risk.save()
    return risk


@transaction.atomic
def suggestion_dismiss(*, risk: Risk) -> Risk:
    """Turn a suggestion down: it is kept (and audited) but not suggested again."""
    if risk.status != RiskStatus.SUGGESTED:
        raise ValidationError("Only a suggested risk can be dismissed.")
    risk.status = RiskStatus.DISMISSED
    risk.save()
    return risk


# --- The register -----------------------------------------------------------------


def open_mitigations(risk: Risk) -> list[ChecklistItem]:
    """The linked items not done yet (an item marked not applicable counts as
    settled, with its justification)."""
    return [item for item in risk.mitigations.all() if item.state == ItemState.OPEN]


def _check_mitigations(project: Project, items: Iterable[ChecklistItem]) -> None:
    if any(item.project_id != project.pk for item in items):
        raise ValidationError("A mitigation must be a checklist item of this project.")


@transaction.atomic
def risk_create(
    *, project: Project, mitigations: Iterable[ChecklistItem] = (), **fields: Any
) -> Risk:
    """Add a risk of the project's own to its register (status open)."""
    items = list(mitigations)
    _check_mitigations(project, items)
    risk = Risk(project=project, status=RiskStatus.OPEN)
    _assign(risk, fields)
    risk.full_clean()
    risk.save()
    risk.mitigations.set(items)
    return risk


@transaction.atomic
def risk_update(
    *,
    risk: Risk,
    status: str | None = None,
    mitigations: Iterable[ChecklistItem] | None = None,
    **fields: Any,
) -> Risk:
    """Change what the owner judges about a risk. A risk is "mitigated" only while
    every mitigation is done; "accepted" above the threshold only through an
    executive's sign-off (``acceptance_request``)."""
    if risk.status in (RiskStatus.SUGGESTED, RiskStatus.DISMISSED):
        raise ValidationError("Accept the suggestion into the register first.")
    _assign(risk, fields)
    if mitigations is not None:
        items = list(mitigations)
        _check_mitigations(risk.project, items)
        risk.mitigations.set(items)
    if status is not None and status != risk.status:
        _check_status(risk, status)
        risk.status = status
    elif (
        risk.status == RiskStatus.ACCEPTED
        and needs_executive(risk.residual_score, acceptance_threshold())
        and not _acceptance_in_force(risk)
    ):
        # Raising the residual score over the threshold ends an owner's acceptance.
        risk.status = RiskStatus.OPEN
    risk.full_clean()
    risk.save()
    return risk


def _assign(risk: Risk, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(RISK_FIELDS)
    if unknown:
        raise TypeError(f"Not a risk field: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(risk, name, value)


def _check_status(risk: Risk, status: str) -> None:
    if status in (RiskStatus.SUGGESTED, RiskStatus.DISMISSED):
        raise ValidationError("A risk in the register cannot go back to a suggestion.")
    if status == RiskStatus.MITIGATED:
        if not risk.mitigations.exists():
            raise ValidationError(
                "Link the checklist items that treat this risk before calling it "
                "mitigated."
            )
        still_open = open_mitigations(risk)
        if still_open:
            raise ValidationError(
                "Not mitigated while its mitigations are open: "
                + "; ".join(item.title for item in still_open)
                + "."
            )
    if status == RiskStatus.ACCEPTED:
        if needs_executive(risk.residual_score, acceptance_threshold()):
            raise ValidationError(
                f"A residual score of {risk.residual_score} is at or above "
                f"{acceptance_threshold()}: accepting it needs an executive's "
                "sign-off. Ask for one below."
            )
        risk.treatment = Treatment.ACCEPT


def _acceptance_in_force(risk: Risk) -> bool:
    return risk.acceptances.filter(
        status=AcceptanceStatus.APPROVED, expires_on__gte=timezone.localdate()
    ).exists()


# --- Acceptance above the threshold --------------------------------------------


@transaction.atomic
def acceptance_request(
    *, risk: Risk, requested_by: User, reason: str, expires_on: date
) -> RiskAcceptance:
    """Ask the executives to accept a high residual risk until ``expires_on``."""
    if risk.status not in (RiskStatus.OPEN, RiskStatus.MITIGATED):
        raise ValidationError(
            "Only an open or mitigated risk can be put up for acceptance."
        )
    if not needs_executive(risk.residual_score, acceptance_threshold()):
        raise ValidationError(
            f"A residual score of {risk.residual_score} is below "
            f"{acceptance_threshold()}: the risk's owner accepts it by setting its "
            "status to accepted."
        )
    if not reason.strip():
        raise ValidationError("Say why the risk should be accepted.")
    if expires_on <= timezone.localdate():
        raise ValidationError("The acceptance must expire after today.")
    if risk.acceptances.filter(status=AcceptanceStatus.PENDING).exists():
        raise ValidationError(
            "An acceptance of this risk is already waiting for a decision."
        )
    acceptance = RiskAcceptance.objects.create(
        risk=risk,
        requested_by=requested_by,
        reason=reason.strip(),
        expires_on=expires_on,
    )
    executives = get_user_model().objects.filter(
        groups__name=GlobalRole.EXECUTIVE, is_active=True
    )
    for executive in executives:
        notify(
            user=executive,
            kind=NotificationKind.RISK_ACCEPTANCE_REQUESTED,
            message=f"{risk.project.name}: accept the risk “{risk.title}” "
            f"(residual {risk.residual_score}) until {expires_on:%Y-%m-%d}?",
            url=acceptance_url(risk),
            project=risk.project,
            actor=requested_by,
        )
    return acceptance


@transaction.atomic
def acceptance_decide(
    *, acceptance: RiskAcceptance, decided_by: User, approve: bool, comment: str = ""
) -> RiskAcceptance:
    """An executive accepts the risk until the expiry, or rejects the request (a
    rejection needs a comment)."""
    if acceptance.status != AcceptanceStatus.PENDING:
        raise ValidationError("This request has been decided already.")
    if not approve and not comment.strip():
        raise ValidationError("Say why the risk is not accepted.")
    acceptance.status = (
        AcceptanceStatus.APPROVED if approve else AcceptanceStatus.REJECTED
    )
    acceptance.decided_by = decided_by
    acceptance.decided_at = timezone.now()
    acceptance.comment = comment.strip()
    acceptance.save()
    risk = acceptance.risk
    if approve:
        risk.status = RiskStatus.ACCEPTED
        risk.treatment = Treatment.ACCEPT
        risk.save()
    if acceptance.requested_by is not None:
        notify(
            user=acceptance.requested_by,
            kind=NotificationKind.RISK_ACCEPTANCE_DECIDED,
            message=f"{risk.project.name}: the risk “{risk.title}” was "
            f"{'accepted until ' + f'{acceptance.expires_on:%Y-%m-%d}' if approve else 'not accepted'}.",
            url=acceptance_url(risk),
            project=risk.project,
            actor=decided_by,
        )
    return acceptance


@transaction.atomic
def acceptances_expire(*, today: date | None = None) -> int:
    """Acceptances past their expiry end: each risk opens again and its owner (else
    the project's owner) is told. Returns how many expired."""
    today = today or timezone.localdate()
    expired = list(
        # Lock the acceptances only: PostgreSQL locks no row on the nullable side of
        # an outer join (the risk's owner).
        RiskAcceptance.objects.select_for_update(of=("self",))
        .filter(status=AcceptanceStatus.APPROVED, expires_on__lt=today)
        .select_related("risk__project", "risk__owner")
    )
    for acceptance in expired:
        acceptance.status = AcceptanceStatus.EXPIRED
        acceptance.save()
        risk = acceptance.risk
        if risk.status == RiskStatus.ACCEPTED:
            risk.status = RiskStatus.OPEN
            risk.save()
        for person in _people_to_tell(risk):
            notify(
                user=person,
                kind=NotificationKind.RISK_ACCEPTANCE_EXPIRED,
                message=f"{risk.project.name}: the acceptance of the risk "
                f"“{risk.title}” expired on {acceptance.expires_on:%Y-%m-%d}; it is "
                "open again.",
                url=register_url(risk.project, risk),
                project=risk.project,
            )
        announce(
            project=risk.project,
            kind=ChannelEventKind.RISK_ACCEPTANCE_EXPIRED,
            title=f"{risk.project.name}: the acceptance of the risk “{risk.title}” "
            f"expired on {acceptance.expires_on:%Y-%m-%d}; the risk is open again",
            url=register_url(risk.project, risk),
        )
    return len(expired)


def _people_to_tell(risk: Risk) -> list[User]:
    if risk.owner is not None:
        return [risk.owner]
    return [
        m.user
        for m in risk.project.memberships.filter(role=ProjectRole.OWNER).select_related(
            "user"
        )
    ]


# --- The library (admins) ----------------------------------------------------------


@transaction.atomic
def library_risk_save(
    *,
    entry: LibraryRisk,
    frameworks: Iterable[Any] | None = None,
    mitigations: Iterable[Any] | None = None,
) -> LibraryRisk:
    entry.full_clean()
    entry.save()
    if frameworks is not None:
        entry.frameworks.set(frameworks)
    if mitigations is not None:
        entry.mitigations.set(mitigations)
    return entry
