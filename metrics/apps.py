from __future__ import annotations

from django.apps import AppConfig
from django.db.models import Exists, OuterRef


def open_alert() -> Exists:
    """An open alert on the project (``projects.risk``: one of the at-risk signals)."""
    from metrics.models import Alert

    return Exists(
        Alert.objects.filter(project=OuterRef("pk"), status=Alert.Status.OPEN)
    )


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Metrics"

    def ready(self) -> None:
        from metrics.gates import cost_met, errors_met, latency_met, quality_met
        from projects.gates import register_check
        from projects.risk import RiskSignal, register_signal
        from projects.tabs import Tab, register_tab

        register_tab(Tab("metrics", "Metrics", "metrics:project", 50))
        register_tab(Tab("dashboard", "Dashboard", "metrics:dashboard", 55))
        register_check({6, 7}, quality_met)
        register_check({7}, latency_met)
        register_check({7}, errors_met)
        register_check({7}, cost_met)
        register_signal(
            RiskSignal("has_open_alert", open_alert, lambda p: "open alert", order=20)
        )
