"""The readers every connector shares (metrics.connectors.parsing) and the pager on the
base connector: what a provider's odd values become, which UTC bucket a time falls in,
and how a paged report is followed to its end, or refused when it never ends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest

from metrics.connectors.base import (
    Connector,
    ConnectorError,
    Http,
    last_id_cursor,
    next_page_cursor,
)
from metrics.connectors.parsing import (
    DAY,
    HOUR,
    ceil_day,
    ceil_to,
    epoch_seconds,
    floor_day,
    floor_to,
    parse_day,
    parse_decimal,
    parse_epoch_seconds,
    parse_timestamp,
    parse_whole_seconds,
    rfc3339,
    to_utc,
)

AUG1 = datetime(2026, 8, 1, tzinfo=UTC)
AUG2 = datetime(2026, 8, 2, tzinfo=UTC)
BERLIN_SUMMER = timezone(timedelta(hours=2))
NEW_YORK_SUMMER = timezone(timedelta(hours=-4))

# -- numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [None, "", "   ", "abc", "1,234", "1.2.3", "NaN", "Infinity", "-inf", [], [1], {}],
)
def test_missing_or_junk_numbers_are_unknown_rather_than_zero(value: object) -> None:
    assert parse_decimal(value) is None


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_json_numbers_are_unknown(value: float) -> None:
    assert parse_decimal(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, Decimal(0)),
        (1380, Decimal(1380)),
        (-1, Decimal(-1)),
        ("151468", Decimal(151468)),  # ClickHouse sums come as strings
        (" 2.5 ", Decimal("2.5")),
        ("1e3", Decimal(1000)),
        (10**30, Decimal(10**30)),
    ],
)
def test_numbers_and_numeric_strings_are_read_exactly(
    value: object, expected: Decimal
) -> None:
    assert parse_decimal(value) == expected


def test_a_float_keeps_the_digits_the_provider_sent() -> None:
    # Decimal(0.06) would be 0.0599999999999999977795539507496869191527366638183593750.
    assert parse_decimal(0.06) == Decimal("0.06")
    assert str(parse_decimal(0.382742999989)) == "0.382742999989"


def test_a_decimal_string_keeps_its_precision_and_scale() -> None:
    # Anthropic costs are cents as strings: every digit matters once divided by 100.
    cents = parse_decimal("123.4500000001")
    assert cents == Decimal("123.4500000001")
    assert str(parse_decimal("1.10")) == "1.10"


def test_a_boolean_is_a_number_only_where_the_provider_stores_it_as_one() -> None:
    assert parse_decimal(True) is None
    assert parse_decimal(False) is None
    assert parse_decimal(True, booleans=True) == 1
    assert parse_decimal(False, booleans=True) == 0


# -- timestamps --------------------------------------------------------------------------


def test_iso_timestamps_with_z_an_offset_or_no_zone_are_utc() -> None:
    ten = datetime(2026, 8, 1, 10, tzinfo=UTC)
    assert parse_timestamp("2026-08-01T10:00:00Z") == ten
    assert parse_timestamp("2026-08-01T10:00:00.000Z") == ten
    assert parse_timestamp("2026-08-01T12:00:00+02:00") == ten
    assert (
        parse_timestamp("2026-08-01T10:00:00") == ten
    )  # LangSmith leaves the zone off
    moment = parse_timestamp("2026-08-01T06:00:00-04:00")
    assert moment == ten and moment is not None and moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "value", [None, "", "yesterday", "2026-13-01T00:00:00Z", 1785578400, True]
)
def test_anything_but_an_iso_string_is_no_timestamp(value: object) -> None:
    assert parse_timestamp(value) is None
    assert parse_day(value) is None


def test_a_timestamp_falls_in_its_utc_day_not_the_senders_local_day() -> None:
    assert parse_day("2026-08-01T23:59:59.999Z") == AUG1
    # 00:30 in Berlin is still the evening before in UTC.
    assert parse_day("2026-08-02T00:30:00+02:00") == AUG1
    assert parse_day("2026-08-01T22:30:00-04:00") == AUG2


def test_epoch_seconds_from_json_numbers() -> None:
    assert parse_epoch_seconds(1785542400) == AUG1
    assert parse_epoch_seconds(1785542400.5) == AUG1 + timedelta(milliseconds=500)
    assert parse_epoch_seconds(0) == datetime(1970, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("value", [None, True, "1785542400", [], {}])
def test_epoch_seconds_must_be_a_number(value: object) -> None:
    assert parse_epoch_seconds(value) is None


def test_prometheus_float_timestamps_round_to_whole_seconds() -> None:
    assert parse_whole_seconds(1435781430.781) == 1435781431
    assert parse_whole_seconds(1435781430.2) == 1435781430
    assert parse_whole_seconds("1435781430") == 1435781430


@pytest.mark.parametrize("value", [None, "", "soon", float("nan"), [1], {}])
def test_a_prometheus_timestamp_that_is_not_a_number_is_none(value: object) -> None:
    assert parse_whole_seconds(value) is None


# -- buckets -----------------------------------------------------------------------------


def test_floor_and_ceil_a_day_in_utc() -> None:
    just_after = AUG1 + timedelta(microseconds=1)
    assert floor_day(just_after) == AUG1
    assert ceil_day(just_after) == AUG2
    # A midnight is its own floor and ceiling: a window starting there loses no day.
    assert floor_day(AUG1) == AUG1 == ceil_day(AUG1)
    assert floor_day(AUG2 - timedelta(microseconds=1)) == AUG1


def test_a_local_time_is_bucketed_by_its_utc_day() -> None:
    berlin_early = datetime(2026, 8, 2, 1, 0, tzinfo=BERLIN_SUMMER)  # 23:00 UTC Aug 1
    assert floor_day(berlin_early) == AUG1
    assert ceil_day(berlin_early) == AUG2
    new_york_late = datetime(2026, 8, 1, 21, 0, tzinfo=NEW_YORK_SUMMER)  # 01:00 Aug 2
    assert floor_day(new_york_late) == AUG2
    assert floor_day(berlin_early).tzinfo is UTC


def test_a_naive_time_is_taken_as_utc() -> None:
    naive = datetime(2026, 8, 1, 13, 45)  # noqa: DTZ001 - the point of the test
    assert to_utc(naive) == datetime(2026, 8, 1, 13, 45, tzinfo=UTC)
    assert floor_day(naive) == AUG1
    assert ceil_day(naive) == AUG2


def test_floor_and_ceil_to_the_hour() -> None:
    moment = datetime(2026, 8, 1, 13, 45, 12, tzinfo=UTC)
    assert floor_to(moment, HOUR) == datetime(2026, 8, 1, 13, tzinfo=UTC)
    assert ceil_to(moment, HOUR) == datetime(2026, 8, 1, 14, tzinfo=UTC)
    on_the_hour = datetime(2026, 8, 1, 14, tzinfo=UTC)
    assert floor_to(on_the_hour, HOUR) == on_the_hour == ceil_to(on_the_hour, HOUR)
    assert floor_to(moment, DAY) == floor_day(moment)


def test_epoch_seconds_and_rfc3339_are_written_in_utc() -> None:
    berlin_noon = datetime(2026, 8, 1, 12, 0, 0, 123456, tzinfo=BERLIN_SUMMER)
    assert epoch_seconds(AUG1) == 1785542400
    assert epoch_seconds(berlin_noon) == 1785542400 + 10 * 3600
    assert rfc3339(berlin_noon) == "2026-08-01T10:00:00Z"
    assert rfc3339(berlin_noon, "milliseconds") == "2026-08-01T10:00:00.123Z"
    assert rfc3339(berlin_noon, "microseconds") == "2026-08-01T10:00:00.123456Z"


# -- the pager ---------------------------------------------------------------------------


def report_connector(
    handler: Callable[[httpx.Request], httpx.Response],
) -> tuple[Connector, Http]:
    client = httpx.Client(transport=httpx.MockTransport(handler))
    connector = Connector(
        base_url="https://api.example.test", credentials={}, config={}, client=client
    )
    return connector, Http(client, "Example")


def buckets(pages: dict[str | None, Any]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Every bucket the pager yields from ``pages`` (by the ``page`` asked for), and the
    ``page`` parameter of each request made."""
    asked: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        page = request.url.params.get("page")
        asked.append(page)
        return httpx.Response(200, json=pages[page])

    connector, http = report_connector(handler)
    found = list(
        connector.report_buckets(
            http, "https://api.example.test/report", [("limit", "31")]
        )
    )
    return found, asked


