from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from projects.models import Team
from projects.roles import is_admin


class ProjectCreateForm(forms.Form):
    name = forms.CharField(max_length=200)
    team = forms.ModelChoiceField(queryset=Team.objects.all(), empty_label="Choose a team")
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

    def __init__(self, *args: Any, creator: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creator = creator
        self.fields["owner"].initial = creator.pk

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        owner, lead = data.get("owner"), data.get("lead")
        if owner and lead and owner == lead:
            self.add_error("lead", "The engineering lead must be someone other than the owner.")
        if (
            owner
            and not is_admin(self.creator)
            and self.creator not in {owner, lead}
        ):
            raise forms.ValidationError(
                "Name yourself as owner or as engineering lead: the creator of a "
                "project becomes one of the two."
            )
        return data
