from __future__ import annotations

from django.apps import AppConfig


class TelemetryConfig(AppConfig):
    name = "telemetry"
    verbose_name = "Telemetry"

    def ready(self) -> None:
        from celery.signals import task_failure

        from telemetry import checks  # noqa: F401  (registers the system checks)
        from telemetry.signals import task_failure_count

        # Connected in every process that sets Django up, so in Celery workers too,
        # which is where tasks fail.
        task_failure.connect(
            task_failure_count, weak=False, dispatch_uid="telemetry.task_failure"
        )
