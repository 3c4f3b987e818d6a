"""What every connector shares: the interface, the error type, one HTTP helper with
timeouts and bounded retries (429, 5xx and timeouts, honouring Retry-After), which counts
its retries and never shows a credential, and one pager for cursor-paged lists, which
refuses to loop on a cursor it has seen. Reading provider values is
``metrics.connectors.parsing``."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx
import stamina

from metrics.vocabulary import Sample

logger = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
ATTEMPTS = 4
# Longest wait a Retry-After may impose before we give up on this run instead.
MAX_RETRY_AFTER = 60.0
# How much of an error body the server log keeps; a message never quotes the body.
LOGGED_BODY = 500
# How long a provider's own error field (ConnectorError.provider_error) may be.
PROVIDER_ERROR_LENGTH = 160
# A runaway cursor must end the run, not loop forever: far more pages than any window of
# daily buckets needs.
MAX_REPORT_PAGES = 1000

# Query parameters as pairs, so an array parameter can repeat its key.
Params = list[tuple[str, str]]

REDACTED = "[redacted]"
# Shorter values (an empty password, a user called "bob") are not blanked on their own:
# they would mangle messages and hide nothing.
MIN_SECRET_LENGTH = 4
# Header names that carry credentials; the other headers (anthropic-version, a tenant
# id) are not secret.
SECRET_HEADER_WORDS = ("auth", "key", "token", "secret", "cookie", "password")


def secret_forms(values: Iterable[str]) -> list[str]:
    """Every form in which the credential ``values`` could be echoed back: as given, the
    token after a scheme ("Bearer …"), and any two of them as an HTTP Basic credential;
    longest first, so a whole form is blanked before a part of it."""
    given = [value for value in values if value]
    forms = {value for value in given if len(value) >= MIN_SECRET_LENGTH}
    for value in given:
        token = value.partition(" ")[2].strip()
        if len(token) >= MIN_SECRET_LENGTH:
            forms.add(token)
    for user in given:
        for password in given:
            forms.add(base64.b64encode(f"{user}:{password}".encode()).decode())
    return sorted(forms, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every one of ``secrets`` (see ``secret_forms``) blanked."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


class ConnectorError(Exception):
    """A failed pull. ``permanent`` errors (bad credentials, unknown project) disable the
    service until someone fixes it; transient ones are retried on the next run."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        status: int | None = None,
        provider_error: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.status = status
        # The short ``error`` field of a JSON error answer, blanked of credentials; not
        # part of the message, so only a connector that knows the field quotes it.
        self.provider_error = provider_error

    def redacted(self, credentials: Mapping[str, str]) -> ConnectorError:
        """This error with ``credentials`` blanked from its message, in every form.

        Every connector error passes here before it is stored, shown, mailed or logged.
        The Http helper already blanks the bodies it quotes; this also covers what a
        connector quotes itself (a provider's error field), since providers echo keys.
        Raise the result ``from None``: the original keeps the unblanked message."""
        secrets = secret_forms(credentials.values())
        return ConnectorError(
            redact(self.message, secrets),
            permanent=self.permanent,
            status=self.status,
            provider_error=redact(self.provider_error, secrets),
        )


def short_error(error: object) -> str:
    """A provider's own error string as Runway may quote it: one line, bounded; empty
    for anything that is not a string."""
    if not isinstance(error, str):
        return ""
    return " ".join(error.split())[:PROVIDER_ERROR_LENGTH]


def _error_field(response: httpx.Response, secrets: list[str]) -> str:
    """The ``error`` string of a JSON error answer (Prometheus's shape), else empty;
    blanked before it is cut, so no part of a key survives at the cut."""
    try:
        body = response.json()
    except (json.JSONDecodeError, ValueError):
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return short_error(redact(error, secrets)) if isinstance(error, str) else ""


class _Retryable(Exception):
    """A failed attempt worth another: 429, 5xx (``response``) or no answer at all (None).
    Its message is ours, never the provider's or the transport's text: stamina logs it."""

    def __init__(self, response: httpx.Response | None, message: str) -> None:
        super().__init__(message)
        self.response = response

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None


