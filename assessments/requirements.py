"""What a requirements version must hold, as plain rules shared by forms, gates and diffs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The fields of a version, in the order people read them, with their labels.
FIELDS: list[tuple[str, str]] = [
    ("users", "Users"),
    ("requests_per_day", "Requests per day"),
    ("peak_rps", "Peak requests per second"),
    ("p95_latency_ms", "p95 latency target (ms)"),
    ("error_rate_pct", "Error-rate target (%)"),
    ("uptime_pct", "Uptime target (%)"),
    ("quality_score_name", "Quality score that counts"),
    ("quality_score_target", "Quality score target"),
    ("monthly_budget_usd", "Monthly model budget (USD)"),
    ("data_classification", "Data classification"),
    ("compliance_needs", "Compliance needs"),
    ("cloud", "Cloud"),
    ("region", "Region"),
    ("infrastructure_constraints", "Infrastructure constraints"),
    ("integration_points", "Integration points"),
    ("success_criteria", "Success criteria"),
]

# Step 1's gate: every target filled in.
TARGET_FIELDS = [
    "users",
    "requests_per_day",
    "peak_rps",
    "p95_latency_ms",
    "error_rate_pct",
    "uptime_pct",
    "quality_score_name",
    "quality_score_target",
    "monthly_budget_usd",
    "data_classification",
    "success_criteria",
]

LABELS = dict(FIELDS)


def missing_targets(values: Mapping[str, Any]) -> list[str]:
    """Labels of the targets a version leaves empty."""
    return [LABELS[f] for f in TARGET_FIELDS if values.get(f) in (None, "", [])]
