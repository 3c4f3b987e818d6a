"""The pages a compliance reviewer reads: a project's frameworks, one framework's
controls with their items and evidence, the statement of applicability, moving to a
new version, coverage across the portfolio and the admins' library page."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from controls.models import ControlLibrary, ProjectLibrary
from controls.services import library_import
from projects import services as project_services
from projects.models import ChecklistItem, Framework
from tests.conftest import require
from tests.controls.conftest import library_text
from tests.factories import ProjectFactory
from tests.html import page, table_rows, text

pytestmark = pytest.mark.django_db


def item(project, key):
    return ChecklistItem.objects.get(project=project, template__key=key)


@pytest.fixture
def hipaa(people):
    """A two-control HIPAA library the people's project follows: one control met
    with evidence, one open."""
    text_ = (
        library_text("T1", items=("s1-compliance-scope",), evidence=True)
        + '  - ref: "T-2"\n'
        "    group: Other\n"
        "    title: Data encrypted at rest\n"
        "    description: Stored data is encrypted.\n"
        "    items: [s3-encryption-at-rest]\n"
    )
    library, _ = library_import("hipaa-t1.yaml", text_)
    project, owner = people["project"], people["owner"]
    scope = item(project, "s1-compliance-scope")
    project_services.item_set_state(item=scope, state="done", actor=owner)
    project_services.evidence_add(
        item=scope, actor=owner, url="https://wiki.example/scope"
    )
    return library


def test_the_controls_tab_lists_each_framework_with_its_coverage(as_, people, hipaa):
    response = as_(people["reviewer"]).get(
        reverse("controls:project", kwargs={"slug": people["project"].slug})
    )

    rows = table_rows(page(response).find("table"))
    assert rows[0][:7] == ["HIPAA", "T1", "50%", "1", "0", "1", "0"]
    # SOC 2 has no library imported in this test.
    assert rows[1][0] == "SOC 2"
    assert "No control library of SOC 2 is imported yet" in rows[1][1]


def test_the_framework_page_shows_each_control_with_its_items_and_evidence(
    as_, people, hipaa
):
    project = people["project"]
    response = as_(people["viewer"]).get(
        reverse("controls:framework", kwargs={"slug": project.slug, "code": "hipaa"})
    )

    doc = page(response)
    met = doc.find(id=f"control-{hipaa.controls.get(ref='T-1').pk}")
    assert text(met.find(class_="badge")) == "Met"
    assert "Confirm which compliance frameworks apply" in text(met)
    assert (
        met.find("a", string="https://wiki.example/scope")["href"]
        == "https://wiki.example/scope"
    )
    still_open = doc.find(id=f"control-{hipaa.controls.get(ref='T-2').pk}")
    assert text(still_open.find(class_="badge")) == "Open"
    assert "1 of 1 items open" in text(still_open)


def test_the_framework_page_filters_by_status(as_, people, hipaa):
    url = reverse(
        "controls:framework", kwargs={"slug": people["project"].slug, "code": "hipaa"}
    )

    shown = text(page(as_(people["viewer"]).get(url, {"status": "open"})))

    assert "Data encrypted at rest" in shown and "Scope confirmed" not in shown
    # A status that is not one shows everything.
    assert "Scope confirmed" in text(
        page(as_(people["viewer"]).get(url, {"status": "nope"}))
    )


def test_a_framework_the_project_is_not_under_is_not_found(as_, people, hipaa):
    response = as_(people["viewer"]).get(
        reverse(
            "controls:framework",
            kwargs={"slug": people["project"].slug, "code": "gdpr"},
        )
    )

    assert response.status_code == 404


@pytest.mark.parametrize(
    "name",
    ["controls:project", "controls:framework", "controls:soa_csv", "controls:soa_pdf"],
)
def test_people_outside_the_project_see_nothing(as_, people, hipaa, name):
    kwargs = {"slug": people["project"].slug}
    if name != "controls:project":
        kwargs["code"] = "hipaa"

    assert as_(people["outsider"]).get(reverse(name, kwargs=kwargs)).status_code == 404


def test_people_outside_the_project_cannot_move_it(as_, people, hipaa):
    newer, _ = library_import("hipaa-t2.yaml", library_text("T2"))

    response = as_(people["outsider"]).post(
        reverse(
            "controls:move", kwargs={"slug": people["project"].slug, "code": "hipaa"}
        ),
        {"library": newer.pk},
    )

    assert response.status_code == 404
    assert (
        ProjectLibrary.objects.get(
            project=people["project"], framework__code="hipaa"
        ).library
        == hipaa
    )


def test_a_move_to_a_version_that_is_not_a_number_is_explained(as_, people, hipaa):
    response = as_(people["owner"]).post(
        reverse(
            "controls:move", kwargs={"slug": people["project"].slug, "code": "hipaa"}
        ),
        {"library": "abc"},
        follow=True,
    )

    assert "Choose a version of HIPAA to move to" in text(page(response))


def _csv(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_statement_of_applicability_as_csv(as_, people, hipaa):
    project, owner = people["project"], people["owner"]
    encryption = item(project, "s3-encryption-at-rest")
    project_services.item_set_state(
        item=encryption,
        state="not_applicable",
        actor=owner,
        justification="The vendor stores nothing",
    )

    response = as_(people["reviewer"]).get(
        reverse("controls:soa_csv", kwargs={"slug": project.slug, "code": "hipaa"})
    )

    assert response["Content-Disposition"].endswith(
        '-hipaa-statement-of-applicability.csv"'
    )
    header, met, not_applicable = _csv(response)
    assert header[:5] == ["Reference", "Group", "Control", "Applicable", "Status"]
    assert met[:5] == ["T-1", "Test", "Scope confirmed", "Yes", "Met"]
    assert met[5] == "Met by 1 done checklist item with evidence"
    assert met[7] == "https://wiki.example/scope <https://wiki.example/scope>"
    assert not_applicable[3:6] == [
        "No",
        "Not applicable",
        f"{encryption.title}: The vendor stores nothing",
    ]


def test_the_statement_neutralises_cells_a_spreadsheet_would_run(as_, people, hipaa):
    project, owner = people["project"], people["owner"]
    scope = item(project, "s1-compliance-scope")
    project_services.evidence_add(
        item=scope, actor=owner, url="https://wiki.example/=cmd"
    )
    ChecklistItem.objects.filter(pk=scope.pk).update(title='=HYPERLINK("http://x")')

    response = as_(people["reviewer"]).get(
        reverse("controls:soa_csv", kwargs={"slug": project.slug, "code": "hipaa"})
    )

    items_cell = _csv(response)[1][6]
    assert not items_cell.startswith("=")
    assert "HYPERLINK" in items_cell


def test_the_statement_of_applicability_as_pdf(as_, people, hipaa):
    try:
        import weasyprint  # noqa: F401
    except OSError as error:
        require(False, f"WeasyPrint needs Debian's pango libraries: {error}")

    response = as_(people["reviewer"]).get(
        reverse(
            "controls:soa_pdf", kwargs={"slug": people["project"].slug, "code": "hipaa"}
        )
    )

    assert response["Content-Type"] == "application/pdf"
    words = " ".join(
        " ".join(
            p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages
        ).split()
    )
    assert "Statement of applicability: HIPAA" in words
    assert "T-1 Scope confirmed" in words and "Met" in words


def test_the_owner_moves_the_project_to_a_newer_version(as_, people, hipaa):
    project = people["project"]
    newer, _ = library_import("hipaa-t2.yaml", library_text("T2"))
    url = reverse("controls:project", kwargs={"slug": project.slug})
    assert "Version T2 is available" in text(page(as_(people["owner"]).get(url)))

    response = as_(people["owner"]).post(
        reverse("controls:move", kwargs={"slug": project.slug, "code": "hipaa"}),
        {"library": newer.pk},
        follow=True,
    )

    assert f"{project.name} now follows HIPAA T2" in text(page(response))
    assert (
        ProjectLibrary.objects.get(project=project, framework__code="hipaa").library
        == newer
    )


@pytest.mark.parametrize("who", ["lead", "reviewer"])
def test_only_the_owner_moves_a_project(as_, people, hipaa, who):
    newer, _ = library_import("hipaa-t2.yaml", library_text("T2"))

    response = as_(people[who]).post(
        reverse(
            "controls:move", kwargs={"slug": people["project"].slug, "code": "hipaa"}
        ),
        {"library": newer.pk},
    )

    assert response.status_code == 403
    assert (
        ProjectLibrary.objects.get(
            project=people["project"], framework__code="hipaa"
        ).library
        == hipaa
    )


def test_moving_to_another_frameworks_library_changes_nothing(as_, people, hipaa):
    gdpr, _ = library_import("gdpr.yaml", library_text("G", framework="gdpr"))

    response = as_(people["owner"]).post(
        reverse(
            "controls:move", kwargs={"slug": people["project"].slug, "code": "hipaa"}
        ),
        {"library": gdpr.pk},
        follow=True,
    )

    assert "Choose a version of HIPAA to move to" in text(page(response))
    assert (
        ProjectLibrary.objects.get(
            project=people["project"], framework__code="hipaa"
        ).library
        == hipaa
    )


def test_portfolio_coverage_shows_only_the_projects_a_person_sees(
    as_, people, hipaa, executive
):
    hidden = ProjectFactory(name="Hidden Helper")
    hidden.frameworks.add(Framework.objects.get(code="hipaa"))
    url = reverse("controls:portfolio")

    member_view = text(page(as_(people["viewer"]).get(url)))
    assert (
        "Claims Triage Assistant" in member_view and "Hidden Helper" not in member_view
    )

    doc = page(as_(executive).get(url))
    rows = {row[0]: row for row in table_rows(doc.find_all("table")[1])}
    assert rows["Claims Triage Assistant"][1] == "50%"
    assert rows["Hidden Helper"][1] == "No control applies"
    # SOC 2 has no library here, so it is no column; a framework is a column only
    # once some project follows a library of it.
    assert [
        th.get_text() for th in doc.find_all("table")[1].find_all("th", scope="col")
    ] == ["Project", "HIPAA"]
    summary = table_rows(doc.find_all("table")[0])
    assert summary == [["HIPAA", "1", "50%"]]


def test_portfolio_coverage_reads_a_constant_number_of_queries(
    as_, people, hipaa, executive, django_assert_max_num_queries
):
    client = as_(executive)
    url = reverse("controls:portfolio")
    client.get(url)
    for n in range(5):
        project = ProjectFactory(name=f"Another {n}")
        project.frameworks.add(Framework.objects.get(code="hipaa"))

    with django_assert_max_num_queries(14):
        response = client.get(url)

    assert len(table_rows(page(response).find_all("table")[1])) == 6


def test_only_admins_import_libraries(as_, people):
    assert as_(people["owner"]).get(reverse("controls:libraries")).status_code == 403


def test_an_admin_imports_a_library_and_a_broken_one_is_explained(
    as_, admin_user, people
):
    client = as_(admin_user)
    url = reverse("controls:libraries")

    broken = SimpleUploadedFile(
        "hipaa-x.yaml", library_text("X").replace("    group: Test\n", "").encode()
    )
    response = client.post(url, {"file": broken})
    assert response.status_code == 422
    assert "hipaa-x.yaml, line 6: controls.0.group: Field required" in text(
        page(response)
    )
    assert not ControlLibrary.objects.exists()

    good = SimpleUploadedFile("hipaa-x.yaml", library_text("X").encode())
    response = client.post(url, {"file": good}, follow=True)
    assert "Imported HIPAA X with 1 controls" in text(page(response))
    again = SimpleUploadedFile("hipaa-x.yaml", library_text("X").encode())
    response = client.post(url, {"file": again}, follow=True)
    assert "already imported from this very file; nothing changed" in text(
        page(response)
    )
    assert ControlLibrary.objects.count() == 1


def test_the_controls_tab_reads_the_same_queries_for_two_frameworks_or_seven(
    as_, people, shipped
):
    project = people["project"]
    client = as_(people["owner"])
    url = reverse("controls:project", kwargs={"slug": project.slug})
    client.get(url)

    with CaptureQueriesContext(connection) as two:
        client.get(url)
    project.frameworks.set(Framework.objects.all())
    client.get(url)
    with CaptureQueriesContext(connection) as seven:
        response = client.get(url)

    assert len(table_rows(page(response).find("table"))) == 7
    assert len(seven) == len(two)
