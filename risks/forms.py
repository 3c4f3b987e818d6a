"""The form of a risk in a project's register (its own, or a suggestion once taken in)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from projects.formfields import ModelIdsField
from projects.forms import DATE_INPUT
from projects.models import (
    ChecklistItem,
    ChecklistTemplate,
    DataClassification,
    Framework,
    Project,
    Step,
    UseCase,
)
from risks import ai_act
from risks.models import (
    Indicator,
    LibraryRisk,
    Risk,
    RiskCategory,
    RiskStatus,
    Treatment,
)
from risks.scoring import IMPACT, LIKELIHOOD
from risks.services import RISK_FIELDS

# What an owner may set by hand: a suggestion is taken in or dismissed from the
# register page, never chosen here.
REGISTER_STATUSES = [
    (value, label)
    for value, label in RiskStatus.choices
    if value not in (RiskStatus.SUGGESTED, RiskStatus.DISMISSED)
]
SCALE_FIELDS = (
    "inherent_likelihood",
    "inherent_impact",
    "residual_likelihood",
    "residual_impact",
)


def _scale(words: dict[int, str], label: str, help_text: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        choices=[(n, f"{n} · {word}") for n, word in words.items()],
        coerce=int,
        initial=3,
        label=label,
        help_text=help_text,
    )


class OwnerField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class MitigationsField(ModelIdsField):
    """Checklist items or templates, named the way the step pages name their items."""

    def label_from_instance(self, obj: Any) -> str:
        return f"Step {obj.step.number} · {obj.title}"


@dataclass(frozen=True)
class MitigationChoice:
    item: ChecklistItem
    checked: bool


@dataclass(frozen=True)
class MitigationGroup:
    number: int
    name: str
    choices: list[MitigationChoice]

    @property
    def linked(self) -> int:
        return sum(choice.checked for choice in self.choices)


class RiskForm(forms.Form):
    """A register entry: what could happen, how likely and how bad before and after
    treatment, who owns it and which checklist items treat it. Without a ``risk`` it
    adds one (always open); with one it edits it, status included."""

    title = forms.CharField(max_length=200)
    category = forms.ChoiceField(choices=RiskCategory.choices)
    cause = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What could make it happen.",
    )
    consequence = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What happens if it does.",
    )
    owner = OwnerField(
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="No owner yet",
        help_text="One of the project's members: they keep it reviewed.",
    )
    inherent_likelihood = _scale(
        LIKELIHOOD, "Inherent likelihood", "How likely before any treatment."
    )
    inherent_impact = _scale(IMPACT, "Inherent impact", "How bad before any treatment.")
    residual_likelihood = _scale(
        LIKELIHOOD, "Residual likelihood", "How likely once the treatment is in place."
    )
    residual_impact = _scale(
        IMPACT, "Residual impact", "How bad once the treatment is in place."
    )
    treatment = forms.ChoiceField(choices=Treatment.choices, initial=Treatment.MITIGATE)
    status = forms.ChoiceField(
        choices=REGISTER_STATUSES,
        help_text="“Mitigated” only once every linked checklist item is done or not "
        "applicable; “Accepted” at a high residual score only through an executive's "
        "sign-off.",
    )
    review_date = forms.DateField(
        required=False,
        widget=DATE_INPUT,
        help_text="When the owner looks at it again.",
    )
    indicator = forms.ChoiceField(
        choices=[("", "None"), *Indicator.choices],
        required=False,
        label="Live indicator",
        help_text="A production metric that flags this risk when it is off target.",
    )
    mitigations = MitigationsField(
        queryset=ChecklistItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Mitigations",
        help_text="The project's checklist items that treat this risk.",
    )

    def __init__(
        self, *args: Any, project: Project, risk: Risk | None = None, **kwargs: Any
    ) -> None:
        linked = list(risk.mitigations.values_list("pk", flat=True)) if risk else []
        if risk is not None:
            kwargs.setdefault("initial", {**initial_of(risk), "mitigations": linked})
        super().__init__(*args, **kwargs)
        self.project = project
        self.risk = risk
        members = Q(project_memberships__project=project, is_active=True)
        if risk is not None and risk.owner_id is not None:
            # An owner who has left the project stays until someone else is named,
            # so saving the form untouched changes nothing.
            members |= Q(pk=risk.owner_id)
        self.fields["owner"].queryset = (  # type: ignore[attr-defined]
            get_user_model()
            .objects.filter(members)
            .distinct()
            .order_by("first_name", "last_name", "email")
        )
        # Items that no longer apply are offered only while linked already.
        items = (
            ChecklistItem.objects.filter(project=project)
            .filter(Q(applicable=True) | Q(pk__in=linked))
            .select_related("step")
            .order_by("step__number", "order", "id")
        )
        self.fields["mitigations"].queryset = items  # type: ignore[attr-defined]
        self.items = list(items)
        if risk is None:
            # A new risk starts open; its status changes on its edit page.
            del self.fields["status"]

    def mitigation_groups(self) -> list[MitigationGroup]:
        """The checklist items to choose from, by step, each ticked if chosen."""
        chosen = {str(value) for value in self["mitigations"].value() or []}
        groups: dict[int, MitigationGroup] = {}
        for item in self.items:
            group = groups.setdefault(
                item.step.number,
                MitigationGroup(item.step.number, item.step.name, []),
            )
            group.choices.append(MitigationChoice(item, str(item.pk) in chosen))
        return list(groups.values())

    def fields_for_service(self) -> dict[str, Any]:
        """The cleaned values, as ``risk_create``/``risk_update`` take them."""
        data = self.cleaned_data
        values = {name: data[name] for name in RISK_FIELDS}
        values["indicator"] = values["indicator"] or ""
        values["mitigations"] = list(data["mitigations"])
        if "status" in self.fields:
            values["status"] = data["status"]
        return values


def initial_of(risk: Risk) -> dict[str, Any]:
    """The form's values for ``risk`` as saved (its mitigations apart)."""
    values: dict[str, Any] = {name: getattr(risk, name) for name in RISK_FIELDS}
    values["owner"] = risk.owner_id
    values["status"] = risk.status
    return values


