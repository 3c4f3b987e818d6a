"""Live metrics as risk indicators: a risk naming an indicator shows a raised flag
while the project's metric is off its target.

This app does not read metrics; the metrics app registers what it knows (an open
alert of the matching kind) with ``register_reader`` in its ``AppConfig.ready()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from projects.models import Project
from risks.models import Risk

# A reader answers, for a project, which indicators are raised now and why.
Reader = Callable[[Project], dict[str, str]]

_READERS: list[Reader] = []


def register_reader(reader: Reader) -> None:
    if reader not in _READERS:
        _READERS.append(reader)


def raised(project: Project) -> dict[str, str]:
    """{indicator: why it is raised} for the project."""
    found: dict[str, str] = {}
    for reader in _READERS:
        found.update(reader(project))
    return found


def flags(project: Project, risks: Iterable[Risk]) -> dict[int, str]:
    """{risk pk: why its flag is raised} for the risks whose indicator is raised."""
    now = raised(project)
    return {risk.pk: now[risk.indicator] for risk in risks if risk.indicator in now}
