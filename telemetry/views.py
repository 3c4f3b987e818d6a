from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from prometheus_client.exposition import choose_encoder

from telemetry import exposition
from telemetry.access import scrape_allowed


@login_not_required
@csrf_exempt  # else a stranger's POST would get CSRF's 403, not the 404
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Runway's own metrics in Prometheus's format, for a bearer of the metrics token or
    an allowed address; anyone else gets the 404 of an address that does not exist.
    No session: a scraper signs in with neither cookie nor CSRF token."""
    if not scrape_allowed(request):
        raise Http404
    # Checked after access, so that a stranger's POST learns nothing either.
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encode(exposition.registry()), content_type=content_type)
