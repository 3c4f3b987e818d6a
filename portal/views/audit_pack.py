"""A project's audit pack, as a PDF or as a ZIP of that PDF with the evidence files.

Anyone who may see the project may make one (the evidence is theirs to download
already); each one made is recorded in the project's audit trail."""

from __future__ import annotations

import tempfile

from django.http import FileResponse, HttpResponse
from django.views.decorators.http import require_GET

from core.http import AuthedRequest
from core.pdf import PdfUnavailable, render_pdf, unavailable_response
from portal.audit_pack import audit_pack, write_zip
from portal.audit_pack_services import audit_pack_record
from portal.models import AuditPackKind
from projects.access import Action, get_project_for_user

TEMPLATE = "portal/audit_pack.html"
# Evidence files stay in memory up to this size; a bigger archive goes to disk.
IN_MEMORY_BYTES = 16 * 1024 * 1024
WITHOUT_PDF = (
    "The audit pack cannot be made here; the project's pages and its CSV exports "
    "still work."
)


@require_GET
def audit_pack_pdf(request: AuthedRequest, slug: str) -> HttpResponse:
    project = get_project_for_user(request.user, slug, Action.EXPORT)
    pack = audit_pack(project, request.user)
    try:
        pdf = render_pdf(TEMPLATE, {"pack": pack}, request)
    except PdfUnavailable:
        return unavailable_response(WITHOUT_PDF)
    audit_pack_record(project=project, user=request.user, kind=AuditPackKind.PDF)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pack.filename}.pdf"'
    return response


@require_GET
def audit_pack_zip(request: AuthedRequest, slug: str) -> HttpResponse | FileResponse:
    project = get_project_for_user(request.user, slug, Action.EXPORT)
    pack = audit_pack(project, request.user)
    try:
        pdf = render_pdf(TEMPLATE, {"pack": pack, "zip": True}, request)
    except PdfUnavailable:
        return unavailable_response(WITHOUT_PDF)
    # FileResponse closes the archive once it is sent, so no ``with`` here.
    archive = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_BYTES)  # noqa: SIM115
    try:
        files = write_zip(pack, pdf, archive)
    except BaseException:
        archive.close()
        raise
    archive.seek(0)
    audit_pack_record(
        project=project, user=request.user, kind=AuditPackKind.ZIP, evidence_files=files
    )
    return FileResponse(
        archive,
        as_attachment=True,
        filename=f"{pack.filename}.zip",
        content_type="application/zip",
    )
