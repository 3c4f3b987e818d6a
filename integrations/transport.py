"""One POST to a channel, through the connected services' outbound rules
(``metrics.connectors.outbound``): every connection is checked against private and
loopback addresses unless an admin allow-listed the host, and redirects are not
followed. The result never quotes the address, which is the credential for Slack and
Teams."""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass

import httpx

from metrics.connectors.outbound import RefusedAddress, client

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
ERROR_LENGTH = 300

_posting_to_a_channel: ContextVar[bool] = ContextVar(
    "posting_to_a_channel", default=False
)


class HideChannelRequests(logging.Filter):
    """httpx logs every request with its full address at INFO; a Slack or Teams
    address is the credential, so those records are dropped while a channel is being
    posted to (``integrations.apps`` attaches this to httpx's logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _posting_to_a_channel.get()


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    response_ms: int | None
    error: str = ""
    # The address is refused (not public, does not resolve): waiting will not help.
    permanent: bool = False


def _hidden(text: str, url: str) -> str:
    return text.replace(url, "[the channel's address]")[:ERROR_LENGTH]


def post(url: str, body: bytes, headers: dict[str, str]) -> AttemptResult:
    """POST ``body`` to ``url``; whatever happens comes back as an AttemptResult."""
    started = time.monotonic()

    def elapsed() -> int:
        return round((time.monotonic() - started) * 1000)

    hidden = _posting_to_a_channel.set(True)
    try:
        with client(timeout=TIMEOUT) as http:
            response = http.post(
                url,
                content=body,
                headers={"Content-Type": "application/json", **headers},
            )
    except RefusedAddress as refused:
        return AttemptResult(None, None, _hidden(refused.message, url), permanent=True)
    except httpx.TimeoutException:
        return AttemptResult(None, elapsed(), "No answer within the time limit.")
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        return AttemptResult(
            None, elapsed(), _hidden(f"Could not connect: {reason}", url)
        )
    finally:
        _posting_to_a_channel.reset(hidden)
    error = ""
    if not 200 <= response.status_code < 300:
        # The receiver's own words help most; they are short for Slack ("no_service").
        error = _hidden(
            f"HTTP {response.status_code} {response.reason_phrase}: "
            f"{response.text[:120].strip()}",
            url,
        )
    return AttemptResult(response.status_code, elapsed(), error)
