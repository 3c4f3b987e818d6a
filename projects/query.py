"""Values from a query string, parsed one way everywhere: what cannot be read is a 400
with a message (Django's ``BadRequest``), never a server error further down."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import BadRequest
from django.http import HttpRequest
from django.utils.dateparse import parse_date, parse_datetime


def query_date(request: HttpRequest, name: str) -> date | None:
    """``?name=YYYY-MM-DD``; None when absent or empty."""
    raw = request.GET.get(name, "")
    if not raw:
        return None
    try:
        value = parse_date(raw)
    except ValueError:  # well formed, impossible: 2026-02-30
        value = None
    if value is None:
        raise BadRequest(f"“{name}” must be a real date written YYYY-MM-DD.")
    return value


def query_moment(request: HttpRequest, name: str) -> datetime | None:
    """``?name=`` an ISO 8601 moment with its time zone; None when absent or empty."""
    raw = request.GET.get(name, "")
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None or value.utcoffset() is None:
        raise BadRequest(f"“{name}” must be an ISO 8601 time with a time zone.")
    return value
