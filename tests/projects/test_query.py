"""Numbers and dates from forms and query strings, parsed one way everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import BadRequest, ValidationError
from django.test import RequestFactory
from django.urls import reverse

from core.query import query_moment, whole_number
from projects.formfields import ModelIdsField
from projects.models import Team
from tests.factories import TeamFactory


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


def _moment(value):
    return query_moment(RequestFactory().get("/", {"since": value}), "since")


def test_a_moment_is_read_as_utc():
    assert _moment("2026-03-01T12:00:00+02:00") == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert _moment("") is None


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-01T12:00:00",  # no time zone
        "2026-02-30T12:00:00Z",  # no such day
        # Real moments, but not in UTC: shown or converted, they were a server error.
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
    ],
)
def test_a_moment_that_cannot_be_read_is_a_400(value):
    with pytest.raises(BadRequest):
        _moment(value)


@pytest.mark.django_db
@pytest.mark.parametrize("submitted", [["9" * 30], ["²"], ["-1"], ["1", "x"]])
def test_ids_chosen_in_a_form_are_whole_numbers_an_id_column_holds(submitted):
    # On SQLite a 30-digit id in Django's pk__in lookup was an OverflowError.
    field = ModelIdsField(queryset=Team.objects.all())
    with pytest.raises(ValidationError) as refused:
        field.clean(submitted)
    assert refused.value.code == "invalid_pk_value"


@pytest.mark.django_db
def test_ids_chosen_in_a_form_find_their_objects():
    team = TeamFactory()
    field = ModelIdsField(queryset=Team.objects.all(), required=False)
    assert list(field.clean([str(team.pk)])) == [team]
    assert list(field.clean([])) == []
