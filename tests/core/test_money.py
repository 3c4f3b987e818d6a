"""Money reads one way everywhere: dollars, thousands separated, to the cent."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template

from core.money import usd, usd_rate

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1234.5"), "$1,234.50"),
        (Decimal("0.004"), "$0.00"),
        (Decimal("-3.1"), "-$3.10"),
        (1234567, "$1,234,567.00"),
        (None, "—"),
    ],
)
def test_amounts_are_written_to_the_cent_with_separators(value, shown):
    assert usd(value) == shown


def test_rates_per_thousand_requests_under_a_dollar_keep_four_places():
    assert usd_rate(Decimal("0.01234")) == "$0.0123"
    assert usd_rate(Decimal("26.51874")) == "$26.52"


def test_the_template_filter_is_the_same_rule_everywhere():
    rendered = Template("{{ a|usd }} {{ b|usd_rate }} {{ c|usd }}").render(
        Context({"a": Decimal("9876.5"), "b": "0.5", "c": None})
    )
    assert rendered == "$9,876.50 $0.5000 —"


def test_no_template_writes_a_dollar_sign_of_its_own():
    """A "$" before a value in a template would bypass the rule."""
    pattern = re.compile(r"\$\s*\{\{")
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if pattern.search(path.read_text())
    ]
    assert offenders == []
