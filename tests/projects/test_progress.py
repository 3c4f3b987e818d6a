from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from projects.progress import (
    current_step_number,
    is_overdue,
    is_stalled,
    percent,
    template_applies,
)


def applies(
    frameworks=(), minimum="", project_frameworks=(), classification="internal"
):
    return template_applies(
        template_frameworks=frameworks,
        min_classification=minimum,
        project_frameworks=project_frameworks,
        project_classification=classification,
    )


def test_items_without_conditions_apply_to_every_project():
    assert applies() is True


def test_framework_items_apply_only_under_one_of_their_frameworks():
    assert applies(frameworks=["hipaa"], project_frameworks=["soc2"]) is False
    assert applies(frameworks=["hipaa", "gdpr"], project_frameworks=["gdpr"]) is True


def test_classification_items_apply_at_or_above_their_level():
    assert applies(minimum="confidential", classification="internal") is False
    assert applies(minimum="confidential", classification="confidential") is True
    assert applies(minimum="confidential", classification="regulated") is True


def test_both_conditions_must_hold():
    assert (
        applies(
            frameworks=["hipaa"],
            minimum="regulated",
            project_frameworks=["hipaa"],
            classification="confidential",
        )
        is False
    )


def test_the_current_step_is_the_lowest_not_done():
    assert (
        current_step_number({1: "done", 2: "in_progress", 3: "done", 4: "not_started"})
        == 2
    )
    assert current_step_number(dict.fromkeys(range(1, 8), "done")) is None


def test_percent_handles_an_empty_checklist():
    assert percent(0, 0) == 0
    assert percent(1, 3) == 33


def test_overdue_and_stalled_flags():
    today = date(2026, 11, 26)
    assert is_overdue(due=date(2026, 11, 25), status="in_progress", today=today) is True
    assert is_overdue(due=date(2026, 11, 25), status="done", today=today) is False
    assert is_overdue(due=None, status="in_progress", today=today) is False
    now = datetime(2026, 11, 26, tzinfo=UTC)
    assert (
        is_stalled(
            last_activity=now - timedelta(days=15), started=None, now=now, days=14
        )
        is True
    )
    assert (
        is_stalled(
            last_activity=now - timedelta(days=3), started=None, now=now, days=14
        )
        is False
    )
    assert is_stalled(last_activity=None, started=None, now=now, days=14) is False
