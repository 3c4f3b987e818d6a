"""The Metrics page, a project's connected services (connect, test, sync, remove) and
its push API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HTMX_STOP_POLLING

from core.query import query_moment, whole_number
from metrics import enqueue, ingest, selectors, services
from metrics.connectors import ConnectorError
from metrics.forms import (
    ADMIN_ONLY_KINDS,
    DEFAULT_HOSTS,
    KIND_FIELDS,
    CredentialsForm,
    IngestTokenForm,
    OrgMappingForm,
    ServiceForm,
)
from metrics.models import ConnectedService, IngestToken, SyncRun
from projects.access import Action, can, get_project_for_user
from projects.models import Project
from projects.roles import is_admin
from projects.selectors import with_members

if TYPE_CHECKING:
    from core.http import AuthedRequest


@require_GET
def index(request: AuthedRequest) -> HttpResponse:
    """The health of every source the user may see."""
    services_ = list(selectors.visible_services(request.user))
    admin = is_admin(request.user)
    org = []
    if admin:
        org = list(selectors.org_services())
        counts = selectors.mapped_counts(org)
        for service in org:
            service.mapped_count = counts.get(service.pk, 0)  # type: ignore[attr-defined]
            service.replace_form = _credentials_form(service)  # type: ignore[attr-defined]
    return render(
        request,
        "metrics/index.html",
        {
            "services": services_,
            "is_admin": admin,
            "org_services": org,
            "org_kinds": [(k, ConnectedService.Kind(k).label) for k in ORG_KINDS],
        },
    )


# Organisation-wide provider kinds, in the order they are offered.
ORG_KINDS = [k for k, _ in ConnectedService.Kind.choices if k in ADMIN_ONLY_KINDS]


def _credentials_form(service: ConnectedService) -> CredentialsForm:
    """An empty "Replace key" form; ids carry the service so several fit on one page."""
    return CredentialsForm(kind=service.kind, auto_id=f"id_s{service.pk}_%s")


def _require_admin(request: AuthedRequest) -> None:
    if not is_admin(request.user):
        raise PermissionDenied("Organisation-wide services are managed by admins.")


@require_http_methods(["GET", "POST"])
def org_service_add(request: AuthedRequest, kind: str) -> HttpResponse:
    """An admin adds an organisation's provider admin key, for projects to map to."""
    _require_admin(request)
    if kind not in ORG_KINDS:
        return redirect("metrics:index")
    label = ConnectedService.Kind(kind).label
    form = ServiceForm(
        request.POST or None, kind=kind, organisation=True, initial={"name": label}
    )
    tested = ""
    if request.method == "POST" and form.is_valid():
        credentials, _ = form.split()
        base_url = form.cleaned_data["base_url"]
        if request.POST.get("action") == "test":
            try:
                tested = services.connection_test(
                    kind=kind,
                    base_url=base_url,
                    credentials=credentials,
                    config={},
                    environment="production",
                )
            except ConnectorError as exc:
                form.add_error(None, exc.message)
        else:
            service = services.service_create(
                project=None,
                kind=kind,
                name=form.cleaned_data["name"],
                created_by=request.user,
                base_url=base_url,
                credentials=credentials,
            )
            messages.success(
                request,
                f"{service.name} is added. Project leads and owners can now map "
                "their projects to it.",
            )
            return redirect("metrics:index")
    return render(
        request,
        "metrics/org_service_form.html",
        {
            "form": form,
            "label": label,
            "tested": tested,
            "default_host": DEFAULT_HOSTS.get(kind, ""),
        },
    )


def _org_service(request: AuthedRequest, pk: int) -> ConnectedService:
    _require_admin(request)
    return get_object_or_404(selectors.org_services(), pk=pk)


@require_POST
def org_service_replace_key(request: AuthedRequest, pk: int) -> HttpResponse:
    service = _org_service(request, pk)
    _replace_key(request, service)
    return redirect("metrics:index")


@require_POST
def org_service_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    service = _org_service(request, pk)
    services.service_delete(service=service)
    messages.success(
        request,
        f"{service.name} is removed; the projects mapped to it are disabled until "
        "they are mapped to another account.",
    )
    return redirect("metrics:index")


