"""Typed requests for views behind LoginRequiredMiddleware."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from portal.models import User


class AuthedRequest(HttpRequest):
    user: User
    htmx: HtmxDetails
