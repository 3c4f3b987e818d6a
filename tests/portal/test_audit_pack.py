"""A project's audit pack: the PDF says what an auditor asks for, the ZIP holds the
same PDF with the evidence files and their index, only people who see the project
can make one, and each one made is in the project's audit trail."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from assessments import services as assessment_services
from assessments.models import AssessmentCriterion
from portal.audit_pack import INDEX_HEADER, audit_pack, write_zip
from portal.models import AuditPackDownload, AuditPackKind
from portal.views.audit_pack import TEMPLATE
from projects import services, step_services
from projects.activity import project_activity
from projects.audit import acting_as
from projects.models import ChecklistItem, Evidence, ItemState, ProjectRole
from projects.roles import GlobalRole
from risks import services as risk_services
from risks.ai_act import Answers
from risks.ai_act_services import ai_act_answer
from risks.models import RiskCategory, Treatment
from tests.conftest import require
from tests.evaluations.conftest import gate_evaluations_pass
from tests.factories import UserFactory, approve_requirements, record_daily_metrics
from tests.projects.conftest import step_of

pytestmark = pytest.mark.django_db

REPORT = b"%PDF-1.7 penetration test report"


def _weasyprint() -> None:
    try:
        import weasyprint  # noqa: F401
    except OSError as error:  # pango missing
        require(False, f"WeasyPrint needs Debian's pango libraries: {error}")


def url(project, kind="pdf"):
    return reverse(f"portal:audit_pack_{kind}", kwargs={"slug": project.slug})


def item_of(project, number, n=0):
    return ChecklistItem.objects.filter(
        project=project, step__number=number, applicable=True
    ).order_by("order", "id")[n]


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    # Words only: line breaks inside a table cell fall where the PDF wraps them.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def world(people, settings, tmp_path):
    """A project an auditor would ask about: approved requirements, a gap assessment
    with one gap, evidence (a file and a link), a not-applicable item, a sign-off with
    a comment, a risk with its mitigation and an executive's acceptance, the EU AI Act
    answers, evaluation runs and a load test that pass step 6, and a week of
    production metrics."""
    settings.MEDIA_ROOT = tmp_path
    project, owner, lead = people["project"], people["owner"], people["lead"]
    executive = UserFactory(roles=[GlobalRole.EXECUTIVE], first_name="Eve")
    with acting_as(owner):
        approve_requirements(project, owner)
        criteria = list(AssessmentCriterion.objects.order_by("order", "id"))
        assessment_services.assessment_record(
            project=project,
            assessor=lead,
            scores=[
                assessment_services.ScoreInput(c, 1 if i == 0 else 3, 3)
                for i, c in enumerate(criteria)
            ],
            note="First look before the pilot.",
        )
        tested = item_of(project, 4)
        services.evidence_add(
            item=tested,
            actor=lead,
            upload=SimpleUploadedFile("pentest.pdf", REPORT, "application/pdf"),
        )
        services.evidence_add(
            item=tested, actor=lead, url="https://wiki.example.com/runbook"
        )
        services.item_set_state(item=tested, state=ItemState.DONE, actor=lead)
        skipped = item_of(project, 3)
        services.item_set_state(
            item=skipped,
            state=ItemState.NOT_APPLICABLE,
            actor=owner,
            justification="No personal data leaves the EU region.",
        )
        signoff = step_services.signoff_request(
            project_step=step_of(project, 3),
            role=ProjectRole.REVIEWER,
            signer=people["reviewer"],
            actor=owner,
        )
        step_services.signoff_decide(
            signoff=signoff, approve=True, comment="Pen test findings closed."
        )
        risk = risk_services.risk_create(
            project=project,
            mitigations=[tested],
            title="Prompt injection leaks claim notes",
            category=RiskCategory.SECURITY,
            owner=lead,
            inherent_likelihood=5,
            inherent_impact=4,
            residual_likelihood=4,
            residual_impact=4,
            treatment=Treatment.ACCEPT,
        )
        acceptance = risk_services.acceptance_request(
            risk=risk,
            requested_by=owner,
            reason="Pilot is internal only.",
            expires_on=timezone.localdate() + timedelta(days=60),
        )
    with acting_as(executive):
        risk_services.acceptance_decide(
            acceptance=acceptance, decided_by=executive, approve=True
        )
    with acting_as(owner):
        ai_act_answer(
            project=project,
            by=owner,
            answers=Answers(
                users=("customers",),
                purpose="Answer claims questions",
                transparency=("interacts",),
            ),
        )
    with acting_as(lead):
        gate_evaluations_pass(project, lead)
    record_daily_metrics(project, days=project.metric_gate_window_days + 1)
    return {**people, "executive": executive, "risk": risk, "item": tested}


def test_the_pdf_holds_what_an_auditor_asks_for(client, world):
    _weasyprint()
    project = world["project"]
    client.force_login(world["executive"])
    response = client.get(url(project))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="{project.slug}-audit-pack-'
    )
    said = pdf_text(response.content)
    for expected in (
        "Audit pack: Claims Triage Assistant",
        # the approved requirements version and its targets
        "Approved version 1 of 1",
        "p95 latency target (ms) 2500",
        "Claims system · both · REST",
        # the latest gap assessment and its gap
        "First look before the pilot.",
        "1 → 3",
        # each step, its checklist with who and when, evidence and justification
        "Step 1: ",
        "Step 7: ",
        f"{world['item'].title}",
        "File pentest.pdf",
        "Link https://wiki.example.com/",  # the PDF wraps the rest of a long link
        "Not applicable: No personal data leaves the EU region.",
        "Pen test findings closed.",
        # the gate as it stands
        "Gate, evaluated now: does not pass",
        # the risk register with its mitigation and acceptance
        "Prompt injection leaks claim notes",
        "4 × 4 = 16",
        "Accepted by Eve",
        "Pilot is internal only.",
        # the EU AI Act tier and its reasoning
        "Limited risk, from the answers of Olive",
        "Art. 50(1)",
        # step 6 judged on evaluations, naming the run, score and target
        "Evaluation gate of step 6",
        "Met: Evaluation meets the quality target. The latest run on “golden”",
        "scored helpfulness 0.91 (target 0.85).",
        "Met: No regression against the baseline.",
        "Met: Load test at peak volume.",
        # step 7's metric gates with the figures behind them
        "Metric gates of step 7",
        "Met: Quality score met.",
        "Met: Latency p95 met.",
        "target ≤ 2500",
        # the audit trail's summary
        "entries from",
        "approved requirements version 1",
    ):
        assert expected in said, (expected, said)
    assert "evidence/index.csv" not in said  # only the ZIP's copy points to the files
    # who marked an item not applicable, and when, though the item keeps only why
    assert re.search(
        rf"Not applicable {world['owner'].display_name}, \d{{4}}-\d{{2}}-\d{{2}} "
        r"\d{2}:\d{2} Not applicable: No personal data",
        said,
    ), said


def test_the_zip_holds_the_pdf_the_evidence_files_and_their_index(client, world):
    _weasyprint()
    project = world["project"]
    client.force_login(world["viewer"])
    response = client.get(url(project, "zip"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    assert names[0] == "audit-pack.pdf" and "evidence/index.csv" in names
    said = pdf_text(archive.read("audit-pack.pdf"))
    assert "evidence/index.csv" in said
    (file_path,) = [n for n in names if n.endswith("pentest.pdf")]
    assert file_path.startswith("evidence/step-4/")
    assert archive.read(file_path) == REPORT
    index = list(csv.reader(io.StringIO(archive.read("evidence/index.csv").decode())))
    assert tuple(index[0]) == INDEX_HEADER
    rows = {row[2]: row for row in index[1:]}
    assert rows["file"][3:5] == ["pentest.pdf", file_path]
    assert rows["file"][7:] == [str(len(REPORT)), hashlib.sha256(REPORT).hexdigest()]
    assert rows["link"][3] == "https://wiki.example.com/runbook"
    assert rows["link"][4] == ""  # a link has no file in the archive


@pytest.mark.parametrize("kind", ["pdf", "zip"])
def test_making_a_pack_is_logged_in_the_projects_audit_trail(
    client, world, kind, caplog
):
    _weasyprint()
    project, viewer = world["project"], world["viewer"]
    client.force_login(viewer)
    with caplog.at_level("INFO", logger="runway.security"):
        response = client.get(url(project, kind))
    assert response.status_code == 200
    record = AuditPackDownload.objects.get(project=project)
    assert (record.made_by, record.kind) == (viewer, kind)
    assert record.evidence_files == (1 if kind == "zip" else 0)
    (entry,) = [e for e in project_activity(project) if "audit pack" in e.text]
    assert entry.who == viewer.display_name
    assert entry.text == f"made the audit pack ({AuditPackKind(kind).label})"
    (logged,) = [
        r for r in caplog.records if getattr(r, "event", "") == "audit_pack.made"
    ]
    assert (logged.user_id, logged.project) == (viewer.pk, project.slug)


@pytest.mark.parametrize("kind", ["pdf", "zip"])
def test_only_people_who_see_the_project_can_make_its_pack(client, people, kind):
    project = people["project"]
    client.force_login(people["outsider"])
    assert client.get(url(project, kind)).status_code == 404
    assert not AuditPackDownload.objects.exists()
    client.logout()
    response = client.get(url(project, kind))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_every_tab_offers_the_pack(client, people):
    client.force_login(people["viewer"])
    body = client.get(
        reverse("projects:detail", kwargs={"slug": people["project"].slug})
    )
    html = body.content.decode()
    assert url(people["project"]) in html and url(people["project"], "zip") in html


def test_a_file_gone_from_storage_is_listed_as_missing_and_the_rest_still_goes_in(
    world,
):
    project = world["project"]
    gone = Evidence.objects.get(item=world["item"], url="")
    services.evidence_add(
        item=world["item"],
        actor=world["lead"],
        upload=SimpleUploadedFile("scan.pdf", b"%PDF-1.7 scan", "application/pdf"),
    )
    gone.file.storage.delete(gone.file.name)
    target = io.BytesIO()
    written = write_zip(audit_pack(project, world["owner"]), b"%PDF-", target)
    archive = zipfile.ZipFile(target)
    assert written == 1
    assert [n for n in archive.namelist() if n.endswith(".pdf") and "/" in n] == [
        n for n in archive.namelist() if n.endswith("scan.pdf")
    ]
    index = list(csv.reader(io.StringIO(archive.read("evidence/index.csv").decode())))
    kinds = {row[3]: row[2] for row in index[1:]}
    assert kinds["pentest.pdf"] == "file missing from storage"
    assert kinds["scan.pdf"] == "file"


def test_names_and_titles_cannot_escape_the_evidence_folder_or_run_as_formulas(world):
    item = world["item"]
    Evidence.objects.filter(item=item, url="").update(original_name="../../etc/passwd")
    ChecklistItem.objects.filter(pk=item.pk).update(title="=HYPERLINK(evil)")
    target = io.BytesIO()
    write_zip(audit_pack(world["project"], world["owner"]), b"%PDF-", target)
    archive = zipfile.ZipFile(target)
    (path,) = [n for n in archive.namelist() if n.endswith("passwd")]
    assert path.startswith("evidence/step-4/") and ".." not in path
    index = list(csv.reader(io.StringIO(archive.read("evidence/index.csv").decode())))
    assert "'=HYPERLINK(evil)" in {row[1] for row in index[1:]}
    assert "=HYPERLINK(evil)" not in {row[1] for row in index[1:]}


def test_the_pack_is_made_in_the_same_number_of_queries_whatever_its_size(world, rf):
    """Reading, printing and zipping the pack: more items, evidence, decisions,
    sign-offs and risks add rows, never queries."""
    project, lead = world["project"], world["lead"]
    request = rf.get("/")
    request.user = world["owner"]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            pack = audit_pack(project, world["owner"])
            render_to_string(TEMPLATE, {"pack": pack, "zip": True}, request=request)
            write_zip(pack, b"%PDF-", io.BytesIO())
        return len(captured)

    queries()  # the first read fills Django's caches (content types, steps)
    before = queries()
    with acting_as(lead):
        for n in range(4):
            item = item_of(project, 5, n)
            services.evidence_add(
                item=item,
                actor=UserFactory(),  # each file added by someone else
                upload=SimpleUploadedFile(f"proof-{n}.pdf", REPORT, "application/pdf"),
            )
            services.item_set_state(
                item=item, state=ItemState.DONE, actor=UserFactory()
            )
            services.item_set_state(
                item=item_of(project, 6, n),
                state=ItemState.NOT_APPLICABLE,
                actor=UserFactory(),
                justification=f"Reason {n}",
            )
            services.custom_item_add(
                project=project,
                step=step_of(project, 5).step,
                title=f"Extra check {n}",
                required=False,
                evidence_required=False,
            )
            risk_services.risk_create(
                project=project,
                mitigations=[item_of(project, 5, n)],
                title=f"Risk {n}",
                category=RiskCategory.AVAILABILITY,
                owner=UserFactory(),
                inherent_likelihood=2,
                inherent_impact=2,
                residual_likelihood=1,
                residual_impact=2,
            )
        signoff = step_services.signoff_request(
            project_step=step_of(project, 3),
            role=ProjectRole.REVIEWER,
            signer=UserFactory(roles=[GlobalRole.REVIEWER]),
            actor=lead,
        )
        step_services.signoff_decide(signoff=signoff, approve=False, comment="Not yet")
    assert queries() == before


@pytest.mark.parametrize("kind", ["pdf", "zip"])
def test_the_pack_is_only_read(client, people, kind):
    client.force_login(people["owner"])
    assert client.post(url(people["project"], kind)).status_code == 405
    assert not AuditPackDownload.objects.exists()


def test_without_pango_the_pack_says_so_and_nothing_is_logged(
    client, people, without_pango
):
    client.force_login(people["owner"])
    for kind in ("pdf", "zip"):
        response = client.get(url(people["project"], kind))
        assert response.status_code == 503 and "pango" in response.content.decode()
    assert not AuditPackDownload.objects.exists()
