"""Receivers of other libraries' signals (connected in TelemetryConfig.ready)."""

from __future__ import annotations

from typing import Any

from telemetry import broker


def task_failure_count(sender: Any = None, **_: Any) -> None:
    """Celery's task_failure, sent in the worker process whose task raised."""
    broker.task_failure_record(getattr(sender, "name", None) or "unknown")
