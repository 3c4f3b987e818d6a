"""OTLP/HTTP traces from the bytes of a request to an ExportTraceServiceRequest: the
two encodings (protobuf and JSON), the Content-Encoding undone, and the refusals of a
body that cannot be decoded or is too large to be.

A body is checked before it is decoded, because decoding costs memory and time in
proportion to what the body stands for, not to its size as sent: inflation is capped
against zip bombs, and spans and other parts are counted (on the protobuf wire, or as
the JSON is read) before a message is built. OTLP/JSON's hex ids are rewritten to the
base64 that protobuf's JSON mapping reads. The span-to-event mapping is
``metrics.otlp``'s.

Decoding uses the OpenTelemetry protocol's own messages (``opentelemetry-proto``);
nothing here parses protobuf, the wire is only walked to count its messages.
"""

from __future__ import annotations

import base64
import enum
import json
import re
import zlib
from collections.abc import Callable, Iterator
from typing import Any

from google.protobuf import json_format  # type: ignore[import-untyped]
from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

_GZIP_WBITS = 16 + zlib.MAX_WBITS
_ZLIB_WBITS = zlib.MAX_WBITS


class Encoding(enum.Enum):
    """The two encodings of OTLP/HTTP, by their content type; an answer is sent in
    the encoding of its request."""

    PROTOBUF = "application/x-protobuf"
    JSON = "application/json"

    @property
    def content_type(self) -> str:
        return self.value


def encoding_of(content_type: str) -> Encoding | None:
    """The encoding a request's content type (without its parameters) names, or None."""
    for encoding in Encoding:
        if content_type.strip().lower() == encoding.value:
            return encoding
    return None


class BadTraces(ValueError):
    """The body cannot be decoded as an ExportTraceServiceRequest: the request is
    refused whole (400) and nothing of it is stored."""


class TooLarge(ValueError):
    """The body, or what it inflates to, is over the limit; or it holds too many
    spans, or too many parts (attributes, events, links) to decode (413)."""


class UnsupportedEncoding(ValueError):
    """A Content-Encoding other than gzip, deflate or none (415)."""


# Past this size, a body may inflate at most INFLATION_RATIO times its size as sent:
# OTLP compresses 5 to 20 times, a zip bomb a thousand.
INFLATION_FLOOR = 1024 * 1024
INFLATION_RATIO = 100
# A gzip body is normally one member; a few are allowed (a Collector may concatenate),
# not thousands (each is a new inflater).
MAX_GZIP_MEMBERS = 8
# Messages in a request (spans, resources, scopes, attributes, their values, events,
# links...) counted before one is built: a few bytes of protobuf or JSON can stand
# for an empty message, each of which costs a hundred bytes or more once decoded.
# 1,000 spans of 30 attributes each, with events, stay well below it.
MAX_PARTS = 200_000


def inflated(body: bytes, content_encoding: str, limit: int) -> bytes:
    """The body with its Content-Encoding undone, refused past ``limit`` bytes once
    inflated, or when it inflates more than INFLATION_RATIO times past
    INFLATION_FLOOR: a few kilobytes of gzip can inflate to gigabytes."""
    coding = content_encoding.strip().lower()
    if coding in ("", "identity"):
        if len(body) > limit:
            raise TooLarge(
                f"The body is larger than {limit:,} bytes: send fewer spans a request."
            )
        return body
    if coding == "gzip":
        return _inflate(body, _GZIP_WBITS, limit, coding)
    if coding == "deflate":  # HTTP's "deflate" is the zlib format
        return _inflate(body, _ZLIB_WBITS, limit, coding)
    raise UnsupportedEncoding(
        f"Content-Encoding “{content_encoding}” is not supported: send the body "
        "uncompressed, or compressed with gzip (or deflate)."
    )


