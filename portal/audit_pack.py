"""A project's audit pack: what an auditor asks for, read in one place.

``audit_pack`` gathers the approved requirements, the latest gap assessment, every
step with its checklist, evidence, sign-offs and gate, the risk register, the EU AI
Act tier, step 6's evaluation checks, step 7's metric gates with their figures and a
summary of the audit trail. The PDF is the
template ``portal/audit_pack.html`` rendered by WeasyPrint; ``write_zip`` puts that
PDF, the evidence files and an index of them into one archive.

The pack shows the project as it is now: a done step's gate is evaluated again, so
an auditor sees whether it still holds.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import IO, TYPE_CHECKING, Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.text import slugify

from assessments.models import CriterionScore, GapAssessment, RequirementsDocument
from assessments.readiness import AreaLevels, Readiness
from assessments.requirements import FIELDS
from assessments.selectors import area_levels_of, latest_assessment, readiness_of
from evaluations.gates import EVALUATION_CHECKS
from metrics.gates import METRIC_CHECKS, GateFigures, gate_figures
from portal.models import AuditPackDownload
from projects.activity import WINDOW, ActivityEntry, person, project_activity
from projects.exports import neutralise
from projects.gates import CheckResult, GateResult
from projects.models import (
    ChecklistItem,
    DataClassification,
    Evidence,
    ItemState,
    Project,
    ProjectRole,
    ProjectStep,
    SignOff,
)
from projects.selectors import member_of_role, with_members
from projects.step_selectors import gate_result
from risks.models import AiActAssessment, AiActTierChange, RiskStatus
from risks.selectors import Register, project_register

if TYPE_CHECKING:
    from portal.models import User

RECENT_ENTRIES = 40  # the trail's latest entries printed; the Activity tab has all
PDF_NAME = "audit-pack.pdf"
INDEX_NAME = "evidence/index.csv"


@dataclass(frozen=True)
class ApprovedRequirements:
    document: RequirementsDocument
    values: list[tuple[str, str, Any]]  # field, label, value


@dataclass(frozen=True)
class AssessmentSummary:
    assessment: GapAssessment
    readiness: Readiness
    areas: list[AreaLevels]
    gaps: list[CriterionScore]


@dataclass(frozen=True)
class EvidenceEntry:
    evidence: Evidence
    step_number: int
    item_title: str
    path: str  # where the file is in the ZIP; "" for a link

    @property
    def is_file(self) -> bool:
        return bool(self.evidence.file)


@dataclass(frozen=True)
class Decision:
    who: str
    when: datetime


@dataclass(frozen=True)
class ItemEntry:
    item: ChecklistItem
    evidence: list[EvidenceEntry]
    # Who marked it not applicable, and when (the item keeps only the reason).
    not_applicable: Decision | None = None


@dataclass(frozen=True)
class StepEntry:
    project_step: ProjectStep
    items: list[ItemEntry]
    signoffs: list[SignOff]
    gate: GateResult

    @property
    def metric_checks(self) -> list[CheckResult]:
        """The checks the production metric gates added (step 7)."""
        return [c for c in self.gate.checks if c.name in METRIC_CHECKS]

    @property
    def evaluation_checks(self) -> list[CheckResult]:
        """The checks the evaluation runs and load tests added (step 6)."""
        return [c for c in self.gate.checks if c.name in EVALUATION_CHECKS]


@dataclass(frozen=True)
class TrailSummary:
    window: int  # the latest entries of each kind the activity reads
    total: int
    first: datetime | None
    last: datetime | None
    by_person: list[tuple[str, int]]
    recent: list[ActivityEntry]


@dataclass(frozen=True)
class AuditPack:
    project: Project
    made_by: User
    made_at: datetime
    owner: User | None
    lead: User | None
    frameworks: list[str]
    requirements: ApprovedRequirements | None
    requirements_versions: int
    assessment: AssessmentSummary | None
    steps: list[StepEntry]
    register: Register
    ai_act: AiActAssessment | None
    tier_changes: list[AiActTierChange]
    figures: GateFigures
    trail: TrailSummary

    @property
    def evidence(self) -> list[EvidenceEntry]:
        return [e for step in self.steps for item in step.items for e in item.evidence]

    @property
    def evidence_files(self) -> list[EvidenceEntry]:
        return [e for e in self.evidence if e.is_file]

    @property
    def evaluation_steps(self) -> list[StepEntry]:
        """The step judged on evaluation runs and load tests, before production."""
        return [s for s in self.steps if s.project_step.step.number == 6]

    @property
    def metric_steps(self) -> list[StepEntry]:
        """The step judged on production metrics."""
        return [s for s in self.steps if s.project_step.step.number == 7]

    @property
    def risk_rows(self) -> list[Any]:
        """The register proper and the closed risks; suggestions and dismissed
        ones are not the project's risks."""
        closed = [r for r in self.register.closed if r.status == RiskStatus.CLOSED]
        return [*self.register.risks, *closed]

    @property
    def filename(self) -> str:
        return f"{self.project.slug}-audit-pack-{self.made_at:%Y-%m-%d}"


