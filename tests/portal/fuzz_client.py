"""The client of the fuzz test (test_fuzz_every_view.py): it sends one request as a
persona, with no network, rolls back what the request did, and notes what went
wrong (a server error, or rows written although the input was refused)."""

from __future__ import annotations

import re
import socket
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import stamina
from django.conf import settings
from django.contrib.messages import constants as message_levels
from django.core.cache import cache
from django.core.signals import got_request_exception
from django.db import DatabaseError, connection, transaction
from django.forms import BaseForm
from django.template.context import Context
from django.test import Client
from django.test.utils import ContextList

from tests.portal.fuzz_discovery import (
    PROJECT_ROOT,
    is_own_code,
    names_read,
    reading_query_names,
)
from tests.portal.fuzz_writes import WriteWatch

# --- No network ---------------------------------------------------------------------


class _NoNetwork(httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("the fuzz test has no network", request=request)


@contextmanager
def no_network() -> Iterator[None]:
    """Connectors and URL checks fail fast, as if every host were unreachable: a
    hostile address must not make the test resolve names or wait for timeouts."""
    real_getaddrinfo = socket.getaddrinfo
    real_init = httpx.Client.__init__

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        text = host.decode() if isinstance(host, bytes) else str(host)
        if text == "localhost" or re.fullmatch(
            r"[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*", text
        ):
            return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]
        raise socket.gaierror(socket.EAI_NONAME, "the fuzz test has no network")

    def client_init(self: httpx.Client, *args: object, **kwargs: object) -> None:
        kwargs["transport"] = _NoNetwork()
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]

    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    httpx.Client.__init__ = client_init  # type: ignore[method-assign]
    try:
        with stamina.set_testing(True, attempts=1):
            yield
    finally:
        socket.getaddrinfo = real_getaddrinfo
        httpx.Client.__init__ = real_init  # type: ignore[method-assign]


# --- Sending, and noting what went wrong --------------------------------------------


@dataclass(frozen=True)
class Failure:
    kind: str  # "server error", "write on refusal", "signed out"
    # What groups the failures of one cause: where the error arose, or the tables.
    cause: str
    method: str
    url: str
    field: str
    value: str
    status: int
    detail: str

    def line(self) -> str:
        url = self.url if len(self.url) <= 140 else self.url[:137] + "..."
        return (
            f"{self.method} {url} field={self.field!r} value={self.value!r} "
            f"→ {self.status}: {self.detail}"
        )


@dataclass
class Outcome:
    status: int
    html: str
    refused: bool
    # The fields a form on the answer says are wrong; None when no form says.
    field_errors: set[str] | None


def _app_frame(tb: traceback.StackSummary) -> str:
    """Where an error arose: the innermost frame of the project's own code."""
    for frame in reversed(tb):
        if is_own_code(frame.filename):
            return f"{Path(frame.filename).relative_to(PROJECT_ROOT)}:{frame.name}"
    last = tb[-1]
    return f"{Path(last.filename).name}:{last.name}"


def _judge(response: Any) -> tuple[bool, set[str] | None]:
    """Whether the request was refused: a 4xx, an error message queued for the next
    page, or a page showing a form with errors (the house style answers a bad form with
    200 and its errors); and which fields those forms name."""
    if 400 <= response.status_code < 500:
        return True, None
    storage = getattr(response.wsgi_request, "_messages", None)
    queued = getattr(storage, "_queued_messages", [])
    refused = any(m.level >= message_levels.ERROR for m in queued)
    if response.status_code != 200 or response.wsgi_request.method == "GET":
        return refused, None
    contexts = response.context
    if contexts is None:
        return refused, None
    field_errors: set[str] | None = None
    for context in contexts if isinstance(contexts, ContextList) else [contexts]:
        values = context.flatten() if isinstance(context, Context) else context
        for key, value in values.items():
            if isinstance(value, BaseForm) and value.is_bound:
                field_errors = field_errors or set()
                if value.errors:
                    refused = True
                    field_errors |= {value.add_prefix(f) for f in value.errors}
            elif key in ("errors", "error", "gate_refused") and value:
                refused = True
    return refused, field_errors