def test_the_pager_follows_next_page_until_has_more_is_false() -> None:
    found, asked = buckets(
        {
            None: {"data": [{"day": 1}], "has_more": True, "next_page": "p2"},
            "p2": {
                "data": [{"day": 2}, {"day": 3}],
                "has_more": True,
                "next_page": "p3",
            },
            "p3": {"data": [{"day": 4}], "has_more": False, "next_page": None},
        }
    )
    assert [bucket["day"] for bucket in found] == [1, 2, 3, 4]
    assert asked == [None, "p2", "p3"]


def test_the_pager_stops_on_an_empty_last_page() -> None:
    found, asked = buckets({None: {"data": [], "has_more": False, "next_page": None}})
    assert found == []
    assert asked == [None]


def test_the_pager_stops_when_has_more_comes_without_a_cursor() -> None:
    found, asked = buckets(
        {None: {"data": [{"day": 1}], "has_more": True, "next_page": ""}}
    )
    assert found == [{"day": 1}]
    assert asked == [None]


def test_the_pager_skips_items_that_are_not_objects_and_reads_null_data_as_none() -> (
    None
):
    found, _ = buckets(
        {
            None: {
                "data": [{"day": 1}, "junk", None],
                "has_more": True,
                "next_page": "p2",
            },
            "p2": {"data": None, "has_more": False},
        }
    )
    assert found == [{"day": 1}]


