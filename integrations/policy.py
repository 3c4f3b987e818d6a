"""When a delivery is tried again, and when a channel is given up on: pure rules."""

from __future__ import annotations

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


# How long a worker holds an attempt it claimed: longer than Celery's hard time limit
# (CELERY_TASK_TIME_LIMIT, 5 min), so a run still sending is never taken over; after it,
# a run of the same attempt takes over from one that died before recording it.
CLAIM_SECONDS = 6 * 60
# A delivery still sending this long after it was made is given up on (the sweep): the
# retries' waits, then a margin for a busy or restarted worker.
GIVE_UP_AFTER_SECONDS = sum(RETRY_DELAYS) + 60 * 60