@dataclass
class Fuzzer:
    """Clients by persona; each request in a savepoint that is rolled back, with the
    checks of the fuzz test: no 5xx, and nothing written when the input is refused."""

    clients: dict[str, Client]
    watch: WriteWatch
    known_causes: set[str]
    failures: list[Failure] = field(default_factory=list)
    seen_known: set[str] = field(default_factory=set)
    requests: int = 0
    _errors: list[Any] = field(default_factory=list)

    @contextmanager
    def running(self) -> Iterator[None]:
        """While inside, errors raised in views are noted, query reads are noted and
        nothing reaches the network."""

        def note(sender: object, **kwargs: object) -> None:
            self._errors.append(sys.exc_info())

        got_request_exception.connect(note, weak=False)
        try:
            with reading_query_names(), no_network():
                yield
        finally:
            got_request_exception.disconnect(note)

    def send(
        self,
        persona: str,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        content_type: str = "application/x-www-form-urlencoded",
        field_name: str = "",
        value: str = "",
        headers: dict[str, str] | None = None,
        reads: dict[str, bool] | None = None,
    ) -> Outcome:
        """Send one request in a savepoint that is then rolled back; note a server
        error, or rows written although the request was refused."""
        client = self.clients[persona]
        morsel = client.cookies.get(settings.SESSION_COOKIE_NAME)
        session = morsel.value if morsel is not None else None
        self._errors.clear()
        self.requests += 1

        error: Any = None
        written: dict[str, str] = {}
        outcome = Outcome(500, "", False, None)
        with transaction.atomic():
            started = self.watch.start()
            try:
                with names_read() as noted:
                    response = client.generic(
                        method, path, body, content_type=content_type, headers=headers
                    )
                    # A streamed body runs the view's code as it is read.
                    content = (
                        b"".join(response.streaming_content)
                        if response.streaming
                        else response.content
                    )
                if reads is not None:
                    for name, own in noted.items():
                        reads[name] = reads.get(name, False) or own
                refused, field_errors = _judge(response)
                html = ""
                if "html" in response.get("Content-Type", ""):
                    html = content.decode("utf-8", "replace")
                outcome = Outcome(response.status_code, html, refused, field_errors)
            except Exception:
                error = sys.exc_info()
            if self._errors and error is None:
                error = self._errors[0]
            if error is None and outcome.refused:
                try:
                    written = self.watch.written(started)
                except DatabaseError:  # the view left the transaction broken
                    error = sys.exc_info()
            transaction.set_rollback(True)
        morsel = client.cookies.get(settings.SESSION_COOKIE_NAME)
        if session is not None and (morsel is None or morsel.value != session):
            # A view that signs in or out turns the cookie; the row it points to is
            # rolled back with everything else, so the persona keeps its own session.
            client.cookies[settings.SESSION_COOKIE_NAME] = session
        if method != "GET" and not outcome.refused:
            # Whatever it wrote is rolled back: so must be what it cached.
            cache.clear()
        if error is not None or outcome.status >= 500:
            self._server_error(method, path, field_name, value, outcome.status, error)
        elif written:
            self._note(
                Failure(
                    "write on refusal",
                    f"{urlsplit(path).path} → {', '.join(sorted(written))}",
                    method,
                    path,
                    field_name,
                    value,
                    outcome.status,
                    "; ".join(f"{t}: {what}" for t, what in sorted(written.items())),
                )
            )
        return outcome

    def _server_error(
        self,
        method: str,
        url: str,
        field_name: str,
        value: str,
        status: int,
        error: Any,
    ) -> None:
        if error is None:
            cause, detail = f"{status} without an exception: {urlsplit(url).path}", ""
        else:
            exc = error[1]
            where = _app_frame(traceback.extract_tb(error[2]))
            first = (str(exc).strip().splitlines() or [""])[0][:160]
            cause = f"{where} {type(exc).__name__}"
            detail = f"{type(exc).__name__}: {first} (at {where})"
        self._note(
            Failure("server error", cause, method, url, field_name, value, 500, detail)
        )

    def _note(self, failure: Failure) -> None:
        for known in (failure.cause, f"{connection.vendor}: {failure.cause}"):
            if known in self.known_causes:
                self.seen_known.add(known)
                return
        self.failures.append(failure)

    def known_but_not_seen(self) -> list[str]:
        """The known causes of this database (prefixed with its vendor, "sqlite: …")
        or of every one (not prefixed) that did not occur."""
        return sorted(
            cause
            for cause in self.known_causes - self.seen_known
            if cause.split(": ", 1)[0] in (connection.vendor, cause)
        )

    def signed_in(self, persona: str, path: str, login_path: str) -> None:
        """Note it if the persona was signed out: the rest would not reach the views."""
        response = self.clients[persona].get(path)
        if response.status_code in (301, 302) and response["Location"].startswith(
            login_path
        ):
            self._note(
                Failure(
                    "signed out",
                    f"{persona} was signed out",
                    "GET",
                    path,
                    "",
                    "",
                    response.status_code,
                    "a request signed the persona out; the views after it were not reached",
                )
            )

    def report(self, examples: int = 3) -> str:
        """The failures grouped by cause, a few requests each."""
        by_cause: dict[str, list[Failure]] = {}
        for failure in self.failures:
            by_cause.setdefault(failure.cause, []).append(failure)
        lines = [
            f"{len(self.failures)} failing requests of {self.requests}, "
            f"{len(by_cause)} causes:"
        ]
        for cause, failures in sorted(by_cause.items()):
            lines.append(f"\n[{failures[0].kind}] {cause} ({len(failures)} requests)")
            lines.extend(f"    {f.line()}" for f in failures[:examples])
        return "\n".join(lines)