def _replace_key(request: AuthedRequest, service: ConnectedService) -> None:
    """Store the posted secrets in place of the service's, or say what was wrong."""
    if not service.credentials or service.config.get("org_service"):
        messages.error(request, f"{service.name} has no key of its own to replace.")
        return
    form = CredentialsForm(request.POST, kind=service.kind)
    if not form.fields or not form.is_valid():
        messages.error(
            request, f"The key of {service.name} was not replaced: fill in every field."
        )
        return
    was_disabled = not service.enabled
    services.service_replace_credentials(
        service=service, credentials=form.credentials()
    )
    messages.success(
        request,
        f"The key of {service.name} is replaced; the old one is gone"
        + (" and the service is enabled again." if was_disabled else "."),
    )


@require_GET
def project_metrics(request: AuthedRequest, slug: str) -> HttpResponse:
    project = with_members(get_project_for_user(request.user, slug))
    return _metrics_page(request, project)


def _metrics_page(
    request: AuthedRequest,
    project: Project,
    *,
    token_form: IngestTokenForm | None = None,
    new_secret: str = "",
) -> HttpResponse:
    may_connect = can(request.user, project, Action.CONNECT_SERVICES)
    kinds = [
        (kind, label)
        for kind, label in ConnectedService.Kind.choices
        if kind in KIND_FIELDS
        and (kind not in ADMIN_ONLY_KINDS or is_admin(request.user))
    ]
    services_ = list(selectors.services_of(project))
    org_by_pk = {s.pk: s for s in selectors.org_services()}
    for service in services_:
        org_pk = service.config.get("org_service") if service.config else None
        service.org_service = org_by_pk.get(org_pk) if org_pk else None  # type: ignore[attr-defined]
        service.replace_form = (  # type: ignore[attr-defined]
            _credentials_form(service)
            if may_connect and service.credentials and not org_pk
            else None
        )
    org_kinds = [
        (kind, ConnectedService.Kind(kind).label)
        for kind in ORG_KINDS
        if any(s.kind == kind for s in org_by_pk.values())
    ]
    template = "metrics/project_metrics.html"
    if request.htmx and request.htmx.target == "push-api":
        template += "#push-api"
    return render(
        request,
        template,
        {
            "project": project,
            "tab": "metrics",
            "services": services_,
            "summary": selectors.last_days_summary(project),
            "source_choices": selectors.source_choices(project),
            "may_connect": may_connect,
            "editable_kinds": services.EDITABLE_KINDS,
            "kinds": kinds,
            "org_kinds": org_kinds,
            "may_edit": can(request.user, project, Action.EDIT),
            "tokens": selectors.tokens_of(project) if may_connect else [],
            "token_form": token_form or IngestTokenForm(),
            "new_secret": new_secret,
            "ingest_url": request.build_absolute_uri(reverse("api:ingest")),
            "schema_url": request.build_absolute_uri(reverse("api:openapi-json")),
        },
    )


@require_POST
def token_create(request: AuthedRequest, slug: str) -> HttpResponse:
    """Make a push token and show its secret once. The page is rendered in answer to
    the POST rather than after a redirect, so the secret never passes through the
    session or a cookie."""
    project = with_members(
        get_project_for_user(request.user, slug, Action.CONNECT_SERVICES)
    )
    form = IngestTokenForm(request.POST)
    if not form.is_valid():
        return _metrics_page(request, project, token_form=form)
    _, secret = ingest.token_create(
        project=project, name=form.cleaned_data["name"], created_by=request.user
    )
    response = _metrics_page(request, project, new_secret=secret)
    # The secret is on this page only: no cache or history may keep it.
    add_never_cache_headers(response)
    return response


@require_POST
def token_revoke(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, slug, Action.CONNECT_SERVICES)
    token = get_object_or_404(IngestToken, project=project, pk=pk)
    ingest.token_revoke(token=token)
    messages.success(
        request, f"The token “{token.name}” is revoked; it no longer works."
    )
    return redirect("metrics:project", slug=slug)


