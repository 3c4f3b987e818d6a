"""A step's page: its checklist (htmx rows), evidence, sign-offs and gate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import (
    HttpResponseClientRefresh,
    reswap,
    retarget,
    trigger_client_event,
)

from projects import selectors, services, step_selectors, step_services
from projects.access import Action, can, get_project_for_user
from projects.forms import (
    ChecklistBulkForm,
    CustomItemForm,
    EvidenceForm,
    ItemDetailsForm,
    ItemStateForm,
    ReasonForm,
    SignOffDecisionForm,
    SignOffRequestForm,
    StepForm,
)
from projects.models import (
    ChecklistItem,
    Evidence,
    ItemState,
    Project,
    ProjectStep,
    SignOff,
    StepStatus,
)

if TYPE_CHECKING:
    from core.http import AuthedRequest

# The step page's region that asks for a refresh after a checklist change; the
# answer refreshes the stepper and the gate as well.
REFRESH_TARGET = "step-progress-region"


def _project_step(project: Project, number: int) -> ProjectStep:
    return get_object_or_404(
        ProjectStep.objects.select_related("step", "owner", "project"),
        project=project,
        step__number=number,
    )


def _step_context(
    request: AuthedRequest, project: Project, project_step: ProjectStep
) -> dict[str, Any]:
    selectors.with_members(project)
    steps = step_selectors.step_summaries(project)
    user = request.user
    return {
        "project": project,
        "members": selectors.member_choices(project),
        "tab": "steps",
        "project_step": project_step,
        "steps": steps,
        "summary": steps[project_step.step.number - 1],
        "items": step_selectors.step_checklist(project, project_step.step_id),
        "signoffs": step_selectors.step_signoffs(project, project_step.step_id),
        "gate": step_selectors.gate_result(project_step),
        "may_work": can(user, project, Action.WORK_CHECKLIST),
        "may_run": can(user, project, Action.RUN_ASSESSMENT),
        "may_edit": can(user, project, Action.EDIT),
        "locked": project_step.status == StepStatus.DONE,
        "step_form": StepForm(
            project=project,
            initial={
                "owner": project_step.owner_id,
                "due_date": project_step.due_date,
                "status": project_step.status
                if project_step.status != StepStatus.DONE
                else StepStatus.IN_PROGRESS,
                "blocked_reason": project_step.blocked_reason,
            },
        ),
        "signoff_form": SignOffRequestForm(
            project=project, roles=list(project_step.step.signoff_roles)
        ),
        "custom_form": CustomItemForm(),
        "bulk_form": ChecklistBulkForm(project=project),
        "reopen_form": ReasonForm(),
    }


@require_GET
def step_detail(request: AuthedRequest, slug: str, number: int) -> HttpResponse:
    project = get_project_for_user(request.user, slug)
    project_step = _project_step(project, number)
    context = _step_context(request, project, project_step)
    refresh = bool(request.htmx) and request.htmx.target == REFRESH_TARGET
    template = "projects/_step_refresh.html" if refresh else "projects/step_detail.html"
    return render(request, template, context)


@require_GET
def current_step(request: AuthedRequest, slug: str) -> HttpResponse:
    """The Steps tab opens on the project's current step (step 7 once launched)."""
    project = get_project_for_user(request.user, slug)
    current = next(
        (s for s in step_selectors.step_summaries(project) if s.is_current), None
    )
    return redirect(
        "projects:step", slug=project.slug, number=current.number if current else 7
    )


def _item_for(
    request: AuthedRequest, slug: str, pk: int, action: Action
) -> ChecklistItem:
    """The project for ``action`` (404 or 403 as ``get_project_for_user`` answers,
    with its logging), then its item with the assignee; an item of another project
    is as missing as no item."""
    project = get_project_for_user(request.user, slug, action)
    item = step_selectors.checklist_item_for(project, pk)
    if item is None:
        raise Http404("No such checklist item.")
    return item


