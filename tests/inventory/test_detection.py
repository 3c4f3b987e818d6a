"""The pure rules: which model a rollup's dimension names, how much traffic went to
it, and whether it may serve a project's data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from inventory.detection import (
    Approval,
    Unit,
    Usage,
    breach,
    may_serve,
    model_of,
    totals,
    usage,
)

PUBLIC, INTERNAL, CONFIDENTIAL, REGULATED = (
    "public",
    "internal",
    "confidential",
    "regulated",
)
CLASSES = [PUBLIC, INTERNAL, CONFIDENTIAL, REGULATED]
DAY = date(2026, 12, 1)


# --- The approval rule ------------------------------------------------------------


@pytest.mark.parametrize("max_class", CLASSES)
@pytest.mark.parametrize("project_class", CLASSES)
def test_an_approved_model_serves_data_up_to_its_class(max_class, project_class):
    expected = CLASSES.index(project_class) <= CLASSES.index(max_class)
    assert may_serve("approved", max_class, project_class) is expected


@pytest.mark.parametrize("project_class", CLASSES)
def test_an_approved_model_without_a_class_serves_nothing(project_class):
    assert may_serve("approved", "", project_class) is False


@pytest.mark.parametrize("max_class", ["", *CLASSES])
@pytest.mark.parametrize(
    ("project_class", "expected"),
    [(PUBLIC, True), (INTERNAL, True), (CONFIDENTIAL, False), (REGULATED, False)],
)
def test_a_model_for_non_sensitive_data_serves_internal_data_at_most(
    max_class, project_class, expected
):
    assert may_serve("non_sensitive", max_class, project_class) is expected


@pytest.mark.parametrize("status", ["not_approved", "not_reviewed", ""])
@pytest.mark.parametrize("max_class", ["", *CLASSES])
@pytest.mark.parametrize("project_class", CLASSES)
def test_a_model_not_approved_or_not_reviewed_never_serves(
    status, max_class, project_class
):
    assert may_serve(status, max_class, project_class) is False


# --- Reading dimensions -----------------------------------------------------------


@pytest.mark.parametrize(
    ("dimension", "model"),
    [
        ("gpt-4o-mini", "gpt-4o-mini"),
        ("  claude-3-5-haiku-20241022 ", "claude-3-5-haiku-20241022"),
        ("", None),
        ("job=api,model=gpt-4o,route=/chat", "gpt-4o"),
        ("model=llama3", "llama3"),
        ("job=api,route=/chat", None),  # a Prometheus series with no model label
        ("model=,route=/chat", None),
        ("team=model", None),
    ],
)
def test_a_dimension_names_a_model_or_a_prometheus_model_label(dimension, model):
    assert model_of(dimension) == model


# --- Traffic per model and day ------------------------------------------------------


def test_requests_count_when_a_source_reports_them():
    found = usage(
        [
            ("requests", "gpt-4o-mini", 1, DAY, Decimal(1234)),
            ("input_tokens", "gpt-4o-mini", 1, DAY, Decimal(900000)),
            ("output_tokens", "gpt-4o-mini", 1, DAY, Decimal(100000)),
            ("cost_observed_usd", "gpt-4o-mini", 1, DAY, Decimal("4.2")),
        ]
    )
    assert found == [
        Usage("gpt-4o-mini", "gpt-4o-mini", DAY, Decimal(1234), Unit.REQUESTS)
    ]
    assert found[0].volume_text == "1,234 requests"


def test_tokens_count_when_no_source_reports_requests():
    (found,) = usage(
        [
            ("input_tokens", "claude-3-5-haiku", 1, DAY, Decimal(12000)),
            ("output_tokens", "claude-3-5-haiku", 1, DAY, Decimal(3000)),
            ("cost_billed_usd", "claude-3-5-haiku", 1, DAY, Decimal("0.5")),
        ]
    )
    assert (found.volume, found.unit) == (Decimal(15000), Unit.TOKENS)
    assert found.volume_text == "15,000 tokens"


def test_cost_counts_when_a_source_reports_only_the_cost():
    (found,) = usage([("cost_billed_usd", "o1", 1, DAY, Decimal("12.5"))])
    assert found.volume_text == "$12.50 of cost"


def test_sources_watching_the_same_traffic_are_not_added_up():
    (found,) = usage(
        [
            ("requests", "gpt-4o", 1, DAY, Decimal(1000)),  # the provider's report
            ("requests", "gpt-4o", 2, DAY, Decimal(980)),  # an observability tool
        ]
    )
    assert found.volume == Decimal(1000)


def test_prometheus_series_of_one_model_add_up_within_their_source():
    (found,) = usage(
        [
            ("requests", "model=gpt-4o,route=/chat", 3, DAY, Decimal(40)),
            ("requests", "model=gpt-4o,route=/search", 3, DAY, Decimal(2)),
            ("requests", "route=/health", 3, DAY, Decimal(500)),
        ]
    )
    assert (found.name, found.volume) == ("gpt-4o", Decimal(42))


def test_names_match_whatever_their_case_and_other_metrics_are_not_read():
    found = usage(
        [
            ("requests", "GPT-4o", 1, DAY, Decimal(10)),
            ("requests", "gpt-4o", 1, date(2026, 12, 2), Decimal(5)),
            ("quality_score", "helpfulness", 1, DAY, Decimal("0.9")),
            ("latency_p95_ms", "gpt-4o", 1, DAY, Decimal(900)),
            ("requests", "", 1, DAY, Decimal(15)),
            ("requests", "o3", 1, DAY, Decimal(0)),  # no traffic that day
        ]
    )
    assert [(u.key, u.name, u.day, u.volume) for u in found] == [
        ("gpt-4o", "GPT-4o", DAY, Decimal(10)),
        ("gpt-4o", "GPT-4o", date(2026, 12, 2), Decimal(5)),
    ]


def test_totals_prefer_requests_over_the_days():
    days = [
        Usage("a", "a", DAY, Decimal(10), Unit.REQUESTS),
        Usage("a", "a", date(2026, 12, 2), Decimal(7), Unit.REQUESTS),
        Usage("b", "b", DAY, Decimal(300), Unit.TOKENS),
    ]
    assert totals(days) == {
        "a": (Decimal(17), Unit.REQUESTS),
        "b": (Decimal(300), Unit.TOKENS),
    }


# --- The alert's verdict ----------------------------------------------------------


def test_no_breach_when_every_model_may_serve_the_project():
    used = [Usage("gpt-4o", "gpt-4o", DAY, Decimal(10), Unit.REQUESTS)]
    approvals = {"gpt-4o": Approval("approved", REGULATED)}
    assert breach(used, approvals, REGULATED) is None


def test_the_breach_names_the_latest_busiest_model_and_counts_the_others():
    used = [
        Usage("gpt-4o-mini", "gpt-4o-mini", DAY, Decimal(1234), Unit.REQUESTS),
        Usage(
            "gpt-4o-mini",
            "gpt-4o-mini",
            date(2026, 11, 30),
            Decimal(9999),
            Unit.REQUESTS,
        ),
        Usage("o3", "o3", DAY, Decimal(12), Unit.REQUESTS),
        Usage("mystery", "Mystery", date(2026, 11, 30), Decimal(5), Unit.TOKENS),
        Usage("gpt-4o", "gpt-4o", DAY, Decimal(99999), Unit.REQUESTS),
    ]
    approvals = {
        "gpt-4o-mini": Approval("non_sensitive", ""),
        "o3": Approval("not_approved", ""),
        "gpt-4o": Approval("approved", REGULATED),
    }  # "mystery" is not in the inventory: not reviewed yet
    found = breach(used, approvals, REGULATED)
    assert found.message(REGULATED) == (
        "gpt-4o-mini is not approved for regulated data: 1,234 requests on "
        "2026-12-01 (and 2 other models)"
    )


def test_the_message_of_a_single_model():
    used = [Usage("claude", "claude", DAY, Decimal(15000), Unit.TOKENS)]
    found = breach(used, {}, CONFIDENTIAL)
    assert found.message(CONFIDENTIAL) == (
        "claude is not approved for confidential data: 15,000 tokens on 2026-12-01"
    )
