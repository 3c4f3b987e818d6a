"""The control libraries, kept by admins: what is imported, and uploading a new one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from controls import services
from controls.forms import LibraryUploadForm
from controls.library_file import LibraryError
from controls.models import ControlLibrary
from projects.roles import is_admin

if TYPE_CHECKING:
    from core.http import AuthedRequest


@require_http_methods(["GET", "POST"])
def library_list(request: AuthedRequest) -> HttpResponse:
    if not is_admin(request.user):
        raise PermissionDenied("Only admins import control libraries.")
    form = LibraryUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            library, created = services.library_import(
                upload.name, form.cleaned_data["text"], by=request.user
            )
        except LibraryError as error:
            form.add_error("file", str(error))
        else:
            if created:
                messages.success(
                    request,
                    f"Imported {library.framework.name} {library.version} with "
                    f"{library.controls.count()} controls.",
                )
            else:
                messages.info(
                    request,
                    f"{library.framework.name} {library.version} was already imported "
                    "from this very file; nothing changed.",
                )
            return redirect("controls:libraries")
    libraries = ControlLibrary.objects.select_related(
        "framework", "imported_by"
    ).annotate(
        control_count=Count("controls", distinct=True),
        project_count=Count("adoptions", distinct=True),
    )
    return render(
        request,
        "controls/library_list.html",
        {"libraries": libraries, "form": form},
        status=422 if form.errors else 200,
    )