def _render_item(
    request: AuthedRequest,
    item: ChecklistItem,
    *,
    error: str = "",
    changed: bool = True,
    head_only: bool = False,
) -> HttpResponse:
    """The item's row, with the event that refreshes progress, stepper and gate.

    A tick between open and done changes only the row's head (``_head_ticked``),
    which is all that is sent back then; anything else, an error included, sends
    the whole row, in place of the head if that was the target. The item is as the
    view and the service left it (assignee and ticker loaded); the whole row reads
    its evidence as well."""
    project = item.project
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("projects:step", slug=project.slug, number=item.step.number)
    context = {
        "item": item,
        "project": project,
        "may_work": can(request.user, project, Action.WORK_CHECKLIST),
        "locked": False,
    }
    if head_only:
        response = render(request, "projects/_checklist_item.html#head", context)
    else:
        step_selectors.with_evidence(item)
        context |= {"members": selectors.member_choices(project), "error": error}
        response = render(request, "projects/_checklist_item.html", context)
        if request.htmx.target != f"item-{item.pk}":
            retarget(response, f"#item-{item.pk}")
            reswap(response, "outerHTML")
    if changed:
        trigger_client_event(response, "checklist-changed", {"item": item.pk})
    return response


@require_POST
def item_state(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    item = _item_for(request, slug, pk, Action.WORK_CHECKLIST)
    form = ItemStateForm(request.POST)
    if not form.is_valid():
        return _render_item(request, item, error=_first_error(form), changed=False)
    was = item.state
    try:
        services.item_set_state(
            item=item,
            state=form.cleaned_data["state"],
            actor=request.user,
            justification=form.cleaned_data["justification"],
        )
    except ValidationError as exc:
        return _render_item(request, item, error=" ".join(exc.messages), changed=False)
    return _render_item(request, item, head_only=_head_ticked(request, item, was))


def _head_ticked(request: AuthedRequest, item: ChecklistItem, was: str) -> bool:
    """Whether the page asked for the head only and the change fits in it: between
    open and done. Leaving or entering "not applicable" changes the whole row (its
    note, its form and its colour), so an out-of-date page gets the whole row."""
    return (
        request.htmx.target == f"item-{item.pk}-head"
        and ItemState.NOT_APPLICABLE not in (was, item.state)
    )


@require_POST
def item_update(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    item = _item_for(request, slug, pk, Action.WORK_CHECKLIST)
    form = ItemDetailsForm(request.POST, project=item.project)
    if not form.is_valid():
        return _render_item(request, item, error=_first_error(form), changed=False)
    try:
        services.item_update(item=item, actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        return _render_item(request, item, error=" ".join(exc.messages), changed=False)
    return _render_item(request, item)


@require_POST
def evidence_add(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    item = _item_for(request, slug, pk, Action.WORK_CHECKLIST)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_item(request, item, error=_first_error(form), changed=False)
    try:
        services.evidence_add(
            item=item,
            actor=request.user,
            url=form.cleaned_data["url"],
            upload=form.cleaned_data["file"],
        )
    except ValidationError as exc:
        return _render_item(request, item, error=" ".join(exc.messages), changed=False)
    return _render_item(request, item)


@require_POST
def evidence_remove(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, slug, Action.WORK_CHECKLIST)
    evidence = get_object_or_404(
        Evidence.objects.select_related(
            "item__step", "item__assignee", "item__completed_by"
        ),
        item__project=project,
        pk=pk,
    )
    item = evidence.item
    item.project = project
    try:
        services.evidence_remove(evidence=evidence)
    except ValidationError as exc:
        return _render_item(request, item, error=" ".join(exc.messages), changed=False)
    return _render_item(request, item)


@require_GET
def evidence_download(request: AuthedRequest, slug: str, pk: int) -> FileResponse:
    """Files are served only through this view, to people who may see the project."""
    project = get_project_for_user(request.user, slug)
    evidence = get_object_or_404(Evidence, item__project=project, pk=pk)
    if not evidence.file:
        raise Http404("This evidence is a link, not a file.")
    return FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name or "evidence",
    )


@require_POST
def custom_item_add(request: AuthedRequest, slug: str, number: int) -> HttpResponse:
    project = get_project_for_user(request.user, slug, Action.WORK_CHECKLIST)
    project_step = _project_step(project, number)
    form = CustomItemForm(request.POST)
    if form.is_valid():
        try:
            services.custom_item_add(
                project=project, step=project_step.step, **form.cleaned_data
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Item added to this project's checklist.")
    else:
        messages.error(request, _first_error(form))
    return _back_to_step(request, project, number)


@require_POST
def checklist_bulk(request: AuthedRequest, slug: str, number: int) -> HttpResponse:
    """Tick, assign or mark not applicable the selected items, all or none; the
    same permission as changing one item."""
    project = get_project_for_user(request.user, slug, Action.WORK_CHECKLIST)
    project_step = _project_step(project, number)
    form = ChecklistBulkForm(request.POST, project=project)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return _back_to_step(request, project, number)
    data = form.cleaned_data
    try:
        items = services.items_bulk_update(
            project=project,
            step=project_step.step,
            item_ids=data["item_ids"],
            action=data["action"],
            actor=request.user,
            assignee=data["assignee"],
            justification=data["justification"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        done = {
            "done": "ticked",
            "assign": f"assigned to {data['assignee']}",
            "not_applicable": "marked not applicable",
        }[data["action"]]
        messages.success(request, f"{len(items)} item(s) {done}.")
    return _back_to_step(request, project, number)


@require_POST
def checklist_refresh(request: AuthedRequest, slug: str, number: int) -> HttpResponse:
    """Pick up catalog changes; ticks, notes and evidence already recorded stay."""
    project = get_project_for_user(request.user, slug, Action.RUN_ASSESSMENT)
    result = services.checklist_refresh(project=project)
    messages.success(
        request,
        f"Checklist refreshed from the catalog: {result.added} added, {result.updated} updated, "
        f"{result.no_longer_applicable} no longer apply.",
    )
    return _back_to_step(request, project, number)


@require_POST
def step_update(request: AuthedRequest, slug: str, number: int) -> HttpResponse:
    project = get_project_for_user(request.user, slug, Action.RUN_ASSESSMENT)
    project_step = _project_step(project, number)
    form = StepForm(request.POST, project=project)
    if form.is_valid():
        try:
            step_services.step_update(
                project_step=project_step, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Step saved.")
    else:
        messages.error(request, _first_error(form))
    return _back_to_step(request, project, number)


@require_POST
def step_mark_done(request: AuthedRequest, slug: str, number: int) -> HttpResponse:
    project = get_project_for_user(request.user, slug, Action.RUN_ASSESSMENT)
    project_step = _project_step(project, number)
    try:
        step_services.step_mark_done(project_step=project_step)
    except step_services.GateFailed as failed:
        context = _step_context(request, project, project_step)
        context["gate"], context["gate_refused"] = failed.result, True
        if request.htmx:
            return render(request, "projects/step_detail.html#gate", context)
        messages.error(request, f"Step {number} cannot be marked done yet: {failed}")
        return redirect("projects:step", slug=project.slug, number=number)
    messages.success(request, f"Step {number} is done.")
    return _back_to_step(request, project, number)


@require_POST
def step_reopen(request: AuthedRequest, slug: str, number: int) -> HttpResponse:
    project = get_project_for_user(request.user, slug, Action.RUN_ASSESSMENT)
    project_step = _project_step(project, number)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the step is reopened.")
        return _back_to_step(request, project, number)
    try:
        step_services.step_reopen(
            project_step=project_step, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Step {number} is reopened.")
    return _back_to_step(request, project, number)


@require_POST
def signoff_request(request: AuthedRequest, slug: str, number: int) -> HttpResponse:
    project = get_project_for_user(request.user, slug, Action.RUN_ASSESSMENT)
    project_step = _project_step(project, number)
    form = SignOffRequestForm(
        request.POST, project=project, roles=list(project_step.step.signoff_roles)
    )
    if form.is_valid():
        try:
            step_services.signoff_request(
                project_step=project_step, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, f"Sign-off requested from {form.cleaned_data['signer']}."
            )
    else:
        messages.error(request, _first_error(form))
    return _back_to_step(request, project, number)


@require_POST
def signoff_decide(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, slug)
    signoff = get_object_or_404(
        SignOff.objects.select_related("step"), project=project, pk=pk
    )
    if signoff.signer_id != request.user.pk:
        raise PermissionDenied("Only the person asked can decide this sign-off.")
    form = SignOffDecisionForm(request.POST)
    if form.is_valid():
        try:
            step_services.signoff_decide(
                signoff=signoff,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, f"Sign-off {signoff.get_status_display().lower()}."
            )
    else:
        messages.error(request, _first_error(form))
    return _back_to_step(request, project, signoff.step.number)


def _back_to_step(
    request: AuthedRequest, project: Project, number: int
) -> HttpResponse:
    if request.htmx:
        return HttpResponseClientRefresh()
    return redirect(
        reverse("projects:step", kwargs={"slug": project.slug, "number": number})
    )


def _first_error(form: Any) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return "Please check the form."
