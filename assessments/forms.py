from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.utils.dateparse import parse_date

from assessments import scoring, services
from assessments.models import (
    AssessmentCriterion,
    AssessmentDraft,
    CriterionScore,
    GapAssessment,
    ModelPrice,
)
from core.query import whole_number
from projects.models import DataClassification

if TYPE_CHECKING:
    from django.http import QueryDict

    from portal.models import User

DIRECTIONS = {"in", "out", "both"}
COMPARISONS = {">=", "<=", ">", "<", "="}


def _lines(text: str) -> list[list[str]]:
    return [
        [part.strip() for part in line.split("|")]
        for line in text.splitlines()
        if line.strip()
    ]


# The largest value a (positive) integer column holds on PostgreSQL: a larger one is a
# form error, not a database error.
COLUMN_MAX = 2**31 - 1


class RequirementsForm(forms.Form):
    users = forms.IntegerField(
        min_value=0, max_value=COLUMN_MAX, help_text="People who will use it."
    )
    requests_per_day = forms.IntegerField(min_value=0, max_value=COLUMN_MAX)
    peak_rps = forms.DecimalField(
        min_value=Decimal(0),
        max_digits=10,
        decimal_places=2,
        label="Peak requests per second",
    )
    p95_latency_ms = forms.IntegerField(
        min_value=1, max_value=COLUMN_MAX, label="p95 latency target (ms)"
    )
    error_rate_pct = forms.DecimalField(
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=6,
        decimal_places=3,
        label="Error-rate target (%)",
    )
    uptime_pct = forms.DecimalField(
        max_value=Decimal(100),
        max_digits=6,
        decimal_places=3,
        label="Uptime target (%)",
    )
    quality_score_name = forms.SlugField(
        max_length=60,
        label="Quality score that counts",
        help_text="The score name your evaluations report, e.g. helpfulness.",
    )
    quality_score_target = forms.DecimalField(
        min_value=Decimal(0),
        max_value=Decimal(1),
        max_digits=4,
        decimal_places=3,
        help_text="Between 0 and 1.",
    )
    monthly_budget_usd = forms.DecimalField(
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=2,
        label="Monthly model budget (USD)",
    )
    data_classification = forms.ChoiceField(choices=DataClassification.choices)
    cloud = forms.CharField(
        max_length=60, required=False, help_text="e.g. AWS, Azure, GCP, on premises"
    )
    region = forms.CharField(max_length=60, required=False, help_text="e.g. eu-west-1")
    infrastructure_constraints = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    integration_points = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One per line: system | direction (in, out, both) | protocol. e.g. Claims system | both | REST",
    )
    success_criteria = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One per line: statement | metric | comparison (>=, <=, >, <, =) | target. "
        "e.g. Quality on the eval set | helpfulness | >= | 0.85",
    )
    change_note = forms.CharField(
        max_length=300, required=False, help_text="What changed and why (optional)."
    )

    def clean_uptime_pct(self) -> Decimal:
        value: Decimal = self.cleaned_data["uptime_pct"]
        if value <= 0:
            raise forms.ValidationError("Uptime must be above 0 % and at most 100 %.")
        return value

    def clean_integration_points(self) -> list[dict[str, str]]:
        points = []
        for n, parts in enumerate(
            _lines(self.cleaned_data["integration_points"]), start=1
        ):
            if len(parts) != 3 or not all(parts):
                raise forms.ValidationError(
                    f"Line {n}: write system | direction | protocol."
                )
            if parts[1].lower() not in DIRECTIONS:
                raise forms.ValidationError(
                    f"Line {n}: the direction is in, out or both."
                )
            points.append(
                {
                    "system": parts[0],
                    "direction": parts[1].lower(),
                    "protocol": parts[2],
                }
            )
        return points

    def clean_success_criteria(self) -> list[dict[str, str]]:
        criteria = []
        for n, parts in enumerate(
            _lines(self.cleaned_data["success_criteria"]), start=1
        ):
            if len(parts) != 4 or not all(parts):
                raise forms.ValidationError(
                    f"Line {n}: write statement | metric | comparison | target."
                )
            if parts[2] not in COMPARISONS:
                raise forms.ValidationError(
                    f"Line {n}: the comparison is one of >=, <=, >, <, =."
                )
            criteria.append(
                {
                    "statement": parts[0],
                    "metric": parts[1],
                    "comparison": parts[2],
                    "target": parts[3],
                }
            )
        return criteria

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        per_day, peak = data.get("requests_per_day"), data.get("peak_rps")
        if per_day is not None and peak is not None and peak * 86400 < per_day:
            average = Decimal(per_day) / 86400
            self.add_error(
                "peak_rps",
                f"The peak must be at least the average of {average:.2f} requests per second "
                f"({per_day:,} a day).",
            )
        return data

    @staticmethod
    def initial_from(values: dict[str, Any]) -> dict[str, Any]:
        """Form values from a saved version (lists back to their one-per-line text)."""
        initial = dict(values)
        initial["integration_points"] = "\n".join(
            f"{p['system']} | {p['direction']} | {p['protocol']}"
            for p in values.get("integration_points") or []
        )
        initial["success_criteria"] = "\n".join(
            f"{c['statement']} | {c['metric']} | {c['comparison']} | {c['target']}"
            for c in values.get("success_criteria") or []
        )
        return initial