@require_http_methods(["GET", "POST"])
def service_connect(request: AuthedRequest, slug: str, kind: str) -> HttpResponse:
    project = with_members(
        get_project_for_user(request.user, slug, Action.CONNECT_SERVICES)
    )
    if kind not in KIND_FIELDS:
        return redirect("metrics:project", slug=project.slug)
    if kind in ADMIN_ONLY_KINDS and not is_admin(request.user):
        raise PermissionDenied("Organisation-wide provider keys are added by admins.")
    label = ConnectedService.Kind(kind).label
    form = ServiceForm(request.POST or None, kind=kind, initial={"name": label})
    tested = ""
    if request.method == "POST" and form.is_valid():
        credentials, config = form.split()
        base_url = form.cleaned_data["base_url"]
        if request.POST.get("action") == "test":
            try:
                tested = services.connection_test(
                    kind=kind,
                    base_url=base_url,
                    credentials=credentials,
                    config=config,
                    environment=form.cleaned_data["environment"],
                )
            except ConnectorError as exc:
                form.add_error(None, exc.message)
        else:
            service = services.service_create(
                project=project,
                kind=kind,
                name=form.cleaned_data["name"],
                created_by=request.user,
                base_url=base_url,
                credentials=credentials,
                config=config,
                environment=form.cleaned_data["environment"],
                interval_minutes=form.cleaned_data["interval_minutes"],
            )
            messages.success(
                request, f"{service.name} is connected; the first sync has started."
            )
            return redirect("metrics:project", slug=project.slug)
    return render(
        request,
        "metrics/service_form.html",
        {
            "project": project,
            "tab": "metrics",
            "form": form,
            "kind": kind,
            "label": label,
            "tested": tested,
            "default_host": DEFAULT_HOSTS.get(kind, ""),
            "may_edit": can(request.user, project, Action.EDIT),
        },
    )


@require_http_methods(["GET", "POST"])
def service_map(request: AuthedRequest, slug: str, kind: str) -> HttpResponse:
    """Use the organisation's provider account: choose it and pick, from the list the
    provider returns, the project (OpenAI) or workspace (Anthropic) that is this
    project. Choosing another account re-renders only the ``scope-field`` partial."""
    project = with_members(
        get_project_for_user(request.user, slug, Action.CONNECT_SERVICES)
    )
    if kind not in ORG_KINDS:
        return redirect("metrics:project", slug=project.slug)
    label = ConnectedService.Kind(kind).label
    accounts = selectors.org_services(kind)
    if not accounts.exists():
        messages.error(request, f"No organisation-wide {label} account is set up yet.")
        return redirect("metrics:project", slug=project.slug)
    form = OrgMappingForm(
        request.POST or None,
        kind=kind,
        org_services=accounts,
        whole_organisation=is_admin(request.user),
        initial={
            "name": label,
            "environment": "production",
            "interval_minutes": 60,
            # The account asked for by ?org_service= (the account select reloads the
            # page with it): an id, or nothing when it is not one.
            "org_service": whole_number(request.GET.get("org_service")),
        },
    )
    if request.method == "POST" and form.is_valid():
        service = services.service_map_to_org(
            project=project,
            org_service=form.cleaned_data["org_service"],
            scope_id=form.cleaned_data["scope_id"],
            name=form.cleaned_data["name"],
            created_by=request.user,
            environment=form.cleaned_data["environment"],
            interval_minutes=form.cleaned_data["interval_minutes"],
        )
        messages.success(
            request,
            f"{service.name} now uses the organisation's account; the first sync has "
            "started.",
        )
        return redirect("metrics:project", slug=project.slug)
    form.offer_scopes()
    template = "metrics/service_map_form.html"
    if request.htmx and request.htmx.target == "scope-field":
        template += "#scope-field"
    return render(
        request,
        template,
        {
            "project": project,
            "tab": "metrics",
            "form": form,
            "label": label,
            "may_edit": can(request.user, project, Action.EDIT),
        },
    )


