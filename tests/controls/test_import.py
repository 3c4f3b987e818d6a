"""Importing libraries: the shipped ones, the same file twice, a changed file under
an old version, unknown frameworks and items, and which version each project follows."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from controls.library_file import LibraryError
from controls.models import Control, ControlLibrary, ProjectLibrary
from controls.services import library_adopt, library_import, shipped_files
from projects.activity import project_activity
from projects.audit import acting_as
from projects.models import ChecklistTemplate, Framework
from tests.controls.conftest import library_text
from tests.factories import ProjectFactory


def test_the_shipped_libraries_import_with_their_mappings(shipped):
    assert len(shipped) == len(shipped_files()) == 7
    encryption = ChecklistTemplate.objects.get(key="s3-encryption-at-rest")
    frameworks = set(
        encryption.controls.values_list("library__framework__code", flat=True)
    )
    # One item satisfies controls of several frameworks.
    assert {"hipaa", "soc2", "pci_dss", "gdpr"} <= frameworks
    assert not Control.objects.filter(templates__isnull=True).exists()


def test_importing_the_same_files_again_changes_nothing(shipped):
    counts = (ControlLibrary.objects.count(), Control.objects.count())
    history = ControlLibrary.history.count()

    call_command("import_controls")

    assert (ControlLibrary.objects.count(), Control.objects.count()) == counts
    assert ControlLibrary.history.count() == history


def test_a_changed_file_under_a_version_already_imported_is_refused(db):
    library_import("hipaa-1.yaml", library_text("1"))

    with pytest.raises(
        LibraryError,
        match=r"^hipaa-1b\.yaml: HIPAA version 1 is already imported with different content \(from hipaa-1\.yaml\); a changed library needs a new version$",
    ):
        library_import("hipaa-1b.yaml", library_text("1", items=("s3-authentication",)))

    assert ControlLibrary.objects.count() == 1
    assert list(Control.objects.values_list("templates__key", flat=True)) == [
        "s1-compliance-scope"
    ]


def test_an_unknown_framework_is_named_with_the_ones_runway_knows(db):
    with pytest.raises(
        LibraryError,
        match=r"^x\.yaml, line 1: framework 'iso27001' is not one Runway knows \(known: .*hipaa",
    ):
        library_import("x.yaml", library_text(framework="iso27001"))


def test_an_unknown_checklist_item_names_the_control_and_its_line_and_writes_nothing(
    db,
):
    with pytest.raises(
        LibraryError,
        match=r"^x\.yaml, line 6: control T-1 names checklist item 's7-no-such-item', which is not in the catalog$",
    ):
        library_import(
            "x.yaml", library_text(items=("s1-compliance-scope", "s7-no-such-item"))
        )

    assert not ControlLibrary.objects.exists()


def test_the_command_reports_a_broken_file_and_stops(tmp_path, db):
    broken = tmp_path / "broken.yaml"
    broken.write_text(library_text().replace("    title: Scope confirmed\n", ""))

    with pytest.raises(CommandError, match=r"broken\.yaml, line 6: controls\.0\.title"):
        call_command("import_controls", str(broken))


def test_projects_follow_the_first_version_and_stay_when_a_new_one_arrives(people):
    project = people["project"]  # under HIPAA and SOC 2
    first, _ = library_import("h1.yaml", library_text("1"))

    assert (
        ProjectLibrary.objects.get(project=project, framework__code="hipaa").library
        == first
    )

    second, _ = library_import("h2.yaml", library_text("2"))

    assert (
        ProjectLibrary.objects.get(project=project, framework__code="hipaa").library
        == first
    )
    newcomer = ProjectFactory()
    newcomer.frameworks.add(Framework.objects.get(code="hipaa"))
    assert ProjectLibrary.objects.get(project=newcomer).library == second


def test_the_owner_moves_a_project_to_a_new_version_and_the_move_is_audited(people):
    project, owner = people["project"], people["owner"]
    library_import("h1.yaml", library_text("1"))
    second, _ = library_import("h2.yaml", library_text("2"))

    library_adopt(project, second, by=owner)

    adoption = ProjectLibrary.objects.get(project=project, framework__code="hipaa")
    assert adoption.library == second
    assert adoption.history.first().history_type == "~"


def test_a_project_cannot_follow_a_framework_it_is_not_under(people):
    gdpr, _ = library_import("g.yaml", library_text("1", framework="gdpr"))

    with pytest.raises(Exception, match="is not under GDPR"):
        library_adopt(people["project"], gdpr, by=people["owner"])


def test_the_activity_tab_tells_which_version_the_project_follows(people):
    project, owner = people["project"], people["owner"]
    library_import("h1.yaml", library_text("1"))
    second, _ = library_import("h2.yaml", library_text("2"))
    with acting_as(owner):
        library_adopt(project, second, by=owner)

    told = [(e.who, e.text) for e in project_activity(project)]

    assert (owner.display_name, "moved the project to HIPAA 2") in told
    assert ("Runway", "started following HIPAA 1") in told


def test_the_same_content_with_other_line_endings_is_the_same_library(db):
    library_import("h.yaml", library_text("1"))

    again, created = library_import(
        "h-windows.yaml", library_text("1").replace("\n", "\r\n")
    )

    assert not created and ControlLibrary.objects.count() == 1


def test_the_newest_version_is_the_latest_released_not_the_last_imported(people):
    project = people["project"]
    current, _ = library_import("h2.yaml", library_text("2", released="2024-05"))
    older, _ = library_import("h1.yaml", library_text("1", released="2019"))

    newcomer = ProjectFactory()
    newcomer.frameworks.add(Framework.objects.get(code="hipaa"))

    assert ProjectLibrary.objects.get(project=newcomer).library == current
    assert (
        ProjectLibrary.objects.get(project=project, framework__code="hipaa").library
        == current
    )
    assert older.adoptions.count() == 0


def test_a_project_that_leaves_a_framework_stops_following_it_and_rejoins_at_the_newest(
    people,
):
    project = people["project"]
    hipaa = Framework.objects.get(code="hipaa")
    library_import("h1.yaml", library_text("1"))
    project.frameworks.remove(hipaa)
    assert not ProjectLibrary.objects.filter(project=project, framework=hipaa).exists()

    second, _ = library_import("h2.yaml", library_text("2", released="2021"))
    project.frameworks.add(hipaa)

    assert (
        ProjectLibrary.objects.get(project=project, framework=hipaa).library == second
    )
    assert (
        ProjectLibrary.history.filter(project_id=project.pk, history_type="-").count()
        == 1
    )


def test_the_command_imports_all_or_nothing(tmp_path, db):
    good = tmp_path / "a-good.yaml"
    good.write_text(library_text("1"))
    bad = tmp_path / "b-bad.yaml"
    bad.write_text(library_text("2", items=("s7-no-such-item",)))

    with pytest.raises(CommandError, match="s7-no-such-item"):
        call_command("import_controls", str(good), str(bad))

    assert not ControlLibrary.objects.exists()
