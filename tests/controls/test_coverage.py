"""The coverage rules: when a control is met, in progress, open or not applicable,
and what a framework's percentage counts."""

from __future__ import annotations

from controls.coverage import (
    ControlFact,
    ControlStatus,
    ItemFact,
    control_coverage,
    framework_coverage,
)


def control(*template_ids, evidence=False, ref="C1"):
    return ControlFact(
        id=hash(ref) % 1000,
        ref=ref,
        group="G",
        title=f"Control {ref}",
        description="",
        evidence_required=evidence,
        template_ids=template_ids,
    )


def item(template_id, state="open", *, evidence=0, needs_evidence=False, why=""):
    return ItemFact(
        id=100 + template_id,
        template_id=template_id,
        title=f"Item {template_id}",
        step_number=3,
        state=state,
        na_justification=why,
        evidence_required=needs_evidence,
        evidence_count=evidence,
    )


def status(c, *items):
    return control_coverage(c, {i.template_id: i for i in items})


def test_every_item_done_or_justified_meets_the_control():
    result = status(
        control(1, 2), item(1, "done"), item(2, "not_applicable", why="No PHI")
    )

    assert result.status is ControlStatus.MET
    assert result.reason == ""


def test_some_items_resolved_is_in_progress_and_says_how_many_are_open():
    result = status(control(1, 2, 3), item(1, "done"), item(2), item(3))

    assert result.status is ControlStatus.IN_PROGRESS
    assert result.reason == "2 of 3 items open"


def test_no_item_resolved_is_open():
    assert status(control(1, 2), item(1), item(2)).status is ControlStatus.OPEN


def test_a_done_item_without_evidence_does_not_meet_a_control_that_needs_it():
    c = control(1, evidence=True)

    missing = status(c, item(1, "done"))
    met = status(c, item(1, "done", evidence=1))

    assert missing.status is ControlStatus.IN_PROGRESS
    assert missing.reason == "evidence missing on 1 done item"
    assert met.status is ControlStatus.MET


def test_an_item_that_needs_evidence_itself_needs_it_under_any_control():
    c = control(1)

    assert (
        status(c, item(1, "done", needs_evidence=True)).status
        is ControlStatus.IN_PROGRESS
    )
    assert status(c, item(1, "done")).status is ControlStatus.MET


def test_a_control_none_of_whose_items_is_on_the_checklist_does_not_apply():
    result = status(control(7, 8), item(1, "done"))

    assert result.status is ControlStatus.NOT_APPLICABLE
    assert result.items == ()
    assert "None of its checklist items applies" in result.reason


def test_a_control_whose_items_are_all_justified_not_applicable_does_not_apply():
    result = status(
        control(1, 2),
        item(1, "not_applicable", why="No card data"),
        item(2, "not_applicable", why="Vendor hosts it"),
    )

    assert result.status is ControlStatus.NOT_APPLICABLE
    assert result.reason == "Item 1: No card data; Item 2: Vendor hosts it"


def test_only_the_mapped_items_count():
    result = status(control(1), item(1, "done"), item(2))

    assert result.status is ControlStatus.MET
    assert [i.template_id for i in result.items] == [1]


def test_the_percentage_is_met_over_applicable_controls_rounded_down():
    controls = [
        control(1, ref="A"),
        control(2, ref="B"),
        control(3, ref="C"),
        control(9, ref="N/A"),
    ]
    coverage = framework_coverage(controls, [item(1, "done"), item(2), item(3, "done")])

    assert (coverage.count_met, coverage.count_open, coverage.count_not_applicable) == (
        2,
        1,
        1,
    )
    assert coverage.applicable == 3
    assert coverage.percent == 66


def test_a_framework_where_nothing_applies_has_no_percentage():
    coverage = framework_coverage([control(9)], [])

    assert coverage.percent is None
