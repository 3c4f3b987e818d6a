from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from projects.tabs import Tab, project_tabs

register = template.Library()


@register.simple_tag
def tabs_for(project: Any, may_edit: bool) -> list[tuple[Tab, str]]:
    return project_tabs(project.slug, may_edit=bool(may_edit))


@register.simple_tag
def options(choices: Iterable[tuple[Any, Any]], selected: Any) -> SafeString:
    """``<option>`` elements for (value, label) pairs, ``selected`` marked: a filter's
    select can list hundreds of people, and a template loop over them cost more than
    the rest of the page."""
    chosen = "" if selected is None else str(selected)
    return mark_safe(  # noqa: S308  (every value and label is escaped)
        "".join(
            f'<option value="{escape(str(value))}"'
            f"{' selected' if str(value) == chosen else ''}>{escape(str(label))}</option>"
            for value, label in choices
        )
    )
