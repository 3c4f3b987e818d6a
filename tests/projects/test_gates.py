"""Each built-in gate check, passing and failing, over plain data (no database)."""

from __future__ import annotations

from projects import gates
from projects.gates import GateData, ItemFacts, SignOffFacts


def item(
    title="Item",
    *,
    required=True,
    state="done",
    evidence_required=False,
    evidence=0,
    why="",
):
    return ItemFacts(title, required, state, evidence_required, evidence, why)


def data(step=3, *, earlier=(), items=(), roles=(), signoffs=(), operating_owner=None):
    return GateData(
        step, list(earlier), list(items), list(roles), list(signoffs), operating_owner
    )


def test_earlier_steps_must_be_done():
    failed = gates.check_earlier_steps(
        data(earlier=["1. Requirements", "2. Gap assessment"])
    )
    assert failed.passed is False
    assert "1. Requirements, 2. Gap assessment" in failed.reason
    assert gates.check_earlier_steps(data()).passed is True


def test_required_items_must_be_done_and_the_reason_names_them():
    result = gates.check_required_items(
        data(
            items=[
                item("Secrets in a vault", state="open"),
                item("Optional", required=False, state="open"),
                item("Done"),
            ]
        )
    )
    assert result.passed is False
    assert "1 required item(s) still open" in result.reason
    assert "“Secrets in a vault”" in result.reason
    assert "Optional" not in result.reason


def test_not_applicable_needs_a_justification():
    bare = gates.check_required_items(
        data(items=[item("Card data", state="not_applicable")])
    )
    assert bare.passed is False and "justification" in bare.reason
    justified = gates.check_required_items(
        data(items=[item("Card data", state="not_applicable", why="No card data.")])
    )
    assert justified.passed is True


def test_every_missing_item_is_named_and_kept_for_its_link():
    items = [
        gates.ItemFacts(f"Item {n}", True, "open", False, 0, "", pk=100 + n)
        for n in range(8)
    ]
    result = gates.check_required_items(data(items=items))
    assert "more" not in result.reason
    assert all(f"“Item {n}”" in result.reason for n in range(8))
    assert result.lead == "8 required item(s) still open:"
    assert [i.anchor for i in result.items] == [f"item-{100 + n}" for n in range(8)]
    assert [i.title for i in result.items] == [f"Item {n}" for n in range(8)]


def test_every_item_missing_evidence_is_kept_for_its_link():
    items = [
        gates.ItemFacts(f"Report {n}", True, "done", True, 0, "", pk=n + 1)
        for n in range(7)
    ]
    result = gates.check_evidence(data(items=items))
    assert result.passed is False
    assert [i.pk for i in result.items] == list(range(1, 8))
    assert "more" not in result.reason


def test_evidence_is_needed_where_required():
    missing = gates.check_evidence(
        data(items=[item("Pen test report", evidence_required=True, evidence=0)])
    )
    assert missing.passed is False and "“Pen test report”" in missing.reason
    attached = gates.check_evidence(
        data(items=[item("Pen test report", evidence_required=True, evidence=1)])
    )
    assert attached.passed is True
    # An open item is reported by the required-items check, not twice.
    open_item = gates.check_evidence(
        data(items=[item("Pen test", evidence_required=True, state="open")])
    )
    assert open_item.passed is True


def test_signoffs_need_an_approval_for_every_role():
    needs = data(
        roles=["lead", "owner"], signoffs=[SignOffFacts("lead", "approved", "Leo")]
    )
    result = gates.check_signoffs(needs)
    assert (
        result.passed is False
        and "the owner" in result.reason
        and "engineering lead" not in result.reason
    )
    pending_or_rejected = data(
        roles=["reviewer"],
        signoffs=[
            SignOffFacts("reviewer", "pending", "Rosa"),
            SignOffFacts("reviewer", "rejected", "Sam"),
        ],
    )
    assert gates.check_signoffs(pending_or_rejected).passed is False
    invalidated = data(
        roles=["reviewer"], signoffs=[SignOffFacts("reviewer", "invalidated", "Rosa")]
    )
    assert gates.check_signoffs(invalidated).passed is False
    approved = data(
        roles=["reviewer"], signoffs=[SignOffFacts("reviewer", "approved", "Rosa")]
    )
    assert gates.check_signoffs(approved).passed is True
    assert gates.check_signoffs(data(roles=[])).passed is True


def test_step_seven_needs_an_operating_owner():
    assert gates.check_operating_owner(data(step=7)).passed is False
    assert (
        gates.check_operating_owner(data(step=7, operating_owner="Leo Lead")).passed
        is True
    )
    names = [c.name for c in gates.evaluate(data(step=7)).checks]
    assert "Operating owner named" in names
    assert "Operating owner named" not in [
        c.name for c in gates.evaluate(data(step=6)).checks
    ]


def test_a_gate_passes_only_when_every_check_passes():
    good = data(
        items=[item()],
        roles=["reviewer"],
        signoffs=[SignOffFacts("reviewer", "approved", "Rosa")],
    )
    assert gates.evaluate(good).passed is True
    bad = data(
        items=[item(state="open")],
        roles=["reviewer"],
        signoffs=[SignOffFacts("reviewer", "approved", "Rosa")],
    )
    result = gates.evaluate(bad)
    assert result.passed is False
    assert [f.name for f in result.failures] == ["Required items done"]


def test_other_apps_register_checks_for_chosen_steps(monkeypatch):
    monkeypatch.setattr(gates, "_registry", [])
    calls = []

    def quality_met(project, step_number):
        calls.append(step_number)
        return gates.CheckResult(
            "Quality score met", False, "Quality 0.81 < 0.85 on 2026-11-20."
        )

    gates.register_check({6}, quality_met)
    gates.register_check({6}, quality_met)  # registering twice adds it once
    project = object()
    six = gates.evaluate(data(step=6, items=[item()]), project=project)
    assert six.passed is False and six.failures[0].reason.startswith("Quality 0.81")
    assert gates.evaluate(data(step=5, items=[item()]), project=project).passed is True
    assert calls == [6]
