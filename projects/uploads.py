"""Evidence files: what a file's name and content must be before it is stored.

Pure functions over a file's name and a seekable binary stream; no database, no
settings. The browser's Content-Type is never read: the type that is stored comes
from the extension, once the content has been shown to match it.

Binary formats are recognised by their signature with puremagic (pure Python, no
system libmagic), from the start of the file only. Office Open XML documents are
all zip files with the same signature, so the zip is opened to check it holds the
document its extension names (a renamed macro-enabled .docm is not a .docx). Text
must be UTF-8 without NUL bytes; JSON must also parse.
"""

from __future__ import annotations

import codecs
import json
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

import puremagic

# The stored path is "evidence/<project id>/<32 hex>/<name>": at most 62 characters
# before the name with a 19-digit id, so a name of 200 fits the 300 of
# Evidence.file. The byte limit keeps the name within a file system's 255 bytes.
MAX_NAME_LENGTH = 200
MAX_NAME_BYTES = 240
# [Content_Types].xml is a few kilobytes; more than this is not an office document.
_MAX_CONTENT_TYPES_BYTES = 1024 * 1024
_CHUNK = 64 * 1024

Stream = IO[bytes]


class UploadRefused(ValueError):
    """Why a file is not accepted, in words for the person who chose it."""


@dataclass(frozen=True)
class Kind:
    label: str  # completes "This file's content is not …"
    content_type: str
    matches: Callable[[Stream], bool]


def _signature(*extensions: str, strongest: bool = True) -> Callable[[Stream], bool]:
    """The file starts with a signature puremagic knows for one of ``extensions``.

    puremagic lists every signature that matches, generic ones too ("RIFF" alone is
    listed as a WebP): with ``strongest`` one of the longest matches must be ours,
    so an AVI ("RIFF....AVI ") is not taken for a WebP ("RIFF....WEBP")."""

    def matches(stream: Stream) -> bool:
        stream.seek(0)
        try:
            found = puremagic.magic_stream(stream)
        except (puremagic.PureError, ValueError):
            return False
        # Only signatures at the start: a footer alone (a PDF's "%%EOF") proves nothing.
        found = [m for m in found if m.offset >= 0]
        if strongest and found:
            longest = max(len(m.byte_match) for m in found)
            found = [m for m in found if len(m.byte_match) == longest]
        return any(m.extension in extensions for m in found)

    return matches


def _office_open_xml(folder: str, main_type: str) -> Callable[[Stream], bool]:
    """A zip (by its signature) holding [Content_Types].xml that declares the main
    part of this kind of document, and that document's folder."""
    # Zip signatures vary with the writer's flags, and puremagic names the longer
    # ones after other formats; the zip's own contents decide below.
    is_zip = _signature(".zip", strongest=False)

    def matches(stream: Stream) -> bool:
        if not is_zip(stream):
            return False
        stream.seek(0)
        try:
            with zipfile.ZipFile(stream) as archive:
                names = archive.namelist()
                if not any(name.startswith(folder) for name in names):
                    return False
                info = archive.getinfo("[Content_Types].xml")
                if info.file_size > _MAX_CONTENT_TYPES_BYTES:
                    return False
                with archive.open(info) as part:
                    declared = part.read(_MAX_CONTENT_TYPES_BYTES + 1)
        except (
            KeyError,
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            zlib.error,
            EOFError,
            NotImplementedError,
            RuntimeError,
            OSError,
            ValueError,
        ):
            return False
        return (
            len(declared) <= _MAX_CONTENT_TYPES_BYTES and main_type.encode() in declared
        )

    return matches


def _utf8_text(stream: Stream) -> bool:
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(_CHUNK):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _json(stream: Stream) -> bool:
    if not _utf8_text(stream):
        return False
    stream.seek(0)
    try:
        json.loads(stream.read().decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return False
    return True


_OOXML = "application/vnd.openxmlformats-officedocument"
_JPEG = _signature(".jpg", ".jpeg", ".jpe", ".jfif")
_OLE = _signature(".doc", ".xls", ".ppt")  # one container for all three

KINDS: dict[str, Kind] = {
    "pdf": Kind("a PDF", "application/pdf", _signature(".pdf")),
    "png": Kind("a PNG image", "image/png", _signature(".png")),
    "jpg": Kind("a JPEG image", "image/jpeg", _JPEG),
    "jpeg": Kind("a JPEG image", "image/jpeg", _JPEG),
    "gif": Kind("a GIF image", "image/gif", _signature(".gif")),
    "webp": Kind("a WebP image", "image/webp", _signature(".webp")),
    "txt": Kind("UTF-8 text", "text/plain; charset=utf-8", _utf8_text),
    "md": Kind("UTF-8 text", "text/markdown; charset=utf-8", _utf8_text),
    "csv": Kind("UTF-8 text", "text/csv; charset=utf-8", _utf8_text),
    "json": Kind("JSON in UTF-8", "application/json", _json),
    "docx": Kind(
        "a Word document",
        f"{_OOXML}.wordprocessingml.document",
        _office_open_xml("word/", f"{_OOXML}.wordprocessingml.document.main+xml"),
    ),
    "xlsx": Kind(
        "an Excel workbook",
        f"{_OOXML}.spreadsheetml.sheet",
        _office_open_xml("xl/", f"{_OOXML}.spreadsheetml.sheet.main+xml"),
    ),
    "pptx": Kind(
        "a PowerPoint presentation",
        f"{_OOXML}.presentationml.presentation",
        _office_open_xml("ppt/", f"{_OOXML}.presentationml.presentation.main+xml"),
    ),
    "doc": Kind("a Word document", "application/msword", _OLE),
    "xls": Kind("an Excel workbook", "application/vnd.ms-excel", _OLE),
    "ppt": Kind("a PowerPoint presentation", "application/vnd.ms-powerpoint", _OLE),
}

UNKNOWN_CONTENT_TYPE = "application/octet-stream"


def extension_of(name: str) -> str:
    """The extension, lower case and without its dot ("" for none)."""
    return PurePath(name).suffix.lower().lstrip(".")


def content_type_for(name: str) -> str:
    """The type to store and serve for a file of this name, from its extension only."""
    kind = KINDS.get(extension_of(name))
    return kind.content_type if kind else UNKNOWN_CONTENT_TYPE


def check_name(name: str) -> None:
    """Refuse a name too long to store."""
    if len(name) > MAX_NAME_LENGTH or len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise UploadRefused(
            f"The file's name is too long; shorten it to at most {MAX_NAME_LENGTH} characters."
        )


def check_content(name: str, stream: Stream) -> str:
    """The content type to store for this file, once its content matches its
    extension; else UploadRefused. The stream is left at its start."""
    extension = extension_of(name)
    kind = KINDS.get(extension)
    if kind is None:
        raise UploadRefused(
            f"Files of type “.{extension or '?'}” cannot be checked, so they are not accepted."
        )
    try:
        matches = kind.matches(stream)
    finally:
        stream.seek(0)
    if not matches:
        raise UploadRefused(
            f"This file's content is not {kind.label}, though its name ends in .{extension}."
        )
    return kind.content_type
