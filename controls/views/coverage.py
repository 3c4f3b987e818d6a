"""Control coverage: a project's frameworks, one framework's controls, the statement
of applicability (CSV and PDF), moving to another version, and coverage across the
portfolio."""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from controls import selectors, services, soa
from controls.coverage import ControlStatus, FrameworkCoverage
from controls.models import ControlLibrary
from core.pdf import PdfUnavailable, render_pdf, unavailable_response
from projects.access import Action, can, get_project_for_user, visible_projects
from projects.exports import csv_response
from projects.models import Framework, Project

if TYPE_CHECKING:
    from core.http import AuthedRequest

PAGE_SIZE = 50


@require_GET
def project_controls(request: AuthedRequest, slug: str) -> HttpResponse:
    project = get_project_for_user(request.user, slug)
    return render(
        request,
        "controls/project_controls.html",
        {
            "project": project,
            "tab": "controls",
            "frameworks": selectors.project_frameworks(project),
            "may_edit": can(request.user, project, Action.EDIT),
        },
    )


def _followed(project: Project, code: str) -> ControlLibrary:
    framework = get_object_or_404(project.frameworks, code=code)
    library = selectors.followed_libraries(project).get(framework.pk)
    if library is None:
        raise Http404(f"No library of {framework.name} is imported yet.")
    return library


def _statement(
    request: AuthedRequest, project: Project, library: ControlLibrary
) -> tuple[FrameworkCoverage, list[soa.SoaRow]]:
    coverage = selectors.coverage_of(project, library)
    evidence = selectors.evidence_of(
        item.id for c in coverage.controls for item in c.items
    )

    def file_link(pk: int) -> str:
        return request.build_absolute_uri(
            reverse(
                "projects:evidence_download", kwargs={"slug": project.slug, "pk": pk}
            )
        )

    return coverage, soa.statement(coverage, evidence, file_link)


@require_GET
def framework_controls(request: AuthedRequest, slug: str, code: str) -> HttpResponse:
    project = get_project_for_user(request.user, slug)
    library = _followed(project, code)
    coverage, rows = _statement(request, project, library)
    status = request.GET.get("status", "")
    status = status if status in {s.value for s in ControlStatus} else ""
    shown = [r for r in rows if not status or r.coverage.status == status]
    return render(
        request,
        "controls/framework_controls.html",
        {
            "project": project,
            "tab": "controls",
            "library": library,
            "coverage": coverage,
            "groups": [
                (group, list(members))
                for group, members in groupby(
                    shown, key=lambda r: r.coverage.control.group
                )
            ],
            "shown": len(shown),
            "may_edit": can(request.user, project, Action.EDIT),
            "status": status,
            "statuses": list(ControlStatus),
        },
    )


def _filename(project: Project, library: ControlLibrary) -> str:
    return (
        f"{project.slug}-{slugify(library.framework.code)}-statement-of-applicability"
    )


@require_GET
def soa_csv(request: AuthedRequest, slug: str, code: str) -> StreamingHttpResponse:
    project = get_project_for_user(request.user, slug, Action.EXPORT)
    library = _followed(project, code)
    _, rows = _statement(request, project, library)
    return csv_response(soa.csv_rows(rows), f"{_filename(project, library)}.csv")


@require_GET
def soa_pdf(request: AuthedRequest, slug: str, code: str) -> HttpResponse:
    project = get_project_for_user(request.user, slug, Action.EXPORT)
    library = _followed(project, code)
    coverage, rows = _statement(request, project, library)
    context: dict[str, Any] = {
        "project": project,
        "library": library,
        "coverage": coverage,
        "rows": rows,
    }
    try:
        pdf = render_pdf("controls/soa.html", context, request)
    except PdfUnavailable:
        return unavailable_response("The statement's CSV still works.")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(project, library)}.pdf"'
    )
    return response


@require_POST
def library_move(request: AuthedRequest, slug: str, code: str) -> HttpResponse:
    project = get_project_for_user(request.user, slug, Action.EDIT)
    framework = get_object_or_404(project.frameworks, code=code)
    chosen = request.POST.get("library", "")
    library = (
        ControlLibrary.objects.filter(framework=framework, pk=int(chosen)).first()
        if chosen.isdigit()
        else None
    )
    if library is None:
        messages.error(request, f"Choose a version of {framework.name} to move to.")
    else:
        try:
            services.library_adopt(project, library, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                f"{project.name} now follows {framework.name} {library.version}.",
            )
    return redirect("controls:project", slug=project.slug)


@require_GET
def portfolio_coverage(request: AuthedRequest) -> HttpResponse:
    projects = (
        visible_projects(request.user)
        .filter(archived_at__isnull=True, frameworks__isnull=False)
        .distinct()
        .order_by("name", "pk")
    )
    # The summary covers every project the person sees; the table pages through them.
    frameworks, rows = selectors.portfolio_coverage(projects)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "controls/portfolio_coverage.html",
        {
            "page": page,
            "frameworks": frameworks,
            "rows": [
                (row.project, [_cell(row, f) for f in frameworks])
                for row in page.object_list
            ],
            "summary": _summary(frameworks, rows),
        },
    )


def _cell(row: selectors.CoverageRow, framework: Framework) -> FrameworkCoverage | str:
    """The project's coverage of the framework, or why there is none."""
    if framework.pk in row.cells:
        return row.cells[framework.pk]
    return "not under this framework"


def _summary(
    frameworks: list[Framework], rows: list[selectors.CoverageRow]
) -> list[tuple[Framework, int, int | None]]:
    """Per framework: projects measured and their mean coverage."""
    summary = []
    for framework in frameworks:
        percents = [
            cell.percent
            for row in rows
            if (cell := row.cells.get(framework.pk)) is not None
            and cell.percent is not None
        ]
        mean = sum(percents) // len(percents) if percents else None
        summary.append((framework, len(percents), mean))
    return summary