@require_POST
def service_replace_key(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    service = _service(request, slug, pk, Action.CONNECT_SERVICES)
    _replace_key(request, service)
    return redirect("metrics:project", slug=slug)


def _service(
    request: AuthedRequest, slug: str, pk: int, action: Action
) -> ConnectedService:
    project = get_project_for_user(request.user, slug, action)
    return get_object_or_404(
        ConnectedService, project=project, pk=pk, deleted_at__isnull=True
    )


@require_http_methods(["GET", "POST"])
def service_settings(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """Change a connected observability source's settings (feedback names and kind,
    queries, environment, schedule) without touching its address or keys."""
    service = _service(request, slug, pk, Action.CONNECT_SERVICES)
    if service.kind not in services.EDITABLE_KINDS:
        raise Http404("This service has no settings to change here.")
    form = ServiceForm(
        request.POST or None,
        kind=service.kind,
        editing=True,
        initial=ServiceForm.initial_of(service),
    )
    if request.method == "POST" and form.is_valid():
        _, config = form.split()
        services.service_settings_update(
            service=service,
            name=form.cleaned_data["name"],
            environment=form.cleaned_data["environment"],
            interval_minutes=form.cleaned_data["interval_minutes"],
            config=config,
            editable=form.config_keys(),
        )
        messages.success(
            request, f"{service.name}'s settings are saved; the next sync uses them."
        )
        return redirect("metrics:project", slug=slug)
    project = with_members(service.project) if service.project else None
    return render(
        request,
        "metrics/service_form.html",
        {
            "project": project,
            "tab": "metrics",
            "form": form,
            "kind": service.kind,
            "label": service.name,
            "service": service,
        },
    )


@require_POST
def service_sync_now(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    service = _service(request, slug, pk, Action.CONNECT_SERVICES)
    if service.kind == ConnectedService.Kind.PUSH:
        # Nothing to pull: a sync would fail for want of a connector and disable it.
        messages.info(request, f"{service.name} receives data; it has nothing to sync.")
        return redirect("metrics:project", slug=slug)
    if not service.enabled:
        messages.error(
            request, f"{service.name} is disabled: {service.disabled_reason}"
        )
        return redirect("metrics:project", slug=slug)
    enqueue.task_send_on_commit(enqueue.SYNC_SERVICE, service.pk)
    if request.htmx:
        return _status(request, service, queued=True)
    messages.success(request, f"Sync of {service.name} started.")
    return redirect("metrics:project", slug=slug)


@require_GET
def service_status(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """The service's health cell; it polls itself while a sync is running."""
    service = _service(request, slug, pk, Action.VIEW)
    return _status(request, service)


# How long the status keeps polling for a queued sync that no worker has picked up.
QUEUE_PATIENCE = timedelta(minutes=2)


def _status(
    request: AuthedRequest, service: ConnectedService, *, queued: bool = False
) -> HttpResponse:
    latest = service.runs.first()
    since = query_moment(request, "since") if not queued else timezone.now()
    waiting = since is not None and (latest is None or latest.started_at < since)
    if waiting and since is not None and timezone.now() - since > QUEUE_PATIENCE:
        waiting = False  # stop polling; the cell says the sync is still queued
    running = (
        queued
        or waiting
        or (latest is not None and latest.status == SyncRun.Status.RUNNING)
    )
    response = render(
        request,
        "metrics/_service_status.html",
        {
            "service": service,
            "latest": latest,
            "running": running,
            "queued_since": since
            if (latest is None or (since and latest.started_at < since))
            else None,
            "project": service.project,
        },
    )
    if request.htmx and not running and request.method == "GET":
        response.status_code = HTMX_STOP_POLLING
    return response


@require_POST
def service_remove(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    service = _service(request, slug, pk, Action.CONNECT_SERVICES)
    services.service_delete(service=service)
    messages.success(
        request, f"{service.name} is removed. Its data and history stay, labelled."
    )
    return redirect("metrics:project", slug=slug)


@require_POST
def metric_sources(request: AuthedRequest, slug: str) -> HttpResponse:
    """Save which source counts for each metric fed by several sources."""
    project = get_project_for_user(request.user, slug, Action.CONNECT_SERVICES)
    for metric, _, sources, _ in selectors.source_choices(project):
        value = request.POST.get(f"source-{metric}", "")
        chosen = next((s for s in sources if str(s.pk) == value), None)
        if value and chosen is None:
            messages.error(request, "Choose one of the sources that feed the metric.")
            return redirect("metrics:project", slug=project.slug)
        services.metric_source_set(project=project, metric=metric, service=chosen)
    messages.success(request, "The sources that count are saved.")
    return redirect("metrics:project", slug=project.slug)
