"""My work: what waits for the signed-in person, each row linking to where it is done."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.query import whole_number
from portal import my_work as selectors
from portal.my_work import WorkKind

if TYPE_CHECKING:
    from core.http import AuthedRequest

PAGE_SIZE = 50
_KINDS = {kind.value: kind for kind in WorkKind}


@require_GET
def my_work(request: AuthedRequest) -> HttpResponse:
    """Every list, capped, or with ``?list=<kind>`` one whole list, 50 rows a page.
    An unknown list name shows every list."""
    kind = _KINDS.get(request.GET.get("list", ""))
    if kind is None:
        work = selectors.my_work(request.user)
        return render(request, "portal/my_work.html", {"work": work})
    page = Paginator(selectors.full_list(request.user, kind), PAGE_SIZE).get_page(
        whole_number(request.GET.get("page"), 1)
    )
    return render(request, "portal/my_work.html", {"kind": kind, "page": page})
