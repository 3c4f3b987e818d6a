from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.db.models import QuerySet

from metrics.models import ConnectedService
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


def _private(host: str) -> bool:
    """True when ``host`` is, or resolves to, a loopback, private or link-local address."""
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            addresses = {
                ipaddress.ip_address(info[4][0])
                for info in socket.getaddrinfo(host, None)
            }
        except (socket.gaierror, UnicodeError, ValueError):
            return host == "localhost"
    return any(
        a.is_private or a.is_loopback or a.is_link_local or a.is_reserved
        for a in addresses
    )


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
        self, *args: Any, kind: str, organisation: bool = False, **kwargs: Any
    ) -> None:
        """``organisation``: an organisation-wide provider service, which holds only the
        admin key; the provider project or workspace is chosen per project, on mapping."""
        super().__init__(*args, **kwargs)
        self.kind = kind
        if organisation:
            del self.fields["environment"], self.fields["interval_minutes"]
        for name, label, secret, help_text in KIND_FIELDS.get(kind, []):
            if organisation and not secret:
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

    def clean_base_url(self) -> str:
        url: str = self.cleaned_data.get("base_url") or ""
        if not url:
            return ""
        parts = urlsplit(url)
        host = parts.hostname or ""
        allowed = set(settings.RUNWAY_CONNECTOR_ALLOWED_HOSTS)
        if host in allowed:
            return url
        if parts.scheme != "https" and not settings.IS_DEVELOPMENT:
            raise forms.ValidationError(
                "Use https; an admin can allow-list an internal host that cannot."
            )
        if _private(host):
            raise forms.ValidationError(
                "This address is on a private or loopback network. An admin must allow-list the host "
                "(RUNWAY_CONNECTOR_ALLOWED_HOSTS) before Runway may call it."
            )
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
    """Map a project to its provider project or workspace under an org-wide service."""

    org_service = forms.ModelChoiceField(
        queryset=ConnectedService.objects.none(),
        label="Organisation account",
        empty_label=None,
    )
    scope_id = forms.CharField(max_length=120)
    name = forms.CharField(max_length=120)
    environment = ServiceForm.base_fields["environment"]
    interval_minutes = ServiceForm.base_fields["interval_minutes"]

    def __init__(
        self,
        *args: Any,
        kind: str,
        org_services: QuerySet[ConnectedService],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["org_service"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = org_services
        for _, label, secret, help_text in KIND_FIELDS.get(kind, []):
            if not secret:
                scope = self.fields["scope_id"]
                scope.label, scope.help_text = label, help_text
                # Anthropic: empty means the whole organisation, as when connected directly.
                scope.required = kind == Kind.OPENAI
                break


class IngestTokenForm(forms.Form):
    name = forms.CharField(
        max_length=120,
        help_text="Where the token is used, e.g. “production API server”.",
    )
