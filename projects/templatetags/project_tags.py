from __future__ import annotations

from typing import Any

from django import template

from projects.tabs import Tab, project_tabs

register = template.Library()


@register.simple_tag
def tabs_for(project: Any, may_edit: bool) -> list[tuple[Tab, str]]:
    return project_tabs(project.slug, may_edit=bool(may_edit))
