"""The machinery of the fuzz test (test_fuzz_every_view.py), which knows nothing of
Runway's own URLs: hostile values as they travel, the URL patterns, the forms of a
rendered page, which query parameters a view reads, what a request wrote, and a
client that sends one request, rolls back what it did and notes what went wrong."""

from __future__ import annotations

import json
import re
import socket
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_to_bytes, urlsplit

import httpx
import stamina
from django.apps import apps
from django.conf import settings
from django.contrib.messages import constants as message_levels
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import got_request_exception
from django.db import DatabaseError, connection, transaction
from django.forms import BaseForm
from django.http import QueryDict
from django.template.context import Context
from django.test import Client
from django.test.utils import ContextList
from django.urls import URLPattern, URLResolver, get_resolver

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# --- Hostile values ---------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    """A value as the report names it, and as it travels in a query string or a form
    body: percent-encoded, so that a lone surrogate arrives as the (invalid) UTF-8
    bytes a browser would send for it."""

    label: str
    wire: str
    huge: bool = False  # sent sparingly: a megabyte each time

    @staticmethod
    def text(label: str, value: str, *, huge: bool = False) -> Hostile:
        return Hostile(label, quote(value, safe=""), huge)


MEGABYTE = "a" * 1_000_000

HOSTILE = [
    Hostile.text("30 digits", "9" * 30),
    Hostile.text("minus one", "-1"),
    Hostile.text("superscript two", "²"),
    Hostile.text("Arabic-Indic digits", "١٢٣"),
    Hostile.text("1e309", "1e309"),
    Hostile.text("NaN", "NaN"),
    Hostile.text("NUL", "\x00"),
    Hostile("lone surrogate", "%ED%A0%80"),  # "\ud800", as UTF-8 would write it
    Hostile("invalid UTF-8", "%FF"),
    Hostile.text("impossible date", "2026-02-30"),
    Hostile.text("last date", "9999-12-31"),
    Hostile.text("first date", "0001-01-01"),
    Hostile.text("zone-less datetime", "2026-02-01T10:00:00"),
    Hostile.text("datetime past the end of time", "9999-12-31T23:59:59-14:00"),
    Hostile.text("datetime before the start of time", "0001-01-01T00:00:00+14:00"),
    Hostile.text("JSON object", '{"a": [1]}'),
    Hostile.text("1 MB", MEGABYTE, huge=True),
]
BY_LABEL = {h.label: h for h in HOSTILE}


def hostile(*labels: str) -> list[Hostile]:
    return [BY_LABEL[label] for label in labels]


# Every value is sent to every field of a form at once; one field at a time (the others
# as the page filled them, so that the value gets past the form to the code behind it)
# only the values that field could accept: an id or a choice may be a huge or odd number,
# a date an extreme one, a text anything.
_NUMBERS = ("30 digits", "minus one", "superscript two", "Arabic-Indic digits")
ONE_AT_A_TIME: dict[str, list[Hostile]] = {
    "choice": hostile(*_NUMBERS, "lone surrogate"),
    "number": hostile(*_NUMBERS, "1e309", "NaN"),
    "date": hostile("impossible date", "last date", "first date", "30 digits"),
    "datetime": hostile(
        "zone-less datetime",
        "datetime past the end of time",
        "datetime before the start of time",
        "impossible date",
    ),
    "text": hostile("1 MB", "lone surrogate"),
}
# A query parameter may be parsed as anything: every value (NUL and invalid UTF-8
# aside, which arrive as the middleware's 400 and as a lone surrogate's U+FFFD).
QUERY_VALUES = [h for h in HOSTILE if h.label not in ("NUL", "invalid UTF-8")]
# One of each kind, where less is enough.
SOME_VALUES = hostile("30 digits", "superscript two", "lone surrogate", "last date")
# Every field of a form at once (a megabyte in each would be refused as too large a
# body; datetimes are a form field's text, tried as such).
FORM_VALUES = [
    h
    for h in HOSTILE
    if not h.huge and "datetime" not in h.label and h.label != "invalid UTF-8"
]


# Wrong types and shapes for a JSON body's leaves, as JSON literals.
HOSTILE_JSON = [
    ("10**30", "1" + "0" * 30),
    ("-1", "-1"),
    ("1e309", "1e309"),
    ("NaN", "NaN"),
    ("string of 30 digits", json.dumps("9" * 30)),
    ("superscript two", json.dumps("²")),
    ("Arabic-Indic digits", json.dumps("١٢٣")),
    ("NUL", json.dumps("\x00")),
    ("lone surrogate", '"\\ud800"'),
    ("impossible date", json.dumps("2026-02-30T00:00:00Z")),
    ("zone-less datetime", json.dumps("2026-02-01T10:00:00")),
    ("datetime past the end of time", json.dumps("9999-12-31T23:59:59-14:00")),
    ("datetime before the start of time", json.dumps("0001-01-01T00:00:00+14:00")),
    ("empty list", "[]"),
    ("object", '{"a": 1}'),
    ("true", "true"),
    ("null", "null"),
    ("1 MB", json.dumps(MEGABYTE)),
]

# Whole bodies a JSON API may be sent, with the content type they claim.
HOSTILE_BODIES = [
    ("not JSON", b"{not json", "application/json"),
    ("empty", b"", "application/json"),
    ("a list", b"[1, 2]", "application/json"),
    ("a string", b'"x"', "application/json"),
    ("NaN", b"NaN", "application/json"),
    ("invalid UTF-8", b'{"a": "\xff"}', "application/json"),
    ("lone surrogate", b'{"a": "\\ud800"}', "application/json"),
    ("nested 100,000 deep", b"[" * 100_000 + b"]" * 100_000, "application/json"),
    ("a form", b"events=1&samples=2", "application/x-www-form-urlencoded"),
    ("JSON called a form", b'{"events": []}', "application/x-www-form-urlencoded"),
    ("JSON called text", b'{"events": []}', "text/plain"),
]


def query(pairs: list[tuple[str, str]]) -> str:
    """A query string or urlencoded body from (name, wire value) pairs."""
    return "&".join(f"{quote(name, safe='')}={wire}" for name, wire in pairs)


def wire(value: str) -> str:
    return quote(value, safe="")


BOUNDARY = "RunwayFuzzBoundary"


def multipart(pairs: list[tuple[str, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body from (name, wire value) pairs, the values as the
    bytes they stand for (so a lone surrogate's bytes arrive as they are)."""
    body = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + unquote_to_bytes(value)
        + b"\r\n"
        for name, value in pairs
    )
    return (
        body + f"--{BOUNDARY}--\r\n".encode(),
        f"multipart/form-data; boundary={BOUNDARY}",
    )


