"""Typed requests for views behind LoginRequiredMiddleware."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from portal.models import User


class AuthedRequest(HttpRequest):
    user: User
    htmx: HtmxDetails
