"""What must still hold at 500 projects (issue 18), checked against a run's figures.

Budgets are in milliseconds of server time that people wait for, not in ratios to
the floor: a ratio target rewards taking work away from the ORM and templates even
where nobody would notice the difference. Ratios are still reported next to every
item (report.py); only a page rebuilt after a change also keeps a ratio budget, so
that rebuilding stays a small multiple of the SQL it needs.

At the default scale every budget is enforced and a failing one fails the run. At a
smaller scale (CI's smoke test, on a shared machine) the timing budgets are reported
but not enforced; an error answer fails the run at every scale.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

ENFORCED_SCALE = "default"
LOAD_CLIENTS = 50
LOAD_SECONDS = 60

Measured = tuple[str, bool]  # (the figure as the table states it, within budget?)


@dataclass(frozen=True)
class Budget:
    item: str  # the key of the figures in results.json
    label: str
    budget: str
    check: Callable[[dict[str, Any]], Measured]
    timing: bool = True  # False: enforced at every scale


@dataclass(frozen=True)
class Verdict:
    item: str
    budget: str
    measured: str
    passed: bool
    enforced: bool

    @property
    def result(self) -> str:
        if self.passed:
            return "pass"
        return "FAIL" if self.enforced else "not met (not enforced below default scale)"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"result": self.result}


def p95_at_most(limit_ms: float) -> Callable[[dict[str, Any]], Measured]:
    def check(figures: dict[str, Any]) -> Measured:
        p95 = figures["p95_ms"]
        return f"p95 {p95:.1f} ms", p95 <= limit_ms

    return check


def ratio_at_most(limit: float) -> Callable[[dict[str, Any]], Measured]:
    def check(figures: dict[str, Any]) -> Measured:
        ratio = figures["ratio"]
        return (
            f"{ratio:.2f}× (p50 {figures['p50_ms']:.1f} ms, "
            f"floor {figures['floor_ms']:.1f} ms)",
            ratio <= limit,
        )

    return check


def tick_p95_at_most(limit_ms: float) -> Callable[[dict[str, Any]], Measured]:
    """The tick's p95, with its ratio to the floor beside it for the reader."""

    def check(figures: dict[str, Any]) -> Measured:
        p95 = figures["p95_ms"]
        return (
            f"p95 {p95:.1f} ms ({figures['ratio']:.2f}× floor, reported)",
            p95 <= limit_ms,
        )

    return check


def share_of_copy_at_least(share: float) -> Callable[[dict[str, Any]], Measured]:
    def check(figures: dict[str, Any]) -> Measured:
        ratio = figures["ratio"]
        return (
            f"{ratio:.2f}× COPY ({figures['rows_per_s']:,} against "
            f"{figures['copy_rows_per_s']:,} rows/s)",
            ratio >= share,
        )

    return check


def busy_within(limit: float) -> Callable[[dict[str, Any]], Measured]:
    def check(figures: dict[str, Any]) -> Measured:
        ratio = figures["ratio"]
        return (
            f"{ratio:.2f}× (p95 {figures['p95_ms']:.1f} ms at "
            f"{figures['events']:,} events that day, quiet "
            f"{figures['quiet_p95_ms']:.1f} ms)",
            ratio <= limit,
        )

    return check


def load_without_errors(figures: dict[str, Any]) -> Measured:
    clients, seconds, errors = figures["clients"], figures["seconds"], figures["errors"]
    full_run = clients >= LOAD_CLIENTS and seconds >= LOAD_SECONDS
    return (
        f"{clients} clients for {seconds:.0f} s, {errors} errors "
        f"in {figures['requests']:,} requests",
        full_run and errors == 0,
    )


BUDGETS: list[Budget] = [
    Budget(
        "portfolio",
        "portfolio page, nothing changed",
        "p95 ≤ 20 ms",
        p95_at_most(20),
    ),
    Budget(
        "project_page",
        "project page, nothing changed",
        "p95 ≤ 20 ms",
        p95_at_most(20),
    ),
    Budget(
        "portfolio_cold",
        "portfolio page, rebuilt after a change",
        "p95 ≤ 150 ms",
        p95_at_most(150),
    ),
    Budget(
        "portfolio_cold",
        "portfolio page, rebuilt after a change",
        "≤ 3× floor",
        ratio_at_most(3),
    ),
    Budget(
        "project_page_cold",
        "project page, rebuilt after a change",
        "p95 ≤ 150 ms",
        p95_at_most(150),
    ),
    Budget(
        "project_page_cold",
        "project page, rebuilt after a change",
        "≤ 3× floor",
        ratio_at_most(3),
    ),
    Budget("projects_list", "projects list", "p95 ≤ 30 ms", p95_at_most(30)),
    Budget("chart_partial", "chart partial", "p95 ≤ 30 ms", p95_at_most(30)),
    Budget("table_partial", "table partial", "p95 ≤ 30 ms", p95_at_most(30)),
    Budget("checklist_toggle", "checklist tick", "p95 ≤ 30 ms", tick_p95_at_most(30)),
    Budget("ingest", "push ingest", "≥ 0.5× COPY", share_of_copy_at_least(0.5)),
    Budget(
        "busy_rollup",
        "rollup of a batch on a busy day",
        "p95 ≤ 2× a quiet day's",
        busy_within(2),
    ),
    Budget(
        "load",
        "load",
        f"{LOAD_CLIENTS} clients for {LOAD_SECONDS} s, 0 errors",
        load_without_errors,
    ),
]


def error_count(doc: dict[str, Any]) -> tuple[int, int]:
    """(error answers, requests) over every timed item, the push API and the load."""
    errors = requests = 0
    for figures in doc.values():
        if isinstance(figures, dict) and "errors" in figures:
            errors += figures["errors"]
            requests += figures.get("requests", 0)
    return errors, requests


def no_errors(doc: dict[str, Any]) -> Measured:
    errors, requests = error_count(doc)
    return f"{errors} errors in {requests:,} requests", errors == 0


def check(doc: dict[str, Any]) -> list[Verdict]:
    """Every budget whose item the run measured (a --pages-only run has no ingest or
    load), then the error check over all of them."""
    enforce_timing = doc["scale"] == ENFORCED_SCALE
    verdicts = []
    for budget in BUDGETS:
        if budget.item not in doc:
            continue
        measured, passed = budget.check(doc[budget.item])
        verdicts.append(
            Verdict(
                item=budget.label,
                budget=budget.budget,
                measured=measured,
                passed=passed,
                enforced=enforce_timing or not budget.timing,
            )
        )
    measured, passed = no_errors(doc)
    verdicts.append(
        Verdict(
            item="every timed request",
            budget="0 error answers (every scale)",
            measured=measured,
            passed=passed,
            enforced=True,
        )
    )
    return verdicts


def failures(verdicts: Sequence[Verdict]) -> list[Verdict]:
    """The enforced budgets that failed: any of them makes the run exit non-zero."""
    return [v for v in verdicts if v.enforced and not v.passed]