def _inflate(data: bytes, wbits: int, limit: int, coding: str) -> bytes:
    allowed = min(limit, max(INFLATION_FLOOR, INFLATION_RATIO * len(data)))
    inflated_so_far = bytearray()
    members = 0
    while True:  # a gzip body may be several members one after the other
        members += 1
        if members > MAX_GZIP_MEMBERS:
            raise BadTraces(
                f"The {coding} body has more than {MAX_GZIP_MEMBERS} members: "
                "compress the body as one."
            )
        inflater = zlib.decompressobj(wbits)
        try:
            inflated_so_far += inflater.decompress(
                data, allowed + 1 - len(inflated_so_far)
            )
        except zlib.error as exc:
            raise BadTraces(
                f"The body is not valid {coding} data ({exc}), though "
                f"Content-Encoding says it is."
            ) from None
        if len(inflated_so_far) > allowed or inflater.unconsumed_tail:
            if allowed < limit:
                raise TooLarge(
                    f"The body inflates more than {INFLATION_RATIO} times its "
                    f"{len(data):,} bytes, which Runway refuses past "
                    f"{INFLATION_FLOOR:,} bytes: send the spans uncompressed, or "
                    "fewer of them a request."
                )
            raise TooLarge(
                f"The body inflates to more than {limit:,} bytes: send fewer spans "
                "a request."
            )
        if not inflater.eof:
            raise BadTraces(f"The {coding} body is cut short.")
        data = inflater.unused_data
        if not data or wbits != _GZIP_WBITS:
            break
    if data:
        raise BadTraces(f"The {coding} body has bytes after its end.")
    return bytes(inflated_so_far)


def too_many_spans(max_spans: int, count: int | None = None) -> TooLarge:
    this_one = "more" if count is None else f"{count:,}"
    return TooLarge(
        f"A request holds at most {max_spans:,} spans; this one has {this_one}: "
        "export smaller batches (OTEL_BSP_MAX_EXPORT_BATCH_SIZE in an SDK, "
        "send_batch_max_size in a Collector's batch processor)."
    )


def _too_many_parts() -> TooLarge:
    return TooLarge(
        f"The request has more than {MAX_PARTS:,} parts (spans, attributes, events, "
        "links and their values): send fewer spans a request, or record fewer "
        "attributes and events on them."
    )


def parsed(
    body: bytes, encoding: Encoding, *, max_spans: int
) -> ExportTraceServiceRequest:
    """The ExportTraceServiceRequest the body encodes. An empty body is an empty
    request, which OTLP says to accept. Spans, and parts of any kind, are counted
    before the message is built: over ``max_spans`` spans or MAX_PARTS parts, the
    request is refused (``TooLarge``)."""
    request = ExportTraceServiceRequest()
    if encoding is Encoding.PROTOBUF:
        spans = _protobuf_census(body, max_spans)
        if spans > max_spans:
            raise too_many_spans(max_spans)
        try:
            request.ParseFromString(body)
        except DecodeError as exc:
            raise BadTraces(
                f"The body is not a protobuf-encoded ExportTraceServiceRequest ({exc})."
            ) from None
        return request
    if not body.strip():
        return request
    try:
        document = json.loads(body, object_pairs_hook=_counted_objects())
    except TooLarge:
        raise
    except (ValueError, RecursionError) as exc:
        raise BadTraces(
            f"The body is not JSON ({exc.__class__.__name__}: {exc})."
        ) from None
    if not isinstance(document, dict):
        raise BadTraces(
            "The body is not an ExportTraceServiceRequest in OTLP's JSON encoding: "
            "expected an object with resourceSpans."
        )
    spans = _hex_ids_as_base64(document)
    if spans > max_spans:
        raise too_many_spans(max_spans, spans)
    try:
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as exc:
        raise BadTraces(
            f"The body is not an ExportTraceServiceRequest in OTLP's JSON encoding ({exc})."
        ) from None
    return request


def _counted_objects() -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    """A json.loads hook that builds each object as a dict and stops the parse past
    MAX_PARTS objects."""
    objects = 0

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal objects
        objects += 1
        if objects > MAX_PARTS:
            raise _too_many_parts()
        return dict(pairs)

    return hook


