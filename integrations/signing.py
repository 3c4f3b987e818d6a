"""Signing a generic webhook's body, the way docs/integrations.md tells receivers to
check it: ``X-Runway-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`` over
``"<t>." + body`` with the channel's secret. The timestamp is signed too, so that a
captured request cannot be replayed outside the receiver's window."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-Runway-Signature"
EVENT_HEADER = "X-Runway-Event"
DELIVERY_HEADER = "X-Runway-Delivery"
# How old a signature a receiver should still accept (docs/integrations.md).
REPLAY_WINDOW_SECONDS = 5 * 60
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: int,
    tolerance: int = REPLAY_WINDOW_SECONDS,
) -> bool:
    """What a receiver does (our own check of the recipe): the header parses, the
    timestamp is within ``tolerance`` of ``now`` and a ``v1`` matches."""
    parts = [part.split("=", 1) for part in header.split(",") if "=" in part]
    timestamps = [value for key, value in parts if key.strip() == "t"]
    candidates = [value for key, value in parts if key.strip() == "v1"]
    if len(timestamps) != 1 or not timestamps[0].strip().isdigit() or not candidates:
        return False
    timestamp = int(timestamps[0])
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    # Bytes: compare_digest refuses str with non-ASCII characters.
    return any(
        hmac.compare_digest(expected.encode(), c.strip().encode()) for c in candidates
    )