def _display(field: str, value: Any) -> Any:
    if field == "data_classification" and value:
        return DataClassification(value).label
    return value


def _requirements(project: Project) -> tuple[ApprovedRequirements | None, int]:
    document = (
        RequirementsDocument.objects.filter(project=project)
        .select_related("approved_version", "approved_version__author", "approved_by")
        .first()
    )
    if document is None:
        return None, 0
    versions = document.versions.count()
    version = document.approved_version
    if version is None:
        return None, versions
    values = [
        (field, label, _display(field, getattr(version, field)))
        for field, label in FIELDS
    ]
    return ApprovedRequirements(document, values), versions


def _assessment(project: Project) -> AssessmentSummary | None:
    assessment = latest_assessment(project)
    if assessment is None:
        return None
    gaps = [
        score
        for score in CriterionScore.objects.filter(assessment=assessment)
        .select_related("criterion", "checklist_item", "checklist_item__assignee")
        .order_by("criterion__order", "criterion_id")
        if score.is_gap
    ]
    return AssessmentSummary(
        assessment, readiness_of(assessment), area_levels_of(assessment), gaps
    )


def _safe_name(name: str) -> str:
    """A file name without any folder part, so the ZIP cannot be written outside
    its folder when unpacked."""
    cleaned = PurePosixPath(name.replace("\\", "/")).name.lstrip(".")
    return cleaned or "evidence"


def _evidence_path(step: int, item: ChecklistItem, evidence: Evidence) -> str:
    folder = f"{item.pk}-{slugify(item.title)[:50]}".rstrip("-")
    name = _safe_name(evidence.original_name or evidence.file.name or "")
    return f"evidence/step-{step}/{folder}/{evidence.pk}-{name}"


