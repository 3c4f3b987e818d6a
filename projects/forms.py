from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile

from core.query import whole_number
from projects import selectors, uploads
from projects.formfields import ModelIdsField
from projects.models import (
    DataClassification,
    Framework,
    ItemState,
    Project,
    ProjectRole,
    ProjectStatus,
    PrototypeOrigin,
    StepStatus,
    Team,
    UseCase,
)
from projects.roles import is_admin

# A date input takes only ISO dates, whatever the locale shows elsewhere.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProjectDetailsMixin(forms.Form):
    use_case = forms.ChoiceField(choices=UseCase.choices, initial=UseCase.CHATBOT)
    prototype_origin = forms.ChoiceField(
        choices=PrototypeOrigin.choices,
        initial=PrototypeOrigin.HAND_WRITTEN,
        label="Where the prototype came from",
    )
    data_classification = forms.ChoiceField(
        choices=DataClassification.choices,
        initial=DataClassification.INTERNAL,
        help_text="The most sensitive data the system will see. It decides which controls apply.",
    )
    frameworks = ModelIdsField(
        queryset=Framework.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Compliance frameworks",
    )
    target_launch_date = forms.DateField(required=False, widget=DATE_INPUT)


class ProjectCreateForm(ProjectDetailsMixin):
    name = forms.CharField(max_length=200)
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(), empty_label="Choose a team"
    )
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One or two sentences: what the AI project does and for whom.",
    )
    owner = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True),
        label="Product manager (owner)",
        help_text="Owns requirements and approvals. Exactly one per project.",
    )
    lead = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        label="Engineering lead",
    )

    field_order = [
        "name",
        "team",
        "summary",
        "owner",
        "lead",
        "use_case",
        "prototype_origin",
    ]

    def __init__(self, *args: Any, creator: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creator = creator
        self.fields["owner"].initial = creator.pk

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        owner, lead = data.get("owner"), data.get("lead")
        if owner and lead and owner == lead:
            self.add_error(
                "lead", "The engineering lead must be someone other than the owner."
            )
        if owner and not is_admin(self.creator) and self.creator not in {owner, lead}:
            raise forms.ValidationError(
                "Name yourself as owner or as engineering lead: the creator of a "
                "project becomes one of the two."
            )
        return data


class ProjectForm(ProjectDetailsMixin):
    """The owner's edit form for a project's details."""

    name = forms.CharField(max_length=200)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.all())
    status = forms.ChoiceField(
        choices=ProjectStatus.choices,
        help_text="Your own view of the project. “Launched” follows from step 7.",
    )
    operating_owner = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        help_text="Runs the system in production; needed before step 7 can be done.",
    )
    metric_gate_window_days = forms.IntegerField(
        min_value=1,
        max_value=90,
        label="Metric gate window (days)",
        help_text="Step 7 needs production metrics on target on each of this many recent days.",
    )

    field_order = ["name", "summary", "team", "status"]

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "name": project.name,
                "summary": project.summary,
                "team": project.team_id,
                "status": project.status,
                "use_case": project.use_case,
                "prototype_origin": project.prototype_origin,
                "data_classification": project.data_classification,
                "frameworks": list(project.frameworks.all()),
                "target_launch_date": project.target_launch_date,
                "operating_owner": project.operating_owner_id,
                "metric_gate_window_days": project.metric_gate_window_days,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["operating_owner"].queryset = get_user_model().objects.filter(  # type: ignore[attr-defined]
            is_active=True
        )


def member_choices(project: Project) -> Any:
    return get_user_model().objects.filter(
        project_memberships__project=project, is_active=True
    )


class MemberForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True), label="Person"
    )
    role = forms.ChoiceField(
        choices=[c for c in ProjectRole.choices if c[0] != ProjectRole.OWNER],
        help_text="To change the owner, use “Transfer ownership”.",
    )


class OwnerTransferForm(forms.Form):
    new_owner = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True), label="New owner"
    )


class ItemStateForm(forms.Form):
    state = forms.ChoiceField(choices=ItemState.choices)
    justification = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("state") == ItemState.NOT_APPLICABLE
            and not data.get("justification", "").strip()
        ):
            self.add_error(
                "justification", "Say why the item does not apply to this project."
            )
        return data


class ItemDetailsForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False
    )
    due_date = forms.DateField(required=False, widget=DATE_INPUT)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = member_choices(project)  # type: ignore[attr-defined]


