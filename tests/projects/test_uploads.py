"""What an evidence file's name and content must be (projects.uploads), on small
real samples built here."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib

import pytest
from django.core.files.storage import default_storage
from hypothesis import given, settings
from hypothesis import strategies as st

from projects import uploads
from projects.models import ChecklistItem, Evidence, evidence_upload_path

OOXML = "application/vnd.openxmlformats-officedocument"
MAIN_PARTS = {
    "docx": ("word/document.xml", f"{OOXML}.wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", f"{OOXML}.spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml", f"{OOXML}.presentationml.presentation.main+xml"),
}


def png_1x1() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit grey
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
PNG = png_1x1()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00"
    b"\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
WEBP = (
    b"RIFF\x1a\x00\x00\x00WEBPVP8L\r\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11"
    b"\x88\x88\xfe\x07\x00"
)
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48


def office(kind: str, *, main_type: str | None = None, folder: bool = True) -> bytes:
    """A minimal Office Open XML package: [Content_Types].xml and the main part."""
    part, declared = MAIN_PARTS[kind]
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{main_type or declared}"/>'
        "</Types>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", "<Relationships/>")
        if folder:
            archive.writestr(part, "<root/>")
    return buffer.getvalue()


def check(name: str, content: bytes) -> str:
    return uploads.check_content(name, io.BytesIO(content))


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("report.pdf", PDF, "application/pdf"),
        ("report.pdf", b"%PDF-1.7 report", "application/pdf"),
        ("Scan.PDF", PDF, "application/pdf"),
        ("diagram.png", PNG, "image/png"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("anim.gif", GIF, "image/gif"),
        ("pic.webp", WEBP, "image/webp"),
        ("notes.txt", "Résumé: naïve café ✓\n".encode(), "text/plain; charset=utf-8"),
        ("notes.txt", b"\xef\xbb\xbfwith a BOM\n", "text/plain; charset=utf-8"),
        ("README.md", b"# Title\n\n- item\n", "text/markdown; charset=utf-8"),
        ("data.csv", b"a,b\n1,2\n", "text/csv; charset=utf-8"),
        ("data.json", b'{"ok": [1, 2, "\xc3\xa9"]}', "application/json"),
        ("plan.docx", office("docx"), f"{OOXML}.wordprocessingml.document"),
        ("costs.xlsx", office("xlsx"), f"{OOXML}.spreadsheetml.sheet"),
        ("deck.pptx", office("pptx"), f"{OOXML}.presentationml.presentation"),
        ("old.doc", OLE, "application/msword"),
        ("old.xls", OLE, "application/vnd.ms-excel"),
        ("old.ppt", OLE, "application/vnd.ms-powerpoint"),
    ],
)
def test_content_that_matches_its_extension_is_accepted(name, content, content_type):
    assert check(name, content) == content_type


@pytest.mark.parametrize(
    ("name", "content", "label"),
    [
        ("report.pdf", PNG, "a PDF"),
        ("report.pdf", b"just words, then\n%%EOF\n", "a PDF"),  # a footer is not enough
        ("report.pdf", b"\n%PDF-1.4 late header", "a PDF"),
        ("report.pdf", EXE, "a PDF"),
        ("diagram.png", JPEG, "a PNG image"),
        ("diagram.png", b"\x89PNX\r\n\x1a\n", "a PNG image"),
        ("photo.jpg", PNG, "a JPEG image"),
        ("anim.gif", b"GIF88a", "a GIF image"),
        ("pic.webp", b"RIFF\x1a\x00\x00\x00AVI LIST", "a WebP image"),
        ("notes.txt", b"caf\xe9", "UTF-8 text"),  # Latin-1
        ("notes.txt", b"a\x00b", "UTF-8 text"),
        ("notes.txt", PDF[:8] + b"\x00\xff", "UTF-8 text"),
        ("data.csv", b"\xff\xfea\x00,\x00b\x00", "UTF-8 text"),  # UTF-16
        ("README.md", b"trailing half of a character \xe2\x82", "UTF-8 text"),
        ("data.json", b"{not json", "JSON in UTF-8"),
        ("data.json", b"\xff\xfe{\x00}\x00", "JSON in UTF-8"),
        ("plan.docx", PDF, "a Word document"),
        ("plan.docx", office("xlsx"), "a Word document"),
        ("plan.docx", office("docx", folder=False), "a Word document"),
        (  # a macro-enabled document renamed
            "plan.docx",
            office(
                "docx",
                main_type="application/vnd.ms-word.document.macroEnabled.main+xml",
            ),
            "a Word document",
        ),
        ("plan.docx", b"PK\x03\x04 truncated, no central directory", "a Word document"),
        ("plan.docx", PDF + office("docx"), "a Word document"),  # zip appended to a PDF
        ("costs.xlsx", office("pptx"), "an Excel workbook"),
        ("deck.pptx", office("docx"), "a PowerPoint presentation"),
        ("old.doc", office("docx"), "a Word document"),
        ("old.xls", EXE, "an Excel workbook"),
    ],
)
def test_content_that_does_not_match_its_extension_is_refused(name, content, label):
    extension = name.rsplit(".", 1)[1].lower()
    with pytest.raises(uploads.UploadRefused) as refused:
        check(name, content)
    assert str(refused.value) == (
        f"This file's content is not {label}, though its name ends in .{extension}."
    )


class _Unseekable(io.BytesIO):
    def seek(self, *args, **kwargs):
        raise OSError("not seekable")


def test_an_office_document_from_a_streaming_writer_is_accepted():
    """A writer that cannot seek back sets a flag in each entry's header, which
    changes the zip's first bytes; puremagic names those after Java archives."""
    part, declared = MAIN_PARTS["docx"]
    sink = _Unseekable()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<Types><Override PartName="/{part}" ContentType="{declared}"/></Types>',
        )
        archive.writestr(part, "<root/>")
    content = sink.getvalue()
    assert content[6:8] == b"\x08\x00"  # the data-descriptor flag
    assert check("plan.docx", content) == f"{OOXML}.wordprocessingml.document"


