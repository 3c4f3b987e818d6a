from __future__ import annotations

import json
from typing import Any

from django import forms
from django.db.models import QuerySet

from core.query import whole_number
from metrics.connectors import ConnectorError, outbound
from metrics.connectors import feedback as fb
from metrics.models import ConnectedService
from metrics.scopes import PROVIDER_NOUNS, provider_scopes
from metrics.services import ORG_SCOPE_KEYS
from metrics.vocabulary import Metric

Kind = ConnectedService.Kind

# The fields each kind asks for: (name, label, secret, help).
KIND_FIELDS: dict[str, list[tuple[str, str, bool, str]]] = {
    Kind.LANGFUSE: [
        ("public_key", "Public key", True, "pk-lf-…"),
        ("secret_key", "Secret key", True, "sk-lf-…"),
    ],
    Kind.OPENAI: [
        ("admin_key", "Admin key", True, "An organization admin key (sk-admin-…)."),
        (
            "project_id",
            "OpenAI project id",
            False,
            "proj_… — the project whose usage this Runway project is.",
        ),
    ],
    Kind.ANTHROPIC: [
        ("admin_key", "Admin key", True, "sk-ant-admin…"),
        (
            "workspace_id",
            "Workspace id",
            False,
            "wrkspc_… — leave empty for the whole organization.",
        ),
    ],
    Kind.HELICONE: [
        ("api_key", "API key", True, "A key with read permission (sk-…)."),
        (
            "property",
            "Property name",
            False,
            "Optional: e.g. Helicone-Property-Project",
        ),
        (
            "value",
            "Property value",
            False,
            "Optional: the value that marks this project's requests.",
        ),
    ],
    Kind.LANGSMITH: [
        ("api_key", "API key", True, "lsv2_…"),
        ("project_id", "Project id", False, "The LangSmith project (session) id."),
    ],
    Kind.PROMETHEUS: [
        ("token", "Bearer token", True, "Optional."),
        (
            "queries",
            "Queries",
            False,
            "One per line: metric = PromQL. Metrics: "
            + ", ".join(m.value for m in Metric),
        ),
    ],
    Kind.DEMO: [
        (
            "requests_per_day",
            "Requests per day",
            False,
            "How busy the made-up project is.",
        ),
    ],
}
ADMIN_ONLY_KINDS = {Kind.OPENAI, Kind.ANTHROPIC}
DEFAULT_HOSTS: dict[str, str] = {
    Kind.LANGFUSE: "https://cloud.langfuse.com",
    Kind.OPENAI: "https://api.openai.com",
    Kind.ANTHROPIC: "https://api.anthropic.com",
    Kind.HELICONE: "https://api.helicone.ai",
    Kind.LANGSMITH: "https://api.smith.langchain.com",
}
# The kinds whose connectors read scores or feedback keys, and what those are called there.
# (Helicone's thumbs are one boolean with nothing to configure.)
FEEDBACK_NOUNS: dict[str, str] = {
    Kind.LANGFUSE: "score names",
    Kind.LANGSMITH: "keys",
}
FEEDBACK_KIND_CHOICES = [
    (fb.ANY, "Any kind"),
    (fb.BOOLEAN, "Boolean (true is up, false is down)"),
    (fb.NUMERIC, "Numeric (1 is up, 0 or -1 is down)"),
    (fb.CATEGORICAL, "Categorical (by the labels below)"),
]


def _feedback_fields(kind: str) -> dict[str, forms.Field]:
    """The connect form's feedback settings for ``kind``; empty means the defaults, which
    the help texts list (the same ones a sync uses)."""
    noun = FEEDBACK_NOUNS[kind]
    return {
        fb.NAMES_KEY: forms.CharField(
            label=f"Feedback {noun}",
            required=False,
            max_length=500,
            help_text=f"Comma-separated; case, spaces, dashes and underscores do not "
            f"matter. Empty: {', '.join(fb.DEFAULT_NAMES_BY_KIND[kind])}.",
        ),
        fb.KIND_KEY: forms.ChoiceField(
            label="Feedback kind",
            choices=FEEDBACK_KIND_CHOICES,
            initial=fb.ANY,
            required=False,
            help_text="Feedback is counted as votes and never as a quality score.",
        ),
        fb.POSITIVE_KEY: forms.CharField(
            label="Labels that are a vote up",
            required=False,
            max_length=500,
            help_text=f"For categorical feedback, comma-separated. Empty: "
            f"{', '.join(fb.DEFAULT_POSITIVE_LABELS)}.",
        ),
        fb.NEGATIVE_KEY: forms.CharField(
            label="Labels that are a vote down",
            required=False,
            max_length=500,
            help_text=f"For categorical feedback, comma-separated. Empty: "
            f"{', '.join(fb.DEFAULT_NEGATIVE_LABELS)}.",
        ),
    }


