"""Reading what providers send, and writing the times they expect: one copy for every
connector, so all of them skip the same junk and place a value in the same UTC bucket.

Pure functions, no I/O. The readers are tolerant on purpose: a provider's null, an
empty string, a word where a number belongs, NaN or an infinity gives None, and the
caller leaves that value out. A missing value is "unknown", never 0.

Times are UTC throughout. A naive datetime is taken to be UTC already, since that is
what providers mean when they leave the zone off.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# Buckets are counted from the Unix epoch, which starts on a UTC midnight, so an hour or a
# day counted from it is a UTC hour or a UTC day.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# -- times -------------------------------------------------------------------------------


def to_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive one is taken to be UTC already."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def floor_to(moment: datetime, width: timedelta) -> datetime:
    """The start of the UTC bucket of ``width`` (an hour, a day, a whole number of
    seconds) that contains ``moment``."""
    # timedelta arithmetic is exact to the microsecond, where seconds as floats are not.
    return _EPOCH + (to_utc(moment) - _EPOCH) // width * width


def ceil_to(moment: datetime, width: timedelta) -> datetime:
    """The first bucket start at or after ``moment``: ``moment`` itself when it is one,
    else the start of the next bucket."""
    floor = floor_to(moment, width)
    return floor if floor == to_utc(moment) else floor + width


def floor_day(moment: datetime) -> datetime:
    """The UTC midnight that starts the day containing ``moment``."""
    return floor_to(moment, DAY)


def ceil_day(moment: datetime) -> datetime:
    """The first UTC midnight at or after ``moment``: where the first whole day of a
    window starts, or where a window that must cover ``moment``'s day ends."""
    return ceil_to(moment, DAY)


def epoch_seconds(moment: datetime) -> int:
    """Whole Unix seconds of ``moment`` (a naive one is UTC), cut towards the past."""
    return (to_utc(moment) - _EPOCH) // timedelta(seconds=1)


def rfc3339(moment: datetime, timespec: str = "seconds") -> str:
    """``moment`` as RFC 3339 in UTC with a ``Z``: "2026-08-01T00:00:00Z". ``timespec``
    ("seconds", "milliseconds", "microseconds") sets the fraction a provider expects."""
    text = to_utc(moment).replace(tzinfo=None).isoformat(timespec=timespec)
    return f"{text}Z"


def parse_timestamp(value: object) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 / RFC 3339 string ("…Z", "…+02:00", or no
    zone, which is UTC); None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return to_utc(moment)


def parse_day(value: object) -> datetime | None:
    """The UTC midnight of the day an ISO 8601 string falls in; None for anything else."""
    moment = parse_timestamp(value)
    return None if moment is None else floor_day(moment)


def parse_epoch_seconds(value: object) -> datetime | None:
    """An aware UTC datetime from Unix seconds sent as a JSON number; None for anything
    else (a boolean is not a time, and a string is not what these providers send)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, tz=UTC)


def parse_whole_seconds(value: object) -> int | None:
    """Unix seconds as a number or a numeric string (Prometheus's float timestamps),
    rounded to the nearest whole second; None for anything that is not a number."""
    if not isinstance(value, int | float | str | Decimal):
        return None
    try:
        return round(float(value))
    except ValueError:
        return None


# -- numbers -----------------------------------------------------------------------------


def parse_decimal(value: object, *, booleans: bool = False) -> Decimal | None:
    """A finite Decimal from a JSON number or a numeric string (ClickHouse sums, costs in
    cents and Prometheus samples come as strings); None for null, junk, empty strings,
    "1,234" (no provider sends thousands separators, so a comma means junk), NaN and
    infinities.

    Floats go through ``str()`` so 0.06 stays 0.06 rather than becoming the binary
    fraction nearest to it. A boolean is not a number unless ``booleans`` says the
    provider stores it as one (Langfuse scores: true is 1, false is 0)."""
    if isinstance(value, bool):
        return Decimal(int(value)) if booleans else None
    if not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None
