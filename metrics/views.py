from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from projects.selectors import project_list_for_user

if TYPE_CHECKING:
    from portal.http import AuthedRequest


@require_GET
def index(request: AuthedRequest) -> HttpResponse:
    """Empty state until this area is built: lists the projects it will cover."""
    projects = project_list_for_user(request.user)[:50]
    return render(request, "metrics/index.html", {"projects": projects})
