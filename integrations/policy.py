"""When a delivery is tried again, and when a channel is given up on: pure rules."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from django.utils.http import parse_http_date_safe

if TYPE_CHECKING:
    from datetime import datetime

# Seconds to wait before each retry: a receiver that is briefly down (a deploy, a
# restart) gets the message minutes later; one that stays down stops costing the worker.
RETRY_DELAYS: tuple[int, ...] = (30, 120, 600)
MAX_ATTEMPTS = 1 + len(RETRY_DELAYS)
# A channel is disabled after this many deliveries in a row failed every attempt.
DISABLE_AFTER_FAILED_DELIVERIES = 5
# Statuses worth another try: the receiver may answer differently later. Any other
# 4xx (a revoked Slack hook answers 403/404/410) will not change by waiting.
RETRYABLE_STATUSES = frozenset({408, 425, 429})


def succeeded(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300


def retryable(status_code: int | None, *, permanent: bool = False) -> bool:
    """Whether a failed attempt may be tried again: no answer at all (a timeout, a
    refused connection) or a 5xx or one of RETRYABLE_STATUSES; never an address Runway
    refuses to call."""
    if permanent:
        return False
    if status_code is None:
        return True
    return status_code >= 500 or status_code in RETRYABLE_STATUSES


def retry_delay(attempts_made: int) -> int | None:
    """Seconds to wait before the next attempt, after ``attempts_made`` attempts; None
    when none is left."""
    if attempts_made < 1 or attempts_made >= MAX_ATTEMPTS:
        return None
    return RETRY_DELAYS[attempts_made - 1]


# A receiver that answers one of these with ``Retry-After`` says when to come back; it
# is believed up to MAX_RETRY_AFTER_SECONDS (a longer wait is cut to that). Kept well
# under the broker's visibility timeout (an hour): a retry held longer would be handed
# to a second worker while the first still waits for it.
RETRY_AFTER_STATUSES = frozenset({429, 503})
MAX_RETRY_AFTER_SECONDS = 30 * 60


def retry_after_seconds(value: str | None, *, now: datetime) -> int | None:
    """The wait a ``Retry-After`` header asks for, in whole seconds (0 for a date
    already past), or None when there is none or it cannot be read. Both forms of
    RFC 9110: a number of seconds, or an HTTP date (the three formats HTTP allows)."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        try:
            return int(text)
        except ValueError:  # more digits than Python converts: not a real answer
            return None
    when = parse_http_date_safe(text)
    if when is None:
        return None
    return max(0, math.ceil(when - now.timestamp()))


def next_retry_delay(
    attempts_made: int,
    *,
    status_code: int | None,
    retry_after: str | None,
    now: datetime,
) -> int | None:
    """Seconds to wait before the next attempt: the policy's delay (None when no
    attempt is left), or longer when a 429 or 503 answer's ``Retry-After`` asks for
    longer, at most MAX_RETRY_AFTER_SECONDS."""
    delay = retry_delay(attempts_made)
    if delay is None or status_code not in RETRY_AFTER_STATUSES:
        return delay
    asked = retry_after_seconds(retry_after, now=now)
    if asked is None:
        return delay
    return max(delay, min(asked, MAX_RETRY_AFTER_SECONDS))


# How long a worker holds an attempt it claimed: longer than Celery's hard time limit
# (CELERY_TASK_TIME_LIMIT, 5 min), so a run still sending is never taken over; after it,
# a run of the same attempt takes over from one that died before recording it.
CLAIM_SECONDS = 6 * 60
# A delivery still sending this long after it was made is given up on (the sweep): the
# longest the retries may wait (each as long as a receiver's Retry-After may make it),
# then a margin for a busy or restarted worker.
GIVE_UP_AFTER_SECONDS = (
    sum(max(delay, MAX_RETRY_AFTER_SECONDS) for delay in RETRY_DELAYS) + 60 * 60
)