# --- URL patterns -----------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One URL pattern: its name as reverse() takes it (namespace included; the dotted
    path of its view when it has none), the route as written, and its kwargs."""

    name: str
    namespace: str
    route: str
    kwargs: tuple[str, ...]
    positional: int  # unnamed groups, which no mapping can fill
    reversible: bool


def routes() -> list[Route]:
    """Every URL pattern of the project, found by walking the resolver."""
    found: list[Route] = []

    def walk(
        resolver: URLResolver, prefix: str, namespaces: list[str], kwargs: list[str]
    ) -> None:
        for entry in resolver.url_patterns:
            regex = entry.pattern.regex
            named = list(regex.groupindex)
            if isinstance(entry, URLResolver):
                walk(
                    entry,
                    prefix + str(entry.pattern),
                    namespaces + ([entry.namespace] if entry.namespace else []),
                    kwargs + named,
                )
                continue
            assert isinstance(entry, URLPattern)
            namespace = ":".join(namespaces)
            name = (
                f"{namespace}:{entry.name}"
                if namespace and entry.name
                else entry.name or entry.lookup_str
            )
            found.append(
                Route(
                    name=name,
                    namespace=namespace,
                    route=prefix + str(entry.pattern),
                    kwargs=tuple(kwargs + named),
                    positional=regex.groups - len(regex.groupindex),
                    reversible=entry.name is not None,
                )
            )

    walk(get_resolver(), "/", [], [])
    return found


# --- Forms on a page --------------------------------------------------------------


@dataclass
class Form:
    """A form as a browser would submit it: where, how, and its fields with the values
    the page gave them (a named submit button is a field of the variant it submits)."""

    action: str
    method: str
    enctype: str
    fields: list[tuple[str, str]]
    # Every field's kind (choice, number, date, datetime, text, file), unchecked boxes
    # included; a named submit button is not a field.
    kinds: dict[str, str]
    source: str  # the page it was found on

    def names(self) -> list[str]:
        return [name for name, kind in self.kinds.items() if kind != "file"]


# What an <input type> holds, as far as hostile values go.
_KINDS = {
    "checkbox": "choice",
    "radio": "choice",
    "hidden": "choice",
    "number": "number",
    "range": "number",
    "date": "date",
    "month": "date",
    "week": "date",
    "datetime-local": "datetime",
    "time": "datetime",
    "file": "file",
}


class _FormParser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._buttons: list[tuple[str, str] | None] = []
        self._targets: list[str] = []
        self._select: tuple[str, list[str], str | None] | None = None
        self._option: str | None = None
        self._option_text = ""
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(
                action=a.get("action") or self.page,
                method=(a.get("method") or "get").lower(),
                enctype=a.get("enctype") or "application/x-www-form-urlencoded",
                fields=[],
                kinds={},
                source=self.page,
            )
            self._buttons = []
            # htmx may post the same fields somewhere else (a live preview).
            self._targets = [a["hx-post"]] if a.get("hx-post") else []
            return
        form = self._form
        if form is None or "disabled" in a:
            return
        name = a.get("name", "")
        submit = (
            tag == "input" and a.get("type", "").lower() in ("submit", "image")
        ) or (tag == "button" and a.get("type", "submit").lower() == "submit")
        if submit:
            # A named button is a field of the variant it submits; one without a name
            # submits the form as it is.
            self._buttons.append((name, a.get("value", "")) if name else None)
            return
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind == "button":
                return
            form.kinds.setdefault(name, _KINDS.get(kind, "text"))
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields.append((name, a.get("value", "on")))
            elif kind != "file":
                form.fields.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""
            form.kinds.setdefault(name, "text")
        elif tag == "select" and name:
            self._select = (name, [], None)
            form.kinds.setdefault(name, "choice")
        elif tag == "option" and self._select is not None:
            self._option = a.get("value")
            self._option_text = ""
            if "selected" in a:
                self._select = (self._select[0], self._select[1], self._option or "")

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data
        if self._option is None and self._select is not None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        form = self._form
        if form is None:
            return
        if tag == "textarea" and self._textarea is not None:
            form.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "option" and self._select is not None:
            value = self._option if self._option is not None else self._option_text
            self._select[1].append(value.strip())
            self._option = None
        elif tag == "select" and self._select is not None:
            name, options, chosen = self._select
            # A browser submits the first option when none is selected.
            value = chosen if chosen is not None else (options[0] if options else "")
            form.fields.append((name, value))
            self._select = None
        elif tag == "form":
            variants = [[b] if b else [] for b in dict.fromkeys(self._buttons)] or [[]]
            for action in [form.action, *self._targets]:
                for button in variants:
                    self.forms.append(
                        Form(
                            action=action,
                            method=form.method,
                            enctype=form.enctype,
                            fields=form.fields + button,
                            kinds=form.kinds,
                            source=form.source,
                        )
                    )
            self._form = None


def forms_of(html: str, page: str) -> list[Form]:
    parser = _FormParser(page)
    parser.feed(html)
    return parser.forms


def same_site_path(url: str, page: str) -> str | None:
    """A form's action as a path of this site (relative ones resolved against the
    page), or None for another site."""
    parts = urlsplit(url)
    if parts.netloc not in ("testserver", ""):
        return None
    path = parts.path or urlsplit(page).path
    if not path.startswith("/"):
        path = urlsplit(page).path.rsplit("/", 1)[0] + "/" + path
    return path + (f"?{parts.query}" if parts.query else "")


# --- Which query parameters a view reads --------------------------------------------


# Frames between a view and the QueryDict: not the reader.
_QUERYDICT_FILES = {
    __file__,
    sys.modules[QueryDict.__module__].__file__,
    sys.modules[QueryDict.__mro__[1].__module__].__file__,
}


def _own(filename: str) -> bool:
    path = Path(filename)
    return path.is_relative_to(PROJECT_ROOT) and ".venv" not in path.parts


class _ReadingQueryDict(QueryDict):
    """request.GET, noting each name read by name (get, [], getlist, in), and whether
    the project's own code read it (rather than a library or a template)."""

    reads: dict[str, bool] | None = None

    def _note(self, key: object) -> None:
        reads = _ReadingQueryDict.reads
        if reads is None or not isinstance(key, str):
            return
        frame = sys._getframe(1)
        while frame.f_back is not None and frame.f_code.co_filename in _QUERYDICT_FILES:
            frame = frame.f_back
        reads[key] = reads.get(key, False) or _own(frame.f_code.co_filename)

    def __getitem__(self, key: str) -> Any:
        self._note(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._note(key)
        return super().get(key, default)

    def getlist(self, key: str, default: Any = None) -> Any:
        self._note(key)
        return super().getlist(key, default)

    def __contains__(self, key: object) -> bool:
        self._note(key)
        return super().__contains__(key)


def _reading_get(self: WSGIRequest) -> QueryDict:
    raw = self.environ.get("QUERY_STRING", "")
    return _ReadingQueryDict(
        raw.encode("iso-8859-1") if isinstance(raw, str) else raw,
        encoding=self._encoding,  # type: ignore[attr-defined]
    )


@contextmanager
def reading_query_names() -> Iterator[None]:
    """While inside, request.GET notes the names views read from it."""
    original = WSGIRequest.__dict__["GET"]
    replacement = cached_property(_reading_get)
    replacement.__set_name__(WSGIRequest, "GET")
    WSGIRequest.GET = replacement  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        WSGIRequest.GET = original  # type: ignore[method-assign]


@contextmanager
def names_read() -> Iterator[dict[str, bool]]:
    reads: dict[str, bool] = {}
    _ReadingQueryDict.reads = reads
    try:
        yield reads
    finally:
        _ReadingQueryDict.reads = None


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


# --- What a request wrote -----------------------------------------------------------


class WriteWatch:
    """Which tables a request left different: rows added or removed (counts), and on
    PostgreSQL rows inserted or updated (a visible row version made by a transaction
    that started during the request).

    Every request runs in a savepoint that is rolled back, so the tables hold the same
    rows before each one: their counts are taken once. On PostgreSQL only the tables
    the statistics say were touched are looked at again (the statistics also count
    writes that a savepoint later undid, so they only say where to look)."""

    def __init__(
        self, ignored: dict[str, str], updates_ignored: dict[str, str]
    ) -> None:
        """``ignored``: tables any request may write (table → why);
        ``updates_ignored``: tables whose rows any request may update, not add or
        remove."""
        self.ignored = ignored
        self.updates_ignored = updates_ignored
        self.tables = sorted(
            {
                m._meta.db_table
                for m in apps.get_models(include_auto_created=True)
                if m._meta.managed and not m._meta.proxy
            }
        )
        self.postgres = connection.vendor == "postgresql"
        self.counts = self._counts(self.tables)

    def _counts(self, tables: list[str]) -> dict[str, int]:
        if not tables:
            return {}
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {qn(t)})" for t in tables)
            )
            row = cursor.fetchone()
        return dict(zip(tables, row, strict=True))

    _TOUCHED = (
        "SELECT pg_snapshot_xmax(pg_current_snapshot())::text, array_agg(relname),"
        " array_agg(n_tup_ins + n_tup_upd + n_tup_del)"
        " FROM pg_stat_xact_user_tables WHERE schemaname = current_schema()"
    )

    def _touched(self) -> tuple[dict[str, int], int]:
        """Rows each table's statistics say this transaction wrote so far, and the
        first transaction id not yet given out (what a request's writes will have)."""
        with connection.cursor() as cursor:
            cursor.execute(self._TOUCHED)
            next_xid, tables, counts = cursor.fetchone()
        return dict(zip(tables, counts, strict=True)), int(next_xid) % 2**32

    def start(self) -> tuple[dict[str, int], int]:
        return self._touched() if self.postgres else ({}, 0)

    def written(self, started: tuple[dict[str, int], int]) -> dict[str, str]:
        """Table → what changed, for the tables not in ``ignored``."""
        if not self.postgres:
            now = self._counts(self.tables)
            return {
                t: f"{now[t] - self.counts[t]:+d} rows"
                for t in self.tables
                if now[t] != self.counts[t] and t not in self.ignored
            }
        before, first_xid = started
        after, _ = self._touched()
        candidates = [
            t
            for t in self.tables
            if after.get(t, 0) != before.get(t, 0) and t not in self.ignored
        ]
        changed: dict[str, str] = {}
        now = self._counts(candidates)
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table in candidates:
                if now[table] != self.counts[table]:
                    changed[table] = f"{now[table] - self.counts[table]:+d} rows"
                    continue
                if table in self.updates_ignored:
                    continue
                cursor.execute(
                    f"SELECT COUNT(*) FROM {qn(table)} WHERE xmin::text::bigint >= %s",
                    [first_xid],
                )
                rows = cursor.fetchone()[0]
                if rows:
                    changed[table] = f"{rows} rows inserted or updated"
        return changed


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
        if _own(frame.filename):
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


