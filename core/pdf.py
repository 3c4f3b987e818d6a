"""PDFs rendered on the server by WeasyPrint from the very templates the browser
prints (the board report, a project's audit pack), styled by ``css/report.css``."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


class PdfUnavailable(RuntimeError):
    """WeasyPrint cannot load its system libraries (pango) on this server."""


def render_pdf(template: str, context: dict[str, Any], request: HttpRequest) -> bytes:
    # Imported here: WeasyPrint loads pango when imported, which only the PDFs need,
    # and a machine without it still serves every page.
    try:
        from weasyprint import CSS, HTML
    except OSError as error:
        logger.exception("WeasyPrint cannot load pango: PDFs are unavailable")
        raise PdfUnavailable(str(error)) from error
    html = render_to_string(template, {**context, "pdf": True}, request=request)
    stylesheet = finders.find("css/report.css")
    return HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf(  # type: ignore[no-any-return]
        stylesheets=[CSS(filename=stylesheet)] if isinstance(stylesheet, str) else []
    )


def unavailable_response(alternative: str) -> HttpResponse:
    """503 with what to do instead (``alternative``), when the PDF cannot be made."""
    return HttpResponse(
        "The PDF needs the pango libraries on the server (Debian: libpango-1.0-0). "
        + alternative,
        status=503,
        content_type="text/plain; charset=utf-8",
    )
