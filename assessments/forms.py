from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from assessments import scoring
from assessments.models import ModelPrice
from projects.models import DataClassification

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
