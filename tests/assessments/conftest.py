"""Fixtures of the assessments view tests: the `people` cast and a signed-in client."""

from __future__ import annotations

import re

from django.utils.html import escape

from tests.projects.conftest import journey, people  # noqa: F401

HTMX = {"HTTP_HX_REQUEST": "true"}


def field_error(body: str, field: str) -> str:
    """The error shown next to ``field`` (the form's `<p class="field-error">`), or ""."""
    found = re.search(
        rf'<p class="field-error" id="id_{field}_error">(.*?)</p>', body, re.S
    )
    return found.group(1) if found else ""


def shown(text: str) -> str:
    """``text`` as the template writes it into the HTML."""
    return str(escape(text))