def _protobuf_census(body: bytes, max_spans: int) -> int:
    """The spans of a protobuf-encoded ExportTraceServiceRequest, counted by walking
    its wire format (without building a message) up to ``max_spans`` + 1; raises
    ``TooLarge`` past MAX_PARTS messages of any kind, ``BadTraces`` when the wire
    format is broken (ParseFromString would say the same)."""
    spans = parts = 0
    pending = [(0, len(body), ExportTraceServiceRequest.DESCRIPTOR)]
    while pending:
        position, end, descriptor = pending.pop()
        fields = descriptor.fields_by_number
        while position < end:
            key = body[position]  # one byte for field numbers up to 15
            if key < 0x80:
                position += 1
            else:
                key, position = _varint(body, position, end)
            wire_type = key & 7
            if wire_type == 2:
                length = body[position] if position < end else 0x80
                if length < 0x80:
                    position += 1
                else:
                    length, position = _varint(body, position, end)
                start, position = position, position + length
                if position > end:
                    raise _broken("a field runs past the end of its message")
                field_ = fields.get(key >> 3)
                if field_ is None or field_.message_type is None:
                    continue
                parts += 1
                if parts > MAX_PARTS:
                    raise _too_many_parts()
                if field_.message_type is _SPAN:
                    spans += 1
                    if spans > max_spans:
                        return spans
                pending.append((start, position, field_.message_type))
            elif wire_type == 0:
                _, position = _varint(body, position, end)
            elif wire_type == 1:
                position += 8
            elif wire_type == 5:
                position += 4
            else:
                raise _broken(f"wire type {wire_type}, which OTLP does not use")
            if position > end:
                raise _broken("a field runs past the end of its message")
    return spans


def _varint(body: bytes, position: int, end: int) -> tuple[int, int]:
    value = shift = 0
    while position < end and shift < 64:
        byte = body[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7
    raise _broken("a number is cut short")


def _broken(why: str) -> BadTraces:
    return BadTraces(
        f"The body is not a protobuf-encoded ExportTraceServiceRequest ({why})."
    )


_ID_KEYS = (
    ("traceId", "trace_id"),
    ("spanId", "span_id"),
    ("parentSpanId", "parent_span_id"),
)
_HEX = re.compile(r"[0-9a-fA-F]*")
_SPAN = Span.DESCRIPTOR


def _hex_ids_as_base64(document: dict[str, Any]) -> int:
    """OTLP/JSON writes trace and span ids in hex, where protobuf's JSON mapping (and
    so ``json_format``) reads base64: rewrite the spans' and their links' ids in
    place. Returns how many spans there are."""
    spans = 0
    for r, resource_spans in _objects(document, "resourceSpans", "resource_spans"):
        for s, scope_spans in _objects(resource_spans, "scopeSpans", "scope_spans"):
            for n, span in _objects(scope_spans, "spans"):
                spans += 1
                where = f"resourceSpans[{r}].scopeSpans[{s}].spans[{n}]"
                _rewrite_ids(span, where)
                for k, link in _objects(span, "links"):
                    _rewrite_ids(link, f"{where}.links[{k}]")
    return spans


def _objects(
    parent: dict[str, Any], *keys: str
) -> Iterator[tuple[int, dict[str, Any]]]:
    for key in keys:
        items = parent.get(key)
        if isinstance(items, list):
            for index, item in enumerate(items):
                if isinstance(item, dict):
                    yield index, item


def _rewrite_ids(message: dict[str, Any], where: str) -> None:
    for spellings in _ID_KEYS:
        if all(key in message for key in spellings):
            raise BadTraces(
                f"{where} has both {spellings[0]} and {spellings[1]}: send one."
            )
        for key in spellings:
            value = message.get(key)
            if not isinstance(value, str):
                continue  # json_format reports a wrong type itself
            try:
                if not _HEX.fullmatch(value):
                    raise ValueError
                raw = bytes.fromhex(value)
            except ValueError:
                raise BadTraces(
                    f"{where}.{spellings[0]} “{value[:40]}” is not hex: OTLP/JSON "
                    "writes ids as hex strings, not base64."
                ) from None
            message[key] = base64.b64encode(raw).decode("ascii")
