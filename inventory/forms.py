"""The forms of the inventory: a vendor and a model (admins), and a project's
declaration of a model it uses (its owner)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models.functions import Lower

from inventory.models import AIModel, Vendor
from inventory.selectors import declarable_models
from projects.forms import DATE_INPUT
from projects.models import DataClassification


class VendorForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Vendor
        fields = [
            "name",
            "kind",
            "dpa_status",
            "baa_status",
            "data_residency",
            "training_terms",
            "last_reviewed_on",
            "next_review_on",
            "notes",
        ]
        labels = {
            "dpa_status": "Data-processing agreement (DPA)",
            "baa_status": "Business associate agreement (BAA, HIPAA)",
            "training_terms": "Training on our data",
            "last_reviewed_on": "Last review",
            "next_review_on": "Next review",
        }
        help_texts = {
            "name": "As people know it, e.g. OpenAI, Anthropic, AWS, Pinecone.",
            "training_terms": "What its terms say about training its models on the "
            "data we send.",
            "next_review_on": "When its terms are looked at again. The admins are told "
            "once when the day passes.",
        }
        widgets = {
            "last_reviewed_on": DATE_INPUT,
            "next_review_on": DATE_INPUT,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        others = Vendor.objects.alias(key=Lower("name")).filter(key=name.lower())
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(
                "Another vendor has this name already: choose another."
            )
        return name


class AIModelForm(forms.ModelForm):  # type: ignore[type-arg]
    vendor = forms.ModelChoiceField(
        queryset=Vendor.objects.order_by(Lower("name")),
        required=False,
        empty_label="Not classified yet",
    )
    max_classification = forms.ChoiceField(
        label="Most sensitive data it may see",
        choices=[("", "Not set"), *DataClassification.choices],
        required=False,
        help_text="Needed for an approved model: projects whose data is at most this "
        "sensitive may use it. A model approved for non-sensitive data only serves "
        "public and internal data, whatever is set here.",
    )

    class Meta:
        model = AIModel
        fields = ["name", "vendor", "approval", "max_classification", "notes"]
        labels = {"approval": "Approval"}
        help_texts = {
            "approval": "Models detected in a project's metrics start as not reviewed "
            "yet; a project that sends traffic to a model that may not see its data "
            "gets an alert.",
        }
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        others = AIModel.objects.filter(name__iexact=name)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(
                "Another model has this name already (names match whatever their case)."
            )
        return name


class ModelChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        vendor = f" ({obj.vendor.name})" if obj.vendor_id else ""
        return f"{obj.name}{vendor}"


class DeclareForm(forms.Form):
    """Pick a model from the inventory, or type a name it does not know yet."""

    model = ModelChoice(
        queryset=AIModel.objects.none(),
        required=False,
        empty_label="Choose a model",
        label="From the inventory",
    )
    name = forms.CharField(
        label="Or a model the inventory does not list",
        required=False,
        max_length=120,
        help_text="Its id as the provider names it, e.g. gpt-4o-mini. It is added to "
        "the inventory as not reviewed yet, for the admins to review.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].queryset = declarable_models()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and (data.get("model") is None) == (
            not data.get("name", "").strip()
        ):
            raise forms.ValidationError(
                "Choose a model from the inventory or type a new name (one of the two)."
            )
        return data
