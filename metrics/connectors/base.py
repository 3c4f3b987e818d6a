"""What every connector shares: the interface, the error type, and one HTTP helper with
timeouts and bounded retries (429, 5xx and timeouts, honouring Retry-After)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx
import stamina

from metrics.vocabulary import Sample

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
ATTEMPTS = 4
# Longest wait a Retry-After may impose before we give up on this run instead.
MAX_RETRY_AFTER = 60.0


class ConnectorError(Exception):
    """A failed pull. ``permanent`` errors (bad credentials, unknown project) disable the
    service until someone fixes it; transient ones are retried on the next run."""

    def __init__(
        self, message: str, *, permanent: bool = False, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.status = status


class _Retryable(Exception):
    def __init__(self, response: httpx.Response | None, message: str) -> None:
        super().__init__(message)
        self.response = response


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("retry-after", "")
    try:
        return min(float(value), MAX_RETRY_AFTER)
    except ValueError:
        return None


def _backoff(exc: Exception) -> bool | float:
    """stamina's ``on=``: retry transient failures, waiting as long as Retry-After asks."""
    if isinstance(exc, _Retryable):
        wait = _retry_after(exc.response)
        return wait if wait is not None else True
    return isinstance(exc, httpx.TransportError)


@dataclass
class Http:
    """The one way connectors talk HTTP. ``provider`` names the service in errors."""

    client: httpx.Client
    provider: str
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: httpx.Auth | tuple[str, str] | None = None

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        """Send, retrying transient failures; return the decoded JSON body."""
        try:
            response = self._send(method, url, **kwargs)
        except _Retryable as exc:
            status = exc.response.status_code if exc.response is not None else None
            raise ConnectorError(
                f"{self.provider} kept failing: {exc}", status=status
            ) from exc
        except httpx.TransportError as exc:
            raise ConnectorError(
                f"Could not reach {self.provider}: {type(exc).__name__}"
            ) from exc
        if response.status_code in (401, 403):
            raise ConnectorError(
                f"{response.status_code} from {self.provider}: the credentials were rejected",
                permanent=True,
                status=response.status_code,
            )
        if response.status_code == 404:
            raise ConnectorError(
                f"404 from {self.provider}: the project, organization or address was not found",
                permanent=True,
                status=404,
            )
        if response.status_code >= 400:
            raise ConnectorError(
                f"{response.status_code} from {self.provider}: {response.text[:200]}",
                status=response.status_code,
            )
        try:
            return response.json()
        except (json.JSONDecodeError, ValueError) as exc:
            raise ConnectorError(
                f"{self.provider} answered with malformed JSON"
            ) from exc

    @stamina.retry(
        on=_backoff, attempts=ATTEMPTS, wait_initial=0.5, wait_max=MAX_RETRY_AFTER
    )
    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(
            method,
            url,
            headers={**self.headers, **kwargs.pop("headers", {})},
            auth=self.auth or httpx.USE_CLIENT_DEFAULT,
            timeout=TIMEOUT,
            **kwargs,
        )
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retryable(response, f"{response.status_code} from {self.provider}")
        return response


class Connector:
    """Pulls one service's metrics. Subclasses set ``kind`` and implement both methods."""

    kind: ClassVar[str]
    # Sources re-state recent buckets (late data), so every sync re-pulls this much.
    trailing_window: ClassVar[timedelta] = timedelta(days=3)

    def __init__(
        self,
        *,
        base_url: str,
        credentials: Mapping[str, str],
        config: Mapping[str, Any],
        environment: str = "production",
        client: httpx.Client,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.config = config
        self.environment = environment
        self.client = client

    def test(self) -> str:
        """Check the connection; return what a person should read ("Connected: …")."""
        raise NotImplementedError

    def fetch(self, *, start: datetime, end: datetime) -> list[Sample]:
        """Samples for buckets starting in [start, end), in the vocabulary's units."""
        raise NotImplementedError
