"""One POST to a channel, through the connected services' outbound rules
(``metrics.connectors.outbound``): every connection is checked against private and
loopback addresses unless an admin allow-listed the host, and redirects are not
followed. The result never quotes the address, which is the credential for Slack and
Teams.

A POST ends within DEADLINE_SECONDS whatever the receiver or the resolver does: the
name's lookup, every connect, read and write of the connection are bounded by what is
left of that time (a receiver that drips its answer a byte at a time, or a DNS server
that does not answer, would otherwise hold the worker), and no more than
MAX_BODY_BYTES of the answer are read."""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpcore
import httpx

from metrics.connectors.outbound import RefusedAddress, client

if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Iterable

TIMEOUT = httpx.Timeout(10.0, connect=5.0)  # each connect, read or write
DEADLINE_SECONDS = 15.0  # the whole POST, from the first connection to the answer
MAX_BODY_BYTES = 4 * 1024  # of the answer, for the error message
ERROR_LENGTH = 300
# How outbound.checked_addresses says that a name does not resolve: worth a retry for
# a delivery (a DNS blip), unlike a refused address range.
DOES_NOT_RESOLVE = "does not resolve"

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
    # The address is refused (not public): waiting will not help.
    permanent: bool = False
    # The answer's Retry-After header, as sent (policy.next_retry_delay reads it).
    retry_after: str | None = None


def _hidden(text: str, url: str) -> str:
    return text.replace(url, "[the channel's address]")[:ERROR_LENGTH]


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds

    def bound(self, timeout: float | None, late: type[Exception]) -> float:
        """``timeout`` cut to what is left; ``late`` raised when nothing is."""
        left = self.ends - time.monotonic()
        if left <= 0:
            raise late("The delivery's time limit passed.")
        return left if timeout is None else min(timeout, left)


def _connect_in_time(
    connect: Callable[[], httpcore.NetworkStream], deadline: _Deadline
) -> httpcore.NetworkStream:
    """``connect()`` (which resolves the name, checks its addresses and opens the
    connection) within what is left of ``deadline``. The resolver takes no timeout
    (getaddrinfo waits as long as the system's resolver does), so the connection is
    opened in a thread of its own, which is left behind when time runs out; the
    connection it may still open then is closed at once."""
    opened: Future[httpcore.NetworkStream] = Future()

    def run() -> None:
        try:
            opened.set_result(connect())
        except BaseException as exc:  # noqa: BLE001  (handed to the waiting thread)
            opened.set_exception(exc)

    left = deadline.bound(None, httpcore.ConnectTimeout)
    # The context goes along: the flag that hides the channel's address from httpx's
    # log records holds there too.
    context = contextvars.copy_context()
    threading.Thread(
        target=context.run, args=(run,), name="channel-connect", daemon=True
    ).start()
    try:
        return opened.result(timeout=left)
    except FutureTimeout:
        opened.add_done_callback(_close_late)
        raise httpcore.ConnectTimeout(
            "The delivery's time limit passed while connecting."
        ) from None
    except BaseException:
        # Interrupted while waiting (a worker's time limit), or the connection failed
        # (then there is nothing to close): nothing may stay open.
        opened.add_done_callback(_close_late)
        raise


def _close_late(opened: Future[httpcore.NetworkStream]) -> None:
    if opened.exception() is None:
        opened.result().close()


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        bounded = self._deadline.bound(timeout, httpcore.ReadTimeout)
        return self._stream.read(max_bytes, timeout=bounded)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        bounded = self._deadline.bound(timeout, httpcore.WriteTimeout)
        self._stream.write(buffer, timeout=bounded)

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = self._deadline.bound(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, bounded),
            self._deadline,
        )

    def get_extra_info(self, info: str) -> object:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """Wraps the outbound client's own backend (which checks every address) so that
    each connection's operations share one deadline."""

    def __init__(self, backend: httpcore.NetworkBackend, deadline: _Deadline) -> None:
        self._backend = backend
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = self._deadline.bound(timeout, httpcore.ConnectTimeout)
        stream = _connect_in_time(
            lambda: self._backend.connect_tcp(
                host, port, bounded, local_address, socket_options
            ),
            self._deadline,
        )
        return _DeadlineStream(stream, self._deadline)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _bounded_client(deadline: _Deadline) -> httpx.Client:
    """outbound's client (its address checks, no proxy, no redirects) with every
    connection under ``deadline``."""
    return client(
        timeout=TIMEOUT,
        wrap_backend=lambda checked: _DeadlineBackend(checked, deadline),
    )


def _answer_excerpt(response: httpx.Response, deadline: _Deadline) -> str:
    """The start of the answer's body (at most MAX_BODY_BYTES read), as text."""
    received = b""
    for chunk in response.iter_raw():
        received += chunk
        if len(received) >= MAX_BODY_BYTES or time.monotonic() >= deadline.ends:
            break
    if response.headers.get("Content-Encoding", "identity") != "identity":
        return ""
    return received[:MAX_BODY_BYTES].decode("utf-8", errors="replace")


def post(url: str, body: bytes, headers: dict[str, str]) -> AttemptResult:
    """POST ``body`` to ``url``; whatever happens comes back as an AttemptResult, within
    DEADLINE_SECONDS."""
    started = time.monotonic()
    deadline = _Deadline(DEADLINE_SECONDS)

    def elapsed() -> int:
        return round((time.monotonic() - started) * 1000)

    hidden = _posting_to_a_channel.set(True)
    try:
        with (
            _bounded_client(deadline) as http,
            http.stream(
                "POST",
                url,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    # Not compressed, so that what is read is what is quoted.
                    "Accept-Encoding": "identity",
                    **headers,
                },
            ) as response,
        ):
            status_code = response.status_code
            response_ms = elapsed()
            retry_after = response.headers.get("Retry-After")
            error = ""
            if not 200 <= status_code < 300:
                # The receiver's own words help most; they are short for Slack
                # ("no_service").
                excerpt = _answer_excerpt(response, deadline)
                error = _hidden(
                    f"HTTP {status_code} {response.reason_phrase}: "
                    f"{excerpt[:120].strip()}",
                    url,
                )
    except RefusedAddress as refused:
        # A refused range stays refused; a name that does not resolve may resolve in a
        # minute (a DNS blip), so that is worth a retry.
        permanent = DOES_NOT_RESOLVE not in refused.message
        return AttemptResult(
            None, None, _hidden(refused.message, url), permanent=permanent
        )
    except httpx.TimeoutException:
        return AttemptResult(None, elapsed(), "No answer within the time limit.")
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        return AttemptResult(
            None, elapsed(), _hidden(f"Could not connect: {reason}", url)
        )
    finally:
        _posting_to_a_channel.reset(hidden)
    return AttemptResult(status_code, response_ms, error, retry_after=retry_after)
