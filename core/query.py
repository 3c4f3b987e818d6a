"""Values from a query string, parsed one way everywhere: what cannot be read is a 400
with a message (Django's ``BadRequest``), never a server error further down."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from django.core.exceptions import BadRequest
from django.http import HttpRequest
from django.utils.dateparse import parse_date, parse_datetime

# ASCII digits only: str.isdigit() also takes "²" and other digits int() refuses.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")


def whole_number(
    value: str | None, minimum: int = 0, maximum: int = 2**63 - 1
) -> int | None:
    """A form or query value as a whole number within [minimum, maximum] (by default,
    what a database id column holds); None for anything else."""
    if value is None or not _WHOLE_NUMBER.fullmatch(value):
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None


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
    """``?name=`` an ISO 8601 moment with its time zone, as UTC; None when absent or
    empty."""
    raw = request.GET.get(name, "")
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None or value.utcoffset() is None:
        raise BadRequest(f"“{name}” must be an ISO 8601 time with a time zone.")
    try:
        # 9999-12-31T23:59:59-14:00 is a moment no datetime holds in UTC: converting
        # it, or showing it in the server's zone, would be an OverflowError.
        return value.astimezone(UTC)
    except OverflowError:
        raise BadRequest(f"“{name}” is out of the range of dates.") from None
