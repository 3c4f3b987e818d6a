"""Reads for control coverage: a project's frameworks, one framework's controls
against its checklist, and coverage across the projects a person sees."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from controls.coverage import (
    ControlFact,
    FrameworkCoverage,
    ItemFact,
    framework_coverage,
)
from controls.models import NEWEST_FIRST, Control, ControlLibrary, ProjectLibrary
from projects.models import ChecklistItem, Evidence, Framework, Project


@dataclass(frozen=True)
class ProjectFramework:
    """One of a project's frameworks: the version it follows, its coverage, and a
    newer version it could move to."""

    framework: Framework
    library: ControlLibrary | None  # None: no library of this framework is imported
    coverage: FrameworkCoverage | None
    newer: ControlLibrary | None


def libraries_of(framework_ids: Iterable[int]) -> dict[int, list[ControlLibrary]]:
    """Framework id → its libraries, newest first."""
    libraries: dict[int, list[ControlLibrary]] = defaultdict(list)
    for library in (
        ControlLibrary.objects.filter(framework_id__in=list(framework_ids))
        .select_related("framework")
        .order_by(*NEWEST_FIRST)
    ):
        libraries[library.framework_id].append(library)
    return libraries


def followed_libraries(
    project: Project,
    frameworks: list[Framework] | None = None,
    libraries: dict[int, list[ControlLibrary]] | None = None,
) -> dict[int, ControlLibrary]:
    """Framework id → the library the project follows (its pin, else the newest);
    ``frameworks`` and their ``libraries`` when the caller has read them already."""
    if frameworks is None:
        frameworks = list(project.frameworks.all())
    if libraries is None:
        libraries = libraries_of(f.pk for f in frameworks)
    by_id = {lib.pk: lib for libs in libraries.values() for lib in libs}
    pinned = dict(
        ProjectLibrary.objects.filter(project=project).values_list(
            "framework_id", "library_id"
        )
    )
    followed = {}
    for framework in frameworks:
        if pinned.get(framework.pk) in by_id:
            followed[framework.pk] = by_id[pinned[framework.pk]]
        elif libraries[framework.pk]:
            followed[framework.pk] = libraries[framework.pk][0]
    return followed


def control_facts(library: ControlLibrary) -> list[ControlFact]:
    return controls_of([library.pk])[library.pk]


def controls_of(library_ids: Iterable[int]) -> dict[int, list[ControlFact]]:
    """Library id → its controls in file order, with the catalog items mapped to each."""
    ids = list(library_ids)
    templates: dict[int, list[int]] = defaultdict(list)
    for control_id, template_id in Control.templates.through.objects.filter(
        control__library_id__in=ids
    ).values_list("control_id", "checklisttemplate_id"):
        templates[control_id].append(template_id)
    controls: dict[int, list[ControlFact]] = defaultdict(list)
    for row in Control.objects.filter(library_id__in=ids).order_by("library", "order"):
        controls[row.library_id].append(
            ControlFact(
                id=row.pk,
                ref=row.ref,
                group=row.group,
                title=row.title,
                description=row.description,
                evidence_required=row.evidence_required,
                template_ids=tuple(sorted(templates[row.pk])),
            )
        )
    return controls


def item_facts(
    project_ids: Iterable[int], template_ids: Iterable[int]
) -> dict[int, list[ItemFact]]:
    """Project id → its applicable checklist items made from these catalog items."""
    items: dict[int, list[ItemFact]] = defaultdict(list)
    rows = (
        ChecklistItem.objects.filter(
            project_id__in=list(project_ids),
            template_id__in=list(template_ids),
            applicable=True,
        )
        .annotate(evidence_count=Count("evidence"))
        .values_list(
            "project_id",
            "pk",
            "template_id",
            "title",
            "step__number",
            "state",
            "na_justification",
            "evidence_required",
            "evidence_count",
        )
    )
    for project_id, pk, template_id, title, step, state, why, needs, count in rows:
        items[project_id].append(
            ItemFact(pk, template_id, title, step, state, why, needs, count)
        )
    return items


def coverage_of(project: Project, library: ControlLibrary) -> FrameworkCoverage:
    controls = control_facts(library)
    template_ids = {t for c in controls for t in c.template_ids}
    return framework_coverage(
        controls, item_facts([project.pk], template_ids)[project.pk]
    )


def project_frameworks(project: Project) -> list[ProjectFramework]:
    """Each of the project's frameworks with the version it follows, its coverage and
    a newer version, read in a fixed number of queries however many frameworks."""
    frameworks = list(project.frameworks.order_by("name"))
    libraries = libraries_of(f.pk for f in frameworks)
    followed = followed_libraries(project, frameworks, libraries)
    controls = controls_of(lib.pk for lib in followed.values())
    template_ids = {t for cs in controls.values() for c in cs for t in c.template_ids}
    items = item_facts([project.pk], template_ids)[project.pk]
    result = []
    for framework in frameworks:
        library = followed.get(framework.pk)
        newest = libraries[framework.pk][0] if libraries[framework.pk] else None
        result.append(
            ProjectFramework(
                framework=framework,
                library=library,
                coverage=(
                    framework_coverage(controls[library.pk], items) if library else None
                ),
                newer=newest if newest is not None and newest != library else None,
            )
        )
    return result


def evidence_of(item_ids: Iterable[int]) -> dict[int, list[tuple[int, str, str]]]:
    """Item id → its evidence as (evidence id, label, link); a file links to its
    download, which checks access again."""
    evidence: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for row in Evidence.objects.filter(item_id__in=list(item_ids)).order_by("added_at"):
        label = row.original_name or row.url
        evidence[row.item_id].append((row.pk, label, row.url))
    return evidence


@dataclass(frozen=True)
class CoverageRow:
    """One project's coverage of each framework, for the portfolio."""

    project: Project
    cells: dict[int, FrameworkCoverage]  # framework id → coverage


def portfolio_coverage(
    projects: QuerySet[Project],
) -> tuple[list[Framework], list[CoverageRow]]:
    """The frameworks with an imported library and, for each project given, its
    coverage of each of them it is under (in the version it follows)."""
    project_list = list(projects.prefetch_related("frameworks"))
    framework_ids = {f.pk for p in project_list for f in p.frameworks.all()}
    libraries = libraries_of(framework_ids)
    pins = {
        (project_id, framework_id): library_id
        for project_id, framework_id, library_id in ProjectLibrary.objects.filter(
            project__in=[p.pk for p in project_list]
        ).values_list("project_id", "framework_id", "library_id")
    }
    by_id = {lib.pk: lib for libs in libraries.values() for lib in libs}

    def followed(project: Project, framework: Framework) -> ControlLibrary | None:
        pinned = by_id.get(pins.get((project.pk, framework.pk), -1))
        newest = libraries[framework.pk][0] if libraries[framework.pk] else None
        return pinned or newest

    wanted = {
        (p.pk, f.pk): followed(p, f) for p in project_list for f in p.frameworks.all()
    }
    controls = controls_of({lib.pk for lib in wanted.values() if lib is not None})
    template_ids = {t for cs in controls.values() for c in cs for t in c.template_ids}
    items = item_facts([p.pk for p in project_list], template_ids)
    rows = []
    for project in project_list:
        cells = {}
        for framework in project.frameworks.all():
            library = wanted[(project.pk, framework.pk)]
            if library is not None:
                cells[framework.pk] = framework_coverage(
                    controls[library.pk], items[project.pk]
                )
        rows.append(CoverageRow(project, cells))
    frameworks = sorted(
        {lib.framework for libs in libraries.values() for lib in libs},
        key=lambda f: f.name,
    )
    return frameworks, rows
