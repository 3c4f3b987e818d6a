"""The bench-only empty view: the floor of a page's server time.

It goes through the whole middleware stack with the caller's signed-in session
(loading and saving it, loading the user, CSP, CSRF, messages) and runs no query of
its own, so a page's time minus this is the cost of the page itself. Mounted only
when RUNWAY_BENCH=1 (see the end of portal/urls.py).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def empty(request: HttpRequest) -> HttpResponse:
    # Touch the user like every page does (LoginRequiredMiddleware already has).
    return HttpResponse(b"ok" if request.user.is_authenticated else b"anonymous")