# --- JSON bodies from an OpenAPI schema ---------------------------------------------


def example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A valid-looking value for a JSON schema: every property present, the first
    option of a choice, moments at today's midnight UTC (aligned to any bucket, and
    within any window of days)."""
    if "$ref" in schema:
        return example(components[schema["$ref"].rsplit("/", 1)[1]], components)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"]
            return example(options[0], components)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {
            name: example(prop, components)
            for name, prop in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [example(schema.get("items", {}), components)]
    if kind == "string":
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        if schema.get("format") == "date-time":
            return today.isoformat()
        if schema.get("format") == "date":
            return today.date().isoformat()
        return "fuzz"
    if kind in ("integer", "number"):
        return max(schema.get("minimum", 1), min(1, schema.get("maximum", 1)))
    if kind == "boolean":
        return False
    return None


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The paths to a JSON value's scalars."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path


_SENTINEL = "__runway_fuzz__"


def with_leaf(value: Any, path: tuple[Any, ...], literal: str | None) -> bytes:
    """``value`` as JSON with the scalar at ``path`` replaced by a raw JSON literal (so
    that NaN, 1e309 or a lone surrogate's escape arrive as written), or removed."""
    copy = json.loads(json.dumps(value))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    if literal is None:
        del parent[path[-1]]
        return json.dumps(copy).encode()
    parent[path[-1]] = _SENTINEL
    return json.dumps(copy).replace(json.dumps(_SENTINEL), literal).encode()
