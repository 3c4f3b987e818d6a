"""What there is to fuzz, found rather than listed (test_fuzz_every_view.py): the URL
patterns, by walking the resolver; the forms of a rendered page, as a browser would
submit them; and the query parameters a view reads, noted as it reads them."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.handlers.wsgi import WSGIRequest
from django.http import QueryDict
from django.urls import URLPattern, URLResolver, get_resolver

PROJECT_ROOT = Path(__file__).resolve().parents[2]

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


def is_own_code(filename: str) -> bool:
    """Whether a frame's file is the project's own code (not a library's)."""
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
        reads[key] = reads.get(key, False) or is_own_code(frame.f_code.co_filename)

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