def test_a_repeated_cursor_ends_the_run_instead_of_looping_forever() -> None:
    looping = {"data": [{"day": 1}], "has_more": True, "next_page": "same"}
    with pytest.raises(ConnectorError, match="same next_page twice"):
        buckets({None: looping, "same": looping})


@pytest.mark.parametrize("body", [[], "page", {"data": "buckets", "has_more": False}])
def test_a_page_of_another_shape_is_an_error(body: Any) -> None:
    with pytest.raises(
        ConnectorError, match="Example answered with an unexpected shape"
    ):
        buckets({None: body})


def test_a_list_longer_than_its_bound_is_refused_rather_than_cut_short() -> None:
    connector, _ = report_connector(lambda request: httpx.Response(500))
    asked: list[str | None] = []

    def endless(cursor: str | None) -> dict[str, Any]:
        asked.append(cursor)
        return {"next": f"c{len(asked)}"}

    with pytest.raises(ConnectorError, match="too many pages"):
        list(
            connector.pages(
                endless,
                cursor_of=lambda body: body["next"],
                max_pages=3,
                provider="Example",
                repeated="repeated",
                too_many="too many pages",
            )
        )
    assert asked == [None, "c1", "c2"]


def test_next_page_cursor_reads_has_more_and_next_page() -> None:
    assert next_page_cursor({"has_more": True, "next_page": "p2"}) == "p2"
    assert next_page_cursor({"has_more": False, "next_page": "p2"}) is None
    assert next_page_cursor({"has_more": True, "next_page": None}) is None
    assert next_page_cursor({"has_more": True, "next_page": 2}) is None
    assert next_page_cursor({}) is None


def test_a_list_continues_after_its_last_id_or_its_last_item() -> None:
    stuck = "no new place to continue from"
    assert last_id_cursor({"has_more": False}, stuck) is None
    assert last_id_cursor({"has_more": True, "last_id": "proj_2"}, stuck) == "proj_2"
    with_items = {"has_more": True, "data": [{"id": "proj_1"}, {"id": "proj_2"}]}
    assert last_id_cursor(with_items, stuck) == "proj_2"
    with pytest.raises(ConnectorError, match=stuck):
        last_id_cursor({"has_more": True, "data": []}, stuck)