class ServiceForm(forms.Form):
    name = forms.CharField(max_length=120)
    base_url = forms.URLField(
        required=False,
        max_length=300,
        assume_scheme="https",
        label="Base URL",
        help_text="Leave empty for the provider's cloud; set it for a region, a self-hosted instance or a proxy.",
    )
    environment = forms.CharField(
        max_length=60,
        initial="production",
        help_text="Only this environment's data counts.",
    )
    interval_minutes = forms.TypedChoiceField(
        choices=[
            (15, "Every 15 minutes"),
            (60, "Every hour"),
            (360, "Every 6 hours"),
            (1440, "Every day"),
        ],
        coerce=int,
        initial=60,
        label="Sync",
    )

    def __init__(
        self,
        *args: Any,
        kind: str,
        organisation: bool = False,
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        """``organisation``: an organisation-wide provider service, which holds only the
        admin key; the provider project or workspace is chosen per project, on mapping.
        ``editing``: the settings of a connected service, without its address and keys
        (a key is replaced on its own; a new address is a new connection)."""
        super().__init__(*args, **kwargs)
        self.kind = kind
        if organisation:
            del self.fields["environment"], self.fields["interval_minutes"]
        if editing:
            del self.fields["base_url"]
        for name, label, secret, help_text in KIND_FIELDS.get(kind, []):
            if (organisation and not secret) or (editing and secret):
                continue
            if name == "queries":
                field: forms.Field = forms.CharField(
                    label=label,
                    help_text=help_text,
                    widget=forms.Textarea(attrs={"rows": 4}),
                )
            elif secret:
                field = forms.CharField(
                    label=label,
                    help_text=help_text,
                    required=name != "token",
                    widget=forms.PasswordInput(
                        render_value=False, attrs={"autocomplete": "off"}
                    ),
                )
            elif name == "requests_per_day":
                field = forms.IntegerField(
                    label=label, help_text=help_text, min_value=1, initial=3000
                )
            else:
                field = forms.CharField(
                    label=label, help_text=help_text, required=name in {"project_id"}
                )
            self.fields[name] = field
        if kind == Kind.PROMETHEUS:
            self.fields["base_url"].required = True
            self.fields[
                "base_url"
            ].help_text = "The Prometheus server, e.g. https://prometheus.internal:9090"
        # Names of the feedback settings, which the template groups under one legend.
        self.feedback_fields: list[str] = []
        if kind in FEEDBACK_NOUNS and not organisation:
            extra = _feedback_fields(kind)
            self.fields.update(extra)
            self.feedback_fields = list(extra)

    def clean(self) -> dict[str, Any]:
        """A provider project or workspace typed in by an admin connecting a provider
        straight to a project is checked against the provider's list, as a mapping is:
        an unknown id would sync $0.00 without a word."""
        cleaned = super().clean() or {}
        key = ORG_SCOPE_KEYS.get(self.kind)
        scope_id = str(cleaned.get(key) or "") if key else ""
        if not key or not scope_id or self.errors:
            return cleaned
        provider, noun = PROVIDER_NOUNS[self.kind]
        secrets = {
            name: str(cleaned[name])
            for name, _, secret, _ in KIND_FIELDS[self.kind]
            if secret and cleaned.get(name)
        }
        probe = ConnectedService(
            kind=self.kind,
            base_url=cleaned.get("base_url") or "",
            credentials=json.dumps(secrets),
        )
        try:
            listed = provider_scopes(probe)
        except ConnectorError as exc:
            raise forms.ValidationError(
                f"Runway could not check “{scope_id}” with {provider}: {exc.message} "
                "Nothing was saved."
            ) from None
        if scope_id not in listed:
            self.add_error(
                key,
                f"{provider} has no {noun} “{scope_id}” in this organisation; "
                f"check the id ({', '.join(sorted(listed)[:5]) or 'none listed'}).",
            )
        return cleaned

    def clean_feedback_names(self) -> list[str]:
        return fb.as_list(self.cleaned_data.get(fb.NAMES_KEY))

    def clean_feedback_positive_labels(self) -> list[str]:
        return fb.as_list(self.cleaned_data.get(fb.POSITIVE_KEY))

    def clean_feedback_negative_labels(self) -> list[str]:
        return fb.as_list(self.cleaned_data.get(fb.NEGATIVE_KEY))

    def clean_base_url(self) -> str:
        url: str = self.cleaned_data.get("base_url") or ""
        if not url:
            return ""
        if refusal := outbound.url_refusal(url):
            raise forms.ValidationError(refusal)
        return url

    def clean_queries(self) -> dict[str, str]:
        queries = {}
        for n, line in enumerate(self.cleaned_data["queries"].splitlines(), start=1):
            if not line.strip():
                continue
            metric, sep, query = line.partition("=")
            metric, query = metric.strip(), query.strip()
            if not sep or not query:
                raise forms.ValidationError(f"Line {n}: write metric = PromQL.")
            if metric not in Metric._value2member_map_:
                raise forms.ValidationError(
                    f"Line {n}: “{metric}” is not a Runway metric."
                )
            queries[metric] = query
        if not queries:
            raise forms.ValidationError("Give at least one query.")
        return queries

    def config_keys(self) -> list[str]:
        """The settings this form edits in a service's config (no secrets)."""
        return [
            name
            for name, _, secret, _ in KIND_FIELDS.get(self.kind, [])
            if not secret and name in self.fields
        ] + self.feedback_fields

    @staticmethod
    def initial_of(service: ConnectedService) -> dict[str, Any]:
        """A connected service's settings as this form shows them."""
        initial: dict[str, Any] = {
            "name": service.name,
            "environment": service.environment,
            "interval_minutes": service.interval_minutes,
        }
        for key, value in (service.config or {}).items():
            if key == "queries" and isinstance(value, dict):
                value = "\n".join(f"{m} = {q}" for m, q in value.items())
            elif isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            initial[key] = value
        return initial

    def split(self) -> tuple[dict[str, str], dict[str, Any]]:
        """The cleaned values as (credentials, config)."""
        credentials: dict[str, str] = {}
        config: dict[str, Any] = {}
        for name, _, secret, _ in KIND_FIELDS.get(self.kind, []):
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            if secret:
                credentials[name] = str(value)
            else:
                config[name] = value
        for name in self.feedback_fields:
            value = self.cleaned_data.get(name)
            # Only what differs from the defaults is stored, so a later change of the
            # defaults reaches services that never chose otherwise.
            if value and value != fb.ANY:
                config[name] = value
        return credentials, config


class CredentialsForm(forms.Form):
    """New secrets for a service: the kind's secret fields as empty password inputs."""

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label, secret, help_text in KIND_FIELDS.get(kind, []):
            if secret:
                self.fields[name] = forms.CharField(
                    label=f"New {label[0].lower()}{label[1:]}",
                    help_text=help_text,
                    widget=forms.PasswordInput(
                        render_value=False, attrs={"autocomplete": "new-password"}
                    ),
                )

    def credentials(self) -> dict[str, str]:
        return {name: str(value) for name, value in self.cleaned_data.items() if value}


class OrgMappingForm(forms.Form):
    """Map a project to its provider project or workspace under an org-wide service.

    The id is checked against the list the provider's admin API returns (a mistyped id
    would sync $0.00, silently), and an empty one, the whole organisation's usage, is
    for admins only: every member of the project, viewers included, would see it."""

    org_service = forms.ModelChoiceField(
        queryset=ConnectedService.objects.none(),
        label="Organisation account",
        empty_label=None,
    )
    scope_id = forms.CharField(max_length=120, required=False)
    name = forms.CharField(max_length=120)
    environment = ServiceForm.base_fields["environment"]
    interval_minutes = ServiceForm.base_fields["interval_minutes"]

    def __init__(
        self,
        *args: Any,
        kind: str,
        org_services: QuerySet[ConnectedService],
        whole_organisation: bool = False,
        **kwargs: Any,
    ) -> None:
        """``whole_organisation``: whether this user may leave the scope empty (admins)."""
        super().__init__(*args, **kwargs)
        field = self.fields["org_service"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = org_services
        self.provider, self.noun = PROVIDER_NOUNS[kind]
        self.whole_organisation = whole_organisation
        # What the provider listed per account (or why it could not), read once a request.
        self._listed: dict[int, dict[str, str] | ConnectorError] = {}
        # The list offered as choices, or why there is none: set by offer_scopes().
        self.scopes: dict[str, str] | None = None
        self.scopes_error = ""
        scope = self.fields["scope_id"]
        scope.label = f"{self.provider} {self.noun}"
        scope.help_text = f"The {self.noun} whose usage and costs are this project's."

    def account(self) -> ConnectedService | None:
        """The organisation account the form is about: the one submitted, else the one
        asked for in ``initial``, else the first."""
        field = self.fields["org_service"]
        assert isinstance(field, forms.ModelChoiceField)
        if self.is_bound:
            try:
                chosen = field.clean(self.data.get(self.add_prefix("org_service")))
            except forms.ValidationError:
                chosen = None
            if isinstance(chosen, ConnectedService):
                return chosen
        wanted = whole_number(str(self.initial.get("org_service") or ""))
        accounts: QuerySet[ConnectedService] = field.queryset  # type: ignore[assignment]
        found = accounts.filter(pk=wanted).first() if wanted is not None else None
        return found or accounts.first()

    def offer_scopes(self) -> None:
        """Offer the account's projects or workspaces as a select (name and id); when
        they cannot be listed, keep the text box and say why."""
        account = self.account()
        if account is None:
            return
        self.initial["org_service"] = account.pk
        listed = self._scopes(account)
        if isinstance(listed, ConnectorError):
            self.scopes_error = (
                f"Runway could not get the list of {self.noun}s from {self.provider} "
                f"({listed.message.rstrip('.')}). You can type the id, but it is "
                "checked against the list again when you save."
            )
            return
        self.scopes = listed
        blank = (
            f"The whole organisation (every {self.noun})"
            if self.whole_organisation
            else f"Choose a {self.noun}…"
        )
        choices = [("", blank)] + [
            (scope_id, f"{name} ({scope_id})" if name else scope_id)
            for scope_id, name in listed.items()
        ]
        # A select over a CharField, not a ChoiceField: an id that is not listed gets
        # the message below rather than Django's generic "not one of the choices".
        self.fields["scope_id"].widget = forms.Select(choices=choices)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        account = cleaned.get("org_service")
        if account is None or "scope_id" not in cleaned:
            return cleaned
        scope_id = cleaned["scope_id"] = str(cleaned["scope_id"] or "")
        if not scope_id:
            if not self.whole_organisation:
                self.add_error(
                    "scope_id",
                    f"Choose this project's {self.provider} {self.noun}. Only an admin "
                    "can map a project to the whole organisation's usage: every member "
                    "of this project, viewers included, would then see the spend of "
                    "the whole organisation.",
                )
            return cleaned
        listed = self._scopes(account)
        if isinstance(listed, ConnectorError):
            # Saving an unchecked id is how a typo syncs $0.00 for months: refuse.
            raise forms.ValidationError(
                f"Runway could not check “{scope_id}” with {self.provider} "
                f"({listed.message.rstrip('.')}). Nothing was saved; try again in a "
                "moment, or ask an admin to check the organisation's key."
            )
        if scope_id not in listed:
            self.add_error(
                "scope_id",
                f"{self.provider} has no {self.noun} “{scope_id}” in this "
                "organisation; pick one from the list.",
            )
        return cleaned

    def _scopes(self, account: ConnectedService) -> dict[str, str] | ConnectorError:
        if account.pk not in self._listed:
            try:
                self._listed[account.pk] = provider_scopes(account)
            except ConnectorError as exc:
                self._listed[account.pk] = exc
        return self._listed[account.pk]


class IngestTokenForm(forms.Form):
    name = forms.CharField(
        max_length=120,
        help_text="Where the token is used, e.g. “production API server”.",
    )
