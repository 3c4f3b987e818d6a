from __future__ import annotations

from typing import Any

from django import template

from projects import step_selectors
from projects.tabs import Tab, project_tabs

register = template.Library()


@register.simple_tag
def tabs_for(project: Any, may_edit: bool) -> list[tuple[Tab, str]]:
    return project_tabs(project.slug, may_edit=bool(may_edit))


@register.simple_tag
def is_launched(project: Any) -> bool:
    """Step 7 is done: the header's badge, asked only where a header is drawn (one
    small query), not by every request that loads the project."""
    return step_selectors.is_launched(project)
