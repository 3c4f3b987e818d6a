from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from portal.models import User
from projects.formfields import ModelIdsField
from projects.models import Team
from projects.roles import GlobalRole

ROLE_CHOICES = [(role.value, role.value) for role in GlobalRole]


class AccessForm(forms.Form):
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Global roles. Project roles are given on each project.",
    )
    teams = ModelIdsField(
        queryset=Team.objects.all(), widget=forms.CheckboxSelectMultiple, required=False
    )

    def clean_roles(self) -> list[GlobalRole]:
        return [GlobalRole(value) for value in self.cleaned_data["roles"]]


class InviteForm(AccessForm):
    email = forms.EmailField()
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150, required=False)

    field_order = ["email", "first_name", "last_name", "roles", "teams"]

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "A user with this email address already exists."
            )
        return email


class TeamForm(forms.ModelForm):  # type: ignore[type-arg]
    members = ModelIdsField(
        queryset=User.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Team
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["members"].initial = list(self.instance.members.all())
            # Deactivated members stay choosable: saving the team must not drop them.
            members: Any = self.fields["members"]
            members.queryset = User.objects.filter(
                Q(is_active=True) | Q(teams=self.instance)
            ).distinct()


TOKEN_LIFETIMES: dict[str, int | None] = {"30": 30, "90": 90, "365": 365, "never": None}


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=120,
        help_text="What the token is for, e.g. “BI dashboard refresh”.",
    )
    expires = forms.ChoiceField(
        label="Expires",
        choices=[
            ("30", "in 30 days"),
            ("90", "in 90 days"),
            ("365", "in a year"),
            ("never", "never"),
        ],
        initial="90",
    )

    def lifetime_days(self) -> int | None:
        return TOKEN_LIFETIMES[self.cleaned_data["expires"]]
