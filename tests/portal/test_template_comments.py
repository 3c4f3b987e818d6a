"""Django's {# #} comments end on their own line; one that runs on is printed as text."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def test_no_template_has_a_comment_running_over_lines():
    unclosed = []
    for path in sorted(Path(settings.BASE_DIR, "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            rest = line
            while "{#" in rest:
                rest = rest[rest.index("{#") + 2 :]
                if "#}" not in rest:
                    unclosed.append(f"{path.name}:{number}")
                    break
                rest = rest[rest.index("#}") + 2 :]
    assert unclosed == [], "use {% comment %} for comments over several lines"