# The expiry the request form suggests: a quarter, then the question is asked again.
SUGGESTED_DAYS = 90


class AcceptanceRequestForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why the project should carry this risk rather than treat it further.",
    )
    expires_on = forms.DateField(
        label="Accept until",
        widget=DATE_INPUT,
        help_text="After this day the risk opens again and its owner is told.",
    )

    def clean_expires_on(self) -> date:
        expires_on: date = self.cleaned_data["expires_on"]
        if expires_on <= timezone.localdate():
            raise ValidationError("Choose a day after today.")
        return expires_on


class AcceptanceDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Accept"), ("reject", "Reject")])
    comment = forms.CharField(required=False)


# --- The risk library (admins) ---------------------------------------------------

# The seed library's key format (``risks.library_data``): keys end up in URLs and logs.
KEY_FORMAT = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _scale_choices(words: dict[int, str]) -> list[tuple[int, str]]:
    return [(value, f"{value} · {word}") for value, word in words.items()]


@dataclass(frozen=True)
class LibraryMitigationGroup:
    """One step's checkboxes in the mitigations list."""

    step: Step
    widgets: list[Any]  # BoundWidget, one per checklist template

    @property
    def chosen(self) -> int:
        return sum(1 for widget in self.widgets if widget.data["selected"])


