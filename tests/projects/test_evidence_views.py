"""Evidence on a checklist item: links and files attached from the step page, what
is refused (and leaves nothing behind), downloads, and removal."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects import services
from projects.models import Evidence
from tests.html import page, text
from tests.projects.step_pages import HTMX, evidence_url, first_item, signed_in

pytestmark = pytest.mark.django_db


def test_a_link_is_attached_as_evidence(client, people):
    item = first_item(people["project"], evidence_required=True)
    response = signed_in(client, people["lead"]).post(
        evidence_url(item), {"url": "https://wiki.example.com/pentest"}, **HTMX
    )
    assert response.status_code == 200
    evidence_list = page(response).find(attrs={"aria-label": "Evidence"})
    assert [a["href"] for a in evidence_list.find_all("a")] == [
        "https://wiki.example.com/pentest"
    ]
    assert item.evidence.get().url == "https://wiki.example.com/pentest"


def test_a_file_is_uploaded_and_served_only_to_people_who_see_the_project(
    client, people, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    item = first_item(people["project"], evidence_required=True)
    upload = SimpleUploadedFile(
        "pentest.pdf", b"%PDF-1.7 report", content_type="application/pdf"
    )
    signed_in(client, people["lead"]).post(evidence_url(item), {"file": upload}, **HTMX)
    evidence = item.evidence.get()
    assert (evidence.original_name, evidence.size) == ("pentest.pdf", 15)
    download = reverse(
        "projects:evidence_download",
        kwargs={"slug": item.project.slug, "pk": evidence.pk},
    )
    response = signed_in(client, people["viewer"]).get(download)
    assert (
        response.status_code == 200
        and b"".join(response.streaming_content) == b"%PDF-1.7 report"
    )
    assert 'attachment; filename="pentest.pdf"' in response["Content-Disposition"]
    assert signed_in(client, people["outsider"]).get(download).status_code == 404


def test_an_oversized_upload_is_rejected_and_changes_nothing(
    client, people, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.RUNWAY_EVIDENCE_MAX_BYTES = 1024
    item = first_item(people["project"], evidence_required=True)
    upload = SimpleUploadedFile("big.pdf", b"x" * 2048, content_type="application/pdf")
    response = signed_in(client, people["lead"]).post(
        evidence_url(item), {"file": upload}, **HTMX
    )
    assert response.status_code == 200
    assert "the limit is" in text(page(response))
    assert not Evidence.objects.exists()
    assert not any(tmp_path.rglob("*.pdf"))


def test_a_disallowed_file_type_is_rejected_and_changes_nothing(
    client, people, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    item = first_item(people["project"], evidence_required=True)
    upload = SimpleUploadedFile(
        "payload.exe", b"MZ", content_type="application/octet-stream"
    )
    response = signed_in(client, people["lead"]).post(
        evidence_url(item), {"file": upload}, **HTMX
    )
    assert "are not accepted" in text(page(response))
    assert not Evidence.objects.exists()


def stored_files(root):
    return [p for p in root.rglob("*") if p.is_file()]


def test_the_browsers_content_type_is_ignored_however_long(
    client, people, settings, tmp_path
):
    """A Content-Type longer than the column once failed the insert after the file
    was written: a 500 and a file with no row. It is not read at all now."""
    settings.MEDIA_ROOT = tmp_path
    item = first_item(people["project"], evidence_required=True)
    upload = SimpleUploadedFile(
        "pentest.pdf", b"%PDF-1.7 report", content_type="application/" + "x" * 500
    )
    response = signed_in(client, people["lead"]).post(
        evidence_url(item), {"file": upload}, **HTMX
    )
    assert response.status_code == 200
    evidence = item.evidence.get()
    assert evidence.content_type == "application/pdf"
    assert [p.name for p in stored_files(tmp_path)] == ["pentest.pdf"]


def test_a_file_whose_content_is_not_its_extension_is_refused_and_not_stored(
    client, people, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    item = first_item(people["project"], evidence_required=True)
    upload = SimpleUploadedFile(
        "pentest.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )
    response = signed_in(client, people["lead"]).post(
        evidence_url(item), {"file": upload}, **HTMX
    )
    assert response.status_code == 200
    assert "This file's content is not a PDF, though its name ends in .pdf." in text(
        page(response)
    )
    assert not Evidence.objects.exists()
    assert not any(tmp_path.iterdir())


def test_text_evidence_must_be_utf8_without_nul_bytes(
    client, people, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    item = first_item(people["project"], evidence_required=True)
    client = signed_in(client, people["lead"])
    refused = SimpleUploadedFile("log.csv", b"a,b\n\x00\x01", content_type="text/csv")
    response = client.post(evidence_url(item), {"file": refused}, **HTMX)
    assert "is not UTF-8 text" in text(page(response))
    assert not Evidence.objects.exists() and not any(tmp_path.iterdir())
    accepted = SimpleUploadedFile("log.csv", "é,ü\n".encode(), content_type="x/y")
    client.post(evidence_url(item), {"file": accepted}, **HTMX)
    assert item.evidence.get().content_type == "text/csv; charset=utf-8"


def test_a_name_too_long_to_store_is_refused_and_not_stored(
    client, people, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    item = first_item(people["project"], evidence_required=True)
    upload = SimpleUploadedFile("r" * 250 + ".pdf", b"%PDF-1.7 report")
    response = signed_in(client, people["lead"]).post(
        evidence_url(item), {"file": upload}, **HTMX
    )
    assert "name is too long" in text(page(response))
    assert not Evidence.objects.exists()
    assert not any(tmp_path.iterdir())


def test_a_kind_allowed_by_the_setting_but_not_checkable_is_refused(
    client, people, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.RUNWAY_EVIDENCE_EXTENSIONS = ["pdf", "exe"]
    item = first_item(people["project"], evidence_required=True)
    upload = SimpleUploadedFile("tool.exe", b"MZ\x90\x00")
    response = signed_in(client, people["lead"]).post(
        evidence_url(item), {"file": upload}, **HTMX
    )
    assert "Allowed: pdf." in text(page(response))
    assert not Evidence.objects.exists()
    assert not any(tmp_path.iterdir())


def test_evidence_needs_a_link_or_a_file(client, people):
    item = first_item(people["project"], evidence_required=True)
    response = signed_in(client, people["lead"]).post(evidence_url(item), {}, **HTMX)
    assert "Attach either a link or a file" in text(page(response))
    assert not Evidence.objects.exists()


def test_read_only_members_cannot_attach_evidence(client, people):
    item = first_item(people["project"], evidence_required=True)
    response = signed_in(client, people["viewer"]).post(
        evidence_url(item), {"url": "https://x.example.com"}, **HTMX
    )
    assert response.status_code == 403
    assert not Evidence.objects.exists()


def test_removing_evidence_renders_the_row_without_it(client, people):
    project, lead = people["project"], people["lead"]
    item = first_item(project)
    services.item_update(item=item, assignee=lead, due_date=None, notes="")
    kept = services.evidence_add(
        item=item, actor=lead, url="https://wiki.example.com/a"
    )
    gone = services.evidence_add(
        item=item, actor=lead, url="https://wiki.example.com/b"
    )
    response = signed_in(client, lead).post(
        reverse(
            "projects:evidence_remove", kwargs={"slug": project.slug, "pk": gone.pk}
        ),
        **HTMX,
    )
    assert response.status_code == 200
    row = page(response)
    links = [
        a["href"] for a in row.find(attrs={"aria-label": "Evidence"}).find_all("a")
    ]
    assert links == [kept.url]
    assert f"Assigned to {lead.display_name}" in text(row)