def test_a_plain_zip_is_not_an_office_document():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<root/>")  # no [Content_Types].xml
    with pytest.raises(uploads.UploadRefused):
        check("plan.docx", buffer.getvalue())


def test_an_oversized_content_types_part_is_refused_unread():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b" " * (2 * 1024 * 1024))
        archive.writestr("word/document.xml", "<root/>")
    with pytest.raises(uploads.UploadRefused):
        check("plan.docx", buffer.getvalue())


def test_a_kind_that_cannot_be_checked_is_refused():
    with pytest.raises(uploads.UploadRefused, match="cannot be checked"):
        check("archive.zip", office("docx"))
    with pytest.raises(uploads.UploadRefused, match=re.escape("“.?”")):
        check("no-extension", PDF)


def test_the_stream_is_left_at_its_start():
    stream = io.BytesIO(office("docx"))
    stream.seek(7)
    uploads.check_content("plan.docx", stream)
    assert stream.tell() == 0
    stream = io.BytesIO(PNG)
    with pytest.raises(uploads.UploadRefused):
        uploads.check_content("report.pdf", stream)
    assert stream.tell() == 0


@settings(max_examples=200, deadline=None)
@given(
    extension=st.sampled_from(sorted(uploads.KINDS)),
    content=st.one_of(
        st.binary(max_size=600),
        # Truncated and corrupted office documents: the zip reader's own errors.
        st.builds(
            lambda data, cut, flip: (
                bytearray(data[:cut])
                if not flip or cut == 0
                else bytearray(data[: cut - 1]) + b"\x00"
            ),
            st.sampled_from([office(k) for k in MAIN_PARTS] + [PDF, PNG, OLE]),
            st.integers(min_value=0, max_value=1200),
            st.booleans(),
        ).map(bytes),
    ),
)
def test_any_content_is_either_accepted_with_its_type_or_refused(extension, content):
    """Never another exception: a refusal is the only way a check fails."""
    try:
        content_type = check(f"file.{extension}", content)
    except uploads.UploadRefused:
        return
    assert content_type == uploads.KINDS[extension].content_type


def test_every_stored_content_type_fits_the_column():
    column = Evidence._meta.get_field("content_type").max_length
    assert column is not None
    for kind in uploads.KINDS.values():
        assert len(kind.content_type) <= column
    assert len(uploads.UNKNOWN_CONTENT_TYPE) <= column


def test_the_content_type_comes_from_the_extension_alone():
    assert uploads.content_type_for("a.PDF") == "application/pdf"
    assert uploads.content_type_for("a.tar.gz") == "application/octet-stream"
    assert uploads.content_type_for("noext") == "application/octet-stream"


def test_a_name_too_long_to_store_is_refused():
    uploads.check_name("a" * (uploads.MAX_NAME_LENGTH - 4) + ".pdf")
    with pytest.raises(uploads.UploadRefused, match="name is too long"):
        uploads.check_name("a" * (uploads.MAX_NAME_LENGTH - 3) + ".pdf")
    # Short in characters, too long in bytes for a file system's 255.
    with pytest.raises(uploads.UploadRefused, match="name is too long"):
        uploads.check_name("日" * 90 + ".pdf")


def test_the_longest_accepted_name_fits_the_stored_path():
    """The limit leaves room for the folders, with the largest possible project id."""
    item = ChecklistItem(project_id=2**63 - 1)
    name = "a" * (uploads.MAX_NAME_LENGTH - 4) + ".pdf"
    uploads.check_name(name)
    path = default_storage.generate_filename(
        evidence_upload_path(Evidence(item=item), name)
    )
    assert len(path) <= Evidence._meta.get_field("file").max_length
