"""Hostile values for the fuzz test (test_fuzz_every_view.py), as they travel: in a
query string, a form body (urlencoded or multipart) and a JSON body; and a valid JSON
body, made from an OpenAPI schema, for them to be put in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote_to_bytes

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


def valid_body(path: str, schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A valid body for an operation: ``example`` of its schema, except where fields
    depend on each other in ways a schema does not say (an evaluation run has scores
    and no load-test figures)."""
    if path.endswith("/evaluations/runs"):
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return {
            "run_id": "fuzz-1",
            "ran_at": today.isoformat(),
            "dataset": {"name": "fuzz", "version": "v1", "items": 10},
            "scores": {"fuzz": 0.5},
            "items_passed": 8,
            "items_failed": 2,
            "url": "https://ci.example/runs/1",
        }
    return example(schema, components)


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
