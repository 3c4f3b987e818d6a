from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

log = logging.getLogger("runway.security")


def permission_denied(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    log.warning(
        "permission denied",
        extra={
            "event": "access.denied",
            "user_id": getattr(request.user, "pk", None),
            "path": request.path,
            "method": request.method,
            "outcome": 403,
        },
    )
    message = str(exception) if exception and str(exception) else ""
    return render(request, "403.html", {"message": message}, status=403)
