"""My work: what waits for the signed-in person, each row linking to where it is done."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Window
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.query import whole_number
from portal import my_work as selectors
from portal.my_work import LIST_CAP, WorkKind
from projects.roles import GlobalRole, has_role
from risks.selectors import pending_acceptances

if TYPE_CHECKING:
    from core.http import AuthedRequest
    from portal.models import User

PAGE_SIZE = 50
_KINDS = {kind.value: kind for kind in WorkKind}
# Executives' own list, beside the five everyone has: risks waiting for their word.
ACCEPTANCES = "acceptances"


def _acceptances(user: User) -> QuerySet[Any] | None:
    """Risk acceptances waiting for an executive, for executives only (None for
    everyone else: the list is not theirs)."""
    if not has_role(user, GlobalRole.EXECUTIVE):
        return None
    return pending_acceptances()


@require_GET
def my_work(request: AuthedRequest) -> HttpResponse:
    """Every list, capped, or with ``?list=<kind>`` one whole list, 50 rows a page.
    An unknown list name shows every list."""
    asked = request.GET.get("list", "")
    acceptances = _acceptances(request.user)
    if asked == ACCEPTANCES and acceptances is not None:
        return _one_list(request, ACCEPTANCES, acceptances)
    kind = _KINDS.get(asked)
    if kind is not None:
        return _one_list(request, kind, selectors.full_list(request.user, kind))
    work = selectors.my_work(request.user)
    context: dict[str, Any] = {"work": work, "total": work.total}
    if acceptances is not None:
        shown = list(acceptances.annotate(work_total=Window(Count("pk")))[:LIST_CAP])
        count = shown[0].work_total if shown else 0
        context["acceptances"] = {
            "kind": ACCEPTANCES,
            "rows": shown,
            "count": count,
            "more": count > len(shown),
        }
        context["total"] += count
    return render(request, "portal/my_work.html", context)


def _one_list(request: AuthedRequest, kind: str, rows: QuerySet[Any]) -> HttpResponse:
    page = Paginator(rows, PAGE_SIZE).get_page(whole_number(request.GET.get("page"), 1))
    return render(request, "portal/my_work.html", {"kind": kind, "page": page})