class LibraryRiskForm(forms.ModelForm):  # type: ignore[type-arg]
    """Creates or edits a library entry. The key is given once: on an existing entry
    it is left out of the form, because registers and the seed data refer to it."""

    category = forms.ChoiceField(
        choices=[("", "Choose a category"), *RiskCategory.choices]
    )
    likelihood = forms.TypedChoiceField(
        label="Default likelihood",
        choices=_scale_choices(LIKELIHOOD),
        coerce=int,
        initial=3,
        help_text="Before treatment, for a typical project; each owner adjusts it.",
    )
    impact = forms.TypedChoiceField(
        label="Default impact",
        choices=_scale_choices(IMPACT),
        coerce=int,
        initial=3,
    )
    use_cases = forms.MultipleChoiceField(
        label="Use cases",
        choices=UseCase.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked means every use case.",
    )
    min_classification = forms.ChoiceField(
        label="Minimum data classification",
        choices=[("", "Any data class"), *DataClassification.choices],
        required=False,
        help_text="Suggested only when the project's data is at least this sensitive.",
    )
    frameworks = ModelIdsField(
        queryset=Framework.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Suggested only to projects under one of these; none ticked means "
        "every project.",
    )
    mitigations = MitigationsField(
        queryset=ChecklistTemplate.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="The checklist items that treat this risk. A project's suggested "
        "risk links its own copies of them.",
    )
    indicator = forms.ChoiceField(
        choices=[("", "None"), *Indicator.choices],
        required=False,
        help_text="The live metric that flags the risk when it is off target.",
    )

    class Meta:
        model = LibraryRisk
        fields = [
            "key",
            "title",
            "category",
            "cause",
            "consequence",
            "likelihood",
            "impact",
            "use_cases",
            "min_classification",
            "frameworks",
            "mitigations",
            "indicator",
            "active",
        ]
        labels = {"active": "Active: suggested to projects"}
        help_texts = {
            "key": "A short stable identifier: lower-case letters and digits, with "
            "hyphens between words. It cannot be changed once the entry is saved.",
            "active": "Untick to retire the entry: it is no longer suggested to "
            "projects. Entries are never deleted, because registers refer to them.",
        }
        error_messages = {
            "key": {"unique": "Another entry has this key already: choose another."}
        }
        widgets = {
            "cause": forms.Textarea(attrs={"rows": 3}),
            "consequence": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["key"]
        # Retired checklist items are not offered, except those the entry already
        # names: saving it must not drop them silently.
        wanted = Q(active=True)
        if self.instance.pk:
            wanted |= Q(library_risks=self.instance)
        mitigations: Any = self.fields["mitigations"]
        mitigations.queryset = (
            ChecklistTemplate.objects.filter(wanted)
            .select_related("step")
            .order_by("step__number", "order", "title", "pk")
            .distinct()
        )

    def clean_key(self) -> str:
        key: str = self.cleaned_data["key"]
        if not KEY_FORMAT.fullmatch(key):
            raise forms.ValidationError(
                "Use lower-case letters and digits, with single hyphens between "
                "words, e.g. voice-clone-fraud."
            )
        return key

    def mitigation_groups(self) -> list[LibraryMitigationGroup]:
        """The mitigation checkboxes by step, so that the long list can be folded."""
        widgets = list(self["mitigations"])
        return [
            LibraryMitigationGroup(step=step, widgets=list(group))
            for step, group in groupby(
                widgets, key=lambda widget: widget.data["value"].instance.step
            )
        ]


# --- EU AI Act questionnaire ---------------------------------------------------------

NONE = "none"  # the "none of these" answer of a multi-choice question
YES_NO = [("yes", "Yes"), ("no", "No")]


def _with_none(
    choices: list[tuple[str, str]], none_label: str
) -> list[tuple[str, str]]:
    return [*choices, (NONE, none_label)]


class AiActForm(forms.Form):
    """The EU AI Act questionnaire (``risks.ai_act``). Multi-choice questions offer
    "none of these", so that a blank answer is never read as "no"."""

    users = forms.MultipleChoiceField(
        label="Who uses it?",
        choices=[(code, words.capitalize()) for code, words in ai_act.USERS.items()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one group of users."},
    )
    purpose = forms.CharField(
        label="What is it for?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Its intended purpose in a sentence or two: what it does, for whom, "
        "and what is decided with its output.",
        error_messages={"required": "Describe what the system is for."},
    )
    prohibited_practices = forms.MultipleChoiceField(
        label="Does it do any of these? (Article 5)",
        choices=_with_none(
            [(code, what) for code, (_, what) in ai_act.PROHIBITED_PRACTICES.items()],
            "None of these",
        ),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick the practices it uses, or “None of these”."},
    )
    safety_component = forms.ChoiceField(
        label="Is it a safety component of a product under EU product safety law, or "
        "such a product itself? (Annex I)",
        choices=YES_NO,
        widget=forms.RadioSelect,
        help_text="For example machinery, toys, lifts, medical devices, vehicles, "
        "radio equipment: products that need a third-party conformity assessment.",
        error_messages={"required": "Answer yes or no."},
    )
    annex_iii_area = forms.ChoiceField(
        label="Is it used in one of these areas? (Annex III)",
        choices=[
            *(
                (code, f"{name}: {examples}")
                for code, (_, name, examples) in ai_act.ANNEX_III_AREAS.items()
            ),
            (NONE, "None of these"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the area, or “None of these”."},
    )
    exceptions = forms.MultipleChoiceField(
        label="If it is in one of those areas: does one of these describe all it does? "
        "(Article 6(3))",
        choices=[(code, what) for code, (_, what) in ai_act.EXCEPTIONS.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Leave them all unticked when none applies. They never apply to a "
        "system that profiles people (next question).",
    )
    profiles_people = forms.ChoiceField(
        label="Does it profile people? (Article 6(3), last subparagraph)",
        choices=YES_NO,
        widget=forms.RadioSelect,
        help_text="Profiling: evaluating personal aspects of a person from their "
        "personal data, such as work performance, economic situation, health, "
        "preferences, reliability, behaviour, location or movements.",
        error_messages={"required": "Answer yes or no."},
    )
    transparency = forms.MultipleChoiceField(
        label="Do any of these describe it? (Article 50)",
        choices=_with_none(
            [(code, what) for code, (_, what, _) in ai_act.TRANSPARENCY.items()],
            "None of these",
        ),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick what describes it, or “None of these”."},
    )
    reason = forms.CharField(
        label="Why are the answers changing?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when your answers change the project's tier: the change is "
        "recorded with your name, the date and this reason, for the audit trail.",
    )

    def _none_alone(self, name: str) -> list[str]:
        values: list[str] = self.cleaned_data.get(name, [])
        if NONE in values and len(values) > 1:
            raise ValidationError(
                "“None of these” cannot be ticked together with another answer."
            )
        return [v for v in values if v != NONE]

    def clean_prohibited_practices(self) -> list[str]:
        return self._none_alone("prohibited_practices")

    def clean_transparency(self) -> list[str]:
        return self._none_alone("transparency")

    def answers(self) -> ai_act.Answers:
        """The cleaned answers, for ``risks.ai_act.classify``."""
        data = self.cleaned_data
        area = data["annex_iii_area"]
        return ai_act.Answers(
            users=tuple(data["users"]),
            purpose=data["purpose"].strip(),
            prohibited_practices=tuple(data["prohibited_practices"]),
            safety_component=data["safety_component"] == "yes",
            annex_iii_area="" if area == NONE else area,
            exceptions=tuple(data["exceptions"]),
            profiles_people=data["profiles_people"] == "yes",
            transparency=tuple(data["transparency"]),
        )

    @staticmethod
    def initial_from(answers: ai_act.Answers) -> dict[str, Any]:
        """The form's initial values for answers already given."""
        return {
            "users": list(answers.users),
            "purpose": answers.purpose,
            "prohibited_practices": list(answers.prohibited_practices) or [NONE],
            "safety_component": "yes" if answers.safety_component else "no",
            "annex_iii_area": answers.annex_iii_area or NONE,
            "exceptions": list(answers.exceptions),
            "profiles_people": "yes" if answers.profiles_people else "no",
            "transparency": list(answers.transparency) or [NONE],
        }
