"""The inventory of vendors and models, kept by admins in Runway's own pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from inventory import selectors, services
from inventory.forms import AIModelForm, VendorForm
from inventory.models import AIModel, ApprovalStatus, Vendor, VendorKind
from projects.roles import is_admin

if TYPE_CHECKING:
    from django.forms import ModelForm

    from core.http import AuthedRequest

PAGE_SIZE = 50


def _require_admin(request: AuthedRequest) -> None:
    if not is_admin(request.user):
        raise PermissionDenied("Only admins keep the inventory of vendors and models.")


def _data(request: AuthedRequest) -> QueryDict | None:
    # A POST with no fields still validates (and shows what is missing).
    return request.POST if request.method == "POST" else None


def _shown(**filters: str) -> str:
    """The filters in force, for the pagination links."""
    shown = QueryDict(mutable=True)
    for key, value in filters.items():
        if value:
            shown[key] = value
    return shown.urlencode()


def _list(
    request: AuthedRequest, template: str, target: str, context: dict[str, Any]
) -> HttpResponse:
    if request.htmx and request.htmx.target == target:
        template += f"#{target}"
    return render(request, template, {"tab": "inventory", **context})


@require_GET
def vendor_list(request: AuthedRequest) -> HttpResponse:
    _require_admin(request)
    # A value that is not a choice (an old link, a hand-edited URL) filters nothing.
    kind = request.GET.get("kind", "")
    kind = kind if kind in VendorKind.values else ""
    review = "overdue" if request.GET.get("review") == "overdue" else ""
    today = timezone.localdate()
    vendors = selectors.vendor_list(kind=kind, overdue=bool(review), today=today)
    page = Paginator(vendors, PAGE_SIZE).get_page(request.GET.get("page"))
    return _list(
        request,
        "inventory/vendor_list.html",
        "vendor-table",
        {
            "page": page,
            "rows": [
                {
                    "vendor": vendor,
                    "overdue": vendor.next_review_on is not None
                    and vendor.next_review_on < today,
                }
                for vendor in page.object_list
            ],
            "kinds": VendorKind.choices,
            "kind": kind,
            "review": review,
            "querystring": _shown(kind=kind, review=review),
        },
    )


@require_GET
def model_list(request: AuthedRequest) -> HttpResponse:
    _require_admin(request)
    approval = request.GET.get("approval", "")
    approval = approval if approval in ApprovalStatus.values else ""
    vendors = selectors.vendor_choices()
    vendor = request.GET.get("vendor", "")
    vendor = vendor if vendor in {"none", *(str(pk) for pk, _ in vendors)} else ""
    models = selectors.model_list(approval=approval, vendor=vendor)
    page = Paginator(models, PAGE_SIZE).get_page(request.GET.get("page"))
    return _list(
        request,
        "inventory/model_list.html",
        "model-table",
        {
            "page": page,
            "models": page.object_list,
            "approvals": ApprovalStatus.choices,
            "approval": approval,
            "vendors": [(str(pk), name) for pk, name in vendors],
            "vendor": vendor,
            "querystring": _shown(approval=approval, vendor=vendor),
        },
    )


def _save(
    request: AuthedRequest,
    form: ModelForm[Any],
    save: Any,
    *,
    added: bool,
    back: str,
) -> HttpResponse | None:
    """Save a valid form through its service; None when the form has errors to show."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        saved = save(form.instance)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        return None
    messages.success(
        request, f"“{saved.name}” {'added to the inventory' if added else 'saved'}."
    )
    return redirect(back)


@require_http_methods(["GET", "POST"])
def vendor_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    _require_admin(request)
    vendor = get_object_or_404(Vendor, pk=pk) if pk is not None else None
    # The form writes into the vendor as it validates: keep the heading as saved.
    heading = vendor.name if vendor is not None else "New vendor"
    form = VendorForm(_data(request), instance=vendor)
    done = _save(
        request,
        form,
        lambda v: services.vendor_save(vendor=v),
        added=vendor is None,
        back="inventory:vendors",
    )
    return done or render(
        request,
        "inventory/vendor_form.html",
        {"form": form, "vendor": vendor, "heading": heading, "tab": "inventory"},
    )


@require_http_methods(["GET", "POST"])
def model_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    _require_admin(request)
    model = get_object_or_404(AIModel, pk=pk) if pk is not None else None
    heading = model.name if model is not None else "New model"
    form = AIModelForm(_data(request), instance=model)
    done = _save(
        request,
        form,
        lambda m: services.ai_model_save(model=m),
        added=model is None,
        back="inventory:models",
    )
    uses = selectors.model_uses(model) if model is not None else []
    return done or render(
        request,
        "inventory/model_form.html",
        {
            "form": form,
            "model": model,
            "heading": heading,
            "uses": uses,
            "tab": "inventory",
        },
    )
