"""The library of AI risks, maintained by admins in Runway's own pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, When
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from projects.models import DataClassification, UseCase
from projects.roles import is_admin
from risks import services
from risks.forms import LibraryRiskForm
from risks.models import LibraryRisk, RiskCategory
from risks.scoring import band

if TYPE_CHECKING:
    from core.http import AuthedRequest

PAGE_SIZE = 50
ACTIVE = {"yes": True, "no": False}


def _require_admin(request: AuthedRequest) -> None:
    if not is_admin(request.user):
        raise PermissionDenied("Only admins maintain the risk library.")


@require_GET
def library_list(request: AuthedRequest) -> HttpResponse:
    _require_admin(request)
    # A value that is not a choice (an old link, a hand-edited URL) filters nothing.
    category = request.GET.get("category", "")
    category = category if category in RiskCategory.values else ""
    active = request.GET.get("active", "")
    active = active if active in ACTIVE else ""
    entries = LibraryRisk.objects.annotate(
        mitigation_count=Count("mitigations", distinct=True)
    ).prefetch_related("frameworks")
    # Categories in the order the filter lists them (an aggregate would drop the
    # model's default ordering anyway, and pages need a stable one).
    category_order = Case(
        *(When(category=value, then=n) for n, value in enumerate(RiskCategory.values)),
        default=len(RiskCategory.values),
    )
    entries = entries.order_by(category_order, "title", "pk")
    if category:
        entries = entries.filter(category=category)
    if active:
        entries = entries.filter(active=ACTIVE[active])
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = QueryDict(mutable=True)
    for key, value in (("category", category), ("active", active)):
        if value:
            shown[key] = value
    template = "risks/library_list.html"
    if request.htmx and request.htmx.target == "library-table":
        template += "#library-table"
    return render(
        request,
        template,
        {
            "page": page,
            "rows": [_row(entry) for entry in page.object_list],
            "categories": RiskCategory.choices,
            "category": category,
            "active": active,
            "querystring": shown.urlencode(),
        },
    )


def _row(entry: LibraryRisk) -> dict[str, Any]:
    score = entry.likelihood * entry.impact
    use_cases = dict(UseCase.choices)
    return {
        "entry": entry,
        "score": score,
        "band": band(score),
        "use_cases": [use_cases.get(value, value) for value in entry.use_cases],
        "min_classification": DataClassification(entry.min_classification).label
        if entry.min_classification
        else "",
        "frameworks": [framework.name for framework in entry.frameworks.all()],
    }


@require_http_methods(["GET", "POST"])
def library_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    _require_admin(request)
    entry = get_object_or_404(LibraryRisk, pk=pk) if pk is not None else None
    # The form writes into the entry as it validates: keep the heading as saved.
    heading = entry.title if entry is not None else "New library entry"
    form = LibraryRiskForm(request.POST or None, instance=entry)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.library_risk_save(
                entry=form.instance,
                frameworks=form.cleaned_data["frameworks"],
                mitigations=form.cleaned_data["mitigations"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            verb = "saved" if entry is not None else "added to the library"
            messages.success(request, f"“{saved.title}” {verb}.")
            return redirect("risks:library")
    return render(
        request,
        "risks/library_form.html",
        {"form": form, "entry": entry, "heading": heading},
    )
