"""Saves and deletes that change what a project's dashboard shows: they
move the project's metrics version (``metrics.versions``), whichever code path or
the admin made them. Writes that bypass ``save()`` (rollup upserts, the sync's
``update()`` of the last success) call ``metrics_changed`` themselves."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from metrics.versions import metrics_changed


def _changed(sender: type, instance: Any, **kwargs: Any) -> None:
    # An organisation-wide service feeds no project itself: the project services
    # mapped to it do, and their own saves land here.
    if instance.project_id is not None:
        metrics_changed(instance.project_id)


def connect() -> None:
    for model in (
        "metrics.ConnectedService",
        "metrics.MetricSource",
        "assessments.RequirementsDocument",  # its approved version holds the targets
        "metrics.Alert",
    ):
        post_save.connect(_changed, sender=model, dispatch_uid=f"metrics-{model}-save")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"metrics-{model}-delete"
        )