class ChecklistBulkForm(forms.Form):
    """One action for the items ticked in the checklist's "Select" boxes (``items``)."""

    action = forms.ChoiceField(
        choices=[
            ("done", "Tick selected"),
            ("assign", "Assign selected"),
            ("not_applicable", "Mark selected not applicable"),
        ],
        error_messages={"required": "Choose what to do with the selected items."},
    )
    assignee = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        label="Assign selected to",
    )
    justification = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why the selected items do not apply",
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = member_choices(project)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = self.data.getlist("items") if hasattr(self.data, "getlist") else []
        ids = [whole_number(value, minimum=1) for value in raw]
        if not ids:
            raise forms.ValidationError("Select at least one item.")
        if any(pk is None for pk in ids):
            raise forms.ValidationError("The selection could not be read.")
        data["item_ids"] = sorted({pk for pk in ids if pk is not None})
        action = data.get("action")
        if action == "assign" and data.get("assignee") is None:
            self.add_error("assignee", "Choose whom to assign the selected items to.")
        if action == "not_applicable" and not data.get("justification", "").strip():
            self.add_error("justification", "Say why the selected items do not apply.")
        return data


class EvidenceForm(forms.Form):
    url = forms.URLField(
        required=False, label="Link", assume_scheme="https", max_length=500
    )
    file = forms.FileField(required=False, label="Or a file")

    def clean_file(self) -> UploadedFile[Any] | None:
        """Everything about the file is checked here, before anything is stored: its
        size, its name, its extension and that its content is what the extension
        says. The browser's Content-Type is not used at all."""
        upload: UploadedFile[Any] | None = self.cleaned_data.get("file")
        if upload is None:
            return None
        limit = settings.RUNWAY_EVIDENCE_MAX_BYTES
        if (upload.size or 0) > limit:
            raise forms.ValidationError(
                f"The file is {(upload.size or 0) / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB."
            )
        name = upload.name or ""
        extension = uploads.extension_of(name)
        # Only the kinds whose content can be checked, however the setting reads.
        configured = (
            e.lower().lstrip(".") for e in settings.RUNWAY_EVIDENCE_EXTENSIONS
        )
        allowed = [e for e in configured if e in uploads.KINDS]
        if extension not in allowed:
            raise forms.ValidationError(
                f"Files of type “.{extension or '?'}” are not accepted. Allowed: {', '.join(allowed)}."
            )
        try:
            uploads.check_name(name)
            uploads.check_content(name, upload)
        except uploads.UploadRefused as exc:
            raise forms.ValidationError(str(exc)) from exc
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and bool(data.get("url")) == bool(data.get("file")):
            raise forms.ValidationError("Attach either a link or a file.")
        return data


class CustomItemForm(forms.Form):
    title = forms.CharField(max_length=200)
    guidance = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    required = forms.BooleanField(
        required=False, initial=True, label="Required for the gate"
    )
    evidence_required = forms.BooleanField(required=False, label="Needs evidence")


class StepForm(forms.Form):
    owner = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False
    )
    due_date = forms.DateField(required=False, widget=DATE_INPUT)
    status = forms.ChoiceField(
        choices=[c for c in StepStatus.choices if c[0] != StepStatus.DONE]
    )
    blocked_reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = member_choices(project)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("status") == StepStatus.BLOCKED
            and not data.get("blocked_reason", "").strip()
        ):
            self.add_error("blocked_reason", "Say what blocks the step.")
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class SignOffRequestForm(forms.Form):
    role = forms.ChoiceField(choices=[])
    signer = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        label="Ask",
        help_text="Only people who may sign off in this role are offered.",
    )

    def __init__(
        self, *args: Any, project: Project, roles: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        labels = dict(ProjectRole.choices)
        self.fields["role"].choices = [(r, labels.get(r, r)) for r in roles]  # type: ignore[attr-defined]
        # The same rule as step_services.signoff_request, from the one place it is written.
        # A posted form looks the person up among all active users, so that asking
        # someone else says why (``selectors.signoff_refusal``), not "invalid choice".
        users = get_user_model().objects.filter(is_active=True)
        self.fields["signer"].queryset = (  # type: ignore[attr-defined]
            users if self.is_bound else selectors.signoff_candidates(project, *roles)
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role, signer = data.get("role"), data.get("signer")
        if role and signer:
            refusal = selectors.signoff_refusal(self.project, role, signer)
            if refusal:
                self.add_error("signer", refusal)
        return data


class SignOffDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not data.get("comment", "").strip():
            self.add_error("comment", "Give a reason for the rejection.")
        return data