LEVEL_CHOICES = [(n, str(n)) for n in range(5)]


class PartnerScoringForm(forms.Form):
    """Five scores (1-5) and their weights (0-5); field names are <key> and <key>_weight."""

    note = forms.CharField(
        max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for criterion in scoring.CRITERIA:
            self.fields[criterion.key] = forms.TypedChoiceField(
                label=criterion.label,
                choices=[(n, str(n)) for n in range(1, 6)],
                coerce=int,
                initial=3,
            )
            self.fields[f"{criterion.key}_weight"] = forms.TypedChoiceField(
                label=f"Weight of {criterion.label.lower()}",
                choices=[(n, str(n)) for n in range(6)],
                coerce=int,
                initial=criterion.default_weight,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not any(
            data.get(f"{c.key}_weight") for c in scoring.CRITERIA
        ):
            raise forms.ValidationError("Give at least one criterion a weight above 0.")
        return data

    def scores(self) -> dict[str, int]:
        return {c.key: self.cleaned_data[c.key] for c in scoring.CRITERIA}

    def weights(self) -> dict[str, int]:
        return {c.key: self.cleaned_data[f"{c.key}_weight"] for c in scoring.CRITERIA}

    def score_rows(self) -> list[tuple[Any, Any, Any]]:
        return [(c, self[c.key], self[f"{c.key}_weight"]) for c in scoring.CRITERIA]


MAX_TIERS = 4


class ScenarioForm(forms.Form):
    name = forms.CharField(max_length=120)
    requests_per_day = forms.IntegerField(min_value=0, max_value=COLUMN_MAX)
    input_tokens = forms.IntegerField(
        min_value=0, max_value=COLUMN_MAX, label="Input tokens per request"
    )
    output_tokens = forms.IntegerField(
        min_value=0, max_value=COLUMN_MAX, label="Output tokens per request"
    )
    retrieval_tokens = forms.IntegerField(
        min_value=0,
        max_value=COLUMN_MAX,
        initial=0,
        label="Retrieval tokens added per request",
    )
    monthly_growth_pct = forms.DecimalField(
        min_value=Decimal(-100),
        max_value=Decimal(1000),
        max_digits=6,
        decimal_places=2,
        initial=0,
        label="Monthly growth (%)",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        models = ModelPrice.objects.filter(active=True)
        for n in range(MAX_TIERS):
            self.fields[f"tier{n}_model"] = forms.ModelChoiceField(
                queryset=models,
                required=False,
                label=f"Tier {n + 1} model",
                empty_label="—",
            )
            self.fields[f"tier{n}_share"] = forms.DecimalField(
                min_value=Decimal(0),
                max_value=Decimal(100),
                max_digits=6,
                decimal_places=2,
                required=False,
                label=f"Tier {n + 1} share (%)",
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        tiers = []
        for n in range(MAX_TIERS):
            model, share = data.get(f"tier{n}_model"), data.get(f"tier{n}_share")
            if model is None and share in (None, Decimal(0)):
                continue
            if model is None or share is None:
                self.add_error(
                    f"tier{n}_model", "Choose a model and its share of traffic."
                )
                continue
            tiers.append((model, share))
        if not tiers and not self.errors:
            raise forms.ValidationError("Add at least one model tier.")
        total = sum((share for _, share in tiers), Decimal(0))
        if tiers and abs(total - 100) > Decimal("0.01"):
            raise forms.ValidationError(
                f"The shares of traffic must add up to 100 % (they add up to {total} %)."
            )
        data["tiers"] = tiers
        return data

    def tier_rows(self) -> list[tuple[Any, Any]]:
        return [
            (self[f"tier{n}_model"], self[f"tier{n}_share"]) for n in range(MAX_TIERS)
        ]


# --- Gap assessment (step 2) ------------------------------------------------------

# The level a criterion takes when it is marked "not assessed yet" (never level 0).
NOT_ASSESSED = "not-assessed"
NOTE_MAX = 2000
LEVEL_ERROR = (
    "Choose a level from 0 to 4 or “Not assessed yet”, and a target from 0 to 4."
)
NOTE_ERROR = f"Keep the note to {NOTE_MAX:,} characters or fewer."


class DraftValue(TypedDict):
    """One criterion as a draft keeps it (and as a recorded score pre-fills the form)."""

    level: int | None
    not_assessed: bool
    target: int | None
    note: str


@dataclass(frozen=True)
class ScoreRow:
    """One criterion on the assessment form, with its values as typed."""

    criterion: AssessmentCriterion
    level: str  # "", NOT_ASSESSED or "0"–"4"
    target: str
    note: str
    level_error: str = ""  # about the level or the target
    note_error: str = ""

    @property
    def not_assessed(self) -> bool:
        return self.level == NOT_ASSESSED

    @property
    def errors(self) -> list[tuple[str, str]]:
        """(the id prefix of the field to fix, the message), for the summary."""
        return [
            (field, message)
            for field, message in (
                ("level", self.level_error),
                ("note", self.note_error),
            )
            if message
        ]


def values_of(assessment: GapAssessment | None) -> dict[int, DraftValue]:
    """A recorded assessment's scores as form values, by criterion id."""
    if assessment is None:
        return {}
    return {
        s.criterion_id: DraftValue(
            level=s.level, not_assessed=s.level is None, target=s.target, note=s.note
        )
        for s in assessment.scores.all()
    }


def values_of_draft(draft: AssessmentDraft) -> dict[int, DraftValue]:
    """A draft's values by criterion id (its JSON keys are strings)."""
    values: dict[int, DraftValue] = {}
    for key, value in draft.values.items():
        pk = whole_number(key)
        if pk is not None and isinstance(value, dict):
            values[pk] = DraftValue(
                level=value.get("level"),
                not_assessed=bool(value.get("not_assessed")),
                target=value.get("target"),
                note=str(value.get("note") or ""),
            )
    return values


class GapAssessmentForm:
    """The gap assessment: a level now, a target and a note for each criterion, and a
    note on the whole. Not a Django form: its fields are a triple per active criterion
    laid out by hand, and levels are read with ``whole_number``.

    Saving a draft takes what is incomplete (a level not chosen yet); recording needs a
    level or "not assessed yet" for every criterion and at least one level. Either way
    nothing out of range is kept, and the form re-renders with what was typed.
    """

    def __init__(
        self,
        criteria: Sequence[AssessmentCriterion],
        *,
        data: Mapping[str, str] | None = None,
        initial: Mapping[int, DraftValue] | None = None,
        note: str = "",
    ) -> None:
        self.errors: list[str] = []
        if data is not None:
            # Only what was posted counts: a criterion left out of the post is an
            # error, never a silent copy of the previous assessment's score.
            self.rows = [
                ScoreRow(
                    c,
                    data.get(f"level-{c.pk}", ""),
                    data.get(f"target-{c.pk}", ""),
                    data.get(f"note-{c.pk}", ""),
                )
                for c in criteria
            ]
            self.note = data.get("note", "")
            return
        initial = initial or {}
        self.rows = []
        for c in criteria:
            value = initial.get(c.pk)
            if value is None:
                self.rows.append(ScoreRow(c, "", str(c.default_target), ""))
                continue
            level = (
                NOT_ASSESSED
                if value["not_assessed"]
                else ("" if value["level"] is None else str(value["level"]))
            )
            target = value["target"]
            self.rows.append(
                ScoreRow(
                    c,
                    level,
                    str(c.default_target if target is None else target),
                    value["note"],
                )
            )
        self.note = note

    def is_valid(self, *, complete: bool) -> bool:
        """Check every row; ``complete`` asks for what recording needs."""
        self.errors = []
        checked = []
        for row in self.rows:
            level_ok = (
                row.not_assessed
                or whole_number(row.level, 0, 4) is not None
                or (not complete and row.level == "")
            )
            target_ok = whole_number(row.target, 0, 4) is not None or (
                not complete and row.target == ""
            )
            checked.append(
                replace(
                    row,
                    level_error="" if level_ok and target_ok else LEVEL_ERROR,
                    note_error=NOTE_ERROR if len(row.note) > NOTE_MAX else "",
                )
            )
        self.rows = checked
        if len(self.note) > NOTE_MAX:
            self.errors.append(
                f"Keep the note on the whole assessment to {NOTE_MAX:,} characters or fewer."
            )
        invalid_rows = any(row.errors for row in checked)
        if complete and not invalid_rows and all(row.not_assessed for row in checked):
            self.errors.append(
                "Give at least one criterion a level: readiness needs one. "
                "Save a draft to come back to it."
            )
        return not self.errors and not invalid_rows

    @property
    def invalid_rows(self) -> list[ScoreRow]:
        return [row for row in self.rows if row.errors]

    def score_inputs(self) -> list[services.ScoreInput]:
        """The rows as the service records them (after ``is_valid(complete=True)``)."""
        return [
            services.ScoreInput(
                row.criterion,
                None if row.not_assessed else whole_number(row.level, 0, 4),
                whole_number(row.target, 0, 4) or 0,
                row.note,
            )
            for row in self.rows
        ]

    def draft_values(self) -> dict[str, DraftValue]:
        """The rows as a draft keeps them (after ``is_valid(complete=False)``)."""
        return {
            str(row.criterion.pk): DraftValue(
                level=whole_number(row.level, 0, 4),
                not_assessed=row.not_assessed,
                target=whole_number(row.target, 0, 4),
                note=row.note,
            )
            for row in self.rows
        }


def parse_due_date(text: str) -> date | None:
    """A posted due date, or None when it is empty or not a real date."""
    try:
        return parse_date(text) if text else None
    except ValueError:  # well formed but impossible, e.g. 2026-02-30
        return None


# At most this many gaps in one post: more than any assessment has criteria.
MAX_GAPS_AT_ONCE = 200


class GapOwnersForm:
    """Several gaps, one owner: the gaps ticked on the gap list, a member as their
    owner, the step their checklist items go to (or each gap's suggested step) and an
    optional due date. Keeps what was posted, so the page re-renders with it."""

    def __init__(
        self,
        data: QueryDict,
        *,
        gaps: Mapping[int, CriterionScore],
        members: Mapping[int, User],
    ) -> None:
        self.selected = data.getlist("gaps")[: MAX_GAPS_AT_ONCE + 1]
        self.assignee = data.get("assignee", "")
        self.step = data.get("step", "")
        self.due_date = data.get("due_date", "").strip()
        self._gaps, self._members = gaps, members
        self.errors: dict[str, str] = {}
        self.gaps: list[CriterionScore] = []
        self.owner: User | None = None
        self.step_number: int | None = None
        self.due: date | None = None

    def is_valid(self) -> bool:
        self.errors = {}
        ids = [whole_number(value) for value in self.selected]
        if not ids:
            self.errors["gaps"] = "Select at least one gap."
        elif len(ids) > MAX_GAPS_AT_ONCE:
            self.errors["gaps"] = f"Select at most {MAX_GAPS_AT_ONCE} gaps at once."
        elif any(pk is None or pk not in self._gaps for pk in ids):
            self.errors["gaps"] = (
                "Select only gaps of the latest assessment that have no owner yet."
            )
        else:
            self.gaps = [self._gaps[pk] for pk in dict.fromkeys(ids) if pk is not None]
        self.owner = self._members.get(whole_number(self.assignee) or 0)
        if self.owner is None:
            self.errors["assignee"] = "Choose an owner from the project’s members."
        self.step_number = whole_number(self.step, 1, 7)
        if self.step and self.step_number is None:
            self.errors["step"] = "Choose a step from 1 to 7, or each gap’s own step."
        self.due = parse_due_date(self.due_date)
        if self.due_date and self.due is None:
            self.errors["due_date"] = (
                "Give the due date as a date (YYYY-MM-DD), or none."
            )
        return not self.errors
