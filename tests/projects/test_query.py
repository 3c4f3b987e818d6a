"""Numbers and dates from forms and query strings, parsed one way everywhere."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects.query import whole_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3),
        ("0", 0),
        ("²", None),  # str.isdigit() says yes; int() says no
        ("٣", None),  # an Arabic-Indic three
        ("-1", None),
        ("1e3", None),
        ("", None),
        (None, None),
        ("9" * 30, None),  # more than a database id holds
    ],
)
def test_a_whole_number_is_ascii_digits_within_bounds(value, expected):
    assert whole_number(value) == expected


def test_bounds_are_inclusive():
    assert whole_number("7", 1, 7) == 7
    assert whole_number("8", 1, 7) is None


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["step=²", "owner=²", "owner=" + "9" * 30])
def test_the_projects_list_ignores_a_filter_that_is_not_a_number(client, people, query):
    client.force_login(people["owner"])
    assert client.get(f"/projects/?{query}").status_code == 200


@pytest.mark.django_db
def test_the_activity_page_ignores_a_step_that_is_not_a_number(client, people):
    client.force_login(people["owner"])
    target = reverse("projects:activity", kwargs={"slug": people["project"].slug})
    assert client.get(target, {"step": "²"}).status_code == 200
