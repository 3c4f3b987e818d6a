"""The Evaluations tab's forms: the plan step 6 judges by, accepting a run as the
baseline, and picking two runs to compare."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from evaluations import selectors
from evaluations.models import DEFAULT_TOLERANCE, EvaluationRun
from projects.models import Project

SETS_LIST = "evaluation-sets"


class PlanForm(forms.Form):
    dataset_name = forms.CharField(
        label="Evaluation set",
        max_length=200,
        help_text="The evaluation set step 6 judges, as your evaluation tool names it "
        "(the sets of the project's runs are suggested).",
        error_messages={
            "required": "Name the evaluation set step 6 judges.",
            "max_length": "Keep the name of the set under 200 characters.",
        },
        widget=forms.TextInput(attrs={"list": SETS_LIST, "autocomplete": "off"}),
    )
    tolerance = forms.DecimalField(
        label="Regression tolerance",
        min_value=Decimal(0),
        max_value=Decimal(1),
        max_digits=5,
        decimal_places=4,
        initial=DEFAULT_TOLERANCE,
        help_text="How far a metric may fall against the baseline before step 6 "
        "refuses it, on the 0–1 scale scores use: 0.02 is two points.",
        error_messages={
            "required": "Give the tolerance, for example 0.02.",
            "invalid": "Give the tolerance as a number between 0 and 1, "
            "for example 0.02.",
            "min_value": "The tolerance cannot be below 0.",
            "max_value": "The tolerance cannot be above 1: scores run from 0 to 1.",
            "max_decimal_places": "Give the tolerance with at most 4 decimal places.",
            "max_digits": "Give the tolerance with at most 4 decimal places.",
        },
    )


class AcceptForm(forms.Form):
    comment = forms.CharField(
        label="Why this run is the new baseline",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Later runs on the same set are compared with this one; say why "
        "its scores are the ones to hold to (a new prompt, an accepted trade-off…).",
        error_messages={
            "required": "Say why this run is the new baseline.",
            "max_length": "Keep the comment under 2,000 characters.",
        },
    )


class RunChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        run: EvaluationRun = obj
        label = f"{timezone.localtime(run.ran_at):%Y-%m-%d %H:%M} · {run}"
        if run.dataset_name:
            version = f" {run.dataset_version}" if run.dataset_version else ""
            label += f" · {run.dataset_name}{version}"
        return label


_CHOICE_ERRORS = {
    "required": "Pick a run.",
    "invalid_choice": "That is not an evaluation run of this project: pick one "
    "from the list.",
}


class CompareForm(forms.Form):
    """Two of the project's evaluation runs, by id (a GET form)."""

    a = RunChoiceField(
        queryset=EvaluationRun.objects.none(),
        label="Run A (compared from)",
        empty_label=None,
        error_messages=_CHOICE_ERRORS,
    )
    b = RunChoiceField(
        queryset=EvaluationRun.objects.none(),
        label="Run B (compared with A)",
        empty_label=None,
        error_messages=_CHOICE_ERRORS,
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = selectors.compare_choices(project)
        for name in ("a", "b"):
            field = self.fields[name]
            assert isinstance(field, RunChoiceField)
            field.queryset = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        a, b = data.get("a"), data.get("b")
        if a is not None and b is not None and a.pk == b.pk:
            raise forms.ValidationError("Pick two different runs.")
        return data