def _not_applicable_decisions(project: Project) -> dict[int, Decision]:
    """For each item now not applicable, who marked it so and when: the start of its
    latest run of not-applicable rows in the item's history (one query)."""
    decided: dict[int, Decision] = {}
    before: dict[int, str] = {}
    for row in (
        ChecklistItem.history.filter(
            project_id=project.pk,
            id__in=ChecklistItem.objects.filter(
                project=project, state=ItemState.NOT_APPLICABLE
            ).values("pk"),
        )
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        if row.state == ItemState.NOT_APPLICABLE and before.get(row.id) != row.state:
            decided[row.id] = Decision(person(row.history_user), row.history_date)
        before[row.id] = row.state
    return decided


def _steps(project: Project) -> list[StepEntry]:
    decisions = _not_applicable_decisions(project)
    items_by_step: dict[int, list[ItemEntry]] = {}
    for item in (
        ChecklistItem.objects.filter(project=project)
        .select_related("step", "assignee", "completed_by")
        .prefetch_related(
            Prefetch(
                "evidence",
                queryset=Evidence.objects.select_related("added_by").order_by(
                    "added_at", "pk"
                ),
            )
        )
        .order_by("step__number", "order", "pk")
    ):
        number = item.step.number
        entries = [
            EvidenceEntry(
                evidence,
                number,
                item.title,
                _evidence_path(number, item, evidence) if evidence.file else "",
            )
            for evidence in item.evidence.all()
        ]
        entry = ItemEntry(item, entries, decisions.get(item.pk))
        items_by_step.setdefault(item.step_id, []).append(entry)
    signoffs_by_step: dict[int, list[SignOff]] = {}
    for signoff in SignOff.objects.filter(project=project).select_related(
        "signer", "requested_by"
    ):
        signoffs_by_step.setdefault(signoff.step_id, []).append(signoff)
    return [
        StepEntry(
            project_step,
            items_by_step.get(project_step.step_id, []),
            signoffs_by_step.get(project_step.step_id, []),
            gate_result(project_step),
        )
        for project_step in ProjectStep.objects.filter(project=project)
        .select_related("step", "owner", "project")
        .order_by("step__number")
    ]


def _trail(project: Project) -> TrailSummary:
    entries = project_activity(project)  # newest first
    people = Counter(entry.who for entry in entries)
    return TrailSummary(
        window=WINDOW,
        total=len(entries),
        first=entries[-1].when if entries else None,
        last=entries[0].when if entries else None,
        by_person=people.most_common(),
        recent=entries[:RECENT_ENTRIES],
    )


def audit_pack(project: Project, made_by: User) -> AuditPack:
    """Everything the pack shows about ``project``, read now for ``made_by`` (who
    must already have been allowed to see the project)."""
    project = with_members(project)
    requirements, versions = _requirements(project)
    return AuditPack(
        project=project,
        made_by=made_by,
        made_at=timezone.localtime(),
        owner=member_of_role(project, ProjectRole.OWNER),
        lead=member_of_role(project, ProjectRole.LEAD),
        frameworks=[f.name for f in project.frameworks.order_by("name")],
        requirements=requirements,
        requirements_versions=versions,
        assessment=_assessment(project),
        steps=_steps(project),
        register=project_register(project),
        ai_act=AiActAssessment.objects.filter(project=project)
        .select_related("answered_by")
        .first(),
        tier_changes=list(
            AiActTierChange.objects.filter(project=project)
            .select_related("changed_by")
            .order_by("changed_at", "pk")
        ),
        figures=gate_figures(project),
        trail=_trail(project),
    )


def audit_pack_activity(project: Project) -> list[ActivityEntry]:
    """The audit trail's part about packs: who made one, and when."""
    return [
        ActivityEntry(
            record.made_at,
            person(record.made_by, "a former user"),
            f"made the audit pack ({record.get_kind_display()})",
            None,
        )
        for record in AuditPackDownload.objects.filter(project=project)
        .select_related("made_by")
        .order_by("-made_at", "-pk")[:WINDOW]
    ]


# --- The ZIP ------------------------------------------------------------------------

INDEX_HEADER = (
    "Step",
    "Checklist item",
    "Kind",
    "Name or link",
    "Path in this archive",
    "Added by",
    "Added at",
    "Bytes",
    "SHA-256",
)


def write_zip(pack: AuditPack, pdf: bytes, target: IO[bytes]) -> int:
    """Write the pack's PDF, its evidence files and their index (with each file's
    SHA-256, so an auditor can check a file is the one uploaded) to ``target``.
    Returns how many evidence files went in; one missing from storage is listed in
    the index as missing, and the rest still go in."""
    index = io.StringIO()
    writer = csv.writer(index)

    def row(*cells: str) -> None:
        # Names and links are people's words: a spreadsheet must not run them.
        writer.writerow([neutralise(cell) for cell in cells])

    row(*INDEX_HEADER)
    written = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(PDF_NAME, pdf)
        for entry in pack.evidence:
            evidence = entry.evidence
            added_by = evidence.added_by.display_name if evidence.added_by else ""
            common = (str(entry.step_number), entry.item_title)
            added_at = timezone.localtime(evidence.added_at).isoformat(
                timespec="seconds"
            )
            if not entry.is_file:
                row(*common, "link", evidence.url, "", added_by, added_at, "", "")
                continue
            try:
                # Read whole before it goes in (evidence is at most
                # RUNWAY_EVIDENCE_MAX_BYTES): a file that fails half-way leaves no
                # half-written entry behind.
                with evidence.file.open("rb") as source:
                    content = source.read()
            except OSError:
                missing = "file missing from storage"
                row(
                    *common,
                    missing,
                    evidence.original_name,
                    "",
                    added_by,
                    added_at,
                    "",
                    "",
                )
                continue
            archive.writestr(entry.path, content)
            size, sha256 = len(content), hashlib.sha256(content).hexdigest()
            written += 1
            name = evidence.original_name
            row(
                *common, "file", name, entry.path, added_by, added_at, str(size), sha256
            )
        archive.writestr(INDEX_NAME, index.getvalue())
    return written
