from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models import Exists, OuterRef


def open_alert() -> Exists:
    """An open alert on the project (``projects.risk``: one of the at-risk signals)."""
    from metrics.models import Alert

    return Exists(
        Alert.objects.filter(project=OuterRef("pk"), status=Alert.Status.OPEN)
    )


def raised_indicators(project: Any) -> dict[str, str]:
    """The risk indicators an open alert raises (``risks.indicators``), with the
    alert's own words."""
    from metrics.models import Alert
    from risks.models import Indicator

    by_kind: dict[str, str] = {
        Alert.Kind.BUDGET: Indicator.COST_OVER_BUDGET,
        Alert.Kind.QUALITY: Indicator.QUALITY_BELOW_TARGET,
        Alert.Kind.ERROR_RATE: Indicator.ERRORS_OVER_TARGET,
        Alert.Kind.LATENCY: Indicator.LATENCY_OVER_TARGET,
    }
    return {
        by_kind[kind]: message
        for kind, message in Alert.objects.filter(
            project=project, status=Alert.Status.OPEN, kind__in=list(by_kind)
        )
        .order_by("opened_at")
        .values_list("kind", "message")
    }


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Metrics"

    def ready(self) -> None:
        from metrics.gates import cost_met, errors_met, latency_met, quality_met
        from projects.gates import register_check
        from projects.risk import RiskSignal, register_signal
        from projects.tabs import Tab, register_tab
        from risks.indicators import register_reader

        register_tab(Tab("metrics", "Metrics", "metrics:project", 50))
        register_tab(Tab("dashboard", "Dashboard", "metrics:dashboard", 55))
        register_check({7}, quality_met)
        register_check({7}, latency_met)
        register_check({7}, errors_met)
        register_check({7}, cost_met)
        register_signal(
            RiskSignal("has_open_alert", open_alert, lambda p: "open alert", order=20)
        )
        register_reader(raised_indicators)