@dataclass
class Retries:
    """The retries of one sync, across all its requests, for its SyncRun: how many, the
    status of the last answer that was retried (None: the network failed), and the
    seconds spent waiting before the attempts that followed."""

    count: int = 0
    last_status: int | None = None
    waited: float = 0.0

    def add(self, status: int | None, waited: float) -> None:
        self.count += 1
        self.last_status = status
        self.waited += waited

    @contextmanager
    def counting(self) -> Iterator[Retries]:
        """Count here every retry of every Http request made inside the block."""
        token = _counting.set(self)
        try:
            yield self
        finally:
            _counting.reset(token)


# The Retries of the sync being run. A context variable rather than an argument because
# connectors make their own Http helpers (some one per request): the count must not
# depend on each of them handing it on.
_counting: ContextVar[Retries | None] = ContextVar("runway_retries", default=None)


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
    return False


@dataclass
class Http:
    """The one way connectors talk HTTP. ``provider`` names the service in errors.

    Its credentials stay out of its repr, which logs and tracebacks print."""

    client: httpx.Client
    provider: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    auth: httpx.Auth | tuple[str, str] | None = field(default=None, repr=False)

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        """Send, retrying transient failures; return the decoded JSON body."""
        try:
            response = self._send(method, url, **kwargs)
        except _Retryable as exc:
            if exc.response is None:
                raise ConnectorError(str(exc)) from exc
            raise ConnectorError(
                f"{self.provider} kept failing: {exc}", status=exc.status
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
            # Whatever answered, its body is not shown: the status and its reason are.
            # The body goes to the server log, blanked before it is cut, so no part of
            # a key survives at the cut either.
            secrets = self._secrets(response.request)
            logger.warning(
                "%s answered %s: %s",
                self.provider,
                response.status_code,
                redact(response.text, secrets)[:LOGGED_BODY],
            )
            status = f"{response.status_code} {response.reason_phrase}".strip()
            raise ConnectorError(
                f"{status} from {self.provider}",
                status=response.status_code,
                provider_error=_error_field(response, secrets),
            )
        try:
            return response.json()
        except (json.JSONDecodeError, ValueError) as exc:
            raise ConnectorError(
                f"{self.provider} answered with malformed JSON"
            ) from exc

    def _secrets(self, sent: httpx.Request) -> list[str]:
        """The credentials of this helper and of the request as sent (where httpx has
        turned ``auth`` into a header)."""
        values = [
            value
            for headers in (self.headers, sent.headers)
            for name, value in headers.items()
            if any(word in name.lower() for word in SECRET_HEADER_WORDS)
        ]
        if isinstance(self.auth, tuple):
            values.extend(self.auth)
        return secret_forms(values)

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        auth = self.auth or httpx.USE_CLIENT_DEFAULT
        retries = _counting.get()
        failed: tuple[int | None, float] | None = None  # status, when
        # A retried block, not stamina's decorator: the decorator hands the call's
        # arguments (this helper with its headers and auth, the request's) to stamina's
        # retry hooks, and its logging hook writes them into every retry's log line.
        for attempt in stamina.retry_context(
            on=_backoff, attempts=ATTEMPTS, wait_initial=0.5, wait_max=MAX_RETRY_AFTER
        ):
            if failed is not None and retries is not None:
                retries.add(failed[0], time.monotonic() - failed[1])
            with attempt:
                try:
                    return self._attempt(method, url, headers, auth, kwargs)
                except _Retryable as exc:
                    failed = (exc.status, time.monotonic())
                    raise
        raise AssertionError("stamina re-raises the last failure")  # pragma: no cover

    def _attempt(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        auth: Any,
        kwargs: Mapping[str, Any],
    ) -> httpx.Response:
        try:
            response = self.client.request(
                method, url, headers=headers, auth=auth, timeout=TIMEOUT, **kwargs
            )
        except UnicodeEncodeError:
            # A key or setting with a character outside ASCII cannot go in a header;
            # no retry would change that.
            raise ConnectorError(
                f"A key or setting for {self.provider} holds a character an HTTP "
                "header cannot carry; paste it exactly as the provider gave it.",
                permanent=True,
            ) from None
        except httpx.TransportError as exc:
            # Only its type goes on: its text is the transport's and may quote the
            # request (h11 quotes an illegal header value, key included).
            raise _Retryable(
                None, f"Could not reach {self.provider}: {type(exc).__name__}"
            ) from None
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

    def pages(
        self,
        request_page: Callable[[str | None], object],
        *,
        cursor_of: Callable[[dict[str, Any]], str | None],
        max_pages: int,
        provider: str,
        repeated: str,
        too_many: str,
    ) -> Iterator[dict[str, Any]]:
        """Every page of a cursor-paged list, in order: the first is asked for with no
        cursor, each next one with ``cursor_of`` the page before, until it gives None.

        A page that is not a JSON object is an unexpected shape. A cursor seen before
        (the server would hand back the same pages forever) raises ConnectorError with
        the message ``repeated``, and so does a list longer than ``max_pages``, with
        ``too_many``: a run that cannot finish must fail rather than store a part."""
        seen: set[str] = set()
        cursor: str | None = None
        for _ in range(max_pages):
            body = request_page(cursor)
            if not isinstance(body, dict):
                raise ConnectorError(f"{provider} answered with an unexpected shape.")
            yield body
            cursor = cursor_of(body)
            if cursor is None:
                return
            if cursor in seen:
                raise ConnectorError(repeated)
            seen.add(cursor)
        raise ConnectorError(too_many)

    def report_buckets(
        self, http: Http, url: str, params: Params
    ) -> Iterator[dict[str, Any]]:
        """Every bucket (``data`` item) of an OpenAI or Anthropic usage or cost report,
        every page: ``next_page`` goes back as ``page`` while ``has_more``."""

        def request_page(page: str | None) -> object:
            return http.request(
                "GET", url, params=[*params, ("page", page)] if page else params
            )

        for body in self.pages(
            request_page,
            cursor_of=next_page_cursor,
            max_pages=MAX_REPORT_PAGES,
            provider=http.provider,
            repeated=f"{http.provider} returned the same next_page twice.",
            too_many=f"{http.provider} returned more than {MAX_REPORT_PAGES} pages.",
        ):
            yield from json_objects(body.get("data"), http.provider)


def next_page_cursor(body: Mapping[str, Any]) -> str | None:
    """The cursor to the next page of a report that pages with ``has_more`` /
    ``next_page`` (OpenAI, Anthropic); None when this page was the last."""
    cursor = body.get("next_page")
    if not body.get("has_more") or not isinstance(cursor, str) or not cursor:
        return None
    return cursor


def last_id_cursor(body: Mapping[str, Any], stuck: str) -> str | None:
    """Where the next page of an OpenAI or Anthropic list starts (``after`` /
    ``after_id``): the page's ``last_id``, else the id of its last item, while
    ``has_more``; None after the last page. ConnectorError ``stuck`` when more follow and
    there is no id to continue from."""
    if not body.get("has_more"):
        return None
    last_id = body.get("last_id")
    if not isinstance(last_id, str) or not last_id:
        data = body.get("data")
        page = (
            [item for item in data if isinstance(item, dict)]
            if isinstance(data, list)
            else []
        )
        last_id = page[-1].get("id") if page else None
    if not isinstance(last_id, str) or not last_id:
        raise ConnectorError(stuck)
    return last_id


def json_objects(value: object, provider: str) -> list[dict[str, Any]]:
    """The objects of a JSON list (anything else in it is skipped); none for null; a
    ConnectorError for a value that is not a list."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConnectorError(f"{provider} answered with an unexpected shape.")
    return [item for item in value if isinstance(item, dict)]
